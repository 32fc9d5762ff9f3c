"""Label values come from data (a log's model or route field) and reach terminals, JUnit files and
notifications through breakdowns. A value holding ESC, BEL or a bidi override went out raw: `check`'s
table cleared the screen, its JUnit file was no longer XML 1.0. Now such characters are written as
escapes (``\\x1b``, ``\\u202e``) wherever a group's label is shown (real subprocesses)."""

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
        groups = json.loads(out.stdout)["slos"][0]["breakdown"]["groups"]
        assert {g["labels"]["gen_ai.request.model"] for g in groups} == {SHOWN, "ok"}
    elif fmt == "table":
        assert SHOWN in out.stdout
    else:  # markdown escapes the backslashes and brackets once more
        assert "gpt\\\\x1b\\[2J" in out.stdout, out.stdout
