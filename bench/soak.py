"""Soak: the daemon's tick, 10,000 times, 100 SLOs, a flaky source and a flaky receiver.

Runs the daemon's own tick (:meth:`slotui.commands.run.Daemon.step`: compaction,
fetch, evaluate, persist, enqueue) in-process on a simulated clock (one tick
= the config's 30 s interval, so 10,000 ticks cover 3.5 days of demo traffic
with its scripted incidents; a 2 h compliance period, full after 240 ticks), then delivers what is due
(``Alerting.deliver_due(now)``) to a real webhook receiver on loopback. The
receiver runs in a child process and answers 500 to 10% of the requests
(seeded); the demo source raises a SourceError on 5% of the ticks (seeded).
After the last tick the outbox is drained (simulated time moves on, no more
evaluation) and the receiver's log is compared with the outbox:

- **lost**: a notification enqueued in the outbox that the receiver never
  acknowledged with a 200 (must be 0);
- **duplicated**: a notification the receiver acknowledged more than once
  (must be 0); notifications are identified by their outbox identity
  ``group#transition@channel``, passed on the URL;
- **RSS growth**: resident memory after the last tick against after the
  warm-up (the first 10% of ticks, at least the 240 that fill the period);
- **tick p50 / p99** against the named peer **core evaluation alone**
  (``evaluate_all`` on the same inputs inside the same ticks), and the p99 of
  the last ticks against the warm-up's (drift: 1.0 = nothing accumulates).

Alerts are grouped per SLO with a 10 min repeat, so firing SLOs re-notify
often and the failing receiver sees many deliveries. The state file is a real SQLite WAL file in a temporary directory; the
webhook channel is slotui's (payload and HTTP client); only its URL carries
the notification id.

    python bench/soak.py [--ticks 10000] [--slos 100] [--receiver-failures 0.1] [--source-failures 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from urllib.parse import quote
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slotui import blas_threads, gc_policy  # noqa: E402
from slotui.alerting.service import Alerting  # noqa: E402
from slotui.channels import http  # noqa: E402
from slotui.channels.webhook import WebhookChannel, build_payload  # noqa: E402
from slotui.commands.run import Daemon  # noqa: E402
from slotui.config.loader import load_text  # noqa: E402
from slotui.config.model import WebhookChannel as WebhookChannelConfig  # noqa: E402
from slotui.engine import Engine  # noqa: E402
from slotui.sources import build_source  # noqa: E402
from slotui.sources.kit.base import SourceError  # noqa: E402
from slotui.store import Store  # noqa: E402

T0 = 1_780_315_200.0  # 2026-06-01T12:00:00Z
INTERVAL = 30.0
#: The compliance period: sample history stops growing once a period is full (after PERIOD / INTERVAL ticks).
PERIOD = 2 * 3600.0

RECEIVER = textwrap.dedent(
    """
    import asyncio, json, random, sys
    from urllib.parse import unquote
    fail = float(sys.argv[1])
    rng = random.Random(int(sys.argv[2]))
    ok, failed = {}, {}

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\\r\\n\\r\\n")
                lines = head.split(b"\\r\\n")
                target = lines[0].split(b" ")[1].decode()
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    body = json.loads(await reader.readexactly(length))
                    assert body["version"] == "4" and body["alerts"], body
                nid = unquote(target.partition("?n=")[2])
                if rng.random() < fail:
                    failed[nid] = failed.get(nid, 0) + 1
                    writer.write(b"HTTP/1.1 500 Internal Server Error\\r\\nContent-Length: 4\\r\\n\\r\\nfail")
                else:
                    ok[nid] = ok.get(nid, 0) + 1
                    writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
        print(server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the bench closes our stdin
        print(json.dumps({"ok": ok, "failed": failed}), flush=True)

    asyncio.run(main())
    """
)

#: SLO shapes cycled over the demo's fields; thresholds vary so that some fire, some flip, some stay OK.
SHAPES = [
    'sli: {{field: evaluations.accuracy, agg: mean}}\n    objective: {{target: {t:.3f}, warning: {w:.3f}, critical: {c:.3f}}}',
    'sli: {{field: evaluations.helpfulness, agg: mean}}\n    objective: {{target: {t:.3f}, warning: {w:.3f}, critical: {c:.3f}}}',
    'ratio: {{good: "error.type == null"}}\n    objective: {{target: {r:.4f}}}',
    'sli: {{field: duration_ms, agg: p95}}\n    objective: {{target: {ms}, warning: {wms}, critical: {cms}}}',
]


def config_text(n: int, url: str) -> str:
    rng = random.Random(11)
    slos = []
    for i in range(n):
        t = rng.uniform(0.80, 0.95)
        ms = rng.choice([2000, 3000, 4000, 6000])
        shape = SHAPES[i % len(SHAPES)].format(
            t=t, w=t - 0.03, c=t - 0.08, r=rng.choice([0.95, 0.98, 0.99, 0.995]), ms=ms, wms=ms * 1.5, cms=ms * 2
        )
        slos.append(f"  - name: slo-{i:03d}\n    {shape}")
    return (
        "version: 1\n"
        f"defaults: {{interval: {INTERVAL:g}s, window: 30m, period: {PERIOD:g}s, slice: 5m,\n"
        "  burn_rate: [{severity: page, long: 1h, short: 5m, factor: 14.4},"
        " {severity: critical, long: 2h, short: 10m, factor: 6}]}\n"
        "sources:\n  demo: {type: demo, seed: 7}\n"
        "slos:\n" + "\n".join(slos) + "\n"
        "alerts:\n"
        f"  channels:\n    hook: {{type: webhook, url: \"{url}\"}}\n"
        "  routes:\n"
        "    - {severity: warning, channels: [hook]}\n"
        "    - {severity: critical, channels: [hook]}\n"
        "    - {severity: page, channels: [hook]}\n"
        "  group: {by: [slo], wait: 0s, interval: 1m, repeat: 10m}\n"
    )


class Receiver:
    def __init__(self, fail: float, seed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RECEIVER, str(fail), str(seed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}/hook"

    def close(self) -> dict[str, dict[str, int]]:
        out, _ = self.proc.communicate("", timeout=60)
        return json.loads(out.strip().splitlines()[-1])


class IdentifiedWebhook(WebhookChannel):
    """slotui's webhook channel, with the notification's outbox identity on the URL (for the receiver's tally)."""

    async def send(self, notification: Any):
        payload = build_payload(notification, self.name)
        return await http.post_json(
            self._client, f"{self._url}?n={quote(notification.id, safe='')}", payload, what="webhook", secrets=self._secrets
        )


class FlakySource:
    """The demo source, failing a share of its fetches."""

    def __init__(self, inner: Any, share: float, seed: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.share = share
        self.rng = random.Random(seed)
        self.failures = 0

    async def fetch(self, slos, now):  # noqa: ANN001
        if self.rng.random() < self.share:
            self.failures += 1
            raise SourceError("soak: injected failure")
        return await self.inner.fetch(slos, now)

    async def aclose(self) -> None:
        await self.inner.aclose()


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def soak(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    receiver = Receiver(args.receiver_failures, seed=3)
    try:
        return await _soak(args, workdir, receiver)
    finally:
        if receiver.proc.poll() is None:
            receiver.proc.kill()
            receiver.proc.wait()


async def _soak(args: argparse.Namespace, workdir: Path, receiver: Receiver) -> dict[str, Any]:
    clock = [T0]
    loaded = load_text(config_text(args.slos, receiver.url), name="soak.yaml", path=workdir / "soak.yaml")
    store = Store.open(workdir / "state.db")
    hook_cfg = loaded.config.alerts.channels["hook"]
    assert isinstance(hook_cfg, WebhookChannelConfig)
    alerting = Alerting.from_config(
        loaded, store, channels={"hook": IdentifiedWebhook("hook", hook_cfg)}, clock=lambda: clock[0],
        rng=random.Random(5),
    )
    demo = build_source("demo", loaded.config.sources["demo"], base_dir=workdir, defaults=loaded.config.defaults)
    source = FlakySource(demo, args.source_failures, seed=9)
    engine = Engine(loaded, store=store, alerting=alerting, sources={"demo": source})
    daemon = Daemon(engine, float(loaded.config.defaults.interval), None, alerting=alerting)

    core_times: list[float] = []
    evaluate = engine.evaluate

    def timed_evaluate(data, errors, now):  # noqa: ANN001
        started = time.perf_counter()
        try:
            return evaluate(data, errors, now)
        finally:
            core_times.append(time.perf_counter() - started)

    engine.evaluate = timed_evaluate  # type: ignore[method-assign]
    tick_times: list[float] = []
    deliver_times: list[float] = []
    # RSS and tick times are compared from the moment the period's history is full.
    warm = max(1, min(args.ticks // 2, max(args.ticks // 10, int(PERIOD / INTERVAL))))
    rss_warm = 0
    log = io.StringIO()  # the daemon's status lines (thousands of them) are not the bench's output
    wall = time.perf_counter()
    with contextlib.redirect_stderr(log):
        for i in range(args.ticks):
            now = T0 + i * daemon.interval
            clock[0] = now
            started = time.perf_counter()
            await daemon.step(now)
            tick_times.append(time.perf_counter() - started)
            assert daemon.last_error is None, daemon.last_error
            started = time.perf_counter()
            await alerting.deliver_due(now)
            deliver_times.append(time.perf_counter() - started)
            if i + 1 == warm:
                gc.collect()
                rss_warm = rss_kib()
            if args.progress and (i + 1) % args.progress == 0:
                print(f"  {i + 1} ticks, {time.perf_counter() - wall:.0f}s, RSS {rss_kib() / 1024:.1f} MiB",
                      file=sys.__stderr__, flush=True)
        gc.collect()
        rss_end = rss_kib()
        # Drain: time moves on without evaluation until nothing is pending (retries back off up to 300 s).
        now = clock[0]
        for _ in range(2000):
            pending = store.conn.execute(
                "SELECT COUNT(*) FROM notifications WHERE state IN ('pending', 'sending')"
            ).fetchone()[0]
            if not pending:
                break
            now += daemon.interval
            clock[0] = now
            await alerting.deliver_due(now)
    elapsed = time.perf_counter() - wall
    rows = store.conn.execute("SELECT fingerprint, transition_id, channel, state, kind FROM notifications").fetchall()
    await engine.aclose()
    await alerting.aclose()
    store.close()
    tally = receiver.close()
    outbox_ids = {f"{fp}#{tid}@{ch}": (state, kind) for fp, tid, ch, state, kind in rows}
    ok = tally["ok"]
    lost = sorted(nid for nid in outbox_ids if ok.get(nid, 0) == 0)
    duplicated = sorted(nid for nid, n in ok.items() if n > 1)
    strangers = sorted(nid for nid in ok if nid not in outbox_ids)
    return {
        "elapsed": elapsed,
        "tick_times": tick_times,
        "core_times": core_times,
        "deliver_times": deliver_times,
        "warm": warm,
        "rss_warm": rss_warm,
        "rss_end": rss_end,
        "notifications": len(outbox_ids),
        "by_state": {s: sum(1 for st, _ in outbox_ids.values() if st == s) for s in ("delivered", "failed", "pending", "sending")},
        "receiver_ok": sum(ok.values()),
        "receiver_failed": sum(tally["failed"].values()),
        "lost": lost,
        "duplicated": duplicated,
        "strangers": strangers,
        "source_failures": source.failures,
        "status_lines": log.getvalue().count("status="),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000)
    parser.add_argument("--slos", type=int, default=100)
    parser.add_argument("--receiver-failures", type=float, default=0.10)
    parser.add_argument("--source-failures", type=float, default=0.05)
    parser.add_argument("--progress", type=int, default=0, help="print a progress line every N ticks")
    args = parser.parse_args()
    blas_threads.limit()  # as the `slotui` command does first
    gc_policy.apply()  # as the daemon does
    with tempfile.TemporaryDirectory(prefix="slotui-soak-") as tmp:
        r = asyncio.run(soak(args, Path(tmp)))
    ticks, core, warm = r["tick_times"], r["core_times"], r["warm"]
    print(f"soak: {args.ticks} ticks x {args.slos} SLOs (demo source failing {args.source_failures:.0%}, "
          f"webhook receiver failing {args.receiver_failures:.0%}), {r['elapsed']:.0f}s wall, "
          f"{args.ticks * INTERVAL / 86400:.1f} simulated days")
    p50, p99 = statistics.median(ticks), pct(ticks, 0.99)
    c50, c99 = statistics.median(core), pct(core, 0.99)
    print(f"tick (daemon step)       p50 {p50 * 1000:8.2f} ms   p99 {p99 * 1000:8.2f} ms   max {max(ticks) * 1000:8.2f} ms")
    print(f"peer: core evaluation    p50 {c50 * 1000:8.2f} ms   p99 {c99 * 1000:8.2f} ms   "
          f"(tick / core: p50 {p50 / c50:.2f}x, p99 {p99 / c99:.2f}x)")
    first, last = ticks[:warm], ticks[-warm:]
    print(f"drift: tick p99 last {warm} / first {warm} ticks = {pct(last, 0.99) / pct(first, 0.99):.2f}x "
          f"(p50 {statistics.median(last) / statistics.median(first):.2f}x)")
    print(f"delivery per tick        p50 {statistics.median(r['deliver_times']) * 1000:8.2f} ms   "
          f"p99 {pct(r['deliver_times'], 0.99) * 1000:8.2f} ms")
    growth = r["rss_end"] - r["rss_warm"]
    print(f"RSS after {warm} ticks {r['rss_warm'] / 1024:.1f} MiB, after {args.ticks}: {r['rss_end'] / 1024:.1f} MiB "
          f"(growth {growth / 1024:+.1f} MiB, {growth / max(1, r['rss_warm']):+.1%})")
    print(f"source failures injected: {r['source_failures']}; status changes logged: {r['status_lines']}")
    print(f"notifications enqueued: {r['notifications']} {r['by_state']}; receiver answered 200 x{r['receiver_ok']}, "
          f"500 x{r['receiver_failed']}")
    print(f"deliveries lost: {len(r['lost'])}   duplicated: {len(r['duplicated'])}   "
          f"unknown to the outbox: {len(r['strangers'])}")
    for name in ("lost", "duplicated", "strangers"):
        if r[name]:
            print(f"  {name}: {', '.join(r[name][:10])}")
    return 1 if r["lost"] or r["duplicated"] or r["strangers"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
