"""The safe expression language: precedence, null semantics, lookups, errors with columns, no eval."""

from __future__ import annotations

import operator
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.config.expressions import ExpressionError, compile_expression, field_getter

RECORD = {
    "error.type": None,
    "duration_s": 1.5,
    "n": 7,
    "zero": 0,
    "model": "gpt-4o",
    "gen_ai": {"usage": {"cost": 0.25}},
    "evaluations": [
        {"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.8},
        {"gen_ai.evaluation.name": "accuracy", "gen_ai.evaluation.score.value": 0.95},
    ],
}


def ev(text: str, record: dict | None = None):
    return compile_expression(text).evaluate(RECORD if record is None else record)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),  # left associative
        ("2 * 3 % 4", 2),  # same level, left to right: (2*3) % 4
        ("-2 * 3", -6),
        ("- -2", 2),
        ("7 / 2", 3.5),
        ("1 + 2 > 2", True),  # arithmetic binds tighter than comparison
        ("not 1 == 2", True),  # not binds looser than comparison
        ("true or false and false", True),  # and binds tighter than or
        ("(true or false) and false", False),
        ("not not true", True),
        ("2.5e-6 * 1000000", 2.5),
        ("duration_s * 1000", 1500.0),
        ("n % 4", 3),
        ("'a' + \"b\"", "ab"),
        ("model == 'gpt-4o'", True),
        ("model in ['gpt-4o', 'gpt-4o-mini']", True),
        ("n not in [1, 2, 3]", True),
        ("n in []", False),
        ("'it\\'s'", "it's"),
    ],
)
def test_values_and_precedence(text, expected):
    assert ev(text) == expected
    assert type(ev(text)) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("missing", None),
        ("missing + 1", None),
        ("1 - missing", None),
        ("-missing", None),
        ("missing * 0", None),
        ("missing > 1", False),
        ("missing < 1", False),
        ("missing >= missing", False),
        ("missing == null", True),
        ("missing != null", False),
        ("null == null", True),
        ("error.type == null", True),
        ("error.type != null", False),
        ("1 / 0", None),
        ("n / zero", None),
        ("n % zero", None),
        ("'a' * 2", None),
        ("'a' - 1", None),
        ("'a' + 1", None),
        ("'a' < 1", False),
        ("'1' == 1", False),
        ("not missing", True),
        ("missing and true", False),
        ("missing or 0", False),
        ("missing in [null]", True),
    ],
)
def test_null_semantics(text, expected):
    assert ev(text) == expected
    assert type(ev(text)) is type(expected)


def test_dotted_names_flat_then_nested_then_evaluations():
    assert ev("gen_ai.usage.cost * 4") == 1.0
    assert ev("evaluations.helpfulness") == 0.8
    assert ev("evaluations.accuracy > 0.9") is True
    assert ev("evaluations.missing") is None
    # a flat key wins over the nested path
    assert ev("a.b", {"a.b": 1, "a": {"b": 2}}) == 1
    # mixed: a flat prefix key holding an object
    assert ev("gen_ai.usage.cost", {"gen_ai.usage": {"cost": 3}}) == 3
    assert ev("`Context Tokens` + 1", {"Context Tokens": 41}) == 42
    assert field_getter("x.y")({"x": {"y": 5}}) == 5
    assert field_getter("x")({}) is None


def test_names_and_field():
    expr = compile_expression("ContextTokens * 2.5e-6 + GeneratedTokens * 1.0e-5")
    assert expr.names == frozenset({"ContextTokens", "GeneratedTokens"})
    assert expr.field is None
    assert compile_expression("evaluations.helpfulness").field == "evaluations.helpfulness"
    assert compile_expression("1 + 2").is_constant
    assert compile_expression("error.type == null").test({"error.type": "timeout"}) is False


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("__import__('os')", 11, "function calls are not supported"),
        ("__import__('os').system('ls')", 11, "function calls"),
        ("open('/etc/passwd')", 5, "function calls"),
        ("a = 1", 3, "use '=='"),
        ("a && b", 3, "'and'"),
        ("a || b", 3, "'or'"),
        ("!a", 1, "'not'"),
        ("1 +", 4, "end of expression"),
        ("(1 + 2", 7, "expected ')'"),
        ("1 + 2)", 6, "unbalanced ')'"),
        ("1 < 2 < 3", 7, "cannot be chained"),
        ("'abc", 1, "unterminated string"),
        ("`abc", 1, "unterminated"),
        ("", 1, "empty expression"),
        ("1 2", 3, "unexpected '2'"),
        ("a in (1, 2)", 6, "'[' after 'in'"),
        ("a in [1 2]", 9, "',' or ']'"),
        ("12abc", 1, "malformed number"),
        ("x[0]", 2, "unexpected '['"),
        ("x.__class__.y(", 14, "function calls"),
        ("and", 1, "unexpected keyword 'and'"),
        ("1 ; 2", 3, "unexpected character ';'"),
        ("'\\q'", 2, "unknown escape"),
    ],
)
def test_errors_name_the_column(text, column, fragment):
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert info.value.column == column, str(info.value)
    assert fragment in info.value.message
    assert f"column {column}" in str(info.value)


