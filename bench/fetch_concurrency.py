"""Tick time of fetch_all over 50 Prometheus sources that each answer after 200 ms.

Every source is a real :class:`PrometheusSource` talking HTTP to a local fake
Prometheus (one asyncio loopback server in a separate process, so it does not
share the GIL with the client; every request answered after ``--latency``
seconds). Peers measured in the same run:

- the slowest source's own fetch latency in that tick (goal: tick < 1.5 x it);
- the sum of all sources' latencies (what a sequential tick would cost);
- an actual sequential tick (each source fetched after the other), unless
  ``--no-sequential``.

Three ticks are timed: the first (backfill: instant + query_range per SLO), a
later one with a new slice (instant + a one-slice range), and one with no new
slice (instant only).

    python bench/fetch_concurrency.py [--sources 50] [--latency 0.2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from prometheus_server import Request, matrix, vector  # noqa: E402

from slotui import blas_threads, gc_policy  # noqa: E402
from slotui.config.model import PrometheusSourceConfig  # noqa: E402
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec  # noqa: E402
from slotui.sources.kit.base import SourceHealth  # noqa: E402
from slotui.sources.prometheus import PrometheusSource  # noqa: E402
from slotui.sources.kit.runtime import fetch_all, fetch_one  # noqa: E402

GOAL = 1.5
NOW = 1_767_225_600.0 + 10 * DAY


def route(req: Request):
    if req.path.endswith("/api/v1/query"):
        return 200, vector("0.9")
    start, end, step = (float(req.params[k]) for k in ("start", "end", "step"))
    return 200, matrix([(start + i * step, "0.9") for i in range(round((end - start) / step) + 1)])


def spec(i: int) -> SLOSpec:
    return SLOSpec(
        name=f"slo{i}", kind="threshold", target=2.0, direction="lower_is_better", source=f"s{i}",
        query=f'histogram_quantile(0.95, sum by (le) (rate(svc{i}_bucket[{{{{window}}}}])))',
        window=HOUR, period=7 * DAY, slice=5 * MINUTE,
    )


def serve(latency: float, conn) -> None:  # type: ignore[no-untyped-def]
    """A keep-alive HTTP/1.1 fake Prometheus on asyncio (one thread, no per-request threads)."""
    import json
    from urllib.parse import parse_qs, urlsplit

    answers: dict[tuple[str | None, ...], tuple[int, bytes]] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                length = int(headers.get("content-length") or 0)
                body = (await reader.readexactly(length)).decode() if length else ""
                parts = urlsplit(target)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                params.update({k: v[-1] for k, v in parse_qs(body).items()})
                await asyncio.sleep(latency)  # the simulated server latency
                # Every source asks the same ranges: answer from a cache so the fake
                # server's own JSON encoding does not weigh on the measurement.
                key = (parts.path, params.get("start"), params.get("end"), params.get("step"))
                if key not in answers:
                    status, payload = route(Request(method, parts.path, params, headers))  # params: query + form
                    answers[key] = (status, json.dumps(payload).encode())
                status, data = answers[key]
                writer.write(
                    f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode() + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
        port = server.sockets[0].getsockname()[1]
        conn.send(f"http://127.0.0.1:{port}")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # until the bench is done
        server.close()

    asyncio.run(main())


async def run(n: int, latency: float, rounds: int, sequential: bool) -> int:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve, args=(latency, child), daemon=True)
    server.start()
    try:
        return await measure(parent.recv(), n, latency, rounds, sequential)
    finally:
        parent.send("stop")
        server.join(10)


TICKS = (("backfill", NOW), ("new slice", NOW + 300), ("no new slice", NOW + 330))


async def measure(url: str, n: int, latency: float, rounds: int, sequential: bool) -> int:
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 10})
    specs = {f"s{i}": [spec(i)] for i in range(n)}
    rows = []
    for r in range(rounds):
        sources = {name: PrometheusSource(name, cfg) for name in specs}
        health: dict[str, SourceHealth] = {}
        try:
            for label, now in TICKS:
                before = sum(s.requests_made for s in sources.values())
                t0, c0 = time.perf_counter(), time.process_time()
                data, errors = await fetch_all(sources, specs, now, {k: 10.0 for k in specs}, health)
                tick, cpu = time.perf_counter() - t0, time.process_time() - c0
                if errors or any(d.error for d in data.values()):
                    print(f"errors: {errors or [d.error for d in data.values() if d.error][:3]}")
                    return 1
                lat = [h.latency or 0.0 for h in health.values()]
                made = sum(s.requests_made for s in sources.values()) - before
                rows.append((r, label, tick, max(lat), sum(lat), made, cpu))
        finally:
            for s in sources.values():
                await s.aclose()
    # Peer: the same ticks with the sources fetched one after the other; each
    # source's latency alone gives "the slowest source" without contention.
    alone: dict[str, float] = {}
    seq: dict[str, float] = {}
    if sequential:
        sources = {name: PrometheusSource(name, cfg) for name in specs}
        try:
            for label, now in TICKS:
                worst = 0.0
                t0 = time.perf_counter()
                for name, slos in specs.items():
                    h = SourceHealth()
                    await fetch_one(name, sources[name], slos, now, 10.0, h)
                    worst = max(worst, h.latency or 0.0)
                seq[label] = time.perf_counter() - t0
                alone[label] = worst
        finally:
            for s in sources.values():
                await s.aclose()

    print(f"{n} Prometheus sources, every request answered after {latency * 1000:.0f} ms (fake server, own process)")
    print(f"median of {rounds} rounds; 'slowest' = slowest source's fetch latency within the concurrent tick;")
    print("'alone' = slowest source's latency when fetched by itself (sequential peer)")
    head = (
        f"{'tick':<14}{'wall ms':>9}{'cpu ms':>8}{'slowest':>9}{'alone':>8}{'sum ms':>9}{'seq ms':>9}"
        f"{'x alone':>9}{'x seq':>8}{'reqs':>6}"
    )
    print(head)
    worst_ratio = 0.0
    for label, _ in TICKS:
        mine = [row for row in rows if row[1] == label]
        tick = statistics.median(row[2] for row in mine)
        slowest = statistics.median(row[3] for row in mine)
        total = statistics.median(row[4] for row in mine)
        cpu = statistics.median(row[6] for row in mine)
        ref = alone.get(label, slowest)
        ratio = tick / ref
        worst_ratio = max(worst_ratio, ratio)
        seq_ms = f"{seq[label] * 1000:9.0f}" if label in seq else f"{'-':>9}"
        seq_x = f"{tick / seq[label]:8.3f}" if label in seq else f"{'-':>8}"
        print(
            f"{label:<14}{tick * 1000:9.0f}{cpu * 1000:8.0f}{slowest * 1000:9.0f}{ref * 1000:8.0f}{total * 1000:9.0f}"
            f"{seq_ms}{ratio:9.2f}{seq_x}{mine[0][5]:6d}"
        )
    print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    verdict = "meets" if worst_ratio < GOAL else "MISSES"
    print(f"goal: tick < {GOAL} x the slowest source alone -> worst {worst_ratio:.2f}x, {verdict}")
    return 0 if worst_ratio < GOAL else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-sequential", action="store_true")
    ap.add_argument("--default-gc", action="store_true",
                    help="keep CPython's collector settings instead of the ones `slotui run`/the TUI apply")
    args = ap.parse_args()
    blas_threads.limit()  # as the `slotui` command does first
    if not args.default_gc:
        gc_policy.apply()  # as `slotui run --headless` and the TUI run
    print(f"collector: {'CPython defaults' if args.default_gc else 'slotui.gc_policy'} (thresholds {gc.get_threshold()})")
    return asyncio.run(run(args.sources, args.latency, args.rounds, not args.no_sequential))


if __name__ == "__main__":
    raise SystemExit(main())
