"""A command given without its subcommand: amtool's default for ``silence``, a usage error (exit 3,
the message naming what is missing) for ``export`` and ``state``, never a help page with exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slotui.cli import _silence_query_default, main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["silence"], ["silence", "query"]),
        (["silence", "-q"], ["silence", "query", "-q"]),
        (["silence", "--state", "s.db", "-o", "json"], ["silence", "query", "--state", "s.db", "-o", "json"]),
        (["--state", "s.db", "silence", "slo=x"], ["--state", "s.db", "silence", "query", "slo=x"]),
        (["-c", "silence", "check"], ["-c", "silence", "check"]),  # a file named "silence" is not the command
        (["silence", "--state", "add", "list"], ["silence", "--state", "add", "list"]),  # a state file named add
        (["silence", "add", "slo=x"], ["silence", "add", "slo=x"]),
        (["silence", "expire", "abc"], ["silence", "expire", "abc"]),
        (["silence", "--help"], ["silence", "--help"]),
        (["check"], ["check"]),
    ],
)
def test_silence_alone_is_query(argv: list[str], expected: list[str]) -> None:
    assert _silence_query_default(argv) == expected


def test_silence_alone_lists_the_active_silences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path / "state.db")
    assert main(["silence", "add", "slo=helpfulness", "-d", "1h", "--comment", "deploy", "-q", "--state", state]) == 0
    sid = capsys.readouterr().out.strip()
    assert main(["silence", "-q", "--state", state]) == 0
    assert capsys.readouterr().out.split() == [sid]
    assert main(["silence", "-o", "json", "--state", state]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == [sid]


@pytest.mark.parametrize(("command", "missing"), [("export", "FORMAT"), ("state", "SUBCOMMAND")])
def test_a_missing_subcommand_is_a_usage_error(command: str, missing: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--state", str(tmp_path / "state.db")])
    assert exc.value.code == 3
    err = capsys.readouterr().err
    assert f"slotui {command}: error: the following arguments are required: {missing}" in err
