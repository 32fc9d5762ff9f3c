"""Breakdown by label: which model, route or prompt version burns the budget (SPEC 10.1).

Pure: every function takes per-group counts (ratio SLOs) or per-group sample
values (threshold SLOs) and the SLO's spec; nothing reads a clock or does I/O.

For each label value (a *group*) over the breakdown window:

- ratio SLO: ``total``, ``bad``, ``value`` (its own good/total),
  ``share_of_bad`` (its bad / all bad; ``None`` when nothing is bad) and
  ``burn_rate`` (its own error ratio / budget);
- threshold SLO: ``total`` (values) and ``value`` (its own SLI with the SLO's
  aggregation: mean, sum, count, min, max or a linear-interpolation quantile,
  the definition of :func:`slotui.sources.kit.aggregate.quantile_sorted`);
- both: ``without``, the SLI over the window with that group's events removed
  (``None`` when nothing is left: NO DATA), and ``status_without``, the status
  that value gives: :func:`slotui.core.status.value_status` for threshold SLOs,
  :func:`ratio_status_without` (the burn-rate tiers of the window) for ratio SLOs.

Ranking (impact): how much removing the group moves the SLI toward the target,
``gain = without - value_all`` for higher-is-better SLOs and ``value_all -
without`` for lower-is-better ones; larger gain first, ties (gains equal up to
float rounding) by larger ``total``, then by the labels (so the order is deterministic). A group whose
removal leaves no data ranks by total after those with a known gain. At most
``limit`` (10) groups are kept per name; the rest are summed into one
``(other)`` row. More than ``max_groups`` (1,000) distinct values are cut to
the ``max_groups`` largest by total first, with a note.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from slotui.config.text import printable  # label values come from data: shown escaped
from slotui.core.forecast import basis_start, project, window_span
from slotui.core.status import exceeds, finite, value_status
from slotui.core.sums import _DENOMINATOR, _finite, exact_mean, scaled, scaled_value, sum_terms
from slotui.core.types import GroupData, SLOSpec, Status

__all__ = [
    "OTHER",
    "MAX_GROUPS",
    "TOP_GROUPS",
    "GroupFigures",
    "Breakdown",
    "ratio_breakdown",
    "threshold_breakdown",
    "aggregate_sorted",
    "breakdown_window",
    "evaluate_breakdowns",
]

#: label value of the row summing the groups beyond the top ones
OTHER = "(other)"
#: the group a source counts the values past its own cap in (:mod:`slotui.sources.kit.label_groups`):
#: many distinct values, not one
MORE = "(more values)"
#: distinct values of one label kept per window (the largest by total)
MAX_GROUPS = 1000
#: groups listed per label before ``(other)``
TOP_GROUPS = 10


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One label value's figures (see the module docstring); ``labels`` is ``{name: value}``."""

    labels: Mapping[str, str]
    total: float
    value: float | None
    without: float | None
    status_without: Status
    bad: float | None = None
    share_of_bad: float | None = None
    burn_rate: float | None = None
    #: how far removing the group moves the SLI toward the target (None: nothing left)
    gain: float | None = None
    #: ``forecast: true`` SLOs: the projected end-of-window value without the group, which
    #: ``status_without`` and ``gain`` judge (SPEC 10.4); None otherwise
    without_at_end: float | None = None
    other: bool = False
    #: the label values as the data holds them, when ``labels`` shows them escaped (:func:`shown_label`):
    #: for machine-readable outputs (JSON), where any string travels exactly
    raw_labels: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Breakdown:
    """The breakdown of one SLO by one label ``by`` over ``window`` seconds."""

    by: tuple[str, ...]
    window: float
    groups: tuple[GroupFigures, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def top(self) -> GroupFigures | None:
        """The highest-ranked real group (never ``(other)``), or None."""
        for g in self.groups:
            if not g.other:
                return g
        return None


class Projection:
    """A forecast SLO's spend per group over the forecast basis (SPEC 10.4), for judging each
    group's ``without`` on its projection (as the SLO itself is judged), not on the sum so far:
    without a group, its spend leaves both the sum so far and the basis rate."""

    __slots__ = ("per", "total", "judge")

    def __init__(self, per: Mapping[str, int], judge: Callable[[float, float], float]) -> None:
        #: each label value's basis spend in units of 2**-1074 (:func:`~slotui.core.sums.scaled`)
        self.per = dict(per)
        self.total = sum(self.per.values())
        #: ``judge(so_far, basis_spend)``: the projected end-of-window value
        self.judge = judge

    def at_end(self, so_far: float | None, members: Sequence[str] = ()) -> float | None:
        """The projection of ``so_far`` with the basis spend of ``members`` taken out (none: all of it)."""
        if so_far is None:
            return None
        basis = self.total - sum(self.per.get(k, 0) for k in members)
        return self.judge(so_far, scaled_value(basis, 1, False))


def projection_of(spec: SLOSpec, basis: Mapping[str, tuple[float, float | Sequence[float]]], now: float) -> Projection:
    """:class:`Projection` of ``spec`` at ``now`` from ``{label value: (count, basis spend)}`` (the
    spend a float or exact terms, as :attr:`GroupData.sums`)."""
    start, end = window_span(spec, now)
    since = basis_start(spec, now)
    per = {k: scaled([float(v)] if isinstance(v, (int, float)) else list(v)) for k, (n, v) in basis.items()}

    def judge(so_far: float, spend: float) -> float:
        return project(so_far, spend, now=now, window_start=start, window_end=end, basis_from=since,
                       target=spec.target).value_at_end

    return Projection(per, judge)


# --------------------------------------------------------------------------- ratio


def ratio_breakdown(
    spec: SLOSpec,
    by: str,
    window: float,
    counts: Mapping[str, tuple[float, float]],
    *,
    limit: int = TOP_GROUPS,
    max_groups: int = MAX_GROUPS,
) -> Breakdown:
    """Breakdown of a ratio SLO from ``{label value: (good, total)}`` over the window.

    Groups with ``total <= 0`` are dropped. ``without`` is ``(G - g) / (T - t)``.
    """
    items = {k: (float(g), float(t)) for k, (g, t) in counts.items() if finite(t) and t > 0 and finite(g) is not None}
    listed, notes = _cap(by, items, lambda gt: gt[1], max_groups)
    good_all = math.fsum(g for g, _ in items.values())
    total_all = math.fsum(t for _, t in items.values())
    bad_all = total_all - good_all
    value_all = good_all / total_all if total_all else None
    budget = spec.budget

    def figures(label: str, good: float, total: float, other: bool = False) -> GroupFigures:
        bad = total - good
        rest = total_all - total
        without = (good_all - good) / rest if rest > 0 else None
        return GroupFigures(
            labels={by: label},
            total=total,
            value=good / total,
            without=without,
            status_without=ratio_status_without(spec, good_all - good, rest, window),
            bad=bad,
            share_of_bad=bad / bad_all if bad_all > 0 else None,
            burn_rate=(bad / total) / budget if budget > 0 else None,
            gain=_gain(spec, value_all, without),
            other=other,
        )

    ranked = _rank([figures(label, *items[label]) for label in listed], value_all)
    kept = ranked[:limit]
    rest = [r.labels[by] for r in ranked[limit:]] + [k for k in items if k not in listed]
    if rest:
        g = math.fsum(items[k][0] for k in rest)
        t = math.fsum(items[k][1] for k in rest)
        kept.append(figures(OTHER, g, t, other=True))
    return Breakdown(by=(by,), window=window, groups=tuple(kept), notes=notes)


def ratio_status_without(spec: SLOSpec, good: float, total: float, window: float) -> Status:
    """The status a ratio SLO would have if ``good`` of ``total`` events were all of its breakdown
    ``window`` (what is left without a group). A ratio SLO's status comes from its burn-rate tiers
    (SPEC 3): each tier whose long window is that window fires when the error ratio left burns the
    budget faster than its factor, with at least ``min_events`` (and ``min_samples``) events left
    (the breakdown counts one window: it stands for the tier's short one too); the ``warning`` and
    ``critical`` levels count as :func:`~slotui.core.status.ratio_status` counts them; else AT RISK
    below the target (the budget burns faster than it lasts), else OK; NO DATA when nothing is
    left. ``value_status`` alone never went past AT RISK: "without it 90% (AT RISK)" while the
    rest still burned at 20x against a 14.4 page tier."""
    if not total > 0:
        return Status.NO_DATA
    status = value_status(good / total, spec)
    rate = finite(((total - good) / total) / spec.budget) if spec.budget > 0 else None
    floor = max(spec.min_events, spec.min_samples)
    firing = {t.severity for t in spec.tiers if t.long_window == window and rate is not None
              and total >= floor and exceeds(rate, t.effective_factor(spec.period))}
    if "critical" in firing:
        return Status.CRITICAL
    if "warning" in firing and status is not Status.CRITICAL:
        return Status.WARNING
    return status


# --------------------------------------------------------------------------- threshold


def threshold_breakdown(
    spec: SLOSpec,
    by: str,
    window: float,
    kind: str,
    q: float,
    values: Mapping[str, Sequence[float]],
    *,
    limit: int = TOP_GROUPS,
    max_groups: int = MAX_GROUPS,
    projection: Projection | None = None,
) -> Breakdown:
    """Breakdown of a threshold SLO from ``{label value: finite values}`` over the window.

    ``kind`` is mean, sum, count, min, max or quantile (``q`` in [0, 1]).
    ``without`` of a quantile is exact: it is selected from the sorted values
    of all groups with the group's values taken out (no copy per group).
    ``projection``: a forecast SLO's, which ``status_without`` and the ranking judge.
    """
    # only quantiles, min and max need the values in order (sorting runs already sorted is cheap:
    # sources hand values over slice by slice, each slice's run sorted)
    ordered = kind in ("quantile", "min", "max")
    runs = {k: (sorted(v) if ordered else v) for k, v in values.items() if len(v)}
    listed, notes = _cap(by, runs, len, max_groups)
    everything: list[float] = []
    for run in runs.values():
        everything.extend(run)
    if ordered:
        everything.sort()
    summed = kind in ("mean", "sum")
    mean = kind == "mean"
    # each group's exact sum once (core.sums: an int in units of 2**-1074); the total is theirs added,
    # a group's "without" one subtraction: linear in the groups, each mean rounded once
    sums = {k: scaled(sum_terms(run)) for k, run in runs.items()} if summed else {}
    sum_all = sum(sums.values())
    n_all = len(everything)
    value_all = scaled_value(sum_all, n_all, mean) if summed and n_all else aggregate_sorted(everything, kind, q)

    def without_of(run: Sequence[float], run_sum: int) -> float | None:
        n = n_all - len(run)
        if n <= 0:
            return None
        if kind == "count":
            return float(n)
        if summed:
            return scaled_value(sum_all - run_sum, n, mean)
        if kind == "min":
            return _kth_without(everything, run, 0)
        if kind == "max":
            return _kth_without(everything, run, n - 1)
        return _quantile_without(everything, run, n, q)

    judged_all = projection.at_end(value_all) if projection is not None else value_all

    def figures(label: str, run: Sequence[float], other: bool = False, run_sum: int | None = None,
                members: Sequence[str] = ()) -> GroupFigures:
        if summed and run_sum is None:
            run_sum = sums[label] if label in sums else scaled(sum_terms(run))
        without = without_of(run, run_sum or 0)
        value = scaled_value(run_sum or 0, len(run), mean) if summed and run else aggregate_sorted(run, kind, q)
        at_end = projection.at_end(without, members or (label,)) if projection is not None else None
        judged = at_end if projection is not None else without
        return GroupFigures(
            labels={by: label},
            total=float(len(run)),
            value=value,
            without=without,
            status_without=value_status(judged, spec),
            gain=_gain(spec, judged_all, judged),
            other=other,
            without_at_end=at_end,
        )

    ranked = _rank([figures(label, runs[label]) for label in listed], judged_all)
    kept = ranked[:limit]
    rest = [r.labels[by] for r in ranked[limit:]] + [k for k in runs if k not in listed]
    if rest:
        merged: list[float] = []
        for k in rest:
            merged.extend(runs[k])
        if ordered:
            merged.sort()
        kept.append(figures(OTHER, merged, other=True, run_sum=sum(sums[k] for k in rest) if summed else None,
                            members=rest))
    return Breakdown(by=(by,), window=window, groups=tuple(kept), notes=notes)


def summary_breakdown(
    spec: SLOSpec,
    by: str,
    window: float,
    kind: str,
    sums: Mapping[str, tuple[float, float | Sequence[float]]],
    *,
    limit: int = TOP_GROUPS,
    max_groups: int = MAX_GROUPS,
    projection: Projection | None = None,
) -> Breakdown:
    """:func:`threshold_breakdown` of a mean, sum or count from ``{label value: (count, sum)}``
    (what a source keeps per slice; no values needed). A sum may come as exact terms
    (:func:`~slotui.core.sums.sum_terms`): a mean is then rounded once."""
    items: dict[str, tuple[float, int]] = {}
    bad: list[str] = []
    for k, (n, v) in sums.items():
        if not n > 0:
            continue
        terms = [float(v)] if isinstance(v, (int, float)) else list(v)
        if not all(math.isfinite(t) for t in terms):
            bad.append(k)
            continue
        # each group's exact sum once (an int in units of 2**-1074): the total and every
        # "without" are one addition or subtraction each, linear in the groups
        items[k] = (float(n), scaled(terms))
    listed, notes = _cap(by, items, lambda nv: nv[0], max_groups)
    if bad:
        notes = (*notes, f"{by}: {len(bad)} group{'s' if len(bad) > 1 else ''} left out, "
                         f"{'their sums are' if len(bad) > 1 else 'its sum is'} not a finite number")
    n_all = math.fsum(n for n, _ in items.values())
    sum_all = sum(total for _, total in items.values())
    mean = kind == "mean"

    def of(n: float, total: int) -> float | None:
        if n <= 0:
            return None
        if kind == "count":
            return n
        if n.is_integer():
            return scaled_value(total, int(n), mean)
        return _finite(Fraction(total, _DENOMINATOR) / Fraction(n), "mean", 0) if mean else (
            scaled_value(total, 1, False))

    value_all = of(n_all, sum_all)
    judged_all = projection.at_end(value_all) if projection is not None else value_all

    def figures(label: str, n: float, total: int, other: bool = False, members: Sequence[str] = ()) -> GroupFigures:
        without = of(n_all - n, sum_all - total)
        at_end = projection.at_end(without, members or (label,)) if projection is not None else None
        judged = at_end if projection is not None else without
        return GroupFigures(labels={by: label}, total=n, value=of(n, total), without=without,
                            status_without=value_status(judged, spec), gain=_gain(spec, judged_all, judged),
                            other=other, without_at_end=at_end)

    ranked = _rank([figures(label, *items[label]) for label in listed], judged_all)
    kept = ranked[:limit]
    rest = [r.labels[by] for r in ranked[limit:]] + [k for k in items if k not in listed]
    if rest:
        kept.append(figures(OTHER, math.fsum(items[k][0] for k in rest), sum(items[k][1] for k in rest),
                            other=True, members=rest))
    return Breakdown(by=(by,), window=window, groups=tuple(kept), notes=notes)


def aggregate_sorted(values: Sequence[float], kind: str, q: float = 0.0) -> float | None:
    """``kind`` of finite ``values`` (None when empty), which must be sorted for min, max and
    quantiles; quantiles interpolate linearly between closest ranks (DuckDB ``quantile_cont``,
    Hyndman & Fan type 7)."""
    n = len(values)
    if n == 0:
        return None
    if kind == "count":
        return float(n)
    if kind == "sum":
        return math.fsum(values)
    if kind == "mean":
        return exact_mean(values)
    if kind == "min":
        return float(values[0])
    if kind == "max":
        return float(values[-1])
    h = (n - 1) * q
    lo, hi = math.floor(h), math.ceil(h)
    return _lerp(values[lo], values[hi], h - lo)


def _lerp(a: float, b: float, f: float) -> float:
    if f == 0.0:
        return float(a)
    return a + (b - a) * f


def _kth_without(everything: Sequence[float], removed: Sequence[float], k: int) -> float:
    """The ``k``-th smallest (0-based) of ``everything`` minus the multiset ``removed`` (both sorted).

    The count of kept values ``<= everything[i]`` grows with ``i``: bisect for the
    first index where it exceeds ``k``.
    """
    lo, hi = 0, len(everything) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        x = everything[mid]
        kept = bisect_right(everything, x) - bisect_right(removed, x)
        if kept >= k + 1:
            hi = mid
        else:
            lo = mid + 1
    return float(everything[lo])


def _quantile_without(everything: Sequence[float], removed: Sequence[float], n: int, q: float) -> float:
    h = (n - 1) * q
    lo, hi = math.floor(h), math.ceil(h)
    a = _kth_without(everything, removed, lo)
    if hi == lo:
        return a
    return _lerp(a, _kth_without(everything, removed, hi), h - lo)


# --------------------------------------------------------------------------- ranking


def _gain(spec: SLOSpec, value_all: float | None, without: float | None) -> float | None:
    if value_all is None or without is None:
        return None
    return without - value_all if spec.direction == "higher_is_better" else value_all - without


#: gains closer than this share of the SLI's scale are ties (float rounding, not impact)
_TIE = 1e-12


def _rank(groups: list[GroupFigures], value_all: float | None) -> list[GroupFigures]:
    """``groups`` by gain (larger first), ties by larger total, then by labels.

    Two gains that differ only by float rounding are a tie: removing either of two groups of
    equal scores (0.1 each) gives ``without`` values a unit in the last place apart, and the
    SPEC's tie rule (larger ``total`` first) must decide, not that last bit. Gains are compared
    in steps of ``_TIE`` x the SLI's magnitude."""
    scale = max((abs(x) for x in [value_all, *(g.without for g in groups)] if x is not None and math.isfinite(x)),
                default=0.0) or 1.0

    def key(g: GroupFigures) -> tuple[int, float, float, str]:
        if g.gain is None or not math.isfinite(g.gain):
            return (1, 0.0, -g.total, str(sorted(g.labels.items())))
        return (0, -round(g.gain / (scale * _TIE)), -g.total, str(sorted(g.labels.items())))

    return sorted(groups, key=key)


def _cap(by: str, items: Mapping[str, Any], size: Callable[[Any], float],
         max_groups: int) -> tuple[set[str], tuple[str, ...]]:
    """The labels ranked individually: all of them, or the ``max_groups`` largest by total
    (the others count in ``(other)`` and in every ``without``), with a note."""
    if len(items) <= max_groups:
        return set(items), ()
    ordered = sorted(items, key=lambda k: (-size(items[k]), k))
    distinct = f"more than {len(items) - 1:,}" if MORE in items else f"{len(items):,}"
    note = (f"{by}: {distinct} distinct values in the window; "
            f"the {max_groups:,} largest by total are ranked, the rest count as {OTHER}")
    return set(ordered[:max_groups]), (note,)


# --------------------------------------------------------------------------- entry points


def breakdown_window(spec: SLOSpec, windows: Mapping[float, tuple[float, float]]) -> float:
    """The window a breakdown covers: the SLO's window for threshold SLOs; for ratio SLOs
    the long window of the tier whose long window burns fastest (``windows`` maps window
    seconds to ``(good, total)``), the SLO's window when no tier has events."""
    if spec.kind != "ratio" or not spec.tiers:
        return spec.window
    best: tuple[float, float] | None = None  # (error ratio, -window): ties take the shorter window
    chosen = spec.window
    for tier in spec.tiers:
        counts = windows.get(tier.long_window)
        if counts is None:
            continue
        good, total = counts
        if not total or total <= 0:
            continue
        key = ((total - good) / total, -tier.long_window)
        if best is None or key > best:
            best, chosen = key, tier.long_window
    return chosen


def evaluate_breakdowns(spec: SLOSpec, groups: Sequence[GroupData], now: float | None = None) -> tuple[Breakdown, ...]:
    """The breakdowns of ``spec`` from its source's group answers (threshold SLOs need
    ``values``, ratio SLOs ``counts``; an answer without them keeps its note only). A
    ``forecast: true`` SLO's ``status_without`` is judged on the projection without the group
    (SPEC 10.4), from the groups' spend over the basis (``basis``) at ``now``."""
    kind, q = _agg_of(spec.sli_agg)
    out: list[Breakdown] = []
    for data in groups:
        note = (data.note,) if data.note else ()
        projection = None
        if spec.forecast and spec.kind == "threshold" and now is not None:
            if data.basis is not None:
                projection = projection_of(spec, data.basis, now)
            else:
                note = (*note, f"{data.by}: status without a group is judged on the sum so far, not its "
                               "projection (the source gives no spend per group over the forecast basis)")
        if spec.kind == "ratio" and data.counts is not None:
            b = ratio_breakdown(spec, data.by, data.window, data.counts)
        elif spec.kind == "threshold" and data.sums is not None and (data.agg or kind) in ("mean", "sum", "count"):
            b = summary_breakdown(spec, data.by, data.window, data.agg or kind or "mean", data.sums,
                                  projection=projection)
        elif spec.kind == "threshold" and data.values is not None and kind is not None:
            b = threshold_breakdown(spec, data.by, data.window, kind, q, data.values, projection=projection)
        else:
            out.append(Breakdown(by=(data.by,), window=data.window, notes=note or (
                f"{data.by}: breakdown not supported for this SLO's aggregation",)))
            continue
        out.append(Breakdown(by=b.by, window=b.window, groups=tuple(map(_shown, b.groups)), notes=b.notes + note))
    return tuple(out)


def _shown(group: GroupFigures) -> GroupFigures:
    """``group`` with its label values as they may be shown: they come from data (a log's model
    field), and a control or bidi character would act on a terminal or break a JUnit file."""
    labels = {k: shown_label(v) for k, v in group.labels.items()}
    return group if labels == group.labels else replace(group, labels=labels, raw_labels=dict(group.labels))


def shown_label(value: str) -> str:
    """A label value as it may be shown, one text per value: control and bidi characters escaped
    (:func:`~slotui.config.text.printable`), and then a backslash doubled, so a value holding a
    newline (``A\x0aB`` once escaped) and one holding the six characters ``A\x0aB`` are two groups
    that read differently (they read the same). Printable text without a backslash is as it is."""
    if "\\" not in value and printable(value) == value:
        return value
    return "".join(printable(ch) if ch != "\\" else "\\\\" for ch in value)


_AGG_ALIASES = {"avg": "mean", "average": "mean", "median": "p50"}


def _agg_of(text: str | None) -> tuple[str | None, float]:
    """``(kind, q)`` of an ``sli.agg`` name (mean when unset); ``(None, 0)`` when unknown."""
    name = (text or "mean").strip().lower()
    name = _AGG_ALIASES.get(name, name)
    if name in ("mean", "sum", "count", "min", "max"):
        return name, 0.0
    if name.startswith("p"):
        try:
            pct = float(name[1:])
        except ValueError:
            return None, 0.0
        if 0.0 <= pct <= 100.0:
            return "quantile", round(pct / 100.0, 12)
    return None, 0.0
