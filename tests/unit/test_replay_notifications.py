"""Replay's notification counts: the group timers fire at the daemon's ticks between two steps.

The log has one record a minute, at T0 + 60 m - 30 s (m = 1, 2, ...); every SLO has a 1m
window on 1m slices, so the step at minute m sees record m alone and an SLO's status at a step
is its field's value in that record: 1 is CRITICAL (past 0.5), 0.3 WARNING, 0 OK. The spans
below are whole hours, so steps of 1m, 5m and 1h see the same episodes. The config's
``interval`` (the daemon's tick) is 1m, ticks at T0 + k min. Only ``critical`` alerts are routed
(to the file channel ``log``), except where said; groups are by severity.

Hand-worked (group wait 30s, interval 5m, repeat 4h unless said; F = the first firing step):

- the group is due at F + 30s, so it flushes at the tick F + 1m; then at F + 1m + 5k min;
- a repeat goes out at the first flush 4h or more after the last notification: F + 4h1m,
  F + 8h1m (a flush tick, as 4h is 48 group intervals);
- a resolve at step R goes out at the next flush tick: R + 1m when R - F is whole hours.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.alerting.silence import Matcher, Silence
from slotui.config.loader import load_config
from slotui.replay.run import replay_config
from slotui.replay.simulate import Episode, tick_at_or_after

T0 = 1780272000.0  # 2026-06-01T00:00:00Z
MIN, H = 60.0, 3600.0
STEPS = [MIN, 5 * MIN, H]

GROUP = "{wait: 30s, interval: 5m, repeat: 4h}"


def write_case(
    tmp_path: Path, spans: dict[str, list[tuple[float, float, float]]], hours: int, *, group: str = GROUP,
    routes: str = "- {severity: critical, channels: [log]}",
) -> Path:
    """``spans``: SLO -> (from hour, to hour, value); the value is 0 elsewhere. Hours are
    whole numbers of minutes (65/60 is minute 65)."""

    def value(name: str, m: int) -> float:
        return next((v for a, b, v in spans[name] if round(a * 60) <= m < round(b * 60)), 0.0)

    from slotui.clock import rfc3339

    lines = [
        json.dumps({"time": rfc3339(T0 + m * MIN - 30), **{name: value(name, m) for name in spans}})
        for m in range(1, hours * 60 + 1)
    ]
    (tmp_path / "requests.jsonl").write_text("\n".join(lines) + "\n")
    slos = "".join(
        f"  - {{name: {name}, source: logs, sli: {{field: {name}, agg: mean}}, "
        "objective: {target: 0.01, warning: 0.2, critical: 0.5}}\n"
        for name in spans
    )
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        f"""version: 1
defaults: {{window: 1m, period: 1d, interval: 1m, slice: 1m}}
sources:
  logs: {{type: file, path: requests.jsonl}}
slos:
{slos}alerts:
  channels:
    log: {{type: file, path: alerts.jsonl}}
  routes:
    {routes}
  group: {group}
