"""A secret with a quote, a backslash or a non-ASCII letter, quoted back inside a receiver's raw JSON.

JSON writes ``to"ken\\é`` as ``to\\"ken\\\\\\u00e9``: that form was not among the forms a secret is
masked in, so a source answering 500 with its request echoed as JSON (no ``message`` key, so slotui
quotes the body) showed the token.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_http import Router, Seen  # noqa: E402

from slotui.config.secrets import Redactor  # noqa: E402

SECRETS = ['qu"oted\\Tok3n-9911', "pässwörd-Ünïcode-77", "tab\there-and-newline-x"]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("ascii_only", [True, False])
def test_a_secret_as_json_writes_it_is_masked(secret: str, ascii_only: bool) -> None:
    body = json.dumps({"request": {"authorization": f"Bearer {secret}"}}, ensure_ascii=ascii_only)
    shown = Redactor([secret])(f"HTTP 500: {body}")
    assert shown == 'HTTP 500: {"request": {"authorization": "Bearer ****"}}'


@pytest.mark.integration
def test_a_source_answer_quoting_the_request_as_json(tmp_path: Path) -> None:
    token = SECRETS[0]

    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        return 500, json.dumps({"request": {"authorization": seen.headers.get("authorization")}}).encode(), {"Content-Type": "application/json"}

    with Router(route) as server:
        cfg = tmp_path / "slos.yaml"
        cfg.write_text(textwrap.dedent(f"""\
            sources:
              web: {{type: http, url: "{server.url}/data", timeout: 3s, bearer_token: '{token}'}}
            slos:
              - {{name: w, source: web, query: value, objective: {{target: 1, warning: 2}}}}
            """))
        out = subprocess.run([sys.executable, "-m", "slotui", "check", "-c", str(cfg), "-o", "table", "--state",
                              str(tmp_path / "s.db")], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "NO_COLOR": "1"}, cwd=tmp_path)
        assert server.seen and server.seen[0].headers["authorization"] == f"Bearer {token}"
    text = out.stdout + out.stderr
    assert out.returncode == 3 and "HTTP 500" in text and "Bearer ****" in text
    for form in (token, json.dumps(token)[1:-1], "Tok3n-9911"):
        assert form not in text
