"""Labels, alert names and runbooks of the peers' own files survive ``slotui import`` and the export.

The files are upstream's, unchanged, in ``tests/data/peers`` (Apache-2.0,
see the LICENSE and README of each project folder there):

- OpenSLO/oslo ``test/inputs/validate/v1.yaml`` and OpenSLO/go-sdk
  ``pkg/openslo/v1/examples/slos.yaml`` label their SLO with lists
  (``team: [team-a, team-b]``), which OpenSLO v1 allows;
- pyrra-dev/pyrra ``examples/parca-grpc-queryrange-errors.yaml`` labels its
  SLO ``pyrra.dev/team: parca``, which Pyrra puts on its rules as ``team``;
- slok/sloth ``examples/kubernetes-apiserver.yml`` and ``getting-started.yml``
  set ``alerting.name``, ``alerting.labels`` and a ``runbook`` annotation;
  ``examples/_gen/kubernetes-apiserver.yml`` is what Sloth generated for it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from slotui.commands.import_ import import_files, render
from slotui.config.loader import load_text
from slotui.peers.prometheus_rules import prometheus_rules

PEERS = Path(__file__).resolve().parents[1] / "data" / "peers"
SLOTH = PEERS / "slok+sloth" / "examples"


def _import(*paths: Path):
    report = import_files([str(p) for p in paths])
    return report, load_text(render(report.config, report.notes, []), env={})


def _alerts(lc) -> list[dict]:
    export = prometheus_rules(lc.specs, {n: s.type for n, s in lc.config.sources.items()}, version="test")
    assert export.skipped == []
    return [r for g in export.rules["groups"] for r in g["rules"] if "alert" in r]


def test_openslo_list_labels_are_values_not_python_lists() -> None:
    for path in (PEERS / "OpenSLO+oslo" / "test" / "inputs" / "validate" / "v1.yaml",
                 PEERS / "OpenSLO+go-sdk" / "pkg" / "openslo" / "v1" / "examples" / "slos.yaml"):
        report, lc = _import(path)
        assert report.imported == 1, report.skipped
        labels = dict(lc.spec("web-availability").labels)
        assert (labels["env"], labels["team"]) == ("prod", "team-a,team-b"), path


def test_pyrra_propagated_label_loses_its_prefix_and_reaches_the_rules() -> None:
    report, lc = _import(PEERS / "pyrra-dev+pyrra" / "examples" / "parca-grpc-queryrange-errors.yaml")
    assert report.skipped == []
    spec = lc.spec("parca-grpc-queryrange-errors")
    assert dict(spec.labels) == {"prometheus": "k8s", "team": "parca", "role": "alert-rules", "namespace": "parca"}
    alerts = _alerts(lc)
    assert alerts and all(a["labels"]["team"] == "parca" for a in alerts)


def test_sloth_alert_name_labels_and_runbook_match_sloths_own_rules() -> None:
    report, lc = _import(SLOTH / "kubernetes-apiserver.yml")
    assert report.skipped == [] and report.notes == []
    generated = yaml.safe_load((SLOTH / "_gen" / "kubernetes-apiserver.yml").read_text())
    theirs = [r for g in generated["groups"] for r in g["rules"] if "alert" in r]
    ours = _alerts(lc)
    assert len(ours) == len(theirs) == 4
    # same alert names per severity (page = critical, ticket = warning), same shared label, same runbook
    assert sorted((a["alert"], a["labels"]["sloth_severity"], a["labels"]["category"]) for a in ours) == sorted(
        (a["alert"], a["labels"]["sloth_severity"], a["labels"]["category"]) for a in theirs)
    assert sorted(a["annotations"]["runbook_url"] for a in ours) == sorted(a["annotations"]["runbook"] for a in theirs)
    # the page/ticket severity labels are slotui's own severities: nothing to report
    assert {(a["labels"]["sloth_severity"], a["labels"]["severity"]) for a in ours} == {
        ("page", "critical"), ("ticket", "warning")}


def test_sloth_alert_labels_of_one_alert_only_are_named_in_a_note() -> None:
    report, lc = _import(SLOTH / "getting-started.yml")
    spec = lc.spec("myservice-requests-availability")
    assert (spec.labels["category"], spec.labels["alertname"]) == ("availability", "MyServiceHighErrorRate")
    assert "routing_key" not in spec.labels and "slack_channel" not in spec.labels
    [note] = report.notes
    assert note.endswith("myservice-requests-availability: not carried over from Sloth's alerting: annotations "
                         "summary; page alert labels routing_key=myteam, severity=pageteam; ticket alert labels "
                         "severity=slack, slack_channel=#alerts-myteam (slotui's alert labels are per SLO, not per "
                         "page or ticket alert)")


# --------------------------------------------------------------------------- references across files

GO_SDK_V1 = PEERS / "OpenSLO+go-sdk" / "pkg" / "openslo" / "v1" / "examples"


def test_files_of_slis_and_data_sources_used_by_reference_are_not_skipped(tmp_path: Path) -> None:
    """An SLO of the user's refers to go-sdk's SLI ``wifi-client-satisfaction`` (slis.yaml), whose
    metric source is the DataSource ``prometheus`` (data_sources.yaml), of the Service
    ``example-service`` (services.yaml): nothing was left out of those files, so the import
    exits 0 and reports none of them as skipped."""
    slo = tmp_path / "slo.yaml"
    slo.write_text("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: wifi}\n"
                   "spec:\n  service: example-service\n  indicatorRef: wifi-client-satisfaction\n"
                   "  timeWindow: [{duration: 28d, isRolling: true}]\n  budgetingMethod: Occurrences\n"
                   "  objectives: [{target: 0.95}]\n")
    files = [GO_SDK_V1 / "slis.yaml", GO_SDK_V1 / "data_sources.yaml", GO_SDK_V1 / "services.yaml", slo]
    report, lc = _import(*files)
    assert report.skipped == []
    spec = lc.spec("wifi")
    assert lc.config.sources[spec.source].url == "http://prometheus.example.com"
    assert spec.good.startswith("1 - (\n  sum(sum_over_time(poller_client_satisfaction_ratio[{{window}}]))")
    assert spec.total.startswith("(1 - (\n  sum(sum_over_time(poller_client_satisfaction_ratio[{{window}}]))")
    assert spec.total.endswith(")) * 0 + 1")
    assert (spec.target, spec.period) == (0.95, 28 * 86400)
    out = tmp_path / "slos.yaml"
    proc = subprocess.run([sys.executable, "-m", "slotui", "import", *map(str, files), "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "skipped" not in proc.stderr, proc.stderr
    # without the SLO, nothing refers to them: each file is still reported, and nothing is imported
    alone = import_files([str(f) for f in files[:3]])
    assert [(Path(s.file).name, s.reason) for s in alone.skipped] == [
        ("slis.yaml", "holds no SLO document (only SLI)"),
        ("data_sources.yaml", "holds no SLO document (only DataSource)"),
        ("services.yaml", "holds no SLO document (only Service)")]


def test_openslo_v2alpha_is_refused_by_its_version_and_a_linter_config_is_no_sloth_spec(tmp_path: Path) -> None:
    """OpenSLO/oslo ``test/inputs/validate/v2alpha.yaml`` (``apiVersion: openslo.com/v2alpha``) is an
    OpenSLO document of a version slotui does not read, not an unknown document; a
    ``.golangci.yml`` (``version: "2"``) is not called a Sloth spec."""
    v2 = PEERS / "OpenSLO+oslo" / "test" / "inputs" / "validate" / "v2alpha.yaml"
    lint = tmp_path / ".golangci.yml"
    lint.write_text('version: "2"\nrun: {timeout: 5m}\n')
    report = import_files([str(v2), str(lint)])
    reasons = [(s.document, s.reason) for s in report.skipped]
    assert reasons[0] == ("document 1 at line 1 (SLO 'web-availability')",
                          "apiVersion 'openslo.com/v2alpha' is not supported (expected openslo/v1 or openslo/v1alpha)")
    assert reasons[-1] == ("document 1 at line 1 (document '(unnamed)')",
                           "not an OpenSLO, Sloth or Pyrra document (apiVersion/version '2')")


def test_what_a_go_sdk_slo_needs_or_loses_is_said() -> None:
    """OpenSLO/go-sdk ``pkg/openslosdk/test_data/inline/inputs/v1_slo.yaml``: a PagerDuty target
    becomes a channel whose key is read from the environment (the variable is named, since every
    command that reads the file needs it), and a threshold objective's ``timeSliceTarget`` is named
    as not imported rather than dropped silently."""
    path = PEERS / "OpenSLO+go-sdk" / "pkg" / "openslosdk" / "test_data" / "inline" / "inputs" / "v1_slo.yaml"
    report = import_files([str(path)])
    assert report.imported == 2
    notes = [n.split(": ", 1)[1] for n in report.notes]
    assert ("notification target 'pd-on-call-notification' (pagerduty): set PD_ON_CALL_NOTIFICATION_ROUTING_KEY "
            "before using the file (every command that reads it needs the variable)") in notes
    for slo in ("my-slo-1", "my-slo-2"):
        assert (f"SLO {slo!r}: timeSliceTarget 0.95 not imported (each slice is judged by the query's value in it, "
                "not by the share of good points within it)") in notes
    assert report.config["alerts"]["channels"]["pd-on-call-notification"] == {
        "type": "pagerduty", "routing_key": "${PD_ON_CALL_NOTIFICATION_ROUTING_KEY}"}


def test_pyrra_burnrates_false_turns_the_alerts_off_and_the_alert_name_is_kept(tmp_path: Path) -> None:
    """Pyrra's CRD (examples/kubernetes/manifests/setup/pyrra-slo-CustomResourceDefinition.yaml upstream)
    has ``alerting.burnrates`` (default true; ``disabled`` is deprecated for it) and ``alerting.name``
    (the alert's name, default ErrorBudgetBurn). pyrra-dev/pyrra ``examples/pyrra-connect-errors.yaml``
    with those set: no burn-rate tiers, or tiers under the given alert name."""
    doc = yaml.safe_load((PEERS / "pyrra-dev+pyrra" / "examples" / "pyrra-connect-errors.yaml").read_text())
    quiet, named = tmp_path / "quiet.yaml", tmp_path / "named.yaml"
    quiet.write_text(yaml.safe_dump({**doc, "spec": {**doc["spec"], "alerting": {"burnrates": False}}}))
    renamed = {**doc, "metadata": {**doc["metadata"], "name": "named"},
               "spec": {**doc["spec"], "alerting": {"name": "ConnectErrorBudgetBurn", "burnrates": True}}}
    named.write_text(yaml.safe_dump(renamed))
    report, lc = _import(quiet, named)
    assert report.skipped == []
    assert lc.spec("pyrra-connect-errors").tiers == ()
    spec = lc.spec("named")
    assert len(spec.tiers) == 4 and spec.labels["alertname"] == "ConnectErrorBudgetBurn"
    assert {a["alert"] for a in _alerts(lc)} == {"ConnectErrorBudgetBurn"}
