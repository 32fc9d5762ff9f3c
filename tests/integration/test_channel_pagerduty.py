"""PagerDuty channel against a local receiver that validates Events API v2 events
and answers like the real API (202 / 400 invalid event / 429 / 5xx)."""

from __future__ import annotations

import logging

import pytest
from receivers import (
    HTTPReceiver,
    Reply,
    pagerduty_accepted,
    pagerduty_invalid_reply,
    pagerduty_violations,
    sample_alert,
    sample_notification,
)

from slotui.channels import build_channel
from slotui.config.model import PagerDutyChannel as PDCfg

pytestmark = pytest.mark.integration

ROUTING_KEY = "R0UT1NGKEYSECRET0123456789abcdef"  # 32 characters
assert len(ROUTING_KEY) == 32


def pd_receiver() -> HTTPReceiver:
    return HTTPReceiver(default=pagerduty_accepted(), validator=pagerduty_violations,
                        invalid_reply=pagerduty_invalid_reply)


def channel(url: str, key: str = ROUTING_KEY, **kw):
    return build_channel("oncall", PDCfg(type="pagerduty", routing_key=key, url=f"{url}/v2/enqueue", **kw),
                         base_dir=None)


async def test_group_sends_one_event_per_alert():
    alerts = [
        sample_alert("helpfulness", "page"),
        sample_alert("latency_p95", "page", annotations={"summary": "L" * 3000}),
        sample_alert("cost", "page", state="resolved"),
    ]
    with pd_receiver() as rx:
        ch = channel(rx.url)
        res = await ch.send(sample_notification(alerts))
        await ch.aclose()
    assert res.ok and res.status_code == 202, res
    assert rx.violations == []
    events = [r.json for r in rx.requests]
    assert [r.path for r in rx.requests] == ["/v2/enqueue"] * 3
    assert [e["event_action"] for e in events] == ["trigger", "trigger", "resolve"]
    assert [e["dedup_key"] for e in events] == ["helpfulness:page", "latency_p95:page", "cost:page"]
    trig = events[0]["payload"]
    assert trig["severity"] == "critical" and trig["component"] == "helpfulness"
    assert trig["custom_details"]["silence"].startswith("slotui silence add slo=helpfulness")
    assert len(events[1]["payload"]["summary"]) == 1024
    assert set(events[2]) == {"routing_key", "event_action", "dedup_key"}


async def test_acknowledge_event():
    with pd_receiver() as rx:
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert(acked=True, acked_by="ana")], kind="acknowledge"))
        await ch.aclose()
    assert res.ok and rx.violations == []
    assert rx.requests[0].json == {"routing_key": ROUTING_KEY, "event_action": "acknowledge",
                                   "dedup_key": "helpfulness:critical"}


async def test_invalid_event_is_final_with_the_api_errors_and_no_key(caplog):
    caplog.set_level(logging.DEBUG)
    short_key = "SHORTSECRETKEY42"
    with pd_receiver() as rx:
        ch = channel(rx.url, key=short_key)
        res = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert not res.ok and not res.retryable and res.status_code == 400
    assert "Event object is invalid" in res.message and "routing_key" in res.message
    for text in (res.message, caplog.text, repr(ch)):
        assert short_key not in text


async def test_429_stops_the_group_and_carries_retry_after():
    with pd_receiver() as rx:
        rx.script(Reply(429, {"status": "throttle", "message": "Requests for this service are arriving too quickly."},
                        headers={"Retry-After": "2"}))
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert("a"), sample_alert("b")]))
        again = await ch.send(sample_notification([sample_alert("a"), sample_alert("b")]))
        await ch.aclose()
    assert not res.ok and res.retryable and res.retry_after == 2.0 and res.status_code == 429
    assert "arriving too quickly" in res.message
    assert len(rx.requests) == 3  # one refused, then the whole group on retry
    assert again.ok


async def test_server_error_is_retryable_and_partial_success_is_reported():
    with pd_receiver() as rx:
        rx.script(pagerduty_accepted("a:critical"), Reply(502, "Bad Gateway"))
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert("a"), sample_alert("b")]))
        await ch.aclose()
    assert not res.ok and res.retryable and res.status_code == 502
    assert "1/2 events accepted" in res.message



