"""One SQLite connection shared by the store's tables: the lock, transactions, bad-row counts.

Every table family (:mod:`~slotui.store.samples`, :mod:`~slotui.store.silences`,
:mod:`~slotui.store.alerts`, :mod:`~slotui.store.outbox`) reaches SQLite only
through this class's connection, under its lock. Nothing outside
``slotui/store/`` touches :attr:`StoreConnection.conn` or the lock (a test scans
the tree for it); other code calls the public methods of
:class:`~slotui.store.Store`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from slotui.store.errors import StoreError


class StoreConnection:
    """The connection, its re-entrant lock, and one-transaction-at-a-time writes.

    Methods are safe to call from several threads of one process (the lock
    serialises them) and from several processes (SQLite WAL + busy timeout).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        from slotui.bad_rows import BadRows

        self.conn = conn
        self.path = path
        self._lock = threading.RLock()
        #: unreadable rows met by this process (warned about once, counted in ``/metrics``)
        self.bad_rows = BadRows()

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
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

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
