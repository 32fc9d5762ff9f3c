"""Issue 8 items 5, 10, 15: every broken SLO file gives its exact located message, exit 3, fast.

The cases live in configs_cases.py (51 files: numbers, durations, ${VAR},
control characters, hostile YAML, unknown metrics). Each runs in-process through
the CLI entry point (``slotui validate -c FILE``); a few run through a real
subprocess to check the exit code and that no traceback is printed; one broken
file goes through every command that takes ``-c``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from configs_cases import CASES, Case, check_reported, write_case

from slotui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_there_are_at_least_40_cases_with_distinct_ids() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_config_names_file_line_col_key_and_expectation(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    check_reported(case, tmp_path, capsys, monkeypatch, unset=("SLOTUI_T_EMPTY", "SLOTUI_T_BLANK", "SLOTUI_T_UNSET"))


SUBPROCESS_CASES = ["billion_laughs", "flow_nesting_1001", "nul_byte", "name_newline", "empty_var_path",
                    "target_nan", "interval_zero"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_real_process_exits_3_without_traceback(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    path = write_case(tmp_path, case)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOTUI_T_")}
    env.update(case.env)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "slotui", "validate", "-c", str(path)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    assert case.expected_for(str(path)) in proc.stderr.splitlines()
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    assert len(proc.stderr.splitlines()) <= 24
    assert elapsed < 10  # interpreter start included; the in-process test bounds the work itself


COMMANDS = [
    ["validate"],
    ["check"],
    ["check", "-o", "json"],
    ["run", "--headless", "--once", "--listen", "none"],
    ["tui"],
    ["demo"],
    ["test-alert", "--channel", "x"],
    ["silence", "add", "slo=x", "-d", "1h"],
    ["silence", "list"],
    ["silence", "query"],
    ["silence", "expire", "abc"],
    ["schema"],
    ["import", "openslo", "NOFILE"],
    ["state", "check"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_every_command_taking_c_exits_3_on_an_invalid_file(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = next(c for c in CASES if c.id == "interval_zero")
    path = write_case(tmp_path, case)
    argv = [str(tmp_path / "x.yaml") if a == "NOFILE" else a for a in command]
    rc = main([*argv, "-c", str(path), "--state", str(tmp_path / "state.db")]
              if argv[0] in ("silence", "check", "run", "tui", "demo", "test-alert", "state") and "-c" not in argv
              else [*argv, "-c", str(path)])
    _, err = capsys.readouterr()
    assert rc == 3
    assert case.expected_for(str(path)) in err.splitlines()
    assert not (tmp_path / "state.db").exists() or argv[0] not in ("silence",)


def test_every_command_reads_a_valid_file_normally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The -c check does not get in the way of a valid file (silence list exits 0)."""
    path = tmp_path / "ok.yaml"
    path.write_text("sources:\n  demo: {type: demo}\nslos:\n"
                    "  - {name: lat, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, warning: 3000}}\n")
    assert main(["silence", "list", "-c", str(path), "--state", str(tmp_path / "s.db")]) == 0
    assert main(["schema", "-c", str(path)]) == 0
    assert main(["validate", "-c", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert "OK: 1 SLO, 1 source, 0 channels" in out
