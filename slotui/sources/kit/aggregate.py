"""Bucketed aggregation of record values: the SLI arithmetic of the local sources.

A :class:`ValueSeries` keeps, per epoch-aligned slice ``[k*L, (k+1)*L)``, the
times and values of the records that fell into it, plus aggregates computed
lazily and cached until the slice changes (sum, count, min, max, the sorted
values). A window ``[start, end)`` is answered from the cached aggregates of
the slices it covers whole and a time filter over the (at most two) slices it
cuts, so appending records never rescans old ones and a window query costs one
step per slice. :class:`RatioSeries` does the same for good/total counts.
A slice's sum is correctly rounded (:func:`math.fsum`); a window's sum adds
those rounded sums with ``fsum``, so its error is bounded by the magnitudes
summed (``sum(|v|) * 2**-52``), not by the result: heavy cancellation across
slices (``1``, ``1e308``, ``-1e308``) can lose the small terms.

Quantiles use linear interpolation between closest ranks, the definition of
DuckDB's ``quantile_cont``, numpy's default (``method="linear"``) and
Hyndman & Fan type 7: for sorted values ``v`` of length ``n`` and ``q`` in
``[0, 1]``, ``h = (n - 1) * q``, result ``v[floor(h)] + (h - floor(h)) *
(v[ceil(h)] - v[floor(h)])``. A window quantile over many slices is found by
selection across the slices' sorted runs without merging them; when numpy is
loaded (a columnar read loaded it), slices of numpy size are not sorted at all:
the ranks are selected from their values by ``np.partition`` (the same floats;
a zero at a rank read, where ``-0.0`` and ``0.0`` tie, goes the exact path), and
a whole slice's quantile is cached until the slice changes.

No data is ``None``, never NaN: a window or slice without values has no value.
"""

from __future__ import annotations

import math
import re
import struct
import sys
from array import array
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import repeat
from operator import le, mul as _mul, sub as _sub
from typing import Any, Callable, Iterable, Sequence

from slotui.core.intervals import quantile_ranks
from slotui.core.sums import _finite, array_sum_terms, array_sum_terms_batch, exact_sum, mean_of_terms, sum_terms, tail

__all__ = [
    "Agg",
    "parse_agg",
    "quantile_sorted",
    "kth_smallest",
    "ValueSeries",
    "RatioSeries",
    "WindowAccumulator",
    "quantile_runs",
    "WindowSpread",
    "spread_of_runs",
    "spread_of_moments",
    "moments_of",
]


@dataclass(frozen=True, slots=True)
class Agg:
    """An aggregation: ``kind`` is mean, sum, count, min, max or quantile (with ``q`` in [0, 1])."""

    kind: str
    q: float = 0.0

    def __str__(self) -> str:
        if self.kind == "quantile":
            return f"p{self.percent:g}"
        return self.kind

    @property
    def percent(self) -> float:
        """The quantile as a percentile (``q`` 0.999 -> 99.9)."""
        return round(self.q * 100.0, 9)


_QUANTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")
#: a percentile as written: no leading zeros (``p5``, ``p50``, ``p0.5``; not ``p05`` or ``p050``)
_PERCENT = re.compile(r"^(?:0|[1-9]\d*)(?:\.\d+)?$")
_ALIASES = {"avg": "mean", "average": "mean", "mean": "mean", "sum": "sum", "count": "count",
            "min": "min", "max": "max", "median": "p50"}
_EXPECTED = "expected mean (avg), sum, count, min, max, median or a quantile p0..p100 (p95, p99.9)"


@lru_cache(maxsize=256)
def parse_agg(text: str) -> Agg:
    """The one aggregate grammar (config ``sli.agg``, alert-rule conditions, every source).

    Case and surrounding blanks do not matter. ``mean`` (also ``avg``,
    ``average``), ``sum``, ``count``, ``min``, ``max``; ``median`` is ``p50``;
    ``pNN`` is the NN-th percentile for NN from 0 to 100 with an optional
    fraction: ``p0`` is the minimum and ``p100`` (also ``p100.0``) the maximum,
    ``p99.9`` is the 0.999 quantile. A percentile with a leading zero
    (``p050``, ``p05``) is refused: it is ambiguous. ``str()`` of the result is
    the canonical spelling (``p100.0`` -> ``p100``, ``avg`` -> ``mean``).

    Raises ValueError naming what was wrong and the accepted forms.
    """
    name = _ALIASES.get(text.strip().lower(), text.strip().lower())
    if name in ("mean", "sum", "count", "min", "max"):
        return Agg(name)
    match = _QUANTILE.match(name)
    if match:
        digits = match.group(1)
        if not digits.isascii():  # p９５ (fullwidth), p٩٥ (Arabic-Indic): \d reads them
            raise ValueError(f"unknown aggregation {text!r}: percentile digits must be ASCII 0-9 "
                             f"(non-ASCII digits are not accepted); {_EXPECTED}")
        if not _PERCENT.match(digits):
            raise ValueError(f"unknown aggregation {text!r}: a percentile has no leading zero "
                             f"(write p{float(digits):g}); {_EXPECTED}")
        pct = float(digits)
        if pct <= 100.0:
            return Agg("quantile", round(pct / 100.0, 12))  # p99.9 is 0.999, not 0.9990000000000001
        raise ValueError(f"unknown aggregation {text!r}: a percentile is at most p100; {_EXPECTED}")
    raise ValueError(f"unknown aggregation {text!r}: {_EXPECTED}")


