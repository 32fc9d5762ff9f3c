"""The answer stage's fast paths give exactly what the plain Python forms give."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.sources.kit.aggregate import RatioSeries, ValueSeries, moments_of, _ValueSlice

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


def _plain_moments(values: list[float]) -> tuple[int, float, float]:
    mean = math.fsum(values) / len(values)
    return len(values), mean, math.fsum((v - mean) * (v - mean) for v in values)


@settings(max_examples=200, deadline=None)
@given(st.lists(finite, min_size=1, max_size=300))
def test_moments_by_map_are_the_generator_expression(values: list[float]) -> None:
    assert moments_of(array("d", values)) == _plain_moments(values)
    assert moments_of(values, math.fsum(values)) == _plain_moments(values)


def test_a_slice_moments_use_its_cached_sum_and_agree() -> None:
    rng = random.Random(3)
    sl = _ValueSlice()
    sl.values.extend(rng.lognormvariate(0, 2) for _ in range(500))
    assert sl.moments() == _plain_moments(list(sl.values))


_scales = st.builds(lambda xs, e: [x * 2.0**e for x in xs],
                    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=64, max_size=300),
                    st.integers(-1000, 900))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(finite, min_size=64, max_size=300), _scales,
                 st.lists(st.integers(0, 1000).map(lambda i: i / 1000), min_size=64, max_size=300)))
def test_a_slice_of_numpy_size_sums_and_spreads_as_fsum(values: list[float]) -> None:
    """64+ values with numpy loaded: the slice's sum and terms (int64 limbs) and its moments (the
    squares summed the same way) are fsum's, bit for bit, as the plain forms give."""
    import numpy  # noqa: F401  (loaded: the slice sums by numpy)

    from slotui.core.sums import sum_terms

    sl = _ValueSlice()
    sl.values.extend(values)
    terms = sum_terms(values)
    assert [t.hex() for t in sl.terms()] == [t.hex() for t in terms]  # type: ignore[union-attr]
    assert sl.total().hex() == math.fsum(values).hex()  # type: ignore[union-attr]
    n, mean, m2 = sl.moments()
    plain = _plain_moments(values)
    assert (n, mean.hex()) == (plain[0], plain[1].hex())
    assert m2.hex() == plain[2].hex() or (math.isnan(m2) and math.isnan(plain[2]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(finite, st.sampled_from([0.0, -0.0, 1.0, -1.0])), min_size=0, max_size=400))
def test_numpy_sort_is_sorted_including_signed_zeros(values: list[float]) -> None:
    import numpy  # noqa: F401  (loaded: the slice may sort by numpy)

    sl = _ValueSlice()
    sl.values.extend(values)
    got = sl.sorted_values()
    want = sorted(values)
    assert got == want
    assert [math.copysign(1, v) for v in got] == [math.copysign(1, v) for v in want]
    assert type(got) is list and all(type(v) is float for v in got)


def test_slices_of_many_values_sort_by_numpy_to_the_same_quantiles() -> None:
    import numpy  # noqa: F401

    from slotui.sources.kit.aggregate import Agg

    rng = random.Random(7)
    series = ValueSeries(300.0)
    for i in range(5000):
        series.add(1000.0 + i * 0.37, rng.choice([0.0, -0.0, rng.gauss(1, 3)]))
    sl = next(iter(series.slices.values()))
    assert len(sl.values) >= 64
    assert sl.sorted_values() == sorted(sl.values)
    expected = sorted(v for s in series.slices.values() for v in s.values)
    h = (len(expected) - 1) * 0.95
    lo = math.floor(h)
    want = expected[lo] + (h - lo) * (expected[lo + 1] - expected[lo])
    assert series.window(Agg("quantile", 0.95), 0.0, 1e9) == want


def test_ratio_slice_good_count_counts_ones() -> None:
    series = RatioSeries(60.0)
    goods = [random.Random(1).random() < 0.9 for _ in range(1000)]
    for i, g in enumerate(goods):
        series.add(i * 0.01, g)
    assert series.window(0.0, 100.0) == (sum(goods), 1000)


