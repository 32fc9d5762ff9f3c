"""The SQLite state store: sample history, silences, alert states, the notification outbox.

One file (``state.db`` under the platform state dir, env ``SLOTUI_STATE``, or
``--state PATH``) shared by every slotui process on the machine: the TUI, the
headless daemon and the ``slotui silence`` CLI. The database runs in WAL mode
with a busy timeout, and every write is one short ``BEGIN IMMEDIATE``
transaction, so several processes can read and write it at once.

Safety on open: a file that is not SQLite, a SQLite file that is not a slotui
state file, or one written by a newer slotui (``PRAGMA user_version`` above
:data:`SCHEMA_VERSION`) raises :class:`StoreError` with a message saying what
to do. Nothing is written to such a file: the checks run before any pragma
that could change it.

Schema v1 (``PRAGMA user_version = 1``):

- ``meta(key, value)``: ``application = slotui`` and ``created_schema``.
- ``samples(slo, resolution, ts, value, n)``: threshold SLO slices; ``ts`` is
  the slice start (epoch s); ``resolution`` 0 is a raw slice, 3600 a 1-hour
  mean of ``n`` raw slices made by :meth:`Store.compact`.
- ``buckets(slo, resolution, ts, good, total)``: ratio SLO event counts per
  slice; downsampled rows hold hourly sums.
- ``silences``: see :mod:`slotui.alerting.silence`; ``ends_at`` NULL = mute.
- ``alert_states``, ``notifications`` (the outbox, unique per
  ``(fingerprint, transition_id, channel)`` so a state change is delivered at
  most once per channel) and ``deliveries`` (one row per attempt): owned by
  the alerting code, which reaches them through :attr:`Store.conn` and
  :meth:`Store.transaction`.

Reading: a row that does not decode (a JSON column that is not JSON, text or
infinity in a number column, an unknown enum value) is skipped by every read
path, warned about once and counted in :attr:`Store.bad_rows`
(:mod:`slotui.bad_rows`); it never stops a tick. An unreadable silence can
still be expired, and compaction neither averages nor deletes an unreadable
raw row.

Retention (:meth:`Store.compact`): raw slices are kept for
:data:`RAW_RETENTION` (35 days, longer than any compliance period, since a
threshold SLO's time-slice compliance needs raw slices over its whole period),
then merged into hourly rows, which are dropped after :data:`HOURLY_RETENTION`
(400 days).

``import slotui.store`` loads only the standard library.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.bad_rows import (
    RowError,
    UnreadableRow,
    describe,
    finite,
    json_column,
    optional_finite,
    reason_of,
    str_dict,
    text,
)

if TYPE_CHECKING:
    from slotui.alerting.silence import Silence

#: The schema this slotui writes. Bump it with a migration in ``_MIGRATIONS``.
SCHEMA_VERSION = 1
APPLICATION = "slotui"

HOUR = 3600.0
DAY = 86400.0
#: Raw slices/buckets younger than this are kept as they are.
RAW_RETENTION = 35 * DAY
#: Hourly rows older than this are deleted.
HOURLY_RETENTION = 400 * DAY
#: Resolution code of downsampled rows (seconds).
HOURLY = 3600

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
    external_ids TEXT NOT NULL DEFAULT '{}'  -- JSON {channel: id}, e.g. an Alertmanager silence id
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


class StoreError(Exception):
    """The state file cannot be used (not SQLite, not slotui's, newer schema, locked, unreadable)."""


class SilenceNotFound(StoreError):
    """No silence has this id or id prefix."""


class AmbiguousSilenceId(StoreError):
    """An id prefix names more than one silence."""


class UnreadableSilence(StoreError):
    """The silence's row does not decode (it can still be expired)."""


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """What :meth:`Store.compact` did: rows merged into hourly rows, and rows deleted as too old."""

    samples_downsampled: int = 0
    buckets_downsampled: int = 0
    samples_dropped: int = 0
    buckets_dropped: int = 0


def default_state_path() -> Path:
    """The state file used without ``--state``: env ``SLOTUI_STATE``, else the platform state dir."""
    from slotui.config.locations import default_state_path as configured

    return Path(configured())


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


class Store:
    """A handle on the state database. Use :meth:`open`; call :meth:`close` when done.

    Methods are safe to call from several threads of one process (a lock
    serialises them) and from several processes (SQLite WAL + busy timeout).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        from slotui.bad_rows import BadRows

        self.conn = conn
        self.path = path
        self._lock = threading.RLock()
        #: unreadable rows met by this process (warned about once, counted in ``/metrics``)
        self.bad_rows = BadRows()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path | str | None = None, *, busy_timeout: float = 10.0) -> Store:
        """Open (creating if needed) the state file at ``path`` (default :func:`default_state_path`).

        Raises :class:`StoreError` for a file that is not a slotui state file
        or was written by a newer slotui; such a file is left untouched.
        """
        path = Path(path).expanduser() if path is not None else default_state_path()
        _check_header(path)
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
            _check_identity(conn, path)
            _set_wal(conn, path)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            _initialise(conn, path)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on error)."""
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

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    # ------------------------------------------------------------------ samples (threshold SLOs)

    def record_slices(self, slo: str, points: Iterable[tuple[float, float]]) -> int:
        """Upsert raw slices ``(slice_start, value)`` of a threshold SLO; returns how many were written.

        A slice already stored at the same ``slice_start`` is replaced (sources
        re-answer the current slice on every tick). NaN/inf values are skipped:
        a slice without a finite value is a slice without data.
        """
        rows = [(slo, float(ts), float(v)) for ts, v in points if _finite(ts) and _finite(v)]
        if not rows:
            return 0
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO samples (slo, resolution, ts, value, n) VALUES (?, 0, ?, ?, 1) "
                "ON CONFLICT (slo, resolution, ts) DO UPDATE SET value = excluded.value, n = 1",
                rows,
            )
        return len(rows)

    def load_slices(self, slo: str, since: float, until: float) -> list[tuple[float, float]]:
        """Slices ``(slice_start, value)`` with ``since <= slice_start < until``, oldest first.

        Both raw and hourly (downsampled mean) rows are returned; they never
        overlap in time after :meth:`compact`.
        """
        args = (slo, since, until)
        where = "slo = ? AND ts >= ? AND ts < ?"
        with self._lock:
            cur = self.conn.execute(
                f"SELECT ts, value FROM samples WHERE {where} AND {_GOOD_VALUE} ORDER BY ts, resolution", args
            )
            out = [(float(ts), float(v)) for ts, v in cur]
            bad = self.conn.execute(
                f"SELECT resolution, ts, value FROM samples WHERE {where} AND NOT ({_GOOD_VALUE})", args
            ).fetchall()
        for resolution, ts, value in bad:
            self.bad_rows.report("samples", _series_row_id(slo, resolution, ts), _why(value=value))
        return out

    # ------------------------------------------------------------------ buckets (ratio SLOs)

    def record_buckets(self, slo: str, points: Iterable[tuple[float, float, float]]) -> int:
        """Upsert raw buckets ``(slice_start, good, total)`` of a ratio SLO; returns how many were written.

        A bucket at the same ``slice_start`` is replaced. Buckets with a
        non-finite or negative count, or ``good > total``, are skipped.
        """
        rows = [
            (slo, float(ts), float(good), float(total))
            for ts, good, total in points
            if _finite(ts) and _finite(good) and _finite(total) and 0 <= good <= total
        ]
        if not rows:
            return 0
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO buckets (slo, resolution, ts, good, total) VALUES (?, 0, ?, ?, ?) "
                "ON CONFLICT (slo, resolution, ts) DO UPDATE SET good = excluded.good, total = excluded.total",
                rows,
            )
        return len(rows)

    def load_buckets(self, slo: str, since: float, until: float) -> list[tuple[float, float, float]]:
        """Buckets ``(slice_start, good, total)`` with ``since <= slice_start < until``, oldest first."""
        args = (slo, since, until)
        where = "slo = ? AND ts >= ? AND ts < ?"
        with self._lock:
            cur = self.conn.execute(
                f"SELECT ts, good, total FROM buckets WHERE {where} AND {_GOOD_COUNTS} ORDER BY ts, resolution", args
            )
            out = [(float(ts), float(g), float(t)) for ts, g, t in cur]
            bad = self.conn.execute(
                f"SELECT resolution, ts, good, total FROM buckets WHERE {where} AND NOT ({_GOOD_COUNTS})", args
            ).fetchall()
        for resolution, ts, good, total in bad:
            self.bad_rows.report("buckets", _series_row_id(slo, resolution, ts), _why(good=good, total=total))
        return out

    def count_rows(self, table: str, slo: str | None = None, *, resolution: int | None = None) -> int:
        """Row count of ``samples`` or ``buckets`` (optionally per SLO and resolution); for tests and stats."""
        if table not in ("samples", "buckets"):
            raise ValueError(f"unknown table {table!r}")
        sql, args = f"SELECT COUNT(*) FROM {table} WHERE 1=1", []
        if slo is not None:
            sql += " AND slo = ?"
            args.append(slo)
        if resolution is not None:
            sql += " AND resolution = ?"
            args.append(resolution)
        with self._lock:
            return int(self.conn.execute(sql, args).fetchone()[0])

    def compact(
        self, now: float, *, raw_retention: float = RAW_RETENTION, hourly_retention: float = HOURLY_RETENTION
    ) -> CompactionResult:
        """Apply retention as of ``now``.

        Raw rows with ``ts < now - raw_retention`` are merged into 1-hour rows
        (``floor(ts / 3600) * 3600``): slices into a mean weighted by ``n``,
        buckets into sums; rows of any resolution with
        ``ts < now - hourly_retention`` are deleted. Idempotent.
        """
        raw_cut = now - raw_retention
        drop_cut = now - hourly_retention
        with self.transaction() as conn:
            # Unreadable raw rows (text or infinite values) are neither merged into an hourly mean,
            # where SQL arithmetic would read them as 0, nor deleted: they wait for hourly retention.
            s_down = conn.execute(
                "SELECT COUNT(*) FROM samples WHERE resolution = 0 AND ts < ? AND ts >= ? AND " + _GOOD_SAMPLE,
                (raw_cut, drop_cut),
            ).fetchone()[0]
            conn.execute(
                """
                INSERT INTO samples (slo, resolution, ts, value, n)
                SELECT slo, ?, hour, SUM(value * n) / SUM(n), SUM(n) FROM (
                    SELECT slo, CAST(ts / 3600 AS INTEGER) * 3600.0 AS hour, value, n
                    FROM samples WHERE resolution = 0 AND ts < ? AND ts >= ? AND """ + _GOOD_SAMPLE + """
                ) GROUP BY slo, hour
                ON CONFLICT (slo, resolution, ts) DO UPDATE SET
                    value = (samples.value * samples.n + excluded.value * excluded.n) / (samples.n + excluded.n),
                    n = samples.n + excluded.n
                """,
                (HOURLY, raw_cut, drop_cut),
            )
            conn.execute(
                "DELETE FROM samples WHERE resolution = 0 AND ts < ? AND ts >= ? AND " + _GOOD_SAMPLE,
                (raw_cut, drop_cut),
            )
            b_down = conn.execute(
                "SELECT COUNT(*) FROM buckets WHERE resolution = 0 AND ts < ? AND ts >= ? AND " + _GOOD_BUCKET,
                (raw_cut, drop_cut),
            ).fetchone()[0]
            conn.execute(
                """
                INSERT INTO buckets (slo, resolution, ts, good, total)
                SELECT slo, ?, CAST(ts / 3600 AS INTEGER) * 3600.0 AS hour, SUM(good), SUM(total)
                FROM buckets WHERE resolution = 0 AND ts < ? AND ts >= ? AND """ + _GOOD_BUCKET + """
                GROUP BY slo, hour
                ON CONFLICT (slo, resolution, ts) DO UPDATE SET
                    good = buckets.good + excluded.good, total = buckets.total + excluded.total
                """,
                (HOURLY, raw_cut, drop_cut),
            )
            conn.execute(
                "DELETE FROM buckets WHERE resolution = 0 AND ts < ? AND ts >= ? AND " + _GOOD_BUCKET,
                (raw_cut, drop_cut),
            )
            s_drop = conn.execute("DELETE FROM samples WHERE ts < ?", (drop_cut,)).rowcount
            b_drop = conn.execute("DELETE FROM buckets WHERE ts < ?", (drop_cut,)).rowcount
        return CompactionResult(int(s_down), int(b_down), int(s_drop), int(b_drop))

    def check_series_rows(self) -> list[UnreadableRow]:
        """Every unreadable ``samples`` and ``buckets`` row of the whole file (a full scan, for
        ``slotui state check``), warned about once and counted like the ones met by reads."""
        with self._lock:
            samples = self.conn.execute(
                "SELECT slo, resolution, ts, value, n FROM samples WHERE NOT (typeof(ts) IN ('integer', 'real')"
                " AND abs(ts) <= 1.7976931348623157e308 AND " + _GOOD_SAMPLE + ")"
            ).fetchall()
            buckets = self.conn.execute(
                "SELECT slo, resolution, ts, good, total FROM buckets WHERE NOT (typeof(ts) IN ('integer', 'real')"
                " AND abs(ts) <= 1.7976931348623157e308 AND " + _GOOD_BUCKET + ")"
            ).fetchall()
        out = []
        for table, rows, columns in (("samples", samples, ("value", "n")), ("buckets", buckets, ("good", "total"))):
            for slo, resolution, ts, a, b in rows:
                problems = []
                for column, value in (("ts", ts), (columns[0], a), (columns[1], b)):
                    try:
                        finite(value, column)
                    except RowError as exc:
                        problems.append(str(exc))
                if not problems:
                    problems.append("n: expected a weight of at least 1" if table == "samples"
                                    else "good, total: expected 0 <= good <= total")
                out.append(self.bad_rows.report(table, _series_row_id(slo, resolution, ts), "; ".join(problems)))
        return out

    def check_silence_rows(self) -> list[UnreadableRow]:
        """Every unreadable ``silences`` row, active or expired (a full scan, for ``slotui state check``)."""
        with self._lock:
            rows = self.conn.execute(f"SELECT {_SILENCE_COLUMNS}, external_ids FROM silences ORDER BY id").fetchall()
        out = []
        for row in rows:
            decoded = self._decode_silence(row[:-1])
            if isinstance(decoded, UnreadableRow):
                out.append(decoded)
                continue
            before = len(self.bad_rows)
            self._external_ids(row[0], row[-1])
            if len(self.bad_rows) > before:
                out.extend(r for r in self.bad_rows.rows() if r.table == "silences" and r.id == row[0])
        return out

    # ------------------------------------------------------------------ silences

    def add_silence(self, silence: Silence, *, now: float | None = None) -> str:
        """Store a new silence; returns its id. ``now`` (default ``updated_at``) is recorded as created_at."""
        created = silence.updated_at if now is None else now
        with self.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        silence.id,
                        json.dumps([m.to_dict() for m in silence.matchers]),
                        silence.starts_at,
                        silence.ends_at,
                        silence.created_by,
                        silence.comment,
                        created,
                        silence.updated_at,
                    ),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"a silence with id {silence.id} already exists") from None
        return silence.id

    def update_silence(self, silence: Silence) -> None:
        """Replace the stored silence with the same id (matchers, times, author, comment, updated_at)."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE silences SET matchers = ?, starts_at = ?, ends_at = ?, created_by = ?, comment = ?,"
                " updated_at = ? WHERE id = ?",
                (
                    json.dumps([m.to_dict() for m in silence.matchers]),
                    silence.starts_at,
                    silence.ends_at,
                    silence.created_by,
                    silence.comment,
                    silence.updated_at,
                    silence.id,
                ),
            )
            if cur.rowcount == 0:
                raise SilenceNotFound(f"no silence with id {silence.id}")

    def _silence_id(self, id_or_prefix: str) -> str:
        """The full id of the silence with this id or unique id prefix (its row is not decoded)."""
        key = id_or_prefix.strip().lower()
        if not key:
            raise SilenceNotFound("empty silence id")
        with self._lock:
            row = self.conn.execute("SELECT id FROM silences WHERE id = ?", (key,)).fetchone()
            if row is not None:
                return str(row[0])
            escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = self.conn.execute(
                "SELECT id FROM silences WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6", (escaped + "%",)
            ).fetchall()
        if not rows:
            raise SilenceNotFound(f"no silence with id {id_or_prefix!r}")
        if len(rows) > 1:
            ids = ", ".join(str(r[0]) for r in rows[:5])
            raise AmbiguousSilenceId(f"silence id prefix {id_or_prefix!r} matches several silences: {ids}")
        return str(rows[0][0])

    def silence_or_unreadable(self, id_or_prefix: str) -> Silence | UnreadableRow:
        """The silence with this id (or unique prefix), or an :class:`UnreadableRow` when its row does not
        decode (warned about and counted). Raises :class:`SilenceNotFound` or :class:`AmbiguousSilenceId`."""
        sid = self._silence_id(id_or_prefix)
        with self._lock:
            row = self.conn.execute(f"SELECT {_SILENCE_COLUMNS} FROM silences WHERE id = ?", (sid,)).fetchone()
        if row is None:  # expired and removed by another process meanwhile
            raise SilenceNotFound(f"no silence with id {id_or_prefix!r}")
        return self._decode_silence(row)

    def get_silence(self, id_or_prefix: str) -> Silence:
        """The silence with this id, or the only one whose id starts with this prefix.

        Raises :class:`SilenceNotFound`, :class:`AmbiguousSilenceId`, or :class:`UnreadableSilence`
        when the row does not decode (``slotui silence expire ID`` still ends it).
        """
        found = self.silence_or_unreadable(id_or_prefix)
        if isinstance(found, UnreadableRow):
            raise UnreadableSilence(
                f"silence {found.id} is unreadable ({found.reason}); `slotui silence expire {found.id}` ends it"
            )
        return found

    def scan_silences(self, now: float, *, expired: bool = False) -> tuple[list[Silence], list[UnreadableRow]]:
        """Like :meth:`list_silences`, plus the rows in that selection that do not decode (each warned
        about once and counted), so the CLI can show them and a person can expire them."""
        with self._lock:
            if expired:
                sql = f"SELECT {_SILENCE_COLUMNS} FROM silences WHERE ends_at IS NOT NULL AND ends_at <= ?"
            else:
                # A damaged ends_at (text, blob) compares above every number: such rows land here.
                sql = f"SELECT {_SILENCE_COLUMNS} FROM silences WHERE ends_at IS NULL OR ends_at > ?"
            rows = self.conn.execute(sql + " ORDER BY starts_at, id", (now,)).fetchall()
        good: list[Silence] = []
        bad: list[UnreadableRow] = []
        for row in rows:
            decoded = self._decode_silence(row)
            (bad if isinstance(decoded, UnreadableRow) else good).append(decoded)  # type: ignore[arg-type]
        return good, bad

    def list_silences(self, now: float, *, expired: bool = False) -> list[Silence]:
        """Silences not yet expired at ``now`` (active and pending), or with ``expired=True`` the expired ones.

        Ordered by start time, then id. Rows that do not decode are skipped (see :meth:`scan_silences`).
        """
        return self.scan_silences(now, expired=expired)[0]

    def active_silences(self, now: float) -> list[Silence]:
        """Silences in force at ``now`` (``starts_at <= now < ends_at``)."""
        return [s for s in self.list_silences(now) if s.is_active(now)]

    def _decode_silence(self, row: tuple[Any, ...]) -> Silence | UnreadableRow:
        try:
            return _silence_from_row(row)
        except Exception as exc:  # one bad row must never stop a tick or the CLI
            return self.bad_rows.report("silences", row[0], reason_of(exc, "matchers"))

    def expire_silence(self, silence_id: str, now: float) -> Silence | UnreadableRow:
        """End the silence with this id (or unique prefix) at ``now``; returns it as stored.

        A pending silence also gets ``starts_at = now``. Expiring an already
        expired silence changes nothing and returns it. An unreadable row is
        ended too (``ends_at = now``, and ``starts_at = now`` unless it holds
        an earlier time), so it stops being read as in force; the
        :class:`UnreadableRow` is returned.
        """
        with self.transaction() as conn:
            current = self.silence_or_unreadable(silence_id)
            if isinstance(current, UnreadableRow):
                conn.execute(
                    "UPDATE silences SET starts_at = CASE WHEN typeof(starts_at) IN ('integer', 'real')"
                    " AND starts_at <= ? THEN starts_at ELSE ? END, ends_at = ?, updated_at = ? WHERE id = ?"
                    " AND NOT (typeof(ends_at) IN ('integer', 'real') AND ends_at <= ?)",  # already ended
                    (now, now, now, now, current.id, now),
                )
                return current
            ended = current.expired_at(now)
            if ended is not current:
                conn.execute(
                    "UPDATE silences SET starts_at = ?, ends_at = ?, updated_at = ? WHERE id = ?",
                    (ended.starts_at, ended.ends_at, ended.updated_at, ended.id),
                )
            return ended

    def silence_external_ids(self, silence_id: str) -> dict[str, str]:
        """Ids this silence has in other systems, per channel name (e.g. its Alertmanager silence id).

        An unreadable ``external_ids`` column reads as ``{}`` (warned about and counted).
        """
        with self._lock:
            row = self.conn.execute("SELECT external_ids FROM silences WHERE id = ?", (silence_id,)).fetchone()
        if row is None:
            raise SilenceNotFound(f"no silence with id {silence_id!r}")
        return self._external_ids(silence_id, row[0])

    def _external_ids(self, silence_id: str, value: object) -> dict[str, str]:
        if value is None or value == "":
            return {}
        try:
            return str_dict(json_column(value, "external_ids", dict), "external_ids")
        except RowError as exc:
            self.bad_rows.report("silences", silence_id, str(exc))
            return {}

    def set_silence_external_id(self, silence_id: str, channel: str, external_id: str | None) -> None:
        """Record (or with ``None`` forget) the id of this silence's mirror in ``channel``."""
        with self.transaction() as conn:
            row = conn.execute("SELECT external_ids FROM silences WHERE id = ?", (silence_id,)).fetchone()
            if row is None:
                raise SilenceNotFound(f"no silence with id {silence_id!r}")
            ids = self._external_ids(silence_id, row[0])
            if external_id is None:
                ids.pop(channel, None)
            else:
                ids[channel] = external_id
            conn.execute("UPDATE silences SET external_ids = ? WHERE id = ?", (json.dumps(ids), silence_id))


