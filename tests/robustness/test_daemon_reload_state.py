"""What a SIGHUP reload keeps (in-process, real store, demo source, file channel).

Unchanged sources are reused with their state; unchanged SLOs keep their last
answer and history; alert states and silences keep their identity
(fingerprint, transition id, fired time, silence ids); a reload whose source
cannot be built is refused and the running engine is untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slotui.alerting.silence import Matcher, Silence, new_silence_id
from slotui.commands.run import build_daemon
from slotui.config.loader import load_config
from slotui.store import Store

T0 = 1_780_315_200.0  # 2026-06-01T12:00:00Z

BASE = """\
version: 1
defaults: {{interval: 30s, window: 1h, period: 1d, slice: 5m}}
sources:
  demo: {{type: demo, seed: {seed}}}
slos:
  - name: accuracy
    sli: {{field: evaluations.accuracy, agg: mean}}
    objective: {{target: 0.999, warning: 0.998, critical: 0.997}}
{more}
alerts:
  channels:
    log: {{type: file, path: alerts.jsonl}}
  routes:
    - {{severity: critical, channels: [log]}}
  group: {{wait: 0s, interval: 5m, repeat: 4h}}
"""
EXTRA = """\
  - name: availability
    ratio: {good: "error.type == null"}
    objective: {target: 0.995}
"""


def _write(path: Path, *, seed: int = 7, more: str = "") -> Path:
    path.write_text(BASE.format(seed=seed, more=more))
    return path


@pytest.fixture
def setup(tmp_path: Path):
    config = _write(tmp_path / "slos.yaml")
    store = Store.open(tmp_path / "state.db")
    daemon = build_daemon(load_config(config), store, None, config_path=config)
    yield daemon, config, store
    store.close()


async def test_daemon_reload_keeps_alert_and_silence_identity(setup) -> None:
    daemon, config, store = setup
    await daemon.engine.tick(T0)
    firing = {r.fingerprint: r for r in daemon.alerting.alerts()}
    assert any(r.state == "firing" for r in firing.values()), firing  # the demo's accuracy is far below 0.997
    silence = Silence(new_silence_id(), (Matcher("slo", "=", "nothing"),), T0, T0 + 3600, "test", updated_at=T0)
    store.add_silence(silence, now=T0)
    old_source = daemon.engine.sources["demo"]
    _write(config, more=EXTRA)
    assert await daemon.reload() is True
    assert [s.name for s in daemon.engine.specs] == ["accuracy", "availability"]
    assert daemon.engine.sources["demo"] is old_source  # unchanged source reused as it is
    await daemon.engine.tick(T0 + 30)
    after = {r.fingerprint: r for r in daemon.alerting.alerts()}
    for fp, before in firing.items():
        assert (after[fp].state, after[fp].transition_id, after[fp].fired_at) == (
            before.state, before.transition_id, before.fired_at)
    assert [s.id for s in store.list_silences(T0 + 30)] == [silence.id]
    await daemon.engine.aclose()
    await daemon.alerting.aclose()


async def test_daemon_reload_reuses_only_what_did_not_change(setup) -> None:
    daemon, config, _ = setup
    await daemon.engine.tick(T0)
    engine = daemon.engine
    assert engine._history["accuracy"] and "accuracy" in engine.last_data
    report = engine.last_report
    _write(config, seed=8)  # the source changed: rebuilt, and the SLO's cached data is dropped
    assert await daemon.reload() is True
    assert daemon.engine is not engine and daemon.engine.sources["demo"] is not engine.sources["demo"]
    assert "accuracy" not in daemon.engine.last_data and "accuracy" not in daemon.engine._history
    assert daemon.engine.last_report is report  # /metrics keeps answering until the next tick
    engine = daemon.engine
    await engine.tick(T0 + 30)
    assert await daemon.reload() is True  # nothing changed: everything carried over
    assert daemon.engine.last_data["accuracy"] is engine.last_data["accuracy"]
    assert daemon.engine._history["accuracy"] is engine._history["accuracy"]
    await daemon.engine.aclose()
    await daemon.alerting.aclose()


async def test_daemon_reload_with_an_unbuildable_source_keeps_the_engine(setup, capsys) -> None:
    """A file source with an unknown time zone passes loading but cannot be built: the reload is refused."""
    daemon, config, _ = setup
    await daemon.engine.tick(T0)
    engine, alerting = daemon.engine, daemon.alerting
    config.write_text(BASE.format(seed=7, more="").replace(
        "demo: {type: demo, seed: 7}", "demo: {type: file, path: requests.jsonl, timezone: Mars/Base}"))
    assert await daemon.reload() is False
    assert daemon.engine is engine and daemon.alerting is alerting
    assert "Mars/Base" in capsys.readouterr().err
    report = await daemon.engine.tick(T0 + 30)  # the old config keeps evaluating
    assert [r.spec.name for r in report.results] == ["accuracy"] and not report.source_errors
    await daemon.engine.aclose()
    await daemon.alerting.aclose()
