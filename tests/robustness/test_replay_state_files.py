"""``slotui replay --state FILE`` on a state file it cannot use (real subprocesses).

The read-only snapshot open skipped the checks ``Store.open`` makes, so a file that is not SQLite
ended the replay in a ``sqlite3.DatabaseError`` traceback. Now every such file gets the same one-line
message as the other commands, exit 3, and the file is left byte for byte as it was (no -wal/-shm).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from slotui.store import StoreError, read_history_snapshot


def slotui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_STATE", "SLOTUI_NOW")}
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


def not_sqlite(path: Path) -> None:
    path.write_bytes(b"garbage, not a database\n")


def other_program(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()


def newer_schema(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()


def damaged_pages(path: Path) -> None:
    """A real slotui state file (a silence in it) whose pages after the first are overwritten."""
    made = slotui("silence", "add", "slo=availability", "-d", "1h", "--state", str(path), cwd=path.parent)
    assert made.returncode == 0, made.stderr
    for suffix in ("-wal", "-shm"):
        assert not path.with_name(path.name + suffix).exists()  # closed cleanly: all in the main file
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xab" * (len(data) - page)
    path.write_bytes(bytes(data))


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "not SQLite": (not_sqlite, "is not a SQLite database"),
    "another program's database": (other_program, "not a slotui state file (tables: invoices)"),
    "a newer schema": (newer_schema, "written by a newer slotui (schema 99 > "),
    "damaged pages": (damaged_pages, "database disk image is malformed"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_replay_refuses_a_state_file_it_cannot_read(case: str, tmp_path: Path) -> None:
    make, fragment = CASES[case]
    state = tmp_path / "state.db"
    make(state)
    before = hashlib.sha256(state.read_bytes()).hexdigest()
    out = slotui("replay", "--last", "1h", "--step", "30m", "--state", str(state), cwd=tmp_path)
    assert out.returncode == 3, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr and fragment in out.stderr, out.stderr
    assert out.stderr.startswith(f"slotui replay: state file {state}") and out.stdout == ""
    assert hashlib.sha256(state.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]  # no -wal, no -shm


@pytest.mark.parametrize("case", list(CASES))
def test_stored_history_read_refuses_it_too(case: str, tmp_path: Path) -> None:
    """The other snapshot read (samples of SLOs whose source has no history) goes through the same open."""
    make, fragment = CASES[case]
    state = tmp_path / "state.db"
    make(state)
    with pytest.raises(StoreError, match=re.escape(fragment)):
        read_history_snapshot(state, {"helpfulness": "threshold", "availability": "ratio"}, 0.0, 2e9)


def test_replay_refuses_a_directory_as_state(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    out = slotui("replay", "--last", "1h", "--step", "30m", "--state", str(tmp_path / "d"), cwd=tmp_path)
    assert out.returncode == 3 and "is a directory" in out.stderr and "Traceback" not in out.stderr
