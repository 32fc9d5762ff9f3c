"""Backfilling 7 days of 5 SLOs from a real Prometheus: wall time and requests made.

Starts ``/usr/bin/prometheus`` over 8 days of generated LLM traffic (60 s
samples, backfilled with ``promtool tsdb create-blocks-from openmetrics``) and
measures, for 5 SLOs with a 7-day period and 5-minute slices:

- the first fetch (the backfill: every slice of the period plus the current
  values and burn-rate windows);
- a later fetch one slice on (incremental: only the new slice is asked for);
- peer, measured in the same run: the same later fetch done by a fresh source
  without the range cache (what re-asking the whole period every tick costs).

    python bench/prometheus_backfill.py [--rounds 3] [--step 5m]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from prometheus_server import START, start_backfilled  # noqa: E402

from slotui.config.durations import parse_duration  # noqa: E402
from slotui.config.model import PrometheusSourceConfig  # noqa: E402
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec  # noqa: E402
from slotui.sources.prometheus import PrometheusSource  # noqa: E402

NOW = START + 7 * DAY + 14 * HOUR + 30 * MINUTE
BUCKET = "sum by (le) (increase(llm_request_duration_seconds_bucket[{{window}}]))"


def slos() -> list[SLOSpec]:
    common = dict(source="prom", window=HOUR, period=7 * DAY, slice=5 * MINUTE)
    return [
        SLOSpec(name="p95_latency_s", kind="threshold", target=2.0, direction="lower_is_better",
                query=f"histogram_quantile(0.95, {BUCKET})", **common),  # type: ignore[arg-type]
        SLOSpec(name="p99_latency_s", kind="threshold", target=4.0, direction="lower_is_better",
                query=f"histogram_quantile(0.99, {BUCKET})", **common),  # type: ignore[arg-type]
        SLOSpec(name="mean_latency_s", kind="threshold", target=1.5, direction="lower_is_better",
                query="sum(increase(llm_request_duration_seconds_sum[{{window}}]))"
                " / sum(increase(llm_request_duration_seconds_count[{{window}}]))", **common),  # type: ignore[arg-type]
        SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better",
                good='sum(increase(llm_requests_total{status="ok"}[{{window}}]))',
                total="sum(increase(llm_requests_total[{{window}}]))", **common),  # type: ignore[arg-type]
        SLOSpec(name="fast_responses", kind="ratio", target=0.9, direction="higher_is_better",
                good='sum(increase(llm_request_duration_seconds_bucket{le="2.0"}[{{window}}]))',
                total="sum(increase(llm_request_duration_seconds_count[{{window}}]))", **common),  # type: ignore[arg-type]
    ]


async def timed(src: PrometheusSource, specs: list[SLOSpec], now: float) -> tuple[float, int, int]:
    before = src.requests_made
    t0 = time.perf_counter()
    got = await src.fetch(specs, now)
    wall = time.perf_counter() - t0
    bad = [f"{k}: {v.error}" for k, v in got.items() if v.error]
    if bad:
        raise SystemExit(f"fetch failed: {bad}")
    points = sum(len(v.slices) + len(v.buckets) for v in got.values())
    return wall, src.requests_made - before, points


async def run(url: str, rounds: int, step: float | None) -> None:
    extra = {"step": step} if step else {}
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 60, **extra})
    specs = slos()
    first, later, fresh = [], [], []
    for _ in range(rounds):
        src = PrometheusSource("prom", cfg)
        try:
            first.append(await timed(src, specs, NOW))
            later.append(await timed(src, specs, NOW + 5 * MINUTE))
        finally:
            await src.aclose()
        peer = PrometheusSource("prom", cfg)
        try:
            fresh.append(await timed(peer, specs, NOW + 5 * MINUTE))
        finally:
            await peer.aclose()

    def row(label: str, samples: list[tuple[float, int, int]]) -> float:
        wall = statistics.median(s[0] for s in samples)
        print(f"{label:<34}{wall * 1000:10.0f}{samples[0][1]:10d}{samples[0][2]:10d}")
        return wall

    print(f"{'fetch (5 SLOs, 7d period)':<34}{'wall ms':>10}{'requests':>10}{'slices':>10}")
    row("first fetch (backfill)", first)
    inc = row("next slice, cached", later)
    full = row("peer: next slice, no cache", fresh)
    print(f"incremental fetch is {full / inc:.1f}x faster than re-asking the whole period")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--step", default=None, help="query_range step (default: the 5m slice)")
    args = ap.parse_args()
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        print("prometheus/promtool not installed (Debian package 'prometheus')")
        return 2
    t0 = time.perf_counter()
    server, traffic, tmp = start_backfilled(days=8)
    print(
        f"traffic: {len(traffic.times)} samples x 12 series; promtool backfill {server.backfill_seconds:.1f} s; "
        f"generate + backfill + start {time.perf_counter() - t0:.1f} s"
    )
    try:
        step = parse_duration(args.step) if args.step else None
        asyncio.run(run(server.url, args.rounds, step))  # type: ignore[arg-type]
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
