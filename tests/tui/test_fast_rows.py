"""The DataTable internals that slotui.tui.widgets.fast_rows relies on still exist in the pinned Textual.

If this fails after a Textual upgrade, the table has fallen back to DataTable's
stock (slower) rendering: re-check fast_rows against the new DataTable source.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from slotui.tui.widgets import fast_rows

pytestmark = pytest.mark.tui


def test_textual_internals_match_the_adapter():
    assert fast_rows.incompatibilities(DataTable()) == []
    assert fast_rows.ENABLED


def test_a_changed_internal_is_reported(monkeypatch):
    monkeypatch.setitem(fast_rows.PRIVATE_METHODS, "_render_line", ("self", "y"))
    monkeypatch.setattr(fast_rows, "PRIVATE_ATTRIBUTES", (*fast_rows.PRIVATE_ATTRIBUTES, "_no_such_thing"))
    problems = fast_rows.incompatibilities(DataTable())
    assert any("_render_line" in p for p in problems)
    assert "DataTable()._no_such_thing is gone" in problems


async def test_stock_rendering_draws_the_same_screen(monkeypatch):
    """With the adapter switched off (as on an incompatible Textual) the rows read the same."""
    from rich.text import Text
    from textual.app import App, ComposeResult

    from slotui.tui.widgets.fast_rows import FastRowsTable

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield FastRowsTable()

    async def text_of() -> list[str]:
        app = One()
        async with app.run_test(size=(40, 5)) as pilot:
            t = app.query_one(FastRowsTable)
            t.add_columns("a", "b")
            t.add_row(Text("alpha"), Text("1"), key="x")
            t.add_row(Text("beta"), Text("2"), key="y")
            t.update_cell("y", t.ordered_columns[1].key, Text("3"))
            await pilot.pause()
            return [t.render_line(i).text for i in range(3)]

    fast = await text_of()
    monkeypatch.setattr(fast_rows, "ENABLED", False)
    stock = await text_of()
    assert fast == stock
    assert "3" in fast[2]
