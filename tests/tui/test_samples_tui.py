"""Sample-aware SLIs in the TUI (SPEC 10.2): the ``~`` marker in the table's value cell and the detail
view's ``± half-width (n)`` with the interval line (Pilot + golden text)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import screen_text
from test_snapshots import check_golden, settle
from tui_fakes import FakeEngine, demo_specs

from slotui.core.evaluate import evaluate_slo
from slotui.core.types import SLIData, Status

pytestmark = pytest.mark.tui


class SampledEngine(FakeEngine):
    """The fake engine, with ``helpfulness`` evaluated by the real core from 12 judge scores."""

    def __init__(self, **kw) -> None:
        specs = [replace(s, significant=True) if s.name == "helpfulness" else s for s in demo_specs()]
        super().__init__(specs, **kw)

    async def tick(self, now):
        report = await super().tick(now)
        spec = next(s for s in self.specs if s.name == "helpfulness")
        data = SLIData(value=0.78, n=12, stddev=0.11, fetched_at=now,
                       slices=tuple((now - 3600 + 300 * i, 0.86) for i in range(12)))
        results = tuple(evaluate_slo(spec, data, now) if r.spec.name == "helpfulness" else r
                        for r in report.results)
        return replace(report, results=results)


def _row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if f" {name} " in line)


async def test_table_marks_a_value_whose_interval_straddles_the_target(build):
    app = build(SampledEngine())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        row = _row(text, "helpfulness")
        assert "~0.78" in row and "AT RISK" in row  # point WARNING, interval reaches 0.8499: not significant
        assert "~" not in _row(text, "accuracy")  # no count from its source: no marker
        check_golden("samples-main-120x40.txt", text)


async def test_detail_view_shows_half_width_n_and_the_interval(build):
    app = build(SampledEngine())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen_stack[0].query_one("#slos")
        table.move_cursor(row=table.get_row_index("helpfulness"))
        await pilot.press("enter")
        await settle(app, pilot)
        text = screen_text(app)
        assert "value 0.78 score ± 0.06989 score (n=12) over 1h" in text
        assert "samples n=12, 95% CI 0.7101-0.8499 score, not significant" in text
        assert "note: not significant (n=12, 95% CI 0.7101-0.8499 score)" in text
        check_golden("samples-detail-120x40.txt", text)


async def test_significant_values_carry_no_marker(build):
    engine = SampledEngine()
    engine.specs = [replace(s, significant=False) for s in engine.specs]

    async def tick(now, _tick=FakeEngine.tick):
        report = await _tick(engine, now)
        spec = next(s for s in engine.specs if s.name == "helpfulness")
        data = SLIData(value=0.60, n=50, stddev=0.05, fetched_at=now)  # whole interval under critical 0.70
        return replace(report, results=tuple(
            evaluate_slo(spec, data, now) if r.spec.name == "helpfulness" else r for r in report.results))

    engine.tick = tick
    app = build(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        row = _row(screen_text(app), "helpfulness")
        assert "0.6" in row and "~" not in row and "CRITICAL" in row
        result = next(r for r in (await engine.tick(0.0)).results if r.spec.name == "helpfulness")
        assert result.status is Status.CRITICAL and result.significant is True
