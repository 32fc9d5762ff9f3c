"""Keyboard habits of k9s users: j/k/g/G in every table, ctrl+c quits, ``?`` lists the keys that
work where it was opened (and only those), focus comes back to the table after a screen closes."""

from __future__ import annotations

import pytest
from conftest import SIZE, screen_text
from test_app import goto, settle, table
from tui_fakes import NOW

from slotui.tui.screens.alert_log import AlertLogScreen
from slotui.tui.screens.detail import DetailScreen
from slotui.tui.screens.help import HelpScreen
from slotui.tui.screens.silences import SilencesScreen
from slotui.tui.widgets.slo_table import SLOTable

pytestmark = pytest.mark.tui

ORDER = ["helpfulness", "response_time_p95_ms", "availability", "accuracy", "cost_per_query"]


async def test_j_k_g_G_move_the_cursor_of_the_main_table(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        assert t.order == ORDER and t.cursor_key == "helpfulness"
        await pilot.press("j", "j")
        assert t.cursor_key == "availability"
        await pilot.press("k")
        assert t.cursor_key == "response_time_p95_ms"
        await pilot.press("G")
        assert t.cursor_key == "cost_per_query"
        await pilot.press("g")
        assert t.cursor_key == "helpfulness"
        await pilot.press("j", "enter")  # the row j moved to is the one opened
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.slo == "response_time_p95_ms"


async def test_j_k_g_G_move_the_cursor_of_the_silences_table(build, store):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for name in ("accuracy", "availability", "cost_per_query"):
            await goto(pilot, app, name)
            await pilot.press("m")
            await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SilencesScreen) and len(screen.silences) == 3
        first, last = screen.silences[0].id, screen.silences[-1].id
        assert screen.selected.id == first
        await pilot.press("G")
        assert screen.selected.id == last
        await pilot.press("k")
        assert screen.selected.id == screen.silences[1].id
        await pilot.press("g")
        assert screen.selected.id == first
        await pilot.press("j", "x")  # expire the second one: j picked it
        await settle(app, pilot)
        active = {s.id for s in store.list_silences(NOW)}
        assert active == {first, last}


