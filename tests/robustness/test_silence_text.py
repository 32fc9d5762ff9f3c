"""Text in silences reaches terminals (``silence list``, ``describe``, the TUI) and receivers.

``silence add --comment $'\\e[2J'`` was stored and then cleared the screen of whoever listed the
silences (also the author and a matcher value). The Silence type now takes the SLO file's rules
(names: printable; free text: newlines and tabs too); a row already holding such text reads as
unreadable: named, expirable, and its text never printed raw.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

try:  # a package once tests/robustness/__init__.py exists, a sibling module before
    from .rows_state import SILENCE_A, damage, seed  # type: ignore[import-not-found]
except ImportError:
    from rows_state import SILENCE_A, damage, seed  # type: ignore[import-not-found,no-redef]

from slotui.alerting.silence import Matcher, Silence

T0 = 1_780_000_000.0
HOSTILE = ["\x1b[2J", "\x1b]0;owned\x07", "\r", "\x00", "\x08", "\u202e", "\u2066", "\x85", "\u2028"]


def silence(**kw: object) -> Silence:
    base: dict[str, object] = {"id": "s1", "matchers": (Matcher("slo", "=", "x"),), "starts_at": T0,
                               "ends_at": T0 + 60, "created_by": "alice", "comment": ""}
    return Silence(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", HOSTILE)
def test_the_type_refuses_control_and_bidi_characters(bad: str) -> None:
    with pytest.raises(ValueError, match="the silence's comment contains"):
        silence(comment=f"rollback{bad}done")
    with pytest.raises(ValueError, match="the silence's author contains"):
        silence(created_by=f"bob{bad}")
    with pytest.raises(ValueError, match="the value of matcher slo contains"):
        Matcher("slo", "=~", f"x{bad}.*")


def test_newlines_and_tabs_stay_allowed_in_comments() -> None:
    assert silence(comment="line one\nline two\tend").comment == "line one\nline two\tend"
    assert str(Matcher("slo", "=", "a\nb")) == 'slo="a\\nb"'


def slotui(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLOTUI_STATE": str(state)}
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["slo=x", "--comment", "evil\x1b[2J"], "the silence's comment contains ESC at character 5"),
        (["slo=x", "-a", "bob\x1b[31m"], "the silence's author contains ESC at character 4"),
        (["slo=x\x1b[2J"], "the value of matcher slo contains ESC at character 2"),
        (["slo=x", "--comment", "a\u202eb"], "the silence's comment contains U+202E at character 2"),
    ],
)
def test_silence_add_refuses_and_stores_nothing(args: list[str], fragment: str, tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    out = slotui("silence", "add", *args, "-d", "1h", state=state)
    assert out.returncode == 3 and fragment in out.stderr and "Traceback" not in out.stderr, out.stderr
    listed = slotui("silence", "list", state=state)
    assert listed.returncode == 0 and "slo=x" not in listed.stdout


@pytest.mark.parametrize("column", ["comment", "created_by"])
async def test_a_stored_escape_is_never_printed_raw(column: str, tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    (await seed(state, deliver=False)).close()
    damage(state, "silences", column, f"id = '{SILENCE_A}'", "x\x1b]0;owned\x07\x1b[2J")
    damage(state, "silences", "ends_at", f"id = '{SILENCE_A}'", 4_000_000_000.0)  # still active: listed
    listed = slotui("silence", "list", state=state)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert "\x1b" not in listed.stdout + listed.stderr and "\x07" not in listed.stdout + listed.stderr
    (line,) = [ln for ln in listed.stdout.splitlines() if SILENCE_A in ln]
    assert "UNREADABLE" in line and "contains ESC" in line
