"""Imported Sloth SLOs alert on the same windows, factors and thresholds as Sloth's own generated rules.

``tests/data/peers/slok+sloth/examples/_gen/`` holds the Prometheus rules
Sloth generated for its examples (upstream's expected outputs). Each alert
expression names ``slo:sli_error:ratio_rate<window>`` compared with
``(<factor> * <error budget>)``; the imported SLO's tiers must give the same
(short window, long window, factor) per severity, and the same budget.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from slotui.commands.import_ import import_files, render
from slotui.config.durations import parse_duration
from slotui.config.loader import load_text

SLOTH = Path(__file__).resolve().parents[1] / "data" / "peers" / "slok+sloth" / "examples"
PAIR = re.compile(r"ratio_rate(\w+)\{[^}]*sloth_id=\"([^\"]+)\"[^}]*\} > \(([\d.]+) \* ([\d.e-]+)\)")


def _sloth_alerts(path: Path) -> dict[str, dict[str, set[tuple[float, float, float]]]]:
    """sloth_id -> severity (page/ticket) -> {(short, long, factor)}, and the budget each uses."""
    out: dict[str, dict[str, set[tuple[float, float, float]]]] = {}
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc:
            continue
        groups = doc.get("groups") or (doc.get("spec") or {}).get("groups") or []
        for group in groups:
            for rule in group.get("rules", []):
                if "alert" not in rule:
                    continue
                severity = "page" if "(page)" in str(rule.get("annotations", {}).get("title", "")) else "ticket"
                found = PAIR.findall(rule["expr"])
                for (w1, sid, f1, b1), (w2, _, f2, _) in zip(found[::2], found[1::2]):
                    assert f1 == f2
                    short, long = sorted((float(parse_duration(w1)), float(parse_duration(w2))))
                    out.setdefault(sid, {}).setdefault(severity, set()).add((short, long, float(f1)))
                    out[sid].setdefault("budget", set()).add((float(b1), 0.0, 0.0))
    return out


@pytest.mark.parametrize("example", ["getting-started.yml", "home-wifi.yml", "multifile.yml",
                                     "kubernetes-apiserver.yml", "k8s-getting-started.yml", "raw-home-wifi.yml",
                                     "no-alerts.yml"])
def test_windows_factors_and_budget_match_sloths_generated_rules(example: str) -> None:
    expected = _sloth_alerts(SLOTH / "_gen" / example)
    report = import_files([str(SLOTH / example)])
    assert report.skipped == []
    lc = load_text(render(report.config, report.notes, []), env={})
    assert lc.specs
    for spec in lc.specs:
        got: dict[str, set[tuple[float, float, float]]] = {}
        for t in spec.tiers:
            severity = "page" if t.severity == "critical" else "ticket"
            got.setdefault(severity, set()).add(
                (t.short_window, t.long_window, round(t.effective_factor(spec.period), 9)))
        want = {k: v for k, v in expected.get(spec.name, {}).items() if k != "budget"}
        assert got == want, spec.name
        assert bool(want) == (example != "no-alerts.yml")  # Sloth pages and tickets unless disabled
        for budget, _, _ in expected.get(spec.name, {}).get("budget", set()):
            # Sloth writes 1 - 0.999 in binary floating point (0.0009999999999999432)
            assert spec.budget == pytest.approx(budget, rel=1e-12)
