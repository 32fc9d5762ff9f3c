"""Alertmanager channel against the real ``prometheus-alertmanager`` binary on a
free loopback port: alerts posted, silences mirrored (alert suppressed),
silences expired, alerts resolved."""

from __future__ import annotations

import logging
import time
from datetime import datetime

import pytest
from receivers import AlertmanagerProcess, HTTPReceiver, Reply, poll_until, sample_alert, sample_notification

from slotui.alerting.silence import Matcher, Silence, mute, snooze
from slotui.channels import build_channel
from slotui.channels.alertmanager import OPEN_ENDED, SilenceMirrorError
from slotui.config.model import AlertmanagerChannel as AMCfg

pytestmark = pytest.mark.integration

TOKEN = "amBEARERsecret-5150"


@pytest.fixture
def am(tmp_path):
    with AlertmanagerProcess(tmp_path) as proc:
        yield proc


def channel(url: str, **kw):
    return build_channel("am", AMCfg.model_validate({"type": "alertmanager", "url": url, **kw}), base_dir=None)


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def alerts_of(am: AlertmanagerProcess, slo: str) -> list[dict]:
    return [a for a in am.get("/api/v2/alerts") if a["labels"].get("slo") == slo]


def state_of(am: AlertmanagerProcess, slo: str) -> str | None:
    found = alerts_of(am, slo)
    return found[0]["status"]["state"] if found else None


async def test_fired_alerts_appear_with_labels_and_annotations(am):
    ch = channel(am.url, alert_ttl="2h")
    n = sample_notification([sample_alert("helpfulness", "page"), sample_alert("latency_p95", "page")])
    before = time.time()
    res = await ch.send(n)
    await ch.aclose()
    assert res.ok and res.status_code == 200, res
    poll_until(lambda: state_of(am, "helpfulness") == "active" and state_of(am, "latency_p95") == "active",
               what="both alerts active")
    (alert,) = alerts_of(am, "helpfulness")
    assert alert["labels"] == {"alertname": "SLOBurn", "slo": "helpfulness", "service": "support-bot",
                               "severity": "page", "source": "demo"}
    assert alert["annotations"]["summary"] == "helpfulness is PAGE: 0.78 vs target 0.85"
    assert alert["annotations"]["runbook_url"] == "https://runbooks.example/llm"
    # endsAt = now + alert_ttl, so Alertmanager's 5m resolve_timeout does not end it between repeats
    assert before + 7200 - 5 <= ts(alert["endsAt"]) <= time.time() + 7200 + 5


async def test_snooze_mirrored_suppresses_then_expiry_reactivates(am):
    ch = channel(am.url)
    assert (await ch.send(sample_notification([sample_alert("helpfulness"), sample_alert("cost")]))).ok
    poll_until(lambda: state_of(am, "helpfulness") == "active", what="alert active")
    now = time.time()
    s = snooze([Matcher("slo", "=", "helpfulness")], 3600, now, "ana", "deploy in progress")
    remote = await ch.mirror_silence(s)
    silences = {x["id"]: x for x in am.get("/api/v2/silences")}
    mirrored = silences[remote]
    assert mirrored["status"]["state"] == "active"
    assert mirrored["matchers"] == [{"name": "slo", "value": "helpfulness", "isRegex": False, "isEqual": True}]
    assert mirrored["createdBy"] == "ana" and mirrored["comment"] == f"deploy in progress [slotui silence {s.id}]"
    assert abs(ts(mirrored["endsAt"]) - (now + 3600)) < 1
    poll_until(lambda: state_of(am, "helpfulness") == "suppressed", what="alert suppressed by the mirrored silence")
    (alert,) = alerts_of(am, "helpfulness")
    assert alert["status"]["silencedBy"] == [remote]
    assert state_of(am, "cost") == "active"  # not matched

    await ch.expire_mirrored(remote)
    await ch.expire_mirrored(remote)  # already expired: still fine
    poll_until(lambda: {x["id"]: x for x in am.get("/api/v2/silences")}[remote]["status"]["state"] == "expired",
               what="silence expired")
    poll_until(lambda: state_of(am, "helpfulness") == "active", what="alert active again")
    await ch.aclose()


async def test_open_ended_mute_and_regex_matchers(am):
    ch = channel(am.url)
    assert (await ch.send(sample_notification([sample_alert("helpfulness", "warning")]))).ok
    now = time.time()
    m = mute([Matcher("slo", "=~", "help.*"), Matcher("severity", "!=", "page")], now, "bob", "maintenance")
    remote = await ch.mirror_silence(m)
    mirrored = {x["id"]: x for x in am.get("/api/v2/silences")}[remote]
    assert mirrored["matchers"] == [
        {"name": "slo", "value": "help.*", "isRegex": True, "isEqual": True},
        {"name": "severity", "value": "page", "isRegex": False, "isEqual": False},
    ]
    assert ts(mirrored["endsAt"]) == pytest.approx(now + OPEN_ENDED, abs=2)
    poll_until(lambda: state_of(am, "helpfulness") == "suppressed", what="muted alert suppressed")
    await ch.aclose()


