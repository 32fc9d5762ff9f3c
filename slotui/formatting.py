"""How slotui writes numbers, times, durations and statuses for people.

The one formatting module: the TUI (which only adds styling), every ``check``
format, ``/metrics`` help text and every notification channel write a value
through these functions, so it reads the same everywhere. Pure functions,
stdlib only (no Rich, no Textual).

Percentages never round to ``100%`` or ``0%`` unless the value is exactly
that: 0.99996 is ``99.996%`` everywhere, and a budget of 0.9996 left is
``99.96%``.

Units (the SLO's ``unit``):

- ratio SLOs, and units ``%``/``percent``/``ratio``: the value is a fraction
  (0.995) shown as a percentage (``99.50%``);
- ``ms``: ``1,834 ms`` (whole milliseconds from 100 ms on);
- ``s``: ``1.84 s``;
- ``usd``/``$``: ``$0.0362`` (three significant digits below $1, cents above;
  a whole-dollar target from $1,000 on without cents: ``$180,000``);
- any other unit is appended after the number; no unit gives the bare number
  (``0.852``).

A missing value (None, NaN, inf) is written as an em dash (``-`` in ASCII mode),
never as ``nan``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Any

from slotui.clock import OUT_OF_RANGE, strftime_utc, utc_datetime
from slotui import clock
from slotui.core.status import meets
from slotui.core.types import Forecast, SLOResult, SLOSpec, Status

#: Status icons for terminals with Unicode (single-cell glyphs, no emoji).
STATUS_ICONS: dict[Status, str] = {
    Status.OK: "✔",
    Status.AT_RISK: "▲",
    Status.WARNING: "⚠",
    Status.CRITICAL: "✖",
    Status.NO_DATA: "?",
    Status.STALE: "…",
}
#: Status icons for ASCII-only terminals and logs.
ASCII_STATUS_ICONS: dict[Status, str] = {
    Status.OK: "+",
    Status.AT_RISK: "^",
    Status.WARNING: "!",
    Status.CRITICAL: "x",
    Status.NO_DATA: "?",
    Status.STALE: "~",
}
#: Emoji for Markdown (GitHub job summaries, chat).
STATUS_EMOJI: dict[Status, str] = {
    Status.OK: "✅",
    Status.AT_RISK: "🟡",
    Status.WARNING: "⚠️",
    Status.CRITICAL: "🔴",
    Status.NO_DATA: "❔",
    Status.STALE: "💤",
}

MISSING = "—"
ASCII_MISSING = "-"
_PERCENT_UNITS = {"%", "percent", "ratio", "fraction"}
_USD_UNITS = {"usd", "$", "dollar", "dollars"}
_MEASURE_UNITS = {"ms", "s", "sec", "seconds", "usd", "dollar", "dollars", "tokens"}


def is_number(x: Any) -> bool:
    """True for a finite int/float (bool excluded)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def status_label(status: Status, *, ascii: bool = False) -> str:
    """Icon and name: ``✖ CRITICAL`` (``x CRITICAL`` in ASCII mode)."""
    icons = ASCII_STATUS_ICONS if ascii else STATUS_ICONS
    return f"{icons[status]} {status.value}"


#: from here on a magnitude is written in scientific notation (``1.00e+308``): ``{:,.0f}`` would write
#: every one of its up to 309 digits and blow a table column (a ``1e308`` cost in a log is finite)
HUGE = 1e15


def _huge(x: float) -> str:
    """A magnitude of at least :data:`HUGE`: ``1.00e+308``, ``-2.50e+17``."""
    return f"{x:.2e}"


