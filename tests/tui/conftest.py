"""Pilot fixtures: the app over a fake engine and a real state store, with a pinned clock."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from slotui.store import Store
from slotui.tui.app import SlotuiApp, make_app
from slotui.tui.settings import TuiSettings
from tui_fakes import NOW, FakeEngine

SIZE = (120, 40)


def screen_text(app: SlotuiApp) -> str:
    """The current screen as plain text (what a user reads), at the app's size."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "state.db")
    yield s
    s.close()


@pytest.fixture
def clock():
    class Clock:
        now = NOW

        def __call__(self) -> float:
            return self.now

    return Clock()


@pytest.fixture
def build(store, clock):
    """``build(engine=None, **kw) -> SlotuiApp`` over the real store, pinned clock, no settings file."""

    def _build(engine=None, **kw) -> SlotuiApp:
        engine = engine or FakeEngine()
        kw.setdefault("settings", TuiSettings())
        kw.setdefault("poll", False)
        kw.setdefault("author", "tester")
        return make_app(engine, store=store, clock=clock, **kw)

    return _build


def make_alerting(store, specs, base_dir: Path, channels: dict, *, routes=None):
    """The real Alerting facade over ``store`` with ``channels`` (config dicts) routed for every severity."""
    from slotui.alerting.lifecycle import AlertPolicy
    from slotui.alerting.service import Alerting
    from slotui.config.model import AlertsConfig

    names = list(channels)
    alerts = AlertsConfig.model_validate({
        "channels": channels,
        "routes": routes or [{"severity": sev, "channels": names} for sev in ("warning", "critical", "page")],
        "group": {"wait": 0, "interval": 300, "repeat": 3600},
    })
    return Alerting(AlertPolicy.from_config(alerts), store, channel_configs=alerts.channels, base_dir=base_dir,
                    specs=specs)