def test_aggregate_never_imports_numpy() -> None:
    code = ("import sys; from slotui.sources.kit.aggregate import ValueSeries, Agg; s = ValueSeries(60.0)\n"
            "[s.add(i * 0.1, float(i % 97)) for i in range(1000)]\n"
            "s.window(Agg('quantile', 0.95), 0, 1e9); print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("block", [1 << 15, 400, 1])
def test_a_series_primed_at_once_caches_what_each_slice_gives_alone(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """ValueSeries.prime sums every slice of numpy size in one pass: each slice's sum, terms and
    moments are the ones the slice works out alone (and the plain forms), for slices the int64
    limbs tell and ones they decline (wide spans, all -0.0, sums beyond the float range); and so
    when the slices are summed in blocks of a few (400 values) or one by one (each alone longer
    than the block)."""
    import numpy  # noqa: F401  (loaded: the series primes by numpy)

    from slotui.sources.kit import aggregate
    from slotui.sources.kit.aggregate import Agg

    monkeypatch.setattr(aggregate, "_PRIME_BLOCK", block)

    rng = random.Random(11)
    kinds = [
        lambda: rng.randint(0, 1000) / 1000,  # scores
        lambda: rng.lognormvariate(0, 4),  # wide: the squares decline
        lambda: -0.0,
        lambda: rng.choice([1e308, 1.5e308]),  # the sum overflows: Fraction, no spread
        lambda: rng.gauss(5, 1) * 2.0**-1070,  # subnormal
        lambda: rng.choice([1.0, 2.0**-60]),  # the sum needs a tail
    ]
    primed, alone = ValueSeries(60.0), ValueSeries(60.0)
    for s, kind in enumerate(kinds * 2):
        for i in range(rng.choice([64, 65, 300])):
            t, v = s * 60.0 + i * 0.01, kind()
            primed.add(t, v)
            alone.add(t, v)
    agg = Agg("mean")
    primed.prime(agg)
    assert all(sl._terms is not None for sl in primed.slices.values())  # type: ignore[attr-defined]
    assert primed.slices[0]._moments is not None  # type: ignore[attr-defined]  (the scores: primed)
    for key, sl in primed.slices.items():
        other = alone.slices[key]
        assert repr(sl.terms()) == repr(other.terms())  # type: ignore[attr-defined]
        assert repr(sl.moments()) == repr(other.moments())  # type: ignore[attr-defined]
        values = list(other.values)  # type: ignore[attr-defined]
        if sum(abs(v) for v in values) < 1e300:
            assert repr(sl.moments()) == repr(_plain_moments(values))  # type: ignore[attr-defined]
    assert repr(primed.slice_values(agg, 0.0, 1e6)) == repr(alone.slice_values(agg, 0.0, 1e6))


class _NumpyHidden:
    """numpy looks not loaded to the answer stage (``sys.modules.get("numpy")`` is None): the exact path."""

    def __enter__(self) -> None:
        self.saved = sys.modules.get("numpy")
        sys.modules["numpy"] = None  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        sys.modules["numpy"] = self.saved  # type: ignore[assignment]


def _quantile_answers(series: ValueSeries, q: float) -> list[str]:
    from slotui.sources.kit.aggregate import Agg

    agg = Agg("quantile", q)
    out = []
    for start, end in ((0.0, 1e9), (1000.0, 1000.0 + 60 * 7), (1030.0, 1000.0 + 60 * 5 + 7)):
        value = series.window(agg, start, end)
        out.append("none" if value is None else value.hex())
        spread = series.window_spread(agg, start, end, limit=50)
        out.append(repr((spread.n, spread.interval and tuple(v.hex() for v in spread.interval),
                         tuple(v.hex() for v in spread.sample))))
    out.extend(f"{s}:{v.hex()}" for s, v in series.slice_values(agg, 0.0, 1e9))
    return out


_quantile_values = st.lists(st.one_of(finite, st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5])), min_size=1, max_size=900)


@settings(max_examples=150, deadline=None)
@given(_quantile_values, st.sampled_from([0.5, 0.9, 0.95, 0.99, 1.0, 0.0]), st.integers(0, 3))
def test_window_quantiles_selected_by_numpy_are_the_exact_paths(values: list[float], q: float, seed: int) -> None:
    """With numpy loaded, a window's quantile and interval are selected from the slices' unsorted
    values (np.partition) and a whole slice's quantile is cached: every answer is the exact path's
    float, sign of zero included (a zero at a rank read goes the exact path)."""
    import numpy  # noqa: F401  (loaded: the selection path)

    rng = random.Random(seed)
    times = sorted(1000.0 + rng.random() * 60 * 8 for _ in values)
    fast, exact = ValueSeries(60.0), ValueSeries(60.0)
    for t, v in zip(times, values):
        fast.add(t, v)
        exact.add(t, v)
    got = _quantile_answers(fast, q)
    with _NumpyHidden():
        want = _quantile_answers(exact, q)
    assert got == want
    assert _quantile_answers(fast, q) == want  # the cached slice quantiles again


def test_a_slice_quantile_is_cached_until_the_slice_changes() -> None:
    import numpy  # noqa: F401

    from slotui.sources.kit.aggregate import Agg

    series = ValueSeries(60.0)
    for i in range(100):
        series.add(i * 0.5, float(i))
    agg = Agg("quantile", 0.5)
    assert series.slice_values(agg, 0.0, 1e9) == [(0.0, 49.5)]
    series.add(50.0, 1000.0)  # the same slice: its cached quantile is dropped
    assert series.slice_values(agg, 0.0, 1e9) == [(0.0, 50.0)]


