"""``slotui import``: OpenSLO v1/v1alpha documents keep their meaning in the slotui SLO file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slotui.commands.import_ import import_files, render
from slotui.config.loader import load_text

OPENSLO = Path(__file__).resolve().parents[1] / "data" / "configs" / "openslo"
PROM_DS = """\
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: Prometheus, connectionDetails: {url: "http://127.0.0.1:9090"}}
"""


def _load(tmp_path: Path, *texts: str, env: dict[str, str] | None = None):
    files = []
    for i, text in enumerate(texts):
        f = tmp_path / f"doc{i}.yaml"
        f.write_text(textwrap.dedent(text))
        files.append(str(f))
    report = import_files(files)
    lc = load_text(render(report.config, report.notes, files), env=env or {}) if report.imported else None
    return report, lc


def _slo(body: str, name: str = "s") -> str:
    return f"apiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: {name}}}\nspec:\n" + textwrap.indent(
        textwrap.dedent(body), "  ")


RATIO_SLI = """\
indicator:
  metadata: {name: r}
  spec:
    ratioMetric:
      counter: true
      good: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(req_total{code="ok"})'}}}
      total: {metricSource: {metricSourceRef: prom, spec: {query: 'sum by (route) (req_total)'}}}
"""


def test_support_bot_example_keeps_its_meaning(tmp_path: Path) -> None:
    report = import_files([str(OPENSLO / "support-bot.yaml")])
    assert report.skipped == []
    lc = load_text(render(report.config, report.notes, []), env={"ONCALL_SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"})
    av = lc.spec("availability")
    assert (av.kind, av.target, av.source, av.period) == ("ratio", 0.995, "prom", 28 * 86400)
    assert av.good == 'sum(increase(llm_requests_total{status="ok"}[{{window}}]))'
    assert av.total == "sum(increase(llm_requests_total[{{window}}]))"
    # fast-burn (14.4, 1h) and slow-burn (1, 3d) conditions; op gte is imported as gt with a note
    assert [(t.severity, t.long_window, t.short_window, t.factor) for t in av.tiers] == [
        ("critical", 3600, 300, 14.4), ("warning", 3 * 86400, 6 * 3600, 1.0)]
    assert dict(av.labels) == {"service": "support-bot"}
    lat = lc.spec("latency-p95")
    # lte: lower is better, equality meets; compliance is the objective's target
    assert (lat.kind, lat.target, lat.direction, lat.strict, lat.compliance, lat.slice, lat.calendar_month) == (
        "threshold", 2000, "lower_is_better", False, 0.99, 300, True)
    routes = [(r.severity, r.match, r.channels) for r in lc.config.alerts.routes]
    # the page condition's target gets slotui's critical alerts: a "page" route took only alerts
    # escalated by alerts.escalate (not in an imported file), so it never received one
    assert routes == [("critical", {"slo": "availability"}, ["oncall-slack"]),
                      ("warning", {"slo": "availability"}, ["oncall-slack"])]
    from slotui.alerting.routes import Router

    router = Router(lc.config.alerts.routes, {n: c.type for n, c in lc.config.alerts.channels.items()})
    assert router.route({"severity": "critical", "slo": "availability"}) == ["oncall-slack"]
    assert router.route({"severity": "warning", "slo": "availability"}) == ["oncall-slack"]
    assert any("alertAfter" in n for n in report.notes)


def test_counter_is_wrapped_inside_the_aggregation(tmp_path: Path) -> None:
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(RATIO_SLI + "objectives: [{target: 0.99}]\n"))
    s = lc.spec("s")
    assert s.good == 'sum(increase(req_total{code="ok"}[{{window}}]))'
    assert s.total == "sum by (route)(increase(req_total[{{window}}]))"
    # never a range on an aggregation (the old importer wrote sum(increase(sum(x)[{{window}}])))
    assert "sum(increase(sum(" not in s.good


@pytest.mark.parametrize(("text", "want"), [("targetPercent: 99.99", 0.9999), ("targetPercent: 99.9", 0.999),
                                            ("targetPercent: '99.5'", 0.995), ("target: 0.95", 0.95)])
def test_targets_are_exact_decimals(tmp_path: Path, text: str, want: float) -> None:
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(RATIO_SLI + f"objectives: [{{{text}}}]\n"))
    assert lc.spec("s").target == want  # exactly, not 0.9999000000000001


def test_default_period_is_30d_and_labels_are_kept(tmp_path: Path) -> None:
    doc = PROM_DS + "---\n" + _slo(RATIO_SLI + "objectives: [{target: 0.99}]\n").replace(
        "metadata: {name: s}", "metadata: {name: s, labels: {team: search, tier: '1'}}")
    report, lc = _load(tmp_path, doc)
    s = lc.spec("s")
    assert s.period == 30 * 86400
    assert dict(s.labels) == {"team": "search", "tier": "1"}


def test_timeslices_stay_slice_based(tmp_path: Path) -> None:
    body = RATIO_SLI + """\