def format_number(x: float | None, *, ascii: bool = False) -> str:
    """A bare number with about four significant digits: 0.852, 12.5, 1,234; thousands separated."""
    if not is_number(x):
        return ASCII_MISSING if ascii else MISSING
    assert x is not None
    ax = abs(x)
    if ax >= HUGE:
        return _huge(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax == 0:
        return "0"
    if ax < 0.001:
        return f"{x:.2e}"
    text = f"{x:.4g}"
    if abs(float(text)) >= 1000:  # 999.95 rounds up to 1000: group it as 1,000 like its neighbours
        return f"{x:,.0f}"
    return text


def format_percent(fraction: float | None, *, decimals: int = 1, ascii: bool = False) -> str:
    """A fraction as a percentage: 0.823 -> ``82.3%``; negative values keep their sign.

    More decimals (up to 4) when ``decimals`` would round to a misleading ``100``
    or ``0``: 0.9996 -> ``99.96%``, -0.0004 -> ``-0.04%``; 1000% and more drop
    the decimals and group thousands (``-9,900%``).
    """
    if not is_number(fraction):
        return ASCII_MISSING if ascii else MISSING
    assert fraction is not None
    p = fraction * 100
    if abs(p) >= HUGE:
        return _huge(p) + "%"
    if abs(p) >= 1000:
        return f"{p:,.0f}%"
    return _unrounded_percent(p, decimals)


def _unrounded_percent(p: float, decimals: int) -> str:
    """``p`` (already x100) with ``decimals``, more when that would read as exactly 100 or 0."""
    for d in range(decimals, max(decimals, 4) + 1):
        text = f"{p:.{d}f}"
        if (abs(float(text)) != 100 or abs(p) == 100) and (float(text) != 0 or p == 0):
            return text + "%"
    # Closer to 100% (or 0%) than 0.0001 points: round away from the misleading end.
    d = max(decimals, 4)
    scale = 10**d
    if abs(p) > 50:
        return f"{math.copysign(math.floor(abs(p) * scale) / scale, p):.{d}f}%"
    return f"{math.copysign(math.ceil(abs(p) * scale) / scale, p):.{d}f}%"


def format_target_percent(fraction: float) -> str:
    """A target fraction as a percentage with the digits it needs: 0.995 -> ``99.50%``, 0.9999 -> ``99.99%``,
    0.99995 -> ``99.995%``."""
    p = fraction * 100
    decimals = 2
    while decimals < 5 and abs(round(p, decimals) - p) > 1e-9:
        decimals += 1
    return f"{p:.{decimals}f}%"


def _percent_value(fraction: float) -> str:
    """Two decimals, but never a rounded ``100.00%`` (or ``0.00%``) for a value that is not exactly that."""
    return _unrounded_percent(fraction * 100, 2)


def format_value(
    value: float | None, unit: str = "", *, kind: str = "threshold", ascii: bool = False, precise: bool = False
) -> str:
    """An SLI value with its unit (see the module docstring); ``precise`` keeps a target's digits."""
    if not is_number(value):
        return ASCII_MISSING if ascii else MISSING
    assert value is not None
    u = (unit or "").strip()
    lu = u.lower()
    if kind == "ratio" or lu in _PERCENT_UNITS:
        if abs(value) * 100 >= HUGE:
            return _huge(value * 100) + "%"
        return format_target_percent(value) if precise else _percent_value(value)
    if abs(value) >= HUGE:
        number = _huge(value)
        if lu in _USD_UNITS:
            return f"${number}" if value >= 0 else f"-${number[1:]}"
        return f"{number} {u}" if u else number
    if lu == "ms":
        number = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
        return f"{_kept(number, value, precise)} ms"
    if lu in ("s", "sec", "seconds"):
        # from 999.5 on, .3g writes 1e+03
        number = f"{value:.3g}" if abs(value) < 999.5 else f"{value:,.0f}"
        return f"{_kept(number, value, precise)} s"
    if lu in _USD_UNITS:
        sign = "-" if value < 0 else ""
        av = abs(value)
        if precise and av >= 1000 and av == int(av):
            return f"{sign}${av:,.0f}"  # a budget as written: $180,000
        if av >= 1:
            return f"{sign}${_kept(f'{av:,.2f}', av, precise)}"
        if av == 0:
            return "$0"
        return f"{sign}${_kept(f'{av:.3g}' if av >= 0.001 else f'{av:.2e}', av, precise)}"
    number = _kept(format_number(value, ascii=ascii), value, precise)
    return f"{number} {u}" if u else number


def _kept(shown: str, value: float, precise: bool) -> str:
    """``shown``, or with ``precise`` (a target or threshold, compared with values that are written
    rounded) ``value`` with every digit it was written with when ``shown`` rounded some away: a
    1.255 s target is ``1.255 s``, not ``1.25 s``, and 2,000.5 ms is not ``2,000 ms``."""
    if not precise:
        return shown
    try:
        if float(shown.replace(",", "")) == value:
            return shown
    except ValueError:
        pass
    text = repr(float(value))
    if "e" in text:
        return shown
    whole, _, frac = text.partition(".")
    grouped = f"{int(whole):,}" if whole != "-0" else "-0"
    return grouped + (f".{frac}" if frac and frac != "0" else "")


def direction_symbol(direction: str, *, ascii: bool = False) -> str:
    """``≥`` for higher-is-better, ``≤`` for lower-is-better (``>=``/``<=`` in ASCII)."""
    if direction == "lower_is_better":
        return "<=" if ascii else "≤"
    return ">=" if ascii else "≥"


def format_target(
    target: float, direction: str, unit: str = "", *, kind: str = "threshold", ascii: bool = False
) -> str:
    """The objective with its direction: ``≤ 2,000 ms``, ``≥ 99.50%``, ``≥ 0.85``.

    A word unit (``score``) is left to the value next to it; measurement units stay.
    """
    text = format_value(target, unit, kind=kind, ascii=ascii, precise=True)
    u = (unit or "").strip()
    if u and u.isalpha() and u.lower() not in _MEASURE_UNITS and text.endswith(" " + u):
        text = text[: -len(u) - 1]
    return f"{direction_symbol(direction, ascii=ascii)} {text}"


def spec_value(value: float | None, spec: SLOSpec, *, ascii: bool = False, precise: bool = False) -> str:
    """An SLO's value (or, ``precise``, one of its thresholds) as :func:`format_value` writes it for that SLO.

    A value that misses a threshold but rounds to the threshold's own text (0.84996 against
    ``≥ 0.85``, 2,000.4 ms against ``≤ 2,000 ms``) gets the digits that tell them apart
    (``0.84996``, ``2,000.4 ms``): ``0.85`` next to ``≥ 0.85`` and AT RISK reads as a wrong status."""
    text = format_value(value, spec.unit, kind=spec.kind, ascii=ascii, precise=precise)
    if precise or not is_number(value):
        return text
    assert value is not None
    for threshold in (spec.critical, spec.warning, spec.target):
        if (threshold is not None and value != threshold
                and not meets(value, threshold, spec.direction, spec.strict)
                and text == format_value(threshold, spec.unit, kind=spec.kind, ascii=ascii, precise=True)):
            return _apart(value, threshold, spec)
    return text


def _apart(value: float, threshold: float, spec: SLOSpec) -> str:
    """``value`` with the fewest decimals that tell it from ``threshold``, in the SLO's unit."""
    u = (spec.unit or "").strip()
    lu = u.lower()
    percent = spec.kind == "ratio" or lu in _PERCENT_UNITS
    v, t = (value * 100, threshold * 100) if percent else (value, threshold)
    digits = f"{v:,.15f}"
    for d in range(1, 16):
        digits = f"{v:,.{d}f}"
        if digits != f"{t:,.{d}f}":
            break
    if percent:
        return digits + "%"
    if lu in _USD_UNITS:
        return f"-${digits[1:]}" if digits.startswith("-") else f"${digits}"
    return f"{digits} {u}" if u else digits


def spec_target(spec: SLOSpec, *, ascii: bool = False) -> str:
    """An SLO's target with its direction, as :func:`format_target` writes it."""
    return format_target(spec.target, spec.direction, spec.unit, kind=spec.kind, ascii=ascii)


def format_window(seconds: float) -> str:
    """A window or period exactly as written in SLO files: ``5m``, ``1h``, ``3d``, ``1h30m``, ``4w``, ``500ms``."""
    return format_duration(seconds, parts=None)


def format_duration(seconds: float | None, *, parts: int | None = 2, ascii: bool = False) -> str:
    """A length of time: ``2d4h``, ``45m``, ``30s``; negative keeps ``-``; missing -> dash.

    With ``parts`` (default 2), a length for people: at most that many adjacent
    units, rounded to the second (``1d0h5m`` stops at ``1d``). With
    ``parts=None``, exact, as a duration is written in an SLO file: every unit,
    whole weeks as ``w``, sub-second as ``ms`` (``1h30m``, ``4w``, ``500ms``).
    """
    if not is_number(seconds):
        return ASCII_MISSING if ascii else MISSING
    assert seconds is not None
    if seconds < 0:
        return "-" + format_duration(-seconds, parts=parts)
    if parts is None and 0 < seconds < 1:
        return f"{seconds * 1000:g}ms"
    s = int(round(seconds))
    if s == 0:
        return "0s"
    out: list[str] = []
    units = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for unit, size in units:
        if unit == "w" and (parts is not None or s % size):
            continue  # weeks only for exact whole weeks in file form
        if parts is None:
            if s >= size:
                out.append(f"{s // size}{unit}")
                s %= size
        elif s >= size and len(out) < parts:
            out.append(f"{s // size}{unit}")
            s %= size
        elif out and len(out) < parts:
            # keep units adjacent: 1d0h is not useful, stop at the first gap
            break
    return "".join(out)


def format_rate(rate: float | None, *, ascii: bool = False, compact: bool = False) -> str:
    """A burn rate: ``0.31x``, ``14.4x``, ``120x``. ``compact`` (a table cell) keeps it to five
    characters from 10,000x on: ``120kx``, ``1.5Mx``, ``1e18x`` (six past 1e99: ``1e300x``)."""
    if not is_number(rate):
        return ASCII_MISSING if ascii else MISSING
    assert rate is not None
    if compact and abs(rate) >= 10_000:
        text = format_compact(rate)
        return (f"{rate:.0e}".replace("e+", "e") if "e" in text else text) + "x"
    if abs(rate) >= HUGE:
        return _huge(rate) + "x"
    if abs(rate) >= 100:
        return f"{rate:.0f}x"
    if abs(rate) >= 10:
        return f"{rate:.1f}x"
    if abs(rate) >= 1 or rate == 0:
        return f"{rate:.1f}x"
    return f"{rate:.2g}x"


def format_burn(rate: float | None, window: float | None, *, ascii: bool = False) -> str:
    """The fastest burn rate with its (long) window: ``14.4x/1h``; missing -> dash."""
    if not is_number(rate) or window is None:
        return ASCII_MISSING if ascii else MISSING
    return f"{format_rate(rate)}/{format_window(window)}"


def format_time(ts: float | None, *, ascii: bool = False) -> str:
    """RFC 3339 in UTC with a ``Z``: ``2026-06-01T12:00:00Z``; missing -> dash."""
    if not is_number(ts):
        return ASCII_MISSING if ascii else MISSING
    assert ts is not None
    return clock.rfc3339(ts, milliseconds=False)


def rfc3339(ts: float | None) -> str | None:
    """RFC 3339 UTC (``2026-06-01T12:00:00Z``, milliseconds only when present) or None, also for a
    moment outside the times slotui writes (the end of a December 9999 window, 10000-01-01): the
    JSON reports' time fields are an RFC 3339 string or null, never the text ``out of range``."""
    if not is_number(ts):
        return None
    assert ts is not None
    text = clock.rfc3339(ts)
    return None if text == clock.OUT_OF_RANGE else text


def overall_line(meeting: int, total: int) -> str:
    """``4/5 SLOs meeting target (80%)``; ``no SLOs`` when there are none."""
    if total == 0:
        return "no SLOs"
    noun = "SLO" if total == 1 else "SLOs"
    return f"{meeting}/{total} {noun} meeting target ({meeting / total * 100:.0f}%)"


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide (East Asian, emoji) characters count 2, combining marks 0."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200d\ufe0f\ufe0e":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def align_columns(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = (), gap: str = "  "
) -> list[str]:
    """Plain-text table lines, columns padded to their widest cell (``right`` = right-aligned column indexes).

    Trailing spaces are stripped from each line.
    """
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - display_width(cell))
            out.append(pad + cell if i in right else cell + pad)
        return gap.join(out).rstrip()

    return [line(headers), *(line(r) for r in rows)]


