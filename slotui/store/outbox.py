"""The outbox tables: ``notifications`` (the outbox) and ``deliveries`` (one row per attempt).

``notifications`` is unique per ``(fingerprint, transition_id, channel)``,
where ``fingerprint`` holds the alert group key and ``transition_id`` the
group's notification sequence number for that channel, so the same
notification can never be enqueued twice. Notifications are enqueued in the
same transaction as the alert state change that made them
(:meth:`slotui.store.alerts.AlertTransaction.save`); the dispatcher
(:mod:`slotui.alerting.delivery`) claims, sends and finishes them through
:class:`Outbox`.

Outbox row states: ``pending`` (due at ``next_attempt_at``), ``sending``
(claimed by a dispatcher until ``lease_until``; a row still ``sending`` after
its lease belongs to a dispatcher that died and is claimed again),
``delivered`` (the receiver acknowledged it: never sent again) and ``failed``
(non-retryable answer, or retries exhausted; ``last_error`` holds the
receiver's message).

Notifications of one (group, channel) are delivered in order: a row is
claimed only when no older row of the same (group, channel) is still pending
or sending, so a resolve never overtakes its trigger.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from slotui.bad_rows import (
    RowError,
    UnreadableRow,
    describe,
    finite,
    integer,
    one_of,
    optional_finite,
    reason_of,
    text,
)

if TYPE_CHECKING:
    from slotui.alerting.lifecycle import Outgoing
    from slotui.alerting.notification import Notification
    from slotui.store import Store


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed outbox row: the notification and its bookkeeping."""

    id: int
    key: str
    transition_id: str
    channel: str
    kind: str
    notification: Notification
    attempts: int
    created_at: float


@dataclass(frozen=True, slots=True)
class NotificationLogEntry:
    """One notification with its delivery status, for the TUI alert log and ``history``.

    ``state``: pending / sending / delivered / failed. ``last_error``: the
    receiver's message of the last failed attempt (secrets masked by the
    channel). Times are epoch seconds.
    """

    id: int
    channel: str
    kind: str
    title: str
    slos: tuple[str, ...]
    state: str
    attempts: int
    created_at: float
    next_attempt_at: float | None
    delivered_at: float | None
    last_error: str | None
    status_code: int | None
    is_test: bool
    group_key: str
    notification_id: str

    @property
    def outcome(self) -> str:
        """``delivered to CHANNEL`` / ``failed: CHANNEL: <error>`` / ``pending: CHANNEL ...``."""
        if self.state == "delivered":
            return f"delivered to {self.channel}"
        if self.state == "failed":
            return f"failed: {self.channel}: {self.last_error or 'unknown error'}"
        detail = f" (last error: {self.last_error})" if self.last_error else ""
        return f"{self.state}: {self.channel}{detail}"


