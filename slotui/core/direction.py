"""Which way is better: direction of a threshold SLO (SPEC section 3, "Direction").

When ``warning``/``critical`` are given the direction follows their order:
``critical < warning <= target`` is higher-is-better, ``critical > warning >=
target`` is lower-is-better. An explicit direction must agree; an inconsistent
order is an error. A lone target needs an explicit direction, except for names
ending in ``_ms``, ``_s``, ``latency``, ``cost`` or ``error*`` (lower is
better) and ratio SLOs (higher is better).
"""

from __future__ import annotations

import re

from slotui.core.types import Direction, Kind

_LOWER_NAME = re.compile(r"(_ms|_s|latency|cost|error\w*)$", re.IGNORECASE)


class DirectionError(ValueError):
    """Thresholds in an inconsistent order, or no way to tell the direction."""


def lower_is_better_by_name(name: str) -> bool:
    """True for names ending in ``_ms``, ``_s``, ``latency``, ``cost`` or ``error*``."""
    return bool(_LOWER_NAME.search(name))


def _sign(a: float, b: float) -> int:
    return (a > b) - (a < b)


def infer_direction(
    name: str,
    target: float,
    warning: float | None = None,
    critical: float | None = None,
    direction: Direction | None = None,
    kind: Kind = "threshold",
) -> Direction:
    """The direction of an objective, or :class:`DirectionError` with a readable reason.

    Evidence comes from every pair of given thresholds that differ
    (target vs warning, target vs critical, warning vs critical): each must
    point the same way. Equal pairs carry no evidence (``warning == target``
    is allowed: the AT RISK band is then empty).
    """
    signs: list[int] = []
    if warning is not None:
        signs.append(_sign(target, warning))
    if critical is not None:
        signs.append(_sign(target, critical))
    if warning is not None and critical is not None:
        signs.append(_sign(warning, critical))
    evidence = {s for s in signs if s != 0}
    if len(evidence) > 1:
        raise DirectionError(
            f"SLO {name!r}: thresholds in an inconsistent order (target {target:g}, "
            f"warning {_g(warning)}, critical {_g(critical)}); expected "
            "critical < warning <= target (higher is better) or "
            "critical > warning >= target (lower is better)"
        )
    if evidence:
        inferred: Direction = "higher_is_better" if evidence == {1} else "lower_is_better"
        if direction is not None and direction != inferred:
            raise DirectionError(
                f"SLO {name!r}: direction {direction} disagrees with the thresholds' order "
                f"(target {target:g}, warning {_g(warning)}, critical {_g(critical)} means {inferred})"
            )
        return inferred
    if direction is not None:
        return direction
    if kind == "ratio":
        return "higher_is_better"
    if lower_is_better_by_name(name):
        return "lower_is_better"
    if warning is None and critical is None:
        why = "from a lone target; set direction: higher_is_better or lower_is_better, or give warning/critical thresholds"
    else:  # given, but all equal to the target: no order to read
        why = (f"when target, warning and critical are equal (target {target:g}, warning {_g(warning)}, critical "
               f"{_g(critical)}); set direction: higher_is_better or lower_is_better, or make them differ")
    raise DirectionError(f"SLO {name!r}: cannot tell whether higher or lower is better {why}")


def _g(value: float | None) -> str:
    return "unset" if value is None else f"{value:g}"
