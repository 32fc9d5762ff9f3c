"""Delivery through real channels to real HTTP receivers on 127.0.0.1.

- the webhook channel through the outbox: 429 with Retry-After, 500 then 200, 400 final
  with the receiver's message (and no secret in it);
- the background dispatcher honours Retry-After, and evaluation never waits for a slow receiver;
- crash safety: a dispatcher process killed with SIGKILL while requests are in flight
  delivers them after a restart, and what was delivered is not sent again;
- ``slotui test-alert`` and ``slotui check --notify`` as subprocesses.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from receivers import HTTPReceiver, Reply, webhook_v4_violations

from slotui.alerting.delivery import RetryPolicy
from slotui.alerting.service import Alerting
from slotui.config.loader import load_config
from slotui.core.types import Report, SLOResult, Status
from slotui.store import Store

pytestmark = pytest.mark.integration

URL_SECRET = "hookSECRETtoken42"


def write_config(tmp_path: Path, url: str, *, slos=("helpfulness",), extra_channels: str = "", group: str = "{by: [slo], wait: 0s}") -> Path:
    slo_yaml = "".join(
        f"""
  - name: {name}
    source: demo
    sli: {{field: evaluations.helpfulness, agg: mean}}
    objective: {{target: 0.85, warning: 0.80, critical: 0.70}}
    runbook: https://runbooks.example/{name}
"""
        for name in slos
    )
    text = f"""version: 1
sources:
  demo: {{type: demo, seed: 7}}
slos:{slo_yaml}
alerts:
  channels:
    hook: {{type: webhook, url: "{url}/hooks/{URL_SECRET}", timeout: 5s}}
{extra_channels}
  group: {group}
