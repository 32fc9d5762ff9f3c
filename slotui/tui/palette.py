"""Command palette provider: every action of the app, every theme, icon set and SLO."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

if TYPE_CHECKING:
    from slotui.tui.app import SlotuiApp

REFRESH_CHOICES = (5.0, 15.0, 30.0, 60.0, 300.0)


class SlotuiCommands(Provider):
    """Actions on the selected SLO, screens, sort, pause, refresh interval, themes, icons, open SLO."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: SlotuiApp = self.app  # type: ignore[assignment]
        slo = app.selected_slo or "the selected SLO"
        cmds: list[tuple[str, Callable[[], object], str]] = [
            (f"Mute / unmute {slo}", app.action_toggle_mute, "silence until lifted, or lift the silence"),
            (f"Snooze {slo}…", app.action_snooze, "silence for 15m / 1h / 4h / 1d / custom, with a comment"),
            (f"Fire test alert for {slo}…", app.action_test_alert, "send a TEST notification through its routes"),
            (f"Acknowledge {slo}", app.action_acknowledge, "stop repeat notifications until it resolves"),
        ] if app._allowed_on("toggle_mute", self.screen) else []  # no SLO is selected on that screen
        cmds += [
            ("Open detail view", app.action_open_detail, "chart, burn rates, budget, alerts, silences"),
            ("Silences", app.action_silences, "list, edit and expire silences"),
            ("Alert log", app.action_alert_log, "notifications with delivery status"),
            ("Replay last 30 days", app.action_replay, "episodes and notifications the alerts would have sent"),
            ("Sources panel", app.action_toggle_sources, "health and errors of every source"),
            ("Refresh now", app.action_refresh, "fetch and evaluate now"),
            ("Pause / resume refreshing", app.action_toggle_pause, ""),
            ("Cycle sort key", app.action_cycle_sort, "status, budget, burn, name"),
            ("Filter SLOs", app.action_filter, "by name or label (key=value)"),
            ("Clear filter", app.action_clear_filter, ""),
            ("Help", app.action_help, "keys and icons"),
            ("Quit", app.action_quit, ""),
        ]
        for seconds in REFRESH_CHOICES:
            label = f"{int(seconds)}s" if seconds < 60 else f"{int(seconds // 60)}m"
            cmds.append((f"Refresh interval: {label}", partial(app.set_refresh_interval, seconds), ""))
        for name in app.slotui_theme_names:
            cmds.append((f"Theme: {name}", partial(app.set_theme, name), "from themes/"))
        for name in app.catalog.icons:
            cmds.append((f"Icons: {name}", partial(app.set_icons, name), "status glyphs"))
        for spec in app.specs:
            cmds.append((f"Open SLO: {spec.name}", partial(app.open_detail, spec.name), spec.description))
        return cmds

    # Prompts and help are Content, never markup strings: an SLO name or description such as
    # "p95 [ms]" or "[@click=app.quit]" is shown as written (a str would be parsed as markup:
    # a MarkupError ended the app, a [@click] ran an action).

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            if name.startswith(("Open SLO:", "Theme:", "Icons:", "Refresh interval:")):
                continue
            yield DiscoveryHit(Content(name), callback, text=name, help=_literal(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, _highlight(matcher, name), callback, text=name, help=_literal(help_text))


def _literal(text: str) -> Any:
    """Help text as literal Content (typed ``str`` by Textual, which parses a str as markup)."""
    return Content(text) if text else None


def _highlight(matcher: Matcher, name: str) -> Content:
    """``name`` as written, with the fuzzy match's characters styled (Textual's ``Matcher.highlight``
    parses ``name`` as markup first)."""
    content = Content(name)
    score, offsets = matcher.fuzzy_search.match(matcher.query, name)
    if score:
        for offset in offsets:
            if not name[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
