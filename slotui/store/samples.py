"""The history tables: ``samples`` (threshold SLO slices) and ``buckets`` (ratio SLO event counts).

``samples(slo, resolution, ts, value, n)``: ``ts`` is the slice start (epoch
s); ``resolution`` 0 is a raw slice, 3600 a 1-hour mean of ``n`` raw slices
made by :meth:`SampleTables.compact`. ``buckets(slo, resolution, ts, good,
total)``: ratio SLO event counts per slice; downsampled rows hold hourly sums.

Retention (:meth:`SampleTables.compact`): raw slices are kept for
:data:`RAW_RETENTION` (35 days, longer than any compliance period, since a
threshold SLO's time-slice compliance needs raw slices over its whole period),
then merged into hourly rows, which are dropped after :data:`HOURLY_RETENTION`
(400 days). A row that does not decode is skipped by every read, warned about
once and counted; compaction neither averages nor deletes an unreadable raw row.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from slotui.bad_rows import RowError, UnreadableRow, finite
from slotui.store.connection import StoreConnection

HOUR = 3600.0
DAY = 86400.0
#: Raw slices/buckets younger than this are kept as they are.
RAW_RETENTION = 35 * DAY
#: Hourly rows older than this are deleted.
HOURLY_RETENTION = 400 * DAY
#: Resolution code of downsampled rows (seconds).
HOURLY = 3600


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """What :meth:`Store.compact` did: rows merged into hourly rows, and rows deleted as too old."""

    samples_downsampled: int = 0
    buckets_downsampled: int = 0
    samples_dropped: int = 0
    buckets_dropped: int = 0


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


class SampleTables(StoreConnection):
    """Reads, writes and retention of ``samples`` and ``buckets`` (part of :class:`~slotui.store.Store`)."""

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

def read_history_snapshot(
    path: Path, series: Mapping[str, str], since: float, until: float
) -> tuple[dict[str, list[tuple[float, ...]]], list[tuple[str, str]]]:
    """The stored history of SLOs with ``since <= slice_start < until``, read without writing anything.

    For ``slotui replay`` (opened as :func:`~slotui.store.connection.snapshot_connection`).
    ``series`` maps an SLO name to ``"threshold"`` (its ``samples`` rows: ``(ts, value)``) or
    ``"ratio"`` (its ``buckets``: ``(ts, good, total)``), oldest first, raw and hourly rows as
    :meth:`SampleTables.load_slices` returns them. A missing file or one without the tables has no
    history. Returns the rows per SLO (SLOs without any are absent) and ``(row id, reason)`` for
    each row that does not read.
    """
    from slotui.store.connection import snapshot_connection

    out: dict[str, list[tuple[float, ...]]] = {}
    bad: list[tuple[str, str]] = []
    if not path.exists():
        return out, bad
    with snapshot_connection(path) as conn:
        for slo, kind in series.items():
            args = (slo, since, until)
            where = "slo = ? AND ts >= ? AND ts < ?"
            try:
                if kind == "ratio":
                    rows = conn.execute(f"SELECT ts, good, total FROM buckets WHERE {where} AND {_GOOD_COUNTS}"
                                        " ORDER BY ts, resolution", args).fetchall()
                    broken = [(_series_row_id(slo, r, ts), _why(good=g, total=t)) for r, ts, g, t in conn.execute(
                        f"SELECT resolution, ts, good, total FROM buckets WHERE {where} AND NOT ({_GOOD_COUNTS})",
                        args)]
                else:
                    rows = conn.execute(f"SELECT ts, value FROM samples WHERE {where} AND {_GOOD_VALUE}"
                                        " ORDER BY ts, resolution", args).fetchall()
                    broken = [(_series_row_id(slo, r, ts), _why(value=v)) for r, ts, v in conn.execute(
                        f"SELECT resolution, ts, value FROM samples WHERE {where} AND NOT ({_GOOD_VALUE})", args)]
            except sqlite3.OperationalError:  # not a slotui state file with history tables (yet)
                return {}, bad
            if rows:
                out[slo] = [tuple(float(x) for x in row) for row in rows]
            bad.extend(broken)
    return out, bad


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


