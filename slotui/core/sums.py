"""Sums and means of floats, rounded once.

``fsum(values) / n`` rounds twice (the sum, then the quotient): three scores of 0.95
averaged to 0.9499999999999998, below a 0.95 target every one of them meets. Here a sum
travels as *terms* (a correctly rounded sum and its residuals, :func:`sum_terms`), terms of
parts add up exactly, and a mean is their exact sum divided once (:func:`mean_of_terms`).
Sources (``slotui.sources.kit.aggregate``, the demo, the replay) and the breakdown share them,
so the same values give the same float everywhere. Pure: no I/O.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any


class AggregateOverflow(ArithmeticError):
    """An aggregate beyond the float range (a sum of values near 1e308): the SLI cannot be told."""


_DENOMINATOR = 2**1074  # every finite double is an integer multiple of 2**-1074


def exact_sum(values: Iterable[float | Fraction]) -> float | Fraction:
    """The sum of finite ``values``: :func:`math.fsum` (correctly rounded), or the exact
    :class:`~fractions.Fraction` when an intermediate sum leaves the float range (two 1e308)."""
    values = values if isinstance(values, (list, tuple, array)) else list(values)
    try:
        return math.fsum(values)
    except (OverflowError, TypeError):
        pass
    total = 0
    fractions: list[Fraction] = []
    for v in values:
        if type(v) is Fraction:
            fractions.append(v)
            continue
        n, d = v.as_integer_ratio()
        total += n * (_DENOMINATOR // d)
    return sum(fractions, Fraction(total, _DENOMINATOR))


def tail(values: Sequence[float], total: float) -> list[float]:
    """The residuals ``r1, r2, ...`` (each the correctly rounded rest of the one before) such that
    ``total + r1 + r2 + ...`` is exactly the sum of finite ``values``; usually none or one.
    Each residual holds the top 53 bits of what is left, so it ends within 40 rounds."""
    rest = [*values, -total]
    out: list[float] = []
    while True:
        r = math.fsum(rest)
        if r == 0.0:
            return out
        out.append(r)
        rest.append(-r)


def mean_of_terms(terms: Sequence[float | Fraction], count: int) -> float:
    """The mean of ``count`` values whose sum is the sum of ``terms`` (each slice's rounded sum and
    its :func:`tail`), rounded once. ``fsum(values) / n`` rounds twice: three 0.95 gave
    0.9499999999999998, below a 0.95 target they all meet."""
    total = exact_sum(terms)
    if type(total) is not float:
        return _finite(total / count, "mean", count)
    rest = tail(terms, total)  # type: ignore[arg-type]  # floats: exact_sum gave a float
    if not rest:
        return total / count
    # total + rest as one integer over a power of two; int / int is correctly rounded (no Fraction)
    parts = [t.as_integer_ratio() for t in (total, *rest)]
    d = max(den for _, den in parts)
    return sum(num * (d // den) for num, den in parts) / (d * count)


def sum_terms(values: Sequence[float]) -> list[float | Fraction]:
    """``values``' sum as terms for :func:`mean_of_terms`: the rounded sum and its :func:`tail`."""
    total = exact_sum(values)
    return [total, *tail(values, total)] if type(total) is float else [total]


#: a batch of values spanning at most this many binary exponents is summed in int64 limbs
_LIMB_SPAN = 42


def array_sum_terms(values: Any, np: Any) -> list[float] | None:
    """:func:`sum_terms` of a float64 numpy array ``values`` without a Python float per value
    (``fsum`` makes one per value, per pass): the same terms, or None when this way cannot tell
    them (see :func:`array_sum_terms_batch`). ``np`` is numpy, passed in: this module never imports it."""
    if values.size == 0:
        return None
    return array_sum_terms_batch(values, [values.size], np)[0]


