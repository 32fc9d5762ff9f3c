"""The SQLite state store: sample history, silences, alert states, the notification outbox.

One file (``state.db`` under the platform state dir, env ``SLOTUI_STATE``, or
``--state PATH``) shared by every slotui process on the machine: the TUI, the
headless daemon and the ``slotui silence`` CLI. The database runs in WAL mode
with a busy timeout, and every write is one short ``BEGIN IMMEDIATE``
transaction, so several processes can read and write it at once.

Modules, one per table family, all mixed into :class:`Store`:

- ``schema``: the DDL (``PRAGMA user_version = 1``), migrations, and the
  checks on open (a file that is not slotui's, or is newer, is refused and
  left untouched);
- ``connection``: the connection, its lock and :meth:`Store.transaction`;
- ``samples``: ``samples`` and ``buckets`` (history), retention by :meth:`Store.compact`;
- ``silences``: the ``silences`` rows (the rules on them are the service
  :class:`slotui.alerting.silences.Silences`);
- ``alerts``: ``alert_states`` and ``alert_groups``, advanced in one
  :meth:`Store.alert_transaction`;
- ``outbox``: ``notifications`` and ``deliveries`` (:attr:`Store.outbox`);
- ``database``: :class:`Store` itself and :meth:`Store.open`.

Nothing outside this package touches the SQLite connection or the store's
lock (tests/unit/test_store_api_private.py scans the tree).

Reading: a row that does not decode (a JSON column that is not JSON, text or
infinity in a number column, an unknown enum value) is skipped by every read
path, warned about once and counted in :attr:`Store.bad_rows`
(:mod:`slotui.bad_rows`); it never stops a tick. An unreadable silence can
still be expired, and compaction neither averages nor deletes an unreadable
raw row.

``import slotui.store`` loads only the standard library.
"""

from __future__ import annotations

from slotui.store.alerts import AlertTransaction
from slotui.store.database import Store, default_state_path
from slotui.store.errors import AmbiguousSilenceId, SilenceNotFound, StateFileMissing, StoreError, UnreadableSilence
from slotui.store.outbox import NotificationLogEntry, Outbox, OutboxRow
from slotui.store.samples import (
    DAY, HOUR, HOURLY, HOURLY_RETENTION, RAW_RETENTION, CompactionResult, read_history_snapshot,
)
from slotui.store.schema import APPLICATION, SCHEMA_VERSION
from slotui.store.silences import read_silences_snapshot

__all__ = [
    "APPLICATION",
    "DAY",
    "HOUR",
    "HOURLY",
    "HOURLY_RETENTION",
    "RAW_RETENTION",
    "SCHEMA_VERSION",
    "AlertTransaction",
    "AmbiguousSilenceId",
    "CompactionResult",
    "NotificationLogEntry",
    "Outbox",
    "OutboxRow",
    "SilenceNotFound",
    "Store",
    "StateFileMissing",
    "StoreError",
    "UnreadableSilence",
    "default_state_path",
    "read_history_snapshot",
    "read_silences_snapshot",
]
