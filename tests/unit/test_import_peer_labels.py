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