def _lerp(a: float, b: float, f: float) -> float:
    """``a + (b - a) * f`` (the quantile definition), without overflow when ``b - a`` would."""
    span = b - a
    if span - span == 0.0:
        return a + span * f
    return a * (1.0 - f) + b * f


def quantile_sorted(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation quantile (DuckDB ``quantile_cont``) of sorted ``values``; None when empty."""
    n = len(values)
    if n == 0:
        return None
    h = (n - 1) * q
    lo = math.floor(h)
    hi = math.ceil(h)
    if lo == hi:
        return float(values[lo])
    a, b = values[lo], values[hi]
    return _lerp(a, b, h - lo)


# --------------------------------------------------------------------------- selection across sorted runs

_PACK = struct.Struct("<d")
_UNPACK_Q = struct.Struct("<q")


def _order_key(x: float) -> int:
    """Map a float to an int with the same order (for bisection over the float line)."""
    (i,) = _UNPACK_Q.unpack(_PACK.pack(x))
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF) - 1


def _from_key(k: int) -> float:
    i = k if k >= 0 else (-(k + 1)) | -0x8000000000000000
    (x,) = _PACK.unpack(_UNPACK_Q.pack(i))
    return x


def _count_le(runs: Sequence[Sequence[float]], x: float) -> int:
    return sum(map(bisect_right, runs, repeat(x)))


def kth_smallest(runs: Sequence[Sequence[float]], k: int) -> float:
    """The ``k``-th smallest value (0-based) of the union of sorted ``runs``, without merging them.

    Bisects over the ordered bit patterns of doubles (at most 64 steps), each
    step counting values ``<= x`` with one binary search per run.
    """
    lo_v = min(r[0] for r in runs if len(r))
    hi_v = max(r[-1] for r in runs if len(r))
    lo, hi = _order_key(lo_v), _order_key(hi_v)
    while lo < hi:
        mid = (lo + hi) // 2
        if _count_le(runs, _from_key(mid)) >= k + 1:
            hi = mid
        else:
            lo = mid + 1
    return _from_key(lo)


def _next_after(runs: Sequence[Sequence[float]], x: float) -> float | None:
    best = None
    for r in runs:
        i = bisect_right(r, x)
        if i < len(r) and (best is None or r[i] < best):
            best = r[i]
    return best


def quantile_runs(runs: Sequence[Sequence[float]], q: float) -> float | None:
    """:func:`quantile_sorted` of the union of sorted runs (merges small inputs, selects in big ones)."""
    runs = [r for r in runs if len(r)]
    n = sum(len(r) for r in runs)
    if n == 0:
        return None
    if len(runs) == 1:
        return quantile_sorted(runs[0], q)
    if n <= 60_000 or len(runs) * 64 > n // 4:
        merged: list[float] = []
        for r in runs:
            merged.extend(r)
        merged.sort()
        return quantile_sorted(merged, q)
    h = (n - 1) * q
    lo = math.floor(h)
    a = kth_smallest(runs, lo)
    if h == lo:
        return a
    b = a if _count_le(runs, a) >= lo + 2 else _next_after(runs, a)
    assert b is not None
    return _lerp(a, b, h - lo)


def select_ranks(parts: Sequence[Any], ranks: Sequence[int], np: Any) -> list[float] | None:
    """The values of the 0-based ``ranks`` in the union of ``parts`` (numpy arrays or lists of
    floats, in any order), found by ``np.partition`` (a selection, no sort); None when one of them
    is a zero or not a number: there ``-0.0`` and ``0.0`` tie, while :func:`kth_smallest` and a
    stable sort order them, so the exact path answers."""
    if len(parts) == 1 and not isinstance(parts[0], list):
        values = np.partition(parts[0], list(ranks))  # (a copy: the part may be a slice's own values)
    else:
        values = np.concatenate([np.asarray(p, dtype=np.float64) for p in parts])
        values.partition(list(ranks))  # (in place: the concatenation is a copy already)
    picked = values[list(ranks)].tolist()
    if not all(v != 0.0 and v == v for v in picked):
        return None
    return picked


def quantile_parts(parts: Sequence[Any], n: int, q: float, np: Any) -> float | None:
    """:func:`quantile_sorted` of the ``n`` values in ``parts`` (:func:`select_ranks`); None when
    the exact path must answer (a zero at a rank read)."""
    h = (n - 1) * q
    lo = math.floor(h)
    if h == lo:
        got = select_ranks(parts, [lo], np)
        return None if got is None else got[0]
    got = select_ranks(parts, [lo, lo + 1], np)
    return None if got is None else _lerp(got[0], got[1], h - lo)


# --------------------------------------------------------------------------- value series

#: Largest window sample a source carries for a percentile's interval (SPEC 10.2: memory is bounded).
SAMPLE_LIMIT = 1000
#: slices at least this long are sorted by numpy when it is already loaded (a columnar read)
_NUMPY_SORT = 64


#: values summed per numpy batch by :meth:`ValueSeries.prime` (whole slices): its temporaries (a
#: dozen arrays of this many values) stay in the cache and in memory already mapped
_PRIME_BLOCK = 1 << 15


def _blocks(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """``[a, b)`` index ranges cutting ``sizes`` into runs of at most :data:`_PRIME_BLOCK` in total (a
    longer size alone), in order."""
    limit = _PRIME_BLOCK
    out: list[tuple[int, int]] = []
    start = total = 0
    for i, size in enumerate(sizes):
        if total and total + size > limit:
            out.append((start, i))
            start, total = i, 0
        total += size
    if start < len(sizes):
        out.append((start, len(sizes)))
    return out


def _prime_quantiles(slices: Sequence["_ValueSlice"], q: float) -> None:
    """The ``q`` quantile of each of ``slices`` of numpy size with none cached and not sorted yet, as
    :meth:`_ValueSlice.quantile` would answer it, for many slices at once: slices of similar sizes are
    the rows of one array (padded with +inf, which sorts after every number) sorted row by row, one
    numpy call for all of them instead of a selection per slice (~60 us each, mostly numpy's per-call
    cost). A slice with a zero at a rank read, or holding a NaN, is left to :meth:`_ValueSlice.quantile`:
    there ``-0.0`` and ``0.0`` tie, and a stable sort orders them. Only when numpy is loaded (a columnar read)."""
    np = sys.modules.get("numpy")  # never imported here
    if np is None:
        return
    todo = sorted((sl for sl in slices if sl._sorted is None and _PRIME_BLOCK >= len(sl.values) >= _NUMPY_SORT
                   and (sl._quantiles is None or q not in sl._quantiles)), key=lambda sl: len(sl.values))
    a = 0
    while a < len(todo) - 1:
        b = a + 1  # rows of at most _PRIME_BLOCK values in all, padding included (sizes ascending)
        while b < len(todo) and (b + 1 - a) * len(todo[b].values) <= _PRIME_BLOCK:
            b += 1
        rows = todo[a:b]
        width = len(rows[-1].values)
        block = np.full((len(rows), width), np.inf)
        for i, sl in enumerate(rows):
            block[i, : len(sl.values)] = np.frombuffer(sl.values, dtype=np.float64)
        block.sort(axis=1)
        nan = np.isnan(block[:, -1]).tolist()  # (NaN sorts after the padding: a row holding one ends with it)
        h = [(len(sl.values) - 1) * q for sl in rows]
        lo = [math.floor(x) for x in h]
        at = np.arange(len(rows))
        low = block[at, lo].tolist()
        high = block[at, [min(i + 1, len(sl.values) - 1) for i, sl in zip(lo, rows)]].tolist()
        for sl, x, i, va, vb, odd in zip(rows, h, lo, low, high, nan):
            if odd or va == 0.0 or vb == 0.0:
                continue  # (quantile() answers: a stable sort orders -0.0 and 0.0; NaN is the exact path's)
            value = va if x == i else _lerp(va, vb, x - i)
            if sl._quantiles is None:
                sl._quantiles = {}
            sl._quantiles[q] = value
        a = b


@dataclass(frozen=True, slots=True)
class WindowSpread:
    """``n`` and what the interval of a window aggregate needs (see :meth:`ValueSeries.window_spread`)."""

    n: int
    stddev: float | None = None
    sample: tuple[float, ...] = ()
    interval: tuple[float, float] | None = None


def moments_of(values: Sequence[float], total: float | None = None) -> tuple[int, float, float]:
    """``(n, mean, M2)`` of ``values`` (two passes; M2 is the sum of squared deviations from the mean).

    ``total``: ``math.fsum(values)`` when the caller has it (a slice's cached sum). The deviations
    are computed by ``map`` (the same IEEE operations as ``(v - mean) * (v - mean)`` per value,
    without a Python frame per value)."""
    n = len(values)
    if n == 0:
        return 0, 0.0, 0.0
    try:  # values near the float limit overflow the sums: no spread (the value has its own exact path)
        mean = (math.fsum(values) if total is None else total) / n
        if not math.isfinite(mean):
            return n, mean, math.nan
        np = sys.modules.get("numpy")  # loaded by a columnar read; never imported here
        if np is not None and n >= _NUMPY_SORT and isinstance(values, array):
            # the same IEEE operations per value, vectorised: the same squares, the same fsum
            deviations = np.frombuffer(values, dtype=np.float64) - mean
            with np.errstate(over="ignore"):  # (an infinite square: fsum's inf or OverflowError below)
                squares = deviations * deviations
            terms = array_sum_terms(squares, np)  # fsum's sum, in int64 limbs (None: fsum must tell)
            return n, mean, terms[0] if terms is not None else math.fsum(squares.tolist())
        deviations = list(map(_sub, values, repeat(mean, n)))
        return n, mean, math.fsum(map(_mul, deviations, deviations))
    except OverflowError:
        return n, math.nan, math.nan


def spread_of_moments(parts: Sequence[tuple[int, float, float]]) -> WindowSpread:
    """:class:`WindowSpread` of a mean from per-slice ``(n, mean, M2)``, merged pairwise (Chan et al. 1979)."""
    n, mean, m2 = 0, 0.0, 0.0
    for nb, mb, m2b in parts:
        if nb == 0:
            continue
        total = n + nb
        delta = mb - mean  # inf - inf is NaN, never an exception: a non-finite slice ends with no spread
        mean += delta * nb / total
        m2 += m2b + delta * delta * n * nb / total
        n = total
    if n < 2 or not math.isfinite(m2) or m2 < 0:
        return WindowSpread(n)
    stddev = math.sqrt(m2 / (n - 1))
    return WindowSpread(n, stddev=stddev if math.isfinite(stddev) else None)


def spread_of_runs(
    agg: Agg, runs: Sequence[Sequence[float]], confidence: float = 0.95, limit: int = SAMPLE_LIMIT
) -> WindowSpread:
    """:class:`WindowSpread` of a window's values given as runs (sorted runs for quantiles).

    Means: the sample standard deviation (``n - 1``; None for ``n < 2``).
    Quantiles: the sorted sample when ``n <= limit``, else the order-statistic
    interval at ``confidence`` selected from the runs without merging them.
    """
    runs = [r for r in runs if len(r)]
    n = sum(len(r) for r in runs)
    if agg.kind == "mean":
        if n < 2:
            return WindowSpread(n)
        try:  # values near the float limit overflow the sums: no spread
            mean = math.fsum(math.fsum(r) for r in runs) / n
            if not math.isfinite(mean):
                return WindowSpread(n)
            square = math.fsum(math.fsum((v - mean) * (v - mean) for v in r) for r in runs)
        except OverflowError:
            return WindowSpread(n)
        if not math.isfinite(square):
            return WindowSpread(n)
        stddev = math.sqrt(square / (n - 1))
        return WindowSpread(n, stddev=stddev if math.isfinite(stddev) else None)
    if agg.kind == "quantile" and n:
        if n <= limit:
            return WindowSpread(n, sample=tuple(sorted(v for r in runs for v in r)))
        ranks = quantile_ranks(n, agg.q, confidence)
        if ranks is not None:
            return WindowSpread(n, interval=(kth_smallest(runs, ranks[0] - 1), kth_smallest(runs, ranks[1] - 1)))
    return WindowSpread(n)


def _find_pair(times: array, other: array, t: float, v: float) -> int:
    """Index of the last ``(t, v)`` pair, searching from the end (retractions are recent)."""
    for i in range(len(times) - 1, -1, -1):
        if times[i] == t and other[i] == v:
            return i
    return -1


def _in_time_order(times: array) -> bool:
    """True when ``times`` never decrease (a log written in time order: a cut is a bisection)."""
    return all(map(le, times, times[1:]))


class _ValueSlice:
    __slots__ = ("times", "values", "_sorted", "_sum", "_terms", "_min", "_max", "_moments", "_in_order",
                 "_quantiles")

    def __init__(self) -> None:
        self.times = array("d")
        self.values = array("d")
        self._sorted: list[float] | None = None
        self._sum: float | Fraction | None = None
        self._terms: list[float | Fraction] | None = None
        self._min: float | None = None
        self._max: float | None = None
        self._moments: tuple[int, float, float] | None = None
        self._in_order: bool | None = None
        #: q -> the slice's quantile (cached: a slice's value is asked every tick)
        self._quantiles: dict[float, float] | None = None

    def changed(self) -> None:
        self._sorted = None
        self._quantiles = None
        self._sum = None
        self._terms = None
        self._min = None
        self._max = None
        self._moments = None
        self._in_order = None

    def _cut(self, start: float, end: float) -> tuple[int, int] | None:
        """``(i, j)``: the values with a time in ``[start, end)`` are ``values[i:j]`` (times in order);
        None when the times are not in order."""
        if self._in_order is None:
            self._in_order = _in_time_order(self.times)
        if not self._in_order:
            return None
        i = bisect_left(self.times, start)
        return i, bisect_left(self.times, end, i)

    def count_between(self, start: float, end: float) -> int:
        cut = self._cut(start, end)
        if cut is not None:
            return cut[1] - cut[0]
        return sum(1 for t in self.times if start <= t < end)

    def moments(self) -> tuple[int, float, float]:
        """``(n, mean, M2)`` of the slice's values (M2: sum of squared deviations), cached."""
        if self._moments is None:
            total = self.total()  # cached: the mean's sum is the slice's sum
            self._moments = moments_of(self.values, total if type(total) is float else None)
        return self._moments

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile of the slice's values (:func:`quantile_sorted`), cached. A slice of
        numpy size not sorted yet is answered by selection (:func:`quantile_parts`), the same value."""
        cached = self._quantiles.get(q) if self._quantiles is not None else None
        if cached is not None:
            return cached
        n = len(self.values)
        if n == 0:
            return None
        value = None
        np = sys.modules.get("numpy")  # loaded by a columnar read; never imported here
        if self._sorted is None and np is not None and n >= _NUMPY_SORT:
            value = quantile_parts([np.frombuffer(self.values, dtype=np.float64)], n, q, np)
        if value is None:
            value = quantile_sorted(self.sorted_values(), q)
        if self._quantiles is None:
            self._quantiles = {}
        self._quantiles[q] = value  # type: ignore[assignment]
        return value

    def sorted_values(self) -> list[float]:
        if self._sorted is None:
            np = sys.modules.get("numpy")  # loaded by a columnar read; never imported here
            if np is not None and len(self.values) >= _NUMPY_SORT:
                # a stable sort by ``<``, as sorted(): the same list (-0.0 and 0.0 keep their order)
                self._sorted = np.sort(np.frombuffer(self.values, dtype=np.float64), kind="stable").tolist()
            else:
                self._sorted = sorted(self.values)
        return self._sorted

    def total(self) -> float | Fraction:
        if self._sum is None:
            self._exact()
        return self._sum  # type: ignore[return-value]

    def terms(self) -> list[float | Fraction]:
        """The sum as :func:`sum_terms` (the rounded sum and its residuals), cached."""
        if self._terms is None:
            self._exact()
        return self._terms  # type: ignore[return-value]

    def _exact(self, vector: Any = None) -> None:
        """The slice's exact sum and its terms, from one list of its values (``fsum`` over a list
        reads floats it holds; over the array it makes one per value, per pass). ``vector``: the
        values as a numpy array whose int64 sum declined (:meth:`ValueSeries.prime`)."""
        values: Sequence[float] = self.values
        np = sys.modules.get("numpy")  # loaded by a columnar read; never imported here
        if vector is None and np is not None and len(values) >= _NUMPY_SORT:
            vector = np.frombuffer(self.values, dtype=np.float64)
            terms = array_sum_terms(vector, np)  # the same terms, in int64 (None: fsum must tell)
            if terms is not None:
                self._sum, self._terms = terms[0], terms  # type: ignore[assignment]
                return
        if vector is not None:
            values = vector.tolist()
        total = exact_sum(values)
        self._sum = total
        self._terms = [total, *tail(values, total)] if type(total) is float else [total]

    def minimum(self) -> float:
        if self._min is None:
            self._min = self._sorted[0] if self._sorted is not None else min(self.values)
        return self._min

    def maximum(self) -> float:
        if self._max is None:
            self._max = self._sorted[-1] if self._sorted is not None else max(self.values)
        return self._max

    def values_between(self, start: float, end: float) -> list[float]:
        cut = self._cut(start, end)
        if cut is not None:
            return self.values[cut[0]:cut[1]].tolist()
        return [v for t, v in zip(self.times, self.values) if start <= t < end]


class WindowAccumulator:
    """Accumulates one aggregate from whole slices, summaries and loose values."""

    __slots__ = ("agg", "count", "sums", "lo", "hi", "runs", "arrays")

    def __init__(self, agg: Agg) -> None:
        self.agg = agg
        self.count = 0
        self.sums: list[float | Fraction] = []
        self.lo: float | None = None
        self.hi: float | None = None
        self.runs: list[Sequence[float]] = []
        #: a quantile's slices of numpy size, unsorted (numpy arrays over their values), when numpy is
        #: loaded: the window's value is selected from them (:func:`quantile_parts`), no slice sorted
        self.arrays: list[Any] = []

    def add_slice(self, sl: _ValueSlice) -> None:
        n = len(sl.values)
        if n == 0:
            return
        kind = self.agg.kind
        self.count += n
        if kind in ("mean", "sum"):
            self.sums.extend(sl.terms())
        elif kind == "min":
            m = sl.minimum()
            self.lo = m if self.lo is None or m < self.lo else self.lo
        elif kind == "max":
            m = sl.maximum()
            self.hi = m if self.hi is None or m > self.hi else self.hi
        elif kind == "quantile":
            np = sys.modules.get("numpy")  # loaded by a columnar read; never imported here
            if np is not None and n >= _NUMPY_SORT:
                self.arrays.append(np.frombuffer(sl.values, dtype=np.float64))
            else:
                self.runs.append(sl.sorted_values())

    def add_summary(self, count: int, total: float | Fraction, lo: float, hi: float,
                    run: Callable[[], Sequence[float]] | None = None) -> None:
        """A group of ``count`` values with sum ``total``, min ``lo``, max ``hi``;
        ``run()`` gives them sorted (called only for quantiles)."""
        if count <= 0:
            return
        kind = self.agg.kind
        self.count += count
        if kind in ("mean", "sum"):
            self.sums.append(total)
        elif kind == "min":
            self.lo = lo if self.lo is None or lo < self.lo else self.lo
        elif kind == "max":
            self.hi = hi if self.hi is None or hi > self.hi else self.hi
        elif kind == "quantile":
            assert run is not None
            self.runs.append(run())

    def add_values(self, values: list[float]) -> None:
        if not values:
            return
        kind = self.agg.kind
        self.count += len(values)
        if kind in ("mean", "sum"):
            self.sums.extend(sum_terms(values))
        elif kind == "min":
            m = min(values)
            self.lo = m if self.lo is None or m < self.lo else self.lo
        elif kind == "max":
            m = max(values)
            self.hi = m if self.hi is None or m > self.hi else self.hi
        elif kind == "quantile":
            values.sort()
            self.runs.append(values)

    def result(self) -> float | None:
        if self.count == 0:
            return None
        kind = self.agg.kind
        if kind == "count":
            return float(self.count)
        if kind == "sum":
            return _finite(exact_sum(self.sums), "sum", self.count)
        if kind == "mean":
            return mean_of_terms(self.sums, self.count)
        if kind == "min":
            return self.lo
        if kind == "max":
            return self.hi
        if self.arrays:
            value = quantile_parts([*self.arrays, *self.runs], self.count, self.agg.q, sys.modules["numpy"])
            if value is not None:
                return value
            return quantile_runs([*self.runs, *(sorted(a.tolist()) for a in self.arrays)], self.agg.q)
        return quantile_runs(self.runs, self.agg.q)


class _SliceIndex:
    """Slices keyed by index ``k`` (start ``k * length``), with a sorted key list for range scans."""

    __slots__ = ("length", "slices", "keys", "_last_key", "_last")

    def __init__(self, length: float) -> None:
        if not length > 0:
            raise ValueError("slice length must be positive")
        self.length = float(length)
        self.slices: dict[int, object] = {}
        self.keys: list[int] = []
        self._last_key: int | None = None
        self._last: object = None

    def key_range(self, start: float, end: float) -> list[int]:
        """Keys of slices overlapping ``[start, end)``."""
        k0 = math.floor(start / self.length)
        k1 = math.floor(end / self.length)
        i, j = bisect_left(self.keys, k0), bisect_right(self.keys, k1)
        return self.keys[i:j]

    def prune(self, before: float) -> None:
        """Forget slices that end at or before ``before``."""
        k = math.floor(before / self.length)  # slice k ends at (k+1)*L > before: keep it
        i = bisect_left(self.keys, k)
        for key in self.keys[:i]:
            del self.slices[key]
        del self.keys[:i]
        self._last_key = None
        self._last = None

    def clear(self) -> None:
        self.slices.clear()
        self.keys.clear()
        self._last_key = None
        self._last = None

    def _make_slice(self) -> object:
        raise NotImplementedError

    def slice_for(self, key: int) -> Any:
        """The slice with index ``key`` (created when new), marked as changed: the caller appends to it."""
        sl = self.slices.get(key)
        if sl is None:
            sl = self.slices[key] = self._make_slice()
            self._new_key(key)
        else:
            sl.changed()  # type: ignore[attr-defined]
        self._last_key = None
        return sl

    def _new_key(self, key: int) -> None:
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)
        else:
            insort(self.keys, key)


class ValueSeries(_SliceIndex):
    """Numeric values of records per slice; answers any :class:`Agg` per slice and per window."""

    __slots__ = ()

    def _make_slice(self) -> _ValueSlice:
        return _ValueSlice()

    def add(self, t: float, value: float) -> None:
        """Record ``value`` at time ``t`` (epoch seconds)."""
        key = int(t // self.length)
        if key == self._last_key:
            sl = self._last
        else:
            sl = self.slices.get(key)
            if sl is None:
                sl = self.slices[key] = _ValueSlice()
                self._new_key(key)
            self._last_key, self._last = key, sl
        sl.times.append(t)  # type: ignore[union-attr]
        sl.values.append(value)  # type: ignore[union-attr]
        sl._sorted = sl._quantiles = None  # type: ignore[union-attr]
        sl._sum = sl._terms = sl._min = sl._max = sl._moments = sl._in_order = None  # type: ignore[union-attr]

    def extend(self, times: Iterable[float], values: Iterable[float]) -> None:
        for t, v in zip(times, values):
            self.add(t, v)

    def remove(self, t: float, value: float) -> bool:
        """Retract one ``(t, value)`` added before; False when it is not held (e.g. pruned)."""
        sl = self.slices.get(int(t // self.length))
        if sl is None:
            return False
        i = _find_pair(sl.times, sl.values, t, value)  # type: ignore[union-attr]
        if i < 0:
            return False
        del sl.times[i]  # type: ignore[union-attr]
        del sl.values[i]  # type: ignore[union-attr]
        sl.changed()  # type: ignore[union-attr]
        return True

    def __len__(self) -> int:
        return sum(len(s.values) for s in self.slices.values())  # type: ignore[attr-defined]

    def prime(self, agg: Agg) -> None:
        """Work out at once what ``agg`` needs of every slice of numpy size whose cache was cleared:
        sums (means and sums) and moments (means), as :meth:`_ValueSlice.terms` and
        :meth:`_ValueSlice.moments` would one slice at a time (the same floats: those sum in int64
        limbs too, :func:`~slotui.core.sums.array_sum_terms_batch`, and fsum what it declines),
        without numpy's per-call cost per slice. Only when numpy is loaded (a columnar read)."""
        np = sys.modules.get("numpy")  # never imported here
        if np is None or agg.kind not in ("mean", "sum"):
            return
        big = [sl for sl in self.slices.values() if len(sl.values) >= _NUMPY_SORT]  # type: ignore[attr-defined]
        unsummed = [sl for sl in big if sl._terms is None]
        if len(unsummed) > 1:
            vectors = [np.frombuffer(sl.values, dtype=np.float64) for sl in unsummed]
            for a, b in _blocks([v.size for v in vectors]):
                done = array_sum_terms_batch(np.concatenate(vectors[a:b]), [v.size for v in vectors[a:b]], np)
                for sl, vector, terms in zip(unsummed[a:b], vectors[a:b], done):
                    if terms is None:
                        sl._exact(vector)  # fsum tells
                    else:
                        sl._sum, sl._terms = terms[0], terms
        if agg.kind != "mean":
            return
        # moments_of's numpy path, for every slice at once: the same deviations, the same squares
        todo = [sl for sl in big if sl._moments is None and type(sl.total()) is float]
        means = [sl.total() / len(sl.values) for sl in todo]  # type: ignore[operator]
        todo = [(sl, m) for sl, m in zip(todo, means) if math.isfinite(m)]
        if len(todo) <= 1:
            return
        counts = [len(sl.values) for sl, _ in todo]
        for a, b in _blocks(counts):
            values = np.concatenate([np.frombuffer(sl.values, dtype=np.float64) for sl, _ in todo[a:b]])
            deviations = values - np.repeat(np.array([m for _, m in todo[a:b]]), counts[a:b])
            with np.errstate(over="ignore"):  # (an infinite square: fsum's inf below)
                squares = np.multiply(deviations, deviations, out=deviations)
            for (sl, mean), n, terms in zip(todo[a:b], counts[a:b], array_sum_terms_batch(squares, counts[a:b], np)):
                if terms is None:
                    sl.moments()  # fsum tells (or overflows: no spread)
                else:
                    sl._moments = (n, mean, terms[0])

    def window(self, agg: Agg, start: float, end: float) -> float | None:
        """``agg`` over values with time in ``[start, end)``; None when there are none."""
        self.prime(agg)
        acc = WindowAccumulator(agg)
        length = self.length
        for key in self.key_range(start, end):
            sl: _ValueSlice = self.slices[key]  # type: ignore[assignment]
            s0 = key * length
            if s0 >= start and s0 + length <= end:
                acc.add_slice(sl)
            else:
                acc.add_values(sl.values_between(start, end))
        return acc.result()

    def window_count(self, start: float, end: float) -> int:
        """How many values have a time in ``[start, end)`` (the ``n`` of :meth:`window_spread`)."""
        n = 0
        length = self.length
        for key in self.key_range(start, end):
            sl: _ValueSlice = self.slices[key]  # type: ignore[assignment]
            s0 = key * length
            if s0 >= start and s0 + length <= end:
                n += len(sl.values)
            else:
                n += sl.count_between(start, end)
        return n

    def window_spread(
        self, agg: Agg, start: float, end: float, confidence: float = 0.95, limit: int = SAMPLE_LIMIT
    ) -> WindowSpread:
        """What the interval of ``agg`` over ``[start, end)`` needs (SPEC 10.2).

        Always ``n``. Means: the sample standard deviation (``n - 1``; None for
        ``n < 2``). Quantiles: the sorted sample when ``n <= limit`` (memory is
        bounded), else the order-statistic interval at ``confidence`` selected
        from the slices' sorted runs. One pass over the window's values for a
        mean; nothing beyond the cached runs for a quantile.
        """
        self.prime(agg)
        length = self.length
        runs: list[Sequence[float]] = []
        parts: list[tuple[int, float, float]] = []
        mean = agg.kind == "mean"
        np = sys.modules.get("numpy") if agg.kind == "quantile" else None  # (never imported here)
        arrays: list[Any] = []  # whole slices of numpy size: selected from unsorted, as window() does
        for key in self.key_range(start, end):
            sl: _ValueSlice = self.slices[key]  # type: ignore[assignment]
            s0 = key * length
            if s0 >= start and s0 + length <= end:
                if len(sl.values):
                    if mean:  # cached per slice: a window costs one step per slice
                        parts.append(sl.moments())
                    elif np is not None and len(sl.values) >= _NUMPY_SORT:
                        arrays.append(np.frombuffer(sl.values, dtype=np.float64))
                    else:
                        runs.append(sl.sorted_values() if agg.kind == "quantile" else sl.values)
            else:
                cut = sl.values_between(start, end)
                if cut:
                    if mean:
                        parts.append(moments_of(cut))
                    else:
                        runs.append(sorted(cut) if agg.kind == "quantile" else cut)
        if mean:
            return spread_of_moments(parts)
        if arrays:
            n = sum(len(r) for r in runs) + sum(a.size for a in arrays)
            ranks = quantile_ranks(n, agg.q, confidence) if n > limit else None
            if ranks is not None:
                got = select_ranks([*arrays, *runs], [ranks[0] - 1, ranks[1] - 1], np)
                if got is not None:
                    return WindowSpread(n, interval=(got[0], got[1]))
            runs.extend(sorted(a.tolist()) for a in arrays)  # (the exact path: a zero at a rank read)
        return spread_of_runs(agg, runs, confidence, limit)

    def slice_values(self, agg: Agg, start: float, end: float) -> list[tuple[float, float]]:
        """``(slice_start, agg)`` per slice whose start is in ``[start, end)`` with data before ``end``.

        The slice holding ``end`` is cut at ``end`` (records at or after ``end`` are ignored).
        """
        self.prime(agg)
        out: list[tuple[float, float]] = []
        length = self.length
        if agg.kind == "quantile":
            whole = [self.slices[key] for key in self.key_range(start, end)
                     if key * length >= start and (key + 1) * length <= end]
            _prime_quantiles(whole, agg.q)  # type: ignore[arg-type]
        for key in self.key_range(start, end):
            s0 = key * length
            if s0 < start:
                continue
            sl: _ValueSlice = self.slices[key]  # type: ignore[assignment]
            if s0 + length <= end and agg.kind == "quantile":
                value = sl.quantile(agg.q)  # (cached per slice)
                if value is not None:
                    out.append((s0, value))
                continue
            acc = WindowAccumulator(agg)
            if s0 + length <= end:
                acc.add_slice(sl)
            else:
                acc.add_values(sl.values_between(s0, end))
            value = acc.result()
            if value is not None:
                out.append((s0, value))
        return out


# --------------------------------------------------------------------------- ratio series


class _CountSlice:
    __slots__ = ("times", "good", "_good", "_in_order")

    def __init__(self) -> None:
        self.times = array("d")
        self.good = array("b")
        self._good: int | None = None
        self._in_order: bool | None = None

    def changed(self) -> None:
        self._good = None
        self._in_order = None

    def good_count(self) -> int:
        if self._good is None:
            self._good = self.good.tobytes().count(1)  # every item is 0 or 1
        return self._good

    def counts_between(self, start: float, end: float) -> tuple[int, int]:
        if self._in_order is None:
            self._in_order = _in_time_order(self.times)
        if self._in_order:
            i = bisect_left(self.times, start)
            j = bisect_left(self.times, end, i)
            return sum(self.good[i:j]), j - i
        g = n = 0
        for t, ok in zip(self.times, self.good):
            if start <= t < end:
                n += 1
                g += ok
        return g, n


class RatioSeries(_SliceIndex):
    """Good/total event counts per slice."""

    __slots__ = ()

    def _make_slice(self) -> _CountSlice:
        return _CountSlice()

    def add(self, t: float, good: bool) -> None:
        key = int(t // self.length)
        if key == self._last_key:
            sl = self._last
        else:
            sl = self.slices.get(key)
            if sl is None:
                sl = self.slices[key] = _CountSlice()
                self._new_key(key)
            self._last_key, self._last = key, sl
        sl.times.append(t)  # type: ignore[union-attr]
        sl.good.append(1 if good else 0)  # type: ignore[union-attr]
        sl._good = sl._in_order = None  # type: ignore[union-attr]

    def remove(self, t: float, good: bool) -> bool:
        sl = self.slices.get(int(t // self.length))
        if sl is None:
            return False
        i = _find_pair(sl.times, sl.good, t, 1 if good else 0)  # type: ignore[union-attr]
        if i < 0:
            return False
        del sl.times[i]  # type: ignore[union-attr]
        del sl.good[i]  # type: ignore[union-attr]
        sl._good = sl._in_order = None  # type: ignore[union-attr]
        return True

    def __len__(self) -> int:
        return sum(len(s.times) for s in self.slices.values())  # type: ignore[attr-defined]

    def window(self, start: float, end: float) -> tuple[int, int]:
        """``(good, total)`` of events with time in ``[start, end)``."""
        g = n = 0
        length = self.length
        for key in self.key_range(start, end):
            sl: _CountSlice = self.slices[key]  # type: ignore[assignment]
            s0 = key * length
            if s0 >= start and s0 + length <= end:
                g += sl.good_count()
                n += len(sl.times)
            else:
                dg, dn = sl.counts_between(start, end)
                g += dg
                n += dn
        return g, n

    def buckets(self, start: float, end: float) -> list[tuple[float, float, float]]:
        """``(slice_start, good, total)`` per slice whose start is in ``[start, end)``, cut at ``end``."""
        out: list[tuple[float, float, float]] = []
        length = self.length
        for key in self.key_range(start, end):
            s0 = key * length
            if s0 < start:
                continue
            sl: _CountSlice = self.slices[key]  # type: ignore[assignment]
            if s0 + length <= end:
                g, n = sl.good_count(), len(sl.times)
            else:
                g, n = sl.counts_between(s0, end)
            if n:
                out.append((s0, float(g), float(n)))
        return out
