"""``slotui test-alert`` through every channel at once, as a subprocess, against
real receivers: local Slack and PagerDuty receivers that check payloads, a
webhook v4 receiver, aiosmtpd, the real Alertmanager, and a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from receivers import (
    AlertmanagerProcess,
    HTTPReceiver,
    Reply,
    SMTPReceiver,
    pagerduty_accepted,
    pagerduty_invalid_reply,
    pagerduty_violations,
    poll_until,
    slack_violations,
    webhook_v4_violations,
)

pytestmark = pytest.mark.integration

SLACK_TOKEN = "T00/B00/e2eSLACKsecret"
PD_KEY = "e2ePAGERDUTYsecretKEY00000000000"
SMTP_PASSWORD = "e2eSMTPsecret"

CONFIG = """\
version: 1
sources:
  demo: {{type: demo, seed: 7}}
slos:
  - name: helpfulness
    sli: {{field: evaluations.helpfulness, agg: mean}}
    objective: {{target: 0.85, warning: 0.80, critical: 0.70}}
    runbook: https://runbooks.example/helpfulness
alerts:
  channels:
    slack: {{type: slack, webhook_url: "${{E2E_SLACK_URL}}", channel: "#llm-alerts"}}
    pd: {{type: pagerduty, routing_key: "${{E2E_PD_KEY}}", url: "{pd}/v2/enqueue"}}
    mail: {{type: email, host: 127.0.0.1, port: {smtp}, starttls: false, username: slotui,
           password: "${{E2E_SMTP_PASSWORD}}", from: slotui@example.com, to: [oncall@example.com]}}
    hook: {{type: webhook, url: "{hook}/hook"}}
    am: {{type: alertmanager, url: "{am}"}}
    audit: {{type: file, path: alerts.jsonl}}
  routes:
    - {{severity: critical, channels: [slack, pd, mail, hook, am, audit]}}
"""


def run_slotui(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slotui", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=90
    )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_test_alert_reaches_every_channel(tmp_path):
    slack = HTTPReceiver(default=Reply(200, "ok"), validator=slack_violations)
    pd = HTTPReceiver(default=pagerduty_accepted(), validator=pagerduty_violations,
                      invalid_reply=pagerduty_invalid_reply)
    hook = HTTPReceiver(default=Reply(200, ""), validator=webhook_v4_violations)
    with slack, pd, hook, SMTPReceiver(users={"slotui": SMTP_PASSWORD}) as smtp, \
            AlertmanagerProcess(tmp_path / "am") as am:
        cfg = tmp_path / "slos.yaml"
        cfg.write_text(CONFIG.format(pd=pd.url, smtp=smtp.port, hook=hook.url, am=am.url))
        env = dict(os.environ, E2E_SLACK_URL=f"{slack.url}/services/{SLACK_TOKEN}", E2E_PD_KEY=PD_KEY,
                   E2E_SMTP_PASSWORD=SMTP_PASSWORD)
        proc = run_slotui("test-alert", "-c", str(cfg), "--state", str(tmp_path / "state.db"),
                          "--slo", "helpfulness", cwd=tmp_path, env=env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        for name in ("slack", "pd", "mail", "hook", "am", "audit"):
            assert name in proc.stdout
        for secret in (SLACK_TOKEN, PD_KEY, SMTP_PASSWORD):
            assert secret not in out

        assert slack.violations == [] and pd.violations == [] and hook.violations == []
        s = slack.requests[0].json
        assert s["blocks"][0]["text"]["text"].startswith("\N{TEST TUBE} [TEST]")
        assert s["channel"] == "#llm-alerts"
        ev = pd.requests[0].json
        assert ev["event_action"] == "trigger" and ev["payload"]["severity"] == "info"
        assert ev["payload"]["summary"].startswith("[TEST]")
        body = hook.requests[0].json
        assert body["receiver"] == "hook" and body["alerts"][0]["labels"]["test"] == "true"
        (mail,) = smtp.messages
        msg = mail.message()
        assert msg["Subject"].startswith("[TEST] ") and "slotui:" in msg["Subject"]
        assert mail.auth_user == "slotui"
        (am_alert,) = poll_until(
            lambda: [a for a in am.get("/api/v2/alerts") if a["labels"].get("slo") == "helpfulness"],
            what="test alert in Alertmanager",
        )
        assert am_alert["labels"]["test"] == "true"
        line = json.loads((tmp_path / "alerts.jsonl").read_text().splitlines()[0])
        assert line["kind"] == "test" and line["alerts"][0]["slo"] == "helpfulness"
        assert line["delivered_at"] <= time.time()


def test_test_alert_prints_the_receivers_error_without_secrets(tmp_path):
    with HTTPReceiver(default=Reply(404, "no_service")) as slack:
        cfg = tmp_path / "slos.yaml"
        cfg.write_text(
            "version: 1\nsources:\n  demo: {type: demo}\nslos:\n"
            "  - {name: helpfulness, sli: {field: evaluations.helpfulness}, objective: {target: 0.85, warning: 0.8}}\n"
            "alerts:\n  channels:\n    slack: {type: slack, webhook_url: \"${E2E_SLACK_URL}\"}\n"
        )
        env = dict(os.environ, E2E_SLACK_URL=f"{slack.url}/services/{SLACK_TOKEN}")
        proc = run_slotui("test-alert", "-c", str(cfg), "--state", str(tmp_path / "state.db"),
                          "--channel", "slack", cwd=tmp_path, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "no_service" in out and "404" in out
    assert SLACK_TOKEN not in out and "e2eSLACKsecret" not in out
