"""Markdown report (``slotui check --format markdown``): fits a GitHub job summary.

Append it to ``$GITHUB_STEP_SUMMARY``::

    slotui check -c slos.yaml --format markdown >> "$GITHUB_STEP_SUMMARY"

A heading with the overall line, one GitHub-flavoured table (worst first, an
emoji per status), then notes, source errors and config warnings as lists.
Cell text is escaped so SLO names and messages cannot break the table.
"""

from __future__ import annotations

import re

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


#: characters Markdown or GitHub's HTML would read as markup: code, emphasis, strike-through,
#: links, images, raw HTML and entities (``&amp;`` in a name would show as ``&``)
_SPECIALS = re.compile(r"([\\`*_~\[\]<>&|])")
#: a line start Markdown reads as a block: a heading, a quote, a list item, a setext underline
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")


def escape_cell(text: str) -> str:
    """Text as itself inside a table cell: one line (GitHub ends a row at a newline), every
    Markdown special and the cell separator ``|`` backslash-escaped."""
    return _SPECIALS.sub(r"\\\1", " ".join(text.splitlines()) if "\n" in text or "\r" in text else text)


def escape_text(text: str) -> str:
    """Text as itself in a list item: :func:`escape_cell`, and a leading ``#``, ``>``, ``-``, ``+``,
    ``=`` or ``1.`` escaped so it does not open a heading, a quote or a nested list."""
    return _BLOCK_START.sub(lambda m: f"{m[1]}{m[2]}\\" if m[2][0].isdigit() else f"{m[1]}\\{m[2]}",
                            escape_cell(text), count=1)


def code_span(text: str, *, cell: bool = False) -> str:
    """``text`` as an inline code span that shows exactly ``text``: the fence is one backtick longer
    than the longest run of backticks inside, padded with a space where ``text`` starts or ends
    with one (CommonMark strips one such space); in a table ``cell``, ``|`` is written ``\\|``
    (GitHub splits a row at every unescaped pipe, inside code spans too). Empty for empty text."""
    if not text:
        return ""
    line = " ".join(text.splitlines()) if "\n" in text or "\r" in text else text
    longest = max((len(run) for run in re.findall("`+", line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if line[0] == "`" or line[-1] == "`" or (line[0] == " " and line[-1] == " " and line.strip()) else ""
    if cell:
        line = line.replace("|", "\\|")
    return f"{fence}{pad}{line}{pad}{fence}"


def render(report: Report, *, title: str = "SLO report") -> str:
    """The report as GitHub-flavoured Markdown, ending with a newline."""
    worst = max((r.status for r in report.results), key=lambda s: s.rank, default=None)
    icon = f"{STATUS_EMOJI[worst]} " if worst is not None else ""
    lines = [
        f"## {icon}slotui {escape_cell(title)}",
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
            code_span(spec.name, cell=True),
            escape_cell(result_value(r)),
            escape_cell(format_target(spec.target, spec.direction, spec.unit, kind=spec.kind)),
            escape_cell(format_percent(remaining)),
            escape_cell(format_burn(fastest.long_rate if fastest else None, fastest.long_window if fastest else None)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [(r.spec.name, n) for r in results for n in result_notes(r)]
    if notes:
        lines += ["", "**Notes**", ""]
        lines += [f"- {code_span(name)}: {escape_cell(text)}" for name, text in notes]
    contributors = contributor_lines(results)
    if contributors:
        lines += ["", "**Top contributors**", ""]
        lines += [f"- {code_span(name)}: {escape_cell(text)}" for name, text in contributors]
    if report.source_errors:
        lines += ["", "**Source errors**", ""]
        lines += [f"- {code_span(n)}: {escape_cell(m)}" for n, m in sorted(report.source_errors.items())]
    if report.warnings:
        lines += ["", "**Config warnings**", ""]
        lines += [f"- {escape_text(w)}" for w in report.warnings]
    return "\n".join(lines) + "\n"