# --------------------------------------------------------------------------- breakdown (SPEC 10.1)


#: the longest label value shown whole (values come from data: a prompt used as a label by mistake
#: made a 100,000-character table line, main-table cell and detail row)
LABEL_VALUE_CHARS = 80


def format_label_value(value: Any, *, ascii: bool = False) -> str:
    """A breakdown label value as shown: cut to :data:`LABEL_VALUE_CHARS` with an ellipsis (the
    JSON ``labels`` keep it whole)."""
    text = str(value)
    if len(text) <= LABEL_VALUE_CHARS:
        return text
    mark = "..." if ascii else "…"
    return text[: LABEL_VALUE_CHARS - len(mark)] + mark


def format_group_labels(labels: Any, *, ascii: bool = False) -> str:
    """A group's labels: ``gen_ai.request.model=gpt-4o-mini`` (several joined with ``, ``; each
    value cut by :func:`format_label_value`)."""
    return ", ".join(f"{k}={format_label_value(v, ascii=ascii)}" for k, v in labels.items())


def format_contributor(group: Any, spec: SLOSpec, *, ascii: bool = False) -> str:
    """One breakdown group as people read it (every output writes it this way)::

        gen_ai.request.model=gpt-4o-mini: 90.0% of bad, 9.0x burn, 91.00% good of 1,000; without it 99.50% (OK)
        route=/search: 5.95 s over 2; without it 1.00 s (OK)
    """
    head = format_group_labels(group.labels, ascii=ascii)
    parts: list[str] = []
    if group.share_of_bad is not None:
        parts.append(f"{format_percent(group.share_of_bad, ascii=ascii)} of bad")
    if group.burn_rate is not None:
        parts.append(f"{format_rate(group.burn_rate, ascii=ascii)} burn")
    what = "good" if spec.kind == "ratio" else ""
    count = format_number(group.total, ascii=ascii) if is_number(group.total) else MISSING
    parts.append(f"{spec_value(group.value, spec, ascii=ascii)}{' ' + what if what else ''} of {count}")
    without = f"without it {_without_text(group, spec, ascii=ascii)} ({group.status_without.value})"
    return f"{head}: {', '.join(parts)}; {without}"


