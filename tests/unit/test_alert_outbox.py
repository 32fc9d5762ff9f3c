"""The outbox and dispatcher over a real SQLite state file, with scripted in-process channels
and a fake clock: enqueue atomicity, exactly-once enqueue across two processes' views,
backoff with jitter, Retry-After, non-retryable answers, give-up, ordering, leases."""

from __future__ import annotations

import random

import pytest

from slotui.alerting.delivery import RetryPolicy
from slotui.alerting.lifecycle import AlertPolicy
from slotui.store.alerts import AlertTransaction
from slotui.alerting.routes import Router
from slotui.alerting.service import Alerting, UnknownTarget
from slotui.channels.base import DeliveryResult, result_from_http
from slotui.core.types import Report, SLOResult, SLOSpec, Status
from slotui.store import Store

T0 = 1_780_000_000.0
SPEC = SLOSpec(name="helpfulness", kind="threshold", target=0.85, direction="higher_is_better", warning=0.8, critical=0.7)
OTHER = SLOSpec(name="latency", kind="threshold", target=2.0, direction="lower_is_better", warning=3.0, critical=5.0)


class ScriptedChannel:
    """Answers from a script (then ``default``); records every notification it was given."""

    def __init__(self, name: str, *script: DeliveryResult | Exception, default: DeliveryResult | None = None):
        self.name = name
        self.send_resolved = True
        self.script = list(script)
        self.default = default or DeliveryResult.delivered(200)
        self.got = []

    async def send(self, notification):
        self.got.append(notification)
        answer = self.script.pop(0) if self.script else self.default
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def aclose(self):
        pass


def report(now: float, status: Status = Status.CRITICAL, *specs: SLOSpec) -> Report:
    return Report(now, tuple(SLOResult(s, status, now, value=0.5) for s in (specs or (SPEC,))))


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "state.db")
    yield s
    s.close()


def make(store, *channels, retry=None, **policy_kw) -> Alerting:
    policy = AlertPolicy(router=Router([], {c.name: "webhook" for c in channels}), **policy_kw)
    return Alerting(
        policy, store, channels={c.name: c for c in channels}, retry=retry or RetryPolicy(), rng=random.Random(7),
        clock=lambda: T0,
    )


def rows(store):
    return store.conn.execute(
        "SELECT fingerprint, transition_id, channel, kind, state, attempts, last_error, status_code FROM notifications ORDER BY id"
    ).fetchall()


async def test_process_enqueues_with_the_state_change_and_delivers_once(store):
    ch = ScriptedChannel("hook")
    al = make(store, ch)
    al.process(report(T0), T0)
    assert rows(store) == []
    assert store.conn.execute("SELECT state FROM alert_states WHERE fingerprint = 'helpfulness:critical'").fetchone() == ("firing",)
    al.process(report(T0 + 30), T0 + 30)
    al.process(report(T0 + 30), T0 + 30)  # the same tick twice enqueues nothing new
    assert [r[:5] for r in rows(store)] == [('{severity="critical"}', "1", "hook", "trigger", "pending")]
    out = await al.deliver_due(T0 + 30)
    assert [str(o) for o in out] == ["delivered to hook"]
    assert await al.deliver_due(T0 + 10_000) == []
    assert len(ch.got) == 1
    assert rows(store)[0][4] == "delivered"


async def test_two_processes_sharing_the_store_do_not_enqueue_twice(store, tmp_path):
    other_store = Store.open(tmp_path / "state.db")
    try:
        a = make(store, ScriptedChannel("hook"))
        b = make(other_store, ScriptedChannel("hook"))
        for t in (T0, T0 + 10, T0 + 20, T0 + 30, T0 + 40):
            a.process(report(t), t)
            b.process(report(t + 5), t + 5)
        assert len(rows(store)) == 1
    finally:
        other_store.close()


