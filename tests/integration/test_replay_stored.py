"""``slotui replay`` of SLOs whose source has no history, from the samples in the state file.

The source is a generic HTTP endpoint that is never up (port 9 on loopback): a
replay must not ask it; the state file holds what a daemon recorded, per 5m
slice from T0:

- quality (threshold, window 10m, target 0.8, warning 0.7, critical 0.6): 0.9,
  except the slices at minutes 60, 65 and 70 (0.5). The window's value at a step
  on minute m is the mean of the stored slices m-10 and m-5: m=65 -> (0.9+0.5)/2
  = 0.7 (meets the warning: AT RISK), m=70 and m=75 -> 0.5 (CRITICAL), m=80 ->
  0.7, m=85 -> 0.9. Both alerts fire from 70 to 80, the WARNING one inhibited.
- ok_ratio (ratio, window 10m): 100 requests a bucket, all good except the
  bucket at minute 60 (0 good): m=65 -> 100/200 = 0.5, m=70 -> 0.5, m=75 -> 1.0.
- nothing: an SLO of the same source with no samples: not replayed, and said so.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from slotui.config.loader import load_config

pytestmark = pytest.mark.integration

T0 = 1780272000.0  # 2026-06-01T00:00:00Z
MIN = 60.0

CONFIG = """version: 1
defaults: {window: 10m, period: 30d, interval: 5m, slice: 5m}
sources:
  api: {type: http, url: "http://127.0.0.1:9/metrics"}
slos:
  - {name: quality, source: api, query: "$.quality", objective: {target: 0.8, warning: 0.7, critical: 0.6}}
  - {name: ok_ratio, source: api, ratio: {good: ok, total: all}, objective: {target: 0.99}}
  - {name: nothing, source: api, query: "$.x", objective: {target: 0.8, warning: 0.7, critical: 0.6}}
"""


def _state(path: Path) -> None:
    from slotui.store import Store

    store = Store.open(path)
    try:
        store.record_slices("quality", [(T0 + m * MIN, 0.5 if m in (60, 65, 70) else 0.9) for m in range(0, 180, 5)])
        store.record_buckets("ok_ratio", [(T0 + m * MIN, 0.0 if m == 60 else 100.0, 100.0) for m in range(0, 180, 5)])
    finally:
        store.close()


def _files(d: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(d.iterdir())}


def test_replay_from_state_samples_writes_nothing(tmp_path: Path) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(CONFIG)
    statedir = tmp_path / "state"
    statedir.mkdir()
    state = statedir / "state.db"
    _state(state)
    before = _files(statedir)
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "replay", "-c", str(cfg), "--state", str(state), "--from",
         "2026-06-01T00:00:00Z", "--to", "2026-06-01T02:00:00Z", "--step", "5m", "-o", "json"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert _files(statedir) == before  # same files (no -wal/-shm), same bytes, same mtimes
    out = json.loads(proc.stdout)
    slos = {s["name"]: s for s in out["slos"]}
    assert [(e["severity"], e["started_at"], e["ended_at"]) for e in slos["quality"]["episodes"]] == [
        ("critical", "2026-06-01T01:10:00Z", "2026-06-01T01:20:00Z"),
    ]  # (the WARNING alert fires inhibited under it all along: never sent, no episode)
    assert slos["quality"]["firing_s"] == {"critical": 600.0}
    assert set(slos) == {"quality", "ok_ratio"}
    assert "no samples" in out["skipped"]["nothing"]


def test_stored_values_at_each_step(tmp_path: Path) -> None:
    from slotui.replay.history import needs_stored
    from slotui.replay.run import replay_config
    from slotui.replay.stored import stored_history

    cfg = tmp_path / "slos.yaml"
    cfg.write_text(CONFIG)
    state = tmp_path / "state.db"
    _state(state)
    loaded = load_config(cfg)
    start, end = T0 + 60 * MIN, T0 + 90 * MIN
    rows, bad = stored_history(loaded, needs_stored(loaded, ["quality", "ok_ratio"]), state, start, end)
    assert bad == [] and set(rows) == {"quality", "ok_ratio"}
    from dataclasses import replace

    loaded = replace(loaded, specs=[s for s in loaded.specs if s.name in rows])
    replay = asyncio.run(replay_config(loaded, start, end, 5 * MIN, stored=rows))
    values = {s.name: [v for _t, _s, v in s.timeline] for s in replay.slos}
    assert values["quality"] == pytest.approx([0.9, 0.7, 0.5, 0.5, 0.7, 0.9, 0.9])
    assert values["ok_ratio"] == pytest.approx([1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0])
    statuses = [s.value for _t, s, _v in next(s for s in replay.slos if s.name == "quality").timeline]
    assert statuses[1:5] == ["AT RISK", "CRITICAL", "CRITICAL", "AT RISK"]
