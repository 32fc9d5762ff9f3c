"""The live table under load, headless: refresh cost, keypress latency during a refresh, memory over a soak.

Three measurements on a 200-SLO table (the app built by ``make_app``, driven by
Textual's Pilot, no terminal):

1. **Refresh apply**: event-loop time to apply one refresh (keyed
   ``update_cell`` diff, header, sources panel) plus one full frame render.
   Named peer in the same run: *rebuild* (``clear()`` and ``add_row`` for
   every SLO, what the table would cost without diffing). Goal < 16 ms.
2. **Keypress latency during a refresh**: a refresh that evaluates 200 SLOs
   with the real core (7 days of 5-minute slices each) while one source
   hangs until its timeout; cursor keys are pressed meanwhile and timed from
   press to the screen settled. Named peer: the same keys with no refresh
   running. Goal < 50 ms.
3. **Memory**: RSS after N refreshes (default 10,000, through the real path:
   worker, backend thread, diff) against RSS after 100. Goal: within 10%.

    python bench/tui_tick.py [--slos 200] [--refreshes 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slotui import blas_threads, gc_policy  # noqa: E402
from slotui.core.evaluate import evaluate_all  # noqa: E402
from slotui.core.types import DAY, Report, SLIData, SLOSpec  # noqa: E402
from slotui.sources.kit.base import SourceHealth  # noqa: E402
from slotui.tui.app import make_app  # noqa: E402
from slotui.tui.settings import TuiSettings  # noqa: E402
from slotui.tui.widgets.slo_table import SLOTable  # noqa: E402

NOW = 1_780_000_000.0
SIZE = (140, 50)


def specs(n: int) -> list[SLOSpec]:
    out = []
    for i in range(n):
        src = f"src{i % 4}"
        if i % 3 == 0:
            out.append(SLOSpec(name=f"latency_p95_ms_{i:03d}", kind="threshold", target=2000, warning=3000,
                               critical=5000, direction="lower_is_better", unit="ms", source=src))
        elif i % 3 == 1:
            out.append(SLOSpec(name=f"helpfulness_{i:03d}", kind="threshold", target=0.85, warning=0.8,
                               critical=0.7, direction="higher_is_better", unit="score", source=src))
        else:
            out.append(SLOSpec(name=f"availability_{i:03d}", kind="ratio", target=0.995,
                               direction="higher_is_better", source=src, period=7 * DAY))
    return out


def sli_data(spec: SLOSpec, now: float, phase: float) -> SLIData:
    """A week of 5-minute slices with a daily wave and one incident, shifted by ``phase``."""
    n = int(spec.period // spec.slice)
    start = now - n * spec.slice
    k = hash(spec.name) % 97
    if spec.kind == "ratio":
        buckets = []
        for i in range(n):
            total = 600.0 + 200 * math.sin((i + k) / 40 + phase)
            bad = total * (0.002 + (0.05 if (i + k) % 700 < 6 else 0.0))
            buckets.append((start + i * spec.slice, total - bad, total))
        return SLIData(buckets=tuple(buckets), fetched_at=now)
    base = spec.target * (0.8 if spec.direction == "lower_is_better" else 1.05)
    slices = tuple(
        (start + i * spec.slice,
         base * (1 + 0.15 * math.sin((i + k) / 30 + phase) + (0.6 if (i + k) % 900 < 4 else 0.0)
                 * (1 if spec.direction == "lower_is_better" else -1)))
        for i in range(n)
    )
    return SLIData(value=slices[-1][1], slices=slices, fetched_at=now)


class BenchEngine:
    """Engine surface the TUI uses. ``evaluate=True``: each tick runs the real core over a week of
    slices per SLO (CPU in the backend thread) while ``slow`` sources hang until ``timeout``."""

    def __init__(self, n: int, *, evaluate: bool, slow: tuple[str, ...] = (), timeout: float = 0.3) -> None:
        self.specs = specs(n)
        self.health = {f"src{i}": SourceHealth() for i in range(4)}
        self.evaluate = evaluate
        self.slow = slow
        self.timeout = timeout
        self.ticks = 0
        self.tick_started = threading.Event()
        self.data = [{s.name: sli_data(s, NOW, p) for s in self.specs} for p in (0.0, 0.7)]
        self.reports = [evaluate_all(self.specs, d, NOW) for d in self.data]

    async def tick(self, now: float) -> Report:
        self.tick_started.set()
        self.ticks += 1
        errors = {}
        for src in self.slow:
            try:
                await asyncio.wait_for(asyncio.Event().wait(), self.timeout)
            except asyncio.TimeoutError:
                errors[src] = f"timed out after {self.timeout:g}s"
        if self.evaluate:
            return evaluate_all(self.specs, self.data[self.ticks % 2], now, source_errors=errors)
        report = self.reports[self.ticks % 2]
        return replace(report, evaluated_at=now,
                       results=tuple(replace(r, evaluated_at=now) for r in report.results))

    async def aclose(self) -> None:
        pass


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def build(engine: BenchEngine, clock: Clock):
    return make_app(engine, clock=clock, settings=TuiSettings(), poll=False, author="bench")


def ms(x: float) -> str:
    return f"{x * 1000:7.2f} ms"


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


# ------------------------------------------------------------------------------ 1. apply


async def bench_apply(n: int, rounds: int) -> dict[str, float]:
    from slotui.tui.app import prepare_snapshot
    from slotui.tui.backend import Snapshot

    engine = BenchEngine(n, evaluate=False)
    clock = Clock()
    app = build(engine, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen_stack[0].query_one(SLOTable)
        health = dict(engine.health)
        # prepared as the backend thread prepares them (trend points computed off the event loop)
        trend = app.trend_style()
        snaps = [prepare_snapshot(Snapshot(report=replace(r, evaluated_at=NOW + i), health=health), trend)
                 for i, r in enumerate(engine.reports)]
        # a typical refresh: 10% of the SLOs moved (value, trend, budget, burn) within their status
        typical = list(snaps[0].report.results)
        for i in range(0, n, 10):
            typical[i] = replace(snaps[1].report.results[i], status=typical[i].status)
        snaps.append(prepare_snapshot(Snapshot(report=replace(snaps[0].report, results=tuple(typical)),
                                               health=health), trend))

        def frame() -> float:
            t0 = time.perf_counter()
            app.screen._compositor.render_update(full=True)
            return time.perf_counter() - t0

        results: dict[str, list[float]] = {k: [] for k in ("all", "typical", "rebuild", "frame", "frame_typical", "frame_rebuild",
                                                             "updates_all", "updates_typical")}
        for i in range(rounds):
            # worst case: every row's value, trend, budget and burn changed
            app.apply_snapshot(snaps[0])
            await pilot.pause()
            t0 = time.perf_counter()
            app.apply_snapshot(snaps[1])
            results["all"].append(time.perf_counter() - t0)
            results["updates_all"].append(table.last_updates)
            results["frame"].append(frame())
            await pilot.pause()
            app.apply_snapshot(snaps[0])
            await pilot.pause()
            t0 = time.perf_counter()
            app.apply_snapshot(snaps[2])
            results["typical"].append(time.perf_counter() - t0)
            results["updates_typical"].append(table.last_updates)
            results["frame_typical"].append(frame())
            await pilot.pause()
            # peer: clear and rebuild every row (no diff)
            models = app.row_models()
            t0 = time.perf_counter()
            with app.batch_update():
                table.clear()
                table._models.clear()
                table._sigs.clear()
                table.sync(models)
            results["rebuild"].append(time.perf_counter() - t0)
            results["frame_rebuild"].append(frame())
            await pilot.pause()
        assert table.row_count == n
        # peer 2: Textual's stock DataTable with the very same cells, updated cell by cell
        # (update_cell) as a plain DataTable would be, then one frame
        cells_by_row = {str(k.value): dict(v) for k, v in table._data.items()}
        other = [dict(v) for v in table._data.values()]
        stock_app = StockTable(list(table._column_keys), [c.label for c in table.ordered_columns],
                               [c.width for c in table.ordered_columns], cells_by_row)
    stock = await bench_stock(stock_app, other, rounds)
    out = {k: statistics.median(v) for k, v in results.items()}
    out.update(stock)
    return out


class StockTable:
    """Builds a minimal app around textual's own DataTable holding the same cells (the named peer)."""

    def __init__(self, columns, labels, widths, rows) -> None:
        from textual.app import App
        from textual.widgets import DataTable

        class Peer(App[None]):
            def compose(self_inner):
                yield DataTable(cursor_type="row")

            def on_mount(self_inner) -> None:
                t = self_inner.query_one(DataTable)
                for key, label, width in zip(columns, labels, widths):
                    t.add_column(label, key=str(key.value) if hasattr(key, "value") else str(key), width=width)
                for name, row in rows.items():
                    t.add_row(*[row[k] for k in row], key=name)

        self.app = Peer()
        self.columns = [str(getattr(k, "value", k)) for k in columns]


