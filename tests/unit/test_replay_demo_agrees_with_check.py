"""A replay of the example config on the demo source agrees with ``check --at`` at every step.

The replay keeps one demo source for all steps (its whole-cell slices are computed once and
reused, SPEC 10.3 speed); ``check --at`` builds a fresh one each time. The span crosses the
daily error burst at 06:00 UTC and the steps (7m) fall off the 5-minute cell grid, so cut
cells, cached cells and a changing status are all compared.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from slotui.cli import main
from slotui.clock import rfc3339
from slotui.config.loader import load_config
from slotui.replay.run import replay_config

EXAMPLE = Path(__file__).resolve().parents[2] / "slotui" / "slos.example.yaml"
DAY0 = 1780272000.0  # 2026-06-01T00:00:00Z


def test_demo_replay_equals_check_at_every_step(tmp_path: Path) -> None:
    start, end, every = DAY0 + 5 * 3600 + 41 * 60, DAY0 + 6 * 3600 + 50 * 60, 7 * 60.0
    replay = asyncio.run(replay_config(load_config(EXAMPLE), start, end, every))
    by_time: dict[float, dict[str, tuple[str, float | None]]] = {}
    for slo in replay.slos:
        assert len(slo.timeline) == 10
        for now, status, value in slo.timeline:
            by_time.setdefault(now, {})[slo.name] = (status.value, value)
    out = tmp_path / "check.json"
    seen: set[str] = set()
    for now, expected in sorted(by_time.items()):
        main(["check", "-c", str(EXAMPLE), "--at", rfc3339(now), "-o", "json", "--output", str(out)])
        got = {s["name"]: (s["status"], s["value"]) for s in json.loads(out.read_text())["slos"]}
        assert got == expected, rfc3339(now)
        seen.update(status for status, _v in got.values())
    assert "CRITICAL" in seen and len(seen) >= 2
