"""Helpers for the bad-row tests: a real state file seeded through slotui's own write paths, and
a way to damage one value of one row the way a person with ``sqlite3`` (or another version) could.

Imported by ``test_rows_*.py`` (as a sibling module, or from the package once
``tests/robustness/__init__.py`` exists).
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slotui.alerting.delivery import RetryPolicy
from slotui.alerting.lifecycle import AlertPolicy
from slotui.alerting.routes import Router
from slotui.alerting.service import Alerting
from slotui.alerting.silence import Matcher, mute, snooze
from slotui.channels.base import DeliveryResult
from slotui.core.types import Report, SLOResult, SLOSpec, Status
from slotui.store import Store

T0 = 1_780_000_000.0
HELP = SLOSpec(name="helpfulness", kind="threshold", target=0.85, direction="higher_is_better", warning=0.8, critical=0.7)
LAT = SLOSpec(name="latency", kind="threshold", target=2.0, direction="lower_is_better", warning=3.0, critical=5.0)
SILENCE_A = "aaaaaaaa-0000-4000-8000-000000000001"
SILENCE_B = "bbbbbbbb-0000-4000-8000-000000000002"
SLICES = [(T0 - 180, 0.9), (T0 - 120, 0.8), (T0 - 60, 0.7)]
BUCKETS = [(T0 - 180, 9.0, 10.0), (T0 - 120, 8.0, 10.0), (T0 - 60, 7.0, 10.0)]


class RecordingChannel:
    """A channel that accepts everything and keeps what it was given (in-process: unit level)."""

    name = "hook"
    send_resolved = True

    def __init__(self) -> None:
        self.got: list[Any] = []

    async def send(self, notification: Any) -> DeliveryResult:
        self.got.append(notification)
        return DeliveryResult.delivered(200)

    async def aclose(self) -> None:
        pass


def report(now: float, status: Status = Status.CRITICAL) -> Report:
    return Report(now, tuple(SLOResult(s, status, now, value=0.5) for s in (HELP, LAT)))


def alerting(store: Store, channel: RecordingChannel) -> Alerting:
    """One group per SLO, one channel: two CRITICAL SLOs give two outbox rows."""
    policy = AlertPolicy(router=Router([], {"hook": "webhook"}), group_by=("slo",))
    return Alerting(
        policy, store, channels={"hook": channel}, retry=RetryPolicy(), rng=random.Random(7), clock=lambda: T0
    )


async def seed(path: Path, *, deliver: bool) -> Store:
    """A state file with good rows in every table (two of each at least); returns it open."""
    store = Store.open(path)
    store.record_slices("thr", SLICES)
    store.record_buckets("rat", BUCKETS)
    store.add_silence(snooze((Matcher("slo", "=", "other"),), 3600, T0 - 10, "alice", silence_id=SILENCE_A), now=T0 - 10)
    store.add_silence(mute((Matcher("team", "=", "x"),), T0 - 5, "bob", silence_id=SILENCE_B), now=T0 - 5)
    al = alerting(store, RecordingChannel())
    al.process(report(T0), T0, flush_now=True)
    if deliver:
        await al.deliver_due(T0)
    return store


def damage(path: Path, table: str, column: str, where: str, value: Any) -> None:
    """Set ``column`` of the rows matching ``where`` to ``value`` from a separate connection, with
    CHECK constraints off (as an older slotui or a hand edit could leave it). A callable ``value``
    gets the current JSON value (decoded) and returns the JSON value to store."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        if callable(value):
            rows = conn.execute(f"SELECT rowid, {column} FROM {table} WHERE {where}").fetchall()
            assert rows, f"no row of {table} where {where}"
            for rowid, current in rows:
                new = value(json.loads(current))
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (json.dumps(new), rowid))
        else:
            cur = conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (value,))
            assert cur.rowcount == 1, f"{table} where {where}: {cur.rowcount} rows"
    finally:
        conn.close()


def edit(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A JSON edit: set keys (a value of ``DROP`` removes the key)."""

    def apply(data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for key, val in changes.items():
            if val is DROP:
                out.pop(key, None)
            else:
                out[key] = val
        return out

    return apply


DROP = object()
