"""A credential in a header whose name is not 'Authorization' or '*-Key' is still never shown.

Headers such as ``X-Auth``, ``X-Hub-Signature-256``, ``X-JWT-Assertion`` or ``X-Session`` carried
their value in clear through ``validate --show``, a source's echoed error in ``check`` and a webhook
receiver's echoed error: sources and channels used two different name rules and neither knew these
words. Now one rule (secrets.is_credential_header) decides everywhere; ordinary headers stay shown.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_http import Echo  # noqa: E402

from slotui.config.secrets import is_credential_header  # noqa: E402

CREDENTIAL_HEADERS = {
    "X-Auth": "XaUtHvAlUe123456", "X-Hub-Signature-256": "SiGnAtUrE7777abc", "X-JWT-Assertion": "JwTaSsErT9876543",
    "X-Session": "SeSsIoNvAl00112x", "X-Pass": "PaSsHeAdEr4321zz", "X-Credential": "CrEdEnTiAl55aa66",
    "X-Api-Key": "ApIkEyHeAdEr8888", "X-Honeycomb-Team": "HoNeYcOmBkEy4242",
}
PLAIN_HEADERS = {"X-Scope-OrgID": "tenant-a", "Accept-Language": "en", "X-Tenant": "team-b", "X-Request-Source": "slo"}


@pytest.mark.parametrize("name", sorted(CREDENTIAL_HEADERS))
def test_credential_header_names(name: str) -> None:
    assert is_credential_header(name)


@pytest.mark.parametrize("name", sorted(PLAIN_HEADERS))
def test_ordinary_header_names(name: str) -> None:
    assert not is_credential_header(name)


def _headers() -> str:
    pairs = {**CREDENTIAL_HEADERS, **PLAIN_HEADERS}
    return "{" + ", ".join(f'{k}: "{v}"' for k, v in pairs.items()) + "}"


def _slotui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"}, cwd=cwd)


def _assert_clean(text: str) -> None:
    for name, value in CREDENTIAL_HEADERS.items():
        assert value[:8] not in text, (name, text)


@pytest.mark.integration
def test_credential_headers_are_masked_in_validate_check_and_delivery_errors(tmp_path: Path) -> None:
    with Echo(500) as source, Echo(400) as hook:
        cfg = tmp_path / "slos.yaml"
        cfg.write_text(textwrap.dedent(f"""\
            sources:
              web: {{type: http, url: "{source.url}/data", timeout: 3s, headers: {_headers()}}}
            slos:
              - {{name: w, source: web, query: value, objective: {{target: 1, warning: 2}}}}
            alerts:
              channels:
                hook: {{type: webhook, url: "{hook.url}/hook", headers: {_headers()}}}
            """))
        state = str(tmp_path / "s.db")
        shown = _slotui("validate", "--show", "-c", str(cfg), cwd=tmp_path)
        check = _slotui("check", "-c", str(cfg), "-o", "json", "--state", state, cwd=tmp_path)
        alert = _slotui("test-alert", "-c", str(cfg), "--channel", "hook", "--state", state, cwd=tmp_path)
        # every header was sent, to the source and to the receiver, which quoted them back
        for server in (source, hook):
            assert server.seen and all(server.seen[0].headers[k.lower()] == v for k, v in CREDENTIAL_HEADERS.items())
    assert shown.returncode == 0 and check.returncode == 3 and alert.returncode == 1
    assert "rejected request" in check.stdout and "rejected request" in alert.stdout + alert.stderr
    for out in (shown, check, alert):
        _assert_clean(out.stdout + out.stderr)
    for name, value in PLAIN_HEADERS.items():  # ordinary headers are still shown as written
        assert f"{name}: {value}" in shown.stdout


#: keys a user may write for a credential that slotui does not know: other tools' names and typos
UNKNOWN_CREDENTIAL_KEYS = ["bearer", "auth", "pass", "pwd", "key", "access_key", "authorization",
                           "integration_key", "sig", "session", "jwt", "passphrase", "privateKey", "otp", "hmac"]


@pytest.mark.parametrize("key", UNKNOWN_CREDENTIAL_KEYS)
@pytest.mark.parametrize("where", ["source", "channel"])
def test_an_unknown_credential_key_is_named_and_its_value_hidden(tmp_path: Path, key: str, where: str) -> None:
    # the error quotes the offending line: it showed the value of these keys in clear
    secret = f"SeCrEtVaLuE-{key}"
    source = f"{{type: prometheus, url: 'http://127.0.0.1:9', {key}: {secret}}}" if where == "source" else \
        "{type: prometheus, url: 'http://127.0.0.1:9'}"
    channel = f"{{type: pagerduty, routing_key: R0UT1NG-KEY-1, {key}: {secret}}}" if where == "channel" else \
        "{type: pagerduty, routing_key: R0UT1NG-KEY-1}"
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(f"sources:\n  prom: {source}\nslos:\n  - {{name: up, source: prom, query: up, "
                   f"objective: {{target: 1, warning: 2}}}}\nalerts:\n  channels:\n    pd: {channel}\n")
    out = _slotui("validate", "-c", str(cfg), cwd=tmp_path)
    line = 2 if where == "source" else 7
    assert out.returncode == 3 and "Traceback" not in out.stderr
    assert f"{cfg}:{line}:" in out.stderr and f"unknown key '{key}'" in out.stderr
    assert "SeCrEtVaLuE" not in out.stdout + out.stderr
    assert "R0UT1NG" not in out.stdout + out.stderr


def test_a_label_named_like_a_credential_word_stays_a_label(tmp_path: Path) -> None:
    # labels are the user's own names: `session: support-bot` is not a secret and is shown
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("sources:\n  demo: {type: demo}\nslos:\n  - {name: a, source: demo, sli: {field: duration_ms, "
                   "agg: p95}, objective: {target: 100, warning: 200}, labels: {session: support-bot, key: team-a}}\n")
    out = _slotui("validate", "--show", "-c", str(cfg), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "session: support-bot" in out.stdout and "key: team-a" in out.stdout
