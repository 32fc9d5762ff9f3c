"""The daemon lock: one evaluating-and-delivering daemon per state file.

``slotui run --headless`` holds an exclusive advisory lock (``fcntl.flock``)
on ``<state>.lock`` beside the state file for as long as it runs, and writes
its pid there. A second daemon on the same state file is refused with a
message naming the first one's pid. The kernel releases a flock when its
holder dies, even by SIGKILL, so a stale lock file never blocks a restart.

Readers (``check`` without ``--notify``, ``silence list``, the TUI) never
take the lock: they share the state file through SQLite WAL as before.

``import slotui.state_lock`` loads only the standard library.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path


class StateLocked(Exception):
    """Another process holds the daemon lock of this state file."""

    def __init__(self, state: Path, holder: int | None) -> None:
        self.state = state
        self.holder = holder
        try:
            state = state.resolve()
        except OSError:
            pass
        who = f"pid {holder}" if holder is not None else "another process (pid not yet written)"
        super().__init__(
            f"another slotui daemon ({who}) already evaluates and delivers with state file {state}; "
            "stop it first, or use --state to run a separate daemon on another state file"
        )


def lock_path(state: Path) -> Path:
    """Where the lock of ``state`` lives: ``<state>.lock`` in the same directory."""
    return state.with_name(state.name + ".lock")


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class StateLock:
    """An exclusive, non-blocking lock on a state file; :meth:`release` (or process exit) frees it."""

    def __init__(self, state: Path, fd: int) -> None:
        self.state = state
        self.path = lock_path(state)
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, state: Path) -> StateLock:
        """Take the lock of ``state`` now or raise :class:`StateLocked` naming the holder's pid.

        Raises :class:`OSError` when the lock file cannot be created.
        """
        path = lock_path(state)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise StateLocked(state, holder) from None
            raise
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            os.close(fd)
            raise
        return cls(state, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Forget our pid and unlock (idempotent). The file stays: unlinking it would race a new holder."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
