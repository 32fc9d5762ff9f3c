"""The detail view of one SLO (Enter on a row).

A larger chart of the SLI with target and thresholds, under it the alert
episodes of the last 30 days (a replay of this SLO run in a worker thread when
the view opens: a band of severity-coloured markers and the list), burn rate per tier
(long and short window against the factor), budget remaining and its
timeline, active silences, alert history, runbook link and the source query.
The app pushes fresh data into it after each refresh (:meth:`DetailScreen.show`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from slotui.clock import strftime_utc
from slotui.core.budget import budget_timeline
from slotui.core.types import SLOResult, SLOSpec
from slotui.tui import cells
from slotui.tui.backend import AlertView, NotificationView, SilenceView
from slotui.formatting import (
    forecast_parts,
    forecast_text,
    format_duration,
    format_group_labels,
    format_number,
    format_percent,
    format_rate,
    format_samples,
    format_value,
    result_samples_line,
    spec_target,
    spec_value,
    spec_window,
)
from slotui.core.forecast import spend_curve
from slotui.tui.cells import Palette
from slotui.tui.themes import IconSet
from slotui.tui.widgets.chart import ChartLine, EpisodeBand, SLIChart
from slotui.tui.widgets.summary import clock_label, span_label


#: the span and step of the episodes replay (SPEC 10.3: "the last 30 days' episodes")
EPISODE_DAYS = 30
EPISODE_STEP = 3600.0
#: episodes listed under the band (the most recent ones)
EPISODES_LISTED = 8


def _when(ts: float) -> str:
    return strftime_utc(ts, "%Y-%m-%d %H:%MZ")


def _episode_colours(palette: Palette) -> dict[str, str]:
    return {"page": palette["error"], "critical": palette["error"], "ticket": palette["warning"],
            "warning": palette["warning"]}


def _episodes_span(screen: "DetailScreen") -> str:
    return (f"last {EPISODE_DAYS} days, {_when(screen.episodes_start)[:10]} to {_when(screen.episodes_end)[:10]}, "
            f"replayed every {format_duration(EPISODE_STEP)}")


def episodes_band(screen: "DetailScreen", palette: Palette, icons: IconSet) -> list:
    """Under the chart: the band of episodes (aligned with the chart's plot) and a one-line caption."""
    muted = palette["foreground-muted"]
    if screen.episodes is None:
        note = screen.episodes_note or f"replaying the {_episodes_span(screen)}…"
        return [Text(f"alert episodes: {note}", style=muted)]
    eps = screen.episodes.episodes
    band = EpisodeBand([(e.severity, e.started_at, e.ended_at) for e in eps], screen.episodes_start,
                       screen.episodes_end, colours=_episode_colours(palette), axis_colour=muted,
                       label_w=screen._label_w, ascii_only=icons.ascii_only)
    count = f"{len(eps)} alert episode{'s' if len(eps) != 1 else ''}" if eps else "no alert episodes"
    return [band, Text(f"{count} ({_episodes_span(screen)}; listed under Alerts)" if eps
                       else f"{count} ({_episodes_span(screen)})", style=muted)]


def episodes_list(screen: "DetailScreen", palette: Palette) -> Text:
    """The most recent episodes of the replay, oldest first."""
    text = Text(f"Alert episodes ({_episodes_span(screen)})", style="bold")
    if screen.episodes is None:
        text.append(f"\n{screen.episodes_note or 'replaying…'}", style=palette["foreground-muted"])
        return text
    eps = screen.episodes.episodes
    if not eps:
        text.append("\nnone", style=palette["foreground-muted"])
    shown = eps[-EPISODES_LISTED:]
    if len(eps) > len(shown):
        text.append(f"\n… {len(eps) - len(shown)} earlier", style=palette["foreground-muted"])
    colours = _episode_colours(palette)
    for e in shown:
        end = _when(e.ended_at) if e.ended_at is not None else "still firing"
        text.append(f"\n{e.severity:<8}", style=colours.get(e.severity, ""))
        text.append(f" {_when(e.started_at)} → {end}  {format_duration(e.duration(screen.episodes_end))}")
    return text


@dataclass(frozen=True)
class DetailData:
    result: SLOResult
    source_error: str | None
    silences: tuple[SilenceView, ...]
    alerts: tuple[AlertView, ...]
    notifications: tuple[NotificationView, ...]
    now: float


def query_text(spec: SLOSpec) -> str:
    """What the source is asked, in the SLO file's own words."""
    parts = []
    if spec.query:
        parts.append(spec.query)
    if spec.sli_field:
        agg = spec.sli_agg or "mean"
        parts.append(f"{agg}({spec.sli_field})" + (f" where {spec.sli_where}" if spec.sli_where else ""))
    if spec.good:
        parts.append(f"good: {spec.good}")
    if spec.total:
        parts.append(f"total: {spec.total}")
    if spec.params:
        parts.append("params: " + ", ".join(f"{k}={v}" for k, v in spec.params.items()))
    return "\n".join(parts) or "(the source's default for this SLO)"


def burn_table(result: SLOResult, palette: Palette) -> Table:
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
    for col in ("tier", "long", "burn", "short", "burn", "factor", "state"):
        table.add_column(col, justify="right" if col in ("burn", "factor") else "left", no_wrap=True)
    if not result.burn_rates:
        table.add_row("—", "", "", "", "", "", "no burn-rate tiers")
    # a threshold SLO's alerts follow its status (the levels), not its tiers: a tier past its factor
    # there said FIRING beside "Alerts: none firing"; it burns the budget, it does not page
    firing_word = "FIRING" if result.spec.kind == "ratio" else "burning"
    for b in result.burn_rates:
        def rate(x: float | None) -> Text:
            if x is None:
                return Text("—", style=palette["foreground-muted"])
            return Text(format_rate(x), style=palette["error"] if x > b.factor else "")
        state = (Text(firing_word, style=f"bold {palette['error' if b.severity == 'critical' else 'warning']}")
                 if b.firing else Text("low traffic", style=palette["foreground-muted"]) if b.low_traffic
                 else Text("ok", style=palette["success"]))
        table.add_row(
            "page" if b.severity == "critical" else "ticket",
            format_duration(b.long_window), rate(b.long_rate),
            format_duration(b.short_window), rate(b.short_rate),
            format_rate(b.factor), state,
        )
    return table


def breakdown_table(result: SLOResult, palette: Palette) -> Table:
    """SPEC 10.1: each breakdown label's groups ranked by impact, the top one highlighted."""
    spec = result.spec
    ratio = spec.kind == "ratio"
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
    columns = ["#", "group", "total"] + (["bad", "of bad", "burn"] if ratio else []) + ["value", "without", "status without"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("group", "status without") else "right", no_wrap=True)
    for b in result.breakdowns:
        if not b.groups:
            table.add_row("", Text(", ".join(b.by)), "", *([""] * (3 if ratio else 0)), "", "", "—")
        for rank, g in enumerate(b.groups, start=1):
            top = g is b.top
            style = f"bold {palette['warning']}" if top else (palette["foreground-muted"] if g.other else "")
            cells_ = [str(rank) if not g.other else "", format_group_labels(g.labels), format_number(g.total)]
            if ratio:
                cells_ += [format_number(g.bad), format_percent(g.share_of_bad), format_rate(g.burn_rate)]
            cells_ += [spec_value(g.value, spec), spec_value(g.without, spec), g.status_without.value]
            table.add_row(*(Text(c) for c in cells_), style=style)  # label values from data: never markup
    return table


def budget_text(result: SLOResult, palette: Palette) -> Text:
    b = result.budget
    text = Text()
    if b is None:
        return Text("no budget yet (no data in the period)", style=palette["foreground-muted"])
    colour = palette["error"] if (b.remaining or 0) <= 0 else palette["warning"] if (b.remaining or 0) < 0.25 else palette["success"]
    text.append(f"{format_percent(b.remaining)} remaining", style=f"bold {colour}")
    spec = result.spec
    if spec.calendar_window is not None:  # a spend budget: the target amount over the window
        text.append(f"  ({format_percent(b.consumed)} consumed of {spec_value(spec.target, spec, precise=True)} "
                    f"this {spec_window(spec)})")
        if b.bad is not None:
            text.append(f"\nspent {spec_value(b.bad, spec)} of {spec_value(spec.target, spec, precise=True)}")
        return text
    text.append(f"  ({format_percent(b.consumed)} consumed of a {format_value(b.budget, kind='ratio', precise=True)} budget)")
    if b.total is not None:
        text.append(f"\nevents: {format_number(b.good or 0)} good of {format_number(b.total)}; "
                    f"bad {format_number(b.bad or 0)}, allowed {format_number(b.allowed_bad or 0)}")
    if b.slices is not None:
        text.append(f"\nslices: {b.good_slices} of {b.slices} met the target"
                    + (f" (compliance {b.compliance * 100:.2f}%)" if b.compliance is not None else ""))
    if b.time_left is not None:
        text.append(f"\nbad time left: {format_duration(b.time_left)}")
    return text


class DetailScreen(Screen[None]):
    """One SLO in depth. Escape goes back; the SLO actions (m, z, t, a) work here too."""

    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back", id="slotui.back")]

    def __init__(self, slo: str, *, loaded: Any = None, state: Any = None, now: float | None = None) -> None:
        super().__init__()
        self.slo = slo
        self.data: DetailData | None = None
        #: the SLO file and state file the episodes are replayed from (None: no episodes section)
        self.loaded = loaded
        self.state = state
        self.episodes_end = ((now or 0.0) // EPISODE_STEP) * EPISODE_STEP
        self.episodes_start = self.episodes_end - EPISODE_DAYS * 86400
        #: the replay of this SLO once the worker is done (an SLOReplay), or why there is none
        self.episodes: Any = None
        self.episodes_note: str | None = None
        self._label_w = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(id="detail-title")
            yield Static(id="detail-objective")
            yield Static(id="detail-chart", classes="section")
            yield Static(id="detail-burn", classes="section")
            yield Static(id="detail-breakdown", classes="section")
            yield Static(id="detail-budget", classes="section")
            yield Static(id="detail-silences", classes="section")
            yield Static(id="detail-alerts", classes="section")
            yield Static(id="detail-episodes", classes="section")
            yield Static(id="detail-query", classes="section")
        yield Footer()

    def show(self, data: DetailData, palette: Palette, icons: IconSet) -> None:
        """Replace the content with ``data`` (called after every refresh and action)."""
        self.data = data
        if not self.is_mounted:
            return
        r, spec, p = data.result, data.result.spec, palette
        title = cells.status_cell(
            r.status, icons, p,
            muted=any(s.kind == "mute" for s in data.silences),
            snoozed=any(s.kind == "snooze" for s in data.silences),
            acked=any(a.acked for a in data.alerts),
        )
        title.append("  ")
        title.append(spec.name, style="bold")
        if spec.description:
            title.append(f"  {spec.description}", style=p["foreground-muted"])
        self.query_one("#detail-title", Static).update(title)

        obj = Text()
        obj.append("value ")
        obj.append(spec_value(r.value, spec), style="bold")
        if r.n is not None:  # SPEC 10.2: "± half-width (n)"
            obj.append(" " + format_samples(r.n, r.interval, spec))
        over = f"the {spec_window(spec)} so far" if spec.calendar_window else format_duration(spec.window)
        obj.append(f" over {over}   target {spec_target(spec)}")
        if spec.warning is not None:
            obj.append(f"   warning {spec_value(spec.warning, spec, precise=True)}", style=p["warning"])
        if spec.critical is not None:
            obj.append(f"   critical {spec_value(spec.critical, spec, precise=True)}", style=p["error"])
        obj.append(f"\nperiod {'calendar month' if spec.calendar_month else format_duration(spec.period)}"
                   f"   source {spec.source}   evaluated {clock_label(r.evaluated_at, data.now)}")
        if spec.labels:
            obj.append("   labels " + ", ".join(f"{k}={v}" for k, v in spec.labels.items()))
        samples = result_samples_line(r)
        if samples and (r.significant is False or r.low_samples):  # the CI only when it changes the reading
            obj.append(f"\nsamples {samples}", style=p["warning"])
        if spec.runbook:
            obj.append("\nrunbook ")
            # a Style, not a style string: a runbook such as "https://wiki/Runbook for checkout" was
            # parsed as style words (the link cut at the space, or dropped with the underline)
            obj.append(spec.runbook, style=Style.parse(p["primary"]) + Style(underline=True, link=spec.runbook))
        if data.source_error or r.error:
            obj.append(f"\nsource error: {data.source_error or r.error}", style=p["error"])
        for note in r.notes:
            obj.append(f"\nnote: {note}", style=p["foreground-muted"])
        self.query_one("#detail-objective", Static).update(obj)

        lines = [ChartLine(spec.target, "target", p["success"], "-" if icons.ascii_only else "─")]
        if spec.warning is not None:
            lines.append(ChartLine(spec.warning, "warning", p["warning"], "." if icons.ascii_only else "┄"))
        if spec.critical is not None:
            lines.append(ChartLine(spec.critical, "critical", p["error"], "=" if icons.ascii_only else "━"))
        values = [v for _, v in r.history]
        if spec.kind == "ratio":
            fmt = lambda v: format_value(v, kind="ratio")  # noqa: E731
        else:
            fmt = format_number
        span = ""
        if r.history:
            span = " " + span_label(r.history[0][0], r.history[-1][0])
        chart = SLIChart(values, height=9, lines=lines, lower_is_better=spec.direction == "lower_is_better",
                         bar_colour=p["primary"], axis_colour=p["foreground-muted"], fmt=fmt,
                         ascii_only=icons.ascii_only)
        heading = Text(f"SLI over the period ({len(values)} slices{span})", style="bold")
        if r.forecast is not None:
            # spend so far, then the projection (dimmed), against the budget line (the target)
            curve, past = spend_curve(r.forecast, r.history, r.evaluated_at)
            chart = SLIChart(curve, height=9, lines=lines, lower_is_better=True, bar_colour=p["primary"],
                             axis_colour=p["foreground-muted"], fmt=fmt, ascii_only=icons.ascii_only,
                             projected_from=past)
            parts = forecast_parts(r.forecast, spec)
            heading = Text(f"Spend over the {spec_window(spec)}: " + forecast_text(r.forecast, spec), style="bold")
            heading.append(f"\nrate {parts['rate']}; the projection to the end is dimmed",
                           style=f"not bold {p['foreground-muted']}")
        self._label_w = max((len(ln.label) + 1 for ln in lines), default=0)
        band = episodes_band(self, p, icons) if self.loaded is not None else []
        self.query_one("#detail-chart", Static).update(Group(heading, chart, *band))
        episodes = self.query_one("#detail-episodes", Static)
        episodes.display = self.loaded is not None
        if self.loaded is not None:
            episodes.update(episodes_list(self, p))

        self.query_one("#detail-burn", Static).update(
            Group(Text("Burn rate per tier (spend pace / the even pace of the budget; fires when both windows > factor)"
                       if spec.calendar_window is not None else
                       "Burn rate per tier (error ratio / budget; fires when both windows > factor)",
                       style="bold", overflow="ellipsis", no_wrap=True), burn_table(r, p)))

        breakdown = self.query_one("#detail-breakdown", Static)
        breakdown.display = bool(r.breakdowns)
        if r.breakdowns:
            window = format_duration(max(b.window for b in r.breakdowns))
            parts: list = [Text(f"Breakdown over {window} (ranked by how much removing a group helps; "
                                "without = the SLI with that group removed)", style="bold", overflow="ellipsis",
                                no_wrap=True), breakdown_table(r, p)]
            parts += [Text(f"note: {n}", style=p["foreground-muted"]) for b in r.breakdowns for n in b.notes]
            breakdown.update(Group(*parts))

        timeline = budget_timeline(r)
        budget_parts: list = [Text("Error budget", style="bold"), budget_text(r, p)]
        if len(timeline) >= 2:
            spark = cells.trend_cell(
                SLOResult(spec=_higher(spec), status=r.status, evaluated_at=r.evaluated_at, history=tuple(timeline)),
                48, p, icons)
            lowest = min(v for _, v in timeline)
            budget_parts.append(Text(
                f"remaining over time (period to date): {format_percent(timeline[0][1])} after the first "
                f"{'slice' if spec.kind == 'threshold' else 'bucket'}, lowest {format_percent(lowest)}, "
                f"{format_percent(timeline[-1][1])} now", style=p["foreground-muted"]))
            budget_parts.append(spark)
            budget_parts.append(Text(""))  # ends the sparkline's line (it emits no newline)
        self.query_one("#detail-budget", Static).update(Group(*budget_parts))

        sil = Text("Silences", style="bold")
        if not data.silences:
            sil.append("\nnone active", style=p["foreground-muted"])
        for s in data.silences:
            until = "until lifted" if s.ends_at is None else f"until {clock_label(s.ends_at, data.now)} ({format_duration(s.ends_at - data.now)} left)"
            sil.append(f"\n{s.kind} {s.id[:8]} {s.matchers} {until} by {s.created_by}")
            if s.comment:
                sil.append(f": {s.comment}", style=p["foreground-muted"])
        self.query_one("#detail-silences", Static).update(sil)

        al = Text("Alerts", style="bold")
        rank = {"warning": 0, "critical": 1, "page": 2}
        for a in data.alerts:
            # an inhibited alert is not sent: it reads so, not as a second live alert
            by = max((b.severity for b in data.alerts if b.state == "firing" and not b.inhibited
                      and rank.get(b.severity, -1) > rank.get(a.severity, -1)),
                     key=lambda sev: rank.get(sev, -1), default="a more severe alert") if a.inhibited else ""
            al.append(f"\n{a.severity} {a.state}" + (f" (inhibited by {by})" if a.inhibited else "")
                      + f" since {clock_label(a.since, data.now)} ({format_duration(data.now - a.since)})"
                      + (" acknowledged" if a.acked else "") + (" silenced" if a.silenced else ""),
                      style=p["foreground-muted"] if a.inhibited
                      else p["error"] if a.severity in ("critical", "page") else p["warning"])
        if not data.alerts:
            al.append("\nnone firing", style=p["foreground-muted"])
        al.append("\nHistory", style="bold")
        if not data.notifications:
            al.append("\nno notifications sent for this SLO", style=p["foreground-muted"])
        for n in data.notifications[:8]:
            ok = n.status in ("delivered", "sent")
            al.append(f"\n{clock_label(n.at, data.now)} {n.kind:<8} {n.channel:<14} ")
            al.append(n.status, style=p["success"] if ok else p["error"] if n.status == "failed" else p["warning"])
            if n.error:
                al.append(f" {n.error}", style=p["foreground-muted"])
        self.query_one("#detail-alerts", Static).update(al)

        q = Text("Source query", style="bold")
        q.append(f"\n{query_text(spec)}")
        self.query_one("#detail-query", Static).update(q)

    def on_mount(self) -> None:
        if self.data is not None:
            self.app.call_after_refresh(self._reshow)
        if self.loaded is not None:
            self.run_worker(self._replay_episodes, thread=True, exclusive=True, group="detail-episodes")

    def _replay_episodes(self) -> None:
        """Worker thread: replay this SLO over the last 30 days (never on the event loop)."""
        from textual.worker import get_current_worker

        from slotui.replay.run import ReplayStopped, replay_slo

        worker = get_current_worker()
        try:
            replay, why = replay_slo(self.loaded, self.slo, self.episodes_start, self.episodes_end, EPISODE_STEP,
                                     state=self.state, stop=lambda: worker.is_cancelled)
        except ReplayStopped:  # the view was closed: nobody to show it to
            return
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            replay, why = None, f"replay failed: {exc}"
        self.app.call_from_thread(self._episodes_ready, replay, why)

    def _episodes_ready(self, replay: Any, why: str | None) -> None:
        self.episodes = replay
        self.episodes_note = f"not replayed: {why}" if why else None
        self._reshow()

    def _reshow(self) -> None:
        app = self.app
        if self.data is not None and hasattr(app, "palette"):
            self.show(self.data, app.palette, app.icons)  # type: ignore[attr-defined]


def _higher(spec: SLOSpec) -> SLOSpec:
    """The spec with higher-is-better direction (budget remaining: more is better)."""
    from dataclasses import replace

    return replace(spec, direction="higher_is_better")
