"""OpenSLO ``openslo/v1`` and ``openslo/v1alpha`` documents as slotui SLOs.

Documents are collected from every given file first, so an SLO may refer to
an SLI, DataSource, AlertPolicy, AlertCondition or AlertNotificationTarget
defined in another file (by ``metadata.name``). Then each SLO document is
converted or refused with a reason (:class:`~slotui.peers.common.Refused`).

Meanings kept:

- ``Occurrences`` on a ratio SLI -> a ratio SLO (events), ``target`` or
  ``targetPercent`` (decimal: 99.99 -> 0.9999).
- ``Timeslices`` on a ratio SLI -> a threshold SLO on the ratio within each
  ``timeSliceWindow`` slice, compared with ``timeSliceTarget``; ``target`` is
  the share of good slices (compliance).
- ``RatioTimeslices`` (the average of the slices' good ratios) is refused:
  neither an event count nor a share of good slices is that average.
- ``thresholdMetric`` -> a threshold SLO: ``value`` is the threshold, ``op``
  its direction (``lt``/``gt`` strict, ``lte``/``gte`` not), ``target`` the
  compliance.
- ``counter: true`` (v1) / ``incremental: true`` (v1alpha): each selector is
  wrapped inside the aggregation, ``sum(increase(x[{{window}}]))``; a plain
  non-counter selector is summed over the window (``sum_over_time``).
  ``rawMetric`` (a ready ratio) -> good = ratio (or ``1 -`` ratio for
  ``rawType: failure``) over a total of 1.
- ``timeWindow`` (a list or a mapping): rolling ``duration`` -> period (``1M``
  = 30d); ``calendar`` (``isRolling`` false or absent) of one month ->
  ``calendar_month``; other calendar lengths are refused. None -> 30d.
- Burn-rate ``AlertCondition``s -> tiers (``threshold`` = factor,
  ``lookbackWindow`` = long window, a twelfth of it the short one; ``op`` gt
  or gte; a condition referenced twice gives one tier).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slotui.config.durations import parse_duration
from slotui.formatting import format_window
from slotui.peers.common import (
    DEFAULT_PERIOD,
    DEFAULT_PROM_URL,
    DEFAULT_SOURCE,
    Converted,
    Refused,
    as_bool,
    as_list,
    as_mapping,
    as_text,
    check_promql,
    described,
    duration,
    fixed_window_note,
    labels_of,
    number,
    prometheus_source,
    promql_parsed,
    share,
    slug,
)
from slotui.peers.promql import (
    good_from_bad, grouped_sum, has_range, is_selector, is_sum_of_selector, over_window, rates_as_increases,
    ratio_as_events, sloth_templates,
)

V1, V1ALPHA = "openslo/v1", "openslo/v1alpha"
APIS = (V1, V1ALPHA)
#: kinds that support an SLO (looked up by reference); they are not imported on their own
#: data source types (lower case, no spaces or dashes) that answer Prometheus' HTTP query API
_PROMETHEUS_COMPATIBLE = frozenset({"thanos", "mimir", "grafanamimir", "cortex", "victoriametrics"})
SUPPORTING = ("SLI", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "Service")
_ALPHA_UNITS = {"Second": "s", "Minute": "m", "Hour": "h", "Day": "d", "Week": "w", "Month": "M",
                "Quarter": "Q", "Year": "Y"}
_STRICT = {"lt": ("lower_is_better", True), "lte": ("lower_is_better", False),
           "gt": ("higher_is_better", True), "gte": ("higher_is_better", False)}


def is_openslo(doc: dict[str, Any]) -> bool:
    # openslo.com/v2alpha is OpenSLO too (refused by check_api with its version, not as unknown)
    return str(doc.get("apiVersion", "")).startswith(("openslo/", "openslo.com/"))


def document_name(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name")
    if isinstance(name, (dict, list)):
        return "(unnamed)"  # (check_api refuses it, naming metadata.name)
    if isinstance(name, bool):
        return "true" if name else "false"
    return str(name or "(unnamed)")


#: OpenSLO AlertCondition severities (free text; the spec's examples: page, ticket, sev1) as slotui's levels
_SEVERITIES = {
    **dict.fromkeys(("page", "critical", "crit", "high", "urgent", "emergency", "fatal", "sev0", "sev1", "sev-0",
                     "sev-1", "p0", "p1"), "critical"),
    **dict.fromkeys(("ticket", "warning", "warn", "medium", "low", "info", "minor", "sev2", "sev3", "sev4", "sev5",
                     "sev-2", "sev-3", "sev-4", "sev-5", "p2", "p3", "p4", "p5"), "warning"),
}


@dataclass
class Catalog:
    """Every supporting OpenSLO document of the given files, by kind and name."""

    docs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: the file each document came from, and the files of the documents an SLO referred to
    files: dict[tuple[str, str], str] = field(default_factory=dict)
    used_files: set[str] = field(default_factory=set)

    #: (kind, name) defined more than once with different content: each ``(file, doc)``, in reading order
    twice: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    #: the file of the SLO being converted: its own definition of a name defined twice is the one meant
    near: str = ""
    #: what :meth:`get` had to choose (drained into the SLO's notes)
    notes: list[str] = field(default_factory=list)

    def add(self, doc: dict[str, Any], file: str = "") -> None:
        key = (str(doc.get("kind")), document_name(doc))
        if key in self.docs and self.docs[key] != doc:
            variants = self.twice.setdefault(key, [(self.files[key], self.docs[key])])
            variants.append((file, doc))
            return  # (the first read stays, unless the SLO's own file has one: get)
        self.docs.setdefault(key, doc)
        self.files.setdefault(key, file)

    def get(self, kind: str, name: Any) -> dict[str, Any] | None:
        """The document ``kind``/``name``. One defined more than once with different content: the
        one in the SLO's own file (:attr:`near`), else the first read, with a note (the last read
        used to win, so the order of the files decided which queries were imported)."""
        key = (kind, str(name))
        variants = self.twice.get(key)
        if variants is not None:
            own = [(f, d) for f, d in variants if f == self.near]
            file, doc = own[0] if len(own) == 1 else variants[0]
            if len(own) != 1:
                note = (f"{kind} {str(name)!r} is defined {len(variants)} times with different content "
                        f"({', '.join(dict.fromkeys(f for f, _ in variants))}): the first read, from {file}, is used")
                if note not in self.notes:
                    self.notes.append(note)
            self.used_files.add(file)
            return doc
        if key in self.files:
            self.used_files.add(self.files[key])
        return self.docs.get(key)


def _spec(doc: Any, where: str = "spec") -> dict[str, Any]:
    """A document's ``spec`` (``{}`` when absent); a spec that is not a mapping is refused, naming ``where``."""
    if not isinstance(doc, dict):
        raise Refused(f"{where.rsplit('.', 1)[0]} must be a mapping, not {described(doc)}")
    return as_mapping(doc.get("spec"), where)


