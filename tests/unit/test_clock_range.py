"""Times users type and times slotui prints: one range, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.

A time outside it (``1e20``, ``nan``, ``inf``, year 1 or 10000) is refused where it is typed, with a
message naming the range; a time outside it that reaches a formatter anyway (a row written by another
program) prints as ``out of range`` instead of raising OverflowError/OSError/ValueError mid-render.
"""

from __future__ import annotations

import math

import pytest

from slotui.clock import (
    EARLIEST,
    LATEST,
    OUT_OF_RANGE,
    format_time,
    parse_time,
    rfc3339,
    strftime_utc,
    utc_datetime,
)
from slotui.formatting import format_day

RANGE = "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0.0),
        ("9999-12-31T23:59:59Z", 253402300799.0),
        ("2026-06-01T12:00:00Z", 1780315200.0),
        ("2026-06-01T14:00:00+02:00", 1780315200.0),
        ("2026-06-01T12:00:00", 1780315200.0),  # naive: UTC
        ("1780315200", 1780315200.0),
        (" 0 ", 0.0),
    ],
)
def test_parse_time_accepts_the_range(text: str, expected: float) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    ["1e20", "-1", "nan", "NaN", "inf", "-inf", "1e308", "253402300800", "1969-12-31T23:59:59Z",
     "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00"],
)
def test_parse_time_refuses_what_no_clock_shows(text: str) -> None:
    with pytest.raises(ValueError, match=RANGE) as info:
        parse_time(text)
    assert repr(text) in str(info.value)  # the message repeats what was typed


def test_parse_time_still_names_the_forms_for_garbage() -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_time("next tuesday")


@pytest.mark.parametrize("ts", [math.nan, math.inf, -math.inf, 1e20, -1.0, LATEST + 1, EARLIEST - 0.5])
def test_formatters_never_raise_outside_the_range(ts: float) -> None:
    assert utc_datetime(ts) is None
    assert format_time(ts) == OUT_OF_RANGE
    assert rfc3339(ts) == OUT_OF_RANGE
    assert rfc3339(ts, milliseconds=True) == OUT_OF_RANGE
    assert strftime_utc(ts, "%H:%M:%SZ") == OUT_OF_RANGE
    # a day cell: a missing (non-finite) time is the usual dash, a finite one past the range says so
    assert format_day(ts) == ("—" if not math.isfinite(ts) else OUT_OF_RANGE)


def test_formatters_at_the_edges() -> None:
    assert format_time(LATEST) == "9999-12-31T23:59:59Z"
    assert rfc3339(EARLIEST) == "1970-01-01T00:00:00Z"
    assert strftime_utc(1780315200.0, "%H:%M:%SZ") == "12:00:00Z"
    assert format_day(1780315200.0) == "Jun 1"
