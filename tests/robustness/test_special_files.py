"""Paths that are not regular files: devices, FIFOs, directories (real subprocesses).

``slotui check`` never ended on a file source at ``/dev/zero`` (read forever) or a FIFO (open waits
for a writer), nor on ``--results /dev/zero``, and a FIFO given as ``--state`` blocked every command.
Now a file source names what the path is (a source error: the other sources go on), a state file
must be a regular file (exit 3 / 1 for silence, as its other state errors), and ``--results`` reads
at most 16 MiB, so a pipe with a writer (``--results <(python eval.py)``) still works.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest


def slotui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_NOW", "SLOTUI_STATE")}
    env["SLOTUI_STATE"] = str(cwd / "state.db")
    # a hang is the fault under test: the timeout turns it into a failure
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True,
                          timeout=60, env=env, cwd=cwd)


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda tmp: Path("/dev/zero"), "a character device"),
        (lambda tmp: Path("/dev/urandom"), "a character device"),
        (fifo, "a FIFO (named pipe)"),
        (lambda tmp: tmp, "a directory"),
    ],
    ids=["dev-zero", "dev-urandom", "fifo", "directory"],
)
def test_a_file_source_on_a_special_file_is_a_source_error(make, kind: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"time": 1_780_000_000.0, "duration_s": 1.0}) + "\n")
    (tmp_path / "slos.yaml").write_text(textwrap.dedent(f"""\
        version: 1
        sources:
          odd: {{type: file, path: "{path}"}}
          logs: {{type: file, path: good.jsonl}}
        slos:
          - {{name: odd_p95, source: odd, sli: {{field: duration_s, agg: p95}}, objective: {{target: 2, warning: 3}}}}
          - {{name: p95, source: logs, sli: {{field: duration_s, agg: p95}}, objective: {{target: 2, warning: 3}}}}
        """))
    out = slotui("check", "-c", "slos.yaml", "--at", "2026-05-28T20:30:00Z", "-o", "json", cwd=tmp_path)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 3  # a failed source
    report = json.loads(out.stdout)
    assert report["source_errors"]["odd"] == (f"{path}: {kind}, not a regular file; the file source reads "
                                              "request logs (a file on disk)")
    statuses = {s["name"]: s["status"] for s in report["slos"]}
    assert statuses["p95"] == "OK"  # the other source went on


def test_results_from_an_endless_device_are_cut(tmp_path: Path) -> None:
    out = slotui("check", "--results", "/dev/zero", cwd=tmp_path)
    assert out.returncode == 3 and "Traceback" not in out.stderr
    assert "results file larger than 16 MiB" in out.stderr


def test_results_through_a_pipe_with_a_writer(tmp_path: Path) -> None:
    """``--results <(python eval.py)``: a FIFO is read like a file when something writes it."""
    path = fifo(tmp_path)

    def write() -> None:
        with path.open("w") as fh:
            fh.write(json.dumps({"metrics": {"helpfulness": 0.91}}))

    writer = threading.Thread(target=write)
    writer.start()
    (tmp_path / "slos.yaml").write_text(textwrap.dedent("""\
        version: 1
        slos:
          - {name: helpfulness, sli: {field: helpfulness, agg: mean}, objective: {target: 0.85, warning: 0.8}}
        """))
    out = slotui("check", "-c", "slos.yaml", "--results", str(path), "-o", "json", cwd=tmp_path)
    writer.join(timeout=30)
    assert out.returncode == 0, out.stderr
    [slo] = json.loads(out.stdout)["slos"]
    assert (slo["name"], slo["value"], slo["status"]) == ("helpfulness", 0.91, "OK")


@pytest.mark.parametrize("command", [["check"], ["silence", "list"], ["replay", "--last", "1h", "--step", "30m"],
                                     ["state", "check"]])
@pytest.mark.parametrize("where", ["fifo", "/dev/zero"])
def test_a_state_file_that_is_not_a_regular_file(command: list[str], where: str, tmp_path: Path) -> None:
    state = fifo(tmp_path) if where == "fifo" else Path(where)
    out = slotui(*command, "--state", str(state), cwd=tmp_path)
    assert out.returncode in (1, 3) and "Traceback" not in out.stderr, out.stderr
    assert f"state file {state} is not a regular file (a FIFO, device or socket)" in out.stderr


#: a peer file to import (Sloth's own getting-started example)
SLOTH_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "sloth" / "upstream" / "examples" / "getting-started.yml"


@pytest.mark.parametrize("command", ["check", "import", "export"])
@pytest.mark.parametrize("where", ["a directory", "a missing folder"])
def test_an_output_path_that_cannot_be_written(command: str, where: str, tmp_path: Path) -> None:
    """`check --output DIR` ended in an IsADirectoryError traceback (import -o too); export said it."""
    target = tmp_path if where == "a directory" else tmp_path / "nowhere" / "out.txt"
    (tmp_path / "slos.yaml").write_text(
        "version: 1\nsources:\n  prom: {type: prometheus, url: 'http://127.0.0.1:9'}\nslos:\n"
        "  - {name: up, source: prom, ratio: {good: 'sum(rate(ok[{{window}}]))', total: 'sum(rate(all[{{window}}]))'},"
        " objective: {target: 0.99}}\n")
    argv = {"check": ["check", "--at", "2026-05-28T20:30:00Z", "--output", str(target)],
            "import": ["import", str(SLOTH_EXAMPLE), "-o", str(target)],
            "export": ["export", "prometheus-rules", "-c", "slos.yaml", "-o", str(target)]}[command]
    out = slotui(*argv, cwd=tmp_path)
    assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr
    assert f"slotui {command}: cannot write {target}: " in out.stderr
