"""Replay counts what the daemon really sends: the same history run through the real daemon.

The daemon (:meth:`slotui.commands.run.Daemon.step`: fetch, evaluate, alert transaction in a
real state file, enqueue) ticks every ``interval`` (1m) in simulated time from T0, and after
each tick delivers what is due (``Alerting.deliver_due``) through the real ``file`` channel.
The lines in the channel's file, counted once for each SLO among a line's alerts, must equal
``slotui replay``'s per-channel counts at steps of 1m, 5m and 1h over the same history (the log
and config of test_replay_notifications.py), and the replay's statuses at its steps must be
the daemon's at those ticks.

History (14h): ``long`` CRITICAL 1h..11h, silenced 4h..10h30m (a silence in the daemon's
state file, which the replay reads as ``slotui replay --state`` does); ``w`` WARNING 2h..7h;
``c`` CRITICAL 12h..13h; both severities routed to ``log``. Hand-worked (see
test_replay_notifications.py): long 3 (1h1m; the muted repeat goes out at 10h31m; resolved
11h1m), w 3 (2h1m, 6h1m, resolved 7h1m), c 2 (12h1m, resolved 13h1m).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from test_replay_notifications import MIN, STEPS, T0, H, write_case

from slotui.alerting.silence import Matcher, Silence
from slotui.commands.replay import read_silences
from slotui.commands.run import build_daemon
from slotui.config.loader import load_config
from slotui.replay import history
from slotui.replay.run import replay_config
from slotui.store import Store

HOURS = 14
ROUTES = "- {severity: warning, channels: [log]}\n    - {severity: critical, channels: [log]}"


async def run_daemon(cfg: Path, state: Path) -> dict[float, dict[str, str]]:
    """Tick the real daemon every minute from T0 to T0 + HOURS; its statuses at every tick."""
    store = Store.open(state)
    store.add_silence(Silence(
        id="s-long", matchers=(Matcher("slo", "=", "long"),), starts_at=T0 + 4 * H, ends_at=T0 + 10.5 * H,
        created_by="test", updated_at=T0,
    ), now=T0)
    daemon = build_daemon(load_config(cfg), store, None, config_path=cfg)
    statuses: dict[float, dict[str, str]] = {}
    try:
        for k in range(HOURS * 60 + 1):
            now = T0 + k * MIN
            await daemon.step(now)
            assert daemon.last_error is None, daemon.last_error
            statuses[now] = {r.spec.name: r.status.value for r in daemon.engine.last_report.results}
            for outcome in await daemon.alerting.deliver_due(now):
                assert outcome.state == "delivered", outcome
    finally:
        await daemon.engine.aclose()
        await daemon.alerting.aclose()
        store.close()
    return statuses


def sent_per_slo(path: Path) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for line in path.read_text().splitlines():
        note = json.loads(line)
        for name in {a["slo"] for a in note["alerts"]}:
            per = counts.setdefault(name, {})
            per[note["channel"]] = per.get(note["channel"], 0) + 1
    return counts


def test_replay_counts_what_the_daemon_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay's fast path (the file's series taken once, slotui/core/timeline.py) and, with
    it turned off, the fetch at every step both count what the daemon sent."""
    cfg = write_case(
        tmp_path, {"long": [(1, 11, 1.0)], "w": [(2, 7, 0.3)], "c": [(12, 13, 1.0)]}, HOURS, routes=ROUTES
    )
    state = tmp_path / "state.db"
    daemon_statuses = asyncio.run(run_daemon(cfg, state))
    sent = sent_per_slo(tmp_path / "alerts.jsonl")
    assert sent == {"long": {"log": 3}, "w": {"log": 3}, "c": {"log": 2}}
    silences = read_silences(str(state))
    assert [s.id for s in silences] == ["s-long"]
    calls: list[tuple[float, float]] = []

    async def no_timelines(loaded, sources, times, redact) -> dict:  # type: ignore[no-untyped-def]
        calls.append((times[0], times[-1]))  # no SLO on the fast path: every step fetches afresh
        return {}

    loaded = load_config(cfg)
    for path in ("fast", "fetched"):
        if path == "fetched":
            monkeypatch.setattr(history, "_timelines", no_timelines)
        for step in STEPS:
            out = asyncio.run(replay_config(loaded, T0, T0 + HOURS * H, step, silences=silences))
            assert {s.name: s.notifications for s in out.slos} == sent, (path, step)
            for slo in out.slos:
                assert len(slo.timeline) == HOURS * H // step + 1
                for now, status, _value in slo.timeline:
                    assert daemon_statuses[now][slo.name] == status.value, (path, step, slo.name, now)
    assert calls == [(T0, T0 + HOURS * H)] * 3  # the fetched path was taken at every step size
