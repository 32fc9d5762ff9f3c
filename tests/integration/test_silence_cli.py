"""``slotui silence add|list|expire`` as separate processes sharing one state file."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _env(user: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_STATE", "USER", "LOGNAME")}
    env["USER"] = user
    env.update(extra or {})
    return env


def slotui(state: Path | None, *argv: str, user: str = "alice", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m slotui ARGV --state STATE`` in a fresh process with ``$USER`` set."""
    tail = ["--state", str(state)] if state is not None else []
    return subprocess.run(
        [sys.executable, "-m", "slotui", *argv, *tail],
        capture_output=True, text=True, env=_env(user, env), timeout=60,
    )


def test_add_in_one_process_list_in_another(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    added = slotui(state, "silence", "add", "slo=helpfulness", "-d", "1h", "--comment", "deploy")
    assert added.returncode == 0, added.stderr
    sid = added.stdout.splitlines()[0]
    assert uuid.UUID(sid).version == 4
    assert "snooze slo=helpfulness" in added.stdout and "by alice: deploy" in added.stdout

    listed = slotui(state, "silence", "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["ID", "MATCHERS", "STARTS", "ENDS", "CREATED", "BY", "COMMENT"]
    assert len(rows) == 1
    cells = rows[0].split()
    assert cells[0] == sid and cells[1] == "slo=helpfulness" and cells[4:] == ["alice", "deploy"]
    assert cells[2].endswith("Z") and cells[3].endswith("Z")  # RFC 3339 UTC


def test_quiet_mute_author_and_json(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    mute = slotui(state, "silence", "add", "availability", "--comment", "maintenance", "-q", user="bob")
    assert mute.returncode == 0, mute.stderr
    assert len(mute.stdout.splitlines()) == 1  # -q: only the id
    mute_id = mute.stdout.strip()
    snooze = slotui(state, "silence", "add", 'slo=~"cost.*"', "-d", "30m", "-q", "-a", "carol")
    snooze_id = snooze.stdout.strip()

    ids = slotui(state, "silence", "list", "-q")
    assert ids.stdout.split() == [mute_id, snooze_id]
    table = slotui(state, "silence", "list")
    mute_row = next(line for line in table.stdout.splitlines() if line.startswith(mute_id))
    assert " never " in mute_row and " bob " in mute_row

    data = json.loads(slotui(state, "silence", "list", "-o", "json").stdout)
    by_id = {d["id"]: d for d in data}
    assert by_id[mute_id]["kind"] == "mute" and by_id[mute_id]["ends_at"] is None
    assert by_id[mute_id]["created_by"] == "bob" and by_id[mute_id]["matchers_text"] == ["slo=availability"]
    assert by_id[snooze_id]["matchers"] == [{"name": "slo", "op": "=~", "value": "cost.*"}]
    assert by_id[snooze_id]["created_by"] == "carol" and by_id[snooze_id]["state"] == "active"

    filtered = slotui(state, "silence", "list", "-q", "slo=availability")
    assert filtered.stdout.split() == [mute_id]


def test_expire_by_prefix_then_expired_list(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    first = slotui(state, "silence", "add", "slo=helpfulness", "-d", "2h", "-q").stdout.strip()
    second = slotui(state, "silence", "add", "slo=availability", "-q").stdout.strip()
    prefix = first[:8]
    expired = slotui(state, "silence", "expire", prefix)
    assert expired.returncode == 0, expired.stderr
    assert expired.stdout.strip() == first

    assert slotui(state, "silence", "list", "-q").stdout.split() == [second]
    assert slotui(state, "silence", "list", "--expired", "-q").stdout.split() == [first]

    again = slotui(state, "silence", "expire", first)
    # as amtool (Alertmanager answers an error): exit 1, so a script can tell it from "expired it"
    assert again.returncode == 1 and "already expired" in again.stderr and again.stdout == ""



def test_an_expired_mute_is_listed_as_a_mute(tmp_path: Path) -> None:
    """`silence expire` writes a mute's end: `silence list --expired` called it a snooze (and the TUI's
    history "lifted"). A snooze ended by hand stays a snooze."""
    state = tmp_path / "state.db"
    muted = slotui(state, "silence", "add", "slo=availability", "--comment", "deploy", "-q").stdout.strip()
    snoozed = slotui(state, "silence", "add", "slo=helpfulness", "-d", "2h", "-q").stdout.strip()
    for sid in (muted, snoozed):
        assert slotui(state, "silence", "expire", sid).returncode == 0
    listed = slotui(state, "silence", "list", "--expired", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    kinds = {s["id"]: (s["kind"], s["state"]) for s in json.loads(listed.stdout)}
    assert kinds == {muted: ("mute", "expired"), snoozed: ("snooze", "expired")}
    table = slotui(state, "silence", "list", "--expired").stdout
    assert "deploy" in table

def test_unknown_or_ambiguous_id_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    known = slotui(state, "silence", "add", "slo=a", "-q").stdout.strip()
    unknown = slotui(state, "silence", "expire", "does-not-exist", known)
    assert unknown.returncode == 1
    assert "no silence with id 'does-not-exist'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert unknown.stdout.strip() == known  # the known one was still expired


def test_bad_input_is_rejected_and_nothing_is_stored(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    cases = [
        (["slo=~("], "invalid regular expression"),
        (["slo=a", "-d", "1 fortnight"], "duration"),
        (["slo=a", "-d", "1h", "--end", "2099-01-01T00:00:00Z"], "not both"),
        (["slo=a", "--end", "2001-01-01T00:00:00Z"], "past"),
        (['slo=~".*"'], "silence every alert"),
        (["slo=a", "-d", "1y"], "unknown unit 'y'"),
        (["slo=a", "-d", "0s"], "longer than 0s"),
        (["slo=a", "--start", "2026-13-01"], "--start: expected a time"),
        (["slo=a", "--end", "tomorrow"], "--end: expected a time"),
        (['slo=a"q'], "unescaped quote"),
        (["slo=~a(?=b)"], "RE2 syntax"),
    ]
    for argv, fragment in cases:
        result = slotui(state, "silence", "add", *argv)
        assert result.returncode == 3, (argv, result.stdout)  # bad input: exit 3, as for every command
        assert fragment in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    assert slotui(state, "silence", "list", "-q").stdout == ""
    bad_query = slotui(state, "silence", "list", "slo=~(")
    assert bad_query.returncode == 3 and "invalid regular expression" in bad_query.stderr
    assert "Traceback" not in bad_query.stderr


def test_state_before_the_subcommand_and_from_env(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    sid = slotui(state, "silence", "add", "slo=a", "-q").stdout.strip()
    global_flag = slotui(None, "--state", str(state), "silence", "list", "-q")
    assert global_flag.returncode == 0, global_flag.stderr
    assert global_flag.stdout.split() == [sid]
    from_env = slotui(None, "silence", "list", "-q", env={"SLOTUI_STATE": str(state)})
    assert from_env.stdout.split() == [sid]


def test_a_newer_state_file_is_refused_and_untouched(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    raw = sqlite3.connect(state)
    raw.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    raw.execute("INSERT INTO meta VALUES ('application', 'slotui')")
    raw.execute("PRAGMA user_version = 99")
    raw.commit()
    raw.close()
    before = hashlib.sha256(state.read_bytes()).hexdigest()
    result = slotui(state, "silence", "add", "slo=a", "-d", "1h")
    assert result.returncode == 1
    assert "newer slotui (schema 99 > 1)" in result.stderr and "--state" in result.stderr
    assert hashlib.sha256(state.read_bytes()).hexdigest() == before


def test_silence_command_imports_neither_textual_nor_httpx(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    code = (
        "import sys\n"
        "from slotui.cli import main\n"
        f"rc = main(['silence', 'add', 'slo=a', '-d', '1h', '-q', '--state', {str(state)!r}])\n"
        f"rc |= main(['silence', 'list', '--state', {str(state)!r}])\n"
        "bad = sorted(m for m in ('textual', 'httpx', 'rich', 'langsmith', 'duckdb') if m in sys.modules)\n"
        "print('LOADED', bad)\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout


def test_a_future_start_is_pending_and_listed(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    sid = slotui(state, "silence", "add", "slo=a", "--start", "2099-01-01T00:00:00Z", "-d", "2h", "-q").stdout.strip()
    data = json.loads(slotui(state, "silence", "list", "-o", "json").stdout)
    assert [(d["id"], d["state"], d["starts_at"], d["ends_at"]) for d in data] == [
        (sid, "pending", "2099-01-01T00:00:00Z", "2099-01-01T02:00:00Z")
    ]


def test_add_prints_a_multi_line_comment_on_one_line(tmp_path: Path) -> None:
    # The comment may hold newlines (it is free text); `silence add` printed it raw, so a comment
    # could forge what looked like another silence's line under the real one.
    state = tmp_path / "state.db"
    forged = "00000000-0000-0000-0000-000000000000"
    out = slotui(state, "silence", "add", "slo=a", "-d", "1h", "--comment", f"deploy\n{forged}\tslo=b")
    assert out.returncode == 0, out.stderr
    sid, line = out.stdout.splitlines()
    assert line.startswith("snooze slo=a from ") and line.endswith(f": deploy {forged} slo=b")
    listed = slotui(state, "silence", "list", "-o", "json")
    assert json.loads(listed.stdout)[0]["comment"] == f"deploy\n{forged}\tslo=b"  # stored as given


@pytest.mark.parametrize(
    ("argv", "code"),
    [(("silence", "list"), 0), (("silence", "list", "-q"), 0), (("silence",), 0), (("silence", "query", "slo=a"), 0),
     (("silence", "expire", "abcd"), 1), (("state", "check"), 1), (("state", "check", "-o", "json"), 1)],
)
def test_a_read_of_a_missing_state_file_creates_nothing(tmp_path: Path, argv: tuple[str, ...], code: int) -> None:
    # a mistyped --state made a new empty state file (and its directories) and called it healthy
    state = tmp_path / "no" / "such" / "dir" / "typo.db"
    done = slotui(state, *argv)
    assert done.returncode == code, done.stderr
    assert f"no state file at {state}" in done.stderr
    assert not (tmp_path / "no").exists()
    if code == 0:  # nothing to list: no silences, no rows
        assert done.stdout.strip() in ("", "no active silences") or "ID" in done.stdout.splitlines()[0]


def test_an_empty_author_and_a_time_without_zone_are_refused(tmp_path: Path) -> None:
    """`-a ''` (an unset $AUTHOR) silently became $USER, and `--end 2099-01-01T00:00:00` was taken as
    UTC without a word (a local time typed in UTC+2 silenced two hours less than meant): amtool refuses
    both. Nothing is stored."""
    state = tmp_path / "s.db"
    for argv, fragment in ((["-a", ""], "needs an author"),
                           (["--end", "2099-01-01T00:00:00"], "has no zone"),
                           (["--end", "2099-01-01"], "has no zone"),
                           (["--start", "2099-01-01T10:00", "-d", "1h"], "has no zone")):
        result = slotui(state, "silence", "add", "slo=x", *argv)
        assert result.returncode == 3 and fragment in result.stderr, (argv, result.stderr)
    assert slotui(state, "silence", "list", "-q").stdout == ""
    for end in ("2099-01-01T00:00:00Z", "2099-01-01T02:00:00+02:00"):
        assert slotui(state, "silence", "add", "-q", "slo=x", "--end", end).returncode == 0
