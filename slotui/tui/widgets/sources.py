"""The sources panel: health of every source, its last error, latency and last success."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from slotui.sources.kit.base import SourceHealth
from slotui.formatting import format_duration
from slotui.tui.cells import Palette
from slotui.tui.themes import IconSet
from slotui.tui.widgets.summary import clock_label


def sources_table(
    health: Mapping[str, SourceHealth],
    slo_counts: Mapping[str, int],
    errors: Mapping[str, str],
    icons: IconSet,
    palette: Palette,
    now: float,
    max_rows: int | None = None,
) -> RenderableType:
    """One line per source: icon, name, SLO count, latency, last success, error.

    Failing sources come first. With ``max_rows`` (the panel's height), sources that do
    not fit are named on a last line instead of being cut off silently.
    """
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    def error_of(name: str) -> str | None:
        h = health.get(name) or SourceHealth()
        return errors.get(name) or (None if h.ok else h.last_error)

    names: Sequence[str] = sorted(set(health) | set(slo_counts) | set(errors),
                                  key=lambda n: (error_of(n) is None, n))
    hidden: Sequence[str] = ()
    if max_rows is not None and len(names) > max_rows:
        names, hidden = names[:max(0, max_rows - 1)], names[max(0, max_rows - 1):]
    for name in names:
        h = health.get(name) or SourceHealth()
        error = error_of(name)
        icon = Text(icons.source_error if error else icons.source_ok,
                    style=palette["error"] if error else palette["success"])
        latency = f"{h.latency * 1000:.0f} ms" if h.latency is not None else "—"
        last_ok = (f"ok {clock_label(h.last_success, now)} ({format_duration(now - h.last_success)} ago)"
                   if h.last_success is not None else "never ok")
        detail = Text(error, style=palette["error"]) if error else Text("")
        if error and h.consecutive_failures > 1 and "failures in a row" not in error:
            detail.append(f" ({h.consecutive_failures} failures in a row)", style=palette["foreground-muted"])
        if h.fetching_since is not None:  # (a refresh still waiting on it: the others are shown)
            detail.append(f"{' ' if error else ''}fetching for {format_duration(max(0.0, now - h.fetching_since))}",
                          style=palette["foreground-muted"])
        table.add_row(icon, Text(name, style="bold"), f"{slo_counts.get(name, 0)} SLOs", latency,
                      Text.assemble(last_ok, "  ", detail))
    if not hidden:
        return table
    failing = [n for n in hidden if error_of(n)]
    more = Text(icons.source_error if failing else icons.source_ok,
                style=palette["error"] if failing else palette["success"], no_wrap=True, overflow="ellipsis")
    more.append(f"  … {len(hidden)} more source{'s' if len(hidden) != 1 else ''}", style="bold")
    if failing:
        more.append(f", {len(failing)} failing: {', '.join(failing)}", style=palette["error"])
    return Group(table, more)


class SourcesPanel(Static):
    """Shown under the table when a source fails (or on demand with ``e``)."""

    DEFAULT_CSS = """
    SourcesPanel {
        height: auto; max-height: 8; padding: 0 1;
        border-top: solid $error;
        display: none;
    }
    SourcesPanel.-visible { display: block; }
    SourcesPanel.-healthy { border-top: solid $success; }
    """
