"""The header line: overall compliance, period, last refresh and its age, firing alerts, silences."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from slotui.clock import strftime_utc, utc_datetime
from slotui.core.types import Report, Status
from slotui.formatting import format_duration
from slotui.tui.cells import Palette


@dataclass(frozen=True)
class SummaryState:
    report: Report | None
    refreshed_at: float | None
    now: float
    firing: int
    silences: int
    paused: bool
    refreshing: bool
    sort_key: str
    filter_text: str
    shown: int
    error: str | None = None
    interval: float = 30.0


def period_label(report: Report) -> str:
    """The compliance period shared by the SLOs (``7d``), or the mix (``7d/30d``)."""
    periods = Counter(
        "month" if r.spec.calendar_month else format_duration(r.spec.period) for r in report.results
    )
    if not periods:
        return "—"
    return "/".join(p for p, _ in periods.most_common(3))


def clock_label(ts: float, now: float | None = None) -> str:
    """``04:35:00Z`` (UTC) on ``now``'s UTC day; another day shows its date: ``12-05 04:35:00Z``
    in the same year, ``2025-12-05 04:35Z`` in another (an older notification must not read as today's)."""
    a = utc_datetime(ts)
    b = utc_datetime(now) if now is not None else None
    if a is None or b is None or a.date() == b.date():
        return strftime_utc(ts, "%H:%M:%SZ")
    return a.strftime("%m-%d %H:%M:%SZ" if a.year == b.year else "%Y-%m-%d %H:%MZ")


def span_label(start: float, end: float) -> str:
    """``from 2026-11-21 04:35Z to 2026-11-28 04:30Z`` (dates shown when the span crosses a day)."""
    a, b = utc_datetime(start), utc_datetime(end)
    if a is None or b is None:
        return f"from {strftime_utc(start, '%Y-%m-%d %H:%MZ')} to {strftime_utc(end, '%Y-%m-%d %H:%MZ')}"
    if a.date() == b.date():
        return f"from {a:%H:%M}Z to {b:%H:%M}Z"
    return f"from {a:%Y-%m-%d %H:%M}Z to {b:%Y-%m-%d %H:%M}Z"


def summary_text(state: SummaryState, palette: Palette, width: int = 120) -> Text:
    """Two lines: compliance and counts; refresh time, age, sort, filter, pause."""
    p = palette
    line = Text()
    report = state.report
    if report is None:
        line.append("waiting for the first evaluation…", style=p["foreground-muted"])
    elif not report.results:  # evaluated: the file has no SLOs (or none loaded)
        line.append("no SLOs configured", style=p["foreground-muted"])
    else:
        total = len(report.results)
        meeting = report.meeting
        share = report.overall_compliance or 0.0
        colour = p["success"] if meeting == total else p["warning"] if share >= 0.5 else p["error"]
        line.append(f"{meeting}/{total} SLOs meeting target", style=f"bold {colour}")
        line.append(f" ({share * 100:.0f}%)", style=colour)
    line.append("   ")
    line.append(f"{state.firing} firing", style=f"bold {p['error']}" if state.firing else p["foreground-muted"])
    line.append("  ")
    line.append(f"{state.silences} silenced", style=p["primary"] if state.silences else p["foreground-muted"])
    if report is not None and report.results:
        counts = Counter(r.status for r in report.results)
        for status, key in ((Status.CRITICAL, "error"), (Status.WARNING, "warning"),
                            (Status.NO_DATA, "slo-no-data"), (Status.STALE, "slo-stale")):
            if counts.get(status):
                line.append(f"  {counts[status]} {status.value.lower()}", style=p[key])
        line.append(f"   period {period_label(report)}", style=p["foreground-muted"])

    second = Text()
    if state.refreshed_at is not None:
        age = max(0.0, state.now - state.refreshed_at)
        second.append(f"refreshed {clock_label(state.refreshed_at, state.now)} ({format_duration(age)} ago)")
    else:
        second.append("not refreshed yet", style=p["foreground-muted"])
    if state.paused:
        second.append("  PAUSED", style=f"bold reverse {p['warning']}")
    elif state.refreshing:
        second.append("  refreshing…", style=p["primary"])
    else:
        second.append(f"  every {format_duration(state.interval)}", style=p["foreground-muted"])
    second.append(f"   sort: {state.sort_key}", style=p["foreground-muted"])
    if state.filter_text:
        second.append(f"   filter: {state.filter_text!s} ({state.shown} shown)", style=p["accent"] if "accent" in p.colours else "")
    if state.error:
        second.append(f"   refresh failed: {state.error}", style=p["error"])
    line.truncate(width, overflow="ellipsis")
    second.truncate(width, overflow="ellipsis")
    return Text("\n").join([line, second])


class SummaryBar(Static):
    """The header; :meth:`show` replaces its content (cheap; called each second for the age)."""

    DEFAULT_CSS = """
    SummaryBar { height: 2; padding: 0 1; background: $panel; }
    """

    def show(self, state: SummaryState, palette: Palette) -> None:
        self.update(summary_text(state, palette, max(20, self.size.width - 2 or 118)))
