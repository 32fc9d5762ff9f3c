"""The one place slotui reaches into Textual's private DataTable internals.

DataTable keys its cell render cache on a table-wide update counter, so one
``update_cell`` re-renders every visible cell on the next frame, each through
Rich's generic pipeline (Styled(Padding(cell)) -> render_lines, ~80 us a cell).
With live sources every row changes each refresh, so that frame cost ~100 ms for
a screen of rows. :class:`FastRowsTable` renders its cells itself: keyed on a
per-row version (rows that did not change come from the cache; rows that moved
re-render, as their click metadata holds the row index), and, since every cell
is a one-line Text already cut to its column, straight to segments (~10 us a
cell). The result is what DataTable would draw: same padding, same style
layering (base and component style under the cell's own, cursor/hover style
over it).

Textual is pinned exactly (pyproject). The private names this adapter uses are
listed in :data:`PRIVATE_METHODS` and :data:`PRIVATE_ATTRIBUTES`;
:func:`incompatibilities` compares them with the installed Textual. When they
no longer match, the adapter switches itself off (:data:`ENABLED`) and the
table falls back to DataTable's stock rendering, slower but correct, and
``tests/tui/test_fast_rows.py`` fails loudly so the upgrade is not silent.
"""

from __future__ import annotations

import inspect
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from slotui.tui.widgets.list_table import NAV_BINDINGS

#: private DataTable methods overridden or called, with their parameter names
PRIVATE_METHODS: dict[str, tuple[str, ...]] = {
    "_render_cell": ("self", "row_index", "column_index", "base_style", "width", "cursor", "hover"),
    "_render_line": ("self", "y", "x1", "x2", "base_style"),
    "_get_offsets": ("self", "y"),
    "_get_styles_to_render_cell": (
        "self", "is_header_cell", "is_row_label_cell", "is_fixed_style_cell", "hover", "cursor",
        "show_cursor", "show_hover_cursor", "has_css_foreground_priority", "has_css_background_priority",
    ),
}
#: private DataTable instance attributes read or written
PRIVATE_ATTRIBUTES: tuple[str, ...] = (
    "_row_locations", "_column_locations", "_cell_render_cache", "_update_count", "_data",
    "_header_row_key", "_show_hover_cursor", "_pseudo_class_state",
)


def incompatibilities(table: DataTable[Any] | None = None) -> list[str]:
    """What differs between this adapter's assumptions and the installed DataTable.

    Checks the methods' signatures on the class; with ``table`` (an instance),
    also the instance attributes. Empty when everything matches.
    """
    problems: list[str] = []
    for name, params in PRIVATE_METHODS.items():
        method = getattr(DataTable, name, None)
        if method is None:
            problems.append(f"DataTable.{name} is gone")
            continue
        found = tuple(inspect.signature(method).parameters)
        if found != params:
            problems.append(f"DataTable.{name}{found} != {params}")
    if table is not None:
        problems += [f"DataTable().{a} is gone" for a in PRIVATE_ATTRIBUTES if not hasattr(table, a)]
    return problems


#: False when the installed Textual's internals differ: stock rendering is used
ENABLED = not incompatibilities()


class FastRowsTable(DataTable[Any]):
    """DataTable whose one-line Text cells render straight to segments, cached per row version."""

    BINDINGS = NAV_BINDINGS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._row_versions: dict[RowKey, int] = {}
        self._render_epoch = getattr(self, "_render_epoch", 0)
        self._line_ctx: tuple[int, Any] | None = None

    def update_cell(self, row_key: Any, column_key: Any, value: Any, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, value, update_width=update_width)
        key = row_key if isinstance(row_key, RowKey) else RowKey(row_key)
        self._row_versions[key] = self._row_versions.get(key, 0) + 1

    def clear(self, columns: bool = False) -> "FastRowsTable":
        self._render_epoch = getattr(self, "_render_epoch", 0) + 1
        if hasattr(self, "_row_versions"):
            self._row_versions.clear()
        super().clear(columns)
        return self

    def _render_cell(self, row_index: int, column_index: int, base_style: Any, width: int,
                     cursor: bool = False, hover: bool = False) -> Any:
        if not ENABLED or row_index < 0 or column_index < 0:  # header and labels: DataTable's own path
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = ("slotui", row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._render_epoch, row_index, width, self._row_versions.get(row_key, 0),
                     self._pseudo_class_state)
        cache = self._cell_render_cache
        if cache_key in cache:
            return cache[cache_key]
        cell = self._data[row_key][column_key]
        row = self.rows[row_key]
        if not isinstance(cell, Text) or row.height != 1:
            saved = self._update_count
            self._update_count = cache_key  # type: ignore[assignment]
            try:
                return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            finally:
                self._update_count = saved
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        if cell.cell_len > inner and cell.overflow != "crop":
            # a cut cell ends in "…" (as the stock path draws an ellipsis cell): a long SLO name
            # or a huge burn rate must not read as a shorter one
            cell = cell.copy()
            cell.truncate(inner, overflow="ellipsis")
        segments = Segment.adjust_line_length(list(cell.render(self.app.console, end="")), inner)
        if pad:
            segments = [Segment(" " * pad), *segments, Segment(" " * pad)]
        lines = [list(Segment.apply_style(segments, style=pre_style, post_style=post_style))]
        cache[cache_key] = lines
        return lines

    def _render_line(self, y: int, x1: int, x2: int, base_style: Any) -> Any:
        # The line cache is keyed on the table-wide counter too: key it on the row's version.
        if not ENABLED:
            return super()._render_line(y, x1, x2, base_style)
        try:
            located = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        row_key = located[0]
        if row_key is self._header_row_key:
            return super()._render_line(y, x1, x2, base_style)
        saved = self._update_count
        self._line_ctx = (y, located)
        self._update_count = ("line", self._render_epoch, row_key,  # type: ignore[assignment]
                              self._row_locations.get(row_key), self._row_versions.get(row_key, 0))
        try:
            return super()._render_line(y, x1, x2, base_style)
        finally:
            self._update_count = saved
            self._line_ctx = None

    def _get_offsets(self, y: int) -> Any:
        ctx = getattr(self, "_line_ctx", None)
        if ctx is not None and ctx[0] == y:
            return ctx[1]
        return super()._get_offsets(y)