budgetingMethod: Timeslices
objectives:
  - {displayName: a, op: gt, target: 0.995, timeSliceTarget: 0.99, timeSliceWindow: 1m}
  - {displayName: b, target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 2m}
  - {displayName: c, target: 0.9, timeSliceTarget: 1, timeSliceWindow: 5}
"""
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(body))
    a, b = lc.spec("s-a"), lc.spec("s-b")
    # the ratio within a slice is compared with timeSliceTarget; target is the share of good slices
    assert (a.kind, a.target, a.compliance, a.slice, a.window, a.strict) == ("threshold", 0.99, 0.995, 60, 60, True)
    assert (b.kind, b.target, b.compliance, b.slice, b.strict) == ("threshold", 0.95, 0.99, 120, False)
    c = lc.spec("s-c")  # a bare number is minutes; every event of a slice must be good
    assert (c.target, c.compliance, c.slice) == (1.0, 0.9, 300)
    assert a.query == ('(sum(increase(req_total{code="ok"}[{{window}}]))) / '
                       "(sum by (route)(increase(req_total[{{window}}])))")


@pytest.mark.parametrize("objective", ["{op: gte, target: 0.9, timeSliceWindow: 5m}",
                                       "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}"])
def test_ratio_timeslices_is_refused_not_imported_as_another_budget(tmp_path: Path, objective: str) -> None:
    """OpenSLO RatioTimeslices is the average of the slices' good ratios. It was imported as a share
    of slices whose ratio meets a level: slices at 0.985 under a 0.99 target spend 1.5x the budget
    on average, but as slices every one is bad (remaining -99 after 100 of them). Refused instead."""
    body = RATIO_SLI + f"budgetingMethod: RatioTimeslices\nobjectives: [{objective}]\n"
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(body))
    assert report.imported == 0 and lc is None
    [skipped] = report.skipped
    assert skipped.document == "document 2 at line 6 (SLO 's')"
    assert skipped.reason == ("budgetingMethod RatioTimeslices (the average of the slices' good ratios) is not "
                              "supported: use Occurrences (events) or Timeslices (share of slices meeting "
                              "timeSliceTarget)")


@pytest.mark.parametrize(("op", "direction", "strict"), [
    ("lt", "lower_is_better", True), ("lte", "lower_is_better", False),
    ("gt", "higher_is_better", True), ("gte", "higher_is_better", False)])
def test_threshold_op_and_compliance(tmp_path: Path, op: str, direction: str, strict: bool) -> None:
    body = f"""\
indicator:
  metadata: {{name: t}}
  spec: {{thresholdMetric: {{metricSource: {{metricSourceRef: prom, spec: {{query: 'max(lat)'}}}}}}}}
