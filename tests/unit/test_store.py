"""The SQLite state store: WAL, schema checks that never touch a foreign file, history, retention, silences."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from slotui.alerting.silence import Matcher, Silence, mute, snooze
from slotui.store import (
    HOURLY,
    SCHEMA_VERSION,
    AmbiguousSilenceId,
    SilenceNotFound,
    Store,
    StoreError,
)

DAY = 86400.0


@pytest.fixture()
def store(tmp_path: Path):
    s = Store.open(tmp_path / "state.db")
    yield s
    s.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------- opening


def test_new_file_is_wal_with_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "state.db"
    with Store.open(path) as s:
        assert s.journal_mode == "wal"
        assert s.schema_version == SCHEMA_VERSION
        assert int(s.conn.execute("PRAGMA busy_timeout").fetchone()[0]) > 0
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"meta", "samples", "buckets", "silences", "alert_states", "notifications", "deliveries"} <= tables
    finally:
        raw.close()


def test_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store.open(path) as s:
        s.record_slices("a", [(0.0, 1.5)])
    with Store.open(path) as s:
        assert s.load_slices("a", 0, 1) == [(0.0, 1.5)]


@pytest.mark.parametrize("wal", [False, True])
def test_newer_schema_is_refused_and_left_byte_for_byte(tmp_path: Path, wal: bool) -> None:
    path = tmp_path / "state.db"
    raw = sqlite3.connect(path)
    if wal:
        raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    raw.execute("INSERT INTO meta VALUES ('application', 'slotui')")
    raw.execute("CREATE TABLE future (x)")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    before = _digest(path)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    message = str(info.value)
    assert "newer slotui" in message
    assert f"schema {SCHEMA_VERSION + 1} > {SCHEMA_VERSION}" in message
    assert str(path) in message and "--state" in message
    assert _digest(path) == before


@pytest.mark.parametrize(
    "content",
    [b"this is not a database\n" * 50, b"SQLite format 3\x00" + b"\xff" * 200, b"\x00" * 4096],
    ids=["text", "bad-header-body", "zeros"],
)
def test_garbage_file_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(path) in str(info.value)
    assert "untouched" in str(info.value)
    assert path.read_bytes() == content
    assert not (tmp_path / "state.db-wal").exists() or (tmp_path / "state.db-wal").stat().st_size == 0


def test_another_programs_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE customers (id INTEGER)")
    raw.execute("INSERT INTO customers VALUES (1)")
    raw.commit()
    raw.close()
    before = _digest(path)
    with pytest.raises(StoreError, match="not a slotui state file"):
        Store.open(path)
    assert _digest(path) == before


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)


def test_default_path_honours_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from slotui.store import default_state_path

    monkeypatch.setenv("SLOTUI_STATE", str(tmp_path / "env.db"))
    assert default_state_path() == tmp_path / "env.db"
    with Store.open() as s:
        assert s.path == tmp_path / "env.db"
    assert (tmp_path / "env.db").exists()


def test_concurrent_processes_initialise_and_write_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    code = (
        "import sys\n"
        "from slotui.store import Store\n"
        "s = Store.open(sys.argv[1])\n"
        "n = int(sys.argv[2])\n"
        "for i in range(50):\n"
        "    s.record_slices('slo', [(n * 1000 + i, float(i))])\n"
        "s.close()\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(n)]) for n in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    with Store.open(path) as s:
        assert s.count_rows("samples", "slo") == 200


def test_threads_share_one_store(store: Store) -> None:
    def work(n: int) -> None:
        for i in range(25):
            store.record_buckets("r", [(n * 1000 + i, 1, 2)])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count_rows("buckets", "r") == 100


# ---------------------------------------------------------------------- samples and buckets


def test_slices_upsert_and_half_open_load(store: Store) -> None:
    assert store.record_slices("lat", [(0, 100.0), (300, 200.0), (600, 300.0)]) == 3
    assert store.record_slices("lat", [(300, 250.0), (900, float("nan")), (1200, float("inf"))]) == 1
    assert store.load_slices("lat", 0, 900) == [(0.0, 100.0), (300.0, 250.0), (600.0, 300.0)]
    assert store.load_slices("lat", 300, 600) == [(300.0, 250.0)]  # until is exclusive
    assert store.load_slices("other", 0, 900) == []
    assert store.count_rows("samples", "lat") == 3


def test_buckets_upsert_and_skip_invalid(store: Store) -> None:
    assert store.record_buckets("av", [(0, 99, 100), (300, 50, 50)]) == 2
    assert store.record_buckets("av", [(0, 98, 100), (600, 5, 4), (900, -1, 3), (1200, float("nan"), 1)]) == 1
    assert store.load_buckets("av", 0, 10_000) == [(0.0, 98.0, 100.0), (300.0, 50.0, 50.0)]


def test_compaction_downsamples_old_slices_into_hourly_means(store: Store) -> None:
    now = 40 * DAY
    # 5-minute slices over 40 days; inside each hour the values are 0..11 (mean 5.5).
    points = [(ts, float((ts // 300) % 12)) for ts in range(0, int(now), 300)]
    store.record_slices("q", points)
    assert store.count_rows("samples", "q") == 40 * 288
    result = store.compact(now)
    assert result.samples_downsampled == 5 * 288  # older than 35 days
    assert result.samples_dropped == 0
    assert store.count_rows("samples", "q", resolution=HOURLY) == 5 * 24
    assert store.count_rows("samples", "q", resolution=0) == 35 * 288
    old = store.load_slices("q", 0, 5 * DAY)
    assert len(old) == 120
    assert all(v == 5.5 for _, v in old)
    assert [ts for ts, _ in old[:3]] == [0.0, 3600.0, 7200.0]
    # Nothing left to do: idempotent.
    again = store.compact(now)
    assert (again.samples_downsampled, again.samples_dropped) == (0, 0)
    assert store.count_rows("samples", "q") == 120 + 35 * 288
    # A late raw slice in an hour already compacted merges with its weight (12 slices).
    store.record_slices("q", [(3600 + 60, 18.0)])
    store.compact(now)
    assert store.load_slices("q", 3600, 7200) == [(3600.0, (5.5 * 12 + 18.0) / 13)]


def test_compaction_sums_buckets_and_drops_the_oldest(store: Store) -> None:
    now = 10 * DAY
    store.record_buckets("av", [(ts, 9, 10) for ts in range(0, int(now), 300)])
    result = store.compact(now, raw_retention=2 * DAY, hourly_retention=5 * DAY)
    assert result.buckets_downsampled == 3 * 288  # days 5..8
    assert result.buckets_dropped == 5 * 288  # days 0..5, raw
    assert store.count_rows("buckets", "av", resolution=HOURLY) == 3 * 24
    assert store.count_rows("buckets", "av", resolution=0) == 2 * 288
    hourly = store.load_buckets("av", 5 * DAY, 8 * DAY)
    assert len(hourly) == 72 and all((g, t) == (108.0, 120.0) for _, g, t in hourly)
    total = sum(t for _, _, t in store.load_buckets("av", 0, now))
    assert total == 5 * 288 * 10  # days 5..10 kept, counts preserved by downsampling
    # Later, the hourly rows age out too.
    later = store.compact(now + 4 * DAY, raw_retention=2 * DAY, hourly_retention=5 * DAY)
    assert later.buckets_dropped == 3 * 24 + 288  # the hourly rows of days 5..8 and the raw ones of day 8
    assert store.load_buckets("av", 0, 9 * DAY) == []


# ---------------------------------------------------------------------- silences

T0 = 1_780_000_000.0
M = (Matcher("slo", "=", "helpfulness"),)


def test_silence_crud_and_lists_at_exact_boundaries(store: Store) -> None:
    s = snooze(M, 3600, T0, "alice", "deploy")
    u = mute((Matcher("slo", "=~", "avail.*"),), T0 + 10, "bob", "maintenance")
    assert store.add_silence(s) == s.id
    store.add_silence(u)
    assert store.get_silence(s.id) == s
    assert store.get_silence(u.id) == u
    assert [x.id for x in store.list_silences(T0 + 3599)] == [s.id, u.id]
    assert [x.id for x in store.list_silences(T0 + 3600)] == [u.id]
    assert [x.id for x in store.list_silences(T0 + 3600, expired=True)] == [s.id]
    assert [x.id for x in store.list_silences(T0 + 3599, expired=True)] == []
    assert [x.id for x in store.active_silences(T0 + 5)] == [s.id]  # u is still pending
    with pytest.raises(StoreError, match="already exists"):
        store.add_silence(s)


def test_get_by_prefix(store: Store) -> None:
    a = Silence(id="abc11111-0000", matchers=M, starts_at=T0, ends_at=None, created_by="a")
    b = Silence(id="abc22222-0000", matchers=M, starts_at=T0, ends_at=None, created_by="a")
    c = Silence(id="a_c", matchers=M, starts_at=T0, ends_at=None, created_by="a")
    for x in (a, b, c):
        store.add_silence(x)
    assert store.get_silence("abc1") == a
    assert store.get_silence("ABC2") == b
    with pytest.raises(AmbiguousSilenceId, match="abc11111-0000, abc22222-0000"):
        store.get_silence("abc")
    with pytest.raises(SilenceNotFound, match="'zzz'"):
        store.get_silence("zzz")
    # LIKE wildcards in a prefix are literal.
    assert store.get_silence("a_") == c
    with pytest.raises(SilenceNotFound):
        store.get_silence("a%")


def test_expire_and_update(store: Store) -> None:
    s = mute(M, T0, "alice")
    pending = snooze(M, 60, T0 + 1000, "alice")
    store.add_silence(s)
    store.add_silence(pending)
    ended = store.expire_silence(s.id[:8], T0 + 30)
    assert ended.ends_at == T0 + 30 and store.get_silence(s.id).ends_at == T0 + 30
    assert not store.get_silence(s.id).is_active(T0 + 30)
    assert store.get_silence(s.id).is_active(T0 + 29)
    p = store.expire_silence(pending.id, T0 + 40)
    assert (p.starts_at, p.ends_at) == (T0 + 40, T0 + 40)
    # Expiring again changes nothing.
    assert store.expire_silence(s.id, T0 + 99).ends_at == T0 + 30
    from dataclasses import replace

    changed = replace(store.get_silence(s.id), comment="edited", updated_at=T0 + 100)
    store.update_silence(changed)
    assert store.get_silence(s.id).comment == "edited"
    with pytest.raises(SilenceNotFound):
        store.update_silence(replace(changed, id="nope"))


def test_external_ids(store: Store) -> None:
    s = mute(M, T0, "alice")
    store.add_silence(s)
    assert store.silence_external_ids(s.id) == {}
    store.set_silence_external_id(s.id, "am", "abc")
    assert store.silence_external_ids(s.id) == {"am": "abc"}
    store.set_silence_external_id(s.id, "am", None)
    assert store.silence_external_ids(s.id) == {}


def test_a_second_connection_sees_silences(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store.open(path) as one, Store.open(path) as two:
        s = snooze(M, 60, T0, "alice")
        one.add_silence(s)
        assert [x.id for x in two.list_silences(T0)] == [s.id]
        two.expire_silence(s.id, T0 + 1)
        assert one.list_silences(T0 + 1) == []


# ---------------------------------------------------------------------- read-only snapshot (slotui replay)


def test_silences_snapshot_reads_without_writing_and_reports_a_bad_row(tmp_path: Path) -> None:
    from slotui.store import read_silences_snapshot

    path = tmp_path / "state.db"
    assert read_silences_snapshot(path) == ([], [])  # no file: none, and none created
    assert not path.exists()
    with Store.open(path) as s:
        s.add_silence(mute([Matcher("slo", "=", "a")], 1000.0, "alice", silence_id="good"))
        s.add_silence(mute([Matcher("slo", "=", "b")], 1000.0, "alice", silence_id="bad"))
        with s.transaction() as conn:
            conn.execute("UPDATE silences SET matchers = '{not json' WHERE id = 'bad'")
    before = {p.name: _digest(p) for p in tmp_path.iterdir()}
    good, bad = read_silences_snapshot(path)
    assert [x.id for x in good] == ["good"] and good[0].matchers == (Matcher("slo", "=", "a"),)
    assert len(bad) == 1 and bad[0][0] == "bad" and "matchers" in bad[0][1]
    assert {p.name: _digest(p) for p in tmp_path.iterdir()} == before  # nothing written, no -shm/-wal


def test_silences_snapshot_of_a_file_without_the_table_is_empty(tmp_path: Path) -> None:
    from slotui.store import read_silences_snapshot

    path = tmp_path / "other.db"
    sqlite3.connect(path).close()
    assert read_silences_snapshot(path) == ([], [])


# ---------------------------------------------------------------------- a mute's kind, kept when it is expired


def _file_of_an_earlier_slotui(path: Path) -> None:
    """A state file as slotui wrote it before the silences' ``open_ended`` column: the same schema
    version, that column left out; an active mute, a mute expired by hand and a snooze."""
    from slotui.store import schema

    ddl = "\n".join(line for line in schema._SCHEMA_V1.splitlines() if "open_ended" not in line)
    ddl = ddl.replace("""'{}', -- JSON {channel: id}""", """'{}'  -- JSON {channel: id}""")
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in schema.statements(ddl):
        conn.execute(statement)
    assert "open_ended" not in {r[1] for r in conn.execute("PRAGMA table_info(silences)")}
    conn.execute("INSERT INTO meta (key, value) VALUES ('application', 'slotui'), ('created_schema', '1')")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    rows = [("active-mute", None, 1000.0), ("ended-mute", 1500.0, 1500.0), ("snooze", 4600.0, 1000.0)]
    for sid, ends, updated in rows:
        conn.execute("INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, created_at, updated_at)"
                     " VALUES (?, '[{\"name\": \"slo\", \"op\": \"=\", \"value\": \"a\"}]', 1000, ?, 'bob', 1000, ?)",
                     (sid, ends, updated))
    conn.close()


def test_an_expired_mute_stays_a_mute_and_a_file_of_an_earlier_slotui_still_reads(tmp_path: Path) -> None:
    """Expiring writes a mute's end, so an expired mute read as a snooze (the TUI's history showed a
    mute the CLI made and expired as "lifted"). The file keeps whether it was set without an end; a
    file an earlier slotui wrote reads as before (read-only commands, replay's snapshot) and gains
    the column, with its active mutes marked, when a command opens it to write."""
    from slotui.store import read_silences_snapshot

    path = tmp_path / "state.db"
    _file_of_an_earlier_slotui(path)
    with Store.open(path, read_only=True, must_exist=True) as old:  # `silence list`, `state check`
        kinds = {s.id: (s.kind, s.open_ended) for s in old.list_silences(2000.0) + old.list_silences(2000.0, expired=True)}
    assert kinds == {"active-mute": ("mute", True), "snooze": ("snooze", None), "ended-mute": ("snooze", None)}
    snapshot, bad = read_silences_snapshot(path)  # `replay`
    assert bad == [] and sorted(s.id for s in snapshot) == ["active-mute", "ended-mute", "snooze"]

    with Store.open(path) as s:  # a command that writes: the column is added
        columns = {r[1] for r in s.conn.execute("PRAGMA table_info(silences)")}
        stored = dict(s.conn.execute("SELECT id, open_ended FROM silences").fetchall())
        assert s.schema_version == SCHEMA_VERSION  # (an earlier slotui still opens the file)
        assert "open_ended" in columns and stored == {"active-mute": 1, "ended-mute": None, "snooze": None}
        s.expire_silence("active-mute", 3000.0)
        s.add_silence(mute([Matcher("slo", "=", "b")], 3000.0, "alice", silence_id="new-mute"))
        s.add_silence(snooze([Matcher("slo", "=", "c")], 600.0, 3000.0, "alice", silence_id="new-snooze"))
        s.expire_silence("new-mute", 3100.0)
        s.expire_silence("new-snooze", 3100.0)  # ended by hand before its end: it was a snooze
        ended = {x.id: (x.kind, x.open_ended) for x in s.list_silences(5000.0, expired=True)}
    assert ended == {"active-mute": ("mute", True), "new-mute": ("mute", True), "new-snooze": ("snooze", False),
                     "ended-mute": ("snooze", None), "snooze": ("snooze", None)}
    again = {x.id: x.kind for x in read_silences_snapshot(path)[0]}
    assert again["new-mute"] == "mute" and again["new-snooze"] == "snooze"


def test_an_edit_that_gives_a_mute_an_end_makes_it_a_snooze(tmp_path: Path) -> None:
    from slotui.alerting.silences import Silences

    with Store.open(tmp_path / "state.db") as s:
        service = Silences(s)
        sid = service.set(mute([Matcher("slo", "=", "a")], 1000.0, "alice"), now=1000.0).silence.id
        pending = service.set(mute([Matcher("slo", "=", "b")], 5000.0, "alice"), now=1000.0).silence.id
        edited = service.edit(sid, ends_at=9000.0, comment="until the fix", author="alice", now=2000.0)
        assert edited.silence.kind == "snooze" and edited.silence.open_ended is False
        assert edited.replaced is not None and edited.replaced.kind == "mute"  # (the mute, ended at the edit)
        assert service.edit(pending, ends_at=9000.0, comment="", author="alice", now=2000.0).silence.id == pending
        assert s.get_silence(pending).open_ended is False  # (a pending one is updated in place)
        assert {x.id: x.kind for x in s.list_silences(2500.0, expired=True)} == {sid: "mute"}
