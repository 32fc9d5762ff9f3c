"""Time as users write it and as slotui prints it: RFC 3339 in UTC.

The evaluation core never reads the clock; commands call :func:`utc_now` once
and pass the moment down.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

#: the range of times slotui reads and writes: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z
#: (RFC 3339 has four-digit years; a later or non-finite time is refused where it is typed)
EARLIEST = 0.0
LATEST = 253402300799.0
OUT_OF_RANGE = "out of range"
TIME_RANGE = "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"


def utc_now() -> float:
    """The current time, UTC epoch seconds. The one place the headless commands read the clock."""
    return time.time()


def parse_time(text: str) -> float:
    """Epoch seconds for an RFC 3339 / ISO 8601 time; a naive time is UTC; a bare number is epoch seconds.

    Raises ValueError naming the accepted forms, also for a time outside :data:`EARLIEST` ..
    :data:`LATEST` (``1e20``, ``nan``, ``inf``, a year before 1970).
    """
    s = text.strip()
    number: float | None = None
    if s.isascii() and "_" not in s:  # float() alone also reads "1_700_000_000" and non-ASCII digits
        try:
            number = float(s)  # nan and inf too: refused by in_range with the range
        except ValueError:
            pass
    if number is not None:
        return in_range(number, text)
    if not s.isascii():
        raise ValueError(f"expected a time such as 2026-06-01T12:00:00Z (RFC 3339) or epoch seconds; got {text!r}")
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
    return in_range(dt.timestamp(), text)


def in_range(ts: float, shown: object = None) -> float:
    """``ts`` if it is a finite time from :data:`EARLIEST` to :data:`LATEST`, else ValueError
    (naming ``shown``, the text the user typed, when given)."""
    if not (math.isfinite(ts) and EARLIEST <= ts <= LATEST):
        got = f"; got {shown!r}" if shown is not None else ""
        raise ValueError(f"expected a time {TIME_RANGE}{got}")
    return ts


def utc_datetime(ts: float) -> datetime | None:
    """The UTC datetime of ``ts``; None for a time outside the range (never raises)."""
    if not (isinstance(ts, (int, float)) and math.isfinite(ts) and EARLIEST <= ts <= LATEST):
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def strftime_utc(ts: float, fmt: str) -> str:
    """``ts`` in UTC written with ``fmt`` (strftime), or ``out of range`` (never raises)."""
    dt = utc_datetime(ts)
    return OUT_OF_RANGE if dt is None else dt.strftime(fmt)


def format_time(ts: float, *, seconds: bool = True) -> str:
    """RFC 3339 UTC with a Z suffix: 2026-06-01T12:00:00Z (``out of range`` for a time outside
    :data:`EARLIEST` .. :data:`LATEST`, e.g. a row another program wrote: shown, never a crash)."""
    dt = utc_datetime(ts)
    if dt is None:
        return OUT_OF_RANGE
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ")


def rfc3339(ts: float, *, milliseconds: bool | None = None) -> str:
    """RFC 3339 UTC with a Z suffix, with milliseconds always (``True``), never
    (``False``) or only when the time has a fraction (``None``); ``out of range`` outside
    :data:`EARLIEST` .. :data:`LATEST`."""
    dt = utc_datetime(ts)
    if dt is None:
        return OUT_OF_RANGE
    if milliseconds or (milliseconds is None and dt.microsecond):
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