budgetingMethod: Timeslices
objectives: [{{op: {op}, value: 250, target: 0.98, timeSliceTarget: 0.5, timeSliceWindow: 1m}}]
"""
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(body))
    s = lc.spec("s")
    # a threshold metric's compliance is target, not timeSliceTarget
    assert (s.target, s.direction, s.strict, s.compliance, s.slice) == (250, direction, strict, 0.98, 60)


def test_burn_rate_op_is_honoured_and_tiers_not_duplicated(tmp_path: Path) -> None:
    policies = """\
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: fast}
spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}}
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: below}
spec: {severity: ticket, condition: {kind: burnrate, op: lt, threshold: 1, lookbackWindow: 1d}}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: p1}
spec: {conditions: [{conditionRef: fast}, {conditionRef: below}]}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: p2}
spec: {conditions: [{conditionRef: fast}]}
"""
    body = RATIO_SLI + "objectives: [{target: 0.99}]\nalertPolicies: [p1, {alertPolicyRef: p2}]\n"
    report, lc = _load(tmp_path, PROM_DS, policies, _slo(body))  # references across files
    tiers = lc.spec("s").tiers
    assert [(t.severity, t.long_window, t.short_window, t.factor) for t in tiers] == [("critical", 3600, 300, 14.4)]
    assert any("op 'lt'" in n for n in report.notes)


def test_calendar_windows(tmp_path: Path) -> None:
    month = RATIO_SLI + "timeWindow: [{duration: 1M, calendar: {startTime: '2026-01-01 00:00:00', timeZone: UTC}}]\n" \
        "objectives: [{target: 0.99}]\n"
    week = RATIO_SLI + "timeWindow: {duration: 1w, isRolling: false, calendar: " \
        "{startTime: '2022-01-01 12:00:00', timeZone: America/New_York}}\nobjectives: [{target: 0.99}]\n"
    rolling = RATIO_SLI + "timeWindow: [{duration: 1M, isRolling: true}]\nobjectives: [{target: 0.99}]\n"
    report, lc = _load(tmp_path, PROM_DS, _slo(month, "m"), _slo(week, "w"), _slo(rolling, "r"))
    m, w, r = lc.spec("m"), lc.spec("w"), lc.spec("r")
    assert m.calendar_month is True  # calendar without isRolling is a calendar window
    # 2022-01-01 12:00 in New York (EST, UTC-5) is 17:00 UTC
    assert (w.calendar_month, w.period, w.period_anchor) == (False, 7 * 86400, 1641056400.0)
    assert (r.calendar_month, r.period, r.period_anchor) == (False, 30 * 86400, None)


def test_connection_details_as_list_and_v1alpha(tmp_path: Path) -> None:
    ds = "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\n" \
        "spec: {type: Prometheus, connectionDetails: [{url: 'http://prom.example:9090'}]}\n"
    alpha = """\
apiVersion: openslo/v1alpha
kind: SLO
metadata: {name: alpha}
spec:
  service: svc
  budgetingMethod: Occurrences
  timeWindows: [{count: 28, unit: Day, isRolling: true}]
  objectives:
    - ratioMetrics:
        incremental: true
        good: {source: prometheus, queryType: promql, query: 'req_total{code="ok"}'}
        total: {source: prometheus, queryType: promql, query: req_total}
      target: 0.98
"""
    report, lc = _load(tmp_path, ds + "---\n" + _slo(RATIO_SLI + "objectives: [{target: 0.99}]\n"), alpha)
    assert lc.config.sources["prom"].url == "http://prom.example:9090"
    a = lc.spec("alpha")
    assert (a.target, a.period) == (0.98, 28 * 86400)
    assert a.good == 'sum(increase(req_total{code="ok"}[{{window}}]))'


def test_bad_minus_total_without_counter(tmp_path: Path) -> None:
    body = """\
indicator:
  metadata: {name: e}
  spec:
    ratioMetric:
      counter: false
      bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(err[5m]))'}}}
      total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(req[5m]))'}}}