def _without_text(group: Any, spec: SLOSpec, *, ascii: bool = False) -> str:
    """A group's ``without``; a forecast SLO's with the projection it is judged on (SPEC 10.4)."""
    text = spec_value(group.without, spec, ascii=ascii)
    if group.without_at_end is None:
        return text
    return f"{text} so far, {spec_value(group.without_at_end, spec, ascii=ascii)} by the window's end"


def top_contributors(breakdowns: Sequence[Any], spec: SLOSpec, *, limit: int = 3, ascii: bool = False) -> list[str]:
    """The first ``limit`` groups of each breakdown (``(other)`` left out), as :func:`format_contributor` lines."""
    lines: list[str] = []
    for b in breakdowns:
        lines.extend(format_contributor(g, spec, ascii=ascii) for g in [g for g in b.groups if not g.other][:limit])
    return lines


def breakdown_hint(breakdowns: Sequence[Any], spec: SLOSpec, status: Status, *, ascii: bool = False,
                   compact: bool = False) -> str | None:
    """A one-line hint for the main table when one group explains most of the trouble, else None.

    Ratio SLOs: the top group has more than half of the bad events
    (``mostly model=gpt-4o-mini (90.0% of bad)``). Threshold SLOs: removing the
    top group alone gives a better status than the SLO has
    (``without route=/search: 1.00 s (OK)``). ``compact``: the top group's label values
    only, after an arrow (``← gpt-4o-mini``; ``<-`` in ASCII), for the main table's row.
    """
    for b in breakdowns:
        top = b.top
        if top is None:
            continue
        if compact and breakdown_hint([b], spec, status):
            return f"{'<-' if ascii else '←'} {', '.join(format_label_value(v, ascii=ascii) for v in top.labels.values())}"
        if top.share_of_bad is not None:
            if top.share_of_bad > 0.5 and status is not Status.OK:
                share = format_percent(top.share_of_bad, ascii=ascii)
                return f"mostly {format_group_labels(top.labels, ascii=ascii)} ({share} of bad)"
        elif (status.rank > top.status_without.rank and top.status_without is not Status.NO_DATA
              and top.status_without not in (Status.STALE,)):
            return (f"without {format_group_labels(top.labels, ascii=ascii)}: "
                    f"{_without_text(top, spec, ascii=ascii)} ({top.status_without.value})")
    return None


