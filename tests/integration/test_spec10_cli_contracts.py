"""SPEC 10.1, 10.2 and 10.4 as a user's script sees them: ``slotui check`` as a subprocess, every format.

Each test writes a small JSONL log at fixed times and passes ``--at``, so every
figure is worked out by hand in the test. Each one failed before its fix:

- ranking ties (10.1: "ties: larger ``total`` first") were decided by the last
  bit of float sums: two routes of equal scores ranked the 3-record one first;
- a calendar window (10.4, ``window: week|month``) counted ``n`` and its
  breakdown over a rolling window of the same length, so ``n`` and the groups
  disagreed with ``value``; a 31-day month with ``period: 30d`` lost its first day;
- ``significant: true`` (10.2) turned every sum, min or max past critical into
  AT RISK "not significant (n=..., no interval)" (a $40k spend on a $100
  budget exited 0);
- a forecast SLO's JUnit message and notification summary set the spend so far
  against the thresholds, while its status is judged on the projection.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def slotui(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def check_json(cwd: Path, at: str) -> dict:
    out = slotui(cwd, "check", "-c", "slos.yaml", "--at", at, "--format", "json")
    assert out.stdout, out.stderr
    return json.loads(out.stdout)


def hourly_log(path: Path, start: datetime, end: datetime, cost: float = 1.0) -> None:
    """One $``cost`` request per hour in ``[start, end)``, route ``a`` on even hours and ``b`` on odd ones."""
    lines, t = [], start
    while t < end:
        lines.append(json.dumps({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "gen_ai.usage.cost": cost,
                                 "route": "a" if t.hour % 2 == 0 else "b", "error.type": None}))
        t += timedelta(hours=1)
    path.write_text("\n".join(lines) + "\n")


UTC = timezone.utc


# --------------------------------------------------------------------------- 10.1 ranking ties


def test_equal_groups_rank_by_larger_total_in_every_format(tmp_path: Path) -> None:
    # route A: 3 scores of 0.1, route B: 7 scores of 0.1. Removing either leaves a mean of 0.1:
    # equal gains, so B (larger total) ranks first. In floats fsum([0.1]*3)/3 = 0.10000000000000002,
    # which made A's "without" look a bit better than B's.
    rows = [("A", f"2026-06-01T11:30:0{i}Z") for i in range(3)] + [("B", f"2026-06-01T11:40:0{i}Z") for i in range(7)]
    (tmp_path / "requests.jsonl").write_text("".join(json.dumps({
        "time": t, "route": r, "x": 0.1,
        "evaluations": [{"gen_ai.evaluation.name": "h", "gen_ai.evaluation.score.value": 0.1}]}) + "\n"
        for r, t in rows))
    (tmp_path / "slos.yaml").write_text("""\
version: 1
defaults: {window: 1h, period: 7d, breakdown: [route]}
sources:
  logs: {type: file, path: requests.jsonl, fields: {x2: "x * 2"}}
slos:
  - name: judged
    source: logs
    sli: {field: evaluations.h, agg: mean}
    objective: {target: 0.5, direction: higher_is_better}
  - name: derived
    source: logs
    sli: {field: x2, agg: mean}
    objective: {target: 0.5, direction: higher_is_better}
""")
    at = "2026-06-01T12:00:00Z"
    report = check_json(tmp_path, at)
    for slo in report["slos"]:
        assert slo["status"] == "AT RISK"
        assert [(g["labels"], g["total"]) for g in slo["breakdown"]["groups"]] == [
            ({"route": "B"}, 7.0), ({"route": "A"}, 3.0)], slo["name"]
    table = slotui(tmp_path, "check", "-c", "slos.yaml", "--at", at).stdout
    assert "  judged: route=B: 0.1 of 7; without it 0.1 (AT RISK)" in table
    assert "  derived: route=B: 0.2 of 7; without it 0.2 (AT RISK)" in table
    markdown = slotui(tmp_path, "check", "-c", "slos.yaml", "--at", at, "--format", "markdown").stdout
    assert "- `judged`: route=B: 0.1 of 7; without it 0.1 (AT RISK)" in markdown


# --------------------------------------------------------------------------- 10.4 calendar windows


WEEK_CONFIG = """\
version: 1
sources:
  logs: {{type: file, path: requests.jsonl}}
