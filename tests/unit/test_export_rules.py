"""slotui.peers.prometheus_rules: SLO specs -> Prometheus rules (pure, exact)."""

from __future__ import annotations

import re

import yaml

from slotui.core.types import DAY, HOUR, MINUTE, BurnTier, SLOSpec
from slotui.peers.prometheus_rules import dump_rules, number, prometheus_rules, selector

PROM = {"prom": "prometheus", "logs": "file"}
GOOD = 'sum(increase(req_total{code="ok"}[{{window}}]))'
TOTAL = "sum(increase(req_total[{{window}}]))"


def ratio(**kw: object) -> SLOSpec:
    base: dict[str, object] = dict(
        name="availability", kind="ratio", target=0.995, direction="higher_is_better", source="prom",
        good=GOOD, total=TOTAL, period=30 * DAY, window=HOUR, labels={"service": "api", "team": "llm"},
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def threshold(**kw: object) -> SLOSpec:
    base: dict[str, object] = dict(
        name="latency_p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
        direction="lower_is_better", source="prom", query="max(p95_ms[{{window}}])", window=5 * MINUTE,
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def rules_of(spec: SLOSpec) -> list[dict]:
    export = prometheus_rules([spec], PROM)
    assert export.exported == [spec.name]
    (group,) = export.rules["groups"]
    return group["rules"]


def test_records_every_window_the_tiers_use_the_slo_window_and_the_period() -> None:
    rules = rules_of(ratio(window=2 * HOUR))
    windows = [r["labels"]["sloth_window"] for r in rules if r.get("record", "").startswith("slo:sli_error")]
    assert windows == ["5m", "30m", "1h", "2h", "6h", "3d", "30d"]
    first = rules[0]
    assert first["record"] == "slo:sli_error:ratio_rate5m"
    assert first["labels"] == {
        "team": "llm", "sloth_id": "api-availability", "sloth_service": "api",
        "sloth_slo": "availability", "sloth_window": "5m",
    }
    assert 'req_total{code="ok"}[5m]' in first["expr"] and "req_total[5m]" in first["expr"]
    assert "{{window}}" not in first["expr"]


def test_sloth_meta_records_with_exact_budget() -> None:
    rules = {r["record"]: r for r in rules_of(ratio()) if "record" in r}
    assert rules["slo:objective:ratio"]["expr"] == "vector(0.995)"
    assert rules["slo:error_budget:ratio"]["expr"] == "vector(0.005)"  # not 0.0050000000000000044
    assert rules["slo:time_period:days"]["expr"] == "vector(30)"
    assert "slo:sli_error:ratio_rate5m{" in rules["slo:current_burn_rate:ratio"]["expr"]
    assert "slo:sli_error:ratio_rate30d{" in rules["slo:period_burn_rate:ratio"]["expr"]
    assert rules["slo:period_error_budget_remaining:ratio"]["expr"].startswith("1 - slo:period_burn_rate:ratio{")
    info = rules["sloth_slo_info"]["labels"]
    assert info["sloth_objective"] == "99.5" and info["sloth_slo"] == "availability"


def test_one_alert_per_severity_with_each_tier_both_windows_over_factor_times_budget() -> None:
    alerts = [r for r in rules_of(ratio()) if "alert" in r]
    assert [a["labels"]["severity"] for a in alerts] == ["critical", "warning"]
    page, ticket = alerts
    assert page["alert"] == "SLOBurn" and page["labels"]["sloth_severity"] == "page"
    assert page["expr"].count("> (14.4 * 0.005)") == 2 and page["expr"].count("> (6 * 0.005)") == 2
    assert "ratio_rate5m{" in page["expr"] and "ratio_rate1h{" in page["expr"]
    assert ticket["expr"].count("> (1 * 0.005)") == 2 and "ratio_rate3d{" in ticket["expr"]
    assert ticket["labels"] == {
        "team": "llm", "slo": "availability", "service": "api", "severity": "warning",
        "source": "prom", "sloth_severity": "ticket",
    }
    assert "for" not in page


def test_factors_follow_the_period_and_absolute_factors_stay() -> None:
    tiers = (BurnTier("critical", HOUR, 5 * MINUTE, budget_fraction=0.02), BurnTier("warning", 6 * HOUR, 30 * MINUTE, factor=2.5))
    alerts = [r for r in rules_of(ratio(period=7 * DAY, tiers=tiers)) if "alert" in r]
    assert "> (3.36 * 0.005)" in alerts[0]["expr"]  # 0.02 * 168h / 1h
    assert "> (2.5 * 0.005)" in alerts[1]["expr"]


def test_factors_from_budget_shares_are_exact_decimals() -> None:
    """A 7% share over 30 days is F = 0.07 x 30d / 3d = 0.7 (and 50.4 at 1h): binary arithmetic
    printed 0.7000000000000001 and 50.400000000000006 into the alert thresholds."""
    tiers = (BurnTier("critical", HOUR, 5 * MINUTE, budget_fraction=0.07),
             BurnTier("warning", 3 * DAY, 6 * HOUR, budget_fraction=0.07),
             BurnTier("warning", 3 * DAY, 2 * HOUR, budget_fraction=0.1))
    page, ticket = [r for r in rules_of(ratio(tiers=tiers)) if "alert" in r]
    assert page["expr"].count("> (50.4 * 0.005)") == 2
    assert ticket["expr"].count("> (0.7 * 0.005)") == 2 and ticket["expr"].count("> (1 * 0.005)") == 2
    # a share that does not divide keeps the float slotui evaluates with: 0.1 x 7d / 3d
    [week] = [r for r in rules_of(ratio(period=7 * DAY, tiers=tiers[2:])) if "alert" in r]
    assert week["expr"].count("> (0.23333333333333334 * 0.005)") == 2


def test_runbook_description_for_and_alertname_override() -> None:
    spec = ratio(runbook="https://runbooks.example/a", description="Chat answers", for_=120.0,
                 labels={"service": "api", "alertname": "ChatErrors"})
    page = next(r for r in rules_of(spec) if "alert" in r)
    assert page["alert"] == "ChatErrors" and page["for"] == "2m"
    # any printable name is kept as slotui's own alerts carry it (Prometheus checks only record names);
    # it was replaced by SLOBurn unless it was a metric name
    spaced = ratio(labels={"service": "api", "alertname": "Chat errors (EU)"})
    assert {r["alert"] for r in rules_of(spaced) if "alert" in r} == {"Chat errors (EU)"}
    assert page["annotations"]["runbook_url"] == "https://runbooks.example/a"
    assert page["annotations"]["description"] == "Chat answers"
    assert "alertname" not in page["labels"]


def test_no_tiers_no_alerts_but_the_recordings() -> None:
    rules = rules_of(ratio(tiers=()))
    assert not [r for r in rules if "alert" in r]
    assert [r["labels"]["sloth_window"] for r in rules if r.get("record", "").startswith("slo:sli_error")] == ["1h", "30d"]


def test_threshold_alerts_strictly_worse_than_warning_and_critical() -> None:
    rules = rules_of(threshold())
    assert [(r["labels"]["severity"], r["expr"]) for r in rules] == [
        ("critical", "(max(p95_ms[5m])) > 5000"),
        ("warning", "(max(p95_ms[5m])) > 3000"),
    ]
    higher = rules_of(threshold(name="helpfulness", target=0.85, warning=0.8, critical=0.7,
                                direction="higher_is_better", query="avg(h)"))
    assert [r["expr"] for r in higher] == ["(avg(h)) < 0.7", "(avg(h)) < 0.8"]
    assert {r["alert"] for r in higher} == {"SLOThreshold"}


def test_a_strict_objective_fires_at_equality_as_slotuis_status_does() -> None:
    """OpenSLO ``lt``/``gt`` (``strict``): a value equal to a threshold misses it (core.status.worse_than)."""
    rules = rules_of(threshold(strict=True))
    assert [r["expr"] for r in rules] == ["(max(p95_ms[5m])) >= 5000", "(max(p95_ms[5m])) >= 3000"]
    higher = rules_of(threshold(name="helpfulness", target=0.85, warning=0.8, critical=0.7, strict=True,
                                direction="higher_is_better", query="avg(h)"))
    assert [r["expr"] for r in higher] == ["(avg(h)) <= 0.7", "(avg(h)) <= 0.8"]


def test_a_ratio_slos_warning_and_critical_levels_are_clauses_of_its_alerts() -> None:
    """slotui raises a ratio SLO to WARNING/CRITICAL when its window ratio is worse than those levels
    (core.status.ratio_status); the exported alert of that severity fires then too."""
    sel = '{sloth_id="api-availability", sloth_service="api", sloth_slo="availability"}'
    alerts = [r for r in rules_of(ratio(warning=0.99, critical=0.98)) if "alert" in r]
    page, ticket = alerts
    assert page["expr"].count("\nor\n") == 2  # two tiers and the level
    assert page["expr"].endswith(f"(\n    max(1 - slo:sli_error:ratio_rate1h{sel}) without (sloth_window) < 0.98\n)")
    assert ticket["expr"].endswith(f"max(1 - slo:sli_error:ratio_rate1h{sel}) without (sloth_window) < 0.99\n)")
    assert page["annotations"]["summary"] == ("SLO availability: the error budget burns too fast or the 1h ratio is "
                                              "worse than the critical threshold 0.98 (critical)")
    only = [r for r in rules_of(ratio(critical=0.98, strict=True, tiers=())) if "alert" in r]
    assert [(r["labels"]["severity"], r["expr"]) for r in only] == [
        ("critical", f"(\n    max(1 - slo:sli_error:ratio_rate1h{sel}) without (sloth_window) <= 0.98\n)")]
    assert only[0]["annotations"]["summary"] == ("SLO availability: the 1h ratio is worse than the critical "
                                                 "threshold 0.98 (critical)")


def test_min_samples_guards_every_alert_and_significant_is_noted() -> None:
    """SPEC 10.2: fewer than min_samples events in the SLO window is NO DATA in slotui (no alert);
    the rules fired on them. significant: true has no PromQL form: said, not dropped silently."""
    page, ticket = [r for r in rules_of(ratio(min_samples=600)) if "alert" in r]
    for alert in (page, ticket):
        assert alert["expr"].endswith("\nand on()\n((sum(increase(req_total[1h]))) >= 600)")
    assert all("and on()" not in r["expr"] for r in rules_of(ratio()) if "alert" in r)
    export = prometheus_rules([ratio(significant=True, confidence=0.99)], PROM)
    assert export.notes == ["SLO 'availability': significant: true (a tier fires only when the error ratio's "
                            "interval at 0.99 confidence burns too) is not exported; the rules fire on the ratios"]


def test_skipped_with_the_reason() -> None:
    specs = [
        ratio(name="logs_ratio", source="logs", good="error.type == null", total=None),
        threshold(name="no_levels", warning=None, critical=None),
        ratio(name="ghost", source="nowhere"),
        ratio(),
    ]
    export = prometheus_rules(specs, PROM)
    assert export.exported == ["availability"]
    assert export.skipped == [
        ("logs_ratio", "source 'logs' is file, not prometheus"),
        ("no_levels", "a threshold SLO with no warning or critical threshold: nothing to alert on"),
        ("ghost", "source 'nowhere' is not a configured source, not prometheus"),
    ]


def test_what_the_rules_cannot_say_is_noted() -> None:
    export = prometheus_rules(
        [ratio(calendar_month=True, labels={"service": "api", "bad-name": "x", "__meta": "y"})], PROM
    )
    text = "\n".join(export.notes)
    assert "calendar month" in text and "rolling 30d" in text
    assert "'bad-name'" in text and "'__meta'" in text
    labels = export.rules["groups"][0]["rules"][0]["labels"]
    assert "bad-name" not in labels and "__meta" not in labels


def test_calendar_weeks_record_the_period_their_burn_rate_reads() -> None:
    """A calendar-week SLO (period_start, as an OpenSLO calendar 1w imports) is not rolling, so its
    period was not among the recorded windows while slo:period_burn_rate:ratio read
    slo:sli_error:ratio_rate1w: the period burn rate and budget remaining were always empty."""
    export = prometheus_rules([ratio(period=7 * DAY, period_anchor=0.0)], PROM)
    rules = export.rules["groups"][0]["rules"]
    recorded = {r["record"] for r in rules if r.get("record", "").startswith("slo:sli_error")}
    period_burn = next(r for r in rules if r.get("record") == "slo:period_burn_rate:ratio")
    assert period_burn["expr"].startswith("slo:sli_error:ratio_rate1w{")
    assert "slo:sli_error:ratio_rate1w" in recorded
    assert export.notes == ["SLO 'availability': calendar periods (period_start) have no PromQL window; the period "
                            "ratio is over a rolling 1w"]
    # every record an expression reads is recorded, for every kind of period
    for spec in (ratio(), ratio(period=7 * DAY, period_anchor=0.0), ratio(calendar_month=True)):
        rules = prometheus_rules([spec], PROM).rules["groups"][0]["rules"]
        recorded = {r["record"] for r in rules if "record" in r}
        read = {m for r in rules for m in re.findall(r"slo:sli_error:ratio_rate\w+", r["expr"])}
        assert read <= recorded, (spec, read - recorded)


def test_label_values_are_escaped_in_selectors_and_survive_yaml() -> None:
    assert selector({"sloth_slo": 'we"ird\\name'}) == '{sloth_slo="we\\"ird\\\\name"}'
    spec = ratio(name='we"ird\\name')
    text = dump_rules(prometheus_rules([spec], PROM).rules)
    back = yaml.safe_load(text)
    assert back["groups"][0]["rules"][0]["labels"]["sloth_slo"] == 'we"ird\\name'
    alert = next(r for r in back["groups"][0]["rules"] if "alert" in r)
    assert 'sloth_slo="we\\"ird\\\\name"' in alert["expr"]


def test_number_literals() -> None:
    assert [number(x) for x in (5000.0, 0.001, 14.4, 1.4000000000000001, 99.9, -2.0)] == [
        "5000", "0.001", "14.4", "1.4000000000000001", "99.9", "-2",
    ]


def test_objective_percent_in_decimal() -> None:
    from slotui.peers.prometheus_rules import percent

    assert 0.57 * 100 != 57  # why percent() works in decimal
    assert [percent(x) for x in (0.57, 0.9999, 0.995, 0.9, 0.99999)] == ["57", "99.99", "99.5", "90", "99.999"]


def test_slo_text_in_annotations_is_literal_not_a_template() -> None:
    from slotui.peers.prometheus_rules import template_literal

    assert template_literal("p95 {{x}}") == 'p95 {{"{{"}}x{{"}}"}}'
    spec = ratio(name="a{{b}}", description="see {{ $value }}", runbook="https://r.example/{{id}}")
    page = next(r for r in rules_of(spec) if "alert" in r)
    assert page["annotations"]["summary"] == 'SLO a{{"{{"}}b{{"}}"}}: the error budget burns too fast (critical)'
    assert page["annotations"]["description"] == 'see {{"{{"}} $value {{"}}"}}'
    assert page["annotations"]["runbook_url"] == 'https://r.example/{{"{{"}}id{{"}}"}}'


def test_alert_label_values_are_literal_too() -> None:
    rules = rules_of(threshold(name="p95 {{x}}", labels={"team": "{{a}}"}))
    assert rules[0]["labels"]["slo"] == 'p95 {{"{{"}}x{{"}}"}}'
    assert rules[0]["labels"]["team"] == '{{"{{"}}a{{"}}"}}'


def test_a_label_name_with_a_trailing_newline_is_not_valid() -> None:
    """``re.match('^...$')`` accepts ``"team\\n"`` (``$`` matches before a final newline)."""
    export = prometheus_rules([ratio(labels={"service": "api", "team\n": "x", "alertname": "Chat\n"})], PROM)
    labels = export.rules["groups"][0]["rules"][0]["labels"]
    assert "team\n" not in labels
    alert = next(r for r in export.rules["groups"][0]["rules"] if "alert" in r)
    assert alert["alert"] == "SLOBurn"


def test_min_events_guards_both_windows_of_each_tier() -> None:
    page = next(r for r in rules_of(ratio(min_events=20)) if "alert" in r)
    assert page["expr"].count("and on()") == 4
    assert "((sum(increase(req_total[5m]))) >= 20)" in page["expr"]
    assert "((sum(increase(req_total[1h]))) >= 20)" in page["expr"]
    default = next(r for r in rules_of(ratio()) if "alert" in r)
    assert "on()" not in default["expr"]


def test_two_slos_with_one_sloth_id_on_the_same_source_are_named_for_what_they_share() -> None:
    """Found: the skip said "(on another source)" for two SLOs on the same source whose service and
    name join to the same Sloth id (a-b + c and a + b-c)."""
    first = ratio(name="c", labels={"service": "a-b"})
    second = ratio(name="b-c", labels={"service": "a"})
    export = prometheus_rules([first, second], PROM)
    assert export.exported == ["c"]
    ((name, reason),) = export.skipped
    assert name == "b-c"
    assert reason == ("its Sloth id 'a-b-c' (service-name) is also that of SLO 'c'; one Prometheus cannot record "
                      "both under the same labels: rename one or set another service")
    assert "another source" not in reason


def test_an_slo_label_the_rules_set_themselves_is_noted_not_dropped_in_silence() -> None:
    """`labels: {sloth_id: hijack}` vanished from the export without a word (reserved `__` names and
    invalid ones were noted)."""
    export = prometheus_rules([ratio(labels={"service": "api", "sloth_id": "hijack", "alertname": "Mine"})], PROM)
    assert "hijack" not in yaml.safe_dump(export.rules)
    text = "\n".join(export.notes)
    assert "label 'sloth_id' is one the rules set themselves; its value 'hijack' is left out" in text
    assert "label 'alertname'" in text
