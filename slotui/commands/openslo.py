"""``slotui import openslo FILES``: convert OpenSLO ``openslo/v1`` documents to an slotui SLO file.

The result is printed on stdout (YAML); notes about what could not be carried
over go to stderr and into a comment at the top of the output. The output is
checked by the same loader as ``slotui validate`` before it is printed.

Supported (a practical subset of OpenSLO v1):

- ``DataSource`` of type Prometheus (``connectionDetails.url``) -> a
  ``prometheus`` source. A metric source without a DataSource document becomes
  a prometheus source at ``${PROMETHEUS_URL:-http://127.0.0.1:9090}``.
- ``SLI`` (separate document via ``indicatorRef``, or inline ``indicator``):
  ``ratioMetric`` with ``good``/``total`` (or ``bad``/``total``: good is
  ``total - bad``) -> a ratio SLO; with ``counter: true`` a raw counter query
  is wrapped as ``sum(increase(QUERY[{{window}}]))``. ``thresholdMetric`` -> a
  threshold SLO with ``query``. The query is ``metricSource.spec.query`` (or
  ``promql``).
- ``SLO``: one slotui SLO per objective. Ratio SLIs take the objective's
  ``target`` (or ``targetPercent``). Threshold SLIs take ``op``/``value`` as
  the threshold (``lt``/``lte``: lower is better) and ``target`` (or
  ``timeSliceTarget``) as the compliance, ``timeSliceWindow`` as the slice.
  ``timeWindow``: a rolling ``duration`` is the period (``1M`` rolling = 30d);
  a calendar ``1M`` is ``calendar_month``. ``service``, ``description`` and
  ``displayName`` are kept.
- ``AlertPolicy`` with ``AlertCondition`` of kind ``burnrate`` (inline or by
  ``conditionRef``) -> burn-rate tiers: ``threshold`` is the factor,
  ``lookbackWindow`` the long window, a twelfth of it the short window
  (SRE workbook), severity ``page``/``critical`` pages, anything else is a
  ticket. ``AlertNotificationTarget`` of target slack / pagerduty / webhook ->
  a channel whose secret comes from the environment, routed at the policy's
  severity.

Not supported (reported as notes): composite SLOs, Service documents (only
the name is kept as ``service``), other data source types, ``Q``/``Y``
windows, ``alertAfter`` (slotui uses ``for``), e-mail targets.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from slotui.cli import EXIT_OK, EXIT_UNKNOWN

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwMQY])\s*$")
_DEFAULT_PROM_URL = "${PROMETHEUS_URL:-http://127.0.0.1:9090}"


class OpenSLOError(ValueError):
    """Input that cannot be converted at all."""


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", text.strip()).strip("-").lower()
    return s or "objective"


def _window(text: Any, *, rolling: bool = True) -> str:
    """An OpenSLO duration as an slotui duration (``1M`` rolling -> 30d; calendar ``1M`` -> calendar_month)."""
    m = _DURATION.match(str(text))
    if m is None:
        raise OpenSLOError(f"unsupported duration {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "M":
        if not rolling and n == 1:
            return "calendar_month"
        return f"{30 * n}d"
    if unit in "QY":
        raise OpenSLOError(f"unsupported time window {text!r} (quarters and years)")
    return f"{n}{unit}"


def _seconds(text: str) -> float:
    from slotui.config.durations import parse_duration

    return float(parse_duration(text))  # type: ignore[arg-type]


class Converter:
    """Collects OpenSLO documents, then builds one slotui config (a plain dict)."""

    def __init__(self) -> None:
        self.slos: list[dict[str, Any]] = []
        self.slis: dict[str, dict[str, Any]] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.policies: dict[str, dict[str, Any]] = {}
        self.conditions: dict[str, dict[str, Any]] = {}
        self.targets: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []

    # ------------------------------------------------------------------ input

    def add(self, doc: Any, where: str) -> None:
        if doc is None:
            return
        if isinstance(doc, list):
            for item in doc:
                self.add(item, where)
            return
        if not isinstance(doc, dict):
            raise OpenSLOError(f"{where}: expected an OpenSLO document (a mapping), got {type(doc).__name__}")
        api = doc.get("apiVersion")
        kind = doc.get("kind")
        name = (doc.get("metadata") or {}).get("name")
        if api != "openslo/v1":
            raise OpenSLOError(f"{where}: apiVersion {api!r} is not supported (expected openslo/v1)")
        if not name:
            raise OpenSLOError(f"{where}: a {kind} document without metadata.name")
        table = {
            "SLO": self.slos, "SLI": self.slis, "DataSource": self.datasources, "AlertPolicy": self.policies,
            "AlertCondition": self.conditions, "AlertNotificationTarget": self.targets,
        }.get(kind)
        if kind == "Service":
            return  # an SLO's spec.service name is kept; the Service document adds nothing slotui uses
        if table is None:
            self.notes.append(f"{kind} {name!r} ignored (not supported)")
            return
        if isinstance(table, list):
            table.append(doc)
        else:
            table[name] = doc

    # ------------------------------------------------------------------ output

    def convert(self) -> dict[str, Any]:
        sources: dict[str, dict[str, Any]] = {}
        for name, ds in self.datasources.items():
            spec = ds.get("spec") or {}
            if str(spec.get("type", "")).lower() != "prometheus":
                self.notes.append(f"DataSource {name!r} of type {spec.get('type')!r} ignored (only Prometheus)")
                continue
            url = (spec.get("connectionDetails") or {}).get("url") or _DEFAULT_PROM_URL
            sources[_slug(name)] = {"type": "prometheus", "url": url}
        slos: list[dict[str, Any]] = []
        channels: dict[str, dict[str, Any]] = {}
        routes: list[dict[str, Any]] = []
        for doc in self.slos:
            slos.extend(self._slo(doc, sources, channels, routes))
        if not slos:
            raise OpenSLOError("no SLO could be converted" + (": " + "; ".join(self.notes) if self.notes else ""))
        out: dict[str, Any] = {"version": 1, "sources": sources, "slos": slos}
        if channels:
            out["alerts"] = {"channels": channels, "routes": routes}
        return out

    def _indicator(self, spec: dict[str, Any], slo_name: str) -> dict[str, Any] | None:
        if spec.get("indicator"):
            return spec["indicator"].get("spec") or {}
        ref = spec.get("indicatorRef")
        if ref:
            if ref not in self.slis:
                self.notes.append(f"SLO {slo_name!r}: SLI {ref!r} not found; skipped")
                return None
            return self.slis[ref].get("spec") or {}
        self.notes.append(f"SLO {slo_name!r}: no indicator; skipped (composite SLOs are not supported)")
        return None

    def _source(self, metric_source: dict[str, Any], sources: dict[str, dict[str, Any]], slo_name: str) -> str | None:
        ref = metric_source.get("metricSourceRef")
        mtype = str(metric_source.get("type", "Prometheus"))
        if ref:
            if _slug(ref) in sources:
                return _slug(ref)
            if ref in self.datasources:  # present but unsupported type
                self.notes.append(f"SLO {slo_name!r}: data source {ref!r} is not Prometheus; skipped")
                return None
        if mtype.lower() != "prometheus":
            self.notes.append(f"SLO {slo_name!r}: metric source type {mtype!r} is not supported; skipped")
            return None
        name = _slug(ref) if ref else "prometheus"
        sources.setdefault(name, {"type": "prometheus", "url": _DEFAULT_PROM_URL})
        return name

    @staticmethod
    def _query(metric: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        ms = metric.get("metricSource") or {}
        spec = ms.get("spec") or {}
        query = spec.get("query") or spec.get("promql")
        return ms, (str(query) if query is not None else None)

    def _slo(
        self,
        doc: dict[str, Any],
        sources: dict[str, dict[str, Any]],
        channels: dict[str, dict[str, Any]],
        routes: list[dict[str, Any]],
    ) -> Iterable[dict[str, Any]]:
        meta = doc.get("metadata") or {}
        name = str(meta["name"])
        spec = doc.get("spec") or {}
        indicator = self._indicator(spec, name)
        if indicator is None:
            return []
        common: dict[str, Any] = {}
        description = spec.get("description") or meta.get("displayName")
        if description:
            common["description"] = str(description)
        if spec.get("service"):
            common["service"] = str(spec["service"])
        windows = spec.get("timeWindow") or []
        if windows:
            tw = windows[0]
            rolling = bool(tw.get("isRolling", True))
            try:
                common["period"] = _window(tw.get("duration", "28d"), rolling=rolling)
            except OpenSLOError as exc:
                self.notes.append(f"SLO {name!r}: {exc}; skipped")
                return []
            if not rolling and common["period"] != "calendar_month":
                self.notes.append(f"SLO {name!r}: calendar window {tw.get('duration')!r} imported as a rolling period")
        tiers = self._tiers(spec.get("alertPolicies") or [], name, channels, routes)
        if tiers:
            common["burn_rate"] = tiers
        base: dict[str, Any] = {}
        if "ratioMetric" in indicator:
            rm = indicator["ratioMetric"] or {}
            total_ms, total = self._query(rm.get("total") or {})
            good_ms, good = self._query(rm.get("good") or {})
            _, bad = self._query(rm.get("bad") or {})
            if total is None or (good is None and bad is None):
                self.notes.append(f"SLO {name!r}: ratioMetric needs total and good (or bad) queries; skipped")
                return []
            source = self._source(good_ms if good is not None else total_ms, sources, name)
            if source is None:
                return []
            counter = bool(rm.get("counter", False))

            def wrap(q: str) -> str:
                return q if (not counter or "{{window}}" in q) else f"sum(increase({q}[{{{{window}}}}]))"

            total_q = wrap(total)
            good_q = wrap(good) if good is not None else f"({total_q}) - ({wrap(bad)})"  # type: ignore[arg-type]
            base = {"source": source, "ratio": {"good": good_q, "total": total_q}}
            kind = "ratio"
        elif "thresholdMetric" in indicator:
            ms, query = self._query(indicator["thresholdMetric"] or {})
            if query is None:
                self.notes.append(f"SLO {name!r}: thresholdMetric without a query; skipped")
                return []
            source = self._source(ms, sources, name)
            if source is None:
                return []
            base = {"source": source, "query": query}
            kind = "threshold"
        else:
            self.notes.append(f"SLO {name!r}: indicator is neither ratioMetric nor thresholdMetric; skipped")
            return []
        objectives = spec.get("objectives") or []
        if not objectives:
            self.notes.append(f"SLO {name!r}: no objectives; skipped")
            return []
        out = []
        for i, obj in enumerate(objectives):
            slo_name = name if len(objectives) == 1 else f"{name}-{_slug(str(obj.get('displayName') or i + 1))}"
            entry: dict[str, Any] = {"name": slo_name, **base}
            target = obj.get("target")
            if target is None and obj.get("targetPercent") is not None:
                target = float(obj["targetPercent"]) / 100.0
            if kind == "ratio":
                if target is None:
                    self.notes.append(f"SLO {slo_name!r}: objective without target; skipped")
                    continue
                entry["objective"] = {"target": float(target)}
            else:
                op, value = obj.get("op"), obj.get("value")
                if op not in ("lt", "lte", "gt", "gte") or value is None:
                    self.notes.append(f"SLO {slo_name!r}: threshold objective needs op (lt/lte/gt/gte) and value; skipped")
                    continue
                objective: dict[str, Any] = {
                    "target": float(value),
                    "direction": "lower_is_better" if op in ("lt", "lte") else "higher_is_better",
                }
                compliance = obj.get("timeSliceTarget", target)
                if compliance is not None and 0 < float(compliance) < 1:
                    objective["compliance"] = float(compliance)
                entry["objective"] = objective
                if obj.get("timeSliceWindow"):
                    entry["slice"] = _window(obj["timeSliceWindow"])
            entry.update(common)
            out.append(entry)
        return out

    def _tiers(
        self,
        policies: list[Any],
        slo_name: str,
        channels: dict[str, dict[str, Any]],
        routes: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        tiers: list[dict[str, Any]] = []
        for p in policies:
            if isinstance(p, dict) and p.get("kind") == "AlertPolicy":
                policy = p
            else:
                ref = p.get("alertPolicyRef") if isinstance(p, dict) else p
                policy = self.policies.get(str(ref)) if ref else None
                if policy is None:
                    self.notes.append(f"SLO {slo_name!r}: alert policy {ref!r} not found")
                    continue
            pspec = policy.get("spec") or {}
            severities: set[str] = set()
            for c in pspec.get("conditions") or []:
                if isinstance(c, dict) and c.get("conditionRef"):
                    cond = self.conditions.get(c["conditionRef"])
                    if cond is None:
                        self.notes.append(f"SLO {slo_name!r}: alert condition {c['conditionRef']!r} not found")
                        continue
                else:
                    cond = c
                cspec = (cond or {}).get("spec") or {}
                condition = cspec.get("condition") or {}
                if str(condition.get("kind", "")).lower() != "burnrate":
                    self.notes.append(f"SLO {slo_name!r}: alert condition of kind {condition.get('kind')!r} ignored")
                    continue
                try:
                    long = _window(condition.get("lookbackWindow", "1h"))
                    seconds = _seconds(long)
                except (OpenSLOError, ValueError) as exc:
                    self.notes.append(f"SLO {slo_name!r}: {exc}")
                    continue
                from slotui.formatting import format_window

                severity = "page" if str(cspec.get("severity", "")).lower() in ("page", "critical") else "ticket"
                severities.add(severity)
                tiers.append({
                    "severity": severity,
                    "long": long,
                    "short": format_window(max(seconds / 12.0, 60.0)),
                    "factor": float(condition.get("threshold", 1)),
                })
                if condition.get("alertAfter"):
                    self.notes.append(f"SLO {slo_name!r}: alertAfter {condition['alertAfter']!r} not imported "
                                      "(set for: on the SLO)")
            names = [self._channel(t, channels) for t in pspec.get("notificationTargets") or []]
            names = [n for n in names if n]
            for severity in sorted(severities):
                route_severity = "page" if severity == "page" else "warning"
                route = {"severity": route_severity, "channels": list(names)}
                if names and route not in routes:
                    routes.append(route)
        return tiers

    def _channel(self, t: Any, channels: dict[str, dict[str, Any]]) -> str | None:
        if isinstance(t, dict) and t.get("kind") == "AlertNotificationTarget":
            doc = t
        else:
            ref = t.get("targetRef") if isinstance(t, dict) else t
            doc = self.targets.get(str(ref)) if ref else None
            if doc is None:
                self.notes.append(f"notification target {ref!r} not found")
                return None
        name = _slug((doc.get("metadata") or {}).get("name", "target"))
        target = str((doc.get("spec") or {}).get("target", "")).lower()
        env = re.sub(r"[^A-Z0-9]+", "_", name.upper())
        if target == "slack":
            channels[name] = {"type": "slack", "webhook_url": f"${{{env}_WEBHOOK_URL}}"}
        elif target == "pagerduty":
            channels[name] = {"type": "pagerduty", "routing_key": f"${{{env}_ROUTING_KEY}}"}
        elif target in ("webhook", "http"):
            channels[name] = {"type": "webhook", "url": f"${{{env}_WEBHOOK_URL}}"}
        else:
            self.notes.append(f"notification target {name!r} ({target or 'no target'}) not imported; "
                              "add it under alerts.channels")
            return None
        return name


def convert_files(paths: Iterable[Path]) -> tuple[dict[str, Any], list[str]]:
    """Convert OpenSLO files; return the slotui config (plain data) and notes. Raises OpenSLOError."""
    import yaml

    conv = Converter()
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise OpenSLOError(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise OpenSLOError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
        for i, doc in enumerate(docs):
            conv.add(doc, f"{path} (document {i + 1})")
    return conv.convert(), conv.notes


def render(config: dict[str, Any], notes: list[str], files: list[str]) -> str:
    import yaml

    head = ["# slotui SLO file imported from OpenSLO: " + ", ".join(files),
            "# Check it with: slotui validate -c FILE"]
    head += [f"# note: {n}" for n in notes]

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    body = yaml.dump(config, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=120)
    return "\n".join(head) + "\n" + body


def run(args: argparse.Namespace) -> int:
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    files = [str(f) for f in args.files]
    try:
        config, notes = convert_files(Path(f) for f in files)
    except OpenSLOError as exc:
        print(f"slotui import openslo: {exc}", file=sys.stderr)
        return EXIT_UNKNOWN
    text = render(config, notes, files)
    # Check the result with the real loader; env references stay unresolved (placeholders).
    placeholder_env = _PlaceholderEnv()
    try:
        load_text(text, name="<imported>", env=placeholder_env)
    except ConfigError as exc:
        print("slotui import openslo: the converted file does not validate:", file=sys.stderr)
        print(exc.render(), file=sys.stderr)
        return EXIT_UNKNOWN
    sys.stdout.write(text)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    return EXIT_OK


class _PlaceholderEnv(dict):  # type: ignore[type-arg]
    """An environment in which every variable is set (to a placeholder), for checking output."""

    def get(self, key: str, default: Any = None) -> str:  # type: ignore[override]
        return "placeholder"
