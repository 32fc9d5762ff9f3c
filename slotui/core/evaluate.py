"""Evaluate SLOs: value, status, error budget, burn rates, history (SPEC section 3).

Pure: every function takes ``now`` (UTC epoch seconds) and the source's
answer; nothing reads a clock or does I/O. No result field is ever NaN or inf:
missing, NaN or infinite inputs become NO DATA / ``None``.

Value
    Threshold SLOs: ``data.value`` (the SLI over ``[now - window, now)`` as
    computed by the source). Ratio SLOs: ``good / total`` over ``[now -
    spec.window, now)`` (``data.windows[spec.window]`` when the source answered
    it directly, else the sum of buckets whose start is in the window);
    ``total == 0`` gives ``None`` (NO DATA), never NaN or 100%. A ratio SLO
    whose source answers no event counts at all but a finite ``data.value``
    (a ready-made ratio) falls back to that value and to the threshold rules.

Status
    Threshold SLOs: :func:`slotui.core.status.threshold_status` (from the
    value; burn rates are reported but do not raise the status; AT RISK also
    when budget remaining < ``at_risk_below``). Ratio SLOs:
    :func:`slotui.core.status.ratio_status` (burn-rate tiers, then NO DATA
    for an empty window, then AT RISK from the budget).

    STALE: when ``data.error`` is set and the last success (``data.fetched_at``)
    is unknown or older than ``2 * spec.interval``, the SLO is STALE if a last
    good value exists (the value, budget and burn rates are still computed from
    the last data and shown), or NO DATA with the error if none ever did. An
    error with a recent success keeps the normal status; the error text is in
    ``SLOResult.error`` either way.

Forecast
    ``forecast: true`` SLOs (a ``sum`` over a calendar window): the status
    is judged on the projected end-of-window value (:mod:`slotui.core.forecast`),
    ``value`` stays the sum so far; ``meets_target`` of a calendar-window SLO is
    that value (or projection) meeting the target.

Budget and burn rates
    :mod:`slotui.core.budget` and :mod:`slotui.core.burn_rate`.

Samples (SPEC 10.2)
    ``n``, ``interval`` and ``significant`` of the window value, and the
    ``min_samples``/``significant`` rule: :mod:`slotui.core.significance`.

meets_target
    Period compliance meets the objective (ratio: ``good/total >= target``
    over the period; threshold: ``compliance >= compliance_target``). When the
    period holds no data but the current value is known (a source without
    history), the current value meeting the target stands in for it.

History
    Threshold: the slices in the period; ratio: per-bucket good/total in the
    period (buckets with ``total > 0``); sorted by time, for sparklines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from slotui.config.text import one_line
from slotui.core.breakdown import Breakdown, evaluate_breakdowns
from slotui.core.budget import compute_budget, direct_counts, meets_target
from slotui.core.burn_rate import evaluate_tiers
from slotui.core.forecast import forecast, window_span
from slotui.core.spend_budget import spend_budget, spend_burn_rates
from slotui.core.periods import period_bounds
from slotui.core.series import EventSeries, SliceSeries
from slotui.core.status import finite, is_stale, meets, ratio_status, threshold_status, value_status
from slotui.core.significance import (
    estimates, is_significant, judge, ratio_interval, significant_rate, threshold_interval,
)
from slotui.core.types import BurnRate, Report, SLIData, SLOResult, SLOSpec, Status
from slotui.formatting import low_samples_note, not_significant_note


def evaluate_slo(
    spec: SLOSpec, data: SLIData | None, now: float, *, series: Any = None, history: bool = True
) -> SLOResult:
    """Evaluate one SLO as of ``now`` from the source's answer (``None``: no answer: NO DATA).

    ``series``: a view of :mod:`slotui.core.timeline` standing in for the series built from
    ``data.slices``/``data.buckets`` (a replay step; the same result, without re-reading the period).
    With a view, ``data.slices`` is read only by a forecast (it must then be the view's slices) and
    ``data.buckets`` not at all. ``history=False``: the result's ``history`` and ``buckets`` (the
    period's points, for sparklines and budget charts) are left empty; every other field is the same
    (a replay reads none of them, and copying a 30-day period at every step is most of its cost)."""
    if data is None:
        data = SLIData()
    data = _shown_text(data)
    start, length = period_bounds(spec, now)
    notes: list[str] = []
    if data.malformed:
        notes.append(f"{data.malformed} malformed record(s) skipped")
    if data.note:
        notes.append(data.note)

    stale = is_stale(data, spec, now)
    points = history or stale  # a stale SLO's status needs to know whether the period has points
    if spec.kind == "ratio":
        result = _evaluate_ratio(spec, data, now, start, length, notes, series, points)
    else:
        result = _evaluate_threshold(spec, data, now, start, length, notes, series, points)

    if data.groups:
        result = replace(result, breakdowns=evaluate_breakdowns(spec, data.groups, now))
    elif spec.breakdown and not data.error and (result.value is not None or data.buckets or data.slices):
        # the source answered but not per label (SPEC 10.1: say so rather than show nothing)
        result = replace(result, breakdowns=tuple(
            Breakdown(by=(name,), window=spec.window, notes=(f"{name}: breakdown not supported by this source",))
            for name in spec.breakdown))
    if stale:
        has_last_value = result.value is not None or bool(result.history)
        status = Status.STALE if has_last_value else Status.NO_DATA
        result = replace(result, status=status, stale=has_last_value)
        if not history:
            result = replace(result, history=(), buckets=())
    return result


def _shown_text(data: SLIData) -> SLIData:
    """``data`` with its error and notes as :func:`~slotui.config.text.one_line` writes them.

    They are a server's words (a Prometheus ``error``, an HTTP body) that every source passes on
    as it got them; the report carries them to terminals, JUnit files and notifications, where an
    ESC or NUL byte acted or broke the file and a lone surrogate crashed the output."""
    texts = (data.error, data.note, *(g.note for g in data.groups))
    if all(t is None or t.isprintable() for t in texts):
        return data
    groups = tuple(replace(g, note=one_line(g.note)) if g.note else g for g in data.groups)
    return replace(data, error=one_line(data.error) if data.error else data.error,
                   note=one_line(data.note) if data.note else data.note, groups=groups)


def _evaluate_threshold(
    spec: SLOSpec, data: SLIData, now: float, start: float, length: float, notes: list[str], series: Any = None,
    history: bool = True,
) -> SLOResult:
    value = finite(data.value)
    if data.value is not None and value is None:
        notes.append("the source answered a non-finite value (NaN or inf): no data")
    slices = series if series is not None else SliceSeries(data.slices, spec.target, spec.direction, spec.strict)
    if spec.calendar_window is not None:
        # a spend budget (SPEC 10.4): the target amount over the window, burnt at the spend's pace
        budget = spend_budget(spec, value)
        win_start, win_end = window_span(spec, now)
        burn_rates = spend_burn_rates(spec, data.slices, now, win_end - win_start,
                                      spend=series.spend if series is not None else None)
    else:
        budget = compute_budget(spec, data, now, start, length, slices=slices)
        burn_rates = evaluate_tiers(spec, data, now, slices=slices)
    # spend budgets (SPEC 10.4): judged on the projected end-of-window value
    projection = forecast(spec, value, data.basis_value, data.slices, now,
                          crossing=series.crossing if series is not None else None) if spec.forecast else None
    judged = projection.value_at_end if projection is not None else value
    # with a forecast, the projection is the judgement: a budget mostly spent late in the month is on track
    status = threshold_status(judged, spec, budget.remaining if projection is None else None)
    verdict = judge(spec, status, value, data.n, threshold_interval(spec, data, value), estimate=estimates(spec, data))
    status = verdict.status
    if verdict.note:
        notes.append(verdict.note)
    met = meets_target(spec, budget)
    if spec.calendar_window is not None and judged is not None:
        met = meets(judged, spec.target, spec.direction, spec.strict)  # slices of a sum are not the budget
    if met is None and value is not None:
        met = meets(value, spec.target, spec.direction, spec.strict)
    return SLOResult(
        spec=spec,
        status=status,
        evaluated_at=now,
        value=value,
        budget=budget,
        burn_rates=burn_rates,
        meets_target=met,
        history=tuple(slices.points(start, now)) if history else (),
        low_traffic=any(b.low_traffic for b in burn_rates),
        error=data.error,
        notes=tuple(notes),
        period_start=start,
        period_length=length,
        n=verdict.n,
        interval=verdict.interval,
        significant=verdict.significant,
        low_samples=verdict.low_samples,
        forecast=projection,
    )


def _evaluate_ratio(
    spec: SLOSpec, data: SLIData, now: float, start: float, length: float, notes: list[str], series: Any = None,
    history: bool = True,
) -> SLOResult:
    events = series if series is not None else EventSeries(data.buckets)
    budget = compute_budget(spec, data, now, start, length, events=events)
    burn_rates = evaluate_tiers(spec, data, now, events=events)
    window = direct_counts(data, spec.window)
    if window is None:
        window = events.counts(now - spec.window, now)
    good = window.good if window is not None else None
    total = window.total if window is not None else None
    value = window.good_ratio if window is not None else None
    if data.error is not None and not data.buckets and not data.windows and len(events) == 0:
        # the source failed and nothing was ever read: the counts are unknown, not a quiet hour (0 of 0)
        good = total = None
        budget = replace(budget, good=None, total=None, bad=None, allowed_bad=None)
    low_traffic = any(b.low_traffic for b in burn_rates) or (total is not None and total < spec.min_events)

    has_counts = len(events) > 0 or any(direct_counts(data, w) is not None for w in data.windows)
    fallback = finite(data.value)
    if not has_counts and fallback is not None:
        # A source that answers a ready-made ratio (e.g. 1 - error_rate) and no counts.
        notes.append("no event counts from the source: status from the reported ratio value")
        status = value_status(fallback, spec)
        return SLOResult(
            spec=spec, status=status, evaluated_at=now, value=fallback, budget=budget,
            burn_rates=burn_rates, meets_target=meets(fallback, spec.target, spec.direction, spec.strict),
            low_traffic=False, error=data.error, notes=tuple(notes),
            period_start=start, period_length=length,
        )
    if total is not None and total == 0:
        notes.append("no events in the window")
    status = ratio_status(spec, value, burn_rates, budget.remaining)
    status, samples = _ratio_samples(spec, status, value, good, total, burn_rates, notes, shares=data.shares)
    met = meets_target(spec, budget)
    if met is None and value is not None:
        met = meets(value, spec.target, spec.direction, spec.strict)
    return SLOResult(
        spec=spec,
        status=status,
        evaluated_at=now,
        value=value,
        good=good,
        total=total,
        budget=budget,
        burn_rates=burn_rates,
        meets_target=met,
        history=tuple(events.ratios(start, now)) if history else (),
        low_traffic=low_traffic,
        error=data.error,
        notes=tuple(notes),
        period_start=start,
        period_length=length,
        buckets=events.buckets(start, now) if history else (),
        **samples,
    )


def _ratio_samples(
    spec: SLOSpec,
    status: Status,
    value: float | None,
    good: float | None,
    total: float | None,
    burn_rates: Sequence[BurnRate],
    notes: list[str],
    *,
    shares: bool = False,
) -> tuple[Status, dict[str, Any]]:
    """SPEC 10.2 for a ratio SLO: ``n`` (window events), the Wilson interval, ``min_samples``, and the
    AT RISK note of a tier held back because its error ratio is not significant. ``shares``: the
    source gave shares of one, not counts: no ``n``, no interval."""
    n = int(total) if total is not None and not shares else None
    interval = ratio_interval(spec, good, total) if not shares else None
    samples: dict[str, Any] = {
        "n": n, "interval": interval, "significant": is_significant(value, interval, spec), "low_samples": False,
    }
    if n is not None and 0 < n < spec.min_samples:
        notes.append(low_samples_note(n, spec))
        samples["low_samples"] = True
        return Status.NO_DATA, samples
    held = [b for b in burn_rates if b.not_significant]
    if held and status in (Status.OK, Status.AT_RISK):
        tier = held[0]
        for events, ratio in ((tier.long_events, tier.long_error_ratio), (tier.short_events, tier.short_error_ratio)):
            bad = (ratio or 0.0) * events
            if not significant_rate(bad, events, spec.budget, tier.factor, spec.confidence):
                notes.append(not_significant_note(int(events), ratio_interval(spec, events - bad, events), spec))
                break
        return Status.AT_RISK, samples
    return status, samples


def evaluate_all(
    specs: Sequence[SLOSpec],
    data_by_name: Mapping[str, SLIData],
    now: float,
    source_errors: Mapping[str, str] | None = None,
    warnings: Iterable[str] = (),
) -> Report:
    """Evaluate every SLO in ``specs`` (in order) as of ``now``.

    An SLO missing from ``data_by_name`` is NO DATA (with its source's error
    from ``source_errors``, keyed by source name, when there is one). When the
    source failed and the SLO's data carries no error of its own, the source's
    error is applied to it, so the last good data turns STALE after ``2 *
    interval``. ``warnings`` (e.g. the loader's) are passed through.
    """
    errors = {name: one_line(message) for name, message in (source_errors or {}).items()}
    results = []
    for spec in specs:
        data = data_by_name.get(spec.name)
        source_error = errors.get(spec.source)
        if data is None:
            data = SLIData(error=source_error)
        elif source_error and not data.error:
            data = replace(data, error=source_error)
        results.append(evaluate_slo(spec, data, now))
    return Report(evaluated_at=now, results=tuple(results), source_errors=errors,
                  warnings=tuple(one_line(w) for w in warnings))
