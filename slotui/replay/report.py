"""Replay results as table, JSON (SPEC 10.3 keys) or markdown, through :mod:`slotui.formatting`."""

from __future__ import annotations

import json
from typing import Any

from slotui.formatting import align_columns, format_duration, format_number, format_percent, format_window, rfc3339
from slotui.output.markdown import code_span, escape_cell, escape_text
from slotui.replay.simulate import Replay, SLOReplay


def to_dict(replay: Replay, skipped: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "from": rfc3339(replay.start),
        "to": rfc3339(replay.end),
        "step": format_window(replay.step),
        "slos": [
            {
                "name": slo.name,
                "episodes": [
                    {
                        "severity": ep.severity,
                        "started_at": rfc3339(ep.started_at),
                        "ended_at": rfc3339(ep.ended_at),
                        "duration_s": ep.duration(replay.end),
                    }
                    for ep in slo.episodes
                ],
                "notifications": dict(sorted(slo.notifications.items())),
                "per_week": dict(sorted(replay.per_week(slo).items())),
                "firing_s": dict(sorted(slo.firing_s(replay.end).items())),
                "budget_remaining": _budget_dict(slo),
                "error_steps": slo.error_steps,
                "last_error": slo.last_error,
                "suggestions": [
                    {**sug, "caught": [rfc3339(t) for t in sug["caught"]], "missed": [rfc3339(t) for t in sug["missed"]]}
                    for sug in slo.suggestions
                ],
            }
            for slo in replay.slos
        ],
    }
    if skipped:
        out["skipped"] = dict(sorted(skipped.items()))
    return out


def _budget_dict(slo: SLOReplay) -> dict[str, Any]:
    summary = slo.budget_summary()
    return {**summary, "lowest_at": rfc3339(summary["lowest_at"])}


def _firing_text(replay: Replay, slo: SLOReplay) -> str:
    firing = sorted(slo.firing_s(replay.end).items())
    return ", ".join(f"{sev} {format_duration(s)}" for sev, s in firing) or "none"


def _budget_text(slo: SLOReplay) -> str:
    b = slo.budget_summary()
    if b["start"] is None:
        return "budget left: unknown"
    return (f"budget left: {format_percent(b['start'])} at start, lowest {format_percent(b['lowest'])} "
            f"({rfc3339(b['lowest_at'])}), {format_percent(b['end'])} at end")


def render_json(replay: Replay, skipped: dict[str, str] | None = None) -> str:
    return json.dumps(to_dict(replay, skipped), indent=2)


def _rows(replay: Replay) -> list[list[str]]:
    rows = []
    for slo in replay.slos:
        if not slo.episodes:
            rows.append([slo.name, "-", "-", "-", "-"])
        for ep in slo.episodes:
            rows.append([
                slo.name,
                ep.severity,
                rfc3339(ep.started_at) or "-",
                rfc3339(ep.ended_at) or "firing",
                format_duration(ep.duration(replay.end)),
            ])
    return rows


def _summary(replay: Replay) -> list[str]:
    lines = []
    for slo in replay.slos:
        weekly = ", ".join(f"{sev} {format_number(x)}/week" for sev, x in sorted(replay.per_week(slo).items()))
        sent = ", ".join(f"{ch} {n}" for ch, n in sorted(slo.notifications.items()))
        lines.append(f"{slo.name}: {weekly or 'no episodes'}; notifications: {sent or 'none'}")
        lines.append(f"  time firing: {_firing_text(replay, slo)}; {_budget_text(slo)}")
        if slo.error_steps:
            # (episodes are only what the steps that had data could show)
            lines.append(f"  source errors at {slo.error_steps:,} of {slo.steps:,} steps: these steps had no data; "
                         f"last: {slo.last_error}")
        for sug in slo.suggestions:
            lines.append(
                f"  threshold {format_number(sug['threshold'])}: {sug['episodes']} episodes, "
                f"catches {len(sug['caught'])} of {len(sug['caught']) + len(sug['missed'])} critical episodes"
            )
    return lines


HEADER = ["SLO", "SEVERITY", "STARTED", "ENDED", "DURATION"]


def render_table(replay: Replay, skipped: dict[str, str] | None = None) -> str:
    head = f"replay {rfc3339(replay.start)} .. {rfc3339(replay.end)} every {format_window(replay.step)}"
    lines = [head, *align_columns(HEADER, _rows(replay)), "", *_summary(replay)]
    lines += [f"{name}: not replayed: {why}" for name, why in sorted((skipped or {}).items())]
    return "\n".join(lines)


def render_markdown(replay: Replay, skipped: dict[str, str] | None = None) -> str:
    lines = [
        f"## slotui replay {rfc3339(replay.start)} .. {rfc3339(replay.end)} every {format_window(replay.step)}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    # names and messages shown as written: a "|" in a name split the row, "*" or "<b>" formatted it
    lines += ["| " + " | ".join([code_span(r[0], cell=True), *map(escape_cell, r[1:])]) + " |" for r in _rows(replay)]
    lines += ["", *(f"- {escape_text(s)}" for s in _summary(replay))]
    lines += [f"- {escape_text(f'{name}: not replayed: {why}')}" for name, why in sorted((skipped or {}).items())]
    return "\n".join(lines)


def render(replay: Replay, fmt: str, skipped: dict[str, str] | None = None) -> str:
    return {"json": render_json, "markdown": render_markdown}.get(fmt, render_table)(replay, skipped)
