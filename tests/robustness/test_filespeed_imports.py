"""Issue 13 part 4: ``slotui check`` on a small log never imports numpy (the batch path's only
user); on a log with a batch of 4096+ plain records it does, and the answers are the same as
the per-record path's (``--format json``, run twice in fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()

CONFIG = """version: 1
defaults: {window: 1h, period: 1d}
sources:
  logs: {type: file, path: requests.jsonl}
slos:
  - name: cost
    source: logs
    sli: {field: gen_ai.usage.cost, agg: mean}
    objective: {target: 0.01, direction: lower_is_better}
  - name: success
    source: logs
    ratio: {good: "error.type == null"}
    objective: {target: 0.9}
"""


def _log(path: Path, n: int) -> None:
    lines = []
    for i in range(n):
        t = datetime.fromtimestamp(NOON - 3000 + i * 0.5, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        err = "null" if i % 9 else '"timeout"'
        lines.append(f'{{"time": "{t}", "gen_ai.usage.cost": {0.001 * (i % 13)}, "error.type": {err}}}\n')
    path.write_text("".join(lines))


def _check(tmp_path: Path, bulk_min: int | None = None) -> tuple[set[str], dict]:
    patch = f"import slotui.sources.series_book as b; b.BULK_MIN = {bulk_min}\n" if bulk_min else ""
    code = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: sys.__stderr__.write('MODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
        + patch
        + "from slotui.cli import main\n"
        f"try:\n    rc = main({['check', '-c', str(tmp_path / 'slotui.yaml'), '--at', '2026-06-01T12:00:00Z', '--format', 'json', '--state', str(tmp_path / 's.db')]!r})\n"
        "except SystemExit as e:\n    rc = e.code\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, proc.stderr
    report = json.loads(proc.stdout)
    return set(json.loads(line[-1][len("MODULES "):])), report


def _values(report: dict) -> dict:
    return {r["name"]: (r["status"], r["value"], r["good"], r["total"], r["budget"]) for r in report["slos"]}


def test_small_log_check_does_not_import_numpy(tmp_path: Path) -> None:
    (tmp_path / "slotui.yaml").write_text(CONFIG)
    _log(tmp_path / "requests.jsonl", 200)
    loaded, report = _check(tmp_path)
    assert "slotui.sources.file" in loaded
    assert "numpy" not in loaded
    values = _values(report)
    assert values["cost"][1] is not None and values["success"][3] is not None


def test_large_log_takes_the_batch_path_with_the_same_answers(tmp_path: Path) -> None:
    (tmp_path / "slotui.yaml").write_text(CONFIG)
    _log(tmp_path / "requests.jsonl", 6000)
    loaded, report = _check(tmp_path)
    assert "numpy" in loaded  # the batch path ran
    loaded_ref, reference = _check(tmp_path, bulk_min=10**12)
    assert "numpy" not in loaded_ref  # the per-record path only
    assert _values(report) == _values(reference)
