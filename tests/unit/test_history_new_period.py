"""A new calendar period starts empty: the window's value from before it is no slice of it.

Just after a calendar month began, a file source has no slice in the new
month, while its 1h window still holds last month's records. The engine took
that for a source that answers only a current value and stored the window's
value as the new month's first slice: one check at 00:02 on the 1st left a
bad slice in the state file that every later check, the TUI and the daemon
counted for the whole month. ``slotui check`` runs in process.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from slotui.cli import main

CONFIG = """\
defaults: {interval: 30s, window: 1h, period: calendar_month, slice: 5m}
sources:
  logs: {type: file, path: r.jsonl}
slos:
  - name: latency_p95_s
    source: logs
    sli: {field: duration_s, agg: p95}
    objective: {target: 5}
"""


def check(capsys: pytest.CaptureFixture[str], tmp_path: Path, at: str, state: str) -> dict:
    code = main(["check", "-c", str(tmp_path / "slos.yaml"), "--state", str(tmp_path / state), "--at", at,
                 "-o", "json"])
    out = json.loads(capsys.readouterr().out)
    (slo,) = out["slos"]
    slo["exit"] = code
    return slo


@pytest.mark.parametrize("first", ["2026-06-01T00:02:00Z", "2026-06-01T00:04:59Z"])
def test_a_check_just_after_the_month_began_stores_no_slice_of_last_month(capsys, tmp_path: Path, first: str) -> None:
    (tmp_path / "slos.yaml").write_text(textwrap.dedent(CONFIG))
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"time": "2026-05-31T23:30:00Z", "duration_s": 9.0}) + "\n"
        + json.dumps({"time": "2026-06-01T00:30:00Z", "duration_s": 1.0}) + "\n"
    )
    early = check(capsys, tmp_path, first, "state.db")
    assert early["budget"]["slices"] == 0 and early["budget"]["remaining"] is None, early["budget"]
    fresh = check(capsys, tmp_path, "2026-06-01T01:00:00Z", "fresh.db")
    later = check(capsys, tmp_path, "2026-06-01T01:00:00Z", "state.db")
    # June has one slice, the 00:30 one, good: the same with or without the early check's state
    assert fresh["budget"] == later["budget"]
    assert (later["budget"]["slices"], later["budget"]["good_slices"], later["budget"]["remaining"]) == (1, 1, 1.0)
    assert later["status"] == "OK"


RATIO = """\
defaults: {interval: 30s, window: 1h, period: 1d, slice: 5m}
sources:
  logs: {type: file, path: r.jsonl}
slos:
  - name: availability
    source: logs
    ratio: {good: "error.type == null"}
    objective: {target: 0.9}
"""


def test_a_rolling_period_off_the_slice_grid_counts_the_slice_at_its_start(capsys, tmp_path: Path) -> None:
    # now = 12:07:31.25: the period [12:07:31.25 a day earlier, now) begins inside the slice 12:05-12:10;
    # the period's counts were the whole buckets after its start, leaving out that slice's events
    (tmp_path / "slos.yaml").write_text(RATIO)
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"time": "2026-05-31T12:08:41.25Z", "error.type": "timeout"}) + "\n"  # 70 s into the period
        + json.dumps({"time": "2026-05-31T12:06:00Z", "error.type": "timeout"}) + "\n"  # before it
        + json.dumps({"time": "2026-06-01T12:05:51.25Z", "error.type": None}) + "\n"
    )
    slo = check(capsys, tmp_path, "2026-06-01T12:07:31.250Z", "state.db")
    budget = slo["budget"]
    # 1 good of 2: consumed (1/2) / 0.1 = 5, remaining -4
    assert (budget["good"], budget["total"], budget["remaining"]) == (1.0, 2.0, -4.0)
