"""The headless path never imports Textual (nor httpx/langsmith/duckdb when unused).

Each check runs in a fresh interpreter, so modules imported by other tests in
this process cannot hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

HEADLESS_MODULES = [
    "slotui",
    "slotui.cli",
    "slotui.config.loader",
    "slotui.core.evaluate",
    "slotui.core.exit_code",
    "slotui.engine",
    "slotui.store",
    "slotui.alerting.silence",
    "slotui.sources.demo",
    "slotui.sources.file",
    "slotui.output.table",
    "slotui.output.json_report",
    "slotui.output.junit",
    "slotui.output.markdown",
    "slotui.output.exposition",
    "slotui.commands.check",
    "slotui.commands.run",
    "slotui.commands.silence",
    "slotui.commands.validate",
]


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_headless_module_does_not_import_textual(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert module in loaded
    assert not any(m == "textual" or m.startswith("textual.") for m in loaded)
    assert "langsmith" not in loaded
    assert "duckdb" not in loaded


def _run_cli_and_list_modules(argv: list[str]) -> set[str]:
    code = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: sys.__stderr__.write('MODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
        "from slotui.cli import main\n"
        f"try:\n    rc = main({argv!r})\nexcept SystemExit as e:\n    rc = e.code\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, proc.stderr
    return set(json.loads(line[-1][len("MODULES "):]))


def test_check_on_demo_does_not_import_textual_or_httpx(tmp_path: Path) -> None:
    loaded = _run_cli_and_list_modules(["check", "--state", str(tmp_path / "s.db")])
    assert "slotui.commands.check" in loaded
    assert "slotui.core.evaluate" in loaded
    assert not any(m.startswith("textual") for m in loaded)
    # The demo config has no HTTP source or channel: httpx has no business loading.
    assert "httpx" not in loaded


def test_silence_validate_and_daemon_do_not_import_textual(tmp_path: Path) -> None:
    for argv in (
        ["silence", "list", "--state", str(tmp_path / "s.db")],
        ["validate"],
        ["run", "--headless", "--once", "--listen", "none", "--state", str(tmp_path / "d.db")],
    ):
        loaded = _run_cli_and_list_modules(argv)
        assert not any(m.startswith("textual") for m in loaded), argv
