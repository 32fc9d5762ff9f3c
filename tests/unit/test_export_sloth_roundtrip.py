"""Round trip against Sloth: the exported alerting rules match Sloth's own generated rules.

For each Sloth spec in ``tests/data/sloth/upstream`` (with the rules Sloth
generated for it), a hand-written slotui SLO file says the same thing;
exporting it must give, per SLO and per severity, the same multi-window
clauses: the same (short, long) windows, burn-rate factors and thresholds
(factor x error budget), and the same recorded error-ratio windows. Rule
sets are compared parsed, not as text.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from slotui.config.loader import load_config
from slotui.peers.prometheus_rules import prometheus_rules

DATA = Path(__file__).resolve().parents[1] / "data" / "sloth"
UPSTREAM = DATA / "upstream"
TESTDATA = UPSTREAM / "test" / "integration" / "prometheus" / "testdata"

PAIRS = [
    ("getting-started.slos.yaml", UPSTREAM / "examples" / "_gen" / "getting-started.yml"),
    ("in-base.slos.yaml", TESTDATA / "out-base.yaml.tpl"),
    ("in-base-28d.slos.yaml", TESTDATA / "out-base-28d.yaml.tpl"),
    ("in-base-custom-windows-7d.slos.yaml", TESTDATA / "out-base-custom-windows-7d.yaml.tpl"),
]

_CLAUSE = re.compile(
    r"max\(slo:sli_error:ratio_rate(?P<window>\w+)\{(?P<sel>[^}]*)\}\s*>\s*"
    r"\((?P<factor>[0-9.e+-]+)\s*\*\s*(?P<budget>[0-9.e+-]+)\)\)\s*without\s*\(sloth_window\)"
)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def seconds(duration: str) -> int:
    return sum(int(n) * _SECONDS[u] for n, u in re.findall(r"(\d+)([smhdw])", duration))


def load_rules(path: Path) -> dict[str, Any]:
    text = path.read_text()
    text = text.replace("{{ .version }}", "test")  # Sloth's expectation templates
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert len(docs) == 1
    return docs[0]


def identities(rules: dict[str, Any]) -> set[tuple[str, str, str]]:
    """``(sloth_id, sloth_service, sloth_slo)`` of every error-ratio recording."""
    return {(r["labels"]["sloth_id"], r["labels"]["sloth_service"], r["labels"]["sloth_slo"])
            for g in rules["groups"] for r in g["rules"] if r.get("record", "").startswith("slo:sli_error:ratio_rate")}


def parsed(rules: dict[str, Any]) -> tuple[dict[tuple[str, str], list[tuple[int, int, float, float]]], dict[str, set[int]]]:
    """``{(sloth_id, page|ticket): sorted [(short s, long s, factor, budget)]}`` and recorded windows per SLO."""
    alerts: dict[tuple[str, str], list[tuple[int, int, float, float]]] = {}
    recorded: dict[str, set[int]] = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("record", "").startswith("slo:sli_error:ratio_rate"):
                labels = rule["labels"]
                recorded.setdefault(labels["sloth_id"], set()).add(seconds(labels["sloth_window"]))
            if "alert" not in rule:
                continue
            matches = list(_CLAUSE.finditer(rule["expr"]))
            assert matches and len(matches) % 2 == 0, rule["expr"]
            ids = {re.search(r'sloth_id="([^"]+)"', m["sel"]).group(1) for m in matches}  # type: ignore[union-attr]
            assert len(ids) == 1
            clauses = []
            for short, long in zip(matches[::2], matches[1::2]):
                assert (short["factor"], short["budget"]) == (long["factor"], long["budget"])
                a, b = seconds(short["window"]), seconds(long["window"])
                clauses.append((min(a, b), max(a, b), float(short["factor"]), float(short["budget"])))
            key = (ids.pop(), rule["labels"]["sloth_severity"])
            assert key not in alerts, f"two alerts for {key}"
            alerts[key] = sorted(clauses)
    return alerts, recorded


@pytest.mark.parametrize(("slotui_file", "sloth_rules"), PAIRS, ids=[p[0] for p in PAIRS])
def test_exported_alerts_match_sloth_generated_rules(slotui_file: str, sloth_rules: Path) -> None:
    loaded = load_config(DATA / "slotui" / slotui_file)
    export = prometheus_rules(loaded.specs, {"prom": "prometheus"})
    assert not export.skipped
    ours, our_windows = parsed(export.rules)
    theirs, their_windows = parsed(load_rules(sloth_rules))
    assert identities(export.rules) == identities(load_rules(sloth_rules))  # the same series names
    assert theirs, "no alerts parsed from Sloth's rules"
    assert sorted(ours) == sorted(theirs)
    for key, their_clauses in theirs.items():
        our_clauses = ours[key]
        assert [(s, l) for s, l, _, _ in our_clauses] == [(s, l) for s, l, _, _ in their_clauses], key
        for (_, _, f1, b1), (_, _, f2, b2) in zip(our_clauses, their_clauses):
            assert math.isclose(f1, f2, rel_tol=1e-12), (key, f1, f2)
            assert math.isclose(b1, b2, rel_tol=1e-9), (key, b1, b2)
            assert math.isclose(f1 * b1, f2 * b2, rel_tol=1e-9), (key, f1 * b1, f2 * b2)
    # Every window an alert reads is recorded, in both rule sets.
    for key, clauses in ours.items():
        needed = {w for s, l, _, _ in clauses for w in (s, l)}
        assert needed <= our_windows[key[0]] and needed <= their_windows[key[0]]
    # SLOs with alerts record the same windows as Sloth (Sloth records them for every SLO).
    for slo in {k[0] for k in ours}:
        assert our_windows[slo] == their_windows[slo], slo
    # ... under the same names, as text: a 28-day period is Sloth's ratio_rate4w (sloth_window "4w"), not 28d,
    # and the period burn rate reads that record
    our_names, their_names = record_names(export.rules), record_names(load_rules(sloth_rules))
    for slo in {k[0] for k in ours}:
        assert our_names[slo] == their_names[slo], slo
        assert period_record(export.rules, slo) == period_record(load_rules(sloth_rules), slo)


def record_names(rules: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """``{sloth_id: {(record name, sloth_window)}}`` of the error-ratio recordings, as written."""
    out: dict[str, set[tuple[str, str]]] = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("record", "").startswith("slo:sli_error:ratio_rate"):
                out.setdefault(rule["labels"]["sloth_id"], set()).add((rule["record"], rule["labels"]["sloth_window"]))
    return out


def period_record(rules: dict[str, Any], slo: str) -> str:
    """The error-ratio record that ``slo:period_burn_rate:ratio`` of ``slo`` reads."""
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("record") == "slo:period_burn_rate:ratio" and rule["labels"]["sloth_id"] == slo:
                return re.match(r"\s*(slo:sli_error:ratio_rate\w+)", rule["expr"]).group(1)  # type: ignore[union-attr]
    raise AssertionError(f"no period burn rate for {slo}")


def test_the_parser_sees_a_changed_factor() -> None:
    """The comparison can fail: a 14.4 turned into 14.5 is a different rule set."""
    rules = load_rules(UPSTREAM / "examples" / "_gen" / "getting-started.yml")
    theirs, _ = parsed(rules)
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["expr"] = rule["expr"].replace("(14.4 *", "(14.5 *")
    changed, _ = parsed(rules)
    assert changed != theirs
    assert changed[("myservice-requests-availability", "page")][0][2] == 14.5