async def bench_stock(peer: StockTable, other_rows, rounds: int) -> dict[str, float]:
    from textual.widgets import DataTable

    app = peer.app
    update, frame = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        t = app.query_one(DataTable)
        keys = [str(r.key.value) for r in t.ordered_rows]
        originals = {k: [t.get_cell(k, c) for c in peer.columns] for k in keys}
        for i in range(rounds):
            source = other_rows if i % 2 == 0 else [originals[k] for k in keys]
            t0 = time.perf_counter()
            with app.batch_update():
                for k, row in zip(keys, source):
                    values = list(row.values()) if isinstance(row, dict) else row
                    for c, v in zip(peer.columns, values):
                        if c in ("value", "trend", "budget", "burn"):
                            t.update_cell(k, c, v)
            update.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            app.screen._compositor.render_update(full=True)
            frame.append(time.perf_counter() - t0)
            await pilot.pause()
    return {"stock_update": statistics.median(update), "stock_frame": statistics.median(frame)}


# ------------------------------------------------------------------------------ 2. keys


async def bench_keys(n: int, samples: int) -> dict[str, list[float]]:
    """Keypress -> first frame showing the moved cursor, timed by hooking the app's display call.

    The key goes in the way a terminal's does (``driver.send_message``); the clock stops
    when the compositor hands a frame with the new cursor row to the display.
    """
    from textual import events

    engine = BenchEngine(n, evaluate=True, slow=("src3",), timeout=0.3)
    clock = Clock()
    app = build(engine, clock)
    out: dict[str, list[float]] = {"idle": [], "refresh": [], "tick": []}
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen_stack[0].query_one(SLOTable)
        shown = asyncio.Event()
        waiting_for: list[int] = []
        original_display = app._display

        def display(screen, renderable):  # the frame reaching the terminal
            original_display(screen, renderable)
            if waiting_for and table.cursor_row == waiting_for[0]:
                shown.set()

        app._display = display  # type: ignore[method-assign]

        async def press(key: str) -> float:
            target = table.cursor_row + (1 if key == "down" else -1)
            waiting_for[:] = [target]
            shown.clear()
            t0 = time.perf_counter()
            app._driver.send_message(events.Key(key, None))
            await asyncio.wait_for(shown.wait(), 10)
            elapsed = time.perf_counter() - t0
            waiting_for.clear()
            return elapsed

        keys = ["down", "up"]
        for i in range(samples):
            out["idle"].append(await press(keys[i % 2]))
            await pilot.pause()
        while len(out["refresh"]) < samples:
            engine.tick_started.clear()
            t_tick = time.perf_counter()
            app.start_refresh()
            await asyncio.to_thread(engine.tick_started.wait, 10)
            i = 0
            while app.refreshing and len(out["refresh"]) < samples:
                latency = await press(keys[i % 2])
                if app.refreshing:  # only keys answered while the refresh was still running
                    out["refresh"].append(latency)
                i += 1
            await settle(app, pilot)
            out["tick"].append(time.perf_counter() - t_tick)
    return out


