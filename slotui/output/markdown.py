"""Markdown report (``slotui check --format markdown``): fits a GitHub job summary.

Append it to ``$GITHUB_STEP_SUMMARY``::

    slotui check -c slos.yaml --format markdown >> "$GITHUB_STEP_SUMMARY"

A heading with the overall line, one GitHub-flavoured table (worst first, an
emoji per status), then notes, source errors and config warnings as lists.
Cell text is escaped so SLO names and messages cannot break the table.
"""

from __future__ import annotations

from slotui.core.types import Report
from slotui.formatting import (
    STATUS_EMOJI,
    format_burn,
    format_percent,
    format_target,
    format_time,
    overall_line,
    result_value,
)
from slotui.output.table import contributor_lines, result_notes, sort_worst_first


def escape_cell(text: str) -> str:
    """Make text safe inside a table cell: pipes, newlines, and Markdown/HTML specials."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    for ch in "*_`[]<>":
        out = out.replace(ch, "\\" + ch)
    return out


def escape_text(text: str) -> str:
    """Escape text for a list item (one line)."""
    return escape_cell(text)


def render(report: Report, *, title: str = "SLO report") -> str:
    """The report as GitHub-flavoured Markdown, ending with a newline."""
    worst = max((r.status for r in report.results), key=lambda s: s.rank, default=None)
    icon = f"{STATUS_EMOJI[worst]} " if worst is not None else ""
    lines = [
        f"## {icon}slotui {escape_text(title)}",
        "",
        f"**{overall_line(report.meeting, len(report.results))}** · evaluated {format_time(report.evaluated_at)}",
        "",
        "| Status | SLO | Value | Target | Budget left | Fastest burn |",
        "|---|---|--:|--:|--:|--:|",
    ]
    results = sort_worst_first(report.results)
    for r in results:
        spec = r.spec
        fastest = r.fastest_burn
        remaining = r.budget.remaining if r.budget is not None else None
        cells = [
            f"{STATUS_EMOJI[r.status]} {r.status.value}",
            f"`{spec.name.replace('`', '')}`" if spec.name else "",
            escape_cell(result_value(r)),
            escape_cell(format_target(spec.target, spec.direction, spec.unit, kind=spec.kind)),
            escape_cell(format_percent(remaining)),
            escape_cell(format_burn(fastest.long_rate if fastest else None, fastest.long_window if fastest else None)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [(r.spec.name, n) for r in results for n in result_notes(r)]
    if notes:
        lines += ["", "**Notes**", ""]
        lines += [f"- `{name.replace('`', '')}`: {escape_text(text)}" for name, text in notes]
    contributors = contributor_lines(results)
    if contributors:
        lines += ["", "**Top contributors**", ""]
        lines += [f"- `{name.replace('`', '')}`: {escape_text(text)}" for name, text in contributors]
    if report.source_errors:
        lines += ["", "**Source errors**", ""]
        lines += [f"- `{n.replace('`', '')}`: {escape_text(m)}" for n, m in sorted(report.source_errors.items())]
    if report.warnings:
        lines += ["", "**Config warnings**", ""]
        lines += [f"- {escape_text(w)}" for w in report.warnings]
    return "\n".join(lines) + "\n"
