"""The table redraws a forecast SLO's value cell when only the projection moves (SPEC 10.4)."""

from __future__ import annotations

from datetime import datetime, timezone

from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, SLIData, SLOSpec
from slotui.tui.widgets.slo_table import RowModel, SLOTable

SPEND = SLOSpec(name="monthly_spend", kind="threshold", target=3000, direction="lower_is_better", unit="usd",
                sli_field="gen_ai.usage.cost", sli_agg="sum", window=30 * DAY, period=30 * DAY,
                calendar_month=True, calendar_window="month", forecast=True)
NOW = datetime(2026, 11, 11, tzinfo=timezone.utc).timestamp()


def test_value_signature_follows_the_projection() -> None:
    table = SLOTable()
    # the same $1,050 so far; $150 vs $100 in the last 24h: 4050 vs 3050 by Nov 30, both AT RISK
    moving = evaluate_slo(SPEND, SLIData(value=1050.0, basis_value=150.0), NOW)
    still = evaluate_slo(SPEND, SLIData(value=1050.0, basis_value=100.0), NOW)
    assert (moving.value, moving.status) == (still.value, still.status)
    assert table._signature("value", RowModel(moving)) != table._signature("value", RowModel(still))
    assert table._signature("value", RowModel(still)) == table._signature(
        "value", RowModel(evaluate_slo(SPEND, SLIData(value=1050.0, basis_value=100.0), NOW)))
