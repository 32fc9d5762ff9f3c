"""``slotui replay`` end to end: never sends, never writes the state file, honours its silences.

The log and config are the scripted incidents of tests/unit/test_replay_episodes.py
(episodes worked out by hand there). A webhook channel points at a real local
receiver; the state file holds a silence for ``latency``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import importlib.util
from pathlib import Path

import pytest
from receivers import HTTPReceiver

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location(
    "replay_incidents", Path(__file__).resolve().parents[1] / "unit" / "test_replay_episodes.py"
)
incidents = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(incidents)  # type: ignore[union-attr]

FROM, TO = "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"


def _channels(url: str) -> str:
    return f"""alerts:
  channels:
    hook: {{type: webhook, url: "{url}/hook"}}
  routes:
    - {{severity: warning, channels: [hook]}}
    - {{severity: critical, channels: [hook]}}
  group: {{wait: 30s, interval: 5m, repeat: 4h}}
"""


def _state_with_silence(path: Path) -> None:
    from slotui.alerting.silence import Matcher, Silence
    from slotui.store import Store

    store = Store.open(path)
    try:
        store.add_silence(Silence(
            id="s-latency", matchers=(Matcher("slo", "=", "latency"),),
            starts_at=incidents.T0 - 3600, ends_at=incidents.T0 + 2 * 86400, created_by="test",
            updated_at=incidents.T0 - 3600,
        ))
    finally:
        store.close()


def _row_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def _files(d: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(d.iterdir())}


def _replay(cfg: Path, state: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "slotui", "replay", "-c", str(cfg), "--state", str(state),
         "--from", FROM, "--to", TO, "--step", "5m", *args],
        capture_output=True, text=True, timeout=300,
    )


def test_replay_never_sends_never_writes_state(tmp_path: Path) -> None:
    with HTTPReceiver() as rx:
        cfg = incidents.write_incidents(tmp_path, channels=_channels(rx.url))
        statedir = tmp_path / "state"
        statedir.mkdir()
        state = statedir / "state.db"
        _state_with_silence(state)
        before_files, before_rows = _files(statedir), _row_counts(state)

        proc = _replay(cfg, state, "-o", "json")
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        unsilenced = _replay(cfg, state, "--no-silences", "-o", "json")
        assert unsilenced.returncode == 0, unsilenced.stderr

        assert rx.requests == []
        assert _files(statedir) == before_files
        assert _row_counts(state) == before_rows

    assert out["from"] == FROM and out["to"] == TO and out["step"] == "5m"
    slos = {s["name"]: s for s in out["slos"]}
    assert [(e["severity"], e["started_at"], e["ended_at"], e["duration_s"]) for e in slos["errors"]["episodes"]] == [
        ("warning", "2026-06-01T02:05:00Z", "2026-06-01T02:20:00Z", 900.0),
        ("critical", "2026-06-01T02:10:00Z", "2026-06-01T02:15:00Z", 300.0),
        ("warning", "2026-06-01T10:05:00Z", "2026-06-01T10:15:00Z", 600.0),
    ]
    assert slos["errors"]["per_week"] == {"critical": 7.0, "warning": 14.0}
    # errors is not silenced: its alerts would have reached the webhook
    assert slos["errors"]["notifications"]["hook"] > 0
    # latency is silenced by the state file: it still has its episodes, but sends nothing ...
    assert len(slos["latency"]["episodes"]) == 2
    assert slos["latency"]["notifications"] == {}
    # ... and with --no-silences it would have notified
    again = {s["name"]: s for s in json.loads(unsilenced.stdout)["slos"]}
    assert again["latency"]["notifications"]["hook"] > 0
    assert again["errors"] == slos["errors"]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_replay_text_formats(tmp_path: Path, fmt: str) -> None:
    cfg = incidents.write_incidents(tmp_path)
    proc = _replay(cfg, tmp_path / "none.db", "-o", fmt, "--slo", "latency")
    assert proc.returncode == 0, proc.stderr
    assert "2026-06-01T16:50:00Z" in proc.stdout  # latency warning starts at minute 1010
    assert "errors" not in proc.stdout
    assert not (tmp_path / "none.db").exists()


def test_replay_bad_arguments_exit_3(tmp_path: Path) -> None:
    cfg = incidents.write_incidents(tmp_path)
    for args in (["--slo", "nope"], ["--step", "0s"]):
        proc = _replay(cfg, tmp_path / "s.db", *args)
        assert proc.returncode == 3, (args, proc.stdout)
        assert "Traceback" not in proc.stderr and "slotui replay" in proc.stderr
