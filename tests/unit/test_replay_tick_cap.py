"""The daemon's timer ticks between replay steps are bounded and can be stopped.

``slotui replay`` caps the steps at a million, but between two steps the simulated daemon
also flushes every alert group that is due at its ticks: a month at 1h steps with 1s
intervals and an alert always firing was 2.6 million flushes, minutes with no way out.

The case (test_replay_notifications.write_case): CRITICAL from 1h to 11h, group wait 30s,
interval 5m, ticks every minute, 1h steps over 14h. The group is due at 1h0m30s, so it
flushes at the tick 1h1m, then every 5 minutes while it holds an alert: 1h1m, 1h6m, ...,
11h1m, where the resolve goes out; 600 / 5 + 1 = 121 timer ticks, none on a whole hour
(a step). After the resolve the group is empty: no more ticks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_replay_notifications import H, T0, write_case

from slotui.cli import main
from slotui.config.loader import load_config
from slotui.replay import simulate
from slotui.replay.run import ReplayStopped, ReplayTooLong, replay_config

TICKS = 121


def _case(tmp_path: Path) -> Path:
    return write_case(tmp_path, {"long": [(1, 11, 1.0)]}, 14)


def test_the_replay_runs_exactly_the_ticks_worked_out_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_config(_case(tmp_path))
    monkeypatch.setattr(simulate, "MAX_TIMER_TICKS", TICKS)
    done = asyncio.run(replay_config(loaded, T0, T0 + 14 * H, H))
    assert done.slos[0].notifications == {"log": 4}  # firing 1h1m, repeats 5h1m and 9h1m, resolved 11h1m
    monkeypatch.setattr(simulate, "MAX_TIMER_TICKS", TICKS - 1)
    with pytest.raises(ReplayTooLong) as err:
        asyncio.run(replay_config(loaded, T0, T0 + 14 * H, H))
    assert str(err.value).startswith(f"more than {TICKS - 1:,} timer ticks between the steps")
    assert "defaults.interval 1m, alerts.group interval 5m" in str(err.value)


def test_stop_is_asked_at_the_ticks_between_steps(tmp_path: Path) -> None:
    """15 steps (0h..14h) and 121 ticks: a stop asked for at the 20th question is honoured, in
    the middle of the ticks of the 1h..2h stretch (before, stop was asked at the steps only)."""
    loaded = load_config(_case(tmp_path))
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) == 20

    with pytest.raises(ReplayStopped):
        asyncio.run(replay_config(loaded, T0, T0 + 14 * H, H, stop=stop))
    assert len(asked) == 20


def test_slotui_replay_names_the_timers_and_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _case(tmp_path)
    monkeypatch.setattr(simulate, "MAX_TIMER_TICKS", 50)
    rc = main(["replay", "-c", str(cfg), "--state", str(tmp_path / "state.db"),
               "--from", "2026-06-01T00:00:00Z", "--to", "2026-06-01T14:00:00Z", "--step", "1h"])
    out = capsys.readouterr()
    assert rc == 3
    assert out.err.startswith("slotui replay: more than 50 timer ticks between the steps")
    assert "alerts.group interval" in out.err and "Traceback" not in out.err
    assert out.out == ""
