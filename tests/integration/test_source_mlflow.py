"""The MLflow source against a local tracking server: evaluation runs, trace metrics and the MLflow 2 fallback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from slotui.config.model import MLflowSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec, Status
from slotui.sources.base import SourceError, SourceHealth
from slotui.sources.mlflow import MLflowSource
from slotui.sources.runtime import fetch_all

try:
    from tests.integration.saas_servers import MLflowAPI, MLRun, MLTrace, percentile_linear
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from saas_servers import MLflowAPI, MLRun, MLTrace, percentile_linear  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0 + 59.0
TOKEN = "mlflow-token"


def make_runs() -> list[MLRun]:
    rng = random.Random(1)
    runs = []
    for i in range(12):  # an evaluation every 6 hours over 3 days
        start = NOW - 3 * DAY + 600 + i * 6 * HOUR
        runs.append(MLRun(f"run{i:02d}" + "a" * 26, start, {
            "accuracy": [(start + 120, round(rng.uniform(0.85, 0.95), 4), 0)],
            "helpfulness": [(start + 130, round(rng.uniform(0.7, 0.9), 4), 0)],
        }, tags={"stage": "prod" if i % 2 == 0 else "dev"}))
    # The newest run is a monitoring run logging accuracy every 10 minutes.
    start = NOW - 2 * HOUR
    runs.append(MLRun("runlive" + "b" * 25, start, {
        "accuracy": [(start + 600 * k + 5, round(0.9 - 0.01 * k, 4), k) for k in range(11)],
        "helpfulness": [(start + 30, 0.8, 0)],
    }, status="RUNNING", tags={"stage": "dev"}))
    return runs


def make_traces() -> list[MLTrace]:
    rng = random.Random(2)
    traces, t = [], NOW - 30 * HOUR
    while t < NOW + 200:
        traces.append(MLTrace(t, float(int(rng.lognormvariate(7, 0.5))), "ERROR" if rng.random() < 0.03 else "OK",
                              {"correctness": rng.choice([0.0, 1.0])} if rng.random() < 0.4 else {},
                              total_tokens=rng.randint(100, 900)))
        t += rng.uniform(20, 80)
    return traces


RUNS, TRACES = make_runs(), make_traces()


def source(url: str, **extra: object) -> MLflowSource:
    cfg = MLflowSourceConfig.model_validate({"type": "mlflow", "url": url, "experiment": "support-bot-evals",
                                             "token": TOKEN, "timeout": 5, **extra})
    return MLflowSource("mlflow", cfg, base_dir=Path("."))


def spec(name: str, **kw: object) -> SLOSpec:
    base: dict[str, object] = dict(name=name, kind="threshold", target=0.9, direction="higher_is_better",
                                   source="mlflow", window=DAY, period=3 * DAY, slice=5 * MINUTE, interval=30.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def points(key: str, runs: list[MLRun] = RUNS) -> list[tuple[float, float]]:
    """Each run's latest value, plus the whole history of the newest run holding ``key``."""
    holding = sorted((r for r in runs if key in r.metrics), key=lambda r: r.start_time)
    pts = {max(r.metrics[key], key=lambda h: (h[2], h[0]))[0]: max(r.metrics[key], key=lambda h: (h[2], h[0]))[1]
           for r in holding}
    pts.update({t: v for t, v, _ in holding[-1].metrics[key]})
    return sorted(pts.items())


def traces_in(start: float, end: float) -> list[MLTrace]:
    return [t for t in TRACES if start <= t.request_time < end]


