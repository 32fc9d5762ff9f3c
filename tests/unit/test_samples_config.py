"""``significant``, ``min_samples`` and ``confidence`` in SLO files (SPEC 10.2): defaults, inheritance,
located errors (file, line, key, what was expected; exit 3, no traceback) and ``validate --show``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from slotui.config.loader import load_config

HEAD = """sources:
  logs: {type: file, path: logs.jsonl}
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "slos.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    (tmp_path / "logs.jsonl").write_text("", encoding="utf-8")
    return path


def _slotui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True, timeout=60)


def test_defaults_and_objective_overrides(tmp_path):
    path = _write(tmp_path, """defaults: {significant: true, min_samples: 10, confidence: 0.9}
slos:
  - name: inherits
    sli: {field: evaluations.helpfulness, agg: mean}
    objective: {target: 0.85, warning: 0.8}
  - name: overrides
    sli: {field: evaluations.helpfulness, agg: mean}
    objective: {target: 0.85, warning: 0.8, significant: false, min_samples: 3, confidence: 0.99}
""")
    loaded = load_config(path)
    inherits, overrides = loaded.spec("inherits"), loaded.spec("overrides")
    assert (inherits.significant, inherits.min_samples, inherits.confidence) == (True, 10, 0.9)
    assert (overrides.significant, overrides.min_samples, overrides.confidence) == (False, 3, 0.99)


def test_unset_means_point_verdicts_one_sample_and_95_percent(tmp_path):
    path = _write(tmp_path, """slos:
  - name: plain
    sli: {field: evaluations.helpfulness, agg: mean}
    objective: {target: 0.85, warning: 0.8}
""")
    spec = load_config(path).spec("plain")
    assert (spec.significant, spec.min_samples, spec.confidence) == (False, 1, 0.95)


@pytest.mark.parametrize(("line", "key", "expected"), [
    ("objective: {target: 0.85, confidence: 1.5}", "slos[0].objective.confidence", "expected less than 1"),
    ("objective: {target: 0.85, confidence: 0}", "slos[0].objective.confidence", "expected greater than 0"),
    ("objective: {target: 0.85, min_samples: 0}", "slos[0].objective.min_samples",
     "expected greater than or equal to 1"),
    ("objective: {target: 0.85, min_samples: 2.5}", "slos[0].objective.min_samples", "integer"),
    ("objective: {target: 0.85, significant: maybe}", "slos[0].objective.significant", "expected true or false"),
])
def test_bad_values_name_file_line_key_and_expectation(tmp_path, line, key, expected):
    path = _write(tmp_path, f"""slos:
  - name: bad
    sli: {{field: evaluations.helpfulness, agg: mean}}
    {line}
""")
    proc = _slotui("validate", "-c", str(path))
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{path}:6:" in proc.stderr + proc.stdout  # line 6: the objective line
    assert key in proc.stderr + proc.stdout
    assert expected in (proc.stderr + proc.stdout).lower() or expected in proc.stderr + proc.stdout


@pytest.mark.parametrize(("line", "key"), [
    ("defaults: {confidence: 1}", "defaults.confidence"),
    ("defaults: {min_samples: -3}", "defaults.min_samples"),
])
def test_bad_defaults_are_located_too(tmp_path, line, key):
    path = _write(tmp_path, f"""{line}
slos:
  - name: ok
    sli: {{field: evaluations.helpfulness, agg: mean}}
    objective: {{target: 0.85, warning: 0.8}}
""")
    proc = _slotui("validate", "-c", str(path))
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert f"{path}:3:" in proc.stderr + proc.stdout and key in proc.stderr + proc.stdout


def test_validate_show_lists_the_resolved_options(tmp_path):
    path = _write(tmp_path, """defaults: {min_samples: 20}
slos:
  - name: helpfulness
    sli: {field: evaluations.helpfulness, agg: mean}
    objective: {target: 0.85, warning: 0.8, significant: true, confidence: 0.9}
""")
    proc = _slotui("validate", "--show", "-c", str(path))
    assert proc.returncode == 0, proc.stderr
    shown = yaml.safe_load(proc.stdout)
    slo = next(s for s in shown["slos"] if s["name"] == "helpfulness")
    assert (slo["significant"], slo["min_samples"], slo["confidence"]) == (True, 20, 0.9)
    assert shown["defaults"]["min_samples"] == 20
