"""Breakdown by label (SPEC 10.1) from the local sources: file (any field, derived fields,
evaluations.*, appends) and demo (its labels and the incident that hits one model)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import pytest

from slotui.config.model import FileSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DEFAULT_PERIOD_TIERS, SLOSpec, Status
from slotui.sources.kit.aggregate import quantile_sorted
from slotui.sources.demo import CELL, DemoSource
from slotui.sources.file import FileSource

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()
HOUR = 3600.0


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _source(path: Path, **kw) -> FileSource:
    return FileSource("logs", FileSourceConfig(type="file", path=str(path), **kw), base_dir=path.parent)


def _ratio(**kw) -> SLOSpec:
    base = dict(name="ok", kind="ratio", target=0.99, direction="higher_is_better", source="logs",
                good="error.type == null", window=HOUR, slice=300.0, tiers=DEFAULT_PERIOD_TIERS)
    base.update(kw)
    return SLOSpec(**base)


def _three_models(path: Path, start: float) -> None:
    # 100 requests per model over 50 minutes; gpt-4o-mini fails 18, gpt-4o 2, claude none
    lines = []
    for m, (model, bad) in enumerate((("gpt-4o-mini", 18), ("gpt-4o", 2), ("claude", 0))):
        for i in range(100):
            lines.append(json.dumps({
                "time": _stamp(start + i * 30 + m), "gen_ai.request.model": model,
                "route": "/search" if i % 4 == 0 else "/chat",
                "duration_s": 4.0 + i / 100 if i % 4 == 0 else 1.0 + i / 1000,
                "gen_ai.usage.input_tokens": 1000 + i,
                "error.type": "timeout" if i < bad else None,
                "evaluations": [{"gen_ai.evaluation.name": "judge_version",
                                 "gen_ai.evaluation.score.value": 2 if i % 2 else 1}],
            }))
    path.write_text("\n".join(lines) + "\n")


def test_file_ratio_breakdown_of_a_three_model_log(tmp_path: Path) -> None:
    _three_models(tmp_path / "r.jsonl", NOON)
    spec = _ratio(breakdown=("gen_ai.request.model",))
    now = NOON + HOUR
    result = evaluate_slo(spec, _source(tmp_path / "r.jsonl").fetch_sync([spec], now)["ok"], now)
    (b,) = result.breakdowns
    assert b.window == HOUR  # the 1h tier burns fastest (all events are in the last hour)
    mini, gpt4o, claude = b.groups
    assert mini.labels == {"gen_ai.request.model": "gpt-4o-mini"}
    assert (mini.total, mini.bad, mini.share_of_bad) == (100.0, 18.0, 0.9)  # 18 of 20 bad
    assert mini.without == 198 / 200 and mini.status_without is Status.OK
    assert (gpt4o.share_of_bad, gpt4o.without, gpt4o.status_without) == (0.1, 182 / 200, Status.AT_RISK)
    assert claude.labels == {"gen_ai.request.model": "claude"} and claude.share_of_bad == 0.0


@pytest.mark.parametrize("shape", ["nested", "mixed"])
def test_file_breakdown_reads_a_nested_label_as_every_field_is_read(shape: str, tmp_path: Path) -> None:
    """``gen_ai.request.model`` as ``{"gen_ai": {"request": {"model": ...}}}``: a field is the flat key
    first, then the path through objects (conditions and values read it so); the breakdown read the flat
    key only and put every request under "(none)"."""
    _three_models(tmp_path / "r.jsonl", NOON)
    lines = []
    for i, line in enumerate((tmp_path / "r.jsonl").read_text().splitlines()):
        record = json.loads(line)
        if shape == "nested" or i % 2:
            record["gen_ai"] = {"request": {"model": record.pop("gen_ai.request.model")}}
        lines.append(json.dumps(record))
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n")
    spec = _ratio(breakdown=("gen_ai.request.model",))
    now = NOON + HOUR
    result = evaluate_slo(spec, _source(tmp_path / "r.jsonl").fetch_sync([spec], now)["ok"], now)
    (b,) = result.breakdowns
    assert [(g.labels["gen_ai.request.model"], g.total, g.bad) for g in b.groups] == [
        ("gpt-4o-mini", 100.0, 18.0), ("gpt-4o", 100.0, 2.0), ("claude", 100.0, 0.0)]


def test_file_threshold_breakdown_by_route_derived_field_and_evaluation(tmp_path: Path) -> None:
    _three_models(tmp_path / "r.jsonl", NOON)
    src = _source(tmp_path / "r.jsonl", fields={"big_prompt": "gen_ai.usage.input_tokens >= 1050"})
    spec = SLOSpec(name="p95", kind="threshold", target=2.0, warning=3.0, critical=5.0,
                   direction="lower_is_better", source="logs", sli_field="duration_s", sli_agg="p95",
                   window=HOUR, slice=300.0, breakdown=("route", "big_prompt", "evaluations.judge_version"))
    now = NOON + HOUR
    result = evaluate_slo(spec, src.fetch_sync([spec], now)["p95"], now)
    assert result.status is Status.WARNING  # p95 among /search's 4.0-4.96 s: worse than 3 s, better than 5 s
    route, big, judge = result.breakdowns
    search, chat = route.groups
    assert search.labels == {"route": "/search"} and search.total == 75.0
    chat_values = sorted(1.0 + i / 1000 for i in range(100) if i % 4 for _ in range(3))
    assert chat.value == quantile_sorted(chat_values, 0.95)
    assert search.without == chat.value and search.status_without is Status.OK
    assert {g.labels["big_prompt"] for g in big.groups} == {"true", "false"}
    assert sum(g.total for g in big.groups) == 300.0
    assert {g.labels["evaluations.judge_version"]: g.total for g in judge.groups} == {"1": 150.0, "2": 150.0}


def test_file_breakdown_follows_appends_and_shares_the_series(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _three_models(path, NOON)
    plain, grouped = _ratio(name="plain"), _ratio(name="grouped", breakdown=("gen_ai.request.model",))
    src = _source(path)
    assert src.fetch_sync([plain], NOON + HOUR)["plain"].groups == ()
    out = src.fetch_sync([plain, grouped], NOON + HOUR)  # a breakdown added later reads the file again
    assert {g.by for g in out["grouped"].groups} == {"gen_ai.request.model"}
    assert out["grouped"].groups[0].counts["gpt-4o-mini"] == (82.0, 100.0)
    with open(path, "a") as fh:
        for i in range(10):
            fh.write(json.dumps({"time": _stamp(NOON + HOUR + i), "gen_ai.request.model": "gpt-4o-mini",
                                 "error.type": "timeout"}) + "\n")
    out = src.fetch_sync([plain, grouped], NOON + HOUR + 60)
    # the 6h window burns fastest now (30 bad of 310; the 1h window lost the first 6 requests,
    # 4 of them bad: 26 of 304): the breakdown covers 6h and holds all 110 gpt-4o-mini requests
    assert out["grouped"].groups[0].window == 6 * HOUR
    assert out["grouped"].groups[0].counts["gpt-4o-mini"] == (82.0, 110.0)
    assert out["plain"].windows[HOUR] == (278.0, 304.0)


# --------------------------------------------------------------------------- demo

DAY = 86400.0
B = ("gen_ai.request.model", "route", "prompt.version")


def _demo_moment(weekday_slot: int, seconds: float) -> float:
    day = 20_600
    while day % 7 != weekday_slot:
        day += 1
    return day * DAY + seconds


def test_demo_error_burst_hits_gpt_4o_mini() -> None:
    spec = SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better", source="demo",
                   good="error.type == null", slice=CELL, period=30 * DAY, tiers=DEFAULT_PERIOD_TIERS, breakdown=B)
    now = _demo_moment(3, 6 * HOUR + 20 * 60)  # 20 minutes into the daily error burst
    src = DemoSource("demo")
    result = evaluate_slo(spec, src.fetch_sync([spec], now)["availability"], now)
    model = result.breakdowns[0]
    top = model.top
    assert top is not None and top.labels == {"gen_ai.request.model": "gpt-4o-mini"}
    assert top.share_of_bad > 0.9 and top.status_without.rank < result.status.rank
    # the fast path's group counts are the records' own
    records = src.traffic.records_between(now - model.window, now)
    for g in model.groups:
        rs = [r for r in records if r["gen_ai.request.model"] == g.labels["gen_ai.request.model"]]
        assert g.total == len(rs) and g.bad == sum(r["error.type"] is not None for r in rs)
    assert {g.labels["route"] for g in result.breakdowns[1].groups} == {"/chat", "/search", "/summarize"}
    assert {g.labels["prompt.version"] for g in result.breakdowns[2].groups} == {"v12", "v13"}


@pytest.mark.parametrize(
    ("good", "total"),
    [("error.type == null", None), ("error.type != 'timeout'", "error.type != 'rate_limit'")],
)
def test_demo_ratio_groups_are_the_records_own_counts_off_the_cell_grid(good: str, total: str | None) -> None:
    # the fast path counts each label's requests and walks only the failing ones; it must agree
    # with the records for every label, also in the cut cells at both ends of an off-grid window
    from slotui.config.expressions import compile_expression

    spec = SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better", source="demo",
                   good=good, total=total, slice=CELL, period=30 * DAY, tiers=DEFAULT_PERIOD_TIERS, breakdown=B)
    now = _demo_moment(3, 6 * HOUR + 20 * 60 + 123.25)
    src = DemoSource("demo")
    result = evaluate_slo(spec, src.fetch_sync([spec], now)["availability"], now)
    good_expr, total_expr = compile_expression(good), compile_expression(total) if total else None
    for name, breakdown in zip(B, result.breakdowns):
        records = [r for r in src.traffic.records_between(now - breakdown.window, now)
                   if total_expr is None or total_expr.test(r)]
        expected = {}
        for r in records:
            t, b = expected.get(r[name], (0, 0))
            expected[r[name]] = (t + 1, b + (not good_expr.test(r)))
        assert {g.labels[name]: (g.total, g.bad) for g in breakdown.groups} == expected, name
        assert sum(b for _, b in expected.values()) > 0  # the burst's failures are in the window


def test_demo_latency_spike_is_the_search_routes() -> None:
    spec = SLOSpec(name="p95", kind="threshold", target=2000.0, warning=3000.0, critical=5000.0,
                   direction="lower_is_better", source="demo", sli_field="duration_ms", sli_agg="p95",
                   slice=CELL, breakdown=B)
    now = _demo_moment(0, 15 * HOUR + 25 * 60)  # in the latency spike
    src = DemoSource("demo")
    result = evaluate_slo(spec, src.fetch_sync([spec], now)["p95"], now)
    assert result.status is Status.CRITICAL
    route = result.breakdowns[1]
    assert route.top is not None and route.top.labels == {"route": "/search"}
    assert route.top.without < result.value and route.top.status_without.rank < Status.CRITICAL.rank
    records = src.traffic.records_between(now - spec.window, now)
    values = sorted(r["duration_ms"] for r in records if r["route"] != "/search")
    assert route.top.without == pytest.approx(quantile_sorted(values, 0.95), rel=1e-12)
    assert math.isclose(sum(g.total for g in route.groups), len(records))
