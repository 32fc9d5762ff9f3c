"""Time series a source hands the core, cleaned once and counted per window.

:class:`EventSeries` holds the ratio buckets ``(start, good, total)``;
:class:`SliceSeries` the threshold slices ``(start, value)``. Both are built
once per evaluation (sorted by start, invalid points dropped) and answer
"how many events / good events have a start in ``[start, end)``" by bisection,
so the period and every burn-rate window cost one slice of a list each.

Cleaning: points with a non-finite time are dropped; a bucket with a NaN,
infinite or negative count is dropped; ``good`` is capped at ``total``; a slice
with a NaN or infinite value is "no data" for that slice. Sums that overflow
give ``None`` (no data), never inf or NaN.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import isfinite
from operator import itemgetter, le, truediv

from slotui.core.status import finite
from slotui.core.types import Direction

_first = itemgetter(0)


def _fast_columns(points: list | tuple, width: int) -> tuple[list[list[float]], bool] | None:
    """Columns of well-formed finite numeric points sorted by time, and whether
    ``points`` were in time order already; ``None`` for the slow path.

    Runs at C speed: a column whose sum is finite holds no NaN and no inf
    (any of them would make the sum NaN or infinite).
    """
    if not points:
        return [[] for _ in range(width)], True
    try:
        columns = list(zip(*points, strict=True))
        if len(columns) != width:
            return None
        out = [list(map(float, c)) for c in columns]
        if not all(isfinite(sum(c)) for c in out):
            return None
    except (TypeError, ValueError, OverflowError):
        return None
    times = out[0]
    if all(map(le, times, times[1:])):
        return out, True
    order = sorted(range(len(times)), key=times.__getitem__)
    pick = itemgetter(*order)
    return [list(pick(c)) for c in out], False


@dataclass(frozen=True, slots=True)
class Counts:
    """Good and total events (or slices) in one window; ``bad = total - good >= 0``."""

    good: float
    total: float

    @property
    def bad(self) -> float:
        return max(0.0, self.total - self.good)

    @property
    def error_ratio(self) -> float | None:
        """``bad / total``; ``None`` when the window has no events (never NaN, never 0/0)."""
        if self.total <= 0:
            return None
        return finite(self.bad / self.total)

    @property
    def good_ratio(self) -> float | None:
        """``good / total``; ``None`` when the window has no events."""
        if self.total <= 0:
            return None
        return finite(self.good / self.total)


def _counts(good: float, total: float) -> Counts | None:
    if not (math.isfinite(good) and math.isfinite(total)):
        return None
    return Counts(min(good, total), total)


class EventSeries:
    """Ratio buckets ``(start, good, total)`` sorted by start."""

    __slots__ = ("times", "good", "total", "_clean_input")

    def __init__(self, buckets: Iterable[tuple[float, float, float]]) -> None:
        points = buckets if isinstance(buckets, (list, tuple)) else list(buckets)
        #: the input itself when it is already clean and sorted 3-tuples: :meth:`buckets` shares them
        self._clean_input: Sequence[tuple[float, float, float]] | None = None
        fast = _fast_columns(points, 3)
        if fast is not None:
            (times, good, total), in_order = fast
            if min(good, default=0.0) >= 0 and min(total, default=0.0) >= 0 and all(map(le, good, total)):
                self.times, self.good, self.total = times, good, total
                if in_order and set(map(type, points)) <= {tuple}:
                    self._clean_input = points
                return
        clean: list[tuple[float, float, float]] = []
        for bucket in points:
            try:
                t, g, n = bucket
            except (TypeError, ValueError):
                continue
            t, g, n = finite(t), finite(g), finite(n)
            if t is None or g is None or n is None or g < 0 or n < 0:
                continue
            clean.append((t, min(g, n), n))
        clean.sort(key=_first)
        self.times = [b[0] for b in clean]
        self.good = [b[1] for b in clean]
        self.total = [b[2] for b in clean]

    def __len__(self) -> int:
        return len(self.times)

    def counts(self, start: float, end: float) -> Counts | None:
        """Sums over buckets whose start is in ``[start, end)``; ``None`` on overflow."""
        i, j = bisect_left(self.times, start), bisect_left(self.times, end)
        return _counts(sum(self.good[i:j]), sum(self.total[i:j]))

    def buckets(self, start: float, end: float) -> tuple[tuple[float, float, float], ...]:
        """The clean ``(start, good, total)`` buckets whose start is in ``[start, end)``.

        When the input was already clean and sorted, its own tuples are returned
        (no copy of thousands of buckets per SLO and evaluation).
        """
        i, j = bisect_left(self.times, start), bisect_left(self.times, end)
        if self._clean_input is not None:
            return tuple(self._clean_input[i:j])
        return tuple(zip(self.times[i:j], self.good[i:j], self.total[i:j]))

    def ratios(self, start: float, end: float) -> list[tuple[float, float]]:
        """``(start, good/total)`` per bucket in ``[start, end)`` with ``total > 0``."""
        i, j = bisect_left(self.times, start), bisect_left(self.times, end)
        # good <= total and both are finite, so good/total is in [0, 1]
        times, good, total = self.times[i:j], self.good[i:j], self.total[i:j]
        if min(total, default=1.0) > 0:
            return list(zip(times, map(truediv, good, total)))
        return [(t, g / n) for t, g, n in zip(times, good, total) if n > 0]


class SliceSeries:
    """Threshold slices ``(start, value)`` sorted by start; each is good when it meets ``target``."""

    __slots__ = ("times", "values", "good")

    def __init__(
        self, slices: Iterable[tuple[float, float]], target: float, direction: Direction, strict: bool = False
    ) -> None:
        points = slices if isinstance(slices, (list, tuple)) else list(slices)
        fast = _fast_columns(points, 2)
        if fast is not None:
            (self.times, self.values), _ = fast
        else:
            clean: list[tuple[float, float]] = []
            for point in points:
                try:
                    t, v = point
                except (TypeError, ValueError):
                    continue
                t, v = finite(t), finite(v)
                if t is not None and v is not None:
                    clean.append((t, v))
            clean.sort(key=_first)
            self.times = [p[0] for p in clean]
            self.values = [p[1] for p in clean]
        bound = float(target)
        # bound.__ge__(v) is "v <= target"; values are floats so it never returns NotImplemented
        # strict (OpenSLO lt/gt): equality with the target misses it
        if strict:
            good_of = bound.__gt__ if direction == "lower_is_better" else bound.__lt__
        else:
            good_of = bound.__ge__ if direction == "lower_is_better" else bound.__le__
        self.good = list(map(good_of, self.values))

    def __len__(self) -> int:
        return len(self.times)

    def counts(self, start: float, end: float) -> Counts:
        """Good slices and slices with data whose start is in ``[start, end)``."""
        i, j = bisect_left(self.times, start), bisect_left(self.times, end)
        return Counts(float(sum(self.good[i:j])), float(j - i))

    def points(self, start: float, end: float) -> list[tuple[float, float]]:
        """``(start, value)`` of the slices in ``[start, end)``."""
        i, j = bisect_left(self.times, start), bisect_left(self.times, end)
        return list(zip(self.times[i:j], self.values[i:j]))
