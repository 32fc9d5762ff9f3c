"""Issue 8.1: one malformed row must never blind alerting.

A generator over every table of the state file and every kind of damage a
column can take (JSON that is not JSON or lacks a key, text/blob/NaN/inf in a
number column, an unknown severity/state/kind, a JSON dict of the wrong
shape). For each case it damages ONE row of a real SQLite state file seeded
through slotui's own write paths, then runs the real read paths (store,
engine's alert step, dispatcher, alert log) twice and checks: nothing raises,
the other rows are still used, exactly one warning names the table and the
row id, and ``store.bad_rows`` counts it. Plus the exact case of the issue.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

try:  # a package once tests/robustness/__init__.py exists, a sibling module before
    from .rows_state import (  # type: ignore[import-not-found]
        BUCKETS, DROP, SILENCE_A, SILENCE_B, SLICES, T0, RecordingChannel, alerting, damage, edit, report, seed,
    )
except ImportError:
    from rows_state import (  # type: ignore[import-not-found,no-redef]
        BUCKETS, DROP, SILENCE_A, SILENCE_B, SLICES, T0, RecordingChannel, alerting, damage, edit, report, seed,
    )

from slotui.core.types import Status
from slotui.output.exposition import render
from slotui.store import Store

TEXT, BLOB, INF, NINF = "garbage", b"\x00\xff", float("inf"), float("-inf")
NAN = float("nan")
HC = "helpfulness:critical"
HG = '{slo="helpfulness"}'


@dataclass(frozen=True)
class Case:
    table: str
    column: str
    kind: str
    where: str
    value: Any
    row_id: str

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}:{self.kind}"


def _series(table: str, slo: str, ts: float) -> str:
    return f"{slo}/0/{ts!r}"


def _cases() -> list[Case]:
    out: list[Case] = []
    s_ts, b_ts = SLICES[1][0], BUCKETS[1][0]
    s_where, b_where = f"slo = 'thr' AND ts = {s_ts!r}", f"slo = 'rat' AND ts = {b_ts!r}"
    for kind, value in (("text", TEXT), ("blob", BLOB), ("inf", INF), ("-inf", NINF), ("nan-text", "nan")):
        out.append(Case("samples", "value", kind, s_where, value, _series("samples", "thr", s_ts)))
        out.append(Case("buckets", "good", kind, b_where, value, _series("buckets", "rat", b_ts)))
        out.append(Case("buckets", "total", kind, b_where, value, _series("buckets", "rat", b_ts)))
    out.append(Case("buckets", "good", "good>total", b_where, 11.0, _series("buckets", "rat", b_ts)))
    out.append(Case("buckets", "good", "negative", b_where, -1.0, _series("buckets", "rat", b_ts)))

    sw = f"id = '{SILENCE_A}'"
    for kind, value in (
        ("not-json", "{not json"), ("json-object", '{"name": "slo"}'), ("json-number", "7"),
        ("not-a-dict", '["slo=other"]'), ("missing-key", '[{"name": "slo", "value": "other"}]'),
        ("unknown-op", '[{"name": "slo", "op": "~~", "value": "other"}]'),
        ("bad-regex", '[{"name": "slo", "op": "=~", "value": "("}]'),
        ("empty", "[]"), ("matches-all", '[{"name": "slo", "op": "=~", "value": ".*"}]'),
        ("deep", "[" * 100_000), ("blob", BLOB),
        ("null-value", '[{"name": "slo", "op": "=", "value": null}]'),
        ("number-value", '[{"name": "slo", "op": "=", "value": 7}]'),
    ):
        out.append(Case("silences", "matchers", kind, sw, value, SILENCE_A))
    for column, kind, value in (
        ("starts_at", "text", TEXT), ("starts_at", "blob", BLOB), ("starts_at", "-inf", NINF),
        ("ends_at", "text", TEXT), ("ends_at", "before-start", T0 - 20), ("ends_at", "inf", INF),
        ("updated_at", "text", TEXT), ("created_by", "blob", BLOB), ("comment", "blob", BLOB),
    ):
        out.append(Case("silences", column, kind, sw, value, SILENCE_A))

    aw = f"fingerprint = '{HC}'"
    for kind, value in (
        ("not-json", "{oops"), ("json-list", "[]"), ("blob", BLOB),
        ("missing-fingerprint", edit(fingerprint=DROP)), ("missing-severity", edit(severity=DROP)),
        ("missing-state", edit(state=DROP)), ("missing-active_since", edit(active_since=DROP)),
        ("unknown-severity", edit(severity="disaster")), ("unknown-state", edit(state="exploded")),
        ("null-active_since", edit(active_since=None)), ("nan-active_since", edit(active_since=NAN)),
        ("text-fired_at", edit(fired_at="soon")), ("inf-fired_at", edit(fired_at=INF)),
        ("labels-string", edit(labels="slo=helpfulness")), ("labels-number-value", edit(labels={"slo": 1})),
        ("silenced_by-string", edit(silenced_by="abc")), ("context-list", edit(context=[1])),
        ("transition_id-text", edit(transition_id="two")),
        ("null-severity", edit(severity=None)), ("null-fingerprint", edit(fingerprint=None)),
        ("null-data", "null"),
    ):
        out.append(Case("alert_states", "data", kind, aw, value, HC))
    out.append(Case("alert_states", "severity", "unknown", aw, "disaster", HC))
    out.append(Case("alert_states", "state", "unknown", aw, "exploded", HC))
    out.append(Case("alert_states", "slo", "mismatch", aw, "latency", HC))

    gw = f"group_key = '{HG}'"
    for kind, value in (
        ("not-json", "nope"), ("json-list", "[1]"), ("missing-key", edit(key=DROP)),
        ("sent-entry-number", edit(sent={"hook": 5})), ("sent-seq-text", edit(sent={"hook": {"seq": "x"}})),
        ("members-string", edit(members="abc")), ("null-key", edit(key=None)), ("next_flush-text", edit(next_flush="later")),
        ("next_flush-nan", edit(next_flush=NAN)), ("labels-list", edit(labels=["slo"])),
    ):
        out.append(Case("alert_groups", "data", kind, gw, value, HG))
    out.append(Case("alert_groups", "next_flush", "text", gw, TEXT, HG))
    return out


CASES = _cases()


def _bad_warnings(caplog: pytest.LogCaptureFixture, table: str, row_id: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records
        if r.name == "slotui.store" and r.levelno == logging.WARNING
        and f"table {table}," in r.getMessage() and f"id {row_id}:" in r.getMessage()
    ]


async def _read(store: Store, table: str) -> Any:
    """The real read paths of ``table``; returns what they used."""
    if table == "samples":
        return [ts for ts, _ in store.load_slices("thr", T0 - 3600, T0 + 1)]
    if table == "buckets":
        return [ts for ts, _, _ in store.load_buckets("rat", T0 - 3600, T0 + 1)]
    if table == "silences":
        return sorted({s.id for s in store.list_silences(T0) + store.list_silences(T0 + 7200, expired=True)})
    al = alerting(store, RecordingChannel())
    if table == "alert_states":
        with store.alert_transaction() as tx:
            loaded = tx.load_states()
        return sorted(set(loaded) | {r.fingerprint for r in al.alerts()})
    if table == "alert_groups":
        with store.alert_transaction() as tx:
            return sorted(tx.load_groups())
    raise AssertionError(table)


EXPECTED_GOOD = {
    "samples": [SLICES[0][0], SLICES[2][0]],
    "buckets": [BUCKETS[0][0], BUCKETS[2][0]],
    "silences": [SILENCE_B],
    "alert_states": ["helpfulness:warning", "latency:critical", "latency:warning"],
    "alert_groups": ['{slo="latency"}'],
}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_one_bad_row_is_skipped_warned_once_and_counted(tmp_path: Path, caplog, case: Case) -> None:
    path = tmp_path / "state.db"
    store = await seed(path, deliver=True)
    try:
        damage(path, case.table, case.column, case.where, case.value)
        caplog.set_level(logging.WARNING, logger="slotui.store")
        first = await _read(store, case.table)
        second = await _read(store, case.table)
        assert first == second == EXPECTED_GOOD[case.table]
        warnings = _bad_warnings(caplog, case.table, case.row_id)
        assert len(warnings) == 1, caplog.text
        assert "garbage" not in warnings[0]  # the reason names the column, never the value
        assert store.bad_rows.counts()[case.table] == 1
        assert sum(store.bad_rows.counts().values()) == 1
        # The alert step runs over the damaged file; a skipped alert state or group is rebuilt and
        # its row rewritten, which takes it off the count.
        channel = RecordingChannel()
        al = alerting(store, channel)
        al.process(report(T0 + 30), T0 + 30, flush_now=True)
        await al.deliver_due(T0 + 30)
        if case.table in ("alert_states", "alert_groups"):
            assert store.bad_rows.counts()[case.table] == 0
            assert case.row_id in await _read(store, case.table)
        metrics = render(report(T0 + 30), bad_rows=store.bad_rows.counts())
        assert f'slotui_state_bad_rows{{table="{case.table}"}} {store.bad_rows.counts()[case.table]}' in metrics
    finally:
        store.close()


def test_the_generator_covers_every_table_and_column_kind() -> None:
    seen = {(c.table, c.column) for c in CASES}
    for needed in [
        ("samples", "value"), ("buckets", "good"), ("buckets", "total"), ("silences", "matchers"),
        ("silences", "starts_at"), ("silences", "ends_at"), ("alert_states", "data"), ("alert_states", "severity"),
        ("alert_states", "state"), ("alert_groups", "data"), ("alert_groups", "next_flush"),
    ]:
        assert needed in seen, needed
    assert len(CASES) == len({c.name for c in CASES})


# ---------------------------------------------------------------------- the issue's exact case


async def test_issue_case_silence_matchers_not_json_does_not_stop_the_alert_step(tmp_path: Path, caplog) -> None:
    """A silence whose ``matchers`` is not JSON made every tick fail with JSONDecodeError; the silence
    that does decode still mutes, the CRITICAL alert is still enqueued and delivered."""
    path = tmp_path / "state.db"
    store = Store.open(path)
    try:
        from slotui.alerting.silence import Matcher, mute

        store.add_silence(mute((Matcher("slo", "=", "latency"),), T0 - 60, "bob", silence_id=SILENCE_B), now=T0 - 60)
        store.add_silence(mute((Matcher("slo", "=", "nothing"),), T0 - 60, "eve", silence_id=SILENCE_A), now=T0 - 60)
        damage(path, "silences", "matchers", f"id = '{SILENCE_A}'", "{not json")
        caplog.set_level(logging.WARNING, logger="slotui.store")
        channel = RecordingChannel()
        al = alerting(store, channel)
        al.process(report(T0), T0, flush_now=True)
        outcomes = await al.deliver_due(T0)
        assert [o.state for o in outcomes] == ["delivered"]
        (sent,) = channel.got
        assert [(a.slo, a.severity) for a in sent.alerts] == [("helpfulness", "critical")]  # latency: muted by B
        assert len(_bad_warnings(caplog, "silences", SILENCE_A)) == 1
        assert "not JSON" in _bad_warnings(caplog, "silences", SILENCE_A)[0]
        assert store.bad_rows.counts()["silences"] == 1
        # expire repairs it: the row ends now and is no longer read as in force
        ended = store.expire_silence(SILENCE_A[:8], T0 + 1)
        assert ended.id == SILENCE_A and ended.reason.startswith("matchers: not JSON")
        assert store.scan_silences(T0 + 2)[1] == []
        row = store.conn.execute("SELECT starts_at, ends_at FROM silences WHERE id = ?", (SILENCE_A,)).fetchone()
        assert row == (T0 - 60, T0 + 1)
    finally:
        store.close()


# ---------------------------------------------------------------------- the outbox: kept, counted, reported


OUTBOX_CASES = [
    # (column, kind, value, the damaged row's state after delivery, is it sent too?)
    ("payload", "not-json", "{", "failed", False),
    ("payload", "json-missing-keys", '{"id": "x"}', "failed", False),
    ("payload", "blob", BLOB, "failed", False),
    ("payload", "secret-inside", '{"id": "https://hooks.slack.example/services/T0/B0/SECRETTOKEN"}', "failed", False),
    ("kind", "unknown", "shout", "failed", False),
    ("channel", "blob", BLOB, "failed", False),
    ("state", "unknown", "lost", "lost", False),
    ("created_at", "text", TEXT, "delivered", True),
    ("created_at", "inf", INF, "delivered", True),
    ("next_attempt_at", "text", TEXT, "delivered", True),
    ("next_attempt_at", "inf", INF, "delivered", True),
    ("attempts", "text", TEXT, "delivered", True),
]


@pytest.mark.parametrize("column,kind,value,after,sent", OUTBOX_CASES, ids=[f"{c}:{k}" for c, k, *_ in OUTBOX_CASES])
async def test_a_bad_outbox_row_is_kept_counted_and_never_blocks_the_others(
    tmp_path: Path, caplog, column: str, kind: str, value: Any, after: str, sent: bool
) -> None:
    path = tmp_path / "state.db"
    store = await seed(path, deliver=False)
    try:
        ids = [r[0] for r in store.conn.execute("SELECT id FROM notifications ORDER BY id")]
        assert len(ids) == 2
        bad, good = ids
        damage(path, "notifications", column, f"id = {bad}", value)
        caplog.set_level(logging.WARNING, logger="slotui.store")
        channel = RecordingChannel()
        al = alerting(store, channel)
        al.process(report(T0 + 1), T0 + 1)  # the audit runs with the first evaluation
        await al.deliver_due(T0 + 1)
        await al.deliver_due(T0 + 2)
        states = dict(store.conn.execute("SELECT id, state FROM notifications").fetchall())
        assert states[good] == "delivered"
        assert states[bad] == after
        assert len(channel.got) == (2 if sent else 1)
        assert len(_bad_warnings(caplog, "notifications", str(bad))) == 1, caplog.text
        assert store.bad_rows.counts()["notifications"] == 1
        assert "SECRETTOKEN" not in caplog.text  # a reason never quotes the payload
        log = {e.id: e for e in al.history()}
        assert set(log) == {bad, good}  # the alert log shows the damaged row instead of hiding it
        if after == "failed":
            assert log[bad].last_error.startswith("unreadable outbox row, not sent: ")
    finally:
        store.close()


async def test_a_sending_row_without_a_lease_is_claimed_again(tmp_path: Path, caplog) -> None:
    path = tmp_path / "state.db"
    store = await seed(path, deliver=False)
    try:
        bad = store.conn.execute("SELECT MIN(id) FROM notifications").fetchone()[0]
        damage(path, "notifications", "state", f"id = {bad}", "sending")
        caplog.set_level(logging.WARNING, logger="slotui.store")
        channel = RecordingChannel()
        al = alerting(store, channel)
        al.process(report(T0 + 1), T0 + 1)
        assert al.outbox.next_due(T0 + 1) == T0  # the other row: due since T0
        await al.deliver_due(T0 + 1)
        assert len(channel.got) == 2
        assert [s for (s,) in store.conn.execute("SELECT state FROM notifications")] == ["delivered", "delivered"]
        assert "lease_until" in _bad_warnings(caplog, "notifications", str(bad))[0]
    finally:
        store.close()


DELIVERY_CASES = [
    ("attempt", TEXT), ("started_at", TEXT), ("started_at", INF), ("finished_at", BLOB),
    ("outcome", "maybe"), ("status_code", TEXT), ("retry_after", TEXT), ("error", BLOB),
]


@pytest.mark.parametrize("column,value", DELIVERY_CASES, ids=[f"{c}:{v!r}" for c, v in DELIVERY_CASES])
async def test_a_bad_delivery_row_is_skipped_and_counted(tmp_path: Path, caplog, column: str, value: Any) -> None:
    path = tmp_path / "state.db"
    store = await seed(path, deliver=True)
    try:
        nid = store.conn.execute("SELECT MIN(id) FROM notifications").fetchone()[0]
        # a second attempt row for the same notification, so one good one remains
        store.conn.execute(
            "INSERT INTO deliveries (notification_id, attempt, started_at, finished_at, outcome) VALUES (?, 2, ?, ?, 'delivered')",
            (nid, T0 + 5, T0 + 6),
        )
        bad = store.conn.execute("SELECT MIN(id) FROM deliveries WHERE notification_id = ?", (nid,)).fetchone()[0]
        damage(path, "deliveries", column, f"id = {bad}", value)
        caplog.set_level(logging.WARNING, logger="slotui.store")
        al = alerting(store, RecordingChannel())
        for _ in range(2):
            attempts = al.outbox.deliveries(nid)
            assert [(a["attempt"], a["started_at"], a["outcome"]) for a in attempts] == [(2, T0 + 5, "delivered")]
        assert len(_bad_warnings(caplog, "deliveries", str(bad))) == 1
        assert store.bad_rows.counts()["deliveries"] == 1
    finally:
        store.close()


# ---------------------------------------------------------------------- retention and external ids


@pytest.mark.parametrize("value", [TEXT, BLOB, INF], ids=["text", "blob", "inf"])
def test_compaction_neither_averages_nor_deletes_a_bad_raw_sample(tmp_path: Path, value: Any) -> None:
    store = Store.open(tmp_path / "state.db")
    try:
        old = T0 - 40 * 86400.0
        hour = (old // 3600) * 3600
        store.record_slices("thr", [(hour, 0.5), (hour + 60, 0.9), (hour + 120, 0.7)])
        store.record_buckets("rat", [(hour, 5.0, 10.0), (hour + 60, 9.0, 10.0), (hour + 120, 7.0, 10.0)])
        damage(tmp_path / "state.db", "samples", "value", f"ts = {hour + 60!r}", value)
        damage(tmp_path / "state.db", "buckets", "good", f"ts = {hour + 60!r}", value)
        store.compact(T0)
        # hourly rows from the two good rows only: mean 0.6 (not (0.5 + 0 + 0.7) / 3), sums 12/20
        assert store.conn.execute("SELECT value, n FROM samples WHERE resolution = 3600").fetchall() == [(0.6, 2)]
        assert store.conn.execute("SELECT good, total FROM buckets WHERE resolution = 3600").fetchall() == [(12.0, 20.0)]
        assert store.count_rows("samples", resolution=0) == 1  # kept until hourly retention
        assert store.count_rows("buckets", resolution=0) == 1
        assert store.load_slices("thr", hour, hour + 3600) == [(hour, 0.6)]
        assert store.bad_rows.counts()["samples"] == 1
    finally:
        store.close()


def test_unreadable_external_ids_read_as_none_and_are_rewritten(tmp_path: Path, caplog) -> None:
    path = tmp_path / "state.db"
    store = Store.open(path)
    try:
        from slotui.alerting.silence import Matcher, mute

        store.add_silence(mute((Matcher("slo", "=", "x"),), T0, "a", silence_id=SILENCE_A), now=T0)
        damage(path, "silences", "external_ids", f"id = '{SILENCE_A}'", "{broken")
        caplog.set_level(logging.WARNING, logger="slotui.store")
        assert store.silence_external_ids(SILENCE_A) == {}
        store.set_silence_external_id(SILENCE_A, "am", "r-1")
        assert store.silence_external_ids(SILENCE_A) == {"am": "r-1"}
        assert len(_bad_warnings(caplog, "silences", SILENCE_A)) == 1
    finally:
        store.close()


def test_a_nan_can_not_even_be_stored_in_a_not_null_column(tmp_path: Path) -> None:
    """Why the NaN cases above are NaN *inside JSON* or the text 'nan': SQLite stores a float NaN as
    NULL, which the NOT NULL columns refuse, so such a row can never exist."""
    store = Store.open(tmp_path / "state.db")
    try:
        store.record_slices("thr", SLICES)
        with pytest.raises(sqlite3.IntegrityError):
            damage(tmp_path / "state.db", "samples", "value", f"ts = {SLICES[0][0]!r}", NAN)
    finally:
        store.close()


def test_metrics_list_every_table_with_zero_when_clean() -> None:
    from slotui.bad_rows import TABLES, BadRows

    metrics = render(report(T0, Status.OK), bad_rows=BadRows().counts())
    assert "# TYPE slotui_state_bad_rows gauge" in metrics
    for table in TABLES:
        assert f'slotui_state_bad_rows{{table="{table}"}} 0' in metrics


def test_bad_rows_warns_once_per_row_and_again_after_the_row_was_rewritten(caplog) -> None:
    from slotui.bad_rows import BadRows

    caplog.set_level(logging.WARNING, logger="slotui.store")
    bad = BadRows()
    for _ in range(3):
        bad.report("silences", "s1", "matchers: not JSON")
    bad.report("samples", "thr/0/60.0", "value: expected a finite number, got text")
    assert len(caplog.records) == 2
    assert bad.counts()["silences"] == 1 and bad.counts()["samples"] == 1
    bad.resolve("silences", ["s1", "unknown"])
    assert bad.counts()["silences"] == 0 and bad.counts()["samples"] == 1
    bad.report("silences", "s1", "matchers: not JSON")
    assert len(caplog.records) == 3
    assert caplog.records[-1].getMessage() == (
        "state file: skipped unreadable row of table silences, id s1: matchers: not JSON"
    )


def test_bad_rows_family_passes_promtool(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess

    from slotui.bad_rows import BadRows

    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is not installed")
        pytest.skip("promtool is not installed")
    bad = BadRows()
    bad.report("silences", SILENCE_A, "matchers: not JSON")
    text = render(report(T0), bad_rows=bad.counts())
    assert 'slotui_state_bad_rows{table="silences"} 1\n' in text
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
