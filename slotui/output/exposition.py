"""Prometheus text exposition format 0.0.4 of a report, for the daemon's ``/metrics``.

Serve it with ``Content-Type: text/plain; version=0.0.4; charset=utf-8``
(:data:`CONTENT_TYPE`). Every family has ``# HELP`` and ``# TYPE`` lines; all
are gauges. A value that is missing (no data, NaN, inf) is *omitted*: a series
with NaN would read as a number in PromQL; an absent series is what
``absent()`` and ``unless`` are for.

Families (labels in braces):

- ``slotui_sli_value{slo}``: the SLI over the SLO's window (ratio SLOs: good/total, 0..1)
- ``slotui_sli_samples{slo}``: ``n``, the samples behind the SLI (SPEC 10.2; when the source reports a count)
- ``slotui_sli_interval_lower{slo,confidence}``, ``slotui_sli_interval_upper{slo,confidence}``: its interval
- ``slotui_sli_significant{slo}``: 1 when the whole interval agrees with the point value's verdict, 0 when
  it is within the noise (when there is an interval)
- ``slotui_slo_target{slo}``, ``slotui_slo_warning_threshold{slo}``, ``slotui_slo_critical_threshold{slo}``
- ``slotui_slo_status{slo,status}``: 1 for the current status, 0 for the others (one-hot)
- ``slotui_slo_status_code{slo}``: 0 OK, 1 AT RISK, 2 NO DATA, 3 STALE, 4 WARNING, 5 CRITICAL (worse is higher)
- ``slotui_slo_meets_target{slo}``: 1/0 over the compliance period (omitted when unknown)
- ``slotui_error_budget_remaining_ratio{slo}``: fraction of the period's budget left (may be < 0)
- ``slotui_error_budget_consumed_ratio{slo}``
- ``slotui_burn_rate{slo,window}``: burn rate over each window of the SLO's tiers (``1h``, ``5m``, ...)
- ``slotui_burn_rate_alert_firing{slo,severity,long_window,short_window,factor}``: 1 when the tier fires
  (``factor`` as the tier's burn-rate factor, ``14.4``: two tiers of one severity may share windows)
- ``slotui_window_events{slo,window}``: events counted in each tier window (ratio SLOs)
- ``slotui_breakdown_top_value{slo,by,group}``, ``slotui_breakdown_top_without{slo,by,group}``,
  ``slotui_breakdown_top_share_of_bad{slo,by,group}`` (ratio SLOs), ``slotui_breakdown_top_events{slo,by,group}`` (not ``_total``: a gauge):
  the top group of each breakdown label (SPEC 10.1): ``by`` is the label name, ``group`` its value
- ``slotui_slo_forecast_value{slo}``, ``slotui_slo_forecast_rate_per_day{slo}``,
  ``slotui_slo_forecast_exhausted_timestamp_seconds{slo}`` (omitted when not within the window):
  spend forecasts (SPEC 10.4)
- ``slotui_source_up{source}``: 1 if the source answered at the last tick (a configured source no
  SLO uses is never asked, and has no series)
- ``slotui_source_latency_seconds{source}``: time of the last fetch (when health is given)
- ``slotui_slos_meeting_target``, ``slotui_slos``, ``slotui_overall_compliance_ratio``
- ``slotui_last_evaluation_timestamp_seconds``
- ``slotui_state_bad_rows{table}``: unreadable rows of the state file this process skipped (and
  warned about), per table, each row counted once; falls when a row is rewritten (when given)
- ``slotui_notification_attempts_total{channel,outcome}`` (a counter): notification attempts this
  process made, per channel and outcome: ``delivered``, ``retry`` (failed, tried again later),
  ``failed`` (given up, or a final answer such as a 400); each failure is also a line of the log
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from slotui.core.types import Report, Status
from slotui.formatting import format_window, is_number

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_STATUSES = (Status.OK, Status.AT_RISK, Status.NO_DATA, Status.STALE, Status.WARNING, Status.CRITICAL)
_STATUS_CODE = {s: i for i, s in enumerate(_STATUSES)}


def escape_label_value(value: str) -> str:
    """Escape a label value: backslash, double quote and line feed (exposition format 0.0.4)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """Escape HELP text: backslash and line feed."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _never_asked(health: Any) -> bool:
    """True for a :class:`~slotui.sources.kit.base.SourceHealth` with neither a success nor an error yet."""
    return getattr(health, "last_success", 0) is None and getattr(health, "last_error", 0) is None


def format_sample_value(value: float) -> str:
    """A finite float in the form Prometheus writes (``1``, ``0.25``, ``1e-06``)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class _Families:
    """Collects samples per metric family, keeping first-seen order and dropping non-finite values."""

    def __init__(self) -> None:
        self._help: dict[str, str] = {}
        self._samples: dict[str, list[str]] = {}
        self._seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self._kinds: dict[str, str] = {}

    def family(self, name: str, help_text: str, kind: str = "gauge") -> None:
        self._help.setdefault(name, help_text)
        self._samples.setdefault(name, [])
        self._kinds[name] = kind

    def add(self, name: str, labels: Mapping[str, str], value: Any) -> None:
        if not is_number(value) and not isinstance(value, bool):
            return
        key = (name, tuple(labels.items()))
        if key in self._seen:  # one series per label set
            return
        self._seen.add(key)
        if labels:
            body = ",".join(f'{k}="{escape_label_value(str(v))}"' for k, v in labels.items())
            self._samples[name].append(f"{name}{{{body}}} {format_sample_value(float(value))}")
        else:
            self._samples[name].append(f"{name} {format_sample_value(float(value))}")

    def text(self) -> str:
        out: list[str] = []
        for name, help_text in self._help.items():
            samples = self._samples[name]
            if not samples:
                continue
            out.append(f"# HELP {name} {escape_help(help_text)}")
            out.append(f"# TYPE {name} {self._kinds.get(name, 'gauge')}")
            out.extend(samples)
        return "\n".join(out) + "\n" if out else ""


