"""The replay's fast path (whole series once, timeline views) gives the per-step path's results.

At every step, every SLO's result from :func:`slotui.replay.history.reports` (file and demo SLOs
on the fast path) equals, to the last bit, the result of the per-step path (a fetch of the source
and :func:`slotui.core.evaluate.evaluate_all`, what ``check --at`` does) with two documented
exceptions: the fast path carries no ``history``/``buckets`` (nothing in a replay reads them)
and, for threshold SLOs without ``significant: true``, no interval (it changes no status there).
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import replace
from pathlib import Path

from slotui.clock import rfc3339
from slotui.config.loader import load_config
from slotui.core.types import SLOResult
from slotui.engine import Engine
from slotui.replay.history import _timelines, reports

EXAMPLE = Path(__file__).resolve().parents[2] / "slotui" / "slos.example.yaml"
DAY0 = 1780272000.0  # 2026-06-01T00:00:00Z (a Monday; the month's first day)


def _lean(result: SLOResult) -> SLOResult:
    out = replace(result, history=(), buckets=())
    if result.spec.kind == "threshold" and not result.spec.significant:
        out = replace(out, interval=None, significant=None)
    return out


async def _both(loaded, times):  # type: ignore[no-untyped-def]
    fast = [report async for _now, report in reports(loaded, times)]
    engine = Engine(loaded)
    slow = []
    try:
        for now in times:
            data, errors = await engine.fetch(now)
            slow.append(engine.evaluate(data, errors, now))
    finally:
        await engine.aclose()
    return fast, slow


def _compare(loaded, times) -> set[str]:  # type: ignore[no-untyped-def]
    fast, slow = asyncio.run(_both(loaded, times))
    assert len(fast) == len(slow) == len(times)
    statuses: set[str] = set()
    for now, f, s in zip(times, fast, slow):
        assert f.evaluated_at == s.evaluated_at == now
        assert f.source_errors == s.source_errors and f.warnings == s.warnings
        assert [r.spec.name for r in f.results] == [r.spec.name for r in s.results]
        for a, b in zip(f.results, s.results):
            assert repr(a) == repr(_lean(b)), (rfc3339(now), a.spec.name)
            statuses.add(a.status.value)
    return statuses


def _no_breakdown(loaded):  # type: ignore[no-untyped-def]
    return replace(loaded, specs=[replace(s, breakdown=()) for s in loaded.specs])


def test_demo_fast_path_equals_fetch_and_evaluate_at_every_step() -> None:
    """The example config across the daily error burst (06:00) at 1m steps (off the cell grid at 4
    of 5 steps), and across the month boundary (the monthly spend's window restarts)."""
    loaded = _no_breakdown(load_config(EXAMPLE))
    times = [DAY0 + 5 * 3600 + 37 * 60 + i * 60.0 for i in range(90)]
    assert set(asyncio.run(_timelines(loaded, Engine(loaded).sources, times, None))) == {
        s.name for s in loaded.specs}  # every SLO on the fast path
    seen = _compare(loaded, times)
    assert "CRITICAL" in seen and len(seen) >= 2
    month_end = [DAY0 - 20 * 60 + i * 60.0 + 13.0 for i in range(40)]
    _compare(loaded, month_end)


def test_demo_fast_path_with_significance_keeps_the_interval() -> None:
    """``significant: true`` SLOs get the spread at every step: the whole result is equal."""
    loaded = _no_breakdown(load_config(EXAMPLE))
    loaded = replace(loaded, specs=[replace(s, significant=True, min_samples=20) for s in loaded.specs])
    times = [DAY0 + 6 * 3600 + i * 180.0 + 7.0 for i in range(25)]
    _compare(loaded, times)


def test_file_fast_path_equals_fetch_and_evaluate_at_every_step(tmp_path: Path) -> None:
    """A log with irregular times (some out of order), a latency percentile, a mean, a ratio with
    record-level windows and a calendar spend with a forecast, at 1m steps over 10 hours."""
    rng = random.Random(5)
    t0 = DAY0 - 86400.0
    lines = []
    t = t0
    while t < t0 + 36 * 3600:
        t += rng.expovariate(1 / 7.0)
        jitter = -20.0 if rng.random() < 0.02 else 0.0  # a few records written late
        burst = 0.3 if 20 * 3600 < t - t0 < 20.5 * 3600 else 0.004
        lines.append(json.dumps({
            "time": rfc3339(t + jitter), "ms": rng.lognormvariate(6.5, 0.6), "cost": rng.uniform(0.01, 0.09),
            "error": "timeout" if rng.random() < burst else None, "score": rng.random(),
        }))
    (tmp_path / "requests.jsonl").write_text("\n".join(lines) + "\nnot json\n")
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("""version: 1
defaults: {window: 30m, period: 1d, interval: 1m}
sources:
  logs: {type: file, path: requests.jsonl}
slos:
  - {name: p95_ms, source: logs, sli: {field: ms, agg: p95}, objective: {target: 2000, warning: 3000, critical: 5000}}
  - {name: score, source: logs, sli: {field: score, agg: mean}, objective: {target: 0.45, warning: 0.4, critical: 0.3}}
  - {name: success, source: logs, ratio: {good: "error == null"}, objective: {target: 0.99}}
  - name: spend
    source: logs
    sli: {field: cost, agg: sum}
    window: day
    forecast: true
    forecast_basis: 2h
    objective: {target: 300, warning: 400, critical: 500}
""")
    loaded = load_config(cfg)
    times = [t0 + 14 * 3600 + i * 60.0 for i in range(600)]
    assert set(asyncio.run(_timelines(loaded, Engine(loaded).sources, times, None))) == {
        s.name for s in loaded.specs}
    seen = _compare(loaded, times)
    assert "CRITICAL" in seen
