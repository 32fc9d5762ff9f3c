"""The state file's schema (DDL, migrations) and the checks run when it is opened.

Safety on open: a file that is not SQLite, a SQLite file that is not a slotui
state file, or one written by a newer slotui (``PRAGMA user_version`` above
:data:`SCHEMA_VERSION`) raises :class:`~slotui.store.errors.StoreError` with a
message saying what to do. Nothing is written to such a file: the checks run
before any pragma that could change it.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from slotui.store.errors import StoreError

#: The schema this slotui writes. Bump it with a migration in ``_MIGRATIONS``.
SCHEMA_VERSION = 1
APPLICATION = "slotui"

_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS samples (
    slo        TEXT    NOT NULL,
    resolution INTEGER NOT NULL DEFAULT 0,
    ts         REAL    NOT NULL,
    value      REAL    NOT NULL,
    n          INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (slo, resolution, ts)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS buckets (
    slo        TEXT    NOT NULL,
    resolution INTEGER NOT NULL DEFAULT 0,
    ts         REAL    NOT NULL,
    good       REAL    NOT NULL,
    total      REAL    NOT NULL,
    PRIMARY KEY (slo, resolution, ts)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS silences (
    id           TEXT PRIMARY KEY,
    matchers     TEXT NOT NULL,          -- JSON [{"name","op","value"}]
    starts_at    REAL NOT NULL,
    ends_at      REAL,                   -- NULL: mute, until expired
    created_by   TEXT NOT NULL DEFAULT '',
    comment      TEXT NOT NULL DEFAULT '',
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    external_ids TEXT NOT NULL DEFAULT '{}', -- JSON {channel: id}, e.g. an Alertmanager silence id
    open_ended   INTEGER                 -- 1: set without an end (a mute), kept when expired; NULL: not told
);
CREATE INDEX IF NOT EXISTS silences_ends ON silences (ends_at);

CREATE TABLE IF NOT EXISTS alert_states (
    fingerprint      TEXT PRIMARY KEY,
    slo              TEXT NOT NULL,
    severity         TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    active_since     REAL,
    fired_at         REAL,
    resolved_at      REAL,
    last_notified_at REAL,
    acked_at         REAL,
    acked_by         TEXT,
    transition_id    INTEGER NOT NULL DEFAULT 0,
    labels           TEXT NOT NULL DEFAULT '{}',
    annotations      TEXT NOT NULL DEFAULT '{}',
    updated_at       REAL NOT NULL DEFAULT 0,
    data             TEXT NOT NULL DEFAULT '{}'  -- JSON AlertRecord (slotui.alerting.state)
);
CREATE INDEX IF NOT EXISTS alert_states_slo ON alert_states (slo);

CREATE TABLE IF NOT EXISTS alert_groups (   -- aggregation groups (slotui.alerting.state.GroupRecord)
    group_key   TEXT PRIMARY KEY,
    next_flush  REAL,
    data        TEXT NOT NULL,
    updated_at  REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint     TEXT NOT NULL,        -- the alert group key (or a test/ack key)
    transition_id   TEXT NOT NULL,
    channel         TEXT NOT NULL,
    slos            TEXT NOT NULL DEFAULT '',  -- ",slo1,slo2," for the alert log per SLO
    kind            TEXT NOT NULL CHECK (kind IN ('trigger', 'resolve', 'test', 'acknowledge')),
    payload         TEXT NOT NULL,
    created_at      REAL NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error      TEXT,
    status_code     INTEGER,
    lease_until     REAL,                 -- a 'sending' row past this is re-claimed (its sender died)
    delivered_at    REAL,
    updated_at      REAL NOT NULL DEFAULT 0,
    UNIQUE (fingerprint, transition_id, channel)
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS notifications_queue ON notifications (channel, fingerprint, state);

CREATE TABLE IF NOT EXISTS deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL,
    started_at      REAL NOT NULL,
    finished_at     REAL,
    outcome         TEXT NOT NULL,        -- delivered / retry / failed
    status_code     INTEGER,
    error           TEXT,
    retry_after     REAL
);
CREATE INDEX IF NOT EXISTS deliveries_notification ON deliveries (notification_id);
"""

