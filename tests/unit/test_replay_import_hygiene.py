"""``slotui replay`` is a headless command: no Textual, and no httpx on file/demo sources."""

from __future__ import annotations

from pathlib import Path

from test_import_hygiene import _loaded_after, _run_cli_and_list_modules


def test_replay_modules_do_not_import_textual() -> None:
    for module in ("slotui.commands.replay", "slotui.replay.run", "slotui.replay.report", "slotui.replay.suggest"):
        loaded = _loaded_after(f"import {module}")
        assert module in loaded
        assert not any(m == "textual" or m.startswith("textual.") for m in loaded), module


def test_replay_on_demo_does_not_import_textual_or_httpx(tmp_path: Path) -> None:
    loaded = _run_cli_and_list_modules(
        ["replay", "--state", str(tmp_path / "s.db"), "--to", "2026-06-01T00:00:00Z", "--last", "1d", "--step", "2h"]
    )
    assert "slotui.replay.simulate" in loaded and "slotui.alerting.lifecycle" in loaded
    assert not any(m.startswith("textual") for m in loaded)
    assert "httpx" not in loaded
    assert not (tmp_path / "s.db").exists()
