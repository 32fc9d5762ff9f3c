"""Slack channel against a local HTTP receiver that checks Block Kit payloads."""

from __future__ import annotations

import logging
import time
from email.utils import formatdate

import pytest
from receivers import HTTPReceiver, Reply, sample_alert, sample_notification, slack_violations

from slotui.channels import build_channel
from slotui.config.model import SlackChannel as SlackCfg

pytestmark = pytest.mark.integration

SECRET = "T0AAA/B0BBB/xoxSECRETtoken42"


def slack_receiver() -> HTTPReceiver:
    return HTTPReceiver(default=Reply(200, "ok"), validator=slack_violations,
                        invalid_reply=lambda errors: Reply(400, "invalid_blocks"))


def channel(url: str, **kw):
    cfg = SlackCfg(type="slack", webhook_url=f"{url}/services/{SECRET}", **kw)
    return build_channel("team-slack", cfg, base_dir=None)


def assert_no_secret(*texts: str) -> None:
    for t in texts:
        assert "xoxSECRETtoken42" not in t and SECRET not in t


async def test_delivers_valid_blocks_to_the_webhook_path(caplog):
    caplog.set_level(logging.DEBUG)
    with slack_receiver() as rx:
        ch = channel(rx.url, channel="#llm-alerts", username="slotui")
        n = sample_notification([sample_alert("helpfulness"), sample_alert("latency_p95")])
        res = await ch.send(n)
        await ch.aclose()
    assert res.ok and res.status_code == 200, res
    assert rx.violations == []
    (req,) = rx.requests
    assert req.method == "POST" and req.path == f"/services/{SECRET}"
    assert req.header("Content-Type") == "application/json"
    body = req.json
    assert body["channel"] == "#llm-alerts" and body["username"] == "slotui"
    assert body["blocks"][0]["text"]["text"] == "\N{LARGE RED CIRCLE} [FIRING:2] critical: helpfulness, latency_p95"
    assert sum(1 for b in body["blocks"] if b["type"] == "actions") == 2
    assert_no_secret(res.message, repr(ch), caplog.text)


async def test_large_group_stays_within_slack_limits():
    alerts = [sample_alert(f"slo_{i}", annotations={"summary": "s" * 4000, "description": "d" * 4000})
              for i in range(40)]
    with slack_receiver() as rx:
        ch = channel(rx.url)
        res = await ch.send(sample_notification(alerts))
        await ch.aclose()
    assert rx.violations == [] and res.ok
    blocks = rx.requests[0].json["blocks"]
    assert len(blocks) <= 50
    assert blocks[-1]["elements"][0]["text"].startswith("+30 more alerts")


async def test_429_retry_after_then_success():
    with slack_receiver() as rx:
        rx.script(Reply(429, "rate_limited", headers={"Retry-After": "1"}))
        ch = channel(rx.url)
        n = sample_notification([sample_alert()])
        first = await ch.send(n)
        second = await ch.send(n)
        await ch.aclose()
    assert not first.ok and first.retryable and first.retry_after == 1.0 and first.status_code == 429
    assert "rate_limited" in first.message
    assert second.ok
    assert len(rx.requests) == 2 and rx.requests[0].body == rx.requests[1].body


async def test_503_with_http_date_retry_after():
    with slack_receiver() as rx:
        later = formatdate(time.time() + 120, usegmt=True)
        rx.script(Reply(503, "service unavailable", headers={"Retry-After": later}))
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert not res.ok and res.retryable and 100 <= res.retry_after <= 121


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (500, "rollup_error", True),
        (400, "invalid_payload", False),
        (403, "action_prohibited", False),
        (404, "no_service", False),
        (404, "channel_not_found", False),
    ],
)
async def test_error_answers(status, body, retryable, caplog):
    caplog.set_level(logging.DEBUG)
    with slack_receiver() as rx:
        rx.script(Reply(status, body))
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert not res.ok and res.retryable is retryable and res.status_code == status
    assert body in res.message and f"HTTP {status}" in res.message
    assert res.retry_after is None
    assert_no_secret(res.message, caplog.text)


async def test_receiver_that_echoes_the_url_gets_masked():
    with slack_receiver() as rx:
        rx.script(Reply(400, f"bad webhook {rx.url}/services/{SECRET} (path /services/{SECRET})"))
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert not res.ok and "****" in res.message
    assert_no_secret(res.message)


async def test_unreachable_is_retryable_without_secret(caplog):
    caplog.set_level(logging.DEBUG)
    with HTTPReceiver() as rx:
        url = rx.url  # the port is closed once the receiver stops
    ch = channel(url)
    res = await ch.send(sample_notification([sample_alert()]))
    await ch.aclose()
    assert not res.ok and res.retryable and "connection failed" in res.message
    assert_no_secret(res.message, caplog.text)


async def test_resolved_not_sent_when_send_resolved_false():
    with slack_receiver() as rx:
        ch = channel(rx.url, send_resolved=False)
        res = await ch.send(sample_notification([sample_alert(state="resolved")], kind="resolve"))
        fired = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert res.ok and "send_resolved" in res.message
    assert fired.ok and len(rx.requests) == 1


async def test_test_notification_is_marked():
    with slack_receiver() as rx:
        ch = channel(rx.url)
        res = await ch.send(sample_notification([sample_alert(is_test=True)], kind="test"))
        await ch.aclose()
    assert res.ok and rx.violations == []
    body = rx.requests[0].json
    assert body["text"].startswith("[TEST] ") and "[TEST]" in body["blocks"][0]["text"]["text"]


async def test_the_configured_timeout_bounds_a_slow_webhook_and_is_retryable():
    # Slack had no timeout setting (always 10 s); now `timeout:` is the request's, as for webhooks.
    with slack_receiver() as rx:
        rx.script(Reply(200, "ok", delay=2.0))
        ch = channel(rx.url, timeout=0.3)
        assert ch.timeout == 0.3
        res = await ch.send(sample_notification([sample_alert("helpfulness")]))
        await ch.aclose()
    assert not res.ok and res.retryable and res.status_code is None
    assert_no_secret(res.message)
