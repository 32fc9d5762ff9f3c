"""``slotui export prometheus-rules`` is a headless command: no Textual, and no httpx (it sends nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_export_imports_neither_textual_nor_httpx(tmp_path: Path) -> None:
    out = tmp_path / "rules.yaml"
    code = (
        "import sys, json\n"
        "from slotui.cli import main\n"
        f"rc = main(['export', 'prometheus-rules', '-c', 'tests/data/rules/slos.yaml', '-o', {str(out)!r}])\n"
        "print(json.dumps([rc, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    rc, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rc == 0, proc.stderr
    assert "slotui.peers.prometheus_rules" in modules
    assert not any(m == "textual" or m.startswith("textual.") for m in modules)
    assert "httpx" not in modules
    assert "groups:" in out.read_text()
