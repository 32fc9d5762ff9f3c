"""The detail view shows the last 30 days' alert episodes of the selected SLO (SPEC 10.3, issue 11).

Config and log: the scripted incidents of tests/unit/test_replay_episodes.py; the
clock is T0 + 1 day + 2 min, so the view replays 2026-05-03 .. 2026-06-02 at 1h
steps (as the palette's replay screen; hand-worked in tests/tui/test_replay_screen.py):
latency fires warning 17:00 -> 21:00 and critical 18:00 -> 21:00 on 2026-06-01.
The band under the chart spans the 30 days in the chart's 96 plot columns: a
column is 30d/96 = 7.5h; the episodes run from 29d17h to 29d21h after the start,
columns int(29.708/30 * 96) = 95 to ceil(29.875/30 * 96) - 1 = 95: the last one,
drawn as the worst of the two, critical.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import SIZE, screen_text
from test_snapshots import check_golden

from slotui.config.loader import load_config
from slotui.engine import Engine
from slotui.tui.screens.detail import DetailScreen
from slotui.tui.widgets.chart import EpisodeBand

_spec = importlib.util.spec_from_file_location(
    "replay_incidents_detail", Path(__file__).resolve().parents[1] / "unit" / "test_replay_episodes.py"
)
incidents = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(incidents)  # type: ignore[union-attr]


async def settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_detail_view_shows_the_replayed_episodes(build, clock, tmp_path: Path) -> None:
    loaded = load_config(incidents.write_incidents(tmp_path))
    clock.now = incidents.T0 + 86400 + 120
    app = build(Engine(loaded))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_detail("latency")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert screen.episodes is not None, screen.episodes_note
        assert [(e.severity, e.started_at, e.ended_at) for e in screen.episodes.episodes] == [
            ("warning", incidents.T0 + 17 * 3600, incidents.T0 + 21 * 3600),
            ("critical", incidents.T0 + 18 * 3600, incidents.T0 + 21 * 3600),
        ]
        text = screen_text(app)
        band = next(line for line in text.splitlines() if "alerts ┤" in line)
        assert band.split("┤")[1].rstrip() == "·" * 95 + "█"
        assert ("2 alert episodes (last 30 days, 2026-05-03 to 2026-06-02, replayed every 1h; listed under Alerts)"
                in text)
        check_golden("episodes-detail-120x40.txt", text)
        screen.query_one("#detail-body").scroll_end(animate=False)  # the list is near the bottom
        await settle(app, pilot)
        text = screen_text(app)
        assert "Alert episodes (last 30 days, 2026-05-03 to 2026-06-02, replayed every 1h)" in text
        assert "warning  2026-06-01 17:00Z → 2026-06-01 21:00Z  4h" in text
        assert "critical 2026-06-01 18:00Z → 2026-06-01 21:00Z  3h" in text


def test_band_columns_hand_worked() -> None:
    """10 columns over [0, 100): a warning 5..25 covers columns 0..2, a critical 20..30 columns 2..2
    (the worst wins in the shared one), a page still firing from 95 the last column."""
    band = EpisodeBand([("warning", 5.0, 25.0), ("critical", 20.0, 30.0), ("page", 95.0, None)], 0.0, 100.0,
                       colours={})
    assert band.columns(10) == ["warning", "warning", "critical", None, None, None, None, None, None, "page"]
    assert EpisodeBand([("warning", 150.0, 160.0)], 0.0, 100.0, colours={}).columns(4) == [None] * 4
