"""The engine's tick: last good data on failure, sample history through the store.

The source here is a hand-written fake (a pure unit test); the store is the
real SQLite store in a temporary file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from slotui.config.loader import load_text
from slotui.core.types import SLIData, SLOSpec, Status
from slotui.engine import Engine
from slotui.sources.kit.base import SourceError
from slotui.store import Store

T0 = 1_780_315_200.0  # 2026-06-01T12:00:00Z, a multiple of 300 s

CONFIG = """
version: 1
defaults: {interval: 30s, window: 1h, period: 1d, slice: 5m}
sources:
  api: {type: http, url: "http://127.0.0.1:9/status"}
slos:
  - name: p95_ms
    source: api
    query: latency.p95
    objective: {target: 2000, warning: 3000, critical: 5000}
    burn_rate: [{severity: page, long: 1h, short: 5m, factor: 14.4}]
"""


class ValueOnlySource:
    """Answers a current value only (like a JSON status endpoint); can be told to fail."""

    name = "api"

    def __init__(self, values: list[float]) -> None:
        self.values = values
        self.fail = False

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        if self.fail:
            raise SourceError("connection refused")
        return {s.name: SLIData(value=self.values.pop(0), fetched_at=now, current_only=True) for s in slos}

    async def aclose(self) -> None:
        pass


class CountingStore:
    """The real store, counting the points each tick writes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.written: list[int] = []

    def record_slices(self, slo, points):  # noqa: ANN001
        points = list(points)
        self.written.append(len(points))
        return self._store.record_slices(slo, points)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._store, name)


def _loaded(tmp_path: Path):
    return load_text(CONFIG, name="slos.yaml", base_dir=tmp_path)


async def test_value_only_source_builds_history_that_survives_a_restart(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "state.db")
    source = ValueOnlySource([1000.0, 2500.0, 1200.0, 1100.0])
    engine = Engine(_loaded(tmp_path), store=store, sources={"api": source})
    for i in range(3):
        report = await engine.tick(T0 + i * 300 + 10)
    (result,) = report.results
    assert [v for _, v in result.history] == [1000.0, 2500.0, 1200.0]
    # threshold budget: 3 slices with data, the 2500 ms one misses the 2000 ms target
    assert result.budget is not None and result.budget.good_slices == 2 and result.budget.slices == 3
    await engine.aclose()

    restarted = Engine(_loaded(tmp_path), store=store, sources={"api": source})
    report = await restarted.tick(T0 + 3 * 300 + 10)
    (result,) = report.results
    assert [(t - T0, v) for t, v in result.history] == [(0, 1000.0), (300, 2500.0), (600, 1200.0), (900, 1100.0)]
    store.close()


async def test_a_tick_writes_only_new_slices(tmp_path: Path) -> None:
    class PeriodSource(ValueOnlySource):
        async def fetch(self, slos, now):  # noqa: ANN001, ANN201
            # a backfilling source answers the whole period every time
            slices = tuple((T0 - 3600 + k * 300, 1000.0) for k in range(int((now - (T0 - 3600)) // 300) + 1))
            return {s.name: SLIData(value=1000.0, slices=slices, fetched_at=now) for s in slos}

    store = CountingStore(Store.open(tmp_path / "state.db"))
    engine = Engine(_loaded(tmp_path), store=store, sources={"api": PeriodSource([])})  # type: ignore[arg-type]
    await engine.tick(T0 + 10)
    await engine.tick(T0 + 310)
    await engine.tick(T0 + 320)
    # 12 complete slices first (T0-1h .. T0-5m; the one open at T0+10 is not stored), then the last
    # written one again plus the one completed since, then just the last one; the slice still open
    # (T0+300 at T0+320) never
    assert store.written == [12, 2, 1]
    assert len(store.load_slices("p95_ms", T0 - 86400, T0 + 600)) == 13


async def test_failed_source_keeps_last_value_then_turns_stale(tmp_path: Path) -> None:
    source = ValueOnlySource([1500.0])
    engine = Engine(_loaded(tmp_path), sources={"api": source})
    report = await engine.tick(T0)
    assert report.results[0].status is Status.OK
    source.fail = True
    report = await engine.tick(T0 + 30)  # within 2 x interval: last good value, not yet stale
    (result,) = report.results
    assert result.value == 1500.0 and result.status is Status.OK
    assert "connection refused" in (result.error or "")
    assert "api" in report.source_errors
    report = await engine.tick(T0 + 61)  # older than 2 x 30 s
    assert report.results[0].status is Status.STALE
    assert report.results[0].value == 1500.0
    assert engine.health["api"].last_error is not None


async def test_a_run_at_an_earlier_time_uses_nothing_stored_from_after_it(tmp_path: Path) -> None:
    """``check --at T`` on a state file a later run had written: the stored slice open at ``T`` (complete
    only later) was merged in, counting events from after ``T``, so the same question got another
    answer after an unrelated run. A source like Prometheus answers complete slices only."""

    class CompleteSlices(ValueOnlySource):
        async def fetch(self, slos, now):  # noqa: ANN001, ANN201
            done = int((now - (T0 - 3600)) // 300)  # slices [T0-1h + 5m k, +5m) complete by now
            slices = tuple((T0 - 3600 + k * 300, 9000.0 if T0 - 3600 + k * 300 >= T0 else 1000.0)
                           for k in range(done))
            return {s.name: SLIData(value=1000.0, slices=slices, fetched_at=now) for s in slos}

    async def run(state: Path, now: float):
        store = Store.open(state)
        try:
            engine = Engine(_loaded(tmp_path), store=store, sources={"api": CompleteSlices([])})  # type: ignore[arg-type]
            (result,) = (await engine.tick(now)).results
            return result
        finally:
            store.close()

    fresh = await run(tmp_path / "fresh.db", T0 + 60)
    await run(tmp_path / "state.db", T0 + 1800)  # a later run stores the slices of T0 .. T0+25m, all bad
    again = await run(tmp_path / "state.db", T0 + 60)
    assert [ts for ts, _ in again.history] == [ts for ts, _ in fresh.history]
    assert max(ts for ts, _ in again.history) == T0 - 300  # the slice open at T0+60 is not in it
    assert again.budget == fresh.budget and again.status == fresh.status
