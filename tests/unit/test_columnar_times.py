"""The columnar readers' times (``columnar._times``): the fixed-width fast path reads exactly the
doubles the per-record path does, and leaves every other form to the regex path."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.sources.kit import columnar
from slotui.sources.kit.records import TimeParser

PER_RECORD = TimeParser()


@st.composite
def rfc3339(draw, digits: int) -> str:
    year = draw(st.integers(1, 9999))
    month = draw(st.integers(1, 12))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    day = draw(st.integers(1, last))
    hms = [draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))]
    text = f"{year:04d}-{month:02d}-{day:02d}T{hms[0]:02d}:{hms[1]:02d}:{hms[2]:02d}"
    if digits:
        text += "." + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=digits, max_size=digits)))
    return text + "Z"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, columnar._FIXED_FRACTION).flatmap(lambda k: st.lists(rfc3339(k), min_size=1, max_size=40)),
       st.integers(0, 39))
def test_fixed_width_times_are_the_per_record_doubles(values, cut):
    arr = pa.chunked_array([pa.array(values[:cut], pa.string()), pa.array(values[cut:], pa.string())])
    got = columnar._fixed_width_times(arr)
    assert got is not None
    assert got.tolist() == [PER_RECORD(v) for v in values]  # the same doubles, bit for bit
    assert columnar._times(arr).tolist() == got.tolist()
    if len(values) > 2:  # a slice (an offset into the buffers), as a chunk's rows are taken
        assert columnar._fixed_width_times(arr.slice(1, len(values) - 2)).tolist() == got.tolist()[1:-1]


@pytest.mark.parametrize("other", [
    "2026-02-30T00:00:00Z",  # no such day
    "2025-02-29T00:00:00Z",  # not a leap year
    "2100-02-29T00:00:00Z",
    "0000-01-01T00:00:00Z",  # the year 0
    "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
    "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
    "2026-01-01T00:00:60Z",  # a leap second: the regex path decides
    "2026-01-01 00:00:00Z", "2026-01-01T00:00:00z", "2026-01-01T00:00:00.Z",
    "2026-01-01T00:00:0\u0661Z",  # a non-ASCII digit (same length in characters, not in bytes)
    "2026-01-01T00:00:0xZ",
    "2026-01-01T00:00:00.12345678901234Z",  # 14 fraction digits: beyond the exact range
])
def test_other_forms_are_left_to_the_regex_path(other):
    assert columnar._fixed_width_times(pa.array(["2026-01-01T00:00:00Z", other])) is None
    regex = columnar._times(pa.array(["2026-01-01T00:00:00Z", other]))
    try:
        expected = PER_RECORD(other)
    except ValueError:
        expected = None
    if regex is not None:  # where the regex path reads it, it reads the per-record value
        assert regex.tolist() == [PER_RECORD("2026-01-01T00:00:00Z"), expected]


def test_mixed_widths_and_nulls_are_left_to_the_regex_path():
    assert columnar._fixed_width_times(pa.array(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z"])) is None
    assert columnar._times(pa.array(["2026-01-01T00:00:00Z", None])) is None
    both = columnar._times(pa.array(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z"]))
    assert both.tolist() == [1767225600.0, 1767225600.5]
