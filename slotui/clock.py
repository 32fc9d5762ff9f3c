"""Time as users write it and as slotui prints it: RFC 3339 in UTC.

The evaluation core never reads the clock; commands call :func:`utc_now` once
and pass the moment down.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone


def utc_now() -> float:
    """The current time, UTC epoch seconds. The one place the headless commands read the clock."""
    return time.time()


def parse_time(text: str) -> float:
    """Epoch seconds for an RFC 3339 / ISO 8601 time; a naive time is UTC; a bare number is epoch seconds.

    Raises ValueError naming the accepted forms.
    """
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"expected a time such as 2026-06-01T12:00:00Z (RFC 3339) or epoch seconds; got {text!r}"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def format_time(ts: float, *, seconds: bool = True) -> str:
    """RFC 3339 UTC with a Z suffix: 2026-06-01T12:00:00Z."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ")


def rfc3339(ts: float, *, milliseconds: bool | None = None) -> str:
    """RFC 3339 UTC with a Z suffix, with milliseconds always (``True``), never
    (``False``) or only when the time has a fraction (``None``)."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    if milliseconds or (milliseconds is None and dt.microsecond):
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
