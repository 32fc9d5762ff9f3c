"""Sloth specs (``version: prometheus/v1``) and CRDs (``sloth.slok.dev/v1`` ``PrometheusServiceLevel``).

- ``objective`` (percent) -> ``objective.target`` as a share, in decimal.
- ``sli.events`` ``error_query``/``total_query`` -> ratio SLO, good = total - errors;
  ``sli.raw.error_ratio_query`` -> good = ``1 - (error ratio)`` over a total of 1;
  ``{{.window}}`` -> ``{{window}}``. ``sli.plugin`` is refused (the plugin's
  code is not in the file).
- Sloth's default alert windows for a 30-day period (page 14.4 1h/5m and 6
  6h/30m; ticket 3 1d/2h and 1 3d/6h) as budget shares, so a 28-day period
  gives Sloth's google-28d factors; a disabled ``page_alert``/``ticket_alert``
  drops its tiers.
- The SLO is named ``<service>-<name>`` (Sloth's id); spec, SLO and ``alerting``
  labels are kept, ``alerting.name`` as ``alertname`` (a label of only the page
  or only the ticket alert is named in a note, as are annotations); an
  ``alerting`` annotation ``runbook`` (or ``runbook_url``) is the SLO's runbook.
"""

from __future__ import annotations

from typing import Any

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
    fixed_window_note,
    labels_of,
    prometheus_source,
    share,
    sloth_tiers,
)
from slotui.peers.promql import good_from_bad, grouped_sum, rates_as_increases, ratio_as_events, sloth_templates

SPEC_VERSION = "prometheus/v1"
CRD_API = "sloth.slok.dev/v1"


def is_sloth(doc: dict[str, Any]) -> bool:
    version, api = str(doc.get("version", "")), str(doc.get("apiVersion", ""))
    return version.startswith("prometheus/") or api.startswith("sloth.slok.dev/")


