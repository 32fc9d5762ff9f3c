"""Status of an SLO (SPEC section 3): OK, AT RISK, WARNING, CRITICAL, NO DATA, STALE.

Comparisons are direction-aware and equality with a threshold counts as
meeting it. A missing, NaN or infinite value is NO DATA, never OK.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from slotui.core.types import BurnRate, Direction, SLIData, SLOSpec, Status

#: Relative tolerance under which two computed figures (e.g. a burn rate and
#: its factor, both products of float arithmetic) count as equal. Only used on
#: derived quantities; raw values are compared with thresholds exactly.
REL_TOL = 1e-9


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite real number, else ``None`` (never NaN/inf)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def meets(value: float, threshold: float, direction: Direction, strict: bool = False) -> bool:
    """True when ``value`` is as good as ``threshold`` or better; equality meets unless ``strict``.

    ``strict`` (OpenSLO ``lt``/``gt``): only strictly better values meet.
    """
    if direction == "lower_is_better":
        return value < threshold if strict else value <= threshold
    return value > threshold if strict else value >= threshold


def worse_than(value: float, threshold: float, direction: Direction, strict: bool = False) -> bool:
    """True when ``value`` does not meet ``threshold`` (direction-aware; equality is worse when ``strict``)."""
    return not meets(value, threshold, direction, strict)


def exceeds(rate: float, factor: float) -> bool:
    """``rate > factor`` strictly, with equality within float rounding (``REL_TOL``) not exceeding."""
    return rate > factor and not math.isclose(rate, factor, rel_tol=REL_TOL, abs_tol=0.0)


def at_least(value: float, floor: float) -> bool:
    """``value >= floor``, with equality within float rounding (``REL_TOL``) counting as meeting."""
    return value >= floor or math.isclose(value, floor, rel_tol=REL_TOL, abs_tol=1e-12)


def value_status(value: object, spec: SLOSpec) -> Status:
    """Status of a threshold SLO from its current value alone.

    CRITICAL if worse than ``critical``; else WARNING if worse than ``warning``;
    else AT RISK if worse than ``target``; else OK. Unset thresholds are
    skipped. With ``spec.strict`` equality with a threshold misses it.
    ``None``/NaN/inf (or a non-number) is NO DATA.
    """
    v = finite(value)
    if v is None:
        return Status.NO_DATA
    d = spec.direction
    if spec.critical is not None and worse_than(v, spec.critical, d, spec.strict):
        return Status.CRITICAL
    if spec.warning is not None and worse_than(v, spec.warning, d, spec.strict):
        return Status.WARNING
    if worse_than(v, spec.target, d, spec.strict):
        return Status.AT_RISK
    return Status.OK


def threshold_status(value: object, spec: SLOSpec, budget_remaining: float | None = None) -> Status:
    """Status of a threshold SLO.

    The status comes from the current value (:func:`value_status`). Burn rates
    of threshold SLOs (share of bad slices) are computed and reported for
    alerting but do **not** raise the status. In addition an otherwise OK SLO
    is AT RISK when the period's budget ``remaining`` is strictly below
    ``spec.at_risk_below``, as for ratio SLOs.
    """
    status = value_status(value, spec)
    if status is Status.OK and budget_below(budget_remaining, spec.at_risk_below):
        return Status.AT_RISK
    return status


def budget_below(remaining: float | None, at_risk_below: float) -> bool:
    """True when ``remaining`` is known and strictly below ``at_risk_below``."""
    r = finite(remaining)
    if r is None:
        return False
    return r < at_risk_below and not math.isclose(r, at_risk_below, rel_tol=REL_TOL, abs_tol=1e-12)


def tiers_status(burn_rates: Iterable[BurnRate]) -> Status | None:
    """CRITICAL when a critical (page) tier fires, WARNING when a warning (ticket) tier fires, else None."""
    firing = {b.severity for b in burn_rates if b.firing}
    if "critical" in firing:
        return Status.CRITICAL
    if "warning" in firing:
        return Status.WARNING
    return None


def ratio_status(
    spec: SLOSpec,
    value: float | None,
    burn_rates: Iterable[BurnRate],
    budget_remaining: float | None,
) -> Status:
    """Status of a ratio SLO.

    In order: CRITICAL when a critical-tier burn-rate alert fires; WARNING when
    a warning-tier one fires; NO DATA when the window has no events (``value``
    is None); AT RISK when the period's budget remaining is strictly below
    ``spec.at_risk_below``; else OK.

    Where SPEC is silent: a ratio SLO that also sets ``warning``/``critical``
    thresholds is raised to WARNING/CRITICAL when its window value is worse
    than them (the worse of the burn-rate and threshold statuses wins).
    """
    status = tiers_status(burn_rates) or Status.OK
    v = finite(value)
    if v is not None:
        d = spec.direction
        if spec.critical is not None and worse_than(v, spec.critical, d, spec.strict):
            status = Status.CRITICAL
        elif spec.warning is not None and worse_than(v, spec.warning, d, spec.strict) and status is not Status.CRITICAL:
            status = Status.WARNING
    if status in (Status.CRITICAL, Status.WARNING):
        return status
    if v is None:
        return Status.NO_DATA
    if budget_below(budget_remaining, spec.at_risk_below):
        return Status.AT_RISK
    return Status.OK


def is_stale(data: SLIData, spec: SLOSpec, now: float) -> bool:
    """True when the last fetch failed and the last success is older than ``2 * spec.interval``.

    ``data.error`` set and (``data.fetched_at`` unknown, or ``now -
    fetched_at > 2 * interval``, strictly). Whether that means STALE (a last
    good value exists) or NO DATA (none ever) is decided by the caller.
    """
    if not data.error:
        return False
    fetched = finite(data.fetched_at)
    if fetched is None:
        return True
    return now - fetched > 2 * spec.interval
