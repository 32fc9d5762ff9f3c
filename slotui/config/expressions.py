"""A small, safe expression language for derived fields and conditions.

Used by ``fields:`` (``duration_ms: "duration_s * 1000"``), ratio conditions
(``good: "error.type == null"``) and ``sli.where``. The text is tokenized and
parsed by hand (precedence climbing) into a tree of Python closures; user text
is never handed to ``eval``, ``exec``, ``compile`` or ``ast``. There are no
function calls, attribute access or indexing: only the grammar below.

Grammar (lowest precedence first)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [("==" | "!=" | "<" | "<=" | ">" | ">=") sum
                      | ["not"] "in" "[" [expr ("," expr)*] "]"]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/" | "%") unary)*
    unary      := ("-" | "+") unary | atom
    atom       := NUMBER | STRING | "null" | "true" | "false" | NAME | "(" expr ")"

``NAME`` is a dotted field name (``error.type``, ``gen_ai.usage.cost``,
``evaluations.helpfulness``) or any text in backticks (``\u0060Context Tokens\u0060``).
A dotted name is looked up as a flat key first (``record["error.type"]``),
then as a path through nested objects (``record["error"]["type"]``); in a list
of evaluation objects ``evaluations.NAME`` is the ``gen_ai.evaluation.score.value``
of the item whose ``gen_ai.evaluation.name`` is NAME. Comparisons do not chain.

Null semantics (SQL-like, never an exception per record):

- a missing field is ``null``;
- arithmetic with ``null`` gives ``null``; so does division or ``%`` by zero,
  arithmetic on mismatched types (``"a" * 2``) and on booleans (``true * 1000``:
  a boolean is not a number); ``+`` joins two strings;
- ``==``/``!=`` compare anything (``null == null`` is true); the ordering
  comparisons with a ``null`` or mismatched types are false;
- ``and``/``or``/``not`` use truthiness (``null``, ``false``, ``0`` and ``""``
  are false) and return booleans.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["Expression", "ExpressionError", "compile_expression", "field_getter", "truthy"]

Evaluator = Callable[[Mapping[str, Any]], Any]


class ExpressionError(ValueError):
    """A syntax error in an expression; ``column`` is 1-based."""

    def __init__(self, message: str, column: int, text: str = "") -> None:
        self.message = message
        self.column = column
        self.text = text
        super().__init__(f"{message} (column {column})")


# --------------------------------------------------------------------------- field lookup

_MISSING = object()
_EVAL_NAME = "gen_ai.evaluation.name"
_EVAL_SCORE = "gen_ai.evaluation.score.value"


def _lookup_path(value: Any, parts: Sequence[str]) -> Any:
    """Walk ``parts`` through nested mappings, trying the longest dotted key first."""
    if not parts:
        return value
    if isinstance(value, Mapping):
        for j in range(len(parts), 0, -1):
            key = parts[0] if j == 1 else ".".join(parts[:j])
            if key in value:
                found = _lookup_path(value[key], parts[j:])
                if found is not None:
                    return found
        return None
    if isinstance(value, list) and len(parts) >= 1:
        # evaluations: [{"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.8}]
        name = ".".join(parts)
        for item in value:
            if isinstance(item, Mapping) and (item.get(_EVAL_NAME, item.get("name")) == name):
                score = item.get(_EVAL_SCORE, _MISSING)
                if score is _MISSING:
                    score = _lookup_path(item, ["gen_ai", "evaluation", "score", "value"])
                    if score is None:
                        score = item.get("score", item.get("value"))
                return score
        return None
    return None


def nested_value(record: Mapping[str, Any], name: str) -> Any:
    """A dotted ``name`` looked up through nested objects only (``record["meta"]["ts"]``); None if absent."""
    return _lookup_path(record, name.split("."))


def field_getter(name: str) -> Evaluator:
    """A function ``record -> value`` for a (dotted) field name; missing is ``None``."""
    if "." not in name:
        def get_plain(record: Mapping[str, Any]) -> Any:
            return record.get(name)

        return get_plain
    parts = name.split(".")

    def get_dotted(record: Mapping[str, Any]) -> Any:
        value = record.get(name, _MISSING)
        if value is not _MISSING:
            return value
        return _lookup_path(record, parts)

    return get_dotted


def truthy(value: Any) -> bool:
    """Truthiness in conditions: ``null``, ``false``, ``0`` and ``""`` are false."""
    return bool(value) if value is not None else False


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<quoted>`[^`]*`)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|%|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "null", "true", "false"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_HINTS = {
    "=": "'=' is not an operator; use '==' to compare",
    "&": "use 'and' instead of '&'/'&&'",
    "|": "use 'or' instead of '|'/'||'",
    "!": "use 'not' (or '!=') instead of '!'",
}


class _Token:
    __slots__ = ("kind", "text", "value", "column")

    def __init__(self, kind: str, text: str, value: Any, column: int) -> None:
        self.kind = kind  # number, string, name, kw, op, end
        self.text = text
        self.value = value
        self.column = column

    def describe(self) -> str:
        return "end of expression" if self.kind == "end" else repr(self.text)


def _unescape(body: str, column: int, text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt not in _ESCAPES:
                raise ExpressionError(f"unknown escape '\\{nxt}' in string", column + i + 1, text)
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


#: Limits that keep a hostile expression from crashing the loader (Python's recursion limit, its
#: 4,300-digit int conversion): parentheses, ``not`` and signs nested this deep, this many tokens.
MAX_NESTING = 64
MAX_TOKENS = 1000


def _number(chunk: str, column: int, text: str) -> Any:
    """A number literal's value; one no double can hold (``1e999``, 400 digits) is an error."""
    if len(chunk) > 100:
        raise ExpressionError(f"number of {len(chunk):,} characters: at most 100", column, text)
    value: Any = float(chunk) if any(c in chunk for c in ".eE") else int(chunk)
    if not math.isfinite(float(value)):
        raise ExpressionError(f"number {chunk[:20]}{'…' if len(chunk) > 20 else ''} is beyond a double's range",
                              column, text)
    return value


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        column = pos + 1
        if match is None:
            # reported when the parser reaches it, so an earlier problem is named first
            ch = text[pos]
            if ch in "\"'":
                message = "unterminated string"
            elif ch == "`":
                message = "unterminated `quoted name`"
            else:
                message = _HINTS.get(ch) or f"unexpected character {ch!r}"
            tokens.append(_Token("bad", ch, message, column))
            break
        kind = match.lastgroup
        chunk = match.group()
        pos = match.end()
        if kind == "ws":
            continue
        if len(tokens) >= MAX_TOKENS:
            raise ExpressionError(f"expression of more than {MAX_TOKENS:,} tokens: split it (define fields)",
                                  column, text)
        if kind == "number":
            if pos < len(text) and (text[pos].isalpha() or text[pos] == "_"):
                raise ExpressionError(f"malformed number {chunk + text[pos]!r}", column, text)
            value = _number(chunk, column, text)
            tokens.append(_Token("number", chunk, value, column))
        elif kind == "string":
            tokens.append(_Token("string", chunk, _unescape(chunk[1:-1], column, text), column))
        elif kind == "quoted":
            if len(chunk) == 2:
                raise ExpressionError("empty `quoted name`", column, text)
            tokens.append(_Token("name", chunk, chunk[1:-1], column))
        elif kind == "name":
            if chunk in _KEYWORDS:
                tokens.append(_Token("kw", chunk, chunk, column))
            else:
                tokens.append(_Token("name", chunk, chunk, column))
        else:
            tokens.append(_Token("op", chunk, chunk, column))
    tokens.append(_Token("end", "", None, len(text) + 1))
    return tokens


