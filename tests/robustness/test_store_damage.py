"""A state file that SQLite itself cannot read or write: damaged pages, a full disk.

Before: a damaged page of any table (``database disk image is malformed``) escaped as a raw
``sqlite3.DatabaseError`` traceback from ``slotui check --state``, ``silence list|add|expire`` and
``state check``; a write that failed for lack of space (``disk I/O error`` at COMMIT) did the same
from ``silence add``; the daemon logged ``tick failed: DatabaseError: ...`` without naming the
file, ``run --headless --once`` exited 0 after that failed tick, and ``/healthz`` kept answering
``ok`` while every tick failed. Now each is one line naming the file, what is wrong and what to
do (exit 3 for ``check`` and ``run --once``, 1 for the silence/state commands as for their other
store errors), the daemon's ``/healthz`` answers 503 with the reason until a tick succeeds
again, and a failed write leaves no transaction open, so writes work again once space is back.

The disk is "full" through ``RLIMIT_FSIZE`` (CPython ignores SIGXFSZ, so writes past the limit
fail with EFBIG), set on the slotui subprocess, or changed on the running daemon with prlimit.
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from slotui.store import Store, StoreError

try:
    from .rows_state import BUCKETS, SILENCE_A, SILENCE_B, SLICES, T0, seed
except ImportError:  # run as a rootdir-relative module
    from rows_state import BUCKETS, SILENCE_A, SILENCE_B, SLICES, T0, seed  # type: ignore[import-not-found,no-redef]
try:
    from .daemon_harness import Daemon, wait_for
except ImportError:
    from daemon_harness import Daemon, wait_for  # type: ignore[import-not-found,no-redef]

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

CONFIG = """\
version: 1
defaults: {interval: 1s}
sources:
  demo: {type: demo, seed: 7}
slos:
  - name: rat
    source: demo
    ratio: {good: "error.type == null"}
    objective: {target: 0.995}
  - name: thr
    source: demo
    sli: {field: duration_s, agg: p95}
    objective: {target: 60, warning: 90, critical: 120}
    unit: s
