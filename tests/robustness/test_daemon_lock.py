"""Issue 8 item 14: one evaluating-and-delivering daemon per state file.

Before the fix two daemons on one state file both evaluated and delivered.
Family: a second ``run --headless`` (and ``--once``) is refused naming the
first one's pid; a lock left by a SIGKILLed daemon does not block a restart;
readers (``check`` without ``--notify``, ``silence list``) are not blocked;
another state file is another lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness beside this file, package or not
from daemon_harness import REPO, SLO_AVAILABILITY, Daemon, wait_for, write_config

from slotui.core.exit_code import UNKNOWN
from slotui.state_lock import StateLock, StateLocked, lock_path

pytestmark = pytest.mark.integration


def _slotui(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "slotui", *argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def first(tmp_path: Path):
    d = Daemon(tmp_path, write_config(tmp_path / "slos.yaml", SLO_AVAILABILITY)).started()
    wait_for(d.ticks, 60, "the first tick")
    yield d
    if d.proc.poll() is None:
        assert d.stop() == 0, d.log


@pytest.mark.parametrize("extra", [(), ("--once",)], ids=["daemon", "once"])
def test_daemon_second_one_on_the_same_state_is_refused(first: Daemon, tmp_path: Path, extra: tuple[str, ...]) -> None:
    second = _slotui(tmp_path, "run", "--headless", "--listen", "127.0.0.1:0", "-c", "slos.yaml",
                     "--state", str(first.state), *extra)
    assert second.returncode == UNKNOWN
    assert f"pid {first.proc.pid}" in second.stderr
    assert str(first.state) in second.stderr and "Traceback" not in second.stderr
    assert "slo=" not in second.stderr  # it never evaluated
    before = first.ticks()
    wait_for(lambda: first.ticks() > before, 30, "the first daemon still ticking")


def test_daemon_readers_are_not_blocked_by_the_lock(first: Daemon, tmp_path: Path) -> None:
    check = _slotui(tmp_path, "check", "-c", "slos.yaml", "--state", str(first.state), "--format", "json")
    assert check.returncode in (0, 1, 2, 3) and '"availability"' in check.stdout, check.stderr
    assert "another slotui daemon" not in check.stderr
    silences = _slotui(tmp_path, "silence", "list", "--state", str(first.state))
    assert silences.returncode == 0, silences.stderr


def test_daemon_on_another_state_file_runs(first: Daemon, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    d = Daemon(other, write_config(other / "slos.yaml", SLO_AVAILABILITY)).started()
    try:
        wait_for(d.ticks, 60, "the other daemon's first tick")
    finally:
        assert d.stop() == 0, d.log


def test_daemon_restart_after_sigkill_is_not_blocked(first: Daemon, tmp_path: Path) -> None:
    first.kill()  # SIGKILL: no cleanup, the lock file still holds its pid
    assert lock_path(first.state).read_text().strip() == str(first.proc.pid)
    again = Daemon(tmp_path, tmp_path / "slos.yaml").started()
    try:
        wait_for(again.ticks, 60, "the restarted daemon's first tick")
        assert lock_path(first.state).read_text().strip() == str(again.proc.pid)
    finally:
        assert again.stop() == 0, again.log
    assert lock_path(first.state).read_text() == ""  # a clean stop forgets its pid


def test_daemon_lock_in_process(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with StateLock.acquire(state) as lock:
        assert lock.held and lock_path(state).read_text() == f"{os.getpid()}\n"
        with pytest.raises(StateLocked) as info:
            StateLock.acquire(state)  # flock conflicts across open file descriptions, even in one process
        assert info.value.holder == os.getpid() and f"pid {os.getpid()}" in str(info.value)
    assert not lock.held
    StateLock.acquire(state).release()  # free again


@pytest.mark.parametrize("link", ["symlink", "hard link"])
def test_daemon_second_one_through_another_path_is_refused(first: Daemon, tmp_path: Path, link: str) -> None:
    # each daemon took its own <path>.lock: both ticked and delivered on the one state file
    other = tmp_path / "other"
    other.mkdir()
    alias = other / "state.db"
    if link == "symlink":
        alias.symlink_to(first.state)
    else:
        os.link(first.state, alias)
    second = _slotui(tmp_path, "run", "--headless", "--listen", "none", "-c", "slos.yaml", "--state", str(alias),
                     "--once")
    assert second.returncode == UNKNOWN, second.stderr
    assert "another slotui daemon" in second.stderr and "Traceback" not in second.stderr
    if link == "symlink":  # the same <real path>.lock: the first one's pid is named
        assert f"pid {first.proc.pid}" in second.stderr
    assert "slo=" not in second.stderr  # it never evaluated
    before = first.ticks()
    wait_for(lambda: first.ticks() > before, 30, "the first daemon still ticking")


def test_daemon_lock_in_process_through_a_hard_link(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    state.write_bytes(b"")
    os.link(state, tmp_path / "alias.db")
    with StateLock.acquire(state):
        with pytest.raises(StateLocked) as info:
            StateLock.acquire(tmp_path / "alias.db")
        assert info.value.holder is None and "another path to this file" in str(info.value)
    StateLock.acquire(tmp_path / "alias.db").release()  # free again
    assert state.read_bytes() == b""  # the state file itself is never written by the lock
