"""PromQL parsed before it runs, with the ``promql-parser`` package (a Rust port of Prometheus' parser).

slotui's templates (``{{window}}``, ``{{by}}``) and Sloth's ``{{.window}}``
are substituted first, as the Prometheus source does at query time. The
parser is imported here only, on the paths that check or rewrite PromQL
(``validate``, ``import``, loading an SLO file with a prometheus source);
its import costs about 1 ms.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

#: what ``{{window}}`` becomes when an expression is only parsed (any valid duration would do)
CHECK_WINDOW = "5m"
_SLOTH_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
_WINDOW = "{{window}}"
#: a duration no one writes, stands for ``{{window}}`` while the AST is rewritten
_SENTINEL = "3141592653ms"


def sloth_templates(query: str) -> str:
    """Sloth's ``{{.window}}`` (Go template) as slotui's ``{{window}}``."""
    return _SLOTH_WINDOW.sub(_WINDOW, query)


def substituted(query: str, window: str = CHECK_WINDOW) -> str:
    """``query`` as the Prometheus source sends it: ``{{window}}`` -> a duration, ``{{by}}`` -> no label."""
    return query.replace(_WINDOW, window).replace("{{by}}", "")


def parse(query: str) -> Any:
    """The AST of ``query`` after template substitution; ``ValueError`` with the parser's message."""
    import promql_parser

    return promql_parser.parse(substituted(query))


def parse_error(query: str) -> str | None:
    """The parser's message when ``query`` (templates substituted) is not valid PromQL, else ``None``."""
    if not query.strip():
        return "empty expression"
    try:
        parse(query)
    except ValueError as exc:
        return str(exc) or "invalid PromQL"
    return None


def is_selector(query: str) -> bool:
    """True when ``query`` is a bare instant vector selector (``metric{label="x"}``)."""
    import promql_parser

    return isinstance(parse(query), promql_parser.VectorSelector)


def is_sum_of_selector(query: str) -> bool:
    """True when ``query`` is ``sum [by|without (...)] (selector)``: a sum over time of it is the sum
    of the selector's sums over time (what other aggregations are not)."""
    import promql_parser

    tree = parse(query)
    return (isinstance(tree, promql_parser.AggregateExpr) and str(tree.op) == "sum"
            and isinstance(tree.expr, promql_parser.VectorSelector))


def grouped_sum(query: str) -> tuple[str, tuple[str, ...]] | None:
    """``sum by (a, b) (expr)`` (or ``sum (expr) by (a, b)``) as ``(sum by ({{by}}) (expr), ("a", "b"))``:
    one series per group, which slotui reads as the SLO's total (``{{by}}`` empty: ``sum by () (x)``
    is ``sum(x)``) broken down by those labels (SPEC 10.1). None for any other query. The inner
    expression is printed by the parser, ``{{window}}`` kept."""
    import promql_parser

    if "{{by}}" in query:
        return None
    try:
        tree = promql_parser.parse(query.replace(_WINDOW, _SENTINEL))
    except ValueError:
        return None
    modifier = getattr(tree, "modifier", None)
    if (not isinstance(tree, promql_parser.AggregateExpr) or str(tree.op) != "sum" or modifier is None
            or modifier.type != promql_parser.AggModifierType.By or not modifier.labels):
        return None
    shown = promql_parser.display_duration(promql_parser.parse_duration(_SENTINEL))
    inner = _without_empty_braces(str(tree.expr).replace(f"[{shown}]", f"[{_WINDOW}]").replace(_SENTINEL, _WINDOW))
    out = f"sum by ({{{{by}}}}) ({inner})"
    try:
        promql_parser.parse(substituted(out))
    except ValueError:
        return None  # (a literal the parser prints so that it no longer parses: left as written)
    return out, tuple(modifier.labels)