timeWindow: [{duration: 1w, isRolling: true}]
objectives: [{displayName: Internal, target: 0.999}, {displayName: SLA, targetPercent: 99}]
"""
    report, lc = _load(tmp_path, _slo(body, "errors"))
    a, b = lc.specs
    assert (a.name, a.target, b.name, b.target) == ("errors-internal", 0.999, "errors-sla", 0.99)
    assert a.good == "(sum(rate(req[5m]))) - ((sum(rate(err[5m]))) or on() (sum(rate(req[5m]))) * 0)"
    assert a.source == "prometheus" and a.period == 7 * 86400
    assert lc.config.sources["prometheus"].url == "http://127.0.0.1:9090"


def test_one_bad_document_does_not_abort_the_others(tmp_path: Path) -> None:
    good = PROM_DS + "---\n" + _slo(RATIO_SLI + "objectives: [{target: 0.99}]\n", "fine")
    bad = _slo(RATIO_SLI.replace("metricSourceRef: prom", "type: Datadog")
               + "objectives: [{target: 0.99}]\n", "dd") + "---\n" + \
        _slo("indicatorRef: nope\nobjectives: [{target: 0.9}]\n", "orphan")
    report, lc = _load(tmp_path, good, bad)
    assert [s.name for s in lc.specs] == ["fine"]
    reasons = {(Path(s.file).name, s.document): s.reason for s in report.skipped}
    assert reasons == {
        ("doc1.yaml", "document 1 at line 1 (SLO 'dd')"): "data source type 'Datadog' is not supported (only Prometheus "
                                                "and its API: Thanos, Mimir, Cortex, VictoriaMetrics)",
        ("doc1.yaml", "document 2 at line 14 (SLO 'orphan')"): "SLI 'nope' not found in the given files",
    }


@pytest.mark.parametrize("kind", ["Thanos", "Mimir", "cortex", "VictoriaMetrics", "Grafana Mimir"])
def test_data_sources_that_speak_prometheus_api_are_imported_as_prometheus(tmp_path: Path, kind: str) -> None:
    ds = PROM_DS.replace("type: Prometheus", f"type: {kind}").replace("127.0.0.1:9090", "mimir:8080/prometheus")
    report, lc = _load(tmp_path, ds + "---\n" + _slo(RATIO_SLI + "objectives: [{target: 0.99}]\n", "fine"))
    assert report.skipped == []
    assert lc.spec("fine").source == "prom" and lc.config.sources["prom"].type == "prometheus"
    assert lc.config.sources["prom"].url == "http://mimir:8080/prometheus"
    assert any(f"data source type {kind!r} is read as a prometheus source" in n for n in report.notes)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", "import", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "NO_COLOR": "1"})


def test_cli_exit_codes_and_output_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(PROM_DS + "---\n" + _slo(RATIO_SLI + "objectives: [{target: 0.99}]\n"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [\n")
    out = tmp_path / "slos.yaml"
    ok = _cli(str(good), "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    assert load_text(out.read_text(), env={}).spec("s").target == 0.99
    forced = _cli("openslo", str(good))
    assert forced.returncode == 0 and "name: s" in forced.stdout
    wrong = _cli("sloth", str(good))
    assert wrong.returncode == 3 and "not a sloth document (looks like openslo)" in wrong.stderr
    some = _cli(str(good), str(broken))
    assert some.returncode == 1 and "name: s" in some.stdout
    assert f"skipped: {broken}: file: not valid YAML (line 2, column 1" in some.stderr
    none = _cli(str(broken))
    assert none.returncode == 3 and "nothing could be imported" in none.stderr
    for proc in (ok, forced, wrong, some, none):
        assert "Traceback" not in proc.stderr


def test_raw_ratio_and_password_in_a_data_source_url(tmp_path: Path) -> None:
    ds = "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\n" \
        "spec: {type: Prometheus, connectionDetails: {url: 'https://slo:s3cr3t-pw@prom.example:9090/p'}}\n"
    body = """\
indicator:
  metadata: {name: r}
  spec:
    ratioMetric:
      rawType: failure
      raw: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(rate(err[{{window}}])) / sum(rate(req[{{window}}]))'}}}
objectives: [{target: 0.99}]
"""
    report, lc = _load(tmp_path, ds + "---\n" + _slo(body), env={"PROM_PASSWORD": "s3cr3t-pw"})
    s = lc.spec("s")
    assert s.good == "1 - (sum(rate(err[{{window}}])) / sum(rate(req[{{window}}])))"
    assert s.total == "(sum(rate(err[{{window}}])) / sum(rate(req[{{window}}]))) * 0 + 1"
    src = report.config["sources"]["prom"]
    assert src["url"] == "https://prom.example:9090/p"
    assert src["basic_auth"] == {"username": "slo", "password": "${PROM_PASSWORD}"}
    assert "s3cr3t-pw" not in render(report.config, report.notes, [])


def _raw(raw_type: str) -> str:
    line = f"      rawType: {raw_type}\n" if raw_type else ""
    return ("indicator:\n  metadata: {name: r}\n  spec:\n    ratioMetric:\n" + line
            + "      raw: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(rate(e[{{window}}])) / "
              "sum(rate(t[{{window}}]))'}}}\nobjectives: [{target: 0.99}]\n")


@pytest.mark.parametrize("raw_type", ["good", "failures", "''", ""])
def test_a_raw_type_that_is_not_success_or_failure_is_refused_not_guessed(tmp_path: Path, raw_type: str) -> None:
    """rawType says whether the raw ratio is a success or an error ratio; anything but success was
    read as failure (and a missing one as success), so a guess inverted the ratio: 0.999 good became 0.001."""
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(_raw(raw_type)))
    assert report.imported == 0
    [skipped] = report.skipped
    shown = {"''": "''", "": "None"}.get(raw_type, repr(raw_type))
    assert skipped.reason == f"ratioMetric.rawType {shown} is not success or failure (required with raw)"


@pytest.mark.parametrize(("raw_type", "good"), [
    ("success", "sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))"),
    ("Failure", "1 - (sum(rate(e[{{window}}])) / sum(rate(t[{{window}}])))")])
def test_raw_success_and_failure(tmp_path: Path, raw_type: str, good: str) -> None:
    # one event per series of the ratio: no series at all is no data (a total of vector(1) made an
    # absent error ratio 100% good, and an absent success ratio 100% bad)
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(_raw(raw_type)))
    total = "(sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))) * 0 + 1"
    assert lc.spec("s").good == good and lc.spec("s").total == total
    assert not any("{{window}}" in n for n in report.notes)


def test_per_interval_counts_under_a_sum_are_summed_over_the_window(tmp_path: Path) -> None:
    """counter: false, ``sum(x)``: each window sums the counts in it. It was kept as the instant
    ``sum(x)``, so the 5m, 1h, 3d and period windows all read the last point's ratio."""
    sli = RATIO_SLI.replace("counter: true", "counter: false")
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(sli + "objectives: [{target: 0.99}]\n"))
    s = lc.spec("s")
    assert s.good == 'sum(sum_over_time(req_total{code="ok"}[{{window}}]))'
    assert s.total == "sum by (route)(sum_over_time(req_total[{{window}}]))"
    assert report.notes == []


