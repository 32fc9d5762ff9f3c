"""The Prometheus exposition passes the real ``promtool check metrics`` linter."""

from __future__ import annotations

import subprocess

import pytest
from receivers import require_binary

from slotui.core.types import Budget, BurnRate, Report, SLOResult, SLOSpec, Status
from slotui.output.exposition import render

pytestmark = pytest.mark.integration

NOW = 1_780_315_200.0


def test_promtool_accepts_the_exposition() -> None:
    tiers = (
        BurnRate("critical", 3600, 300, 14.4, 20.0, 30.0, 100, 9, True, False),
        BurnRate("warning", 3 * 86400, 6 * 3600, 1.0, None, float("nan"), 0, 0, False, True),
    )
    specs = [
        SLOSpec(name="latency", kind="threshold", target=2000, warning=3000, critical=5000,
                direction="lower_is_better", unit="ms", source="prom"),
        SLOSpec(name='we"ird\\slo\nname', kind="ratio", target=0.995, direction="higher_is_better", source="logs"),
    ]
    report = Report(
        NOW,
        (
            SLOResult(specs[0], Status.CRITICAL, NOW, value=6000.0, budget=Budget(0.01, 1.4, -0.4),
                      burn_rates=tiers, meets_target=False),
            SLOResult(specs[1], Status.NO_DATA, NOW, value=None, burn_rates=tiers),
        ),
        source_errors={"prom": "down"},
    )
    text = render(report)
    result = subprocess.run([require_binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'slotui_slo_status{slo="latency",status="CRITICAL"} 1' in text


async def test_promtool_accepts_every_family_of_the_example() -> None:
    """The example config on the demo renders every family (breakdowns, a spend forecast, sample
    counts and intervals, burn rates, budgets): the linter finds nothing (it once flagged the gauge
    ``slotui_breakdown_top_total``: ``_total`` is for counters)."""
    from slotui.config.loader import load_config
    from slotui.config.locations import EXAMPLE_CONFIG
    from slotui.engine import Engine

    engine = Engine(load_config(EXAMPLE_CONFIG))
    try:
        report = await engine.tick(NOW)
    finally:
        await engine.aclose()
    text = render(report, health=engine.health)
    for family in ("slotui_breakdown_top_events", "slotui_sli_interval_lower", "slotui_sli_samples",
                   "slotui_slo_forecast_value", "slotui_burn_rate", "slotui_error_budget_remaining_ratio"):
        assert f"\n{family}" in text or text.startswith(family), family
    result = subprocess.run([require_binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, ""), result.stdout + result.stderr