"""
    path = tmp_path / "slos.yaml"
    path.write_text(text)
    return path


def critical_report(loaded, now: float, status: Status = Status.CRITICAL) -> Report:
    return Report(now, tuple(SLOResult(s, status, now, value=0.5) for s in loaded.specs))


# ----------------------------------------------------------------------------------------- retries


async def test_webhook_retries_429_with_retry_after_then_500_then_delivers(tmp_path):
    with HTTPReceiver(validator=webhook_v4_violations) as rx:
        rx.script(Reply(429, "rate limited", headers={"Retry-After": "9"}), Reply(500, "boom"), Reply(200, ""))
        loaded = load_config(write_config(tmp_path, rx.url))
        store = Store.open(tmp_path / "state.db")
        now = 1_780_000_000.0
        al = Alerting.from_config(loaded, store, retry=RetryPolicy(base=2.0), clock=lambda: now)
        try:
            al.process(critical_report(loaded, now), now, flush_now=True)
            (o1,) = await al.deliver_due(now)
            assert (o1.state, o1.result.status_code, o1.next_attempt_at) == ("pending", 429, now + 9)
            assert await al.deliver_due(now + 8.9) == []
            (o2,) = await al.deliver_due(now + 9)
            assert (o2.state, o2.result.status_code) == ("pending", 500)
            assert "boom" in o2.result.message
            (o3,) = await al.deliver_due(o2.next_attempt_at)
            assert (o3.state, o3.result.status_code) == ("delivered", 200)
            assert await al.deliver_due(now + 10_000) == []
        finally:
            await al.aclose()
            store.close()
        assert rx.violations == []
        bodies = [r.json for r in rx.requests]
        assert len(bodies) == 3 and all(b == bodies[0] for b in bodies)  # the same notification, resent
        body = bodies[0]
        assert body["groupKey"] == '{slo="helpfulness"}' and body["status"] == "firing"
        assert {a["labels"]["slo"] for a in body["alerts"]} == {"helpfulness"}
        assert body["alerts"][0]["annotations"]["runbook_url"] == "https://runbooks.example/helpfulness"
        assert all(r.path == f"/hooks/{URL_SECRET}" for r in rx.requests)


async def test_retry_after_is_honoured_on_every_retryable_status_not_only_429_and_503(tmp_path):
    # A 502/504 from a proxy or a 408 with Retry-After was retried on the backoff's own schedule.
    with HTTPReceiver() as rx:
        rx.script(Reply(502, "bad gateway", headers={"Retry-After": "7"}),
                  Reply(504, "gateway timeout", headers={"Retry-After": "11"}),
                  Reply(408, "request timeout", headers={"Retry-After": "3"}), Reply(200, ""))
        loaded = load_config(write_config(tmp_path, rx.url))
        store = Store.open(tmp_path / "state.db")
        now = 1_780_000_000.0
        al = Alerting.from_config(loaded, store, retry=RetryPolicy(base=1000.0), clock=lambda: now)
        try:
            al.process(critical_report(loaded, now), now, flush_now=True)
            (o1,) = await al.deliver_due(now)
            assert (o1.state, o1.result.status_code, o1.next_attempt_at) == ("pending", 502, now + 7)
            assert await al.deliver_due(now + 6.9) == []
            (o2,) = await al.deliver_due(now + 7)
            assert (o2.state, o2.result.status_code, o2.next_attempt_at) == ("pending", 504, now + 18)
            (o3,) = await al.deliver_due(now + 18)
            assert (o3.state, o3.result.status_code, o3.next_attempt_at) == ("pending", 408, now + 21)
            (o4,) = await al.deliver_due(now + 21)
            assert o4.state == "delivered"
        finally:
            await al.aclose()
            store.close()
        assert len(rx.requests) == 4


async def test_a_400_is_final_and_the_receivers_message_is_kept_without_secrets(tmp_path):
    with HTTPReceiver(default=Reply(400, f"no such hook {URL_SECRET}: invalid_token")) as rx:
        loaded = load_config(write_config(tmp_path, rx.url))
        store = Store.open(tmp_path / "state.db")
        now = 1_780_000_000.0
        al = Alerting.from_config(loaded, store, clock=lambda: now)
        try:
            al.process(critical_report(loaded, now), now, flush_now=True)
            (o,) = await al.deliver_due(now)
            assert o.state == "failed" and o.result.status_code == 400
            assert "invalid_token" in str(o) and str(o).startswith("failed: hook: ")
            assert URL_SECRET not in str(o)
            assert await al.deliver_due(now + 86_400) == []
            (entry,) = al.history()
            assert entry.state == "failed" and "invalid_token" in entry.last_error
            assert URL_SECRET not in entry.last_error
        finally:
            await al.aclose()
            store.close()
        assert len(rx.requests) == 1


@pytest.mark.parametrize("failure", ["gave up", "final 400"])
async def test_a_trigger_that_failed_for_good_is_sent_again_at_the_next_group_interval(tmp_path, failure):
    """Alertmanager writes its notification log only after a send succeeds, so a failed notification
    goes out again at the next group interval. slotui recorded the channel as notified when the
    trigger was queued: after a ~15-minute outage gave up, the still-firing page waited for the
    4h repeat interval."""
    with HTTPReceiver() as rx:
        failures = [Reply(500, "down")] * 2 if failure == "gave up" else [Reply(400, "bad routing key")]
        rx.script(*failures, Reply(200, ""), Reply(200, ""))
        loaded = load_config(write_config(tmp_path, rx.url))
        store = Store.open(tmp_path / "state.db")
        now = 1_780_000_000.0
        al = Alerting.from_config(loaded, store, retry=RetryPolicy(base=1.0, cap=1.0, max_attempts=2),
                                  clock=lambda: now)
        try:
            al.process(critical_report(loaded, now), now, flush_now=True)
            outcomes = [o for o in await al.deliver_due(now)]
            if failure == "gave up":
                outcomes += await al.deliver_due(now + 2)
            assert outcomes[-1].state == "failed"
            # still firing, one group interval (5m) on: the page goes out again, and is delivered
            later = now + 300
            al.process(critical_report(loaded, later), later)
            (again,) = await al.deliver_due(later)
            assert (again.state, again.kind) == ("delivered", "trigger")
            # delivered now: the next interval sends nothing (the repeat interval is 4h)
            al.process(critical_report(loaded, later + 300), later + 300)
            assert await al.deliver_due(later + 300) == []
        finally:
            await al.aclose()
            store.close()
        assert len(rx.requests) == (3 if failure == "gave up" else 2)
        assert all(r.json["status"] == "firing" for r in rx.requests)


async def test_an_attempt_gets_the_channels_configured_timeout_so_a_slow_receiver_is_not_sent_twice(tmp_path):
    # The dispatcher cut every attempt at RetryPolicy.send_timeout (30 s), whatever the channel's
    # timeout: a webhook configured with timeout: 45s for a slow receiver was cut, counted as "no answer"
    # and sent again while the receiver was still taking the first one. Scaled down: send_timeout 0.5 s,
    # the webhook's timeout 5 s, a receiver that answers after 1.5 s.
    with HTTPReceiver(default=Reply(200, "", delay=1.5)) as rx:
        loaded = load_config(write_config(tmp_path, rx.url))
        store = Store.open(tmp_path / "state.db")
        now = 1_780_000_000.0
        al = Alerting.from_config(loaded, store, retry=RetryPolicy(send_timeout=0.5, lease=2.0), clock=lambda: now)
        try:
            al.process(critical_report(loaded, now), now, flush_now=True)
            (o,) = await al.deliver_due(now)
            assert (o.state, o.result.status_code) == ("delivered", 200), str(o)
            dispatcher = al.dispatcher
            assert dispatcher.attempt_timeout(al.channels["hook"]) == 10.0  # 5 s + the 5 s margin
            assert dispatcher.lease == 11.5  # as far above the longest attempt as 2.0 is above 0.5
            assert await al.deliver_due(now + 86_400) == []
        finally:
            await al.aclose()
            store.close()
        assert len(rx.requests) == 1


class LocalReceiver:
    """A webhook receiver on 127.0.0.1 that records arrival times and group keys, answers from a
    script (then 200), and holds requests from number ``hold_from`` on until ``release`` is set."""

    def __init__(self, *script: tuple[int, dict[str, str], str], hold_from: int | None = None) -> None:
        self.script = list(script)
        self.hold_from = hold_from
        self.release = threading.Event()
        self.arrivals: list[tuple[float, str]] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = json.loads(body)["groupKey"]
                with receiver.cond:
                    receiver.arrivals.append((time.monotonic(), key))
                    hold = receiver.hold_from is not None and len(receiver.arrivals) > receiver.hold_from
                    status, headers, text = receiver.script.pop(0) if receiver.script else (200, {}, "")
                    receiver.cond.notify_all()
                if hold:
                    receiver.release.wait(30)
                try:
                    data = text.encode()
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender died (the crash test)

            def log_message(self, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def keys(self) -> list[str]:
        return [k for _, k in self.arrivals]

    def wait_arrivals(self, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.arrivals) < n:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {n} requests, got {self.keys}"
                self.cond.wait(left)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


async def test_background_dispatcher_honours_retry_after_and_evaluation_never_waits(tmp_path):
    rx = LocalReceiver((503, {"Retry-After": "1"}, "busy"))
    loaded = load_config(write_config(tmp_path, rx.url, slos=("helpfulness", "latency")))
    store = Store.open(tmp_path / "state.db")
    al = Alerting.from_config(loaded, store)
    stop = asyncio.Event()
    task = asyncio.create_task(al.run_dispatcher(stop, poll=0.2))
    try:
        now = time.time()
        helpfulness = loaded.spec("helpfulness")
        al.process(Report(now, (SLOResult(helpfulness, Status.CRITICAL, now, value=0.5),)), now, flush_now=True)
        await asyncio.to_thread(rx.wait_arrivals, 2)
        (t1, k1), (t2, k2) = rx.arrivals
        assert k1 == k2 == '{slo="helpfulness"}'
        assert t2 - t1 >= 0.95  # the retry waited for Retry-After: 1
        await wait_for(lambda: [h.state for h in al.history()] == ["delivered"])

        # the receiver stops answering; evaluation goes on and enqueues regardless
        rx.hold_from = 2
        t = time.time()
        al.process(critical_report(loaded, t), t, flush_now=True)  # latency fires: its group sends
        await asyncio.to_thread(rx.wait_arrivals, 3)
        assert rx.keys[2] == '{slo="latency"}'
        t = time.time()
        events = al.process(critical_report(loaded, t, Status.OK), t)  # while that send hangs
        assert {e.kind for e in events} == {"resolved"}
        states = dict(store.conn.execute("SELECT fingerprint, state FROM alert_states").fetchall())
        assert states["latency:critical"] == "resolved"
        sending = store.conn.execute("SELECT state FROM notifications WHERE fingerprint = '{slo=\"latency\"}'").fetchall()
        assert sending == [("sending",)]
        rx.release.set()
        await wait_for(lambda: all(h.state == "delivered" for h in al.history()))
    finally:
        rx.close()
        stop.set()
        await asyncio.wait_for(task, 10)
        await al.aclose()
        store.close()


async def wait_for(cond, timeout: float = 10.0) -> None:
    """Poll a condition with a deadline (the dispatcher runs in this loop, so yield to it)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


