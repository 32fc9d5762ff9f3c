"""Property tests of the core: no NaN ever leaks, budgets and burn rates behave."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.core.burn_rate import evaluate_tiers
from slotui.core.evaluate import evaluate_all, evaluate_slo
from slotui.core.status import value_status
from slotui.core.types import DAY, SLIData, SLOResult, SLOSpec, Status

NOW = 1_780_315_200.0  # 2026-06-01T12:00:00Z

any_float = st.floats(allow_nan=True, allow_infinity=True)
time_in_period = st.floats(min_value=NOW - 8 * DAY, max_value=NOW + 600, allow_nan=False)
any_time = st.one_of(time_in_period, any_float)

THRESHOLD = SLOSpec(name="p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
                    direction="lower_is_better", period=7 * DAY)
HIGHER = SLOSpec(name="helpfulness", kind="threshold", target=0.85, warning=0.8, critical=0.7,
                 direction="higher_is_better", period=7 * DAY)
RATIO = SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better", period=7 * DAY)


def floats_in(obj: Any, skip: frozenset[str] = frozenset({"spec"})) -> list[float]:
    """Every float reachable from a result (dataclasses, tuples, mappings), except the input spec."""
    out: list[float] = []
    if isinstance(obj, float):
        out.append(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name not in skip:
                out.extend(floats_in(getattr(obj, f.name)))
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            out.extend(floats_in(item))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(floats_in(k))
            out.extend(floats_in(v))
    return out


def assert_all_finite(result: SLOResult) -> None:
    bad = [x for x in floats_in(result) if not math.isfinite(x)]
    assert not bad, f"non-finite figures leaked: {bad}"


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(st.none(), any_float),
    slices=st.lists(st.tuples(any_time, any_float), max_size=40),
    fetched_at=st.one_of(st.none(), any_float),
    error=st.one_of(st.none(), st.just("boom")),
)
def test_threshold_never_leaks_nan_or_inf(value, slices, fetched_at, error) -> None:
    data = SLIData(value=value, slices=tuple(slices), fetched_at=fetched_at, error=error)
    for spec in (THRESHOLD, HIGHER):
        result = evaluate_slo(spec, data, NOW)
        assert_all_finite(result)
        if result.value is None:
            assert result.status in (Status.NO_DATA, Status.STALE)


@settings(max_examples=300, deadline=None)
@given(
    buckets=st.lists(st.tuples(any_time, any_float, any_float), max_size=40),
    windows=st.dictionaries(st.sampled_from([300.0, 3600.0, 1800.0, 21600.0, 7 * DAY]),
                            st.tuples(any_float, any_float), max_size=4),
    value=st.one_of(st.none(), any_float),
)
def test_ratio_never_leaks_nan_or_inf(buckets, windows, value) -> None:
    result = evaluate_slo(RATIO, SLIData(buckets=tuple(buckets), windows=windows, value=value), NOW)
    assert_all_finite(result)
    if result.value is None:
        assert result.status is not Status.OK


@given(value=st.one_of(st.none(), st.just(math.nan), st.just(math.inf), st.just(-math.inf)))
def test_status_never_ok_without_a_value(value) -> None:
    assert value_status(value, THRESHOLD) is Status.NO_DATA
    assert evaluate_slo(THRESHOLD, SLIData(value=value), NOW).status is Status.NO_DATA


counts = st.integers(min_value=0, max_value=10**9)


@given(total=st.integers(min_value=1, max_value=10**9), data=st.data())
def test_remaining_is_one_minus_consumed(total, data) -> None:
    bad = data.draw(st.integers(min_value=0, max_value=total))
    result = evaluate_slo(RATIO, SLIData(buckets=((NOW - 600, float(total - bad), float(total)),)), NOW)
    b = result.budget
    assert b is not None and b.consumed is not None and b.remaining is not None
    assert math.isclose(b.remaining, 1 - b.consumed, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(b.consumed, bad / (0.005 * total), rel_tol=1e-9)


@given(n=st.integers(min_value=1, max_value=2000), data=st.data())
def test_threshold_remaining_is_one_minus_consumed(n, data) -> None:
    bad = data.draw(st.integers(min_value=0, max_value=n))
    slices = tuple((NOW - 300 * (k + 1), 9999.0 if k < bad else 1.0) for k in range(n))
    b = evaluate_slo(THRESHOLD, SLIData(value=1.0, slices=slices), NOW).budget
    assert b is not None and b.consumed is not None and b.remaining is not None
    assert math.isclose(b.remaining, 1 - b.consumed, rel_tol=1e-12, abs_tol=1e-12)
    assert b.slices == n and b.good_slices == n - bad


@given(total=st.integers(min_value=1, max_value=10**6), data=st.data())
def test_burn_rate_is_monotone_in_bad_count(total, data) -> None:
    bad1 = data.draw(st.integers(min_value=0, max_value=total))
    bad2 = data.draw(st.integers(min_value=bad1, max_value=total))

    def rates(bad: int) -> list[float]:
        d = SLIData(buckets=((NOW - 300, float(total - bad), float(total)),))
        out = []
        for b in evaluate_tiers(RATIO, d, NOW):
            assert b.long_rate is not None and b.short_rate is not None
            out += [b.long_rate, b.short_rate]
        return out

    r1, r2 = rates(bad1), rates(bad2)
    assert all(a <= b for a, b in zip(r1, r2))
    # firing is monotone too: more bad events never stop a tier from firing
    f1 = [b.firing for b in evaluate_tiers(RATIO, SLIData(buckets=((NOW - 300, float(total - bad1), float(total)),)), NOW)]
    f2 = [b.firing for b in evaluate_tiers(RATIO, SLIData(buckets=((NOW - 300, float(total - bad2), float(total)),)), NOW)]
    assert all(b or not a for a, b in zip(f1, f2))


SEVERITY = {Status.OK: 0, Status.AT_RISK: 1, Status.WARNING: 2, Status.CRITICAL: 3}


@given(a=st.floats(allow_nan=False, allow_infinity=False), b=st.floats(allow_nan=False, allow_infinity=False))
def test_worse_value_never_gets_a_better_status(a, b) -> None:
    for spec in (THRESHOLD, HIGHER):
        lo, hi = min(a, b), max(a, b)
        better, worse = (lo, hi) if spec.direction == "lower_is_better" else (hi, lo)
        assert SEVERITY[value_status(worse, spec)] >= SEVERITY[value_status(better, spec)]


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.one_of(st.none(), any_float), min_size=1, max_size=6))
def test_evaluate_all_keeps_order_and_never_leaks(values) -> None:
    specs = [dataclasses.replace(THRESHOLD, name=f"s{i}") for i in range(len(values))]
    data = {f"s{i}": SLIData(value=v) for i, v in enumerate(values) if v is not None}
    report = evaluate_all(specs, data, NOW)
    assert [r.spec.name for r in report.results] == [s.name for s in specs]
    for r in report.results:
        assert_all_finite(r)
    oc = report.overall_compliance
    assert oc is not None and 0.0 <= oc <= 1.0


@given(target=any_float)
def test_error_budget_is_one_minus_target_and_never_nan(target) -> None:
    from slotui.core.types import error_budget

    b = error_budget(target)
    assert math.isfinite(b)
    if math.isfinite(target) and abs(target) < 1e15:
        assert math.isclose(b, 1 - target, rel_tol=1e-12, abs_tol=1e-15)
