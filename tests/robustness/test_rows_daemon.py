"""Issue 8.1 end to end: the real daemon (``slotui run --headless``) on a state file with a silence
whose ``matchers`` is not JSON, and one damaged row in the other tables it reads, keeps evaluating:
/healthz answers 200, /metrics counts the bad rows, the CRITICAL alert reaches the file channel,
and ``slotui silence list`` / ``silence expire`` (real subprocesses) show and end the bad silence."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slotui.alerting.silence import Matcher, mute
from slotui.store import Store

pytestmark = pytest.mark.integration

BAD_SILENCE = "deadbeef-0000-4000-8000-00000000bad1"
GOOD_SILENCE = "0000feed-0000-4000-8000-00000000aaa1"

CONFIG = """\
version: 1
defaults: {interval: 1s}
sources:
  demo: {type: demo, seed: 7}
slos:
  - name: helpfulness
    source: demo
    sli: {field: evaluations.helpfulness, agg: mean}
    objective: {target: 0.99, warning: 0.98, critical: 0.97}
alerts:
  group: {wait: 0s}
  channels:
    audit: {type: file, path: alerts.jsonl}
"""


def poll(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Call ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def slotui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def damaged_state(path: Path) -> None:
    """A state file with one unreadable row in the silences, alert_states, alert_groups, notifications
    and samples tables, next to a good silence that mutes nothing of this config."""
    now = time.time()
    store = Store.open(path)
    try:
        store.add_silence(mute((Matcher("slo", "=", "other"),), now - 60, "eve", silence_id=BAD_SILENCE), now=now - 60)
        store.add_silence(mute((Matcher("slo", "=", "x"),), now - 60, "bob", silence_id=GOOD_SILENCE), now=now - 60)
        store.record_slices("helpfulness", [(now - 900, 0.5)])
    finally:
        store.close()
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("UPDATE silences SET matchers = '{not json' WHERE id = ?", (BAD_SILENCE,))
        conn.execute(
            "INSERT INTO alert_states (fingerprint, slo, severity, state, data) VALUES"
            " ('helpfulness:critical', 'helpfulness', 'critical', 'firing', '{oops')"
        )
        conn.execute("INSERT INTO alert_groups (group_key, data, updated_at) VALUES ('{severity=\"critical\"}', '[]', 0)")
        conn.execute(
            "INSERT INTO notifications (fingerprint, transition_id, channel, kind, payload, created_at, next_attempt_at)"
            " VALUES ('{severity=\"critical\"}', '0', 'audit', 'trigger', '{half a payload', ?, 0)",
            (now - 30,),
        )
        conn.execute("UPDATE samples SET value = 'garbage' WHERE slo = 'helpfulness'")
    finally:
        conn.close()


def test_daemon_keeps_alerting_over_bad_rows_and_the_cli_repairs_the_silence(tmp_path: Path) -> None:
    config = tmp_path / "slos.yaml"
    config.write_text(CONFIG)
    state = tmp_path / "state.db"
    damaged_state(state)
    log = tmp_path / "daemon.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "slotui", "run", "--headless", "-c", str(config), "--state", str(state),
             "--listen", "127.0.0.1:0"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
    try:
        port = int(poll(lambda: re.search(r"listening on http://127\.0\.0\.1:(\d+)/metrics", log.read_text()),
                        "the daemon's listen line").group(1))
        alerts = tmp_path / "alerts.jsonl"

        def critical_sent() -> list[dict[str, Any]]:
            if not alerts.exists():
                return []
            lines = [json.loads(line) for line in alerts.read_text().splitlines()]
            return [n for n in lines if n["kind"] == "trigger"
                    and any(a["labels"]["severity"] == "critical" for a in n["alerts"])]

        (sent,) = poll(critical_sent, "the CRITICAL alert in alerts.jsonl")
        assert [a["labels"]["slo"] for a in sent["alerts"]] == ["helpfulness"]

        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert (status, body) == (200, "ok\n")
        metrics = poll(lambda: (m := get(f"http://127.0.0.1:{port}/metrics")[1])
                       and 'slotui_state_bad_rows{table="notifications"} 1' in m and m, "the outbox row in /metrics")
        assert 'slotui_state_bad_rows{table="silences"} 1' in metrics
        assert 'slotui_state_bad_rows{table="samples"} 1' in metrics
        assert re.search(r'^slotui_slo_status\{slo="helpfulness",status="CRITICAL"\} 1$', metrics, re.M)
        # the damaged alert state and group were rebuilt from the evaluation and rewritten
        assert 'slotui_state_bad_rows{table="alert_states"} 0' in metrics
        assert 'slotui_state_bad_rows{table="alert_groups"} 0' in metrics

        text = log.read_text()
        assert "tick failed" not in text and "Traceback" not in text
        for table, row_id in (("silences", BAD_SILENCE), ("alert_states", "helpfulness:critical"),
                              ("alert_groups", '{severity="critical"}'), ("notifications", "1")):
            warned = [ln for ln in text.splitlines() if f"table {table}, id {row_id}:" in ln]
            assert len(warned) == 1, (table, text)  # once, not once per tick
        assert "half a payload" not in text  # reasons name columns, not values

        # The CLI, beside the running daemon, shows the bad silence and ends it.
        listed = slotui("silence", "list", "--state", str(state), cwd=tmp_path)
        assert listed.returncode == 0 and "Traceback" not in listed.stderr
        (bad_line,) = [ln for ln in listed.stdout.splitlines() if BAD_SILENCE in ln]
        assert "UNREADABLE" in bad_line and "matchers: not JSON" in bad_line
        assert GOOD_SILENCE in listed.stdout
        as_json = json.loads(slotui("silence", "list", "-o", "json", "--state", str(state), cwd=tmp_path).stdout)
        assert {"id": BAD_SILENCE, "unreadable": True, "error": as_json[-1]["error"]} == as_json[-1]

        expired = slotui("silence", "expire", BAD_SILENCE[:8], "--state", str(state), cwd=tmp_path)
        assert expired.returncode == 0 and "Traceback" not in expired.stderr, expired.stderr
        assert expired.stdout.strip() == BAD_SILENCE
        good = slotui("silence", "expire", GOOD_SILENCE[:8], "--state", str(state), cwd=tmp_path)
        assert good.returncode == 0 and good.stdout.strip() == GOOD_SILENCE
        after = slotui("silence", "list", "-q", "--state", str(state), cwd=tmp_path)
        assert after.returncode == 0 and after.stdout == ""
        gone = slotui("silence", "list", "--expired", "--state", str(state), cwd=tmp_path)
        assert BAD_SILENCE in gone.stdout and GOOD_SILENCE in gone.stdout

        # the outbox row is kept, failed, with why; the daemon still answers
        conn = sqlite3.connect(str(state))
        try:
            row = conn.execute("SELECT state, last_error, payload FROM notifications WHERE id = 1").fetchone()
        finally:
            conn.close()
        assert row[0] == "failed" and row[1].startswith("unreadable outbox row, not sent: payload")
        assert row[2] == "{half a payload"
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_silence_cli_on_a_bad_row_without_a_daemon(tmp_path: Path) -> None:
    """The CLI alone (the issue: `silence list` and `silence expire ID` crashed with a traceback)."""
    state = tmp_path / "state.db"
    damaged_state(state)
    filtered = slotui("silence", "list", "-q", "slo=x", "--state", str(state), cwd=tmp_path)
    assert filtered.returncode == 0 and filtered.stdout == f"{GOOD_SILENCE}\n"  # never picked up by a filter
    assert BAD_SILENCE in filtered.stderr and "Traceback" not in filtered.stderr
    quiet = slotui("silence", "list", "-q", "--state", str(state), cwd=tmp_path)
    assert sorted(quiet.stdout.split()) == sorted([BAD_SILENCE, GOOD_SILENCE])
    again = slotui("silence", "expire", BAD_SILENCE, "--state", str(state), cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.strip() == BAD_SILENCE
    twice = slotui("silence", "expire", BAD_SILENCE, "--state", str(state), cwd=tmp_path)
    assert twice.returncode == 0 and "Traceback" not in twice.stderr
    missing = slotui("silence", "expire", "ffffffff", "--state", str(state), cwd=tmp_path)
    assert missing.returncode == 1 and "no silence" in missing.stderr