@pytest.mark.parametrize(("good", "total"), [
    ("sum(rate(ok[5m]))", "sum(rate(all[5m]))"),          # a fixed range
    ("count(ok_gauge)", "count(all_gauge)"),                # an aggregation a sum over time does not commute with
])
def test_ratio_queries_without_the_window_are_kept_and_named_in_a_note(tmp_path: Path, good: str, total: str) -> None:
    """Every window of such an SLO reads the same ratio (the burn-rate tiers' long windows no longer
    smooth anything, the budget is the last few minutes'): said, not silent."""
    body = (f"indicator:\n  metadata: {{name: r}}\n  spec:\n    ratioMetric:\n"
            f"      good: {{metricSource: {{metricSourceRef: prom, spec: {{query: '{good}'}}}}}}\n"
            f"      total: {{metricSource: {{metricSourceRef: prom, spec: {{query: '{total}'}}}}}}\n"
            "objectives: [{target: 0.99}]\n")
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(body))
    assert (lc.spec("s").good, lc.spec("s").total) == (good, total)
    assert report.notes == [
        f"{tmp_path / 'doc0.yaml'}: SLO 's': its ratio queries do not use {{{{window}}}} (they look back a fixed "
        "range or not at all): every window (the SLO window, each burn-rate window, the period) reads the same "
        "ratio; write {{window}} (Sloth's {{.window}}) as their range"]


@pytest.mark.parametrize(("calendar", "note"), [
    ("{startTime: '2022-01-01 12:00:00', timeZone: America/New_York}", "2022-01-01T17:00:00Z"),
    ("{startTime: '2022-01-15 00:00:00', timeZone: UTC}", "2022-01-15T00:00:00Z"),
    ("{startTime: '2022-01-01 00:00:00', timeZone: UTC}", None),
    ("{}", None),
])
def test_a_calendar_month_that_does_not_begin_at_utc_midnight_on_the_1st_is_noted(
        tmp_path: Path, calendar: str, note: str | None) -> None:
    """slotui's calendar_month is the UTC month; OpenSLO's example months start at noon in New York
    (17:00 UTC): the shift was silent."""
    body = RATIO_SLI + f"timeWindow: [{{duration: 1M, isRolling: false, calendar: {calendar}}}]\n" \
                       "objectives: [{target: 0.99}]\n"
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _slo(body))
    assert lc.spec("s").calendar_month
    want = [f"{tmp_path / 'doc0.yaml'}: SLO 's': its calendar months begin at {note} (calendar startTime/timeZone); "
            "slotui's calendar_month begins at 00:00 UTC on the 1st"] if note else []
    assert report.notes == want


def test_a_threshold_value_or_burn_rate_threshold_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    """They read 'unexpected document structure (ValueError: could not convert string to float: ...)'."""
    body = """\
indicator:
  metadata: {name: t}
  spec: {thresholdMetric: {metricSource: {metricSourceRef: prom, spec: {query: 'max(lat)'}}}}
objectives: [{op: lt, value: fast, target: 0.99}]
"""
    report, _ = _load(tmp_path, PROM_DS + "---\n" + _slo(body))
    assert [s.reason for s in report.skipped] == ["value 'fast' is not a number"]
    policy = """\
alertPolicies:
  - kind: AlertPolicy
    metadata: {name: p}
    spec:
      conditions:
        - kind: AlertCondition
          metadata: {name: c}
          spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: fast, lookbackWindow: 1h}}
"""
    report, _ = _load(tmp_path, PROM_DS + "---\n" + _slo(body.replace("fast", "200") + policy))
    assert report.skipped == []
    assert any(n.endswith("SLO 's': burn-rate threshold 'fast' is not a number") for n in report.notes)