"""

DAMAGED = "is damaged (database disk image is malformed)"


def seeded(path: Path) -> None:
    store = asyncio.run(seed(path, deliver=True))
    store.close()


def break_table(path: Path, table: str) -> None:
    """Overwrite the root page of ``table`` (its only page in these small files) with garbage."""
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    finally:
        conn.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def slotui(*args: str, cwd: Path, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, resource.RLIM_INFINITY))

    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "slotui", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env, preexec_fn=limit)


def said(out: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert out.returncode == code, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr and "sqlite3." not in out.stderr, out.stderr
    for fragment in fragments:
        assert fragment in out.stderr, (fragment, out.stderr)


# ---------------------------------------------------------------------- every table, read and write


READS = {
    "samples": lambda s: s.load_slices("thr", 0, T0 + 1),
    "buckets": lambda s: s.load_buckets("rat", 0, T0 + 1),
    "silences": lambda s: s.list_silences(T0),
    "alert_states": lambda s: s.alert_states(),
    "alert_groups": lambda s: s.alert_groups(),
    "notifications": lambda s: s.outbox.history(),
    "deliveries": lambda s: s.outbox.deliveries(1),
}
WRITES = {
    "samples": lambda s: s.record_slices("thr", [(T0, 1.0)]),
    "buckets": lambda s: s.record_buckets("rat", [(T0, 1.0, 2.0)]),
    "silences": lambda s: s.expire_silence(SILENCE_A, T0),
}


@pytest.mark.parametrize("table", sorted(READS))
def test_a_damaged_table_is_a_store_error_naming_the_file(table: str, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    seeded(path)
    break_table(path, table)
    store = Store.open(path)
    try:
        with pytest.raises(StoreError) as caught:
            READS[table](store)
        assert f"state file {path} {DAMAGED}" in str(caught.value)
        assert "restore it from a backup" in str(caught.value)
        if table in WRITES:
            with pytest.raises(StoreError, match="is damaged"):
                WRITES[table](store)
        # the other tables still read: the damage is reported, it does not poison the connection
        other = "silences" if table != "silences" else "samples"
        READS[other](store)
    finally:
        store.close()


def test_cli_commands_on_a_damaged_table_say_so_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "slos.yaml").write_text(CONFIG)
    state = tmp_path / "state.db"
    seeded(state)
    break_table(state, "buckets")
    base = ("-c", "slos.yaml", "--state", str(state))
    said(slotui("check", *base, cwd=tmp_path), 3, f"slotui check: state file {state} {DAMAGED}")
    said(slotui("state", "check", "--state", str(state), cwd=tmp_path), 1, f"slotui state: state file {state} {DAMAGED}")
    once = slotui("run", "--headless", "--once", "--listen", "none", *base, cwd=tmp_path)
    said(once, 3, f"tick failed: state file {state} {DAMAGED}")
    assert "DatabaseError" not in once.stderr

    seeded(state3 := tmp_path / "state3.db")
    break_table(state3, "notifications")  # the outbox audit warned "outbox audit failed: DatabaseError"
    audit = slotui("run", "--headless", "--once", "--listen", "none", "-c", "slos.yaml", "--state", str(state3),
                   cwd=tmp_path)
    assert f"state file: outbox audit failed: state file {state3} {DAMAGED}" in audit.stderr, audit.stderr
    assert "Traceback" not in audit.stderr, audit.stderr

    seeded(state2 := tmp_path / "state2.db")
    break_table(state2, "silences")
    for args in (("silence", "list"), ("silence", "add", "slo=rat", "-d", "1h"), ("silence", "expire", SILENCE_A)):
        said(slotui(*args, "--state", str(state2), cwd=tmp_path), 1, f"slotui silence: state file {state2} {DAMAGED}")


# ---------------------------------------------------------------------- a full disk


def test_a_write_that_fails_for_space_leaves_no_transaction_open(tmp_path: Path) -> None:
    """Store API in a subprocess with a 4 KiB file size limit: the write fails as StoreError, then
    succeeds once the limit is lifted (a failed COMMIT used to escape as sqlite3.OperationalError)."""
    path = tmp_path / "state.db"
    script = textwrap.dedent(f"""
        import resource
        from slotui.store import Store, StoreError
        store = Store.open({str(path)!r})
        store.record_slices("thr", [(0.0, 1.0)])
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        try:
            store.record_slices("thr", [(float(t), 2.0) for t in range(1, 2001)])
        except StoreError as exc:
            print("refused:", exc)
        print("in transaction:", store.conn.in_transaction)
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        print("written:", store.record_slices("thr", [(5000.0, 3.0)]))
        print("rows:", store.load_slices("thr", 0, 10000))
        store.close()
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"refused: cannot write state file {path} (disk I/O error): is the disk full"), lines
    assert lines[1:] == ["in transaction: False", "written: 1", "rows: [(0.0, 1.0), (5000.0, 3.0)]"]


