"""The daemon lock: one evaluating-and-delivering daemon per state file.

``slotui run --headless`` holds an exclusive advisory lock (``fcntl.flock``)
on ``<state>.lock`` beside the state file for as long as it runs, and writes
its pid there. A second daemon on the same state file is refused with a
message naming the first one's pid. The kernel releases a flock when its
holder dies, even by SIGKILL, so a stale lock file never blocks a restart.

The lock file is named after the state file's real path, symlinks resolved,
and the state file itself is flocked as well (a flock belongs to the inode,
whatever the path): a daemon given a symlink or a hard link to a state file
another daemon runs on is refused too (each took its own ``<path>.lock``
before, and both ticked and delivered). SQLite's own locks are POSIX record
locks, which a flock does not touch; but closing any descriptor of the state
file drops them for the whole process, so :meth:`StateLock.release` must come
after the store is closed (``run`` does so).

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
        who = f"pid {holder}" if holder is not None else "pid unknown: another path to this file, or not yet written"
        super().__init__(
            f"another slotui daemon ({who}) already evaluates and delivers with state file {state}; "
            "stop it first, or use --state to run a separate daemon on another state file"
        )


def lock_path(state: Path) -> Path:
    """Where the lock of ``state`` lives: ``<state>.lock`` beside the file its path leads to."""
    try:
        real = state.resolve()
    except OSError:
        real = state
    return real.with_name(real.name + ".lock")


def _take(path: Path, state: Path, *, pid: bool = True) -> int:
    """An exclusive flock on ``path`` (holding our pid, with ``pid``), or :class:`StateLocked`
    naming the holder's pid when the file holds one."""
    fd = os.open(path, (os.O_RDWR | os.O_CREAT if pid else os.O_RDONLY) | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = _read_pid(fd) if pid else None
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise StateLocked(state, holder) from None
        raise
    if not pid:
        return fd
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        os.close(fd)
        raise
    return fd


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class StateLock:
    """An exclusive, non-blocking lock on a state file; :meth:`release` (or process exit) frees it."""

    def __init__(self, state: Path, fds: list[int]) -> None:
        self.state = state
        self.path = lock_path(state)
        self._fds: list[int] | None = fds

    @classmethod
    def acquire(cls, state: Path) -> StateLock:
        """Take the lock of ``state`` now or raise :class:`StateLocked` naming the holder's pid.

        Raises :class:`OSError` when the lock file cannot be created.
        """
        fds: list[int] = []
        try:
            fds.append(_take(lock_path(state), state))
            if state.exists():  # the inode: another path to the same file (a hard link) meets it here
                fds.append(_take(state, state, pid=False))
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        return cls(state, fds)

    @property
    def held(self) -> bool:
        return self._fds is not None

    def release(self) -> None:
        """Forget our pid and unlock (idempotent). The files stay: unlinking one would race a new holder."""
        fds, self._fds = self._fds, None
        for i, fd in enumerate(fds or ()):
            if i == 0:  # the pid file; the state file's own descriptor (next) is only closed
                try:
                    os.ftruncate(fd, 0)
                except OSError:
                    pass
            os.close(fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
