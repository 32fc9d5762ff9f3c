"""A report that cannot be written is one line on stderr and exit 3, never a traceback and exit 1
(which a Nagios-style gate reads as WARNING): the family of every command writing its product to
stdout (``check`` in each format, ``validate``, ``schema``, ``export``), to a full disk and to a
stdout closed at start (``>&-``). ``--output`` to a full disk already said so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SLOS = "version: 1\nquality_slos:\n  accuracy: {target: 0.90, warning: 0.85, critical: 0.75}\n"
PROM = """version: 1
sources:
  prom: {type: prometheus, url: "http://127.0.0.1:9"}
slos:
  - {name: avail, source: prom, ratio: {good: "sum(rate(ok[{{window}}]))", total: "sum(rate(all[{{window}}]))"},
     objective: {target: 0.99}}
"""


def commands(tmp_path: Path) -> dict[str, list[str]]:
    (tmp_path / "q.yaml").write_text(SLOS)
    (tmp_path / "p.yaml").write_text(PROM)
    (tmp_path / "r.json").write_text('{"accuracy": 0.95}')
    check = ["check", "-c", str(tmp_path / "q.yaml"), "--results", str(tmp_path / "r.json")]
    return {
        **{f"check -o {fmt}": [*check, "-o", fmt] for fmt in ("table", "json", "junit", "markdown")},
        "validate": ["validate", "-c", str(tmp_path / "q.yaml")],
        "schema": ["schema"],
        "export": ["export", "prometheus-rules", "-c", str(tmp_path / "p.yaml")],
    }


@pytest.mark.parametrize("where", ["/dev/full", "closed"])
def test_an_unwritable_stdout_is_one_line_and_exit_3(tmp_path: Path, where: str) -> None:
    if where == "/dev/full" and not Path("/dev/full").exists():
        pytest.fail("/dev/full is missing (Linux has it)")
    for name, argv in commands(tmp_path).items():
        redirect = "> /dev/full" if where == "/dev/full" else ">&-"
        shell = " ".join(["exec", sys.executable, "-m", "slotui", *(f"'{a}'" for a in argv), redirect])
        proc = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 3, (name, proc.returncode, proc.stderr)
        assert "Traceback" not in proc.stderr, (name, proc.stderr)
        (line,) = proc.stderr.strip().splitlines()
        reason = "No space left on device" if where == "/dev/full" else "stdout is closed"
        assert line == f"slotui {argv[0]}: cannot write the output: {reason}", name


def test_a_reader_that_goes_away_is_still_not_an_error(tmp_path: Path) -> None:
    """`slotui schema | head -c 1`: the reader closing the pipe is exit 0 and no message (BrokenPipe
    is not OSError's output failure)."""
    proc = subprocess.Popen([sys.executable, "-m", "slotui", *commands(tmp_path)["schema"]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(1) == b"{"
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