# --------------------------------------------------------------------------- operations (null-safe)


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None or a is True or a is False or b is True or b is False:
            return None  # booleans are not numbers: true * 1000 is null, not 1000
        try:
            return op(a, b)
        except (TypeError, ZeroDivisionError, OverflowError, ValueError):
            return None

    return apply


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, str) != isinstance(b, str):
        raise TypeError
    return a + b


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, str) or isinstance(b, str):
        raise TypeError  # no "ab" * 3
    return a * b


def _sub(a: Any, b: Any) -> Any:
    return a - b


def _div(a: Any, b: Any) -> Any:
    return a / b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise TypeError  # no printf formatting
    return a % b


_ARITH = {"+": _arith(_add), "-": _arith(_sub), "*": _arith(_mul), "/": _arith(_div), "%": _arith(_mod)}


def _eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, str) != isinstance(b, str):
        return False
    return bool(a == b)


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def apply(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        try:
            return bool(op(a, b))
        except TypeError:
            return False

    return apply


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": _eq,
    "!=": lambda a, b: not _eq(a, b),
    "<": _ordered(operator.lt),
    "<=": _ordered(operator.le),
    ">": _ordered(operator.gt),
    ">=": _ordered(operator.ge),
}

# --------------------------------------------------------------------------- tree -> closures


