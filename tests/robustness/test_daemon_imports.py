"""The listener's HTTP parser (h11) and the lock load only where the daemon uses them.

``import slotui.commands.run`` and ``slotui check`` must not pay for h11;
the lock module is standard library only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness beside this file, package or not
from daemon_harness import REPO


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_daemon_command_module_does_not_import_h11() -> None:
    loaded = _modules_after("import slotui.commands.run")
    assert "slotui.commands.run" in loaded and "h11" not in loaded
    assert "slotui.output.metrics_listener" not in loaded


def test_daemon_lock_module_is_stdlib_only() -> None:
    before = _modules_after("import slotui")
    added = _modules_after("import slotui.state_lock") - before
    assert "slotui.state_lock" in added
    third_party = {m for m in added if m.split(".")[0] not in sys.stdlib_module_names and m != "slotui.state_lock"}
    assert third_party == set()


def test_daemon_check_does_not_import_the_listener(tmp_path) -> None:
    code = (
        "import sys\nfrom slotui.cli import main\n"
        f"rc = main(['check', '--state', {str(tmp_path / 's.db')!r}])\n"
    )
    loaded = _modules_after(code)
    assert "slotui.commands.check" in loaded
    assert "h11" not in loaded and "slotui.output.metrics_listener" not in loaded and "slotui.state_lock" not in loaded
