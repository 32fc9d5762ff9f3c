"""Replay over a generated log with scripted incidents: the exact episodes, worked out by hand.

The log has one record a minute, at second 30 of minute m (m = 0 .. 1439 after
T0), so no record ever sits on a window edge. Both SLOs use a 10m window and a
30d period; replay steps are 5m, so the step at minute m sees minutes m-10 .. m-1.

errors (mean of ``failed``, target 0.01, warning 0.2, critical 0.5, lower is better):
- burst 1, minutes 120..129 failed: m=125 sees 5/10 = 0.5 (equal to critical
  meets it: WARNING); m=130 sees 10/10 CRITICAL; m=135 5/10 WARNING; m=140 0 OK.
  -> warning 125..140, critical 130..135.
- burst 2, minutes 600..602: m=605 and m=610 see 3/10 = 0.3 WARNING; m=615 0.
  -> warning 605..615.

latency (mean of ``ms``, target 200, warning 300, critical 400): 100 ms, except
a slow degradation d(m) = 100 + 2 (m - 900) for m in 900..1199. For m in
910..1200 the mean is 100 + 2 ((m-10-900) + (m-1-900)) / 2 = 2m - 1711:
m=1005 -> 299 (OK), m=1010 -> 309 WARNING; m=1055 -> 399, m=1060 -> 409 CRITICAL.
m=1205 sees 1195..1199 (690, 692, 694, 696, 698) and five 100s: 3970/10 = 397
WARNING; m=1210 sees only 100s: OK.
  -> warning 1010..1210, critical 1060..1205.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from slotui.config.loader import load_config
from slotui.replay.run import replay_config
from slotui.replay.simulate import Episode

T0 = 1780272000.0  # 2026-06-01T00:00:00Z
MIN = 60.0


def duration_ms(m: int) -> float:
    return 100.0 + 2 * (m - 900) if 900 <= m < 1200 else 100.0


def failed(m: int) -> int:
    return 1 if 120 <= m < 130 or 600 <= m < 603 else 0


def write_incidents(tmp_path: Path, *, channels: str = "") -> Path:
    from slotui.clock import rfc3339

    lines = [
        json.dumps({"time": rfc3339(T0 + m * MIN + 30), "ms": duration_ms(m), "failed": failed(m)})
        for m in range(1440)
    ]
    (tmp_path / "requests.jsonl").write_text("\n".join(lines) + "\n")
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        f"""version: 1
defaults: {{window: 10m, period: 30d, interval: 5m}}
sources:
  logs: {{type: file, path: requests.jsonl}}
