"""Round trip: import a Sloth spec with ``slotui import``, export it with
``slotui export prometheus-rules``, and the alerting rules match the rules
Sloth itself generated for that spec (its ``examples/_gen``): the same
multi-window clauses per SLO and severity (windows, factors, error budget) and
the same recorded error-ratio windows. Compared parsed, not as text.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from test_export_sloth_roundtrip import identities, parsed

from slotui.commands.import_ import import_files, render
from slotui.config.loader import load_text
from slotui.peers.prometheus_rules import prometheus_rules

SLOTH = Path(__file__).resolve().parents[1] / "data" / "peers" / "slok+sloth" / "examples"
EXAMPLES = ["getting-started.yml", "home-wifi.yml", "multifile.yml", "kubernetes-apiserver.yml",
            "k8s-getting-started.yml"]


def load_generated(path: Path) -> dict:
    """Sloth's generated rules as one ``{"groups": [...]}``: several documents, or PrometheusRule CRDs."""
    groups = []
    for doc in yaml.safe_load_all(path.read_text().replace("{{ .version }}", "test")):
        if doc:
            groups += doc.get("groups") or (doc.get("spec") or {}).get("groups") or []
    return {"groups": groups}


@pytest.mark.parametrize("name", EXAMPLES)
def test_import_then_export_gives_slothes_own_alerts(name: str, tmp_path: Path) -> None:
    report = import_files([str(SLOTH / name)])
    assert report.config["slos"], report.skipped
    text = render(report.config, report.notes, [str(SLOTH / name)])
    loaded = load_text(text, name=str(tmp_path / "slos.yaml"), env={}, base_dir=tmp_path)
    sources = {n: s["type"] for n, s in report.config["sources"].items()}
    export = prometheus_rules(loaded.specs, sources)
    ours, our_windows = parsed(export.rules)
    theirs, their_windows = parsed(load_generated(SLOTH / "_gen" / name))
    # the same sloth_id, sloth_service and sloth_slo: dashboards and the recorded read path find them
    assert identities(export.rules) == identities(load_generated(SLOTH / "_gen" / name))
    assert theirs, "no alerts parsed from Sloth's rules"
    assert sorted(ours) == sorted(theirs)
    for key, their_clauses in theirs.items():
        our_clauses = ours[key]
        assert [(s, l) for s, l, _, _ in our_clauses] == [(s, l) for s, l, _, _ in their_clauses], key
        for (_, _, f1, b1), (_, _, f2, b2) in zip(our_clauses, their_clauses):
            assert math.isclose(f1 * b1, f2 * b2, rel_tol=1e-9), (key, f1 * b1, f2 * b2)
    # every window an alert reads is recorded in both rule sets, and the SLOs record the same windows
    for slo in {k[0] for k in ours}:
        needed = {w for k, cl in ours.items() if k[0] == slo for s, l, _, _ in cl for w in (s, l)}
        assert needed <= our_windows[slo] and needed <= their_windows[slo]
        assert our_windows[slo] == their_windows[slo], slo
