"""The MLflow source against a real MLflow tracking server, with data logged by the real ``mlflow`` client.

One ``mlflow server`` runs for the whole session (see mlflow_real_server.py). Runs, metrics, traces
and assessments are logged here with explicit timestamps around ``T0`` (2026-06-01T12:00:00Z), so
every expected number below is worked out by hand:

- evaluation runs (experiment ``slotui-real-evals``): A (prod, 2 days ago) accuracy 0.91 and
  faithfulness 0.8; B (dev, a day ago) accuracy 0.87; C (prod, 3 hours ago) accuracy 0.93 and a NaN;
  D (dev, 2 hours ago, the newest) accuracy 0.90, 0.89, 0.88, 0.87 at steps 0..3, five minutes apart.
- traces (experiment ``slotui-real-traces``): in the hour before T0, ten traces k = 0..9 at
  ``T0 - 3600 + 360k + 30`` lasting ``100(k+1)`` ms, ERROR for k = 0 and 5, total tokens ``15(k+1)``,
  tag env=prod for even k; float feedback ``relevance`` 0.5, 0.75, 1.0, 0.25 on k = 0..3 and
  boolean feedback ``correct`` true, true, false, true, false on k = 0..4. In the hour before that,
  four OK traces of 2,000 ms at ``T0 - 7200 + 900j + 60``.
- a busy experiment (``slotui-real-busy``): 30 traces, one per 5-minute bucket up to T0, 100 ms
  except the newest 5 at 4,000 ms; the source is given ``metrics_page=8`` so each question is larger
  than the server answers in one page.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from slotui.config.model import MLflowSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec, Status
from slotui.sources.mlflow import MLflowSource

try:
    from tests.integration.mlflow_real_server import mlflow_server  # noqa: F401 (a fixture)
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from mlflow_real_server import mlflow_server  # type: ignore[no-redef]  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

T0 = 1_780_315_200.0  # 2026-06-01T12:00:00Z
SLICE = 5 * MINUTE


@dataclass(frozen=True)
class Logged:
    url: str
    busy_experiment_id: str


def _ms(t: float) -> int:
    return int(round(t * 1000))


def _log_trace(experiment_id: str, start: float, duration_ms: int, *, status: str = "OK",
               tokens: int | None = None, tags: dict[str, str] | None = None) -> str:
    import mlflow

    span = mlflow.start_span_no_context("chat", experiment_id=experiment_id, start_time_ns=_ms(start) * 1_000_000,
                                        tags=tags)
    if tokens is not None:
        span.set_attribute("mlflow.chat.tokenUsage",
                           {"input_tokens": tokens * 2 // 3, "output_tokens": tokens // 3, "total_tokens": tokens})
    span.end(status=status, end_time_ns=(_ms(start) + duration_ms) * 1_000_000)
    return span.trace_id


def _wait_for_traces(url: str, experiment_id: str, n: int) -> None:
    """Poll the server until it holds ``n`` traces of the experiment (the client logs them asynchronously)."""
    body = {"experiment_ids": [experiment_id], "view_type": "TRACES", "metric_name": "trace_count",
            "aggregations": [{"aggregation_type": "COUNT"}]}
    deadline = time.monotonic() + 60
    while True:
        points = httpx.post(f"{url}/api/3.0/mlflow/traces/metrics", json=body, timeout=10).json().get("data_points")
        if points and points[0]["values"]["COUNT"] == n:
            return
        assert time.monotonic() < deadline, f"the server holds {points} traces, expected {n}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def logged(mlflow_server: str) -> Logged:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server)
    evals = client.create_experiment("slotui-real-evals")

    def run(start: float, stage: str, metrics: list[tuple[str, float, float, int]]) -> None:
        created = client.create_run(evals, start_time=_ms(start), tags={"stage": stage})
        with mlflow.start_run(run_id=created.info.run_id):
            for key, value, at, step in metrics:
                mlflow.log_metric(key, value, step=step, timestamp=_ms(at))

    run(T0 - 2 * DAY, "prod", [("accuracy", 0.91, T0 - 2 * DAY + 60, 0), ("faithfulness", 0.8, T0 - 2 * DAY + 70, 0)])
    run(T0 - DAY + 600, "dev", [("accuracy", 0.87, T0 - DAY + 660, 0)])
    run(T0 - 3 * HOUR, "prod", [("accuracy", 0.93, T0 - 3 * HOUR + 60, 0),
                                ("broken", float("nan"), T0 - 3 * HOUR + 60, 0)])
    run(T0 - 2 * HOUR, "dev", [("accuracy", round(0.90 - 0.01 * k, 2), T0 - 2 * HOUR + 300 * k + 5, k)
                               for k in range(4)])

    traces = client.create_experiment("slotui-real-traces")
    ids = []
    for k in range(10):
        ids.append(_log_trace(traces, T0 - HOUR + 360 * k + 30, 100 * (k + 1),
                              status="ERROR" if k in (0, 5) else "OK", tokens=15 * (k + 1),
                              tags={"env": "prod" if k % 2 == 0 else "dev"}))
    for j in range(4):
        _log_trace(traces, T0 - 2 * HOUR + 900 * j + 60, 2000, tokens=10)
    busy = client.create_experiment("slotui-real-busy")
    for k in range(30):
        _log_trace(busy, T0 - (30 - k) * SLICE + 10, 4000 if k >= 25 else 100)
    mlflow.flush_trace_async_logging()
    _wait_for_traces(mlflow_server, traces, 14)
    _wait_for_traces(mlflow_server, busy, 30)
    for trace_id, score in zip(ids, (0.5, 0.75, 1.0, 0.25)):
        mlflow.log_feedback(trace_id=trace_id, name="relevance", value=score)
    for trace_id, verdict in zip(ids, (True, True, False, True, False)):
        mlflow.log_feedback(trace_id=trace_id, name="correct", value=verdict)
    return Logged(mlflow_server, busy)


def source(url: str, experiment: str, **kw: object) -> MLflowSource:
    cfg = MLflowSourceConfig.model_validate({"type": "mlflow", "url": url, "experiment": experiment, "timeout": 60})
    return MLflowSource("mlflow", cfg, base_dir=Path("."), **kw)  # type: ignore[arg-type]


def spec(name: str, **kw: object) -> SLOSpec:
    base: dict[str, object] = dict(name=name, kind="threshold", target=0.9, direction="higher_is_better",
                                   source="mlflow", window=HOUR, period=DAY, slice=SLICE, interval=30.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def fetch(src: MLflowSource, slos: list[SLOSpec], now: float = T0) -> dict:
    async def go() -> dict:
        try:
            return dict(await src.fetch(slos, now))
        finally:
            await src.aclose()

    return asyncio.run(go())


def test_mlflow_real_evaluation_metrics_of_the_latest_runs(logged: Logged) -> None:
    week = dict(window=7 * DAY, period=7 * DAY)
    got = fetch(source(logged.url, "slotui-real-evals"), [
        spec("accuracy", query="metric:accuracy", **week),
        spec("prod_accuracy", query="metric:accuracy", params={"run_filter": "tags.stage = 'prod'"}, **week),
        spec("faithfulness", sli_field="faithfulness", sli_agg="mean", target=0.75, **week),
        spec("broken", query="metric:broken", **week),
        spec("recent_faithfulness", query="metric:faithfulness", window=DAY, period=7 * DAY),
    ])
    assert {k: d.error for k, d in got.items()} == dict.fromkeys(got)
    # the newest run (D) logged its history 0.90 .. 0.87; the newest point wins
    assert got["accuracy"].value == 0.87
    assert got["accuracy"].slices == tuple(sorted([
        ((T0 - 2 * DAY + 60) // SLICE * SLICE, 0.91), ((T0 - DAY + 660) // SLICE * SLICE, 0.87),
        ((T0 - 3 * HOUR + 60) // SLICE * SLICE, 0.93),
        *(((T0 - 2 * HOUR + 300 * k + 5) // SLICE * SLICE, round(0.90 - 0.01 * k, 2)) for k in range(4))]))
    assert got["prod_accuracy"].value == 0.93  # run C, the newest prod run
    assert [v for _, v in got["prod_accuracy"].slices] == [0.91, 0.93]
    assert got["faithfulness"].value == 0.8
    assert got["recent_faithfulness"].value is None and "no value logged in the window" in got["recent_faithfulness"].note
    # MLflow stores NaN; the newest value being NaN is no data, never a number
    assert got["broken"].value is None and "NaN" in (got["broken"].note or "")
    assert evaluate_slo(spec("broken", **week), got["broken"], T0).status is Status.NO_DATA
    assert evaluate_slo(spec("accuracy", **week), got["accuracy"], T0).status is not Status.OK  # 0.87 < 0.9
    # run D's history in pages of 2 (the server pages get-history oldest first): nothing is lost
    paged = fetch(source(logged.url, "slotui-real-evals", history_page=2), [spec("accuracy", query="accuracy", **week)])
    assert paged["accuracy"].slices == got["accuracy"].slices and paged["accuracy"].value == 0.87


def test_mlflow_real_trace_latency_tokens_counts_and_assessments(logged: Logged) -> None:
    lower = dict(direction="lower_is_better", target=5000)
    got = fetch(source(logged.url, "slotui-real-traces"), [
        spec("p95", query="traces:latency:p95", **lower),
        spec("avg", query="traces:latency:avg", **lower),
        spec("max", query="traces:latency:max", **lower),
        spec("prod_p50", query="traces:latency:p50", params={"filters": ['trace.tag.env = "prod"']}, **lower),
        spec("tokens", query="traces:total_tokens:avg", **lower),
        spec("tokens_sum", query="traces:total_tokens:sum", **lower),
        spec("count", query="traces:trace_count", target=1),
        spec("availability", kind="ratio", good="success", target=0.99),
        spec("relevance", query="assessment:relevance", target=0.5),
        spec("correct", query="assessment:correct", target=0.5),
        spec("correct_n", query="assessment:correct:count", target=1),
    ])
    assert {k: d.error for k, d in got.items()} == dict.fromkeys(got)
    # latencies 100 .. 1000 ms: p95 at position 0.95 * 9 = 8.55, 900 + 0.55 * 100
    assert got["p95"].value == pytest.approx(955.0, abs=1e-9)
    assert got["avg"].value == 550.0 and got["max"].value == 1000.0
    assert got["prod_p50"].value == 500.0  # k = 0, 2, 4, 6, 8: 100, 300, 500, 700, 900
    assert got["tokens"].value == 82.5 and got["tokens_sum"].value == 825.0  # 15 * (1 + ... + 10)
    assert got["count"].value == 10.0
    assert got["relevance"].value == 0.625  # (0.5 + 0.75 + 1.0 + 0.25) / 4
    assert got["correct"].value == 0.6  # 3 true of 5
    assert got["correct_n"].value == 5.0
    # the period's slices: each slice is its own bucket, and only slices with a trace have a value (an
    # hour's p95 stood for its twelve slices: an hour of one slow trace made twelve bad slices)
    p95 = dict(got["p95"].slices)
    expected = {T0 - HOUR + (360 * k + 30) // SLICE * SLICE: 100.0 * (k + 1) for k in range(10)}
    expected |= {T0 - 2 * HOUR + (900 * j + 60) // SLICE * SLICE: 2000.0 for j in range(4)}
    assert p95 == pytest.approx(expected)
    # a count is a 5-minute count in every slice of the day (not an hour's count in the middle)
    counts = dict(got["count"].slices)
    assert len(counts) == 288 and sum(counts.values()) == 14.0
    ones = {T0 - HOUR + (360 * k + 30) // SLICE * SLICE for k in range(10)}
    ones |= {T0 - 2 * HOUR + (900 * j + 60) // SLICE * SLICE for j in range(4)}
    assert {t for t, v in counts.items() if v} == ones and set(counts.values()) == {0.0, 1.0}
    sums = dict(got["tokens_sum"].slices)
    # a sum is also per slice; a slice without traces has no sum (no data), not an hour's sum
    assert sums[T0 - HOUR] == 15.0 and T0 - SLICE not in sums and len(sums) == 14
    assert sum(sums.values()) == 825.0 + 4 * 10.0
    # availability: OK / (OK + ERROR); in-progress traces are not counted
    windows = got["availability"].windows
    assert windows[HOUR] == (8.0, 10.0) and windows[DAY] == (12.0, 14.0)
    assert windows[6 * HOUR] == (12.0, 14.0) and windows[5 * MINUTE] == (0.0, 0.0)
    buckets = got["availability"].buckets
    assert math.fsum(b[1] for b in buckets) == pytest.approx(12.0) and math.fsum(b[2] for b in buckets) == pytest.approx(14.0)


def test_mlflow_real_server_answers_max_results_buckets_oldest_first(logged: Logged) -> None:
    """The server behaviour the source is built around (MLflow 3.17): if this changes, revisit the source."""
    body = {"experiment_ids": [logged.busy_experiment_id], "view_type": "TRACES", "metric_name": "trace_count",
            "aggregations": [{"aggregation_type": "COUNT"}], "time_interval_seconds": 300,
            "start_time_ms": _ms(T0 - 6 * HOUR), "end_time_ms": _ms(T0) - 1, "max_results": 8}
    answer = httpx.post(f"{logged.url}/api/3.0/mlflow/traces/metrics", json=body, timeout=10).json()
    assert len(answer["data_points"]) == 8 and "next_page_token" not in answer
    first = answer["data_points"][0]["dimensions"]["time_bucket"]
    assert first.startswith("2026-06-01T09:30:00")  # T0 - 30 slices: the oldest, the newest 22 are dropped
    # and the end of the range is inclusive: a trace at exactly end_time_ms is counted
    one = {**body, "start_time_ms": _ms(T0 - SLICE + 10), "end_time_ms": _ms(T0 - SLICE + 10)}
    one.pop("time_interval_seconds")
    assert httpx.post(f"{logged.url}/api/3.0/mlflow/traces/metrics", json=one,
                      timeout=10).json()["data_points"][0]["values"]["COUNT"] == 1.0


def test_mlflow_real_newest_slices_survive_a_small_max_results(logged: Logged) -> None:
    slos = [spec("p95", query="traces:latency:p95", direction="lower_is_better", target=2000, period=6 * HOUR,
                 params={"backfill_step": "5m"}),
            spec("count", query="traces:trace_count", target=1, period=6 * HOUR)]
    src = source(logged.url, "slotui-real-busy", metrics_page=8)
    got = fetch(src, slos)
    assert {k: d.error for k, d in got.items()} == dict.fromkeys(got)
    p95 = got["p95"].slices
    assert [v for _, v in p95] == [100.0] * 25 + [4000.0] * 5
    assert p95[-1][0] == T0 - SLICE and p95[0][0] == T0 - 30 * SLICE
    result = evaluate_slo(slos[0], got["p95"], T0)
    assert (result.budget.good_slices, result.budget.slices) == (25, 30)
    counts = got["count"].slices
    assert len(counts) == 72 and [v for _, v in counts] == [0.0] * 42 + [1.0] * 30
    assert got["count"].value == 12.0  # the last hour: 12 buckets of one trace



def test_mlflow_real_odd_names_infinite_metrics_and_unknown_or_deleted_experiments(mlflow_server: str) -> None:
    """An experiment name with spaces, a slash, quotes, unicode and URL syntax is sent encoded and
    matched exactly (its prefix twin holds another value); an infinite metric, which the server
    stores and answers as the largest double, is no data (it was 1.8e308: OK for higher_is_better);
    an experiment id or name the server does not know, or a deleted experiment, is a source error
    naming it (an unknown id answered NO DATA forever: 'no run in the period logged this metric')."""
    import mlflow
    from mlflow import MlflowClient

    from slotui.sources.kit.base import SourceError

    client = MlflowClient(mlflow_server)
    odd = "slotui odd/name 'q' \"dq\" é 日本 a+b&c=d?#x%20"
    for name, accuracy in ((odd, 0.8), ("slotui odd/name", 0.3)):
        created = client.create_run(client.create_experiment(name), start_time=_ms(T0 - HOUR))
        with mlflow.start_run(run_id=created.info.run_id):
            mlflow.log_metric("accuracy", accuracy, timestamp=_ms(T0 - HOUR + 60))
            mlflow.log_metric("grow", float("inf"), timestamp=_ms(T0 - HOUR + 60))
            mlflow.log_metric("shrink", float("-inf"), timestamp=_ms(T0 - HOUR + 60))
    got = fetch(source(mlflow_server, odd), [spec("accuracy", query="metric:accuracy", window=DAY),
                                             spec("grow", query="metric:grow", window=DAY),
                                             spec("shrink", query="metric:shrink", window=DAY)])
    assert got["accuracy"].value == 0.8 and got["accuracy"].error is None
    for name in ("grow", "shrink"):
        assert got[name].value is None and "infinite" in got[name].note and got[name].slices == ()
        assert evaluate_slo(spec(name, window=DAY), got[name], T0).status is Status.NO_DATA
    gone = client.create_experiment("slotui-deleted")
    client.delete_experiment(gone)

    def error_of(**where: str) -> str:
        cfg = MLflowSourceConfig.model_validate({"type": "mlflow", "url": mlflow_server, "timeout": 60, **where})
        with pytest.raises(SourceError) as err:
            fetch(MLflowSource("mlflow", cfg, base_dir=Path(".")), [spec("accuracy", query="metric:accuracy")])
        return str(err.value)

    assert error_of(experiment_id="987654") == f"experiment_id '987654' not found on {mlflow_server}"
    assert error_of(experiment_id="not-a-number") == f"experiment_id 'not-a-number' not found on {mlflow_server}"
    assert error_of(experiment="slotui no such experiment") == (
        f"experiment 'slotui no such experiment' not found on {mlflow_server}")
    assert error_of(experiment="slotui-deleted").startswith(f"experiment 'slotui-deleted' on {mlflow_server} is deleted")
    assert error_of(experiment_id=gone).startswith(f"experiment_id '{gone}' on {mlflow_server} is deleted")


def test_mlflow_real_assessment_names_with_quotes_are_asked_as_the_filter_grammar_reads_them(
        mlflow_server: str) -> None:
    """MLflow's trace filter has no escapes: ``assessment.name = "he said \\"hi\\""`` matched no
    assessment (value None, n 0: a silent NO DATA). Three traces carry ``he said "hi"`` = 0.25, 0.5,
    0.75 (mean 0.5), ``it's`` = 1.0 each and ``x = 1 OR 1=1`` = 0.0 each; a name with both quote kinds
    cannot be written in the grammar and is an error on its SLO."""
    import mlflow
    from mlflow import MlflowClient

    experiment = MlflowClient(mlflow_server).create_experiment("slotui-real-quoted-assessments")
    ids = [_log_trace(experiment, T0 - HOUR + 600 * k, 100) for k in range(3)]
    mlflow.flush_trace_async_logging()
    _wait_for_traces(mlflow_server, experiment, 3)
    for trace_id, score in zip(ids, (0.25, 0.5, 0.75)):
        mlflow.log_feedback(trace_id=trace_id, name='he said "hi"', value=score)
        mlflow.log_feedback(trace_id=trace_id, name="it's", value=1.0)
        mlflow.log_feedback(trace_id=trace_id, name="x = 1 OR 1=1", value=0.0)
    got = fetch(source(mlflow_server, "slotui-real-quoted-assessments"), [
        spec("double", query='assessment:he said "hi"'),
        spec("single", query="assessment:it's"),
        spec("sql", query="assessment:x = 1 OR 1=1"),
        spec("both", query="""assessment:"it's" he said""")])
    assert (got["double"].value, got["double"].n) == (0.5, 3)
    assert (got["single"].value, got["single"].n) == (1.0, 3)
    assert (got["sql"].value, got["sql"].n) == (0.0, 3)
    assert got["both"].error == ("assessment name '\"it\\'s\" he said' holds both quote characters; "
                                 "MLflow's filter syntax cannot ask for it")


def test_mlflow_real_a_monitoring_run_started_before_the_period_counts(mlflow_server: str) -> None:
    """A run started 40 days before T0 and still running logs accuracy 0.7 at T0 - 10 min; another
    started 35 days before and terminated at T0 - 50 min logged 0.6 at T0 - 1 h. The server answers
    the filters slotui sends for them (status = 'RUNNING', end_time >=): both count, where the
    runs/search of runs started in the period alone found none."""
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server)
    experiment = client.create_experiment("slotui-real-long-runs")
    live = client.create_run(experiment, start_time=_ms(T0 - 40 * DAY))  # RUNNING, no end_time
    client.log_metric(live.info.run_id, "accuracy", 0.7, timestamp=_ms(T0 - 600))
    assert client.get_run(live.info.run_id).info.status == "RUNNING"
    done = client.create_run(experiment, start_time=_ms(T0 - 35 * DAY))
    client.log_metric(done.info.run_id, "faithfulness", 0.6, timestamp=_ms(T0 - HOUR))
    client.set_terminated(done.info.run_id, end_time=_ms(T0 - 50 * MINUTE))
    got = fetch(source(mlflow_server, "slotui-real-long-runs"),
                [spec("accuracy", query="metric:accuracy", window=DAY, period=3 * DAY),
                 spec("faithfulness", query="metric:faithfulness", target=0.5, window=DAY, period=3 * DAY)])
    assert (got["accuracy"].value, got["accuracy"].error) == (0.7, None)
    assert (got["faithfulness"].value, got["faithfulness"].error) == (0.6, None)
