"""Commands that only read the state file (``silence list``, ``state check``) change nothing on disk and
wait for no writer. Found: they ran the write initialisation (``BEGIN IMMEDIATE``, WAL switch, schema)
on every open, so (1) on a read-only file they left read-only ``-wal``/``-shm`` files that made every
later command fail once the file was writable again, (2) a 0-byte or blank SQLite file became a full
slotui database, (3) a process holding the write lock made a listing fail after 10 s."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

DROP = ["--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-dac_override,-dac_read_search,-fowner"]


def slotui(*argv: str, unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "slotui", *argv]
    if unprivileged and os.geteuid() == 0:  # root reads and writes any file: drop that, as any other user is
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            if os.environ.get("CI"):
                pytest.fail("setpriv (util-linux) is needed to test a read-only file as root")
            pytest.skip("setpriv is missing")
        command = [setpriv, *DROP, *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def add(state: Path, matcher: str) -> str:
    done = slotui("silence", "add", "-q", matcher, "--state", str(state))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("command", [["silence", "list", "-q"], ["state", "check"]])
def test_a_read_only_state_file_is_read_and_left_as_it_was(tmp_path: Path, command: list[str]) -> None:
    state = tmp_path / "s.db"
    first = add(state, "slo=x")
    state.chmod(0o444)
    read = slotui(*command, "--state", str(state), unprivileged=True)
    assert read.returncode == 0, read.stderr
    if command[0] == "silence":
        assert read.stdout.split() == [first]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]  # no -wal, no -shm left behind
    state.chmod(0o644)  # made writable again, as the error of a write advises: every command works
    second = add(state, "slo=z")
    listed = slotui("silence", "list", "-q", "--state", str(state), unprivileged=True)
    assert listed.returncode == 0 and sorted(listed.stdout.split()) == sorted([first, second])


def test_a_read_only_file_with_a_write_ahead_log_is_refused_not_misread(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    add(state, "slo=x")
    keep = sqlite3.connect(state)  # an open writer keeps its WAL: a change not yet in the file
    keep.execute("INSERT INTO meta (key, value) VALUES ('probe', '1')")
    keep.commit()
    try:
        state.chmod(0o444)
        read = slotui("silence", "list", "--state", str(state), unprivileged=True)
        assert read.returncode == 1 and "write-ahead log" in read.stderr and "Traceback" not in read.stderr
    finally:
        state.chmod(0o644)
        keep.close()


@pytest.mark.parametrize("blank", ["0 bytes", "SQLite without tables"])
@pytest.mark.parametrize("command", [["silence", "list"], ["state", "check"]])
def test_an_empty_state_file_is_said_and_not_filled(tmp_path: Path, blank: str, command: list[str]) -> None:
    state = tmp_path / "s.db"
    if blank == "0 bytes":
        state.write_bytes(b"")
    else:
        sqlite3.connect(state).close()
        state.write_bytes(state.read_bytes())  # whatever SQLite wrote for a connection that made nothing
    before = state.read_bytes()
    read = slotui(*command, "--state", str(state))
    assert "Traceback" not in read.stderr
    assert state.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]
    if command[0] == "silence":
        assert read.returncode == 0 and "no silences" in read.stderr
    else:
        assert read.returncode == 1 and str(state) in read.stderr


@pytest.mark.parametrize("command", [["silence", "list", "-q"], ["state", "check"]])
def test_a_writer_holding_the_lock_does_not_block_a_read(tmp_path: Path, command: list[str]) -> None:
    state = tmp_path / "s.db"
    first = add(state, "slo=x")
    locked, release = threading.Event(), threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(state, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO meta (key, value) VALUES ('busy', '1')")
        locked.set()
        release.wait(30)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        read = slotui(*command, "--state", str(state))
        took = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert read.returncode == 0, read.stderr
    assert took < 8  # the busy timeout is 10 s: a read that waited for the writer failed after it
    if command[0] == "silence":
        assert read.stdout.split() == [first]


def test_state_check_drops_an_unreadable_silence_once_it_is_expired_as_advised(tmp_path: Path) -> None:
    """`state check` advised "end it: slotui silence expire ID" for an unreadable silence, and after that
    still listed it (exit 1) until retention removed it weeks later: a cron job kept failing."""
    state = tmp_path / "s.db"
    sid = add(state, "slo=a")
    conn = sqlite3.connect(state)
    conn.execute("UPDATE silences SET matchers = 'not json'")
    conn.commit()
    conn.close()
    before = slotui("state", "check", "--state", str(state))
    assert before.returncode == 1 and sid in before.stdout and f"slotui silence expire {sid}" in before.stdout
    ended = slotui("silence", "expire", sid, "--state", str(state))
    assert ended.returncode == 0, ended.stderr
    after = slotui("state", "check", "--state", str(state))
    assert after.returncode == 0 and sid not in after.stdout, after.stdout
