"""``slotui state check`` (a real subprocess): every unreadable row of every table, named by table and
id, exit 1; a clean file exits 0; nothing is changed; the command imports neither Textual nor httpx."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

try:  # a package once tests/robustness/__init__.py exists, a sibling module before
    from .rows_state import BUCKETS, DROP, SILENCE_A, SLICES, damage, edit, seed  # type: ignore[import-not-found]
except ImportError:
    from rows_state import BUCKETS, DROP, SILENCE_A, SLICES, damage, edit, seed  # type: ignore[import-not-found,no-redef]


def slotui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True, timeout=60)


async def test_state_check_names_every_bad_row_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = await seed(path, deliver=True)
    store.close()
    clean = slotui("state", "check", "--state", str(path))
    assert (clean.returncode, clean.stdout) == (0, "every row of the state file reads\n"), clean.stderr

    damage(path, "samples", "value", f"slo = 'thr' AND ts = {SLICES[0][0]!r}", "garbage")
    damage(path, "buckets", "total", f"slo = 'rat' AND ts = {BUCKETS[0][0]!r}", 1.0)  # good 9 > total 1
    damage(path, "silences", "matchers", f"id = '{SILENCE_A}'", "{not json")
    damage(path, "silences", "ends_at", f"id = '{SILENCE_A}'", None)  # in force: an ended one is not reported
    damage(path, "alert_states", "data", "fingerprint = 'latency:warning'", edit(severity="disaster"))
    damage(path, "alert_groups", "data", "group_key = '{slo=\"latency\"}'", edit(key=DROP))
    damage(path, "notifications", "payload", "id = 2", "{cut")
    damage(path, "deliveries", "outcome", "id = 1", "maybe")
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    out = slotui("state", "check", "-o", "json", "--state", str(path))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    found = {(r["table"], r["id"]): r["error"] for r in json.loads(out.stdout)}
    assert set(found) == {
        ("samples", f"thr/0/{SLICES[0][0]!r}"),
        ("buckets", f"rat/0/{BUCKETS[0][0]!r}"),
        ("silences", SILENCE_A),
        ("alert_states", "latency:warning"),
        ("alert_groups", '{slo="latency"}'),
        ("notifications", "2"),
        ("deliveries", "1"),
    }
    assert found[("samples", f"thr/0/{SLICES[0][0]!r}")] == "value: expected a finite number, got text"
    assert found[("buckets", f"rat/0/{BUCKETS[0][0]!r}")] == "good, total: expected 0 <= good <= total"
    assert found[("alert_states", "latency:warning")].startswith("data.severity: expected one of warning")
    assert found[("alert_groups", '{slo="latency"}')] == "data: missing key 'key'"
    assert found[("notifications", "2")].startswith("payload: ")
    assert found[("deliveries", "1")] == "outcome: expected one of delivered, retry, failed, got an unknown value"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before

    table = slotui("state", "check", "--state", str(path))
    assert table.returncode == 1
    assert f"slotui silence expire {SILENCE_A}" in table.stdout
    assert table.stderr == ""  # the rows are the output, not repeated as warnings


def test_state_check_imports_neither_textual_nor_httpx(tmp_path: Path) -> None:
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['slotui', 'state', 'check', '--state', {str(tmp_path / 's.db')!r}]\n"
        "try:\n    runpy.run_module('slotui', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr
