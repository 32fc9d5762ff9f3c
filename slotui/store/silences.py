"""The ``silences`` table: rows of :class:`~slotui.alerting.silence.Silence`, looked up by id or id prefix.

``silences(id, matchers, starts_at, ends_at, created_by, comment, created_at,
updated_at, external_ids)``: ``matchers`` is JSON ``[{"name","op","value"}]``;
``ends_at`` NULL is a mute (until expired); ``external_ids`` is JSON
``{channel: id}`` (e.g. an Alertmanager silence id).

These are the table's rows, nothing more: the rules (what a valid silence is,
what an edit does, when an expired one is dropped) live in the one silences
service, :class:`slotui.alerting.silences.Silences`, which the CLI, the TUI,
the daemon and the Alertmanager mirror all use.

A row that does not decode is skipped by every list (warned about once and
counted); :meth:`SilenceTable.scan_silences` returns it too so the CLI can
show it as UNREADABLE, and :meth:`SilenceTable.expire_silence` still ends it.
"""

from __future__ import annotations

import json
import math
import sqlite3
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.bad_rows import RowError, UnreadableRow, describe, finite, json_column, optional_finite, reason_of, str_dict, text
from slotui.store.connection import StoreConnection
from slotui.store.errors import AmbiguousSilenceId, SilenceNotFound, StoreError, UnreadableSilence

if TYPE_CHECKING:
    from slotui.alerting.silence import Silence


