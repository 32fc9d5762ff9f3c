"""The palette's replay screen: the last 30 days of the file, as a table, through the real engine.

Config and log: the scripted incidents of tests/unit/test_replay_episodes.py,
replayed at the screen's 1h step ending at T0 + 1 day. Hourly steps (m = 0,
60, 120, ...) never see the 10-minute error bursts (the step at m=120 sees
minutes 110..119); latency (mean 2m - 1711 for m in 910..1200) is 329 at
m=1020 (WARNING), 449 at 1080 (CRITICAL) up to 689 at 1200, and 100 at 1260.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path

from conftest import SIZE, screen_text

from slotui.config.loader import load_config
from slotui.engine import Engine
from slotui.tui.screens.replay import ReplayScreen

_spec = importlib.util.spec_from_file_location(
    "replay_incidents_tui", Path(__file__).resolve().parents[1] / "unit" / "test_replay_episodes.py"
)
incidents = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(incidents)  # type: ignore[union-attr]


async def replayed(app, pilot) -> list[list[str]]:
    """Open the replay screen, wait for its worker to finish, and return the table's rows as text."""
    await pilot.pause()
    app.action_replay()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReplayScreen)
    deadline = time.monotonic() + 60
    while screen.replay is None:
        assert time.monotonic() < deadline, "replay did not finish"
        await asyncio.sleep(0.05)  # yields to the worker; the loop condition is what waits
    await pilot.pause()
    table = screen.query_one("#replay-table")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_replay_palette_screen_shows_the_episodes(build, clock, tmp_path: Path) -> None:
    loaded = load_config(incidents.write_incidents(tmp_path))
    clock.now = incidents.T0 + 86400 + 120
    app = build(Engine(loaded))
    async with app.run_test(size=SIZE) as pilot:
        rows = await replayed(app, pilot)
        assert ["errors", "-", "-", "-", "-"] in rows
        assert ["latency", "warning", "2026-06-01T17:00:00Z", "2026-06-01T21:00:00Z", "4h"] in rows
        assert ["latency", "critical", "2026-06-01T18:00:00Z", "2026-06-01T21:00:00Z", "3h"] in rows
        assert "Replay 2026-05-03T00:00:00Z .. 2026-06-02T00:00:00Z every 1h" in screen_text(app)
