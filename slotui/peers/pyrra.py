"""Pyrra ``pyrra.dev/v1alpha1`` ``ServiceLevelObjective`` documents.

- ``target`` (percent, often a string) -> a share, in decimal; ``window`` -> period.
- ``indicator.ratio`` (errors/total counters) -> good = total - errors, each
  ``sum(increase(metric[{{window}}]))``; ``indicator.latency`` (a histogram
  bucket ``le`` as success, the count as total); ``indicator.latencyNative``
  (``histogram_fraction`` of a native histogram); ``indicator.bool_gauge``
  (``sum_over_time`` over ``count_over_time`` of a 0/1 gauge).
- ``grouping`` (Pyrra's one SLO per label value) is slotui's ``breakdown`` by
  those labels: the queries are ``sum by ({{by}}) (...)``, the SLO is the sum
  over the groups (Pyrra's overview), each group's figures are in the breakdown
  (SPEC 10.1); ``params.grouping`` keeps the list.
- ``ratio``: good = total - errors, where no error series (no error yet) is 0
  errors.
- Pyrra's burn-rate windows, scaled with the window as Pyrra does (28d: 1h/5m
  14, 6h/30m 7, 1d/2h 2, 4d/6h 1); ``alerting.burnrates: false`` (or the
  deprecated ``disabled: true``) drops them; ``alerting.name`` is the
  ``alertname`` label. Pyrra's per-tier ``for:`` (2m, 15m, 1h, 3h at 28d)
  has no slotui equivalent (``for:`` is per SLO): a note names it.
- ``metadata.labels`` are kept as labels; ``pyrra.dev/team: x`` becomes
  ``team: x`` (Pyrra copies labels with that prefix to its rules without it).
"""

from __future__ import annotations

import math
import re
from typing import Any

from slotui.config.durations import parse_duration
from slotui.formatting import format_window
from slotui.peers.common import (
    DEFAULT_SOURCE,
    Converted,
    Refused,
    as_bool,
    as_list,
    as_mapping,
    as_text,
    check_promql,
    described,
    labels_of,
    prometheus_source,
    promql_parsed,
    share,
)
from slotui.peers.promql import good_from_bad, is_selector, over_window, summed
from slotui.sources.kit.promql import groups_by

API = "pyrra.dev/v1alpha1"
#: Pyrra's prefix of labels copied to its rules without the prefix (slo.PropagationLabelsPrefix)
PROPAGATION_PREFIX = "pyrra.dev/"
_W = "{{window}}"

#: Pyrra's windows for a 28-day SLO window: (severity, long divisor, short divisor, factor); long = window / divisor
_WINDOWS = (
    ("critical", 28 * 24, 28 * 24 * 12, 14),
    ("critical", 28 * 4, 28 * 24 * 2, 7),
    ("warning", 28, 28 * 12, 2),
    ("warning", 7, 28 * 4, 1),
)


def is_pyrra(doc: dict[str, Any]) -> bool:
    return str(doc.get("apiVersion", "")).startswith("pyrra.dev/")


def _minutes(seconds: float) -> str:
    # Go's Duration.Round: halves away from zero (2.5m -> 3m), not to even
    return format_window(max(60.0, math.floor(seconds / 60.0 + 0.5) * 60.0))


#: Pyrra's per-tier ``for:`` as divisors of the SLO window (2m, 15m, 1h, 3h for 28d), in _WINDOWS' order
_FOR = (28 * 24 * 30, 28 * 24 * 4, 28 * 24, 28 * 8)


def pending(window: str) -> list[str]:
    """Pyrra's ``for:`` of each of its four alerts for an SLO ``window``."""
    seconds = float(parse_duration(window))  # type: ignore[arg-type]
    rounded = [math.floor(seconds / d / 60.0 + 0.5) * 60.0 for d in _FOR]  # Go's Round(time.Minute)
    return [format_window(r) if r > 0 else "0s" for r in rounded]


#: a Prometheus duration (Pyrra reads ``window`` with ``model.ParseDuration``): units in this order, each once
_PROM_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_PROM_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def window_of(text: Any) -> str:
    """Pyrra's ``window`` (a Prometheus duration: ``28d``, ``4w``, ``1d12h``, ``1y`` = 365 days) as an
    slotui period."""
    text = str(text).strip()
    m = _PROM_DURATION.fullmatch(text)
    if m is None or not any(m.groups()):
        raise Refused(f"window {text!r} is not a duration (expected e.g. 7d, 28d, 4w, 1d12h)")
    seconds = sum(int(n) * size for n, size in zip(m.groups(), _PROM_UNITS) if n)
    if seconds <= 0:
        raise Refused(f"window {text!r} must be longer than 0")
    # one unit slotui reads as written (28d stays 28d); compound and year forms as slotui writes them
    return text if re.fullmatch(r"\d+(?:ms|s|m|h|d|w)", text) else format_window(seconds)