def test_silence_add_on_a_full_disk_says_so_and_keeps_what_was_there(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    seeded(state)
    keeper = Store.open(state)  # holds the -wal and -shm open, as a running daemon or TUI would
    try:
        out = slotui("silence", "add", "slo=rat", "-d", "1h", "--state", str(state),
                     cwd=tmp_path, fsize=4096)
        said(out, 1, f"slotui silence: cannot write state file {state} (disk I/O error): is the disk full")
        assert out.stdout == ""
        listed = slotui("silence", "list", "-q", "--state", str(state), cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == [SILENCE_B]  # the seeded mute (the seeded snooze has ended)
    finally:
        keeper.close()
    conn = sqlite3.connect(str(state))
    try:  # nothing half-written: the two seeded rows and no third
        assert conn.execute("SELECT count(*) FROM silences").fetchone() == (2,)
    finally:
        conn.close()


def test_daemon_on_a_full_disk_is_unhealthy_then_recovers(tmp_path: Path) -> None:
    """A running daemon whose file size limit drops (prlimit) fails its ticks with a clear line and
    /healthz 503; when the limit is lifted its next tick writes again and /healthz is 200."""
    if not hasattr(resource, "prlimit"):
        if os.environ.get("CI"):
            pytest.fail("resource.prlimit is missing: CI runs on Linux, where it exists")
        pytest.skip("prlimit is Linux-only")
    config = tmp_path / "slos.yaml"
    # 5-second slices: a tick writes when a slice has completed since the last one (a slice still
    # open is not stored), so with 5-minute slices a tick could go minutes without writing
    config.write_text(CONFIG.replace("defaults: {interval: 1s}", "defaults: {interval: 1s, slice: 5s, period: 1d}"))
    daemon = Daemon(tmp_path, config).started()
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, what="a first good tick")
        mark = len(daemon.log_lines())
        resource.prlimit(daemon.proc.pid, resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        daemon.wait_log(r"tick failed: cannot write state file .*state\.db \(disk I/O error\): is the disk full",
                        after=mark)
        status, body = wait_for(lambda: (r := daemon.get("/healthz"))[0] == 503 and r, what="/healthz 503")
        assert body.startswith("last evaluation failed: cannot write state file"), body
        resource.prlimit(daemon.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        wait_for(lambda: daemon.get("/healthz") == (200, "ok\n"), what="/healthz ok again")
        daemon.wait_log(r"ticks succeed again$", after=mark)
        # one line for the failure however many ticks failed meanwhile (it was one per tick)
        failed = [x for x in daemon.log_lines()[mark:] if "tick failed" in x]
        assert len(failed) == 1, failed
        before = daemon.ticks()
        wait_for(lambda: daemon.ticks() > before, what="ticks going on")
    finally:
        code = daemon.stop()
    assert code == 0, daemon.log
    assert "Traceback" not in daemon.log, daemon.log
    store = Store.open(tmp_path / "state.db")
    try:  # what the daemon recorded after the disk came back is there
        assert store.count_rows("buckets", "rat") >= 1
    finally:
        store.close()


def test_seed_rows_are_what_the_reads_expect(tmp_path: Path) -> None:
    """The undamaged file answers every read used above (so a failure above is the damage, not the seed)."""
    path = tmp_path / "state.db"
    seeded(path)
    store = Store.open(path)
    try:
        assert store.load_slices("thr", 0, T0 + 1) == SLICES
        assert store.load_buckets("rat", 0, T0 + 1) == BUCKETS
        assert len(store.list_silences(T0)) == 2
        for read in READS.values():
            read(store)
    finally:
        store.close()


# ---------------------------------------------------------------------- another process holds the write lock


def test_daemon_answers_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    """A `sqlite3` shell with an open write transaction on the daemon's state file: every store call
    of the daemon waited the 10 s busy timeout on the event loop (tick + one outbox claim per channel
    worker), so /healthz and /metrics did not answer for over 30 s. Now the daemon waits at most
    run.BUSY_TIMEOUT (1 s) per call: it keeps answering (503 naming the lock), and recovers when it is released."""
    config = tmp_path / "slos.yaml"
    config.write_text(CONFIG + "alerts:\n  group: {wait: 0s}\n  channels:\n"
                      + "".join(f"    ch{i}: {{type: file, path: ch{i}.jsonl}}\n" for i in range(3)))
    daemon = Daemon(tmp_path, config).started()
    holder = sqlite3.connect(str(daemon.state), isolation_level=None)
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, what="a first good tick")
        mark = len(daemon.log_lines())
        holder.execute("BEGIN IMMEDIATE")
        daemon.wait_log(r"tick failed: state file .*state\.db is busy or unwritable: database is locked", after=mark)
        # A scraper's default timeout is 10 s; the old daemon did not answer within 30 s.
        answers = [daemon.get("/healthz", timeout=9) for _ in range(5)]
        assert all(status == 503 and "database is locked" in body for status, body in answers), answers
        assert daemon.get("/metrics", timeout=9)[0] == 200
        holder.execute("ROLLBACK")
        wait_for(lambda: daemon.get("/healthz") == (200, "ok\n"), what="/healthz ok once the lock is released")
    finally:
        holder.close()
        code = daemon.stop()
    assert code == 0, daemon.log
    assert "Traceback" not in daemon.log, daemon.log


def test_daemon_says_once_that_a_damaged_outbox_holds_up_delivery(tmp_path: Path) -> None:
    """The delivery workers swallowed every outbox error and retried each round, saying nothing:
    with a damaged notifications table no notification went out and the log was silent."""
    config = tmp_path / "slos.yaml"
    config.write_text(CONFIG + "alerts:\n  group: {wait: 0s}\n  channels:\n    hook: {type: file, path: hook.jsonl}\n")
    state = tmp_path / "state.db"
    asyncio.run(seed(state, deliver=False)).close()  # two notifications for channel "hook", not yet sent
    break_table(state, "notifications")
    daemon = Daemon(tmp_path, config, state=state).started()
    try:
        line = daemon.wait_log(r"delivery to (channel \w+|channels no longer configured) is held up: (.*)$")
        assert line.group(2) == f"state file {state} {DAMAGED}; it was left as it is: restore it from a backup, or move it aside and " \
            "start again (or use --state to pick another file); retried every 5s", line.group(0)
        # one line, with its time as every line of the log (logging's last-resort handler wrote it
        # bare), from the channel's worker (the worker of channels no longer configured said it too)
        held = [x for x in daemon.log_lines() if "is held up" in x]
        assert len(held) == 1 and line.group(1) == "channel hook", held
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ delivery to channel hook is held up", held[0]), held
        mark = len(daemon.log_lines())
        # A negative claim needs a window: more than one 5 s poll round of the workers (ticks fail
        # here too, as the alert states' notifications cannot be written, so they cannot be counted).
        window_end = time.monotonic() + 6
        wait_for(lambda: time.monotonic() > window_end, what="one poll round of the delivery workers")
        repeated = [x for x in daemon.log_lines()[mark:] if "is held up" in x and line.group(1) in x]
        assert repeated == [], repeated
    finally:
        code = daemon.stop()
    assert code == 0, daemon.log
    assert "Traceback" not in daemon.log, daemon.log


# ---------------------------------------------------------------------- the file is moved away under the daemon


def test_daemon_says_when_its_state_file_is_moved_away_or_replaced(tmp_path: Path) -> None:
    """SQLite keeps writing to the file it opened. Moved aside (as one does with a damaged file) or
    replaced, the daemon went on with the old inode and said nothing, while `slotui silence add`
    created a new file at the path: the silence was never seen and the alert paged anyway."""
    config = tmp_path / "slos.yaml"
    config.write_text(CONFIG)
    daemon = Daemon(tmp_path, config).started()
    state, aside = daemon.state, tmp_path / "state.db.aside"
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, what="a first good tick")
        state.rename(aside)
        daemon.wait_log(rf"state file {re.escape(str(state))} was deleted or moved away while this daemon runs: "
                        r"silences and acknowledgements made by `slotui silence` or the TUI there are not seen by it; "
                        r"restart the daemon$")
        status, body = wait_for(lambda: (r := daemon.get("/healthz"))[0] == 503 and r, what="/healthz 503")
        assert "was deleted or moved away" in body, body
        aside.rename(state)
        daemon.wait_log(rf"state file {re.escape(str(state))} is the daemon's own again$")
        wait_for(lambda: daemon.get("/healthz") == (200, "ok\n"), what="/healthz ok again")
    finally:
        code = daemon.stop()
    assert code == 0, daemon.log
    assert "Traceback" not in daemon.log, daemon.log


def test_store_knows_when_its_path_names_another_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = Store.open(path)
    try:
        assert store.file_replaced() is None
        other = tmp_path / "other.db"
        other.write_bytes(b"")
        os.replace(other, path)  # what `mv new.db state.db` does
        assert store.file_replaced() == "was replaced by another file"
        path.unlink()
        assert store.file_replaced() == "was deleted or moved away"
    finally:
        store.close()
