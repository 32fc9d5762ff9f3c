"""Issue 8 items 7, 8 and 15: secrets are masked everywhere a URL or an error is printed or stored,
in every form they leak in, and ordinary words (the channel type ``webhook``) are not.

Families: query parameters named like secrets (key, api_key, token, sig, ...) vs ordinary names
that contain such a word; secret values as is, percent-encoded, base64 with and without padding,
URL-safe base64, and the Basic ``user:password``; places: check json/markdown/table, validate
--show, the daemon log, /metrics, deliveries.error, notifications.last_error, test-alert output.
"""

from __future__ import annotations

import base64
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_http import PLAIN_PARAM_NAMES, SECRET_PARAM_NAMES, Echo, Recorder  # noqa: E402

from slotui.config.secrets import Redactor, mask_url, mask_urls_in_text, secret_forms  # noqa: E402

QUERY_KEY = "queryKEY-a1b2c3d4"
BASIC_USER, BASIC_PW = "alice", "basicPW-z9y8x7"
BEARER = "bearerTOK-q1w2e3r4"
API_KEY = "xapiKEY-5f6g7h8j"
HOOK_TOKEN = "hookTOKEN-0p9o8i7u"


# --------------------------------------------------------------------------- pure masking


@pytest.mark.parametrize("name", SECRET_PARAM_NAMES)
def test_every_secret_looking_query_parameter_is_masked(name: str) -> None:
    url = f"https://api.example:8443/v1/data?page=2&{name}=s3cr3tVALUE&step=60#top"
    shown = mask_url(url)
    assert shown == f"https://api.example:8443/v1/data?page=2&{name}=****&step=60#top"
    assert "s3cr3tVALUE" not in mask_urls_in_text(f"GET {url} failed")
    # a query quoted without its URL (a form body, a log line) is masked too
    assert mask_urls_in_text(f"body: a=1&{name}=s3cr3tVALUE") == f"body: a=1&{name}=****"


