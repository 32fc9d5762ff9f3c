"""`slotui demo` / `slotui tui` as a user runs them: in a real terminal (tmux), and their error exits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.tui
REPO = Path(__file__).resolve().parents[2]


def slotui(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, cwd=cwd)


def test_unusable_state_file_exits_3_before_the_screen_opens(tmp_path):
    bad = tmp_path / "state.db"
    bad.write_text("not a database")
    proc = slotui("tui", "--state", str(bad), cwd=tmp_path)
    assert proc.returncode == 3
    assert "not a SQLite database" in proc.stderr and bad.read_text() == "not a database"


def test_bad_config_and_options_exit_3(tmp_path):
    proc = slotui("tui", "-c", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert proc.returncode == 3 and "no such file" in proc.stderr
    proc = slotui("demo", "--refresh", "0.1s", cwd=tmp_path)
    assert proc.returncode == 3 and "at least 1s" in proc.stderr
    proc = slotui("demo", env={"SLOTUI_NOW": "yesterday-ish"}, cwd=tmp_path)
    assert proc.returncode == 3 and "SLOTUI_NOW" in proc.stderr


def _tmux_or_skip() -> str:
    tmux = shutil.which("tmux")
    if tmux is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is required (scripts/test installs it)")
        pytest.skip("tmux not installed")
    return tmux


def test_demo_in_a_real_terminal(tmp_path):
    tmux = _tmux_or_skip()
    session = f"slotui-test-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state.db"
    done = tmp_path / "exit-code"
    # `unset COLUMNS LINES`: once anything in the pytest process imports readline, it exports the
    # size of pytest's own terminal into the C environment, tmux hands it to the pane, and Textual (through
    # shutil.get_terminal_size) prefers it to the pane's real 120x40.
    command = (f"cd {tmp_path} && unset COLUMNS LINES && SLOTUI_NOW=2026-11-22T06:30:00Z PYTHONPATH={REPO} {sys.executable} -m slotui demo "
               f"--state {state}; echo $? > {done}")
    subprocess.run([tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command], check=True)
    try:
        def screen() -> str:
            return subprocess.run([tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline and not ("ago)" in text and "palette" in text):  # start-up: a deadline loop
            time.sleep(0.2)
            text = screen()
        assert "SLOs meeting target" in text and "refreshed 06:30:00Z" in text, text
        lines = text.splitlines()
        first_row = lines[3]
        assert "CRITICAL" in first_row  # the worst SLO on top
        for name in ("availability", "response_time_p95_ms", "accuracy", "helpfulness", "cost_per_query"):
            assert name in text
        assert "? Help" in lines[-1] and "palette" in lines[-1]
        subprocess.run([tmux, "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not done.exists():
            time.sleep(0.1)  # polling for the process to exit (a deadline loop, not a wait for work)
        assert done.exists() and done.read_text().strip() == "0"
        assert state.exists()  # the demo kept its state where --state said
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], capture_output=True)