def test_prime_blocks_cut_the_slices_in_order_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocks ValueSeries.prime sums at once: whole slices, in order, none above the limit unless
    a slice alone is longer, every slice in exactly one block."""
    from slotui.sources.kit import aggregate

    monkeypatch.setattr(aggregate, "_PRIME_BLOCK", 100)
    assert aggregate._blocks([]) == []
    assert aggregate._blocks([40, 60, 1, 100, 250, 30, 30]) == [(0, 2), (2, 3), (3, 4), (4, 5), (5, 7)]
    assert aggregate._blocks([100]) == [(0, 1)]
    assert aggregate._blocks([101, 99, 1]) == [(0, 1), (1, 3)]


@pytest.mark.parametrize("block", [1 << 15, 700, 64])
@pytest.mark.parametrize("q", [0.5, 0.95, 0.99, 1.0, 0.0])
def test_slice_quantiles_sorted_as_rows_are_each_slices_exact_quantile(block: int, q: float,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """_prime_quantiles sorts slices of similar sizes as the rows of one array (padded with +inf): each
    slice's quantile is the exact path's float, for slices of 64 to 1,500 values (rows of a block, a
    slice alone longer than the block left to the selection), duplicates, negatives and huge values;
    a slice with a zero at a rank read is left to the slice (sign of zero: the stable sort's)."""
    import numpy  # noqa: F401  (loaded: the batched path)

    from slotui.sources.kit import aggregate
    from slotui.sources.kit.aggregate import Agg

    monkeypatch.setattr(aggregate, "_PRIME_BLOCK", block)
    rng = random.Random(int(q * 100) + block)
    fast, exact = ValueSeries(60.0), ValueSeries(60.0)
    kinds = [lambda: rng.gauss(1, 3), lambda: rng.choice([1.0, 2.0, 3.0]), lambda: rng.choice([0.0, -0.0, 1.0]),
             lambda: rng.lognormvariate(0, 30), lambda: -rng.random() * 1e300, lambda: rng.choice([0.0, -0.0])]
    for s in range(40):
        kind = kinds[s % len(kinds)]
        for i in range(rng.choice([64, 65, 100, 333, 1500])):
            t, v = s * 60.0 + i * 0.001, kind()
            fast.add(t, v)
            exact.add(t, v)
    slices = list(fast.slices.values())
    aggregate._prime_quantiles(slices, q)
    primed = [sl for sl in slices if sl._quantiles]  # type: ignore[attr-defined]
    small = [sl for sl in slices if len(sl.values) <= block]  # type: ignore[attr-defined]
    assert len(primed) >= len(small) // 2 if len(small) > 1 else not primed
    assert all(sl._sorted is None for sl in slices)  # type: ignore[attr-defined]  (not sorted one by one)
    agg = Agg("quantile", q)
    got = [(s, v.hex()) for s, v in fast.slice_values(agg, 0.0, 1e9)]
    with _NumpyHidden():
        want = [(s, v.hex()) for s, v in exact.slice_values(agg, 0.0, 1e9)]
    assert got == want


def test_slice_quantiles_sorted_as_rows_leave_nan_to_the_slice_and_read_infinities() -> None:
    """A slice holding a NaN (a source that passes one on) is not answered by the rows' sort (NaN
    sorts after the +inf padding there); slices holding infinities are, each the quantile the slice
    gives alone."""
    import numpy  # noqa: F401

    from slotui.sources.kit import aggregate

    rng = random.Random(5)
    primed, alone = ValueSeries(60.0), ValueSeries(60.0)
    extras = [math.nan, math.inf, -math.inf, None]
    for s in range(8):
        for i in range(rng.choice([70, 90, 120])):
            v = rng.gauss(0, 5)
            if i == 7 and extras[s % 4] is not None:
                v = extras[s % 4]
            primed.add(s * 60.0 + i * 0.01, v)
            alone.add(s * 60.0 + i * 0.01, v)
    for q in (0.5, 0.95, 1.0, 0.0):
        slices = list(primed.slices.values())
        for sl in slices:
            sl.changed()
        aggregate._prime_quantiles(slices, q)
        for key, sl in primed.slices.items():
            holds_nan = any(v != v for v in sl.values)  # type: ignore[attr-defined]
            assert (sl._quantiles is None) == holds_nan  # type: ignore[attr-defined]
            if not holds_nan:
                other = alone.slices[key]
                other.changed()  # type: ignore[attr-defined]
                assert sl._quantiles[q] == other.quantile(q)  # type: ignore[attr-defined,index]
