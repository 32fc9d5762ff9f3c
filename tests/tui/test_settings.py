"""The TUI settings file: theme, icons, refresh and keymap; bad files are reported, never fatal."""

from __future__ import annotations

import pytest
from conftest import SIZE

from slotui.tui.settings import load_settings, parse_refresh


def test_settings_file_is_read(tmp_path):
    path = tmp_path / "tui.yaml"
    path.write_text("theme: slotui-light\nicons: ascii\nrefresh: 15s\nkeymap:\n  slotui.mute: M\n  slotui.snooze: ctrl+z,z\n")
    s = load_settings(path)
    assert (s.theme, s.icons, s.refresh) == ("slotui-light", "ascii", 15.0)
    assert s.keymap == {"slotui.mute": "M", "slotui.snooze": "ctrl+z,z"}
    assert s.problems == []


def test_bad_settings_are_reported(tmp_path):
    path = tmp_path / "tui.yaml"
    path.write_text("theme: x\nrefresh: 0.2s\ncolour: red\nkeymap: [a, b]\n")
    s = load_settings(path)
    text = "\n".join(s.problems)
    assert "unknown keys colour" in text and "at least 1s" in text and "keymap" in text
    assert s.theme == "x" and s.refresh is None
    path.write_text("{ not yaml")
    assert load_settings(path).problems
    assert load_settings(tmp_path / "absent.yaml").problems == []


def test_refresh_parsing():
    assert parse_refresh("1m") == 60.0 and parse_refresh(5) == 5.0
    with pytest.raises(ValueError):
        parse_refresh("soon")


async def test_settings_reach_the_app(build, tmp_path):
    path = tmp_path / "tui.yaml"
    path.write_text("theme: slotui-light\nicons: ascii\nrefresh: 15s\nkeymap: {slotui.pause: P}\n")
    app = build(settings=load_settings(path))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.theme == "slotui-light" and app.icons.name == "ascii" and app.refresh_interval == 15.0
        await pilot.press("p")
        assert not app.paused
        await pilot.press("P")
        assert app.paused