slos:
  - name: errors
    source: logs
    sli: {{field: failed, agg: mean}}
    objective: {{target: 0.01, warning: 0.2, critical: 0.5}}
  - name: latency
    source: logs
    sli: {{field: ms, agg: mean}}
    objective: {{target: 200, warning: 300, critical: 400}}
    unit: ms
{channels}"""
    )
    return cfg


def at(m: int) -> float:
    return T0 + m * MIN


def test_replay_scripted_incidents_exact_episodes(tmp_path: Path) -> None:
    loaded = load_config(write_incidents(tmp_path))
    replay = asyncio.run(replay_config(loaded, T0, T0 + 1440 * MIN, 5 * MIN))
    got = {slo.name: slo.episodes for slo in replay.slos}
    assert got["errors"] == [
        Episode("warning", at(125), at(140)),
        Episode("critical", at(130), at(135)),
        Episode("warning", at(605), at(615)),
    ]
    assert got["latency"] == [
        Episode("warning", at(1010), at(1210)),
        Episode("critical", at(1060), at(1205)),
    ]
    # per week: the replay spans one day = 1/7 week
    errors = next(s for s in replay.slos if s.name == "errors")
    assert replay.per_week(errors) == {"warning": 14.0, "critical": 7.0}


def test_replay_episode_still_firing_at_the_end(tmp_path: Path) -> None:
    loaded = load_config(write_incidents(tmp_path))
    replay = asyncio.run(replay_config(loaded, T0, at(1100), 5 * MIN))
    latency = next(s for s in replay.slos if s.name == "latency")
    assert latency.episodes == [Episode("warning", at(1010), None), Episode("critical", at(1060), None)]
    assert latency.episodes[1].duration(at(1100)) == 40 * MIN


def test_replay_threshold_suggestions_hand_worked(tmp_path: Path) -> None:
    """Candidates at target + (worst - target) * i/5, i = 1..4.

    errors: values over the day are 0.5 (m=125), 1.0 (130), 0.5 (135), 0.3 (605,
    610), else 0; worst 1.0, candidates 0.208, 0.406, 0.604, 0.802. 0.208: runs
    {125..135} and {605, 610} = 2 episodes; 0.406: {125..135} = 1; 0.604 and
    0.802: {130} = 1. All catch the critical episode starting at m=130.
    latency: worst 689 (m=1200), candidates 297.8, 395.6, 493.4, 591.2, each one
    run (from m=1005, 1055, 1105, 1155 resp.), all catching the critical at 1060.
    """
    import pytest

    loaded = load_config(write_incidents(tmp_path))
    replay = asyncio.run(replay_config(loaded, T0, T0 + 1440 * MIN, 5 * MIN))
    got = {s.name: s.suggestions for s in replay.slos}
    errors = got["errors"]
    assert [s["threshold"] for s in errors] == pytest.approx([0.208, 0.406, 0.604, 0.802])
    assert [s["episodes"] for s in errors] == [2, 1, 1, 1]
    assert all(s["caught"] == [at(130)] and s["missed"] == [] for s in errors)
    latency = got["latency"]
    assert [s["threshold"] for s in latency] == pytest.approx([297.8, 395.6, 493.4, 591.2])
    assert [s["episodes"] for s in latency] == [1, 1, 1, 1]
    assert all(s["caught"] == [at(1060)] for s in latency)


def test_replay_suggestion_can_miss_a_critical_episode() -> None:
    """A candidate above every value inside a CRITICAL episode misses it."""
    from slotui.core.types import SLOSpec, Status
    from slotui.replay.suggest import suggestions

    spec = SLOSpec(name="x", kind="threshold", target=0.0, direction="lower_is_better", warning=5.0, critical=8.0)
    timeline = [(0.0, Status.OK, 0.0), (1.0, Status.CRITICAL, 9.0), (2.0, Status.OK, 0.0),
                (3.0, Status.CRITICAL, 10.0), (4.0, Status.OK, 0.0)]
    out = suggestions(spec, timeline, [(1.0, 2.0), (3.0, 4.0)])
    # worst 10 -> candidates 2, 4, 6, 8 each catch both episodes
    assert [s["threshold"] for s in out] == [2.0, 4.0, 6.0, 8.0]
    assert all(s["episodes"] == 2 and s["caught"] == [1.0, 3.0] for s in out)
    out = suggestions(spec, timeline + [(5.0, Status.CRITICAL, 20.0)], [(1.0, 2.0), (3.0, 4.0), (5.0, None)])
    # worst 20 -> candidates 4, 8, 12, 16: 12 and 16 miss the episodes at 1 (9) and 3 (10)
    assert [s["threshold"] for s in out] == [4.0, 8.0, 12.0, 16.0]
    assert [s["missed"] for s in out] == [[], [], [1.0, 3.0], [1.0, 3.0]]
    assert [s["caught"] for s in out] == [[1.0, 3.0, 5.0], [1.0, 3.0, 5.0], [5.0], [5.0]]
    assert [s["episodes"] for s in out] == [3, 3, 1, 1]


def test_replay_suggestions_hold_runs_for_the_slos_for() -> None:
    """A run shorter than ``for:`` fires nothing, as the alert engine's alert would not: the
    suggestions counted every run, so an SLO with ``for: 10m`` got an episode for a 5-minute blip."""
    from slotui.core.types import SLOSpec, Status
    from slotui.replay.suggest import suggestions

    values = [10.0] * 21 + [1.0] * 39 + [7.5] * 5 + [1.0] * 25  # minutes 0-20, 21-59, 60-64, 65-89
    timeline = [(m * 60.0, Status.OK, v) for m, v in enumerate(values)]
    held = SLOSpec(name="x", kind="threshold", target=5.0, direction="lower_is_better", warning=7.0, critical=9.0,
                   for_=600.0)
    out = suggestions(held, timeline, [(600.0, 1260.0)])
    # worst 10 -> candidates 6, 7, 8, 9; 6 and 7 also see the 7.5 blip, 5 minutes long
    assert [s["threshold"] for s in out] == [6.0, 7.0, 8.0, 9.0]
    assert [s["episodes"] for s in out] == [1, 1, 1, 1]
    assert all(s["caught"] == [600.0] for s in out)
    plain = SLOSpec(name="x", kind="threshold", target=5.0, direction="lower_is_better", warning=7.0, critical=9.0)
    assert [s["episodes"] for s in suggestions(plain, timeline, [])] == [2, 2, 1, 1]
    # fired 10 minutes into the run (minute 10): a critical episode over minutes 0-9 only is missed
    assert [s["missed"] for s in suggestions(held, timeline, [(0.0, 600.0)])] == [[0.0]] * 4


def test_replay_suggestions_a_step_with_no_data_ends_a_run() -> None:
    """NO DATA resolves an alert: a step without a value splits a run in two episodes."""
    from slotui.core.types import SLOSpec, Status
    from slotui.replay.suggest import suggestions

    spec = SLOSpec(name="x", kind="threshold", target=0.0, direction="lower_is_better", warning=5.0, critical=8.0)
    timeline = [(0.0, Status.CRITICAL, 10.0), (60.0, Status.NO_DATA, None), (120.0, Status.CRITICAL, 10.0)]
    assert [s["episodes"] for s in suggestions(spec, timeline, [])] == [2, 2, 2, 2]


def test_a_page_only_ratio_slo_has_no_ticket_episodes_and_per_week_divides_by_the_range(tmp_path: Path) -> None:
    """A ratio SLO with only a page tier: one record a minute, minutes 20..29 failed. The 10m long
    window (factor 5 of a 10% budget: more than 5 bad of 10) fires at 26..34, the 2m short one at
    22..30: CRITICAL at steps 26..30, one page episode 26..31. Its WARNING alert fires inhibited under
    it all along: it was counted a ticket episode too (per_week warning 168, firing_s 300), though the
    SLO can never raise a ticket and none was sent."""
    from slotui.clock import rfc3339

    lines = [json.dumps({"time": rfc3339(T0 + m * MIN + 30), "error.type": "boom" if 20 <= m < 30 else None})
             for m in range(60)]
    (tmp_path / "requests.jsonl").write_text("\n".join(lines) + "\n")
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("""version: 1
defaults: {window: 1h, period: 30d, interval: 1m}
sources:
  logs: {type: file, path: requests.jsonl}
