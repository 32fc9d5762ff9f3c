"""Page tokens of a paged API answer, and the server fault of a token that comes back.

A server that answers a page token it already gave (a proxy caching the page, a bug) would have a
source read the same page again and again: duplicate records, a note claiming more data than there
is, or a read that never ends. :class:`PageTokens` remembers the tokens of one read and turns a
repeated one into a :class:`~slotui.sources.kit.http_client.MalformedResponse` naming the endpoint.
"""

from __future__ import annotations

from typing import Any

from slotui.sources.kit.http_client import MalformedResponse


class PageTokens:
    """The tokens seen by one paged read of ``what`` (an endpoint's name for messages)."""

    __slots__ = ("what", "_seen")

    def __init__(self, what: str) -> None:
        self.what = what
        self._seen: set[str] = set()

    def next(self, raw: Any) -> str | None:
        """The token to ask next (None: the last page); raises MalformedResponse on a repeated token."""
        if raw is None or raw == "":
            return None
        token = str(raw)
        if token in self._seen:
            raise MalformedResponse(f"{self.what} answered a page token it had already given: "
                                    "its pages never end (a server or proxy fault)")
        self._seen.add(token)
        return token
