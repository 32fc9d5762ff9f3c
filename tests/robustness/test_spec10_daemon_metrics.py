"""``/metrics`` of a real ``slotui run --headless`` for a calendar-window spend SLO (SPEC 10.2, 10.4, 10.1).

The log holds one $1 request every 10 minutes over the last 14 days, all on one
route, so whatever moment the daemon evaluates, the week to date's spend in
dollars *is* its request count: ``slotui_sli_value == slotui_sli_samples ==
slotui_breakdown_top_events``. Before the fix the samples and the breakdown
counted a rolling 7 days (1,008 requests) while the value was the week to date.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path

from daemon_harness import Daemon, wait_for


def _metric(text: str, name: str) -> float | None:
    m = re.search(rf"^{name}{{[^}}]*}} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def test_week_to_date_value_samples_and_breakdown_agree_on_metrics(tmp_path: Path) -> None:
    now = time.time()
    first = now - 14 * 86400
    with (tmp_path / "requests.jsonl").open("w") as out:
        t = first - first % 600
        while t < now:  # all before the daemon's now; the week's first 10-minute mark is in even at Monday 00:00:01
            stamp = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(json.dumps({"time": stamp, "gen_ai.usage.cost": 1.0, "route": "/chat"}) + "\n")
            t += 600
    config = tmp_path / "slos.yaml"
    config.write_text("""\
version: 1
defaults: {interval: 1s}
sources:
  logs: {type: file, path: requests.jsonl}
slos:
  - name: week_spend
    source: logs
    sli: {field: gen_ai.usage.cost, agg: sum}
    window: week
    forecast: true
    breakdown: [route]
    objective: {target: 100000}
    unit: usd
""")
    daemon = Daemon(tmp_path, config).started()
    try:
        def figures() -> tuple[float, float, float] | None:
            status, text = daemon.get("/metrics")
            if status != 200:
                return None
            got = (_metric(text, "slotui_sli_value"), _metric(text, "slotui_sli_samples"),
                   _metric(text, "slotui_breakdown_top_events"))
            return got if None not in got else None  # type: ignore[return-value]

        value, samples, events = wait_for(figures, what="the week's figures on /metrics")  # type: ignore[misc]
        assert samples == value == events
        assert 0 < samples <= 7 * 144  # at most a whole week of 10-minute requests
    finally:
        assert daemon.stop() == 0
