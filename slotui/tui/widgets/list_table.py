"""The keys every slotui table answers besides DataTable's arrows: k9s's (and vim's) j/k/g/G."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

#: j/k move the cursor, g/G jump to the first/last row (ids for the keymap; shown in ``?``)
NAV_BINDINGS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False, id="table.down"),
    Binding("k", "cursor_up", "Up", show=False, id="table.up"),
    Binding("g", "scroll_top", "First row", show=False, id="table.first"),
    Binding("G", "scroll_bottom", "Last row", show=False, id="table.last"),
]


class ListTable(DataTable[Any]):
    """A row-cursor DataTable with the navigation keys of :data:`NAV_BINDINGS`."""

    BINDINGS = NAV_BINDINGS
