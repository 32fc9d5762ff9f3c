"""The MLflow source against a local tracking server: evaluation runs, trace metrics and the MLflow 2 fallback."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from slotui.config.model import MLflowSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec, Status
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.mlflow import MLflowSource
from slotui.sources.kit.runtime import fetch_all

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
    # three per run filter, shared by the SLOs without one: the runs started in the period, and those
    # started before it still running or ended in it
    assert len(searches) == 6
    assert all(s["experiment_ids"] == ["42"] and s["order_by"] == ["attributes.start_time DESC"] for s in searches)
    assert sum("tags.stage = 'prod'" in s["filter"] for s in searches) == 3
    assert sum(f"attributes.start_time < {int(NOW * 1000)}" in s["filter"] for s in searches) == 2
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
    # n (SPEC 10.2): the traces behind a per-trace figure, the assessments behind their mean
    assert (got["p95_ms"].n, got["tokens"].n, got["correctness"].n) == (len(window), len(window), len(scores))
    for w, counts in got["availability"].windows.items():
        part = traces_in(NOW - w, NOW)
        ok = sum(t.status == "OK" for t in part)
        assert counts == (float(ok), float(ok + sum(t.status == "ERROR" for t in part))), w
    # every slice is its own bucket (an hour's value stood for each of its twelve slices: an hour with
    # one slow trace made twelve bad slices, where SPEC 3 counts slices with data)
    hour = (NOW - 8 * HOUR) // HOUR * HOUR
    slices = dict(got["p95_ms"].slices)
    for start in (hour + 1800, hour + 2100):
        inside = [t.duration_ms for t in traces_in(start, start + 300)]
        assert slices.get(start) == (pytest.approx(percentile_linear(inside, 0.95)) if inside else None), start
    # a slice has a value exactly when a trace started in it
    assert all(traces_in(start, start + 300) for start in slices)
    bodies = [r.json for r in fake.requests if r.path == "/api/3.0/mlflow/traces/metrics"]
    assert any(b["aggregations"] == [{"aggregation_type": "PERCENTILE", "percentile_value": 95.0}]
               and b["view_type"] == "TRACES" and b["metric_name"] == "latency" for b in bodies)
    assert any(b["view_type"] == "ASSESSMENTS" and b["filters"] == ['assessment.name = "correctness"'] for b in bodies)
    assert any(b.get("filters") == ['trace.status = "ERROR"'] for b in bodies)
    assert any(b.get("time_interval_seconds") == 300 for b in bodies)
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


# --------------------------------------------------------------------------- traces/metrics answers at most max_results buckets

# 1,055 traces, one per 5-minute bucket, ending at a time on the 5-minute grid (not on the hour): the
# newest 5 take 4,000 ms, the others 100 ms. MLflow answers at most max_results (1000) buckets, oldest
# first, with no next_page_token; asking the 30-day period in one 5-minute series dropped the newest 55.
BUSY_NOW = 1_780_000_200.0  # 2026-05-28T20:30:00Z: 30 minutes past the hour
BUSY = [MLTrace(BUSY_NOW - (1055 - k) * 300 + 10, 4000.0 if k >= 1050 else 100.0) for k in range(1055)]


def busy_specs() -> list[SLOSpec]:
    return [spec("p95", query="traces:latency:p95", target=2000, direction="lower_is_better", window=HOUR,
                 period=30 * DAY),
            spec("count", query="traces:trace_count", target=1, direction="higher_is_better", window=HOUR,
                 period=30 * DAY)]


async def test_a_busy_experiment_keeps_its_newest_slices() -> None:
    with MLflowAPI([], BUSY) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch(busy_specs(), BUSY_NOW)
        finally:
            await src.aclose()
    assert got["p95"].error is None and got["count"].error is None
    p95 = got["p95"].slices
    # the last half hour is asked in 5-minute slices: its newest 5 are the slow ones
    assert [v for _, v in p95[-6:]] == [100.0, 4000.0, 4000.0, 4000.0, 4000.0, 4000.0]
    assert p95[-1][0] == BUSY_NOW - 300
    result = evaluate_slo(busy_specs()[0], got["p95"], BUSY_NOW)
    # one trace every 5 minutes: 1,055 slices with data, each its own bucket; only the 5 newest are bad
    assert (result.budget.slices, result.budget.good_slices) == (1055, 1050)
    assert got["p95"].value == 4000.0  # the window [19:30, 20:30) holds 12 traces, 5 of them slow
    # a count is a 5-minute count in every slice of the period, never an hour's count
    counts = got["count"].slices
    assert len(counts) == 30 * 24 * 12
    assert {v for _, v in counts} == {0.0, 1.0} and sum(v for _, v in counts) == 1055.0
    assert all(v == 1.0 for _, v in counts[-1055:])
    assert got["count"].value == 12.0
    bodies = [r.json for r in fake.requests if r.path == "/api/3.0/mlflow/traces/metrics"]
    for b in bodies:
        if "time_interval_seconds" in b:
            buckets = (b["end_time_ms"] + 1 - b["start_time_ms"]) / 1000 / b["time_interval_seconds"]
            assert buckets < b["max_results"] == 1000
    assert len(bodies) < 30


async def test_a_full_page_is_split_until_it_is_whole_or_reported() -> None:
    traces = BUSY[-40:]
    with MLflowAPI([], traces) as fake:
        answer = fake.route

        def capped(req):  # a server that fills every page asking for more than 2 buckets
            body = req.json or {}
            step = body.get("time_interval_seconds")
            if req.path.endswith("traces/metrics") and step:
                n = (body["end_time_ms"] + 1 - body["start_time_ms"]) / 1000 / step
                if n > 2:
                    junk = {"metric_name": "latency", "dimensions": {"time_bucket": "2026-05-28T00:00:00Z"},
                            "values": {"P95.0": 1.0, "COUNT": 1.0}}
                    return 200, {"data_points": [junk] * body["max_results"]}
            return answer(req)

        fake.route = capped
        src = MLflowSource("mlflow", MLflowSourceConfig.model_validate(
            {"type": "mlflow", "url": fake.url, "experiment": "support-bot-evals", "token": TOKEN, "timeout": 20}),
            base_dir=Path("."), metrics_page=4)
        short = [replace_spec(s, period=4 * HOUR, window=HOUR) for s in busy_specs()]
        try:
            got = await src.fetch(short, BUSY_NOW)
            one_bucket = {"dimensions": {"time_bucket": "2026-05-28T20:00:00Z"}, "values": {"COUNT": 1}}
            fake.route = lambda req: ((200, {"data_points": [one_bucket] * 4}) if req.path.endswith("traces/metrics")
                                      else answer(req))
            src2 = MLflowSource("mlflow", src.config, base_dir=Path("."), metrics_page=4)
            try:
                broken = await src2.fetch(short, BUSY_NOW)
            finally:
                await src2.aclose()
        finally:
            await src.aclose()
    counts = dict(got["count"].slices)
    assert got["count"].error is None
    assert sum(counts.values()) == 40.0 and all(counts[BUSY_NOW - 300 * k] == 1.0 for k in range(1, 41))
    assert [v for _, v in got["p95"].slices[-6:]] == [100.0] + [4000.0] * 5
    assert "full page" in (broken["count"].error or "") and "truncated" in broken["count"].error


def replace_spec(s: SLOSpec, **kw: object) -> SLOSpec:
    import dataclasses

    return dataclasses.replace(s, **kw)  # type: ignore[arg-type]


async def test_unsupported_aggregations_are_named_and_assessment_counts_use_assessment_count() -> None:
    with MLflowAPI(RUNS, TRACES) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([
                spec("lat_sum", query="traces:latency:sum"),
                spec("count_of", query="traces:trace_count:p95"),
                spec("judge_sum", query="assessment:correctness:sum"),
                spec("judged", query="assessment:correctness:count", window=HOUR, period=DAY),
            ], NOW)
        finally:
            await src.aclose()
    assert got["lat_sum"].error == "MLflow's latency supports avg, max, min, pNN (got 'traces:latency:sum')"
    assert "trace_count supports count" in got["count_of"].error
    assert "assessment_value supports avg, max, min, pNN" in got["judge_sum"].error
    assert got["judged"].error is None
    window = traces_in(NOW - HOUR, NOW)
    assert got["judged"].value == float(sum("correctness" in t.assessments for t in window))
    bodies = [r.json for r in fake.requests if r.path == "/api/3.0/mlflow/traces/metrics"]
    assert all(b["metric_name"] == "assessment_count" for b in bodies if b["view_type"] == "ASSESSMENTS")


async def test_long_histories_are_paged_and_a_cut_run_search_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import slotui.sources.mlflow as mlflow_source

    monkeypatch.setattr(mlflow_source, "RUN_PAGE", 2)  # 13 runs, at most 5 pages of 2: the oldest 3 are unread
    with MLflowAPI(RUNS, TRACES) as fake:
        src = MLflowSource("mlflow", MLflowSourceConfig.model_validate(
            {"type": "mlflow", "url": fake.url, "experiment": "support-bot-evals", "token": TOKEN, "timeout": 5}),
            base_dir=Path("."), history_page=4)
        try:
            got = await src.fetch([spec("accuracy", query="metric:accuracy")], NOW)
        finally:
            await src.aclose()
    live = [r for r in RUNS if r.status == "RUNNING"][0]
    slices = dict(got["accuracy"].slices)
    # the monitoring run's 11 points come in pages of 4 (oldest first): every one is read, the newest too
    assert all(slices[t // 300 * 300] == v for t, v, _ in live.metrics["accuracy"])
    assert got["accuracy"].value == pytest.approx(0.8)
    pages = [r.query for r in fake.requests if r.path.endswith("get-history")]
    assert [p.get("page_token") for p in pages] == [None, "4", "8"]
    assert got["accuracy"].note == "only the newest 10 runs of the period were read"
    assert len(slices) == 9 + 11  # 9 evaluation runs' latest points + the live run's 11 points


async def test_mlflow_2_trace_search_cut_short_is_an_error_not_a_partial_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import slotui.sources.mlflow as mlflow_source

    monkeypatch.setattr(mlflow_source, "TRACE_PAGE", 10)
    monkeypatch.setattr(mlflow_source, "MAX_TRACE_PAGES", 3)  # 30 traces at most per range
    window = traces_in(NOW - HOUR, NOW)
    assert len(window) > 30
    slos = [spec("p95_ms", query="traces:latency:p95", target=2000, direction="lower_is_better", window=HOUR,
                 period=HOUR)]
    with MLflowAPI(RUNS, TRACES, trace_metrics=False) as fake:
        src = source(fake.url, experiment=None, experiment_id="42")
        try:
            got = await src.fetch(slos, NOW)
        finally:
            await src.aclose()
    assert got["p95_ms"].value is None
    # three pages of ten were read, and the search still had more: said as it is (it claimed "more than
    # 30 traces" whatever the pages held, also when a server paged on with empty pages)
    assert got["p95_ms"].error == ("the trace search did not end after 3 pages (30 traces read): too many to "
                                   "aggregate from it (MLflow 3's traces/metrics answers this)")


async def test_behind_a_path_prefix_with_a_query_parameter() -> None:
    """``url: https://gw/mlflow?tenant=a``: the API paths go under the prefix, the query rides
    along on every request (merged with each request's own), and the answers are those of the
    plain URL."""
    specs = [spec("accuracy", query="metric:accuracy"),
             spec("p95_ms", query="traces:latency:p95", target=3000, direction="lower_is_better", window=HOUR)]
    answers = []
    for prefix, suffix in (("", ""), ("/mlflow", "/mlflow?tenant=team-a")):
        with MLflowAPI(RUNS, TRACES, prefix=prefix) as fake:
            src = source(fake.url + suffix)
            try:
                got = await src.fetch(specs, NOW)
            finally:
                await src.aclose()
        assert all(d.error is None for d in got.values()), {k: d.error for k, d in got.items()}
        answers.append({k: (d.value, d.windows, d.slices) for k, d in got.items()})
    assert answers[0] == answers[1]
    assert fake.requests and all(r.query.get("tenant") == "team-a" for r in fake.requests)


async def test_an_error_echoing_the_token_never_shows_it_and_an_error_under_http_200_is_an_error() -> None:
    """A 400 whose message echoes the Authorization header (a gateway), a 422 echoing the token, and
    MLflow's error shape under HTTP 200: each says what went wrong, never the token; the 200 one is
    an error (it was read as an empty answer: a silent NO DATA)."""
    echoes = [
        (400, {"error_code": "INVALID_PARAMETER_VALUE", "message": f"bad filter from Bearer {TOKEN}"}),
        (422, {"error_code": "BAD_REQUEST", "message": f"token {TOKEN} cannot do that"}),
        (200, {"error_code": "INTERNAL_ERROR", "message": f"backend refused Bearer {TOKEN}"}),
        (200, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid filter 'trace.tag.x = 1'"}),
    ]
    texts = []
    for answer in echoes:
        with MLflowAPI(RUNS, TRACES) as fake:
            route = fake.route
            fake.route = lambda r, a=answer, route=route: route(r) if "get-by-name" in r.path else a
            src = source(fake.url)
            try:
                got = await src.fetch([spec("p95", query="traces:latency:p95", target=2000,
                                            direction="lower_is_better", window=HOUR, period=2 * HOUR)], NOW)
                texts.append(got["p95"].error)
            except SourceError as exc:
                texts.append(str(exc))
            finally:
                await src.aclose()
    assert all(t and TOKEN not in t and "\n" not in t for t in texts), texts
    assert texts[0] == "MLflow rejected the query: HTTP 400: bad filter from ****"
    assert "HTTP 422" in texts[1] and "token **** cannot do that" in texts[1]
    assert texts[2] == ("MLflow answered INTERNAL_ERROR with HTTP 200 from api/3.0/mlflow/traces/metrics: "
                        "backend refused ****")
    assert texts[3].startswith("MLflow answered INVALID_PARAMETER_VALUE with HTTP 200")
    # the experiment's lookup alike: the server's error, scrubbed, instead of only "malformed"
    with MLflowAPI(RUNS, TRACES) as fake:
        fake.route = lambda r: (200, {"error_code": "PERMISSION_DENIED", "message": f"token {TOKEN} may not read"})
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([spec("accuracy", query="metric:accuracy")], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == ("malformed answer from experiments/get-by-name: no experiment.experiment_id but "
                              "PERMISSION_DENIED: token **** may not read")


@pytest.mark.parametrize("endpoint", ["runs/search", "metrics/get-history", "traces/metrics", "traces"])
async def test_a_page_token_that_comes_back_is_a_server_fault_not_more_data(endpoint: str) -> None:
    """A server (or caching proxy) that answers the same next_page_token again: each page read was the
    same one, and runs/search said 'only the newest 25 runs of the period were read' of 5 runs. Now
    the SLO or the source says the server's pages never end, naming the endpoint."""
    runs = [MLRun(f"run{i:02d}" + "e" * 26, NOW - HOUR + i * 600, {"accuracy": [(NOW - HOUR + i * 600 + 60, 0.9, 0)]},
                  status="RUNNING") for i in range(5)]
    api = MLflowAPI(runs, TRACES, trace_metrics=endpoint != "traces")
    route = api.route

    again: list[str] = []

    def looping(req):  # type: ignore[no-untyped-def]
        if "page_token" in req.query or (req.json and "page_token" in req.json):
            again.append(req.path)
        req.query.pop("page_token", None)  # the first page again, whatever the token
        if req.json and "page_token" in req.json:
            req.body = json.dumps({k: v for k, v in req.json.items() if k != "page_token"}).encode()
        status, answer = route(req)[:2]
        if status == 200 and req.path.endswith("/" + endpoint) and isinstance(answer, dict):
            answer["next_page_token"] = "page-2"
        return status, answer

    api.route = looping
    query = "metric:accuracy" if endpoint in ("runs/search", "metrics/get-history") else "traces:latency:p95"
    with api:
        src = source(api.url)
        try:
            got = await src.fetch([spec("s", query=query, window=HOUR, period=2 * HOUR)], NOW)
            text = got["s"].error
        except SourceError as exc:
            text = str(exc)
        finally:
            await src.aclose()
    name = "traces search" if endpoint == "traces" else endpoint
    assert text == (f"MLflow {name} answered a page token it had already given: its pages never end "
                    "(a server or proxy fault)")
    asked = [r for r in api.requests if r.path.endswith("/" + endpoint)]
    # each question: its first page, and the page whose token had already been given; no third
    # (runs/search also asks one page of the runs started before the period, twice: 2 + 1 + 1)
    assert asked and len(again) * 2 == len(asked) - (2 if endpoint == "runs/search" else 0)


async def test_a_backfill_longer_than_the_timeout_keeps_each_series_and_finishes_over_ticks() -> None:
    """A 3-day count (864 five-minute buckets, one trace in each) asked in pages of 49 buckets (18
    requests) from a server taking 0.1 s a request, with a 1.5 s timeout. The period used to be one
    time series call storing nothing until its last page: every tick timed out and the next began
    from scratch, forever. Now each page is stored as it arrives (newest first) and the rest waits
    for the next tick: the backfill finishes, and every slice counts exactly one trace."""
    now = BUSY_NOW
    traces = [MLTrace(now - k * 300 - 10, 100.0) for k in range(864)]
    count = spec("count", query="traces:trace_count", target=1, direction="higher_is_better", window=HOUR,
                 period=3 * DAY)
    with MLflowAPI([], traces, delay=0.1) as fake:
        src = MLflowSource("mlflow", MLflowSourceConfig.model_validate(
            {"type": "mlflow", "url": fake.url, "experiment": "support-bot-evals", "token": TOKEN, "timeout": 1.5}),
            base_dir=Path("."), metrics_page=50)
        pending = []
        try:
            for tick in range(40):
                data, _ = await fetch_all({"m": src}, {"m": [count]}, now, {"m": 1.5}, {})
                books = list(src._range_state().values())
                pending.append(sum(len(b.pending) for b in books))
                if data["count"].error is None and data["count"].note is None:
                    break
        finally:
            await src.aclose()
    assert data["count"].error is None and data["count"].note is None, (pending, data["count"])
    assert all(a >= b for a, b in zip(pending, pending[1:]))  # never back to the start
    assert len(pending) < 40
    slices = data["count"].slices
    assert len(slices) == 864 and all(v == 1.0 for _, v in slices)
    assert data["count"].value == 12.0


async def test_a_run_started_before_the_period_still_logging_into_it_counts() -> None:
    """A monitoring run started 40 days ago, still RUNNING, logs accuracy 0.7 ten minutes ago, and a
    run started 35 days ago that ended an hour ago logged faithfulness 0.6 then: with a 3-day period
    both were left out (only runs *started* in the period were searched) and the SLOs said "no run
    in the period logged this metric". A run started and ended before the period stays out."""
    runs = [
        MLRun("monitor" + "f" * 25, NOW - 40 * DAY, {"accuracy": [(NOW - 40 * DAY + 60, 0.99, 0),
                                                                   (NOW - 600, 0.7, 1)]}, status="RUNNING"),
        MLRun("lately" + "g" * 26, NOW - 35 * DAY, {"faithfulness": [(NOW - HOUR, 0.6, 0)]}),
        MLRun("ancient" + "h" * 25, NOW - 50 * DAY, {"accuracy": [(NOW - 49 * DAY, 0.1, 0)],
                                                     "faithfulness": [(NOW - 49 * DAY, 0.1, 0)]}),
    ]
    with MLflowAPI(runs) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("accuracy", query="metric:accuracy"),
                                   spec("faithfulness", query="metric:faithfulness", target=0.5)], NOW)
        finally:
            await src.aclose()
    assert got["accuracy"].value == 0.7 and got["accuracy"].note is None
    # the monitoring run is the newest holding accuracy: its history in the period is read too
    assert got["accuracy"].slices == (((NOW - 600) // 300 * 300, 0.7),)
    assert got["faithfulness"].value == 0.6
    assert got["faithfulness"].slices == (((NOW - HOUR) // 300 * 300, 0.6),)


async def test_mlflow_2_latency_counts_finished_traces_only() -> None:
    """On the trace search (MLflow 2): OK traces of 100, 200 and 300 ms, an ERROR one of 400 ms, one
    IN_PROGRESS for 5 ms so far and one whose execution time is -50 ms (a clock step). The mean is
    (100 + 200 + 300 + 400) / 4 = 250 ms; it was (100 + 200 + 300 + 400 + 5 - 50) / 6 = 159.2 ms."""
    traces = [MLTrace(NOW - 3000 + 60 * k, d, s) for k, (d, s) in enumerate(
        [(100.0, "OK"), (200.0, "OK"), (300.0, "OK"), (400.0, "ERROR"), (5.0, "IN_PROGRESS"), (-50.0, "OK")])]
    with MLflowAPI([], traces, trace_metrics=False) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("mean_ms", query="traces:latency:avg", target=2000,
                                        direction="lower_is_better", window=HOUR, period=2 * HOUR)], NOW)
        finally:
            await src.aclose()
    assert got["mean_ms"].value == 250.0


async def test_mlflow_2_a_trace_exported_between_two_pages_is_not_counted_twice(monkeypatch) -> None:
    """Seven traces in the last hour, read newest first three a page. Between the first and second
    page of the window's search a trace that started ten seconds ago is exported: it takes the top of
    the list, so the second page (offset 3) starts with the last trace of the first page again. That
    trace was counted twice (8 traces in a window of 7); each trace now counts once."""
    import slotui.sources.mlflow as mlflow_module

    monkeypatch.setattr(mlflow_module, "TRACE_PAGE", 3)
    traces = [MLTrace(NOW - 3000 + 300 * k, 100.0 * (k + 1)) for k in range(7)]
    api = MLflowAPI([], traces, trace_metrics=False)
    route = api.route
    window = f"timestamp_ms >= {int((NOW - HOUR) * 1000)} AND timestamp_ms < {int(NOW * 1000)}"
    late = MLTrace(NOW - 10, 9000.0)

    def exporting(req):  # type: ignore[no-untyped-def]
        if req.query.get("filter") == window and req.query.get("page_token") == "3" and late not in api.traces:
            api.traces.append(late)
        return route(req)

    api.route = exporting
    with api:
        src = source(api.url)
        try:
            got = await src.fetch([spec("n", query="traces:trace_count", target=1, window=HOUR, period=2 * HOUR)],
                                  NOW)
        finally:
            await src.aclose()
    assert late in api.traces  # the export did happen mid-read (the window's search is the first)
    assert got["n"].value == 7.0  # the seven it read, once each; the late trace counts from the next tick


@pytest.mark.parametrize("outage", ["everything", "traces_metrics_only"])
async def test_a_passing_404_does_not_leave_the_source_on_the_mlflow_2_fallback(outage: str, monkeypatch) -> None:
    """A proxy answers 404 (an HTML page) for a while, during a deploy: the first traces/metrics
    404 made the source take the server for MLflow 2 until a restart, so the assessment SLO said
    'need MLflow 3 ... this server does not have it' forever. When the trace search is 404 too, the
    next fetch asks traces/metrics again; when only traces/metrics was down, it is asked again
    after REPROBE_FETCHES fetches (2 here)."""
    import slotui.sources.mlflow as mlflow_module

    monkeypatch.setattr(mlflow_module, "REPROBE_FETCHES", 2)
    api = MLflowAPI(RUNS, TRACES)
    route = api.route
    down = {"on": True}

    def proxy(req):  # type: ignore[no-untyped-def]
        hit = req.path.endswith("/traces/metrics") or (outage == "everything" and req.path.endswith("/traces"))
        if down["on"] and hit:
            return 404, b"<html><body>404 Not Found</body></html>"
        return route(req)

    api.route = proxy
    correctness = spec("correctness", query="assessment:correctness", target=0.5, window=HOUR, period=2 * HOUR)
    latency = spec("p95", query="traces:latency:p95", target=2000, direction="lower_is_better", window=HOUR,
                   period=2 * HOUR)
    errors, latency_errors = [], []
    with api:
        src = source(api.url)
        try:
            for tick in range(5):
                if tick == 1:
                    down["on"] = False  # the deploy is over
                got = await src.fetch([correctness, latency], NOW + 60 * tick)
                errors.append(got["correctness"].error)
                latency_errors.append(got["p95"].error)
        finally:
            await src.aclose()
    if outage == "everything":
        assert "need MLflow 3" in errors[0] and "which answered HTTP 404 here" in errors[0]
        assert "not found (check the URL): HTTP 404" in latency_errors[0]
        assert errors[1:] == latency_errors[1:] == [None] * 4
    else:
        # ticks 1-3 on the fallback (one fetch when it was chosen, two more), then traces/metrics again
        assert all("need MLflow 3" in e for e in errors[:3]), errors
        assert errors[3:] == [None, None]
    window = traces_in(NOW + 240 - HOUR, NOW + 240)
    values = [v for t in window for v in t.assessments.values()]
    assert got["correctness"].value == pytest.approx(sum(values) / len(values))


@pytest.mark.parametrize("data", [["accuracy"], {"metrics": {"accuracy": 0.9}}])
async def test_a_run_whose_data_is_not_mlflows_shape_is_a_clear_error(data: object) -> None:
    """runs/search answering a run whose data is a list (or whose data.metrics is an object) showed
    "AttributeError: 'list' object has no attribute 'get'" on the SLO and the source, or a silent
    NO DATA; it is a malformed answer, said as such."""
    api = MLflowAPI(RUNS)
    route = api.route
    odd = {"runs": [{"info": {"run_id": "odd" + "x" * 29, "status": "FINISHED"}, "data": data}]}
    api.route = lambda r: (200, odd) if r.path.endswith("runs/search") else route(r)
    with api:
        src = source(api.url)
        try:
            data_by_slo, errors = await fetch_all({"m": src}, {"m": [spec("accuracy", query="metric:accuracy")]},
                                                  NOW, {"m": 5}, {})
        finally:
            await src.aclose()
    assert data_by_slo["accuracy"].error == "malformed answer from runs/search: a run's data.metrics is not a list"
    assert "AttributeError" not in str(errors)


async def test_a_data_point_whose_dimensions_are_not_an_object_is_left_out() -> None:
    """A time-series data point with ``dimensions: ["x"]`` crashed the fetch with an AttributeError;
    it has no time bucket, so it is left out and the other points count."""
    traces = [MLTrace(NOW - 3000 + 300 * k, 100.0) for k in range(10)]
    api = MLflowAPI([], traces)
    route = api.route

    def odd(req):  # type: ignore[no-untyped-def]
        status, answer = route(req)[:2]
        if req.path.endswith("traces/metrics") and (req.json or {}).get("time_interval_seconds"):
            answer["data_points"].append({"metric_name": "trace_count", "dimensions": ["x"], "values": {"COUNT": 9}})
        return status, answer

    api.route = odd
    with api:
        src = source(api.url)
        try:
            got = await src.fetch([spec("n", query="traces:trace_count", target=1, window=HOUR, period=HOUR)], NOW)
        finally:
            await src.aclose()
    assert got["n"].error is None and got["n"].value == 10.0
    assert sum(v for _, v in got["n"].slices) == 10.0


async def test_an_assessment_name_holding_a_colon_is_asked_whole() -> None:
    """Assessments named ``safety:v2`` on three traces (0.0, 1.0, 1.0): ``assessment:safety:v2:avg``
    asked the assessment 'safety' with the aggregation 'v2' and failed; the aggregation is after the
    last colon now: 2/3. Without one the error says how to write it."""
    traces = [MLTrace(NOW - 600 + 60 * k, 100.0, assessments={"safety:v2": v}) for k, v in enumerate((0.0, 1.0, 1.0))]
    with MLflowAPI([], traces) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("s", query="assessment:safety:v2:avg", target=0.5, window=HOUR, period=HOUR),
                                   spec("bare", query="assessment:safety:v2", target=0.5, window=HOUR, period=HOUR)],
                                  NOW)
        finally:
            await src.aclose()
    assert got["s"].error is None and got["s"].value == pytest.approx(2 / 3, abs=1e-12) and got["s"].n == 3
    assert got["bare"].error.startswith("unknown aggregation 'v2'")
    assert got["bare"].error.endswith("(an assessment name holding ':' is written with its aggregation: "
                                      "assessment:safety:v2:avg)")
