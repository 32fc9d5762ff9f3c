"""Secrets are masked whenever a config is shown, and never echoed by errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text
from slotui.config.secrets import mask, mask_url_password, masked_dump

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "https://hooks.slack.com/…/****"),
        ("http://127.0.0.1:9093/api", "http://127.0.0.1:9093/…/****"),
        ("https://user:pw@example.com/x", "https://example.com/…/****"),
        ("R0UTINGKEY1234567890", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask(value: object, shown: str) -> None:
    assert mask(value) == shown


def test_mask_url_password() -> None:
    assert mask_url_password("https://bob:s3cr3t@prom.example:9090/q") == "https://bob:****@prom.example:9090/q"
    assert mask_url_password("https://prom.example/q") == "https://prom.example/q"


SECRETS = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0AAA/B0BBB/slackSECRETtoken",
    "PD_KEY": "pdROUTINGkey0123456789",
    "SMTP_PASSWORD": "smtpPASSWORD-0987",
    "LS_KEY": "lsv2_pt_LANGSMITHsecret",
    "BEARER": "bearerTOKENvalue-42",
}

FILE = textwrap.dedent("""\
    sources:
      prom:
        type: prometheus
        url: "https://promuser:promPASSWORD99@prom.example:9090"
        headers: {X-Scope-OrgID: tenant-1, X-Api-Key: headerAPIkey777}
      prom2: {type: prometheus, url: "https://prom.example:9090", headers: {Authorization: "Bearer ${BEARER}"}}
      ls: {type: langsmith, api_key: "${LS_KEY}", project: support-bot}
    slos:
      - {name: up, source: prom, query: up, objective: {target: 1, direction: higher_is_better}}
    alerts:
      channels:
        slack: {type: slack, webhook_url: "${SLACK_WEBHOOK_URL}", channel: "#llm-alerts"}
        pd: {type: pagerduty, routing_key: "${PD_KEY}"}
        mail: {type: email, host: smtp.example.com, username: bot, password: "${SMTP_PASSWORD}",
               from: a@example.com, to: [b@example.com]}
        hook: {type: webhook, url: "https://hooks.example/slo/webhookPATHsecret", bearer_token: literalBEARER555}
      routes:
        - {severity: critical, channels: [slack, pd, mail, hook]}
    """)
CLEAR = [*SECRETS.values(), "promPASSWORD99", "headerAPIkey777", "webhookPATHsecret", "literalBEARER555",
         "slackSECRETtoken", "LANGSMITHsecret"]


def test_masked_dump_hides_every_secret() -> None:
    lc = load_text(FILE, env=SECRETS)
    dump = masked_dump(lc.config)
    text = repr(dump)
    for secret in CLEAR:
        assert secret not in text, secret
    ch = dump["alerts"]["channels"]
    assert ch["slack"]["webhook_url"] == "https://hooks.slack.com/…/****"
    assert ch["slack"]["channel"] == "#llm-alerts"  # not a secret
    assert ch["pd"]["routing_key"] == "****"
    assert ch["mail"]["password"] == "****" and ch["mail"]["username"] == "bot"
    assert ch["hook"]["url"] == "https://hooks.example/…/****" and ch["hook"]["bearer_token"] == "****"
    prom = dump["sources"]["prom"]
    assert prom["url"] == "https://promuser:****@prom.example:9090"
    assert dump["sources"]["prom2"]["headers"]["Authorization"] == "****" and prom["headers"]["X-Api-Key"] == "****"
    assert prom["headers"]["X-Scope-OrgID"] == "tenant-1"
    assert dump["sources"]["ls"]["api_key"] == "****" and dump["sources"]["ls"]["project"] == "support-bot"


def test_validate_show_never_prints_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "slos.yaml"
    path.write_text(FILE)
    env = {**{k: v for k, v in os.environ.items() if k not in SECRETS}, **SECRETS}
    proc = subprocess.run([sys.executable, "-m", "slotui", "validate", "--show", "-c", str(path)],
                          capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    for secret in CLEAR:
        assert secret not in out, secret
    assert "https://hooks.slack.com/…/****" in out
    assert "OK: 1 SLO, 3 sources, 4 channels" in out
    import yaml

    shown = yaml.safe_load(proc.stdout.split("\nOK: ")[0])
    assert shown["slos"][0]["name"] == "up" and shown["slos"][0]["direction"] == "higher_is_better"


@pytest.mark.parametrize(
    "bad",
    [
        'pd: {type: pagerduty, routing_key: 12345678901234567890}',  # wrong type on a secret field
        'pd: {type: pagerduty, routing_key: "pdROUTINGkey0123456789", urll: x}',  # unknown key beside a secret
        'pd: {type: pagerduty, routng_key: "pdROUTINGkey0123456789"}',  # misspelt secret key
        'hook: {type: webhook, url: "https://hooks.slack.com/services/T0AAA/B0BBB/slackSECRETtoken", timeout: x}',
        'mail: {type: email, host: h, password: [smtpPASSWORD-0987], from: a@b.c, to: [d@e.f]}',
    ],
)
def test_errors_never_echo_secrets(bad: str) -> None:
    text = "sources: {demo: {type: demo}}\nslos: [{name: a, sli: {field: x}, objective: {target: 1, warning: 2}}]\n"
    text += f"alerts:\n  channels:\n    {bad}\n"
    with pytest.raises(ConfigError) as info:
        load_text(text, name="s.yaml", env={})
    rendered = info.value.render()
    assert "s.yaml:5:" in rendered
    for secret in ("12345678901234567890", "pdROUTINGkey0123456789", "slackSECRETtoken", "smtpPASSWORD-0987"):
        assert secret not in rendered, rendered


_HEADER_BASE = """version: 1
sources:
  demo: {type: demo, seed: 7}
  prom: {type: prometheus, url: "http://127.0.0.1:9090"%s}
