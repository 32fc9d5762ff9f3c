"""A multi-line chart of an SLI over time with its target and thresholds drawn across.

Columns are time buckets (worst value of each bucket, so a short spike stays
visible); bars rise from the bottom in eighths. Threshold lines are drawn
where no bar covers them: ``─`` target, ``┄`` warning, ``━`` critical (ASCII:
``-``, ``.``, ``=``). The y axis is labelled at top, bottom and at each line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from slotui.tui.cells import downsample_worst

EIGHTHS = " ▁▂▃▄▅▆▇█"
ASCII_LEVELS = " .:-=+*#%"


@dataclass(frozen=True)
class ChartLine:
    value: float
    label: str
    colour: str
    char: str


class SLIChart:
    """Render ``values`` (oldest first) as bars with horizontal reference lines.

    ``lower_is_better`` decides which end of each bucket is "worst" and
    colours bars beyond a threshold in that threshold's colour.
    """

    def __init__(
        self,
        values: Sequence[float],
        *,
        height: int,
        lines: Sequence[ChartLine] = (),
        lower_is_better: bool = True,
        bar_colour: str = "default",
        axis_colour: str = "grey50",
        fmt=lambda v: f"{v:.4g}",
        ascii_only: bool = False,
        width: int | None = None,
        projected_from: float | None = None,
    ) -> None:
        self.values = [v for v in values if v is not None and math.isfinite(v)]
        self.height = max(2, height)
        self.lines = list(lines)
        self.lower_is_better = lower_is_better
        self.bar_colour = bar_colour
        self.axis_colour = axis_colour
        self.fmt = fmt
        self.ascii_only = ascii_only
        self.width = width
        #: share of the x axis from which the values are a projection (drawn in the axis colour, SPEC 10.4)
        self.projected_from = projected_from

    def _range(self) -> tuple[float, float]:
        """Auto-scaled to the data and the lines (as Grafana does), with a small margin."""
        candidates = self.values + [ln.value for ln in self.lines]
        lo, hi = min(candidates), max(candidates)
        if hi == lo:
            pad = abs(hi) * 0.1 or 1.0
            return lo - pad, hi + pad
        margin = (hi - lo) * 0.06
        if lo >= 0 and lo - margin < 0:
            return 0.0, hi + margin
        return lo - margin, hi + margin

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = self.width or options.max_width
        axis_w = 10
        label_w = max((len(ln.label) + 1 for ln in self.lines), default=0)
        plot_w = max(4, width - axis_w - 1 - label_w)
        height = self.height
        axis_style = Style.parse(self.axis_colour)
        if not self.values:
            yield Segment(" " * axis_w + "no samples in the period", axis_style)
            yield Segment.line()
            return
        points = downsample_worst(self.values, plot_w, lower_is_better=self.lower_is_better)
        lo, hi = self._range()
        span = hi - lo
        levels = ASCII_LEVELS if self.ascii_only else EIGHTHS
        steps = len(levels) - 1

        def level(v: float) -> float:  # height in rows from the bottom
            return (v - lo) / span * height

        line_rows: dict[int, ChartLine] = {}
        for ln in sorted(self.lines, key=lambda x: x.value):
            # Lines closer than a row apart are nudged up so each stays visible, in value order.
            row = min(height - 1, max(0, int(level(ln.value))))
            while row in line_rows and row < height - 1:
                row += 1
            line_rows.setdefault(row, ln)

        def bar_style(v: float) -> Style:
            worst = None
            for ln in self.lines:
                beyond = v > ln.value if self.lower_is_better else v < ln.value
                if beyond and ln.label != "target":
                    if worst is None or (ln.value > worst.value if self.lower_is_better else ln.value < worst.value):
                        worst = ln
            return Style.parse(worst.colour if worst is not None else self.bar_colour)

        styles = [bar_style(v) for v in points]
        if self.projected_from is not None:
            first = max(0, min(len(points), int(self.projected_from * len(points))))
            projected = Style.parse(self.axis_colour) + Style(dim=True)
            styles[first:] = [s if s.color != Style.parse(self.bar_colour).color else projected
                              for s in styles[first:]]
        heights = [level(v) for v in points]
        labels = {height - 1: self.fmt(hi), 0: self.fmt(lo)}
        for row, ln in line_rows.items():
            labels[row] = self.fmt(ln.value)
        for row in reversed(range(height)):
            label = labels.get(row, "")
            yield Segment(f"{label[:axis_w - 1]:>{axis_w - 1}} ", axis_style)
            yield Segment("┤" if not self.ascii_only else "|", axis_style)
            ref = line_rows.get(row)
            for x, h in enumerate(heights):
                fill = h - row
                if fill >= 1:
                    yield Segment(levels[-1], styles[x])
                elif fill > 0:
                    idx = max(1, min(steps, int(round(fill * steps))))
                    yield Segment(levels[idx], styles[x])
                elif ref is not None:
                    yield Segment(ref.char, Style.parse(ref.colour))
                else:
                    yield Segment(" ")
            if ref is not None:
                yield Segment(f" {ref.label}", Style.parse(ref.colour))
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(20, self.width or options.max_width)


#: episode severities, worst first (a column shows the worst episode that overlaps it)
_SEVERITY_RANK = {"page": 0, "critical": 1, "ticket": 2, "warning": 3}


class EpisodeBand:
    """One row of markers under a chart: where alert episodes fired over ``[start, end)``.

    Laid out like :class:`SLIChart` (the same axis width, and the plot width of a
    chart with reference-line labels ``label_w`` wide), each column covers an
    equal share of the span and shows the worst episode overlapping it: ``█``
    page/critical, ``▄`` ticket/warning (ASCII ``#``/``=``), ``·`` none (``.``).
    ``episodes`` are ``(severity, started_at, ended_at or None: still firing)``.
    """

    def __init__(
        self,
        episodes: Sequence[tuple[str, float, float | None]],
        start: float,
        end: float,
        *,
        colours: dict[str, str],
        axis_colour: str = "grey50",
        label: str = "alerts",
        label_w: int = 0,
        ascii_only: bool = False,
        width: int | None = None,
    ) -> None:
        self.episodes = list(episodes)
        self.start, self.end = start, end
        self.colours = colours
        self.axis_colour = axis_colour
        self.label = label
        self.label_w = label_w
        self.ascii_only = ascii_only
        self.width = width

    def columns(self, plot_w: int) -> list[str | None]:
        """The worst severity per column (None: no episode), for ``plot_w`` columns."""
        out: list[str | None] = [None] * plot_w
        span = self.end - self.start
        if span <= 0:
            return out
        for severity, started, ended in self.episodes:
            stop = self.end if ended is None else min(ended, self.end)
            if stop <= self.start or started >= self.end:
                continue
            first = max(0, int((max(started, self.start) - self.start) / span * plot_w))
            last = min(plot_w - 1, max(first, math.ceil((stop - self.start) / span * plot_w) - 1))
            rank = _SEVERITY_RANK.get(severity, 9)
            for x in range(first, last + 1):
                current = out[x]
                if current is None or rank < _SEVERITY_RANK.get(current, 9):
                    out[x] = severity
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = self.width or options.max_width
        axis_w = 10
        plot_w = max(4, width - axis_w - 1 - self.label_w)
        axis_style = Style.parse(self.axis_colour)
        yield Segment(f"{self.label[:axis_w - 1]:>{axis_w - 1}} ", axis_style)
        yield Segment("|" if self.ascii_only else "┤", axis_style)
        high, low, none = ("#", "=", ".") if self.ascii_only else ("█", "▄", "·")
        for severity in self.columns(plot_w):
            if severity is None:
                yield Segment(none, axis_style)
            else:
                char = high if _SEVERITY_RANK.get(severity, 9) <= 1 else low
                yield Segment(char, Style.parse(self.colours.get(severity, self.axis_colour)))
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(20, self.width or options.max_width)
