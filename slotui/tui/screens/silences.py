"""The silences screen: list, edit (change end / comment) and expire silences.

Reads and writes go through the backend (the shared state store), so the
list matches ``slotui silence list`` from another process.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from slotui.tui.backend import SilenceView
from slotui.formatting import format_duration
from slotui.tui.widgets.summary import clock_label
from slotui.tui.widgets.list_table import ListTable


class SilencesScreen(Screen[None]):
    """Active silences (``h`` toggles recently expired ones)."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="silences.back"),
        Binding("e,enter", "edit", "Edit", id="silences.edit"),
        Binding("x,delete", "expire", "Expire", id="silences.expire"),
        Binding("h", "toggle_expired", "Show expired", id="silences.expired"),
        # the same key while expired ones are shown: the footer says what h will do
        Binding("h", "hide_expired", "Hide expired", id="silences.hide_expired"),
        # read-only: Edit and Expire are not offered; their keys still say why they are off
        Binding("e,enter", "read_only_key('edit')", show=False, id="silences.read_only_edit"),
        Binding("x,delete", "read_only_key('expire')", show=False, id="silences.read_only_expire"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        read_only = bool(getattr(self.app, "read_only", False))
        if action == "read_only_key":
            return read_only
        if action in ("edit", "expire") and read_only:
            return False
        if action == "toggle_expired":
            return not self.include_expired
        if action == "hide_expired":
            return self.include_expired
        return True

    def __init__(self) -> None:
        super().__init__()
        self.include_expired = False
        self.silences: list[SilenceView] = []
        #: as wide as the longest end written (``12-05 23:00:40Z (in 999998d5h)``): never cut
        self.ends_width = 22

    def compose(self) -> ComposeResult:
        yield Static("Silences", id="silences-title", classes="screen-title")
        yield ListTable(id="silences-table", cursor_type="row")
        yield Static("", id="silences-empty")
        yield Footer()

    def on_mount(self) -> None:
        self._columns(self.app.size.width)
        self.app.reload_silences()  # type: ignore[attr-defined]

    def _columns(self, width: int) -> None:
        """Fixed columns, then matchers and comment share what is left of the terminal's width."""
        table = self.query_one(DataTable)
        table.clear(columns=True)
        rest = max(30, width - 2 - 6 * 2 - (9 + 6 + self.ends_width + 10))
        matchers = max(14, min(40, rest * 2 // 5))
        for key, label, w in (("id", "ID", 9), ("kind", "Kind", 6), ("matchers", "Matchers", matchers),
                              ("ends", "Ends", self.ends_width), ("by", "By", 10), ("comment", "Comment", max(12, rest - matchers))):
            table.add_column(label, key=key, width=w)

    def on_resize(self, event: object) -> None:
        self._columns(self.size.width)
        if self.silences:
            self.show(self.silences, self.app.clock())  # type: ignore[attr-defined]

    @property
    def selected(self) -> SilenceView | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.silences if s.id == key), None)

    def show(self, silences: Sequence[SilenceView], now: float) -> None:
        """Replace the rows (keyed by silence id; the cursor stays on the same silence)."""
        table = self.query_one(DataTable)
        keep = self.selected.id if self.selected is not None else None
        self.silences = list(silences)
        ends_of = {s.id: _ends(s, now) for s in self.silences}
        width = max([22, *map(len, ends_of.values())])
        if width != self.ends_width:
            self.ends_width = width
            self._columns(self.size.width or self.app.size.width)
        table.clear()
        for s in self.silences:
            ends = ends_of[s.id]
            style = "dim" if s.expired else ""
            table.add_row(
                Text(s.id[:8], style=style), Text(s.kind, style=style), Text(s.matchers, style=style, overflow="ellipsis"),
                Text(ends, style=style), Text(s.created_by, style=style, overflow="ellipsis"), Text(s.comment, style=style, overflow="ellipsis"),
                key=s.id,
            )
        if keep is not None and any(s.id == keep for s in self.silences):
            table.move_cursor(row=table.get_row_index(keep))
        title = f"Silences: {sum(1 for s in self.silences if not s.expired)} active"
        if self.include_expired:
            title += f", {sum(1 for s in self.silences if s.expired)} expired"
        self.query_one("#silences-title", Static).update(title)
        self.query_one("#silences-empty", Static).update(
            "" if self.silences else "No silences. Press m (mute) or z (snooze) on an SLO to add one.")

    def action_toggle_expired(self) -> None:
        self.include_expired = not self.include_expired
        self.refresh_bindings()  # h: Show expired or Hide expired
        self.app.reload_silences()  # type: ignore[attr-defined]

    def action_hide_expired(self) -> None:
        self.action_toggle_expired()

    def action_expire(self) -> None:
        s = self.selected
        if s is None or s.expired:
            self.app.bell()
            return
        self.app.expire_silence(s)  # type: ignore[attr-defined]

    def action_read_only_key(self, action: str) -> None:
        getattr(self, f"action_{action}")()

    def action_edit(self) -> None:
        s = self.selected
        if s is None or s.expired:
            self.app.bell()
            return
        self.app.edit_silence(s)  # type: ignore[attr-defined]


def _ends(s: SilenceView, now: float) -> str:
    if s.ends_at is None:
        return "until lifted"
    if s.expired or s.ends_at <= now:
        return f"ended {clock_label(s.ends_at, now)}"
    return f"{clock_label(s.ends_at, now)} (in {format_duration(s.ends_at - now)})"