async def test_evaluation_metrics_of_the_latest_runs_and_their_history() -> None:
    with MLflowAPI(RUNS, TRACES) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([
                spec("accuracy", query="metric:accuracy"),
                spec("helpfulness", sli_field="helpfulness", sli_agg="mean", target=0.8),
                spec("prod_accuracy", query="accuracy", params={"run_filter": "tags.stage = 'prod'"}),
            ], NOW)
        finally:
            await src.aclose()
    assert all(d.error is None for d in got.values()), {k: d.error for k, d in got.items()}
    accuracy = points("accuracy")
    assert got["accuracy"].value == accuracy[-1][1] == pytest.approx(0.8)  # the monitoring run's newest value
    slices = dict(got["accuracy"].slices)
    assert len(slices) == len(accuracy)  # every point is in its own 5-minute slice
    for t, v in accuracy:
        assert slices[t // 300 * 300] == v
    assert got["helpfulness"].value == points("helpfulness")[-1][1]
    prod = [r for r in RUNS if r.tags.get("stage") == "prod"]
    assert got["prod_accuracy"].value == points("accuracy", prod)[-1][1]
    # 0.8 is worse than the 0.9 target: AT RISK or worse, never OK.
    assert evaluate_slo(spec("accuracy"), got["accuracy"], NOW).status is not Status.OK

    paths = fake.paths()
    assert paths.count("/api/2.0/mlflow/experiments/get-by-name") == 1
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fake.requests)
    searches = [r.json for r in fake.requests if r.path.endswith("runs/search")]
    assert len(searches) == 2  # one per run filter, shared by the SLOs without one
    assert all(s["experiment_ids"] == ["42"] and s["order_by"] == ["attributes.start_time DESC"] for s in searches)
    assert any("tags.stage = 'prod'" in s["filter"] for s in searches)
    assert all(f"attributes.start_time < {int(NOW * 1000)}" in s["filter"] for s in searches)
    histories = [r.query for r in fake.requests if r.path.endswith("get-history")]
    assert {"run_id": "runlive" + "b" * 25, "metric_key": "accuracy", "max_results": "25000"} in histories


async def test_trace_latency_availability_and_assessments_from_trace_metrics() -> None:
    with MLflowAPI(RUNS, TRACES) as fake:
        src = source(fake.url)
        slos = [
            spec("p95_ms", query="traces:latency:p95", target=2000, direction="lower_is_better", window=HOUR,
                 period=DAY),
            spec("availability", kind="ratio", good="success", target=0.97, window=HOUR, period=DAY),
            spec("correctness", query="assessment:correctness", target=0.5, window=HOUR, period=DAY),
            spec("tokens", query="traces:total_tokens:avg", target=1000, direction="lower_is_better", window=HOUR,
                 period=DAY),
        ]
        try:
            got = await src.fetch(slos, NOW)
        finally:
            await src.aclose()
    assert all(d.error is None for d in got.values()), {k: d.error for k, d in got.items()}
    window = traces_in(NOW - HOUR, NOW)
    assert got["p95_ms"].value == pytest.approx(percentile_linear([t.duration_ms for t in window], 0.95))
    assert got["tokens"].value == pytest.approx(sum(t.total_tokens for t in window) / len(window))
    scores = [t.assessments["correctness"] for t in window if "correctness" in t.assessments]
    assert got["correctness"].value == pytest.approx(sum(scores) / len(scores))
    for w, counts in got["availability"].windows.items():
        part = traces_in(NOW - w, NOW)
        ok = sum(t.status == "OK" for t in part)
        assert counts == (float(ok), float(ok + sum(t.status == "ERROR" for t in part))), w
    hour = (NOW - 8 * HOUR) // HOUR * HOUR
    expected = percentile_linear([t.duration_ms for t in traces_in(hour, hour + HOUR)], 0.95)
    assert dict(got["p95_ms"].slices)[hour + 1800] == pytest.approx(expected)
    bodies = [r.json for r in fake.requests if r.path == "/api/3.0/mlflow/traces/metrics"]
    assert any(b["aggregations"] == [{"aggregation_type": "PERCENTILE", "percentile_value": 95.0}]
               and b["view_type"] == "TRACES" and b["metric_name"] == "latency" for b in bodies)
    assert any(b["view_type"] == "ASSESSMENTS" and b["filters"] == ['assessment.name = "correctness"'] for b in bodies)
    assert any(b.get("filters") == ['trace.status = "ERROR"'] for b in bodies)
    assert any(b.get("time_interval_seconds") == 3600 for b in bodies)
    # The backfill is a time series per measure, not a request per hour.
    assert len(bodies) < 60


