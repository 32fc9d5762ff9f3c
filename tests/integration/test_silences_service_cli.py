"""``slotui silence add`` sets silences through the one Silences service (separate processes, one state file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def slotui(state: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_STATE",)}
    env["USER"] = "alice"
    return subprocess.run([sys.executable, "-m", "slotui", *argv, "--state", str(state)],
                          capture_output=True, text=True, env=env, timeout=60)


def rfc3339(t: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> float:
    from slotui.clock import parse_time

    return parse_time(text)


def test_a_start_in_the_past_is_moved_up_to_now(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    before = int(time.time())
    added = slotui(state, "silence", "add", "slo=a", "--start", rfc3339(before - 3600), "--end", rfc3339(before + 3600))
    assert added.returncode == 0, added.stderr
    after = time.time()
    (item,) = json.loads(slotui(state, "silence", "list", "-o", "json").stdout)
    assert before <= parse(item["starts_at"]) <= after
    assert parse(item["ends_at"]) == before + 3600 and item["state"] == "active"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (7200, 3600, "must end after it starts"),
        (3600, 3600, "must end after it starts"),
        (-7200, -3600, "would end in the past"),
    ],
)
def test_refused_times_store_nothing(tmp_path: Path, start: int, end: int, message: str) -> None:
    state = tmp_path / "state.db"
    now = int(time.time())
    refused = slotui(state, "silence", "add", "slo=a", "--start", rfc3339(now + start), "--end", rfc3339(now + end))
    assert refused.returncode == 3 and message in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert json.loads(slotui(state, "silence", "list", "-o", "json").stdout) == []