def test_state_and_enqueue_are_one_transaction(store, monkeypatch):
    al = make(store, ScriptedChannel("hook"), group_wait=0.0)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AlertTransaction, "enqueue", boom)
    with pytest.raises(RuntimeError):
        al.process(report(T0), T0)
    assert store.conn.execute("SELECT COUNT(*) FROM alert_states").fetchone() == (0,)
    assert store.conn.execute("SELECT COUNT(*) FROM alert_groups").fetchone() == (0,)
    monkeypatch.undo()
    al.process(report(T0), T0)
    assert len(rows(store)) == 1  # nothing was lost: the next tick enqueues it


async def test_retryable_failure_backs_off_with_jitter_then_delivers(store):
    ch = ScriptedChannel("hook", result_from_http(500, "upstream broke"))
    al = make(store, ch, group_wait=0.0, retry=RetryPolicy(base=4.0))
    al.process(report(T0), T0)
    (o,) = await al.deliver_due(T0)
    assert o.state == "pending" and o.result.status_code == 500 and "upstream broke" in o.result.message
    assert T0 <= o.next_attempt_at <= T0 + 4.0
    assert await al.deliver_due(o.next_attempt_at - 0.001) == []
    (o2,) = await al.deliver_due(o.next_attempt_at)
    assert o2.state == "delivered" and o2.attempt == 2
    attempts = al.outbox.deliveries(o.row_id)
    assert [(d["attempt"], d["outcome"], d["status_code"]) for d in attempts] == [(1, "retry", 500), (2, "delivered", 200)]


async def test_retry_after_is_honoured_exactly(store):
    ch = ScriptedChannel("hook", result_from_http(429, "slow down", retry_after="7"))
    al = make(store, ch, group_wait=0.0)
    al.process(report(T0), T0)
    (o,) = await al.deliver_due(T0)
    assert o.state == "pending" and o.next_attempt_at == T0 + 7
    assert await al.deliver_due(T0 + 6.999) == []
    assert [o.state for o in await al.deliver_due(T0 + 7)] == ["delivered"]


async def test_non_retryable_answer_is_failed_with_the_receivers_message_and_never_retried(store):
    ch = ScriptedChannel("hook", result_from_http(400, "invalid_payload: missing text"))
    al = make(store, ch, group_wait=0.0)
    al.process(report(T0), T0)
    (o,) = await al.deliver_due(T0)
    assert str(o) == "failed: hook: HTTP 400: invalid_payload: missing text"
    assert await al.deliver_due(T0 + 86_400) == []
    (entry,) = al.history(slo="helpfulness")
    assert entry.state == "failed" and entry.status_code == 400
    assert entry.outcome == "failed: hook: HTTP 400: invalid_payload: missing text"
    assert al.history(slo="latency") == []


async def test_gives_up_after_max_attempts_and_an_exception_counts_as_retryable(store):
    ch = ScriptedChannel("hook", default=result_from_http(503, "maintenance"))
    ch.script = [ConnectionResetError("reset by peer")]
    al = make(store, ch, group_wait=0.0, retry=RetryPolicy(max_attempts=3, base=1.0))
    al.process(report(T0), T0)
    states = []
    t = T0
    for _ in range(5):
        for o in await al.deliver_due(t):
            states.append((o.state, o.result.message))
        t += 10
    assert states[0] == ("pending", "ConnectionResetError: reset by peer")
    assert [s for s, _ in states] == ["pending", "pending", "failed"]
    assert states[-1][1].startswith("gave up after 3 attempts: HTTP 503")


async def test_a_resolve_never_overtakes_its_failing_trigger(store):
    ch = ScriptedChannel("hook", result_from_http(500, "down"), result_from_http(500, "down"))
    al = make(store, ch, group_wait=0.0, group_interval=60.0, retry=RetryPolicy(base=1000.0))
    al.process(report(T0), T0)
    (o,) = await al.deliver_due(T0)
    assert o.state == "pending"
    al.process(report(T0 + 10, Status.OK), T0 + 10)
    al.process(report(T0 + 60, Status.OK), T0 + 60)
    assert [r[3] for r in rows(store)] == ["trigger", "resolve"]
    # the resolve is due, but waits behind the trigger
    assert await al.deliver_due(T0 + 61) == []
    first = await al.deliver_due(o.next_attempt_at)
    assert [x.kind for x in first] == ["trigger"] and first[0].state == "pending"
    done = await al.deliver_due(T0 + 100_000)
    assert [(x.kind, x.state) for x in done] == [("trigger", "delivered"), ("resolve", "delivered")]
    assert [n.kind for n in ch.got] == ["trigger", "trigger", "trigger", "resolve"]


