"""Text from the SLO file, from data and from the user reaches the screen as written.

Markup: an SLO name, description, label value, filter or custom duration holding ``[/]``,
``[bold]`` or ``[@click=app.quit]`` is shown literally: never a MarkupError that ends the
app, never an action run by a click. Terminal: no ESC, BEL, C1 control or bidi character
from any text (a source's error, a receiver's error, a theme's glyph) reaches the terminal.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SIZE, screen_text
from rich.segment import Segment
from rich.style import Style
from test_breakdown_view import BreakdownEngine
from test_replay_screen import incidents, replayed
from test_snapshots import settle
from textual.color import Color
from tui_fakes import FakeEngine, spec

from slotui.config.loader import load_config
from slotui.core.types import Status
from slotui.engine import Engine
from slotui.tui.backend import NotificationView
from slotui.tui.screens.alert_log import AlertLogScreen
from slotui.tui.screens.detail import DetailScreen
from slotui.tui.screens.help import help_renderable
from slotui.tui.terminal_safe import TerminalSafeFilter
from slotui.tui.themes import BUILTIN_ASCII

pytestmark = pytest.mark.tui

#: unbalanced closing tags, a link, an action and a template variable
EVIL = "p95 [ms] [/] [@click=app.quit]q[/] [link=http://x]L $var"
EVIL_DESC = "desc [red]r[/red] [/] $x"


def evil_engine() -> FakeEngine:
    specs = [replace(spec(EVIL, labels={"team": "[@click=app.quit]v[/]"}, runbook="https://runbooks.example/a"),
                     description=EVIL_DESC),
             spec("plain")]
    return FakeEngine(specs, statuses={EVIL: (Status.CRITICAL, 0.5, -0.2, 20.0)})


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press({"[": "left_square_bracket", "]": "right_square_bracket", "/": "slash", " ": "space",
                           "@": "at", "=": "equals_sign", "$": "dollar_sign", ".": "full_stop"}.get(ch, ch))


async def test_command_palette_shows_markup_in_slo_names_and_descriptions_as_written(build):
    app = build(evil_engine())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.selected_slo == EVIL  # CRITICAL: first row; the palette's SLO actions name it
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        text = screen_text(app)
        assert f"Mute / unmute {EVIL}" in text  # discovery hits (empty query)
        await type_text(pilot, "Open")
        await settle(app, pilot)
        text = screen_text(app)
        assert f"Open SLO: {EVIL}" in text
        assert EVIL_DESC in text
        assert app.is_running and app._exception is None


async def test_filter_with_markup_shows_the_no_match_line_as_typed(build):
    app = build(evil_engine())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "[/]zz")
        await settle(app, pilot)
        assert app.filter_text == "[/]zz"
        assert "No SLO matches the filter '[/]zz' (Esc clears it)." in screen_text(app)
        await pilot.press("backspace", "backspace")
        await settle(app, pilot)
        # "[/]" matches the evil name's "[/]"
        assert app.screen_stack[0].query_one("#slos").order == [EVIL]


async def test_toasts_show_slo_names_as_written(build):
    app = build(evil_engine(), read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("m")  # read-only: the refusal names the SLO
        await settle(app, pilot)
        toasts = [str(t.render()) for t in app.screen.query("Toast")]
        assert any(f"read-only: mute {EVIL} is off here" in t for t in toasts), toasts
        assert app.is_running


async def test_detail_breakdown_rows_show_label_values_from_data_as_written(build):
    engine = BreakdownEngine()
    from test_breakdown_view import GROUPS
    from slotui.core.types import GroupData

    groups = dict(GROUPS)
    groups["response_time_p95_ms"] = (GroupData("route", 3600.0, values={
        "/chat": [1000.0, 1250.0, 1500.0, 1750.0, 2000.0], "[/][@click=app.quit]x": [4000.0, 6000.0, 8000.0]}),)
    import test_breakdown_view

    saved = test_breakdown_view.GROUPS
    test_breakdown_view.GROUPS = groups
    try:
        app = build(engine)
        async with app.run_test(size=(140, 60)) as pilot:
            await settle(app, pilot)
            app.open_detail("response_time_p95_ms")
            await settle(app, pilot)
            assert isinstance(app.screen, DetailScreen)
            assert "route=[/][@click=app.quit]x" in screen_text(app)
            assert app.is_running
    finally:
        test_breakdown_view.GROUPS = saved


async def test_detail_view_shows_name_description_and_labels_as_written(build):
    app = build(evil_engine())
    async with app.run_test(size=(140, 60)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert f"{EVIL}  {EVIL_DESC}" in text
        assert "labels team=[@click=app.quit]v[/]" in text


async def test_replay_screen_shows_slo_names_as_written(build, clock, tmp_path: Path):
    path = incidents.write_incidents(tmp_path)
    path.write_text(path.read_text().replace("name: latency", "name: 'lat [/] [@click=app.quit]q'"))
    loaded = load_config(path)
    clock.now = incidents.T0 + 86400 + 120
    app = build(Engine(loaded))
    async with app.run_test(size=SIZE) as pilot:
        rows = await replayed(app, pilot)
        assert ["lat [/] [@click=app.quit]q", "critical", "2026-06-01T18:00:00Z", "2026-06-01T21:00:00Z", "3h"] in rows
        text = screen_text(app)
        assert "lat [/] [@click=app.quit]q: " in text  # the summary under the table
        assert app.is_running


def test_help_shows_theme_glyphs_as_written():
    from rich.console import Console

    icons = BUILTIN_ASCII.model_copy(update={"muted": "[/]", "status": {**BUILTIN_ASCII.status, "OK": "[b]"}})
    console = Console(width=140, record=True, file=None)
    with console.capture() as capture:
        console.print(help_renderable([("m", "Mute [x]", "slotui.mute")], icons, "/cfg"))
    out = capture.get()
    assert "[/]" in out and "[b]" in out and "Mute [x]" in out


# ------------------------------------------------------------------------------ terminal injection

ESCAPES = "\x1b]2;PWNED\x07 \x1b[2J \x9b31m \u202egnp.exe \r"


def test_filter_drops_control_and_bidi_characters_keeping_cell_widths():
    segments = [Segment("a\x1b[2Jb", Style(bold=True)), Segment("\x9b1m\u202ec\x07"), Segment("plain")]
    out = TerminalSafeFilter().apply(segments, Color(0, 0, 0))
    assert [s.text for s in out] == ["a[2Jb", "1mc", "plain"]
    assert out[0].style == Style(bold=True)
    assert sum(s.cell_length for s in out) == sum(s.cell_length for s in segments)
    clean = [Segment("ok")]
    assert TerminalSafeFilter().apply(clean, Color(0, 0, 0)) is clean


class EscEngine(FakeEngine):
    async def _fetch(self, source: str, now: float) -> str | None:
        return f"server said {ESCAPES}" if source == "demo" else None


async def test_no_control_character_from_any_text_reaches_the_terminal(build):
    icons = BUILTIN_ASCII.model_copy(update={"muted": "M\x1b[5m", "name": "evil"})
    app = build(EscEngine([spec("a"), spec("b", source="other")]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.icons = icons
        app.catalog.icons["evil"] = icons
        app.set_icons("evil")
        await pilot.press("m")  # muted badge: the theme's glyph
        await settle(app, pilot)
        text = screen_text(app)
        assert "server said" in text and "2;PWNED" in text and "gnp.exe" in text
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e\r")
        app.push_screen(AlertLogScreen())
        await settle(app, pilot)
        app.screen.show([NotificationView(at=0.0, channel="slack", kind="firing", title="t\x1b]52;c;ZXZpbA==\x07",
                                          slos=("a",), severity="", status="failed", error=f"5xx {ESCAPES}",
                                          attempts=1, is_test=False)], app.palette)
        await pilot.pause()
        text = screen_text(app)
        assert "52;c;ZXZpbA==" in text and "5xx" in text
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e\r")


@pytest.mark.parametrize("runbook", ["https://wiki.example/Runbook for checkout", "https://wiki.example/a b",
                                     "https://wiki.example/x conceal"])
async def test_detail_runbook_link_is_the_whole_url(build, runbook):
    app = build(FakeEngine([spec("checkout", runbook=runbook)]))
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        objective = app.screen.query_one("#detail-objective")
        lines = objective.render_lines(objective.region.reset_offset)
        linked = [(seg.text, seg.style) for strip in lines for seg in strip if seg.style and seg.style.link]
        assert "".join(text for text, _ in linked) == runbook
        assert {style.link for _, style in linked} == {runbook}
        assert all(style.underline and not style.conceal and not style.bold for _, style in linked)


@pytest.mark.parametrize("width", [94, 96, 100, 120])
def test_help_legend_is_laid_out_for_the_room_it_has_no_word_cut(width: int) -> None:
    """The help dialog's content is 94 cells wide (width 100 less border and padding). The icons table
    beside the keys was laid out wider than its column and cut: "the % is the tr" / "figure"."""
    import re as _re

    from rich.console import Console

    bindings = [("ctrl+p", "command palette", "app.command_palette"), ("^c", "Quit", "slotui.quit_ctrl_c")]
    console = Console(width=width, record=True, file=None, color_system=None)
    with console.capture() as capture:
        console.print(help_renderable(bindings, BUILTIN_ASCII, "/root/.config/slotui/tui.yaml"))
    words = _re.findall(r"\S+", capture.get())
    for phrase in ("bar capped at 0; the % is the true figure", "fastest long-window burn rate",
                   "/root/.config/slotui/tui.yaml", "(keymap: binding id -> key)"):
        for word in phrase.split():
            assert word in words, (word, capture.get())


@pytest.mark.parametrize("width", [30, 36, 44, 60])
def test_help_keys_are_never_cut_on_a_narrow_screen(width: int) -> None:
    # at 40 columns the key column shrank to "…" (esc, enter, ↑, ↓, ctrl+p, ^c) while the binding ids
    # kept 14 cells: the binding id gives way first now
    from rich.console import Console

    bindings = [("/", "Filter", "slotui.filter"), ("esc", "Clear filter", "slotui.clear_filter"),
                ("enter", "detail view", "datatable.select_cursor"), ("↑, ↓", "Up, Down", "datatable.cursor_up"),
                ("ctrl+p", "command palette", "app.command_palette"), ("^c", "Quit", "slotui.quit_ctrl_c")]
    console = Console(width=width, record=True, file=None, color_system=None)
    with console.capture() as capture:
        console.print(help_renderable(bindings, BUILTIN_ASCII, "/cfg", narrow=True))
    lines = capture.get().splitlines()
    for key, _description, _binding in bindings:
        assert any(line.lstrip().startswith(key + " ") for line in lines), (key, capture.get())
