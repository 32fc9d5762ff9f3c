"""Turn one SLO's evaluation into the cells of its table row.

Pure functions of the result, overlays and a palette (no app, no clock), so
the table can diff rows by their inputs and tests can check the text exactly.
Every cell is a :class:`rich.text.Text` (never a markup string, so SLO names
are shown as written): the trend is a sparkline drawn as styled text and the
budget a bar with the true percentage. Plain text lets the table render a
changed row cheaply (see :class:`slotui.tui.widgets.slo_table.SLOTable`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.color import blend_rgb
from rich.style import Style
from rich.text import Span, Text

from slotui.core.types import SLOResult, Status
from slotui.formatting import breakdown_hint, forecast_cell, format_duration, format_percent, format_rate, result_value
from slotui.tui.themes import IconSet

#: Short labels that fit a narrow status column.
STATUS_LABEL = {
    Status.CRITICAL: "CRITICAL",
    Status.WARNING: "WARNING",
    Status.STALE: "STALE",
    Status.NO_DATA: "NO DATA",
    Status.AT_RISK: "AT RISK",
    Status.OK: "OK",
}

#: Palette keys (theme variables) per status.
STATUS_COLOUR = {
    Status.CRITICAL: "error",
    Status.WARNING: "warning",
    Status.STALE: "slo-stale",
    Status.NO_DATA: "slo-no-data",
    Status.AT_RISK: "slo-at-risk",
    Status.OK: "success",
}


@dataclass(frozen=True)
class Palette:
    """Concrete colours (``#rrggbb``) read from the current theme's variables."""

    colours: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        fallback = {
            "slo-stale": "magenta", "slo-no-data": "grey62", "slo-at-risk": "yellow",
            "success": "green", "warning": "yellow", "error": "red", "foreground": "default",
            "foreground-muted": "grey50", "primary": "blue", "panel": "grey23",
        }
        return self.colours.get(key) or fallback.get(key, "default")

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> "Palette":
        keep = ("success", "warning", "error", "primary", "accent", "foreground", "foreground-muted",
                "panel", "surface", "slo-stale", "slo-no-data", "slo-at-risk")
        return cls({k: _hex(variables[k]) for k in keep if k in variables})


def _hex(value: str) -> str:
    """Theme variables may be ``rgba(...)`` or ``#rrggbbaa``; Rich wants ``#rrggbb``."""
    from textual.color import Color

    try:
        return Color.parse(value).hex6
    except Exception:
        return "default"


# ---------------------------------------------------------------------------- numbers


# Numbers, durations and percentages are written by slotui.formatting (shared with
# ``check`` and every channel); this module only adds styling.


# ---------------------------------------------------------------------------- renderables


def finite_values(points: Sequence[tuple[float, float]]) -> list[float]:
    """The values of ``(time, value)`` points without None/NaN/inf (fast path: one C-level sum)."""
    values = [p[1] for p in points]
    try:
        if math.isfinite(math.fsum(values)):
            return values
    except (TypeError, OverflowError):
        pass
    return [v for v in values if v is not None and math.isfinite(v)]


def downsample_worst(values: Sequence[float], buckets: int, *, lower_is_better: bool) -> list[float]:
    """At most ``buckets`` points, each the worst value of its share of ``values`` (order kept)."""
    n = len(values)
    if n <= buckets:
        return list(values)
    pick = max if lower_is_better else min
    out = []
    for i in range(buckets):
        chunk = values[i * n // buckets:(i + 1) * n // buckets]
        if chunk:
            out.append(pick(chunk))
    return out


TREND_POINTS = 96


def trend_points(result: SLOResult, n: int = TREND_POINTS) -> tuple[float, ...]:
    """The history reduced to at most ``n`` points, each the worst value of its share of the period.

    Computed in the backend thread for every SLO (see :func:`slotui.tui.app.prepare_snapshot`),
    so the event loop never walks thousands of slices per row.
    """
    values = finite_values(result.history)
    return tuple(downsample_worst(values, n, lower_is_better=result.spec.direction == "lower_is_better"))


@lru_cache(maxsize=64)
def _shades(good: str, bad: str, steps: int) -> tuple[Style, ...]:
    """``steps`` styles from ``good`` to ``bad`` (cached: a theme has one pair)."""
    ca, cb = RichColor.parse(good).get_truecolor(), RichColor.parse(bad).get_truecolor()
    return tuple(Style(color=RichColor.from_triplet(blend_rgb(ca, cb, i / (steps - 1)))) for i in range(steps))


def spark_text(values: Sequence[float], width: int, *, lower_is_better: bool, good: str, bad: str,
               levels: str = "▁▂▃▄▅▆▇█") -> Text:
    """A one-line sparkline as styled text: ``width`` bars, each the worst value of its bucket,
    coloured from ``good`` to ``bad`` by how bad the bar is.

    Same picture as :class:`textual.renderables.sparkline.Sparkline`, but a plain
    :class:`~rich.text.Text`: the table's frame renders it several times faster
    (the renderable buckets with ``Fraction`` on every paint; see bench/tui_tick.py).
    """
    n = len(values)
    if n == 0 or width <= 0:
        return Text("", end="")
    if n >= width:
        points = downsample_worst(values, width, lower_is_better=lower_is_better)
    else:
        points = [values[i * n // width] for i in range(width)]
    lo, hi = min(points), max(points)
    extent = (hi - lo) or 1.0
    steps = len(levels)
    shades = _shades(good, bad, steps)
    chars: list[str] = []
    spans: list[Span] = []
    top = steps - 1
    for i, v in enumerate(points):
        ratio = (v - lo) / extent if hi > lo else 0.5
        chars.append(levels[min(top, int(ratio * steps))])
        shade = shades[min(top, int((ratio if lower_is_better else 1.0 - ratio) * top + 0.5))]
        if spans and spans[-1].style is shade and spans[-1].end == i:
            spans[-1] = Span(spans[-1].start, i + 1, shade)
        else:
            spans.append(Span(i, i + 1, shade))
    # built from spans directly: Text.append per glyph costs more than the rest of the row
    return Text("".join(chars), spans=spans, end="", no_wrap=True)


def fit_hint(hint: str, width: int) -> str:
    """The breakdown hint (``← gpt-4o-mini``) in ``width`` cells, cut at the front of the label: cut at
    its end, ``← gpt-4o…`` named another model than the culprit."""
    from rich.cells import cell_len

    if cell_len(hint) <= width:
        return hint
    arrow, _, label = hint.partition(" ")
    room = width - cell_len(arrow) - 2  # the space and the ellipsis
    if room <= 0:
        return arrow[:width]
    kept = ""
    for ch in reversed(label):
        if cell_len(ch + kept) > room:
            break
        kept = ch + kept
    return f"{arrow} …{kept}"


def trend_cell(result: SLOResult, width: int, palette: Palette, icons: IconSet,
               points: Sequence[float] | None = None) -> Text:
    """The SLI over the period, one bar per bucket, worst value of each bucket; good end green."""
    lower = result.spec.direction == "lower_is_better"
    values = list(points) if points is not None else finite_values(result.history)
    if not values:
        return Text("no history", style=palette["foreground-muted"], end="")
    return spark_text(values, width, lower_is_better=lower, good=palette["success"], bad=palette["error"],
                      levels=icons.spark)


def budget_colour(remaining: float | None, palette: Palette) -> str:
    if remaining is None:
        return palette["slo-no-data"]
    if remaining <= 0:
        return palette["error"]
    if remaining < 0.25:
        return palette["warning"]
    return palette["success"]


def budget_cell(remaining: float | None, *, bar_width: int, palette: Palette, ascii_bar: bool) -> Text:
    """An error-budget bar (capped at 0 and 100%) followed by the true percentage remaining.

    ``━━━───   45.0%``, ``──────  -35.0%``: the bar never goes below empty, the figure does. With ASCII
    icons the two parts differ by glyph (``##....``) so it reads without colour.

    The cell is ``bar_width + 8`` wide and the figure is never cut: a longer one (``-999,900%``,
    a five-nines SLO failing everything) takes room from the bar, which is empty then anyway,
    and one longer than the cell is written ``-1.00e+14%``.
    """
    if remaining is not None and math.isnan(remaining):
        remaining = None  # unknown: an empty grey bar, not a full green one
    colour = budget_colour(remaining, palette)
    figure = format_percent(remaining)
    room = bar_width + 8
    if len(figure) > room - 1:
        figure = f"{remaining * 100:.2e}%"  # type: ignore[operator]  # only a number gets this long
    if len(figure) > 7:  # a space between the bar and the figure's sign
        bar_width = max(0, room - len(figure) - 1)
    filled = 0 if remaining is None else int(round(max(0.0, min(1.0, remaining)) * bar_width))
    text = Text(end="", no_wrap=True)
    if ascii_bar:
        text.append("#" * filled, colour)
        text.append("." * (bar_width - filled), palette["foreground-muted"])
    else:
        text.append("━" * filled, colour)
        text.append("─" * (bar_width - filled), palette["foreground-muted"])
    text.append(f"{figure:>{room - bar_width}}", colour)
    return text


def status_cell(status: Status, icons: IconSet, palette: Palette, *, muted: bool, snoozed: bool, acked: bool) -> Text:
    """``✖ CRITICAL`` coloured by status, with ``M`` (muted) / ``Z`` (snoozed) / ack badges."""
    colour = palette[STATUS_COLOUR[status]]
    silenced = muted or snoozed
    text = Text(f"{icons.status[status.value]} {STATUS_LABEL[status]}", style=f"bold {colour}" if not silenced else colour)
    if muted:
        text.append(" " + icons.muted, style=f"reverse {palette['foreground-muted']}")
    elif snoozed:
        text.append(" " + icons.snoozed, style=f"reverse {palette['foreground-muted']}")
    if acked:
        text.append(" " + icons.acked, style=palette["primary"])
    return text


def burn_cell(result: SLOResult, palette: Palette) -> Text:
    """The fastest long-window burn rate and its window: ``14.2x 1h``; coloured when a tier fires."""
    burn = result.fastest_burn
    if burn is None or burn.long_rate is None or math.isnan(burn.long_rate):
        return Text("—", style=palette["foreground-muted"])
    firing = any(b.firing for b in result.burn_rates)
    rate = burn.long_rate
    rate_text = format_rate(rate, compact=True)  # the column is 9 cells: rate and window fit
    style = palette["error"] if firing and burn.severity == "critical" else palette["warning"] if firing else (
        palette["foreground"] if rate >= 1 else palette["foreground-muted"]
    )
    return Text(f"{rate_text} {format_duration(burn.long_window)}", style=style)


def source_cell(source: str, error: str | None, icons: IconSet, palette: Palette, width: int) -> Text:
    """``✓ demo``, or on failure ``✗ prom: timed out after 5s`` (``✗ timed out…`` when narrow:
    the error matters more than the name, which the sources panel repeats)."""
    if error:
        full = f"{icons.source_error} {source}: {error}"
        short = f"{icons.source_error} {error}"
        text = Text(full if len(full) <= width else short, style=palette["error"])
    else:
        text = Text(f"{icons.source_ok} {source}", style=palette["foreground-muted"])
    text.truncate(width, overflow="ellipsis")
    return text


def value_cell(result: SLOResult, palette: Palette, width: int | None = None) -> Text:
    """The Value cell; in ``width`` cells the ``(stale)`` and ``(low)`` marks are kept (see _marked)."""
    text = result_value(result)  # "~0.78" when the interval straddles the target (SPEC 10.2)
    if result.forecast is not None and not (result.stale or result.status == Status.STALE):
        return Text(forecast_cell(result.forecast, result.spec))
    if result.stale or result.status == Status.STALE:
        return _marked(text, "stale", result.spec.unit, palette["slo-stale"], width)
    if result.value is None:
        return Text(text, style=palette["foreground-muted"])
    if result.low_traffic:
        return _marked(text, "low", result.spec.unit, palette["foreground-muted"], width)
    return Text(text)


def _marked(text: str, mark: str, unit: str, style: str, width: int | None) -> Text:
    """``1,500 ms (stale)``, or what of it fits ``width`` cells with the mark whole (a cut mark was
    read as part of the number): the unit dropped first (the Target column says it), then the
    parentheses (``1,500 (stale)``, ``99.62% stale``, ``12,345.6 low``)."""
    from rich.cells import cell_len

    unit = (unit or "").strip()
    bare = text[: -len(unit) - 1] if unit and text.endswith(" " + unit) else text
    tries = (f"{text} ({mark})", f"{bare} ({mark})", f"{text} {mark}", f"{bare} {mark}")
    fits = next((t for t in tries if width is None or cell_len(t) <= width), tries[-1])
    return Text(fits, style=style)


def budget_remaining(result: SLOResult) -> float | None:
    """The share of the error budget left, None when unknown (no budget yet, or not a number:
    a NaN would draw a full green bar and sort anywhere)."""
    remaining = result.budget.remaining if result.budget is not None else None
    return None if remaining is None or math.isnan(remaining) else remaining


def hint_text(result: SLOResult) -> str | None:
    """The main table's breakdown hint after the SLO name (``← gpt-4o-mini``), or None: shown when
    one group explains most of the trouble (:func:`slotui.formatting.breakdown_hint`; the detail
    view has the whole sentence)."""
    if not result.breakdowns:
        return None
    return breakdown_hint(result.breakdowns, result.spec, result.status, compact=True)