slos:
  - name: week_spend
    source: logs
    sli: {{field: gen_ai.usage.cost, agg: sum}}
    window: week
    forecast: true
    breakdown: [route]
    objective: {{target: {target}, warning: {warning}, critical: {critical}}}
    unit: usd
alerts:
  channels:
    f: {{type: file, path: alerts.jsonl}}
  routes:
    - {{severity: warning, channels: [f]}}
    - {{severity: critical, channels: [f]}}
"""


def test_a_week_to_date_counts_n_and_the_breakdown_over_the_week(tmp_path: Path) -> None:
    # $1 an hour from Mon Jan 19 to Sat Jan 31 2026. At Wed Jan 28 12:00 the week (from Mon Jan 26
    # 00:00) holds 60 requests: $60, 30 on each route; a rolling 7 days would hold 168.
    hourly_log(tmp_path / "requests.jsonl", datetime(2026, 1, 19, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    (tmp_path / "slos.yaml").write_text(WEEK_CONFIG.format(target=1000, warning=1200, critical=1500))
    slo = check_json(tmp_path, "2026-01-28T12:00:00Z")["slos"][0]
    assert slo["value"] == 60.0 and slo["n"] == 60
    assert slo["forecast"]["value_at_end"] == pytest.approx(60.0 + 24.0 * 4.5, rel=1e-12)  # $24/day, 4.5 days left
    breakdown = slo["breakdown"]
    assert breakdown["window"] == 2.5 * 86400  # Monday 00:00 to now
    assert [(g["labels"]["route"], g["total"], g["value"], g["without"]) for g in breakdown["groups"]] == [
        ("a", 30.0, 30.0, 30.0), ("b", 30.0, 30.0, 30.0)]


def test_a_31_day_month_keeps_its_first_day_with_a_30d_period(tmp_path: Path) -> None:
    # Jan 2026 has 31 days: at Jan 31 23:30 the month holds 31 x 24 = 744 hourly requests.
    # A 30-day retention dropped Jan 1 (720).
    hourly_log(tmp_path / "requests.jsonl", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    (tmp_path / "slos.yaml").write_text("""\
version: 1
sources:
  logs: {type: file, path: requests.jsonl}
slos:
  - name: spend
    source: logs
    sli: {field: gen_ai.usage.cost, agg: sum}
    window: month
    period: 30d
    forecast: true
    objective: {target: 700}
    unit: usd
""")
    slo = check_json(tmp_path, "2026-01-31T23:30:00Z")["slos"][0]
    assert slo["value"] == 744.0 and slo["n"] == 744
    f = slo["forecast"]
    assert f["window_start"] == "2026-01-01T00:00:00Z" and f["window_end"] == "2026-02-01T00:00:00Z"
    assert f["value_at_end"] == pytest.approx(744.0 + 24.0 / 48, rel=1e-12)  # $24/day over the last 30 minutes
    # the 700th dollar was the request of Jan 30 03:00 (699 hours after Jan 1 00:00): its 5m slice ends 03:05
    assert f["exhausted_at"] == "2026-01-30T03:05:00Z"


# --------------------------------------------------------------------------- 10.2 significant on sums


def test_significant_leaves_sums_and_maxima_alone(tmp_path: Path) -> None:
    # significant: true in defaults. A sum and a max have no interval (SPEC 10.2 gives one to means,
    # ratios and pNN): their status stands. A mean of one sample still has none: AT RISK.
    hourly_log(tmp_path / "requests.jsonl", datetime(2026, 1, 26, tzinfo=UTC), datetime(2026, 1, 28, 12, tzinfo=UTC))
    (tmp_path / "slos.yaml").write_text("""\
version: 1
defaults: {significant: true, window: 1h, period: 7d}
sources:
  logs: {type: file, path: requests.jsonl}
