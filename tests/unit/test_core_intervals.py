"""Confidence intervals of sample-based SLIs (SPEC 10.2), checked against scipy and published values."""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotui.core import intervals as ci

try:
    import scipy.stats as stats  # test-only dependency (pyproject test extras)
except ImportError:
    if os.environ.get("CI"):
        raise  # (CI installs the test extras: a missing scipy fails, never skips)
    pytest.skip("scipy is not installed (pip install -e '.[test]')", allow_module_level=True)


@pytest.mark.parametrize("df", [1, 2, 3, 5, 11, 29, 100, 1000])
@pytest.mark.parametrize("p", [0.5, 0.9, 0.95, 0.975, 0.995])
def test_t_quantile_matches_scipy(df, p):
    assert ci.t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-12)
    assert ci.t_quantile(1 - p, df) == pytest.approx(stats.t.ppf(1 - p, df), rel=1e-9, abs=1e-12)


def test_mean_interval_worked_by_hand():
    # n = 12 judge scores, mean 0.81, s = 0.15: t(0.975, 11) = 2.200985 (tables), half = 2.200985 * 0.15 / sqrt(12)
    lo, hi = ci.mean_interval(0.81, 0.15, 12)
    half = 2.200985160082949 * 0.15 / math.sqrt(12)
    assert (lo, hi) == pytest.approx((0.81 - half, 0.81 + half), abs=1e-12)
    assert round(lo, 4) == 0.7147 and round(hi, 4) == 0.9053
    assert ci.mean_interval(0.81, 0.15, 1) is None


def test_wilson_published_values():
    # 8 of 10 at 95%: Wilson (1927) interval 0.4902 - 0.9433 (e.g. Newcombe 1998, Table I method 3)
    lo, hi = ci.wilson_interval(8, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    # 0 of 10: the interval starts at 0 and reaches 0.2775
    lo, hi = ci.wilson_interval(0, 10)
    assert lo == 0.0 and round(hi, 4) == 0.2775
    assert ci.wilson_interval(0, 0) is None


@pytest.mark.parametrize("n", [1, 5, 12, 20, 59, 100, 1000])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
def test_quantile_ranks_match_scipy_binomial(n, q):
    r, s = ci.quantile_ranks(n, q)
    # independent: r = largest rank with P(X <= r-1) <= 0.025, s = smallest with P(X >= s) <= 0.025
    rs = [k for k in range(1, n + 1) if stats.binom.cdf(k - 1, n, q) <= 0.025]
    ss = [k for k in range(1, n + 2) if stats.binom.sf(k - 1, n, q) <= 0.025]
    assert r == max(1, min(max(rs, default=1), n))
    assert s == max(1, min(min(ss), n))


def test_quantile_interval_small_n_reaches_the_maximum():
    values = sorted([100.0, 120, 130, 150, 170, 200, 260, 300, 450, 900, 1200, 3000])
    lo, hi = ci.quantile_interval(values, 0.95)
    assert hi == 3000.0  # 12 samples cannot bound a p95 from above: the sample maximum
    # p50 of the same sample: ranks 3 and 10 (binomial(12, 0.5): P(X<=2)=0.0193, P(X>=10)=0.0193)
    assert ci.quantile_ranks(12, 0.5) == (3, 10)
    assert ci.quantile_interval(values, 0.5) == (130.0, 900.0)


@given(st.integers(2, 400), st.floats(0.01, 0.99))
def test_wilson_contains_the_estimate_and_narrows(total, p):
    good = round(p * total)
    lo, hi = ci.wilson_interval(good, total)
    assert lo <= good / total <= hi
    lo4, hi4 = ci.wilson_interval(good * 4, total * 4)
    assert hi4 - lo4 < hi - lo


@given(st.floats(-1e6, 1e6), st.floats(0.001, 1e3), st.integers(2, 500))
def test_mean_interval_contains_the_mean_and_narrows(mean, sd, n):
    lo, hi = ci.mean_interval(mean, sd, n)
    assert lo <= mean <= hi
    lo2, hi2 = ci.mean_interval(mean, sd, n * 4)
    assert hi2 - lo2 < hi - lo