# --------------------------------------------------------------------------- sample-aware SLIs (SPEC 10.2)


def format_confidence(confidence: float) -> str:
    """A confidence level as a percentage with the digits it needs: 0.95 -> ``95%``, 0.995 -> ``99.5%``."""
    return f"{confidence * 100:.4g}%"


def format_interval(interval: tuple[float, float] | None, spec: SLOSpec, *, ascii: bool = False) -> str:
    """An SLI's interval as ``0.71-0.91`` (``1,200-1,500 ms``: a shared unit is written once; ``-1.8 to
    3.2`` when a bound is negative, where a dash would read as a minus); missing -> dash."""
    if interval is None:
        return ASCII_MISSING if ascii else MISSING
    lo = spec_value(interval[0], spec, ascii=ascii)
    hi = spec_value(interval[1], spec, ascii=ascii)
    unit = (spec.unit or "").strip()
    if unit and lo.endswith(" " + unit) and hi.endswith(" " + unit):
        lo = lo[: -len(unit) - 1]
    return f"{lo} to {hi}" if lo.startswith("-") or hi.startswith("-") else f"{lo}-{hi}"


def half_width(interval: tuple[float, float] | None) -> float | None:
    """Half the width of ``interval`` (the ``±`` figure), or None."""
    if interval is None:
        return None
    return (interval[1] - interval[0]) / 2.0


