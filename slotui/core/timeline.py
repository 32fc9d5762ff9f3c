"""One SLO's series over a whole replay, answering the evaluation at each step (SPEC 10.3). Pure.

``slotui replay`` evaluates an SLO at tens of thousands of moments. Handing
the core the period's slices or buckets at every step and letting it count
them again costs O(period) a step (2,016 slices of a 7-day period, 8,640
buckets of 30 days). A :class:`SliceTimeline` (threshold SLOs) or
:class:`EventTimeline` (ratio SLOs) takes the *whole* slices or buckets of the
replay's span once, as the source produces them, and at each step ``now``
gives a view (:meth:`~SliceTimeline.at`) that stands in for the
:class:`~slotui.core.series.SliceSeries` / :class:`~slotui.core.series.EventSeries`
the core would build from that step's answer: the whole slices in
``[period start, slice holding now)`` plus the step's ``tail`` (the slice
holding ``now``, cut at ``now``, that the source answers each step).

Exactly the same numbers as building the series afresh
(``tests/unit/test_timeline.py`` checks every field of every step):

- threshold slices count good slices and slices with data: integers, so
  prefix sums of the good flags are exact;
- ratio buckets are summed with prefix sums only when every count is a whole
  number (record counts: every partial sum is exact, as the sequential sums
  of :meth:`EventSeries.counts` are); otherwise each window is summed as
  :meth:`EventSeries.counts` sums it;
- spend sums (:meth:`SliceView.spend`) add the window's slices in time order
  from 0.0, as :func:`slotui.core.spend_budget.window_spend` does.

``evaluate_slo(spec, data, now, series=view)`` takes the view instead of
building the series; ``data.slices``/``data.buckets`` must be the view's
:meth:`~SliceView.points_tuple` / :meth:`~EventView.buckets_tuple` (the
forecast and spend rules read them).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from functools import reduce
from itertools import accumulate, islice
from operator import add

from slotui.core.series import Counts, EventSeries, SliceSeries, _counts
from slotui.core.types import SLOSpec

__all__ = ["SliceTimeline", "EventTimeline", "SliceView", "EventView"]

#: integer-valued sums stay exact in a double up to here
_EXACT = 2.0**53


class SliceTimeline:
    """The whole threshold slices ``(start, value)`` of a replay's span, cleaned once."""

    __slots__ = ("spec", "times", "values", "good", "cum", "points", "nonneg", "running", "tier_memo")

    def __init__(self, spec: SLOSpec, whole: Sequence[tuple[float, float]]) -> None:
        base = SliceSeries(whole, spec.target, spec.direction, spec.strict)
        self.spec = spec
        self.times: list[float] = base.times
        self.values: list[float] = base.values
        self.good: list[bool] = base.good
        self.cum = list(accumulate(map(int, base.good), initial=0))
        self.points = list(zip(base.times, base.values))
        self.nonneg = min(base.values, default=0.0) >= 0.0
        #: (first slice, running sums from it) of the last :meth:`SliceView.crossing`
        self.running: tuple[int, list[float]] = (-1, [0.0])
        #: (period, window counts) -> the burn-rate tiers (:func:`slotui.core.burn_rate.evaluate_tiers`)
        self.tier_memo: dict = {}

    def at(self, period_start: float, tail_start: float, tail: Sequence[tuple[float, float]]) -> "SliceView":
        """The slices of one step: whole slices with a start in ``[period_start, tail_start)`` and ``tail``
        (the step's slices from ``tail_start`` on, in time order)."""
        lo = bisect_left(self.times, period_start)
        hi = bisect_left(self.times, tail_start, lo)
        spec = self.spec
        return SliceView(self, lo, hi, SliceSeries(tail, spec.target, spec.direction, spec.strict))