"""
    )
    return cfg


def replay(cfg: Path, hours: int, step: float, silences: tuple = ()) -> dict:
    out = asyncio.run(replay_config(load_config(cfg), T0, T0 + hours * H, step, silences=silences))
    return {s.name: s for s in out.slos}


@pytest.mark.parametrize("step", STEPS, ids=["1m", "5m", "1h"])
def test_ten_hour_episode_repeats_every_4h_at_any_step(tmp_path: Path, step: float) -> None:
    """CRITICAL from 1h to 11h: firing sent at 1h1m, 5h1m (repeat), 9h1m (repeat); resolved at 11h1m.
    4 notifications, whatever the step (at 1h steps the engine used to flush at 2h, 6h, 10h, 11h)."""
    cfg = write_case(tmp_path, {"long": [(1, 11, 1.0)]}, 14)
    got = replay(cfg, 14, step)["long"]
    # the WARNING alert fires under the CRITICAL one, inhibited from its start to its end: never sent,
    # no ticket episode (it doubled every page into a ticket in per_week)
    assert got.episodes == [Episode("critical", T0 + H, T0 + 11 * H)]
    assert got.notifications == {"log": 4}


@pytest.mark.parametrize("step", STEPS, ids=["1m", "5m", "1h"])
def test_repeat_interval_shorter_than_the_step_counts_every_repeat(tmp_path: Path, step: float) -> None:
    """Repeat 3h, CRITICAL from 1h to 11h: firing at 1h1m, 4h1m, 7h1m, 10h1m; resolved at 11h1m: 5.
    (At 1h steps the engine used to send at 2h, 5h, 8h and the resolve at 11h: 4.)"""
    cfg = write_case(tmp_path, {"long": [(1, 11, 1.0)]}, 14, group="{wait: 30s, interval: 5m, repeat: 3h}")
    assert replay(cfg, 14, step)["long"].notifications == {"log": 5}


@pytest.mark.parametrize("step", STEPS, ids=["1m", "5m", "1h"])
def test_two_slos_in_one_group_and_an_episode_of_one_step(tmp_path: Path, step: float) -> None:
    """Group ``{severity="critical"}``: a CRITICAL 1h..4h, b 2h..3h, c 5h..6h.

    - 1h: a fires, the group waits 30s: [a] at 1h1m; the group then flushes at 1h1m + 5k min;
    - 2h: b joins the flushed group, so it waits for the group interval: [a, b] at 2h1m;
    - 3h: b resolves: [a firing, b resolved] at 3h1m; 4h: a resolves: [a resolved] at 4h1m;
      the group is empty;
    - 5h: c fires in the empty group, which waits 30s again: [c] at 5h1m; 6h: resolved at 6h1m.

    Each notification counts once for each SLO among its alerts: a 4, b 2, c 2. At 1h steps the
    engine used to count a 3, b 2 (a and b first went out together at 2h) and c 0 (c resolved at
    6h, the first flush after it fired, so nothing was ever sent)."""
    cfg = write_case(tmp_path, {"a": [(1, 4, 1.0)], "b": [(2, 3, 1.0)], "c": [(5, 6, 1.0)]}, 8)
    got = replay(cfg, 8, step)
    assert {name: s.notifications for name, s in got.items()} == {"a": {"log": 4}, "b": {"log": 2}, "c": {"log": 2}}


@pytest.mark.parametrize("step", [MIN, 5 * MIN], ids=["1m", "5m"])
def test_group_wait_gathers_alerts_that_start_during_it(tmp_path: Path, step: float) -> None:
    """Group wait 10m, interval 7m (so at 5m steps flushes fall between steps), repeat 4h.
    a CRITICAL from minute 60 to 240, b from 65 to 130 (spans in hours: 1..4, 65/60..130/60).

    - 60: a fires, the group is due at 70; 65: b joins before it flushed: [a, b] at 70;
    - flushes at 70 + 7k: 77, ..., 126, 133: b resolved at 130 -> [a, b resolved] at 133;
    - ..., 238, 245: a resolved at 240 -> [a resolved] at 245.
    a 3, b 2."""
    cfg = write_case(
        tmp_path, {"a": [(1, 4, 1.0)], "b": [(65 / 60, 130 / 60, 1.0)]}, 5,
        group="{wait: 10m, interval: 7m, repeat: 4h}",
    )
    got = replay(cfg, 5, step)
    assert got["b"].episodes[0] == Episode("critical", T0 + 65 * MIN, T0 + 130 * MIN)
    assert {name: s.notifications for name, s in got.items()} == {"a": {"log": 3}, "b": {"log": 2}}


@pytest.mark.parametrize("step", STEPS, ids=["1m", "5m", "1h"])
def test_a_silence_over_part_of_the_episode(tmp_path: Path, step: float) -> None:
    """CRITICAL from 1h to 11h, silenced from 4h to 10h30m.

    - [long] at 1h1m; the repeat due at 5h1m is muted (nothing is sent while muted);
    - the silence ends at 10h30m: the next flush, 10h31m, repeats (the last send was 9h30m ago);
    - resolved at 11h: [long resolved] at 11h1m. 3 notifications.

    At 1h steps the end of the silence is only seen by a flush between two steps: the engine
    used to send the first one at 2h and the resolve at 11h (2)."""
    cfg = write_case(tmp_path, {"long": [(1, 11, 1.0)]}, 14)
    silence = Silence(
        id="s-long", matchers=(Matcher("slo", "=", "long"),), starts_at=T0 + 4 * H, ends_at=T0 + 10.5 * H,
        created_by="test", updated_at=T0,
    )
    assert replay(cfg, 14, step, (silence,))["long"].notifications == {"log": 3}


@pytest.mark.parametrize("step", STEPS, ids=["1m", "5m", "1h"])
def test_a_warning_group_apart_from_the_critical_group(tmp_path: Path, step: float) -> None:
    """Both severities routed. w is WARNING (0.3) from 2h to 7h: its own group {severity="warning"}:
    [w] at 2h1m, (repeat at 6h1m), resolved at 7h1m: 3. x is CRITICAL from 3h to 4h: its warning
    alert fires too but is inhibited (never sent); its critical: [x] at 3h1m, resolved at 4h1m: 2."""
    cfg = write_case(
        tmp_path, {"w": [(2, 7, 0.3)], "x": [(3, 4, 1.0)]}, 9,
        routes="- {severity: warning, channels: [log]}\n    - {severity: critical, channels: [log]}",
    )
    got = replay(cfg, 9, step)
    assert {name: s.notifications for name, s in got.items()} == {"w": {"log": 3}, "x": {"log": 2}}


def test_ticks_after_the_last_step_up_to_the_end(tmp_path: Path) -> None:
    """--to at 11h30m with 1h steps: the last step is 11h (a resolved there); the resolve goes
    out at the tick 11h1m, before --to, as with 1m steps."""
    cfg = write_case(tmp_path, {"long": [(1, 11, 1.0)]}, 12)
    loaded = load_config(cfg)
    for step in STEPS:
        out = asyncio.run(replay_config(loaded, T0, T0 + 11.5 * H, step))
        assert out.slos[0].notifications == {"log": 4}, step
    # --to at 11h: the resolve (11h1m) is after the end, at every step
    for step in STEPS:
        out = asyncio.run(replay_config(loaded, T0, T0 + 11 * H, step))
        assert out.slos[0].notifications == {"log": 3}, step


@settings(max_examples=300, deadline=None)
@given(
    origin=st.floats(0, 4e9), every=st.floats(1e-3, 1e6), ahead=st.floats(-1e6, 1e9),
)
def test_the_tick_grid_is_exact_at_any_scale(origin: float, every: float, ahead: float) -> None:
    """``tick_at_or_after``: a point of the grid, at or after the moment, and the one before it is not."""
    at = origin + ahead
    got = tick_at_or_after(origin, every, at)
    k = round((got - origin) / every)
    assert got == origin + k * every and k >= 0
    assert got >= at
    assert k == 0 or origin + (k - 1) * every < at
