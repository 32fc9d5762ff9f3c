"""Issue 8, items 2-4: the exact reproductions, end to end through ``slotui check``.

Each test failed before the fix: the NaN lines were counted as malformed
(success 10/10 = OK), two 1e308 costs raised OverflowError in ``fsum`` (all
five SLOs NO DATA), and a rename-style rotation dropped the window's history
(count 20 -> 5).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest
from records_gen import HOUR, NOON, check_json, file_config, file_source, jsonl, record, spec



FIVE_SLOS = """\
  - {name: success, source: logs, ratio: {good: "error.type == null"}, objective: {target: 0.99, critical: 0.9}}
  - {name: latency_p95, source: logs, sli: {field: duration_s, agg: p95}, objective: {target: 2, direction: lower_is_better}}
  - {name: cost_mean, source: logs, sli: {field: gen_ai.usage.cost, agg: mean}, objective: {target: 1, direction: lower_is_better}}
  - {name: cost_sum, source: logs, sli: {field: gen_ai.usage.cost, agg: sum}, objective: {target: 100, direction: lower_is_better}}
  - {name: helpfulness, source: logs, sli: {field: evaluations.helpfulness, agg: mean}, objective: {target: 0.5, direction: higher_is_better}}
"""


def _requests(bad: dict) -> list[dict]:
    out = []
    for i in range(12):  # 11:30 .. 11:41, inside the 1h window before 12:00
        fields = {"duration_s": 0.5 + i / 100, "gen_ai.usage.cost": 0.01, "error.type": None,
                  "evaluations": [{"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.8}]}
        if i >= 10:
            fields.update(bad)
        out.append(record(NOON - 1800 + i * 60, **fields))
    return out


def test_two_error_records_with_nan_cost_make_success_10_of_12_critical(tmp_path: Path) -> None:
    lines = jsonl(_requests({"error.type": "timeout", "gen_ai.usage.cost": float("nan")}))
    assert lines.count("NaN") == 2  # what json.dumps writes by default
    (tmp_path / "requests.jsonl").write_text(lines)
    report = check_json(file_config(tmp_path, FIVE_SLOS))
    slos = {s["name"]: s for s in report["slos"]}
    assert (slos["success"]["good"], slos["success"]["total"]) == (10.0, 12.0)
    assert slos["success"]["status"] == "CRITICAL"
    assert report["returncode"] == 2
    # the cost SLIs skip the two NaN values, counted in their note; nothing was malformed
    assert slos["cost_mean"]["value"] == 0.01
    assert slos["cost_sum"]["value"] == float(Fraction(0.01) * 10) or slos["cost_sum"]["value"] == sum([0.01] * 10)
    assert "2 records: gen_ai.usage.cost not finite" in slos["cost_mean"]["notes"]
    assert not any("malformed" in n for n in slos["success"]["notes"])
    # the other SLIs see all 12 records
    assert abs(slos["helpfulness"]["value"] - 0.8) < 1e-12
    assert slos["latency_p95"]["value"] is not None


@pytest.mark.parametrize("written", ["nan", "-nan", "NAN", "inf", "-Infinity", "INF"])
@pytest.mark.parametrize("trailing_comma", [False, True])
def test_other_writers_spellings_of_non_finite_are_read_too(tmp_path: Path, written: str, trailing_comma: bool) -> None:
    """The same two error records as other writers spell them (``nan`` from C and Rust loggers,
    ``-inf``, a trailing comma): read as DuckDB reads them, not counted malformed."""
    lines = jsonl(_requests({"error.type": "timeout", "gen_ai.usage.cost": float("nan")})).splitlines()
    lines = [line.replace("NaN", written) for line in lines]
    if trailing_comma:
        lines = [line[:-1] + ",}" for line in lines]
    assert sum(written in line for line in lines) == 2
    (tmp_path / "requests.jsonl").write_text("\n".join(lines) + "\n")
    report = check_json(file_config(tmp_path, FIVE_SLOS))
    slos = {s["name"]: s for s in report["slos"]}
    assert (slos["success"]["good"], slos["success"]["total"]) == (10.0, 12.0)
    assert slos["success"]["status"] == "CRITICAL"
    assert slos["cost_mean"]["value"] == 0.01
    assert "2 records: gen_ai.usage.cost not finite" in slos["cost_mean"]["notes"]
    assert not any("malformed" in n for s in slos.values() for n in s["notes"])


def test_what_duckdb_refuses_is_still_malformed(tmp_path: Path) -> None:
    lines = jsonl(_requests({})).splitlines()
    lines[3] = lines[3][:-1] + ",,}"  # two trailing commas
    lines[4] = lines[4].replace('"gen_ai.usage.cost": 0.01', '"gen_ai.usage.cost": +inf')
    lines[5] = lines[5].replace('"gen_ai.usage.cost": 0.01', '"gen_ai.usage.cost": infinit')
    (tmp_path / "requests.jsonl").write_text("\n".join(lines) + "\n")
    report = check_json(file_config(tmp_path, FIVE_SLOS))
    slos = {s["name"]: s for s in report["slos"]}
    assert slos["success"]["total"] == 9.0
    assert any("3 malformed" in n for n in slos["success"]["notes"]), slos["success"]["notes"]


def test_two_1e308_costs_do_not_blind_the_source(tmp_path: Path) -> None:
    (tmp_path / "requests.jsonl").write_text(jsonl(_requests({"gen_ai.usage.cost": 1e308})))
    report = check_json(file_config(tmp_path, FIVE_SLOS))
    slos = {s["name"]: s for s in report["slos"]}
    assert report["source_errors"] == {}
    assert slos["success"]["status"] == "OK" and (slos["success"]["good"], slos["success"]["total"]) == (12.0, 12.0)
    assert abs(slos["helpfulness"]["value"] - 0.8) < 1e-12
    # p95 of 0.50 .. 0.61 s: h = 11 * 0.95 = 10.45 between 0.60 and 0.61
    assert abs(slos["latency_p95"]["value"] - (0.60 + 0.45 * (0.61 - 0.60))) < 1e-12
    # the mean is exact: (10 * 0.01 + 2 * 1e308) / 12, finite
    exact = (10 * Fraction(0.01) + 2 * Fraction(1e308)) / 12
    assert slos["cost_mean"]["value"] == float(exact)
    assert slos["cost_mean"]["meets_target"] is False
    # the sum (2e308) is beyond the float range: that SLO says so, and only that one
    assert slos["cost_sum"]["value"] is None
    assert "beyond the float range" in (slos["cost_sum"]["error"] or "")
    assert [name for name, s in slos.items() if s["status"] == "NO DATA"] == ["cost_sum"]


def test_rename_rotation_keeps_the_window_history_20_then_25(tmp_path: Path) -> None:
    path = tmp_path / "req.jsonl"
    path.write_text(jsonl([record(NOON - 1800 + i, duration_s=0.5) for i in range(20)]))
    src = file_source(path)
    specs = [spec("n", sli_field="duration_s", sli_agg="count")]
    assert src.fetch_sync(specs, NOON)["n"].value == 20.0
    os.rename(path, tmp_path / "req.jsonl.1")  # mv req.jsonl req.jsonl.1
    path.write_text(jsonl([record(NOON - 600 + i, duration_s=0.5) for i in range(5)]))
    assert src.fetch_sync(specs, NOON)["n"].value == 25.0
    assert src.fetch_sync(specs, NOON + HOUR - 1000)["n"].value == 5.0  # the window moved past the old 20


def test_copytruncate_then_larger_rewrite_reads_the_new_records_not_phantoms(tmp_path: Path) -> None:
    path = tmp_path / "req.jsonl"
    path.write_text(jsonl([record(NOON - 1800 + i, duration_s=1.0) for i in range(10)]))
    src = file_source(path)
    specs = [spec("n", sli_field="duration_s", sli_agg="count"), spec("s", sli_field="duration_s", sli_agg="sum")]
    assert src.fetch_sync(specs, NOON)["s"].value == 10.0
    # copytruncate: the content goes to req.jsonl.1, the file is emptied in place, then written to
    # past the old offset before the next fetch
    (tmp_path / "req.jsonl.1").write_bytes(path.read_bytes())
    with open(path, "r+") as fh:
        fh.truncate(0)
    with open(path, "a") as fh:
        fh.write(jsonl([record(NOON - 600 + i, duration_s=3.0) for i in range(15)]))
    out = src.fetch_sync(specs, NOON)
    assert out["n"].value == 25.0
    assert out["s"].value == 10 * 1.0 + 15 * 3.0
