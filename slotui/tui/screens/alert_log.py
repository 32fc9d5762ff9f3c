"""The alert log: notifications (newest first) with their delivery status.

A failing channel shows here as ``failed`` with the receiver's error, never
as a crash.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static

from slotui.clock import format_time
from slotui.config.text import printable
from slotui.tui.backend import NotificationView
from slotui.tui.cells import Palette
from slotui.tui.widgets.summary import clock_label
from slotui.tui.widgets.list_table import ListTable


class NotificationDialog(ModalScreen[None]):
    """One notification whole: the alert log's columns cut the title and the receiver's error."""

    BINDINGS = [Binding("escape,enter,q", "app.pop_screen", "Close", id="notification.close")]

    def __init__(self, n: NotificationView) -> None:
        super().__init__()
        self.n = n

    def compose(self) -> ComposeResult:
        n = self.n
        delivery = n.status + (f" after {n.attempts} attempts" if n.attempts > 1 else "")
        lines = [
            ("Time", format_time(n.at)),
            ("Kind", ("test " if n.is_test and n.kind != "test" else "") + n.kind),
            ("Channel", n.channel),
            ("Severity", n.severity or "—"),
            ("SLOs", ", ".join(n.slos) or "—"),
            ("Delivery", delivery),
            ("Notification", n.title),
        ]
        text = Text()
        for label, value in lines:
            text.append(f"{label:<13}", style="bold")
            text.append(printable(value) + "\n")
        if n.error:
            text.append("Error\n", style="bold")
            text.append(printable(n.error), style=self.app.palette["error"])  # type: ignore[attr-defined]
        with Vertical(id="notification", classes="dialog"):
            yield Static(text, id="notification-text")
            yield Static("Esc or Enter closes", classes="dialog-detail")


class AlertLogScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="alert_log.back"),
        Binding("enter", "open", "Open", id="alert_log.open"),
        Binding("r", "reload", "Reload", id="alert_log.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.notifications: list[NotificationView] = []
        #: 9 for ``23:00:51Z``; wider once a row from another day shows its date
        self.time_width = 9

    def compose(self) -> ComposeResult:
        yield Static("Alert log", id="alert-log-title", classes="screen-title")
        yield ListTable(id="alert-log-table", cursor_type="row")
        yield Static("", id="alert-log-empty")
        yield Footer()

    def on_mount(self) -> None:
        self._columns(self.app.size.width)
        self.action_reload()

    def _columns(self, width: int) -> None:
        """Fixed columns, then the notification title and the error share the rest of the width."""
        table = self.query_one(DataTable)
        table.clear(columns=True)
        rest = max(36, width - 2 - 6 * 2 - (self.time_width + 8 + 12 + 12))
        title = max(24, min(60, rest * 3 // 5))
        for key, label, w in (("at", "Time", self.time_width), ("kind", "Kind", 8), ("channel", "Channel", 12),
                              ("status", "Delivery", 12), ("title", "Notification", title),
                              ("error", "Error", max(12, rest - title))):
            table.add_column(label, key=key, width=w)

    def on_resize(self, event: object) -> None:
        self._columns(self.size.width)
        if self.notifications:
            self.show(self.notifications, self.app.palette)  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.app.reload_notifications()  # type: ignore[attr-defined]

    def action_open(self) -> None:
        """The highlighted notification whole (its title and error are cut in the columns)."""
        table = self.query_one(DataTable)
        if not self.notifications or not 0 <= table.cursor_row < len(self.notifications):
            self.app.bell()
            return
        self.app.push_screen(NotificationDialog(self.notifications[table.cursor_row]))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()  # (the table takes Enter first: a click or Enter opens the row)

    def show(self, notifications: Sequence[NotificationView], palette: Palette) -> None:
        table = self.query_one(DataTable)
        self.notifications = list(notifications)
        now = self.app.clock()  # type: ignore[attr-defined]
        times = [clock_label(n.at, now) for n in self.notifications]
        width = max([9, *map(len, times)])
        if width != self.time_width:
            self.time_width = width
            self._columns(self.size.width or self.app.size.width)
        table.clear()
        for i, n in enumerate(self.notifications):
            colour = palette["success"] if n.status in ("delivered", "sent") else (
                palette["error"] if n.status == "failed" else palette["warning"])
            kind = Text(("TEST " if n.is_test and n.kind != "test" else "") + n.kind,
                        style=palette["accent"] if n.is_test else "")
            status = Text(n.status + (f" ({n.attempts})" if n.attempts > 1 else ""), style=f"bold {colour}")
            table.add_row(times[i], kind, Text(n.channel, overflow="ellipsis"), status,
                          Text(n.title, overflow="ellipsis"),
                          Text(n.error, style=palette["error"] if n.error else "", overflow="ellipsis"), key=f"{i}")
        failed = sum(1 for n in self.notifications if n.status == "failed")
        self.query_one("#alert-log-title", Static).update(
            f"Alert log: {len(self.notifications)} notification{'s' if len(self.notifications) != 1 else ''}"
            + (f", {failed} failed" if failed else "") + ("  (Enter shows one whole)" if self.notifications else ""))
        self.query_one("#alert-log-empty", Static).update(
            "" if self.notifications else "No notifications yet. Press t on an SLO to send a test alert.")
