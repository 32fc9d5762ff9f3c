"""Regex matchers with Alertmanager's semantics: RE2 (linear time, its syntax), fully anchored.

With Python's backtracking ``re``, ``slo=~(a|aa)*c`` took 3 s per alert on a 36-character SLO
name (Fibonacci in the length): one silence could stall every tick of the daemon.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from slotui.alerting.silence import Matcher, parse_matcher


def test_a_catastrophic_pattern_answers_at_once() -> None:
    # Python's re needs ~fib(5000) steps here (never finishes; the test timeout would fail it)
    matcher = parse_matcher("slo=~(a|aa)*c")
    assert not matcher.matches({"slo": "a" * 5000})
    assert matcher.matches({"slo": "a" * 5000 + "c"})
    assert parse_matcher("slo!~(x+x+)+y").matches({"slo": "x" * 5000})


@pytest.mark.parametrize(
    ("text", "value", "hit"),
    [
        ("slo=~help.*", "helpfulness", True),
        ("slo=~help", "helpfulness", False),  # anchored at both ends, as Alertmanager
        ("slo=~helpfulness", "helpfulness\n", False),  # $ is the end (Python's $ also matched before \n)
        ("slo=~a|b", "b", True),  # the alternation is inside the anchors
        ("slo=~", "", True),
        ("env=~prod|", "", True),  # absent label = "" (the matcher still needs another one to be a silence)
        ("slo=~caf\u00e9.*", "caf\u00e9-latency", True),
        ("slo!~.*test.*", "latency", True),
    ],
)
def test_anchored_matching(text: str, value: str, hit: bool) -> None:
    assert parse_matcher(text).matches_value(value) is hit


@pytest.mark.parametrize(
    ("value", "reason"),
    [("(?=x)", "invalid perl operator: (?="), ("(a)\\1", "invalid escape sequence: \\1"),
     ("(unclosed", "missing )"), ("[z-a]", "invalid character class range")],
)
def test_what_alertmanager_refuses_is_refused(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match="invalid regular expression") as info:
        Matcher("slo", "=~", value)
    assert reason in str(info.value) and "RE2 syntax" in str(info.value)


def test_a_refused_pattern_writes_nothing_to_stderr() -> None:
    """RE2 logs parse errors to stderr by default (over the TUI's screen); not here."""
    code = "from slotui.alerting.silence import Matcher\ntry:\n    Matcher('slo', '=~', '(?=x)')\nexcept ValueError:\n    pass\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == ""
