"""Time firing and the budget-over-time summary of a replay (SPEC 10.3), worked out by hand.

On the scripted log of test_replay_episodes.py (replayed over the day at 5m steps):

Time firing is the sum of each severity's episode durations.
- errors: warning 125..140 and 605..615 -> 15m + 10m = 1500 s; critical 130..135 -> 300 s.
- latency: warning 1010..1210 -> 200m = 12000 s; critical 1060..1205 -> 145m = 8700 s.

Budget (errors: 5m slices, compliance 0.99, so B = 0.01; remaining = 1 - (bad / slices) / B).
At a step on minute m the slices with data are the m/5 whole ones from T0. The slices
[120, 125) and [125, 130) are bad (mean failed 1.0 > 0.01), and [600, 605) (0.6).
- first step (m = 0) has no slice: no budget; the first known is m = 5: 1 slice, 0 bad -> 1.0.
- lowest right after the first burst, m = 130: 26 slices, 2 bad -> 1 - (2/26)/0.01 = -6.6923...
  = -669.2%  (at m = 125 only one bad of 25: 1 - 4 = -3; later the share of bad slices only shrinks,
  the third bad slice at m = 605 gives 1 - (3/121)/0.01 = -1.479...).
- end, m = 1440: 288 slices, 3 bad -> 1 - (3/288)/0.01 = -0.041666...
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from test_replay_episodes import MIN, T0, at, write_incidents

from slotui.config.loader import load_config
from slotui.replay.report import render, to_dict
from slotui.replay.run import replay_config
from slotui.replay.simulate import Episode, Replay, SLOReplay


def _replay(tmp_path: Path):  # type: ignore[no-untyped-def]
    return asyncio.run(replay_config(load_config(write_incidents(tmp_path)), T0, T0 + 1440 * MIN, 5 * MIN))


def test_time_firing_and_budget_summary_hand_worked(tmp_path: Path) -> None:
    replay = _replay(tmp_path)
    by_name = {s.name: s for s in replay.slos}
    assert by_name["errors"].firing_s(replay.end) == {"warning": 1500.0, "critical": 300.0}
    assert by_name["latency"].firing_s(replay.end) == {"warning": 12000.0, "critical": 8700.0}
    summary = by_name["errors"].budget_summary()
    assert summary["start"] == 1.0
    assert summary["lowest"] == pytest.approx(1 - (2 / 26) / 0.01)
    assert summary["lowest_at"] == at(130)
    assert summary["end"] == pytest.approx(1 - (3 / 288) / 0.01)


def test_summary_in_json_table_and_markdown(tmp_path: Path) -> None:
    replay = _replay(tmp_path)
    doc = json.loads(json.dumps(to_dict(replay)))
    errors = next(s for s in doc["slos"] if s["name"] == "errors")
    assert errors["firing_s"] == {"critical": 300.0, "warning": 1500.0}
    assert errors["budget_remaining"]["start"] == 1.0
    assert errors["budget_remaining"]["lowest"] == pytest.approx(-6.6923077)
    assert errors["budget_remaining"]["lowest_at"] == "2026-06-01T02:10:00Z"
    assert errors["budget_remaining"]["end"] == pytest.approx(-0.0416667)
    table = render(replay, "table")
    assert ("  time firing: critical 5m, warning 25m; budget left: 100.0% at start, "
            "lowest -669.2% (2026-06-01T02:10:00Z), -4.2% at end") in table.splitlines()
    assert "- time firing: critical 2h25m, warning 3h20m;" in render(replay, "markdown").replace("-   ", "- ")


def test_open_episode_fires_until_the_end_and_unknown_budget() -> None:
    slo = SLOReplay("x", episodes=[Episode("page", 100.0, 400.0), Episode("page", 1000.0, None)],
                    budget=[(0.0, None), (60.0, None)])
    assert slo.firing_s(1600.0) == {"page": 300.0 + 600.0}
    assert slo.budget_summary() == {"start": None, "lowest": None, "lowest_at": None, "end": None}
    # the earliest of equal lowest values
    slo.budget = [(0.0, 0.5), (60.0, 0.2), (120.0, 0.2), (180.0, 0.4)]
    assert slo.budget_summary() == {"start": 0.5, "lowest": 0.2, "lowest_at": 60.0, "end": 0.4}


def test_markdown_shows_hostile_slo_names_as_written() -> None:
    """A "|" in a name split the replay's markdown row; "*x*", "<b>" and backticks formatted it."""
    import html
    import re as _re

    from markdown_it import MarkdownIt

    names = ["a|b", "*bold* <b>x</b> `c`", "# head"]
    replay = Replay(0.0, 7 * 86400.0, 3600.0, [
        SLOReplay(n, episodes=[Episode("page", 3600.0, 7200.0)], notifications={"slack|x": 1}) for n in names
    ])
    out = MarkdownIt("commonmark").enable("table").render(render(replay, "markdown"))
    rows = _re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", out, flags=_re.S)
    assert [html.unescape(_re.sub(r"<[^>]+>", "", first)) for first, _ in rows] == names
    assert [second for _, second in rows] == ["page"] * 3  # five cells each: no row was split
    assert "<h1>" not in out and "<strong>" not in out and "<b>" not in out
    items = [html.unescape(_re.sub(r"<[^>]+>", "", i)) for i in _re.findall(r"<li>(.*?)</li>", out, flags=_re.S)]
    assert any(i.startswith("a|b: page") and "notifications: slack|x 1" in i for i in items), items
    assert any(i.startswith("# head: ") for i in items), items
