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