def tiers(window: str) -> list[dict[str, Any]]:
    seconds = float(parse_duration(window))  # type: ignore[arg-type]
    return [
        {"severity": sev, "long": _minutes(seconds / long), "short": _minutes(seconds / short), "factor": float(f)}
        for sev, long, short, f in _WINDOWS
    ]


def _metric(part: Any, what: str) -> str:
    """``{metric: selector}`` at ``indicator.<what>``: Pyrra's metric is a series selector (its
    ``Internal()`` refuses anything else: "ratio total metric is not a VectorSelector")."""
    metric = as_text(as_mapping(part, f"indicator.{what}").get("metric"), f"indicator.{what}.metric")
    if not metric:
        raise Refused(f"{what}.metric is missing")
    with promql_parsed(metric):
        selector = is_selector(metric)
    if not selector:
        raise Refused(f"indicator.{what}.metric {metric!r} is not a series selector (Pyrra's metric is one, "
                      "such as http_requests_total{job=\"api\"}; Pyrra adds the rate and the sum)")
    return metric


def _counter(metric: str, by: bool = False) -> str:
    return over_window(metric, "increase", by=by)


def _labels(value: Any, notes: list[str], name: str) -> dict[str, str]:
    """``metadata.labels``; Pyrra propagates ``pyrra.dev/team: x`` to its rules as ``team: x``."""
    labels = labels_of(value, notes, f"{name}: metadata.labels")
    plain = {k: v for k, v in labels.items() if not k.startswith(PROPAGATION_PREFIX)}
    propagated = {k[len(PROPAGATION_PREFIX):]: v for k, v in labels.items()
                  if k.startswith(PROPAGATION_PREFIX) and len(k) > len(PROPAGATION_PREFIX)}
    return {**plain, **propagated}


def _grouping(value: Any, where: str) -> list[str]:
    """Pyrra's ``grouping`` (a Go ``[]string``: a YAML string there fails to unmarshal), never a
    string split into its characters (``grouping: job`` was a breakdown by j, o and b)."""
    names = as_list(value, where, "a list of label names")
    for i, g in enumerate(names):
        if not isinstance(g, str) or not g.strip():
            raise Refused(f"{where} must be a list of label names ({where}[{i}] is {described(g)})")
    return [g.strip() for g in names]


