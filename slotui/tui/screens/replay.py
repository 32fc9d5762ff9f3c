"""Replay screen: the last 30 days of the whole SLO file through the real alert engine, as a table.

Runs :func:`slotui.replay.run.replay_config` in a worker (sends nothing, writes
nothing); rows come from :mod:`slotui.replay.report` so the numbers read as in
``slotui replay``.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

DAYS = 30
STEP = 3600.0


class ReplayScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="replay.back")]

    def __init__(self, loaded: Any, now: float, *, days: float = DAYS, step: float = STEP) -> None:
        super().__init__()
        self.loaded = loaded
        self.end = (now // step) * step
        self.start = self.end - days * 86400
        self.step = step
        self.replay: Any = None

    def compose(self) -> ComposeResult:
        from slotui.formatting import format_window, rfc3339

        yield Static(
            f"Replay {rfc3339(self.start)} .. {rfc3339(self.end)} every {format_window(self.step)}",
            id="replay-title", classes="screen-title",
        )
        yield Static("replaying…", id="replay-status")
        yield DataTable(id="replay-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        from slotui.replay.report import HEADER

        table = self.query_one(DataTable)
        for label in HEADER:
            table.add_column(label, key=label.lower())
        self.run_worker(self._run(), exclusive=True)

    async def _run(self) -> None:
        from dataclasses import replace

        from slotui.replay.history import unreplayable
        from slotui.replay.report import _rows, _summary
        from slotui.replay.run import replay_config

        loaded = self.loaded
        skipped = unreplayable(loaded, [s.name for s in loaded.specs])
        loaded = replace(loaded, specs=[s for s in loaded.specs if s.name not in skipped])
        status = self.query_one("#replay-status", Static)
        try:
            self.replay = await replay_config(loaded, self.start, self.end, self.step)
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            status.update(f"replay failed: {exc}")
            return
        table = self.query_one(DataTable)
        for row in _rows(self.replay):
            table.add_row(*row)
        lines = _summary(self.replay) + [f"{n}: not replayed: {why}" for n, why in sorted(skipped.items())]
        status.update("\n".join(lines))
