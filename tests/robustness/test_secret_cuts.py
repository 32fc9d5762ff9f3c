"""A secret cut short is still a secret: every shortened message masks what is left of one.

Sources, channels and config errors quote values and answers cut to a length (a receiver's body to
300 characters, a source's to 200, a config value to 40, a source line to 100). Cut in the middle of a
secret, the part left (``routing_key":"PaGeRdU…``) is no longer the whole value, so masking by value
missed it. Families: the cut at every position of a secret and of its base64 Basic credential; places:
a source's echoed header (check -o json/table, the state's samples), a channel receiver's echoed body
(test-alert output, deliveries.error, notifications.last_error), config errors (a value in ``got``,
a quoted source line), each through the real CLI against loopback servers.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_http import Router, Seen  # noqa: E402

from slotui.config.secrets import CUT, Redactor, clip  # noqa: E402

ROUTING_KEY = "PaGeRdUtYrOuTe99xq"
API_KEY = "HdRaPiKeY5501kqZZ"
USER, PASSWORD = "amu", "AlErTmGrPw661177"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _pieces(secret: str, shortest: int = 4) -> list[str]:
    """Every beginning of ``secret`` long enough to recognise (what a cut can leave)."""
    return [secret[:k] for k in range(shortest, len(secret) + 1)]


def _assert_no_piece(text: str, *secrets: str) -> None:
    for secret in secrets:
        for piece in _pieces(secret):
            assert piece not in text, (piece, text)


# --------------------------------------------------------------------------- the Redactor itself


@pytest.mark.parametrize("secret", [ROUTING_KEY, PASSWORD, BASIC])
def test_a_secret_cut_at_any_position_is_masked(secret: str) -> None:
    redact = Redactor([ROUTING_KEY], [(USER, PASSWORD)])
    head = 'receiver said: {"key":"'
    for left in range(1, len(secret)):
        text = clip(head + secret + '"} and more', len(head) + left + 1)
        assert text.endswith(secret[:left] + CUT)  # the cut left `left` characters of it
        shown = redact(text)
        if left >= Redactor.MIN_CUT_PREFIX:
            assert shown == head + "****" + CUT, shown
        assert secret[: max(left, 3)] not in shown or left < 3


def test_ordinary_words_before_a_cut_stay() -> None:
    redact = Redactor([ROUTING_KEY], [(USER, PASSWORD)])
    assert redact("pagerduty: HTTP 500: the service is down…") == "pagerduty: HTTP 500: the service is down…"
    assert redact("type webhook…") == "type webhook…"


# --------------------------------------------------------------------------- through the CLI


def _slotui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"}, cwd=cwd)


def _echo_at(width: int, header: str) -> Router:
    """Answers 500 with ``width`` filler characters and then the value of the request's ``header``:
    a server quoting a credential back exactly where slotui cuts its answer."""

    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        value = seen.headers.get(header, "")
        if header == "content-length":  # a channel's credential is in its JSON body
            value = seen.body.decode()
        return 500, ("e" * width + " " + value).encode(), {"Content-Type": "text/plain"}

    return Router(route)


@pytest.mark.integration
@pytest.mark.parametrize(("fmt", "left"), [("json", 5), ("table", 9), ("markdown", 12)])
def test_a_source_answer_cut_inside_an_echoed_key(tmp_path: Path, fmt: str, left: int) -> None:
    # a source's error quotes 200 characters of the answer: the filler puts the cut `left` characters into the key
    with _echo_at(200 - left - 1, "x-api-key") as server:
        cfg = tmp_path / "slos.yaml"
        cfg.write_text(textwrap.dedent(f"""\
            sources:
              web: {{type: http, url: "{server.url}/data", timeout: 3s, headers: {{X-Api-Key: "{API_KEY}"}}}}
            slos:
              - {{name: w, source: web, query: value, objective: {{target: 1, warning: 2}}}}
            """))
        out = _slotui("check", "-c", str(cfg), "-o", fmt, "--state", str(tmp_path / "s.db"), cwd=tmp_path)
        assert server.seen and server.seen[0].headers["x-api-key"] == API_KEY  # the key was sent
    text = out.stdout + out.stderr
    assert out.returncode == 3 and "HTTP 500" in text and "Traceback" not in text
    # the answer is quoted up to the cut, the key's beginning masked (markdown escapes the stars)
    assert "eeee ****" + CUT in text.replace("\\*", "*")
    _assert_no_piece(text, API_KEY)


def _demo_config(tmp_path: Path, channels: str) -> Path:
    """An SLO file on the demo source with these channels (YAML lines under alerts.channels)."""
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("sources:\n  demo: {type: demo}\nslos:\n  - {name: lat, source: demo, sli: {field: duration_ms, "
                   "agg: p95}, objective: {target: 2000, warning: 3000}}\nalerts:\n  channels:\n"
                   + textwrap.indent(textwrap.dedent(channels), "    "))
    return cfg


@pytest.mark.integration
@pytest.mark.parametrize("left", [4, 10, 17])
def test_a_channel_answer_cut_inside_an_echoed_routing_key_or_basic_credential(tmp_path: Path, left: int) -> None:
    # a receiver's words are quoted to 300 characters; the filler puts the cut inside the credential
    prefix, am_prefix = '{"routing_key":"', "Basic "
    with _echo_at(300 - len(prefix) - left - 1, "content-length") as pd, \
            _echo_at(300 - len(am_prefix) - left - 1, "authorization") as am:
        cfg = _demo_config(tmp_path, f"""\
            pd: {{type: pagerduty, routing_key: "{ROUTING_KEY}", url: "{pd.url}/v2/enqueue"}}
            am: {{type: alertmanager, url: "{am.url}", basic_auth: {{username: {USER}, password: "{PASSWORD}"}}}}
            """)
        state = tmp_path / "state.db"
        outs = [_slotui("test-alert", "-c", str(cfg), "--channel", ch, "--state", str(state), cwd=tmp_path)
                for ch in ("pd", "am")]
        assert pd.seen, outs
        assert f'"routing_key":"{ROUTING_KEY}"' in pd.seen[0].body.decode()
        assert am.seen and am.seen[0].headers["authorization"] == am_prefix + BASIC
    text = "".join(o.stdout + o.stderr for o in outs)
    assert [o.returncode for o in outs] == [1, 1] and "HTTP 500" in text and "Traceback" not in text
    with sqlite3.connect(state) as db:
        stored = [r[0] for r in db.execute("SELECT error FROM deliveries")]
        stored += [r[0] for r in db.execute("SELECT last_error FROM notifications")]
    assert len(stored) == 4 and all(stored)
    for shown in [text, *stored]:
        _assert_no_piece(shown, ROUTING_KEY, BASIC, PASSWORD)
    assert text.count("****" + CUT) == 2  # both answers cut inside the credential, both masked


@pytest.mark.parametrize(
    ("line", "key", "secret"),
    [
        # the quoted source line is cut at 100 characters, inside the routing key
        # (an unknown key: pagerduty has a timeout since 2026-12)
        ("    pd: {type: pagerduty, retries: 3, url: 'http://127.0.0.1:9/v2/e', routing_key: "
         "ROUTINGKEYSECRET0123456789abcdefSECRET}", "alerts.channels.pd.retries", "ROUTINGKEYSECRET0123456789abcdefSECRET"),
        # the value after "got" is cut at 40 characters, inside a URL's password ...
        ("    am: {type: alertmanager, url: 'ftp://alice:PASSWORDsecretLONG1234567890@127.0.0.1:9093/x'}",
         "alerts.channels.am.url", "PASSWORDsecretLONG1234567890"),
        # ... or inside a token in its query
        ("    am: {type: alertmanager, url: 'ftp://127.0.0.1:9093/api?x=1&api_key=APIKEYsecretLONG1234567890'}",
         "alerts.channels.am.url", "APIKEYsecretLONG1234567890"),
    ],
)
def test_a_config_error_cut_inside_a_secret(tmp_path: Path, line: str, key: str, secret: str) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("sources:\n  demo: {type: demo}\nslos:\n"
                   "  - {name: a, source: demo, sli: {field: duration_ms, agg: p95}, objective: {target: 100}}\n"
                   f"alerts:\n  channels:\n{line}\n")
    out = _slotui("validate", "-c", str(cfg), cwd=tmp_path)
    assert out.returncode == 3 and "Traceback" not in out.stderr
    assert f"{cfg}:7:" in out.stderr and f"{key}: " in out.stderr
    _assert_no_piece(out.stdout + out.stderr, secret)


def _mirror_router(status: int, width: int) -> Router:
    """An Alertmanager that lists no silences, then answers a silence POST with ``status`` and a body
    quoting the request's Basic credential after ``width`` filler characters (not JSON)."""

    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        if seen.method == "GET":
            return 200, b"[]", {"Content-Type": "application/json"}
        return status, ("e" * width + " " + seen.headers.get("authorization", "")).encode(), {}

    return Router(route)


@pytest.mark.integration
@pytest.mark.parametrize("status", [500, 200])
def test_a_silence_mirror_answer_cut_inside_an_echoed_basic_credential(tmp_path: Path, status: int) -> None:
    # 500: the refusal is quoted (300 characters); 200 with a body that is not JSON: "unexpected answer"
    # was quoted without any masking at all
    left = 9
    width = 300 - len("Basic ") - left - 1 - (1 if status == 200 else 0)  # repr adds a quote in front
    with _mirror_router(status, width) as am:
        cfg = _demo_config(tmp_path, f"""\
            am: {{type: alertmanager, url: "{am.url}", basic_auth: {{username: {USER}, password: "{PASSWORD}"}}}}
            """)
        out = _slotui("silence", "add", "-c", str(cfg), "--state", str(tmp_path / "s.db"), "slo=lat", "-d", "1h",
                      "--comment", "maintenance", cwd=tmp_path)
        posted = [s for s in am.seen if s.method == "POST"]
        assert posted and posted[0].headers["authorization"] == "Basic " + BASIC
    text = out.stdout + out.stderr
    assert "Traceback" not in text and "eeee" in text, text  # the answer is quoted ...
    _assert_no_piece(text, BASIC, PASSWORD)  # ... without any part of the credential
