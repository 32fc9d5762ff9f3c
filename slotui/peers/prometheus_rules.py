"""slotui SLOs as Prometheus rules (SPEC section 11, "Export"), in Sloth's naming scheme.

Pure: resolved :class:`~slotui.core.types.SLOSpec` objects in, a rules
document (``{"groups": [...]}``, what ``promtool check rules`` reads) out. No
I/O, no clock.

For every **ratio SLO** on a Prometheus source, one rule group holds, in
evaluation order (one group, so the alerts read the recordings of the same
evaluation and fire at the moments slotui's own evaluation does):

- ``slo:sli_error:ratio_rate<w>`` for the SLO window, every window of its
  burn-rate tiers and the period (the windows the raw path queries,
  :func:`slotui.sources.prometheus.ratio_windows`); labels ``sloth_id``,
  ``sloth_service``, ``sloth_slo``, ``sloth_window`` and the SLO's labels;
  ``<w>`` is written as Sloth writes it (``4w`` for 28 days, ``1w`` for 7).
  The error ratio is ``(total - good) / total`` with slotui's no-data rules:
  no *good* series counts as 0 good, a total of 0 gives no sample, the ratio
  is clamped to ``[0, 1]``. Unlike Sloth, the period ratio is computed from
  the raw queries over the whole period (Sloth averages the 5m ratios), so it
  is the ratio slotui's budget uses.
- Sloth's meta recordings: ``slo:objective:ratio``, ``slo:error_budget:ratio``,
  ``slo:time_period:days``, ``slo:current_burn_rate:ratio`` (shortest window),
  ``slo:period_burn_rate:ratio``, ``slo:period_error_budget_remaining:ratio``,
  ``sloth_slo_info``.
- one multi-window multi-burn-rate alert per severity (the OR of that
  severity's tiers, as Sloth writes them): a tier holds when both windows'
  error ratios are strictly above ``F x B``. Labels ``slo``, ``service``,
  ``severity`` (``critical`` for page tiers, ``warning`` for ticket tiers, as
  slotui's own alerts), ``source``, ``sloth_severity`` (``page``/``ticket``)
  and the SLO's labels; annotations ``summary``, ``title``, ``description``
  and ``runbook_url``. The alert name is slotui's (``SLOBurn``, or the SLO's
  ``alertname`` label), so Alertmanager routes and silences match either way.
  A ratio SLO's ``warning``/``critical`` levels are one more clause of the alert
  of that severity (its window's good ratio worse than the level), as slotui's
  status raises it.

**Threshold SLOs** on PromQL become alerting rules at their ``warning`` and
``critical`` thresholds (``SLOThreshold``): strictly worse than the threshold
fires, equality meets it, as in slotui's status (equality misses it when the
objective is ``strict``, OpenSLO ``lt``/``gt``).

Everything else (SLOs on other sources, threshold SLOs with no warning or
critical threshold) is listed in :attr:`RulesExport.skipped` with the reason;
what the rules cannot say (a calendar month or calendar weeks, burn-rate tiers of threshold
SLOs, label names Prometheus refuses: written as slotui posts them to Alertmanager,
``team-name`` as ``team_name``) is listed in :attr:`RulesExport.notes`.
``min_events`` above 1 adds ``and on() (total(w) >= min_events)`` for both
windows of each tier (slotui's low-traffic rule); ``min_samples`` above 1
adds ``and on() (total(SLO window) >= min_samples)`` to each alert (fewer is
NO DATA in slotui, SPEC 10.2). ``significant: true`` is noted, not exported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slotui.alerting.prometheus_labels import label_name, label_set
from slotui.core.types import DAY, BurnTier, SLOSpec
from slotui.core.periods import ratio_windows
from slotui.sources.kit.promql import prom_duration, render
from slotui.sources.kit.sloth_ids import service_of, sloth_names, sloth_id, sloth_labels, window_name

#: Record name of the error ratio over window ``w`` (Sloth's; ``w`` as :func:`window_name` writes it).
SLI_ERROR = "slo:sli_error:ratio_rate{window}"
ALERTNAMES = {"ratio": "SLOBurn", "threshold": "SLOThreshold"}
#: slotui tier severity -> Sloth severity label.
SLOTH_SEVERITY = {"critical": "page", "warning": "ticket"}
_BRACES = re.compile(r"\{\{|\}\}")
#: Labels the exporter owns: an SLO label of that name is not copied.
_OWN_LABELS = frozenset(
    {"sloth_id", "sloth_service", "sloth_slo", "sloth_window", "sloth_severity", "alertname", "slo", "severity", "source"}
)


@dataclass
class RulesExport:
    """The rules document and what was left out.

    ``skipped`` holds ``(slo name, reason)`` of SLOs with no rules; ``notes``
    what an exported SLO's rules do not express.
    """

    rules: dict[str, Any] = field(default_factory=lambda: {"groups": []})
    exported: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def number(value: float) -> str:
    """A PromQL number literal: the shortest text that reads back as ``value`` (``5000``, ``0.001``)."""
    f = float(value)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


def factor_text(tier: BurnTier, period: float) -> str:
    """A tier's burn-rate factor as a PromQL literal, ``F = budget x period / long window`` computed
    in decimal when it divides exactly: a 7% budget over 30d with a 3d window is ``0.7``, not the
    binary ``0.7000000000000001``; an absolute factor, or a share that does not divide (0.1 x 7d / 3d),
    is the float slotui evaluates with."""
    from decimal import Decimal, localcontext

    if tier.factor is not None or tier.budget_fraction is None:
        return number(tier.effective_factor(period))
    with localcontext() as ctx:
        ctx.prec = 40
        spent = Decimal(repr(float(tier.budget_fraction))) * Decimal(repr(float(period)))
        long = Decimal(repr(float(tier.long_window)))
        exact = spent / long
        if exact * long != spent or len(exact.normalize().as_tuple().digits) > 15:
            return number(tier.effective_factor(period))
        text = format(exact.normalize(), "f")
    return text[:-2] if text.endswith(".0") else text


def percent(share: float) -> str:
    """``0.9999`` -> ``99.99``, in decimal (``0.57 * 100`` is 56.99999999999999 in binary)."""
    from decimal import Decimal

    text = format((Decimal(repr(float(share))) * 100).normalize(), "f")
    return text


def selector(labels: Mapping[str, str]) -> str:
    """``{a="x", b="y"}`` with PromQL string escaping."""
    inner = ", ".join(f"{k}={_quote(v)}" for k, v in labels.items())
    return "{" + inner + "}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def worse_op(spec: SLOSpec) -> str:
    """The PromQL comparison of a value *worse* than a threshold, as slotui's status judges it
    (:func:`slotui.core.status.worse_than`): equality meets a threshold, unless the objective is
    ``strict`` (OpenSLO ``lt``/``gt``), where equality misses it."""
    worse = "<" if spec.direction == "higher_is_better" else ">"
    return worse + "=" if spec.strict else worse


def template_literal(text: str) -> str:
    """``text`` as literal text in an alert template: ``{{`` and ``}}`` are printed, not interpreted."""
    return _BRACES.sub(lambda m: '{{"' + m.group() + '"}}', text)


def error_ratio_expr(good: str, total: str) -> str:
    """``(total - good) / total`` in PromQL with slotui's no-data rules (see the module docstring)."""
    return (
        "clamp(\n"
        f"  (({total}) - (({good}) or on() vector(0)))\n"
        "  /\n"
        f"  (({total}) > 0),\n"
        "  0, 1)"
    )