DISPATCHER = textwrap.dedent(
    """
    import asyncio, sys
    from slotui.alerting.delivery import RetryPolicy
    from slotui.alerting.oneshot import deliver_until_settled
    from slotui.alerting.service import Alerting
    from slotui.config.loader import load_config
    from slotui.store import Store

    async def main():
        loaded = load_config(sys.argv[1])
        store = Store.open(sys.argv[2])
        retry = RetryPolicy(lease=float(sys.argv[3]), send_timeout=float(sys.argv[4]))
        alerting = Alerting.from_config(loaded, store, retry=retry)
        await deliver_until_settled(alerting, timeout=60)
        await alerting.aclose()
        store.close()

    asyncio.run(main())
    """
)


def dispatcher(config: Path, state: Path, *, lease: float, send_timeout: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DISPATCHER, str(config), str(state), str(lease), str(send_timeout)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def delivered_count(state: Path) -> int:
    s = Store.open(state)
    try:
        return s.conn.execute("SELECT COUNT(*) FROM notifications WHERE state = 'delivered'").fetchone()[0]
    finally:
        s.close()


def test_sigkill_between_enqueue_and_acknowledgement_delivers_after_restart_once(tmp_path):
    rx = LocalReceiver(hold_from=1)
    try:
        config = write_config(tmp_path, rx.url, slos=("a", "b", "c"))
        state = tmp_path / "state.db"
        loaded = load_config(config)
        store = Store.open(state)
        now = time.time()
        Alerting.from_config(loaded, store).process(critical_report(loaded, now), now, flush_now=True)
        keys = {r[0] for r in store.conn.execute("SELECT fingerprint FROM notifications")}
        store.close()
        assert keys == {'{slo="a"}', '{slo="b"}', '{slo="c"}'}

        first = dispatcher(config, state, lease=1.0, send_timeout=60.0)
        rx.wait_arrivals(3)  # one answered, two held by the receiver: in flight, unacknowledged
        deadline = time.monotonic() + 20
        while delivered_count(state) < 1:  # the answered one is recorded before we kill
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        assert delivered_count(state) == 1
        rx.hold_from = None
        rx.release.set()
        delivered_first = rx.keys[0]

        second = dispatcher(config, state, lease=1.0, send_timeout=10.0)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert delivered_count(state) == 3
        counts = {k: rx.keys.count(k) for k in keys}
        assert counts[delivered_first] == 1  # delivered before the crash: never sent again
        assert sorted(counts.values()) == [1, 2, 2]  # the two in flight: sent again once each

        third = dispatcher(config, state, lease=1.0, send_timeout=10.0)
        third.communicate(timeout=60)
        assert third.returncode == 0
        assert len(rx.arrivals) == 5  # a restart with nothing pending sends nothing
    finally:
        rx.close()


# ----------------------------------------------------------------------------------------- CLI


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "slotui", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_test_alert_cli_prints_delivered_or_the_receivers_error(tmp_path):
    with HTTPReceiver(default=Reply(400, "invalid_payload: channel_not_found")) as rx:
        config = write_config(
            tmp_path, rx.url, extra_channels="    audit: {type: file, path: alerts.jsonl}\n",
        )
        state = tmp_path / "state.db"
        ok = run_cli("test-alert", "-c", str(config), "--state", str(state), "--channel", "audit", cwd=tmp_path)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip() == "delivered to audit"
        (line,) = (tmp_path / "alerts.jsonl").read_text().splitlines()
        record = json.loads(line)
        assert record["kind"] == "test" and record["alerts"][0]["labels"]["test"] == "true"
        assert record["alerts"][0]["annotations"]["summary"].startswith("[TEST] ")

        bad = run_cli("test-alert", "-c", str(config), "--state", str(state), "--slo", "helpfulness", cwd=tmp_path)
        assert bad.returncode == 1
        lines = sorted(bad.stdout.strip().splitlines())
        assert lines[0] == "delivered to audit"
        assert lines[1].startswith("failed: hook: ") and "channel_not_found" in lines[1]
        assert URL_SECRET not in bad.stdout + bad.stderr
        assert rx.requests[0].json["alerts"][0]["labels"]["test"] == "true"

        unknown = run_cli("test-alert", "-c", str(config), "--state", str(state), "--channel", "nope", cwd=tmp_path)
        assert unknown.returncode == 3 and "no channel named 'nope'" in unknown.stderr

        # the outcomes are recorded in the shared state store (the TUI's alert log reads them)
        store = Store.open(state)
        try:
            states = sorted(store.conn.execute("SELECT channel, kind, state FROM notifications").fetchall())
        finally:
            store.close()
        assert states == [("audit", "test", "delivered"), ("audit", "test", "delivered"), ("hook", "test", "failed")]


def test_test_alert_of_a_silenced_slo_is_sent_with_a_note_naming_the_silence(tmp_path):
    """A test checks the route: a silence holding the SLO's alert does not hold its test, and says so."""
    config = write_config(tmp_path, "http://127.0.0.1:9/unused", extra_channels="    audit: {type: file, path: alerts.jsonl}\n")
    state = tmp_path / "state.db"
    plain = run_cli("test-alert", "-c", str(config), "--state", str(state), "--slo", "helpfulness", "--channel", "audit",
                    cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "silenced" not in plain.stderr
    added = run_cli("silence", "add", "-q", "--state", str(state), "-d", "2h", "--comment", "deploy window", "slo=helpfulness",
                    cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.strip()
    other = run_cli("silence", "add", "-q", "--state", str(state), "-d", "2h", "slo=other", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    held = run_cli("test-alert", "-c", str(config), "--state", str(state), "--slo", "helpfulness", "--channel", "audit",
                   cwd=tmp_path)
    assert held.returncode == 0, held.stderr
    assert held.stdout.strip() == "delivered to audit"
    (note,) = [line for line in held.stderr.splitlines() if "silenced" in line]
    assert silence_id in note and "deploy window" in note and "sent anyway" in note
    assert other.stdout.strip() not in held.stderr  # a silence of another SLO is not named
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 2


def test_test_alert_cli_bad_config_exits_3(tmp_path):
    bad = tmp_path / "slos.yaml"
    bad.write_text("version: 1\nslos: [{name: x, objective: {target: nope}}]\n")
    r = run_cli("test-alert", "-c", str(bad), "--state", str(tmp_path / "s.db"), "--channel", "x", cwd=tmp_path)
    assert r.returncode == 3 and "Traceback" not in r.stderr


def test_check_notify_sends_what_fires_once_and_reports_each_receiver(tmp_path):
    """`slotui check --notify` on the demo: the CRITICAL SLO is sent at once (a one-shot run
    cannot wait group_wait); a second run shortly after sends nothing (the state store remembers)."""
    with HTTPReceiver(validator=webhook_v4_violations) as rx:
        rx.script(Reply(400, "invalid_payload"))
        config = tmp_path / "slos.yaml"
        config.write_text(
            f"""version: 1
sources:
  demo: {{type: demo, seed: 7}}
slos:
  - name: helpfulness
    source: demo
    sli: {{field: evaluations.helpfulness, agg: mean}}
    objective: {{target: 0.99, warning: 0.98, critical: 0.97}}
alerts:
  channels:
    audit: {{type: file, path: alerts.jsonl}}
    hook: {{type: webhook, url: "{rx.url}/hooks/{URL_SECRET}"}}
"""
        )
        state = tmp_path / "state.db"
        first = run_cli("check", "-c", str(config), "--state", str(state), "--notify", "--at", "2026-06-01T12:00:00Z", cwd=tmp_path)
        assert first.returncode == 2, first.stderr  # CRITICAL
        assert "delivered to audit" in first.stderr
        assert "failed: hook: " in first.stderr and "400" in first.stderr and "invalid_payload" in first.stderr
        assert URL_SECRET not in first.stdout + first.stderr
        (line,) = (tmp_path / "alerts.jsonl").read_text().splitlines()
        sent = json.loads(line)
        assert sent["kind"] == "trigger" and [a["labels"]["slo"] for a in sent["alerts"]] == ["helpfulness"]
        assert sent["alerts"][0]["labels"]["severity"] == "critical"

        second = run_cli("check", "-c", str(config), "--state", str(state), "--notify", "--at", "2026-06-01T12:01:00Z", cwd=tmp_path)
        assert second.returncode == 2
        assert "delivered to" not in second.stderr
        assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 1
        assert len(rx.requests) == 1


def test_check_notify_at_a_past_moment_still_retries_a_retryable_answer(tmp_path):
    """The outbox rows of `check --notify --at` were queued at the --at time, so the give-up age
    (24h) was already past: a 429 gave up at once ("gave up after 1 attempts over 16305197s")."""
    with HTTPReceiver() as rx:
        rx.script(Reply(429, "slow down", headers={"Retry-After": "1"}), Reply(200, ""))
        config = tmp_path / "slos.yaml"
        config.write_text(
            f"""version: 1
sources:
  demo: {{type: demo, seed: 7}}
slos:
  - name: helpfulness
    source: demo
    sli: {{field: evaluations.helpfulness, agg: mean}}
    objective: {{target: 0.99, warning: 0.98, critical: 0.97}}
alerts:
  channels:
    hook: {{type: webhook, url: "{rx.url}/hooks/{URL_SECRET}"}}
"""
        )
        run = run_cli("check", "-c", str(config), "--state", str(tmp_path / "state.db"), "--notify", "--at",
                      "2026-06-01T12:00:00Z", cwd=tmp_path)
        assert run.returncode == 2, run.stderr
        assert "delivered to hook" in run.stderr and "gave up" not in run.stderr
        assert len(rx.requests) == 2


async def test_a_send_cut_by_a_clean_stop_is_due_again_at_once_not_after_its_lease(tmp_path):
    """SIGTERM waits 10 s for sends in flight, then cancels them: the cancelled row stayed 'sending'
    for its whole lease (90 s, or the channel's timeout + 65 s), so a restarted daemon delivered
    it minutes late. A cancelled send now gives its row back, due at once."""
    rx = LocalReceiver(hold_from=0)
    loaded = load_config(write_config(tmp_path, rx.url))
    store = Store.open(tmp_path / "state.db")
    al = Alerting.from_config(loaded, store)
    try:
        now = time.time()
        al.process(critical_report(loaded, now), now, flush_now=True)
        task = asyncio.create_task(al.deliver_due())
        await asyncio.to_thread(rx.wait_arrivals, 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        rows = store.conn.execute("SELECT state, lease_until, attempts FROM notifications").fetchall()
        assert rows == [("pending", None, 1)]
        rx.hold_from = None
        rx.release.set()
        (again,) = await al.deliver_due()
        assert again.state == "delivered" and again.attempt == 2
    finally:
        rx.close()
        await al.aclose()
        store.close()
