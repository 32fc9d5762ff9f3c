"""Error budgets over the compliance period (SPEC section 3, "Error budget").

Ratio SLOs count events over the period ``[start, now)`` (rolling ``now - P``
or the calendar month's first instant): ``good``/``total`` are the sums of the
buckets whose start is in the period, ``bad = total - good``, ``B = 1 -
target``, ``allowed_bad = B * total``, ``consumed = bad / (B * total)``,
``remaining = 1 - consumed`` (negative once the budget is overspent; the true
figure is kept). With ``total == 0`` consumed and remaining are ``None``.

Threshold SLOs count slices: a slice with data is good when its value meets
the target (direction-aware, equality meets). ``compliance = good /
slices_with_data``; ``consumed = (1 - compliance) / (1 - compliance_target)``;
``remaining = 1 - consumed``; ``time_left = remaining * (1 - compliance_target)
* P`` seconds, with P the whole period length (the whole month for calendar
months). No slice with data gives ``None`` for all of them.

Budget over time (:func:`budget_timeline`) applies the same formulas to the
period so far, point by point: after each slice (threshold) or bucket (ratio)
from the period's start, the budget remaining counting only what came up to
and including it.

No function here returns NaN or inf: any figure that would be is ``None``.
"""

from __future__ import annotations

from slotui.core.series import Counts, EventSeries, SliceSeries
from slotui.core.status import at_least, finite, meets
from slotui.core.types import Budget, SLIData, SLOResult, SLOSpec


def ratio_budget(spec: SLOSpec, counts: Counts | None) -> Budget:
    """Event budget of a ratio SLO from the period's ``counts`` (``None``: no usable data)."""
    b = spec.budget
    if counts is None:
        return Budget(budget=b, consumed=None, remaining=None)
    allowed = finite(b * counts.total)
    consumed = None
    if counts.total > 0 and allowed is not None and allowed > 0:
        consumed = finite(counts.bad / allowed)
    remaining = finite(1.0 - consumed) if consumed is not None else None
    return Budget(
        budget=b,
        consumed=consumed,
        remaining=remaining,
        good=counts.good,
        total=counts.total,
        bad=counts.bad,
        allowed_bad=allowed,
    )


def threshold_budget(spec: SLOSpec, counts: Counts, period_length: float) -> Budget:
    """Time-slice budget of a threshold SLO from the period's slice ``counts``."""
    b = spec.budget
    n = int(counts.total)
    good = int(counts.good)
    if n <= 0:
        return Budget(budget=b, consumed=None, remaining=None, good_slices=0, slices=0)
    compliance = good / n
    consumed = finite((n - good) / n / b) if b > 0 else None
    remaining = finite(1.0 - consumed) if consumed is not None else None
    time_left = finite(remaining * b * period_length) if remaining is not None else None
    return Budget(
        budget=b,
        consumed=consumed,
        remaining=remaining,
        compliance=compliance,
        good_slices=good,
        slices=n,
        time_left=time_left,
    )


def period_counts(
    spec: SLOSpec, data: SLIData, series: EventSeries, start: float, now: float
) -> Counts | None:
    """Good/total of a ratio SLO over ``[start, now)``.

    A rolling period answered directly by the source (``data.windows[spec.period]``)
    takes precedence over the bucket sums, as for any window.
    """
    if spec.rolling:
        direct = direct_counts(data, spec.period)
        if direct is not None:
            return direct
    return series.counts(start, now)


def direct_counts(data: SLIData, window: float) -> Counts | None:
    """``data.windows[window]`` as :class:`Counts`, or ``None`` when absent or not finite."""
    pair = data.windows.get(window) if data.windows else None
    if pair is None:
        return None
    try:
        g, n = pair
    except (TypeError, ValueError):
        return None
    g, n = finite(g), finite(n)
    if g is None or n is None or g < 0 or n < 0:
        return None
    return Counts(min(g, n), n)


def meets_target(spec: SLOSpec, budget: Budget) -> bool | None:
    """Whether the period compliance meets the objective; ``None`` without data.

    Ratio: ``good / total >= target``. Threshold: ``compliance >=
    compliance_target``. Equality (within float rounding) meets.
    """
    if spec.kind == "ratio":
        if budget.total is None or budget.good is None or budget.total <= 0:
            return None
        ratio = finite(budget.good / budget.total)
        return None if ratio is None else at_least(ratio, spec.target)
    if budget.compliance is None:
        return None
    return at_least(budget.compliance, spec.compliance)


def compute_budget(
    spec: SLOSpec,
    data: SLIData,
    now: float,
    start: float,
    period_length: float,
    events: EventSeries | None = None,
    slices: SliceSeries | None = None,
) -> Budget:
    """The budget of ``spec`` over ``[start, now)``; series are built from ``data`` when not given."""
    if spec.kind == "ratio":
        series = events if events is not None else EventSeries(data.buckets)
        return ratio_budget(spec, period_counts(spec, data, series, start, now))
    sl = slices if slices is not None else SliceSeries(data.slices, spec.target, spec.direction, spec.strict)
    return threshold_budget(spec, sl.counts(start, now), period_length)


def budget_timeline(result: SLOResult) -> list[tuple[float, float]]:
    """``(slice_start, remaining)`` after each slice or bucket of the period so far.

    Threshold SLOs, from ``result.history`` (the period's slices with data):
    after the k-th slice, ``remaining = 1 - (1 - good_k / k) / (1 -
    compliance_target)``. Ratio SLOs, from ``result.buckets`` (the period's
    buckets): ``remaining = 1 - bad_k / (B * total_k)``
    with the counts summed up to the k-th bucket; buckets before the first
    event are skipped (no budget to speak of yet). The last point is the
    period's budget as computed from the same slices or buckets. Empty when
    there is nothing to chart or the budget ``B`` is 0. Spend SLOs (a calendar
    window): ``1 - spend_k / target`` with the spend of the window's slices
    summed up to the k-th (:mod:`slotui.core.spend_budget`).
    """
    spec = result.spec
    out: list[tuple[float, float]] = []
    if spec.calendar_window is not None:
        # a spend budget (slotui.core.spend_budget): 1 - spend so far / target after each slice of the window
        from slotui.core.forecast import window_span

        if not spec.target > 0:
            return []
        start = window_span(spec, result.evaluated_at)[0]
        spent = 0.0
        for t, v in result.history:
            if t >= start and finite(v) is not None:
                spent += v
                out.append((t, 1.0 - spent / spec.target))
        return out
    b = spec.budget
    if b <= 0:
        return []
    if spec.kind == "threshold":
        good = 0
        for k, (t, v) in enumerate(result.history, start=1):
            good += meets(v, spec.target, spec.direction, spec.strict)
            out.append((t, 1.0 - (k - good) / k / b))
        return out
    good_sum = total_sum = 0.0
    for t, g, n in result.buckets:
        good_sum += g
        total_sum += n
        if total_sum > 0:
            remaining = finite(1.0 - (total_sum - good_sum) / (b * total_sum))
            if remaining is not None:
                out.append((t, remaining))
    return out