class SliceView:
    """A :class:`~slotui.core.series.SliceSeries` of one step (see :meth:`SliceTimeline.at`)."""

    __slots__ = ("base", "lo", "hi", "tail", "tail_times", "tail_good")

    def __init__(self, base: SliceTimeline, lo: int, hi: int, tail: SliceSeries) -> None:
        self.base, self.lo, self.hi = base, lo, hi
        self.tail = list(zip(tail.times, tail.values))
        self.tail_times, self.tail_good = tail.times, tail.good

    def __len__(self) -> int:
        return self.hi - self.lo + len(self.tail)

    @property
    def tier_memo(self) -> dict:
        """The burn-rate tiers already evaluated on this SLO's timeline, by window counts."""
        return self.base.tier_memo

    def _range(self, start: float, end: float) -> tuple[int, int]:
        times, lo, hi = self.base.times, self.lo, self.hi
        i = bisect_left(times, start, lo, hi)
        return i, bisect_left(times, end, i, hi)

    def _tail_range(self, start: float, end: float) -> tuple[int, int]:
        i = bisect_left(self.tail_times, start)
        return i, bisect_left(self.tail_times, end, i)

    def counts(self, start: float, end: float) -> Counts:
        """Good slices and slices with data whose start is in ``[start, end)``."""
        i, j = self._range(start, end)
        good = self.base.cum[j] - self.base.cum[i]
        n = j - i
        if self.tail:
            a, b = self._tail_range(start, end)
            good += sum(self.tail_good[a:b])
            n += b - a
        return Counts(float(good), float(n))

    def points(self, start: float, end: float) -> list[tuple[float, float]]:
        """``(start, value)`` of the slices in ``[start, end)``."""
        i, j = self._range(start, end)
        out = self.base.points[i:j]
        if self.tail:
            a, b = self._tail_range(start, end)
            out.extend(self.tail[a:b])
        return out

    def points_tuple(self) -> tuple[tuple[float, float], ...]:
        """Every slice of the step, in time order (the ``SLIData.slices`` the source would answer)."""
        return tuple(self.points(-math.inf, math.inf))

    def crossing(self, window_start: float, now: float, target: float) -> float | None:
        """The start of the first slice in ``[window_start, now)`` at which the running sum of the
        step's slices (in time order, from 0.0) reaches ``target``; None when it does not
        (:func:`slotui.core.forecast.project`'s walk; whole slices summed at C speed)."""
        i, j = self._range(window_start, now)
        base = self.base
        running = 0.0
        if i < j:
            # the running sums from slice i, kept for the next steps (they share the start mostly)
            first, sums = base.running
            if first != i:
                first, sums = i, [0.0]
            if len(sums) <= j - i:
                sums.extend(islice(accumulate(base.values[i + len(sums) - 1:j], initial=sums[-1]), 1, None))
            base.running = (first, sums)
            # sums[n] is the sum of the first n slices from i
            if base.nonneg:  # running sums only grow: bisect for the first one reaching the target
                k = bisect_left(sums, target, 1, j - i + 1)
            else:
                k = next((n for n in range(1, j - i + 1) if sums[n] >= target), j - i + 1)
            if k <= j - i:
                return base.times[i + k - 1]
            running = sums[j - i]
        if self.tail:
            a, b = self._tail_range(window_start, now)
            for t, v in self.tail[a:b]:
                running += v
                if running >= target:
                    return t
        return None

    def spend(self, start: float, end: float) -> tuple[float, int]:
        """:func:`slotui.core.spend_budget.window_spend` of the step's slices: the sum (in time order,
        from 0.0) of the values whose start is in ``[start, end)``, and how many there are."""
        i, j = self._range(start, end)
        total = reduce(add, self.base.values[i:j], 0.0)
        n = j - i
        if self.tail:
            a, b = self._tail_range(start, end)
            for _, v in self.tail[a:b]:
                total += v
            n += b - a
        return total, n


