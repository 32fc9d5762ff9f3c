"""evaluate_slo / evaluate_all: values, history, zero traffic, NaN, missing data, overall compliance."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from slotui.core.evaluate import evaluate_all, evaluate_slo
from slotui.core.types import DAY, HOUR, Report, SLIData, SLOResult, SLOSpec, Status

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()

P95 = SLOSpec(name="response_time_p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
              direction="lower_is_better", source="prom")
HELP = SLOSpec(name="helpfulness", kind="threshold", target=0.85, warning=0.80, critical=0.70,
               direction="higher_is_better", source="logs")
AVAIL = SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better", source="prom",
                period=30 * DAY)


def test_ratio_value_is_good_over_total_in_the_window() -> None:
    # window 1h: buckets at now-5m (990/1000) and now-1h (exactly the edge: in) 1000/1000 -> 1990/2000
    # a bucket before the window is only in the period
    buckets = ((NOW - 300, 990, 1000), (NOW - HOUR, 1000, 1000), (NOW - 2 * HOUR, 0, 1000))
    r = evaluate_slo(AVAIL, SLIData(buckets=buckets), NOW)
    assert (r.good, r.total) == (1990, 2000)
    assert r.value == pytest.approx(0.995)
    assert r.budget is not None and r.budget.total == 3000


def test_ratio_value_from_source_window() -> None:
    r = evaluate_slo(AVAIL, SLIData(windows={HOUR: (97.0, 100.0)}), NOW)
    assert r.value == pytest.approx(0.97) and (r.good, r.total) == (97.0, 100.0)


def test_ratio_history_is_per_bucket_ratio_sorted_within_period() -> None:
    buckets = ((NOW - 600, 50, 100), (NOW - 31 * DAY, 1, 1), (NOW - 300, 0, 0), (NOW - 900, 100, 100))
    r = evaluate_slo(AVAIL, SLIData(buckets=buckets), NOW)
    assert r.history == ((NOW - 900, 1.0), (NOW - 600, 0.5))


def test_threshold_history_is_the_period_slices_sorted() -> None:
    slices = ((NOW - 300, 1500.0), (NOW - 8 * DAY, 1.0), (NOW - 600, math.nan), (NOW - 900, 2500.0))
    r = evaluate_slo(P95, SLIData(value=1500, slices=slices), NOW)  # period 7d
    assert r.history == ((NOW - 900, 2500.0), (NOW - 300, 1500.0))


def test_no_data_at_all() -> None:
    for spec in (P95, AVAIL):
        r = evaluate_slo(spec, None, NOW)
        assert r.status is Status.NO_DATA
        assert r.value is None and r.meets_target is None
        assert r.budget is not None and r.budget.remaining is None


def test_ratio_nan_window_answer_is_no_data() -> None:
    r = evaluate_slo(AVAIL, SLIData(windows={HOUR: (math.nan, 100.0)}), NOW)
    assert r.status is Status.NO_DATA and r.value is None


def test_ratio_fallback_to_reported_value_without_counts() -> None:
    # a source that can only answer a ready-made ratio (1 - error_rate)
    r = evaluate_slo(AVAIL, SLIData(value=0.99), NOW)
    assert r.value == 0.99 and r.status is Status.AT_RISK and r.meets_target is False
    r = evaluate_slo(AVAIL, SLIData(value=0.999), NOW)
    assert r.status is Status.OK and r.meets_target is True


def test_meets_target_falls_back_to_value_without_period_data() -> None:
    assert evaluate_slo(P95, SLIData(value=1800), NOW).meets_target is True
    assert evaluate_slo(P95, SLIData(value=2500), NOW).meets_target is False
    # with period data, the period compliance decides: value fine, but 50% of slices bad
    slices = ((NOW - 600, 2500.0), (NOW - 300, 1500.0))
    assert evaluate_slo(P95, SLIData(value=1800, slices=slices), NOW).meets_target is False


def test_malformed_records_and_notes_are_reported() -> None:
    r = evaluate_slo(P95, SLIData(value=1800, malformed=3, note="3 lines skipped"), NOW)
    assert "3 malformed record(s) skipped" in r.notes and "3 lines skipped" in r.notes


def test_evaluate_all_missing_data_is_no_data_with_source_error() -> None:
    report = evaluate_all(
        [P95, HELP, AVAIL],
        {"helpfulness": SLIData(value=0.9, fetched_at=NOW)},
        NOW,
        source_errors={"prom": "connection refused"},
        warnings=["a loader warning"],
    )
    assert [r.spec.name for r in report.results] == ["response_time_p95_ms", "helpfulness", "availability"]
    assert [r.status for r in report.results] == [Status.NO_DATA, Status.OK, Status.NO_DATA]
    assert report.results[0].error == "connection refused"
    assert report.results[1].error is None
    assert report.source_errors == {"prom": "connection refused"}
    assert report.warnings == ("a loader warning",)
    assert report.evaluated_at == NOW


def test_evaluate_all_source_error_turns_last_data_stale() -> None:
    old = SLIData(value=1800, fetched_at=NOW - 600)
    report = evaluate_all([P95], {"response_time_p95_ms": old}, NOW, source_errors={"prom": "timeout"})
    assert report.results[0].status is Status.STALE and report.results[0].error == "timeout"
    recent = SLIData(value=1800, fetched_at=NOW - 10)
    report = evaluate_all([P95], {"response_time_p95_ms": recent}, NOW, source_errors={"prom": "timeout"})
    assert report.results[0].status is Status.OK


def _result(name: str, met: bool | None) -> SLOResult:
    spec = SLOSpec(name=name, kind="threshold", target=1, direction="higher_is_better")
    return SLOResult(spec=spec, status=Status.OK, evaluated_at=NOW, meets_target=met)


def test_overall_compliance_four_of_five() -> None:
    report = Report(NOW, tuple(_result(f"s{i}", met) for i, met in enumerate([True, True, False, True, True])))
    assert report.meeting == 4 and len(report.results) == 5
    assert report.overall_compliance == pytest.approx(0.8)


def test_overall_compliance_counts_unknown_as_not_meeting_and_empty_is_none() -> None:
    report = Report(NOW, (_result("a", True), _result("b", None)))
    assert report.meeting == 1 and report.overall_compliance == 0.5
    assert Report(NOW, ()).overall_compliance is None


def test_overall_compliance_from_evaluation() -> None:
    # the five seed SLOs: four meet, the p95 at 2500 ms (no period data) does not
    specs = [
        SLOSpec(name="accuracy", kind="threshold", target=0.9, warning=0.85, critical=0.75,
                direction="higher_is_better"),
        HELP,
        P95,
        AVAIL,
        SLOSpec(name="cost_per_query", kind="threshold", target=0.05, warning=0.06, critical=0.08,
                direction="lower_is_better"),
    ]
    data = {
        "accuracy": SLIData(value=0.93),
        "helpfulness": SLIData(value=0.85),
        "response_time_p95_ms": SLIData(value=2500),
        "availability": SLIData(buckets=((NOW - 300, 999, 1000),)),
        "cost_per_query": SLIData(value=0.05),
    }
    report = evaluate_all(specs, data, NOW)
    assert [r.meets_target for r in report.results] == [True, True, False, True, True]
    assert report.meeting == 4 and report.overall_compliance == pytest.approx(0.8)


def test_fastest_burn() -> None:
    buckets = tuple((NOW - 300 * k, 980, 1000) for k in range(1, 13))
    r = evaluate_slo(AVAIL, SLIData(buckets=buckets), NOW)
    fastest = r.fastest_burn
    assert fastest is not None and fastest.long_window == HOUR
    assert fastest.long_rate == pytest.approx(0.02 / 0.005)
