"""Never blocks: a hanging source, a failing refresh, and the store shared with the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SIZE, screen_text
from tui_fakes import NOW, FakeEngine

from slotui.tui.screens.detail import DetailScreen
from slotui.tui.widgets.slo_table import SLOTable

pytestmark = pytest.mark.tui
REPO = Path(__file__).resolve().parents[2]


async def settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def table(app) -> SLOTable:
    return app.screen_stack[0].query_one(SLOTable)


async def test_hanging_source_keeps_keys_responsive_and_shows_the_error(build):
    # "billing" never answers; the engine gives up after its 4 s timeout (long enough for a loaded
    # machine to answer three keys first; the latency bound below is what the test is about).
    engine = FakeEngine(hang=["billing"], timeout=4.0)
    app = build(engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)  # first refresh (with the timeout) done
        assert engine.ticks == 1
        engine.tick_started.clear()
        await pilot.press("r")
        # wait on the engine actually being inside its tick, not on time
        await asyncio.wait_for(engine.tick_started.wait(), 5)
        assert app.refreshing
        t = table(app)
        start_row = t.cursor_row
        latencies = []
        for key in ("down", "down", "up"):
            before = time.perf_counter()
            await pilot.press(key)
            latencies.append(time.perf_counter() - before)
        assert t.cursor_row == start_row + 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        await pilot.pause()
        # every key was answered while the hung fetch was still pending
        assert app.refreshing, "the keys should have been handled before the source timed out"
        assert max(latencies) < 1.5, latencies
        await settle(app, pilot)
        assert not app.refreshing and engine.ticks == 2
        text = screen_text(app)
        line = next(ln for ln in text.splitlines() if "cost_per_query" in ln)
        assert "STALE" in line and "✗ timed out" in line
        # the other source's rows keep their status
        assert "CRITICAL" in next(ln for ln in text.splitlines() if "helpfulness" in ln)
        # and the sources panel opened by itself with the whole error
        assert "billing" in text and "timed out after 4s" in text


async def test_failing_refresh_is_reported_and_the_next_one_is_armed(build):
    engine = FakeEngine()
    app = build(engine, poll=True, refresh=3600)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)

        def boom(_engine) -> None:
            raise RuntimeError("database is locked")

        engine.on_tick = boom
        await pilot.press("r")
        await settle(app, pilot)
        assert app.is_running and app.refresh_error and "database is locked" in app.refresh_error
        assert "refresh failed: RuntimeError: database is locked" in screen_text(app)
        assert app._timer is not None  # polling goes on
        assert len(table(app).order) == 5  # the last good table stays
        engine.on_tick = None
        await pilot.press("r")
        await settle(app, pilot)
        assert app.refresh_error is None


async def test_snooze_made_in_the_app_is_read_by_another_process(build, tmp_path, clock):
    clock.now = time.time()  # the CLI reads the real clock
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        t.move_cursor(row=t.get_row_index("response_time_p95_ms"))
        await pilot.press("z")
        await pilot.pause()
        await pilot.click("#preset-1h")
        await pilot.click("#comment")
        await pilot.press(*"noisy after deploy")
        await pilot.press("enter")
        await settle(app, pilot)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "silence", "list", "--state", str(tmp_path / "state.db"), "-o", "json"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "response_time_p95_ms" in proc.stdout and "noisy after deploy" in proc.stdout
    assert "tester" in proc.stdout
    table_out = subprocess.run(
        [sys.executable, "-m", "slotui", "silence", "list", "--state", str(tmp_path / "state.db")],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert "slo=response_time_p95_ms" in table_out.stdout


async def test_silence_added_by_another_process_shows_after_refresh(build, tmp_path, clock):
    clock.now = time.time()
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [sys.executable, "-m", "slotui", "silence", "add", "slo=accuracy", "-d", "2h", "--comment", "from cli",
             "--state", str(tmp_path / "state.db")],
            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        clock.now = time.time()  # the app's clock moves on past the silence's start
        await pilot.press("r")
        await settle(app, pilot)
        line = next(ln for ln in screen_text(app).splitlines() if "accuracy" in ln)
        assert "OK Z" in line
        assert "1 silenced" in screen_text(app)


async def test_backend_closed_on_exit(build):
    engine = FakeEngine()
    app = build(engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
    assert engine.closed
    assert NOW  # pinned clock in use


class NeverAnswers:
    """A source whose server never answers (the engine's per-source timeout must cut it)."""

    name = "slow"

    def __init__(self) -> None:
        self.calls = 0

    async def fetch(self, slos, now):
        self.calls += 1
        await asyncio.Event().wait()

    async def aclose(self) -> None:
        pass


REAL_CONFIG = """
version: 1
defaults: {interval: 30s, timeout: 4s}
sources:
  demo: {type: demo, seed: 7}
  slow: {type: http, url: "http://127.0.0.1:9/never", timeout: 4s}
slos:
  - name: helpfulness
    source: demo
    sli: {field: evaluations.helpfulness, agg: mean}
    objective: {target: 0.85, warning: 0.80, critical: 0.70}
  - name: remote_p95_ms
    source: slow
    query: "$.p95"
    objective: {target: 2000, warning: 3000, critical: 5000}
    unit: ms
"""


async def test_real_engine_times_out_a_hanging_source_while_keys_work(tmp_path, clock, store):
    from slotui.config.loader import load_text
    from slotui.engine import Engine
    from slotui.sources import build_source
    from slotui.tui.app import make_app
    from slotui.tui.settings import TuiSettings

    loaded = load_text(REAL_CONFIG, base_dir=tmp_path)
    slow = NeverAnswers()
    demo = build_source("demo", loaded.config.sources["demo"], base_dir=tmp_path, defaults=loaded.config.defaults)
    engine = Engine(loaded, store=store, sources={"demo": demo, "slow": slow})
    app = make_app(engine, store=store, clock=clock, settings=TuiSettings(), poll=False, author="tester")
    async with app.run_test(size=SIZE) as pilot:
        # keys are answered while the first refresh waits on the hanging source
        t = table(app)
        while not app.refreshing or slow.calls == 0:
            await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.refreshing and "Keys" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert not app.refreshing
        text = screen_text(app)
        line = next(ln for ln in text.splitlines() if "remote_p95_ms" in ln)
        assert "NO DATA" in line and "✗ timed out" in line
        helpfulness = next(ln for ln in text.splitlines() if " helpfulness " in ln)
        assert "NO DATA" not in helpfulness and "✓ demo" in helpfulness
        assert "slow" in text and "timed out after 4s" in text.split("Status")[-1]  # the sources panel
        ranks = {r.spec.name: r.status.rank for r in app.snapshot.report.results}
        assert [ranks[name] for name in t.order] == sorted(ranks.values(), reverse=True)


async def test_a_short_terminal_keeps_table_rows_under_the_sources_panel(build):
    """At 40x10 with a failing source the panel took every line: no SLO row was visible."""
    from test_app import settle

    app = build(FakeEngine(hang=("billing",), timeout=0.05))
    async with app.run_test(size=(40, 10)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "billing" in text  # the panel is shown ...
        shown = [status for status in ("CRITICAL", "WARNING", "AT RISK") if status in text]
        assert len(shown) >= 2, text  # ... and the table keeps rows


class AnswersWhenTold:
    """A source that answers only once the test lets it (a slow server, held as long as needed)."""

    name = "slow"

    def __init__(self) -> None:
        import threading

        self.go = threading.Event()  # (set from the test's thread; the source runs in the backend's)
        self.calls = 0

    async def fetch(self, slos, now):
        from slotui.core.types import SLIData

        self.calls += 1
        await asyncio.to_thread(self.go.wait)
        return {s.name: SLIData(value=1500.0, fetched_at=now) for s in slos}

    async def aclose(self) -> None:
        pass


SLOW_CONFIG = REAL_CONFIG.replace('timeout: 4s}\nslos', 'timeout: 60s}\nslos')


async def test_a_slow_source_does_not_hold_back_the_rows_of_the_others(tmp_path, clock, store):
    """SPEC 6: a slow source shows without freezing the table or the others. The first refresh
    shows the demo source's row as soon as it answered (half a second in), the slow source's row
    as waiting; its answer then completes the refresh. A later refresh keeps the slow row's last
    state while it waits again."""
    from slotui.config.loader import load_text
    from slotui.engine import Engine
    from slotui.sources import build_source
    from slotui.tui.app import make_app
    from slotui.tui.settings import TuiSettings

    loaded = load_text(SLOW_CONFIG, base_dir=tmp_path)
    slow = AnswersWhenTold()
    demo = build_source("demo", loaded.config.sources["demo"], base_dir=tmp_path, defaults=loaded.config.defaults)
    engine = Engine(loaded, store=store, sources={"demo": demo, "slow": slow})
    app = make_app(engine, store=store, clock=clock, settings=TuiSettings(), poll=False, author="tester")
    async with app.run_test(size=SIZE) as pilot:
        while app.snapshot is None:  # the partial snapshot, while the slow source holds the refresh
            await pilot.pause()
        assert app.refreshing and app.snapshot.partial and slow.calls == 1
        text = screen_text(app)
        helpfulness = next(ln for ln in text.splitlines() if " helpfulness " in ln)
        assert "NO DATA" not in helpfulness and "✓ demo" in helpfulness
        waiting = next(r for r in app.snapshot.report.results if r.spec.name == "remote_p95_ms")
        assert waiting.status.name == "NO_DATA" and any("waiting for source 'slow', fetching" in n for n in waiting.notes)
        assert engine.last_report is None  # alert states move on whole ticks only
        await pilot.press("e")  # the sources panel names the source still out
        await pilot.pause()
        panel = screen_text(app).split("Status")[-1]
        assert "slow" in panel and "fetching for" in panel, panel
        slow.go.set()
        await settle(app, pilot)
        assert not app.refreshing and not app.snapshot.partial
        line = next(ln for ln in screen_text(app).splitlines() if "remote_p95_ms" in ln)
        assert "1,500" in line or "1500" in line, line
        first = {r.spec.name: r.status for r in app.snapshot.report.results}
        slow.go.clear()
        app.start_refresh()
        while not app.snapshot.partial:
            await pilot.pause()
        assert {r.spec.name: r.status for r in app.snapshot.report.results} == first  # the slow row as it was
        slow.go.set()
        await settle(app, pilot)
        assert not app.snapshot.partial and slow.calls == 2