def format_half_width(interval: tuple[float, float] | None, spec: SLOSpec, *, ascii: bool = False) -> str:
    """``± 0.07`` (``+/- 0.07`` in ASCII): the interval's half-width in the SLO's unit; missing -> dash."""
    hw = half_width(interval)
    if hw is None:
        return ASCII_MISSING if ascii else MISSING
    text = format_value(hw, spec.unit, kind=spec.kind, ascii=ascii)
    return f"{'+/-' if ascii else '±'} {text}"


def format_spread(
    value: float | None, n: int | None, interval: tuple[float, float] | None, spec: SLOSpec, *, ascii: bool = False
) -> str:
    """The value with its precision, for notifications: ``0.78 ± 0.07, n=12``.

    Without an interval ``0.78, n=1``; without a count the bare value.
    """
    text = spec_value(value, spec, ascii=ascii)
    if interval is not None:
        text += " " + format_half_width(interval, spec, ascii=ascii)
    if n is not None:
        text += f", n={n:,}"
    return text


def format_samples(n: int | None, interval: tuple[float, float] | None, spec: SLOSpec, *, ascii: bool = False) -> str:
    """The detail view's precision cell: ``± 0.07 (n=12)``; ``(n=1)`` without an interval; dash without a count."""
    if n is None:
        return ASCII_MISSING if ascii else MISSING
    if interval is None:
        return f"(n={n:,})"
    return f"{format_half_width(interval, spec, ascii=ascii)} (n={n:,})"


def not_significant_note(n: int | None, interval: tuple[float, float] | None, spec: SLOSpec) -> str:
    """``not significant (n=12, 95% CI 0.71-0.91)``; ``(n=1, no interval)`` when n is too small for one."""
    count = "n=?" if n is None else f"n={n:,}"
    if interval is None:
        return f"not significant ({count}, no interval)"
    return f"not significant ({count}, {format_confidence(spec.confidence)} CI {format_interval(interval, spec)})"


def low_samples_note(n: int, spec: SLOSpec) -> str:
    """``low samples (n=3 < min_samples 5): no alerts``."""
    return f"low samples (n={n:,} < min_samples {spec.min_samples:,}): no alerts"