def array_sum_terms_batch(values: Any, counts: Sequence[int], np: Any) -> list[list[float] | None]:
    """:func:`sum_terms` of each run of ``values`` (a float64 numpy array cut into runs of ``counts``
    values, each at least one), in one vectorised pass: the same terms ``fsum`` and :func:`tail`
    give, or None for a run this way cannot tell (a value not finite, all values zero, values
    spanning more than ``_LIMB_SPAN`` binary exponents or reaching 2**990, where their sum could
    leave the float range, 2**31 values or more).

    Every value of a run is an integer multiple of ``2**(emin - 53)`` (``emin``: the run's smallest
    exponent of a nonzero value), so scaled by ``2**(53 - emin)`` each is an integer below
    ``2**95``, held exactly by a float64 and split exactly into three 32-bit limbs whose sums fit
    in int64; the run's sum is one Python int ``T``. ``T / 2**s`` (int / int) is the correctly
    rounded sum, as ``fsum`` gives, and each residual of :func:`tail` is what is left of ``T``,
    rounded the same way."""
    sizes = np.asarray(counts, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    mantissas, exponents = np.frexp(values)
    if np.isfinite(values).all():
        finite = True
    else:
        finite = np.logical_and.reduceat(np.isfinite(mantissas), starts)
    nonzero = mantissas != 0
    none = 1 << 20  # (an exponent no double has)
    if nonzero.all():
        emin, emax = np.minimum.reduceat(exponents, starts), np.maximum.reduceat(exponents, starts)
    else:
        emin = np.minimum.reduceat(np.where(nonzero, exponents, none), starts)
        emax = np.maximum.reduceat(np.where(nonzero, exponents, -none), starts)
    told = finite & (emin != none) & (emax - emin <= _LIMB_SPAN) & (emax <= 990) & (sizes < 2**31)
    shifts = np.where(told, 53 - emin, 0)
    kept = values if told.all() else np.where(np.repeat(told, sizes), values, 0.0)  # (a run not told adds up to 0)
    # exact integers below 2**(53 + _LIMB_SPAN); int32 exponents (int64 ones took numpy's ~10x slower casting path)
    whole = np.ldexp(kept, np.repeat(shifts.astype(np.int32), sizes))
    if int((emax - emin)[told].max(initial=0)) <= 63 - 53:  # each below 2**63: two limbs of int64
        ints = whole.astype(np.int64)
        upper_sums = np.add.reduceat(ints >> 32, starts).tolist()
        sums = zip([0] * len(upper_sums), upper_sums, np.add.reduceat(ints & 0xFFFFFFFF, starts).tolist(),
                   shifts.tolist(), told.tolist())
    else:  # three limbs: the float integers split exactly at 2**32 first
        upper = np.floor(np.ldexp(whole, -32))  # exact: a power of two, then floor
        low = (whole - np.ldexp(upper, 32)).astype(np.int64)  # exact: an integer in [0, 2**32)
        upper = upper.astype(np.int64)  # below 2**63 in magnitude
        sums = zip(np.add.reduceat(upper >> 32, starts).tolist(), np.add.reduceat(upper & 0xFFFFFFFF, starts).tolist(),
                   np.add.reduceat(low, starts).tolist(), shifts.tolist(), told.tolist())
    out: list[list[float] | None] = []
    for high, middle, small, shift, ok in sums:
        rest = (high << 64) + (middle << 32) + small
        if not ok or rest == 0:  # (an exact zero: fsum's sign of zero)
            out.append(None)
            continue
        terms: list[float] = []
        while rest:
            term = rest / (1 << shift) if shift >= 0 else float(rest << -shift)  # correctly rounded
            if term == 0.0:
                break  # below the smallest subnormal: fsum's residual is 0.0 there too
            terms.append(term)
            num, den = term.as_integer_ratio()  # den: a power of two, at most 2**shift
            rest -= (num << shift) // den if shift >= 0 else (num // den) >> -shift
        out.append(terms)
    return out


def exact_mean(values: Sequence[float]) -> float | None:
    """The mean of finite ``values`` (None when empty), rounded once, finite even when their sum is not."""
    if not values:
        return None
    return mean_of_terms(sum_terms(values), len(values))


def scaled(terms: Iterable[float | Fraction]) -> int:
    """The exact sum of ``terms`` (floats, or the Fractions :func:`exact_sum` gives beyond the float
    range) in units of 2**-1074, as an int: sums of parts add and subtract exactly and cheaply
    (the breakdown's total and every group's ``without``, one subtraction each)."""
    total = 0
    for t in terms:
        n, d = t.as_integer_ratio()
        total += n * (_DENOMINATOR // d)
    return total


def scaled_value(total: int, count: int, mean: bool) -> float:
    """The sum (``mean`` False) or mean of ``count`` values whose exact sum is ``total`` units of
    2**-1074, rounded once (int / int is correctly rounded); :class:`AggregateOverflow` beyond the
    float range."""
    try:
        return total / (_DENOMINATOR * count) if mean else total / _DENOMINATOR
    except OverflowError:
        raise AggregateOverflow(f"the {'mean' if mean else 'sum'} of {count} values is beyond the float range "
                                "(about 1.8e308)") from None


def finite_sum(values: Sequence[float]) -> float:
    """The sum of finite ``values``; raises :class:`AggregateOverflow` beyond the float range."""
    return _finite(exact_sum(values), "sum", len(values))


def _finite(total: float | Fraction, what: str, count: int) -> float:
    try:
        value = float(total)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise AggregateOverflow(f"the {what} of {count} values is beyond the float range (about 1.8e308)")
    return value