slos:
  - {name: helpfulness, source: demo, sli: {field: evaluations.helpfulness, agg: mean}, objective: {target: 0.85, warning: 0.8}}
alerts:
  channels:
    w: {type: webhook, url: "http://127.0.0.1:1/hook"%s}
    am: {type: alertmanager, url: "http://127.0.0.1:9093"%s}
"""


@pytest.mark.parametrize(
    ("where", "extra", "key", "fragment"),
    [
        ("w", ', headers: {"Bad Header": "v"}', "alerts.channels.w.headers", "'Bad Header' is not a valid HTTP header name"),
        ("w", ', headers: {"X-Api-Key:": "v"}', "alerts.channels.w.headers", "is not a valid HTTP header name"),
        ("w", ', headers: {"X-Api-Key": "k\\u00e9ySECRET77"}', "alerts.channels.w.headers",
         "the value of header 'X-Api-Key' cannot be sent: character 2 is U+00E9"),
        ("w", ', bearer_token: "t\\u00f6kSECRET77"', "alerts.channels.w.bearer_token", "character 2 is U+00F6"),
        ("am", ', bearer_token: "t\\u00f6kSECRET77"', "alerts.channels.am.bearer_token", "character 2 is U+00F6"),
        ("prom", ', headers: {"X-Scope-OrgID": "\\u00e9quipeSECRET77"}', "sources.prom.headers", "character 1 is U+00E9"),
        ("prom", ', bearer_token: "t\\u00f6kSECRET77"', "sources.prom.bearer_token", "character 2 is U+00F6"),
    ],
)
def test_headers_and_bearer_tokens_that_http_cannot_send_are_config_errors(where, extra, key, fragment):
    # A non-ASCII token or header value, or a header name with a space, passed validate and then
    # crashed with a UnicodeEncodeError traceback when the channel or source built its HTTP client.
    parts = {w: (extra if w == where else "") for w in ("prom", "w", "am")}
    text = _HEADER_BASE % (parts["prom"], parts["w"], parts["am"])
    with pytest.raises(ConfigError) as err:
        load_text(text, name="slos.yaml")
    message = str(err.value)
    assert f"slos.yaml:" in message and key in message and fragment in message, message
    assert "SECRET77" not in message  # values are never repeated (they are often credentials)


def test_valid_headers_and_tokens_still_load_and_reach_the_client():
    text = _HEADER_BASE % (', headers: {"X-Scope-OrgID": "team-a"}', ', headers: {"X-Api-Key": "abc"}, bearer_token: "t0k"', "")
    loaded = load_text(text, name="slos.yaml")
    w = loaded.config.alerts.channels["w"]
    assert w.headers == {"X-Api-Key": "abc"} and w.bearer_token == "t0k"


_LOGIN_BASE = """version: 1
sources:
  demo: {type: demo, seed: 7}
  ls: {type: langsmith, project: chat%s}
slos:
  - {name: helpfulness, source: demo, sli: {field: evaluations.helpfulness, agg: mean}, objective: {target: 0.85, warning: 0.8}}
alerts:
  channels:
    mail: {type: email, host: 127.0.0.1, from: a@example.com, to: [b@example.com]%s}
"""


@pytest.mark.parametrize(
    ("source", "channel", "key", "fragment"),
    [
        (', api_key: "lsv2_\\u00e9SECRET77"', "", "sources.ls.api_key", "character 6 is U+00E9"),
        ("", ', username: "ops", password: "p\\u00e4ssSECRET77"', "alerts.channels.mail.password",
         "character 2 is U+00E4; SMTP AUTH sends only printable ASCII"),
        ("", ', username: "\\u00f8ps", password: "SECRET77"', "alerts.channels.mail.username", "character 1 is U+00F8"),
    ],
)
def test_credentials_their_protocol_cannot_send_are_config_errors(source, channel, key, fragment):
    # LangSmith's key travels in the x-api-key header; smtplib's AUTH encodes user and password as ASCII:
    # a password with "ä" failed every delivery attempt (12 retries) with a UnicodeEncodeError.
    with pytest.raises(ConfigError) as err:
        load_text(_LOGIN_BASE % (source, channel), name="slos.yaml")
    message = str(err.value)
    assert "slos.yaml:" in message and key in message and fragment in message, message
    assert "SECRET77" not in message


def test_smtplib_refuses_a_non_ascii_password_which_is_why_it_is_checked():
    import smtplib

    smtp = smtplib.SMTP()
    smtp.user, smtp.password = "ops", "p\u00e4ss"
    with pytest.raises(UnicodeEncodeError):
        smtp.auth_plain().encode("ascii")  # what SMTP.auth does with it
    loaded = load_text(_LOGIN_BASE % (', api_key: "lsv2_pt_abc"', ', username: "ops", password: "p-ss"'), name="slos.yaml")
    assert loaded.config.alerts.channels["mail"].password == "p-ss"
