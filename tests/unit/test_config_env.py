"""``${VAR}`` / ``${VAR:-default}`` interpolation (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotui.config.env import InterpolationError, interpolate

NAMES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True)


@given(st.text().filter(lambda t: "${" not in t))
def test_text_without_references_is_unchanged(text: str) -> None:
    assert interpolate(text, {}) == (text, [])


@given(NAMES, st.text(alphabet=st.characters(blacklist_characters="}\\"), max_size=20), st.text(max_size=10))
def test_default_is_used_when_unset_or_empty(name: str, default: str, value: str) -> None:
    ref = f"a ${{{name}:-{default}}} b"
    assert interpolate(ref, {})[0] == f"a {default} b"
    assert interpolate(ref, {name: ""})[0] == f"a {default} b"
    if value:
        assert interpolate(ref, {name: value})[0] == f"a {value} b"


@given(NAMES, st.text(max_size=20))
def test_value_is_inserted_once_not_reinterpolated(name: str, value: str) -> None:
    assert interpolate(f"${{{name}}}", {name: value + "${OTHER}"}) == (value + "${OTHER}", [name])


def test_missing_variable_names_it_and_its_offset() -> None:
    with pytest.raises(InterpolationError) as info:
        interpolate("url: ${SLACK_URL}", {})
    assert info.value.variable == "SLACK_URL" and info.value.offset == 5
    assert "SLACK_URL is not set" in str(info.value)


@pytest.mark.parametrize("text", ["${}", "${1ABC}", "${A B}", "${UNCLOSED"])
def test_malformed_references(text: str) -> None:
    with pytest.raises(InterpolationError, match="malformed"):
        interpolate(text, {"A": "x", "UNCLOSED": "y"})


def test_escape_and_several_references() -> None:
    text, used = interpolate("$${HOME} ${A}-${B:-b}-${A}", {"A": "1"})
    assert text == "${HOME} 1-b-1" and used == ["A", "B", "A"]


def test_escaped_brace_in_default() -> None:
    assert interpolate("${X:-a\\}b}", {})[0] == "a}b"
