"""Plain-text table of a :class:`~slotui.core.types.Report` (``slotui check`` default format).

One row per SLO, worst status first (ties keep the config order)::

    STATUS      SLO                   VALUE     TARGET      BUDGET LEFT  BURN
    ✖ CRITICAL  response_time_p95_ms  6,000 ms  ≤ 2,000 ms       -40.0%  14.4x/1h
    ✔ OK        helpfulness              0.871  ≥ 0.85            91.2%  0.12x/1h

    4/5 SLOs meeting target (80%)  evaluated 2026-06-01T12:00:00Z

followed by per-SLO notes (errors, low traffic, stale data), source errors
and config warnings. No colours, no Rich: the text is the same in a terminal,
a log file and a CI console. ``ascii=True`` uses ASCII icons and symbols.
"""

from __future__ import annotations

from slotui.core.types import Report, SLOResult, Status
from slotui.formatting import (
    align_columns,
    forecast_text,
    format_burn,
    format_percent,
    format_target,
    format_time,
    overall_line,
    result_samples_line,
    result_value,
    status_label,
    top_contributors,
)

HEADERS = ("STATUS", "SLO", "VALUE", "TARGET", "BUDGET LEFT", "BURN")


def sort_worst_first(results: tuple[SLOResult, ...] | list[SLOResult]) -> list[SLOResult]:
    """Results ordered by status rank (CRITICAL first); equal ranks keep their order."""
    return sorted(results, key=lambda r: -r.status.rank)


def row(result: SLOResult, *, ascii: bool = False) -> tuple[str, ...]:
    """The cells of one SLO's row, in :data:`HEADERS` order."""
    spec = result.spec
    fastest = result.fastest_burn
    remaining = result.budget.remaining if result.budget is not None else None
    return (
        status_label(result.status, ascii=ascii),
        spec.name,
        result_value(result, ascii=ascii),
        format_target(spec.target, spec.direction, spec.unit, kind=spec.kind, ascii=ascii),
        format_percent(remaining, ascii=ascii),
        format_burn(fastest.long_rate if fastest else None, fastest.long_window if fastest else None, ascii=ascii),
    )


def result_notes(result: SLOResult) -> list[str]:
    """Why a row looks the way it does: error, stale data, low traffic, the evaluator's notes."""
    notes: list[str] = []
    if result.forecast is not None:
        notes.append(f"forecast: {forecast_text(result.forecast, result.spec)}")
    if result.error:
        notes.append(result.error)
    if result.stale and not result.error:
        notes.append("stale: showing the last good value")
    if result.low_traffic and result.status not in (Status.NO_DATA, Status.STALE):
        # (an SLO whose source failed has no traffic to speak of: its error says why)
        floor = result.spec.min_events
        what = "no events" if floor <= 1 else f"fewer than {floor:,} events"
        notes.append(f"low traffic (a window has {what}): burn-rate alerts held back")
    notes.extend(n for n in result.notes if n not in notes)
    if result.significant is False and result.value is not None and not any(n.startswith("not significant") for n in notes):
        samples = result_samples_line(result)
        if samples:
            notes.append(f"~ {samples}")
    return notes


def contributor_lines(results: list[SLOResult], *, ascii: bool = False) -> list[tuple[str, str]]:
    """``(slo name, line)`` for the top group of each breakdown of every SLO that is AT RISK,
    WARNING or CRITICAL (SPEC 10.1: one line per top group), and each breakdown's notes."""
    out: list[tuple[str, str]] = []
    for r in results:
        if not r.breakdowns or r.status not in (Status.AT_RISK, Status.WARNING, Status.CRITICAL):
            continue
        limit = 1
        out.extend((r.spec.name, line) for line in top_contributors(r.breakdowns, r.spec, limit=limit, ascii=ascii))
        out.extend((r.spec.name, note) for b in r.breakdowns for note in b.notes)
    return out


def render(report: Report, *, ascii: bool = False, sort: bool = True) -> str:
    """The report as aligned plain text, ending with a newline."""
    results = sort_worst_first(report.results) if sort else list(report.results)
    lines = align_columns(HEADERS, [row(r, ascii=ascii) for r in results], right=(2, 4, 5))
    lines.append("")
    sep = "  " if ascii else "  ·  "
    lines.append(f"{overall_line(report.meeting, len(report.results))}{sep}evaluated {format_time(report.evaluated_at)}")
    notes = [(r.spec.name, n) for r in results for n in result_notes(r)]
    if notes:
        lines.append("notes:")
        lines.extend(f"  {name}: {text}" for name, text in notes)
    contributors = contributor_lines(results, ascii=ascii)
    if contributors:
        lines.append("top contributors:")
        lines.extend(f"  {name}: {text}" for name, text in contributors)
    if report.source_errors:
        lines.append("source errors:")
        lines.extend(f"  {name}: {message}" for name, message in sorted(report.source_errors.items()))
    if report.warnings:
        lines.append("config warnings:")
        lines.extend(f"  {w}" for w in report.warnings)
    return "\n".join(lines) + "\n"
