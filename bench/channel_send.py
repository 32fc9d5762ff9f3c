"""Cost of a channel send against the bare transport, on local receivers.

For the HTTP channels (slack, pagerduty, webhook, alertmanager-shaped POSTs)
each send builds the payload from a notification of a 3-alert group and
POSTs it; the peer, measured in the same run against the same receiver, is a
bare ``httpx.AsyncClient`` POSTing the already-serialised body of that
channel. For email the peer is ``smtplib`` sending an already-built message to
the same aiosmtpd server; for the file channel it is a plain
``open(..., "a").write`` of the same line. The receivers run in a child
process (HTTP) or thread (SMTP), so the client does not compete with them for
the GIL more than it must. Prints sends per second and the ratio
``channel time / peer time`` (1.0 = no overhead beyond the transport).

    python bench/channel_send.py [--sends 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import smtplib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from receivers import (  # noqa: E402
    HTTPReceiver,
    Reply,
    SMTPReceiver,
    sample_alert,
    sample_notification,
)

from slotui.channels import (  # noqa: E402
    build_channel,  # noqa: E402
    pagerduty,
    slack,
    webhook,
)
from slotui.channels import email as email_channel  # noqa: E402
from slotui.config.model import (  # noqa: E402
    EmailChannel,
    FileChannel,
    PagerDutyChannel,
    SlackChannel,
    WebhookChannel,
)

ROUNDS = 3


def _serve(conn, status: int, body: str) -> None:
    with HTTPReceiver(default=Reply(status, body)) as rx:
        rx.requests = _Discard()  # keep memory flat over many requests
        conn.send(rx.url)
        conn.recv()  # until the parent says stop


class _Discard(list):
    def append(self, item) -> None:  # noqa: ANN001
        return None


def start_receiver(status: int = 200, body: str = "ok"):
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_serve, args=(child, status, body), daemon=True)
    proc.start()
    return proc, parent, parent.recv()


async def time_channel(ch, notification, n: int) -> float:
    assert (await ch.send(notification)).ok  # warm the connection
    t = time.perf_counter()
    for _ in range(n):
        await ch.send(notification)
    return time.perf_counter() - t


async def time_bare_post(url: str, body: bytes, n: int) -> float:
    import httpx

    async with httpx.AsyncClient() as client:
        await client.post(url, content=body, headers={"Content-Type": "application/json"})
        t = time.perf_counter()
        for _ in range(n):
            await client.post(url, content=body, headers={"Content-Type": "application/json"})
        return time.perf_counter() - t


def report(name: str, ours: float, peer: float, n: int, peer_name: str) -> None:
    print(f"{name:<10} {n / ours:8.0f} sends/s   {peer_name:<24} {n / peer:8.0f}/s   ratio {ours / peer:5.2f}")


async def main(n: int) -> None:
    alerts = [sample_alert("helpfulness"), sample_alert("latency_p95"), sample_alert("cost_per_query")]
    notification = sample_notification(alerts)
    print(f"{n} sequential sends of one 3-alert notification per channel (HTTP: best of {ROUNDS} rounds)\n")

    t = time.perf_counter()
    for _ in range(n):
        slack.build_payload(notification)
        pagerduty.build_events(notification, "k" * 32)
        webhook.build_payload(notification, "hook")
        email_channel.build_message(notification, sender="slotui@example.com", to=["x@example.com"])
    per = (time.perf_counter() - t) / n * 1e6
    print(f"payload building (slack+pagerduty+webhook+email): {per:.0f} µs per notification\n")

    proc, conn, url = start_receiver()
    try:
        cases = [
            ("slack", SlackChannel(type="slack", webhook_url=f"{url}/services/T/B/x"),
             json.dumps(slack.build_payload(notification)).encode(), f"{url}/services/T/B/x"),
            ("webhook", WebhookChannel(type="webhook", url=f"{url}/hook"),
             json.dumps(webhook.build_payload(notification, "hook")).encode(), f"{url}/hook"),
        ]
        for name, cfg, body, target in cases:
            ch = build_channel(name, cfg, base_dir=ROOT)
            ours, peer = float("inf"), float("inf")
            for _ in range(ROUNDS):  # alternate and keep the best round of each: the machine is shared
                peer = min(peer, await time_bare_post(target, body, n))
                ours = min(ours, await time_channel(ch, notification, n))
            await ch.aclose()
            report(name, ours, peer, n, "bare httpx POST")
        # PagerDuty: one event per alert, so the peer posts the three events too
        ch = build_channel("pd", PagerDutyChannel(type="pagerduty", routing_key="k" * 32, url=f"{url}/v2/enqueue"),
                           base_dir=ROOT)
        ours = await time_channel(ch, notification, n)
        await ch.aclose()
        events = [json.dumps(e).encode() for e in pagerduty.build_events(notification, "k" * 32)]
        import httpx

        async with httpx.AsyncClient() as client:
            t = time.perf_counter()
            for _ in range(n):
                for e in events:
                    await client.post(f"{url}/v2/enqueue", content=e, headers={"Content-Type": "application/json"})
            peer = time.perf_counter() - t
        report("pagerduty", ours, peer, n, "bare httpx POST x3")
    finally:
        conn.send("stop")
        proc.join(5)

    m = max(20, n // 10)
    with SMTPReceiver() as smtp:
        ch = build_channel("mail", EmailChannel.model_validate(
            {"type": "email", "host": "127.0.0.1", "port": smtp.port, "starttls": False,
             "from": "slotui@example.com", "to": ["x@example.com"]}), base_dir=ROOT)
        ours = await time_channel(ch, notification, m)
        msg = email_channel.build_message(notification, sender="slotui@example.com", to=["x@example.com"])
        t = time.perf_counter()
        for _ in range(m):
            with smtplib.SMTP("127.0.0.1", smtp.port) as s:
                s.send_message(msg)
        peer = time.perf_counter() - t
        report("email", ours, peer, m, "bare smtplib (1 conn)")

    with tempfile.TemporaryDirectory() as tmp:
        ch = build_channel("audit", FileChannel(type="file", path="a.jsonl"), base_dir=Path(tmp))
        ours = await time_channel(ch, notification, n)
        line = json.dumps(notification.to_dict()) + "\n"
        t = time.perf_counter()
        for _ in range(n):
            with open(Path(tmp) / "b.jsonl", "a") as f:
                f.write(line)
        peer = time.perf_counter() - t
        report("file", ours, peer, n, "open+write (no lock/fsync)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sends", type=int, default=300)
    asyncio.run(main(ap.parse_args().sends))
