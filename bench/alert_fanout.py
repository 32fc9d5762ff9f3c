"""Alert fan-out: 1,000 SLOs flipping state, 5 webhook channels on local receivers.

Measures, in one run:

1. **Evaluation tick time** (``Alerting.process``: advance alert states,
   group, route, enqueue in one SQLite transaction) while the dispatcher
   delivers in the same event loop, in four scenarios: no dispatcher (the
   peer: a tick with delivery switched off), 5 healthy receivers, one receiver
   down (connection refused), one receiver slow (answers after 3 s, beyond the
   2 s send timeout). The tick time should not change with the receivers'
   health: delivery is a separate task and the tick only enqueues. Also the
   event-loop lag (how late each tick starts after its scheduled sleep), which
   is where a blocking dispatcher would show.
2. **Notifications per second** delivered by the dispatcher to the healthy
   receivers, against the peer "raw httpx POSTs of the same bodies to the same
   receivers at the same concurrency" (no outbox, no retries, no bookkeeping).

Receivers are asyncio HTTP servers in a separate process (so they do not
compete with the bench's event loop for the GIL).

    python bench/alert_fanout.py [--slos 1000] [--ticks 15] [--flip 0.1] [--interval 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from slotui.alerting.delivery import RetryPolicy
from slotui.alerting.lifecycle import AlertPolicy
from slotui.alerting.routes import Router
from slotui.alerting.service import Alerting
from slotui.channels import build_channel
from slotui.config.model import WebhookChannel
from slotui.core.types import Report, SLOResult, SLOSpec, Status
from slotui.store import Store

RECEIVER = textwrap.dedent(
    """
    import asyncio, sys
    delay = float(sys.argv[1])
    count = 0

    async def handle(reader, writer):
        global count
        try:
            while True:
                head = await reader.readuntil(b"\\r\\n\\r\\n")
                length = 0
                for line in head.split(b"\\r\\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                if delay:
                    await asyncio.sleep(delay)
                count += 1
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
        print(count, flush=True)

    asyncio.run(main())
    """
)


class Receiver:
    def __init__(self, delay: float = 0.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RECEIVER, str(delay)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True,
        )
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}/hook"

    def close(self) -> int:
        out, _ = self.proc.communicate("", timeout=30)
        return int(out.strip() or 0)


def refused_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/hook"


def specs(n: int) -> list[SLOSpec]:
    return [
        SLOSpec(
            name=f"slo-{i:04d}", kind="threshold", target=0.85, direction="higher_is_better", warning=0.8,
            critical=0.7, labels={"service": f"svc-{i % 20}"}, runbook=f"https://runbooks.example/slo-{i}",
        )
        for i in range(n)
    ]


def reports(all_specs: list[SLOSpec], ticks: int, flip: float, t0: float, seed: int = 7) -> list[Report]:
    """Each tick, a share ``flip`` of the SLOs changes status (OK / WARNING / CRITICAL)."""
    rng = random.Random(seed)
    status = {s.name: Status.OK for s in all_specs}
    out = []
    for k in range(ticks):
        now = t0 + 60.0 * k
        for s in rng.sample(all_specs, int(len(all_specs) * flip)):
            status[s.name] = rng.choice([Status.OK, Status.WARNING, Status.CRITICAL])
        out.append(
            Report(now, tuple(SLOResult(s, status[s.name], now, value=0.5 if status[s.name] != Status.OK else 0.9) for s in all_specs))
        )
    return out


def channels_for(urls: list[str]) -> dict:
    return {
        f"hook{i}": build_channel(f"hook{i}", WebhookChannel(type="webhook", url=u, timeout=2.0), base_dir=Path("."))
        for i, u in enumerate(urls)
    }


async def scenario(name: str, urls: list[str] | None, reps: list[Report], interval: float, tmp: Path, drain: bool):
    """Run the ticks; returns tick times, loop lags, and delivery counts."""
    names = [f"hook{i}" for i in range(5)]
    policy = AlertPolicy(router=Router([], {n: "webhook" for n in names}), group_by=("slo",), group_wait=0.0, group_interval=0.0)
    store = Store.open(tmp / f"{name}.db")
    channels = channels_for(urls) if urls else {}
    alerting = Alerting(policy, store, channels=channels, retry=RetryPolicy(send_timeout=2.0, lease=30.0, base=0.5, cap=5.0))
    stop = asyncio.Event()
    task = asyncio.create_task(alerting.run_dispatcher(stop, poll=0.05)) if urls else None
    ticks, lags = [], []
    started = time.perf_counter()
    for report in reps:
        t = time.perf_counter()
        alerting.process(report, report.evaluated_at)
        ticks.append(time.perf_counter() - t)
        before = time.perf_counter()
        await asyncio.sleep(interval)  # the daemon's tick interval
        lags.append(time.perf_counter() - before - interval)
    enqueued = store.conn.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
    drained_at = None
    if task is not None:
        # wait until the healthy channels are drained (a down / slow one never is)
        healthy = [f"hook{i}" for i in range(len(urls) if drain else len(urls) - 1)]
        marks = ",".join("?" * len(healthy))
        deadline = time.perf_counter() + 300
        while time.perf_counter() < deadline:
            left = store.conn.execute(
                f"SELECT COUNT(*) FROM notifications WHERE state IN ('pending', 'sending') AND channel IN ({marks})",
                healthy,
            ).fetchone()[0]
            if left == 0:
                drained_at = time.perf_counter()
                break
            await asyncio.sleep(0.05)
    delivered = store.conn.execute("SELECT COUNT(*) FROM notifications WHERE state = 'delivered'").fetchone()[0]
    stuck = store.conn.execute("SELECT COUNT(*) FROM notifications WHERE state != 'delivered'").fetchone()[0]
    stop.set()
    if task is not None:
        await asyncio.wait_for(task, 30)
    await alerting.aclose()
    store.close()
    return {
        "ticks": ticks, "lags": lags, "enqueued": enqueued, "delivered": delivered, "stuck": stuck,
        "elapsed": (drained_at - started) if drained_at else None,
    }


async def raw_httpx(urls: list[str], bodies: list[bytes], per_channel: int = 4) -> float:
    """Peer: POST every body to every URL with httpx, ``per_channel`` at once per URL; returns posts/s."""
    import httpx

    clients = [httpx.AsyncClient(timeout=5.0) for _ in urls]
    sems = [asyncio.Semaphore(per_channel) for _ in urls]

    async def post(i: int, body: bytes) -> None:
        async with sems[i]:
            r = await clients[i].post(urls[i], content=body, headers={"Content-Type": "application/json"})
            r.raise_for_status()

    t = time.perf_counter()
    await asyncio.gather(*(post(i, b) for i in range(len(urls)) for b in bodies))
    elapsed = time.perf_counter() - t
    for c in clients:
        await c.aclose()
    return len(urls) * len(bodies) / elapsed


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slos", type=int, default=1000)
    ap.add_argument("--ticks", type=int, default=15)
    ap.add_argument("--flip", type=float, default=0.1, help="share of SLOs changing status per tick")
    ap.add_argument("--interval", type=float, default=0.3, help="seconds between ticks")
    args = ap.parse_args()

    all_specs = specs(args.slos)
    t0 = time.time() - 30 * 86400  # evaluation times in the past: every notification is due at once
    reps = reports(all_specs, args.ticks, args.flip, t0)
    healthy = [Receiver() for _ in range(5)]
    slow = Receiver(delay=3.0)
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp_s:
            tmp = Path(tmp_s)
            ok_urls = [r.url for r in healthy]
            results["no dispatcher (peer)"] = await scenario("none", None, reps, args.interval, tmp, False)
            results["5 healthy receivers"] = await scenario("healthy", ok_urls, reps, args.interval, tmp, True)
            results["1 receiver down"] = await scenario("down", ok_urls[:4] + [refused_url()], reps, args.interval, tmp, False)
            results["1 receiver slow (3s)"] = await scenario("slow", ok_urls[:4] + [slow.url], reps, args.interval, tmp, False)

            # the peer for throughput: the same bodies posted raw
            from slotui.alerting.lifecycle import step

            res = step(reps[1], {}, {}, [], AlertPolicy(
                router=Router([], {"hook0": "webhook"}), group_by=("slo",), group_wait=0.0), reps[1].evaluated_at)
            bodies = [n.to_json().encode() for n in res.notifications][:400] or [b"{}"]
            raw_rate = await raw_httpx(ok_urls, bodies)
    finally:
        counts = [r.close() for r in healthy]
        slow.close()

    base = statistics.median(results["no dispatcher (peer)"]["ticks"])
    print(f"alert fan-out: {args.slos} SLOs, {args.ticks} ticks, {args.flip:.0%} flipping per tick, 5 webhook channels")
    print(f"{'scenario':<24} {'tick p50':>10} {'tick p95':>10} {'vs peer':>8} {'loop lag p95':>13} {'enqueued':>9}"
          f" {'delivered':>10} {'not yet':>8}")
    for name, r in results.items():
        p50, p95 = statistics.median(r["ticks"]), pct(r["ticks"], 0.95)
        print(
            f"{name:<24} {p50 * 1000:>8.1f}ms {p95 * 1000:>8.1f}ms {p50 / base:>7.2f}x {pct(r['lags'], 0.95) * 1000:>11.1f}ms"
            f" {r['enqueued']:>9} {r['delivered']:>10} {r['stuck']:>8}"
        )
    h = results["5 healthy receivers"]
    if h["elapsed"]:
        rate = h["delivered"] / h["elapsed"]
        print(f"delivered {h['delivered']} notifications in {h['elapsed']:.2f}s: {rate:.0f} notifications/s "
              f"(ticks included); raw httpx POSTs to the same receivers: {raw_rate:.0f}/s; ratio {rate / raw_rate:.2f}")
    else:
        print("the healthy scenario did not drain within 300 s")
    share = max(0.0, statistics.median(h["ticks"]) - base) / statistics.median(h["ticks"])
    print(f"share of evaluation tick time attributable to delivery: {share:.1%} "
          f"(tick with the dispatcher running vs the peer without)")
    print(f"receivers counted {sum(counts)} requests")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
