"""The main table: one row per SLO, keyed by SLO name, diffed on every refresh.

``sync`` never clears the table. It removes rows whose SLO went away (or is
filtered out), adds new ones, and calls ``update_cell`` only for cells whose
inputs changed (each cell remembers a signature of what it was built from).
After re-sorting, the cursor is put back on the SLO it was on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist, RowKey

from slotui.core.types import SLOResult
from slotui.formatting import spec_target
from slotui.tui import cells
from slotui.tui.themes import BUILTIN_ASCII, IconSet
from slotui.tui.widgets.fast_rows import FastRowsTable


@dataclass(frozen=True, slots=True)
class RowModel:
    """One SLO as the table shows it: its result and the overlays from silences and alerts."""

    result: SLOResult
    muted: bool = False
    snoozed: bool = False
    acked: bool = False
    source_error: str | None = None
    #: the history reduced to a few dozen worst-of-bucket points (None: computed from history)
    trend: tuple[float, ...] | None = None
    #: the trend cell already drawn (off the event loop) for the current column width
    trend_cell: Text | None = None

    @property
    def name(self) -> str:
        return self.result.spec.name


@dataclass(frozen=True, slots=True)
class Layout:
    """Which columns are shown and how wide the flexible ones are (depends on the terminal width)."""

    compact: bool
    name_width: int
    trend_width: int
    source_width: int
    bar_width: int = 8
    #: the status cell with both overlays and the ack mark (``✖ CRITICAL Z ✓``); compact keeps 12
    status_width: int = 12

    @property
    def columns(self) -> tuple[str, ...]:
        if self.compact:
            return ("status", "name", "value", "budget", "burn")
        return ("status", "name", "value", "target", "trend", "budget", "burn", "source")


LABELS = {
    "status": "Status", "name": "SLO", "value": "Value", "target": "Target",
    "trend": "Trend", "budget": "Budget left", "burn": "Burn", "source": "Source",
}
FIXED_WIDTH = {"status": 12, "value": 13, "target": 11, "budget": 16, "burn": 9}
BAR_WIDTH = 8
COMPACT_BELOW = 104


def status_width(icons: IconSet) -> int:
    """Cells of the widest status cell: icon, label, a silence overlay and the ack mark."""
    label = max(cell_len(f"{icons.status[s.value]} {cells.STATUS_LABEL[s]}") for s in cells.STATUS_LABEL)
    return label + 1 + max(cell_len(icons.muted), cell_len(icons.snoozed)) + 1 + cell_len(icons.acked)


def layout_for(width: int, names: Sequence[str], sources: Sequence[str] = (), *,
               status: int = FIXED_WIDTH["status"]) -> Layout:
    """Fit the columns into ``width`` cells: drop target/trend/source below ~104 columns.

    The name column takes the longest name (capped), the source column what
    its names need (errors are cut; the sources panel shows them whole), and
    the trend sparkline gets the rest. ``status`` is the status cell's full width
    (:func:`status_width`): the wide layout gives it that, taken from the trend.
    """
    longest = max((len(n) for n in names), default=12)
    padding = 2  # DataTable cell_padding=1 on each side
    if width < COMPACT_BELOW:
        bar = 5
        fixed = sum(FIXED_WIDTH[c] + padding for c in ("status", "value", "budget", "burn")) - (BAR_WIDTH - bar)
        name_width = max(8, min(longest, width - fixed - padding - 2))
        return Layout(True, name_width, 0, 0, bar)
    bar = 6 if width < 140 else BAR_WIDTH
    status = max(FIXED_WIDTH["status"], min(status, 20))
    fixed = sum(FIXED_WIDTH[c] + padding for c in ("status", "value", "target", "budget", "burn")) - (BAR_WIDTH - bar)
    room = width - fixed - 3 * padding - 2  # name, trend, source; 2 for the scrollbar
    name_width = max(10, min(longest, 28, room - 8 - 14))
    # room for "✗ <error>" too, not only the source's name
    source_need = max(14, max((len(s) for s in sources), default=6) + 2)
    source_width = max(8, min(24, source_need, room - name_width - 8))
    # the status cell's overlays come out of the source's room for an error (its names still
    # fit), then the trend, then the rest of the source, then the name: never wider than the terminal
    extra = status - FIXED_WIDTH["status"]
    spare = max(0, min(extra, source_width - max(8, max((len(s) for s in sources), default=6) + 2)))
    source_width -= spare
    room -= extra
    short = 8 - (room - name_width - source_width)
    if short > 0:
        cut = min(short, source_width - 8)
        source_width -= cut
        name_width = max(10, name_width - (short - cut))
    trend_width = max(8, min(48, room - name_width - source_width))
    return Layout(False, name_width, trend_width, source_width, bar, status)


class SLOTable(FastRowsTable):
    """DataTable of SLOs keyed by name. Call :meth:`sync` with the rows in display order."""

    DEFAULT_CSS = """
    SLOTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.palette = cells.Palette({})
        self.icons: IconSet = BUILTIN_ASCII
        self.layout_spec: Layout | None = None
        self._sigs: dict[str, dict[str, Hashable]] = {}
        self._models: dict[str, RowModel] = {}
        self._order: list[str] = []
        #: cell updates done by the last sync (for tests and the bench)
        self.last_updates = 0
        self._coalesce = False
        self._refresh_pending = False
        self._column_keys: dict[str, Any] = {}

    def refresh(self, *regions: Any, **kwargs: Any) -> "SLOTable":
        # update_cell asks for a whole-widget repaint per cell; during sync one repaint is enough.
        if getattr(self, "_coalesce", False) and not regions and not kwargs:
            self._refresh_pending = True
            return self
        return super().refresh(*regions, **kwargs)

    # ------------------------------------------------------------------ cells

    def _signature(self, col: str, m: RowModel) -> Hashable:
        r = m.result
        if col == "status":
            return (r.status, m.muted, m.snoozed, m.acked)
        if col == "name":
            return m.name
        if col == "value":
            f = r.forecast  # the projection moves while the sum so far stands still
            return (r.value, r.stale, r.status, r.low_traffic, r.spec.unit,
                    None if f is None else (f.value_at_end, f.exhausted_at))
        if col == "target":
            return (r.spec.target, r.spec.direction, r.spec.unit)
        if col == "trend":
            hint = cells.hint_text(r)
            if hint:
                return ("hint", hint)
            width = self.layout_spec.trend_width if self.layout_spec is not None else 0
            if m.trend is not None:
                return (m.trend, r.spec.direction, width)
            h = r.history
            return (len(h), h[0] if h else None, h[-1] if h else None, r.spec.direction, width)
        if col == "budget":
            return cells.budget_remaining(r)
        if col == "burn":
            b = r.fastest_burn
            return (None if b is None else (b.long_rate, b.long_window, b.severity),
                    tuple(x.firing for x in r.burn_rates))
        if col == "source":
            return (r.spec.source, m.source_error)
        raise KeyError(col)

    def _cell(self, col: str, m: RowModel) -> Any:
        layout = self.layout_spec
        assert layout is not None
        r, p, icons = m.result, self.palette, self.icons
        if col == "status":
            return cells.status_cell(r.status, icons, p, muted=m.muted, snoozed=m.snoozed, acked=m.acked)
        if col == "name":
            return Text(m.name, overflow="ellipsis", no_wrap=True)
        if col == "value":
            return cells.value_cell(r, p, FIXED_WIDTH["value"])
        if col == "target":
            return Text(spec_target(r.spec))
        if col == "trend":
            hint = cells.hint_text(r)
            if hint:  # SPEC 10.1: one group explains most of the trouble (the chart is in the detail view)
                return Text(cells.fit_hint(hint, layout.trend_width), style=f"bold {p['warning']}", no_wrap=True)
            if m.trend_cell is not None:
                return m.trend_cell
            return cells.trend_cell(r, layout.trend_width, p, icons, m.trend)
        if col == "budget":
            return cells.budget_cell(cells.budget_remaining(r), bar_width=layout.bar_width, palette=p,
                                     ascii_bar=icons.ascii_only)
        if col == "burn":
            return cells.burn_cell(r, p)
        if col == "source":
            return cells.source_cell(r.spec.source, m.source_error, icons, p, layout.source_width)
        raise KeyError(col)

    def _width(self, col: str) -> int:
        layout = self.layout_spec
        assert layout is not None
        if col == "name":
            return layout.name_width
        if col == "trend":
            return layout.trend_width
        if col == "source":
            return layout.source_width
        if col == "budget":
            return layout.bar_width + 8
        if col == "status":
            return layout.status_width
        return FIXED_WIDTH[col]

    # ------------------------------------------------------------------ sync

    @property
    def cursor_key(self) -> str | None:
        """The SLO name under the cursor, or None when the table is empty."""
        if self.row_count == 0:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except (CellDoesNotExist, RowDoesNotExist):
            return None

    @property
    def order(self) -> list[str]:
        """SLO names in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    def set_layout(self, layout: Layout) -> bool:
        """Rebuild the columns if ``layout`` differs (a resize across a breakpoint). Returns True if rebuilt."""
        if layout == self.layout_spec:
            return False
        keep = self.cursor_key
        models = [self._models[k] for k in self._order if k in self._models]
        if self.layout_spec is None or layout.trend_width != self.layout_spec.trend_width:
            # sparklines drawn for the old width: cut to the new one they showed the oldest part of the
            # period only, until the SLO's data changed (drawn again at the new width)
            models = [replace(m, trend_cell=None) for m in models]
        self.layout_spec = layout
        self.clear(columns=True)
        self._sigs.clear()
        self._models.clear()
        self._order = []
        self._column_keys = {}
        for col in layout.columns:
            self._column_keys[col] = self.add_column(LABELS[col], key=col, width=self._width(col))
        if models:
            self.sync(models, keep_cursor=keep)
        return True

    def invalidate(self) -> None:
        """Forget every cell signature (theme or icon change): the next sync rebuilds every cell."""
        for sigs in self._sigs.values():
            sigs.clear()
        self._render_epoch += 1

    def sync(self, rows: Sequence[RowModel], *, keep_cursor: str | None = None) -> int:
        """Show exactly ``rows`` in this order; returns the number of cells written.

        The cursor stays on the SLO it was on (or ``keep_cursor``) when that SLO is still shown.
        """
        assert self.layout_spec is not None, "set_layout first"
        self._coalesce, self._refresh_pending = True, False
        try:
            return self._sync(rows, keep_cursor)
        finally:
            self._coalesce = False
            if self._refresh_pending:
                super().refresh()

    def _sync(self, rows: Sequence[RowModel], keep_cursor: str | None) -> int:
        keep = keep_cursor if keep_cursor is not None else self.cursor_key
        columns = self.layout_spec.columns
        wanted = {m.name for m in rows}
        updates = 0
        for key in [k for k in self._models if k not in wanted]:
            self.remove_row(key)
            del self._models[key]
            self._sigs.pop(key, None)
        for m in rows:
            key = m.name
            if key not in self._models:
                sigs = {col: self._signature(col, m) for col in columns}
                self.add_row(*(self._cell(col, m) for col in columns), key=key)
                self._sigs[key] = sigs
                updates += len(columns)
            else:
                sigs = self._sigs[key]
                row_data = None
                for col in columns:
                    sig = self._signature(col, m)
                    if sigs.get(col, _MISSING) != sig:
                        # update_cell without its per-call checks and repaint (the row and
                        # column exist: this table owns both); one repaint follows the sync
                        if row_data is None:
                            row_key = RowKey(key)
                            row_data = self._data[row_key]
                            self._row_versions[row_key] = self._row_versions.get(row_key, 0) + 1
                        row_data[self._column_keys[col]] = self._cell(col, m)
                        sigs[col] = sig
                        updates += 1
                if row_data is not None:
                    self._update_count += 1
                    self._refresh_pending = True
            self._models[key] = m
        order = [m.name for m in rows]
        if order != self._order or len(order) != self.row_count:
            position = {name: i for i, name in enumerate(order)}
            self.sort("name", key=lambda cell: position[cell.plain])
        self._order = order
        if keep is not None and keep in self._models:
            index = self.get_row_index(keep)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False, scroll=True)
        self.last_updates = updates
        return updates

    def model(self, key: str) -> RowModel | None:
        return self._models.get(key)


class _Missing:
    pass


_MISSING = _Missing()


def sort_keys() -> Mapping[str, Callable[[RowModel], Any]]:
    """Sort keys ``s`` cycles through: status, budget left, burn rate (each worst first), name."""
    def by_status(m: RowModel) -> Any:
        # Worst status first; within a status by name, so rows do not jump around every
        # refresh as budgets move by a hair (the budget sort is one `s` away).
        return (-m.result.status.rank, m.name)

    def by_budget(m: RowModel) -> Any:
        remaining = cells.budget_remaining(m.result)
        return (remaining if remaining is not None else 2.0, -m.result.status.rank, m.name)

    def by_burn(m: RowModel) -> Any:
        b = m.result.fastest_burn
        rate = b.long_rate if b is not None and b.long_rate is not None else -1.0
        if math.isnan(rate):  # unknown: with the rows that have none (a NaN key breaks the whole sort)
            rate = -1.0
        return (-rate, -m.result.status.rank, m.name)

    def by_name(m: RowModel) -> Any:
        return (m.name.lower(), m.name)

    return {"status": by_status, "budget": by_budget, "burn": by_burn, "name": by_name}
