"""Themes and icon sets are data from themes/: switching, ASCII icons, loud fallback on bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SIZE, screen_text

from slotui.tui.themes import load_catalog, shipped_themes_dir

pytestmark = pytest.mark.tui


async def settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def test_shipped_themes_and_icons_load_cleanly():
    catalog = load_catalog([shipped_themes_dir()])
    assert catalog.problems == []
    assert {"slotui-dark", "slotui-light", "slotui-high-contrast"} <= set(catalog.themes)
    assert {"unicode", "ascii"} <= set(catalog.icons)
    assert catalog.icons["ascii"].ascii_only and not catalog.icons["unicode"].ascii_only
    assert catalog.themes["slotui-light"].dark is False


def test_invalid_theme_files_are_reported_not_fatal(tmp_path: Path):
    (tmp_path / "broken.yaml").write_text("name: broken\nprimary: not-a-colour\n")
    (tmp_path / "typo.yaml").write_text("name: typo\nprimary: '#112233'\nprimry: '#000000'\n")
    (tmp_path / "garbage.yaml").write_text("- just\n- a list\n")
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "partial.yaml").write_text("name: partial\nstatus: {OK: '+'}\n")
    catalog = load_catalog([tmp_path, shipped_themes_dir()])
    text = "\n".join(catalog.problems)
    assert "broken.yaml" in text and "not a colour" in text
    assert "typo.yaml" in text and "primry" in text
    assert "garbage.yaml" in text and "mapping" in text
    assert "partial.yaml" in text and "missing icons" in text
    assert "broken" not in catalog.themes and "slotui-dark" in catalog.themes


async def test_unknown_theme_falls_back_loudly(build, tmp_path):
    (tmp_path / "broken.yaml").write_text("name: broken\nprimary: nope\n")
    app = build(theme="broken", theme_dirs=[tmp_path, shipped_themes_dir()])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert app.theme == "slotui-dark"
        messages = [n.message for n in app._notifications]
        assert any("theme 'broken' not found" in m for m in messages)
        assert any("broken.yaml" in m and "not a colour" in m for m in messages)
        assert "SLOs meeting target" in screen_text(app)  # and the app works


async def test_theme_flag_and_switch_recolours_cells(build):
    app = build(theme="slotui-light")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "slotui-light"
        light_error = app.palette["error"]
        t = app.screen_stack[0].query_one("#slos")
        cell = t.get_cell("helpfulness", "status")
        assert light_error.lower() in str(cell.style).lower()
        app.set_theme("slotui-dark")
        await settle(app, pilot)
        assert app.theme == "slotui-dark"
        assert app.palette["error"] != light_error
        cell = t.get_cell("helpfulness", "status")
        assert app.palette["error"].lower() in str(cell.style).lower()


async def test_theme_switch_from_the_command_palette(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Theme: slotui-high")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.theme == "slotui-high-contrast"
        # the high-contrast theme asks for the ASCII icon set
        assert app.icons.name == "ascii"
        text = screen_text(app)
        assert "!! CRITICAL" in text and "✖" not in text


async def test_ascii_icons_option(build):
    app = build(icons="ascii")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "!! CRITICAL" in text and "+ OK" in text and "* AT RISK" in text
        assert "━" not in text and "▁" not in text.split("Trend")[1][:2000]  # bars and sparklines in ASCII
        app.set_icons("unicode")
        await settle(app, pilot)
        assert "✖ CRITICAL" in screen_text(app)