@pytest.mark.parametrize(("url", "want", "note"), [
    ("https://glc_s3cr3t-tok@prom.example/api/prom", "https://prom.example/api/prom",
     "the user name in its URL (often a token) is not copied; set basic_auth or bearer_token on the source"),
    ("https://prom.example/api?access_token=s3cr3t-tok&dedup=true", "https://prom.example/api?dedup=true",
     "URL parameter access_token not copied (a credential); set it on the source"),
    ("https://slo:s3cr3t-tok@[::1]:9090/p?X-Amz-Signature=s3cr3t-tok", "https://[::1]:9090/p",
     "URL parameter X-Amz-Signature not copied (a credential); set it on the source"),
])
def test_no_credential_of_a_data_source_url_is_copied(tmp_path: Path, url: str, want: str, note: str) -> None:
    """A token as the URL's user name or in its query string was written to the imported file and
    printed on stdout (only a user:password pair was moved out); an IPv6 host lost its brackets."""
    ds = ("apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\n"
          f"spec: {{type: Prometheus, connectionDetails: {{url: '{url}'}}}}\n")
    report, lc = _load(tmp_path, ds + "---\n" + _slo(RATIO_SLI + "objectives: [{target: 0.99}]\n"),
                       env={"PROM_PASSWORD": "pw"})
    assert report.config["sources"]["prom"]["url"] == want
    assert "s3cr3t-tok" not in render(report.config, report.notes, [])
    assert f"data source 'prom': {note}" in [n.split(": ", 1)[1] for n in report.notes]
    done = subprocess.run([sys.executable, "-m", "slotui", "import", str(tmp_path / "doc0.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "s3cr3t-tok" not in done.stdout + done.stderr


def _policy_slo(name: str, target: str) -> str:
    return f"""\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  indicator:
    metadata: {{name: r}}
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{metricSourceRef: prom, spec: {{query: 'sum(ok_total)'}}}}}}
        total: {{metricSource: {{metricSourceRef: prom, spec: {{query: 'sum(all_total)'}}}}}}
  objectives: [{{target: 0.99}}]
  alertPolicies:
    - kind: AlertPolicy
      metadata: {{name: {name}-policy}}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {{name: {name}-fast}}
            spec: {{severity: page, condition: {{kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}}}}
        notificationTargets:
          - kind: AlertNotificationTarget
            metadata: {{name: {target}}}
            spec: {{target: slack}}
"""


def test_an_slos_alert_policy_routes_only_that_slos_alerts(tmp_path: Path) -> None:
    """Routes were written by severity alone: the checkout team's Slack got the search SLO's page
    alerts too (every critical alert matched every imported policy's route)."""
    report, lc = _load(tmp_path, PROM_DS + "---\n" + _policy_slo("search", "search-slack") + "---\n"
                       + _policy_slo("checkout", "checkout-slack"),
                       env={"SEARCH_SLACK_WEBHOOK_URL": "https://hooks.slack.com/a",
                            "CHECKOUT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/b"})
    from slotui.alerting.routes import Router

    router = Router(lc.config.alerts.routes, {n: c.type for n, c in lc.config.alerts.channels.items()})
    assert router.route({"severity": "critical", "slo": "search"}) == ["search-slack"]
    assert router.route({"severity": "critical", "slo": "checkout"}) == ["checkout-slack"]
    assert router.route({"severity": "warning", "slo": "checkout"}) == []  # a page policy only


def test_a_one_minute_lookback_condition_is_noted_not_the_whole_slo_refused(tmp_path: Path) -> None:
    """lookbackWindow 1m gave a 1m/1m tier, which failed validation and dropped the whole SLO."""
    doc = _policy_slo("search", "search-slack").replace("lookbackWindow: 1h", "lookbackWindow: 1m")
    report, lc = _load(tmp_path, PROM_DS + "---\n" + doc, env={"SEARCH_SLACK_WEBHOOK_URL": "https://hooks.slack.com/a"})
    assert report.skipped == [] and lc.spec("search").target == 0.99
    assert any(n.endswith("SLO 'search': burn-rate condition with lookbackWindow 1m not imported (a tier needs a "
                          "short window of at least 1m inside it)") for n in report.notes)
