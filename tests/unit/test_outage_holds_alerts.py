"""A source outage neither fires nor resolves, in every mode (SPEC 3 and 4, README "STALE holds").

A daemon that had a good answer turns the SLO STALE and holds its alerts. A
process that never had one (``check --notify`` from cron, a daemon restarted
during the outage) saw NO DATA and resolved the firing alert: a resolve went
to every channel (and would close PagerDuty incidents) while the service was
still broken. ``slotui check --notify`` runs in process, the state file and
the file channel are real.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from slotui.cli import main

CONFIG = """\
version: 1
defaults: {interval: 30s, window: 5m, period: 7d, slice: 5m}
sources:
  logs: {type: file, path: requests.jsonl}
slos:
  - name: latency_ms
    source: logs
    sli: {field: duration_ms, agg: p95}
    objective: {target: 1000, warning: 2000, critical: 3000}
alerts:
  channels:
    audit: {type: file, path: notifications.jsonl}
"""

START = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)


def notify(capsys: pytest.CaptureFixture[str], tmp_path: Path, at: str) -> tuple[int, dict]:
    code = main(["check", "-c", str(tmp_path / "slos.yaml"), "--state", str(tmp_path / "s.db"), "--at", at,
                 "--notify", "-o", "json"])
    (slo,) = json.loads(capsys.readouterr().out)["slos"]
    return code, slo


def sent(tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "notifications.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(n["kind"], n["status"]) for n in map(json.loads, lines)]


def write_log(path: Path, ms: float, minutes: int = 60) -> None:
    rows = [{"time": (START + timedelta(seconds=10 * i)).isoformat().replace("+00:00", "Z"), "duration_ms": ms}
            for i in range(6 * minutes)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("outage", ["file moved away", "a directory in its place"])
def test_check_notify_through_an_outage_sends_no_resolve(capsys, tmp_path: Path, outage: str) -> None:
    (tmp_path / "slos.yaml").write_text(textwrap.dedent(CONFIG))
    log = tmp_path / "requests.jsonl"
    write_log(log, 2500)
    code, slo = notify(capsys, tmp_path, "2026-06-01T10:30:00Z")
    assert (code, slo["status"]) == (1, "WARNING")  # p95 2500 ms (Nagios: 1 is WARNING)
    assert sent(tmp_path) == [("trigger", "firing")]
    log.rename(tmp_path / "requests.jsonl.1")
    if outage == "a directory in its place":
        log.mkdir()
    for at in ("2026-06-01T10:30:30Z", "2026-06-01T10:36:00Z", "2026-06-01T11:00:00Z", "2026-06-01T14:00:00Z"):
        code, slo = notify(capsys, tmp_path, at)
        assert (code, slo["status"]) == (3, "NO DATA") and slo["error"], slo
    # no resolve: the outage is not a recovery (within the 4h repeat interval: nothing at all)
    assert sent(tmp_path) == [("trigger", "firing")]
    # the source is back and the latency with it: only then does the alert resolve
    if log.is_dir():
        shutil.rmtree(log)
    write_log(log, 200, minutes=360)
    code, slo = notify(capsys, tmp_path, "2026-06-01T15:30:00Z")
    assert (code, slo["status"]) == (0, "OK")
    notify(capsys, tmp_path, "2026-06-01T15:36:00Z")
    assert sent(tmp_path) == [("trigger", "firing"), ("resolve", "resolved")]