slos:
  - name: ok
    source: logs
    ratio: {good: "error.type == null"}
    objective: {target: 0.9}
    burn_rate: [{severity: page, long: 10m, short: 2m, factor: 5}]
""")
    loaded = load_config(cfg)
    replay = asyncio.run(replay_config(loaded, T0, T0 + 60 * MIN, MIN))
    (slo,) = replay.slos
    assert slo.episodes == [Episode("critical", at(26), at(31))]
    assert replay.per_week(slo) == {"critical": 168.0}  # one episode in an hour
    assert slo.firing_s(T0 + 60 * MIN) == {"critical": 300.0}
    # a range shorter than one step: per week over the range (90 s), not over the 7m step
    short = asyncio.run(replay_config(loaded, at(27) + 30, at(29), 7 * MIN))
    (slo,) = short.slos
    assert [e.severity for e in slo.episodes] == ["critical"]
    assert short.per_week(slo) == {"critical": 7 * 86400 / 90}


def test_a_replay_of_a_source_that_never_answers_says_so(tmp_path: Path) -> None:
    """A Prometheus that is down at every step: the replay said "no episodes" and exit 0 with no word
    of the errors, as if nothing would have fired. The steps' errors are counted, the last one kept."""
    from slotui.replay.report import render_table, to_dict

    cfg = tmp_path / "slos.yaml"
    cfg.write_text("""version: 1
defaults: {window: 10m, period: 1d, interval: 5m}
sources:
  prom: {type: prometheus, url: "http://127.0.0.1:9", timeout: 2s}
slos:
  - name: ok
    source: prom
    ratio: {good: 'sum(rate(ok_total[{{window}}]))', total: 'sum(rate(all_total[{{window}}]))'}
    objective: {target: 0.99}
""")
    replay = asyncio.run(replay_config(load_config(cfg), T0, T0 + 30 * MIN, 10 * MIN))
    (slo,) = replay.slos
    assert (slo.steps, slo.error_steps) == (4, 4) and slo.episodes == []
    assert "cannot connect" in (slo.last_error or "") or "127.0.0.1:9" in (slo.last_error or "")
    data = to_dict(replay)["slos"][0]
    assert data["error_steps"] == 4 and data["last_error"] == slo.last_error
    assert "ok: no episodes" in render_table(replay) and "source errors at 4 of 4 steps" in render_table(replay)
