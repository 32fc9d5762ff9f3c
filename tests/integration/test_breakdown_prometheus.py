"""Breakdown by label (SPEC 10.1) against a real Prometheus with labelled counters.

Three models over three hours on the minute grid (so ``increase()`` over a
window whose ends are on the grid is exact): per minute gpt-4o answers 100 ok
and 1 error, claude 50 ok, and gpt-4o-mini 90 ok plus 10 errors in the last
hour only (none before). One ``{{by}}`` template serves the total (``sum by ()``)
and the groups (``sum by (model)``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from slotui.config.model import PrometheusSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DEFAULT_PERIOD_TIERS, HOUR, MINUTE, SLOSpec, Status
from slotui.sources.prometheus import PrometheusSource

try:
    from tests.integration.prometheus_server import START, PrometheusServer, require_binary
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from prometheus_server import START, PrometheusServer, require_binary  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

MINUTES = 180
NOW = START + MINUTES * MINUTE  # the last sample is at NOW (minute 180)
GOOD = 'sum by ({{by}}) (increase(llm_requests_total{status="ok"}[{{window}}]))'
TOTAL = "sum by ({{by}}) (increase(llm_requests_total[{{window}}]))"


def _per_minute(model: str, minute: int) -> tuple[int, int]:
    """(ok, errors) counted in minute ``minute`` (ending at START + minute * 60)."""
    if model == "gpt-4o":
        return 100, 1
    if model == "claude":
        return 50, 0
    return (90, 10) if minute > MINUTES - 60 else (100, 0)


def _openmetrics(path: Path) -> None:
    lines = ["# TYPE llm_requests counter", "# HELP llm_requests LLM requests by model and outcome."]
    for model in ("gpt-4o", "gpt-4o-mini", "claude"):
        ok = err = 0
        for minute in range(MINUTES + 1):
            if minute:
                a, b = _per_minute(model, minute)
                ok, err = ok + a, err + b
            t = START + minute * MINUTE
            lines.append(f'llm_requests_total{{model="{model}",status="ok"}} {ok} {t}')
            lines.append(f'llm_requests_total{{model="{model}",status="error"}} {err} {t}')
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def prom():
    require_binary("prometheus")
    require_binary("promtool")
    tmp = Path(tempfile.mkdtemp(prefix="slotui-breakdown-"))
    _openmetrics(tmp / "models.om")
    server = PrometheusServer([tmp / "models.om"], tmp).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _source(url: str) -> PrometheusSource:
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 30})
    return PrometheusSource("prom", cfg, base_dir=Path("."))


def _spec(**kw: object) -> SLOSpec:
    base = dict(name="availability", kind="ratio", target=0.99, direction="higher_is_better", source="prom",
                good=GOOD, total=TOTAL, window=HOUR, period=7 * 86400.0, slice=5 * MINUTE,
                tiers=DEFAULT_PERIOD_TIERS, breakdown=("model",))
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


async def test_grouped_queries_rank_the_model_that_burns(prom) -> None:
    src = _source(prom.url)
    try:
        spec = _spec()
        data = (await src.fetch([spec], NOW))["availability"]
    finally:
        await src.aclose()
    # the total with {{by}} empty: last hour 60 x (101 + 100 + 50) = 15,060 events, 60 x 11 = 660 bad
    assert data.windows[HOUR] == (14_400.0, 15_060.0)
    result = evaluate_slo(spec, data, NOW)
    (b,) = result.breakdowns
    assert b.window == HOUR  # the 1h tier burns fastest (the errors are all in the last hour but gpt-4o's)
    # without claude 11,400 / 12,060 = 94.5% beats without gpt-4o 8,400 / 9,000 = 93.3%: claude ranks second
    assert [g.labels["model"] for g in b.groups] == ["gpt-4o-mini", "claude", "gpt-4o"]
    mini, claude, gpt4o = b.groups
    assert (mini.total, mini.bad) == (6_000.0, 600.0)
    assert mini.share_of_bad == 600 / 660
    assert mini.burn_rate == pytest.approx(10.0, rel=1e-12)  # (600 / 6000) / 0.01
    assert mini.without == 9_000 / 9_060  # (14,400 - 5,400) / (15,060 - 6,000)
    assert mini.status_without is Status.OK  # 99.34% meets 99%
    assert result.status is not Status.OK
    assert (gpt4o.total, gpt4o.bad) == (6_060.0, 60.0)
    assert (claude.total, claude.bad, claude.share_of_bad) == (3_000.0, 0.0, 0.0)


async def test_a_ratio_without_the_placeholder_says_it_cannot_be_broken_down(prom) -> None:
    src = _source(prom.url)
    try:
        spec = _spec(good='sum(increase(llm_requests_total{status="ok"}[{{window}}]))',
                     total="sum(increase(llm_requests_total[{{window}}]))")
        data = (await src.fetch([spec], NOW))["availability"]
    finally:
        await src.aclose()
    result = evaluate_slo(spec, data, NOW)
    assert result.breakdowns[0].groups == ()
    assert "{{by}} placeholder" in result.breakdowns[0].notes[0]


async def test_replay_reads_breakdowns_from_grouped_range_queries(prom) -> None:
    """History for a breakdown: the grouped queries are range queries grouped the same way
    (one per label, expression and window), and every step reads them back: no grouped
    instant query per step, and each step's breakdown equals a live fetch at that moment."""
    from slotui.replay.prometheus import ReplayPrometheus

    spec = _spec()
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": prom.url, "timeout": 30})
    replay = ReplayPrometheus("prom", cfg, base_dir=Path("."))
    calls: list[tuple[str, str]] = []
    original = replay._api

    async def counting(path: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
        calls.append((path, params["query"]))
        return await original(path, params)

    replay._api = counting  # type: ignore[method-assign]
    steps = [NOW - k * 30 * MINUTE for k in (4, 3, 2, 1, 0)]  # minutes 60, 90, 120, 150, 180
    live = _source(prom.url)
    try:
        await replay.prefetch([spec], steps[0], steps[-1], 30 * MINUTE)
        grouped_ranges = {q for path, q in calls if path == "api/v1/query_range" and "by (model)" in q}
        # good and total, by model, over the SLO window (1h, also the first tier's long window) and the
        # long windows of the other default tiers
        assert len(grouped_ranges) == 2 * len({spec.window, *(t.long_window for t in spec.tiers)})
        calls.clear()
        got = {}
        for now in steps:
            data = (await replay.fetch([spec], now))["availability"]
            want = (await live.fetch([spec], now))["availability"]
            assert data.groups == want.groups
            got[now] = evaluate_slo(spec, data, now).breakdowns[0]
        # every step read the prefetched tables (only the recorded-series detection is asked live)
        assert [q for _, q in calls if "by (model)" in q or "increase" in q] == []
    finally:
        await replay.aclose()
        await live.aclose()
    # minute 150: gpt-4o-mini has failed for 30 minutes (300 bad of 6,000); gpt-4o 60 of 6,060
    b = got[NOW - 30 * MINUTE]
    assert b.window == HOUR
    assert [g.labels["model"] for g in b.groups] == ["gpt-4o-mini", "claude", "gpt-4o"]
    mini = b.groups[0]
    assert (mini.total, mini.bad) == (6_000.0, 300.0)
    assert mini.share_of_bad == 300 / 360
    assert mini.without == 9_000 / 9_060  # (14,700 - 5,700) / (15,060 - 6,000)
    # minute 180: as in the live test above
    top = got[NOW].groups[0]
    assert (top.labels["model"], top.total, top.bad, top.share_of_bad) == ("gpt-4o-mini", 6_000.0, 600.0, 600 / 660)
    # minute 90: only gpt-4o fails; it carries all the bad events
    early = got[NOW - 90 * MINUTE]
    (gpt4o,) = [g for g in early.groups if g.labels["model"] == "gpt-4o"]
    assert gpt4o.share_of_bad == 1.0


def _minus(errors: str) -> str:
    return (f"sum by ({{{{by}}}}) (increase(llm_requests_total[{{{{window}}}}])) - "
            f"sum by ({{{{by}}}}) (increase(llm_requests_total{{{errors}}}[{{{{window}}}}]))")


@pytest.mark.parametrize(("errors", "absent"), [
    ('status="error",model!="claude"', ["claude"]),
    ('status="error",model!~"claude|gpt-4o"', ["claude", "gpt-4o"]),
])
async def test_a_group_without_an_error_series_is_settled_by_the_slos_good(prom, errors, absent) -> None:
    """good = total - errors, with no error series for some models: Prometheus' "-" has nothing for
    them, and they read as 0 good (100% bad), took the largest share of the bad events and ranked
    first, while the SLO's own figures (the same template without {{by}}) were right."""
    src = _source(prom.url)
    try:
        spec = _spec(good=_minus(errors))
        data = (await src.fetch([spec], NOW))["availability"]
    finally:
        await src.aclose()
    good, total = data.windows[HOUR]
    (b,) = evaluate_slo(spec, data, NOW).breakdowns
    groups = {g.labels["model"]: g for g in b.groups}
    assert sum(g.total for g in groups.values()) == total
    assert sum(g.bad for g in groups.values()) == total - good  # the groups add up to the SLO again
    for model in absent:
        assert groups[model].bad == 0.0, model
    assert groups["gpt-4o-mini"].bad == 600.0 and groups["gpt-4o-mini"].share_of_bad == 600 / (total - good)
    assert [g.labels["model"] for g in b.groups][0] == "gpt-4o-mini"
    (note,) = [n for n in b.notes if "no series" in n]
    assert f"ratio.good has no series for {', '.join(absent)}" in note and "shown all good" in note


async def test_an_empty_good_with_traffic_is_said_in_the_note(prom) -> None:
    src = _source(prom.url)
    try:
        spec = _spec(good=_minus('status="error",model="none"'), breakdown=())
        data = (await src.fetch([spec], NOW))["availability"]
    finally:
        await src.aclose()
    assert data.windows[HOUR] == (0.0, 15_060.0)  # the documented rule: 0 good events
    assert "ratio.good returned no series over" in (data.note or "") and "or on() (ratio.total) * 0" in data.note
