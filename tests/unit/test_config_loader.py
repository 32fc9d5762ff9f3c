"""Loading SLO files in process: locations, env interpolation, resolution, seed forms, warnings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import LoadedConfig, load_config, load_text
from slotui.config.locations import EXAMPLE_CONFIG, default_state_path, resolve_config_path
from slotui.core.types import DAY, DEFAULT_PERIOD_TIERS, DEFAULT_TIERS, HOUR, MINUTE

ROOT = Path(__file__).resolve().parents[2]
DEMO = "sources:\n  demo: {type: demo}\n"
GOOD = ROOT / "tests" / "data" / "configs" / "good"


def _dedent(text: str) -> str:
    head = DEMO if text.startswith(DEMO) else ""
    return head + textwrap.dedent(text[len(head):])


def load(text: str, env: dict[str, str] | None = None) -> LoadedConfig:
    return load_text(_dedent(text), name="t.yaml", env=env or {})


def error(text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(text, env)
    return info.value


# --------------------------------------------------------------------------- the example


def test_embedded_example_resolves_the_seed_slos() -> None:
    lc = load_config(None)
    assert lc.path is None
    assert lc.base_dir == Path.cwd()
    assert lc.warnings == []
    by = {s.name: s for s in lc.specs}
    assert list(by) == ["accuracy", "helpfulness", "response_time_p95_ms", "availability", "cost_per_query",
                        "monthly_spend"]
    spend = by["monthly_spend"]
    assert (spend.calendar_window, spend.forecast, spend.forecast_basis, spend.direction, spend.sli_agg) == (
        "month", True, DAY, "lower_is_better", "sum")
    acc = by["accuracy"]
    assert (acc.kind, acc.direction, acc.target, acc.warning, acc.critical) == (
        "threshold", "higher_is_better", 0.90, 0.85, 0.75)
    assert (acc.sli_field, acc.sli_agg, acc.source) == ("evaluations.accuracy", "mean", "demo")
    p95 = by["response_time_p95_ms"]
    assert (p95.direction, p95.sli_field, p95.sli_agg, p95.unit) == ("lower_is_better", "duration_ms", "p95", "ms")
    av = by["availability"]
    assert (av.kind, av.direction, av.target, av.good, av.period) == (
        "ratio", "higher_is_better", 0.995, "error.type == null", 30 * DAY)
    cost = by["cost_per_query"]
    assert (cost.direction, cost.sli_field, cost.unit) == ("lower_is_better", "gen_ai.usage.cost", "usd")
    assert acc.period == 7 * DAY and acc.window == HOUR and acc.slice == 5 * MINUTE and acc.interval == 30
    assert [t.effective_factor(acc.period) for t in acc.tiers] == [14.4, 6.0, 1.0]
    assert lc.config.alerts.channels["local-file"].type == "file"
    assert {r.severity for r in lc.config.alerts.routes} == {"warning", "critical", "page"}


def test_root_symlink_points_at_the_embedded_example() -> None:
    link = ROOT / "slos.example.yaml"
    assert link.is_symlink()
    assert link.resolve() == EXAMPLE_CONFIG


def test_file_path_sets_base_dir(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "slos.yaml"
    f.parent.mkdir()
    f.write_text(DEMO + "slos:\n  - {name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}}\n")
    lc = load_config(f)
    assert lc.path == f and lc.base_dir == f.parent.resolve()


# --------------------------------------------------------------------------- locations


def test_resolve_config_path(tmp_path: Path) -> None:
    assert resolve_config_path("x.yaml", cwd=tmp_path) == Path("x.yaml")
    assert resolve_config_path(None, cwd=tmp_path) is None
    (tmp_path / "slos.yaml").write_text("")
    assert resolve_config_path(None, cwd=tmp_path) == tmp_path / "slos.yaml"


def test_default_state_path_honours_env(tmp_path: Path) -> None:
    assert default_state_path({"SLOTUI_STATE": str(tmp_path / "s.db")}) == tmp_path / "s.db"
    default = default_state_path({})
    assert default.name == "state.db" and "slotui" in str(default)


# --------------------------------------------------------------------------- env interpolation


def test_env_interpolation_with_and_without_defaults() -> None:
    text = DEMO + """\
    slos:
      - name: a
        sli: {field: "${FIELD:-evaluations.accuracy}"}
        objective: {target: 0.9, warning: 0.8}
        runbook: "https://${HOST}/a"
        description: "costs $${NOT_A_VAR}"
    alerts:
      channels:
        mail: {type: email, host: "${SMTP_HOST:-localhost}", port: "${SMTP_PORT:-2525}", from: a@b.c, to: [x@y.z]}
    """
    lc = load(text, env={"HOST": "runbooks.internal"})
    spec = lc.specs[0]
    assert spec.sli_field == "evaluations.accuracy"
    assert spec.runbook == "https://runbooks.internal/a"
    assert spec.description == "costs ${NOT_A_VAR}"
    mail = lc.config.alerts.channels["mail"]
    assert (mail.host, mail.port) == ("localhost", 2525)
    lc2 = load(text, env={"HOST": "h", "FIELD": "evaluations.helpfulness", "SMTP_PORT": "587"})
    assert lc2.specs[0].sli_field == "evaluations.helpfulness"
    assert lc2.config.alerts.channels["mail"].port == 587


def test_empty_variable_takes_the_default() -> None:
    lc = load(DEMO + 'slos:\n  - {name: a, sli: {field: "${F:-duration_s}"}, objective: {target: 1, warning: 2}}\n',
              env={"F": ""})
    assert lc.specs[0].sli_field == "duration_s"


def test_every_missing_variable_is_reported_with_its_line() -> None:
    err = error(DEMO + """\
    slos:
      - name: a
        sli: {field: "${MISSING_ONE}"}
        objective: {target: 1, warning: 2}
        runbook: ${MISSING_TWO}
    """)
    lines = {(i.line, i.message.split()[2]) for i in err.issues}
    assert lines == {(5, "MISSING_ONE"), (7, "MISSING_TWO")}
    line5 = err.text.splitlines()[4]
    assert f"t.yaml:5:{line5.index('${') + 1}:" in err.render()  # the column of "${" inside the quoted string


def test_malformed_reference_is_an_error() -> None:
    err = error(DEMO + 'slos:\n  - {name: a, sli: {field: "${}"}, objective: {target: 1, warning: 2}}\n')
    assert "malformed variable reference" in err.render()


def test_env_values_never_appear_in_errors() -> None:
    secret = "tok-9f8e7d6c5b4a"
    err = error(DEMO + """\
    slos:
      - {name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}}
    alerts:
      channels:
        pd: {type: pagerduty, routing_key: "${PD_KEY}", url: 12}
        hook: {type: webhook, url: "${PD_KEY}", timeout: "${PD_KEY}"}
    """, env={"PD_KEY": secret})
    text = err.render()
    assert secret not in text and "9f8e7d6c" not in text
    assert "alerts.channels.hook.timeout" in text and "value hidden" in text


# --------------------------------------------------------------------------- locations of errors


def test_error_points_at_the_value_and_key_path() -> None:
    err = error(DEMO + "slos:\n  - name: a\n    sli: {field: duration_s}\n    objective: {target: 1, warning: nope}\n")
    (issue,) = err.issues
    column = "    objective: {target: 1, warning: nope}".index("nope") + 1
    assert (issue.line, issue.column, issue.key) == (6, column, "slos[0].objective.warning")
    assert "expected a number (got 'nope')" in issue.message


def test_union_alternatives_are_merged_into_one_message() -> None:
    err = error(DEMO + "slos:\n  - {name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}, period: monthly}\n")
    (issue,) = err.issues
    assert issue.key == "slos[0].period"
    assert "expected a duration" in issue.message and "'calendar_month'" in issue.message


def test_unknown_key_lists_the_allowed_keys_when_nothing_is_close() -> None:
    err = error(DEMO + "slos:\n  - {name: a, zzz: 1, sli: {field: duration_s}, objective: {target: 1, warning: 2}}\n")
    assert "unknown key 'zzz'; expected one of: name, source" in err.render()


def test_unknown_key_in_a_source_names_that_source_types_keys() -> None:
    err = error("sources:\n  p: {type: prometheus, url: 'http://x', stepp: 5s}\nslos: []\n")
    assert "sources.p.stepp: unknown key 'stepp'; did you mean 'step'?" in err.render()


def test_missing_source_type_lists_the_types() -> None:
    err = error("sources:\n  p: {url: 'http://x'}\n")
    assert "t.yaml:2:3: sources.p: missing required key 'type' (one of: demo, file, prometheus" in err.render()


def test_duplicate_yaml_key_is_an_error() -> None:
    err = error(DEMO + "slos:\n  - name: a\n    name: b\n    sli: {field: duration_s}\n    objective: {target: 1, warning: 2}\n")
    assert "t.yaml:5:5: slos[0].name: duplicate key 'name' (first at line 4)" in err.render()


def test_several_documents_are_an_error() -> None:
    err = error(DEMO + "---\nslos: []\n")
    assert "one YAML document" in err.render()


def test_no_slos_is_an_error() -> None:
    assert "no SLOs" in error(DEMO).render()


def test_source_line_and_caret_are_shown() -> None:
    text = error(DEMO + "slos:\n  - {name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}, window: 5x}\n").render()
    lines = text.splitlines()
    assert lines[1].startswith("t.yaml:4:")
    assert "window: 5x" in lines[2]
    assert lines[3].index("^") == lines[2].index("5x")


# --------------------------------------------------------------------------- direction


def _direction(objective: str, name: str = "metric", ratio: bool = False) -> str:
    what = 'ratio: {good: "error.type == null"}' if ratio else "sli: {field: duration_s}"
    lc = load(DEMO + f"slos:\n  - name: {name}\n    {what}\n    objective: {objective}\n")
    return lc.specs[0].direction


@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        ("{target: 0.9, warning: 0.85, critical: 0.75}", "higher_is_better"),
        ("{target: 2000, warning: 3000, critical: 5000}", "lower_is_better"),
        ("{target: 0.9, warning: 0.85}", "higher_is_better"),
        ("{target: 0.9, critical: 0.5}", "higher_is_better"),
        ("{target: 10, warning: 20}", "lower_is_better"),
        ("{target: 10, critical: 30}", "lower_is_better"),
        ("{target: 0.9, warning: 0.9, critical: 0.5}", "higher_is_better"),  # warning == target: empty AT RISK band
        ("{target: 5, warning: 5, critical: 9}", "lower_is_better"),
        ("{target: 0.9, warning: 0.85, critical: 0.75, direction: higher_is_better}", "higher_is_better"),
        ("{target: 2000, warning: 3000, direction: lower_is_better}", "lower_is_better"),
        ("{target: 0.9, direction: higher_is_better}", "higher_is_better"),
        ("{target: 5, direction: lower_is_better}", "lower_is_better"),
        ("{target: 5, warning: 5, direction: lower_is_better}", "lower_is_better"),  # no evidence: explicit wins
    ],
)
def test_direction_from_thresholds(objective: str, expected: str) -> None:
    assert _direction(objective) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("response_time_p95_ms", "lower_is_better"), ("ttft_s", "lower_is_better"), ("latency", "lower_is_better"),
     ("p99_latency", "lower_is_better"), ("cost", "lower_is_better"), ("query_cost", "lower_is_better"),
     ("error_rate", "lower_is_better"), ("errors", "lower_is_better")],
)
def test_lone_target_direction_by_name(name: str, expected: str) -> None:
    assert _direction("{target: 3}", name=name) == expected


def test_lone_target_ratio_is_higher_is_better() -> None:
    assert _direction("{target: 0.99}", name="success", ratio=True) == "higher_is_better"


@pytest.mark.parametrize("name", ["helpfulness", "accuracy", "cost_per_query", "throughput"])
def test_lone_target_without_a_hint_needs_an_explicit_direction(name: str) -> None:
    err = error(DEMO + f"slos:\n  - name: {name}\n    sli: {{field: duration_s}}\n    objective: {{target: 3}}\n")
    (issue,) = err.issues
    assert issue.key == "slos[0].objective" and issue.line == 6
    assert "set direction" in issue.message


@pytest.mark.parametrize(
    ("objective", "key"),
    [
        ("{target: 0.85, warning: 0.9, critical: 0.7}", "slos[0].objective.warning"),
        ("{target: 0.85, warning: 0.8, critical: 0.9}", "slos[0].objective.warning"),
        ("{target: 5, warning: 3, critical: 4}", "slos[0].objective.warning"),
    ],
)
def test_inconsistent_thresholds(objective: str, key: str) -> None:
    (issue,) = error(DEMO + f"slos:\n  - name: m\n    sli: {{field: duration_s}}\n    objective: {objective}\n").issues
    assert issue.key == key and "inconsistent order" in issue.message and issue.line == 6


@pytest.mark.parametrize(
    "objective",
    ["{target: 0.9, warning: 0.85, direction: lower_is_better}",
     "{target: 2000, critical: 5000, direction: higher_is_better}"],
)
def test_explicit_direction_must_agree(objective: str) -> None:
    (issue,) = error(DEMO + f"slos:\n  - name: m\n    sli: {{field: duration_s}}\n    objective: {objective}\n").issues
    assert issue.key == "slos[0].objective.direction" and "disagrees" in issue.message


def test_ratio_lower_is_better_is_an_error() -> None:
    err = error(DEMO + 'slos:\n  - {name: r, ratio: {good: "a == 1"}, objective: {target: 0.9, direction: lower_is_better}}\n')
    assert "slos[0].objective.direction" in err.render()


# --------------------------------------------------------------------------- resolution


def test_defaults_are_applied_and_overridden() -> None:
    lc = load("""\
    defaults: {interval: 1m, window: 30m, period: 28d, slice: 10m, compliance: 0.95, at_risk_below: 0.5}
    sources:
      demo: {type: demo}
      fast: {type: demo, interval: 5s}
    slos:
      - {name: a, source: demo, sli: {field: duration_s}, objective: {target: 1, warning: 2}}
      - name: b
        source: fast
        ratio: {good: "error.type == null"}
        objective: {target: 0.99, compliance: 0.9}
        window: 2h
        period: calendar_month
        slice: 1m
        min_events: 50
        at_risk_below: 0.1
        for: 2m
        labels: {team: ml}
        service: support-bot
    """)
    a, b = lc.specs
    assert (a.interval, a.window, a.period, a.slice, a.compliance, a.at_risk_below, a.min_events) == (
        60, 1800, 28 * DAY, 600, 0.95, 0.5, 1)
    assert a.calendar_month is False and a.tiers == DEFAULT_TIERS
    assert (b.interval, b.window, b.calendar_month, b.slice, b.min_events, b.at_risk_below, b.for_) == (
        5, 7200, True, 60, 50, 0.1, 120)
    assert b.period == 30 * DAY
    assert b.kind == "ratio" and b.good == "error.type == null" and b.total is None
    assert dict(b.labels) == {"team": "ml", "service": "support-bot"}
    assert any("compliance applies to threshold SLOs only" in w for w in lc.warnings)


def test_only_source_is_the_default_and_query_slos() -> None:
    lc = load("""\
    sources:
      prom: {type: prometheus, url: "http://127.0.0.1:9090"}
    slos:
      - name: p95_ms
        query: 'histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) * 1000'
        objective: {target: 2000, warning: 3000}
        params: {step: 1m}
    """)
    spec = lc.specs[0]
    assert spec.source == "prom" and spec.query.startswith("histogram_quantile") and spec.kind == "threshold"
    assert dict(spec.params) == {"step": "1m"}


@pytest.mark.parametrize(
    ("slo", "key", "message"),
    [
        ('{name: a, objective: {target: 1, warning: 2}}', "slos[0]", "needs sli"),
        ('{name: a, sli: {field: duration_s}, ratio: {good: "a"}, objective: {target: 0.9}}', "slos[0].ratio", "not both"),
        ('{name: a, sli: {field: duration_s}, query: up, objective: {target: 1, warning: 2}}', "slos[0].query", "not both"),
        ('{name: a, sli: {field: duration_s, agg: mode}, objective: {target: 1, warning: 2}}', "slos[0].sli.agg",
         "unknown aggregation 'mode'"),
        ('{name: a, sli: {field: duration_s, where: "a =="}, objective: {target: 1, warning: 2}}', "slos[0].sli.where",
         "invalid expression"),
        ('{name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}, window: 30d}', "slos[0].window",
         "longer than the period"),
        ('{name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}, burn_rate: [{severity: page, long: 1h, short: 5m}]}',
         "slos[0].burn_rate[0]", "exactly one of budget"),
        ('{name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}, burn_rate: [{severity: page, long: 1h, short: 2h, factor: 2}]}',
         "slos[0].burn_rate[0].short", "shorter than the long window"),
        ('{name: "", sli: {field: duration_s}, objective: {target: 1, warning: 2}}', "slos[0].name", "cannot be empty"),
    ],
)
def test_semantic_errors(slo: str, key: str, message: str) -> None:
    err = error(DEMO + f"slos:\n  - {slo}\n")
    assert any(i.key == key and message in i.message and i.line == 4 for i in err.issues), err.render()


def test_agg_names_are_normalised() -> None:
    lc = load(DEMO + """\
    slos:
      - {name: a, sli: {field: duration_s, agg: avg}, objective: {target: 1, warning: 2}}
      - {name: b, sli: {field: duration_s, agg: median}, objective: {target: 1, warning: 2}}
      - {name: c, sli: {field: duration_s, agg: p99.9}, objective: {target: 1, warning: 2}}
    """)
    assert [s.sli_agg for s in lc.specs] == ["mean", "p50", "p99.9"]


def test_file_source_derived_fields_are_checked() -> None:
    err = error("""\
    sources:
      trace:
        type: file
        path: t.csv
        fields: {cost: "ContextTokens * * 2"}
    slos:
      - {name: a, sli: {field: cost}, objective: {target: 1, warning: 2}}
    """)
    (issue,) = err.issues
    assert issue.key == "sources.trace.fields.cost" and issue.line == 5 and "invalid expression" in issue.message


def test_prometheus_ratio_queries_are_not_parsed_as_expressions() -> None:
    lc = load("""\
    sources: {prom: {type: prometheus, url: "http://127.0.0.1:9090"}}
    slos:
      - name: availability
        ratio: {good: 'sum(increase(x{status="ok"}[{{window}}]))', total: 'sum(increase(x[{{window}}]))'}
        objective: {target: 0.995}
    """)
    assert lc.specs[0].good.startswith("sum(increase")


def test_route_channels_must_exist_and_known_ones_pass() -> None:
    lc = load(DEMO + """\
    slos: [{name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}}]
    alerts:
      channels: {f: {type: file, path: a.jsonl}}
      routes: [{severity: page, channels: [f]}]
    """)
    assert lc.config.alerts.routes[0].channels == ["f"]


# --------------------------------------------------------------------------- burn-rate tiers


def test_custom_tiers_and_low_factor_warning() -> None:
    lc = load(DEMO + """\
    slos:
      - name: a
        sli: {field: duration_s}
        objective: {target: 1, warning: 2}
        burn_rate:
          - {severity: page, long: 1h, short: 5m, budget: 0.02}
          - {severity: ticket, long: 3d, short: 6h, budget: 0.1}
          - {severity: critical, long: 2h, short: 10m, factor: 10}
      - {name: b, sli: {field: duration_s}, objective: {target: 1, warning: 2}}
      - {name: c, sli: {field: duration_s}, objective: {target: 1, warning: 2}, period: 30d}
    """)
    a, b, c = lc.specs
    assert [t.severity for t in a.tiers] == ["critical", "warning", "critical"]
    assert a.tiers[0].budget_fraction == 0.02 and a.tiers[2].factor == 10
    assert a.tiers[1].effective_factor(a.period) == pytest.approx(0.2333, abs=1e-4)
    assert c.tiers == DEFAULT_TIERS
    # b inherits the default 7d period and the default policy for it (no warning about
    # slotui's own defaults); c at 30d has the workbook tiers with F = 1
    assert b.period == 7 * DAY and b.tiers == DEFAULT_PERIOD_TIERS
    assert [t.effective_factor(b.period) for t in b.tiers] == [14.4, 6.0, 1.0]
    (warning,) = lc.warnings  # a's own 3d tier at 7d
    assert "3d/6h" in warning and "F=0.2333" in warning and "7d" in warning
    assert warning.split("for ", 1)[1].startswith("a:")


def test_28d_period_scales_the_default_tiers() -> None:
    lc = load(DEMO + "defaults: {period: 28d}\nslos: [{name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}}]\n")
    factors = [t.effective_factor(lc.specs[0].period) for t in lc.specs[0].tiers]
    assert factors == pytest.approx([13.44, 5.6, 0.9333], abs=1e-4)
    assert len(lc.warnings) == 1 and "F=0.9333" in lc.warnings[0]


def test_defaults_burn_rate_applies_to_every_slo_without_its_own() -> None:
    lc = load(DEMO + """\
    defaults:
      burn_rate: [{severity: page, long: 1h, short: 5m, factor: 14.4}]
    slos:
      - {name: a, sli: {field: duration_s}, objective: {target: 1, warning: 2}}
      - {name: b, sli: {field: duration_s}, objective: {target: 1, warning: 2}, burn_rate: [{severity: ticket, long: 6h, short: 30m, factor: 2}]}
    """)
    a, b = lc.specs
    assert [(t.severity, t.factor) for t in a.tiers] == [("critical", 14.4)]
    assert [(t.severity, t.factor) for t in b.tiers] == [("warning", 2)]
    assert lc.warnings == []


# --------------------------------------------------------------------------- seed forms


def test_quality_slos_seed_form() -> None:
    lc = load_config(GOOD / "seed_quality_slos.yaml")
    by = {s.name: s for s in lc.specs}
    assert set(by) == {"accuracy", "helpfulness", "response_time_p95_ms", "cost_per_query"}
    acc = by["accuracy"]
    assert (acc.target, acc.warning, acc.critical, acc.direction) == (0.90, 0.85, 0.75, "higher_is_better")
    assert (acc.sli_field, acc.sli_agg, acc.kind) == ("accuracy", "mean", "threshold")
    assert by["response_time_p95_ms"].direction == "lower_is_better"
    assert all(s.source == "results" for s in lc.specs)
    assert any("no sources" in w for w in lc.warnings)


def test_quality_slos_use_the_only_source() -> None:
    lc = load(DEMO + "quality_slos:\n  accuracy: {target: 0.9, warning: 0.85}\n")
    assert lc.specs[0].source == "demo"


def test_quality_slo_errors_point_at_the_metric() -> None:
    (issue,) = error(DEMO + "quality_slos:\n  accuracy: {target: 0.9, warning: 0.95, critical: 0.7}\n").issues
    assert issue.key == "quality_slos.accuracy.warning" and issue.line == 4


def test_langsmith_style_alert_rules() -> None:
    lc = load_config(GOOD / "seed_alert_rules.yaml", env={})
    low, slow = lc.specs
    assert low.name == "Low Helpfulness Alert"
    assert (low.kind, low.target, low.warning, low.critical, low.direction) == (
        "threshold", 0.8, 0.8, None, "higher_is_better")
    assert (low.sli_field, low.sli_agg, low.window, low.source) == ("helpfulness_score", "mean", 3600.0, "ls")
    assert dict(low.labels)["rule"] == "Low Helpfulness Alert"
    assert low.params["notification"] == {"type": "slack", "channel": "#llm-alerts"}
    assert (slow.direction, slow.target, slow.critical, slow.warning, slow.sli_agg, slow.window) == (
        "lower_is_better", 3000, 3000, None, "p95", 1800.0)


def test_alerts_rules_nested_form_and_page_severity() -> None:
    lc = load_config(GOOD / "alerts_rules_nested.yaml")
    rule = lc.spec("helpfulness-floor")
    assert (rule.critical, rule.warning, rule.direction, rule.sli_field, rule.window) == (
        0.7, None, "higher_is_better", "evaluations.helpfulness", 7200.0)


@pytest.mark.parametrize(
    ("condition", "agg", "field", "direction"),
    [("avg(helpfulness_score) < 0.8", "mean", "helpfulness_score", "higher_is_better"),
     ("max(latency_ms) >= 5000", "max", "latency_ms", "lower_is_better"),
     ("count() < 10", "count", "*", "higher_is_better"),
     ("P99(duration_s)>2.5", "p99", "duration_s", "lower_is_better"),
     ("sum(gen_ai.usage.cost) > 1e2", "sum", "gen_ai.usage.cost", "lower_is_better")],
)
def test_rule_conditions(condition: str, agg: str, field: str, direction: str) -> None:
    from slotui.config.seed import parse_condition

    c = parse_condition(condition)
    assert (c.agg, c.field, c.direction) == (agg, field, direction)


@pytest.mark.parametrize("condition", ["avg(x) == 1", "avg(x) < high", "stddev(x) < 1", "avg x < 1", "mean() < 1"])
def test_bad_rule_conditions(condition: str) -> None:
    from slotui.config.seed import ConditionError, parse_condition

    with pytest.raises(ConditionError):
        parse_condition(condition)


def test_duplicate_names_across_forms() -> None:
    err = error(DEMO + """\
    slos: [{name: accuracy, sli: {field: duration_s}, objective: {target: 1, warning: 2}}]
    quality_slos:
      accuracy: {target: 0.9, warning: 0.8}
    """)
    assert "duplicate SLO name 'accuracy' (first defined at line 3)" in err.render()


def test_spec_full_example_loads_with_env() -> None:
    env = {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/A/B/C", "PAGERDUTY_ROUTING_KEY": "k" * 32,
           "SMTP_USER": "u", "SMTP_PASSWORD": "pw-123456", "LANGSMITH_API_KEY": "ls-key-123456"}
    lc = load_config(GOOD / "spec_full.yaml", env=env)
    assert [s.name for s in lc.specs] == [
        "availability", "response_time_p95_ms", "helpfulness", "success_rate", "cost_per_query"]
    assert lc.config.sources["ls"].api_url == "https://api.smith.langchain.com"
    assert lc.config.sources["trace"].fields == {"cost": "ContextTokens * 2.5e-6 + GeneratedTokens * 1.0e-5"}
    assert {"pw-123456", "ls-key-123456", "k" * 32} <= lc.secrets
    with pytest.raises(ConfigError) as info:
        load_config(GOOD / "spec_full.yaml", env={})
    names = " ".join(i.message for i in info.value.issues)
    for var in env:
        assert var in names


@pytest.mark.parametrize("written, expected", [("42", "42"), ('"42"', "42"), ("0", "0")])
def test_an_mlflow_experiment_id_may_be_written_as_a_number(written: str, expected: str) -> None:
    """MLflow shows experiment ids as numbers; ``experiment_id: 42`` was refused ('expected a string
    (got 42)'). A number is the id's text; true/false and a negative number are still refused."""
    text = ("sources:\n  ml: {type: mlflow, url: 'http://127.0.0.1:5000', experiment_id: %s}\n"
            "slos:\n  - {name: acc, query: 'metric:accuracy', objective: {target: 0.9, direction: higher_is_better}}\n")
    loaded = load_text(text % written, name="t.yaml", env={})
    assert loaded.config.sources["ml"].experiment_id == expected
    for bad in ("true", "-3"):
        with pytest.raises(ConfigError) as err:
            load_text(text % bad, name="t.yaml", env={})
        assert "sources.ml.experiment_id" in str(err.value)
