"""What an alert says: labels, annotations and numeric context built from an SLO result.

SPEC section 4: every notification carries the SLO name, current value vs
target and thresholds, window, burn rates, budget remaining, time firing,
runbook URL, source, and a command to silence it. Labels are the
Alertmanager label set (``alertname``, ``slo``, ``service``, ``severity``,
``source``) plus the SLO's own labels. Pure: no I/O, no clock.
"""

from __future__ import annotations

import shlex
from typing import Any

from slotui.formatting import (
    forecast_text,
    format_duration,
    format_percent,
    period_seconds,
    format_rate,
    result_judged,
    result_samples_line,
    result_spread,
    spec_value,
    spec_window,
    top_contributors,
)
from slotui.core.types import SLOResult, SLOSpec

#: ``alertname`` per SLO kind (an SLO label ``alertname`` overrides it).
ALERTNAMES = {"ratio": "SLOBurn", "threshold": "SLOThreshold"}


def _ops(spec: SLOSpec) -> tuple[str, str]:
    """(meets, worse) comparison symbols for this SLO's direction."""
    return (">=", "<") if spec.direction == "higher_is_better" else ("<=", ">")


def thresholds_text(spec: SLOSpec) -> str:
    """``target >= 0.85, warning < 0.80, critical < 0.70``."""
    meets, worse = _ops(spec)
    parts = [f"target {meets} {spec_value(spec.target, spec, precise=True)}"]
    if spec.warning is not None:
        parts.append(f"warning {worse} {spec_value(spec.warning, spec, precise=True)}")
    if spec.critical is not None:
        parts.append(f"critical {worse} {spec_value(spec.critical, spec, precise=True)}")
    return ", ".join(parts)


def silence_command(slo: str, duration: str = "1h") -> str:
    """``slotui silence add 'slo=NAME' -d 1h --comment 'ack'``: the matcher written as the matcher
    grammar reads it (quoted, ``\"`` escaped: a name holding ``"`` was refused, one starting with
    ``~`` became a regex matcher, ``slo=~...``, that silenced other SLOs), then quoted for the shell."""
    return f"slotui silence add {shell_matcher('slo', slo)} -d {duration} --comment 'ack'"


def shell_matcher(name: str, value: str) -> str:
    """The equality matcher ``name=value`` as ``silence add`` parses it back to exactly ``value``,
    quoted for a POSIX shell."""
    from slotui.alerting.silence import matcher_text

    return shlex.quote(matcher_text(name, "=", value))


def alert_labels(spec: SLOSpec, severity: str) -> dict[str, str]:
    """The alert's label set: the SLO's labels, then the core labels (which win)."""
    labels = {str(k): str(v) for k, v in spec.labels.items() if str(v) != ""}
    service = labels.get("service") or str(spec.params.get("service") or "")
    # A LangSmith-style rule names its alert (the config labels its SLO ``rule=<name>``).
    labels["alertname"] = labels.get("alertname") or labels.get("rule") or ALERTNAMES.get(spec.kind, "SLOBurn")
    labels["slo"] = spec.name
    labels["severity"] = severity
    labels["source"] = spec.source
    if service:
        labels["service"] = service
    return labels


def _burn_rates(result: SLOResult) -> list[dict[str, Any]]:
    return [
        {
            "severity": b.severity,
            "long_window": b.long_window,
            "short_window": b.short_window,
            "factor": b.factor,
            "long_rate": b.long_rate,
            "short_rate": b.short_rate,
            "firing": b.firing,
        }
        for b in result.burn_rates
    ]


def burn_rates_text(result: SLOResult) -> str:
    """``1h/5m 15.2x/16x (>14.4x FIRING); 6h/30m 3.1x/2x (>6x); 3d/6h 0.9x/1.2x (>1x)``."""
    parts = []
    for b in result.burn_rates:
        windows = f"{format_duration(b.long_window)}/{format_duration(b.short_window)}"
        state = " FIRING" if b.firing else ""
        parts.append(f"{windows} {format_rate(b.long_rate)}/{format_rate(b.short_rate)} (>{format_rate(b.factor)}{state})")
    return "; ".join(parts)