def document_name(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else doc
    for name in (meta.get("name"), spec.get("service")):
        if name and not isinstance(name, (dict, list)):
            return str(name)
    return "sloth spec"


def _get(d: dict[str, Any], snake: str, camel: str) -> Any:
    return d.get(snake, d.get(camel))


def _key(d: dict[str, Any], snake: str, camel: str) -> str:
    """The spelling of a key the document uses (for a refusal naming it)."""
    return camel if snake not in d and camel in d else snake


def convert(doc: dict[str, Any]) -> tuple[Converted, list[tuple[str, str, tuple[str | int, ...]]]]:
    """The SLOs of one Sloth document, and ``(slo name, reason, scope)`` for each SLO of it that was
    refused (``scope``: the SLO's path in the document, what the reason's key path is relative to)."""
    if "apiVersion" in doc:
        if doc.get("apiVersion") != CRD_API:
            raise Refused(f"apiVersion {doc.get('apiVersion')!r} is not supported (expected {CRD_API})")
        if doc.get("kind") != "PrometheusServiceLevel":
            raise Refused(f"kind {doc.get('kind')!r} holds no SLO (expected PrometheusServiceLevel)")
        if doc.get("spec") is None:
            raise Refused("spec is missing")
        spec = as_mapping(doc.get("spec"), "spec")
        where = "spec."
    else:
        if doc.get("version") != SPEC_VERSION:
            raise Refused(f"version {doc.get('version')!r} is not supported (expected {SPEC_VERSION})")
        spec = doc
        where = ""
    service = as_text(spec.get("service"), f"{where}service")
    if not service:
        raise Refused("service is missing")
    out = Converted(sources={DEFAULT_SOURCE: prometheus_source()})
    base_labels = labels_of(spec.get("labels"), out.notes, f"{service}: {where}labels")
    slos = as_list(spec.get("slos"), f"{where}slos", "a list of SLOs")
    if not slos:
        raise Refused("no slos")
    refused: list[tuple[str, str, tuple[str | int, ...]]] = []
    if _get(spec, "slo_plugins", "sloPlugins"):
        out.notes.append(f"{service}: SLO plugins (rule generation) are not carried over")
    for i, slo in enumerate(slos):
        name = slo.get("name") if isinstance(slo, dict) else None
        label = str(name) if name and not isinstance(name, (dict, list)) else f"slos[{i}]"
        notes: list[str] = []
        scope = ("spec", "slos", i) if where else ("slos", i)
        try:
            out.slos.append(_slo(service, base_labels, slo, notes))
        except Refused as exc:
            refused.append((label, str(exc), scope))
            continue
        except (AttributeError, TypeError, KeyError, ValueError, ArithmeticError) as exc:
            # last resort, per SLO: its siblings are still imported
            refused.append((label, f"unexpected structure ({type(exc).__name__}: {exc})", scope))
            continue
        out.notes.extend(notes)  # (the notes of a refused SLO would only confuse)
    return out, refused


def _slo(service: str, base_labels: dict[str, str], slo: Any, notes: list[str]) -> dict[str, Any]:
    if not isinstance(slo, dict):
        raise Refused(f"an SLO must be a mapping, not {described(slo)}")
    name = as_text(slo.get("name"), "name")
    if not name:
        raise Refused("name is missing")
    if slo.get("objective") is None:
        raise Refused("objective is missing")
    target = share(slo["objective"], percent=True, what="objective")
    sli = as_mapping(slo.get("sli"), "sli")
    breakdown: list[str] | None = None
    if sli.get("plugin"):
        plugin = as_mapping(sli["plugin"], "sli.plugin")
        raise Refused(f"SLI plugin {as_text(plugin.get('id'), 'sli.plugin.id') or '?'!r} is not supported "
                      "(its queries are not in the file)")
    if sli.get("events") is not None:
        ev = as_mapping(sli["events"], "sli.events")
        err = as_text(_get(ev, "error_query", "errorQuery"), "sli.events." + _key(ev, "error_query", "errorQuery"))
        total = as_text(_get(ev, "total_query", "totalQuery"), "sli.events." + _key(ev, "total_query", "totalQuery"))
        if not err or not total:
            raise Refused("sli.events needs error_query and total_query")
        # Sloth's queries are rates: as increases, the window's total counts events (min_events)
        total_q = rates_as_increases(sloth_templates(total))
        err_q = rates_as_increases(sloth_templates(err))
        total_groups, err_groups = grouped_sum(total_q), grouped_sum(err_q)
        if total_groups and err_groups and set(total_groups[1]) == set(err_groups[1]):
            # one series per group: Sloth alerts on each; slotui evaluates their sum (one series, as
            # its Prometheus source needs) and breaks it down by the same labels (SPEC 10.1)
            total_q, err_q, breakdown = total_groups[0], err_groups[0], list(total_groups[1])
            notes.append(f"{service}-{name}: its queries give one series per {', '.join(breakdown)}, each an SLI "
                         f"in Sloth; slotui evaluates their sum, with breakdown: [{', '.join(breakdown)}] "
                         "naming the ones that burn the budget")
        elif total_groups or err_groups:
            notes.append(f"{service}-{name}: its error and total queries are not grouped by the same labels; "
                         "slotui reads one series per query (aggregate them with sum())")
        good_q = good_from_bad(total_q, err_q, by=breakdown is not None)
    elif sli.get("raw") is not None:
        raw = as_mapping(sli["raw"], "sli.raw")
        ratio = as_text(_get(raw, "error_ratio_query", "errorRatioQuery"),
                        "sli.raw." + _key(raw, "error_ratio_query", "errorRatioQuery"))
        if not ratio:
            raise Refused("sli.raw needs error_ratio_query")
        good_q, total_q = ratio_as_events(sloth_templates(ratio), errors=True)
    else:
        raise Refused("sli needs events, raw or plugin")
    check_promql(good_q, total_q)
    note = fixed_window_note(f"{service}-{name}", good_q, total_q)
    if note:
        notes.append(note)
    alerting = as_mapping(slo.get("alerting"), "alerting")
    page_key, ticket_key = _key(alerting, "page_alert", "pageAlert"), _key(alerting, "ticket_alert", "ticketAlert")
    page = as_mapping(alerting.get(page_key), f"alerting.{page_key}")
    ticket = as_mapping(alerting.get(ticket_key), f"alerting.{ticket_key}")
    page_off = as_bool(page.get("disable"), f"alerting.{page_key}.disable")
    ticket_off = as_bool(ticket.get("disable"), f"alerting.{ticket_key}.disable")
    entry: dict[str, Any] = {
        "name": f"{service}-{name}",
        "source": DEFAULT_SOURCE,
        "service": service,
        "ratio": {"good": good_q, "total": total_q},
        **({"breakdown": breakdown} if breakdown else {}),
        "objective": {"target": target},
        "period": "30d",
        "burn_rate": sloth_tiers(page=not page_off, ticket=not ticket_off),
    }
    description = as_text(slo.get("description"), "description")
    if description:
        entry["description"] = description
    labels = {**base_labels, **labels_of(slo.get("labels"), notes, f"{entry['name']}: labels")}
    labels.update(_alert_labels(entry, alerting, page, ticket, notes,
                                {"page": not page_off, "ticket": not ticket_off}, (page_key, ticket_key)))
    if labels:
        entry["labels"] = labels
    if slo.get("plugins"):
        notes.append(f"{entry['name']}: SLO plugins (rule generation) are not carried over")
    return entry


#: the severity label each Sloth alert would carry in slotui (a page is critical, a ticket a warning)
_SEVERITY = {"page": ("critical", "page"), "ticket": ("warning", "ticket")}
_RUNBOOK_KEYS = ("runbook", "runbook_url")


def _alert_labels(entry: dict[str, Any], alerting: dict[str, Any], page: dict[str, Any], ticket: dict[str, Any],
                  notes: list[str], on: dict[str, bool], keys: tuple[str, str]) -> dict[str, str]:
    """``alerting.labels`` (on both of Sloth's alerts) as SLO labels, ``alerting.name`` as the
    ``alertname`` label (slotui's alerts and exported rules are named by it), an annotation
    ``runbook`` as the SLO's runbook.

    slotui's labels are per SLO: a label of only the page or only the ticket alert and other
    annotations are named in a note instead of being dropped silently."""
    who = entry["name"]
    labels = labels_of(alerting.get("labels"), notes, f"{who}: alerting.labels")
    lost: list[str] = []
    annotations = labels_of(alerting.get("annotations"), notes, f"{who}: alerting.annotations")
    for key in _RUNBOOK_KEYS:
        if annotations.get(key) and "runbook" not in entry:
            entry["runbook"] = annotations.pop(key)
    alertname = as_text(alerting.get("name"), "alerting.name")
    if alertname:
        labels.setdefault("alertname", alertname)  # slotui's alerts and exported rules take it
    if annotations:
        lost.append("annotations " + ", ".join(sorted(annotations)))
    enabled = [(k, v, key) for (k, v), key in zip((("page", page), ("ticket", ticket)), keys) if on[k]]
    for kind, alert, key in enabled:  # (a page-only runbook or summary was dropped without a word)
        own = labels_of(alert.get("annotations"), notes, f"{who}: alerting.{key}.annotations")
        if own:
            lost.append(f"{kind} alert annotations " + ", ".join(sorted(own)))
    tiers = {k: labels_of(v.get("labels"), notes, f"{who}: alerting.{key}.labels") for k, v, key in enabled}
    for kind, tier_labels in tiers.items():
        severity = tier_labels.pop("severity", None)
        if severity is not None and severity not in _SEVERITY[kind]:
            tier_labels["severity"] = severity
    # a label every enabled alert carries with the same value is the SLO's
    shared = ({k: v for k, v in next(iter(tiers.values())).items()
               if all(t.get(k) == v for t in tiers.values())} if tiers else {})
    for kind, tier_labels in tiers.items():
        only = {k: v for k, v in tier_labels.items() if k not in shared or k == "severity"}
        if only:
            lost.append(f"{kind} alert labels " + ", ".join(f"{k}={v}" for k, v in sorted(only.items())))
    labels.update({k: v for k, v in shared.items() if k != "severity"})
    if lost:
        notes.append(f"{entry['name']}: not carried over from Sloth's alerting: {'; '.join(lost)} "
                     "(slotui's alert labels are per SLO, not per page or ticket alert)")
    return labels