async def test_a_row_claimed_by_a_dead_dispatcher_is_reclaimed_after_its_lease(store):
    ch = ScriptedChannel("hook")
    al = make(store, ch, group_wait=0.0, retry=RetryPolicy(lease=60.0, send_timeout=10.0))
    al.process(report(T0), T0)
    (dead,) = al.outbox.claim(T0, lease=60.0)  # a dispatcher that never comes back
    assert await al.deliver_due(T0 + 59.9) == []
    (o,) = await al.deliver_due(T0 + 60)
    assert o.state == "delivered" and o.attempt == 2
    # the dead dispatcher's late answer cannot overwrite the outcome
    assert not al.outbox.finish(
        dead, state="failed", started_at=T0, finished_at=T0 + 61, outcome="failed", status_code=None,
        error="late", retry_after=None, next_attempt_at=None,
    )
    assert rows(store)[0][4] == "delivered"
    assert len(ch.got) == 1


YEAR = 365 * 86400.0


async def test_a_retry_written_before_the_clock_went_back_is_due_now(store):
    """A retry due at +7 s (Retry-After) written while the clock read a year ahead: once NTP sets the
    clock back it is due now, not in a year (anything more than FUTURE_LIMIT ahead counts as due)."""
    ch = ScriptedChannel("hook", result_from_http(429, "slow down", retry_after="7"))
    al = make(store, ch, group_wait=0.0)
    al.process(report(T0 + YEAR), T0 + YEAR)
    (o,) = await al.deliver_due(T0 + YEAR)
    assert o.state == "pending" and o.next_attempt_at == T0 + YEAR + 7
    assert al.outbox.next_due(T0) == T0
    assert [o.state for o in await al.deliver_due(T0)] == ["delivered"]


async def test_a_lease_written_before_the_clock_went_back_has_expired(store):
    ch = ScriptedChannel("hook")
    al = make(store, ch, group_wait=0.0, retry=RetryPolicy(lease=60.0, send_timeout=10.0))
    al.process(report(T0), T0)
    (dead,) = al.outbox.claim(T0 + YEAR, lease=60.0)  # a dispatcher that died while the clock was ahead
    (o,) = await al.deliver_due(T0 + 1)
    assert o.state == "delivered" and o.attempt == 2


async def test_a_real_hour_long_retry_after_still_waits(store):
    from slotui.store.outbox import FUTURE_LIMIT

    ch = ScriptedChannel("hook", result_from_http(429, "slow down", retry_after="3600"))
    al = make(store, ch, group_wait=0.0)
    al.process(report(T0), T0)
    (o,) = await al.deliver_due(T0)
    assert o.next_attempt_at == T0 + 3600 < T0 + FUTURE_LIMIT
    assert al.outbox.next_due(T0) == T0 + 3600
    assert await al.deliver_due(T0 + 3599) == []


async def test_test_alert_gets_one_attempt_and_reports_the_receivers_error(store):
    good = ScriptedChannel("good")
    bad = ScriptedChannel("bad", result_from_http(503, "try later", retry_after="30"))
    al = make(store, good, bad)
    al.specs = {"helpfulness": SPEC}
    out = await al.fire_test(slo="helpfulness", now=T0)
    assert sorted(str(o) for o in out) == ["delivered to good", "failed: bad: HTTP 503: try later"]
    n = good.got[0]
    assert n.kind == "test" and n.is_test and n.title.startswith("[TEST] ")
    assert n.alerts[0].labels["test"] == "true" and n.alerts[0].summary.startswith("[TEST] ")
    assert await al.deliver_due(T0 + 3600) == []  # not retried
    assert store.conn.execute("SELECT COUNT(*) FROM alert_states").fetchone() == (0,)
    with pytest.raises(UnknownTarget, match="no channel named 'nope'; configured channels: good, bad"):
        await al.fire_test(channel="nope", now=T0)
    with pytest.raises(UnknownTarget, match="no SLO named 'nope'"):
        await al.fire_test(slo="nope", now=T0)


