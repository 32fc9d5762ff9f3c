"""Status of threshold and ratio SLOs: every boundary in both directions, NO DATA, STALE, direction."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from slotui.core.direction import DirectionError, infer_direction
from slotui.core.evaluate import evaluate_slo
from slotui.core.status import value_status
from slotui.core.types import SLIData, SLOSpec, Status

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()

P95 = SLOSpec(
    name="response_time_p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
    direction="lower_is_better", unit="ms",
)
HELPFULNESS = SLOSpec(
    name="helpfulness", kind="threshold", target=0.85, warning=0.80, critical=0.70,
    direction="higher_is_better",
)


def worse(x: float, spec: SLOSpec) -> float:
    """The next float on the bad side of ``x``."""
    return math.nextafter(x, math.inf if spec.direction == "lower_is_better" else -math.inf)


def better(x: float, spec: SLOSpec) -> float:
    return math.nextafter(x, -math.inf if spec.direction == "lower_is_better" else math.inf)


# --------------------------------------------------------------------------- the seed's p95 SLO


@pytest.mark.parametrize(
    ("ms", "expected"),
    [(6000, Status.CRITICAL), (4000, Status.WARNING), (2500, Status.AT_RISK), (1800, Status.OK)],
)
def test_seed_p95_latency_is_lower_is_better(ms: float, expected: Status) -> None:
    # The seed's check_quality_slos compared with `<` and called all four fine.
    assert evaluate_slo(P95, SLIData(value=ms, fetched_at=NOW), NOW).status is expected
    assert value_status(ms, P95) is expected


def test_seed_p95_direction_is_inferred_from_threshold_order() -> None:
    assert infer_direction("response_time_p95_ms", 2000, 3000, 5000) == "lower_is_better"
    assert infer_direction("accuracy", 0.90, 0.85, 0.75) == "higher_is_better"


# --------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize("spec", [P95, HELPFULNESS], ids=["lower", "higher"])
def test_each_threshold_equality_meets_and_epsilon_worse_drops(spec: SLOSpec) -> None:
    assert spec.warning is not None and spec.critical is not None
    # equal to a threshold meets it
    assert value_status(spec.target, spec) is Status.OK
    assert value_status(spec.warning, spec) is Status.AT_RISK
    assert value_status(spec.critical, spec) is Status.WARNING
    # one ulp worse crosses it
    assert value_status(worse(spec.target, spec), spec) is Status.AT_RISK
    assert value_status(worse(spec.warning, spec), spec) is Status.WARNING
    assert value_status(worse(spec.critical, spec), spec) is Status.CRITICAL
    # one ulp better stays on the good side
    assert value_status(better(spec.target, spec), spec) is Status.OK
    assert value_status(better(spec.warning, spec), spec) is Status.AT_RISK
    assert value_status(better(spec.critical, spec), spec) is Status.WARNING


def test_threshold_without_warning_and_critical() -> None:
    spec = SLOSpec(name="cost", kind="threshold", target=0.05, direction="lower_is_better")
    assert value_status(0.05, spec) is Status.OK
    assert value_status(0.0500001, spec) is Status.AT_RISK
    assert value_status(10.0, spec) is Status.AT_RISK


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, "abc"])
def test_no_value_nan_and_inf_are_no_data_never_ok(value: object) -> None:
    assert value_status(value, P95) is Status.NO_DATA
    result = evaluate_slo(P95, SLIData(value=value, fetched_at=NOW), NOW)  # type: ignore[arg-type]
    assert result.status is Status.NO_DATA
    assert result.value is None


def test_threshold_at_risk_when_budget_low_even_if_value_ok() -> None:
    # period 1d = 288 slices of 5m; 2 bad of 288 with compliance 0.99:
    # consumed = (2/288)/0.01 = 0.6944..., remaining = 0.3055... >= 0.25 -> OK
    spec = SLOSpec(name="p95_ms", kind="threshold", target=2000, direction="lower_is_better", period=86400)
    slices = tuple((NOW - 86400 + 300 * i, 2500.0 if i < 2 else 1000.0) for i in range(288))
    assert evaluate_slo(spec, SLIData(value=1000, slices=slices), NOW).status is Status.OK
    # 3 bad: remaining = 1 - (3/288)/0.01 = -0.0416... < 0.25 -> AT RISK although the value is fine
    slices3 = tuple((t, 2500.0 if i < 3 else 1000.0) for i, (t, _) in enumerate(slices))
    result = evaluate_slo(spec, SLIData(value=1000, slices=slices3), NOW)
    assert result.status is Status.AT_RISK
    # ...but the value still decides WARNING/CRITICAL; budget never lowers a status
    warn = SLOSpec(name="p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
                   direction="lower_is_better", period=86400)
    assert evaluate_slo(warn, SLIData(value=4000, slices=slices3), NOW).status is Status.WARNING


def test_threshold_burn_rates_do_not_raise_status() -> None:
    # every slice of the last day is bad, yet the current value is fine:
    # status stays from the value (AT RISK via the spent budget), tiers fire for alerting.
    spec = SLOSpec(name="p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
                   direction="lower_is_better", period=30 * 86400)
    slices = tuple((NOW - 300 * k, 2500.0) for k in range(1, 289))
    result = evaluate_slo(spec, SLIData(value=1500, slices=slices), NOW)
    assert any(b.firing and b.severity == "critical" for b in result.burn_rates)
    assert result.status is Status.AT_RISK


# --------------------------------------------------------------------------- STALE


def test_stale_when_error_and_last_success_older_than_two_intervals() -> None:
    spec = P95  # interval 30s -> stale after 60s
    old = SLIData(value=1800, error="connection refused", fetched_at=NOW - 61)
    result = evaluate_slo(spec, old, NOW)
    assert result.status is Status.STALE
    assert result.stale
    assert result.value == 1800  # the last good value is kept for display
    assert result.error == "connection refused"


def test_not_stale_at_exactly_two_intervals() -> None:
    result = evaluate_slo(P95, SLIData(value=1800, error="timeout", fetched_at=NOW - 60), NOW)
    assert result.status is Status.OK
    assert not result.stale
    assert result.error == "timeout"


def test_stale_with_unknown_fetch_time() -> None:
    result = evaluate_slo(P95, SLIData(value=6000, error="timeout"), NOW)
    assert result.status is Status.STALE


def test_error_and_no_value_ever_is_no_data_with_error() -> None:
    result = evaluate_slo(P95, SLIData(error="HTTP 500 from prometheus"), NOW)
    assert result.status is Status.NO_DATA
    assert not result.stale
    assert result.error == "HTTP 500 from prometheus"


def test_old_data_without_error_is_not_stale() -> None:
    result = evaluate_slo(P95, SLIData(value=1800, fetched_at=NOW - 3600), NOW)
    assert result.status is Status.OK


def test_ratio_stale_keeps_counts() -> None:
    spec = SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better")
    data = SLIData(buckets=((NOW - 600, 99, 100),), error="timeout", fetched_at=NOW - 3600)
    result = evaluate_slo(spec, data, NOW)
    assert result.status is Status.STALE
    assert result.value == pytest.approx(0.99)


# --------------------------------------------------------------------------- ratio status


def _ratio(**kw: object) -> SLOSpec:
    base = dict(name="availability", kind="ratio", target=0.999, direction="higher_is_better", period=30 * 86400.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def test_ratio_critical_warning_at_risk_ok() -> None:
    spec = _ratio()
    # B = 0.001. Critical: last hour 12 buckets x 1000 events with 20 bad: ratio 0.02 = 20x > 14.4
    burning = tuple((NOW - 300 * k, 980, 1000) for k in range(1, 13))
    assert evaluate_slo(spec, SLIData(buckets=burning), NOW).status is Status.CRITICAL

    # Warning only: 3d/6h tier (F = 1) fires, 1h/6h pages don't. 72 buckets per 6h; 3d = 864 buckets.
    # every bucket 1000 events with 2 bad: ratio 0.002 = 2x B: > 1, < 6, < 14.4
    slow = tuple((NOW - 300 * k, 998, 1000) for k in range(1, 865))
    result = evaluate_slo(spec, SLIData(buckets=slow), NOW)
    assert [b.firing for b in result.burn_rates] == [False, False, True]
    assert result.status is Status.WARNING

    # AT RISK: budget remaining < 25% with no tier firing. 30d of buckets: 8640 x 1000 events = 8.64M,
    # allowed bad = 8640; 7000 bad spread over buckets older than 3d -> consumed 0.81, remaining 0.19.
    old = [(NOW - 300 * k, 1000.0, 1000.0) for k in range(1, 8641)]
    for i in range(1000, 1000 + 7000 // 7):
        t, _, n = old[i]
        old[i] = (t, n - 7, n)
    result = evaluate_slo(spec, SLIData(buckets=tuple(old)), NOW)
    assert result.budget is not None and result.budget.remaining == pytest.approx(1 - 7000 / 8640)
    assert not any(b.firing for b in result.burn_rates)
    assert result.status is Status.AT_RISK

    clean = tuple((NOW - 300 * k, 1000, 1000) for k in range(1, 8641))
    assert evaluate_slo(spec, SLIData(buckets=clean), NOW).status is Status.OK


def test_ratio_at_risk_below_is_configurable_and_strict() -> None:
    # period: 10,000 events 4 days ago with 37.5 bad; target 0.995 -> B = 0.005, allowed 50,
    # consumed 37.5/50 = 0.75, remaining exactly 0.25: not *below* 0.25 -> OK.
    # The source answers the 1h window directly with 100/100 (value 1.0, no tier fires).
    exact = SLIData(buckets=((NOW - 4 * 86400, 9962.5, 10000),), windows={3600.0: (100, 100)})
    result = evaluate_slo(_ratio(target=0.995), exact, NOW)
    assert result.budget is not None and result.budget.remaining == pytest.approx(0.25)
    assert result.value == 1.0
    assert result.status is Status.OK
    assert evaluate_slo(_ratio(target=0.995, at_risk_below=0.3), exact, NOW).status is Status.AT_RISK


def test_ratio_zero_traffic_in_window_is_no_data_not_100_percent() -> None:
    spec = _ratio()
    data = SLIData(buckets=((NOW - 300, 0, 0), (NOW - 600, 0, 0)))
    result = evaluate_slo(spec, data, NOW)
    assert result.status is Status.NO_DATA
    assert result.value is None
    assert result.total == 0
    assert result.budget is not None and result.budget.consumed is None and result.budget.remaining is None
    assert all(b.long_rate is None and b.short_rate is None and not b.firing for b in result.burn_rates)


def test_ratio_with_thresholds_uses_the_worse_of_burn_and_value() -> None:
    # Where SPEC is silent: ratio SLOs that set warning/critical are judged on the window value too.
    spec = _ratio(target=0.995, warning=0.99, critical=0.98, min_events=1_000_000)  # min_events: no tier fires
    data = SLIData(buckets=((NOW - 300, 97, 100),))
    assert evaluate_slo(spec, data, NOW).status is Status.CRITICAL
    data = SLIData(buckets=((NOW - 300, 985, 1000),))
    assert evaluate_slo(spec, data, NOW).status is Status.WARNING


# --------------------------------------------------------------------------- direction inference


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("helpfulness", 0.85, 0.80, 0.70), "higher_is_better"),
        (("p95", 2000, 3000, 5000), "lower_is_better"),
        (("x", 0.85, 0.85, 0.70), "higher_is_better"),  # warning == target: empty AT RISK band
        (("x", 10, None, 20), "lower_is_better"),
        (("x", 10, 5, None), "higher_is_better"),
        (("latency_ms", 100), "lower_is_better"),
        (("model_latency", 1.0), "lower_is_better"),
        (("duration_s", 1.0), "lower_is_better"),
        (("cost", 0.05), "lower_is_better"),
        (("error_rate", 0.01), "lower_is_better"),
        (("errors", 3), "lower_is_better"),
    ],
)
def test_infer_direction(args: tuple, expected: str) -> None:
    assert infer_direction(*args) == expected


def test_ratio_lone_target_is_higher_is_better() -> None:
    assert infer_direction("availability", 0.995, kind="ratio") == "higher_is_better"


@pytest.mark.parametrize(
    "args",
    [
        ("x", 0.85, 0.90, 0.70),  # warning above target, critical below
        ("x", 2000, 3000, 1000),
        ("x", 10, 5, 7),  # critical between warning and target
    ],
)
def test_inconsistent_threshold_order_is_an_error(args: tuple) -> None:
    with pytest.raises(DirectionError, match="inconsistent order"):
        infer_direction(*args)


def test_explicit_direction_must_agree() -> None:
    with pytest.raises(DirectionError, match="disagrees"):
        infer_direction("p95", 2000, 3000, 5000, direction="higher_is_better")
    assert infer_direction("p95", 2000, 3000, 5000, direction="lower_is_better") == "lower_is_better"


def test_lone_target_without_hint_needs_direction() -> None:
    with pytest.raises(DirectionError, match="set direction"):
        infer_direction("accuracy", 0.9)
    assert infer_direction("accuracy", 0.9, direction="higher_is_better") == "higher_is_better"


def test_equal_thresholds_without_a_hint_say_they_are_equal_not_a_lone_target() -> None:
    with pytest.raises(DirectionError, match="lone target"):
        infer_direction("accuracy", 0.9)
    with pytest.raises(DirectionError) as err:
        infer_direction("accuracy", 0.9, 0.9, 0.9)
    message = str(err.value)
    assert "lone target" not in message
    assert "target, warning and critical are equal (target 0.9, warning 0.9, critical 0.9)" in message
    with pytest.raises(DirectionError, match=r"are equal \(target 0.9, warning 0.9, critical unset\)"):
        infer_direction("accuracy", 0.9, 0.9)
    assert infer_direction("accuracy", 0.9, 0.9, 0.9, direction="higher_is_better") == "higher_is_better"
