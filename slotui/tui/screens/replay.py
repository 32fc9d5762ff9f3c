"""Replay screen: the last 30 days of the whole SLO file through the real alert engine, as a table.

Runs :func:`slotui.replay.run.replay_config` in a worker thread (sends nothing, writes
nothing; sources without a history replay from the state file's samples); rows come from :mod:`slotui.replay.report` so the numbers read as in
``slotui replay``.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from slotui.tui.widgets.list_table import ListTable

DAYS = 30
STEP = 3600.0


class ReplayScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="replay.back")]

    def __init__(self, loaded: Any, now: float, *, days: float = DAYS, step: float = STEP, state: Any = None) -> None:
        super().__init__()
        self.loaded = loaded
        #: the state file whose samples stand in for sources without a history (read-only)
        self.state = state
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
        yield Static("replaying…", id="replay-status", markup=False)  # SLO names and errors, as written
        yield ListTable(id="replay-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        from slotui.replay.report import HEADER

        table = self.query_one(DataTable)
        for label in HEADER:
            table.add_column(label, key=label.lower())
        self.run_worker(self._run, thread=True, exclusive=True)

    def _run(self) -> None:
        """Worker thread: the replay is CPU work, never run on the event loop."""
        import asyncio
        from dataclasses import replace
        from pathlib import Path

        from textual.worker import get_current_worker

        from slotui.replay.history import needs_stored, unreplayable
        from slotui.replay.run import ReplayStopped, replay_config
        from slotui.replay.stored import stored_history

        worker = get_current_worker()
        loaded = self.loaded
        names = [s.name for s in loaded.specs]
        try:
            stored: dict = {}
            missing = needs_stored(loaded, names)
            if missing and self.state is not None:
                stored, _bad = stored_history(loaded, missing, Path(self.state), self.start, self.end)
            skipped = unreplayable(loaded, names, stored)
            loaded = replace(loaded, specs=[s for s in loaded.specs if s.name not in skipped])
            replay = asyncio.run(replay_config(loaded, self.start, self.end, self.step, stored=stored,
                                               stop=lambda: worker.is_cancelled))
        except ReplayStopped:
            return
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            self.app.call_from_thread(self.query_one("#replay-status", Static).update, f"replay failed: {exc}")
            return
        self.app.call_from_thread(self._show, replay, skipped)

    def _show(self, replay: Any, skipped: dict[str, str]) -> None:
        from rich.text import Text

        from slotui.replay.report import _rows, _summary

        table = self.query_one(DataTable)
        for row in _rows(replay):
            table.add_row(*(Text(cell) for cell in row))  # a str cell is parsed as markup
        lines = _summary(replay) + [f"{n}: not replayed: {why}" for n, why in sorted(skipped.items())]
        self.query_one("#replay-status", Static).update("\n".join(lines))
        self.replay = replay