async def test_ack_enqueues_an_acknowledge_for_channels_told_it_fires(store):
    ch = ScriptedChannel("pd")
    al = make(store, ch, group_wait=0.0)
    al.process(report(T0), T0)
    await al.deliver_due(T0)
    events = al.ack("helpfulness", "alice", T0 + 60)
    # every firing alert of the SLO is acked (the inhibited warning too)
    assert sorted((e.kind, e.fingerprint) for e in events) == [
        ("acknowledged", "helpfulness:critical"), ("acknowledged", "helpfulness:warning"),
    ]
    out = await al.deliver_due(T0 + 60)
    assert [(o.kind, o.state) for o in out] == [("acknowledge", "delivered")]
    assert ch.got[-1].kind == "acknowledge" and ch.got[-1].alerts[0].acked_by == "alice"
    (rec,) = [r for r in al.alerts("helpfulness") if r.severity == "critical"]
    assert rec.acked_by == "alice" and rec.state == "firing"


def test_backoff_is_full_jitter_under_an_exponential_cap():
    policy = RetryPolicy(base=2.0, cap=60.0)
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(60.0, 2.0 * 2 ** (attempt - 1))
        delays = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not a fixed delay


def test_state_written_by_another_process_is_not_overwritten_by_a_cached_copy(store, tmp_path):
    a = make(store, ScriptedChannel("hook"))
    other = Store.open(tmp_path / "state.db")
    try:
        b = make(other, ScriptedChannel("hook"))
        a.process(report(T0), T0)
        a.process(report(T0 + 10), T0 + 10)  # served from a's in-memory copy
        b.ack("helpfulness", "bob", T0 + 20)  # another process changes the state
        a.process(report(T0 + 30), T0 + 30)
        (rec,) = [r for r in a.alerts("helpfulness") if r.severity == "critical"]
        assert rec.acked_by == "bob"
    finally:
        other.close()


class BlockingChannel(ScriptedChannel):
    """A receiver that does not answer until ``gate`` is set."""

    def __init__(self, name):
        super().__init__(name)
        import asyncio

        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def send(self, notification):
        self.got.append(notification)
        self.entered.set()
        await self.gate.wait()
        return DeliveryResult.delivered(200)


async def test_background_workers_per_channel_a_hung_receiver_delays_nobody_else(store):
    import asyncio
    import time

    fast, hung = ScriptedChannel("fast"), BlockingChannel("hung")
    policy = AlertPolicy(router=Router([], {"fast": "webhook", "hung": "webhook"}), group_by=("slo",), group_wait=0.0)
    al = Alerting(policy, store, channels={"fast": fast, "hung": hung})
    stop = asyncio.Event()
    task = asyncio.create_task(al.run_dispatcher(stop, poll=5.0))
    try:
        now = time.time()
        al.process(report(now, Status.CRITICAL, SPEC, OTHER), now)  # wakes the dispatcher: no poll wait
        await asyncio.wait_for(hung.entered.wait(), 5)
        for _ in range(500):
            if len(fast.got) == 2:
                break
            await asyncio.sleep(0.01)
        assert sorted(n.group_key for n in fast.got) == ['{slo="helpfulness"}', '{slo="latency"}']
        states = dict(
            store.conn.execute("SELECT channel || fingerprint, state FROM notifications WHERE channel = 'fast'").fetchall()
        )
        assert set(states.values()) == {"delivered"}
        assert len(hung.got) == 2  # both in flight (up to per_channel at once), neither answered
        hung.gate.set()
        for _ in range(500):
            if all(h.state == "delivered" for h in al.history()):
                break
            await asyncio.sleep(0.01)
        assert [h.state for h in al.history()] == ["delivered"] * 4
    finally:
        hung.gate.set()
        stop.set()
        await asyncio.wait_for(task, 5)
