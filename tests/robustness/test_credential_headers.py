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
    "X-Api-Key": "ApIkEyHeAdEr8888",
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