@pytest.mark.parametrize("send_resolved", [True, False])
async def test_resolve_ends_the_alert(am, send_resolved):
    # send_resolved: false used to keep the resolve from Alertmanager: the alert stayed active there
    # (and its receivers kept repeating it) until alert_ttl, 6h by default.
    ch = channel(am.url, send_resolved=send_resolved)
    assert (await ch.send(sample_notification([sample_alert("helpfulness")]))).ok
    poll_until(lambda: state_of(am, "helpfulness") == "active", what="alert active")
    res = await ch.send(sample_notification([sample_alert("helpfulness", state="resolved")], kind="resolve"))
    await ch.aclose()
    assert res.ok
    poll_until(lambda: alerts_of(am, "helpfulness") == [], what="resolved alert gone from the active list")
    # and it stays gone: the group's API no longer lists it either
    groups = am.get("/api/v2/alerts/groups")
    assert all(a["labels"].get("slo") != "helpfulness" for g in groups for a in g["alerts"])


async def test_test_alert_is_labelled_and_short_lived(am):
    ch = channel(am.url)
    assert (await ch.send(sample_notification([sample_alert(is_test=True)], kind="test"))).ok
    await ch.aclose()
    (alert,) = poll_until(lambda: alerts_of(am, "helpfulness"), what="test alert")
    assert alert["labels"]["test"] == "true"
    assert ts(alert["endsAt"]) <= time.time() + 300 + 5


@pytest.mark.parametrize(
    ("name", "posted"),
    [("bad-name", "bad_name"), ("gen_ai.request.model", "gen_ai_request_model"), ("team:eu", "team_eu"),
     ("9lives", "_9lives"), ("modèle", "mod_le")],
)
async def test_label_names_alertmanager_refuses_are_posted_as_it_accepts_them(am, name, posted):
    # slotui allows '.', ':' and '-' in label names (and config keys may be anything); Alertmanager
    # answered 400 "invalid label set" for the whole notification, so no alert of it ever arrived
    ch = channel(am.url)
    slo = f"helpfulness {posted}"
    alert = sample_alert(slo, labels={"alertname": "SLOBurn", "slo": slo, name: "x", "severity": "critical"})
    res = await ch.send(sample_notification([alert]))
    assert res.ok and res.status_code == 200, res
    (got,) = poll_until(lambda: alerts_of(am, slo), what="alert posted")
    assert got["labels"] == {"alertname": "SLOBurn", "slo": slo, posted: "x", "severity": "critical"}
    if name in ("9lives", "modèle"):  # a config's label key, but no silence matcher's name
        with pytest.raises(ValueError, match="invalid label name"):
            Matcher(name, "=", "x")
        await ch.aclose()
        return
    # a silence on the label as slotui names it is mirrored on the name Alertmanager has
    s = snooze([Matcher("slo", "=", slo), Matcher(name, "=", "x")], 600, time.time(), "ana", "")
    remote = await ch.mirror_silence(s)
    mirrored = {x["id"]: x for x in am.get("/api/v2/silences")}[remote]
    assert {m["name"] for m in mirrored["matchers"]} == {"slo", posted}
    poll_until(lambda: state_of(am, slo) == "suppressed", what="alert suppressed by the mirrored silence")
    assert (await ch.sync_silences([s], time.time())).errors == {}  # in sync: the rewritten name compares equal
    await ch.aclose()


async def test_a_name_valid_as_written_wins_over_a_rewritten_one(am):
    ch = channel(am.url)
    alert = sample_alert("clash", labels={"alertname": "SLOBurn", "slo": "clash", "team-name": "a", "team_name": "b"})
    assert (await ch.send(sample_notification([alert]))).ok
    (got,) = poll_until(lambda: alerts_of(am, "clash"), what="alert posted")
    assert got["labels"] == {"alertname": "SLOBurn", "slo": "clash", "team_name": "b"}
    await ch.aclose()


async def test_unreachable_and_secret_safe(caplog):
    caplog.set_level(logging.DEBUG)
    with HTTPReceiver() as rx:
        url = rx.url
    ch = channel(url, bearer_token=TOKEN)
    res = await ch.send(sample_notification([sample_alert()]))
    assert not res.ok and res.retryable
    with pytest.raises(SilenceMirrorError) as err:
        await ch.mirror_silence(snooze([Matcher("slo", "=", "x")], 60, time.time(), "ana", ""))
    assert err.value.retryable
    with pytest.raises(SilenceMirrorError):
        await ch.expire_mirrored("0a6b1bb6-0000-0000-0000-000000000000")
    await ch.aclose()
    for text in (res.message, str(err.value), caplog.text, repr(ch)):
        assert TOKEN not in text


