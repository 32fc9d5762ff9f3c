"""The JSON report (``slotui check --format json``): a documented, stable shape.

The schema is versioned by ``schema_version``; fields are only ever added
within a version. Every number is finite or ``null`` (never NaN or Infinity,
which JSON does not have). Times are RFC 3339 UTC strings; durations are
seconds (numbers); fractions are 0..1 (budget ``remaining`` may be negative).
The full description, with an example, is in ``docs/report-schema.md``.

Top level::

    {
      "schema_version": 1,
      "generator": "slotui 0.1.0",
      "evaluated_at": "2026-06-01T12:00:00Z",
      "evaluated_at_unix": 1780315200.0,
      "overall": {"meeting": 4, "total": 5, "compliance": 0.8,
                  "worst_status": "CRITICAL",
                  "counts": {"OK": 3, "AT RISK": 0, "WARNING": 1, "CRITICAL": 1, "NO DATA": 0, "STALE": 0}},
      "slos": [ <slo>, ... ],          # in config order
      "source_errors": {"prom": "connection refused"},
      "warnings": ["..."]
    }

One ``<slo>``::

    {
      "name", "kind" ("threshold"|"ratio"), "source", "description", "unit", "labels": {..}, "runbook",
      "status" ("OK"|"AT RISK"|"WARNING"|"CRITICAL"|"NO DATA"|"STALE"),
      "value"        SLI over the window (ratio SLOs: good/total as a fraction), or null,
      "good", "total"  events in the window (ratio SLOs), or null,
      "target", "warning", "critical", "direction" ("higher_is_better"|"lower_is_better"),
      "compliance_target"  share of slices that must meet the target (threshold SLOs),
      "window", "period"   seconds; "calendar_month": bool,
      "calendar_window"    null | "month" | "week" | "day" | "fixed" (SLI window to date, SPEC 10.4),
      "budget": null | {"budget", "consumed", "remaining", "allowed_bad", "good", "total", "bad",
                        "compliance", "good_slices", "slices", "time_left_s"},
      "burn_rates": [{"severity", "long_window", "short_window", "factor", "long_rate", "short_rate",
                      "long_events", "short_events", "firing", "low_traffic"}],
      "fastest_burn": null | {"rate", "window"},
      "meets_target": bool | null,
      "low_traffic": bool, "stale": bool,
      "error": str | null, "notes": [str],
      "n"            samples (threshold) or events (ratio) behind "value", or null (the source reports no count),
      "interval"     [lo, hi] of "value" at "confidence", or null (SPEC 10.2),
      "confidence"   the SLO's two-sided confidence (0.95),
      "significant"  the whole interval is on the value's side of the target; null without an interval,
      "low_samples"  fewer than min_samples: shown, never alerts,
      "display": {"value", "target", "budget_remaining", "fastest_burn",
                  "value_cell" ("~0.78" when not significant), "spread" ("0.78 ± 0.07, n=12" | null),
                  "samples" ("n=12, 95% CI 0.71-0.91, not significant" | null)}  # strings as people see them
      "breakdown": {"by": [...], "window": s, "groups": [{"labels": {...}, "total", "bad", "value",
                    "share_of_bad", "burn_rate", "without", "without_at_end", "status_without", "other",
                    "display"}], "notes": [...]} | null   # SPEC 10.1, ranked by impact
      "forecast": null | {"so_far", "value_at_end", "rate_per_day", "basis_s",   # forecast SLOs (SPEC 10.4)
                          "exhausted_at", "window_start", "window_end"}      # times RFC 3339; exhausted_at may be null
    }
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slotui.core.types import Budget, BurnRate, Report, SLOResult, Status
from slotui.formatting import (
    MISSING,
    format_burn,
    format_contributor,
    format_percent,
    is_number,
    period_seconds,
    result_samples_line,
    result_spread,
    result_value,
    rfc3339,
    spec_target,
    spec_value,
    forecast_text,
)

SCHEMA_VERSION = 1


def _num(x: Any) -> float | int | None:
    """A finite number, or None for None/NaN/inf."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    return float(x) if is_number(x) else None


