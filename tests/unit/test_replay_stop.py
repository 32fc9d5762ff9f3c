"""A replay asks ``stop`` before each step and stops when it says so (a closed TUI view's worker)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_replay_episodes import MIN, T0, write_incidents

from slotui.config.loader import load_config
from slotui.replay.run import ReplayStopped, replay_config


def test_replay_stops_at_the_step_stop_asks_for(tmp_path: Path) -> None:
    loaded = load_config(write_incidents(tmp_path))
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) == 3

    with pytest.raises(ReplayStopped):
        asyncio.run(replay_config(loaded, T0, T0 + 60 * MIN, 5 * MIN, stop=stop))
    assert len(asked) == 3  # asked once per step, not after it said stop
    done = asyncio.run(replay_config(loaded, T0, T0 + 60 * MIN, 5 * MIN, stop=lambda: False))
    assert all(len(s.timeline) == 13 for s in done.slos)