#: ``_MIGRATIONS[v]`` upgrades a version-``v`` database to ``v + 1``.
_MIGRATIONS: dict[int, str] = {}

#: Columns added within a schema version, each ``(table, column, DDL, statement run once it is added)``:
#: an older slotui reads and writes such a file as before (it names its columns; a row it inserts has
#: NULL there), so the version stays and the commands that only read a file (``silence list``, ``state
#: check``) keep reading one an older slotui wrote. Added when a command opens the file to write.
_ADDED_COLUMNS = (
    # expiring writes a mute's end: without this the TUI could not tell an expired mute from a lifted
    # snooze. Mutes stored before it are mutes; an ended silence stored before it cannot be told (NULL)
    ("silences", "open_ended", "ALTER TABLE silences ADD COLUMN open_ended INTEGER",
     "UPDATE silences SET open_ended = 1 WHERE ends_at IS NULL"),
)

# ---------------------------------------------------------------------- opening checks


def check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite, before SQLite touches it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"cannot read state file {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise StoreError(f"state file {path} is a directory; use --state to pick a file")
    if not stat.S_ISREG(mode):  # opening a FIFO waited forever for a writer; SQLite needs a file it can lock
        raise StoreError(f"state file {path} is not a regular file (a FIFO, device or socket); "
                         "use --state to pick a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise StoreError(f"state file {path} is a directory; use --state to pick a file") from None
    except OSError as exc:
        raise StoreError(f"cannot read state file {path}: {exc}") from None
    if head and head != _SQLITE_MAGIC:
        raise StoreError(
            f"state file {path} is not a SQLite database (corrupt, or another program's file); "
            "it was left untouched; use --state to pick another file"
        )


def check_identity(conn: sqlite3.Connection, path: Path) -> None:
    """Read-only checks: the schema version and that this is slotui's database."""
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        app = None
        if "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
            app = row[0] if row else None
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"state file {path} cannot be read as a SQLite database ({exc}); "
            "it was left untouched; use --state to pick another file"
        ) from None
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"state file {path} was written by a newer slotui (schema {version} > {SCHEMA_VERSION}); "
            "upgrade slotui or use --state to pick another file"
        )
    user_tables = {t for t in tables if not t.startswith("sqlite_")}
    if user_tables and app != APPLICATION:
        raise StoreError(
            f"state file {path} is a SQLite database but not a slotui state file "
            f"(tables: {', '.join(sorted(user_tables)[:5])}); it was left untouched; use --state to pick another file"
        )


def set_wal(conn: sqlite3.Connection, path: Path) -> None:
    try:
        mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot switch state file {path} to WAL mode: {exc}") from None
    if mode != "wal":
        # e.g. a file system without shared memory support; SQLite keeps its default mode.
        raise StoreError(
            f"state file {path} cannot use WAL mode (journal mode is {mode!r}); put it on a local file system"
        )


def initialise(conn: sqlite3.Connection, path: Path) -> None:
    """Create or migrate the schema inside one immediate transaction (safe against concurrent openers)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"state file {path} is busy or unwritable: {exc}") from None
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:  # another process upgraded it meanwhile
            raise StoreError(
                f"state file {path} was written by a newer slotui (schema {version} > {SCHEMA_VERSION}); "
                "upgrade slotui or use --state to pick another file"
            )
        if version == 0:
            for statement in statements(_SCHEMA_V1):
                conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('application', ?)", (APPLICATION,))
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('created_schema', ?)", (str(SCHEMA_VERSION),)
            )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        else:
            while version < SCHEMA_VERSION:
                for statement in statements(_MIGRATIONS[version]):
                    conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
        for table, column, add, fill in _ADDED_COLUMNS:
            if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                conn.execute(add)
                conn.execute(fill)
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:  # SQLite rolls back by itself on a full disk; a second ROLLBACK would mask why
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"cannot initialise state file {path}: {exc}") from None
        raise


def statements(script: str) -> list[str]:
    """Split a DDL script into statements (``executescript`` would commit our transaction)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
