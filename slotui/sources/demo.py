"""The ``demo`` source: deterministic synthetic support-bot traffic with scripted incidents.

The traffic is a pure function of ``(seed, time)``: any past moment can be
answered without state, so ``check --at`` replays work and two runs agree to
the last digit. Records follow the request-record schema of SPEC section 8
(``time``, ``trace_id``, ``service.name``, ``gen_ai.request.model``,
``duration_s``, ``duration_ms``, ``gen_ai.usage.input_tokens`` /
``output_tokens``, ``gen_ai.usage.cost``, ``error.type``, and ``evaluations``
with ``helpfulness`` and ``accuracy`` scores), so every SLI the file source
answers works on the demo too.

How the traffic is made. Time is cut into 5-minute cells (epoch-aligned).
A cell holds ``n`` requests (about ``rate * 300``, with a daily swing and
noise), spread evenly over the cell. Within a cell every numeric field is
*stratified*: the cell's values of a field are exactly the quantiles
``Q((k + 0.5) / n)``, ``k = 0 .. n-1``, of that field's distribution in the
cell, handed to the requests in a seeded random order. Latency is
log-normal (sigma 0.45, its p95 set by the schedule), scores are uniform
around the scheduled mean, cost is uniform on ``[0.5, 1.5] x`` the scheduled
mean; exactly ``round(n * p)`` requests of a cell fail, with ``error.type``
cycling through ``timeout``, ``rate_limit`` and ``server_error``.

Because of that construction the aggregate of a whole cell (mean, sum, count,
min, max, any quantile of those fields; good/total of conditions on
``error.type``) is computed in O(1) from the cell's parameters, and equals
what aggregating the materialised records gives. SLOs with a 5-minute slice
over those fields are answered that way (30 days of availability buckets
cost a few milliseconds); the cells a window cuts, and any other SLI (a
``where`` filter, another field, another slice length), are answered from
materialised records through the same aggregation code as the file source
(cached per cell; a custom SLI over a 7-day period materialises ~1.2 million
records at the default rate, a few seconds on the first fetch).

The schedule (UTC; it repeats every week, epoch day index mod 7 = weekday
slot). Base values swing gently with the time of day (busiest around 15:00):
p95 latency 1300-1800 ms, helpfulness 0.875-0.905, accuracy 0.92-0.94,
cost 0.031-0.039 usd, 0.15% errors.

=========================  ==========================  ====================================
incident                   when (slot: time)           effect
=========================  ==========================  ====================================
error burst                every day 06:00, 2m ramp,   error rate -> 19% .. 26% (by slot)
                           25m hold
latency spike              0: 15:00, 3: 06:00;         p95 latency -> 8000 ms
                           5m ramp, 22m hold
helpfulness drop           1: 09:00, 4: 21:00 (same)   helpfulness -> 0.30
accuracy drop              2: 18:00, 5: 11:00 (same)   accuracy -> 0.30
cost creep                 6: 16:00, 1h ramp, 10m      mean cost -> 0.09 usd, then back
                           fall
=========================  ==========================  ====================================

With the example SLOs (``slotui/slos.example.yaml``: 1h window, 7d period
with 0.99 slice compliance; availability 99.5% over 30d with the 1h/5m,
6h/30m and 1d/2h burn-rate tiers) this gives at every moment two or three
different statuses (availability's 30-day budget runs at 5-15% left, so it
sits AT RISK between incidents, while the threshold SLOs keep about 40% of
their budget and show OK), and on every day all of OK, AT RISK, WARNING and
CRITICAL: the error burst pages (CRITICAL) for about ten minutes, and the
day's threshold incident passes through AT RISK and WARNING to CRITICAL (the
cost creep stops at WARNING). ``tests/unit/test_demo_source.py`` checks this.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
from dataclasses import replace
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import repeat, starmap
from typing import TYPE_CHECKING, Any

try:  # the C function behind statistics.NormalDist.inv_cdf (same results, no statistics import)
    from _statistics import _normal_dist_inv_cdf
except ImportError:  # pragma: no cover - CPython has it; other interpreters take the public API
    from statistics import NormalDist as _NormalDist

    def _normal_dist_inv_cdf(p: float, mu: float, sigma: float) -> float:
        return _NormalDist(mu, sigma).inv_cdf(p)

from slotui.config.expressions import ExpressionError, compile_expression
from slotui.core.forecast import basis_start, window_seconds, window_span
from slotui.core.periods import period_bounds
from slotui.core.breakdown import breakdown_window
from slotui.core.types import GroupData, SLIData, SLOSpec
from slotui.core.sums import _DENOMINATOR, sum_terms
from slotui.sources.kit.aggregate import Agg, WindowAccumulator, WindowSpread, _lerp, spread_of_runs
from slotui.sources.kit.label_groups import label_of
from slotui.sources.kit.series_book import SeriesBook, SpecProblem, spec_agg, retention

if TYPE_CHECKING:
    from slotui.config.model import Defaults, DemoSourceConfig

__all__ = ["DemoSource", "DemoTraffic", "CELL", "FAST_FIELDS"]

#: length of a traffic cell (seconds); SLOs with this slice take the O(1) path
CELL = 300.0
#: fields whose per-cell aggregates are computed without materialising records
FAST_FIELDS = frozenset(
    {"duration_ms", "duration_s", "evaluations.helpfulness", "evaluations.accuracy", "gen_ai.usage.cost"}
)
ERROR_TYPES = ("timeout", "rate_limit", "server_error")
#: the _Cell attribute that is the mean of a field over the cell (see DemoTraffic.cell_mean)
_MEAN_ATTR = {"evaluations.helpfulness": "help", "evaluations.accuracy": "acc", "gen_ai.usage.cost": "cost"}
#: permutation salt per stratified field
_SALT = {"duration_ms": 1, "evaluations.helpfulness": 2, "evaluations.accuracy": 3, "gen_ai.usage.cost": 4, "error": 5}
_BASE_FIELD = {"duration_s": "duration_ms"}
MODELS = ("gpt-4o", "gpt-4o-mini")
#: request routes (record ``j`` of a cell takes ``ROUTES[j % 3]``) and prompt versions
ROUTES = ("/chat", "/search", "/summarize")
PROMPT_VERSIONS = ("v12", "v13")
#: an error burst fails gpt-4o-mini's requests first (``j % 4 == 3``); a latency spike is
#: the /search route's (``j % 3 == 1``): the breakdown (SPEC 10.1) has a culprit to find
_BURST_SHARE = 0.01
_SPIKE_P95_MS = 3000.0
LATENCY_SIGMA = 0.45


def _INV_CDF(p: float) -> float:  # noqa: N802
    """``NormalDist().inv_cdf(p)`` for ``0 < p < 1`` (the standard normal quantile)."""
    return _normal_dist_inv_cdf(p, 0.0, 1.0)


_Z95 = _INV_CDF(0.95)
_M64 = 0xFFFFFFFFFFFFFFFF
HOUR = 3600.0
DAY = 86400.0


def _mix(x: int) -> int:
    """splitmix64 finaliser: a well-spread 64-bit hash of ``x``."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _pulse(t: float, period: float, offset: float, ramp: float, hold: float) -> float:
    """0..1 trapezoid repeating every ``period``: ramp up, hold, ramp down, then 0."""
    x = (t - offset) % period
    if x < ramp:
        return x / ramp
    x -= ramp
    if x < hold:
        return 1.0
    x -= hold
    if x < ramp:
        return 1.0 - x / ramp
    return 0.0


