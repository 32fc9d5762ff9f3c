"""Calendar periods of a fixed length (OpenSLO calendar weeks and days): ``period_start`` in config and core."""

from __future__ import annotations

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text
from slotui.core.evaluate import evaluate_slo
from slotui.core.periods import anchored_bounds, period_bounds
from slotui.core.types import DAY, SLIData, SLOSpec

# 2026-01-05T00:00:00Z, a Monday
MONDAY = 1767571200.0

CONFIG = """\
version: 1
sources:
  prom: {{type: prometheus, url: "http://127.0.0.1:9090"}}
slos:
  - name: s
    ratio: {{good: 'sum(increase(ok[{{{{window}}}}]))', total: 'sum(increase(all[{{{{window}}}}]))'}}
    objective: {{target: 0.99}}
    period: {period}
    period_start: {start}
"""


@pytest.mark.parametrize(("now", "start"), [
    (MONDAY, MONDAY),                                  # at the anchor: a new period begins
    (MONDAY + 3 * DAY + 5, MONDAY),                    # inside the first week
    (MONDAY + 7 * DAY - 1, MONDAY),                    # its last second
    (MONDAY + 7 * DAY, MONDAY + 7 * DAY),              # the next week
    (MONDAY + 20 * DAY, MONDAY + 14 * DAY),            # the third week
    (MONDAY - 1, MONDAY - 7 * DAY),                    # before the anchor: the week before it
])
def test_anchored_bounds(now: float, start: float) -> None:
    assert anchored_bounds(now, MONDAY, 7 * DAY) == (start, 7 * DAY)


def test_config_period_start_with_offset_is_utc() -> None:
    lc = load_text(CONFIG.format(period="1w", start="2026-01-05T01:00:00+01:00"), env={})
    s = lc.spec("s")
    assert (s.period, s.period_anchor, s.rolling) == (7 * DAY, MONDAY, False)
    assert period_bounds(s, MONDAY + 8 * DAY) == (MONDAY + 7 * DAY, 7 * DAY)
    naive = load_text(CONFIG.format(period="1d", start="2026-01-05T00:00:00"), env={}).spec("s")
    assert naive.period_anchor == MONDAY


def test_period_start_with_calendar_month_is_an_error() -> None:
    with pytest.raises(ConfigError) as exc:
        load_text(CONFIG.format(period="calendar_month", start="2026-01-05T00:00:00Z"), name="slos.yaml", env={})
    assert "slos.yaml:9:19: slos[0].period_start: period_start sets calendar periods" in exc.value.render()


def test_budget_counts_only_the_current_calendar_week() -> None:
    # buckets of 1 day: (start, good, total). Last week: 100 bad of 1000; this week (2 days): 5 bad of 1000.
    buckets = ((MONDAY - 2 * DAY, 450.0, 500.0), (MONDAY - DAY, 450.0, 500.0),
               (MONDAY, 500.0, 500.0), (MONDAY + DAY, 495.0, 500.0))
    spec = SLOSpec(name="s", kind="ratio", target=0.99, direction="higher_is_better", period=7 * DAY,
                   period_anchor=MONDAY, slice=DAY, window=DAY)
    result = evaluate_slo(spec, SLIData(buckets=buckets), MONDAY + 2 * DAY)
    # this week: bad 5 of 1000, B = 0.01 -> consumed 5 / (0.01 * 1000) = 0.5, remaining 0.5
    assert result.budget.remaining == pytest.approx(0.5, abs=1e-12)
    rolling = SLOSpec(name="s", kind="ratio", target=0.99, direction="higher_is_better", period=7 * DAY,
                      slice=DAY, window=DAY)
    # rolling 7d sees last week's 100 bad too: bad 105 of 2000 -> consumed 105 / 20 = 5.25
    assert evaluate_slo(rolling, SLIData(buckets=buckets), MONDAY + 2 * DAY).budget.remaining == \
        pytest.approx(1 - 5.25, abs=1e-12)