# ------------------------------------------------------------------------------ 3. memory


async def bench_memory(n: int, refreshes: int) -> tuple[float, float, float]:
    engine = BenchEngine(n, evaluate=False)
    clock = Clock()
    app = build(engine, clock)
    rss_100 = rss_start = 0.0
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rss_start = rss_mb()
        for i in range(1, refreshes + 1):
            clock.now = NOW + 30 * i
            app.start_refresh()
            await app.workers.wait_for_complete()
            if i % 10 == 0:
                await pilot.pause()  # let frames render too
            if i == 100:
                gc.collect()
                rss_100 = rss_mb()
            if i % 2000 == 0:
                print(f"  ... {i} refreshes, RSS {rss_mb():.1f} MB, {time.perf_counter() - started:.0f} s",
                      flush=True)
        gc.collect()
        rss_end = rss_mb()
        assert app.refresh_count >= refreshes
    return rss_start, rss_100, rss_end


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slos", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=20, help="apply measurements (median)")
    ap.add_argument("--keys", type=int, default=30, help="keypresses per condition")
    ap.add_argument("--refreshes", type=int, default=10_000)
    ap.add_argument("--only", choices=["apply", "keys", "memory"], help="run one measurement")
    ap.add_argument("--default-gc", action="store_true",
                    help="keep CPython's collector settings instead of the ones `slotui` applies before the app runs")
    args = ap.parse_args()
    n = args.slos
    blas_threads.limit()  # as the `slotui` command does first
    if not args.default_gc:
        gc_policy.apply()  # as `slotui demo` / `slotui tui` run the app

    print(f"slotui TUI bench: {n} SLOs, terminal {SIZE[0]}x{SIZE[1]}, Python {sys.version.split()[0]}, "
          f"collector {'CPython defaults' if args.default_gc else 'slotui.gc_policy'} {gc.get_threshold()}")
    if args.only in (None, "apply"):
        run_apply(n, args)
    if args.only in (None, "keys"):
        run_keys(n, args)
    if args.only in (None, "memory"):
        run_memory(n, args)
    return 0