async def test_mlflow_2_server_falls_back_to_trace_search_and_remembers() -> None:
    slos = [spec("p95_ms", query="traces:latency:p95", target=2000, direction="lower_is_better", window=HOUR,
                 period=6 * HOUR),
            spec("availability", kind="ratio", good="success", target=0.97, window=HOUR, period=6 * HOUR),
            spec("correctness", query="assessment:correctness", target=0.5, window=HOUR, period=6 * HOUR)]
    with MLflowAPI(RUNS, TRACES, trace_metrics=False) as fake:
        src = source(fake.url, experiment=None, experiment_id="42")
        try:
            got = await src.fetch(slos, NOW)
            n3 = sum(r.path.startswith("/api/3.0") for r in fake.requests)
            await src.fetch(slos, NOW + 60)
        finally:
            await src.aclose()
    window = traces_in(NOW - HOUR, NOW)
    assert got["p95_ms"].value == pytest.approx(percentile_linear([t.duration_ms for t in window], 0.95))
    ok = sum(t.status == "OK" for t in window)
    assert got["availability"].windows[HOUR] == (float(ok), float(ok + sum(t.status == "ERROR" for t in window)))
    assert "need MLflow 3" in got["correctness"].error
    assert n3 == 1 and sum(r.path.startswith("/api/3.0") for r in fake.requests) == 1
    assert "/api/2.0/mlflow/experiments/get-by-name" not in fake.paths()  # experiment_id given


async def test_unauthorized_and_unknown_experiment_are_source_errors() -> None:
    with MLflowAPI(RUNS, TRACES, token="other") as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"m": src}, {"m": [spec("accuracy", query="metric:accuracy")]}, NOW,
                                           {"m": 5}, health)
        finally:
            await src.aclose()
    assert "unauthorized (check the API key): HTTP 401" in errors["m"] and TOKEN not in errors["m"]
    assert evaluate_slo(spec("accuracy"), data["accuracy"], NOW).status is Status.NO_DATA
    with MLflowAPI(RUNS, TRACES, experiment="other") as fake:
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([spec("accuracy", query="metric:accuracy")], NOW)
        finally:
            await src.aclose()
    assert "experiment 'support-bot-evals' not found" in str(err.value)


async def test_rate_limit_server_error_timeout_and_malformed_json() -> None:
    with MLflowAPI(RUNS, TRACES, fail=[(429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"},
                                        {"Retry-After": "0.1"})]) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("accuracy", query="metric:accuracy")], NOW)
            fake.route = lambda r: (500, {"error_code": "INTERNAL_ERROR", "message": "database is locked"})
            with pytest.raises(SourceError) as down:
                await src.fetch([spec("accuracy", query="metric:accuracy")], NOW + 30)
            fake.route = lambda r: (200, b"{\"runs\": [")
            with pytest.raises(SourceError) as garbage:
                await src.fetch([spec("accuracy", query="metric:accuracy")], NOW + 60)
        finally:
            await src.aclose()
    assert got["accuracy"].value == pytest.approx(0.8)
    assert "server error: HTTP 500" in str(down.value) and "database is locked" in str(down.value)
    assert "malformed JSON" in str(garbage.value)
    with MLflowAPI(RUNS, TRACES, hang=True) as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            _, errors = await fetch_all({"m": src}, {"m": [spec("accuracy", query="metric:accuracy")]}, NOW,
                                        {"m": 0.4}, health)
        finally:
            await src.aclose()
    assert errors["m"] == "timed out after 0.4s" and health["m"].consecutive_failures == 1


async def test_nan_metric_is_no_data_and_a_bad_filter_errs_its_slo() -> None:
    runs = [MLRun("nanrun" + "c" * 26, NOW - HOUR, {"accuracy": [(NOW - HOUR + 60, "NaN", 0)]})]
    with MLflowAPI(runs, TRACES) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([
                spec("accuracy", query="metric:accuracy"),
                spec("bad", query="metric:accuracy", params={"run_filter": "params.lr > oops"}),
                spec("unknown", query="traces:cost:avg"),
            ], NOW)
        finally:
            await src.aclose()
    assert got["accuracy"].error is None and got["accuracy"].value is None and got["accuracy"].slices == ()
    assert "NaN" in (got["accuracy"].note or "")
    assert evaluate_slo(spec("accuracy"), got["accuracy"], NOW).status is Status.NO_DATA
    assert "MLflow rejected the query: HTTP 400" in got["bad"].error and "Invalid clause" in got["bad"].error
    assert "unknown trace metric 'cost'" in got["unknown"].error
