"""The live SLO table: a Textual app an on-call engineer keeps open all day.

State lives here, in the App: the last :class:`~slotui.tui.backend.Snapshot`,
silences, alerts, filter, sort key, pause. Workers do the fetching (through
the :class:`~slotui.tui.backend.BackendThread`, so nothing blocks the screen)
and hand back typed results; :meth:`SlotuiApp.on_worker_state_changed` is the
one place that applies them and reports errors. The next refresh is armed with
``set_timer`` only after the previous one finished, so polls never overlap.

Build the app with :func:`make_app` (the CLI and the tests use it).
"""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.filter import LineFilter
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from slotui.core.types import SLOSpec
from slotui.tui.backend import (
    MUTE_COMMENT,
    AlertView,
    Backend,
    BackendThread,
    NotificationView,
    SilenceView,
    Snapshot,
    TestOutcome,
    summarize_outcomes,
)
from slotui.formatting import format_duration
from slotui.tui.cells import Palette
from slotui.tui.palette import SlotuiCommands
from slotui.tui.screens.alert_log import AlertLogScreen
from slotui.tui.screens.detail import DetailData, DetailScreen
from slotui.tui.screens.dialogs import ConfirmDialog, SnoozeDialog, SnoozeRequest
from slotui.tui.screens.help import HelpScreen
from slotui.tui.screens.replay import ReplayScreen
from slotui.tui.screens.silences import SilencesScreen
from slotui.tui.settings import TuiSettings, load_settings, settings_path
from slotui.tui.terminal_safe import TerminalSafeFilter
from slotui.tui.themes import DEFAULT_THEME, IconSet, ThemeCatalog, load_catalog
from slotui.tui.widgets.list_table import NAV_BINDINGS
from slotui.tui.widgets.slo_table import RowModel, SLOTable, layout_for, sort_keys, status_width
from slotui.tui.widgets.sources import SourcesPanel, sources_table
from slotui.tui.widgets.summary import SummaryBar, SummaryState

Clock = Callable[[], float]
SORT_ORDER = ("status", "budget", "burn", "name")
TERMINAL_SAFE = TerminalSafeFilter()
#: lines of the sources panel (its max-height less the border)
SOURCES_ROWS = 7


# ------------------------------------------------------------------------------ worker results


@dataclass(frozen=True)
class ActionResult:
    """What an action worker hands back: a message for the user and fresh overlays."""

    message: str
    severity: str = "information"
    silences: tuple[SilenceView, ...] | None = None
    alerts: tuple[AlertView, ...] | None = None
    reload_notifications: bool = False


@dataclass(frozen=True)
class SilenceList:
    silences: tuple[SilenceView, ...]


@dataclass(frozen=True)
class NotificationList:
    notifications: tuple[NotificationView, ...]
    slo: str | None = None


class PartialRefresh(Message):
    """Posted from the backend thread (``post_message`` is thread-safe and does not wait): what a
    refresh has so far while a source is still fetching."""

    def __init__(self, snapshot: Snapshot, refresh: int) -> None:
        super().__init__()
        self.snapshot = snapshot
        #: which refresh it is of (SlotuiApp.refresh_started)
        self.refresh = refresh


# ------------------------------------------------------------------------------ main screen


class MainScreen(Screen[None]):
    """Header, filter box, the SLO table, the sources panel, footer."""

    BINDINGS = [
        Binding("slash", "app.filter", "Filter", id="slotui.filter"),
        Binding("s", "app.cycle_sort", "Sort", id="slotui.sort"),
        Binding("escape", "app.clear_filter", "Clear filter", show=False, id="slotui.clear_filter"),
    ]

    def compose(self) -> ComposeResult:
        yield SummaryBar(id="summary")
        yield Input(placeholder="filter by name or label (key=value); Enter to apply, Esc to clear", id="filter")
        yield SLOTable(id="slos")
        yield Static("", id="empty", markup=False)  # it repeats the filter as typed
        yield SourcesPanel(id="sources")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SLOTable).focus()

    def on_resize(self, event: Resize) -> None:
        self.app.relayout()  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ the app