#: The table's value-cell marker of a value whose interval straddles the target (not significant).
NOT_SIGNIFICANT_MARK = "~"


def result_value(result: SLOResult, *, ascii: bool = False) -> str:
    """A result's value for a table cell: ``~0.78`` when its interval straddles the target (not significant)."""
    text = spec_value(result.value, result.spec, ascii=ascii)
    if result.significant is False and result.value is not None:
        return NOT_SIGNIFICANT_MARK + text
    return text


def result_spread(result: SLOResult, *, ascii: bool = False) -> str | None:
    """``0.78 ± 0.07, n=12`` for notifications and reports; None when the source reports no count, or
    there is no value to give the precision of (it read ``—, n=0``)."""
    if result.n is None or result.value is None:
        return None
    return format_spread(result.value, result.n, result.interval, result.spec, ascii=ascii)


def result_samples_line(result: SLOResult, *, ascii: bool = False) -> str | None:
    """The precision of a result in one line: ``n=12, 95% CI 0.71-0.91, not significant``; None without a count.

    ``low samples`` when under ``min_samples``; ``no interval`` when n is too small for one.
    """
    if result.n is None:
        return None
    spec = result.spec
    parts = [f"n={result.n:,}"]
    if result.interval is not None:
        parts.append(f"{format_confidence(spec.confidence)} CI {format_interval(result.interval, spec, ascii=ascii)}")
    else:
        parts.append("no interval")
    if result.low_samples:
        parts.append(f"low samples (min_samples {spec.min_samples:,})")
    elif result.significant is True:
        parts.append("significant")
    elif result.significant is False:
        parts.append("not significant")
    return ", ".join(parts)


# --------------------------------------------------------------------------- spend forecasts (SPEC 10.4)


def format_compact(value: float | None, unit: str = "", *, ascii: bool = False) -> str:
    """A value in at most ~5 cells for narrow cells: ``$640``, ``$2.1k``, ``$186k``, ``$1.2M``, ``3.3k``."""
    if not is_number(value):
        return ASCII_MISSING if ascii else MISSING
    assert value is not None
    sign = "-" if value < 0 else ""
    av = abs(value)
    if av >= HUGE / 1000:  # past 999G
        number = f"{av:.1e}"
    elif av < 1000:
        number = f"{av:.3g}" if av < 100 else f"{av:.0f}"
    else:
        number = f"{av:.1e}"  # 999.5G and up: not 1000G
        for size, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "G")):
            scaled = av / size
            digits = f"{scaled:.1f}" if scaled < 9.95 else f"{scaled:.0f}"  # 9.96k is 10k, not 10.0k
            if float(digits) < 1000:  # 999.6k is 1.0M, not 1000k
                number = digits + suffix
                break
    dollar = "$" if (unit or "").strip().lower() in _USD_UNITS else ""
    return f"{sign}{dollar}{number}"


def _amount(value: float, spec: SLOSpec, ascii: bool) -> str:
    """A spend figure for sentences: whole dollars from $100 on (``$2,140``), else the SLO's value format."""
    if (spec.unit or "").strip().lower() in _USD_UNITS and 100 <= abs(value) < HUGE:
        return f"{'-' if value < 0 else ''}${abs(value):,.0f}"
    return spec_value(value, spec, ascii=ascii)


def format_day(ts: float | None, *, ascii: bool = False) -> str:
    """A UTC day as people write it in a sentence: ``Nov 30``; missing -> dash."""
    if not is_number(ts):
        return ASCII_MISSING if ascii else MISSING
    assert ts is not None
    moment = utc_datetime(ts)
    return OUT_OF_RANGE if moment is None else f"{moment:%b} {moment.day}"


def _moment(ts: float, window_length: float, ascii: bool) -> str:
    """``Nov 28`` for windows longer than a day, ``17:30 UTC`` within a day window."""
    if window_length <= 86400:
        return strftime_utc(ts, "%H:%M UTC")
    return format_day(ts, ascii=ascii)


