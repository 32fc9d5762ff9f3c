"""Breakdown by label (SPEC 10.1), the pure core: hand-worked figures and properties."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.core.breakdown import (
    MORE,
    OTHER,
    breakdown_window,
    ratio_breakdown,
    threshold_breakdown,
)
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import BurnTier, GroupData, Report, SLIData, SLOSpec, Status
from slotui.sources.kit.aggregate import quantile_sorted

RATIO = SLOSpec(name="success_rate", kind="ratio", target=0.99, direction="higher_is_better")
P95 = SLOSpec(name="latency_p95", kind="threshold", target=2.0, warning=3.0, critical=5.0,
              direction="lower_is_better", sli_agg="p95", unit="s")


def test_three_models_one_causes_90_percent_of_bad_events() -> None:
    # 1,000 requests per model; gpt-4o-mini fails 90, gpt-4o 10, claude none: 100 bad of 3,000.
    b = ratio_breakdown(RATIO, "gen_ai.request.model", 3600.0, {
        "gpt-4o": (990, 1000), "gpt-4o-mini": (910, 1000), "claude": (1000, 1000)})
    assert [g.labels["gen_ai.request.model"] for g in b.groups] == ["gpt-4o-mini", "gpt-4o", "claude"]
    mini, gpt4o, claude = b.groups
    assert (mini.total, mini.bad, mini.share_of_bad) == (1000.0, 90.0, 0.9)
    assert mini.value == 0.91
    assert mini.burn_rate == pytest.approx(9.0, rel=1e-12)  # (90 / 1000) / 0.01
    assert mini.without == 0.995  # (2900 - 910) / (3000 - 1000) = 1990 / 2000
    assert mini.status_without is Status.OK
    # a ratio SLO's status is its tiers': the 1h tier's factor at the 7d period is 0.02 x 168 = 3.36;
    # without gpt-4o the rest burns (90/2000) / 0.01 = 4.5x, without claude (100/2000) / 0.01 = 5x: both page
    assert (gpt4o.share_of_bad, gpt4o.without, gpt4o.status_without) == (0.1, 0.955, Status.CRITICAL)
    assert (claude.share_of_bad, claude.without, claude.status_without) == (0.0, 0.95, Status.CRITICAL)
    assert b.top is mini
    assert b.window == 3600.0 and b.by == ("gen_ai.request.model",)


def test_removing_one_route_brings_p95_under_target() -> None:
    # all 8 values sorted: 1, 1.25, 1.5, 1.75, 2, 4, 6, 8; p95: h = 7 x 0.95 = 6.65 -> 6 + 0.65 x 2 = 7.3
    # without /search: 1 .. 2 (n=5), h = 3.8 -> 1.75 + 0.8 x 0.25 = 1.95 (meets 2.0: OK)
    # /search alone: 4, 6, 8, h = 1.9 -> 6 + 0.9 x 2 = 7.8 (= the p95 without /chat: CRITICAL)
    b = threshold_breakdown(P95, "route", 3600.0, "quantile", 0.95, {
        "/chat": [2.0, 1.0, 1.75, 1.25, 1.5], "/search": [8.0, 4.0, 6.0]})
    search, chat = b.groups
    assert search.labels == {"route": "/search"}
    assert search.total == 3.0
    assert search.value == pytest.approx(7.8, rel=1e-12)
    assert search.without == pytest.approx(1.95, rel=1e-12)
    assert search.status_without is Status.OK
    assert search.gain == pytest.approx(7.3 - 1.95, rel=1e-12)
    assert chat.value == pytest.approx(1.95, rel=1e-12)
    assert chat.without == pytest.approx(7.8, rel=1e-12)
    assert chat.status_without is Status.CRITICAL
    assert search.bad is None and search.share_of_bad is None


@pytest.mark.parametrize(("kind", "expected"), [
    ("mean", {"a": (2.0, 11.0), "b": (11.0, 2.0)}),  # all: (1+2+3+10+11+12)/6 = 6.5
    ("sum", {"a": (6.0, 33.0), "b": (33.0, 6.0)}),
    ("count", {"a": (3.0, 3.0), "b": (3.0, 3.0)}),
    ("min", {"a": (1.0, 10.0), "b": (10.0, 1.0)}),
    ("max", {"a": (3.0, 12.0), "b": (12.0, 3.0)}),
])
def test_every_aggregation_value_and_without(kind: str, expected: dict[str, tuple[float, float]]) -> None:
    spec = SLOSpec(name="x", kind="threshold", target=100.0, direction="lower_is_better")
    b = threshold_breakdown(spec, "k", 60.0, kind, 0.0, {"a": [1.0, 2.0, 3.0], "b": [10.0, 11.0, 12.0]})
    got = {g.labels["k"]: (g.value, g.without) for g in b.groups}
    assert got == expected


def test_ties_rank_larger_total_first_and_other_row_sums_the_rest() -> None:
    # 12 models, all 99% good: removing any one moves nothing; larger total ranks first
    counts = {f"m{i:02d}": (99.0 * (i + 1), 100.0 * (i + 1)) for i in range(12)}
    b = ratio_breakdown(RATIO, "model", 3600.0, counts)
    assert len(b.groups) == 11
    assert [g.labels["model"] for g in b.groups[:10]] == [f"m{i:02d}" for i in range(11, 1, -1)]
    other = b.groups[-1]
    assert other.other and other.labels == {"model": OTHER}
    assert (other.total, other.bad) == (300.0, 3.0)  # m00 (100) + m01 (200)
    assert b.top is b.groups[0]


def test_more_than_max_groups_distinct_values_are_cut_with_a_note() -> None:
    counts = {"a": (0.0, 5.0), "b": (4.0, 4.0), "c": (3.0, 3.0), "d": (2.0, 2.0), "e": (1.0, 1.0)}
    b = ratio_breakdown(RATIO, "user", 60.0, counts, max_groups=3)
    # all: 10 good of 15; without c 7/12 = 0.583 beats without b 6/11 = 0.545: c ranks before b
    assert [g.labels["user"] for g in b.groups] == ["a", "c", "b", OTHER]
    assert b.groups[-1].total == 3.0  # d + e still count, in (other)
    # the dropped values still count in every without: a removed leaves 10 good of 10
    assert b.groups[0].without == 1.0
    assert b.notes == ("user: 5 distinct values in the window; the 3 largest by total are ranked, "
                       "the rest count as (other)",)


def test_a_source_bucket_of_more_values_is_not_counted_as_one_value() -> None:
    """200,000 trace ids past the source's 10,000-value table came as 10,000 values plus one
    "(more values)" group, and the note said "10,001 distinct values in the window"."""
    counts = {"a": (0.0, 5.0), "b": (4.0, 4.0), "c": (3.0, 3.0), MORE: (90.0, 100.0)}
    b = ratio_breakdown(RATIO, "user", 60.0, counts, max_groups=2)
    assert b.notes == ("user: more than 3 distinct values in the window; the 2 largest by total are ranked, "
                       "the rest count as (other)",)
    assert [g.labels["user"] for g in b.groups][-1] == OTHER


def test_breakdown_window_is_the_long_window_of_the_fastest_burning_tier() -> None:
    spec = SLOSpec(name="r", kind="ratio", target=0.99, direction="higher_is_better", tiers=(
        BurnTier("critical", 3600.0, 300.0, factor=14.4), BurnTier("warning", 86400.0, 7200.0, factor=1.0)))
    assert breakdown_window(spec, {3600.0: (99.0, 100.0), 86400.0: (900.0, 1000.0)}) == 86400.0
    assert breakdown_window(spec, {3600.0: (90.0, 100.0), 86400.0: (990.0, 1000.0)}) == 3600.0
    assert breakdown_window(spec, {3600.0: (0.0, 0.0)}) == spec.window
    assert breakdown_window(P95, {}) == P95.window


def test_evaluate_slo_fills_breakdowns_from_the_sources_groups() -> None:
    data = SLIData(value=7.3, groups=(GroupData("route", 3600.0, values={"/a": [1.0], "/b": [9.0]}),
                                      GroupData("model", 3600.0, note="breakdown not supported by this source")))
    result = evaluate_slo(P95, data, now=10_000.0)
    assert result.status is Status.CRITICAL
    route, model = result.breakdowns
    assert route.top is not None and route.top.labels == {"route": "/b"}
    assert route.top.without == 1.0 and route.top.status_without is Status.OK
    assert model.groups == () and model.notes == ("breakdown not supported by this source",)


# --------------------------------------------------------------------------- properties

counts_st = st.dictionaries(
    st.text(min_size=1, max_size=4),
    st.tuples(st.integers(0, 1000), st.integers(1, 1000)).map(lambda gt: (float(min(gt)), float(gt[1]))),
    min_size=1, max_size=25)


@given(good=st.integers(0, 1000), total=st.integers(1, 1000), values=st.lists(
    st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30),
    kind=st.sampled_from(["mean", "sum", "count", "min", "max", "quantile"]))
def test_without_of_the_only_group_is_no_data(good: int, total: int, values: list[float], kind: str) -> None:
    only = ratio_breakdown(RATIO, "m", 60.0, {"x": (float(min(good, total)), float(total))}).groups
    assert len(only) == 1 and only[0].without is None and only[0].status_without is Status.NO_DATA
    only = threshold_breakdown(P95, "m", 60.0, kind, 0.95, {"x": values}).groups
    assert len(only) == 1 and only[0].without is None and only[0].status_without is Status.NO_DATA


@given(counts=counts_st)
def test_shares_of_bad_sum_to_one(counts: dict[str, tuple[float, float]]) -> None:
    b = ratio_breakdown(RATIO, "m", 60.0, counts)
    bad = sum(t - g for g, t in counts.values())
    shares = [g.share_of_bad for g in b.groups]
    if bad == 0:
        assert all(s is None for s in shares)
    else:
        assert math.fsum(shares) == pytest.approx(1.0, rel=1e-12)  # type: ignore[arg-type]
        assert math.fsum(g.total for g in b.groups) == sum(t for _, t in counts.values())


@settings(max_examples=150)
@given(groups=st.dictionaries(st.sampled_from("abcdefgh"), st.lists(
    st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=20), min_size=2, max_size=8),
    q=st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99, 1.0]))
def test_quantile_without_equals_the_quantile_of_the_rest(groups: dict[str, list[float]], q: float) -> None:
    b = threshold_breakdown(P95, "g", 60.0, "quantile", q, groups)
    for g in b.groups:
        if g.other:
            continue
        rest = sorted(v for k, vs in groups.items() if k != g.labels["g"] for v in vs)
        assert g.without == quantile_sorted(rest, q)
        assert g.value == quantile_sorted(sorted(groups[g.labels["g"]]), q)


def test_a_source_that_answers_without_groups_gets_a_clear_note() -> None:
    spec = SLOSpec(name="judge", kind="threshold", target=0.8, direction="higher_is_better",
                   breakdown=("gen_ai.request.model",))
    (b,) = evaluate_slo(spec, SLIData(value=0.9), now=100.0).breakdowns
    assert b.groups == () and b.notes == ("gen_ai.request.model: breakdown not supported by this source",)
    assert evaluate_slo(spec, SLIData(error="down"), now=100.0).breakdowns == ()


@given(groups=st.dictionaries(st.sampled_from("abcdef"), st.lists(
    st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=15), min_size=1, max_size=6),
    kind=st.sampled_from(["mean", "sum", "count"]))
def test_count_and_sum_summaries_rank_and_figure_like_the_values(groups: dict[str, list[float]], kind: str) -> None:
    from slotui.core.breakdown import summary_breakdown

    spec = SLOSpec(name="x", kind="threshold", target=0.0, direction="lower_is_better")
    by_values = threshold_breakdown(spec, "g", 60.0, kind, 0.0, groups)
    by_sums = summary_breakdown(spec, "g", 60.0, kind, {k: (len(v), math.fsum(v)) for k, v in groups.items()})
    # (the order may differ only where two gains tie within rounding: compare group by group)
    values = {g.labels["g"]: g for g in by_values.groups}
    assert set(values) == {g.labels["g"] for g in by_sums.groups} == set(groups)
    for a in by_sums.groups:
        b = values[a.labels["g"]]
        assert a.total == b.total and a.status_without is b.status_without
        assert (a.value is None) == (b.value is None) and (a.without is None) == (b.without is None)
        if a.value is not None:
            assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-9)
        if a.without is not None:
            assert a.without == pytest.approx(b.without, rel=1e-9, abs=1e-6)


def test_label_values_that_read_the_same_once_escaped_stay_two_groups() -> None:
    # a model "A<newline>B" was shown as A\x0aB, the same text as a model written A\x0aB: two groups with
    # one label in check's JSON, the table and /metrics
    from slotui.core.breakdown import evaluate_breakdowns

    spec = SLOSpec(name="avail", kind="ratio", target=0.99, direction="higher_is_better", source="logs",
                   breakdown=("model",))
    counts = {"A\nB": (50.0, 100.0), "A\\x0aB": (100.0, 100.0), "gpt-4o": (99.0, 100.0), "a\\b": (1.0, 1.0),
              "\x1b[31mred": (1.0, 1.0)}
    (b,) = evaluate_breakdowns(spec, (GroupData("model", 3600.0, counts=counts),))
    shown = {g.labels["model"]: (g.total, g.bad) for g in b.groups}
    assert shown == {"A\\x0aB": (100.0, 50.0), "A\\\\x0aB": (100.0, 0.0), "gpt-4o": (100.0, 1.0),
                     "a\\\\b": (1.0, 0.0), "\\x1b[31mred": (1.0, 0.0)}
    # ... while check's JSON carries each value as the data holds it (JSON escapes any string; found:
    # "labels" held the shown text, a tab as the four characters \x09, so scripts could not match it)
    from slotui.core.evaluate import evaluate_slo
    from slotui.output.json_report import render

    result = evaluate_slo(spec, SLIData(value=0.9, windows={3600.0: (349.0, 400.0)}, fetched_at=0.0,
                                        groups=(GroupData("model", 3600.0, counts=counts),)), 0.0)
    groups = json.loads(render(Report(results=(result,), evaluated_at=0.0)))["slos"][0]["breakdown"]["groups"]
    assert {g["labels"]["model"] for g in groups} == set(counts)
    assert {g["display"].split(":")[0] for g in groups} == {f"model={k}" for k in shown}


def test_a_ratio_status_without_is_its_tiers_status_over_the_breakdown_window() -> None:
    """SPEC 10.1 "the status that SLI would give", for a ratio SLO its burn-rate tiers' (SPEC 3).
    Found: value_status alone said "without model-a 90.00% (AT RISK)" while model-b, all that was
    left, burned at 20x against the 14.4 page factor: the SLO stays CRITICAL without model-a."""
    spec = SLOSpec(name="success_rate", kind="ratio", target=0.995, direction="higher_is_better", period=30 * 86400.0,
                   tiers=(BurnTier("critical", 3600.0, 300.0, factor=14.4), BurnTier("warning", 86400.0, 7200.0, factor=1.0)))
    counts = {"model-a": (0.0, 180.0), "model-b": (162.0, 180.0)}  # model-b: 18 bad of 180 = 10%
    by_label = {g.labels["m"]: g for g in ratio_breakdown(spec, "m", 3600.0, counts).groups}
    # without model-a: 18 bad of 180 -> 0.1 / 0.005 = 20x > 14.4 on the 1h page tier
    assert (by_label["model-a"].without, by_label["model-a"].status_without) == (0.9, Status.CRITICAL)
    # without model-b: all 180 bad -> 200x
    assert (by_label["model-b"].without, by_label["model-b"].status_without) == (0.0, Status.CRITICAL)
    # the same counts over the 1d window (its breakdown window when that tier burns fastest): 20x > 1 tickets
    assert ratio_breakdown(spec, "m", 86400.0, counts).groups[0].status_without is Status.WARNING
    # a window no tier has (the SLO's own): only the value: below target, AT RISK
    assert ratio_breakdown(spec, "m", 1800.0, counts).groups[0].status_without is Status.AT_RISK
    # 1 bad in 1,000 left: 0.2x burns no tier and meets the target
    calm = ratio_breakdown(spec, "m", 3600.0, {"bad": (0.0, 500.0), "good": (999.0, 1000.0)})
    assert {g.labels["m"]: g.status_without for g in calm.groups}["bad"] is Status.OK
    # fewer events left than min_events: no tier fires (the SLO's own rule), the value alone speaks
    sparse = SLOSpec(**{**{f: getattr(spec, f) for f in ("name", "kind", "target", "direction", "period", "tiers")},
                        "min_events": 500})
    few = {g.labels["m"]: g for g in ratio_breakdown(sparse, "m", 3600.0, counts).groups}
    assert few["model-a"].status_without is Status.AT_RISK
    # a critical level on the value still counts, as in ratio_status: 0.9 is below critical 0.95
    leveled = SLOSpec(**{**{f: getattr(spec, f) for f in ("name", "kind", "target", "direction", "period")},
                         "tiers": (), "warning": 0.99, "critical": 0.95})
    assert {g.labels["m"]: g for g in ratio_breakdown(leveled, "m", 3600.0, counts).groups}[
        "model-a"].status_without is Status.CRITICAL