async def test_ctrl_c_quits_like_q(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_c_in_the_filter_box_copies_a_selection_instead_of_quitting(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", "a", "c", "c", "ctrl+shift+a")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and app.clipboard == "acc" and app.filter_text == "acc"


async def test_help_lists_the_keys_of_the_screen_it_opened_from(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = {(key, does) for key, does, _ in app.binding_help()}
        assert {("j", "Down"), ("k", "Up"), ("g", "First row"), ("G", "Last row"), ("e", "Sources"),
                ("/", "Filter"), ("^c", "Quit"), ("m", "Mute")} <= rows
        await pilot.press("S")
        await settle(app, pilot)
        rows = {(key, does) for key, does, _ in app.binding_help()}
        assert ("e, ⏎", "Edit") in rows and ("x, del", "Expire") in rows and ("j", "Down") in rows
        # shadowed by the screen (e edits here) or off here (no SLO is selected): not listed
        assert not {does for _, does in rows} & {"Sources", "Mute", "Snooze", "Test alert", "Ack", "Filter"}
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Show expired" in text and "Sources" not in text
        await pilot.press("escape")
        await pilot.press("escape", "l")
        await settle(app, pilot)
        assert isinstance(app.screen, AlertLogScreen)
        does = {d for _, d, _ in app.binding_help()}
        assert "Reload" in does and "Refresh" not in does  # r reloads the log here


async def test_e_is_not_offered_where_the_sources_panel_cannot_be_seen(build):
    # e on the detail screen toggled the main screen's panel behind it: nothing visible happened
    from slotui.tui.screens.detail import DetailScreen

    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        before = app.show_sources
        await pilot.press("e")
        await settle(app, pilot)
        assert app.show_sources == before
        assert "Sources" not in {does for _, does, _ in app.binding_help()}
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert app.show_sources != before  # on the main screen it still toggles


async def test_focus_returns_to_the_table_after_every_screen_closes(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for open_keys, close_keys in ((["enter"], ["escape"]), (["question_mark"], ["escape"]),
                                      (["S"], ["escape"]), (["l"], ["escape"]), (["z"], ["escape"]),
                                      (["t"], ["n"]), (["slash", "x"], ["escape"])):
            await pilot.press(*open_keys)
            await settle(app, pilot)
            await pilot.press(*close_keys)
            await settle(app, pilot)
            assert isinstance(app.focused, SLOTable), (open_keys, app.focused)
            await pilot.press("j")
            await pilot.press("k")
            assert table(app).cursor_key == "helpfulness"


async def submit_snooze(app, pilot, custom: str, comment: str):
    """Open the snooze dialog (z) on the selected SLO, type ``custom`` and ``comment``, submit; the dialog."""
    from slotui.tui.screens.dialogs import SnoozeDialog

    await settle(app, pilot)
    await pilot.press("z")
    await settle(app, pilot)
    dialog = app.screen
    assert isinstance(dialog, SnoozeDialog)
    dialog.query_one("#comment").value = comment
    dialog.query_one("#custom").value = custom
    dialog.submit()
    await settle(app, pilot)
    return dialog


async def test_snooze_longer_than_slotui_can_store_keeps_the_dialog_and_comment(build, store):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await submit_snooze(app, pilot, "99999999999999d", "deploy freeze")  # ends long after 9999-12-31
        assert app.screen is dialog and dialog.query_one("#comment").value == "deploy freeze"
        assert "too long: a silence must end between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z" in \
            str(dialog.query_one("#error").render())
        dialog.query_one("#custom").value = "2h"
        dialog.submit()
        await settle(app, pilot)
        [silence] = store.list_silences(NOW)
        assert silence.comment == "deploy freeze" and silence.ends_at == NOW + 7200


@pytest.mark.parametrize("custom", ["0.5s", "0s", "0.999s"])
async def test_a_snooze_under_a_second_keeps_the_dialog_and_says_why(build, store, custom):
    # it closed the dialog and then failed with "this silence would end in the past", losing the comment
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await submit_snooze(app, pilot, custom, "flaky eval")
        assert app.screen is dialog and dialog.query_one("#comment").value == "flaky eval"
        assert "the duration must be at least 1s" in str(dialog.query_one("#error").render())
        assert store.list_silences(NOW) == []


async def test_help_is_laid_out_again_when_the_terminal_is_resized(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "muted (silenced until lifted)" in screen_text(app)  # icons beside the keys
        await pilot.resize_terminal(90, 60)
        await settle(app, pilot)
        text = screen_text(app)
        # narrower than 104 columns: the icons go under the keys, nothing cut
        assert "muted (silenced until lifted)" in text and "bar capped at 0; the % is the true figure" in text
        lines = text.splitlines()
        assert lines.index(next(ln for ln in lines if "Icons" in ln)) > \
            lines.index(next(ln for ln in lines if "slotui.quit_ctrl_c" in ln))
        for key, does, binding_id in app.binding_help(app.screen_stack[0]):  # what the help shows
            assert binding_id in text


async def test_slo_keys_are_off_on_the_replay_screen(build, store):
    """The replay covers every SLO: m, z, t and a muted, snoozed or tested the main table's hidden row."""
    from types import SimpleNamespace

    from slotui.tui.screens.dialogs import ConfirmDialog, SnoozeDialog
    from slotui.tui.screens.replay import ReplayScreen

    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(ReplayScreen(SimpleNamespace(specs=[]), NOW))
        await settle(app, pilot)
        for key in ("m", "z", "t", "a"):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, ReplayScreen), key
            assert not isinstance(app.screen, (SnoozeDialog, ConfirmDialog))
        assert store.list_silences(NOW) == []
        does = {d for _, d, _ in app.binding_help()}
        assert not does & {"Mute", "Snooze", "Test alert", "Ack"}
        footer = screen_text(app).splitlines()[-1]
        assert "Mute" not in footer and "Snooze" not in footer
        await pilot.press("ctrl+p")  # nor does the palette offer them
        await pilot.pause()
        await pilot.press(*"Mute / unmute")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        await settle(app, pilot)
        assert store.list_silences(NOW) == []


async def test_snooze_with_the_custom_box_cleared_and_no_preset_chosen_asks_for_a_duration(build, store):
    """Typing in custom drops the preset highlight; ctrl+u then Enter snoozed for the hidden 1h."""
    from slotui.tui.screens.dialogs import SnoozeDialog

    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("z")
        await pilot.pause()
        await pilot.click("#custom")
        await pilot.press(*"abc", "ctrl+u")
        await pilot.pause()
        assert not app.screen.query(".preset.-selected")  # nothing shown as chosen ...
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SnoozeDialog)  # ... so nothing is submitted
        assert "pick a duration" in screen_text(app)
        assert store.list_silences(NOW) == []
        await pilot.click("#preset-4h")
        await pilot.click("#submit")
        await settle(app, pilot)
        [s] = store.list_silences(NOW)
        assert s.ends_at == NOW + 4 * 3600


async def test_sparklines_are_drawn_again_at_the_new_width_after_a_resize(build):
    """Widened then narrowed, the Trend cells kept the sparklines drawn for the wide table, cut to the
    narrow column (the oldest part of the period, then "…") until the SLO's data changed."""
    from rich.cells import cell_len

    app = build()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")  # a refresh started with the wide layout: its sparklines drawn wide
        await settle(app, pilot)
        t = table(app)
        wide = t.layout_spec.trend_width
        assert app.snapshot.trend_cells and app.snapshot.trend_style.width == wide
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        narrow = t.layout_spec.trend_width
        assert narrow < wide
        cells = [t.get_cell(key, "trend") for key in t.order]
        sparks = [c for c in cells if "…" not in c.plain or c.plain.startswith("←")]
        assert len(sparks) == len(cells), [c.plain for c in cells]
        assert all(cell_len(c.plain) <= narrow for c in cells)


def test_a_breakdown_hint_too_long_for_its_cell_is_cut_at_the_front_of_the_label() -> None:
    """"← gpt-4o…" named another model than the culprit gpt-4o-mini."""
    from slotui.tui.cells import fit_hint

    assert fit_hint("← gpt-4o-mini", 20) == "← gpt-4o-mini"
    assert fit_hint("← gpt-4o-mini", 10) == "← …4o-mini"
    assert fit_hint("<- gpt-4o-mini", 10) == "<- …o-mini"


def test_a_threshold_slos_tier_past_its_factor_is_burning_not_firing() -> None:
    """A threshold SLO's alerts follow its levels: its burn-rate table said FIRING beside "Alerts:
    none firing". A ratio SLO's firing tier is its alert."""
    from rich.console import Console

    from slotui.core.types import BurnRate, SLOResult, SLOSpec, Status
    from slotui.tui.cells import Palette
    from slotui.tui.screens.detail import burn_table

    tier = BurnRate("critical", 3600, 300, 14.4, 100.0, 100.0, 12, 1, True, False)
    palette = Palette({})
    for kind, word in (("threshold", "burning"), ("ratio", "FIRING")):
        spec = SLOSpec(name="x", kind=kind, target=0.9, direction="higher_is_better", good="ok" if kind == "ratio" else None)
        result = SLOResult(spec, Status.AT_RISK, NOW, value=0.5, burn_rates=(tier,))
        console = Console(width=100, record=True)
        console.print(burn_table(result, palette))
        text = console.export_text()
        assert word in text and ({"burning", "FIRING"} - {word}).pop() not in text
