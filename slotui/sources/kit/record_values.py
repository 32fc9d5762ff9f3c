"""Which field values of a request record an SLI can use, and why the others are skipped.

A value that is not a usable number is *missing for the SLIs that use its field*;
the record still counts for every other SLI. Skipped values are counted per
reason and shown in the SLO's note ("2 records: gen_ai.usage.cost not finite"),
never dropped silently.

Not a number for a numeric SLI (threshold SLOs):

- NaN, Infinity, -Infinity (JSON's non-standard literals, ``1e400``);
- integers beyond the double range;
- ``true``/``false`` (booleans stay valid in conditions: ``ok == true``);
- strings (``"12"``), objects and lists;
- a negative value of a field that cannot be negative (latencies, durations,
  token counts, costs: :func:`nonnegative_field`).

Ratio SLOs skip a record whose condition reads a non-finite number or a
negative latency/duration/token/cost value: neither good nor bad is known.
``null`` and missing fields are not counted: they mean "no value" by design.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slotui.config.expressions import field_getter

__all__ = ["nonnegative_field", "value_problem", "FieldScreen", "SkipCounts", "FLOAT_MAX"]

FLOAT_MAX = 1.7976931348623157e308
_INF = float("inf")

_NONNEGATIVE = re.compile(
    r"(latency|duration|elapsed|ttft|time_to_first|tokens|cost|_ms$|_s$|_seconds$|_sec$|_us$|_ns$)",
    re.IGNORECASE,
)


def nonnegative_field(name: str) -> bool:
    """Whether a field named ``name`` holds a quantity that cannot be negative
    (a latency, duration, token count or cost, by the SPEC's and OpenTelemetry's names)."""
    return _NONNEGATIVE.search(name) is not None


def value_problem(name: str, raw: Any, nonnegative: bool) -> str | None:
    """Why ``raw`` (the value of field ``name``) is no number an SLI can use; None when it is
    one, or null (no value)."""
    if raw is None:
        return None
    kind = type(raw)
    if kind is float:
        if raw - raw != 0.0:
            return f"{name} not finite"
        if nonnegative and raw < 0.0:
            return f"{name} negative"
        return None
    if kind is bool:
        return f"{name} is true/false, not a number"
    if kind is int:
        if raw > FLOAT_MAX or raw < -FLOAT_MAX:
            return f"{name} beyond the float range"
        if nonnegative and raw < 0:
            return f"{name} negative"
        return None
    if isinstance(raw, str):
        return f"{name} is a string, not a number"
    if isinstance(raw, Mapping):
        return f"{name} is an object, not a number"
    if isinstance(raw, (list, tuple)):
        return f"{name} is a list, not a number"
    if isinstance(raw, (int, float)):  # numpy scalars, Decimal-like ints from Parquet
        try:
            value = float(raw)
        except (OverflowError, ValueError):
            return f"{name} beyond the float range"
        return value_problem(name, value, nonnegative)
    return f"{name} is {kind.__name__}, not a number"


class SkipCounts:
    """Records skipped by one series, counted per reason."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1

    def clear(self) -> None:
        self.counts.clear()

    def __bool__(self) -> bool:
        return bool(self.counts)

    def note(self) -> str | None:
        """``"2 records: gen_ai.usage.cost not finite; 1 record: duration_s negative"``."""
        if not self.counts:
            return None
        return "; ".join(f"{n} record{'s' if n != 1 else ''}: {reason}" for reason, n in self.counts.items())


class FieldScreen:
    """The fields an expression reads, each with its getter and whether it cannot be negative."""

    __slots__ = ("fields",)

    def __init__(self, names: Iterable[str]) -> None:
        self.fields: list[tuple[str, Callable[[Mapping[str, Any]], Any], bool]] = [
            (name, field_getter(name), nonnegative_field(name)) for name in sorted(names)
        ]

    def __bool__(self) -> bool:
        return bool(self.fields)

    def numeric_problem(self, record: Mapping[str, Any]) -> str | None:
        """The first field of ``record`` whose value no numeric SLI can use (see the module docstring)."""
        for name, get, nonnegative in self.fields:
            problem = value_problem(name, get(record), nonnegative)
            if problem is not None:
                return problem
        return None

    def condition_problem(self, record: Mapping[str, Any]) -> str | None:
        """The first field a condition reads that makes it unknowable: non-finite, or a negative
        latency/duration/token/cost. Booleans, strings and objects are valid in conditions."""
        for name, get, nonnegative in self.fields:
            raw = get(record)
            kind = type(raw)
            if kind is float:
                if raw - raw != 0.0:
                    return f"{name} not finite"
                if nonnegative and raw < 0.0:
                    return f"{name} negative"
            elif kind is int and nonnegative and raw < 0:
                return f"{name} negative"
        return None