class _Node:
    """A parsed sub-expression: a constant or a closure, plus the field names it reads."""

    __slots__ = ("const", "fn", "names", "is_const", "field")

    def __init__(self, fn: Evaluator | None = None, *, const: Any = None, is_const: bool = False,
                 names: frozenset[str] = frozenset(), field: str | None = None) -> None:
        self.fn = fn
        self.const = const
        self.is_const = is_const
        self.names = names
        self.field = field

    def closure(self) -> Evaluator:
        if self.is_const:
            value = self.const
            return lambda record: value
        assert self.fn is not None
        return self.fn


def _const(value: Any) -> _Node:
    return _Node(const=value, is_const=True)


def _binary(op: str, left: _Node, right: _Node) -> _Node:
    names = left.names | right.names
    apply = _ARITH.get(op) or _COMPARE[op]
    if left.is_const and right.is_const:
        return _const(apply(left.const, right.const))
    # fast paths for the common "field OP constant" shapes
    if op in ("==", "!=") and right.is_const and right.const is None and left.field is not None:
        get = left.closure()
        if op == "==":
            return _Node(lambda r: get(r) is None, names=names)
        return _Node(lambda r: get(r) is not None, names=names)
    if right.is_const:
        lf, c = left.closure(), right.const
        if op in ("+", "-", "*", "/") and type(c) in (int, float) and not (op == "/" and c == 0):
            fast = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}[op]

            def arith_const(r: Mapping[str, Any]) -> Any:
                v = lf(r)
                t = type(v)
                if t is float or t is int:  # numbers: no None/str checks needed
                    return fast(v, c)
                return apply(v, c)

            return _Node(arith_const, names=names)
        return _Node(lambda r: apply(lf(r), c), names=names)
    if left.is_const:
        c, rf = left.const, right.closure()
        return _Node(lambda r: apply(c, rf(r)), names=names)
    lf, rf = left.closure(), right.closure()
    return _Node(lambda r: apply(lf(r), rf(r)), names=names)


def _logical(op: str, left: _Node, right: _Node) -> _Node:
    names = left.names | right.names
    lf, rf = left.closure(), right.closure()
    if op == "and":
        fn: Evaluator = lambda r: truthy(lf(r)) and truthy(rf(r))  # noqa: E731
    else:
        fn = lambda r: truthy(lf(r)) or truthy(rf(r))  # noqa: E731
    if left.is_const and right.is_const:
        return _const(fn({}))
    return _Node(fn, names=names)


def _negate_bool(inner: _Node) -> _Node:
    if inner.is_const:
        return _const(not truthy(inner.const))
    f = inner.closure()
    return _Node(lambda r: not truthy(f(r)), names=inner.names)


def _neg(inner: _Node) -> _Node:
    neg = _arith(lambda a, b: -a if not isinstance(a, str) else _raise_type())

    if inner.is_const:
        return _const(neg(inner.const, 0))
    f = inner.closure()
    return _Node(lambda r: neg(f(r), 0), names=inner.names)


def _raise_type() -> Any:
    raise TypeError