class Outbox:
    """The outbox tables (``notifications``, ``deliveries``) of one store; it is :attr:`Store.outbox`.

    Every method is one short transaction (or one read) of its own."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ outbox

    def enqueue(self, outgoing: Sequence[Outgoing], now: float) -> list[int]:
        """Insert notifications as ``pending`` due ``now`` in a transaction of their own (an already
        enqueued identity is skipped); returns the new row ids. Inside an alert transaction use
        :meth:`~slotui.store.alerts.AlertTransaction.enqueue`."""
        with self.store.transaction() as conn:
            return enqueue_notifications(conn, outgoing, now)

    def claim(
        self, now: float, *, lease: float, limit: int = 100, ids: Sequence[int] | None = None,
        channels: Sequence[str] | None = None, exclude: Iterable[int] = (),
        not_channels: Sequence[str] | None = None,
    ) -> list[OutboxRow]:
        """Claim due rows (pending and due, or sending with an expired lease), oldest first.

        Each claimed row is ``sending`` until ``now + lease`` with ``attempts``
        incremented. A row waits while an older row of its (group, channel) is
        unfinished. ``ids``/``channels`` restrict what is claimed.
        """
        # A due time or lease that is not a finite number (an edited or damaged row) counts as due:
        # otherwise the row would wait forever and hold back every later row of its (group, channel).
        where = (
            "((n.state = 'pending' AND (n.next_attempt_at <= :now OR n.next_attempt_at > :far OR "
            + _NOT_A_TIME.format(col="n.next_attempt_at") + "))"
            " OR (n.state = 'sending' AND (n.lease_until <= :now OR n.lease_until > :far OR "
            + _NOT_A_TIME.format(col="n.lease_until") + ")))"
            " AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.channel = n.channel"
            " AND p.fingerprint = n.fingerprint AND p.id < n.id AND p.state IN ('pending', 'sending'))"
        )
        params: dict[str, Any] = {"now": now, "lease": now + lease, "limit": limit, "far": now + FUTURE_LIMIT}
        if ids is not None:
            if not ids:
                return []
            where += f" AND n.id IN ({','.join(str(int(i)) for i in ids)})"
        skip = sorted(int(i) for i in exclude)
        if skip:
            where += f" AND n.id NOT IN ({','.join(str(i) for i in skip)})"
        where += _channel_filter("n.channel", params, channels, not_channels)
        if channels is not None and not channels:
            return []
        with self.store.transaction() as conn:
            rows = conn.execute(
                "UPDATE notifications SET state = 'sending', attempts = attempts + 1, lease_until = :lease,"
                " updated_at = :now WHERE id IN (SELECT n.id FROM notifications n WHERE " + where +
                " ORDER BY n.id LIMIT :limit)"
                " RETURNING id, fingerprint, transition_id, channel, kind, payload, attempts, created_at,"
                " next_attempt_at",
                params,
            ).fetchall()
        out = []
        unreadable: list[tuple[int, str]] = []
        for rid, key, transition, channel, kind, payload, attempts, created, next_at in sorted(rows):
            try:
                row = OutboxRow(
                    rid, text(key, "fingerprint"), str(transition), text(channel, "channel"),
                    one_of(kind, NOTIFICATION_KINDS, "kind"), _notification(payload),
                    integer(attempts, "attempts"), now,
                )
            except RowError as exc:
                unreadable.append((rid, str(exc)))
                continue
            # Damaged bookkeeping does not stop a send: the row is sent (its age counted from now),
            # and reported; finishing the attempt writes a good due time again.
            problems = []
            for column, value in (("created_at", created), ("next_attempt_at", next_at)):
                try:
                    finite(value, column)
                except RowError as exc:
                    problems.append(str(exc))
            if problems:
                self.store.bad_rows.report("notifications", rid, "; ".join(problems))
            else:
                row = replace(row, created_at=float(created))
            out.append(row)
        if unreadable:
            self._fail_unreadable(unreadable, now)
        return out

    def _fail_unreadable(self, rows: Sequence[tuple[int, str]], now: float) -> None:
        """Move claimed rows that cannot be sent to ``failed``, saying why in ``last_error``.

        The row (payload included) is kept for inspection and shows in the alert log; it no longer
        holds back the later notifications of its (group, channel).
        """
        for rid, reason in rows:
            self.store.bad_rows.report("notifications", rid, reason)
        with self.store.transaction() as conn:
            conn.executemany(
                "UPDATE notifications SET state = 'failed', lease_until = NULL, updated_at = ?, last_error = ?"
                " WHERE id = ? AND state = 'sending'",
                [(now, f"unreadable outbox row, not sent: {reason}", rid) for rid, reason in rows],
            )

    def finish(
        self,
        row: OutboxRow,
        *,
        state: str,
        started_at: float,
        finished_at: float,
        outcome: str,
        status_code: int | None,
        error: str | None,
        retry_after: float | None,
        next_attempt_at: float | None,
    ) -> bool:
        """Record one attempt and move the row to ``state`` (delivered / failed / pending).

        Only the claimer of this attempt may finish it (``attempts`` matches and
        the row is still ``sending``); returns False when another dispatcher
        took the row over meanwhile.
        """
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO deliveries (notification_id, attempt, started_at, finished_at, outcome, status_code,"
                " error, retry_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.id, row.attempts, started_at, finished_at, outcome, status_code, error, retry_after),
            )
            cur = conn.execute(
                "UPDATE notifications SET state = ?, next_attempt_at = COALESCE(?, next_attempt_at),"
                " last_error = ?, status_code = ?, delivered_at = ?, lease_until = NULL, updated_at = ?"
                " WHERE id = ? AND state = 'sending' AND attempts = ?",
                (
                    state, next_attempt_at, error, status_code,
                    finished_at if state == "delivered" else None, finished_at, row.id, row.attempts,
                ),
            )
            if cur.rowcount == 1 and state == "failed" and row.kind == "trigger" and _forget_notified(conn, row):
                self.store.groups_epoch += 1  # (under the store's lock: the engine reloads its groups)
            return cur.rowcount == 1

    def release(self, row: OutboxRow, now: float) -> bool:
        """Give a claimed row back, due ``now``: its send was cancelled (a clean stop) before an answer,
        so the next dispatcher need not wait out its lease (90 s, or the channel's timeout + 65 s). The
        attempt still counts (the receiver may have had it: delivery stays at least once)."""
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE notifications SET state = 'pending', lease_until = NULL, next_attempt_at = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sending' AND attempts = ?",
                (now, now, row.id, row.attempts),
            )
            return cur.rowcount == 1

    def next_due(
        self, now: float, *, channel: str | None = None, not_channels: Sequence[str] | None = None
    ) -> float | None:
        """The earliest time a row (of ``channel``, or of none of ``not_channels``) becomes claimable
        (pending due time or expired lease), or None when nothing is pending."""
        params: dict[str, Any] = {}
        where = _channel_filter("channel", params, [channel] if channel is not None else None, not_channels)
        with self.store._lock:
            row = self.store.conn.execute(
                "SELECT MIN(CASE WHEN state = 'pending' THEN next_attempt_at ELSE lease_until END)"
                " FROM notifications WHERE state IN ('pending', 'sending')" + where,
                params,
            ).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            due = finite(row[0], "next_attempt_at")
        except RowError:  # a damaged due time is claimable at once (see claim)
            return now
        return now if due > now + FUTURE_LIMIT else due  # written before the clock went back (see claim)

    def states_of(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        with self.store._lock:
            rows = self.store.conn.execute(
                f"SELECT id, state FROM notifications WHERE id IN ({','.join(str(int(i)) for i in ids)})"
            ).fetchall()
        return {int(i): str(s) for i, s in rows}

    # ------------------------------------------------------------------ reading

    def history(self, *, slo: str | None = None, limit: int = 100, ids: Sequence[int] | None = None) -> list[NotificationLogEntry]:
        """Newest first: notifications with their delivery status (optionally of one SLO, or these ids)."""
        sql = (
            "SELECT id, fingerprint, channel, kind, payload, slos, state, attempts, created_at, next_attempt_at,"
            " delivered_at, last_error, status_code FROM notifications"
        )
        args: list[Any] = []
        if ids is not None:
            sql += f" WHERE id IN ({','.join(str(int(i)) for i in ids) or 'NULL'})"
        elif slo is not None:
            sql += " WHERE slos LIKE ? ESCAPE '\\'"
            args.append("%," + slo.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%")
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self.store._lock:
            rows = self.store.conn.execute(sql, args).fetchall()
        out = []
        for rid, key, channel, kind, payload, slos, state, attempts, created, next_at, delivered, error, code in rows:
            # The alert log is where an unreadable row is reported, so it is shown, never skipped.
            problems: list[str] = []

            def check(fn: Any, *args: Any, default: Any = None) -> Any:
                try:
                    return fn(*args)
                except RowError as exc:
                    problems.append(str(exc))
                    return default

            try:
                n = _notification(payload)
                title, nid, is_test = n.title, n.id, n.is_test
            except RowError as exc:
                problems.append(str(exc))
                title, nid, is_test = "(unreadable notification)", "", kind == "test"
            state_text = check(one_of, state, NOTIFICATION_STATES, "state", default="unknown")
            kind_text = check(one_of, kind, NOTIFICATION_KINDS, "kind", default="unknown")
            entry = NotificationLogEntry(
                id=int(rid), channel=str(channel), kind=kind_text, title=title,
                slos=tuple(s for s in (slos if isinstance(slos, str) else "").split(",") if s),
                state=state_text, attempts=check(integer, attempts, "attempts", default=0),
                created_at=check(finite, created, "created_at", default=0.0),
                next_attempt_at=None if state_text in ("delivered", "failed")
                else check(optional_finite, next_at, "next_attempt_at"),
                delivered_at=check(optional_finite, delivered, "delivered_at"),
                last_error=error if isinstance(error, str) or error is None else str(error),
                status_code=code if type(code) is int else None, is_test=is_test,
                group_key=str(key), notification_id=nid,
            )
            if problems:
                self.store.bad_rows.report("notifications", rid, "; ".join(problems))
            out.append(entry)
        return out

    def deliveries(self, notification_id: int) -> list[dict[str, Any]]:
        """The attempts of one outbox row, oldest first; unreadable rows are skipped, warned about and counted."""
        with self.store._lock:
            rows = self.store.conn.execute(
                "SELECT id, attempt, started_at, finished_at, outcome, status_code, error, retry_after FROM deliveries"
                " WHERE notification_id = ? ORDER BY id",
                (notification_id,),
            ).fetchall()
        out = []
        for rid, attempt, started, finished, outcome, code, error, retry_after in rows:
            try:
                out.append(
                    {
                        "attempt": integer(attempt, "attempt"),
                        "started_at": finite(started, "started_at"),
                        "finished_at": optional_finite(finished, "finished_at"),
                        "outcome": one_of(outcome, DELIVERY_OUTCOMES, "outcome"),
                        "status_code": None if code is None else integer(code, "status_code"),
                        "error": None if error is None else text(error, "error"),
                        "retry_after": optional_finite(retry_after, "retry_after"),
                    }
                )
            except RowError as exc:
                self.store.bad_rows.report("deliveries", rid, str(exc))
        return out

    def audit(self) -> list[int]:
        """Find outbox rows no claim will ever pick up or that cannot be read (unknown state or kind,
        non-numeric bookkeeping); each is warned about once and counted, and kept as it is (its fate
        is unknown: it may have been sent). Returns their ids. One scan of the table; the alerting
        service runs it at start and hourly."""
        with self.store._lock:
            rows = self.store.conn.execute(
                "SELECT id, state, kind, attempts, created_at, lease_until FROM notifications WHERE"
                f" state NOT IN ({_sql_list(NOTIFICATION_STATES)}) OR kind NOT IN ({_sql_list(NOTIFICATION_KINDS)})"
                " OR typeof(attempts) != 'integer' OR typeof(created_at) NOT IN ('integer', 'real')"
                " OR abs(created_at) > 1.7976931348623157e308"
                " OR (state = 'sending' AND " + _NOT_A_TIME.format(col="lease_until") + ")"
            ).fetchall()
        for rid, state, kind, attempts, created, lease in rows:
            problems = []
            if state == "sending" and not _is_time(lease):
                problems.append("lease_until: not a time (claimed again at once)")
            for fn, args in (
                (one_of, (state, NOTIFICATION_STATES, "state")), (one_of, (kind, NOTIFICATION_KINDS, "kind")),
                (integer, (attempts, "attempts")), (finite, (created, "created_at")),
            ):
                try:
                    fn(*args)
                except RowError as exc:
                    problems.append(str(exc))
            self.store.bad_rows.report("notifications", rid, "; ".join(problems) or "unreadable")
        return [int(r[0]) for r in rows]


    def check_rows(self) -> list[UnreadableRow]:
        """Every unreadable row of the alerting tables (full scans, for ``slotui state check``): alert
        states, groups, outbox rows (payload decoded too) and delivery attempts. Nothing is changed."""
        self.store.alert_states()
        self.store.alert_groups()
        self.audit()
        self.history(limit=-1)
        with self.store._lock:
            ids = [int(r[0]) for r in self.store.conn.execute("SELECT DISTINCT notification_id FROM deliveries")]
        for nid in ids:
            self.deliveries(nid)
        tables = ("alert_states", "alert_groups", "notifications", "deliveries")
        return [r for r in self.store.bad_rows.rows() if r.table in tables]


def enqueue_notifications(conn: sqlite3.Connection, outgoing: Sequence[Outgoing], now: float) -> list[int]:
    """Inside the caller's transaction: insert notifications as ``pending`` due ``now`` (an already
    enqueued identity is skipped) and stamp ``last_notified_at`` on their (non-test) alerts."""
    ids: list[int] = []
    for item in outgoing:
        n = item.notification
        slos = "," + ",".join(sorted({a.slo for a in n.alerts})) + ","
        cur = conn.execute(
            "INSERT INTO notifications (fingerprint, transition_id, channel, slos, kind, payload, created_at,"
            " state, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
            " ON CONFLICT (fingerprint, transition_id, channel) DO NOTHING",
            (item.key, item.transition_id, n.channel, slos, n.kind, n.to_json(), now, now, now),
        )
        if cur.rowcount:
            ids.append(int(cur.lastrowid))
    fps = {a.fingerprint for o in outgoing for a in o.notification.alerts if not a.is_test}
    if fps:
        conn.executemany(
            "UPDATE alert_states SET last_notified_at = ? WHERE fingerprint = ?", [(now, fp) for fp in sorted(fps)]
        )
    return ids


#: Values of the outbox's and delivery log's enum columns (the CHECK constraints of :mod:`slotui.store`).
NOTIFICATION_KINDS: tuple[str, ...] = ("trigger", "resolve", "test", "acknowledge")
NOTIFICATION_STATES: tuple[str, ...] = ("pending", "sending", "delivered", "failed")
DELIVERY_OUTCOMES: tuple[str, ...] = ("delivered", "retry", "failed")

#: SQL: the column holds no usable time (NULL, text, blob or infinite).
_NOT_A_TIME = "({col} IS NULL OR typeof({col}) NOT IN ('integer', 'real') OR abs({col}) > 1.7976931348623157e308)"
#: A due time or lease further ahead of now than this was written before the clock was set back
#: (NTP correcting a clock that booted a year ahead): it counts as due, or the notification would
#: wait the whole jump. Far above any real delay (backoff cap 300 s, Retry-After up to 1 h, leases
#: of minutes).
FUTURE_LIMIT = 6 * 3600.0


def _is_time(value: object) -> bool:
    try:
        finite(value, "")
    except RowError:
        return False
    return True


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _notification(payload: object) -> Notification:
    """Decode an outbox payload; :class:`RowError` (naming no value: payloads hold URLs) when it does not."""
    from slotui.alerting.notification import Notification

    if not isinstance(payload, str):
        raise RowError(f"payload: expected JSON text, got {describe(payload)}")
    try:
        return Notification.from_json(payload)
    except Exception as exc:
        raise RowError(reason_of(exc, "payload")) from None


def _channel_filter(
    column: str, params: dict[str, Any], channels: Sequence[str] | None, not_channels: Sequence[str] | None
) -> str:
    """`` AND column IN (...)`` / `` AND column NOT IN (...)`` with named parameters added to ``params``."""
    sql = ""
    for negate, names in ((False, channels), (True, not_channels)):
        if names is None or (negate and not names):
            continue
        if not names:
            sql += " AND 0"
            continue
        keys = []
        for name in names:
            key = f"ch{len(params)}"
            params[key] = name
            keys.append(f":{key}")
        sql += f" AND {column} {'NOT IN' if negate else 'IN'} ({', '.join(keys)})"
    return sql


def _forget_notified(conn: sqlite3.Connection, row: OutboxRow) -> bool:
    """A trigger that failed for good was never received: its channel's notification-log entry of the
    group (``sent``, written when it was enqueued) is cleared, so the group's next flush (a group
    interval on) sends its firing alerts again, as Alertmanager writes its log only after a send
    succeeds. It stood as notified: a page that gave up during a 15-minute outage waited for the
    repeat interval (4h). Only when that entry is still this notification's (``seq``): a later one
    queued since decides for itself."""
    found = conn.execute("SELECT data FROM alert_groups WHERE group_key = ?", (row.key,)).fetchone()
    if found is None:
        return False
    try:
        data = json.loads(found[0])
        entry = data["sent"][row.channel]
        if str(entry.get("seq")) != row.transition_id:
            return False
    except (ValueError, TypeError, KeyError, AttributeError):
        return False  # (an unreadable group is rebuilt by the next evaluation)
    entry["firing"], entry["resolved"], entry["at"] = [], [], None
    conn.execute("UPDATE alert_groups SET data = ? WHERE group_key = ?", (json.dumps(data), row.key))
    return True