def _mapping_or_first(value: Any, where: str, expected: str) -> dict[str, Any]:
    """``timeWindow``/``connectionDetails`` written as a mapping or a list (of mappings merged in order);
    ``{}`` when absent. Anything else (``timeWindow: 7d``) is refused naming the key and ``expected``:
    read as absent, it silently became the default."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise Refused(f"{where}[{i}] must be a mapping ({expected}), not {described(item)}")
            for k, v in item.items():
                merged.setdefault(k, v)
        return merged
    raise Refused(f"{where} must be {expected}, not {described(value)}")


class SLOConverter:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.out = Converted()
        self.channels: dict[str, dict[str, Any]] = {}
        self.routes: list[dict[str, Any]] = []
        #: (severity, channels) of the alert policies of the SLO being converted
        self._policy_routes: list[tuple[str, list[str]]] = []

    # ------------------------------------------------------------------ sources and queries

    def _prometheus_api(self, kind: str) -> bool:
        """Whether a data source type speaks Prometheus' HTTP query API: Prometheus, or Thanos,
        Mimir, Cortex or VictoriaMetrics (read as a ``prometheus`` source, with a note)."""
        lowered = kind.lower().replace(" ", "").replace("-", "").replace("_", "")
        if lowered == "prometheus":
            return True
        if lowered in _PROMETHEUS_COMPATIBLE:
            note = (f"data source type {kind!r} is read as a prometheus source (its Prometheus-compatible query "
                    "API; a path prefix such as /prometheus for Mimir belongs in its url)")
            if note not in self.out.notes:
                self.out.notes.append(note)
            return True
        return False

    def source(self, ms: dict[str, Any], alpha_source: str | None = None) -> str:
        """The slotui source name for a metric source; Refused when it does not speak Prometheus' API."""
        if alpha_source is not None:
            if not self._prometheus_api(str(alpha_source)):
                raise Refused(f"data source {alpha_source!r} is not supported (only Prometheus and its "
                              "API: Thanos, Mimir, Cortex, VictoriaMetrics)")
            self.out.sources.setdefault(DEFAULT_SOURCE, prometheus_source())
            return DEFAULT_SOURCE
        ref = as_text(ms.get("metricSourceRef"), "metricSource.metricSourceRef")
        mtype = as_text(ms.get("type"), "metricSource.type")
        url = DEFAULT_PROM_URL
        if ref:
            ds = self.catalog.get("DataSource", ref)
            if ds is not None:
                at = f"DataSource {ref!r}: spec"
                dspec = _spec(ds, at)
                mtype = as_text(dspec.get("type"), f"{at}.type") or mtype
                details = _mapping_or_first(dspec.get("connectionDetails"), f"{at}.connectionDetails",
                                            "a mapping (url: ...) or a list of mappings")
                url = as_text(details.get("url"), f"{at}.connectionDetails.url") or DEFAULT_PROM_URL
            elif not self._prometheus_api(mtype):
                raise Refused(f"data source {ref!r} not found in the given files")
            else:
                note = (f"data source {ref!r} is not in the given files: its source {slug(ref)!r} reads "
                        f"{DEFAULT_PROM_URL}; set its url (or import its DataSource document too)")
                if note not in self.out.notes:
                    self.out.notes.append(note)
        if not self._prometheus_api(mtype):
            raise Refused(f"data source type {mtype or 'unset'!r} is not supported (only Prometheus and its API: "
                          "Thanos, Mimir, Cortex, VictoriaMetrics)")
        name = slug(ref) if ref else DEFAULT_SOURCE
        self.out.sources.setdefault(name, self._without_password(name, url))
        return name

    def _without_password(self, name: str, url: str) -> dict[str, Any]:
        """A source whose URL carries no credential: a password moves to basic_auth from the
        environment; a user name alone (often a token) and query parameters named like credentials
        (``api_key``, ``token``, ``sig``, see :func:`slotui.config.secrets.is_secret_param`) are not
        copied. A note names what to set (never the values)."""
        from urllib.parse import unquote, urlsplit, urlunsplit

        from slotui.config.secrets import is_secret_param

        parts = urlsplit(url)
        userinfo, at, hostport = parts.netloc.rpartition("@")
        kept = [p for p in parts.query.split("&") if p and not is_secret_param(unquote(p.partition("=")[0]))]
        dropped = [unquote(p.partition("=")[0]) for p in parts.query.split("&")
                   if p and is_secret_param(unquote(p.partition("=")[0]))]
        if not at and not dropped:
            return prometheus_source(url)
        env = re.sub(r"[^A-Z0-9]+", "_", name.upper())
        source = prometheus_source(urlunsplit(parts._replace(netloc=hostport, query="&".join(kept))))
        if at:
            user, colon, _password = userinfo.partition(":")
            if colon:
                source["basic_auth"] = {"username": unquote(user), "password": f"${{{env}_PASSWORD}}"}
                self.out.notes.append(f"data source {name!r}: the password in its URL is not copied; "
                                      f"set {env}_PASSWORD")
            else:
                self.out.notes.append(f"data source {name!r}: the user name in its URL (often a token) is not "
                                      "copied; set basic_auth or bearer_token on the source")
        if dropped:
            self.out.notes.append(f"data source {name!r}: URL parameter{'s' if len(dropped) > 1 else ''} "
                                  f"{', '.join(dropped)} not copied (a credential); set it on the source")
        return source

    @staticmethod
    def query_of(spec: dict[str, Any], what: str, at: str = "") -> str:
        """The query of a metric source's ``spec`` (``at``: its dotted key, for a refusal)."""
        key = "query" if "query" in spec else "promql"
        q = as_text(spec.get(key), f"{at or what}.{key}")
        if not q:
            raise Refused(f"{what}: no query (expected metricSource.spec.query or promql)")
        return sloth_templates(q)

    def metric_source(self, part: Any, at: str, what: str, counter: bool | None = None) -> tuple[dict[str, Any], str]:
        """``{metricSource: {metricSourceRef, type, spec: {query}}}`` at the dotted key ``at``: the metric
        source mapping and its query (counted over the window unless ``counter`` is None)."""
        ms = as_mapping(as_mapping(part, at).get("metricSource"), f"{at}.metricSource")
        query = self.query_of(as_mapping(ms.get("spec"), f"{at}.metricSource.spec"), what, f"{at}.metricSource.spec")
        if counter is not None:
            with promql_parsed(query):
                query = self.windowed(query, counter)
        return ms, query

    @staticmethod
    def windowed(query: str, counter: bool) -> str:
        """A count of events over ``{{window}}``: counters increase, per-interval counts are summed,
        a ``rate`` over the window becomes its ``increase`` (:func:`~slotui.peers.promql.rates_as_increases`).

        Per-interval counts are summed under a plain ``sum`` too (``sum(x)`` ->
        ``sum(sum_over_time(x[{{window}}]))``, the same events), not only as a bare selector: the
        instant ``sum(x)`` gave every window the same value. Other shapes (``count(x)``, ``x / y``)
        do not commute with a sum over time and are kept (the SLO's note says so)."""
        if has_range(query):
            return rates_as_increases(query)
        if counter:
            return over_window(query, "increase")
        if is_selector(query) or is_sum_of_selector(query):
            return over_window(query, "sum_over_time")
        return query

    # ------------------------------------------------------------------ indicators

    def indicator(self, spec: dict[str, Any], objective: dict[str, Any], api: str,
                  at: str = "objective") -> dict[str, Any]:
        """``{"kind": "ratio"|"threshold", "source", "good", "total"}`` or ``{"kind": "threshold", "query"}``;
        ``at`` is the objective's dotted key (``spec.objectives[1]``)."""
        if api == V1ALPHA:
            rm = as_mapping(objective.get("ratioMetrics"), f"{at}.ratioMetrics")
            if rm:
                counter = as_bool(rm.get("incremental"), f"{at}.ratioMetrics.incremental")
                good = as_mapping(rm.get("good"), f"{at}.ratioMetrics.good")
                total = as_mapping(rm.get("total"), f"{at}.ratioMetrics.total")
                alpha = (as_text(good.get("source"), f"{at}.ratioMetrics.good.source")
                         or as_text(total.get("source"), f"{at}.ratioMetrics.total.source") or "unset")
                source = self.source({}, alpha_source=alpha)
                good_q = self.query_of(good, "ratioMetrics.good", f"{at}.ratioMetrics.good")
                total_q = self.query_of(total, "ratioMetrics.total", f"{at}.ratioMetrics.total")
                with promql_parsed(good_q):
                    good_q = self.windowed(good_q, counter)
                with promql_parsed(total_q):
                    total_q = self.windowed(total_q, counter)
                return {"kind": "ratio", "source": source, "good": good_q, "total": total_q}
            indicator = as_mapping(spec.get("indicator"), "spec.indicator")
            tm = as_mapping(indicator.get("thresholdMetric"), "spec.indicator.thresholdMetric")
            if tm:
                source = self.source({}, alpha_source=as_text(tm.get("source"), "spec.indicator.thresholdMetric.source")
                                     or "unset")
                return {"kind": "threshold", "source": source,
                        "query": self.query_of(tm, "thresholdMetric", "spec.indicator.thresholdMetric")}
            raise Refused("no ratioMetrics in the objective and no indicator.thresholdMetric")
        if objective.get("indicator") or objective.get("indicatorRef") or objective.get("compositeWeight"):
            raise Refused("composite SLOs are not supported")
        if spec.get("indicator") is not None:
            sli_at = "spec.indicator.spec"
            sli = _spec(as_mapping(spec["indicator"], "spec.indicator"), sli_at)
        elif spec.get("indicatorRef"):
            ref = as_text(spec["indicatorRef"], "spec.indicatorRef")
            doc = self.catalog.get("SLI", ref)
            if doc is None:
                raise Refused(f"SLI {ref!r} not found in the given files")
            sli_at = f"SLI {ref!r}: spec"
            sli = _spec(doc, sli_at)
        else:
            raise Refused("no indicator or indicatorRef")
        rm = as_mapping(sli.get("ratioMetric"), f"{sli_at}.ratioMetric")
        if rm:
            at_rm = f"{sli_at}.ratioMetric"
            counter = as_bool(rm.get("counter"), f"{at_rm}.counter")
            if rm.get("raw") is not None:
                ms, raw = self.metric_source(rm["raw"], f"{at_rm}.raw", "ratioMetric.raw")
                source = self.source(ms)
                raw_type = as_text(rm.get("rawType"), f"{at_rm}.rawType").lower()
                if raw_type not in ("success", "failure"):
                    # a guess either way would turn an error ratio into a success ratio or back
                    raise Refused(f"ratioMetric.rawType {rm.get('rawType')!r} is not success or failure "
                                  "(required with raw)")
                good, total = ratio_as_events(raw, errors=raw_type == "failure")
                return {"kind": "ratio", "source": source, "good": good, "total": total}
            parts = {}
            for key in ("good", "bad", "total"):
                if rm.get(key) is not None:
                    parts[key] = self.metric_source(rm[key], f"{at_rm}.{key}", f"ratioMetric.{key}", counter)
            if "total" not in parts or not ({"good", "bad"} & set(parts)):
                raise Refused("ratioMetric needs total and good (or bad)")
            source = self.source(parts["good" if "good" in parts else "total"][0])
            total = parts["total"][1]
            good = parts["good"][1] if "good" in parts else good_from_bad(total, parts["bad"][1])
            out = {"kind": "ratio", "source": source, "good": good, "total": total}
            other = parts["good" if "good" in parts else "bad"][1]
            total_groups, other_groups = grouped_sum(total), grouped_sum(other)
            if total_groups and other_groups and set(total_groups[1]) == set(other_groups[1]):
                # one series per group: their sum, broken down by the labels (for Occurrences)
                out["grouped"] = (total_groups[0], other_groups[0], list(total_groups[1]), "good" in parts)
            return out
        if sli.get("thresholdMetric") is not None:
            ms, query = self.metric_source(sli["thresholdMetric"], f"{sli_at}.thresholdMetric", "thresholdMetric")
            return {"kind": "threshold", "source": self.source(ms), "query": query}
        raise Refused("the SLI has neither ratioMetric nor thresholdMetric")

    # ------------------------------------------------------------------ windows

    def period(self, spec: dict[str, Any], api: str, slo_name: str = "") -> dict[str, Any]:
        if api == V1ALPHA:
            key = "timeWindows"
            tw = _mapping_or_first(spec.get(key), f"spec.{key}", "a list of {count, unit, isRolling}")
            if not tw:
                return {"period": DEFAULT_PERIOD}
            unit = _ALPHA_UNITS.get(as_text(tw.get("unit"), f"spec.{key}.unit"))
            count = as_text(tw.get("count"), f"spec.{key}.count")
            if unit is None or not count:
                raise Refused(f"timeWindows {tw!r}: expected count and unit (Day, Week, Month, ...)")
            text = f"{count}{unit}"
        else:
            key = "timeWindow"
            if isinstance(spec.get(key), list) and len(spec[key]) > 1:
                # OpenSLO: "a list but accepting only exactly one"; the others were dropped without a word
                raise Refused(f"spec.{key} must hold exactly one window, not {len(spec[key])}")
            tw = _mapping_or_first(spec.get(key), f"spec.{key}",
                                   "a list of {duration, isRolling} (or one such mapping)")
            if not tw:
                return {"period": DEFAULT_PERIOD}
            text = as_text(tw.get("duration"), f"spec.{key}.duration")
            if not text:
                raise Refused(f"spec.{key}.duration is missing (expected e.g. 28d, 1M)")
        calendar = as_mapping(tw.get("calendar"), f"spec.{key}.calendar")
        rolling = tw.get("isRolling")
        rolling = not calendar if rolling is None else as_bool(rolling, f"spec.{key}.isRolling")
        if not rolling:
            if text.strip() == "1M":
                start = _calendar_start(calendar)
                if not re.fullmatch(r"\d{4}-\d\d-01T00:00:00Z", start) and start != "1970-01-01T00:00:00Z":
                    # slotui's calendar months are UTC months; a month from another zone's midnight (or
                    # from the 15th) is shifted by hours (or weeks): said, not silent
                    self.out.notes.append(
                        f"SLO {slo_name!r}: its calendar months begin at {start} (calendar startTime/timeZone); "
                        "slotui's calendar_month begins at 00:00 UTC on the 1st")
                return {"period": "calendar_month"}
            period = duration(text, what="time window")
            if period.endswith("d") and int(period[:-1]) % 30 == 0 and str(text).strip().endswith("M"):
                raise Refused(f"calendar window of {text!r} is not supported (one calendar month, 1M, is)")
            return {"period": period, "period_start": _calendar_start(calendar)}
        return {"period": duration(text, what="time window")}

    # ------------------------------------------------------------------ SLOs

    def slo(self, doc: dict[str, Any]) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """Convert one SLO document into ``self.out``; ``(name, reason, scope)`` of each objective refused on
        its own (its sibling objectives are still imported; ``scope``: the objective's path in the
        document, see :class:`~slotui.peers.common.Refused`). Refused when the whole document cannot be."""
        api = str(doc.get("apiVersion"))
        meta = as_mapping(doc.get("metadata"), "metadata")
        name = document_name(doc)
        spec = _spec(doc, "spec")
        objectives = as_list(spec.get("objectives"), "spec.objectives", "a list of objectives")
        if not objectives:
            raise Refused("no objectives")
        period = self.period(spec, api, name)
        method = as_text(spec.get("budgetingMethod"), "spec.budgetingMethod") or "Occurrences"
        if method not in ("Occurrences", "Timeslices", "RatioTimeslices"):
            raise Refused(f"budgetingMethod {method!r} is not supported")
        common: dict[str, Any] = dict(period)
        description = (as_text(spec.get("description"), "spec.description")
                       or as_text(meta.get("displayName"), "metadata.displayName"))
        if description:
            common["description"] = description
        service = as_text(spec.get("service"), "spec.service")
        if service:
            common["service"] = service
            self.catalog.get("Service", service)  # (a file of Services is then used, not skipped)
        labels = labels_of(meta.get("labels"), self.out.notes, f"SLO {name!r}: metadata.labels")
        if labels:
            common["labels"] = labels
        self._policy_routes = []
        tiers = self.tiers(as_list(spec.get("alertPolicies"), "spec.alertPolicies", "a list of alert policies"),
                           name, api)
        if tiers is not None:
            common["burn_rate"] = tiers
        entries: list[dict[str, Any]] = []
        refused: list[tuple[str, str, tuple[str | int, ...]]] = []
        taken: set[str] = set()
        for i, obj in enumerate(objectives):
            at = f"spec.objectives[{i}]"
            label = at
            notes: list[str] = []
            try:
                if not isinstance(obj, dict):
                    raise Refused(f"{at} must be a mapping, not {described(obj)}")
                title = (as_text(obj.get("displayName"), f"{at}.displayName")
                         or as_text(obj.get("name"), f"{at}.name") or str(i + 1))
                label = entry_name = name if len(objectives) == 1 else f"{name}-{slug(title)}"
                if entry_name in taken:
                    # two objectives whose names differ only by case or punctuation ("A", "a"): both kept
                    n = 2
                    while f"{entry_name}-{n}" in taken:
                        n += 1
                    notes.append(f"SLO {name!r}: objective {title!r} ({at}) is named {entry_name}-{n} "
                                 f"({entry_name} is another objective's name)")
                    label = entry_name = f"{entry_name}-{n}"
                taken.add(entry_name)
                ind = self.indicator(spec, obj, api, at)
                entry = {"name": entry_name, **self.objective(ind, obj, method, at), **common}
                note = fixed_window_note(entry_name, ind["good"], ind["total"]) if ind["kind"] == "ratio" else None
                if note:
                    notes.append(note)
                if entry.get("breakdown"):
                    by = ", ".join(entry["breakdown"])
                    notes.append(f"SLO {entry_name!r}: its queries give one series per {by}; slotui evaluates their "
                                 f"sum, with breakdown: [{by}] naming the ones that burn the budget")
                if ind["kind"] == "threshold" and obj.get("timeSliceTarget") is not None:
                    notes.append(
                        f"SLO {entry_name!r}: timeSliceTarget {obj['timeSliceTarget']!r} not imported (each slice is "
                        "judged by the query's value in it, not by the share of good points within it)")
            except Refused as exc:
                refused.append((label, str(exc), ("spec", "objectives", i)))
                continue
            except (AttributeError, TypeError, KeyError, ValueError, ArithmeticError) as exc:
                # last resort, per objective: its siblings are still imported
                refused.append((label, f"unexpected structure ({type(exc).__name__}: {exc})", ("spec", "objectives", i)))
                continue
            entries.append(entry)
            self.out.notes.extend(notes)
        if refused and (len(objectives) == 1 or (not entries and len({r for _, r, _ in refused}) == 1)):
            raise Refused(refused[0][1], scope=refused[0][2])  # the document's reason, said once
        self.out.slos.extend(entries)
        self.route([e["name"] for e in entries])
        return refused

    @staticmethod
    def target(obj: dict[str, Any]) -> float | None:
        if obj.get("target") is not None:
            return share(obj["target"], percent=False)
        if obj.get("targetPercent") is not None:
            return share(obj["targetPercent"], percent=True, what="targetPercent")
        return None

    def objective(self, ind: dict[str, Any], obj: dict[str, Any], method: str,
                  at: str = "objective") -> dict[str, Any]:
        target = self.target(obj)
        if target is None:
            raise Refused("an objective without target or targetPercent")
        op = as_text(obj.get("op"), f"{at}.op") if obj.get("op") is not None else None
        if op is not None and op not in _STRICT:
            raise Refused(f"op {op!r} is not one of lt, lte, gt, gte")
        raw_slice = obj.get("timeSliceWindow")
        slice_: str | None = None
        if isinstance(raw_slice, (int, float)) and not isinstance(raw_slice, bool):
            slice_ = duration(f"{raw_slice:g}m", what="timeSliceWindow")  # a bare number is minutes (OpenSLO)
        elif raw_slice is not None and raw_slice != "":
            slice_ = duration(raw_slice, what=f"{at}.timeSliceWindow")
        if ind["kind"] == "threshold":
            if op is None or obj.get("value") is None:
                raise Refused("a threshold objective needs op (lt/lte/gt/gte) and value")
            direction, strict = _STRICT[op]
            value = number(obj["value"], "value")
            objective: dict[str, Any] = {"target": value, "direction": direction, "compliance": target}
            if strict:
                objective["strict"] = True
            entry: dict[str, Any] = {"source": ind["source"], "query": ind["query"], "objective": objective}
            if slice_:
                entry["slice"] = slice_
            check_promql(ind["query"])
            return entry
        good, total = ind["good"], ind["total"]
        if method == "Occurrences" and ind.get("grouped"):
            # one series per group of the same labels (an SLI each in OpenSLO's tools): slotui evaluates
            # their sum, written sum by ({{by}}), and breaks it down by those labels (SPEC 10.1)
            total, other, labels, is_good = ind["grouped"]
            good = other if is_good else good_from_bad(total, other, by=True)
            check_promql(good, total)
            return {"source": ind["source"], "ratio": {"good": good, "total": total}, "breakdown": labels,
                    "objective": {"target": target}}
        check_promql(good, total)
        if method == "Occurrences":
            return {"source": ind["source"], "ratio": {"good": good, "total": total}, "objective": {"target": target}}
        if method == "RatioTimeslices":
            # OpenSLO: "an average of all time slices' success ratios". slotui's ratio SLOs count events
            # and its threshold SLOs count slices that meet a level: neither is that average, and
            # importing it as either gives another budget (a slice at 0.98 under a 0.99 target is 2x
            # the budget on average, but a whole bad slice counted as slices)
            raise Refused("budgetingMethod RatioTimeslices (the average of the slices' good ratios) is not "
                          "supported: use Occurrences (events) or Timeslices (share of slices meeting "
                          "timeSliceTarget)")
        # Timeslices: the ratio within each slice vs timeSliceTarget; target = share of good slices
        if op in ("lt", "lte"):
            raise Refused(f"op {op!r} on a good/total ratio: a slice would be good when few events are good")
        if obj.get("timeSliceTarget") is None:
            raise Refused("budgetingMethod Timeslices needs timeSliceTarget")
        slice_target = number(obj["timeSliceTarget"], "timeSliceTarget")
        if not 0 < slice_target <= 1:
            raise Refused(f"timeSliceTarget {obj['timeSliceTarget']!r} is not a share in (0, 1]")
        if not slice_:
            raise Refused(f"budgetingMethod {method} needs timeSliceWindow")
        query = f"({good}) / ({total})"
        check_promql(query)
        objective = {"target": slice_target, "direction": "higher_is_better", "compliance": target}
        if op == "gt":
            objective["strict"] = True
        return {"source": ind["source"], "query": query, "objective": objective, "slice": slice_, "window": slice_}

    # ------------------------------------------------------------------ alert policies

    def tiers(self, policies: list[Any], slo_name: str, api: str) -> list[dict[str, Any]] | None:
        if not policies:
            return None
        tiers: list[dict[str, Any]] = []
        for p in policies:
            if isinstance(p, dict) and p.get("kind") == "AlertPolicy":
                policy = p
            else:
                raw_ref = (p.get("alertPolicyRef") or p.get("targetRef")) if isinstance(p, dict) else p
                ref = as_text(raw_ref, "spec.alertPolicies[].alertPolicyRef")
                policy = self.catalog.get("AlertPolicy", ref) if ref else None
                if policy is None:
                    self.out.notes.append(f"SLO {slo_name!r}: alert policy {ref!r} not found")
                    continue
            at = f"AlertPolicy {document_name(policy)!r}: spec"
            pspec = _spec(policy, at)
            severities: set[str] = set()
            for c in as_list(pspec.get("conditions"), f"{at}.conditions", "a list of alert conditions"):
                ref = as_text(c.get("conditionRef") if isinstance(c, dict) else c, f"{at}.conditions[].conditionRef")
                cond = self.catalog.get("AlertCondition", ref) if ref else c
                if not isinstance(cond, dict):
                    self.out.notes.append(f"SLO {slo_name!r}: alert condition {ref!r} not found")
                    continue
                tier = self.tier(cond, slo_name)
                if tier is None:
                    continue
                severities.add(tier["severity"])
                if tier not in tiers:  # one condition referenced by two policies is one tier
                    tiers.append(tier)
            names = [self.channel(t) for t in as_list(pspec.get("notificationTargets"), f"{at}.notificationTargets",
                                                       "a list of notification targets")]
            names = [n for n in names if n]
            if names:
                self._policy_routes.extend((severity, names) for severity in sorted(severities))
        return tiers or None

    def route(self, entries: list[str]) -> None:
        """The routes of the SLO's alert policies, for its alerts only (``match: {slo: ...}``: a policy
        is the SLO's, not every SLO's), at the severity of slotui's alert when the tier fires
        (``critical`` for a page condition: a ``page`` route only takes alerts escalated by
        ``alerts.escalate``, which an imported file does not set)."""
        for severity, names in self._policy_routes:
            for entry in entries:
                route = {"severity": severity, "match": {"slo": entry}, "channels": names}
                if route not in self.routes:
                    self.routes.append(route)

    def tier(self, cond: dict[str, Any], slo_name: str) -> dict[str, Any] | None:
        at = f"AlertCondition {document_name(cond)!r}: spec"
        try:
            cspec = _spec(cond, at)
            condition = as_mapping(cspec.get("condition"), f"{at}.condition")
            kind = as_text(condition.get("kind"), f"{at}.condition.kind").lower()
            op = as_text(condition.get("op"), f"{at}.condition.op")
            severity = as_text(cspec.get("severity"), f"{at}.severity").lower()
        except Refused as exc:  # (a condition that cannot be read is left out, as a bad lookbackWindow is)
            self.out.notes.append(f"SLO {slo_name!r}: alert condition not imported: {exc}")
            return None
        if kind != "burnrate":
            self.out.notes.append(f"SLO {slo_name!r}: alert condition of kind {condition.get('kind')!r} not imported")
            return None
        # OpenSLO requires op, threshold and lookbackWindow: a default (threshold 1 on a page) was a noisy alert
        missing = [k for k in ("op", "threshold", "lookbackWindow") if condition.get(k) in (None, "")]
        if missing:
            self.out.notes.append(f"SLO {slo_name!r}: burn-rate condition {document_name(cond)!r} not imported: "
                                  f"{at}.condition has no {', '.join(missing)} (OpenSLO requires them)")
            return None
        if op not in ("gt", "gte"):
            self.out.notes.append(f"SLO {slo_name!r}: burn-rate condition with op {op!r} not imported "
                                  "(a burn-rate alert fires above its threshold)")
            return None
        if op == "gte":
            self.out.notes.append(f"SLO {slo_name!r}: burn-rate op gte imported as gt (slotui fires strictly above)")
        try:
            long = duration(condition.get("lookbackWindow"), what="lookbackWindow")
            seconds = float(parse_duration(long))  # type: ignore[arg-type]
            factor = number(condition.get("threshold"), "burn-rate threshold")
        except (Refused, ValueError) as exc:
            self.out.notes.append(f"SLO {slo_name!r}: {exc}")
            return None
        if condition.get("alertAfter"):
            self.out.notes.append(f"SLO {slo_name!r}: alertAfter {condition['alertAfter']!r} not imported "
                                  "(set for: on the SLO)")
        short = max(seconds / 12.0, 60.0)
        if short >= seconds:  # (the whole SLO failed validation: "the short window must be shorter")
            self.out.notes.append(f"SLO {slo_name!r}: burn-rate condition with lookbackWindow {long} not imported "
                                  "(a tier needs a short window of at least 1m inside it)")
            return None
        level = _SEVERITIES.get(severity.replace(" ", "").replace("_", "-"))
        if level is None:
            self.out.notes.append(f"SLO {slo_name!r}: alert condition severity {severity or '(none)'!r} read as "
                                  "warning (a ticket); page, critical, high, sev1 and p1 are read as critical")
            level = "warning"
        return {"severity": level, "long": long, "short": format_window(short), "factor": factor}

    def channel(self, t: Any) -> str | None:
        if isinstance(t, dict) and t.get("kind") == "AlertNotificationTarget":
            doc: dict[str, Any] | None = t
        else:
            ref = t.get("targetRef") if isinstance(t, dict) else t
            if isinstance(ref, (dict, list)):
                self.out.notes.append(f"notification target not imported: targetRef must be text, not {described(ref)}")
                return None
            doc = self.catalog.get("AlertNotificationTarget", ref) if ref else None
            if doc is None:
                self.out.notes.append(f"notification target {ref!r} not found")
                return None
        name = slug(document_name(doc))
        spec = doc.get("spec")
        target = str(spec.get("target", "") if isinstance(spec, dict) else "").lower()
        env = re.sub(r"[^A-Z0-9]+", "_", name.upper())
        if target == "slack":
            variable = f"{env}_WEBHOOK_URL"
            channel = {"type": "slack", "webhook_url": f"${{{variable}}}"}
        elif target == "pagerduty":
            variable = f"{env}_ROUTING_KEY"
            channel = {"type": "pagerduty", "routing_key": f"${{{variable}}}"}
        elif target in ("webhook", "http"):
            variable = f"{env}_WEBHOOK_URL"
            channel = {"type": "webhook", "url": f"${{{variable}}}"}
        else:
            self.out.notes.append(f"notification target {name!r} ({target or 'no target'}) not imported; "
                                  "add it under alerts.channels")
            return None
        if name not in self.channels:  # (said once, however many policies name it)
            self.out.notes.append(f"notification target {name!r} ({target}): set {variable} before using the file "
                                  "(every command that reads it needs the variable)")
        self.channels[name] = channel
        return name


def _calendar_start(cal: Any) -> str:
    """OpenSLO ``calendar: {startTime, timeZone}`` as an RFC 3339 UTC moment (the Unix epoch when absent)."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    start = cal.get("startTime")
    if start is None:
        return "1970-01-01T00:00:00Z"
    try:
        moment = start if isinstance(start, datetime) else datetime.fromisoformat(str(start).strip())
    except ValueError:
        raise Refused(f"calendar.startTime {start!r} is not a date and time (expected 2022-01-01 12:00:00)") from None
    if moment.tzinfo is None:
        zone = as_text(cal.get("timeZone"), "calendar.timeZone") or "UTC"
        try:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise Refused(f"calendar.timeZone {zone!r} is not an IANA time zone") from None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_api(doc: dict[str, Any]) -> None:
    api = doc.get("apiVersion")
    if api not in APIS:
        raise Refused(f"apiVersion {api!r} is not supported (expected {V1} or {V1ALPHA})")
    meta = as_mapping(doc.get("metadata"), "metadata")
    as_text(meta.get("name"), "metadata.name")
    if not document_name(doc) or document_name(doc) == "(unnamed)":
        raise Refused("metadata.name is missing")