def _membership(left: _Node, items: list[_Node], negate: bool) -> _Node:
    names = left.names.union(*(i.names for i in items)) if items else left.names
    lf = left.closure()
    if all(i.is_const for i in items):
        consts = [i.const for i in items]

        def contains(r: Mapping[str, Any]) -> bool:
            v = lf(r)
            return any(_eq(v, c) for c in consts)
    else:
        fns = [i.closure() for i in items]

        def contains(r: Mapping[str, Any]) -> bool:
            v = lf(r)
            return any(_eq(v, f(r)) for f in fns)

    if negate:
        return _Node(lambda r: not contains(r), names=names)
    return _Node(contains, names=names)


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def nested(self) -> None:
        """One more level of ``(``, ``not`` or a sign; too many is an error, not a RecursionError."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nested more than {MAX_NESTING} levels deep (parentheses, not, signs)")

    @property
    def tok(self) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind == "bad":
            raise ExpressionError(tok.value, tok.column, self.text)
        return tok

    def error(self, message: str, token: _Token | None = None) -> ExpressionError:
        token = token or self.tok
        return ExpressionError(message, token.column, self.text)

    def accept(self, kind: str, text: str) -> _Token | None:
        tok = self.tok
        if tok.kind == kind and tok.text == text:
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str, what: str) -> _Token:
        tok = self.accept(kind, text)
        if tok is None:
            raise self.error(f"expected {what}, found {self.tok.describe()}")
        return tok

    def parse(self) -> _Node:
        if self.tok.kind == "end":
            raise ExpressionError("empty expression", 1, self.text)
        node = self.parse_or()
        if self.tok.kind != "end":
            tok = self.tok
            if tok.kind == "op" and tok.text == "(":
                raise self.error("function calls are not supported")
            if tok.kind == "op" and tok.text == ")":
                raise self.error("unbalanced ')'")
            raise self.error(f"unexpected {tok.describe()}: expected an operator or the end")
        return node

    def parse_or(self) -> _Node:
        node = self.parse_and()
        while self.accept("kw", "or"):
            node = _logical("or", node, self.parse_and())
        return node

    def parse_and(self) -> _Node:
        node = self.parse_not()
        while self.accept("kw", "and"):
            node = _logical("and", node, self.parse_not())
        return node

    def parse_not(self) -> _Node:
        if self.accept("kw", "not"):
            self.nested()
            node = _negate_bool(self.parse_not())
            self.depth -= 1
            return node
        return self.parse_comparison()

    def parse_comparison(self) -> _Node:
        left = self.parse_sum()
        tok = self.tok
        if tok.kind == "op" and tok.text in _COMPARE:
            self.i += 1
            node = _binary(tok.text, left, self.parse_sum())
            nxt = self.tok
            if nxt.kind == "op" and nxt.text in _COMPARE:
                raise self.error("comparisons cannot be chained; combine them with 'and'")
            return node
        negate = False
        if tok.kind == "kw" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 1
            negate = True
        if self.accept("kw", "in"):
            self.expect("op", "[", "'[' after 'in'")
            items: list[_Node] = []
            if not self.accept("op", "]"):
                while True:
                    items.append(self.parse_or())
                    if self.accept("op", "]"):
                        break
                    self.expect("op", ",", "',' or ']' in the list")
            return _membership(left, items, negate)
        return left

    def parse_sum(self) -> _Node:
        node = self.parse_product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.tok.text
            self.i += 1
            node = _binary(op, node, self.parse_product())
        return node

    def parse_product(self) -> _Node:
        node = self.parse_unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/", "%"):
            op = self.tok.text
            self.i += 1
            node = _binary(op, node, self.parse_unary())
        return node

    def parse_unary(self) -> _Node:
        if self.accept("op", "-"):
            self.nested()
            node = _neg(self.parse_unary())
            self.depth -= 1
            return node
        if self.accept("op", "+"):
            self.nested()
            inner = self.parse_unary()
            self.depth -= 1
            return _binary("+", _const(0), inner) if not inner.is_const else inner
        return self.parse_atom()

    def parse_atom(self) -> _Node:
        tok = self.tok
        if tok.kind in ("number", "string"):
            self.i += 1
            return _const(tok.value)
        if tok.kind == "kw" and tok.text in ("null", "true", "false"):
            self.i += 1
            return _const({"null": None, "true": True, "false": False}[tok.text])
        if tok.kind == "name":
            self.i += 1
            if self.tok.kind == "op" and self.tok.text == "(":
                raise self.error("function calls are not supported")
            name = tok.value
            return _Node(field_getter(name), names=frozenset([name]), field=name)
        if self.accept("op", "("):
            self.nested()
            node = self.parse_or()
            self.expect("op", ")", "')'")
            self.depth -= 1
            return node
        if tok.kind == "end":
            raise self.error("unexpected end of expression: expected a value")
        if tok.kind == "kw":
            raise self.error(f"unexpected keyword {tok.text!r}: expected a value")
        raise self.error(f"unexpected {tok.describe()}: expected a value")


# --------------------------------------------------------------------------- public


class Expression:
    """A compiled expression. ``evaluate(record)`` never raises for a record's data."""

    __slots__ = ("text", "names", "field", "is_constant", "_fn")

    def __init__(self, text: str, node: _Node) -> None:
        self.text = text
        #: every field name the expression reads
        self.names: frozenset[str] = node.names
        #: the field name when the whole expression is one field, else None
        self.field: str | None = node.field
        self.is_constant = node.is_const
        self._fn: Evaluator = node.closure()

    def evaluate(self, record: Mapping[str, Any]) -> Any:
        """The value of the expression for ``record`` (``None`` for null)."""
        return self._fn(record)

    def test(self, record: Mapping[str, Any]) -> bool:
        """The expression as a condition: true when its value is truthy."""
        return truthy(self._fn(record))

    @property
    def function(self) -> Evaluator:
        """The raw closure ``record -> value`` (for tight loops)."""
        return self._fn

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str) -> Expression:
    """Parse ``text`` into an :class:`Expression`; raises :class:`ExpressionError` with a column."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be a string", 1, str(text))
    return Expression(text, _Parser(text).parse())
