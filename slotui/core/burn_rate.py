"""Multi-window, multi-burn-rate alerts (SPEC section 3; Google SRE workbook, "Alerting on SLOs").

For each tier the factor is ``F = tier.effective_factor(P)`` with P the period
length (``budget_fraction * P / long_window``; P of a calendar month is the
length of the current month). At 30d the default tiers give 14.4 (1h/5m),
6 (6h/30m) and 1 (3d/6h); at 7d 3.36, 1.4 and 0.2333...; at 28d 13.44, 5.6 and
0.9333...

``error_ratio(w)`` over ``[now - w, now)``: ratio SLOs ``bad / total`` of the
buckets whose start is in the window (``data.windows[w]`` takes precedence
when the source answered that window directly); threshold SLOs the share of
slices with data that miss the target. The burn rate is ``error_ratio / B``;
``None`` when the window has no events.

A tier fires when ``long_rate > F`` **and** ``short_rate > F``, strictly
(equality within float rounding does not fire), and neither window is low on
traffic: a window with fewer events than ``spec.min_events`` (ratio: requests;
threshold: slices with data) never fires and marks the tier ``low_traffic``.

Ratio SLOs with ``significant`` (SPEC 10.2): a tier fires only when the lower
end of each window's Wilson interval of the error ratio, divided by B, is
also above F (:func:`slotui.core.significance.significant_rate`); a tier whose
point rates exceed F but whose intervals do not is marked ``not_significant``.
Windows with fewer than ``spec.min_samples`` events are low on traffic too.
"""

from __future__ import annotations

from slotui.core.budget import direct_counts
from slotui.core.periods import period_length
from slotui.core.series import Counts, EventSeries, SliceSeries
from slotui.core.significance import significant_rate
from slotui.core.status import exceeds, finite
from slotui.formatting import format_window
from slotui.core.types import BurnRate, BurnTier, SLIData, SLOSpec


def window_counts(
    spec: SLOSpec,
    data: SLIData,
    now: float,
    window: float,
    events: EventSeries | None = None,
    slices: SliceSeries | None = None,
) -> Counts | None:
    """Counts over ``[now - window, now)``: events (ratio) or slices (threshold); ``None`` on overflow."""
    if spec.kind == "ratio":
        direct = direct_counts(data, window)
        if direct is not None:
            return direct
        series = events if events is not None else EventSeries(data.buckets)
        return series.counts(now - window, now)
    sl = slices if slices is not None else SliceSeries(data.slices, spec.target, spec.direction, spec.strict)
    return sl.counts(now - window, now)


def burn_rate(counts: Counts | None, budget: float) -> float | None:
    """``error_ratio / B``; ``None`` with no events, a zero budget, or a non-finite result."""
    if counts is None or budget <= 0:
        return None
    ratio = counts.error_ratio
    return None if ratio is None else finite(ratio / budget)


def evaluate_tier(
    spec: SLOSpec,
    tier: BurnTier,
    period: float,
    long_counts: Counts | None,
    short_counts: Counts | None,
) -> BurnRate:
    """One tier from the counts of its long and short windows."""
    factor = tier.effective_factor(period)
    b = spec.budget
    long_events = long_counts.total if long_counts is not None else 0.0
    short_events = short_counts.total if short_counts is not None else 0.0
    long_rate, short_rate = burn_rate(long_counts, b), burn_rate(short_counts, b)
    floor = max(spec.min_events, spec.min_samples) if spec.kind == "ratio" else spec.min_events
    low_traffic = long_events < floor or short_events < floor
    firing = (
        not low_traffic
        and long_rate is not None
        and short_rate is not None
        and exceeds(long_rate, factor)
        and exceeds(short_rate, factor)
    )
    not_significant = False
    if firing and spec.significant and spec.kind == "ratio" and long_counts is not None and short_counts is not None:
        backed = all(
            significant_rate(c.bad, c.total, b, factor, spec.confidence) for c in (long_counts, short_counts)
        )
        firing, not_significant = backed, not backed
    return BurnRate(
        severity=tier.severity,
        long_window=tier.long_window,
        short_window=tier.short_window,
        factor=factor,
        long_rate=long_rate,
        short_rate=short_rate,
        long_events=long_events,
        short_events=short_events,
        firing=firing,
        low_traffic=low_traffic,
        long_error_ratio=long_counts.error_ratio if long_counts is not None else None,
        short_error_ratio=short_counts.error_ratio if short_counts is not None else None,
        not_significant=not_significant,
    )


def evaluate_tiers(
    spec: SLOSpec,
    data: SLIData,
    now: float,
    events: EventSeries | None = None,
    slices: SliceSeries | None = None,
) -> tuple[BurnRate, ...]:
    """Every tier of ``spec.tiers`` evaluated as of ``now``."""
    if spec.kind == "ratio" and events is None:
        events = EventSeries(data.buckets)
    if spec.kind != "ratio" and slices is None:
        slices = SliceSeries(data.slices, spec.target, spec.direction, spec.strict)
    period = period_length(spec, now)
    counts = [(window_counts(spec, data, now, tier.long_window, events, slices),
               window_counts(spec, data, now, tier.short_window, events, slices)) for tier in spec.tiers]
    # a replay's timeline view keeps the tiers of the counts it saw (one SLO per timeline): the
    # counts of a threshold SLO's windows change only when a slice enters or leaves them
    memo = getattr(slices if spec.kind != "ratio" else events, "tier_memo", None)
    if memo is not None:
        key = (period, tuple(counts))
        cached = memo.get(key)
        if cached is None:
            if len(memo) > 4096:
                memo.clear()
            cached = memo[key] = tuple(
                evaluate_tier(spec, tier, period, long_c, short_c) for tier, (long_c, short_c) in zip(spec.tiers, counts))
        return cached
    return tuple(evaluate_tier(spec, tier, period, long_c, short_c) for tier, (long_c, short_c) in zip(spec.tiers, counts))


def factor_warnings(spec: SLOSpec, now: float) -> list[str]:
    """Configuration warnings for tiers whose factor F is below 1 for the SLO's period.

    Such a tier fires before the budget is on track to run out (SPEC: reported
    as a configuration warning, still evaluated).
    """
    period = period_length(spec, now)
    out = []
    for tier in spec.tiers:
        f = tier.effective_factor(period)
        if f < 1:
            out.append(
                f"SLO {spec.name!r}: burn-rate tier {format_window(tier.long_window)}/{format_window(tier.short_window)} "
                f"has factor {f:.4g} < 1 for a {format_window(period)} period"
            )
    return out
