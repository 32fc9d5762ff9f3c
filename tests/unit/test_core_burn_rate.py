"""Multi-window, multi-burn-rate alerts: SRE workbook factors and exact firing rules."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from slotui.core.burn_rate import evaluate_tiers, factor_warnings, window_counts
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, DEFAULT_TIERS, HOUR, MINUTE, BurnTier, SLIData, SLOSpec

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def spec(target: float = 0.999, period: float = 30 * DAY, **kw: object) -> SLOSpec:
    return SLOSpec(name="availability", kind="ratio", target=target, direction="higher_is_better",
                   period=period, **kw)  # type: ignore[arg-type]


def last_hour(bad_per_bucket: list[int], events: int = 1000) -> tuple:
    """Twelve 5m buckets of the last hour; index 0 is the newest ([now-5m, now))."""
    return tuple((NOW - 300 * (k + 1), float(events - bad), float(events)) for k, bad in enumerate(bad_per_bucket))


# --------------------------------------------------------------------------- SRE workbook table


@pytest.mark.parametrize(
    ("period_days", "factors"),
    [
        # 30d: 0.02*720h/1h = 14.4, 0.05*720h/6h = 6, 0.10*30d/3d = 1
        (30, (14.4, 6.0, 1.0)),
        # 7d: 0.02*168 = 3.36, 0.05*168/6 = 1.4, 0.10*7/3 = 0.2333...
        (7, (3.36, 1.4, 0.7 / 3)),
        # 28d: 0.02*672 = 13.44, 0.05*672/6 = 5.6, 0.10*28/3 = 0.9333...
        (28, (13.44, 5.6, 2.8 / 3)),
    ],
)
def test_sre_workbook_factors(period_days: int, factors: tuple[float, float, float]) -> None:
    got = tuple(t.effective_factor(period_days * DAY) for t in DEFAULT_TIERS)
    assert got == pytest.approx(factors)
    rates = evaluate_tiers(spec(period=period_days * DAY), SLIData(), NOW)
    assert tuple(b.factor for b in rates) == pytest.approx(factors)


def test_default_tier_windows_and_severities() -> None:
    assert [(t.severity, t.long_window, t.short_window) for t in DEFAULT_TIERS] == [
        ("critical", HOUR, 5 * MINUTE), ("critical", 6 * HOUR, 30 * MINUTE), ("warning", 3 * DAY, 6 * HOUR)]


def test_absolute_factor_tier() -> None:
    assert BurnTier("warning", HOUR, 5 * MINUTE, factor=2.0).effective_factor(7 * DAY) == 2.0


def test_calendar_month_factor_uses_the_month_length() -> None:
    feb = datetime(2026, 2, 10, tzinfo=timezone.utc).timestamp()
    mar = datetime(2026, 3, 10, tzinfo=timezone.utc).timestamp()
    s = spec(calendar_month=True)
    # February 2026: 28 days -> 0.02 * 672 = 13.44; March: 31 days -> 0.02 * 744 = 14.88
    assert evaluate_tiers(s, SLIData(), feb)[0].factor == pytest.approx(13.44)
    assert evaluate_tiers(s, SLIData(), mar)[0].factor == pytest.approx(14.88)


def test_factor_below_one_is_a_configuration_warning() -> None:
    assert factor_warnings(spec(period=30 * DAY), NOW) == []
    warnings = factor_warnings(spec(period=7 * DAY), NOW)
    assert len(warnings) == 1 and "3d/6h" in warnings[0] and "0.2333" in warnings[0]


# --------------------------------------------------------------------------- firing


def test_fires_when_both_windows_burn() -> None:
    # B = 0.001. Every bucket of the last hour: 20 bad of 1000 -> 1h and 5m error ratio 0.02,
    # burn rate 0.02 / 0.001 = 20 > 14.4 in both windows -> the 1h/5m page fires.
    rates = evaluate_tiers(spec(), SLIData(buckets=last_hour([20] * 12)), NOW)
    page = rates[0]
    assert page.long_rate == pytest.approx(20.0) and page.short_rate == pytest.approx(20.0)
    assert page.long_events == 12000 and page.short_events == 1000
    assert page.firing
    # 6h/30m: 30m = 6 buckets at 0.02 -> 20 > 6, but 6h holds only these 12 buckets:
    # 240 bad / 12000 = 0.02 -> 20 > 6 too (no other buckets), so it fires as well
    assert rates[1].long_rate == pytest.approx(20.0) and rates[1].firing


def test_short_window_alone_does_not_fire() -> None:
    # only the newest bucket is bad: 100 of 1000 -> 5m rate 0.1/0.001 = 100 > 14.4,
    # 1h: 100 / 12000 = 0.008333 -> 8.33 < 14.4 -> no page
    page = evaluate_tiers(spec(), SLIData(buckets=last_hour([100] + [0] * 11)), NOW)[0]
    assert page.short_rate == pytest.approx(100.0)
    assert page.long_rate == pytest.approx(100 / 12000 / 0.001)
    assert not page.firing


def test_long_window_alone_does_not_fire() -> None:
    # the newest bucket is clean, the 11 before have 30 bad each:
    # 1h: 330 / 12000 = 0.0275 -> 27.5 > 14.4; 5m: 0 -> 0 -> no page (already recovering)
    page = evaluate_tiers(spec(), SLIData(buckets=last_hour([0] + [30] * 11)), NOW)[0]
    assert page.long_rate == pytest.approx(27.5)
    assert page.short_rate == 0.0
    assert not page.firing


def test_exactly_at_the_factor_does_not_fire_strictly_greater() -> None:
    # 12 buckets of 1250 events, 18 bad each: 1h = 216/15000 = 0.0144 = 14.4 * B, 5m = 18/1250 = 0.0144
    at = evaluate_tiers(spec(), SLIData(buckets=last_hour([18] * 12, events=1250)), NOW)[0]
    assert at.long_rate == pytest.approx(14.4) and at.short_rate == pytest.approx(14.4)
    assert not at.firing
    # 19 bad each: 0.0152 -> 15.2 > 14.4 in both -> fires
    above = evaluate_tiers(spec(), SLIData(buckets=last_hour([19] * 12, events=1250)), NOW)[0]
    assert above.long_rate == pytest.approx(15.2)
    assert above.firing


def test_min_events_low_traffic_does_not_fire() -> None:
    # 1h has 12 x 50 = 600 events, 5m only 50, all bad: rates 1/0.001 = 1000, but min_events 100
    # means the 5m window is low traffic -> no page, shown as low traffic
    s = spec(min_events=100)
    page = evaluate_tiers(s, SLIData(buckets=last_hour([50] * 12, events=50)), NOW)[0]
    assert page.long_rate == pytest.approx(1000.0) and page.short_rate == pytest.approx(1000.0)
    assert page.low_traffic and not page.firing
    result = evaluate_slo(s, SLIData(buckets=last_hour([50] * 12, events=50)), NOW)
    assert result.low_traffic
    # with min_events 50 the same traffic fires
    assert evaluate_tiers(spec(min_events=50), SLIData(buckets=last_hour([50] * 12, events=50)), NOW)[0].firing


def test_zero_traffic_window_has_no_rate_and_does_not_fire() -> None:
    page = evaluate_tiers(spec(), SLIData(buckets=((NOW - 300, 0.0, 0.0),)), NOW)[0]
    assert page.long_rate is None and page.short_rate is None
    assert page.long_error_ratio is None
    assert page.low_traffic and not page.firing


def test_window_is_half_open() -> None:
    buckets = (
        (NOW - HOUR, 0.0, 10.0),  # exactly now - 1h: in
        (NOW - HOUR - 300, 0.0, 1000.0),  # before: out
        (NOW, 0.0, 1000.0),  # exactly now: out
        (NOW - 1, 5.0, 10.0),  # in
    )
    s = spec()
    c = window_counts(s, SLIData(buckets=buckets), NOW, HOUR)
    assert c is not None and (c.good, c.total, c.bad) == (5.0, 20.0, 15.0)
    c5 = window_counts(s, SLIData(buckets=buckets), NOW, 5 * MINUTE)
    assert c5 is not None and (c5.good, c5.total) == (5.0, 10.0)


def test_windows_answered_by_the_source_take_precedence() -> None:
    # buckets say clean, the source's own 1h and 5m answers say 2% bad -> they win
    data = SLIData(buckets=last_hour([0] * 12), windows={HOUR: (980.0, 1000.0), 5 * MINUTE: (98.0, 100.0)})
    page = evaluate_tiers(spec(), data, NOW)[0]
    assert page.long_rate == pytest.approx(20.0) and page.short_rate == pytest.approx(20.0)
    assert page.long_events == 1000 and page.short_events == 100
    assert page.firing


def test_threshold_slo_burn_rate_is_share_of_bad_slices() -> None:
    # compliance 0.99 -> B = 0.01. Last hour: 12 slices, 3 over 2000 ms -> error ratio 0.25,
    # burn 25 > 14.4; newest slice bad -> 5m: 1/1 -> 100 > 14.4 -> page fires
    s = SLOSpec(name="p95_ms", kind="threshold", target=2000, direction="lower_is_better", period=30 * DAY)
    slices = tuple((NOW - 300 * (k + 1), 2500.0 if k < 3 else 1500.0) for k in range(12))
    page = evaluate_tiers(s, SLIData(slices=slices), NOW)[0]
    assert page.long_events == 12 and page.short_events == 1
    assert page.long_rate == pytest.approx(25.0) and page.short_rate == pytest.approx(100.0)
    assert page.firing


def test_error_ratios_are_reported() -> None:
    page = evaluate_tiers(spec(), SLIData(buckets=last_hour([20] * 12)), NOW)[0]
    assert page.long_error_ratio == pytest.approx(0.02) and page.short_error_ratio == pytest.approx(0.02)


def test_nan_counts_are_ignored() -> None:
    buckets = last_hour([0] * 12) + ((NOW - 150, math.nan, 10.0), (NOW - 140, 1.0, math.inf))
    page = evaluate_tiers(spec(), SLIData(buckets=buckets), NOW)[0]
    assert page.long_events == 12000 and page.long_rate == 0.0