_SILENCE_COLUMNS = "id, matchers, starts_at, ends_at, created_by, comment, updated_at"


def _silence_from_row(row: tuple[Any, ...]) -> Silence:
    """Decode a silences row; raises :class:`~slotui.bad_rows.RowError` (or the ValueError of an invalid
    matcher or silence) naming the column."""
    from slotui.alerting.silence import Matcher, Silence

    sid, matchers, starts, ends, author, comment, updated = row
    items = json_column(matchers, "matchers", list)
    for m in items:
        if not isinstance(m, dict):
            raise RowError(f"matchers: expected objects with name, op and value, got {describe(m)}")
    try:
        decoded = tuple(Matcher.from_dict(m) for m in items)
    except KeyError as exc:
        raise RowError(f"matchers: missing key {exc.args[0]!r}") from None
    except ValueError as exc:
        raise RowError(f"matchers: {exc}") from None
    try:
        return Silence(
            id=text(sid, "id"),
            matchers=decoded,
            starts_at=finite(starts, "starts_at"),
            ends_at=optional_finite(ends, "ends_at"),
            created_by=_text_or_empty(author, "created_by"),
            comment=_text_or_empty(comment, "comment"),
            updated_at=optional_finite(updated, "updated_at") or 0.0,
        )
    except RowError:
        raise
    except ValueError as exc:  # Silence.validate: no matcher, matches everything, ends before it starts
        raise RowError(f"silence: {exc}") from None


