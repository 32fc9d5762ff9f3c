"""Screens at a fixed size with a pinned clock: golden text of the table and detail view, and the real demo.

Golden files live in tests/tui/golden/; regenerate them after an intended change with
``SLOTUI_UPDATE_GOLDEN=1 pytest tests/tui/test_snapshots.py`` and review the diff.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import screen_text

pytestmark = pytest.mark.tui
GOLDEN = Path(__file__).parent / "golden"


async def settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def check_golden(name: str, text: str) -> None:
    text = "\n".join(line.rstrip() for line in text.splitlines()).rstrip() + "\n"
    path = GOLDEN / name
    if os.environ.get("SLOTUI_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: run with SLOTUI_UPDATE_GOLDEN=1 and review it")
    assert text == path.read_text(encoding="utf-8"), f"screen differs from {path}"


def test_a_missing_golden_fails_without_the_update_flag(tmp_path, monkeypatch):
    """A lost golden file must fail the test, not be written silently."""
    monkeypatch.delenv("SLOTUI_UPDATE_GOLDEN", raising=False)
    monkeypatch.setattr(sys.modules[__name__], "GOLDEN", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="is missing"):
        check_golden("nowhere.txt", "screen\n")
    assert not (tmp_path / "nowhere.txt").exists()
    monkeypatch.setenv("SLOTUI_UPDATE_GOLDEN", "1")
    check_golden("nowhere.txt", "screen\n")
    assert (tmp_path / "nowhere.txt").read_text(encoding="utf-8") == "screen\n"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_main_table_golden(build, size):
    app = build()
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        check_golden(f"main-{size[0]}x{size[1]}.txt", screen_text(app))


async def test_detail_golden(build):
    app = build()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the worst SLO is on top
        await settle(app, pilot)
        check_golden("detail-120x40.txt", screen_text(app))


# ------------------------------------------------------------------------------ the real demo

DEMO_NOW = 1_780_000_000.0  # pinned: the demo source is deterministic for a given seed and time


def demo_app(tmp_path, size_clock=DEMO_NOW):
    from slotui.alerting.service import Alerting
    from slotui.config.loader import load_config
    from slotui.engine import Engine
    from slotui.store import Store
    from slotui.tui.app import make_app
    from slotui.tui.engine_backend import EngineBackend
    from slotui.tui.settings import TuiSettings

    loaded = load_config(None)

    def factory():
        store = Store.open(tmp_path / "state.db")
        alerting = Alerting.from_config(loaded, store)
        engine = Engine(loaded, store=store, alerting=alerting)
        return EngineBackend(engine, store=store, alerting=alerting, owns_store=True, dispatch=False)

    return make_app(backend=factory, clock=lambda: size_clock, settings=TuiSettings(), poll=False, author="tester")


async def test_demo_main_table_at_120x40(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo's file channel writes relative to the cwd
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        results = app.snapshot.report.results
        assert len(results) == 6
        assert "SLOs meeting target" in text and "refreshed" in text
        for header in ("Status", "SLO", "Value", "Target", "Trend", "Budget left", "Burn", "Source"):
            assert header in text
        # worst first: the table order follows the status rank
        order = app.screen_stack[0].query_one("#slos").order
        ranks = {r.spec.name: r.status.rank for r in results}
        assert [ranks[n] for n in order] == sorted(ranks.values(), reverse=True)
        first_row = next(ln for ln in text.splitlines() if order[0] in ln)
        worst = max(results, key=lambda r: r.status.rank)
        assert worst.status.value in first_row
        # every row carries its value with unit and a percentage of budget
        for r in results:
            line = next(ln for ln in text.splitlines() if f" {r.spec.name} " in ln)
            assert "%" in line and ("✓ demo" in line or "✗" in line)
        # a second run at the same pinned moment draws the same screen
    app2 = demo_app(tmp_path / "again")
    (tmp_path / "again").mkdir(exist_ok=True)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(app2, pilot)
        assert _table_rows(screen_text(app2)) == _table_rows(text)


def _table_rows(text: str) -> list[str]:
    lines = text.splitlines()
    return [ln.rstrip() for ln in lines[2:9]]


async def test_demo_detail_view(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen_stack[0].query_one("#slos")
        table.move_cursor(row=table.get_row_index("response_time_p95_ms"))
        await pilot.press("enter")
        await settle(app, pilot)
        text = screen_text(app)
        assert "response_time_p95_ms" in text
        assert "target ≤ 2,000 ms" in text and "warning 3,000 ms" in text and "critical 5,000 ms" in text
        assert "SLI over the period (" in text and " target" in text
        assert "Burn rate per tier" in text and "14.4x" in text
        assert "Error budget" in text and "remaining" in text
        assert "runbook https://runbooks.example/support-bot/latency" in text
        assert "Breakdown over 1h" in text and "gen_ai.request.model=" in text  # the example config's breakdown
        app.screen.query_one("#detail-body").scroll_end(animate=False)  # the source query is at the bottom
        await settle(app, pilot)
        assert "p95(duration_ms)" in screen_text(app)


async def test_demo_ratio_detail_shows_budget_over_time_on_the_first_refresh(tmp_path, monkeypatch):
    # The budget timeline of a ratio SLO comes from the period's event buckets,
    # so it is there at once, not only after the app has seen a few refreshes.
    monkeypatch.chdir(tmp_path)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.refresh_count == 1
        table = app.screen_stack[0].query_one("#slos")
        table.move_cursor(row=table.get_row_index("availability"))
        await pilot.press("enter")
        await settle(app, pilot)
        lines = screen_text(app).splitlines()
        at = next(i for i, ln in enumerate(lines) if "remaining over time (period to date):" in ln)
        spark = lines[at + 1].strip()
        assert len(spark) >= 20 and set(spark) <= set("▁▂▃▄▅▆▇█ ")


async def test_forecast_demo_spend_row_and_detail(tmp_path, monkeypatch):
    # monthly_spend on the pinned demo moment (May 28 2026 20:26:40 UTC): the row shows spend so far ->
    # by the end of May and the day the budget goes; the detail view draws it against the budget line
    from slotui import formatting as fmt

    monkeypatch.chdir(tmp_path)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        spend = next(r for r in app.snapshot.report.results if r.spec.name == "monthly_spend")
        f = spend.forecast
        assert f is not None and f.value_at_end > spend.spec.target and f.exhausted_at is not None
        cell = fmt.forecast_cell(f, spend.spec)
        assert cell.startswith("$") and "→" in cell and cell.endswith("✖29")  # gone on May 29
        row = next(ln for ln in screen_text(app).splitlines() if " monthly_spend " in ln)
        assert cell in row
        table = app.screen_stack[0].query_one("#slos")
        table.move_cursor(row=table.get_row_index("monthly_spend"))
        await pilot.press("enter")
        await settle(app, pilot)
        text = screen_text(app)
        assert f"Spend over the month: {fmt.forecast_text(f, spend.spec)}" in text
        assert "by May 31, budget gone May 29" in text and "the projection to the end is dimmed" in text
        assert "≤ $180,000" in text and "$6,201/day over 1d" in text
        assert f"value $173,144.20 (n={spend.n:,}) over the month so far" in text
