"""The alert log: notifications (newest first) with their delivery status.

A failing channel shows here as ``failed`` with the receiver's error, never
as a crash.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from slotui.tui.backend import NotificationView
from slotui.tui.cells import Palette
from slotui.tui.widgets.summary import clock_label


class AlertLogScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="alert_log.back"),
        Binding("r", "reload", "Reload", id="alert_log.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.notifications: list[NotificationView] = []

    def compose(self) -> ComposeResult:
        yield Static("Alert log", id="alert-log-title", classes="screen-title")
        yield DataTable(id="alert-log-table", cursor_type="row")
        yield Static("", id="alert-log-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("at", "Time", 9), ("kind", "Kind", 8), ("channel", "Channel", 14),
                                  ("status", "Delivery", 10), ("title", "Notification", 40), ("error", "Error", 30)):
            table.add_column(label, key=key, width=width)
        self.action_reload()

    def action_reload(self) -> None:
        self.app.reload_notifications()  # type: ignore[attr-defined]

    def show(self, notifications: Sequence[NotificationView], palette: Palette) -> None:
        table = self.query_one(DataTable)
        self.notifications = list(notifications)
        table.clear()
        for i, n in enumerate(self.notifications):
            colour = palette["success"] if n.status in ("delivered", "sent") else (
                palette["error"] if n.status == "failed" else palette["warning"])
            kind = Text(("TEST " if n.is_test and n.kind != "test" else "") + n.kind,
                        style=palette["accent"] if n.is_test else "")
            status = Text(n.status + (f" ({n.attempts})" if n.attempts > 1 else ""), style=f"bold {colour}")
            table.add_row(clock_label(n.at), kind, Text(n.channel), status, Text(n.title),
                          Text(n.error, style=palette["error"] if n.error else ""), key=f"{i}")
        failed = sum(1 for n in self.notifications if n.status == "failed")
        self.query_one("#alert-log-title", Static).update(
            f"Alert log: {len(self.notifications)} notifications" + (f", {failed} failed" if failed else ""))
        self.query_one("#alert-log-empty", Static).update(
            "" if self.notifications else "No notifications yet. Press t on an SLO to send a test alert.")