def _text_or_empty(value: object, column: str) -> str:
    return "" if value is None else text(value, column)


def _series_row_id(slo: object, resolution: object, ts: object) -> str:
    """The primary key of a samples/buckets row as one id: ``slo/resolution/ts``."""
    return f"{slo}/{resolution}/{ts!r}"


#: SQL: a samples row whose value reads (a finite number; SQLite stores no NaN, it turns it into NULL).
_GOOD_VALUE = "typeof(value) IN ('integer', 'real') AND abs(value) <= 1.7976931348623157e308"
#: SQL: a buckets row whose counts read: finite numbers with 0 <= good <= total.
_GOOD_COUNTS = (
    "typeof(good) IN ('integer', 'real') AND typeof(total) IN ('integer', 'real')"
    " AND abs(total) <= 1.7976931348623157e308 AND good >= 0 AND good <= total"
)
#: SQL: a raw samples row whose value and weight can be averaged.
_GOOD_SAMPLE = _GOOD_VALUE + " AND typeof(n) = 'integer' AND n >= 1"
#: SQL: a raw buckets row whose counts can be summed.
_GOOD_BUCKET = _GOOD_COUNTS


def _why(**columns: object) -> str:
    """The reason a samples/buckets row does not read, from its values (named by column, never quoted)."""
    problems = []
    for column, value in columns.items():
        try:
            finite(value, column)
        except RowError as exc:
            problems.append(str(exc))
    return "; ".join(problems) or "good, total: expected 0 <= good <= total"


# ---------------------------------------------------------------------- opening checks


def _check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite, before SQLite touches it."""
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


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
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


def _set_wal(conn: sqlite3.Connection, path: Path) -> None:
    try:
        mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot switch state file {path} to WAL mode: {exc}") from None
    if mode != "wal":
        # e.g. a file system without shared memory support; SQLite keeps its default mode.
        raise StoreError(
            f"state file {path} cannot use WAL mode (journal mode is {mode!r}); put it on a local file system"
        )


def _initialise(conn: sqlite3.Connection, path: Path) -> None:
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
            for statement in _statements(_SCHEMA_V1):
                conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('application', ?)", (APPLICATION,))
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('created_schema', ?)", (str(SCHEMA_VERSION),)
            )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        else:
            while version < SCHEMA_VERSION:
                for statement in _statements(_MIGRATIONS[version]):
                    conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"cannot initialise state file {path}: {exc}") from None
        raise


def _statements(script: str) -> list[str]:
    """Split a DDL script into statements (``executescript`` would commit our transaction)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
