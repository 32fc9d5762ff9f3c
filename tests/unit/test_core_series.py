"""Cleaning and window counting of the source's buckets and slices."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.core.series import EventSeries, SliceSeries


def test_event_series_sorts_and_counts_half_open() -> None:
    s = EventSeries([(600.0, 5.0, 10.0), (0.0, 1.0, 1.0), (300.0, 2.0, 4.0)])
    assert s.times == [0.0, 300.0, 600.0]
    c = s.counts(0.0, 600.0)  # 600 excluded
    assert c is not None and (c.good, c.total, c.bad) == (3.0, 5.0, 2.0)
    assert s.ratios(0.0, 900.0) == [(0.0, 1.0), (300.0, 0.5), (600.0, 0.5)]


def test_event_series_drops_malformed_and_caps_good() -> None:
    s = EventSeries([
        (0.0, 1.0, 2.0),
        (1.0, math.nan, 2.0),  # NaN count: dropped
        (2.0, 1.0, -3.0),  # negative: dropped
        (math.inf, 1.0, 1.0),  # bad time: dropped
        ("x", 1, 1),  # not a number: dropped
        (3.0, 1.0),  # wrong width: dropped
        None,
        (4.0, 9.0, 3.0),  # good > total: capped at total
        (5, 1, 1),  # ints are fine
    ])
    assert s.times == [0.0, 4.0, 5.0]
    assert s.good == [1.0, 3.0, 1.0] and s.total == [2.0, 3.0, 1.0]
    assert all(isinstance(x, float) for x in s.times + s.good + s.total)


def test_zero_total_buckets_count_but_have_no_ratio() -> None:
    s = EventSeries([(0.0, 0.0, 0.0), (300.0, 1.0, 2.0)])
    assert s.ratios(0.0, 600.0) == [(300.0, 0.5)]
    c = s.counts(0.0, 300.0)
    assert c is not None and c.total == 0 and c.error_ratio is None and c.good_ratio is None


def test_overflowing_sums_are_no_data() -> None:
    s = EventSeries([(0.0, 1e308, 1e308), (1.0, 1e308, 1e308)])
    assert s.counts(0.0, 2.0) is None


def test_slice_series_goodness_is_direction_aware_and_equality_meets() -> None:
    pts = [(300.0, 2000.0), (0.0, 2000.5), (600.0, math.nan), (900.0, 1999)]
    lower = SliceSeries(pts, 2000, "lower_is_better")
    assert lower.times == [0.0, 300.0, 900.0]
    assert list(lower.good) == [False, True, True]
    higher = SliceSeries(pts, 2000, "higher_is_better")
    assert list(higher.good) == [True, True, False]
    c = lower.counts(0.0, 900.0)
    assert (c.good, c.total) == (1.0, 2.0)
    assert lower.points(300.0, 1000.0) == [(300.0, 2000.0), (900.0, 1999.0)]


valid_bucket = st.tuples(
    st.integers(min_value=0, max_value=100).map(lambda k: 300.0 * k),
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=1000),
)


@settings(max_examples=200, deadline=None)
@given(buckets=st.lists(valid_bucket, max_size=60),
       start=st.integers(min_value=-1, max_value=101), width=st.integers(min_value=0, max_value=102))
def test_counts_match_a_naive_reference(buckets, start, width) -> None:
    lo, hi = 300.0 * start, 300.0 * (start + width)
    series = EventSeries(buckets)
    c = series.counts(lo, hi)
    exp_good = sum(min(g, n) for t, g, n in buckets if lo <= t < hi)
    exp_total = sum(n for t, g, n in buckets if lo <= t < hi)
    assert c is not None and (c.good, c.total) == (exp_good, exp_total)


@settings(max_examples=200, deadline=None)
@given(slices=st.lists(st.tuples(st.integers(0, 100).map(float), st.floats(0, 10)), max_size=60),
       target=st.floats(0, 10))
def test_slice_counts_match_a_naive_reference(slices, target) -> None:
    s = SliceSeries(slices, target, "lower_is_better")
    c = s.counts(0.0, 50.0)
    inside = [v for t, v in slices if 0.0 <= t < 50.0]
    assert (c.good, c.total) == (sum(1 for v in inside if v <= target), len(inside))