def render(
    report: Report,
    *,
    health: Mapping[str, Any] | None = None,
    sources: Iterable[str] | None = None,
    bad_rows: Mapping[str, int] | None = None,
    deliveries: Mapping[tuple[str, str], int] | None = None,
) -> str:
    """The report as Prometheus text format 0.0.4.

    ``health`` maps source names to objects with ``ok`` (bool) and
    ``latency`` (seconds or None), such as :class:`slotui.sources.kit.base.SourceHealth`;
    without it, a source is up unless it is in ``report.source_errors``.
    ``sources`` adds source names that have no SLO in the report.
    ``bad_rows`` maps state tables to their count of unreadable rows
    (:meth:`slotui.bad_rows.BadRows.counts`). ``deliveries`` maps ``(channel, outcome)`` to the
    notification attempts this process made (:attr:`slotui.alerting.delivery.Dispatcher.attempts`).
    """
    f = _Families()
    fam = f.family
    fam("slotui_sli_value", "Current SLI value over the SLO's window (ratio SLOs: good/total, 0..1).")
    fam("slotui_sli_samples", "Samples (records, events) behind the SLI over the SLO's window.")
    fam("slotui_sli_interval_lower", "Lower end of the SLI's confidence interval.")
    fam("slotui_sli_interval_upper", "Upper end of the SLI's confidence interval.")
    fam("slotui_sli_significant", "1 when the interval is wholly past the threshold the point value is past, else 0.")
    fam("slotui_slo_target", "Objective target of the SLO.")
    fam("slotui_slo_warning_threshold", "Warning threshold of the SLO.")
    fam("slotui_slo_critical_threshold", "Critical threshold of the SLO.")
    fam("slotui_slo_status", "Current status of the SLO: 1 for the current status, 0 for the others.")
    fam("slotui_slo_status_code", "Status as a number: 0 OK, 1 AT RISK, 2 NO DATA, 3 STALE, 4 WARNING, 5 CRITICAL.")
    fam("slotui_slo_meets_target", "1 if the SLO's compliance over its period meets the target, else 0.")
    fam("slotui_error_budget_remaining_ratio", "Fraction of the period's error budget left (negative when overspent).")
    fam("slotui_error_budget_consumed_ratio", "Fraction of the period's error budget consumed.")
    fam("slotui_burn_rate", "Error budget burn rate over a window (1 spends exactly the budget over the period).")
    fam("slotui_burn_rate_alert_firing", "1 when a multi-window burn-rate tier fires, else 0.")
    fam("slotui_window_events", "Events counted over a burn-rate window.")
    fam("slotui_breakdown_top_value", "SLI of the top group of a breakdown label (the group that burns most).")
    fam("slotui_breakdown_top_without", "SLI over the window with the top group of a breakdown label removed.")
    fam("slotui_breakdown_top_share_of_bad", "Share of the bad events that are the top group's (ratio SLOs).")
    fam("slotui_breakdown_top_events", "Events (ratio) or values (threshold) of the top group over the breakdown window.")
    fam("slotui_slo_forecast_value", "Projected SLI (a sum) at the end of the SLO's calendar window.")
    fam("slotui_slo_forecast_rate_per_day", "Spend rate per day the forecast projects with.")
    fam("slotui_slo_forecast_exhausted_timestamp_seconds",
        "When the projection reaches the target (Unix seconds); absent if not within the window.")
    fam("slotui_source_up", "1 if the source answered at the last evaluation, else 0.")
    fam("slotui_source_latency_seconds", "Duration of the source's last fetch.")
    fam("slotui_slos_meeting_target", "Number of SLOs meeting their target over their period.")
    fam("slotui_slos", "Number of SLOs evaluated.")
    fam("slotui_overall_compliance_ratio", "Share of SLOs meeting their target.")
    fam("slotui_last_evaluation_timestamp_seconds", "Time of the last evaluation (Unix seconds).")
    fam("slotui_state_bad_rows", "Unreadable rows of the state file skipped and warned about, per table.")
    fam("slotui_notification_attempts_total",
        "Notification attempts by this process per channel and outcome (delivered, retry: failed and retried "
        "later, failed: given up).", "counter")
    for (channel, outcome), count in sorted((deliveries or {}).items()):
        f.add("slotui_notification_attempts_total", {"channel": channel, "outcome": outcome}, count)

    for r in report.results:
        slo = {"slo": r.spec.name}
        f.add("slotui_sli_value", slo, r.value)
        f.add("slotui_sli_samples", slo, r.n)
        if r.interval is not None:
            bound = {"slo": r.spec.name, "confidence": format_sample_value(r.spec.confidence)}
            f.add("slotui_sli_interval_lower", bound, r.interval[0])
            f.add("slotui_sli_interval_upper", bound, r.interval[1])
        if r.significant is not None:
            f.add("slotui_sli_significant", slo, 1 if r.significant else 0)
        f.add("slotui_slo_target", slo, r.spec.target)
        f.add("slotui_slo_warning_threshold", slo, r.spec.warning)
        f.add("slotui_slo_critical_threshold", slo, r.spec.critical)
        for s in _STATUSES:
            f.add("slotui_slo_status", {"slo": r.spec.name, "status": s.value}, 1 if r.status == s else 0)
        f.add("slotui_slo_status_code", slo, _STATUS_CODE[r.status])
        if r.meets_target is not None:
            f.add("slotui_slo_meets_target", slo, 1 if r.meets_target else 0)
        if r.forecast is not None:
            f.add("slotui_slo_forecast_value", slo, r.forecast.value_at_end)
            f.add("slotui_slo_forecast_rate_per_day", slo, r.forecast.rate_per_day)
            f.add("slotui_slo_forecast_exhausted_timestamp_seconds", slo, r.forecast.exhausted_at)
        if r.budget is not None:
            f.add("slotui_error_budget_remaining_ratio", slo, r.budget.remaining)
            f.add("slotui_error_budget_consumed_ratio", slo, r.budget.consumed)
        for b in r.burn_rates:
            for window, rate, events in (
                (b.long_window, b.long_rate, b.long_events),
                (b.short_window, b.short_rate, b.short_events),
            ):
                labels = {"slo": r.spec.name, "window": format_window(window)}
                f.add("slotui_burn_rate", labels, rate)
                if r.spec.kind == "ratio":
                    f.add("slotui_window_events", labels, events)
            f.add(
                "slotui_burn_rate_alert_firing",
                {
                    "slo": r.spec.name,
                    "severity": b.severity,
                    "long_window": format_window(b.long_window),
                    "short_window": format_window(b.short_window),
                    "factor": format_sample_value(float(b.factor)),
                },
                1 if b.firing else 0,
            )

        for bd in r.breakdowns:
            top = bd.top
            if top is None:
                continue
            for by, group in top.labels.items():
                labels = {"slo": r.spec.name, "by": by, "group": group}
                f.add("slotui_breakdown_top_value", labels, top.value)
                f.add("slotui_breakdown_top_without", labels, top.without)
                f.add("slotui_breakdown_top_share_of_bad", labels, top.share_of_bad)
                f.add("slotui_breakdown_top_events", labels, top.total)
    names: list[str] = []
    for name in [*(r.spec.source for r in report.results), *(sources or ()), *report.source_errors, *(health or {})]:
        if name not in names:
            names.append(name)
    for name in names:
        h = (health or {}).get(name)
        if h is not None and name not in report.source_errors and _never_asked(h):
            continue  # configured but used by no SLO: it never answered, so it is not "up"
        if h is not None:
            up = bool(getattr(h, "ok", True)) and name not in report.source_errors
            f.add("slotui_source_latency_seconds", {"source": name}, getattr(h, "latency", None))
        else:
            up = name not in report.source_errors
        f.add("slotui_source_up", {"source": name}, 1 if up else 0)

    f.add("slotui_slos_meeting_target", {}, report.meeting)
    f.add("slotui_slos", {}, len(report.results))
    f.add("slotui_overall_compliance_ratio", {}, report.overall_compliance)
    f.add("slotui_last_evaluation_timestamp_seconds", {}, report.evaluated_at)
    for table, count in (bad_rows or {}).items():
        f.add("slotui_state_bad_rows", {"table": table}, count)
    return f.text()