def describe(result: SLOResult, severity: str, *, escalated: bool = False) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """Labels, annotations and numeric context of ``result``'s alert at ``severity``.

    ``firing_for`` is not set here (it changes with time): the record adds it
    when it builds the notification.
    """
    spec = result.spec
    labels = alert_labels(spec, severity)
    value = spec_value(result.value, spec)
    budget_remaining = result.budget.remaining if result.budget is not None else None
    fastest = result.fastest_burn
    status = result.status.value
    judged = result_judged(result)  # a forecast SLO is judged on its projection (SPEC 10.4)
    head = f"{spec.name} is {status}: {judged} ({thresholds_text(spec)})"
    if escalated:
        head = f"{spec.name} escalated to {severity}: {status} for too long, {judged} ({thresholds_text(spec)})"
    lines = [
        (f"SLI over the {spec_window(spec)} so far" if spec.calendar_window else
         f"SLI over the last {format_duration(spec.window)}") + f": {value} ({thresholds_text(spec)}).",
    ]
    if result.burn_rates:
        lines.append(f"Burn rates (long/short window): {burn_rates_text(result)}.")
    if budget_remaining is not None:
        lines.append(f"Error budget remaining: {format_percent(budget_remaining)} of {format_duration(period_seconds(result))}.")
    if result.low_traffic:
        lines.append("Low traffic: some windows have fewer events than min_events.")
    contributors = top_contributors(result.breakdowns, spec, limit=1)
    if contributors:
        lines.append(f"Top contributors: {'; '.join(contributors)}.")
    spread, samples = result_spread(result), result_samples_line(result)
    if spread and samples:
        lines.append(f"Samples: {spread} ({samples}).")
    forecast = forecast_text(result.forecast, spec) if result.forecast is not None else None
    if forecast:
        lines.append(f"Forecast: {forecast}.")
    if spec.description:
        lines.append(spec.description)
    annotations = {
        "summary": head[:1000],
        "description": " ".join(lines),
        "value": value,
        "target": spec_value(spec.target, spec, precise=True),
        "thresholds": thresholds_text(spec),
        "window": spec_window(spec),
        "burn_rates": burn_rates_text(result),
        "budget_remaining": format_percent(budget_remaining),
        "status": status,
        "silence_command": silence_command(spec.name),
    }
    if spread:
        annotations["samples"] = spread
    if forecast:
        annotations["forecast"] = forecast
    if spec.runbook:
        annotations["runbook_url"] = spec.runbook
    if contributors:
        annotations["top_contributors"] = "; ".join(contributors)
    context: dict[str, Any] = {
        "value": result.value,
        "unit": spec.unit,
        "kind": spec.kind,
        "target": spec.target,
        "warning": spec.warning,
        "critical": spec.critical,
        "direction": spec.direction,
        "status": status,
        "window": spec.window,
        "period": period_seconds(result),
        "good": result.good,
        "total": result.total,
        "budget_remaining": budget_remaining,
        "burn_rates": _burn_rates(result),
        "fastest_burn": fastest.long_rate if fastest is not None else None,
        "evaluated_at": result.evaluated_at,
        "escalated": escalated,
        "n": result.n,
        "interval": list(result.interval) if result.interval is not None else None,
        "confidence": spec.confidence,
        "significant": result.significant,
    }
    if result.breakdowns:
        context["top_contributors"] = _contributors(result)
    if result.forecast is not None:
        f = result.forecast
        context["forecast"] = {"so_far": f.so_far, "value_at_end": f.value_at_end, "rate_per_day": f.rate_per_day,
                               "basis_s": f.basis_s, "exhausted_at": f.exhausted_at}
    return labels, annotations, context


def _contributors(result: SLOResult) -> list[dict[str, Any]]:
    """The top group of each breakdown label as numbers (SPEC 10.1 keys)."""
    out = []
    for b in result.breakdowns:
        g = b.top
        if g is None:
            continue
        out.append({"labels": dict(g.labels), "window": b.window, "total": g.total, "bad": g.bad, "value": g.value,
                    "share_of_bad": g.share_of_bad, "burn_rate": g.burn_rate, "without": g.without,
                    **({"without_at_end": g.without_at_end} if g.without_at_end is not None else {}),
                    "status_without": g.status_without.value})
    return out
