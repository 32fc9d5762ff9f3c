"""Hostile times, durations and command lines at the CLI (real subprocesses, the demo config).

The family: a time no clock can show (``1e20``, ``nan``, ``inf``, before 1970, after 9999) or a
duration that carries a time there (``silence add -d 99999999999d``, ``replay --last 100000d``) is
refused with a message naming the option and the range, exit 3 (1 for ``silence``, as amtool), and
never a traceback; a row already holding such a time is named, not fatal; a bad command line exits 3
(UNKNOWN), not argparse's 2, which a CI job gating on ``slotui check`` reads as CRITICAL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

try:  # a package once tests/robustness/__init__.py exists, a sibling module before
    from .rows_state import SILENCE_A, damage, seed  # type: ignore[import-not-found]
except ImportError:
    from rows_state import SILENCE_A, damage, seed  # type: ignore[import-not-found,no-redef]

RANGE = "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"
HOSTILE_TIMES = ["1e20", "nan", "inf", "-5", "1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z"]


def slotui(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLOTUI_STATE": str(state)}
    env.pop("SLOTUI_NOW", None)
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def refused(out: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert out.returncode == code, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr
    for fragment in fragments:
        assert fragment in out.stderr, (fragment, out.stderr)


@pytest.mark.parametrize("when", HOSTILE_TIMES)
def test_check_at_outside_the_range(when: str, tmp_path: Path) -> None:
    refused(slotui("check", f"--at={when}", state=tmp_path / "s.db"), 3, "--at:", RANGE, repr(when))


def test_check_at_the_edges_of_the_range_evaluates(tmp_path: Path) -> None:
    for when in ("9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"):
        out = slotui("check", "--at", when, "-o", "json", state=tmp_path / "s.db")
        assert "Traceback" not in out.stderr and out.stderr == "", out.stderr
        report = json.loads(out.stdout)  # an evaluation (1970 has no demo traffic: NO DATA, exit 3), not a refusal
        assert report["slos"] and report["evaluated_at"].startswith(when[:4])


@pytest.mark.parametrize("option", ["--to", "--from"])
@pytest.mark.parametrize("when", HOSTILE_TIMES)
def test_replay_times_outside_the_range(option: str, when: str, tmp_path: Path) -> None:
    refused(slotui("replay", f"{option}={when}", "--step", "1h", state=tmp_path / "s.db"), 3, f"{option}:", RANGE)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--last", "100000d", "--step", "1d"], ["--last 100000d reaches before 1970-01-01T00:00:00Z"]),
        (["--last", "3000d", "--step", "1m"], ["4,320,001 steps", "at most 1,000,000"]),
        (["--last", "30d", "--step", "1s"], ["2,592,001 steps"]),
        (["--last=-2h"], ["--last:", "expected a duration"]),
        (["--step=-1m"], ["--step:", "expected a duration"]),
        (["--step", "0s"], ["--step: expected a duration longer than 0"]),
        (["--last", "nan"], ["--last:"]),
        # the default 30d was named "--last None"
        (["--to", "1970-01-05T00:00:00Z"], ["--last 30d reaches before 1970-01-01T00:00:00Z"]),
        # --last was dropped without a word when --from was given
        (["--from", "2026-01-01T00:00:00Z", "--to", "2026-01-05T00:00:00Z", "--last", "1d"],
         ["--to and --last both end the range that --from starts: give one of them"]),
        (["--last", "0s"], ["--last: expected a duration longer than 0"]),
    ],
)
def test_replay_ranges_that_cannot_run(args: list[str], fragments: list[str], tmp_path: Path) -> None:
    """Refused at once (a 144-million-step list was built before, then the replay never ended)."""
    refused(slotui("replay", *args, state=tmp_path / "s.db"), 3, *fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["-d", "99999999999d"], [RANGE]),
        (["--end", "1e300"], ["--end:", RANGE]),
        (["--end", "10000-01-01T00:00:00Z"], ["--end:"]),
        (["--start", "inf", "-d", "1h"], ["--start:", RANGE]),
        (["--start", "1e20", "-d", "1h"], ["--start:", RANGE]),
    ],
)
def test_silence_add_outside_the_range_stores_nothing(args: list[str], fragments: list[str], tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    refused(slotui("silence", "add", "slo=helpfulness", *args, state=state), 3, *fragments)
    listed = slotui("silence", "list", state=state)
    assert listed.returncode == 0 and "slo=helpfulness" not in listed.stdout, listed.stdout + listed.stderr


@pytest.mark.parametrize(("column", "value"), [("ends_at", 1e20), ("ends_at", 253402300800.0), ("starts_at", -1.0)])
async def test_a_stored_silence_past_the_range_is_named_and_expirable(column: str, value: float, tmp_path: Path) -> None:
    """Written by another program (or an older slotui that let `-d 99999999999d` through): `silence list`
    crashed rendering it. Now it is an unreadable row, named with the way to end it."""
    state = tmp_path / "s.db"
    (await seed(state, deliver=False)).close()
    damage(state, "silences", column, f"id = '{SILENCE_A}'", value)
    if column == "starts_at":  # in force (a mute): state check leaves out unreadable silences that have ended
        damage(state, "silences", "ends_at", f"id = '{SILENCE_A}'", None)
    checked = slotui("state", "check", state=state)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    (line,) = [ln for ln in checked.stdout.splitlines() if SILENCE_A in ln]
    assert RANGE in line and f"slotui silence expire {SILENCE_A}" in line
    if column == "ends_at":  # not ended: listed (an ended one is listed with --expired only)
        listed = slotui("silence", "list", state=state)
        assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
        (line,) = [ln for ln in listed.stdout.splitlines() if SILENCE_A in ln]
        assert "UNREADABLE" in line and RANGE in line
    expired = slotui("silence", "expire", SILENCE_A, state=state)
    assert expired.returncode == 0 and expired.stdout.strip() == SILENCE_A, expired.stderr
    assert SILENCE_A not in slotui("silence", "list", state=state).stdout


@pytest.mark.parametrize(
    "argv",
    [["check", "--bogus"], ["check", "-o", "yaml"], ["--bogus"], ["replay", "-o", "yaml"], ["silence", "add"],
     ["check", "--fail-on", "sometimes"], ["export", "prometheus-rules", "--nope"], ["validate", "extra-arg"]],
)
def test_a_bad_command_line_exits_unknown(argv: list[str], tmp_path: Path) -> None:
    out = slotui(*argv, state=tmp_path / "s.db")
    refused(out, 3, "usage: slotui", "error:")


# An empty option value (``--at "$AT"`` with AT unset) read as "not given": ``check --at ""``
# evaluated now (a report of the wrong moment, exit 0), ``silence add -d ""`` or ``--end ""``
# stored a mute with no end, ``replay --to ""``/``--from ""``/``--last ""``/``--step ""`` ran
# over defaults. Every one is refused now, naming the option.

def test_check_at_empty_is_refused(tmp_path: Path) -> None:
    out = slotui("check", "--at", "", state=tmp_path / "s.db")
    refused(out, 3, "--at:", "got ''")
    assert out.stdout == ""  # no report of another moment


@pytest.mark.parametrize("option", ["--to", "--from", "--last", "--step"])
def test_replay_empty_option_is_refused(option: str, tmp_path: Path) -> None:
    args = ["--to", "2026-06-01T12:00:00Z"] if option != "--to" else []
    out = slotui("replay", option, "", *args, state=tmp_path / "s.db")
    refused(out, 3, f"{option}:")
    assert out.stdout == ""


@pytest.mark.parametrize("args", [["-d", ""], ["--end", ""], ["--start", "", "-d", "1h"], ["-d", "", "--end", ""]])
def test_silence_add_empty_option_stores_nothing(args: list[str], tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    out = slotui("silence", "add", "slo=helpfulness", *args, state=state)
    assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr  # bad input: exit 3
    listed = slotui("silence", "list", state=state)
    assert listed.returncode == 0 and "slo=helpfulness" not in listed.stdout, listed.stdout + listed.stderr


@pytest.mark.parametrize("text", ["١٧٠٠٠٠٠٠٠٠", "1_700_000_000", "２０２６-06-01T12:00:00Z", "１７００００００００"])
def test_a_time_is_ascii_digits_only(text: str) -> None:
    # float() and \d read Arabic-Indic, fullwidth digits and underscores: "١٧٠٠٠٠٠٠٠٠" was a time in 2023
    from slotui.clock import parse_time

    with pytest.raises(ValueError, match="expected a time such as"):
        parse_time(text)
    assert parse_time("1700000000") == 1_700_000_000.0 and parse_time("1.7e9") == 1_700_000_000.0


@pytest.mark.parametrize("text", ["١h", "٥m", "１h", "1h٣٠m"])
def test_a_duration_is_ascii_digits_only(text: str) -> None:
    from slotui.config.durations import parse_duration

    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)
    assert parse_duration("1h30m") == 5400.0


def test_check_at_with_non_ascii_digits_exits_3(tmp_path: Path) -> None:
    out = slotui("check", "--at", "١٧٠٠٠٠٠٠٠٠", state=tmp_path / "s.db")
    refused(out, 3, "--at")


def test_replay_from_with_last_covers_last_from_from(tmp_path: Path) -> None:
    """``--from 2026-01-01T00:00:00Z --last 1d`` replayed from January 1 to now (months), --last unread."""
    out = slotui("replay", "--from", "2026-01-01T00:00:00Z", "--last", "1d", "--step", "6h", "-o", "json",
                 state=tmp_path / "s.db")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert (report["from"], report["to"], report["step"]) == ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "6h")


def test_the_live_table_without_a_terminal_exits_3_and_run_once_is_headless(tmp_path) -> None:
    """`slotui run --once` without --headless started the TUI and never exited (a cron job hung), and
    so did a bare `slotui` with its output to a file: the live table needs a terminal."""
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "TEXTUAL_DRIVER"}
    for argv in (["demo"], ["tui"], ["run"], []):
        proc = subprocess.run([sys.executable, "-m", "slotui", *argv, "--state", str(tmp_path / "s.db")]
                              if argv else [sys.executable, "-m", "slotui"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
        assert proc.returncode == 3, (argv, proc.stderr)
        assert "no terminal" in proc.stderr and "slotui check" in proc.stderr and "Traceback" not in proc.stderr
        assert "\x1b[" not in proc.stdout
    once = subprocess.run([sys.executable, "-m", "slotui", "run", "--once", "--listen", "none", "--state",
                           str(tmp_path / "s.db")], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)
    assert once.returncode == 0, once.stderr
    assert "stopped" in once.stderr and "\x1b[" not in once.stdout
