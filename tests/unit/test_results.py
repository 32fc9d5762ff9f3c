"""slotui.check(results, slos) and load_results_file: the "check after each evaluation" pattern."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import slotui
from slotui.core.exit_code import exit_code
from slotui.core.types import SLOSpec, Status
from slotui.results import (
    ResultsError,
    check,
    flatten_metrics,
    load_results_file,
    lookup_metric,
    specs_from_quality,
)

NOW = 1_780_315_200.0

SEED_QUALITY = {
    "accuracy": {"target": 0.90, "warning": 0.85, "critical": 0.75},
    "helpfulness": {"target": 0.85, "warning": 0.80, "critical": 0.70},
    "response_time_p95_ms": {"target": 2000, "warning": 3000, "critical": 5000},
}


def statuses(report) -> dict[str, Status]:
    return {r.spec.name: r.status for r in report.results}


def test_check_is_exported_from_the_package() -> None:
    assert slotui.check is check


def test_mlflow_flat_metrics() -> None:
    metrics = {"accuracy": 0.91, "helpfulness/mean": 0.78, "response_time_p95_ms": 6000.0}
    report = check(metrics, SEED_QUALITY, now=NOW)
    assert statuses(report) == {
        "accuracy": Status.OK, "helpfulness": Status.WARNING, "response_time_p95_ms": Status.CRITICAL}
    assert report.evaluated_at == NOW
    assert [r.value for r in report.results] == [0.91, 0.78, 6000.0]
    assert [r.meets_target for r in report.results] == [True, False, False]
    assert all(r.budget is None and r.burn_rates == () for r in report.results)
    assert exit_code(report) == 2


@pytest.mark.parametrize(
    ("ms", "expected"),
    [(6000, Status.CRITICAL), (4000, Status.WARNING), (2500, Status.AT_RISK), (1800, Status.OK)],
)
def test_seed_p95_from_results_is_lower_is_better(ms: float, expected: Status) -> None:
    report = check({"response_time_p95_ms": ms}, {"response_time_p95_ms": SEED_QUALITY["response_time_p95_ms"]},
                   now=NOW)
    assert report.results[0].status is expected
    assert report.results[0].spec.direction == "lower_is_better"


def test_weave_nested_summary() -> None:
    summary = {"helpfulness": {"mean": 0.82}, "model_latency": {"mean": 1.2},
               "correct": {"true_count": 9, "true_fraction": 0.9}}
    slos = {"helpfulness": SEED_QUALITY["helpfulness"],
            "model_latency": {"target": 1.0, "warning": 2.0, "critical": 3.0}}
    report = check({"summary": summary}, slos, now=NOW)
    assert statuses(report) == {"helpfulness": Status.AT_RISK, "model_latency": Status.AT_RISK}
    assert report.results[1].spec.direction == "lower_is_better"
    assert "results key 'helpfulness/mean'" in report.results[0].notes


def test_flatten_joins_with_dot_and_slash_and_flat_keys_win() -> None:
    flat = flatten_metrics({"a": {"mean": 1, "b": {"c": 2}}, "a/mean": 5, "x": 3})
    assert flat["a.mean"] == 1 and flat["a/mean"] == 5  # written flat wins over flattened
    assert flat["a.b.c"] == 2 and flat["a/b/c"] == 2 and flat["x"] == 3


def test_lookup_order_name_then_name_mean_then_field() -> None:
    spec = SLOSpec(name="helpfulness", kind="threshold", target=0.85, direction="higher_is_better",
                   sli_field="evaluations.helpfulness_score", sli_agg="mean")
    assert lookup_metric(spec, {"helpfulness": 1, "helpfulness/mean": 2}) == ("helpfulness", 1)
    assert lookup_metric(spec, {"helpfulness.mean": 3, "helpfulness/mean": 2}) == ("helpfulness/mean", 2)
    assert lookup_metric(spec, {"helpfulness.mean": 3}) == ("helpfulness.mean", 3)
    assert lookup_metric(spec, {"evaluations.helpfulness_score": 4}) == ("evaluations.helpfulness_score", 4)
    assert lookup_metric(spec, {"helpfulness_score/mean": 5}) == ("helpfulness_score/mean", 5)
    assert lookup_metric(spec, {"Helpfulness": 6}) == ("Helpfulness", 6)  # case-insensitive retry
    assert lookup_metric(spec, {"helpfulness/v1/mean": 7}) == ("helpfulness/v1/mean", 7)  # MLflow judges
    assert lookup_metric(spec, {"helpfulness/v1/mean": 7, "helpfulness/v2/mean": 8}) is None  # ambiguous
    assert lookup_metric(spec, {"accuracy": 1}) is None


def test_lookup_uses_the_slo_aggregation() -> None:
    spec = SLOSpec(name="latency", kind="threshold", target=2, direction="lower_is_better", sli_agg="p95")
    assert lookup_metric(spec, {"latency/mean": 1.0, "latency/p95": 3.0}) == ("latency/p95", 3.0)


@pytest.mark.parametrize("raw", [math.nan, "NaN", "nan", math.inf, "-Infinity", None, "n/a", [1, 2]])
def test_nan_and_non_numbers_are_no_data(raw: object) -> None:
    report = check({"accuracy": raw}, {"accuracy": SEED_QUALITY["accuracy"]}, now=NOW)
    r = report.results[0]
    assert r.status is Status.NO_DATA and r.value is None and r.meets_target is None
    assert exit_code(report) == 3


def test_numeric_strings_and_booleans() -> None:
    report = check({"accuracy": "0.8", "passed": True},
                   {"accuracy": SEED_QUALITY["accuracy"], "passed": {"target": 1, "direction": "higher_is_better"}},
                   now=NOW)
    assert statuses(report) == {"accuracy": Status.WARNING, "passed": Status.OK}


def test_missing_metric_is_no_data_or_left_out() -> None:
    report = check({"accuracy": 0.95}, SEED_QUALITY, now=NOW)
    assert statuses(report)["helpfulness"] is Status.NO_DATA
    assert "metric not found" in (report.results[1].error or "")
    assert exit_code(report) == 3
    only = check({"accuracy": 0.95}, SEED_QUALITY, now=NOW, only_matched=True)
    assert [r.spec.name for r in only.results] == ["accuracy"]
    assert len(only.warnings) == 2 and exit_code(only) == 0


def test_quality_slos_wrapper_and_bare_target() -> None:
    report = check({"latency_ms": 120}, {"quality_slos": {"latency_ms": 100}}, now=NOW)
    assert report.results[0].spec.direction == "lower_is_better"
    assert report.results[0].status is Status.AT_RISK


def test_quality_direction_errors_are_clear() -> None:
    with pytest.raises(ResultsError, match="inconsistent order"):
        specs_from_quality({"accuracy": {"target": 0.9, "warning": 0.95, "critical": 0.75}})
    with pytest.raises(ResultsError, match="set direction"):
        specs_from_quality({"accuracy": {"target": 0.9}})
    with pytest.raises(ResultsError, match="unknown key"):
        specs_from_quality({"accuracy": {"target": 0.9, "warn": 0.8}})
    with pytest.raises(ResultsError, match="target is required"):
        specs_from_quality({"accuracy": {"warning": 0.8}})
    with pytest.raises(ResultsError, match="finite number"):
        specs_from_quality({"accuracy": {"target": "high", "direction": "higher_is_better"}})
    with pytest.raises(ResultsError, match="direction must be"):
        specs_from_quality({"accuracy": {"target": 0.9, "direction": "up"}})


def test_slos_as_spec_list() -> None:
    spec = SLOSpec(name="cost_per_query", kind="threshold", target=0.05, warning=0.06, critical=0.08,
                   direction="lower_is_better")
    report = check({"cost_per_query": 0.07}, [spec], now=NOW)
    assert report.results[0].status is Status.WARNING and report.results[0].spec is spec
    with pytest.raises(ResultsError):
        check({}, [{"name": "x"}], now=NOW)
    with pytest.raises(ResultsError):
        check({}, 42, now=NOW)


def test_results_object_with_metrics_attribute() -> None:
    class EvaluationResult:  # the shape of mlflow.models.EvaluationResult
        metrics = {"accuracy": 0.7}

    assert check(EvaluationResult(), SEED_QUALITY, now=NOW).results[0].status is Status.CRITICAL
    with pytest.raises(ResultsError):
        check(3.0, SEED_QUALITY, now=NOW)


def test_default_now_is_the_current_time() -> None:
    import time

    before = time.time()
    report = check({"accuracy": 0.95}, {"accuracy": SEED_QUALITY["accuracy"]})
    assert before <= report.evaluated_at <= time.time()


def test_slos_from_an_slo_file(tmp_path: Path) -> None:
    path = tmp_path / "slos.yaml"
    path.write_text(
        "version: 1\n"
        "sources:\n  demo: {type: demo}\n"
        "quality_slos:\n"
        "  accuracy: {target: 0.90, warning: 0.85, critical: 0.75}\n"
        "  response_time_p95_ms: {target: 2000, warning: 3000, critical: 5000}\n"
    )
    report = check({"accuracy": 0.88, "response_time_p95_ms": 1800}, path, now=NOW)
    assert statuses(report) == {"accuracy": Status.AT_RISK, "response_time_p95_ms": Status.OK}
    assert check({"accuracy": 0.88, "response_time_p95_ms": 1800}, str(path), now=NOW).results == report.results


# --------------------------------------------------------------------------- results files


def test_load_flat_file(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text(json.dumps({"accuracy": 0.91, "cost": "NaN", "name": "run-1"}))
    data = load_results_file(p)
    assert data["accuracy"] == 0.91 and math.isnan(data["cost"]) and data["name"] == "run-1"


def test_load_mlflow_and_weave_shapes(tmp_path: Path) -> None:
    mlflow = tmp_path / "mlflow.json"
    mlflow.write_text(json.dumps({"metrics": {"accuracy": 0.9, "toxicity/v1/mean": 0.01}, "artifacts": {}}))
    assert load_results_file(mlflow) == {"accuracy": 0.9, "toxicity/v1/mean": 0.01}
    weave = tmp_path / "weave.json"
    weave.write_text(json.dumps({"summary": {"helpfulness": {"mean": "0.82"}}}))
    assert load_results_file(weave) == {"helpfulness": {"mean": 0.82}}
    report = check(weave, SEED_QUALITY, now=NOW, only_matched=True)
    assert statuses(report) == {"helpfulness": Status.AT_RISK}


def test_load_nan_literal(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text('{"accuracy": NaN, "latency_ms": Infinity}')
    report = check(load_results_file(p), {"accuracy": SEED_QUALITY["accuracy"], "latency_ms": 100}, now=NOW)
    assert [r.status for r in report.results] == [Status.NO_DATA, Status.NO_DATA]


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not found"):
        load_results_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "accuracy": 0.9,\n  oops\n}')
    with pytest.raises(ResultsError, match=r"bad\.json:3:3: invalid JSON"):
        load_results_file(bad)
    arr = tmp_path / "arr.json"
    arr.write_text("[1, 2]")
    with pytest.raises(ResultsError, match="expected a JSON object"):
        load_results_file(arr)
