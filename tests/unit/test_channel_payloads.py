"""Channel payloads, built without sending: Slack Block Kit limits, PagerDuty
events, webhook v4, email parts, Alertmanager postables, Retry-After and
secret masking."""

from __future__ import annotations

import email
import email.policy
import json
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from slotui.alerting.notification import Alert, Notification, fingerprint
from slotui.alerting.silence import Matcher, Silence
from slotui.channels import alertmanager, http, pagerduty, render, slack, webhook
from slotui.channels import email as email_channel

NOW = 1_780_000_000.0  # 2026-05-28T20:26:40Z


def make_alert(slo: str = "helpfulness", severity: str = "critical", *, state: str = "firing", **kw) -> Alert:
    labels = {"alertname": "SLOBurn", "slo": slo, "service": "support-bot", "severity": severity, "source": "demo"}
    annotations = {
        "summary": f"{slo} is {severity}: 0.78 vs target 0.85",
        "runbook_url": "https://runbooks.example/llm",
    }
    context = {
        "value": 0.78, "unit": "", "target": 0.85, "warning": 0.8, "critical": 0.7,
        "direction": "higher_is_better", "window": 3600.0, "budget_remaining": 0.42, "fastest_burn": 14.2,
        "burn_rates": [
            {"severity": "critical", "long_window": 3600, "short_window": 300, "factor": 14.4,
             "long_rate": 14.2, "short_rate": 15.0, "firing": False},
            {"severity": "warning", "long_window": 259200, "short_window": 21600, "factor": 1.0,
             "long_rate": 1.3, "short_rate": 1.5, "firing": True},
        ],
        "firing_for": 720.0,
    }
    kw.setdefault("labels", labels)
    kw.setdefault("annotations", annotations)
    kw.setdefault("context", context)
    return Alert(
        fingerprint=fingerprint(slo, severity), slo=slo, severity=severity, state=state,
        starts_at=NOW - 720, ends_at=NOW if state == "resolved" else None, **kw,
    )


def make_notification(alerts: list[Alert], *, kind: str = "trigger", **kw) -> Notification:
    status = "firing" if any(a.state == "firing" for a in alerts) else "resolved"
    return Notification(
        id="n-1", channel="team", group_key='{}:{severity="critical"}', kind=kind, status=status,
        alerts=alerts, created_at=NOW, group_labels={"severity": alerts[0].severity},
        common_labels={"severity": alerts[0].severity, "service": "support-bot"}, **kw,
    )


# --------------------------------------------------------------------------- Slack


def _check_slack_limits(payload: dict) -> None:
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    for b in blocks:
        assert b["type"] in {"header", "section", "context", "actions", "divider"}
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
            assert 1 <= len(b.get("fields", [1])) <= 10
            assert all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        if b["type"] == "context":
            assert 1 <= len(b["elements"]) <= 10


def test_slack_payload_has_header_fields_and_runbook_button():
    n = make_notification([make_alert()])
    p = slack.build_payload(n, channel="#llm-alerts", username="slotui")
    _check_slack_limits(p)
    assert p["text"].startswith("[FIRING:1] critical: helpfulness")
    header = p["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"] == "\N{LARGE RED CIRCLE} [FIRING:1] critical: helpfulness"
    section = p["blocks"][1]
    labels = [f["text"].split("\n")[0] for f in section["fields"]]
    assert labels == ["*Value*", "*Target*", "*Budget*", "*Burn rate*"]
    values = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in section["fields"]}
    assert values["*Value*"] == "0.78"
    assert values["*Target*"] == "≥ 0.85 (warning 0.8, critical 0.7)"
    assert values["*Budget*"] == "42.0% left"
    assert values["*Burn rate*"].startswith("14.2x (1h/5m 14.2x; 3d/6h 1.3x firing)")
    context = p["blocks"][2]
    assert context["type"] == "context" and "window 1h" in context["elements"][0]["text"]
    assert "source demo" in context["elements"][0]["text"]
    assert "slotui silence add slo=helpfulness" in context["elements"][1]["text"]
    actions = p["blocks"][3]
    assert actions["type"] == "actions"
    assert actions["elements"][0]["url"] == "https://runbooks.example/llm"
    assert p["channel"] == "#llm-alerts" and p["username"] == "slotui"


