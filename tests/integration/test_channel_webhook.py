"""Webhook channel against a local receiver that checks the Alertmanager webhook v4 shape."""

from __future__ import annotations

import base64
import logging

import pytest
from receivers import HTTPReceiver, Reply, sample_alert, sample_notification, webhook_v4_violations

from slotui.channels import build_channel
from slotui.config.model import WebhookChannel as WebhookCfg

pytestmark = pytest.mark.integration

TOKEN = "bearerSECRET-77f1"
PASSWORD = "basicSECRET-pw-99"
URL_TOKEN = "hookSECRETpath123"


def v4_receiver() -> HTTPReceiver:
    return HTTPReceiver(default=Reply(200, ""), validator=webhook_v4_violations)


def channel(url: str, **kw):
    cfg = WebhookCfg.model_validate({"type": "webhook", "url": f"{url}/hooks/{URL_TOKEN}?sig={URL_TOKEN}", **kw})
    return build_channel("hook", cfg, base_dir=None)


def assert_no_secret(*texts: str) -> None:
    for t in texts:
        for s in (TOKEN, PASSWORD, URL_TOKEN):
            assert s not in t


async def test_v4_body_with_bearer_and_custom_headers():
    with v4_receiver() as rx:
        ch = channel(rx.url, bearer_token=TOKEN, headers={"X-Team": "llm", "X-Api-Key": "keySECRET"})
        n = sample_notification([sample_alert("a"), sample_alert("b", state="resolved")], external_url="http://slotui.local")
        res = await ch.send(n)
        await ch.aclose()
    assert res.ok and res.status_code == 200 and rx.violations == []
    (req,) = rx.requests
    assert req.path == f"/hooks/{URL_TOKEN}?sig={URL_TOKEN}"
    assert req.header("Authorization") == f"Bearer {TOKEN}"
    assert req.header("X-Team") == "llm" and req.header("X-Api-Key") == "keySECRET"
    body = req.json
    assert body["receiver"] == "hook" and body["status"] == "firing" and body["version"] == "4"
    assert body["externalURL"] == "http://slotui.local"
    assert [(a["labels"]["slo"], a["status"]) for a in body["alerts"]] == [("a", "firing"), ("b", "resolved")]
    assert body["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert body["alerts"][0]["annotations"]["runbook_url"] == "https://runbooks.example/llm"


async def test_basic_auth():
    with v4_receiver() as rx:
        ch = channel(rx.url, basic_auth={"username": "slotui", "password": PASSWORD})
        res = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert res.ok
    auth = rx.requests[0].header("Authorization")
    assert auth == "Basic " + base64.b64encode(f"slotui:{PASSWORD}".encode()).decode()


@pytest.mark.parametrize(
    ("reply", "retryable", "retry_after"),
    [
        (Reply(429, "slow down", headers={"Retry-After": "3"}), True, 3.0),
        (Reply(500, "boom"), True, None),
        (Reply(401, {"error": "bad credentials"}), False, None),
        (Reply(413, "payload too large"), False, None),
    ],
)
async def test_error_answers(reply, retryable, retry_after, caplog):
    caplog.set_level(logging.DEBUG)
    with v4_receiver() as rx:
        rx.script(reply)
        ch = channel(rx.url, bearer_token=TOKEN, basic_auth={"username": "u", "password": PASSWORD})
        res = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert not res.ok and res.retryable is retryable and res.retry_after == retry_after
    assert res.status_code == reply.status
    words = reply.body if isinstance(reply.body, str) else reply.body["error"]
    assert words in res.message
    assert_no_secret(res.message, caplog.text, repr(ch))


async def test_timeout_is_retryable_without_secret():
    with v4_receiver() as rx:
        rx.script(Reply(200, "", delay=1.0))
        ch = channel(rx.url, timeout=0.2, bearer_token=TOKEN)
        res = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert not res.ok and res.retryable and "timed out" in res.message
    assert_no_secret(res.message)


async def test_send_resolved_false_drops_resolved_alerts_from_a_firing_group():
    with v4_receiver() as rx:
        ch = channel(rx.url, send_resolved=False)
        res = await ch.send(sample_notification([sample_alert("a"), sample_alert("b", state="resolved")]))
        await ch.aclose()
    assert res.ok
    assert [a["labels"]["slo"] for a in rx.requests[0].json["alerts"]] == ["a"]