def _lerp(a: float, b: float, f: float) -> float:
    return a + (b - a) * f


#: the daily error burst's peak error rate, by day of the week (epoch day index mod 7)
_BURST_PEAK = (0.20, 0.19, 0.22, 0.20, 0.19, 0.21, 0.26)
#: which threshold incident runs on which day of the week (epoch day index mod 7), and when
_INCIDENTS = {
    0: ("latency", 15 * HOUR), 1: ("helpfulness", 9 * HOUR), 2: ("accuracy", 18 * HOUR),
    3: ("latency", 6 * HOUR), 4: ("helpfulness", 21 * HOUR), 5: ("accuracy", 11 * HOUR),
    6: ("cost", 16 * HOUR),
}


def error_rate(t: float) -> float:
    """Scheduled share of failing requests at ``t``: 0.15%, and a daily burst at 06:00 UTC."""
    day = int(t // DAY)
    burst = _pulse(t, DAY, 6 * HOUR, 120.0, 25 * 60.0) * _BURST_PEAK[day % 7]
    return max(0.0015, burst)


def schedule(t: float) -> tuple[float, float, float, float]:
    """Scheduled ``(p95 latency ms, helpfulness mean, accuracy mean, cost mean)`` at ``t``."""
    hour = (t % DAY) / HOUR
    swing = math.sin(2 * math.pi * (hour - 9.0) / 24.0)  # busiest around 15:00 UTC
    p95 = 1550.0 + 250.0 * swing
    helpfulness = 0.89 - 0.015 * swing
    accuracy = 0.93 - 0.01 * swing
    cost = 0.035 + 0.004 * swing
    day = int(t // DAY)
    kind, at = _INCIDENTS[day % 7]
    x = t - day * DAY - at
    if kind == "cost":
        # a prompt change makes answers longer: cost creeps up for an hour, then the change is reverted
        if 0 <= x < HOUR:
            cost = _lerp(cost, 0.09, x / HOUR)
        elif HOUR <= x < HOUR + 600:
            cost = _lerp(0.09, cost, (x - HOUR) / 600)
        return p95, helpfulness, accuracy, cost
    f = _pulse(x, 2 * DAY, 0.0, 5 * 60.0, 22 * 60.0) if x >= 0 else 0.0
    if kind == "latency":
        p95 = math.exp(_lerp(math.log(p95), math.log(8000.0), f))
    elif kind == "helpfulness":
        helpfulness = _lerp(helpfulness, 0.30, f)
    else:
        accuracy = _lerp(accuracy, 0.30, f)
    return p95, helpfulness, accuracy, cost


WEEK_CELLS = int(7 * DAY // CELL)
CELLS_PER_DAY = int(DAY // CELL)
_PROFILE: dict[int, tuple[float, float, float, float, float, float]] = {}


def _profile(index: int) -> tuple[float, float, float, float, float, float]:
    """``(traffic factor, error rate, p95 ms, helpfulness, accuracy, cost)`` of a cell.

    The schedule repeats every week (all its periods divide 7 days), so the
    profile is computed once per cell of the week.
    """
    key = index % WEEK_CELLS
    cached = _PROFILE.get(key)
    if cached is None:
        mid = (key + 0.5) * CELL + (index - key) * CELL  # the cell's own midpoint
        hour = (mid % DAY) / HOUR
        factor = 1.0 + 0.35 * math.sin(2 * math.pi * (hour - 9.0) / 24.0)
        cached = (factor, error_rate(mid), *schedule(mid))
        _PROFILE[key] = cached
    return cached


def _favour(order: list[int], chosen: list[bool], *, first: bool) -> list[int]:
    """Ranks re-dealt so the ``chosen`` requests take the lowest (``first``) or highest ranks,
    each side keeping its seeded order: the cell's set of values is unchanged, only who has which."""
    ranked = sorted(range(len(order)), key=lambda j: (chosen[j] != first, order[j]))
    out = [0] * len(order)
    for rank, j in enumerate(ranked):
        out[j] = rank
    return out


#: the label fields of a demo request, from its position ``j`` in its cell (as records() writes them)
_LABELS = {
    "gen_ai.request.model": lambda j: MODELS[1] if j % 4 == 3 else MODELS[0],
    "route": lambda j: ROUTES[j % 3],
    "prompt.version": lambda j: PROMPT_VERSIONS[1] if j % 5 == 0 else PROMPT_VERSIONS[0],
    "service.name": lambda j: "support-bot",
}


def _shuffle_inline(rng: random.Random, x: list[int]) -> None:
    """``rng.shuffle(x)`` with ``Random._randbelow_with_getrandbits`` written in the loop (one Python
    call less per element: a replay shuffles every cell of a month). The same draws, the same order."""
    getrandbits = rng.getrandbits
    for i in reversed(range(1, len(x))):
        n = i + 1
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        x[i], x[r] = x[r], x[i]


def _shuffle_library(rng: random.Random, x: list[int]) -> None:
    rng.shuffle(x)


def _pick_shuffle() -> Any:
    """The inlined shuffle where this Python's ``Random.shuffle`` is the loop it copies (checked on a
    few permutations), else the library's."""
    if random.Random._randbelow is not random.Random._randbelow_with_getrandbits:  # type: ignore[attr-defined]
        return _shuffle_library
    for seed, n in ((1, 600), (2**63 + 5, 37), (7, 2)):
        a, b = list(range(n)), list(range(n))
        random.Random(seed).shuffle(a)
        _shuffle_inline(random.Random(seed), b)
        if a != b:
            return _shuffle_library
    return _shuffle_inline


_shuffle = _pick_shuffle()


@lru_cache(maxsize=256)
def _compiled(text: str) -> Any:
    """:func:`compile_expression` of a ratio condition, once per text (expressions are immutable)."""
    return compile_expression(text)


@lru_cache(maxsize=4096)
def _label_list(name: str, n: int) -> list[str]:
    """``_LABELS[name](j)`` for ``j`` in ``range(n)`` (the labels of a cell of ``n`` requests)."""
    label = _LABELS[name]
    return [label(j) for j in range(n)]


class _Cell:
    """Parameters of one 5-minute cell."""

    __slots__ = ("index", "start", "n", "errors", "mu", "help", "acc", "cost", "_zs")

    def __init__(self, index: int, n: int, errors: int) -> None:
        self.index = index
        self.start = index * CELL
        self.n = n
        self.errors = errors
        self.mu = 0.0
        self.help = 0.0
        self.acc = 0.0
        self.cost = 0.0


class DemoTraffic:
    """The synthetic traffic: cells, their aggregates, and materialised records."""

    def __init__(self, seed: int = 7, rate: float = 2.0) -> None:
        self.seed = int(seed)
        self.rate = float(rate)
        self._key = _mix(self.seed & _M64)
        self._counts: dict[int, tuple[int, int]] = {}
        self._cells: dict[int, _Cell] = {}
        self._records: dict[int, list[dict[str, Any]]] = {}
        self._blocks: dict[int, list[float]] = {}
        self._failing: dict[int, list[tuple[int, int]]] = {}
        self._orders: dict[tuple[int, int], list[int]] = {}
        self._sorted: dict[tuple[int, str], list[float]] = {}
        self._time_cache: dict[int, list[float]] = {}
        #: (cell, field) -> the cell's values of the field in time order (see values_between)
        self._in_time_order: dict[tuple[int, str], list[float]] = {}
        #: (cell, field) -> (2**-1074 units per unit, exact prefix sums of those values) (see exact_between)
        self._exact_prefixes: dict[tuple[int, str], tuple[int, list[int]]] = {}

    # ---------------------------------------------------------------- randomness

    def _noise(self, index: int) -> tuple[list[float], int]:
        """The uniforms of cell ``index``: ``(block, offset)``, 8 floats from ``block[offset]``.

        One seeded Mersenne Twister per day of cells draws all of that day's
        uniforms at once (stable across Python versions for an integer seed).
        """
        block, i = divmod(index, CELLS_PER_DAY)
        draws = self._blocks.get(block)
        if draws is None:
            rng = random.Random(_mix(self._key ^ _mix(block & _M64)))
            draws = list(starmap(rng.random, repeat((), CELLS_PER_DAY * 8)))
            if len(self._blocks) > 400:
                self._blocks.clear()
            self._blocks[block] = draws
        return draws, i * 8

    # ---------------------------------------------------------------- cells

    def counts(self, index: int) -> tuple[int, int]:
        """``(requests, failed requests)`` of cell ``index``."""
        cached = self._counts.get(index)
        if cached is not None:
            return cached
        profile = _PROFILE.get(index % WEEK_CELLS) or _profile(index)
        expected = self.rate * CELL * profile[0]
        draws, o = self._noise(index)
        noise = (draws[o] + draws[o + 1] + draws[o + 2] - 1.5) * 2.0  # roughly N(0, 1)
        n = max(0, int(round(expected + math.sqrt(expected) * noise)))
        errors = min(n, int(n * profile[1] + draws[o + 3]))  # randomised rounding
        if len(self._counts) > 50_000:
            self._counts.clear()
        self._counts[index] = (n, errors)
        return n, errors

    def counts_range(self, first: int, last: int) -> list[tuple[int, int]]:
        """:meth:`counts` of cells ``first .. last`` (one tight loop: 30 days are ~8,600 cells)."""
        cache = self._counts
        if len(cache) > 50_000:
            cache.clear()
        out: list[tuple[int, int]] = []
        append = out.append
        profiles = _PROFILE
        base = self.rate * CELL
        sqrt = math.sqrt
        blocks = self._blocks
        index = first
        while index <= last:  # one day block of noise at a time
            block, i0 = divmod(index, CELLS_PER_DAY)
            stop = min(last + 1, (block + 1) * CELLS_PER_DAY)
            draws = blocks.get(block) or self._noise(index)[0]
            o0, o1 = i0 * 8, (stop - block * CELLS_PER_DAY) * 8
            for index, a, b, c, d in zip(range(index, stop), draws[o0:o1:8], draws[o0 + 1:o1:8],
                                         draws[o0 + 2:o1:8], draws[o0 + 3:o1:8]):
                cached = cache.get(index)
                if cached is None:
                    profile = profiles.get(index % WEEK_CELLS) or _profile(index)
                    expected = base * profile[0]
                    n = int(round(expected + sqrt(expected) * (a + b + c - 1.5) * 2.0))
                    if n < 0:
                        n = 0
                    errors = int(n * profile[1] + d)
                    cached = cache[index] = (n, errors if errors < n else n)
                append(cached)
            index = stop
        return out

    def cells_range(self, first: int, last: int) -> list[_Cell]:
        """:meth:`cell` of cells ``first .. last`` (one tight loop)."""
        counts = self.counts_range(first, last)
        cells = self._cells
        if len(cells) > 50_000:
            cells.clear()
        out: list[_Cell] = []
        append = out.append
        profiles = _PROFILE
        blocks = self._blocks
        log = math.log
        shift = LATENCY_SIGMA * _Z95
        for index, (n, errors) in zip(range(first, last + 1), counts):
            c = cells.get(index)
            if c is None:
                c = _Cell(index, n, errors)
                _, _, p95, helpfulness, accuracy, cost = profiles.get(index % WEEK_CELLS) or _profile(index)
                block, i = divmod(index, CELLS_PER_DAY)
                draws = blocks.get(block) or self._noise(index)[0]
                o = i * 8
                c.mu = log(p95) - shift + (draws[o + 4] - 0.5) * 0.1
                c.help = helpfulness + (draws[o + 5] - 0.5) * 0.02
                c.acc = accuracy + (draws[o + 6] - 0.5) * 0.02
                c.cost = cost * (1.0 + (draws[o + 7] - 0.5) * 0.05)
                cells[index] = c
            append(c)
        return out

    def cell(self, index: int) -> _Cell:
        cached = self._cells.get(index)
        if cached is not None:
            return cached
        n, errors = self.counts(index)
        c = _Cell(index, n, errors)
        _, _, p95, helpfulness, accuracy, cost = _profile(index)
        draws, o = self._noise(index)
        u1, u2, u3, u4 = draws[o + 4 : o + 8]
        c.mu = math.log(p95) - LATENCY_SIGMA * _Z95 + (u1 - 0.5) * 0.1
        c.help = helpfulness + (u2 - 0.5) * 0.02
        c.acc = accuracy + (u3 - 0.5) * 0.02
        c.cost = cost * (1.0 + (u4 - 0.5) * 0.05)
        if len(self._cells) > 50_000:
            self._cells.clear()
        self._cells[index] = c
        return c

    # ---------------------------------------------------------------- stratified values

    @staticmethod
    def _score_width(mean: float) -> float:
        return min(0.1, mean, 1.0 - mean)

    def value(self, c: _Cell, field: str, k: int) -> float:
        """The ``k``-th smallest value (0-based) of ``field`` in cell ``c``."""
        u = (k + 0.5) / c.n
        if field == "duration_ms":
            return math.exp(c.mu + LATENCY_SIGMA * _INV_CDF(u))
        if field == "duration_s":
            return math.exp(c.mu + LATENCY_SIGMA * _INV_CDF(u)) / 1000.0
        if field == "evaluations.helpfulness":
            w = self._score_width(c.help)
            return c.help - w + 2.0 * w * u
        if field == "evaluations.accuracy":
            w = self._score_width(c.acc)
            return c.acc - w + 2.0 * w * u
        if field == "gen_ai.usage.cost":
            return c.cost * (0.5 + u)
        raise KeyError(field)

    def sorted_values(self, c: _Cell, field: str) -> list[float]:
        """The cell's values of ``field`` in ascending order (cached for the latest cells)."""
        key = (c.index, field)
        cached = self._sorted.get(key)
        if cached is None or len(cached) != c.n:
            if len(self._sorted) > 1024:
                self._sorted.clear()
            cached = self._sorted[key] = self._new_sorted_values(c, field)
        return cached

    def _new_sorted_values(self, c: _Cell, field: str) -> list[float]:
        n = c.n
        if field == "duration_ms" or field == "duration_s":
            mu, exp, inv = c.mu, math.exp, _normal_dist_inv_cdf
            values = [exp(mu + LATENCY_SIGMA * inv((k + 0.5) / n, 0.0, 1.0)) for k in range(n)]
            return values if field == "duration_ms" else [v / 1000.0 for v in values]
        # the linear fields (value() with u = (k + 0.5) / n), without a method call per value
        if field == "evaluations.helpfulness" or field == "evaluations.accuracy":
            mean = c.help if field == "evaluations.helpfulness" else c.acc
            w = self._score_width(mean)
            base, step = mean - w, 2.0 * w
        elif field == "gen_ai.usage.cost":
            cost = c.cost
            return [cost * (0.5 + (k + 0.5) / n) for k in range(n)]
        else:
            raise KeyError(field)
        return [base + step * ((k + 0.5) / n) for k in range(n)]

    def cell_mean(self, c: _Cell, field: str) -> float:
        if field in ("duration_ms", "duration_s"):
            return math.fsum(self.sorted_values(c, field)) / c.n
        if field == "evaluations.helpfulness":
            return c.help
        if field == "evaluations.accuracy":
            return c.acc
        return c.cost  # gen_ai.usage.cost: mean of cost * (0.5 + u) over the strata

    def cell_aggregate(self, c: _Cell, field: str, agg: Agg) -> float | None:
        """``agg`` of ``field`` over the whole cell, without materialising it."""
        n = c.n
        if n == 0:
            return None
        if agg.kind == "count":
            return float(n)
        if agg.kind == "mean":
            return self.cell_mean(c, field)
        if agg.kind == "sum":
            return self.cell_mean(c, field) * n
        if agg.kind == "min":
            return self.value(c, field, 0)
        if agg.kind == "max":
            return self.value(c, field, n - 1)
        h = (n - 1) * agg.q
        lo, hi = math.floor(h), math.ceil(h)
        a = self.value(c, field, lo)
        if lo == hi:
            return a
        b = self.value(c, field, hi)
        return a + (b - a) * (h - lo)

    # ---------------------------------------------------------------- records

    def records(self, index: int) -> list[dict[str, Any]]:
        """The requests of cell ``index`` as SPEC section 8 records (time order)."""
        cached = self._records.get(index)
        if cached is not None:
            return cached
        c = self.cell(index)
        n = c.n
        ranks = {field: self._order(index, salt, n) for field, salt in _SALT.items()}
        times = self._times(c)
        out: list[dict[str, Any]] = []
        for j in range(n):
            ms = self.value(c, "duration_ms", ranks["duration_ms"][j])
            cost = self.value(c, "gen_ai.usage.cost", ranks["gen_ai.usage.cost"][j])
            err_rank = ranks["error"][j]
            helpfulness = self.value(c, "evaluations.helpfulness", ranks["evaluations.helpfulness"][j])
            accuracy = self.value(c, "evaluations.accuracy", ranks["evaluations.accuracy"][j])
            out.append({
                "time": times[j],
                "trace_id": f"{self.seed & 0xFFFF:04x}{index:012x}{j:016x}",
                "service.name": "support-bot",
                "gen_ai.request.model": _LABELS["gen_ai.request.model"](j),
                "route": _LABELS["route"](j),
                "prompt.version": _LABELS["prompt.version"](j),
                "duration_ms": ms,
                "duration_s": ms / 1000.0,
                "gen_ai.usage.input_tokens": int(round(cost * 0.6 / 2.5e-6)),
                "gen_ai.usage.output_tokens": int(round(cost * 0.4 / 1.0e-5)),
                "gen_ai.usage.cost": cost,
                "error.type": ERROR_TYPES[err_rank % 3] if err_rank < c.errors else None,
                "evaluations": [
                    {"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": helpfulness},
                    {"gen_ai.evaluation.name": "accuracy", "gen_ai.evaluation.score.value": accuracy},
                ],
                "evaluations.helpfulness": helpfulness,
                "evaluations.accuracy": accuracy,
            })
        if len(self._records) > 64:
            self._records.pop(next(iter(self._records)))
        self._records[index] = out
        return out

    def _order(self, index: int, salt: int, n: int) -> list[int]:
        """The seeded permutation handing ranks of one field to the requests of a cell (cached: a
        cell is cut by a window's edges at several successive moments)."""
        key = (index, salt)
        cached = self._orders.get(key)
        if cached is None or len(cached) != n:
            if len(self._orders) > 1024:
                self._orders.clear()
            cached = self._orders[key] = self._new_order(index, salt, n)
        return cached

    def _new_order(self, index: int, salt: int, n: int) -> list[int]:
        order = list(range(n))
        _shuffle(random.Random(_mix(self._key ^ _mix((index << 4) | salt))), order)
        if salt == _SALT["error"] and n:
            c = self.cell(index)
            if c.errors > _BURST_SHARE * n:  # an error burst: gpt-4o-mini's requests fail first
                return _favour(order, [j % 4 == 3 for j in range(n)], first=True)
        elif salt == _SALT["duration_ms"] and n and _profile(index)[2] > _SPIKE_P95_MS:
            return _favour(order, [j % 3 == 1 for j in range(n)], first=False)  # /search is slow
        return order

    def _times(self, c: _Cell) -> list[float]:
        """The request times of cell ``c`` (cached for the latest cells: a window's edges cut a cell
        at several successive moments)."""
        cached = self._time_cache.get(c.index)
        if cached is None or len(cached) != c.n:
            if len(self._time_cache) > 1024:
                self._time_cache.clear()
            step = CELL / c.n if c.n else CELL
            start = c.start
            cached = self._time_cache[c.index] = [start + (j + 0.5) * step for j in range(c.n)]
        return cached

    def failing(self, index: int) -> list[tuple[int, int]]:
        """``(j, type)`` of the failing requests of cell ``index`` in time order (``type`` indexes
        ``ERROR_TYPES``), as :meth:`records` writes them; cached (breakdowns ask once per label)."""
        out = self._failing.get(index)
        if out is None:
            c = self.cell(index)
            order = self._order(index, _SALT["error"], c.n)
            errors = c.errors
            out = [(j, o % 3) for j, o in enumerate(order) if o < errors]
            if len(self._failing) > 50_000:
                self._failing.clear()
            self._failing[index] = out
        return out

    def _span(self, c: _Cell, start: float, end: float) -> range:
        """Indices (time order) of the cell's requests with ``start <= time < end``."""
        times = self._times(c)
        return range(bisect_left(times, start), bisect_left(times, end))

    def values_between(self, index: int, field: str, start: float, end: float) -> list[float]:
        """Values of ``field`` of the requests of cell ``index`` with ``start <= time < end``."""
        c = self.cell(index)
        span = self._span(c, start, end)
        if not span:
            return []
        return self._in_order(index, c, field)[span.start:span.stop]

    def _in_order(self, index: int, c: _Cell, field: str) -> list[float]:
        """The cell's values of ``field`` in time order (cached)."""
        key = (index, field)
        ordered = self._in_time_order.get(key)
        if ordered is None or len(ordered) != c.n:
            order = self._order(index, _SALT[_BASE_FIELD.get(field, field)], c.n)
            # the k-th smallest value is sorted_values()[k]: the same arithmetic as value(c, field, k)
            ranked = self.sorted_values(c, field)
            if len(self._in_time_order) > 1024:
                self._in_time_order.clear()
            ordered = self._in_time_order[key] = list(map(ranked.__getitem__, order))
        return ordered

    def exact_between(self, index: int, field: str, start: float, end: float) -> tuple[int, int]:
        """``(count, exact sum in units of 2**-1074)`` of :meth:`values_between`, from prefix sums
        kept per cell: a replay step cuts the same edge cells again and again (O(1) a step, not
        O(values))."""
        c = self.cell(index)
        span = self._span(c, start, end)
        if not span:
            return 0, 0
        key = (index, field)
        book = self._exact_prefixes.get(key)
        if book is None or len(book[1]) != c.n + 1:
            # in units of the cell's own smallest power of two (small integers), scaled once per answer
            ratios = [v.as_integer_ratio() for v in self._in_order(index, c, field)]
            unit = max((den for _, den in ratios), default=1)
            prefix, running = [0], 0
            for num, den in ratios:
                running += num * (unit // den)
                prefix.append(running)
            if len(self._exact_prefixes) > 1024:
                self._exact_prefixes.clear()
            book = self._exact_prefixes[key] = (_DENOMINATOR // unit, prefix)
        scale, prefix = book
        return len(span), (prefix[span.stop] - prefix[span.start]) * scale

    def count_between(self, index: int, start: float, end: float) -> int:
        """How many requests of cell ``index`` have ``start <= time < end``."""
        return len(self._span(self.cell(index), start, end))

    def counts_between(self, index: int, start: float, end: float) -> list[str | None]:
        """``error.type`` of the requests of cell ``index`` with ``start <= time < end``."""
        c = self.cell(index)
        span = self._span(c, start, end)
        if not span:
            return []
        if not c.errors:  # no request of the cell fails: no need for their order
            return [None] * len(span)
        order = self._order(index, _SALT["error"], c.n)
        return [ERROR_TYPES[order[j] % 3] if order[j] < c.errors else None for j in span]

    def records_between(self, start: float, end: float) -> list[dict[str, Any]]:
        """Every request with ``start <= time < end``."""
        out: list[dict[str, Any]] = []
        for index in range(math.floor(start / CELL), math.floor(end / CELL) + 1):
            out.extend(r for r in self.records(index) if start <= r["time"] < end)
        return out


# --------------------------------------------------------------------------- the source


def _error_only(text: str | None) -> bool:
    if text is None:
        return True
    try:
        return compile_expression(text).names <= {"error.type"}
    except ExpressionError:
        return False


class DemoSource:
    """The demo as a :class:`~slotui.sources.kit.base.Source`."""

    def __init__(
        self,
        name: str,
        config: "DemoSourceConfig | None" = None,
        *,
        base_dir: Any = None,
        defaults: "Defaults | None" = None,
    ) -> None:
        """``config`` None: the model's defaults (seed and rate)."""
        if config is None:
            from slotui.config.model import DemoSourceConfig

            config = DemoSourceConfig(type="demo")
        self.name = name
        self.config = config
        self.traffic = DemoTraffic(config.seed, config.rate)
        self._book = SeriesBook()
        self._ingested: set[int] = set()
        #: (cell, breakdown field, SLI) -> the whole cell's groups (SPEC 10.1)
        self._group_cache: dict[tuple[Any, ...], dict[str, list[float]]] = {}
        #: (field, aggregation) -> cell index -> the whole cell's slice (None: no requests)
        self._slice_cache: dict[tuple[str, Agg], dict[int, tuple[float, float] | None]] = {}
        #: (good, total conditions) -> cell index -> the whole cell's bucket (None: no events)
        self._bucket_cache: dict[tuple[Any, Any], dict[int, tuple[float, float, float] | None]] = {}
        #: replay steps: field -> (first cell, exact prefix sums over cells), see _prefix
        self._prefixes: dict[str, tuple[int, list[int]]] = {}
        #: replay steps: field -> cell -> its sorted values as an array (quantiles)
        self._sorted_arrays: dict[str, dict[int, Any]] = {}
        self._lock = threading.Lock()

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Answer every SLO as of ``now`` (pure function of the seed and ``now``).

        The O(1) path runs inline (milliseconds); when custom SLIs need many
        cells materialised (seconds on a first fetch) the work runs in a
        thread so the event loop stays responsive.
        """
        if self._pending_cells(slos, now) > 20:
            return await asyncio.to_thread(self.fetch_sync, slos, now)
        return self.fetch_sync(slos, now)

    def _pending_cells(self, slos: Sequence[SLOSpec], now: float) -> int:
        general = []
        for spec in slos:
            try:
                if not self._fast(spec):
                    general.append(spec)
            except SpecProblem:
                continue
        if not general:
            return 0
        lo, hi = self._cut_cells(now - retention(general), now)
        return sum(1 for i in range(lo, hi + 1) if i not in self._ingested)

    async def aclose(self) -> None:
        """Nothing to release."""

    def fetch_sync(self, slos: Sequence[SLOSpec], now: float) -> dict[str, SLIData]:
        """:meth:`fetch` without the event loop."""
        with self._lock:
            return self._fetch_locked(slos, now)

    def _fetch_locked(self, slos: Sequence[SLOSpec], now: float) -> dict[str, SLIData]:
        out: dict[str, SLIData] = {}
        general: list[SLOSpec] = []
        for spec in slos:
            try:
                if self._fast(spec):
                    out[spec.name] = self._answer_fast(spec, now)
                    if spec.breakdown:
                        out[spec.name] = replace(out[spec.name], groups=self._fast_groups(spec, out[spec.name], now))
                else:
                    if not self._book.has(spec):
                        self._book.add_spec(spec)
                        self._book.clear()  # the new series needs the cells fed before
                        self._ingested.clear()
                    general.append(spec)
            except SpecProblem as exc:
                out[spec.name] = SLIData(error=str(exc), fetched_at=now)
        if general:
            self._feed(general, now)
            for spec in general:
                out[spec.name] = self._book.answer(spec, now)
        return out

    # ---------------------------------------------------------------- O(1)-per-cell path

    def _fast(self, spec: SLOSpec) -> bool:
        if spec.slice != CELL:
            return False
        if spec.kind == "ratio":
            return bool(spec.good) and _error_only(spec.good) and _error_only(spec.total)
        if spec.sli_where or spec.sli_field not in FAST_FIELDS:
            return False
        spec_agg(spec)  # raises SpecProblem for an unknown aggregation
        return True

    def _cut_cells(self, start: float, end: float) -> tuple[int, int]:
        """First and last cell index overlapping ``[start, end)``."""
        return math.floor(start / CELL), math.floor(end / CELL)

    def _answer_fast(self, spec: SLOSpec, now: float, step: bool = False) -> SLIData:
        """The answer of an SLO on the O(1)-per-cell path. ``step`` (a replay step, see
        :meth:`replay_step`): the slices or buckets of the cell holding ``now`` only (the whole cells
        are handed over once by :meth:`replay_whole`), and no spread unless ``spec.significant``."""
        period_start, _ = period_bounds(spec, now)
        if spec.calendar_window is not None:  # a spend's slices cover its window too (exhausted_at, charts)
            period_start = min(period_start, window_span(spec, now)[0])
        first = math.ceil(period_start / CELL)
        last = math.floor(now / CELL)  # the cell holding now is cut at now
        traffic = self.traffic
        if spec.kind == "ratio":
            if step:  # the whole cells of the window only (all of them are in the period)
                buckets = self._whole_buckets(spec, max(first, math.ceil((now - spec.window) / CELL)), last - 1)
            else:
                buckets = self._whole_buckets(spec, first, last - 1)  # whole cells
            start = last * CELL  # the cell holding now, cut at now
            if last >= first and start < now:
                good, total = self._ratio_from_types(spec, traffic.counts_between(last, start, now))
                if total:
                    buckets.append((start, float(good), float(total)))
            w0 = now - spec.window
            # buckets are in time order: the window is a suffix of them
            lo, hi = 0, len(buckets)
            while lo < hi:
                mid = (lo + hi) // 2
                if buckets[mid][0] < w0:
                    lo = mid + 1
                else:
                    hi = mid
            in_window = buckets[lo:]
            good_w = sum(b[1] for b in in_window)
            total_w = sum(b[2] for b in in_window)
            value = good_w / total_w if total_w else None
            if step:
                return SLIData(value=value, buckets=tuple(b for b in buckets if b[0] >= last * CELL), fetched_at=now)
            return SLIData(value=value, buckets=tuple(buckets), fetched_at=now)
        agg = spec_agg(spec)
        field = spec.sli_field
        assert field is not None
        slices: list[tuple[float, float]] = []
        whole = last if (last + 1) * CELL <= now else last - 1  # last cell that ends by now
        if whole >= first and not step:
            slices.extend(self._whole_slices(field, agg, first, whole))
        for index in range(max(first, whole + 1), last + 1):  # the cell holding now, cut at now
            start = index * CELL
            acc = WindowAccumulator(agg)
            acc.add_values(traffic.values_between(index, field, start, now))
            value = acc.result()
            if value is not None:
                slices.append((start, value))
        count = None
        if step:
            def window_value(field: str, agg: Agg, start: float, end: float) -> float | None:
                return self._window_step(field, agg, start, end)[0]
        else:
            window_value = self._window_value
        basis = window_value(field, agg, basis_start(spec, now), now) if spec.forecast else None
        w0 = window_span(spec, now)[0]
        if spec.calendar_window is not None and agg.kind == "sum" and w0 >= period_start and w0 % CELL == 0:
            # a calendar sum: the cells of the window are slices already summed (the last one cut at now)
            if step:
                # fsum is correctly rounded: the exact sum of the whole cells' slices and the cut one
                value = self._exact_slices_sum(field, agg, math.ceil(w0 / CELL), whole, [v for t, v in slices if t >= w0])
            else:
                in_window = [v for t, v in slices if t >= w0]
                value = math.fsum(in_window) if in_window else None
        elif step:
            value, count = self._window_step(field, agg, w0, now)
        else:
            value = window_value(field, agg, w0, now)
        if step and not spec.significant:
            # n only: the interval changes no status
            spread = WindowSpread(count if count is not None else self._window_count(w0, now))
        else:
            spread = self._window_spread(field, agg, w0, now, spec.confidence)
        return SLIData(value=value, slices=tuple(slices), fetched_at=now, basis_value=basis, n=spread.n,
                       stddev=spread.stddev, sample=spread.sample, interval=spread.interval)

    # ---------------------------------------------------------------- replay (SPEC 10.3)

    def replay_whole(self, spec: SLOSpec, start: float, end: float) -> list | None:
        """The whole slices (threshold) or buckets (ratio) of ``spec`` with a start in ``[start, end)``
        (``end`` on a cell boundary), as every answer in that span holds them; None when ``spec`` is
        not on the O(1)-per-cell path (the replay then fetches it at every step)."""
        try:
            if not self._fast(spec) or spec.breakdown:
                return None
        except SpecProblem:
            return None
        first, last = math.ceil(start / CELL), math.floor(end / CELL) - 1
        if spec.kind == "ratio":
            return self._whole_buckets(spec, first, last)
        assert spec.sli_field is not None
        return self._whole_slices(spec.sli_field, spec_agg(spec), first, last)

    def replay_step(self, spec: SLOSpec, now: float) -> SLIData:
        """The answer at ``now`` of an SLO :meth:`replay_whole` took, without the whole cells: its
        slices or buckets are those of the cell holding ``now`` (cut at ``now``). Everything else is
        :meth:`fetch`'s answer, except the spread of the window value (``stddev``, ``sample``,
        ``interval``: only ``n`` unless ``spec.significant``, where the interval can change a status)."""
        with self._lock:
            return self._answer_fast(spec, now, step=True)

    def _window_count(self, start: float, end: float) -> int:
        """Requests with ``start <= time < end``."""
        traffic = self.traffic
        lo, hi = self._cut_cells(start, end)
        first, last = math.ceil(start / CELL), math.floor(end / CELL) - 1
        n = self._prefix("count", first, last) if first <= last else 0
        for index in {lo, hi}:
            c0 = index * CELL
            if not (c0 >= start and c0 + CELL <= end):
                n += traffic.count_between(index, max(start, c0), min(end, c0 + CELL))
        return n

    def _prefix(self, field: str, first: int, last: int) -> int:
        """Over the whole cells ``first .. last``: the request count (``field`` "count"), or the exact
        sum of ``cell_mean x n`` (what :meth:`_window_value` adds per cell) in units of 2**-1074."""
        book = self._prefixes.get(field)
        if book is None or first < book[0] or last >= book[0] + len(book[1]) - 1:
            lo = min(first, book[0]) if book is not None else first
            hi = max(last, book[0] + len(book[1]) - 2) if book is not None else last
            hi += 10 * CELLS_PER_DAY  # grow by days, not per step
            cum, running = [0], 0
            traffic = self.traffic
            for c in traffic.cells_range(lo, hi):
                if c.n:
                    if field == "count":
                        running += c.n
                    else:
                        num, den = (traffic.cell_mean(c, field) * c.n).as_integer_ratio()
                        running += num * (_DENOMINATOR // den)
                cum.append(running)
            book = self._prefixes[field] = (lo, cum)
        base, cum = book
        return cum[last + 1 - base] - cum[first - base]

    def _window_step(self, field: str, agg: Agg, start: float, end: float) -> tuple[float | None, int]:
        """:meth:`_window_value` in O(1) per whole cell and O(cut) at the window's edges, and the number
        of requests in the window. The same float: a sum is the per-cell sums and the cut values added
        exactly and rounded once, a mean that exact sum divided once (:func:`mean_of_terms`), so an
        exact prefix sum gives it; a quantile selects the same order
        statistics from the window's values."""
        if agg.kind not in ("mean", "sum", "quantile"):
            return self._window_value(field, agg, start, end), self._window_count(start, end)
        traffic = self.traffic
        lo, hi = self._cut_cells(start, end)
        first, last = math.ceil(start / CELL), math.floor(end / CELL) - 1
        edges = [index for index in dict.fromkeys((lo, hi))
                 if not (index * CELL >= start and index * CELL + CELL <= end)]
        whole = self._prefix("count", first, last) if first <= last else 0
        if agg.kind == "quantile":
            cuts = [traffic.values_between(i, field, max(start, i * CELL), min(end, i * CELL + CELL)) for i in edges]
            count = whole + sum(map(len, cuts))
            if count == 0:
                return None, 0
            return self._quantile_step(field, agg.q, first, last, cuts, count), count
        # the cut values' exact sum, as WindowAccumulator.add_values takes them (per cell prefix sums)
        parts = [traffic.exact_between(i, field, max(start, i * CELL), min(end, i * CELL + CELL)) for i in edges]
        count = whole + sum(n for n, _ in parts)
        if count == 0:
            return None, 0
        exact = (self._prefix(field, first, last) if first <= last else 0) + sum(e for _, e in parts)
        # integer division is correctly rounded: the mean is the exact sum divided once
        return (exact / _DENOMINATOR if agg.kind == "sum" else exact / (_DENOMINATOR * count)), count

    def _quantile_step(self, field: str, q: float, first: int, last: int, cuts: list[list[float]],
                       count: int) -> float:
        import numpy as np  # the replay only

        arrays = self._sorted_arrays.setdefault(field, {})
        runs = []
        for index in range(first, last + 1):
            run = arrays.get(index)
            if run is None:
                c = self.traffic.cell(index)
                run = arrays[index] = np.array(self.traffic.sorted_values(c, field) if c.n else (), dtype=float)
                if len(arrays) > 4 * CELLS_PER_DAY:
                    for old in [k for k in arrays if k < first]:
                        del arrays[old]
            runs.append(run)
        runs.extend(np.array(cut, dtype=float) for cut in cuts if cut)
        merged = np.concatenate(runs)
        h = (count - 1) * q
        i, j = math.floor(h), math.ceil(h)
        picked = np.partition(merged, [i, j] if i != j else [i])
        a = float(picked[i])
        if i == j:
            return a
        return _lerp(a, float(picked[j]), h - i)

    def _exact_slices_sum(self, field: str, agg: Agg, first: int, last: int, cut: list[float]) -> float | None:
        """fsum of the whole cells' slices ``first .. last`` and the values ``cut``; None when there are none."""
        if first > last and not cut:
            return None
        exact = self._prefix(field, first, last) if first <= last else 0
        if exact == 0 and not cut and self._prefix("count", first, last) == 0:
            return None
        for v in cut:
            num, den = v.as_integer_ratio()
            exact += num * (_DENOMINATOR // den)
        return exact / _DENOMINATOR

    def _whole_buckets(self, spec: SLOSpec, first: int, last: int) -> list[tuple[float, float, float]]:
        """The ``(start, good, total)`` buckets of whole cells ``first .. last`` (none without events),
        computed once per cell and condition and kept, as :meth:`_whole_slices`."""
        cache = self._bucket_cache.setdefault((spec.good, spec.total), {})
        missing = [i for i in range(first, last + 1) if i not in cache]
        if missing:
            if len(cache) > 50_000:
                cache.clear()
                missing = list(range(first, last + 1))
            good_of = self._ratio_classifier(spec)
            for index, (n, errors) in enumerate(self.traffic.counts_range(missing[0], missing[-1]), start=missing[0]):
                good, total = good_of(n, errors)
                cache[index] = (index * CELL, float(good), float(total)) if total else None
        get = cache.__getitem__
        return [b for b in map(get, range(first, last + 1)) if b is not None]

    def _whole_slices(self, field: str, agg: Agg, first: int, last: int) -> list[tuple[float, float]]:
        """The ``(start, value)`` slices of whole cells ``first .. last`` (cells without requests have none).

        A whole cell's aggregate never changes, so it is computed once per cell and kept: successive
        fetches (a refresh, every step of a replay) only compute the cells that are new since.
        """
        cache = self._slice_cache.setdefault((field, agg), {})
        missing = [i for i in range(first, last + 1) if i not in cache]
        if missing:
            if len(cache) > 50_000:
                cache.clear()
                missing = list(range(first, last + 1))
            cells = self.traffic.cells_range(missing[0], missing[-1])
            attr = _MEAN_ATTR.get(field) if agg.kind == "mean" else None
            aggregate = self.traffic.cell_aggregate
            for c in cells:
                # cell_aggregate of a mean is the cell's parameter
                value = (getattr(c, attr) if attr is not None else aggregate(c, field, agg)) if c.n else None
                cache[c.index] = (c.start, value) if value is not None else None
        get = cache.__getitem__
        return [p for p in map(get, range(first, last + 1)) if p is not None]

    def _window_spread(self, field: str, agg: Agg, start: float, end: float, confidence: float) -> WindowSpread:
        """``n`` and what the interval of the window's ``agg`` needs (SPEC 10.2)."""
        traffic = self.traffic
        runs: list[Sequence[float]] = []
        lo, hi = self._cut_cells(start, end)
        if agg.kind not in ("mean", "quantile"):
            # only n matters (spread_of_runs gives no spread for a sum, count, min or max): count the
            # requests, without the values (a month's spend window is ~1.7 million of them)
            n = 0
            for index in range(lo, hi + 1):
                c0 = index * CELL
                if c0 >= start and c0 + CELL <= end:
                    n += traffic.counts(index)[0]
                else:
                    n += len(traffic.values_between(index, field, max(start, c0), min(end, c0 + CELL)))
            return WindowSpread(n)
        for index in range(lo, hi + 1):
            c0 = index * CELL
            if c0 >= start and c0 + CELL <= end:
                c = traffic.cell(index)
                if c.n:
                    runs.append(traffic.sorted_values(c, field))
            else:
                runs.append(sorted(traffic.values_between(index, field, max(start, c0), min(end, c0 + CELL))))
        return spread_of_runs(agg, runs, confidence)

    def _window_value(self, field: str, agg: Agg, start: float, end: float) -> float | None:
        traffic = self.traffic
        acc = WindowAccumulator(agg)
        lo, hi = self._cut_cells(start, end)
        for index in range(lo, hi + 1):
            c0 = index * CELL
            if c0 >= start and c0 + CELL <= end:
                c = traffic.cell(index)
                if c.n == 0:
                    continue
                if agg.kind == "quantile":
                    acc.add_summary(c.n, 0.0, 0.0, 0.0, run=lambda c=c: traffic.sorted_values(c, field))
                else:
                    mean = traffic.cell_mean(c, field) if agg.kind in ("mean", "sum") else 0.0
                    acc.add_summary(c.n, mean * c.n, traffic.value(c, field, 0), traffic.value(c, field, c.n - 1))
            else:
                acc.add_values(traffic.values_between(index, field, max(start, c0), min(end, c0 + CELL)))
        return acc.result()

    def _ratio_classifier(self, spec: SLOSpec):  # type: ignore[no-untyped-def]
        """``(n, errors) -> (good, total)`` for conditions that read only ``error.type``."""
        good_expr = compile_expression(spec.good or "error.type == null")
        total_expr = compile_expression(spec.total) if spec.total else None
        kinds: list[tuple[int | None, bool, bool]] = []
        for kind in (None, 0, 1, 2):
            record = {"error.type": None if kind is None else ERROR_TYPES[kind]}
            in_total = total_expr is None or total_expr.test(record)
            kinds.append((kind, in_total, in_total and good_expr.test(record)))

        ok_flags = kinds[0][1:]
        error_flags = {k[1:] for k in kinds[1:]}
        if len(error_flags) == 1:  # every error type is treated alike: closed form
            (err_total, err_good), = error_flags
            ok_total, ok_good = ok_flags

            def classify_simple(n: int, errors: int) -> tuple[int, int]:
                ok = n - errors
                return (ok if ok_good else 0) + (errors if err_good else 0), (ok if ok_total else 0) + (
                    errors if err_total else 0)

            return classify_simple

        def classify(n: int, errors: int) -> tuple[int, int]:
            good = total = 0
            for kind, in_total, is_good in kinds:
                # errors get types by rank: rank r < errors has type r % 3
                count = n - errors if kind is None else (errors - kind + 2) // 3
                if in_total:
                    total += count
                    if is_good:
                        good += count
            return good, total

        return classify

    @staticmethod
    def _ratio_from_types(spec: SLOSpec, types: list[str | None]) -> tuple[int, int]:
        good_expr = _compiled(spec.good or "error.type == null")
        total_expr = _compiled(spec.total) if spec.total else None
        good = total = 0
        for error_type, count in Counter(types).items():  # the conditions read error.type only
            record = {"error.type": error_type}
            if total_expr is None or total_expr.test(record):
                total += count
                good += good_expr.test(record) * count
        return good, total

    # ---------------------------------------------------------------- breakdown (SPEC 10.1)

    def _fast_groups(self, spec: SLOSpec, data: SLIData, now: float) -> tuple[GroupData, ...]:
        """The breakdown groups of an SLO answered on the O(1) path, from the records of the
        cells its breakdown window covers (per whole cell computed once and cached)."""
        if spec.kind == "ratio":
            windows: dict[float, tuple[float, float]] = {}
            for tier in spec.tiers:
                w0 = now - tier.long_window
                inside = [b for b in data.buckets if b[0] >= w0]
                windows[tier.long_window] = (math.fsum(b[1] for b in inside), math.fsum(b[2] for b in inside))
            window = breakdown_window(spec, windows)
            test = self._ratio_test(spec)
        else:
            window = window_seconds(spec, now)  # a calendar window: to date
            test = None
        out = []
        for name in spec.breakdown:
            parts = self._label_parts(name, spec, test, now - window, now)
            if test is None:
                basis = None
                if spec.forecast:  # a forecast's groups: their spend over the basis too (SPEC 10.4)
                    basis = {k: (float(len(v)), sum_terms(v))
                             for k, v in self._label_parts(name, spec, test, basis_start(spec, now), now).items()}
                out.append(GroupData(by=name, window=window, values=parts, basis=basis))
            else:
                out.append(GroupData(by=name, window=window,
                                     counts={k: (float(sum(v)), float(len(v))) for k, v in parts.items()}))
        return tuple(out)

    def _label_parts(self, name: str, spec: SLOSpec, test: Any, start: float, now: float) -> dict[str, list[float]]:
        """``{label: values}`` (threshold) or ``{label: good flags}`` (ratio) of the requests in
        ``[start, now)``, from the cells that cover it (each whole cell's computed once and cached)."""
        lo, hi = self._cut_cells(start, now)
        parts: dict[str, list[float]] = {}
        for index in range(lo, hi + 1):
            c0 = index * CELL
            whole = c0 >= start and c0 + CELL <= now
            key = (index, name, spec.kind, spec.sli_field if test is None else (spec.good, spec.total))
            cell_parts = self._group_cache.get(key) if whole else None
            if cell_parts is None:
                cell_parts = self._cell_groups(index, name, spec, test, max(start, c0), min(now, c0 + CELL))
                if whole:
                    if len(self._group_cache) > 20_000:
                        self._group_cache.clear()
                    self._group_cache[key] = cell_parts
            for label, values in cell_parts.items():
                parts.setdefault(label, []).extend(values)
        return parts

    def _cell_groups(self, index: int, name: str, spec: SLOSpec, test: Any, start: float,
                     end: float) -> dict[str, list[float]]:
        """``{label: values}`` (threshold) or ``{label: good flags}`` (ratio) of a cell's requests in ``[start, end)``."""
        parts: dict[str, list[float]] = {}
        label = _LABELS.get(name)
        if test is not None and label is not None:
            # a ratio over error.type grouped by a label of the request's position: no records needed.
            # The condition only sees error.type: decide it once per type; count each label's requests
            # in the span and walk only the failing ones (a few per cell), not every request.
            c = self.traffic.cell(index)
            span = self.traffic._span(c, start, end)
            ok_flag = test({"error.type": None})
            type_flags = [test({"error.type": t}) for t in ERROR_TYPES[:3]]
            totals = Counter(_label_list(name, c.n)[span.start:span.stop])
            failed: dict[str, list[int]] = {}
            for j, t in self.traffic.failing(index):
                if span.start <= j < span.stop:
                    failed.setdefault(label(j), [0, 0, 0])[t] += 1
            for value, count in totals.items():
                by_type = failed.get(value, (0, 0, 0))
                flags: list[float] = []
                if ok_flag is not None:
                    flags += [ok_flag] * (count - sum(by_type))
                for t, k in enumerate(by_type):
                    if k and type_flags[t] is not None:
                        flags += [type_flags[t]] * k
                if flags:
                    parts[value] = flags
            return parts
        field = spec.sli_field
        for r in self.traffic.records(index):
            if not start <= r["time"] < end:
                continue
            if test is None:
                v = r.get(field)  # type: ignore[arg-type]
                if v is None:
                    continue
                flag = float(v)
            else:
                flag = test(r)
                if flag is None:
                    continue
            parts.setdefault(label_of(r.get(name)), []).append(flag)
        return parts

    @staticmethod
    def _ratio_test(spec: SLOSpec):  # type: ignore[no-untyped-def]
        """``record -> 1.0 (good) / 0.0 (bad) / None (not an event)``."""
        good_expr = compile_expression(spec.good or "error.type == null")
        total_expr = compile_expression(spec.total) if spec.total else None

        def test(record: Mapping[str, Any]) -> float | None:
            if total_expr is not None and not total_expr.test(record):
                return None
            return 1.0 if good_expr.test(record) else 0.0

        return test

    # ---------------------------------------------------------------- general path

    def _feed(self, specs: Sequence[SLOSpec], now: float) -> None:
        """Materialise the cells the general SLOs need (once per cell) into the series book."""
        keep = retention(specs)
        lo, hi = self._cut_cells(now - keep, now)
        stale = [i for i in self._ingested if i < lo]
        if stale:
            self._book.prune(lo * CELL)
            self._ingested.difference_update(stale)
        todo = [i for i in range(lo, hi + 1) if i not in self._ingested]
        for index in todo:
            self._book.ingest(self.traffic.records(index))
            self._ingested.add(index)
            self.traffic._records.pop(index, None)  # aggregated now: do not keep the records
