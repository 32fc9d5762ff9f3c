"""The seed project's own config forms, accepted as they are written.

- ``quality_slos: {accuracy: {target: 0.90, warning: 0.85, critical: 0.75}}``:
  one threshold SLO per metric, SLI = mean of the metric (the metric name is the
  field; ``check --results`` looks the name up in the results mapping).
- LangSmith-style rules (top-level ``alert_rules:`` or ``alerts.rules:``):
  ``{name, condition: "avg(helpfulness_score) < 0.8", window: "1 hour",
  notification: {type: slack, channel: "#llm-alerts"}}``. The condition says
  when to alert, so ``avg(x) < 0.8`` is the objective "mean of x at least 0.8"
  (higher is better) and ``p95(latency_ms) > 2000`` is "p95 at most 2000"
  (lower is better). ``<=``/``>=`` are read like ``<``/``>``: slotui counts a
  value equal to a threshold as meeting it.

The metric is the seed's LangSmith feedback key. On a source whose record
fields are known statically (the demo), the resolver looks it up as written,
then as ``evaluations.<metric>``, and ``X_score`` as the evaluation ``X``
(``helpfulness_score`` -> ``evaluations.helpfulness``); a metric the source
does not have is a config error listing the fields it has.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from slotui.core.types import Direction

_CONDITION = re.compile(
    r"""^\s*(?P<agg>[A-Za-z][A-Za-z0-9_.]*)\s*\(\s*(?P<field>[A-Za-z_*][A-Za-z0-9_.*-]*)?\s*\)\s*
        (?P<op><=|>=|<|>)\s*
        (?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class RuleCondition:
    """A parsed ``agg(field) OP number``: ``agg`` is a slotui aggregate (mean, p95, ...)."""

    agg: str
    field: str
    op: str
    value: float

    @property
    def direction(self) -> Direction:
        """The objective the alert protects: alerting on ``< x`` means higher is better."""
        return "higher_is_better" if self.op in ("<", "<=") else "lower_is_better"


class ConditionError(ValueError):
    """A condition that is not ``agg(field) OP number``; ``column`` is 1-based."""

    def __init__(self, message: str, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


def normalize_agg(agg: str) -> str:
    """The canonical spelling of an aggregate (``avg`` -> ``mean``, ``p100.0`` -> ``p100``).

    One grammar with the sources: :func:`slotui.sources.kit.aggregate.parse_agg`.
    Raises ValueError saying what is wrong and what is accepted.
    """
    from slotui.sources.kit.aggregate import parse_agg

    return str(parse_agg(agg))


def parse_condition(text: str) -> RuleCondition:
    """Parse ``avg(helpfulness_score) < 0.8``; raise :class:`ConditionError` otherwise."""
    m = _CONDITION.match(text)
    if m is None:
        raise ConditionError(
            "expected a condition like avg(helpfulness_score) < 0.8 "
            "(aggregate avg/mean/min/max/sum/count/pNN, operator < <= > >=, a number)"
        )
    try:
        agg = normalize_agg(m.group("agg"))
    except ValueError as exc:
        raise ConditionError(str(exc), m.start("agg") + 1) from None
    field = m.group("field")
    if not field:
        if agg != "count":
            raise ConditionError(f"{m.group('agg')}() needs a field name", m.end("agg") + 1)
        field = "*"
    value = float(m.group("value"))
    if not math.isfinite(value):  # 1e999: an infinite threshold, as .inf is refused in any number
        raise ConditionError(f"expected a finite number (got {value})", m.start("value") + 1)
    return RuleCondition(agg=agg, field=field, op=m.group("op"), value=value)
