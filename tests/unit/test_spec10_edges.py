"""Edges of SPEC 10.1, 10.2 and 10.4 in the core and the record sources (each failed before its fix).

- 10.1 ranking: gains equal up to float rounding are ties (larger ``total`` first);
- 10.4 calendar windows: ``n`` and the breakdown of the demo and file sources cover the
  window to date; sources keep a 31-day month's records whatever the period;
- 10.2 ``significant``: an SLI without an interval kind (sum, count, min, max) keeps its status.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from slotui.core.breakdown import summary_breakdown, threshold_breakdown
from slotui.core.evaluate import evaluate_slo
from slotui.core.forecast import longest_window, window_seconds, window_span
from slotui.core.significance import estimates
from slotui.core.types import DAY, SLIData, SLOSpec, Status
from slotui.sources.demo import DemoSource
from slotui.sources.kit.series_book import retention

MEAN = SLOSpec(name="judge", kind="threshold", target=0.5, direction="higher_is_better", source="logs",
               sli_field="evaluations.h", sli_agg="mean")

WEEK = SLOSpec(name="week_spend", kind="threshold", target=1e9, direction="lower_is_better", source="demo",
               unit="usd", sli_field="gen_ai.usage.cost", sli_agg="sum", window=7 * DAY, period=7 * DAY,
               period_anchor=4 * DAY, calendar_window="week", forecast=True, breakdown=("gen_ai.request.model",))


# --------------------------------------------------------------------------- 10.1 ties


@pytest.mark.parametrize("value", [0.1, 0.7, 0.95, 0.123])
def test_equal_scores_tie_and_the_larger_total_ranks_first(value: float) -> None:
    # removing 3 or 7 copies of one score leaves the same mean: a tie, whatever the last bit says
    values = {"small": [value] * 3, "large": [value] * 7}
    b = threshold_breakdown(MEAN, "route", 3600.0, "mean", 0.0, values)
    assert [g.labels["route"] for g in b.groups] == ["large", "small"]
    sums = {"small": (3.0, math.fsum(values["small"])), "large": (7.0, math.fsum(values["large"]))}
    s = summary_breakdown(MEAN, "route", 3600.0, "mean", sums)
    assert [g.labels["route"] for g in s.groups] == ["large", "small"]


def test_a_real_difference_in_gain_still_decides_before_the_total() -> None:
    # small group of 0.2s (removing it helps: gain > 0) outranks the large group of 0.3s
    b = threshold_breakdown(MEAN, "route", 3600.0, "mean", 0.0, {"small": [0.2] * 3, "large": [0.3] * 7})
    assert [g.labels["route"] for g in b.groups] == ["small", "large"]


# --------------------------------------------------------------------------- 10.4 windows


def test_window_seconds_and_longest_window() -> None:
    now = 1_769_601_600.0  # Wed 2026-01-28 12:00 UTC
    assert window_span(WEEK, now)[0] == 1_769_385_600.0  # Mon 2026-01-26 00:00
    assert window_seconds(WEEK, now) == 2.5 * DAY
    assert window_seconds(replace(WEEK, calendar_window=None), now) == 7 * DAY
    month = replace(WEEK, calendar_window="month", window=30 * DAY)
    assert longest_window(month) == 31 * DAY and longest_window(WEEK) == 7 * DAY
    # a month window with a 30d period: the records of a 31-day month's first day are kept
    assert retention([replace(month, period=30 * DAY, calendar_month=False)]) >= 31 * DAY


def test_demo_week_to_date_breakdown_and_n_are_the_weeks_records() -> None:
    now = 1_769_601_600.0  # Wed 2026-01-28 12:00 UTC: the week so far is 2.5 days
    demo = DemoSource("demo")
    data = demo.fetch_sync([WEEK], now)["week_spend"]
    start = window_span(WEEK, now)[0]
    records = demo.traffic.records_between(start, now)
    assert data.n == len(records)
    assert data.value == pytest.approx(math.fsum(r["gen_ai.usage.cost"] for r in records), rel=1e-9)
    (groups,) = data.groups
    assert groups.window == 2.5 * DAY
    per_model: dict[str, list[float]] = {}
    for r in records:
        per_model.setdefault(r["gen_ai.request.model"], []).append(r["gen_ai.usage.cost"])
    assert {k: len(v) for k, v in groups.values.items()} == {k: len(v) for k, v in per_model.items()}
    result = evaluate_slo(WEEK, data, now)
    (b,) = result.breakdowns
    assert b.window == 2.5 * DAY
    assert sum(g.total for g in b.groups) == len(records)
    assert math.fsum(g.value for g in b.groups) == pytest.approx(result.value, rel=1e-9)


# --------------------------------------------------------------------------- 10.2 significant


@pytest.mark.parametrize("agg, estimate", [("mean", True), (None, True), ("p95", True), ("median", True),
                                           ("sum", False), ("count", False), ("min", False), ("max", False)])
def test_which_slis_are_estimates(agg: str | None, estimate: bool) -> None:
    assert estimates(replace(MEAN, sli_agg=agg)) is estimate
    # a source that hands over a standard deviation or an interval makes any SLI an estimate
    assert estimates(replace(MEAN, sli_agg=agg), SLIData(stddev=0.1)) is True


@pytest.mark.parametrize("agg", ["sum", "max", "min", "count"])
def test_significant_keeps_the_status_of_an_sli_without_an_interval(agg: str) -> None:
    spec = SLOSpec(name="spend", kind="threshold", target=10.0, warning=20.0, critical=40.0,
                   direction="lower_is_better", source="logs", sli_field="cost", sli_agg=agg, significant=True)
    r = evaluate_slo(spec, SLIData(value=60.0, n=60, fetched_at=0.0), 0.0)
    assert r.status is Status.CRITICAL
    assert r.interval is None and r.significant is None
    assert not any(n.startswith("not significant") for n in r.notes)
    mean = evaluate_slo(replace(spec, sli_agg="mean"), SLIData(value=60.0, n=1, fetched_at=0.0), 0.0)
    assert mean.status is Status.AT_RISK and "not significant (n=1, no interval)" in mean.notes


# --------------------------------------------------------------------------- 10.1 the ratio window


def test_fastest_burn_and_the_breakdown_window_agree_on_ties_whatever_the_tier_order() -> None:
    # every event in the last 10 minutes: the 1h and 1d long windows hold the same error ratio,
    # so both burn equally; the ticket tier is listed first. "BURN x/1h" and the breakdown's 1h agree.
    from slotui.core.types import BurnTier

    spec = SLOSpec(name="avail", kind="ratio", target=0.9, direction="higher_is_better", source="logs",
                   good="error.type == null", window=3600.0, period=7 * DAY,
                   tiers=(BurnTier("warning", DAY, 7200.0, factor=1.0),
                          BurnTier("critical", 3600.0, 300.0, factor=14.4)))
    now = 1_780_315_200.0
    windows = {w: (8.0, 10.0) for w in (DAY, 7200.0, 3600.0, 300.0)}
    data = SLIData(buckets=((now - 600.0, 8.0, 10.0),), windows=windows, fetched_at=now)
    r = evaluate_slo(spec, data, now)
    assert r.fastest_burn is not None and r.fastest_burn.long_window == 3600.0
    from slotui.core.breakdown import breakdown_window

    assert breakdown_window(spec, {w: windows[w] for w in (DAY, 3600.0)}) == 3600.0


# --------------------------------------------------------------------------- 10.2 an empty window


@pytest.mark.parametrize("kind", ["threshold", "ratio"])
def test_an_empty_window_is_no_data_not_low_samples(kind: str) -> None:
    # min_samples 1 (the default): n = 0 is no data, the same for both kinds (ratio SLOs had it so)
    if kind == "threshold":
        r = evaluate_slo(MEAN, SLIData(value=None, n=0, fetched_at=0.0), 0.0)
    else:
        spec = SLOSpec(name="avail", kind="ratio", target=0.9, direction="higher_is_better", source="logs",
                       good="error.type == null", window=3600.0, period=7 * DAY)
        r = evaluate_slo(spec, SLIData(windows={3600.0: (0.0, 0.0)}, fetched_at=0.0), 0.0)
    assert r.status is Status.NO_DATA and r.n == 0
    assert r.low_samples is False
    assert not any(n.startswith("low samples") for n in r.notes)
    assert ("no samples in the window" if kind == "threshold" else "no events in the window") in r.notes


# --------------------------------------------------------------------------- 10.4 lower is better


@pytest.mark.parametrize("window, forecast", [("month", "true"), ("week", "false"), ("12h", "true")])
def test_a_spend_budget_refuses_higher_is_better(window: str, forecast: str) -> None:
    # it was accepted: status OK ("≥ $100") while the forecast said "budget gone Jan 30"
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    text = f"""\
sources:
  logs: {{type: file, path: requests.jsonl}}
slos:
  - name: spend
    source: logs
    sli: {{field: gen_ai.usage.cost, agg: sum}}
    window: {window}
    forecast: {forecast}
    objective: {{target: 100, direction: higher_is_better}}
"""
    with pytest.raises(ConfigError) as info:
        load_text(text, name="spend.yaml", env={})
    rendered = info.value.render()
    assert "spend.yaml:9:" in rendered and "slos[0].objective.direction" in rendered
    assert "lower is better" in rendered
    ok = text.replace("higher_is_better", "lower_is_better")
    (spec,) = load_text(ok, name="spend.yaml", env={}).specs
    assert spec.direction == "lower_is_better"
