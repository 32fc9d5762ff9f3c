"""``slotui.check(results, {metric: {...}})``: the SLO mapping of the Python API is checked like an
SLO file's (SPEC 6, "Python API").

An SLO name, unit or description with ESC or a newline went into the report as it was (a name
``a\\x1b[2Jb`` cleared the terminal from ``table.render``, and broke the JUnit file); an empty name
was accepted. They are refused with :class:`ResultsError` naming the SLO and the character, as
``slotui validate`` does for a file. A sample count written as a JSON integer is kept exactly
(10**23 went through a float: 99999999999999991611392).
"""

from __future__ import annotations

import pytest

from slotui.results import ResultsError, check

HIGHER = {"target": 0.9, "direction": "higher_is_better"}


@pytest.mark.parametrize(
    ("slos", "fragments"),
    [
        ({"a\x1b[2Jb": HIGHER}, ["SLO name 'a\\\\x1b[2Jb'", "ESC at character 2"]),
        ({"a\nb": HIGHER}, ["a newline at character 2"]),
        ({"a\u202eb": HIGHER}, ["U+202E at character 2"]),
        ({"": HIGHER}, ["SLO name ''", "cannot be empty"]),
        ({"  ": HIGHER}, ["cannot be empty"]),
        ({"a": {**HIGHER, "unit": "m\x00s"}}, ["SLO 'a': unit", "a NUL byte"]),
        ({"a": {**HIGHER, "description": "x\x1by"}}, ["SLO 'a': description", "ESC"]),
    ],
)
def test_unprintable_names_units_and_descriptions_are_refused(slos: dict, fragments: list[str]) -> None:
    with pytest.raises(ResultsError) as info:
        check({"a": 0.5}, slos, now=0.0)
    message = str(info.value)
    assert "\x1b" not in message and "\x00" not in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_descriptions_may_span_lines() -> None:
    report = check({"a": 0.95}, {"a": {**HIGHER, "description": "first line\nsecond\tline"}}, now=0.0)
    assert report.results[0].spec.description == "first line\nsecond\tline"


def test_a_whole_sample_count_is_kept_exactly() -> None:
    report = check({"acc": 0.5, "acc/n": 10**23, "acc/stddev": 0.1}, {"acc": HIGHER}, now=0.0)
    assert report.results[0].n == 10**23
    report = check({"acc": 0.5, "acc/n": 12.0, "acc/stddev": 0.1}, {"acc": HIGHER}, now=0.0)
    assert report.results[0].n == 12 and type(report.results[0].n) is int
