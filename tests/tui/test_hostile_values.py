"""Numbers and names that do not fit: the table says so instead of showing a shorter, wrong value."""

from __future__ import annotations

import pytest
from conftest import SIZE, screen_text
from test_app import settle, table
from tui_fakes import FakeEngine, spec

from slotui.core.types import Status
from slotui.tui.cells import Palette, budget_cell

pytestmark = pytest.mark.tui


@pytest.mark.parametrize(("remaining", "bar", "expected"), [
    (0.45, 6, "━━━───   45.0%"),
    (-0.35, 6, "──────  -35.0%"),
    (-99.0, 6, "────── -9,900%"),
    # 8 characters and more: the (empty) bar gives way, a space stays before the sign
    (-999.99, 6, "───── -99,999%"),
    (-9999.0, 6, "──── -999,900%"),
    (-99999.0, 6, "── -9,999,900%"),
    (-99999.0, 5, "─ -9,999,900%"),
    (-1e12, 6, "─── -1.00e+14%"),  # -100,000,000,000,000% is longer than the cell
    (None, 6, "──────       —"),
])
def test_budget_figure_is_never_cut(remaining, bar, expected):
    text = budget_cell(remaining, bar_width=bar, palette=Palette({}), ascii_bar=False)
    assert text.plain == expected
    assert text.cell_len == bar + 8


@pytest.mark.parametrize(("value", "unit", "kind", "mark", "expected"), [
    (0.9003, "", "threshold", "stale", "0.9003 stale"),  # "0.9003 (stale)" is 14 cells: the parentheses go
    (1500.0, "ms", "threshold", "stale", "1,500 (stale)"),  # the unit goes first (the Target column says it)
    (0.9962, "", "ratio", "stale", "99.62% stale"),
    (12345.6, "ms", "threshold", "low", "12,346 (low)"),
    (1234567.0, "ms", "threshold", "low", "1,234,567 low"),
    (842.0, "ms", "threshold", "low", "842 ms (low)"),  # fits whole
    (0.78, "", "threshold", "low", "0.78 (low)"),
])
def test_value_marks_stale_and_low_are_never_cut(value, unit, kind, mark, expected):
    """The 13-cell Value column cut "1,500 ms (stale)" to "1,500 ms (st…": the mark is kept whole."""
    from dataclasses import replace

    from slotui.tui.cells import value_cell
    from slotui.tui.widgets.slo_table import FIXED_WIDTH
    from tui_fakes import NOW, result

    s = replace(spec("x", kind=kind), unit=unit)
    r = result(s, Status.STALE if mark == "stale" else Status.OK, value, 0.5, NOW)
    r = replace(r, stale=mark == "stale", low_traffic=mark == "low")
    text = value_cell(r, Palette({}), FIXED_WIDTH["value"])
    assert text.plain == expected and text.cell_len <= FIXED_WIDTH["value"]
    assert value_cell(r, Palette({})).plain.endswith(f" ({mark})")  # without a width: the whole text


def test_nan_budget_is_an_empty_no_data_bar_not_a_full_green_one():
    p = Palette({})
    text = budget_cell(float("nan"), bar_width=6, palette=p, ascii_bar=True)
    assert text.plain == "......       —"
    assert all(str(span.style) in (p["slo-no-data"], p["foreground-muted"]) for span in text.spans)


async def test_five_nines_slo_failing_everything_shows_its_whole_budget_figure(build):
    # B = 1 - 0.99999 = 1e-5; every event bad: consumed = 1 / 1e-5 = 100,000; remaining -99,999
    engine = FakeEngine([spec("checkout", kind="ratio", target=0.99999), spec("ok")],
                        statuses={"checkout": (Status.CRITICAL, 0.0, -99999.0, 100000.0)})
    app = build(engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        line = next(ln for ln in screen_text(app).splitlines() if " checkout " in ln)
        assert "── -9,999,900%" in line
        assert "100kx 1h" in line  # 100000x 1h is wider than the burn column: the rate is written short


async def test_long_names_that_differ_at_the_end_are_cut_with_an_ellipsis(build):
    a, b = "checkout_latency_p95_eu_west_1_primary", "checkout_latency_p95_eu_west_1_replica"
    app = build(FakeEngine([spec(a), spec(b), spec("宽字符名称的服务水平目标和更多的字")]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        width = t.layout_spec.name_width
        assert width == 21  # what 120 columns leave for names
        lines = screen_text(app).splitlines()
        cut = "checkout_latency_p95…"  # 20 characters and the ellipsis: 21 cells
        assert sum(f" {cut}  " in ln for ln in lines) == 2
        cjk = next(ln for ln in lines if "宽字符" in ln)
        assert " 宽字符名称的服务水平…  " in cjk  # 10 wide characters (20 cells) and "…"


async def test_header_says_no_slos_once_an_empty_file_is_evaluated(build):
    app = build(FakeEngine([]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "no SLOs configured" in text and "waiting for the first evaluation" not in text
        assert "No SLOs configured." in text


async def test_sources_panel_names_the_failing_sources_that_do_not_fit(build):
    # 12 failing sources and a healthy one; the panel has 7 lines: failing first, 6 shown, then the rest named
    specs = [spec(f"slo{i}", source=f"source_{i:02d}") for i in range(12)] + [spec("fine", source="aaa_ok")]
    app = build(FakeEngine(specs, hang=[f"source_{i:02d}" for i in range(12)], timeout=0.05))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lines = screen_text(app).splitlines()
        panel = lines[lines.index(next(ln for ln in lines if ln.startswith("─"))) + 1:-1]
        assert [ln.split()[1] for ln in panel[:6]] == [f"source_{i:02d}" for i in range(6)]
        assert all("timed out after 0.05s" in ln for ln in panel[:6])
        assert panel[6].split("  ", 1)[1].strip() == \
            "… 7 more sources, 6 failing: source_06, source_07, source_08, source_09, source_10, source_11"


async def test_nan_burn_rates_sort_with_the_unknown_and_show_a_dash(build):
    nan = float("nan")
    engine = FakeEngine([spec(n) for n in ("a", "b", "c", "d")], statuses={
        "a": (Status.OK, 0.9, 0.9, 2.0), "b": (Status.OK, 0.9, 0.9, nan),
        "c": (Status.OK, 0.9, 0.9, 5.0), "d": (Status.OK, 0.9, 0.9, None)})
    app = build(engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in "sss":
            await pilot.press(key)
            if app.sort_key == "burn":
                break
        await settle(app, pilot)
        assert app.sort_key == "burn"
        assert table(app).order == ["c", "a", "b", "d"]  # 5x, 2x, then the unknown by name
        line = next(ln for ln in screen_text(app).splitlines() if ln.split()[2:3] == ["b"])
        assert " — " in line and "1h" not in line.split("—")[-1].split("✓")[0]
