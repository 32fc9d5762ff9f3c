"""The :class:`Store`: one state file opened safely, with every table family's methods on it."""

from __future__ import annotations

import sqlite3
from functools import cached_property
from pathlib import Path

from slotui.store.alerts import AlertTables
from slotui.store.connection import describe_sqlite_error
from slotui.store.errors import StateFileMissing, StoreError
from slotui.store.outbox import Outbox
from slotui.store.samples import SampleTables
from slotui.store.schema import check_header, check_identity, initialise, set_wal
from slotui.store.silences import SilenceTable


def default_state_path() -> Path:
    """The state file used without ``--state``: env ``SLOTUI_STATE``, else the platform state dir."""
    from slotui.config.locations import default_state_path as configured

    return configured()


class Store(SampleTables, SilenceTable, AlertTables):
    """A handle on the state database. Use :meth:`open`; call :meth:`close` when done.

    Methods are safe to call from several threads of one process (a lock
    serialises them) and from several processes (SQLite WAL + busy timeout).
    The methods come from the table families: :class:`~slotui.store.samples.SampleTables`,
    :class:`~slotui.store.silences.SilenceTable`, :class:`~slotui.store.alerts.AlertTables`,
    and :attr:`outbox` (:class:`~slotui.store.outbox.Outbox`).
    """

    @classmethod
    def open(cls, path: Path | str | None = None, *, busy_timeout: float = 10.0, must_exist: bool = False) -> Store:
        """Open (creating if needed) the state file at ``path`` (default :func:`default_state_path`).

        Raises :class:`StoreError` for a file that is not a slotui state file
        or was written by a newer slotui; such a file is left untouched. With
        ``must_exist`` (commands that only read it or change what is in it:
        ``state check``, ``silence list``, ``silence expire``) a missing file
        raises :class:`StateFileMissing` and nothing is created: a mistyped
        ``--state`` made a new empty file (and its directories) and called it healthy.
        """
        path = Path(path).expanduser() if path is not None else default_state_path()
        if must_exist and not path.exists():
            raise StateFileMissing(f"no state file at {path}")
        check_header(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory of state file {path}: {exc}") from None
        try:
            conn = sqlite3.connect(
                str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open state file {path}: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            check_identity(conn, path)
            set_wal(conn, path)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            initialise(conn, path)
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