class SlotuiApp(App[None]):
    """The live SLO table. Construct with :func:`make_app`."""

    CSS_PATH = "slotui.tcss"
    TITLE = "slotui"
    COMMANDS = App.COMMANDS | {SlotuiCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="slotui.help"),
        Binding("m", "toggle_mute", "Mute", id="slotui.mute"),
        # the same key while the selected SLO is muted: the footer says what m will do
        # (check_action shows one of the two; a keymap for slotui.mute moves both)
        Binding("m", "unmute", "Unmute", id="slotui.unmute"),
        Binding("z", "snooze", "Snooze", id="slotui.snooze"),
        Binding("t", "test_alert", "Test alert", id="slotui.test_alert"),
        Binding("a", "acknowledge", "Ack", id="slotui.ack"),
        Binding("S", "silences", "Silences", id="slotui.silences"),
        Binding("l", "alert_log", "Alert log", id="slotui.alert_log"),
        Binding("e", "toggle_sources", "Sources", show=False, id="slotui.sources"),
        Binding("r", "refresh", "Refresh", show=False, id="slotui.refresh"),
        Binding("p", "toggle_pause", "Pause", id="slotui.pause"),
        # the same key while paused: the footer says what p will do
        Binding("p", "resume", "Resume", id="slotui.resume"),
        Binding("q", "quit", "Quit", id="slotui.quit"),
        # k9s quits on ctrl+c too (Textual's default only says "press q"); in the filter box
        # ctrl+c copies the selection when there is one (the focused widget's binding comes first)
        Binding("ctrl+c", "quit", "Quit", show=False, id="slotui.quit_ctrl_c"),
        # read-only (`serve` without --allow-actions, `tui --read-only`): the footer does not offer
        # what would change state; the keys still answer, with the refusal and the flag that allows it
        Binding("m", "read_only_key('toggle_mute')", show=False, id="slotui.read_only_mute"),
        Binding("z", "read_only_key('snooze')", show=False, id="slotui.read_only_snooze"),
        Binding("t", "read_only_key('test_alert')", show=False, id="slotui.read_only_test_alert"),
        Binding("a", "read_only_key('acknowledge')", show=False, id="slotui.read_only_ack"),
    ]
    #: actions that act on the selected SLO: disabled while a dialog is open; each changes state, so
    #: none is offered in the footer when read-only (see read_only_key)
    SLO_ACTIONS = frozenset({"toggle_mute", "unmute", "snooze", "test_alert", "acknowledge"})

    def _fatal_error(self) -> None:
        """The crash report printed when the TUI exits on an unexpected error.

        Textual's own shows every frame's local variables: a webhook URL, a token in a header
        dict, the config's set of secrets. This one shows the frames and the error, without
        locals, its message through the config's redactor (URLs masked when there is none).
        """
        import sys

        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        exc_type, exc_value, tb = sys.exc_info()
        if exc_value is None and self._exception is not None:
            exc_type, exc_value, tb = type(self._exception), self._exception, self._exception.__traceback__
        redact = self.redact
        self.bell()
        if exc_type is not None and exc_value is not None:
            trace = Traceback.extract(exc_type, exc_value, tb, show_locals=False)
            for stack in trace.stacks:
                stack.exc_value = redact(stack.exc_value)
            report = Traceback(trace, width=None, suppress=[rich])
            self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    def redact(self, text: str) -> str:
        """``text`` with the config's secrets masked (URLs' secret parts when there is no config):
        for every error message the app shows or prints (a webhook URL in an exception, a token)."""
        from slotui.config.secrets import mask_urls_in_text

        engine = getattr(getattr(self.thread, "backend", None), "engine", None)
        redactor = getattr(engine, "redact", None) or mask_urls_in_text
        return str(redactor(text))

    def __init__(
        self,
        thread: BackendThread,
        *,
        clock: Clock = time.time,
        refresh_interval: float = 30.0,
        theme_name: str | None = None,
        icons_name: str | None = None,
        catalog: ThemeCatalog | None = None,
        keymap: Mapping[str, str] | None = None,
        author: str | None = None,
        poll: bool = True,
        problems: Sequence[str] = (),
        settings_file: str = "",
        read_only: bool = False,
    ) -> None:
        super().__init__()
        #: ``slotui serve`` without ``--allow-actions``: actions that change state are refused
        self.read_only = read_only
        self.thread = thread
        backend = thread.backend
        assert backend is not None
        self.specs: list[SLOSpec] = list(backend.specs)
        self.clock = clock
        self.refresh_interval = refresh_interval
        self.catalog = catalog or load_catalog()
        self.requested_theme = theme_name
        self.requested_icons = icons_name
        self.user_keymap = dict(keymap or {})
        self.author = author or _default_author()
        self.poll = poll
        self.problems = list(problems) + list(self.catalog.problems)
        self.settings_file = settings_file

        self.snapshot: Snapshot | None = None
        self.silences: tuple[SilenceView, ...] = ()
        self.alerts: tuple[AlertView, ...] = ()
        self.notifications: tuple[NotificationView, ...] = ()
        self.detail_notifications: dict[str, tuple[NotificationView, ...]] = {}
        self.filter_text = ""
        self.sort_key = "status"
        self.paused = False
        self.refreshing = False
        self.refresh_error: str | None = None
        self.refresh_count = 0
        self.show_sources: bool | None = None  # None: shown when a source fails
        self.palette = Palette({})
        self.icons: IconSet = self.catalog.icon_set(icons_name)
        self._timer: Timer | None = None
        self._refresh_again = False
        #: refreshes started so far (a partial snapshot names the one it is of)
        self.refresh_started = 0
        self.slotui_theme_names: list[str] = []
        for name, theme_file in self.catalog.themes.items():
            self.register_theme(theme_file.to_theme())
            self.slotui_theme_names.append(name)

    # ------------------------------------------------------------------ setup

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Built-in Textual themes lack slotui's status variables; these keep them usable.
        return {"slo-stale": "#B07CC6", "slo-no-data": "#8A8F98", "slo-at-risk": "#C9A227"}

    def notify(self, message: str, *, markup: bool = False, **kwargs: Any) -> None:  # type: ignore[override]
        """Toasts are plain text unless a caller asks for markup: they carry SLO names, errors
        and user input, which must show as written (a ``[/]`` was a MarkupError, ``[@click]`` an action)."""
        super().notify(message, markup=markup, **kwargs)

    def get_line_filters(self) -> Sequence[LineFilter]:
        # every line drawn, whatever widget and text it came from: no ESC or bidi reaches the terminal
        return [*super().get_line_filters(), TERMINAL_SAFE]

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen()

    def on_mount(self) -> None:
        if self.user_keymap:
            keymap = dict(self.user_keymap)
            if "slotui.mute" in keymap:
                keymap.setdefault("slotui.unmute", keymap["slotui.mute"])
            self.set_keymap(keymap)
        wanted = self.requested_theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.problems.append(
                f"theme {wanted!r} not found (themes: {', '.join(self.slotui_theme_names) or 'none'}); "
                f"using {DEFAULT_THEME if DEFAULT_THEME in self.available_themes else 'textual-dark'}"
            )
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self.theme = wanted
        self._apply_theme()
        for problem in self.problems:
            self.notify(problem, title="slotui settings", severity="error", timeout=15, markup=False)
        self.relayout()
        self.set_interval(1.0, self._update_summary)
        self.start_refresh()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.thread.close()

    def _on_theme_changed(self, theme: Any) -> None:
        self._apply_theme()

    def _apply_theme(self) -> None:
        self.palette = Palette.from_variables(self.get_css_variables())
        theme_file = self.catalog.themes.get(self.theme)
        if self.requested_icons is None:
            self.icons = self.catalog.icon_set(theme_file.icons if theme_file else None)
        table = self._table()
        if table is not None:
            table.palette = self.palette
            table.icons = self.icons
            table.invalidate()
            self.relayout()  # the status column fits this icon set's overlays
        self.render_state()

    def set_theme(self, name: str) -> None:
        """Switch theme (command palette ``Theme: ...``)."""
        if name not in self.available_themes:
            self.notify(f"no theme named {name!r}", severity="error", markup=False)
            return
        self.theme = name

    def set_icons(self, name: str) -> None:
        """Switch icon set (``unicode`` / ``ascii``)."""
        self.requested_icons = name
        self.icons = self.catalog.icon_set(name)
        self._apply_theme()

    def set_refresh_interval(self, seconds: float) -> None:
        self.refresh_interval = float(seconds)
        self.notify(f"refreshing every {format_duration(seconds)}")
        if not self.refreshing and not self.paused:
            self._arm()
        self._update_summary()

    # ------------------------------------------------------------------ helpers

    def _main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _table(self) -> SLOTable | None:
        main = self._main()
        if main is None or not main.is_mounted:
            return None
        try:
            return main.query_one(SLOTable)
        except Exception:
            return None

    @property
    def selected_slo(self) -> str | None:
        """The SLO the actions apply to: the detail screen's, or the one under the table cursor."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, DetailScreen):
                return screen.slo
            if isinstance(screen, MainScreen):
                break
        table = self._table()
        return table.cursor_key if table is not None else None

    def silence_kind(self, slo: str) -> str | None:
        """``mute`` / ``snooze`` if an active silence covers this SLO (a mute wins)."""
        now = self.clock()
        kinds = {s.kind for s in self.silences if (s.slo == slo or slo in s.covers) and s.active(now)}
        return "mute" if "mute" in kinds else "snooze" if "snooze" in kinds else None

    def row_models(self) -> list[RowModel]:
        """Every shown row (filter applied) in display order (sort key applied)."""
        if self.snapshot is None:
            return []
        report = self.snapshot.report
        trends = self.snapshot.trends
        # sparklines drawn in the backend thread, if drawn for the trend column as it is now
        fresh = self.snapshot.trend_style is not None and self.snapshot.trend_style == self.trend_style()
        trend_cells = self.snapshot.trend_cells if fresh else {}
        acked = {a.slo for a in self.alerts if a.acked}
        models = []
        needle = self.filter_text.strip().lower()
        for result in report.results:
            spec = result.spec
            if needle and not _matches_filter(spec, result.status.value, needle):
                continue
            kind = self.silence_kind(spec.name)
            models.append(RowModel(
                result=result,
                muted=kind == "mute",
                snoozed=kind == "snooze",
                acked=spec.name in acked,
                source_error=report.source_errors.get(spec.source) or result.error,
                trend=trends.get(spec.name),
                trend_cell=trend_cells.get(spec.name),
            ))
        models.sort(key=sort_keys()[self.sort_key])
        return models

    # ------------------------------------------------------------------ rendering

    def relayout(self) -> None:
        table = self._table()
        if table is None:
            return
        main = self._main()
        if main is not None and main.query(SourcesPanel):
            # a short terminal: the panel takes at most half of what the header and footer leave,
            # so the table keeps rows (at 40x10 the panel hid every SLO)
            room = max(0, self.size.height - 3)
            main.query_one(SourcesPanel).styles.max_height = max(2, min(SOURCES_ROWS + 1, room // 2))
        width = table.size.width or self.size.width
        table.palette, table.icons = self.palette, self.icons
        if table.set_layout(layout_for(width, [s.name for s in self.specs], [s.source for s in self.specs],
                                       status=status_width(self.icons))):
            self.render_state()

    def render_state(self) -> None:
        """Push the current state into every visible widget (diffs only)."""
        table = self._table()
        if table is None or table.layout_spec is None:
            return
        models = self.row_models()
        with self.batch_update():
            table.sync(models)
            main = self._main()
            assert main is not None
            empty = main.query_one("#empty", Static)  # composed with the table, which exists here
            if self.snapshot is not None and not models:
                empty.update(f"No SLO matches the filter {self.filter_text!r} (Esc clears it)."
                             if self.filter_text else "No SLOs configured.")
                empty.add_class("-visible")
            else:
                empty.remove_class("-visible")
            self._update_summary()
            self._update_sources()
            self._update_detail()
        self.refresh_bindings()  # m: Mute or Unmute

    def _summary_state(self) -> SummaryState:
        snap = self.snapshot
        shown = self._table().row_count if self._table() is not None else 0  # type: ignore[union-attr]
        now = self.clock()
        return SummaryState(
            report=snap.report if snap else None,
            refreshed_at=snap.report.evaluated_at if snap else None,
            now=now,
            firing=sum(1 for a in self.alerts if a.state == "firing" and not a.inhibited),
            silences=sum(1 for s in self.silences if s.active(now)),
            paused=self.paused,
            refreshing=self.refreshing,
            sort_key=self.sort_key,
            filter_text=self.filter_text,
            shown=shown,
            error=self.refresh_error,
            interval=self.refresh_interval,
        )

    def _update_summary(self) -> None:
        # Called by a 1 s timer too: it must never raise (a timer exception ends the app),
        # e.g. while the screen is still composing or already tearing down.
        main = self._main()
        if main is None or not main.is_mounted:
            return
        bars = main.query(SummaryBar)
        if bars:
            bars.first().show(self._summary_state(), self.palette)

    def _update_sources(self) -> None:
        main = self._main()
        if main is None or self.snapshot is None or not main.query(SourcesPanel):
            return
        panel = main.query_one(SourcesPanel)
        report = self.snapshot.report
        counts: dict[str, int] = {}
        for spec in self.specs:
            counts[spec.source] = counts.get(spec.source, 0) + 1
        failing = bool(report.source_errors) or any(not h.ok for h in self.snapshot.health.values())
        visible = failing if self.show_sources is None else self.show_sources
        panel.set_class(visible, "-visible")
        panel.set_class(not failing, "-healthy")
        if visible:
            panel.update(sources_table(self.snapshot.health, counts, report.source_errors, self.icons,
                                       self.palette, self.clock(), max_rows=SOURCES_ROWS))

    def _detail_data(self, slo: str) -> DetailData | None:
        if self.snapshot is None:
            return None
        result = next((r for r in self.snapshot.report.results if r.spec.name == slo), None)
        if result is None:
            return None
        now = self.clock()
        return DetailData(
            result=result,
            source_error=self.snapshot.report.source_errors.get(result.spec.source) or result.error,
            silences=tuple(s for s in self.silences if (s.slo == slo or slo in s.covers) and s.active(now)),
            alerts=tuple(a for a in self.alerts if a.slo == slo),
            notifications=self.detail_notifications.get(slo, ()),
            now=now,
        )

    def _update_detail(self) -> None:
        screen = self.screen
        if isinstance(screen, DetailScreen):
            data = self._detail_data(screen.slo)
            if data is not None:
                screen.show(data, self.palette, self.icons)

    # ------------------------------------------------------------------ refresh loop

    def start_refresh(self) -> None:
        """Start one refresh unless one is running (then another follows it)."""
        if self.refreshing:
            self._refresh_again = True
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.refreshing = True
        self._update_summary()
        now = self.clock()
        self.refresh_started += 1
        refresh = self.refresh_started

        trend = self.trend_style()

        def partial(snap: Snapshot) -> None:  # (in the backend thread)
            self.post_message(PartialRefresh(prepare_snapshot(snap, trend), refresh))

        async def call(b: Backend) -> Snapshot:
            return prepare_snapshot(await b.refresh(now, partial=partial), trend)

        self.run_worker(self.thread.call(call), name="refresh", group="refresh", exit_on_error=False)

    def trend_style(self) -> TrendStyle | None:
        """The trend column as drawn now (None in the compact layout, which has none)."""
        table = self._table()
        layout = table.layout_spec if table is not None else None
        if layout is None or layout.compact:
            return None
        return TrendStyle(layout.trend_width, self.palette["success"], self.palette["error"], self.icons.spark)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.poll and not self.paused:
            self._timer = self.set_timer(self.refresh_interval, self.start_refresh, name="next-refresh")

    def on_partial_refresh(self, message: PartialRefresh) -> None:
        """The rows of the sources that answered, while another one is still fetching (its rows
        stay as the last refresh left them; the refresh goes on)."""
        snap = message.snapshot
        if not self.refreshing or message.refresh != self.refresh_started:
            return  # (its refresh ended: the whole snapshot was applied)
        self.snapshot = snap
        if {s.name for s in self.specs} != {r.spec.name for r in snap.report.results}:
            self.specs = [r.spec for r in snap.report.results]
            self.relayout()
        self.render_state()

    def apply_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.silences = snap.silences
        self.alerts = snap.alerts
        self.refresh_error = None
        self.refresh_count += 1
        if {s.name for s in self.specs} != {r.spec.name for r in snap.report.results}:
            self.specs = [r.spec for r in snap.report.results]
            self.relayout()
        self.render_state()
        if isinstance(self.screen, DetailScreen):
            self.load_detail_notifications(self.screen.slo)
        elif isinstance(self.screen, AlertLogScreen):
            self.reload_notifications()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes are applied and worker errors reported."""
        worker, state = event.worker, event.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "refresh":
            self.refreshing = False
            if state == WorkerState.SUCCESS and isinstance(worker.result, Snapshot):
                self.apply_snapshot(worker.result)
            elif state == WorkerState.ERROR:
                self.refresh_error = self.redact(_describe(worker.error))
                self.notify(f"refresh failed: {self.refresh_error}", severity="error", markup=False)
                self._update_summary()
            if self._refresh_again:
                self._refresh_again = False
                self.start_refresh()
            else:
                self._arm()
                self._update_summary()
            return
        if state == WorkerState.ERROR:
            self.notify(f"{worker.name or 'action'} failed: {self.redact(_describe(worker.error))}", severity="error",
                        timeout=10, markup=False)
            return
        if state != WorkerState.SUCCESS:
            return
        result = worker.result
        if isinstance(result, ActionResult):
            if result.silences is not None:
                self.silences = result.silences
            if result.alerts is not None:
                self.alerts = result.alerts
            self.notify(self.redact(result.message), severity=result.severity, markup=False,  # type: ignore[arg-type]
                        timeout=8 if result.severity == "error" else 4)
            self.render_state()
            if isinstance(self.screen, SilencesScreen):
                self.reload_silences()
            if result.reload_notifications or isinstance(self.screen, AlertLogScreen):
                self.reload_notifications()
                if isinstance(self.screen, DetailScreen):
                    self.load_detail_notifications(self.screen.slo)
        elif isinstance(result, SilenceList):
            for screen in self.screen_stack:
                if isinstance(screen, SilencesScreen):
                    screen.show(result.silences, self.clock())
        elif isinstance(result, NotificationList):
            if result.slo is None:
                self.notifications = result.notifications
                for screen in self.screen_stack:
                    if isinstance(screen, AlertLogScreen):
                        screen.show(result.notifications, self.palette)
            else:
                self.detail_notifications[result.slo] = result.notifications
                self._update_detail()

    # ------------------------------------------------------------------ backend calls

    def _run(self, coro: Any, name: str) -> None:
        self.run_worker(coro, name=name, group="actions", exit_on_error=False)

    async def _overlays(self, b: Backend, now: float) -> tuple[tuple[SilenceView, ...], tuple[AlertView, ...]]:
        return tuple(await b.silences(now)), tuple(await b.alerts(now))

    def _refused(self, name: str) -> bool:
        """True (and says why) when the app is read-only and ``name`` would change state."""
        if self.read_only:
            # in a browser this is `slotui serve` (read-only unless --allow-actions); in a terminal
            # `slotui tui --read-only`, which has no --allow-actions
            how = "serve with --allow-actions" if self.is_web else "run slotui tui without --read-only"
            self.notify(f"read-only: {name} is off here ({how} to allow it)", severity="warning")
        return self.read_only

    def _do(self, name: str, op: Callable[[Backend, float], Any],
            message: Callable[[Any], tuple[str, str]], *, reload_notifications: bool = False) -> None:
        """Run ``op(backend, now)`` in the backend thread, then re-read silences and alerts."""
        if self._refused(name):
            return
        now = self.clock()

        async def call(b: Backend) -> ActionResult:
            value = await op(b, now)
            silences, alerts = await self._overlays(b, now)
            text, severity = message(value)
            return ActionResult(text, severity, silences, alerts, reload_notifications)

        self._run(self.thread.call(call), name)

    def reload_silences(self) -> None:
        include = any(isinstance(s, SilencesScreen) and s.include_expired for s in self.screen_stack)
        now = self.clock()

        async def call(b: Backend) -> SilenceList:
            return SilenceList(tuple(await b.silences(now, include_expired=include)))

        self._run(self.thread.call(call), "load silences")

    def reload_notifications(self) -> None:
        async def call(b: Backend) -> NotificationList:
            return NotificationList(tuple(await b.notifications(limit=200)))

        self._run(self.thread.call(call), "load alert log")

    def load_detail_notifications(self, slo: str) -> None:
        async def call(b: Backend) -> NotificationList:
            return NotificationList(tuple(await b.notifications(limit=20, slo=slo)), slo=slo)

        self._run(self.thread.call(call), "load alert history")

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "read_only_key":
            return self.read_only and self._allowed_on(str(parameters[0]), self.screen)
        if self.read_only and action in self.SLO_ACTIONS:
            return False  # (its key goes to read_only_key: the refusal is said, the footer is quiet)
        if not self._allowed_on(action, self.screen):
            return False
        if action in ("toggle_mute", "unmute"):
            slo = self.selected_slo
            muted = slo is not None and self.silence_kind(slo) == "mute"
            return muted if action == "unmute" else not muted  # one m in the footer: Mute or Unmute
        if action in ("toggle_pause", "resume"):
            return self.paused if action == "resume" else not self.paused  # one p: Pause or Resume
        return True

    @on(DataTable.RowHighlighted, "#slos")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # Mute / Unmute follows the cursor

    def _allowed_on(self, action: str, screen: Screen[Any]) -> bool:
        """Whether an app key works on ``screen`` (what check_action and the help both go by)."""
        if action in self.SLO_ACTIONS and isinstance(screen, (ModalScreen, SilencesScreen, AlertLogScreen,
                                                              ReplayScreen)):
            return False  # no SLO is selected there (the replay covers them all; a dialog is modal)
        if action == "toggle_sources" and not isinstance(screen, MainScreen):
            return False  # the sources panel is the main screen's: from another it toggled something unseen
        return True

    def action_read_only_key(self, action: str) -> None:
        """A state-changing key pressed while read-only: its action says why it is off."""
        getattr(self, f"action_{action}")()

    def _require_slo(self) -> str | None:
        slo = self.selected_slo
        if slo is None:
            self.notify("no SLO selected", severity="warning")
        return slo

    def action_toggle_mute(self) -> None:
        """Mute the selected SLO; unmute it when muted. A snoozed SLO becomes muted: its
        snooze ends and a mute replaces it (a key labelled Mute never lifts a silence)."""
        slo = self._require_slo()
        if slo is None:
            return
        kind = self.silence_kind(slo)
        if kind == "mute":
            self._do(f"unmute {slo}", lambda b, now: b.unsilence(slo, now=now),
                     lambda ids: (f"{slo}: {len(ids)} silence(s) lifted" if ids else
                                  f"{slo}: silenced by a broader silence; expire it in the silences screen (S)",
                                  "information" if ids else "warning"))
        elif kind == "snooze":
            async def snooze_to_mute(b: Backend, now: float) -> tuple[list[str], SilenceView]:
                ended = await b.unsilence(slo, now=now)  # its own snoozes (a broader one stays)
                return ended, await b.mute(slo, author=self.author, comment=MUTE_COMMENT, now=now)

            self._do(f"mute {slo}", snooze_to_mute,
                     lambda r: (f"{slo} muted until lifted (silence {r[1].id[:8]}); "
                                + ("its snooze ended" if r[0] else "a broader snooze still matches it"),
                                "information"))
        else:
            self._do(f"mute {slo}",
                     lambda b, now: b.mute(slo, author=self.author, comment=MUTE_COMMENT, now=now),
                     lambda s: (f"{slo} muted until lifted (silence {s.id[:8]})", "information"))

    def action_unmute(self) -> None:
        """m while the selected SLO is muted (the footer says Unmute)."""
        self.action_toggle_mute()

    def action_snooze(self) -> None:
        slo = self._require_slo()
        if slo is None or self._refused("snooze"):
            return

        def done(request: SnoozeRequest | None) -> None:
            if request is None or request.duration is None:
                return
            duration = request.duration
            comment = request.comment or f"snoozed for {format_duration(duration)} from the slotui TUI"
            self._do(f"snooze {slo}",
                     lambda b, now: b.snooze(slo, duration, author=self.author, comment=comment, now=now),
                     lambda s: (f"{slo} snoozed for {format_duration(duration)} (silence {s.id[:8]})",
                                "information"))

        self.push_screen(SnoozeDialog(f"Snooze {slo}: silence its alerts for", now=self.clock()), done)

    def action_test_alert(self) -> None:
        slo = self._require_slo()
        if slo is None or self._refused("test alert"):
            return

        def done(yes: bool | None) -> None:
            if not yes:
                return
            self._do(f"test alert {slo}", lambda b, now: b.fire_test_alert(slo, now=now),
                     _test_message, reload_notifications=True)

        kind = self.silence_kind(slo)
        held = (f" {slo} is {'muted' if kind == 'mute' else 'snoozed'}: its real alerts are held, "
                "the test goes out anyway." if kind else "")
        self.push_screen(ConfirmDialog(
            f"Fire a TEST alert for {slo}?",
            detail="A clearly marked [TEST] notification goes through this SLO's real routes; "
                   "the delivery result shows here and in the alert log (l)." + held,
            yes="Send test", no="Cancel"), done)

    def action_acknowledge(self) -> None:
        slo = self._require_slo()
        if slo is None:
            return
        self._do(f"acknowledge {slo}", lambda b, now: b.acknowledge(slo, author=self.author, now=now),
                 lambda n: (f"{slo}: acknowledged {n} firing alert(s)" if n else f"{slo}: no firing alert to acknowledge",
                            "information" if n else "warning"), reload_notifications=True)

    def expire_silence(self, silence: SilenceView) -> None:
        self._do(f"expire silence {silence.id[:8]}", lambda b, now: b.expire_silence(silence.id, now=now),
                 lambda _: (f"silence {silence.id[:8]} ({silence.matchers}) expired", "information"))

    def edit_silence(self, silence: SilenceView) -> None:
        if self._refused("edit silence"):
            return
        now = self.clock()
        left = None if silence.ends_at is None else max(60.0, silence.ends_at - now)

        def done(request: SnoozeRequest | None) -> None:
            if request is None:
                return
            ends = None if request.duration is None else self.clock() + request.duration
            if (left is not None and request.duration is not None
                    and format_duration(request.duration) == format_duration(left)):
                # the pre-filled duration, saved as shown: the end stays (the shown one is rounded, and the
                # clock has moved on: every save without an edit cut up to a minute off the silence)
                ends = silence.ends_at
            self._do(f"edit silence {silence.id[:8]}",
                     lambda b, t: b.edit_silence(silence.id, ends_at=ends, comment=request.comment or silence.comment,
                                                 author=self.author, now=t),
                     lambda s: (f"silence on {s.matchers} now "
                                + ("until lifted" if s.ends_at is None else f"ends in {format_duration(s.ends_at - now)}"),
                                "information"))

        self.push_screen(SnoozeDialog(f"Edit silence {silence.id[:8]} on {silence.matchers}: ends in",
                                      duration=left, comment=silence.comment, allow_mute=True,
                                      submit_label="Save", now=now), done)

    def action_silences(self) -> None:
        if not isinstance(self.screen, SilencesScreen):
            self.push_screen(SilencesScreen())

    def action_alert_log(self) -> None:
        if not isinstance(self.screen, AlertLogScreen):
            self.push_screen(AlertLogScreen())

    def action_replay(self) -> None:
        loaded = getattr(getattr(self.thread.backend, "engine", None), "loaded", None)
        if loaded is None:
            self.notify("replay needs an SLO file", severity="warning")
            return
        state = getattr(getattr(self.thread.backend, "store", None), "path", None)
        self.push_screen(ReplayScreen(loaded, self.clock(), state=state))

    def action_open_detail(self) -> None:
        slo = self.selected_slo
        if slo is not None:
            self.open_detail(slo)

    def open_detail(self, slo: str) -> None:
        backend = self.thread.backend
        loaded = getattr(getattr(backend, "engine", None), "loaded", None)
        state = getattr(getattr(backend, "store", None), "path", None)
        screen = DetailScreen(slo, loaded=loaded, state=state, now=self.clock())
        data = self._detail_data(slo)
        if data is not None:
            screen.data = data
        self.push_screen(screen)
        self.load_detail_notifications(slo)

    @on(DataTable.RowSelected, "#slos")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_detail(str(event.row_key.value))

    def action_refresh(self) -> None:
        self.start_refresh()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if self.paused:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self.notify("refreshing paused (p resumes, r refreshes once)")
        else:
            self.notify("refreshing resumed")
            self.start_refresh()
        self.refresh_bindings()  # p: Pause or Resume
        self._update_summary()

    def action_resume(self) -> None:
        self.action_toggle_pause()

    def action_toggle_sources(self) -> None:
        main = self._main()
        if main is None or self.screen is not main:
            return
        visible = main.query_one(SourcesPanel).has_class("-visible")
        self.show_sources = not visible
        self._update_sources()
        if not self.show_sources:
            main.query_one(SourcesPanel).remove_class("-visible")

    def action_cycle_sort(self) -> None:
        self.sort_key = SORT_ORDER[(SORT_ORDER.index(self.sort_key) + 1) % len(SORT_ORDER)]
        self.render_state()

    def action_filter(self) -> None:
        main = self._main()
        if main is None or self.screen is not main:
            return
        box = main.query_one("#filter", Input)
        box.add_class("-visible")
        box.focus()

    def action_clear_filter(self) -> None:
        main = self._main()
        if main is None:
            return
        box = main.query_one("#filter", Input)
        box.value = ""
        box.remove_class("-visible")
        self.filter_text = ""
        main.query_one(SLOTable).focus()
        self.render_state()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.render_state()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        main = self._main()
        if main is None:
            return
        if not event.value.strip():
            self.action_clear_filter()
            return
        main.query_one("#filter", Input).remove_class("-visible")
        main.query_one(SLOTable).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_help(), self.icons, self.settings_file))

    def binding_help(self, screen: Screen[Any] | None = None) -> list[tuple[str, str, str]]:
        """(key as bound now, description, binding id) for every key that works on ``screen``
        (the current one by default), user keymap applied: the screen's own keys, its table's,
        then the app's that it allows (the SLO actions are off on the silences and alert log)."""
        screen = screen or self.screen
        keymap = getattr(self, "_keymap", {}) or {}
        rows: list[tuple[str, str, str]] = []
        taken: set[str] = set()  # a screen's key hides the app's (e: Edit, not Sources, in the silences)

        def add(bindings: Sequence[Any]) -> None:
            for binding in bindings:
                assert isinstance(binding, Binding)
                key = keymap.get(binding.id or "", binding.key)
                keys = {k.strip() for k in key.split(",")}
                if keys <= taken:
                    continue
                taken.update(keys)
                shown = ", ".join(self.get_key_display(Binding(k.strip(), binding.action)) for k in key.split(","))
                rows.append((shown, binding.description or binding.action, binding.id or ""))

        add(type(screen).BINDINGS)
        tables = list(screen.query(DataTable))
        if tables:
            if isinstance(screen, MainScreen):
                rows.append(("enter", "detail view", "datatable.select"))
            rows.append(("↑, ↓", "Up, Down", "datatable.cursor"))
            if all(b in type(tables[0]).BINDINGS for b in NAV_BINDINGS):
                add(NAV_BINDINGS)
        rows.append(("ctrl+p", "command palette", "app.command_palette"))
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if not self._allowed_on(binding.action, screen):
                continue
            add([binding])
        return rows