def forecast_parts(forecast: Forecast, spec: SLOSpec, *, ascii: bool = False) -> dict[str, str]:
    """The strings of a :class:`~slotui.core.types.Forecast`: ``so_far``, ``by_end``, ``budget_gone``, ``rate``.

    ``by_end`` names the last day of the window (``$3,260 by Nov 30``; a day
    window: ``by 24:00 UTC``; a window ending at another hour, a ``fixed`` 6h or 36h
    one: ``by 18:00 UTC``, ``by Nov 30 12:00 UTC``); ``budget_gone`` is empty when the
    target is not reached within the window.
    """
    length = forecast.window_end - forecast.window_start
    at_midnight = forecast.window_end % 86400 == 0
    if length <= 86400:  # (a 6h block ending at 18:00 was "by 24:00 UTC")
        end = "24:00 UTC" if at_midnight else strftime_utc(forecast.window_end, "%H:%M UTC")
    elif at_midnight:
        end = format_day(forecast.window_end - 1, ascii=ascii)
    else:
        end = f"{format_day(forecast.window_end, ascii=ascii)} {strftime_utc(forecast.window_end, '%H:%M UTC')}"
    gone = ""
    if forecast.exhausted_at is not None:
        gone = f"budget gone {_moment(forecast.exhausted_at, length, ascii)}"
    return {
        "so_far": f"{_amount(forecast.so_far, spec, ascii)} so far",
        "by_end": f"{_amount(forecast.value_at_end, spec, ascii)} by {end}",
        "budget_gone": gone,
        "rate": f"{_amount(forecast.rate_per_day, spec, ascii)}/day over {format_duration(forecast.basis_s)}",
    }


def forecast_text(forecast: Forecast, spec: SLOSpec, *, ascii: bool = False) -> str:
    """``$2,140 so far, $3,260 by Nov 30, budget gone Nov 28`` (the last part only when it is)."""
    parts = forecast_parts(forecast, spec, ascii=ascii)
    return ", ".join(p for p in (parts["so_far"], parts["by_end"], parts["budget_gone"]) if p)


def result_judged(result: SLOResult, *, ascii: bool = False) -> str:
    """The figure a result's status is judged on, for messages that set it against the thresholds:
    the value, or for a forecast (SPEC 10.4) the projection: ``projected $3,260 by Nov 30 ($2,140 so far)``."""
    if result.forecast is None:
        return spec_value(result.value, result.spec, ascii=ascii)
    parts = forecast_parts(result.forecast, result.spec, ascii=ascii)
    return f"projected {parts['by_end']} ({parts['so_far']})"


def forecast_cell(forecast: Forecast, spec: SLOSpec, *, ascii: bool = False) -> str:
    """The table cell of a forecast: ``$2.1k→3.3k``, and ``✖28`` (day of the month) when the budget goes.

    Within a day window the mark is the hour: ``✖17h``.
    """
    arrow = "->" if ascii else "→"
    text = f"{format_compact(forecast.so_far, spec.unit)}{arrow}{format_compact(forecast.value_at_end)}"
    if forecast.exhausted_at is not None:
        moment = utc_datetime(forecast.exhausted_at)
        mark = "x" if ascii else "✖"
        length = forecast.window_end - forecast.window_start
        if moment is not None:
            text += f"{mark}{moment.hour}h" if length <= 86400 else f"{mark}{moment.day}"
    return text


def period_seconds(result: SLOResult) -> float:
    """The length of the compliance period ``result`` was evaluated over: a calendar month's own
    length (29 days in February 2028, 31 in March), where ``spec.period`` holds a nominal 30d."""
    length = result.period_length
    return length if is_number(length) and length > 0 else result.spec.period  # type: ignore[return-value]


def spec_window(spec: SLOSpec) -> str:
    """An SLO's SLI window for people: ``1h`` (rolling), ``month``/``week``/``day`` (UTC, to date), ``7d block``."""
    if spec.calendar_window in ("month", "week", "day"):
        return str(spec.calendar_window)
    if spec.calendar_window == "fixed":
        return f"{format_duration(spec.window)} block"
    return format_duration(spec.window)