async def test_bearer_token_is_sent_and_server_errors_retry():
    with HTTPReceiver(default=Reply(200, "")) as rx:
        rx.script(Reply(503, "try later", headers={"Retry-After": "4"}))
        ch = channel(rx.url, bearer_token=TOKEN)
        first = await ch.send(sample_notification([sample_alert()]))
        second = await ch.send(sample_notification([sample_alert()]))
        await ch.aclose()
    assert not first.ok and first.retryable and first.retry_after == 4.0
    assert second.ok
    assert rx.requests[1].path == "/api/v2/alerts"
    assert rx.requests[1].header("Authorization") == f"Bearer {TOKEN}"
    assert isinstance(rx.requests[1].json, list)


def test_silence_dataclass_fields_used_by_the_mirror():
    # guards the contract with slotui.alerting.silence (owned by the store engineer)
    s = Silence(id="x", matchers=(Matcher("slo", "=", "a"),), starts_at=1.0, ends_at=None, created_by="c", comment="")
    assert (s.id, s.starts_at, s.ends_at, s.created_by, s.comment) == ("x", 1.0, None, "c", "")


async def test_sync_silences_reconciles_without_remote_ids(am):
    ch = channel(am.url)
    now = time.time()
    a = snooze([Matcher("slo", "=", "a")], 3600, now, "ana", "deploy")
    b = mute([Matcher("slo", "=", "b")], now, "bob", "maintenance")
    c = Silence(id="old", matchers=(Matcher("slo", "=", "c"),), starts_at=now - 7200, ends_at=now - 3600,
                created_by="cy", comment="")
    first = await ch.sync_silences([a, b, c], now)
    assert sorted(first.created) == sorted([a.id, b.id]) and not first.updated and not first.errors
    mirrored = await ch.list_mirrored()
    assert set(mirrored) == {a.id, b.id}

    again = await ch.sync_silences([a, b, c], now + 1)
    assert (again.created, again.updated, again.expired) == ([], [], [])

    longer = Silence(id=a.id, matchers=a.matchers, starts_at=a.starts_at, ends_at=now + 7200,
                     created_by=a.created_by, comment=a.comment)
    changed = await ch.sync_silences([longer, b.expired_at(now + 2)], now + 2)
    assert changed.updated == [a.id] and changed.expired == [b.id] and not changed.errors
    mirrored = await ch.list_mirrored()
    assert set(mirrored) == {a.id}
    assert abs(ts(mirrored[a.id]["endsAt"]) - (now + 7200)) < 1
    states = {x["comment"]: x["status"]["state"] for x in am.get("/api/v2/silences")}
    assert states[f"maintenance [slotui silence {b.id}]"] == "expired"
    await ch.aclose()


async def test_behind_a_path_prefix_with_a_query_parameter(tmp_path):
    """``url: http://gw/alertmanager?tenant=a``: every API path goes under the prefix and the
    query rides along (it used to be joined by text: ``...?tenant=a/api/v2/alerts``)."""
    with AlertmanagerProcess(tmp_path, prefix="/alertmanager") as prefixed:
        ch = channel(prefixed.url + "/?tenant=team-a")
        assert (await ch.send(sample_notification([sample_alert("helpfulness")]))).ok
        poll_until(lambda: state_of(prefixed, "helpfulness") == "active", what="alert active under the prefix")
        assert [a["labels"]["slo"] for a in await ch.list_alerts()] == ["helpfulness"]
        s = snooze([Matcher("slo", "=", "helpfulness")], 3600, time.time(), "ana", "deploy")
        remote = await ch.mirror_silence(s)
        poll_until(lambda: state_of(prefixed, "helpfulness") == "suppressed", what="alert silenced under the prefix")
        await ch.expire_mirrored(remote)
        poll_until(lambda: {x["id"]: x for x in prefixed.get("/api/v2/silences")}[remote]["status"]["state"]
                   == "expired", what="silence expired under the prefix")
        await ch.aclose()
    with HTTPReceiver(default=Reply(200, "")) as rx:
        ch = channel(rx.url + "/am?tenant=team-a&token=" + TOKEN)
        assert (await ch.send(sample_notification([sample_alert()]))).ok
        text = repr(ch)
        await ch.aclose()
    assert rx.requests[0].path == f"/am/api/v2/alerts?tenant=team-a&token={TOKEN}"
    assert TOKEN not in text


async def test_a_generator_url_with_spaces_reaches_alertmanager_as_a_link(am):
    # the same encoded link as every channel's (Slack refuses a button URL with a space); Alertmanager keeps it
    raw = "https://wiki.example/SRE Runbooks/Ünïcode page"
    ch = channel(am.url)
    res = await ch.send(sample_notification([sample_alert("helpfulness", "page", generator_url=raw)]))
    await ch.aclose()
    assert res.ok and res.status_code == 200, res
    poll_until(lambda: state_of(am, "helpfulness") == "active", what="the alert active")
    (alert,) = alerts_of(am, "helpfulness")
    assert alert["generatorURL"] == "https://wiki.example/SRE%20Runbooks/%C3%9Cn%C3%AFcode%20page"