slos:
  - name: week_spend
    source: logs
    sli: {field: gen_ai.usage.cost, agg: sum}
    window: week
    objective: {target: 10, warning: 20, critical: 40}
    unit: usd
  - name: priciest
    source: logs
    sli: {field: gen_ai.usage.cost, agg: max}
    objective: {target: 0.1, warning: 0.5, critical: 0.8}
    unit: usd
  - name: mean_cost
    source: logs
    sli: {field: gen_ai.usage.cost, agg: mean}
    objective: {target: 0.1, warning: 0.5, critical: 0.8}
    unit: usd
""")
    at = "2026-01-28T12:00:00Z"
    out = slotui(tmp_path, "check", "-c", "slos.yaml", "--at", at, "--format", "json")
    assert out.returncode == 2, out.stderr
    slos = {s["name"]: s for s in json.loads(out.stdout)["slos"]}
    week = slos["week_spend"]
    assert (week["status"], week["value"], week["n"]) == ("CRITICAL", 60.0, 60)
    assert (slos["priciest"]["status"], slos["priciest"]["n"]) == ("CRITICAL", 1)  # the 11:00 request
    for name in ("week_spend", "priciest"):
        assert not any(n.startswith("not significant") for n in slos[name]["notes"])
        assert slos[name]["significant"] is None and slos[name]["interval"] is None
    assert slos["mean_cost"]["status"] == "AT RISK"
    assert "not significant (n=1, no interval)" in slos["mean_cost"]["notes"]
    junit = ET.fromstring(slotui(tmp_path, "check", "-c", "slos.yaml", "--at", at, "--format", "junit").stdout)
    assert {c.get("name"): c.find("failure").get("type") for c in junit.iter("testcase")
            if c.find("failure") is not None} == {"week_spend": "CRITICAL", "priciest": "CRITICAL"}


# --------------------------------------------------------------------------- 10.4 judged on the projection


def test_a_forecast_is_set_against_the_thresholds_as_projected_in_junit_and_notifications(tmp_path: Path) -> None:
    # Mon Jan 26 06:00: $6 so far (00:00..05:00); the basis is the 6h of the week so far: $1/h = $24/day;
    # by Sun Feb 1 24:00: 6 + 24 x 6.75 = $168: WARNING (warning $150), while $6 is under the $100 target.
    hourly_log(tmp_path / "requests.jsonl", datetime(2026, 1, 19, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    (tmp_path / "slos.yaml").write_text(WEEK_CONFIG.format(target=100, warning=150, critical=200))
    at = "2026-01-26T06:00:00Z"
    slo = check_json(tmp_path, at)["slos"][0]
    assert (slo["status"], slo["value"]) == ("WARNING", 6.0)
    assert slo["forecast"]["value_at_end"] == pytest.approx(168.0, rel=1e-12)
    assert slo["forecast"]["basis_s"] == 6 * 3600 and slo["forecast"]["rate_per_day"] == pytest.approx(24.0, rel=1e-12)
    junit = ET.fromstring(slotui(tmp_path, "check", "-c", "slos.yaml", "--at", at, "--format", "junit").stdout)
    failure = next(junit.iter("failure"))
    assert failure.get("message") == (
        "WARNING: projected $168 by Feb 1 ($6.00 so far) vs target ≤ $100.00 (warning $150.00, critical $200.00)")
    sent = slotui(tmp_path, "check", "-c", "slos.yaml", "--at", at, "--state", "state.db", "--notify")
    assert sent.returncode == 1, sent.stderr
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    alerts = [a for line in lines for a in json.loads(line)["alerts"]]
    assert [a["annotations"]["summary"] for a in alerts] == [
        "week_spend is WARNING: projected $168 by Feb 1 ($6.00 so far) "
        "(target <= $100.00, warning > $150.00, critical > $200.00)"]
    assert alerts[0]["annotations"]["forecast"] == "$6.00 so far, $168 by Feb 1, budget gone Jan 30"