class _Exporter:
    def __init__(self, source_types: Mapping[str, str], version: str) -> None:
        self.source_types = source_types
        self.version = version
        self.out = RulesExport()
        #: Sloth's names of the SLOs, settled per source (the SLOs one Prometheus answers)
        self.naming: dict[str, str] = {}

    def user_labels(self, spec: SLOSpec) -> dict[str, str]:
        """The SLO's own labels, named as Prometheus accepts them (as slotui's Alertmanager
        channel posts them: ``team-name`` -> ``team_name``); ``__`` names are Prometheus' own."""
        given: dict[str, str] = {}
        for key, value in spec.labels.items():
            key, value = str(key), str(value)
            if key == "service" or value == "":
                continue
            if key in _OWN_LABELS:
                self.out.notes.append(f"SLO {spec.name!r}: label {key!r} is one the rules set themselves; "
                                      f"its value {value!r} is left out")
                continue
            if key.startswith("__"):
                self.out.notes.append(f"SLO {spec.name!r}: label {key!r} is reserved by Prometheus (__); left out")
                continue
            given[key] = value
        labels, changed = label_set(given)
        for key, new in changed.items():
            self.out.notes.append(
                f"SLO {spec.name!r}: label {key!r} is not a valid Prometheus label name; "
                + (f"written as {new!r}" if new else f"left out ({label_name(key)!r} is set too)")
            )
        return {k: v for k, v in labels.items() if k not in _OWN_LABELS and k != "service"}

    def alert_labels(self, spec: SLOSpec, severity: str) -> dict[str, str]:
        labels = self.user_labels(spec)
        labels["slo"] = spec.name
        service = service_of(spec)
        if service:
            labels["service"] = service
        labels["severity"] = severity
        labels["source"] = spec.source
        # Prometheus expands an alerting rule's labels as templates: keep the values literal.
        return {k: template_literal(v) for k, v in labels.items()}

    def annotations(self, spec: SLOSpec, summary: str, title: str) -> dict[str, str]:
        """Annotations; ``summary`` and ``title`` are templates, the SLO's own text is kept literal."""
        notes = {"summary": summary, "title": title}
        if spec.description:
            notes["description"] = template_literal(spec.description)
        if spec.runbook:
            notes["runbook_url"] = template_literal(spec.runbook)
        return notes

    def alert_name(self, spec: SLOSpec) -> str:
        """The SLO's ``alertname`` label as written (slotui's own alerts carry it so: Alertmanager
        routes and silences on it match both), else ``SLOBurn``/``SLOThreshold``. Prometheus takes any
        text as an alert name (only recording rule names must be metric names)."""
        name = str(spec.labels.get("alertname") or spec.labels.get("rule") or ALERTNAMES[spec.kind])
        if name.isprintable() and name.strip():
            return name
        self.out.notes.append(f"SLO {spec.name!r}: alert name {name!r} is not printable text; the rules name it "
                              f"{ALERTNAMES[spec.kind]}")
        return ALERTNAMES[spec.kind]

    # ------------------------------------------------------------------ ratio

    def ratio(self, spec: SLOSpec) -> dict[str, Any]:
        assert spec.good and spec.total
        ident = sloth_labels(spec, self.naming)
        sel = selector(ident)
        base = {**self.user_labels(spec), **ident}
        rules: list[dict[str, Any]] = []
        windows = ratio_windows(spec)
        period = spec.period
        if not spec.rolling:
            # calendar periods (a month, or weeks from period_start) have no PromQL window: the period's
            # record (which the period burn rate reads) is over a rolling period of the same length
            windows = sorted(set(windows) | {period})
            what = "a calendar month has" if spec.calendar_month else "calendar periods (period_start) have"
            self.out.notes.append(
                f"SLO {spec.name!r}: {what} no PromQL window; the period ratio is over a rolling "
                f"{window_name(period)}"
            )
        for w in windows:
            rules.append(
                {
                    "record": SLI_ERROR.format(window=window_name(w)),
                    "expr": error_ratio_expr(render(spec.good, w), render(spec.total, w)),
                    "labels": {**base, "sloth_window": window_name(w)},
                }
            )
        budget = spec.budget
        shortest = SLI_ERROR.format(window=window_name(windows[0]))
        period_record = SLI_ERROR.format(window=window_name(period))
        on = " / on(sloth_id, sloth_slo, sloth_service) group_left\n"
        meta: list[tuple[str, str]] = [
            ("slo:objective:ratio", f"vector({number(spec.target)})"),
            ("slo:error_budget:ratio", f"vector({number(budget)})"),
            ("slo:time_period:days", f"vector({number(period / DAY)})"),
            ("slo:current_burn_rate:ratio", f"{shortest}{sel}\n{on}slo:error_budget:ratio{sel}"),
            ("slo:period_burn_rate:ratio", f"{period_record}{sel}\n{on}slo:error_budget:ratio{sel}"),
            ("slo:period_error_budget_remaining:ratio", f"1 - slo:period_burn_rate:ratio{sel}"),
        ]
        for record, expr in meta:
            rules.append({"record": record, "expr": expr, "labels": dict(base)})
        rules.append(
            {
                "record": "sloth_slo_info",
                "expr": "vector(1)",
                "labels": {
                    **base,
                    "sloth_mode": "slotui-export",
                    "sloth_objective": percent(spec.target),
                    "sloth_spec": "slotui/v1",
                    "sloth_version": self.version,
                },
            }
        )
        if spec.significant and spec.tiers:
            self.out.notes.append(
                f"SLO {spec.name!r}: significant: true (a tier fires only when the error ratio's interval at "
                f"{number(spec.confidence)} confidence burns too) is not exported; the rules fire on the ratios"
            )
        levels = {"critical": spec.critical, "warning": spec.warning}
        for severity in ("critical", "warning"):
            tiers = [t for t in spec.tiers if t.severity == severity]
            level = levels[severity]
            if not tiers and level is None:
                continue
            clauses = []
            for tier in tiers:
                threshold = f"({factor_text(tier, period)} * {number(budget)})"
                short = SLI_ERROR.format(window=window_name(tier.short_window))
                long = SLI_ERROR.format(window=window_name(tier.long_window))
                traffic = ""
                if spec.min_events > 1:
                    # slotui's low-traffic rule: a window with fewer events than min_events never fires.
                    traffic = "".join(
                        f"    and on()\n    (({render(spec.total, w)}) >= {spec.min_events})\n"
                        for w in (tier.short_window, tier.long_window)
                    )
                clauses.append(
                    "(\n"
                    f"    max({short}{sel} > {threshold}) without (sloth_window)\n"
                    "    and\n"
                    f"    max({long}{sel} > {threshold}) without (sloth_window)\n"
                    f"{traffic}"
                    ")"
                )
            summary = f"SLO {template_literal(spec.name)}: the error budget burns too fast ({severity})"
            if level is not None:
                # slotui raises a ratio SLO to this severity when its window's ratio is worse than the
                # threshold (core.status.ratio_status): the same alert, one more clause
                window = SLI_ERROR.format(window=window_name(spec.window))
                clauses.append(
                    "(\n"
                    f"    max(1 - {window}{sel}) without (sloth_window) {worse_op(spec)} {number(level)}\n"
                    ")"
                )
                text = f"the {window_name(spec.window)} ratio is worse than the {severity} threshold {number(level)}"
                summary = (f"SLO {template_literal(spec.name)}: " + (f"the error budget burns too fast or {text}"
                                                                     if tiers else text) + f" ({severity})")
            sloth_severity = SLOTH_SEVERITY[severity]
            expr = "\nor\n".join(clauses)
            if spec.min_samples > 1:
                # SPEC 10.2: fewer than min_samples events in the SLO window is NO DATA in slotui, which
                # never alerts (core.evaluate._ratio_samples)
                expr = (f"(\n{expr}\n)\nand on()\n"
                        f"(({render(spec.total, spec.window)}) >= {spec.min_samples})")
            rule: dict[str, Any] = {"alert": self.alert_name(spec), "expr": expr}
            if spec.for_ > 0:
                rule["for"] = prom_duration(spec.for_)
            rule["labels"] = {**self.alert_labels(spec, severity), "sloth_severity": sloth_severity}
            rule["annotations"] = self.annotations(
                spec,
                summary,
                f"({sloth_severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget burn "
                "rate is too fast." if tiers else f"({sloth_severity}) {{{{$labels.sloth_service}}}} "
                "{{$labels.sloth_slo}} SLO is worse than its threshold.",
            )
            rules.append(rule)
        return {"name": f"slotui-slo-{ident['sloth_id']}", "rules": rules}

    # ------------------------------------------------------------------ threshold

    def threshold(self, spec: SLOSpec) -> dict[str, Any] | None:
        assert spec.query
        levels = [(sev, value) for sev, value in (("critical", spec.critical), ("warning", spec.warning)) if value is not None]
        if not levels:
            self.out.skipped.append((spec.name, "a threshold SLO with no warning or critical threshold: nothing to alert on"))
            return None
        query = render(spec.query, spec.window)
        rules: list[dict[str, Any]] = []
        for severity, value in levels:
            expr = f"({query}) {worse_op(spec)} {number(value)}"
            rule: dict[str, Any] = {"alert": self.alert_name(spec), "expr": expr}
            if spec.for_ > 0:
                rule["for"] = prom_duration(spec.for_)
            rule["labels"] = self.alert_labels(spec, severity)
            rule["annotations"] = self.annotations(
                spec,
                f"SLO {template_literal(spec.name)}: {{{{ $value }}}} is worse than the {severity} threshold "
                f"{number(value)}" + (f" {template_literal(spec.unit)}" if spec.unit else ""),
                f"({severity}) SLO {template_literal(spec.name)} is {severity}.",
            )
            rules.append(rule)
        if spec.tiers:
            self.out.notes.append(
                f"SLO {spec.name!r}: burn-rate tiers of a threshold SLO (shares of bad slices) are not exported; "
                "only its warning and critical thresholds are"
            )
        return {"name": f"slotui-slo-{sloth_id(spec, self.naming)}", "rules": rules}

    # ------------------------------------------------------------------ all

    def run(self, specs: Sequence[SLOSpec]) -> RulesExport:
        for source in {s.source for s in specs}:
            self.naming.update(sloth_names(s for s in specs if s.source == source))
        groups: dict[str, tuple[str, str]] = {}  # group name -> (the SLO it holds, its source)
        for spec in specs:
            stype = self.source_types.get(spec.source)
            if stype != "prometheus":
                self.out.skipped.append(
                    (spec.name, f"source {spec.source!r} is {stype or 'not a configured source'}, not prometheus")
                )
                continue
            if spec.kind == "ratio":
                if not (spec.good and spec.total):
                    self.out.skipped.append((spec.name, "a ratio SLO needs both ratio.good and ratio.total PromQL"))
                    continue
                group: dict[str, Any] | None = self.ratio(spec)
            elif not spec.query:
                self.out.skipped.append((spec.name, "a threshold SLO without query: (PromQL)"))
                continue
            else:
                group = self.threshold(spec)
            if group is not None and group["name"] in groups:
                # Two SLOs with the same Sloth identity (service-name: "a-b" + "c" and "a" + "b-c", or the
                # same name on two sources): one Prometheus would record both under the same labels (and
                # refuse the repeated group name).
                ident = group["name"].removeprefix("slotui-slo-")
                other, other_source = groups[group["name"]]
                where = f" on another source ({other_source!r})" if other_source != spec.source else ""
                self.out.skipped.append((spec.name, f"its Sloth id {ident!r} (service-name) is also that of SLO "
                                         f"{other!r}{where}; one Prometheus cannot record both under the "
                                         "same labels: rename one or set another service"))
            elif group is not None:
                groups[group["name"]] = (spec.name, spec.source)
                self.out.rules["groups"].append(group)
                self.out.exported.append(spec.name)
        return self.out


def prometheus_rules(
    specs: Sequence[SLOSpec], source_types: Mapping[str, str], *, version: str = "dev"
) -> RulesExport:
    """The Prometheus rules of ``specs``; ``source_types`` maps a source name to its type."""
    return _Exporter(source_types, version).run(specs)


def dump_rules(rules: Mapping[str, Any], header: str = "") -> str:
    """The rules document as YAML, multi-line expressions as literal blocks."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    text = yaml.dump(dict(rules), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200)
    return header + text