def test_slack_option_channel_overrides_config_channel():
    n = make_notification([make_alert()], options={"slack_channel": "#other"})
    assert slack.build_payload(n, channel="#llm-alerts")["channel"] == "#other"
    assert "channel" not in slack.build_payload(make_notification([make_alert()]))


def test_slack_resolved_and_test_headers():
    resolved = make_notification([make_alert(state="resolved")], kind="resolve")
    p = slack.build_payload(resolved)
    assert p["blocks"][0]["text"]["text"].startswith("\N{WHITE HEAVY CHECK MARK} [RESOLVED:1]")
    assert not any(b["type"] == "context" and "silence:" in json.dumps(b) for b in p["blocks"])
    test = make_notification([make_alert(is_test=True)], kind="test")
    p = slack.build_payload(test)
    assert p["blocks"][0]["text"]["text"].startswith("\N{TEST TUBE} [TEST] [FIRING:1]")
    assert "[TEST]" in p["blocks"][1]["text"]["text"]


def test_slack_sixty_alerts_with_huge_text_stay_within_limits():
    long = "x" * 5000
    alerts = [
        make_alert(f"slo_{i:02d}_" + "n" * 200, annotations={"summary": long, "description": long, "value": long})
        for i in range(60)
    ]
    n = make_notification(alerts, truncated_alerts=3)
    p = slack.build_payload(n)
    _check_slack_limits(p)
    assert p["blocks"][1]["text"]["text"].endswith("…")
    last = p["blocks"][-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"].startswith("+53 more alerts: slo_10_")
    assert len(p["blocks"][0]["text"]["text"]) == 150
    assert len(p["text"]) <= 3000


def test_slack_user_text_is_plain_text_shown_as_written():
    # In plain_text Slack neither pings nor decodes entities: the text is written raw, not escaped
    a = make_alert("a<b>&c", annotations={"summary": "<!channel> & <http://evil|x>"})
    p = slack.build_payload(make_notification([a]))
    text = p["blocks"][1]["text"]
    assert text == {"type": "plain_text", "text": "a<b>&c FIRING (critical)\n<!channel> & <http://evil|x>", "emoji": False}
    assert p["text"].startswith("[FIRING:1] critical: a&lt;b&gt;&amp;c\n")


def _text_objects(payload: dict) -> list[dict]:
    out: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                out.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(payload["blocks"])
    return out


def _mrkdwn_texts(payload: dict) -> list[str]:
    """Every string Slack parses as mrkdwn: the ``text`` fallback and each mrkdwn object."""
    return [payload["text"]] + [o["text"] for o in _text_objects(payload) if o["type"] == "mrkdwn"]


@pytest.mark.parametrize("name", ["x<!channel>y", "a&b<http://evil.example|click here>", "q`<!here>`z"])
def test_slack_hostile_slo_name_is_escaped_in_every_mrkdwn_text(name):
    # The engine's silence command shell-quotes the name; the fallback text and the silence
    # element carried it raw, so <!channel> in an SLO name pinged the whole channel.
    a = make_alert(name, annotations={"summary": "s", "silence_command": f"slotui silence add slo='{name}' -d 1h"})
    b = make_alert(name + "2", annotations={"summary": "s"})
    p = slack.build_payload(make_notification([a, b]))
    texts = _mrkdwn_texts(p)
    for text in texts:
        assert "<" not in text and ">" not in text, text
        assert "&" not in text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", ""), text
    assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in p["text"]
    silence = [o for o in _text_objects(p) if o["text"].startswith("silence: ")]
    assert len(silence) == 2
    for obj in silence:
        if "`" in name:  # a backtick cannot be escaped inside inline code: the command is plain text
            assert obj["type"] == "plain_text" and obj["emoji"] is False
            assert obj["text"].startswith("silence: slotui silence add ") and name in obj["text"]
        else:
            assert obj["type"] == "mrkdwn"
            text = obj["text"]
            assert text.startswith("silence: `") and text.endswith("`") and text.count("`") == 2


# mrkdwn has no escape for these: a user's text holding them must never reach a mrkdwn object
# outside inline code, and ``:name:`` must not become an emoji.
FORMATTING = ["*bold*", "_it_", "~gone~", "`code`", ":fire:", "> quote", "*p95*_(gpt-4o)_"]


@pytest.mark.parametrize("text", FORMATTING)
def test_slack_formatting_characters_in_user_text_are_shown_as_written(text):
    ctx = dict(make_alert().context, unit=f" {text}")
    a = make_alert(
        f"slo {text}", annotations={"summary": f"sum {text}", "description": f"desc {text}"},
        labels={"alertname": "SLOBurn", "slo": f"slo {text}", "severity": "critical", "source": f"src {text}"},
        context=ctx, acked=True, acked_by=f"ann {text}",
    )
    more = [make_alert(f"more{i} {text}") for i in range(slack.MAX_ALERT_SECTIONS)]
    p = slack.build_payload(make_notification([a, *more]))
    _check_slack_limits(p)
    objects = _text_objects(p)
    shown = {what: [o for o in objects if f"{what} {text}" in o["text"]] for what in ("slo", "sum", "desc", "src", "ann")}
    for what, objs in shown.items():
        assert objs, what
        for o in objs:
            if o["type"] == "mrkdwn":  # only the silence command, inside inline code
                assert o["text"].startswith("silence: `") and o["text"].count("`") == 2 and "`" not in text, o
            else:
                assert o["emoji"] is False, o
    values = [o for o in objects if o["text"].startswith(("Value\n", "*Value*\n"))]
    assert len(values) == slack.MAX_ALERT_SECTIONS  # the 11th alert is in the "+1 more" line
    assert values[0] == {"type": "plain_text", "text": f"Value\n0.78 {text}", "emoji": False}
    assert all(o["type"] == "mrkdwn" for o in values[1:])  # a unit without formatting keeps the bold label
    (rest,) = [o for o in objects if o["text"].startswith("+1 more alert: ")]
    assert rest == {"type": "plain_text", "text": f"+1 more alert: more9 {text}", "emoji": False}
    for o in objects:
        if o["type"] == "mrkdwn":
            assert o["text"].startswith(("silence: `", "*Value*", "*Target*", "*Budget*", "*Burn rate*")), o
    header = p["blocks"][0]["text"]
    assert header["emoji"] is False and header["text"].startswith("\N{LARGE RED CIRCLE} [FIRING:11]")


# --------------------------------------------------------------------------- PagerDuty


def test_pagerduty_trigger_event_shape_and_severity_mapping():
    key = "R" * 32
    for sev, expected in (("page", "critical"), ("critical", "error"), ("warning", "warning")):
        a = make_alert(severity=sev)
        ev = pagerduty.build_event(a, make_notification([a]), key)
        assert ev["routing_key"] == key and ev["event_action"] == "trigger"
        assert ev["dedup_key"] == f"helpfulness:{sev}"
        p = ev["payload"]
        assert p["severity"] == expected
        assert p["source"] == "support-bot" and p["component"] == "helpfulness"
        assert p["group"] == "demo" and p["class"] == "SLOBurn"
        assert p["timestamp"] == "2026-05-28T20:14:40.000Z"
        assert p["custom_details"]["budget"] == "42.0% left"
        assert p["custom_details"]["labels"]["slo"] == "helpfulness"
        assert ev["links"] == [{"href": "https://runbooks.example/llm", "text": "Runbook"}]
    t = make_alert(is_test=True)
    ev = pagerduty.build_event(t, make_notification([t], kind="test"), key)
    assert ev["payload"]["severity"] == "info"
    assert ev["dedup_key"] == "helpfulness:critical:test"
    assert ev["payload"]["summary"].startswith("[TEST] ")


def test_pagerduty_long_dedup_keys_stay_distinct_and_a_resolve_matches_its_trigger():
    # Keys were cut to 255 characters: for a 260-character SLO name the warning, critical and page
    # alerts all became the same key (the severity was cut off), so one's resolve closed the other's
    # incident, and two SLOs sharing their first 255 characters shared incidents too.
    import hashlib

    long_a, long_b = "a" * 260, "a" * 260 + "b"
    keys = {}
    for slo in (long_a, long_b):
        for sev in ("warning", "critical", "page"):
            fired = make_alert(slo, sev)
            resolved = make_alert(slo, sev, state="resolved")
            trigger = pagerduty.build_event(fired, make_notification([fired]), "k" * 32)["dedup_key"]
            resolve = pagerduty.build_event(resolved, make_notification([resolved], kind="resolve"), "k" * 32)
            assert resolve["dedup_key"] == trigger
            assert len(trigger) == 255
            whole = f"{slo}:{sev}"
            assert trigger == whole[:214] + "~" + hashlib.sha1(whole.encode()).hexdigest()
            keys[(slo, sev)] = trigger
    assert len(set(keys.values())) == 6
    test = make_alert(long_a, "critical", is_test=True)
    assert pagerduty.dedup_key(test) not in keys.values()
    # a key that fits is the fingerprint itself, exactly 255 characters included
    fits = make_alert("s" * (255 - len(":critical")), "critical")
    assert pagerduty.dedup_key(fits) == fits.fingerprint and len(fits.fingerprint) == 255


def test_pagerduty_summary_is_cut_to_1024_and_resolve_has_no_payload():
    a = make_alert(annotations={"summary": "s" * 5000})
    ev = pagerduty.build_event(a, make_notification([a]), "k" * 32)
    assert len(ev["payload"]["summary"]) == 1024 and ev["payload"]["summary"].endswith("…")
    r = make_alert(state="resolved")
    ev = pagerduty.build_event(r, make_notification([r], kind="resolve"), "k" * 32)
    assert ev == {"routing_key": "k" * 32, "event_action": "resolve", "dedup_key": "helpfulness:critical"}
    ack = pagerduty.build_event(a, make_notification([a], kind="acknowledge"), "k" * 32)
    assert ack["event_action"] == "acknowledge" and "payload" not in ack


def test_pagerduty_combine_results():
    from slotui.channels.base import DeliveryResult

    ok = DeliveryResult.delivered(202)
    rate = DeliveryResult.failed("HTTP 429", retryable=True, status_code=429, retry_after=3)
    bad = DeliveryResult.failed("HTTP 400", retryable=False, status_code=400)
    assert pagerduty.combine([ok, ok]).ok
    r = pagerduty.combine([ok, rate])
    assert not r.ok and r.retryable and r.retry_after == 3 and "1/2 events accepted" in r.message
    r = pagerduty.combine([rate, bad])
    # the throttled event must be sent again: an event refused for good does not stop that
    assert not r.ok and r.retryable and r.retry_after == 3
    assert r.message == "HTTP 429; HTTP 400 (0/2 events accepted)"
    r = pagerduty.combine([bad, ok, bad])
    assert not r.ok and not r.retryable and r.message == "HTTP 400 (1/3 events accepted)"


# --------------------------------------------------------------------------- webhook / Alertmanager


def test_webhook_v4_payload():
    n = make_notification([make_alert(), make_alert("latency", state="resolved")])
    body = webhook.build_payload(n, "hook")
    assert body["version"] == "4" and body["receiver"] == "hook" and body["status"] == "firing"
    assert body["truncatedAlerts"] == 0 and body["groupKey"] == n.group_key
    assert [a["status"] for a in body["alerts"]] == ["firing", "resolved"]
    assert body["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert body["alerts"][1]["endsAt"] == "2026-05-28T20:26:40.000Z"
    assert body["alerts"][0]["fingerprint"] == "helpfulness:critical"


def test_alertmanager_postable_alert_ends():
    firing = alertmanager.postable_alert(make_alert(), NOW, ttl=3600)
    assert firing["endsAt"] == "2026-05-28T21:26:40.000Z"
    assert firing["startsAt"] == "2026-05-28T20:14:40.000Z"
    assert firing["labels"]["slo"] == "helpfulness" and "generatorURL" not in firing
    resolved = make_alert(state="resolved")
    assert alertmanager.postable_alert(resolved, NOW + 5, ttl=3600)["endsAt"] == "2026-05-28T20:26:40.000Z"
    test = alertmanager.postable_alert(make_alert(is_test=True), NOW, ttl=3600)
    assert test["labels"]["test"] == "true" and test["endsAt"] == "2026-05-28T20:31:40.000Z"


def test_alertmanager_postable_silence_operators_and_open_end():
    s = Silence(
        id="s1",
        matchers=(Matcher("slo", "=", "helpfulness"), Matcher("severity", "!=", "warning"),
                  Matcher("service", "=~", "support.*"), Matcher("team", "!~", "x")),
        starts_at=NOW, ends_at=None, created_by="ana", comment="deploy",
    )
    body = alertmanager.postable_silence(s, NOW)
    assert [(m["isRegex"], m["isEqual"]) for m in body["matchers"]] == [
        (False, True), (False, False), (True, True), (True, False)]
    ends = datetime.fromisoformat(body["endsAt"].replace("Z", "+00:00"))
    assert ends - datetime.fromtimestamp(NOW, tz=timezone.utc) == timedelta(seconds=alertmanager.OPEN_ENDED)
    assert body["createdBy"] == "ana" and body["comment"] == "deploy [slotui silence s1]"


# --------------------------------------------------------------------------- email


def test_email_message_has_headers_and_both_parts():
    alerts = [make_alert("a"), make_alert("b"), make_alert("c")]
    msg = email_channel.build_message(
        make_notification(alerts), sender="slotui <slotui@example.com>", to=["x@example.com", "y@example.com"],
        now=NOW,
    )
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "[FIRING:3] slotui: critical: a, b, c"
    assert parsed["To"] == "x@example.com, y@example.com"
    assert parsed["Date"].datetime.timestamp() == NOW and parsed["Date"].datetime.utcoffset() == timedelta(0)
    assert parsed["Message-ID"].endswith("@example.com>")
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for name in ("a", "b", "c"):
        assert f"FIRING {name} (critical)" in text
        assert f"</span> {name} (critical)</h3>" in html
    assert "Budget:" in text and "42.0% left" in text and "https://runbooks.example/llm" in html


def test_email_subject_for_test_and_resolved():
    t = make_notification([make_alert(is_test=True)], kind="test")
    assert email_channel.subject(t) == "[TEST] [FIRING:1] slotui: critical: helpfulness"
    r = make_notification([make_alert(state="resolved")], kind="resolve")
    assert email_channel.subject(r) == "[RESOLVED:1] slotui: critical: helpfulness"


def test_email_html_escapes():
    a = make_alert("x<script>", annotations={"summary": "<b>bold</b>"})
    body = email_channel.html_body(make_notification([a]))
    assert "<script>" not in body and "&lt;b&gt;bold&lt;/b&gt;" in body


# --------------------------------------------------------------------------- shared HTTP rules


def test_parse_retry_after_seconds_and_http_date():
    assert http.parse_retry_after("7") == 7.0
    assert http.parse_retry_after("-3") == 0.0
    assert http.parse_retry_after(None) is None and http.parse_retry_after("soon") is None
    when = datetime.fromtimestamp(NOW + 30, tz=timezone.utc)
    assert http.parse_retry_after(format_datetime(when, usegmt=True), now=NOW) == pytest.approx(30.0)


def test_mask_hides_secret_url_paths_and_display_url():
    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"
    secrets = http.secret_parts(url, "routing-key-123")
    text = f"POST {url} failed; path /services/T000/B000/XXXXSECRETXXXX; key routing-key-123"
    masked = http.mask(text, secrets)
    assert "XXXXSECRETXXXX" not in masked and "routing-key-123" not in masked
    assert http.display_url(url) == "https://hooks.slack.com/…/****"
    assert http.display_url("http://127.0.0.1:9093") == "http://127.0.0.1:9093"


def test_render_numbers_from_the_context_alone():
    """Without the engine's annotations, the facts are formatted from the numbers by slotui.formatting."""
    alert = make_alert(annotations={}, context={"value": 2450.0, "unit": "ms", "kind": "threshold",
                                                 "target": 2000.0, "direction": "lower_is_better",
                                                 "budget_remaining": -0.25, "fastest_burn": 14.2})
    assert render.value_text(alert) == "2,450 ms"
    assert render.target_text(alert) == "≤ 2,000 ms"
    assert render.budget_text(alert) == "-25.0% left"
    assert render.burn_text(alert) == "14.2x"
    nan = make_alert(annotations={}, context={"value": float("nan"), "unit": "usd", "budget_remaining": None})
    assert render.value_text(nan) == "—"
    assert render.budget_text(nan) == "n/a"


def test_skip_resolved_when_send_resolved_false():
    r = make_notification([make_alert(state="resolved")], kind="resolve")
    assert render.skip_reason(False, r) and render.skip_reason(True, r) is None


def test_file_channel_appends_json_lines(tmp_path):
    import asyncio

    from slotui.channels.file import FileChannel
    from slotui.config.model import FileChannel as FileCfg

    ch = FileChannel("audit", FileCfg(type="file", path="logs/alerts.jsonl"), base_dir=tmp_path)
    n1 = make_notification([make_alert()])
    n2 = make_notification([make_alert(state="resolved")], kind="resolve")
    before = time.time()
    for n in (n1, n2):
        assert asyncio.run(ch.send(n)).ok
    lines = (tmp_path / "logs" / "alerts.jsonl").read_text().splitlines()
    assert len(lines) == 2
    rec = [json.loads(line) for line in lines]
    assert rec[0]["kind"] == "trigger" and rec[1]["kind"] == "resolve"
    assert rec[0]["alerts"][0]["fingerprint"] == "helpfulness:critical"
    assert rec[0]["delivered_at"] >= before
    assert Notification.from_dict({k: v for k, v in rec[1].items() if k != "delivered_at"}) == n2


@pytest.mark.parametrize(
    "url",
    [
        "hooks.slack.com/services/T0/B0/SECRETX1",
        "http://[::1/services/T0/B0/SECRETX1",
        "ftp://hooks.example/services/T0/B0/SECRETX1",
        "http://127.0.0.1:99999/services/T0/B0/SECRETX1",
    ],
)
def test_malformed_webhook_urls_fail_cleanly_without_the_secret(url, tmp_path):
    import asyncio

    from slotui.channels import build_channel
    from slotui.config.model import SlackChannel as SlackCfg

    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config

    # the SLO file refuses it when read (the message never holds the URL) ...
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(f"version: 1\nalerts:\n  channels:\n    s: {{type: slack, webhook_url: '{url}'}}\n"
                   "slos:\n  - {name: a, sli: {field: a, agg: mean}, objective: {target: 1, warning: 2}}\n")
    with pytest.raises(ConfigError) as refused:
        load_config(cfg)
    shown = refused.value.render()
    assert "alerts.channels.s.webhook_url: expected an http:// or https:// URL" in shown and "SECRETX1" not in shown

    # ... and a channel built around one anyway (no validation) still fails cleanly at send time
    async def go():
        ch = build_channel("s", SlackCfg.model_construct(type="slack", webhook_url=url), base_dir=None)
        try:
            return await ch.send(make_notification([make_alert()])), repr(ch)
        finally:
            await ch.aclose()

    res, shown = asyncio.run(go())
    assert not res.ok and res.message.startswith("slack: ")
    assert "SECRETX1" not in res.message and "SECRETX1" not in shown


def test_facts_prefer_the_engines_annotations():
    a = make_alert(annotations={
        "summary": "helpfulness is CRITICAL: 0.78 (target >= 0.85, warning < 0.80, critical < 0.70)",
        "value": "0.78", "target": "0.85", "thresholds": "target >= 0.85, warning < 0.80, critical < 0.70",
        "window": "1h", "burn_rates": "1h/5m 15.2x/16x (>14.4x FIRING)", "budget_remaining": "42.0%",
        "silence_command": "slotui silence add slo=helpfulness -d 1h --comment 'ack'",
    })
    facts = {f.label: f.value for f in render.facts(a)}
    assert facts["Target"] == "target >= 0.85, warning < 0.80, critical < 0.70"
    assert facts["Budget"] == "42.0% left"
    assert facts["Burn rate"] == "14.2x (1h/5m 15.2x/16x (>14.4x FIRING))"
    assert facts["Window"] == "1h"
    assert render.silence_command(a) == "slotui silence add slo=helpfulness -d 1h --comment 'ack'"


@pytest.mark.parametrize("name", ["x; touch /tmp/pwned", "a b", "$(id)", "it's `here`"])
def test_fallback_silence_command_is_shell_quoted_and_silences_exactly_that_slo(name):
    # A test alert has no engine silence_command; the fallback pasted the SLO name raw into a shell command.
    import shlex

    from slotui.alerting.silence import parse_matchers

    a = make_alert(name, annotations={"summary": "s"})
    command = render.silence_command(a)
    argv = shlex.split(command)
    assert argv[:3] == ["slotui", "silence", "add"]
    assert argv[3].startswith("slo=") and argv[4] == "severity=critical"
    matchers = parse_matchers(argv[3:5])
    assert [(m.name, m.op, m.value) for m in matchers] == [("slo", "=", name), ("severity", "=", "critical")]


WIKI = "https://wiki.example/SRE Runbooks/Ünïcode \"page\"?q=a b&x=%41#sec 2"
WIKI_LINK = "https://wiki.example/SRE%20Runbooks/%C3%9Cn%C3%AFcode%20%22page%22?q=a%20b&x=%41#sec%202"


def test_links_are_encoded_once_and_only_where_a_receiver_would_refuse_them():
    assert render.link(WIKI) == WIKI_LINK
    assert render.link(WIKI_LINK) == WIKI_LINK  # escapes already made are kept
    plain = "https://runbooks.example/llm?a=1&b=(2)#x"
    assert render.link(plain) == plain
    assert render.link("ftp://x/y") is None and render.link(None) is None and render.link("") is None


def test_a_runbook_with_spaces_and_non_ascii_is_a_valid_link_in_every_channel():
    # Slack refused the whole message (invalid_blocks) for a button URL with a space: the alert never arrived
    a = make_alert(annotations={"summary": "s", "runbook_url": WIKI}, generator_url=WIKI)
    n = make_notification([a])
    blocks = slack.build_payload(n)["blocks"]
    urls = [e["url"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert urls == [WIKI_LINK, WIKI_LINK]
    event = pagerduty.build_event(a, n, "R" * 32)
    assert [link["href"] for link in event["links"]] == [WIKI_LINK, WIKI_LINK]
    assert alertmanager.postable_alert(a, time.time(), ttl=3600.0)["generatorURL"] == WIKI_LINK
    html = email_channel.html_body(n)
    assert f'href="{WIKI_LINK.replace("&", "&amp;")}"' in html  # the link, HTML-escaped


def test_a_secret_holding_another_is_masked_whole_whatever_the_order():
    from slotui.channels.http import mask

    url, token = "https://hooks.example/in/T0KEN-abc-123", "T0KEN-abc-123"
    said = f"POST {url} failed (token {token})"
    for secrets in ([token, url], [url, token]):
        assert mask(said, secrets) == "POST **** failed (token ****)"


@pytest.mark.parametrize("tail", ["😀 <b>x</b>", "é", "漢字 a", "\u202e"])
def test_email_headers_never_hold_an_empty_encoded_word(tail: str) -> None:
    # Python's folder split a long Subject just before a non-ASCII character into "=?utf-8?q??=", which
    # RFC 2047 does not allow: strict readers showed it as text
    for k in range(1, 160):
        name = ("word " * 40)[:k] + tail
        n = make_notification([make_alert(name)])
        msg = email_channel.build_message(n, sender="slotui@example.com", to=["oncall@example.com"], now=NOW)
        for policy in (email.policy.default, email.policy.SMTP):
            raw = msg.as_bytes(policy=policy)
            head = raw.split(b"\r\n\r\n" if policy is email.policy.SMTP else b"\n\n", 1)[0]
            assert b"?q??=" not in head and b"?b??=" not in head, (k, head)
            assert all(len(line) <= 78 for line in head.splitlines() if not line.startswith(b"X-Slotui")), (k, head)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert parsed["Subject"] == email_channel.subject(n), k
            assert parsed["X-Slotui-Group-Key"] == n.group_key