class EventTimeline:
    """The whole ratio buckets ``(start, good, total)`` of a replay's span, cleaned once."""

    __slots__ = ("times", "good", "total", "buckets", "ratios", "cum_good", "cum_total")

    def __init__(self, whole: Sequence[tuple[float, float, float]]) -> None:
        base = EventSeries(whole)
        self.times: list[float] = base.times
        self.good: list[float] = base.good
        self.total: list[float] = base.total
        self.buckets = tuple(zip(base.times, base.good, base.total))
        self.ratios = [(t, g / n) for t, g, n in self.buckets if n > 0]
        exact = all(v == int(v) for v in base.total) and all(v == int(v) for v in base.good) \
            and math.fsum(base.total) < _EXACT
        # prefix sums only where every partial sum is exact (see the module docstring)
        self.cum_good = list(accumulate(base.good, initial=0.0)) if exact else None
        self.cum_total = list(accumulate(base.total, initial=0.0)) if exact else None

    def at(self, period_start: float, tail_start: float, tail: Sequence[tuple[float, float, float]]) -> "EventView":
        """The buckets of one step (as :meth:`SliceTimeline.at`)."""
        lo = bisect_left(self.times, period_start)
        hi = bisect_left(self.times, tail_start, lo)
        return EventView(self, lo, hi, EventSeries(tail))


class EventView:
    """An :class:`~slotui.core.series.EventSeries` of one step (see :meth:`EventTimeline.at`)."""

    __slots__ = ("base", "lo", "hi", "tail")

    def __init__(self, base: EventTimeline, lo: int, hi: int, tail: EventSeries) -> None:
        self.base, self.lo, self.hi, self.tail = base, lo, hi, tail

    def __len__(self) -> int:
        return self.hi - self.lo + len(self.tail)

    def _range(self, start: float, end: float) -> tuple[int, int]:
        times, lo, hi = self.base.times, self.lo, self.hi
        i = bisect_left(times, start, lo, hi)
        return i, bisect_left(times, end, i, hi)

    def counts(self, start: float, end: float) -> Counts | None:
        """Sums over buckets whose start is in ``[start, end)``; ``None`` on overflow."""
        base = self.base
        i, j = self._range(start, end)
        tail = self.tail
        a, b = bisect_left(tail.times, start), bisect_left(tail.times, end)
        if base.cum_good is not None and base.cum_total is not None and i < j:
            good = base.cum_good[j] - base.cum_good[i]
            total = base.cum_total[j] - base.cum_total[i]
            if a < b:
                # the tail follows the whole buckets: the sequential sum goes on from the prefix
                good = sum(tail.good[a:b], good)
                total = sum(tail.total[a:b], total)
            return _counts(good, total)
        return _counts(sum(base.good[i:j] + tail.good[a:b]), sum(base.total[i:j] + tail.total[a:b]))

    def buckets(self, start: float, end: float) -> tuple[tuple[float, float, float], ...]:
        i, j = self._range(start, end)
        tail = self.tail
        a, b = bisect_left(tail.times, start), bisect_left(tail.times, end)
        out = self.base.buckets[i:j]
        if a < b:
            out += tuple(zip(tail.times[a:b], tail.good[a:b], tail.total[a:b]))
        return out

    def buckets_tuple(self) -> tuple[tuple[float, float, float], ...]:
        """Every bucket of the step in time order (the ``SLIData.buckets`` the source would answer)."""
        return self.buckets(-math.inf, math.inf)

    def ratios(self, start: float, end: float) -> list[tuple[float, float]]:
        """``(start, good/total)`` per bucket in ``[start, end)`` with ``total > 0``."""
        base = self.base
        i, j = self._range(start, end)
        # the whole buckets' ratios (total > 0 only) are precomputed: find the same span in them
        ratios = base.ratios
        out: list[tuple[float, float]] = []
        if i < j:
            out = ratios[bisect_left(ratios, (base.times[i],)):bisect_left(ratios, (base.times[j - 1], math.inf))]
        tail = self.tail
        a, b = bisect_left(tail.times, start), bisect_left(tail.times, end)
        out.extend((t, g / n) for t, g, n in zip(tail.times[a:b], tail.good[a:b], tail.total[a:b]) if n > 0)
        return out
