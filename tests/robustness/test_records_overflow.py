"""Issue 8, item 3 as a family: huge finite values in every aggregate.

Values near the top of the double range (1e308, -1e308) must never take down
the source or the other SLOs: mean, min, max and quantiles stay finite (exact
where the true answer is representable); a sum beyond the float range is an
error on that SLO alone. Exact numbers are worked out by hand (or with
:class:`~fractions.Fraction`, which is exact).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records_gen import NOON, file_source, jsonl, ratio, record, spec
from slotui.core.series import EventSeries, SliceSeries
from slotui.core.sums import AggregateOverflow, exact_sum
from slotui.sources.kit.aggregate import ValueSeries, parse_agg, quantile_runs, quantile_sorted

BIG = 1e308
MAX = 1.7976931348623157e308


def _series(values: list[float], length: float = 300.0) -> ValueSeries:
    series = ValueSeries(length)
    for i, v in enumerate(values):
        series.add(NOON + i * 100.0, v)  # 3 values per slice: some slices whole, some cut
    return series


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_sum_beyond_the_float_range_is_an_error_not_inf_nor_a_crash(sign: float) -> None:
    series = _series([sign * BIG, sign * BIG, 1.0])
    with pytest.raises(AggregateOverflow, match="beyond the float range"):
        series.window(parse_agg("sum"), NOON, NOON + 1000)
    with pytest.raises(AggregateOverflow):
        series.window(parse_agg("sum"), NOON, NOON + 150)  # the cut-slice path


def test_sum_whose_partial_sums_overflow_but_total_does_not_is_exact() -> None:
    # fsum raises "intermediate overflow" on 1e308 + 1e308 - 1e308; the exact sum is 1e308 + 2.5
    series = _series([BIG, BIG, -BIG, 2.5])
    assert series.window(parse_agg("sum"), NOON, NOON + 1000) == float(Fraction(BIG) + Fraction(2.5))
    assert exact_sum([BIG, BIG, -BIG]) == BIG


@pytest.mark.parametrize("values", [[BIG, BIG], [-BIG, -BIG, -BIG], [MAX, MAX, 0.5], [BIG, BIG, 3.0, -BIG]])
def test_mean_is_exact_and_finite(values: list[float]) -> None:
    exact = float(sum(map(Fraction, values)) / len(values))
    series = _series(values)
    for start, end in [(NOON, NOON + 1000), (NOON + 0.0, NOON + 300.0 * 2)]:
        inside = [v for i, v in enumerate(values) if start <= NOON + i * 100.0 < end]
        want = float(sum(map(Fraction, inside)) / len(inside))
        assert series.window(parse_agg("mean"), start, end) == want
    assert series.window(parse_agg("mean"), NOON, NOON + 1000) == exact
    assert math.isfinite(exact)


def test_min_max_count_quantiles_of_huge_values() -> None:
    series = _series([-BIG, BIG, -MAX, MAX])
    window = (NOON, NOON + 1000)
    assert series.window(parse_agg("min"), *window) == -MAX
    assert series.window(parse_agg("max"), *window) == MAX
    assert series.window(parse_agg("count"), *window) == 4.0
    # sorted -MAX, -BIG, BIG, MAX; p50: h = 1.5, halfway between -1e308 and 1e308 = 0
    assert series.window(parse_agg("p50"), *window) == 0.0
    # p25: h = 0.75 between -MAX and -BIG: -MAX + 0.75 * (MAX - BIG) computed without overflow
    assert series.window(parse_agg("p25"), *window) == pytest.approx(-MAX * 0.25 - BIG * 0.75, rel=1e-15)
    assert quantile_sorted([-MAX, MAX], 0.5) == 0.0
    assert quantile_sorted([-MAX, MAX], 1.0) == MAX


def test_quantile_selection_across_many_runs_with_huge_values() -> None:
    # more than 60,000 values in many runs: the selection path, not the merge path
    runs = [sorted([-BIG if (k + r) % 2 else BIG for k in range(800)]) for r in range(100)]
    assert quantile_runs(runs, 0.5) == 0.0
    assert quantile_runs(runs, 0.0) == -BIG and quantile_runs(runs, 1.0) == BIG


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_generated_any_finite_values(values: list[float]) -> None:
    """mean, min, max and quantiles of any finite values are finite; sum is exact or an error."""
    series = _series(values)
    window = (NOON, NOON + 100.0 * len(values))
    exact = sum(map(Fraction, values))
    if abs(exact) < Fraction(2**1024 - 2**970):  # rounds to at most MAX (half an ulp above MAX overflows)
        got = series.window(parse_agg("sum"), *window)
        assert got is not None and math.isfinite(got)
    else:
        with pytest.raises(AggregateOverflow):
            series.window(parse_agg("sum"), *window)
    mean = series.window(parse_agg("mean"), *window)
    assert mean is not None and math.isfinite(mean)
    # Each slice's sum is correctly rounded (math.fsum), then the slices' sums are added: the error is
    # bounded by the magnitudes summed, not by the result (hypothesis found [0, 0, 0, 0, 1, MAX, -MAX]:
    # exact mean 1/7; the slice holding 1 and MAX rounds to MAX, so the mean is 0, within 2**-52 of
    # sum(|v|)/n). A result-relative bound holds only without cancellation.
    magnitude = sum(abs(Fraction(v)) for v in values) / len(values)
    assert abs(Fraction(mean) - exact / len(values)) <= magnitude * Fraction(1, 2**50) + Fraction(1, 2**1000)
    for agg in ("min", "max", "p50", "p95", "p99.9"):
        got = series.window(parse_agg(agg), *window)
        assert got is not None and min(values) <= got <= max(values)


def test_file_source_huge_values_take_down_only_the_sum(tmp_path: Path) -> None:
    rows = [record(NOON - 1800 + i, duration_s=0.5, **{"gen_ai.usage.output_tokens": v})
            for i, v in enumerate([10**308, 10**308, 100])]  # integers: exact until turned into floats
    rows.append(record(NOON - 1000, duration_s=0.5, **{"gen_ai.usage.output_tokens": 10**400}))  # beyond floats
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(rows))
    specs = [spec("sum", sli_field="gen_ai.usage.output_tokens", sli_agg="sum"),
             spec("mean", sli_field="gen_ai.usage.output_tokens", sli_agg="mean"),
             spec("p50", sli_field="gen_ai.usage.output_tokens", sli_agg="p50"),
             spec("lat", sli_field="duration_s", sli_agg="mean"),
             ratio("ok", "error.type == null")]
    out = file_source(path).fetch_sync(specs, NOON)
    assert out["sum"].value is None and "beyond the float range" in out["sum"].error
    assert out["mean"].value == float((2 * Fraction(1e308) + 100) / 3)
    assert out["p50"].value == 1e308
    assert out["lat"].value == 0.5
    assert out["ok"].windows[3600.0] == (4.0, 4.0)
    assert out["mean"].note == "1 record: gen_ai.usage.output_tokens beyond the float range"


def test_core_series_with_huge_slices_and_buckets_stay_finite() -> None:
    slices = SliceSeries([(NOON, BIG), (NOON + 300, BIG), (NOON + 600, -BIG)], target=1.0,
                         direction="lower_is_better")
    counts = slices.counts(NOON, NOON + 900)
    assert (counts.good, counts.total) == (1.0, 3.0)
    events = EventSeries([(NOON, BIG, BIG), (NOON + 300, BIG, BIG), (NOON + 600, 1.0, 2.0)])
    assert events.counts(NOON, NOON + 900) is None  # the sum overflows: no data, never inf
    small = events.counts(NOON + 600, NOON + 900)
    assert (small.good, small.total) == (1.0, 2.0)