def has_range(query: str) -> bool:
    """True when ``query`` already looks back over a range (a range selector or a subquery)."""
    import promql_parser

    found = False

    def visit(node: Any) -> bool:
        nonlocal found
        if isinstance(node, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
            found = True
            return False
        return True

    promql_parser.walk(parse(query), pre_visit=visit)
    return found or _WINDOW in query


def over_window(query: str, function: str = "increase", *, by: bool = False) -> str:
    """Each instant selector of ``query`` wrapped as ``function(sel[{{window}}])``, inside any aggregation.

    ``sum(x)`` with ``increase`` gives ``sum(increase(x[{{window}}]))``, never
    a range on an aggregation; a bare selector is summed:
    ``x`` -> ``sum(increase(x[{{window}}]))``, or with ``by``
    ``sum by ({{by}}) (increase(x[{{window}}]))`` (one template for the total
    and the breakdown groups, SPEC 10.1). A query that already has a range
    (or ``{{window}}``) is returned unchanged.
    """
    import promql_parser

    if has_range(query):
        return query
    tree = parse(query)
    if isinstance(tree, promql_parser.VectorSelector):
        if tree.offset is None and tree.at is None:
            return f"{_sum(by)}({function}({query.strip()}[{_WINDOW}]))"
        return _without_empty_braces(f"{_sum(by)}({function}({_ranged(tree, _WINDOW)}))")

    def wrap(node: Any) -> Any:
        if isinstance(node, promql_parser.VectorSelector):
            return promql_parser.parse(f"{function}({_ranged(node, _SENTINEL)})")
        return None

    shown = promql_parser.display_duration(promql_parser.parse_duration(_SENTINEL))
    text = str(promql_parser.transform(tree, post_visit=wrap))
    text = text.replace(f"[{shown}]", f"[{_WINDOW}]")
    return _without_empty_braces(text)


def rates_as_increases(query: str) -> str:
    """``rate(x[{{window}}])`` as ``increase(x[{{window}}])``: the same ratio of two of them (both are
    the window's extrapolated increase, one divided by its length), but the window's total is a
    count of events, as ``min_events`` (SPEC 3) and slotui's low-traffic rule read it. Sloth's specs
    are written with ``rate``: imported as written, a service under 1 request/s was always "low
    traffic", and no burn-rate alert of it could fire. Other ranges, ``irate`` and queries with
    ``{{by}}`` are left as written."""
    import promql_parser

    if _WINDOW not in query or "{{by}}" in query:
        return query
    window = timedelta(milliseconds=int(_SENTINEL[:-2]))
    rates = windowed = 0

    def windowed_rate(node: Any) -> bool:
        return (isinstance(node, promql_parser.Call) and node.func.name == "rate" and len(node.args) == 1
                and isinstance(node.args[0], promql_parser.MatrixSelector) and node.args[0].range == window)

    def count(node: Any) -> bool:
        nonlocal rates, windowed
        if isinstance(node, promql_parser.Call) and node.func.name == "rate":
            rates += 1
            windowed += windowed_rate(node)
        return True

    try:
        tree = promql_parser.parse(query.replace(_WINDOW, _SENTINEL))
    except ValueError:  # left as written: the import's check refuses it with the parser's message
        return query
    promql_parser.walk(tree, pre_visit=count)
    if not windowed:
        return query
    if windowed == rates:  # every rate(: renamed in the text itself, which keeps its quoting and layout
        return _STRING_OR_RATE.sub(lambda m: m.group(1) or "increase(", query)
    # some rate( are not over the window: the tree is rewritten and printed; the parser prints some
    # literals so that they no longer parse ("a\"b"): such a query is left as written
    try:
        tree = promql_parser.transform(
            tree, post_visit=lambda node: promql_parser.parse(f"increase({node.args[0]})") if windowed_rate(node) else None)
        shown = promql_parser.display_duration(promql_parser.parse_duration(_SENTINEL))
        out = _without_empty_braces(str(tree).replace(f"[{shown}]", f"[{_WINDOW}]").replace(_SENTINEL, _WINDOW))
        promql_parser.parse(substituted(out))
    except ValueError:
        return query
    return out


#: a PromQL string literal, or the call ``rate(`` (not ``irate(``, ``x_rate(``, a label named rate)
_STRING_OR_RATE = re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`)|(?<![A-Za-z0-9_:])rate\s*\(")


#: a PromQL string literal, or the empty braces the parser prints after a bare metric name
_STRING_OR_EMPTY_BRACES = re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`)|(?<=[A-Za-z0-9_:])\{\}")


def _without_empty_braces(text: str) -> str:
    """The parser prints a bare metric name as ``name{}``: the empty braces dropped, outside string
    literals only (a matcher ``l="a{}"`` keeps its value)."""
    return _STRING_OR_EMPTY_BRACES.sub(lambda m: m.group(1) or "", text)


def _ranged(node: Any, window: str) -> str:
    """``node`` (a vector selector) over ``[window]``, the range before its ``@``/``offset``
    modifiers (``x[5m] offset 1h``; ``x offset 1h[5m]`` is not PromQL)."""
    text = str(node)
    if node.offset is None and node.at is None:
        return f"{text}[{window}]"
    # the parser prints the modifiers after the selector: after its last "}", or after the bare name
    cut = text.rfind("}") + 1 if "{" in text else len(str(node.name))
    return f"{text[:cut]}[{window}]{text[cut:]}"


def _sum(by: bool) -> str:
    return "sum by ({{by}}) " if by else "sum"


def summed(expr: str, *, by: bool = False) -> str:
    """``sum(expr)``, or ``sum by ({{by}}) (expr)``."""
    return f"{_sum(by)}({expr})"


def good_from_bad(total: str, bad: str, *, by: bool = False) -> str:
    """The good events of a total and its bad events: ``total - bad``, where no bad series at all
    (a 5xx counter that has never been written) is 0 bad, not an empty answer that the source
    reads as "no good events". ``(bad) or on() (total) * 0`` adds the zero only when there is no
    bad series at all, so a bad query whose labels do not match the total's still gives no answer
    (as Sloth's own rules do) rather than "all good"; with ``by`` it is ``or on({{by}})``: per
    breakdown group."""
    on = "on({{by}})" if by else "on()"
    return f"({total}) - (({bad}) or {on} ({total}) * 0)"


def ratio_as_events(ratio: str, *, errors: bool) -> tuple[str, str]:
    """(good, total) of a raw ratio (Sloth's ``error_ratio_query``, OpenSLO's ``rawType``): one event
    per series of the ratio, good by the success ratio (``1 - ratio`` for an error ratio). The total
    is ``(ratio) * 0 + 1``, not ``vector(1)``: no ratio series at all (a misspelt metric, an exporter
    down) is no data, as in Sloth's rules, where ``1 - (ratio or vector(0))`` over ``vector(1)``
    said 100% good, and a success ratio's empty answer over ``vector(1)`` said 100% bad."""
    return (f"1 - ({ratio})" if errors else ratio), f"({ratio}) * 0 + 1"