# ------------------------------------------------------------------------------ helpers


@dataclass(frozen=True)
class TrendStyle:
    """How the trend column is drawn right now (its width, the theme's colours, the glyphs)."""

    width: int
    good: str
    bad: str
    levels: str


def prepare_snapshot(snap: Snapshot, trend: TrendStyle | None = None) -> Snapshot:
    """Precompute what would be costly on the event loop (runs in the backend thread).

    Reduces each SLO's history to a few dozen worst-of-bucket points and, given
    the trend column's current ``trend`` style, draws the sparkline cells too.
    """
    from dataclasses import replace

    from slotui.tui.cells import spark_text, trend_points

    trends = dict(snap.trends) or {r.spec.name: trend_points(r) for r in snap.report.results}
    cells: dict[str, Any] = {}
    if trend is not None and trend.width > 0:
        directions = {r.spec.name: r.spec.direction == "lower_is_better" for r in snap.report.results}
        for name, points in trends.items():
            if points:
                cells[name] = spark_text(points, trend.width, lower_is_better=directions[name],
                                         good=trend.good, bad=trend.bad, levels=trend.levels)
    return replace(snap, trends=trends, trend_cells=cells, trend_style=trend)


def _matches_filter(spec: SLOSpec, status: str, needle: str) -> bool:
    """Name substring, ``key=value`` label match, label value substring, or status."""
    if needle in spec.name.lower():
        return True
    if "=" in needle:
        key, _, value = needle.partition("=")
        labels = {k.lower(): str(v).lower() for k, v in spec.labels.items()}
        labels.setdefault("source", spec.source.lower())
        return labels.get(key.strip()) == value.strip()
    if any(needle in str(v).lower() for v in spec.labels.values()):
        return True
    return needle == status.lower() or needle == spec.source.lower()


