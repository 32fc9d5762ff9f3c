"""Unreadable rows of the state store: skipped, warned about once, counted.

A state file is shared by several processes and versions of slotui, and a
person can edit it with ``sqlite3``; one row that does not decode (a JSON
column that is not JSON, text in a REAL column, NaN/inf, an unknown severity,
a JSON dict missing a key) must never stop a tick. Every read path decodes a
row with the checks below; a row that fails is skipped (or, for the outbox,
kept and reported) and given to :meth:`BadRows.report`, which logs ONE warning
per ``(table, id)`` on the ``slotui.store`` logger and counts it for
``/metrics`` (``slotui_state_bad_rows{table=...}``).

A reason names the column and what was wrong with it, never the value itself
(an outbox payload may hold a webhook URL or a token).

Pure: only the standard library, no I/O besides the log line.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("slotui.store")

#: The tables of the state store whose rows are decoded, in the order ``/metrics`` lists them.
#: (``meta`` is checked when the file is opened: a damaged one refuses the file with a StoreError.)
TABLES: tuple[str, ...] = (
    "samples", "buckets", "silences", "alert_states", "alert_groups", "notifications", "deliveries",
)


class RowError(ValueError):
    """A row (or one value of it) cannot be decoded; the message names the column, not the value."""


@dataclass(frozen=True, slots=True)
class UnreadableRow:
    """A row that was skipped: its table, its id (primary key as text) and why."""

    table: str
    id: str
    reason: str


class BadRows:
    """The unreadable rows one process has met, per table (thread-safe).

    A row is counted once however often it is read. :meth:`resolve` forgets
    rows that were overwritten or deleted (so the gauge falls back), and a
    row that turns bad again is warned about again.
    """

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def report(self, table: str, row_id: object, reason: str) -> UnreadableRow:
        """Record an unreadable row; the first report of a ``(table, id)`` logs a warning."""
        key = (table, str(row_id))
        with self._lock:
            new = key not in self._rows
            self._rows[key] = reason
        if new:
            log.warning("state file: skipped unreadable row of table %s, id %s: %s", table, key[1], reason)
        return UnreadableRow(table, key[1], reason)

    def resolve(self, table: str, row_ids: Iterable[object]) -> None:
        """Forget these rows of ``table`` (they were rewritten or deleted)."""
        if not self._rows:
            return
        with self._lock:
            for row_id in row_ids:
                self._rows.pop((table, str(row_id)), None)

    def counts(self) -> dict[str, int]:
        """Unreadable rows per table, every table listed (0 when none)."""
        out = dict.fromkeys(TABLES, 0)
        with self._lock:
            for table, _ in self._rows:
                out[table] = out.get(table, 0) + 1
        return out

    def rows(self) -> list[UnreadableRow]:
        """Every known unreadable row, by table then id."""
        with self._lock:
            items = sorted(self._rows.items())
        return [UnreadableRow(t, i, r) for (t, i), r in items]

    def __len__(self) -> int:
        return len(self._rows)


# ---------------------------------------------------------------------- value checks


def describe(value: object) -> str:
    """What kind of value this is, for a reason (never the value: it may be a secret)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "infinity"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "a blob"
    return f"a {type(value).__name__}"


def finite(value: object, column: str) -> float:
    """``value`` as a float when it is an int or float and finite, else :class:`RowError`."""
    if type(value) is float:
        if math.isfinite(value):
            return value
    elif type(value) is int:
        return float(value)
    raise RowError(f"{column}: expected a finite number, got {describe(value)}")


def optional_finite(value: object, column: str) -> float | None:
    """``None`` for NULL/None, else :func:`finite`."""
    return None if value is None else finite(value, column)


def integer(value: object, column: str) -> int:
    """An int column (SQLite may hand back an integral float)."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise RowError(f"{column}: expected an integer, got {describe(value)}")


def text(value: object, column: str) -> str:
    if isinstance(value, str):
        return value
    raise RowError(f"{column}: expected text, got {describe(value)}")


def one_of(value: object, allowed: Iterable[str], column: str) -> str:
    allowed = tuple(allowed)
    if isinstance(value, str) and value in allowed:
        return value
    shown = "an unknown value" if isinstance(value, str) else describe(value)
    raise RowError(f"{column}: expected one of {', '.join(allowed)}, got {shown}")


def json_column(value: object, column: str, kind: type) -> Any:
    """Parse a JSON column and check its top-level type (``dict`` or ``list``)."""
    if not isinstance(value, str):
        raise RowError(f"{column}: expected JSON text, got {describe(value)}")
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise RowError(f"{column}: not JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise RowError(f"{column}: JSON nested too deeply") from None
    if not isinstance(data, kind):
        raise RowError(f"{column}: expected a JSON {'object' if kind is dict else 'array'}, got {describe(data)}")
    return data


def str_dict(value: object, column: str) -> dict[str, str]:
    """A JSON object of strings to strings (labels, annotations, options); absent/null is ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise RowError(f"{column}: expected an object of strings")
    return dict(value)


def str_list(value: object, column: str) -> list[str]:
    """A JSON array of strings; absent/null is ``[]``."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RowError(f"{column}: expected an array of strings")
    return list(value)


def reason_of(exc: BaseException, column: str) -> str:
    """A reason for an exception raised while decoding ``column``: the :class:`RowError` message as
    it is; for others only what kind of error it was (their text may quote the value)."""
    if isinstance(exc, RowError):
        return str(exc)
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args and isinstance(exc.args[0], str) else None
        return f"{column}: missing key {key!r}" if key is not None else f"{column}: missing key"
    count = getattr(exc, "error_count", None)
    if callable(count):  # a pydantic ValidationError: its text quotes the input
        return f"{column}: does not validate ({count()} error{'s' if count() != 1 else ''})"
    return f"{column}: unreadable ({type(exc).__name__})"
