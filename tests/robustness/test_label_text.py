"""Text from data and from servers reaches terminals, JUnit files and notifications: label values
(a log's model or route field, through breakdowns), a source's error answer, a receiver's error body.
A label or a source's answer holding ESC, BEL or a bidi override went out raw: `check`'s table cleared
the screen and its JUnit file was no longer XML 1.0. Such characters are now written as escapes
(``\\x1b``, ``\\u202e``) wherever that text is shown (real subprocesses, real loopback servers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from slotui.config.text import printable

HOSTILE = "gpt\x1b[2J\x1b]0;owned\x07\u202e\x00\u2028x"
SHOWN = "gpt\\x1b[2J\\x1b]0;owned\\x07\\u202e\\x00\\u2028x"
RAW = ("\x1b", "\x07", "\u202e", "\x00", "\u2028")


def test_printable_escapes_only_what_a_terminal_or_xml_would_act_on() -> None:
    assert printable(HOSTILE) == SHOWN
    assert printable("gpt-4o mini café 中 /search?q=1") == "gpt-4o mini café 中 /search?q=1"
    assert printable("a\tb\nc") == "a\\x09b\\x0ac"


@pytest.fixture
def hostile_log(tmp_path: Path) -> Path:
    now = 1_780_000_000.0
    with (tmp_path / "r.jsonl").open("w") as fh:
        for i in range(200):
            fh.write(json.dumps({"time": now - 3000 + i * 10, "error.type": "boom" if i % 2 == 0 else None,
                                 "gen_ai.request.model": HOSTILE if i % 2 == 0 else "ok"}) + "\n")
    (tmp_path / "slos.yaml").write_text(
        "version: 1\nsources:\n  logs: {type: file, path: r.jsonl}\nslos:\n"
        "  - {name: avail, source: logs, ratio: {good: \"error.type == null\"}, objective: {target: 0.99},"
        " breakdown: [gen_ai.request.model]}\n")
    return tmp_path


@pytest.mark.parametrize("fmt", ["table", "markdown", "junit", "json"])
def test_check_outputs_never_carry_a_raw_control_character(fmt: str, hostile_log: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_STATE", "SLOTUI_NOW")}
    env["SLOTUI_STATE"] = str(hostile_log / "state.db")
    out = subprocess.run([sys.executable, "-m", "slotui", "check", "-c", "slos.yaml", "--at", "2026-05-28T20:30:00Z",
                          "-o", fmt], capture_output=True, text=True, timeout=60, env=env, cwd=hostile_log)
    assert "Traceback" not in out.stderr
    assert not any(ch in out.stdout + out.stderr for ch in RAW), out.stdout
    if fmt == "junit":
        ET.fromstring(out.stdout)  # well-formed XML 1.0
    elif fmt == "json":
        # the label as the data holds it (scripts match it back), every such character a JSON escape
        groups = json.loads(out.stdout)["slos"][0]["breakdown"]["groups"]
        assert {g["labels"]["gen_ai.request.model"] for g in groups} == {HOSTILE, "ok"}
        assert SHOWN in {g["display"].split(": ")[0].removeprefix("gen_ai.request.model=") for g in groups}
    elif fmt == "table":
        assert SHOWN in out.stdout
    else:  # markdown escapes the backslashes and brackets once more
        assert "gpt\\\\x1b\\[2J" in out.stdout, out.stdout


def _serve(status: int, body: bytes):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from hostile_http import Router

    return Router(lambda seen: (status, body, {"content-type": "application/json"}))


@pytest.mark.integration
@pytest.mark.parametrize(("status", "body"), [(500, b'{"error": "boom\x1b[2J\x07\xe2\x80\xae"}'),
                                              (200, b'{"value": "\x1b[31mred"}')])
def test_a_servers_words_in_a_source_error_are_escaped(status: int, body: bytes, tmp_path: Path) -> None:
    with _serve(status, body) as server:
        (tmp_path / "slos.yaml").write_text(
            f"version: 1\nsources:\n  h: {{type: http, url: \"{server.url}/x\"}}\n"
            "slos:\n  - {name: a, source: h, query: value, objective: {target: 2, warning: 3}}\n")
        env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_STATE", "SLOTUI_NOW")}
        env["SLOTUI_STATE"] = str(tmp_path / "state.db")
        for fmt in ("table", "junit"):
            out = subprocess.run([sys.executable, "-m", "slotui", "check", "-c", "slos.yaml", "-o", fmt],
                                 capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
            assert out.returncode == 3 and "Traceback" not in out.stderr
            assert not any(ch in out.stdout + out.stderr for ch in RAW), out.stdout
            assert "\\x1b[" in out.stdout
            if fmt == "junit":
                ET.fromstring(out.stdout)


@pytest.mark.integration
def test_a_receivers_words_in_a_delivery_error_are_escaped(tmp_path: Path) -> None:
    with _serve(400, b'{"message": "bad\x1b]0;owned\x07 payload"}') as hook:
        (tmp_path / "slos.yaml").write_text(
            "version: 1\nsources:\n  demo: {type: demo}\nalerts:\n  channels:\n"
            f"    hook: {{type: webhook, url: \"{hook.url}/hook\"}}\n  routes:\n    - {{channels: [hook]}}\n"
            "slos:\n  - {name: availability, source: demo, ratio: {good: \"error.type == null\"}, "
            "objective: {target: 0.995}}\n")
        env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_STATE", "SLOTUI_NOW")}
        env["SLOTUI_STATE"] = str(tmp_path / "state.db")
        out = subprocess.run([sys.executable, "-m", "slotui", "test-alert", "-c", "slos.yaml", "--channel", "hook"],
                             capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    text = out.stdout + out.stderr
    assert "HTTP 400" in text and "bad\\x1b]0;owned\\x07 payload" in text
    assert not any(ch in text for ch in RAW)
