"""``check --output FILE`` never leaves an earlier run's report behind a run that exits 3 before it
writes one: the file is emptied, so CI does not publish an all-green JUnit report for a run that
checked nothing (found: it kept the previous ``tests="1" failures="0"`` suite). The family: every
early exit (an invalid config, an unreadable ``--results``, a bad ``--at``, a state file that is a
directory), in every format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = "version: 1\nquality_slos:\n  accuracy: {target: 0.90, warning: 0.85, critical: 0.75}\n"
INVALID = "version: 1\nquality_slos:\n  accuracy: {target: 0.9, warning: 0.95, critical: 0.8}\n"


def check(tmp_path: Path, *argv: str) -> int:
    return subprocess.run([sys.executable, "-m", "slotui", "check", *argv], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path).returncode


@pytest.mark.parametrize("fmt", ["junit", "json", "markdown", "table"])
@pytest.mark.parametrize("failure", ["invalid config", "missing results", "bad --at", "state is a directory"])
def test_a_run_that_fails_early_leaves_no_old_report(tmp_path: Path, fmt: str, failure: str) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "invalid.yaml").write_text(INVALID)
    (tmp_path / "r.json").write_text('{"accuracy": 0.95}')
    (tmp_path / "state").mkdir()
    report = tmp_path / "report.out"
    assert check(tmp_path, "-c", "good.yaml", "--results", "r.json", "-o", fmt, "--output", str(report)) == 0
    assert "accuracy" in report.read_text()
    argv = {
        "invalid config": ["-c", "invalid.yaml", "--results", "r.json"],
        "missing results": ["-c", "good.yaml", "--results", "missing.json"],
        "bad --at": ["-c", "good.yaml", "--results", "r.json", "--at", "yesterday-ish"],
        "state is a directory": ["-c", "good.yaml", "--state", "state"],
    }[failure]
    assert check(tmp_path, *argv, "-o", fmt, "--output", str(report)) == 3
    assert report.read_text() == ""
