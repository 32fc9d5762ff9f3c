"""One SQLite connection shared by the store's tables: the lock, transactions, bad-row counts.

Every table family (:mod:`~slotui.store.samples`, :mod:`~slotui.store.silences`,
:mod:`~slotui.store.alerts`, :mod:`~slotui.store.outbox`) reaches SQLite only
through this class's connection, under its lock. Nothing outside
``slotui/store/`` touches :attr:`StoreConnection.conn` or the lock (a test scans
the tree for it); other code calls the public methods of
:class:`~slotui.store.Store`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from slotui.store.errors import StoreError


def describe_sqlite_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A :class:`StoreError` that says what a SQLite error on the state file means for the user.

    A damaged file, a full disk, a read-only file and a lock held too long read
    differently: each message names the file, SQLite's own words and what to do.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    detail = str(exc) or type(exc).__name__
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        what = (f"state file {path} is damaged ({detail}); it was left as it is: restore it from a backup, "
                "or move it aside and start again (or use --state to pick another file)")
    elif primary in (_SQLITE_FULL, _SQLITE_IOERR):
        what = (f"cannot write state file {path} ({detail}): is the disk full, or the file over a size "
                "limit? nothing was lost that was written before; free some space")
    elif primary == _SQLITE_READONLY:
        what = f"state file {path} is read-only ({detail}); make it and its directory writable, or use --state"
    elif primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        what = f"state file {path} is busy: another process holds its write lock for too long ({detail})"
    else:
        what = f"state file {path}: {detail}"
    return StoreError(what)


# Primary SQLite result codes (https://www.sqlite.org/rescode.html).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 5, 6, 8, 10, 11
_SQLITE_FULL, _SQLITE_NOTADB = 13, 26


class _StoreLock:
    """The store's re-entrant lock. A SQLite error that leaves a block holding it becomes a
    :class:`StoreError` (:func:`describe_sqlite_error`), so every read and write of every table
    family fails the way callers already handle (a clear message, never a traceback).

    Errors caught inside the block (``IntegrityError`` for a duplicate id) are unaffected.
    """

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        self._path = path

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise describe_sqlite_error(self._path, exc) from None


class StoreConnection:
    """The connection, its re-entrant lock, and one-transaction-at-a-time writes.

    Methods are safe to call from several threads of one process (the lock
    serialises them) and from several processes (SQLite WAL + busy timeout).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        from slotui.bad_rows import BadRows

        self.conn = conn
        self.path = path
        self._lock = _StoreLock(path)
        self._identity = _file_identity(path)
        #: unreadable rows met by this process (warned about once, counted in ``/metrics``)
        self.bad_rows = BadRows()
        #: bumped (under the lock) when this connection rewrote alert groups outside the alerting
        #: engine (a trigger that failed for good clears its notification-log entry): the engine's
        #: cache of groups is stale then, while ``PRAGMA data_version`` only tells other connections' commits
        self.groups_epoch = 0

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on error).

        For the store's own modules (and tests that inspect rows); other code
        uses the public methods, e.g. :meth:`~slotui.store.Store.alert_transaction`.
        """
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"state file {self.path} is busy or unwritable: {exc}") from None
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (a full disk, an I/O error); a failed COMMIT
                # may leave the transaction open. Either way the connection must leave it, and a
                # ROLLBACK error must not hide the error that matters.
                if self.conn.in_transaction:
                    try:
                        self.conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise

    def file_replaced(self) -> str | None:
        """Why ``path`` no longer names the file this connection has open, or None.

        SQLite keeps writing to the file it opened: once it is deleted or moved aside (and
        ``slotui silence add`` creates a new one at the path), this process and the others no
        longer share anything.
        """
        now = _file_identity(self.path)
        if now is None:
            return "was deleted or moved away"
        if self._identity is not None and now != self._identity:
            return "was replaced by another file"
        return None

    def data_version(self) -> int:
        """``PRAGMA data_version``: changes when another connection commits (never for our own commits)."""
        with self._lock:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``, None when there is no file there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


@contextmanager
def snapshot_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the state file at ``path`` that writes nothing next to it.

    For ``slotui replay``, which must leave the state file untouched: a cleanly
    closed WAL database (no ``-wal`` file) is opened as immutable, so SQLite
    creates no ``-shm``/``-wal``; with a live ``-wal`` (a daemon is running) it
    is opened read-only and reads the committed rows through the files that
    already exist.

    The same checks as :meth:`Store.open` come first (not SQLite, a directory, another program's
    database, a newer schema: :class:`StoreError`, the file untouched), and a database error while
    reading (a damaged page) is a :class:`StoreError` too, never a traceback.
    """
    from slotui.store.schema import check_header, check_identity

    check_header(path)
    wal = path.with_name(path.name + "-wal")
    live = wal.exists() and wal.stat().st_size > 0
    mode = "mode=ro" if live else "immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read state file {path}: {exc}") from None
    try:
        check_identity(conn, path)
        yield conn
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc):
            raise  # the callers read a file without a table as empty
        raise StoreError(
            f"state file {path} cannot be read as a SQLite database ({exc}); it was left untouched; "
            "use --state to pick another file"
        ) from None
    finally:
        conn.close()
