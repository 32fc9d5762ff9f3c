"""The budget and burn rates of a spend SLO (slotui.core.spend_budget): hand-worked numbers.

November 2026 has 30 days (L = 2,592,000 s); the budget is $3,000 for the month, so the even
pace is $100/day. The default tiers' factors for L: 1h/5m 0.02 x 30d / 1h = 14.4,
6h/30m 0.05 x 30d / 6h = 6, 3d/6h 0.10 x 30d / 3d = 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from slotui.core.budget import budget_timeline
from slotui.core.evaluate import evaluate_slo
from slotui.core.spend_budget import spend_budget, spend_burn_rates, window_spend
from slotui.core.types import DAY, HOUR, MINUTE, SLIData, SLOSpec, Status


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


SPEND = SLOSpec(
    name="monthly_spend", kind="threshold", target=3000.0, warning=3300.0, critical=3600.0,
    direction="lower_is_better", unit="usd", sli_field="gen_ai.usage.cost", sli_agg="sum",
    window=30 * DAY, period=30 * DAY, calendar_month=True, calendar_window="month", forecast=True,
    slice=5 * MINUTE,
)
L = 30 * DAY


def test_the_budget_is_the_target_amount() -> None:
    b = spend_budget(SPEND, 2140.0)
    # 2140 / 3000 = 0.71333...; 1 - that = 0.28666...
    assert b.consumed == pytest.approx(2140 / 3000, abs=1e-12)
    assert b.remaining == pytest.approx(860 / 3000, abs=1e-12)
    assert (b.bad, b.allowed_bad, b.compliance, b.slices) == (2140.0, 3000.0, None, None)
    over = spend_budget(SPEND, 3600.0)  # 20% over: remaining -0.2
    assert over.remaining == pytest.approx(-0.2, abs=1e-12)
    assert spend_budget(SPEND, None).remaining is None
    assert spend_budget(replace(SPEND, target=0.0), 10.0).remaining is None


def test_window_spend_sums_the_slices_starting_in_the_window() -> None:
    slices = [(0.0, 1.0), (300.0, 2.0), (600.0, float("nan")), (900.0, 4.0)]
    assert window_spend(slices, 300.0, 900.0) == (2.0, 1)  # NaN is not spend; 900 is outside [300, 900)
    assert window_spend(slices, 0.0, 1200.0) == (7.0, 3)


def test_a_spend_spike_fires_the_fast_tier() -> None:
    now = ts("2026-11-11T00:00:00")
    # the last hour: 12 slices of $10 = $120. Even pace over 1h: 3000 x 3600 / L = $4.1666...
    # -> 28.8; the last 5m: $10 against 3000 x 300 / L = $0.34722... -> 28.8. Both > 14.4: fires.
    slices = [(now - HOUR + k * 300.0, 10.0) for k in range(12)]
    fast, mid, slow = spend_burn_rates(SPEND, slices, now, L)
    assert fast.factor == pytest.approx(14.4) and fast.long_rate == pytest.approx(28.8)
    assert fast.short_rate == pytest.approx(28.8) and fast.firing and fast.long_events == 12
    # 6h/30m (F = 6): $120 over 6h against 3000 x 6h / L = $25 -> 4.8; 30m: $60 / $2.0833 = 28.8
    assert mid.long_rate == pytest.approx(4.8) and mid.short_rate == pytest.approx(28.8) and not mid.firing
    # 3d/6h (F = 1): $120 / $300 = 0.4; 6h: 4.8 -> not firing
    assert slow.long_rate == pytest.approx(0.4) and slow.short_rate == pytest.approx(4.8) and not slow.firing


def test_no_spend_in_a_window_is_no_rate_and_low_traffic() -> None:
    now = ts("2026-11-11T00:00:00")
    fast = spend_burn_rates(SPEND, [(now - 2 * HOUR, 50.0)], now, L)[0]
    assert (fast.long_rate, fast.short_rate, fast.firing, fast.low_traffic) == (None, None, False, True)


def test_evaluate_reports_the_spend_budget_and_pace() -> None:
    # Nov 11 00:00: $1,000 so far, the last 24h at $100/day -- exactly the even pace
    now = ts("2026-11-11T00:00:00")
    slices = [(now - DAY + k * 300.0, 100.0 / 288) for k in range(288)]
    r = evaluate_slo(SPEND, SLIData(value=1000.0, basis_value=100.0, slices=slices, fetched_at=now), now)
    assert r.budget is not None and r.budget.remaining == pytest.approx(2 / 3, abs=1e-12)
    slow = r.burn_rates[2]  # 3d window holds only the last day's $100 against $300 of pace: 1/3
    assert slow.long_rate == pytest.approx(1 / 3) and slow.short_rate == pytest.approx(1.0)
    # the projection (1000 + 100 x 20 = 3000) meets the target: OK, even with two thirds of the budget left
    assert r.status == Status.OK
    timeline = budget_timeline(r)
    assert len(timeline) == 288 and timeline[-1][1] == pytest.approx(1 - 100 / 3000)  # this month's slices only


def test_late_in_the_month_a_mostly_spent_budget_on_track_is_not_at_risk() -> None:
    # Nov 28 00:00: $2,800 so far (6.7% left), $70/day over the basis: 2800 + 70 x 3 = 3010 > 3000
    # but under the 3,300 warning -> AT RISK from the projection; at $60/day 2980 -> OK (the small
    # budget left does not make it AT RISK: with a forecast, the projection is the judgement)
    now = ts("2026-11-28T00:00:00")
    assert evaluate_slo(SPEND, SLIData(value=2800.0, basis_value=70.0), now).status == Status.AT_RISK
    assert evaluate_slo(SPEND, SLIData(value=2800.0, basis_value=60.0), now).status == Status.OK
    no_forecast = replace(SPEND, forecast=False, at_risk_below=0.1)
    assert evaluate_slo(no_forecast, SLIData(value=2800.0), now).status == Status.AT_RISK  # 6.7% < 10% left
