"""A ratio SLO whose source failed before it ever answered has unknown counts, not a quiet hour:
``check -o json`` said ``good: 0, total: 0, n: 0`` and budget ``good: 0, total: 0, bad: 0`` for a
Prometheus that was down, which a script testing ``total == 0`` reads as "no traffic"
(report-schema.md: a value that could not be computed is null). ``display.spread`` read ``—, n=0``
for a window with no value."""

from __future__ import annotations

import json

from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DEFAULT_PERIOD_TIERS, HOUR, SLIData, SLOSpec
from slotui.core.types import Report
from slotui.output.json_report import render

NOW = 1_780_315_200.0
SPEC = SLOSpec(name="avail", kind="ratio", target=0.995, direction="higher_is_better", source="p",
               good="sum(up)", total="count(up)", window=HOUR, period=7 * 86400.0, slice=300.0,
               tiers=DEFAULT_PERIOD_TIERS)


def _slo(data: SLIData) -> dict:
    result = evaluate_slo(SPEC, data, NOW)
    return json.loads(render(Report(NOW, (result,))))["slos"][0]


def test_a_failed_source_gives_unknown_counts_not_zero() -> None:
    slo = _slo(SLIData(error="cannot connect to http://127.0.0.1:1"))
    assert (slo["status"], slo["good"], slo["total"], slo["n"]) == ("NO DATA", None, None, None)
    budget = slo["budget"]
    assert (budget["good"], budget["total"], budget["bad"], budget["allowed_bad"]) == (None, None, None, None)
    assert slo["display"]["spread"] is None and slo["display"]["samples"] is None


def test_a_quiet_window_still_counts_zero_events() -> None:
    slo = _slo(SLIData(windows={HOUR: (0.0, 0.0)}, buckets=((NOW - 600, 0.0, 0.0),), fetched_at=NOW))
    assert (slo["good"], slo["total"], slo["n"]) == (0, 0, 0)
    assert slo["display"]["spread"] is None  # no value to give the precision of
    assert slo["display"]["samples"] == "n=0, no interval"
