"""The seed's quality_slos go through the model every SLO goes through (SLOConfig)."""

from __future__ import annotations

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text
from slotui.config.model import QualitySLO

DEMO = "sources:\n  demo: {type: demo}\n"


def test_a_quality_slo_is_the_slo_it_abbreviates() -> None:
    seed = load_text(DEMO + "quality_slos:\n  accuracy: {target: 0.90, warning: 0.85, critical: 0.75, unit: '%'}\n",
                     name="seed.yaml", env={})
    full = load_text(DEMO + "slos:\n  - {name: accuracy, unit: '%', sli: {field: evaluations.accuracy, agg: mean},\n"
                     "     objective: {target: 0.90, warning: 0.85, critical: 0.75}}\n", name="full.yaml", env={})
    assert seed.specs == full.specs
    (spec,) = seed.specs
    assert (spec.sli_field, spec.sli_agg, spec.direction) == ("evaluations.accuracy", "mean", "higher_is_better")


def test_as_slo_keeps_every_field() -> None:
    q = QualitySLO(target=2000, warning=2500, critical=4000, source="logs", unit="ms")
    slo = q.as_slo("latency_ms")
    assert (slo.name, slo.source, slo.unit) == ("latency_ms", "logs", "ms")
    assert (slo.sli.field, slo.sli.agg) == ("latency_ms", "mean")
    assert (slo.objective.target, slo.objective.warning, slo.objective.critical) == (2000, 2500, 4000)


def test_errors_stay_located_at_the_quality_slo() -> None:
    text = DEMO + "quality_slos:\n  accuracy: {target: 0.90, warning: 0.95, critical: 0.75}\n"
    with pytest.raises(ConfigError) as info:
        load_text(text, name="seed.yaml", env={})
    keys = [(i.key, i.line) for i in info.value.issues]
    assert keys == [("quality_slos.accuracy.warning", 4)]