def _test_message(outcomes: Sequence[TestOutcome]) -> tuple[str, str]:
    ok, text = summarize_outcomes(outcomes)
    return (("test alert delivered: " if ok else "test alert: ") + text, "information" if ok else "error")


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _default_author() -> str:
    try:
        return os.environ.get("SLOTUI_AUTHOR") or getpass.getuser() or "slotui"
    except Exception:
        return "slotui"


# ------------------------------------------------------------------------------ factory


def make_app(
    engine: Any = None,
    *,
    backend: Backend | Callable[[], Backend] | None = None,
    store: Any = None,
    clock: Clock | None = None,
    refresh: float | None = None,
    theme: str | None = None,
    icons: str | None = None,
    keymap: Mapping[str, str] | None = None,
    settings: TuiSettings | None = None,
    theme_dirs: Sequence[Path] | None = None,
    author: str | None = None,
    poll: bool = True,
    read_only: bool = False,
) -> SlotuiApp:
    """The one way to build the app (CLI, tests, bench).

    Give either ``engine`` (an :class:`slotui.engine.Engine`-like object with
    ``tick``/``health``/``specs``; wrapped in an
    :class:`~slotui.tui.engine_backend.EngineBackend` over ``store``) or
    ``backend`` (a :class:`~slotui.tui.backend.Backend`, or a factory called in
    the backend thread). ``clock`` pins "now" (tests, screenshots);
    ``refresh``, ``theme``, ``icons`` and ``keymap`` override the settings
    file (``settings``; read from the user's config dir when None).
    ``poll=False`` refreshes once and then only on ``r``. ``read_only``
    refuses mute, snooze, acknowledge, test alerts and silence edits (``slotui serve``).
    """
    if settings is None:
        settings = load_settings()
    if backend is None:
        if engine is None:
            raise TypeError("make_app needs an engine or a backend")
        if isinstance(engine, Backend):
            backend = engine
        else:
            from slotui.tui.engine_backend import EngineBackend

            eng = engine
            backend = (lambda: EngineBackend(eng(), store=store)) if callable(eng) and not hasattr(eng, "tick") \
                else (lambda: EngineBackend(eng, store=store))
    thread = BackendThread(backend)
    thread.start()
    interval = refresh or settings.refresh or _config_interval(thread.backend) or 30.0
    catalog = load_catalog(list(theme_dirs) if theme_dirs is not None else None)
    path = settings.path or settings_path()
    return SlotuiApp(
        thread,
        clock=clock or time.time,
        refresh_interval=interval,
        theme_name=theme or settings.theme,
        icons_name=icons or settings.icons,
        catalog=catalog,
        keymap={**settings.keymap, **(keymap or {})},
        author=author,
        poll=poll,
        problems=settings.problems,
        settings_file=str(path) if path else "(no config dir)",
        read_only=read_only,
    )


def _config_interval(backend: Any) -> float | None:
    interval = getattr(backend, "interval", None)
    return float(interval) if interval else None
