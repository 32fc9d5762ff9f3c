"""Replay at step s and ``slotui check --at t`` at each step agree on every status (and value).

The log is the scripted incidents of test_replay_episodes.py; the span covers
both error bursts and the whole slow degradation, so every status the log can
produce (OK, WARNING, CRITICAL) is compared.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from test_replay_episodes import MIN, T0, write_incidents

from slotui.cli import main
from slotui.clock import rfc3339
from slotui.config.loader import load_config
from slotui.replay.run import replay_config


def test_replay_statuses_equal_check_at_every_step(tmp_path: Path) -> None:
    cfg = write_incidents(tmp_path)
    start, end, every = T0 + 100 * MIN, T0 + 1220 * MIN, 10 * MIN
    replay = asyncio.run(replay_config(load_config(cfg), start, end, every))
    seen: set[str] = set()
    for slo in replay.slos:
        assert len(slo.timeline) == 113
    by_time: dict[float, dict[str, tuple[str, float | None]]] = {}
    for slo in replay.slos:
        for now, status, value in slo.timeline:
            by_time.setdefault(now, {})[slo.name] = (status.value, value)
    out = tmp_path / "check.json"
    for now, expected in sorted(by_time.items()):
        main(["check", "-c", str(cfg), "--at", rfc3339(now), "-o", "json", "--output", str(out)])
        got = {s["name"]: (s["status"], s["value"]) for s in json.loads(out.read_text())["slos"]}
        assert got == expected, rfc3339(now)
        seen.update(status for status, _v in got.values())
    assert {"OK", "WARNING", "CRITICAL"} <= seen