def convert(doc: dict[str, Any]) -> Converted:
    if doc.get("apiVersion") != API:
        raise Refused(f"apiVersion {doc.get('apiVersion')!r} is not supported (expected {API})")
    if doc.get("kind") != "ServiceLevelObjective":
        raise Refused(f"kind {doc.get('kind')!r} holds no SLO (expected ServiceLevelObjective)")
    meta = as_mapping(doc.get("metadata"), "metadata")
    if doc.get("spec") is None:
        raise Refused("spec is missing")
    spec = as_mapping(doc.get("spec"), "spec")
    name = as_text(meta.get("name"), "metadata.name")
    if not name:
        raise Refused("metadata.name is missing")
    if spec.get("target") is None:
        raise Refused("spec.target is missing")
    target = share(spec["target"], percent=True)
    period = window_of(as_text(spec.get("window"), "spec.window") or "28d")
    indicator = as_mapping(spec.get("indicator"), "spec.indicator")
    if not indicator:
        raise Refused("spec.indicator is missing")
    kinds = [k for k in ("ratio", "latency", "latencyNative", "bool_gauge") if k in indicator]
    if not kinds:
        raise Refused(f"indicator {', '.join(map(str, indicator))!r} is not supported "
                      "(expected ratio, latency, latencyNative or bool_gauge)")
    kind = kinds[0]
    ind = as_mapping(indicator[kind], f"indicator.{kind}")
    grouping = _grouping(ind.get("grouping"), f"indicator.{kind}.grouping")
    by = bool(grouping)  # Pyrra's grouping is slotui's breakdown: queries summed by ({{by}})
    if kind == "ratio":
        total = _counter(_metric(ind.get("total"), "ratio.total"), by)
        good = good_from_bad(total, _counter(_metric(ind.get("errors"), "ratio.errors"), by), by=by)
    elif kind == "latency":
        good = _counter(_metric(ind.get("success"), "latency.success"), by)
        total = _counter(_metric(ind.get("total"), "latency.total"), by)
    elif kind == "latencyNative":
        metric = _metric(ind.get("total"), "latencyNative.total")
        try:
            text = as_text(ind.get("latency"), "indicator.latencyNative.latency")
            latency = float(parse_duration(text))  # type: ignore[arg-type]
        except ValueError as exc:
            if isinstance(exc, Refused):
                raise
            latency = 0.0
        if not latency > 0 or not math.isfinite(latency):
            raise Refused(f"latencyNative.latency {ind.get('latency')!r} is not a duration (expected e.g. 100ms, "
                          "1s)")
        inc = f"increase({metric}[{_W}])"
        good = summed(f"histogram_fraction(0, {latency:g}, {inc}) * histogram_count({inc})", by=by)
        total = summed(f"histogram_count({inc})", by=by)
    else:
        metric = _metric(ind, "bool_gauge")
        good = over_window(metric, "sum_over_time", by=by)
        total = over_window(metric, "count_over_time", by=by)
    check_promql(good, total)
    entry: dict[str, Any] = {
        "name": name,
        "source": DEFAULT_SOURCE,
        "ratio": {"good": good, "total": total},
        "objective": {"target": target},
        "period": period,
    }
    description = as_text(spec.get("description"), "spec.description")
    notes: list[str] = []
    if grouping:
        entry["params"] = {"grouping": grouping}
        if groups_by(good) and groups_by(total):
            # Pyrra's one SLO per group is slotui's breakdown of one SLO by those labels (SPEC 10.1)
            entry["breakdown"] = grouping
        else:  # the metric aggregates itself: its own labels decide, no {{by}} to fill
            notes.append(f"{name}: grouping by {', '.join(grouping)} is not a breakdown (the metric is not a "
                         "plain selector, so its queries cannot be grouped)")
    if description:
        entry["description"] = description
    alerting = as_mapping(spec.get("alerting"), "spec.alerting")
    # ``burnrates: false`` (and the deprecated ``disabled: true``) turn Pyrra's burn-rate alerts off
    burning = (not as_bool(alerting.get("disabled"), "spec.alerting.disabled")
               and as_bool(alerting.get("burnrates"), "spec.alerting.burnrates", default=True))
    entry["burn_rate"] = []
    for tier in tiers(period) if burning else []:
        if parse_duration(tier["short"]) >= parse_duration(tier["long"]):  # type: ignore[operator]
            # a window under ~17h: Pyrra's 1m-rounded windows meet (and the loader refuses the SLO)
            notes.append(f"{name}: the {tier['long']}/{tier['short']} tier of a {period} window not imported "
                         "(its short window is not shorter than its long one)")
            continue
        entry["burn_rate"].append(tier)
    labels = _labels(meta.get("labels"), notes, name)
    namespace = as_text(meta.get("namespace"), "metadata.namespace")
    if namespace:
        labels.setdefault("namespace", namespace)
    alertname = as_text(alerting.get("name"), "spec.alerting.name")
    if alertname:
        labels.setdefault("alertname", alertname)  # slotui's alerts and rules take it
    if labels:
        entry["labels"] = labels
    if burning:
        # slotui's for: is one per SLO; Pyrra's alerts each wait their own (2m ... 3h at 28d)
        notes.append(f"{name}: Pyrra's alerts wait for: {', '.join(pending(period))} (one per tier); not imported "
                     "(slotui's for: is per SLO), so slotui's tiers fire as soon as both windows burn")
    if grouping and "breakdown" in entry and burning:
        # Pyrra alerts per group (its rules keep the grouping labels); slotui's tiers judge the sum
        notes.append(f"{name}: Pyrra alerts per {', '.join(grouping)} (one SLO per group); slotui's burn-rate "
                     f"tiers judge the sum over the groups, so one small group failing alone may not page: its "
                     "figures are in the breakdown (which group burns)")
    if as_bool(alerting.get("absent"), "spec.alerting.absent", default=True):
        absent = as_text(alerting.get("absentName"), "spec.alerting.absentName") or "SLOMetricAbsent"
        notes.append(f"{name}: Pyrra's {absent} alert (the metric is gone) not imported; in slotui a metric "
                     "that is gone is NO DATA, which does not page (alert on absent() in Prometheus, or watch "
                     "for NO DATA)")
    if burning and isinstance(alerting.get("severities"), dict) and alerting["severities"]:
        notes.append(f"{name}: alerting.severities not imported (slotui's tiers are critical, critical, "
                     "warning, warning as Pyrra's defaults)")
    return Converted(slos=[entry], sources={DEFAULT_SOURCE: prometheus_source()}, notes=notes)
