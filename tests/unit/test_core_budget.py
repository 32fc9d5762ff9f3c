"""Error budgets with exact, hand-computed numbers (SPEC section 3, "Error budget")."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from slotui.core.budget import budget_timeline, compute_budget, meets_target
from slotui.core.evaluate import evaluate_slo
from slotui.core.periods import month_bounds, period_bounds
from slotui.core.types import DAY, SLIData, SLOSpec, error_budget

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def ratio_spec(target: float = 0.995, **kw: object) -> SLOSpec:
    return SLOSpec(name="availability", kind="ratio", target=target, direction="higher_is_better",
                   period=kw.pop("period", 30 * DAY), **kw)  # type: ignore[arg-type]


def spread(total: int, bad: int, n: int = 100, start: float = NOW - 10 * DAY) -> tuple:
    """``n`` hourly buckets, ``total`` events and ``bad`` bad ones in all (bad in the first buckets)."""
    per = total // n
    out = []
    left = bad
    for i in range(n):
        b = min(left, per)
        left -= b
        out.append((start + 3600 * i, float(per - b), float(per)))
    assert left == 0
    return tuple(out)


def budget_of(spec: SLOSpec, data: SLIData, now: float = NOW):
    start, length = period_bounds(spec, now)
    return compute_budget(spec, data, now, start, length)


# --------------------------------------------------------------------------- ratio SLOs


def test_budget_b_is_exact_for_decimal_targets() -> None:
    # 1 - 0.995 in binary floats is 0.0050000000000000044; the budget of 99.5% is 0.005.
    assert error_budget(0.995) == 0.005
    assert error_budget(0.999) == 0.001
    assert ratio_spec(0.995).budget == 0.005
    assert SLOSpec(name="h", kind="threshold", target=0.8, direction="higher_is_better",
                   compliance=0.99).budget == 0.01


def test_ratio_budget_30_bad_of_10000_at_995() -> None:
    # 10,000 events, target 99.5%: B = 0.005, allowed_bad = 0.005 * 10,000 = 50
    # 30 bad: consumed = 30 / 50 = 0.6, remaining = 1 - 0.6 = 0.4
    b = budget_of(ratio_spec(), SLIData(buckets=spread(10_000, 30)))
    assert b.total == 10_000 and b.good == 9_970 and b.bad == 30
    assert b.allowed_bad == pytest.approx(50)
    assert b.consumed == pytest.approx(0.6)
    assert b.remaining == pytest.approx(0.4)
    assert b.budget == 0.005


def test_ratio_budget_overspent_goes_negative() -> None:
    # 80 bad of 10,000 at 99.5%: consumed = 80 / 50 = 1.6, remaining = -0.6 (true figure kept)
    b = budget_of(ratio_spec(), SLIData(buckets=spread(10_000, 80)))
    assert b.consumed == pytest.approx(1.6)
    assert b.remaining == pytest.approx(-0.6)


def test_ratio_budget_exactly_spent_and_untouched() -> None:
    assert budget_of(ratio_spec(), SLIData(buckets=spread(10_000, 50))).remaining == pytest.approx(0.0)
    b = budget_of(ratio_spec(), SLIData(buckets=spread(10_000, 0)))
    assert b.consumed == 0.0 and b.remaining == 1.0


def test_ratio_budget_zero_traffic_is_none_not_nan() -> None:
    b = budget_of(ratio_spec(), SLIData(buckets=((NOW - 3600, 0.0, 0.0),)))
    assert b.total == 0 and b.consumed is None and b.remaining is None
    b = budget_of(ratio_spec(), SLIData())
    assert b.consumed is None and b.remaining is None and b.budget == 0.005


def test_ratio_budget_only_counts_the_period_half_open() -> None:
    # period 7d: [now - 7d, now). A bucket at exactly now - 7d counts, one at now does not,
    # one a second before the period does not.
    spec = ratio_spec(period=7 * DAY)
    buckets = (
        (NOW - 7 * DAY, 990.0, 1000.0),  # in: 10 bad
        (NOW - 7 * DAY - 1, 0.0, 1000.0),  # out
        (NOW, 0.0, 1000.0),  # out
        (NOW - 1, 1000.0, 1000.0),  # in
    )
    b = budget_of(spec, SLIData(buckets=buckets))
    # total 2000, bad 10, allowed 0.005 * 2000 = 10 -> consumed exactly 1.0
    assert (b.total, b.bad) == (2000, 10)
    assert b.consumed == pytest.approx(1.0)
    assert b.remaining == pytest.approx(0.0)


def test_ratio_period_answered_directly_takes_precedence() -> None:
    spec = ratio_spec(period=30 * DAY)
    data = SLIData(buckets=spread(10_000, 80), windows={30 * DAY: (9_990.0, 10_000.0)})
    b = budget_of(spec, data)
    assert b.bad == 10 and b.consumed == pytest.approx(0.2)


def test_ratio_meets_target() -> None:
    spec = ratio_spec()
    assert meets_target(spec, budget_of(spec, SLIData(buckets=spread(10_000, 50)))) is True  # 0.995 exactly
    assert meets_target(spec, budget_of(spec, SLIData(buckets=spread(10_000, 51)))) is False
    assert meets_target(spec, budget_of(spec, SLIData())) is None


# --------------------------------------------------------------------------- threshold SLOs


def day_of_slices(bad: int, spec: SLOSpec) -> tuple:
    """288 five-minute slices covering the day before NOW; the first ``bad`` miss the target."""
    miss = spec.target * 2 if spec.direction == "lower_is_better" else spec.target / 2
    return tuple((NOW - DAY + 300 * i, miss if i < bad else spec.target) for i in range(288))


P95 = SLOSpec(name="response_time_p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
              direction="lower_is_better", period=DAY, compliance=0.99)


def test_time_slice_compliance_288_slices_2_bad() -> None:
    # 288 slices (1 day of 5m), 2 bad, compliance target 0.99, P = 86400 s:
    # compliance = 286/288 = 0.993055...
    # consumed = (2/288) / 0.01 = 0.694444..., remaining = 0.305555...
    # time_left = remaining * 0.01 * 86400 = 864 - (2/288)*86400 = 864 - 600 = 264 s
    b = budget_of(P95, SLIData(slices=day_of_slices(2, P95)))
    assert (b.good_slices, b.slices) == (286, 288)
    assert b.compliance == pytest.approx(286 / 288)
    assert b.consumed == pytest.approx(0.6944444444)
    assert b.remaining == pytest.approx(0.3055555556)
    assert b.time_left == pytest.approx(264.0)


def test_time_slice_compliance_288_slices_3_bad_overspent() -> None:
    # 3 bad: compliance = 285/288 = 0.989583..., consumed = (3/288)/0.01 = 1.041666...,
    # remaining = -0.041666..., time_left = 864 - 900 = -36 s
    b = budget_of(P95, SLIData(slices=day_of_slices(3, P95)))
    assert b.compliance == pytest.approx(285 / 288)
    assert b.consumed == pytest.approx(1.0416666667)
    assert b.remaining == pytest.approx(-0.0416666667)
    assert b.time_left == pytest.approx(-36.0)
    assert meets_target(P95, b) is False


def test_time_slice_equality_meets_and_direction() -> None:
    # a slice exactly at target is good; higher-is-better slices are judged the other way round
    helpful = SLOSpec(name="helpfulness", kind="threshold", target=0.85, direction="higher_is_better",
                      period=DAY, compliance=0.99)
    slices = ((NOW - 600, 0.85), (NOW - 300, math.nextafter(0.85, 0)))
    b = budget_of(helpful, SLIData(slices=slices))
    assert (b.good_slices, b.slices) == (1, 2)
    lower = ((NOW - 600, 2000.0), (NOW - 300, math.nextafter(2000.0, math.inf)))
    b = budget_of(P95, SLIData(slices=lower))
    assert (b.good_slices, b.slices) == (1, 2)


def test_time_slice_no_data_and_nan_slices() -> None:
    b = budget_of(P95, SLIData(slices=((NOW - 300, math.nan), (NOW - 600, math.inf))))
    assert b.slices == 0 and b.compliance is None and b.remaining is None and b.time_left is None
    # NaN slices are skipped, not counted as good or bad: 1 good of 1
    b = budget_of(P95, SLIData(slices=((NOW - 300, math.nan), (NOW - 600, 1000.0))))
    assert (b.good_slices, b.slices, b.remaining) == (1, 1, 1.0)


def test_time_slice_meets_target_at_exact_compliance() -> None:
    # 100 slices, 1 bad: compliance 0.99 == target 0.99 -> meets (equality meets)
    spec = SLOSpec(name="p95_ms", kind="threshold", target=2000, direction="lower_is_better", period=DAY)
    slices = tuple((NOW - 300 * k, 3000.0 if k == 1 else 1000.0) for k in range(1, 101))
    b = budget_of(spec, SLIData(slices=slices))
    assert b.compliance == 0.99
    assert b.remaining == pytest.approx(0.0)
    assert meets_target(spec, b) is True


# --------------------------------------------------------------------------- calendar month


def test_calendar_month_bounds() -> None:
    feb = datetime(2026, 2, 15, 12, tzinfo=timezone.utc).timestamp()
    start, length = month_bounds(feb)
    assert start == datetime(2026, 2, 1, tzinfo=timezone.utc).timestamp()
    assert length == 28 * DAY
    assert month_bounds(datetime(2026, 3, 31, 23, 59, tzinfo=timezone.utc).timestamp())[1] == 31 * DAY
    assert month_bounds(datetime(2028, 2, 29, tzinfo=timezone.utc).timestamp())[1] == 29 * DAY  # leap year
    # the first instant of a month belongs to that month
    first = datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp()
    assert month_bounds(first) == (first, 31 * DAY)


def test_calendar_month_budget_counts_from_the_first_of_the_month() -> None:
    now = datetime(2026, 2, 15, 12, tzinfo=timezone.utc).timestamp()
    first = datetime(2026, 2, 1, tzinfo=timezone.utc).timestamp()
    spec = ratio_spec(calendar_month=True)
    buckets = (
        (first - 300, 0.0, 5000.0),  # Jan 31 23:55: last month, out
        (first, 995.0, 1000.0),  # Feb 1 00:00: in, 5 bad
        (now - 300, 1000.0, 1000.0),
    )
    b = budget_of(spec, SLIData(buckets=buckets), now)
    # total 2000, bad 5, allowed 0.005 * 2000 = 10 -> consumed 0.5
    assert (b.total, b.bad) == (2000, 5)
    assert b.consumed == pytest.approx(0.5)
    result = evaluate_slo(spec, SLIData(buckets=buckets), now)
    assert result.period_start == first and result.period_length == 28 * DAY


def test_calendar_month_time_left_uses_the_whole_month() -> None:
    now = datetime(2026, 2, 15, 12, tzinfo=timezone.utc).timestamp()
    spec = SLOSpec(name="p95_ms", kind="threshold", target=2000, direction="lower_is_better",
                   calendar_month=True, compliance=0.99)
    slices = tuple((now - 300 * k, 1000.0) for k in range(1, 101))
    b = budget_of(spec, SLIData(slices=slices), now)
    # remaining 1.0 -> time_left = 1.0 * 0.01 * 28 days = 24192 s
    assert b.time_left == pytest.approx(0.01 * 28 * DAY)


# --------------------------------------------------------------------------- budget over time


def test_ratio_budget_timeline_cumulates_events_from_the_period_start() -> None:
    # 99% target, B = 0.01; 30-day period ends at NOW. Buckets (start, good, total):
    #   before the period: 0/1000 (must not count)
    #   t1: 0/0        -> skipped, no events yet
    #   t2: 995/1000   -> bad 5 of 1000:  1 - 5 / (0.01 * 1000) = 0.5
    #   t3: 1000/1000  -> bad 5 of 2000:  1 - 5 / 20            = 0.75
    #   t4: 980/1000   -> bad 25 of 3000: 1 - 25 / 30           = 1/6
    #   t5: 960/1000   -> bad 65 of 4000: 1 - 65 / 40           = -0.625 (overspent, kept)
    #   at NOW: outside [start, NOW), not counted
    spec = ratio_spec(0.99)
    start = NOW - 30 * DAY
    t = [start + 3600 * i for i in range(1, 6)]
    buckets = ((start - 3600, 0.0, 1000.0), (t[0], 0.0, 0.0), (t[1], 995.0, 1000.0), (t[2], 1000.0, 1000.0),
               (t[3], 980.0, 1000.0), (t[4], 960.0, 1000.0), (NOW, 0.0, 1000.0))
    result = evaluate_slo(spec, SLIData(buckets=buckets, fetched_at=NOW), NOW)
    timeline = budget_timeline(result)
    assert [p[0] for p in timeline] == t[1:]
    assert [p[1] for p in timeline] == pytest.approx([0.5, 0.75, 1 / 6, -0.625])
    # the last point is the period's budget from the same buckets
    assert timeline[-1][1] == pytest.approx(result.budget.remaining)


def test_threshold_budget_timeline_after_each_slice() -> None:
    # p95 <= 2000 ms, compliance 0.9 (B = 0.1). Slices 1500, 2500, 2000, 1800, 3000:
    #   k=1 good 1: 1 - 0/1 / 0.1   = 1
    #   k=2 good 1: 1 - (1/2) / 0.1 = -4
    #   k=3 good 2 (2000 meets):      1 - (1/3) / 0.1 = -7/3
    #   k=4 good 3: 1 - (1/4) / 0.1 = -1.5
    #   k=5 good 3: 1 - (2/5) / 0.1 = -3
    spec = SLOSpec(name="p95", kind="threshold", target=2000, direction="lower_is_better", compliance=0.9,
                   period=DAY, slice=300)
    slices = tuple((NOW - 3000 + 300 * i, v) for i, v in enumerate((1500.0, 2500.0, 2000.0, 1800.0, 3000.0)))
    result = evaluate_slo(spec, SLIData(value=3000.0, slices=slices, fetched_at=NOW), NOW)
    timeline = budget_timeline(result)
    assert [p[0] for p in timeline] == [s[0] for s in slices]
    assert [p[1] for p in timeline] == pytest.approx([1.0, -4.0, -7 / 3, -1.5, -3.0])
    assert timeline[-1][1] == pytest.approx(result.budget.remaining)


def test_budget_timeline_is_empty_without_data_or_budget() -> None:
    assert budget_timeline(evaluate_slo(ratio_spec(), SLIData(fetched_at=NOW), NOW)) == []
    no_budget = SLOSpec(name="a", kind="ratio", target=1.0, direction="higher_is_better", period=DAY)
    buckets = ((NOW - 3600, 10.0, 10.0),)
    assert budget_timeline(evaluate_slo(no_budget, SLIData(buckets=buckets, fetched_at=NOW), NOW)) == []


def test_result_buckets_are_the_clean_period_buckets_and_share_clean_input() -> None:
    spec = ratio_spec(0.99, period=DAY)
    clean = tuple((NOW - 3600 * (5 - i), 99.0, 100.0) for i in range(5))
    result = evaluate_slo(spec, SLIData(buckets=((NOW - 2 * DAY, 0.0, 5.0), *clean), fetched_at=NOW), NOW)
    assert result.buckets == clean and all(a is b for a, b in zip(result.buckets, clean))
    # unsorted, with a NaN and good > total: cleaned (dropped, clamped), sorted, in the period only
    messy = ((NOW - 1800, 5.0, 4.0), (NOW - 3600, float("nan"), 10.0), (NOW - 7200, 1.0, 2.0))
    result = evaluate_slo(spec, SLIData(buckets=messy, fetched_at=NOW), NOW)
    assert result.buckets == ((NOW - 7200, 1.0, 2.0), (NOW - 1800, 4.0, 4.0))
