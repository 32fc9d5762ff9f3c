"""Robustness of ``slotui export prometheus-rules``: generated SLOs with hostile text.

Family: every piece of user text the exporter copies into rules (SLO name,
service, label names and values, description, runbook, unit, alertname) and
every number it writes (objectives, factors, thresholds). Cases that failed
before the fixes: an SLO name or label value with ``{{`` broke the alert
templates (promtool: 'function "x" not defined'), label names such as
``bad-name`` made invalid rules, ``0.57 * 100`` wrote ``sloth_objective``
56.99999999999999.

A seeded generator builds a file of SLOs from those families; the real
``promtool check rules`` must accept its export, and every value must read back
unchanged (YAML, label selectors, template escaping undone as Prometheus does).
"""

from __future__ import annotations

import math
import random
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.core.types import DAY, HOUR, MINUTE, BurnTier, SLOSpec
from slotui.peers.prometheus_rules import dump_rules, percent, prometheus_rules, selector, template_literal
from slotui.sources.kit.sloth_ids import sloth_slo
from tests.integration.prometheus_server import require_binary

NASTY = ['"', "\\", "{{", "}}", "{", "}", "$", "'", "\n", " ", ":", "#", "&", "|", "ü", "名", "`", "%", "-", ".", "=~"]
PLAIN = "abcxyz019_"


def nasty_text(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice(NASTY) if rng.random() < 0.4 else rng.choice(PLAIN) for _ in range(rng.randint(1, n)))


def generated_specs(seed: int, count: int = 40) -> list[SLOSpec]:
    rng = random.Random(seed)
    specs = []
    for i in range(count):
        labels = {nasty_text(rng, 5) if rng.random() < 0.3 else f"l{j}": nasty_text(rng) for j in range(rng.randint(0, 3))}
        if rng.random() < 0.7:
            labels["service"] = nasty_text(rng)
        if rng.random() < 0.2:
            labels["alertname"] = rng.choice(["Custom_1", "bad name", "{{x}}"])
        common = dict(
            name=f"{nasty_text(rng)}-{i}", source="prom", labels=labels, description=nasty_text(rng, 20),
            runbook=rng.choice([None, "https://r.example/" + nasty_text(rng)]), unit=rng.choice(["", "ms", "{{u}}"]),
            for_=rng.choice([0.0, 60.0, 90.5]),
        )
        if rng.random() < 0.6:
            tiers = tuple(
                BurnTier(rng.choice(["critical", "warning"]), long, long / rng.choice([4, 12]),
                         budget_fraction=rng.choice([None, 0.02, 0.1]) or None,
                         factor=None)
                for long in rng.sample([HOUR, 6 * HOUR, DAY, 3 * DAY], rng.randint(0, 3))
            )
            tiers = tuple(t if t.budget_fraction else BurnTier(t.severity, t.long_window, t.short_window, factor=2.5)
                          for t in tiers)
            specs.append(SLOSpec(
                kind="ratio", direction="higher_is_better", target=rng.choice([0.9, 0.99, 0.995, 0.999, 0.57, 0.9999]),
                good='sum(rate(ok_total{x="' + str(i) + '"}[{{window}}]))', total="sum(rate(all_total[{{window}}]))",
                period=rng.choice([7 * DAY, 28 * DAY, 30 * DAY]), window=rng.choice([5 * MINUTE, HOUR, 1.5]),
                tiers=tiers, calendar_month=rng.random() < 0.1, **common,
            ))
        else:
            lower = rng.random() < 0.5
            target = rng.choice([2000.0, 0.85, 1e-7, 123456789.125])
            step = target * rng.choice([0.1, 0.5])
            warning, critical = (target + step, target + 2 * step) if lower else (target - step, target - 2 * step)
            specs.append(SLOSpec(
                kind="threshold", direction="lower_is_better" if lower else "higher_is_better",
                target=target, warning=warning, critical=critical,
                query="max(max_over_time(m[{{window}}]))", window=5 * MINUTE, **common,
            ))
    return specs


def untemplate(text: str) -> str:
    """What Prometheus prints for a template made of literal text and ``{{"..."}}`` actions."""
    return re.sub(r'\{\{"(\{\{|\}\})"\}\}', r"\1", text)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_promtool_accepts_the_export_of_generated_slos(seed: int, tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    specs = generated_specs(seed)
    export = prometheus_rules(specs, {"prom": "prometheus"})
    assert len(export.exported) == len(specs)
    path = tmp_path / "rules.yaml"
    path.write_text(dump_rules(export.rules))
    checked = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    back = yaml.safe_load(path.read_text())
    for spec, group in zip(specs, back["groups"]):
        for rule in group["rules"]:
            if "record" in rule:
                name = sloth_slo(spec)  # spec.name, less a "<service>-" prefix
                assert rule["labels"]["sloth_slo"] == name
                assert rule["labels"]["sloth_id"] == f"{rule['labels']['sloth_service']}-{name}"
                if "burn_rate" in rule["record"] or "remaining" in rule["record"]:
                    assert selector({"sloth_slo": name}).strip("{}") in rule["expr"]
            else:
                assert untemplate(rule["labels"]["slo"]) == spec.name
                assert rule["labels"]["severity"] in ("critical", "warning")
                if spec.runbook:
                    assert untemplate(rule["annotations"]["runbook_url"]) == spec.runbook
                if spec.description:
                    assert untemplate(rule["annotations"]["description"]) == spec.description


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=30))
def test_template_literal_reads_back_as_the_text(text: str) -> None:
    escaped = template_literal(text)
    assert untemplate(escaped) == text
    # No template action is left open: every "{{" starts one of the literal actions.
    assert re.sub(r'\{\{"(\{\{|\}\})"\}\}', "", escaped).count("{{") == 0


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value="0.001", max_value="0.99999", places=5))
def test_objective_percent_is_the_decimal_percent(share) -> None:  # type: ignore[no-untyped-def]
    text = percent(float(share))
    assert math.isclose(float(text), float(share) * 100, rel_tol=1e-12)
    assert len(text.split(".")[-1]) <= 3 if "." in text else True
