"""A server's words in every ``slotui check`` format (real subprocess, real HTTP server on loopback).

A Prometheus ``{"status": "error", "error": ...}`` body is passed on by the source as the SLO's
error. It held ESC, NUL and BEL as they came: the table wrote them to the terminal (``ESC[2J``
cleared it), the JUnit file was not XML (``ET.parse``: invalid token, a CI report view drops the
whole file), and a lone surrogate (``\\ud800`` is valid JSON) crashed every format with a
``UnicodeEncodeError`` traceback and exit 1, which a CI gate reads as WARNING. A newline forged a
line of the table's notes. The family: the per-SLO error (prometheus), the source error (http),
in table, json, junit and markdown. Every one: exit 3 (NO DATA), no traceback, one printable line,
strict JSON, well-formed XML.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_http import Router, Seen  # noqa: E402

#: what the server says: ESC sequences, NUL, BEL, a forged line, a lone surrogate, a CDATA end
HOSTILE = "parse error \x1b[2J\x00\x07\nCRITICAL forged line ]]> \ud800 at char 3"
FORMATS = ("table", "json", "junit", "markdown")


def _answer(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
    body = {"status": "error", "errorType": "bad_data", "error": HOSTILE}
    return 400, json.dumps(body).encode(), {"Content-Type": "application/json"}


def _config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        f"""version: 1
sources:
  prom: {{type: prometheus, url: "{url}"}}
  api: {{type: http, url: "{url}/value"}}
slos:
  - name: latency_p95_ms
    source: prom
    query: 'up'
    objective: {{target: 2000, warning: 3000, critical: 5000}}
  - name: score
    source: api
    query: 'data.value'
    objective: {{target: 0.8, warning: 0.7, critical: 0.6}}
"""
    )
    return cfg


@pytest.mark.parametrize("fmt", FORMATS)
def test_server_text_reaches_every_format_as_one_printable_line(fmt: str, tmp_path: Path) -> None:
    with Router(_answer) as server:
        out = subprocess.run(
            [sys.executable, "-m", "slotui", "check", "-c", str(_config(tmp_path, server.url)), "--format", fmt,
             "--at", "2026-06-01T12:00:00Z"],
            capture_output=True, text=True, timeout=120,
        )
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 3, (out.returncode, out.stderr)  # NO DATA: UNKNOWN, not WARNING
    text = out.stdout
    for ch in ("\x1b", "\x00", "\x07", "\ud800"):
        assert ch not in text, (ch, fmt)
    if fmt == "markdown":  # what GitHub shows: the rendered page
        from markdown_it import MarkdownIt

        text = html.unescape(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text))
    assert "\\x1b[2J" in text  # written as an escape, so the reader sees what the server sent
    if fmt == "json":
        report = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))
        errors = [s["error"] for s in report["slos"]] + list(report["source_errors"].values())
        assert all("\n" not in e for e in errors if e)
        assert any("parse error \\x1b[2J\\x00\\x07 CRITICAL forged line ]]> \\ud800 at char 3" in e
                   for e in errors if e)
    elif fmt == "junit":
        root = ET.fromstring(text.encode("utf-8"))
        assert root.find("testsuite").get("errors") == "2"  # type: ignore[union-attr]
    else:
        # the server's newline did not start a line of its own
        assert not any(line.startswith("CRITICAL forged line") for line in text.splitlines())
        assert "parse error \\x1b[2J\\x00\\x07 CRITICAL forged line ]]> \\ud800 at char 3" in text
