"""Turning numbers in API answers into SLI values (never NaN).

SaaS APIs send numbers as JSON numbers, as strings (ClickHouse counts,
decimal costs) or as ``"NaN"`` / ``null`` when there is nothing to aggregate.
:func:`sli_number` maps all of these to a finite float or ``None`` (no data);
anything that is not a number at all raises :class:`NotANumber`, which a
source reports on the SLO as a wrong query.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any


class NotANumber(ValueError):
    """The value is neither a number, a numeric string, a boolean nor null."""


def sli_number(raw: Any) -> float | None:
    """``raw`` as a finite float; ``None`` for null, NaN and infinities; raises :class:`NotANumber`."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, (int, float, Decimal)):
        try:
            value = float(raw)
        except (OverflowError, ValueError):
            return None
        return value if math.isfinite(value) else None
    if isinstance(raw, str):
        text = raw.strip()
        try:
            value = float(Decimal(text))
        except (InvalidOperation, ValueError, OverflowError):
            raise NotANumber(f"{_show(raw)} is not a number") from None
        return value if math.isfinite(value) else None
    raise NotANumber(f"{_show(raw)} is not a number")


def _show(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def count_number(raw: Any) -> float:
    """An event count: like :func:`sli_number` but null/NaN is 0 and negatives are clamped to 0."""
    value = sli_number(raw)
    return max(0.0, value) if value is not None else 0.0
