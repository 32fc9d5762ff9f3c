"""Spend forecasts (SPEC 10.4): hand-worked projections through the pure core.

Every number below is worked out by hand in the comments; times are UTC.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.core.evaluate import evaluate_slo
from slotui.core.forecast import basis_start, project, window_span
from slotui.core.types import DAY, HOUR, SLIData, SLOSpec, Status


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


SPEND = SLOSpec(
    name="monthly_spend", kind="threshold", target=2500.0, warning=2800.0, critical=3200.0,
    direction="lower_is_better", unit="usd", sli_field="gen_ai.usage.cost", sli_agg="sum",
    window=30 * DAY, period=30 * DAY, calendar_month=True, calendar_window="month", forecast=True,
)


def test_steady_spend_projects_to_the_end_of_the_month() -> None:
    # Nov 2026 has 30 days; on Nov 11 00:00 ten days are gone: $1,000 so far at $100/day.
    now = ts("2026-11-11T00:00:00")
    r = evaluate_slo(SPEND, SLIData(value=1000.0, basis_value=100.0, fetched_at=now), now)
    f = r.forecast
    assert f is not None
    assert f.basis_s == DAY and f.rate_per_day == pytest.approx(100.0, abs=1e-9)
    # 20 days left: 1000 + 100 x 20 = 3000
    assert f.value_at_end == pytest.approx(3000.0, abs=1e-9)
    # the $2,500 target is reached after (2500 - 1000) / 100 = 15 days: Nov 26 00:00
    assert f.exhausted_at == pytest.approx(ts("2026-11-26T00:00:00"), abs=1e-6)
    assert (f.window_start, f.window_end) == (ts("2026-11-01T00:00:00"), ts("2026-12-01T00:00:00"))
    # 3000 is worse than warning 2800, better than critical 3200; the value stays the sum so far
    assert r.status == Status.WARNING and r.value == 1000.0 and r.meets_target is False


def test_a_spike_in_the_basis_raises_the_projection() -> None:
    # same month so far, but the last 24h spent $400: 1000 + 400 x 20 = 9000 -> CRITICAL
    now = ts("2026-11-11T00:00:00")
    f = evaluate_slo(SPEND, SLIData(value=1000.0, basis_value=400.0), now).forecast
    assert f is not None and f.value_at_end == pytest.approx(9000.0, abs=1e-9)
    # (2500 - 1000) / 400 = 3.75 days after Nov 11 00:00: Nov 14 18:00
    assert f.exhausted_at == pytest.approx(ts("2026-11-14T18:00:00"), abs=1e-6)
    assert evaluate_slo(SPEND, SLIData(value=1000.0, basis_value=400.0), now).status == Status.CRITICAL


def test_a_window_shorter_than_the_basis_uses_the_window_so_far() -> None:
    # Nov 1 06:00: the month is 6h old, the 24h basis is cut to those 6h; $30 spent -> $120/day
    now = ts("2026-11-01T06:00:00")
    assert basis_start(SPEND, now) == ts("2026-11-01T00:00:00")
    f = evaluate_slo(SPEND, SLIData(value=30.0, basis_value=30.0), now).forecast
    assert f is not None and f.basis_s == 6 * HOUR
    assert f.rate_per_day == pytest.approx(120.0, abs=1e-9)
    # 29.75 days left: 30 + 120 x 29.75 = 3600
    assert f.value_at_end == pytest.approx(3600.0, abs=1e-9)
    # (2500 - 30) / 120 = 20.5833.. days = 20d 14h after Nov 1 06:00: Nov 21 20:00
    assert f.exhausted_at == pytest.approx(ts("2026-11-21T20:00:00"), abs=1e-6)
    # a custom basis longer than the window so far is cut the same way; a shorter one is kept
    assert basis_start(replace(SPEND, forecast_basis=3 * HOUR), now) == ts("2026-11-01T03:00:00")


def test_the_basis_from_slices_when_the_source_gives_none() -> None:
    # 1h slices of $10 each over the first 6 hours of Nov 1, plus $25 in the 06:00 slice cut at now
    spec = replace(SPEND, slice=HOUR, forecast_basis=2 * HOUR)
    now = ts("2026-11-01T06:30:00")
    slices = tuple((ts("2026-11-01T00:00:00") + k * HOUR, 10.0) for k in range(6)) + ((ts("2026-11-01T06:00:00"), 25.0),)
    f = evaluate_slo(spec, SLIData(value=85.0, slices=slices), now).forecast
    # the basis [04:30, 06:30) holds the slices starting 05:00 and 06:00: $35 over 2h -> $420/day
    assert f is not None and f.rate_per_day == pytest.approx(420.0, abs=1e-9)


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        ("2027-01-31T12:00:00", "2027-01-01T00:00:00", "2027-02-01T00:00:00"),  # Jan 31 -> Feb
        ("2027-02-01T00:00:00", "2027-02-01T00:00:00", "2027-03-01T00:00:00"),  # the first instant is the new month
        ("2028-02-29T00:00:00", "2028-02-01T00:00:00", "2028-03-01T00:00:00"),  # leap February
        ("2026-12-31T18:00:00", "2026-12-01T00:00:00", "2027-01-01T00:00:00"),  # Dec -> Jan
    ],
)
def test_month_boundaries(now: str, start: str, end: str) -> None:
    assert window_span(SPEND, ts(now)) == (ts(start), ts(end))


def test_projection_at_the_end_of_jan_and_of_a_leap_february() -> None:
    # Jan 31 12:00: $2,480 so far, $48/day: 12h left -> 2480 + 24 = 2504 > 2500, gone at 2480 + 2 x t/day:
    # t = 20 / 48 days = 10h -> Jan 31 22:00
    f = evaluate_slo(SPEND, SLIData(value=2480.0, basis_value=48.0), ts("2027-01-31T12:00:00")).forecast
    assert f is not None and f.value_at_end == pytest.approx(2504.0, abs=1e-9)
    assert f.exhausted_at == pytest.approx(ts("2027-01-31T22:00:00"), abs=1e-6)
    # Feb 29 2028 00:00: one day left (to Mar 1): 2000 + 100 = 2100, never reaches 2500
    f = evaluate_slo(SPEND, SLIData(value=2000.0, basis_value=100.0), ts("2028-02-29T00:00:00")).forecast
    assert f is not None and f.value_at_end == pytest.approx(2100.0, abs=1e-9) and f.exhausted_at is None
    # Dec 31 18:00: 6h left at $80/day -> 2400 + 20 = 2420 (OK)
    r = evaluate_slo(SPEND, SLIData(value=2400.0, basis_value=80.0), ts("2026-12-31T18:00:00"))
    assert r.forecast is not None and r.forecast.value_at_end == pytest.approx(2420.0, abs=1e-9)
    assert r.status == Status.OK


def test_first_instant_of_a_month_projects_no_spend() -> None:
    # at Feb 1 00:00 the basis has length 0: no rate, the projection is what was spent (here 0)
    f = evaluate_slo(SPEND, SLIData(value=0.0, basis_value=None), ts("2027-02-01T00:00:00")).forecast
    assert f is not None and (f.basis_s, f.rate_per_day, f.value_at_end, f.exhausted_at) == (0.0, 0.0, 0.0, None)


def test_week_and_day_windows() -> None:
    week = replace(SPEND, calendar_window="week", calendar_month=False, window=7 * DAY, period=7 * DAY,
                   period_anchor=4 * DAY, target=700.0, warning=None, critical=None)
    # Wed Dec 2 2026 12:00: the week started Mon Nov 30 00:00 and ends Mon Dec 7 00:00
    now = ts("2026-12-02T12:00:00")
    assert window_span(week, now) == (ts("2026-11-30T00:00:00"), ts("2026-12-07T00:00:00"))
    # $250 so far, $100 in the last 24h: 4.5 days left -> 250 + 450 = 700: reaches the target exactly
    # at the end, which meets it (equality counts as meeting) and is not "gone within the window"
    r = evaluate_slo(week, SLIData(value=250.0, basis_value=100.0), now)
    assert r.forecast is not None and r.forecast.value_at_end == pytest.approx(700.0, abs=1e-9)
    assert r.forecast.exhausted_at is None and r.status == Status.OK
    day = replace(week, calendar_window="day", window=DAY, period=DAY, period_anchor=0.0, target=100.0)
    assert window_span(day, now) == (ts("2026-12-02T00:00:00"), ts("2026-12-03T00:00:00"))
    # 12h into the day, $60 so far (the whole day so far is the basis): $120/day, 60 + 60 = 120 > 100
    r = evaluate_slo(day, SLIData(value=60.0, basis_value=60.0), now)
    assert r.forecast is not None and r.forecast.basis_s == 12 * HOUR
    assert r.forecast.value_at_end == pytest.approx(120.0, abs=1e-9)
    # (100 - 60) / 120 days = 8h after 12:00
    assert r.forecast.exhausted_at == pytest.approx(ts("2026-12-02T20:00:00"), abs=1e-6)
    assert r.status == Status.AT_RISK  # worse than the target; no warning/critical set


def test_fixed_duration_windows_are_epoch_aligned_blocks() -> None:
    spec = replace(SPEND, calendar_window="fixed", calendar_month=False, window=10 * DAY, period=10 * DAY)
    # 10-day blocks from the epoch: 2025-12-05 is epoch day 20427, in the block of days 20420-20429,
    # 2025-11-28 to 2025-12-08
    now = ts("2025-12-05T00:00:00")
    assert window_span(spec, now) == (ts("2025-11-28T00:00:00"), ts("2025-12-08T00:00:00"))


def test_no_spend_at_all_is_no_data() -> None:
    # no record in the month: the source answers no sum (None), which is NO DATA, never OK
    r = evaluate_slo(SPEND, SLIData(value=None, basis_value=None, fetched_at=0.0), ts("2026-11-11T00:00:00"))
    assert r.status == Status.NO_DATA and r.forecast is None


def test_spend_so_far_but_none_in_the_basis_projects_flat() -> None:
    # $1,000 earlier in the month, nothing in the last 24h: rate 0, the projection is $1,000 (OK)
    r = evaluate_slo(SPEND, SLIData(value=1000.0, basis_value=None), ts("2026-11-11T00:00:00"))
    assert r.forecast is not None and r.forecast.rate_per_day == 0.0
    assert r.forecast.value_at_end == 1000.0 and r.forecast.exhausted_at is None and r.status == Status.OK


def test_exhausted_after_the_window_is_null() -> None:
    # 1000 + 50 x 20 = 2000 by the end; the target would be reached after 30 days, past Dec 1
    f = evaluate_slo(SPEND, SLIData(value=1000.0, basis_value=50.0), ts("2026-11-11T00:00:00")).forecast
    assert f is not None and f.value_at_end == pytest.approx(2000.0, abs=1e-9) and f.exhausted_at is None


def test_already_exhausted_names_the_slice_where_it_went() -> None:
    # daily slices of $1,000: the running sum reaches $2,500 in the Nov 3 slice, which ends Nov 4 00:00
    spec = replace(SPEND, slice=DAY)
    now = ts("2026-11-05T12:00:00")
    slices = tuple((ts("2026-11-01T00:00:00") + k * DAY, 1000.0) for k in range(4)) + ((ts("2026-11-05T00:00:00"), 500.0),)
    r = evaluate_slo(spec, SLIData(value=4500.0, basis_value=1500.0, slices=slices), now)
    assert r.forecast is not None and r.forecast.exhausted_at == ts("2026-11-04T00:00:00")
    # without slices: now
    f = project(3000.0, 0.0, now=now, window_start=ts("2026-11-01T00:00:00"), window_end=ts("2026-12-01T00:00:00"),
                basis_from=now - DAY, target=2500.0)
    assert f.exhausted_at == now and f.value_at_end == 3000.0


def test_without_forecast_a_calendar_window_is_judged_on_the_sum_so_far() -> None:
    spec = replace(SPEND, forecast=False)
    r = evaluate_slo(spec, SLIData(value=1000.0, basis_value=None), ts("2026-11-11T00:00:00"))
    assert r.forecast is None and r.status == Status.OK and r.meets_target is True


@settings(max_examples=200, deadline=None)
@given(
    so_far=st.floats(0, 1e6), basis=st.floats(0, 1e6), elapsed=st.floats(0, 30 * DAY),
    target=st.floats(1, 1e6),
)
def test_projection_properties(so_far: float, basis: float, elapsed: float, target: float) -> None:
    start, end = ts("2026-11-01T00:00:00"), ts("2026-12-01T00:00:00")
    now = start + elapsed
    basis_from = max(start, now - DAY)
    f = project(so_far, basis, now=now, window_start=start, window_end=end, basis_from=basis_from, target=target)
    assert f.value_at_end >= so_far
    assert 0 <= f.basis_s <= DAY
    if f.exhausted_at is not None:
        assert start <= f.exhausted_at < end or f.exhausted_at == now
        assert f.value_at_end >= target
    elif so_far < target:
        # not exhausted within the window: the projection does not pass the target (up to rounding)
        assert f.value_at_end <= target * (1 + 1e-9)


def test_spend_curve_runs_the_sum_then_the_projection() -> None:
    from slotui.core.forecast import spend_curve

    # a 10-day "fixed" window cut into 10 points; daily slices of $10 for 4 days, now = day 4 00:00,
    # rate $20/day: the points are the running sum at the end of days 1-4, then 40 + 20 x k
    start = ts("2025-11-28T00:00:00")
    spec = replace(SPEND, calendar_window="fixed", calendar_month=False, window=10 * DAY, period=10 * DAY,
                   slice=DAY, target=1000.0)
    slices = tuple((start + k * DAY, 10.0) for k in range(4))
    now = start + 4 * DAY
    r = evaluate_slo(spec, SLIData(value=40.0, basis_value=20.0, slices=slices), now)
    assert r.forecast is not None
    values, past = spend_curve(r.forecast, r.history, now, points=10)
    assert past == 0.4
    assert values == pytest.approx([10, 20, 30, 40, 60, 80, 100, 120, 140, 160])
    assert values[-1] == pytest.approx(r.forecast.value_at_end)


@pytest.mark.parametrize("at, window, calendar, expected", [
    # a fixed 6h block (from the epoch): 12:00-18:00; it said "by 24:00 UTC"
    ("2028-02-10T13:00:00Z", 6 * HOUR, "fixed", "by 18:00 UTC"),
    ("2028-02-10T13:00:00Z", DAY, "day", "by 24:00 UTC"),
    # a fixed 36h block: 2028-02-09T12:00 - 2028-02-11T00:00 ends at midnight: its last day
    ("2028-02-10T13:00:00Z", 36 * HOUR, "fixed", "by Feb 10"),
    # a fixed 28h block: 2028-02-10T00:00 - 2028-02-11T04:00 (21,225 days + 4 h from the epoch)
    ("2028-02-10T13:00:00Z", 28 * HOUR, "fixed", "by Feb 11 04:00 UTC"),
    ("2028-02-10T13:00:00Z", 30 * DAY, "month", "by Feb 29"),  # a leap year's February
])
def test_the_end_of_the_window_is_named_as_it_is(at, window, calendar, expected):
    from slotui.formatting import forecast_parts

    now = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    spec = SLOSpec(name="spend", kind="threshold", target=500.0, direction="lower_is_better", source="s",
                   sli_field="gen_ai.usage.cost", sli_agg="sum", window=window, calendar_window=calendar,
                   forecast=True)
    start, end = window_span(spec, now)
    f = project(10.0, 1.0, now=now, window_start=start, window_end=end, basis_from=start, target=500.0)
    assert forecast_parts(f, spec)["by_end"].endswith(expected), (forecast_parts(f, spec), start, end)
