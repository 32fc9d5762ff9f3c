"""Confidence intervals for sample-based SLIs (SPEC 10.2): is the breach real?

Pure functions of counts and summary statistics, stdlib only:

- :func:`mean_interval`: Student's t, ``mean ± t(1-α/2, n-1) · s / sqrt(n)``
  (``s`` the sample standard deviation, ``n - 1`` in its denominator); None
  for ``n < 2``.
- :func:`wilson_interval`: the Wilson score interval of ``good / total``.
- :func:`quantile_interval`: the distribution-free order-statistic interval
  of the ``q`` quantile from exact binomial ranks; it reaches the sample
  minimum or maximum when ``n`` is too small to do better.

``confidence`` is two-sided (0.95 gives the 2.5% and 97.5% points). The t and
binomial distributions are computed through the regularized incomplete beta
function (Lentz's continued fraction), accurate to about 1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(ln_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(ln_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on :func:`t_cdf`)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be in (0, 1)")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return betainc(n - k, k + 1, 1.0 - p)


def check_confidence(confidence: float) -> float:
    """Half the miss rate of a two-sided ``confidence``: ValueError unless strictly between 0 and 1
    with room for an interval (0.9999999999999999 is below 1, yet ``1 - (1 - c) / 2`` rounds to 1 and
    no quantile exists). The config and ``--results`` check their values with this."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("expected a confidence between 0 and 1 (exclusive), e.g. 0.95")
    half_alpha = (1.0 - confidence) / 2.0
    if not 1.0 - half_alpha < 1.0:
        raise ValueError("expected a confidence far enough below 1 to compute an interval, e.g. 0.95 or 0.9999 "
                         "(this one rounds to 1)")
    return half_alpha


def mean_interval(mean: float, stddev: float, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Student's t interval of a mean of ``n`` samples with sample standard deviation ``stddev``."""
    half_alpha = check_confidence(confidence)
    if n < 2 or not math.isfinite(mean) or not math.isfinite(stddev) or stddev < 0:
        return None
    half = t_quantile(1.0 - half_alpha, n - 1) * stddev / math.sqrt(n)
    return mean - half, mean + half


def wilson_interval(good: float, total: float, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of the proportion ``good / total`` (None when total is 0)."""
    half_alpha = check_confidence(confidence)
    if not total > 0 or not math.isfinite(total) or not 0 <= good <= total:
        return None
    z = NormalDist().inv_cdf(1.0 - half_alpha)
    p = good / total
    z2n = z * z / total
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z * math.sqrt(p * (1.0 - p) / total + z2n / (4.0 * total)) / (1.0 + z2n)
    lo = 0.0 if good == 0 else max(0.0, centre - half)
    hi = 1.0 if good == total else min(1.0, centre + half)
    return lo, hi


def quantile_ranks(n: int, q: float, confidence: float = 0.95) -> tuple[int, int] | None:
    """1-based ranks ``(r, s)`` of the sorted sample bracketing the ``q`` quantile.

    ``r`` is the largest rank with P(X < r) <= α/2 and ``s`` the smallest with
    P(X >= s) <= α/2, X ~ Binomial(n, q) counting samples below the quantile;
    both are clamped to ``[1, n]`` (the interval then reaches the sample minimum
    or maximum). None for n = 0.
    """
    ranks = quantile_rank_bounds(n, q, confidence)
    if ranks is None:
        return None
    r, s = ranks
    return max(1, min(r, n)), max(1, min(s, n))


def quantile_ends_open(n: int, q: float, confidence: float = 0.95) -> tuple[bool, bool]:
    """Whether the lower and the upper end of the ``q`` quantile's order-statistic interval of ``n``
    samples were clamped to the sample minimum or maximum (no rank reaches the confidence there): the
    population quantile may lie anywhere below (above) that end. ``(True, True)`` for n = 0."""
    ranks = quantile_rank_bounds(n, q, confidence)
    if ranks is None:
        return True, True
    return ranks[0] < 1, ranks[1] > n


def quantile_rank_bounds(n: int, q: float, confidence: float = 0.95) -> tuple[int, int] | None:
    """:func:`quantile_ranks` before clamping: ``r`` is 0 when no rank qualifies below, ``s`` is
    ``n + 1`` when none does above. None for n = 0."""
    half_alpha = check_confidence(confidence)
    if n <= 0:
        return None
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be in [0, 1]")
    # lower: largest r with P(X <= r-1) <= α/2  (binary search on the CDF, which increases with k)
    lo, hi = 0, n  # r - 1 in [0, n]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if binom_cdf(mid - 1, n, q) <= half_alpha:
            lo = mid
        else:
            hi = mid - 1
    r = lo  # P(X <= r - 1) <= α/2; r == 0 means no rank qualifies
    # upper: smallest s with P(X >= s) = 1 - P(X <= s - 1) <= α/2
    lo, hi = 1, n + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if 1.0 - binom_cdf(mid - 1, n, q) <= half_alpha:
            hi = mid
        else:
            lo = mid + 1
    return r, lo


def quantile_interval(sorted_values: Sequence[float], q: float, confidence: float = 0.95) -> tuple[float, float] | None:
    """Order-statistic interval of the ``q`` quantile of an ascending sample (None when empty)."""
    ranks = quantile_ranks(len(sorted_values), q, confidence)
    if ranks is None:
        return None
    r, s = ranks
    return float(sorted_values[r - 1]), float(sorted_values[s - 1])
