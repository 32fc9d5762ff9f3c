"""The alert tables: ``alert_states`` (one row per alert fingerprint) and ``alert_groups``.

``alert_states`` holds the full :class:`~slotui.alerting.state.AlertRecord` as
JSON in ``data``, with the columns people and SQL filter on (``slo``,
``severity``, ``state``, times) copied beside it; ``alert_groups`` one
:class:`~slotui.alerting.state.GroupRecord` per aggregation group key.

The alerting service advances them inside one :meth:`AlertTables.alert_transaction`:
read states and groups, read silences, run the pure engine, write what changed
and enqueue its notifications, commit. So a state change and its notifications
are stored together or not at all.

Reading: a row that does not decode, or whose columns disagree with its
``data``, is skipped, warned about once and counted; its alert is rebuilt
from the next evaluation, which overwrites the row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slotui.bad_rows import BadRows, RowError, json_column, optional_finite, reason_of
from slotui.store.connection import StoreConnection
from slotui.store.outbox import enqueue_notifications

if TYPE_CHECKING:
    from slotui.alerting.lifecycle import Outgoing, StepResult
    from slotui.alerting.state import AlertRecord, GroupRecord


class AlertTransaction:
    """One write transaction over the alerting tables (from :meth:`AlertTables.alert_transaction`).

    Everything read here sees, and everything written here commits with,
    the same ``BEGIN IMMEDIATE`` transaction; other reads of the store made
    by the same thread meanwhile (e.g. the silences) run inside it too.
    """

    def __init__(self, conn: sqlite3.Connection, bad_rows: BadRows) -> None:
        self._conn = conn
        self._bad_rows = bad_rows

    def data_version(self) -> int:
        """``PRAGMA data_version``. With the write lock held nobody else can commit, so the value read
        here is also the one after this commit (a connection's own commits do not change it)."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def load_states(self) -> dict[str, AlertRecord]:
        """Every readable alert record by fingerprint (unreadable rows skipped, warned about, counted)."""
        return {r.fingerprint: r for r in decode_states(self._conn.execute(_STATE_SELECT), self._bad_rows)}

    def load_groups(self) -> dict[str, GroupRecord]:
        """Every readable aggregation group by key (unreadable rows skipped, warned about, counted)."""
        return load_groups(self._conn, self._bad_rows)

    def save(self, result: StepResult, now: float, *, queued_at: float | None = None) -> list[int]:
        """Write what ``result`` changed and enqueue its notifications (due ``queued_at``, default
        ``now``: the real clock of a ``check --notify --at`` past moment); returns the new outbox row ids."""
        conn, bad = self._conn, self._bad_rows
        if result.removed_states:
            conn.executemany(
                "DELETE FROM alert_states WHERE fingerprint = ?", [(fp,) for fp in sorted(result.removed_states)]
            )
            bad.resolve("alert_states", result.removed_states)
        rows = []
        for fp in sorted(result.changed_states):
            rec = result.states.get(fp)
            if rec is None:
                continue
            rows.append(
                (
                    rec.fingerprint, rec.slo, rec.severity, rec.state, rec.active_since, rec.fired_at,
                    rec.resolved_at, rec.acked_at, rec.acked_by, rec.transition_id,
                    json.dumps(rec.labels), json.dumps(rec.annotations), rec.updated_at or now,
                    json.dumps(rec.to_dict()),
                )
            )
        if rows:
            conn.executemany(
                "INSERT INTO alert_states (fingerprint, slo, severity, state, active_since, fired_at, resolved_at,"
                " acked_at, acked_by, transition_id, labels, annotations, updated_at, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (fingerprint) DO UPDATE SET slo = excluded.slo, severity = excluded.severity,"
                " state = excluded.state, active_since = excluded.active_since, fired_at = excluded.fired_at,"
                " resolved_at = excluded.resolved_at, acked_at = excluded.acked_at, acked_by = excluded.acked_by,"
                " transition_id = excluded.transition_id, labels = excluded.labels,"
                " annotations = excluded.annotations, updated_at = excluded.updated_at, data = excluded.data",
                rows,
            )
            bad.resolve("alert_states", (r[0] for r in rows))
        groups = [
            (g.key, g.next_flush, json.dumps(g.to_dict()), g.updated_at or now)
            for key in sorted(result.changed_groups)
            if (g := result.groups.get(key)) is not None
        ]
        if groups:
            conn.executemany(
                "INSERT INTO alert_groups (group_key, next_flush, data, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (group_key) DO UPDATE SET next_flush = excluded.next_flush, data = excluded.data,"
                " updated_at = excluded.updated_at",
                groups,
            )
            bad.resolve("alert_groups", (g[0] for g in groups))
        return self.enqueue(result.outgoing, now if queued_at is None else queued_at)

    def enqueue(self, outgoing: Sequence[Outgoing], now: float) -> list[int]:
        """Insert notifications as ``pending`` due ``now`` (an already enqueued identity is skipped) and
        stamp ``last_notified_at`` on their alerts; returns the new outbox row ids."""
        return enqueue_notifications(self._conn, outgoing, now)


class AlertTables(StoreConnection):
    """``alert_states`` and ``alert_groups`` (part of :class:`~slotui.store.Store`)."""

    @contextmanager
    def alert_transaction(self) -> Iterator[AlertTransaction]:
        """One ``BEGIN IMMEDIATE`` transaction for reading and advancing alert states (committed on
        leaving the block, rolled back on an exception)."""
        with self.transaction() as conn:
            yield AlertTransaction(conn, self.bad_rows)

    def alert_states(self, slo: str | None = None) -> list[AlertRecord]:
        """Stored alert records (optionally of one SLO), by SLO then most severe first; unreadable rows
        are skipped."""
        with self._lock:
            if slo is None:
                rows = self.conn.execute(_STATE_SELECT).fetchall()
            else:
                rows = self.conn.execute(_STATE_SELECT + " WHERE slo = ?", (slo,)).fetchall()
        from slotui.alerting.state import SEVERITY_RANK

        recs = decode_states(rows, self.bad_rows)
        return sorted(recs, key=lambda r: (r.slo, -SEVERITY_RANK.get(r.severity, 0)))

    def alert_groups(self) -> dict[str, GroupRecord]:
        """Every readable aggregation group by key (unreadable rows skipped, warned about, counted)."""
        with self._lock:
            return load_groups(self.conn, self.bad_rows)


_STATE_SELECT = "SELECT fingerprint, slo, severity, state, data FROM alert_states"


def decode_states(rows: Iterable[tuple[Any, ...]], bad_rows: BadRows) -> list[AlertRecord]:
    """Decode ``alert_states`` rows (``_STATE_SELECT`` columns); unreadable ones are reported and skipped."""
    from slotui.alerting.state import AlertRecord

    out = []
    for fp, slo, severity, state, data in rows:
        try:
            rec = AlertRecord.from_dict(json_column(data, "data", dict))
            # The columns are what SQL queries (and people) filter on: they must agree with data.
            for column, stored, decoded in (
                ("fingerprint", fp, rec.fingerprint), ("slo", slo, rec.slo),
                ("severity", severity, rec.severity), ("state", state, rec.state),
            ):
                if stored != decoded:
                    raise RowError(f"{column}: does not match data.{column}")
        except Exception as exc:  # one bad row must never stop a tick
            bad_rows.report("alert_states", fp, reason_of(exc, "data"))
            continue
        out.append(rec)
    return out


def load_groups(conn: sqlite3.Connection, bad_rows: BadRows) -> dict[str, GroupRecord]:
    from slotui.alerting.state import GroupRecord

    out: dict[str, GroupRecord] = {}
    for key, next_flush, data in conn.execute("SELECT group_key, next_flush, data FROM alert_groups"):
        try:
            group = GroupRecord.from_dict(json_column(data, "data", dict))
            if group.key != key:
                raise RowError("group_key: does not match data.key")
            if optional_finite(next_flush, "next_flush") != group.next_flush:
                raise RowError("next_flush: does not match data.next_flush")
        except Exception as exc:
            bad_rows.report("alert_groups", key, reason_of(exc, "data"))
            continue
        out[key] = group
    return out
