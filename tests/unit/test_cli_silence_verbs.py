"""``slotui silence WORD``: an amtool verb slotui lacks (import, update) or a misspelt verb (exipre)
fell through to ``silence query`` as a matcher (``slo=import``), listed nothing and exited 0."""

from __future__ import annotations

import pytest

from slotui.cli import main


@pytest.mark.parametrize(("argv", "said"), [
    (["silence", "import", "silences.json"], "silence import is amtool's"),
    (["silence", "update", "abc", "--comment", "x"], "silence update is amtool's"),
    (["silence", "exipre", "abc"], "did you mean expire?"),
    (["--state", "X", "silence", "qeury"], "did you mean query?"),
    (["silence", "-q", "ad", "slo=x"], "did you mean add?"),
])
def test_an_unknown_silence_verb_is_refused(argv: list[str], said: str, capsys: pytest.CaptureFixture[str],
                                           tmp_path) -> None:
    argv = [str(tmp_path / "s.db") if a == "X" else a for a in argv]
    assert main(argv) == 3
    assert said in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["silence"], ["silence", "-q"], ["silence", "slo=foo"], ["silence", "foo"],
                                  ["silence", "query", "foo"]])
def test_matchers_and_the_default_query_still_work(argv: list[str], tmp_path, capsys) -> None:
    assert main([*argv, "--state", str(tmp_path / "s.db")]) == 0
