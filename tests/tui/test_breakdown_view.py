"""The breakdown (SPEC 10.1) in the TUI: the detail view's ranked table (top group highlighted)
and the one-line hint in the main table's row. Pilot + golden text."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import screen_text
from test_snapshots import check_golden, settle
from tui_fakes import FakeEngine

from slotui.core.breakdown import evaluate_breakdowns
from slotui.core.types import GroupData, Report, SLOSpec

pytestmark = pytest.mark.tui

GROUPS = {
    # availability at 96.67%: gpt-4o-mini has 90 of the 100 bad events
    "availability": (GroupData("gen_ai.request.model", 3600.0, counts={
        "gpt-4o": (990.0, 1000.0), "gpt-4o-mini": (910.0, 1000.0), "claude": (1000.0, 1000.0)}),),
    # p95 3,400 ms: /search's 4-8 s requests; without them 1,950 ms (OK)
    "response_time_p95_ms": (GroupData("route", 3600.0, values={
        "/chat": [1000.0, 1250.0, 1500.0, 1750.0, 2000.0], "/search": [4000.0, 6000.0, 8000.0]}),),
}


class BreakdownEngine(FakeEngine):
    """The fake engine's report, with breakdowns computed by the core from fixed groups."""

    def __init__(self) -> None:
        super().__init__()
        self.specs = [_with_breakdown(s) for s in self.specs]

    async def tick(self, now: float) -> Report:
        report = await super().tick(now)
        results = tuple(replace(r, breakdowns=evaluate_breakdowns(r.spec, GROUPS[r.spec.name]))
                        if r.spec.name in GROUPS else r for r in report.results)
        return replace(report, results=results)


def _with_breakdown(spec: SLOSpec) -> SLOSpec:
    if spec.name == "response_time_p95_ms":
        return replace(spec, sli_agg="p95", breakdown=("route",))
    if spec.name == "availability":
        return replace(spec, breakdown=("gen_ai.request.model",))
    return spec


async def test_detail_view_ranks_the_groups_and_the_main_row_hints(build):
    app = build(BreakdownEngine())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        main = screen_text(app)
        row = next(ln for ln in main.splitlines() if " response_time_p95_ms " in f" {ln} ")
        assert "← /search" in row  # in the trend column, instead of the sparkline
        avail = next(ln for ln in main.splitlines() if " availability " in f" {ln} ")
        # the culprit is gpt-4o-mini: cut at the front of the label ("← gpt-4o…" named another model)
        assert "← …o-mini" in avail
        assert sum("←" in ln for ln in main.splitlines()) == 2  # no hint without a breakdown
        table = app.screen_stack[0].query_one("#slos")
        table.move_cursor(row=table.get_row_index("response_time_p95_ms"))
        await pilot.press("enter")
        await settle(app, pilot)
        text = screen_text(app)
        lines = text.splitlines()
        at = next(i for i, ln in enumerate(lines) if "Breakdown over 1h" in ln)
        first, second = lines[at + 2], lines[at + 3]
        assert "route=/search" in first and "7,800 ms" in first and "1,950 ms" in first and "OK" in first
        assert "route=/chat" in second and "CRITICAL" in second
        check_golden("breakdown-detail-120x40.txt", text)


def test_top_group_row_is_highlighted() -> None:
    from slotui.core.evaluate import evaluate_slo
    from slotui.core.types import SLIData
    from slotui.tui.cells import Palette
    from slotui.tui.screens.detail import breakdown_table

    spec = SLOSpec(name="availability", kind="ratio", target=0.99, direction="higher_is_better",
                   breakdown=("gen_ai.request.model",))
    r = evaluate_slo(spec, SLIData(buckets=((0.0, 2900.0, 3000.0),), groups=GROUPS["availability"]), 300.0)
    palette = Palette({})
    table = breakdown_table(r, palette)
    assert [c.header for c in table.columns] == ["#", "group", "total", "bad", "of bad", "burn", "value",
                                                 "without", "status without"]
    assert [str(c) for c in table.columns[1].cells] == ["gen_ai.request.model=gpt-4o-mini", "gen_ai.request.model=gpt-4o",
                                            "gen_ai.request.model=claude"]
    assert [str(c) for c in table.columns[4].cells] == ["90.0%", "10.0%", "0.0%"]
    assert "bold" in str(table.rows[0].style) and palette["warning"] in str(table.rows[0].style)
    assert not table.rows[1].style