def _budget(b: Budget | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {
        "budget": _num(b.budget),
        "consumed": _num(b.consumed),
        "remaining": _num(b.remaining),
        "allowed_bad": _num(b.allowed_bad),
        "good": _num(b.good),
        "total": _num(b.total),
        "bad": _num(b.bad),
        "compliance": _num(b.compliance),
        "good_slices": b.good_slices,
        "slices": b.slices,
        "time_left_s": _num(b.time_left),
    }


def _burn(b: BurnRate) -> dict[str, Any]:
    return {
        "severity": b.severity,
        "long_window": _num(b.long_window),
        "short_window": _num(b.short_window),
        "factor": _num(b.factor),
        "long_rate": _num(b.long_rate),
        "short_rate": _num(b.short_rate),
        "long_events": _num(b.long_events),
        "short_events": _num(b.short_events),
        "firing": bool(b.firing),
        "low_traffic": bool(b.low_traffic),
    }


def slo_dict(result: SLOResult) -> dict[str, Any]:
    """One SLO of the report as a JSON-ready dict (shape in the module docstring)."""
    spec = result.spec
    fastest = result.fastest_burn
    return {
        "name": spec.name,
        "kind": spec.kind,
        "source": spec.source,
        "description": spec.description,
        "unit": spec.unit,
        "labels": dict(spec.labels),
        "runbook": spec.runbook,
        "status": result.status.value,
        "value": _num(result.value),
        "good": _num(result.good),
        "total": _num(result.total),
        "target": _num(spec.target),
        "warning": _num(spec.warning),
        "critical": _num(spec.critical),
        "direction": spec.direction,
        "compliance_target": _num(spec.compliance) if spec.kind == "threshold" else None,
        "window": _num(spec.window),
        "period": _num(period_seconds(result)),
        "calendar_month": bool(spec.calendar_month),
        "calendar_window": spec.calendar_window,
        "budget": _budget(result.budget),
        "burn_rates": [_burn(b) for b in result.burn_rates],
        "fastest_burn": (
            {"rate": _num(fastest.long_rate), "window": _num(fastest.long_window)} if fastest is not None else None
        ),
        "meets_target": result.meets_target,
        "low_traffic": bool(result.low_traffic),
        "stale": bool(result.stale),
        "error": result.error,
        "notes": list(result.notes),
        "n": result.n,
        "interval": [_num(result.interval[0]), _num(result.interval[1])] if result.interval is not None else None,
        "confidence": _num(spec.confidence),
        "significant": result.significant,
        "low_samples": bool(result.low_samples),
        "display": display_dict(result),
        "breakdown": breakdown_dict(result),
        "forecast": forecast_dict(result),
    }


def forecast_dict(result: SLOResult) -> dict[str, Any] | None:
    """SPEC 10.4: ``{"value_at_end", "rate_per_day", "basis_s", "exhausted_at"}`` plus the window; None without."""
    f = result.forecast
    if f is None:
        return None
    return {
        "so_far": _num(f.so_far),
        "value_at_end": _num(f.value_at_end),
        "rate_per_day": _num(f.rate_per_day),
        "basis_s": _num(f.basis_s),
        "exhausted_at": rfc3339(f.exhausted_at),
        "window_start": rfc3339(f.window_start),
        "window_end": rfc3339(f.window_end),
    }



def breakdown_dict(result: SLOResult) -> dict[str, Any] | None:
    """SPEC 10.1: ``{"by", "window", "groups": [{"labels", "total", "bad", "value", "share_of_bad",
    "burn_rate", "without", "without_at_end", "status_without", "other", "display"}], "notes"}``; None
    without breakdown. ``without_at_end``: a forecast SLO's projection without the group (SPEC 10.4),
    which ``status_without`` judges; null for other SLOs.

    Several ``breakdown`` names are listed in ``by`` and their groups follow each other, each
    ranked within its name (its ``labels`` say which)."""
    if not result.breakdowns:
        return None
    spec = result.spec
    return {
        "by": [name for b in result.breakdowns for name in b.by],
        "window": _num(max(b.window for b in result.breakdowns)),
        "groups": [
            {
                "labels": dict(g.raw_labels if g.raw_labels is not None else g.labels),  # (as the data holds them)
                "total": _num(g.total),
                "bad": _num(g.bad),
                "value": _num(g.value),
                "share_of_bad": _num(g.share_of_bad),
                "burn_rate": _num(g.burn_rate),
                "without": _num(g.without),
                "without_at_end": _num(g.without_at_end),
                "status_without": g.status_without.value,
                "other": g.other,
                "display": format_contributor(g, spec),
            }
            for b in result.breakdowns
            for g in b.groups
        ],
        "notes": [n for b in result.breakdowns for n in b.notes],
    }


def display_dict(result: SLOResult) -> dict[str, str]:
    """The strings people see for this SLO, exactly as the TUI, the table and every notification write them."""
    spec = result.spec
    fastest = result.fastest_burn
    shown = {
        "value": spec_value(result.value, spec),
        "target": spec_target(spec),
        "budget_remaining": format_percent(result.budget.remaining if result.budget is not None else None),
        "fastest_burn": format_burn(fastest.long_rate, fastest.long_window) if fastest is not None else MISSING,
        "value_cell": result_value(result),
        "spread": result_spread(result),
        "samples": result_samples_line(result),
    }
    if result.forecast is not None:
        shown["forecast"] = forecast_text(result.forecast, spec)
    return shown


def report_dict(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (shape in the module docstring)."""
    from slotui import __version__

    counts = {s.value: 0 for s in (Status.OK, Status.AT_RISK, Status.WARNING, Status.CRITICAL, Status.NO_DATA, Status.STALE)}
    for r in report.results:
        counts[r.status.value] += 1
    worst = max((r.status for r in report.results), key=lambda s: s.rank, default=None)
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"slotui {__version__}",
        "evaluated_at": rfc3339(report.evaluated_at),
        "evaluated_at_unix": _num(report.evaluated_at),
        "overall": {
            "meeting": report.meeting,
            "total": len(report.results),
            "compliance": _num(report.overall_compliance),
            "worst_status": worst.value if worst is not None else None,
            "counts": counts,
        },
        "slos": [slo_dict(r) for r in report.results],
        "source_errors": dict(report.source_errors),
        "warnings": list(report.warnings),
    }


def render(report: Report, *, indent: int | None = 2) -> str:
    """The report as JSON text (UTF-8, no NaN: ``allow_nan=False`` guarantees it), ending with a newline."""
    return json_escaped(json.dumps(report_dict(report), indent=indent, ensure_ascii=False, allow_nan=False)) + "\n"


def json_escaped(text: str) -> str:
    """JSON text with every character :func:`~slotui.config.text.printable` escapes (controls, bidi
    overrides, line and paragraph separators) written as a JSON ``\\uXXXX`` escape: the strings keep
    their values (a breakdown label is the value the data holds), and the text a terminal shows
    cannot act on it. json.dumps escapes the controls below 0x20 itself, not DEL, C1 or bidi."""
    from slotui.config.text import printable

    if printable(text.replace("\n", "")) == text.replace("\n", ""):
        return text
    out = []
    for ch in text:
        # (below 0x20 only the indentation's newlines are raw: json.dumps escaped the others in strings;
        # the rest are in the Basic Multilingual Plane: one escape each)
        if ch >= " " and printable(ch) != ch:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def sanitize(value: Any) -> Any:
    """Replace non-finite floats by None in nested dicts/lists (for callers building their own JSON)."""
    if isinstance(value, float):
        return value if is_number(value) else None
    if isinstance(value, Mapping):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v) for v in value]
    return value