class SilenceTable(StoreConnection):
    """Rows of the ``silences`` table (part of :class:`~slotui.store.Store`)."""

    def check_silence_rows(self, now: float | None = None) -> list[UnreadableRow]:
        """Every unreadable ``silences`` row (a full scan, for ``slotui state check``); with ``now``, not
        one that has ended by then: ``silence expire ID`` ended it, as ``state check`` advised, and it
        was still listed (exit 1) until retention removed it weeks later."""
        with self._lock:
            rows = self.conn.execute(
                f"SELECT {self._silence_columns}, external_ids, (typeof(ends_at) IN ('integer', 'real') AND ends_at <= ?)"
                " FROM silences ORDER BY id", (math.inf if now is None else now,)).fetchall()
        out = []
        for *row, ended in rows:
            decoded = self._decode_silence(row[:-1])
            if isinstance(decoded, UnreadableRow):
                if not (now is not None and ended):
                    out.append(decoded)
                continue
            before = len(self.bad_rows)
            self._external_ids(row[0], row[-1])
            if len(self.bad_rows) > before:
                out.extend(r for r in self.bad_rows.rows() if r.table == "silences" and r.id == row[0])
        return out

    # ------------------------------------------------------------------ silences

    @cached_property
    def _silence_columns(self) -> str:
        """The columns a silence is decoded from (:func:`_silence_from_row`), on this file."""
        with self._lock:
            return silence_columns(self.conn)

    def add_silence(self, silence: Silence, *, now: float | None = None) -> str:
        """Store a new silence; returns its id. ``now`` (default ``updated_at``) is recorded as created_at."""
        with self.transaction() as conn:
            self._insert_silence(conn, silence, silence.updated_at if now is None else now)
        return silence.id

    def replace_silence(self, old_id: str, new: Silence, *, now: float) -> Silence:
        """In one transaction: end the silence ``old_id`` at ``now`` (see :meth:`expire_silence`; an
        expired one is left as it is) and store ``new`` (created at ``now``). Returns the old one as
        ended. Raises :class:`SilenceNotFound`, or :class:`UnreadableSilence` for an unreadable old row."""
        with self.transaction() as conn:
            ended = self._expire_row(conn, old_id, now)
            if isinstance(ended, UnreadableRow):
                raise UnreadableSilence(
                    f"silence {ended.id} is unreadable ({ended.reason}); `slotui silence expire {ended.id}` ends it"
                )
            self._insert_silence(conn, new, now)
        return ended

    @staticmethod
    def _insert_silence(conn: sqlite3.Connection, silence: Silence, created: float) -> None:
        try:
            conn.execute(
                "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at,"
                " open_ended) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    silence.id,
                    json.dumps([m.to_dict() for m in silence.matchers]),
                    silence.starts_at,
                    silence.ends_at,
                    silence.created_by,
                    silence.comment,
                    created,
                    silence.updated_at,
                    silence.ends_at is None,
                ),
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"a silence with id {silence.id} already exists") from None

    def update_silence(self, silence: Silence) -> None:
        """Replace the stored silence with the same id (matchers, times, author, comment, updated_at)."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE silences SET matchers = ?, starts_at = ?, ends_at = ?, created_by = ?, comment = ?,"
                " updated_at = ?, open_ended = ? WHERE id = ?",
                (
                    json.dumps([m.to_dict() for m in silence.matchers]),
                    silence.starts_at,
                    silence.ends_at,
                    silence.created_by,
                    silence.comment,
                    silence.updated_at,
                    silence.ends_at is None,  # (an edit gave it an end, or took it away)
                    silence.id,
                ),
            )
            if cur.rowcount == 0:
                raise SilenceNotFound(f"no silence with id {silence.id}")

    def _silence_id(self, id_or_prefix: str, now: float | None = None) -> str:
        """The full id of the silence with this id or unique id prefix (its row is not decoded). With
        ``now``, a prefix that matches several silences of which one only has not ended at ``now``
        means that one: the ended ones are kept for weeks and ``silence list`` does not show them,
        so a prefix copied from the list was 'ambiguous' with silences the user could not see."""
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
        if len(rows) > 1 and now is not None:
            with self._lock:
                live = self.conn.execute(
                    "SELECT id FROM silences WHERE id LIKE ? ESCAPE '\\' AND NOT (typeof(ends_at) IN ('integer', 'real')"
                    " AND ends_at <= ?) ORDER BY id LIMIT 2", (escaped + "%", now),
                ).fetchall()
            if len(live) == 1:
                return str(live[0][0])
        if len(rows) > 1:
            ids = ", ".join(str(r[0]) for r in rows[:5])
            raise AmbiguousSilenceId(f"silence id prefix {id_or_prefix!r} matches several silences: {ids}")
        return str(rows[0][0])

    def silence_or_unreadable(self, id_or_prefix: str, now: float | None = None) -> Silence | UnreadableRow:
        """The silence with this id (or unique prefix; with ``now``, see :meth:`_silence_id`), or an
        :class:`UnreadableRow` when its row does not decode (warned about and counted). Raises
        :class:`SilenceNotFound` or :class:`AmbiguousSilenceId`."""
        sid = self._silence_id(id_or_prefix, now)
        with self._lock:
            row = self.conn.execute(f"SELECT {self._silence_columns} FROM silences WHERE id = ?", (sid,)).fetchone()
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
                sql = f"SELECT {self._silence_columns} FROM silences WHERE ends_at IS NOT NULL AND ends_at <= ?"
            else:
                # A damaged ends_at (text, blob) compares above every number: such rows land here.
                sql = f"SELECT {self._silence_columns} FROM silences WHERE ends_at IS NULL OR ends_at > ?"
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
            return self._expire_row(conn, silence_id, now)

    def _expire_row(self, conn: sqlite3.Connection, silence_id: str, now: float) -> Silence | UnreadableRow:
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

    def delete_silences_ended_before(self, cut: float) -> list[str]:
        """Delete every silence whose ``ends_at`` is a time before ``cut`` (readable or not: the end is
        what counts); returns their ids, sorted. Mutes (no end) and rows without a readable end stay."""
        with self.transaction() as conn:
            rows = conn.execute(
                "DELETE FROM silences WHERE typeof(ends_at) IN ('integer', 'real') AND ends_at < ? RETURNING id",
                (cut,),
            ).fetchall()
        ids = sorted(str(r[0]) for r in rows)
        self.bad_rows.resolve("silences", ids)
        return ids

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



_SILENCE_COLUMNS = "id, matchers, starts_at, ends_at, created_by, comment, updated_at, open_ended"


def silence_columns(conn: sqlite3.Connection) -> str:
    """:data:`_SILENCE_COLUMNS` on this connection's file. A file last written by a slotui before the
    ``open_ended`` column (read without writing: ``silence list``, ``state check``, ``replay``) reads
    NULL there, "cannot be told", except for a mute (no end), which is one."""
    names = {row[1] for row in conn.execute("PRAGMA table_info(silences)")}
    if "open_ended" in names:
        return _SILENCE_COLUMNS
    return _SILENCE_COLUMNS.replace("open_ended", "NULL AS open_ended")


def read_silences_snapshot(path: Path) -> tuple[list[Silence], list[tuple[str, str]]]:
    """Every silence in the state file at ``path``, read without writing anything next to it.

    For ``slotui replay``, which must leave the state file untouched (opened with
    :func:`~slotui.store.connection.snapshot_connection`). A missing file or one
    without a ``silences`` table has none.
    Returns the decoded silences and, for each row that does not decode,
    ``(id, reason)``.
    """
    from slotui.store.connection import snapshot_connection

    if not path.exists():
        return [], []
    with snapshot_connection(path) as conn:
        try:
            rows = conn.execute(f"SELECT {silence_columns(conn)} FROM silences ORDER BY starts_at, id").fetchall()
        except sqlite3.OperationalError:  # no silences table yet
            return [], []
    good: list[Silence] = []
    bad: list[tuple[str, str]] = []
    for row in rows:
        try:
            good.append(_silence_from_row(row))
        except Exception as exc:  # one bad row is reported, never fatal
            bad.append((str(row[0]), reason_of(exc, "matchers")))
    return good, bad


def _silence_from_row(row: tuple[Any, ...]) -> Silence:
    """Decode a silences row; raises :class:`~slotui.bad_rows.RowError` (or the ValueError of an invalid
    matcher or silence) naming the column."""
    from slotui.alerting.silence import Matcher, Silence

    sid, matchers, starts, ends, author, comment, updated, open_ended = row
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
        silence = Silence(
            id=text(sid, "id"),
            matchers=decoded,
            starts_at=finite(starts, "starts_at"),
            ends_at=optional_finite(ends, "ends_at"),
            created_by=_text_or_empty(author, "created_by"),
            comment=_text_or_empty(comment, "comment"),
            updated_at=optional_finite(updated, "updated_at") or 0.0,
        )
        # (NULL, or any other value than 0 and 1: cannot be told; the flag only names what it was)
        return silence.stored_as({0: False, 1: True}.get(open_ended) if type(open_ended) is int else None)
    except RowError:
        raise
    except ValueError as exc:  # Silence.validate: no matcher, matches everything, ends before it starts
        raise RowError(f"silence: {exc}") from None


def _text_or_empty(value: object, column: str) -> str:
    return "" if value is None else text(value, column)

