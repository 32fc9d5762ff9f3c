"""Durations as written in SLO files: ``30s``, ``5m``, ``1h``, ``7d``, ``4w``, ``1 hour``, ``90`` (seconds)."""

from __future__ import annotations

import re

_UNITS = {
    "ms": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
}
#: ASCII digits only: ``\d`` alone also reads Arabic-Indic or fullwidth digits ("١h" was an hour)
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*", re.IGNORECASE | re.ASCII)


def parse_duration(value: object) -> object:
    """Seconds (float) for a duration string or a number of seconds.

    Compound forms such as ``1h30m`` are accepted. Raises ValueError naming the
    accepted forms for a malformed string, a negative number or another type
    (the message never repeats the input: it may be a secret).
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m, 1h, 7d, 4w")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite duration")
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 30s, 5m, 1h, 7d, 4w")
    text = value.strip()
    pos, total, matched = 0, 0.0, False
    while pos < len(text):
        m = _PART.match(text, pos)
        if not m or m.end() == pos:
            break
        if m.group(2) is None and (pos > 0 or m.end() != len(text)):
            break  # a bare number is seconds only when it is the whole duration ("90", not "5m30")
        if m.group(2) == "M":
            # units ignore case, but M is month in ISO 8601 and many tools: 1M was silently a minute
            raise ValueError("expected a duration such as 30s, 5m, 1h, 7d, 4w ('M' is ambiguous: write m for "
                             "minutes, 30d for 30 days, or calendar_month for a calendar month)")
        unit = (m.group(2) or "s").lower()
        if unit not in _UNITS:
            raise ValueError(f"expected a duration such as 30s, 5m, 1h, 7d, 4w (unknown unit {unit!r})")
        total += float(m.group(1)) * _UNITS[unit]
        pos, matched = m.end(), True
    if not matched or pos != len(text):
        raise ValueError("expected a duration such as 30s, 5m, 1h, 7d, 4w")
    return total


#: the longest duration accepted anywhere in an SLO file (a year and a day)
MAX_DURATION = 366 * 86400.0


def check_positive(seconds: float) -> float:
    """A duration field's value: longer than 0 and at most :data:`MAX_DURATION`.

    ``interval: 0s`` would make the daemon busy-loop and a 0s window or timeout
    means nothing; fields where 0 has a meaning (``for: 0s``) do not use this.
    """
    if seconds <= 0:
        raise ValueError("expected a duration longer than 0, such as 30s, 5m, 1h")
    if seconds > MAX_DURATION:
        raise ValueError("expected a duration of at most 366d")
    return seconds


#: the shortest poll interval (``interval: 1ms`` busy-looped the daemon) and the shortest slice
MIN_INTERVAL = 1.0
MIN_SLICE = 1.0


def check_interval(seconds: float) -> float:
    """A poll interval: at least :data:`MIN_INTERVAL` (1s); a shorter one busy-loops the daemon."""
    check_positive(seconds)
    if seconds < MIN_INTERVAL:
        raise ValueError("expected a poll interval of at least 1s: a shorter one keeps the daemon busy polling")
    return seconds


def check_slice(seconds: float) -> float:
    """A budget slice: at least :data:`MIN_SLICE` (1s)."""
    check_positive(seconds)
    if seconds < MIN_SLICE:
        raise ValueError("expected a slice of at least 1s (the default is 5m)")
    return seconds


def check_bounded(seconds: float) -> float:
    """A duration field where 0 has a meaning (``for: 0s``): at most :data:`MAX_DURATION`."""
    if seconds > MAX_DURATION:
        raise ValueError("expected a duration of at most 366d")
    return seconds
