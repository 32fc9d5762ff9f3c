"""``Retry-After`` (RFC 9110 10.2.3): how long a rate-limited or unavailable server asks to be left alone.

One reading for every source, whichever HTTP library it speaks through (httpx for the
:mod:`~slotui.sources.kit.http_client` sources, ``requests`` under the LangSmith SDK): the
value is a number of seconds or an HTTP date. The runtime keeps the source alone until then,
across ticks (:func:`~slotui.sources.kit.runtime.backoff_after`); a retry within one fetch
waits that long when it still fits in the fetch's time budget.
"""

from __future__ import annotations

import datetime
import email.utils
import time
from typing import Any

from slotui.sources.kit.base import SourceError


def parse_retry_after(value: str | None) -> tuple[float | None, float | None]:
    """``(seconds from now, epoch of an HTTP date or None)``; ``(None, None)`` if absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None, None
    try:
        return max(0.0, float(value)), None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None, None
    if when is None:
        return None, None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=datetime.timezone.utc)
    at = when.timestamp()
    return max(0.0, at - time.time()), at


def hold_to_wait(hold: tuple[float, Any, Any], fetch: Any, deadline: float) -> float:
    """Seconds to wait before the next request of a fetch that was given a ``Retry-After``:
    ``hold`` is ``(monotonic end, the answer's SourceError, the fetch it was given in)``; 0 when
    there is nothing to wait (no hold, it ended, another fetch's). When the wait would outlast the
    fetch's ``deadline``, raises that error at once (its ``retry_after`` the time left), sending
    nothing. One rule for the httpx client and the LangSmith SDK's worker thread."""
    until, error, given_in = hold
    left = until - time.monotonic()
    if error is None or left <= 0 or given_in != fetch:
        return 0.0
    if time.monotonic() + left >= deadline:
        held = SourceError(str(error), retryable=error.retryable)
        held.retry_after = left  # type: ignore[attr-defined]
        held.retry_at = getattr(error, "retry_at", None)  # type: ignore[attr-defined]
        raise held
    return left