async def test_an_event_refused_for_good_does_not_stop_a_5xx_one_from_being_retried():
    with pd_receiver() as rx:
        rx.script(Reply(400, {"status": "invalid event", "message": "Event object is invalid",
                              "errors": ["payload.summary is too long"]}), Reply(502, "Bad Gateway"))
        ch = channel(rx.url)
        group = [sample_alert("a"), sample_alert("b")]
        res = await ch.send(sample_notification(group, id="n-1"))
        again = await ch.send(sample_notification(group, id="n-1"))  # the outbox's retry of the same row
        await ch.aclose()
    assert not res.ok and res.retryable and "Event object is invalid" in res.message and "502" in res.message
    assert "0/2 events accepted" in res.message
    # the retry sends b only: a was refused for good (PagerDuty would refuse it again); the group
    # still fails, for good now, with a's reason
    assert [r.json["dedup_key"] for r in rx.requests[2:]] == ["b:critical"]
    assert not again.ok and not again.retryable and again.status_code == 400
    assert "Event object is invalid" in again.message and "1/2 events accepted" in again.message


async def test_a_group_cut_at_the_attempt_limit_resumes_where_it_stopped():
    """Slow events that do answer: the dispatcher's attempt limit cuts the group; its retry sends
    only the events not yet accepted, so a long group gets through instead of restarting each time."""
    import asyncio

    slow = Reply(202, {"status": "success", "message": "Event processed"}, delay=0.4)
    group = [sample_alert("a"), sample_alert("b"), sample_alert("c")]
    with pd_receiver() as rx:
        rx.script(slow, slow, slow)
        ch = channel(rx.url, timeout=5)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ch.send(sample_notification(group, id="n-2")), 0.6)  # a accepted, b cut
        res = await ch.send(sample_notification(group, id="n-2"))
        other = await ch.send(sample_notification(group, id="n-3"))  # another notification: all of it
        await ch.aclose()
    assert res.ok, res
    keys = [r.json["dedup_key"] for r in rx.requests]
    assert keys[0] == "a:critical" and "a:critical" not in keys[1:-3]  # a is not sent again by the retry
    assert keys[-3:] == ["a:critical", "b:critical", "c:critical"] and other.ok




async def test_an_event_with_no_answer_ends_the_group_instead_of_waiting_once_per_alert():
    # A receiver that takes the first event and does not answer within the channel's timeout: each of the
    # other events waited as long again (10 s each by default, until the 30 s attempt limit cut the
    # group and called it "no answer within 30s"). The rest of the group is left for the retry.
    slow = Reply(202, {"status": "success", "message": "Event processed"}, delay=2.0)
    with pd_receiver() as rx:
        rx.script(slow, slow, slow)
        ch = channel(rx.url, timeout=0.3)
        assert ch.timeout == 0.3
        res = await ch.send(sample_notification([sample_alert("a"), sample_alert("b"), sample_alert("c")]))
        await ch.aclose()
        assert rx.scripted_left() == 2  # only the first event was sent
    assert not res.ok and res.retryable and res.status_code is None
    assert "0/3 events accepted" in res.message



async def test_test_alert_uses_info_and_its_own_dedup_key():
    with pd_receiver() as rx:
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert(is_test=True)], kind="test"))
        await ch.aclose()
    assert res.ok and rx.violations == []
    ev = rx.requests[0].json
    assert ev["payload"]["severity"] == "info" and ev["dedup_key"] == "helpfulness:critical:test"
    assert ev["payload"]["summary"].startswith("[TEST] ")
    # the test incident is resolved at once: a test left an incident open for someone to close by hand
    assert [(r.json["event_action"], r.json["dedup_key"]) for r in rx.requests] == [
        ("trigger", "helpfulness:critical:test"), ("resolve", "helpfulness:critical:test")]


async def test_a_test_alert_whose_resolve_fails_is_delivered_and_says_so():
    with pd_receiver() as rx:
        rx.script(pagerduty_accepted("helpfulness:critical:test"),
                  Reply(500, "boom"))
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert(is_test=True)], kind="test"))
        await ch.aclose()
    assert res.ok and "resolving the test incident failed" in res.message