def test_no_attribute_access_or_builtins_reach_python():
    # dunder names are plain field names: looked up in the record, never on Python objects
    assert ev("__class__") is None
    assert ev("__builtins__ == null") is True
    assert ev("x.__class__.__mro__", {"x": 1}) is None
    assert compile_expression("__import__").names == frozenset({"__import__"})


def test_not_a_string():
    with pytest.raises(ExpressionError):
        compile_expression(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- property: arithmetic agrees with Python

_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


@st.composite
def trees(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        value = draw(st.integers(min_value=0, max_value=50))
        return str(value), value
    op = draw(st.sampled_from(sorted(_OPS)))
    left_text, left = draw(trees(depth=depth - 1))
    right_text, right = draw(trees(depth=depth - 1))
    return f"({left_text} {op} {right_text})", _OPS[op](left, right)


@given(trees())
@settings(max_examples=200, deadline=None)
def test_arithmetic_matches_python(tree):
    text, expected = tree
    assert compile_expression(text).evaluate({}) == expected
    # the same tree with the outer parentheses of every operand moved into fields
    assert compile_expression(f"{text} - x").evaluate({"x": 1}) == expected - 1


# ---------------------------------------------------------------- hostile sizes: an error, never a crash


@pytest.mark.parametrize(("text", "message"), [
    ("(" * 150 + "x" + ")" * 150, "nested more than 64 levels deep"),
    ("not " * 300 + "x", "nested more than 64 levels deep"),
    ("not " * 3000 + "x", "more than 1,000 tokens"),
    ("-" * 300 + "x", "nested more than 64 levels deep"),
    ("+" * 300 + "x", "nested more than 64 levels deep"),
    ("x == " + "9" * 4301, "number of 4,301 characters: at most 100"),
    ("x < 1e999", "beyond a double's range"),
    ("x > " + "9" * 400, "number of 400 characters: at most 100"),
    (" + ".join(["x"] * 600), "more than 1,000 tokens"),
])
def test_a_hostile_expression_is_an_error_not_a_crash(text: str, message: str) -> None:
    # a RecursionError (a 3,000-line traceback) or int()'s 4,300-digit ValueError, exit 1, before
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(text)


def test_the_largest_accepted_expressions_evaluate() -> None:
    assert compile_expression("(" * 64 + "x" + ")" * 64).evaluate({"x": 3}) == 3
    assert compile_expression("-" * 64 + "x").evaluate({"x": 3}) == 3
    assert compile_expression(" + ".join(["x"] * 500)).evaluate({"x": 1}) == 500  # 999 tokens
    assert compile_expression(" and ".join(["x == 1"] * 250)).test({"x": 1})
    assert compile_expression("x == " + "9" * 100).evaluate({"x": 10**100 - 1}) is True


@pytest.mark.parametrize("where", ["ratio", "field"])
def test_a_hostile_expression_in_a_config_is_a_located_error(where: str) -> None:
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    deep = "(" * 150 + "error.type == null" + ")" * 150
    text = ("version: 1\nsources:\n  logs: {type: file, path: r.jsonl, fields: {big: '" + ("9" * 4301 if where == "field" else "1")
            + "'}}\nslos:\n  - name: availability\n    source: logs\n    ratio: {good: '"
            + (deep if where == "ratio" else "error.type == null") + "'}\n    objective: {target: 0.99}\n")
    with pytest.raises(ConfigError) as info:
        load_text(text, name="slos.yaml", env={})
    first = info.value.render().splitlines()[1]
    if where == "ratio":
        assert first.startswith("slos.yaml:7:") and "slos[0].ratio.good: invalid expression: nested more" in first
    else:
        assert first.startswith("slos.yaml:3:") and "sources.logs.fields.big: invalid expression: number of 4,301" in first
