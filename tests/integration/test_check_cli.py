"""``slotui check`` end to end as a subprocess: every format, every exit code.

The request log is written by the test at fixed times, and every run passes
``--at``, so the expected numbers are exact: 100 requests lasting 10, 20, ...,
1000 ms. Their p95 is 950.5 ms by linear interpolation (position 0.95 * 99 =
94.05 between 950 and 960 ms) and anything from 950 to 960 by nearest rank, so
the thresholds below sit well clear of that band.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

AT = "2026-06-01T12:00:00Z"
T0 = 1780315200.0  # 2026-06-01T12:00:00Z


def _write_log(path: Path) -> None:
    lines = []
    for i in range(100):
        t = T0 - 1800 + i * 10  # 11:30:00 .. 11:46:30, inside the 1h window
        rec = {
            "time": f"2026-06-01T{11 + (30 * 60 + i * 10) // 3600:02d}:{((30 * 60 + i * 10) % 3600) // 60:02d}:{(i * 10) % 60:02d}Z",
            "duration_s": (i + 1) / 100,
            "error.type": "timeout" if i % 50 == 0 else None,  # 2 errors in 100
            "evaluations": [{"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.9}],
        }
        assert abs(t - T0) <= 1800
        lines.append(json.dumps(rec))
    path.write_text("\n".join(lines) + "\n")


def _config(tmp_path: Path, target: float, warning: float, critical: float, field: str = "duration_ms") -> Path:
    _write_log(tmp_path / "requests.jsonl")
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        f"""version: 1
defaults: {{window: 1h, period: 1d}}
sources:
  logs:
    type: file
    path: requests.jsonl
    fields: {{duration_ms: "duration_s * 1000"}}
slos:
  - name: latency_p95_ms
    source: logs
    sli: {{field: {field}, agg: p95}}
    objective: {{target: {target}, warning: {warning}, critical: {critical}}}
    unit: ms
"""
    )
    return cfg


def _check(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "slotui", "check", "-c", str(cfg), "--at", AT, *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    ("thresholds", "status", "code"),
    [
        ((1000, 2000, 3000), "OK", 0),
        ((900, 1000, 2000), "AT RISK", 0),
        ((500, 900, 2000), "WARNING", 1),
        ((300, 500, 900), "CRITICAL", 2),
    ],
)
def test_exit_code_follows_status(tmp_path: Path, thresholds, status: str, code: int) -> None:
    cfg = _config(tmp_path, *thresholds)
    proc = _check(cfg, "--format", "json")
    assert proc.returncode == code, proc.stderr
    report = json.loads(proc.stdout)
    (slo,) = report["slos"]
    assert slo["name"] == "latency_p95_ms"
    assert slo["status"] == status
    assert 950.0 <= slo["value"] <= 960.0


def test_fail_on_critical_ignores_warnings(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 500, 900, 2000)
    assert _check(cfg, "--fail-on", "critical").returncode == 0
    assert _check(cfg, "--fail-on", "warning").returncode == 1


def test_no_data_is_unknown_unless_relaxed(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 1000, 2000, 3000, field="no_such_field")
    proc = _check(cfg, "--format", "json")
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["slos"][0]["status"] == "NO DATA"
    assert _check(cfg, "--no-data", "ok").returncode == 0


def test_at_replays_the_past(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 1000, 2000, 3000)
    # Two hours later the 1h window is empty: NO DATA, exit 3.
    later = subprocess.run(
        [sys.executable, "-m", "slotui", "check", "-c", str(cfg), "--at", "2026-06-01T14:00:00Z", "-o", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert later.returncode == 3
    assert json.loads(later.stdout)["slos"][0]["status"] == "NO DATA"


def test_invalid_config_exits_3_without_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("version: 1\nslos:\n  - name: x\n    objective: {target: fast}\n")
    proc = _check(cfg)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "slos.yaml" in proc.stderr and ":4" in proc.stderr


def test_bad_at_is_a_clear_error(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 1000, 2000, 3000)
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "check", "-c", str(cfg), "--at", "yesterday-ish"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 3
    assert "--at" in proc.stderr and "Traceback" not in proc.stderr


def test_table_format(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 500, 900, 2000)
    proc = _check(cfg)
    assert proc.returncode == 1
    assert "latency_p95_ms" in proc.stdout and "WARNING" in proc.stdout
    assert "0/1" in proc.stdout  # overall compliance line


def test_junit_format(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 300, 500, 900)
    proc = _check(cfg, "--format", "junit")
    assert proc.returncode == 2
    root = ET.fromstring(proc.stdout)
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["latency_p95_ms"]
    assert cases[0].find("failure") is not None


def test_markdown_format_and_output_file(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 1000, 2000, 3000)
    out = tmp_path / "summary.md"
    proc = _check(cfg, "--format", "markdown", "--output", str(out))
    assert proc.returncode == 0
    text = out.read_text()
    assert "| " in text and "latency_p95_ms" in text
    assert proc.stdout == ""


def test_results_file_against_quality_slos(tmp_path: Path) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        """version: 1
quality_slos:
  accuracy: {target: 0.90, warning: 0.85, critical: 0.75}
  helpfulness: {target: 0.85, warning: 0.80, critical: 0.70}
  response_time_p95_ms: {target: 2000, warning: 3000, critical: 5000}
"""
    )
    results = tmp_path / "eval_results.json"
    # MLflow's eval_results.metrics shape
    results.write_text(json.dumps({"metrics": {"accuracy": 0.91, "helpfulness": 0.82, "response_time_p95_ms": 6000}}))
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "check", "-c", str(cfg), "--results", str(results), "-o", "json"],
        capture_output=True, text=True, timeout=60,
    )
    statuses = {s["name"]: s["status"] for s in json.loads(proc.stdout)["slos"]}
    # 6000 ms is worse than the 5000 ms critical threshold: lower is better.
    assert statuses == {"accuracy": "OK", "helpfulness": "AT RISK", "response_time_p95_ms": "CRITICAL"}
    assert proc.returncode == 2


def test_python_m_slotui_matches_console_script(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "slotui", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for cmd in ("check", "run", "silence", "test-alert", "validate", "schema"):
        assert cmd in proc.stdout