def run_apply(n: int, args: argparse.Namespace) -> None:
    print("\n1. one refresh applied to the table (median of", args.rounds, "rounds)")
    a = asyncio.run(bench_apply(n, args.rounds))
    total = a["all"] + a["frame"]
    total_typical = a["typical"] + a["frame_typical"]
    print(f"   diff, every row changed   {ms(a['all'])}  ({a['updates_all']:.0f} cells written)")
    print(f"   diff, 10% of rows changed {ms(a['typical'])}  ({a['updates_typical']:.0f} cells written)")
    print(f"   frame after it (all rows) {ms(a['frame'])}")
    print(f"   frame after it (10%)      {ms(a['frame_typical'])}")
    print(f"   peer: clear + rebuild     {ms(a['rebuild'])}  (+ frame {ms(a['frame_rebuild'])})")
    print(f"   ratio rebuild / diff(all) {a['rebuild'] / a['all']:.1f}x;  rebuild / diff(10%) "
          f"{a['rebuild'] / a['typical']:.1f}x;  with frames {(a['rebuild'] + a['frame_rebuild']) / total:.1f}x / "
          f"{(a['rebuild'] + a['frame_rebuild']) / total_typical:.1f}x")
    stock_total = a["stock_update"] + a["stock_frame"]
    print(f"   peer: textual DataTable   {ms(a['stock_update'])}  (+ frame {ms(a['stock_frame'])}) "
          f"same cells, update_cell on 4 columns of every row")
    print(f"   ratio DataTable / SLOTable, update + frame (all rows): {stock_total / total:.1f}x")
    print(f"   goal: applying a refresh < 16 ms of event-loop time: all rows {'OK' if a['all'] < 0.016 else 'MISSED'},"
          f" 10% {'OK' if a['typical'] < 0.016 else 'MISSED'};  apply + its frame: all rows {ms(total)}, "
          f"10% {ms(total_typical)}")


def run_keys(n: int, args: argparse.Namespace) -> None:
    print("\n2. keypress -> frame with the moved cursor, while a refresh evaluates", n, "SLOs (7d of 5m slices) "
          "and one source hangs until its 0.3 s timeout")
    k = asyncio.run(bench_keys(n, args.keys))
    idle_med, ref_med = statistics.median(k["idle"]), statistics.median(k["refresh"])
    ref_p95 = sorted(k["refresh"])[int(0.95 * (len(k["refresh"]) - 1))]
    print(f"   refresh (tick) duration   {ms(statistics.median(k['tick']))}  ({len(k['tick'])} refreshes)")
    print(f"   peer: keys with no refresh  median {ms(idle_med)}  max {ms(max(k['idle']))}")
    print(f"   keys during a refresh       median {ms(ref_med)}  p95 {ms(ref_p95)}  max {ms(max(k['refresh']))}"
          f"  ({len(k['refresh'])} keys)")
    print(f"   ratio during / idle (median) {ref_med / idle_med:.2f}x   goal p95 < 50 ms: "
          f"{'OK' if ref_p95 < 0.050 else 'MISSED'}")



def run_memory(n: int, args: argparse.Namespace) -> None:
    print(f"\n3. memory over {args.refreshes} refreshes (worker + backend thread + diff)")
    start, r100, end = asyncio.run(bench_memory(n, args.refreshes))
    growth = (end - r100) / r100
    print(f"   RSS after first refresh {start:.1f} MB, after 100 {r100:.1f} MB, after {args.refreshes} {end:.1f} MB")
    print(f"   ratio RSS({args.refreshes}) / RSS(100) = {end / r100:.3f}  ({growth * 100:+.1f}%)  goal within 10%: "
          f"{'OK' if abs(growth) <= 0.10 else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
