"""The length of a calendar-month period as reported: the month's own, not a nominal 30 days.

Burn-rate factors and ``time_left`` already used the month's length (29 days in February 2028),
but ``check --format json`` wrote ``"period": 2592000.0`` (30 days) for every calendar month, and
notifications said "Error budget remaining: ... of 30d" and ``"period": 2592000.0`` in their
context. Worked by hand: February 2028 is 29 x 86,400 = 2,505,600 s, March 31 x 86,400 = 2,678,400 s;
a rolling 7d period stays 604,800 s.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from slotui.alerting.context import describe
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, SLIData, SLOSpec
from slotui.output.json_report import slo_dict


def _at(*ymdh: int) -> float:
    return datetime(*ymdh, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("now", "calendar", "seconds", "shown"),
    [
        (_at(2028, 2, 29, 12), True, 2_505_600.0, "of 29d."),
        (_at(2028, 3, 1, 2), True, 2_678_400.0, "of 31d."),
        (_at(2027, 2, 15, 0), True, 2_419_200.0, "of 28d."),
        (_at(2028, 2, 29, 12), False, 604_800.0, "of 7d."),
    ],
)
def test_json_and_notifications_give_the_period_evaluated(now: float, calendar: bool, seconds: float,
                                                          shown: str) -> None:
    spec = SLOSpec(name="av", kind="ratio", target=0.9, direction="higher_is_better", calendar_month=calendar,
                   period=7 * DAY)
    result = evaluate_slo(spec, SLIData(buckets=((now - 3600, 95.0, 100.0),)), now)
    assert slo_dict(result)["period"] == seconds
    assert slo_dict(result)["calendar_month"] is calendar
    _labels, annotations, context = describe(result, "warning")
    assert context["period"] == seconds
    assert shown in annotations["description"]