@pytest.mark.parametrize("name", PLAIN_PARAM_NAMES)
def test_ordinary_parameter_names_are_not_masked(name: str) -> None:
    url = f"https://api.example/v1?{name}=visible-value"
    assert mask_url(url) == url
    assert mask_urls_in_text(f"see {url}") == f"see {url}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://bob:pw-123456@h.example/x", "https://bob:****@h.example/x"),
        ("https://ghp_tokenAsUser@h.example/x", "https://****@h.example/x"),
        ("http://h.example/x?api_key=a%2Fb&q=up", "http://h.example/x?api_key=****&q=up"),
        ("http://h.example/x", "http://h.example/x"),
    ],
)
def test_url_userinfo_and_query(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_every_form_of_a_configured_secret_is_masked() -> None:
    secret = "pa/ss+w rd=42?"
    redact = Redactor([secret], [(BASIC_USER, BASIC_PW)])
    raw = secret.encode()
    forms = [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(f"{BASIC_USER}:{BASIC_PW}".encode()).decode(),
        base64.b64encode(f"{BASIC_USER}:{BASIC_PW}".encode()).decode().rstrip("="),
        BASIC_PW,
    ]
    assert set(forms) - {BASIC_PW} <= secret_forms(secret) | secret_forms(f"{BASIC_USER}:{BASIC_PW}")
    for form in forms:
        out = redact(f"receiver said: Authorization: Basic {form} (type webhook)")
        assert form not in out, form
        assert out.endswith("(type webhook)")


def test_ordinary_words_survive_a_redactor() -> None:
    redact = Redactor(["webhook-secret-value"], [])
    assert redact("webhook: HTTP 500 from slack; type: webhook") == "webhook: HTTP 500 from slack; type: webhook"


# --------------------------------------------------------------------------- CLI outputs


def _config(tmp_path: Path, source_url: str, hook_url: str) -> Path:
    path = tmp_path / "slos.yaml"
    path.write_text(textwrap.dedent(f"""\
        version: 1
        sources:
          echo:
            type: http
            url: "{source_url}/data?api_key={QUERY_KEY}&page=1"
            timeout: 5
            headers: {{X-API-Key: "{API_KEY}"}}
            basic_auth: {{username: {BASIC_USER}, password: "{BASIC_PW}"}}
        alerts:
          channels:
            webhook:
              type: webhook
              url: "{hook_url}/hooks/{HOOK_TOKEN}?token={HOOK_TOKEN}"
              basic_auth: {{username: {BASIC_USER}, password: "{BASIC_PW}"}}
              headers: {{X-API-Key: "{API_KEY}"}}
            bearer-hook:
              type: webhook
              url: "{hook_url}/other"
              bearer_token: "{BEARER}"
          routes:
            - {{channels: [webhook, bearer-hook]}}
        slos:
          - {{name: latency, source: echo, query: value, objective: {{target: 2, warning: 3}}}}
        """))
    return path


LEAKS = (
    QUERY_KEY, BASIC_PW, BEARER, API_KEY, HOOK_TOKEN,
    base64.b64encode(f"{BASIC_USER}:{BASIC_PW}".encode()).decode(),
    base64.b64encode(f"{BASIC_USER}:{BASIC_PW}".encode()).decode().rstrip("="),
)


def _assert_clean(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, leak


def _slotui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.integration
@pytest.mark.parametrize("fmt", ["json", "markdown", "table"])
def test_check_output_masks_what_a_failing_source_echoes(tmp_path: Path, fmt: str) -> None:
    # the source answers 500 quoting back its request headers (Basic credential, X-API-Key) and URL
    with Echo(500) as source, Recorder() as hook:
        cfg = _config(tmp_path, source.url, hook.url)
        out = _slotui("check", "-c", str(cfg), "-o", fmt)
        assert source.seen and "authorization" in source.seen[0].headers  # the credential was sent
    text = out.stdout + out.stderr
    assert "rejected request" in text  # the echoed message is shown ...
    _assert_clean(text)  # ... without a secret in any form
    assert "Traceback" not in text


@pytest.mark.integration
def test_validate_show_masks_query_secrets_and_keeps_the_webhook_word(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
    out = _slotui("validate", "--show", "-c", str(cfg))
    assert out.returncode == 0, out.stderr
    _assert_clean(out.stdout + out.stderr)
    assert "api_key=****&page=1" in out.stdout
    assert re.search(r"^    webhook:$", out.stdout, re.M)
    assert "type: webhook" in out.stdout
    assert "type: ****" not in out.stdout


@pytest.mark.integration
def test_test_alert_output_and_stored_errors_mask_an_echoed_basic_credential(tmp_path: Path) -> None:
    with Echo(400) as hook, Recorder() as source:
        cfg = _config(tmp_path, source.url, hook.url)
        state = tmp_path / "state.db"
        out = _slotui("test-alert", "-c", str(cfg), "--channel", "webhook", "--state", str(state))
        out2 = _slotui("test-alert", "-c", str(cfg), "--channel", "bearer-hook", "--state", str(state))
        sent = [s.headers.get("authorization", "") for s in hook.seen]
    assert sent[0].startswith("Basic ") and sent[1] == f"Bearer {BEARER}"  # the receiver did get them
    assert out.returncode == 1 and out2.returncode == 1
    text = out.stdout + out.stderr + out2.stdout + out2.stderr
    assert "failed: webhook: webhook: HTTP 400" in text  # "webhook" is a word, not a secret
    assert "failed: bearer-hook: webhook: HTTP 400" in text
    assert "rejected request with headers" in text
    _assert_clean(text)
    with sqlite3.connect(state) as db:
        stored = [r[0] for r in db.execute("SELECT error FROM deliveries")]
        stored += [r[0] for r in db.execute("SELECT last_error FROM notifications")]
    assert len(stored) == 4 and all(stored)
    for error in stored:
        _assert_clean(error)
        assert "authorization: basic ****" in error.lower() or "bearer ****" in error.lower()


@pytest.mark.integration
def test_daemon_log_masks_source_errors(tmp_path: Path) -> None:
    with Echo(500) as source, Recorder() as hook:
        cfg = _config(tmp_path, source.url, hook.url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "slotui", "run", "--headless", "-c", str(cfg), "--listen", "127.0.0.1:0",
             "--state", str(tmp_path / "state.db")],
            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        lines: list[str] = []
        try:
            assert proc.stderr is not None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                line = proc.stderr.readline()
                if not line:
                    break
                lines.append(line)
                if "source=echo error=" in line:
                    break
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    log = "".join(lines)
    assert "source=echo error=" in log
    assert "rejected request" in log
    _assert_clean(log)
