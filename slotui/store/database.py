"""The :class:`Store`: one state file opened safely, with every table family's methods on it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from slotui.store.alerts import AlertTables
from slotui.store.connection import describe_sqlite_error
from slotui.store.errors import StateFileMissing, StoreError
from slotui.store.outbox import Outbox
from slotui.store.samples import SampleTables
from slotui.store.schema import SCHEMA_VERSION, check_header, check_identity, initialise, set_wal
from slotui.store.silences import SilenceTable


def default_state_path() -> Path:
    """The state file used without ``--state``: env ``SLOTUI_STATE``, else the platform state dir."""
    from slotui.config.locations import default_state_path as configured

    return configured()


def _ready_to_write(conn: sqlite3.Connection, path: Path) -> None:
    """WAL mode, its pragmas, and the schema created or migrated."""
    set_wal(conn, path)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    initialise(conn, path)


def _ready_to_read(conn: sqlite3.Connection, path: Path) -> None:
    """Nothing written: :class:`StateFileMissing` for a file without slotui's tables, an error for an
    older schema (a command that writes upgrades it)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "silences" not in tables:
        raise StateFileMissing(f"state file {path} holds no slotui state yet")
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) < SCHEMA_VERSION:
        raise StoreError(f"state file {path} has an older schema; any command that writes it "
                         "(slotui silence add, check --state) upgrades it")


class Store(SampleTables, SilenceTable, AlertTables):
    """A handle on the state database. Use :meth:`open`; call :meth:`close` when done.

    Methods are safe to call from several threads of one process (a lock
    serialises them) and from several processes (SQLite WAL + busy timeout).
    The methods come from the table families: :class:`~slotui.store.samples.SampleTables`,
    :class:`~slotui.store.silences.SilenceTable`, :class:`~slotui.store.alerts.AlertTables`,
    and :attr:`outbox` (:class:`~slotui.store.outbox.Outbox`).
    """

    @classmethod
    def open(cls, path: Path | str | None = None, *, busy_timeout: float = 10.0, must_exist: bool = False,
             read_only: bool = False) -> Store:
        """Open (creating if needed) the state file at ``path`` (default :func:`default_state_path`).

        Raises :class:`StoreError` for a file that is not a slotui state file
        or was written by a newer slotui; such a file is left untouched. With
        ``must_exist`` (commands that only read it or change what is in it:
        ``state check``, ``silence list``, ``silence expire``) a missing file
        raises :class:`StateFileMissing` and nothing is created: a mistyped
        ``--state`` made a new empty file (and its directories) and called it healthy.
        ``read_only`` (``silence list``, ``state check``): see :meth:`_open_read_only`.
        """
        path = Path(path).expanduser() if path is not None else default_state_path()
        if (must_exist or read_only) and not path.exists():
            raise StateFileMissing(f"no state file at {path}")
        check_header(path)
        if read_only:
            return cls._open_read_only(path, busy_timeout)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory of state file {path}: {exc}") from None
        return cls._connect(path, str(path), busy_timeout, _ready_to_write)

    @classmethod
    def _open_read_only(cls, path: Path, busy_timeout: float) -> Store:
        """The state file opened only to read it (``silence list``, ``state check``): nothing is created,
        initialised or locked for writing. An empty file (0 bytes, or SQLite without slotui's tables)
        is :class:`StateFileMissing` (it holds nothing yet; a read made it a whole database). A file
        this process cannot write is read as immutable (SQLite would leave read-only ``-wal`` and
        ``-shm`` files beside it that broke every later command once it was writable again), unless
        a write-ahead log holds changes such a read would miss. A writable one is opened as ever but
        neither switched to WAL nor initialised, so a writer holding its lock does not block the read
        (the state file is in WAL mode since its first write)."""
        import os
        from urllib.parse import quote

        try:
            if path.stat().st_size == 0:
                raise StateFileMissing(f"state file {path} is empty")
        except OSError as exc:
            raise StoreError(f"cannot read state file {path}: {exc.strerror or exc}") from None
        options = "mode=rw"  # (a read-only connection could not end the WAL: it left -wal and -shm files)
        if not os.access(path, os.W_OK):
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise StoreError(f"state file {path} is read-only and its write-ahead log {wal} holds changes "
                                 "a read-only open would miss; make the file and its directory writable")
            options = "immutable=1"
        return cls._connect(path, f"file:{quote(str(path.resolve()))}?{options}", busy_timeout, _ready_to_read,
                            uri=True)

    @classmethod
    def _connect(cls, path: Path, target: str, busy_timeout: float,
                 ready: Callable[[sqlite3.Connection, Path], None], *, uri: bool = False) -> Store:
        """A store on ``target`` (the file's path, or a URI), once its identity is checked and ``ready``
        has prepared it; the connection is closed when either fails."""
        try:
            conn = sqlite3.connect(target, uri=uri, timeout=busy_timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open state file {path}: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            check_identity(conn, path)
            ready(conn, path)
        except sqlite3.Error as exc:  # e.g. a pragma on a damaged or read-only file
            conn.close()
            raise describe_sqlite_error(path, exc) from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    @cached_property
    def outbox(self) -> Outbox:
        """The notification outbox and its delivery log."""
        return Outbox(self)
