"""The Langfuse source against a local Langfuse metrics API (v2, with the v1 fallback)."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest

from slotui.config.model import LangfuseSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec, Status
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.langfuse import LangfuseSource
from slotui.sources.kit.runtime import fetch_all

try:
    from tests.integration.saas_servers import LangfuseAPI, Observation, Score, parse_time, percentile_linear
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from saas_servers import LangfuseAPI, Observation, Score, parse_time, percentile_linear  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0 + 77.0
PUBLIC, SECRET = "pk-lf-test", "sk-lf-secret"


def make_data(seed: int = 5, hours: float = 26) -> tuple[list[Observation], list[Score]]:
    rng = random.Random(seed)
    observations, scores = [], []
    t = NOW - hours * HOUR
    while t < NOW + 300:
        observations.append(Observation(
            start_time=t,
            latency_ms=round(rng.lognormvariate(7.0, 0.5), 1),
            level="ERROR" if rng.random() < 0.02 else rng.choice(["DEFAULT", "DEFAULT", "WARNING"]),
            total_cost=round(rng.uniform(0.0005, 0.003), 6),
            name=rng.choice(["chat", "chat", "search"]),
        ))
        if rng.random() < 0.5:
            scores.append(Score(t + 1, "helpfulness", rng.choice([0.0, 0.25, 0.5, 0.75, 1.0])))
        t += rng.uniform(10, 50)
    return observations, scores


OBS, SCORES = make_data()


def source(url: str, **extra: object) -> LangfuseSource:
    cfg = LangfuseSourceConfig.model_validate({"type": "langfuse", "url": url, "public_key": PUBLIC,
                                               "secret_key": SECRET, "timeout": 5, **extra})
    return LangfuseSource("lf", cfg, base_dir=Path("."))


def spec(name: str, **kw: object) -> SLOSpec:
    base: dict[str, object] = dict(name=name, kind="threshold", target=2000.0, direction="lower_is_better",
                                   source="lf", window=HOUR, period=DAY, slice=5 * MINUTE, interval=30.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def in_range(start: float, end: float, name: str | None = None) -> list[Observation]:
    return [o for o in OBS if start <= o.start_time < end and (name is None or o.name == name)]


async def test_latency_cost_scores_errors_and_availability_match_the_data() -> None:
    specs = [
        spec("p95_ms", query="latency:p95"),
        spec("cost", sli_field="totalCost", sli_agg="mean", target=0.002),
        spec("helpfulness", query="score:helpfulness", target=0.5, direction="higher_is_better"),
        spec("errors", query="errors", target=5),
        spec("availability", kind="ratio", target=0.98, good="success", direction="higher_is_better"),
        spec("chat_p95", query="latency:p95",
             params={"filters": [{"column": "traceName", "operator": "=", "value": "chat", "type": "string"}]}),
    ]
    with LangfuseAPI(OBS, SCORES) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch(specs, NOW)
        finally:
            await src.aclose()
    assert all(d.error is None for d in got.values()), {k: d.error for k, d in got.items()}
    window = in_range(NOW - HOUR, NOW)
    assert got["p95_ms"].value == pytest.approx(percentile_linear([o.latency_ms for o in window], 0.95))
    assert got["chat_p95"].value == pytest.approx(
        percentile_linear([o.latency_ms for o in in_range(NOW - HOUR, NOW, "chat")], 0.95))
    assert got["cost"].value == pytest.approx(sum(o.total_cost for o in window) / len(window))
    scores = [s.value for s in SCORES if NOW - HOUR <= s.timestamp < NOW]
    assert got["helpfulness"].value == pytest.approx(sum(scores) / len(scores))
    assert got["errors"].value == sum(o.level == "ERROR" for o in window)
    for w, counts in got["availability"].windows.items():
        part = in_range(NOW - w, NOW)
        assert counts == (float(sum(o.level != "ERROR" for o in part)), float(len(part))), w

    # Slices: hourly p95 stands for each 5-minute slice of its hour; the newest slice is its own.
    slices = dict(got["p95_ms"].slices)
    hour = (NOW - 10 * HOUR) // HOUR * HOUR
    expected = percentile_linear([o.latency_ms for o in in_range(hour, hour + HOUR)], 0.95)
    assert slices[hour] == pytest.approx(expected) and slices[hour + 55 * MINUTE] == pytest.approx(expected)
    last_end = NOW // 300 * 300
    assert slices[last_end - 300] == pytest.approx(
        percentile_linear([o.latency_ms for o in in_range(last_end - 300, last_end)], 0.95))
    # Buckets add up to the period's complete slices.
    buckets = got["availability"].buckets
    first_start = (NOW - DAY) // 300 * 300 + 300
    assert buckets[0][0] == first_start
    assert sum(b[2] for b in buckets) == pytest.approx(len(in_range(first_start, last_end)))
    assert sum(b[1] for b in buckets) == pytest.approx(
        sum(o.level != "ERROR" for o in in_range(first_start, last_end)))
    assert all(b2[0] - b1[0] == 300 for b1, b2 in zip(buckets, buckets[1:]))

    # Requests: v2 path, basic auth with the keys, the query as JSON; hourly time series for the backfill.
    auth = "Basic " + base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode()
    assert {r.path for r in fake.requests} == {"/api/public/v2/metrics"}
    assert all(r.headers["authorization"] == auth for r in fake.requests)
    queries = [json.loads(r.query["query"]) for r in fake.requests]
    hourly = [q for q in queries if q.get("timeDimension") == {"granularity": "hour"}]
    assert hourly and all(q["config"]["row_limit"] <= 1000 for q in hourly)
    assert any(q["metrics"] == [{"measure": "latency", "aggregation": "p95"}] and
               (parse_time(q["fromTimestamp"]), parse_time(q["toTimestamp"])) == (NOW - HOUR, NOW) for q in queries)
    assert any(q["view"] == "scores-numeric" and q["filters"] == [
        {"column": "name", "operator": "=", "value": "helpfulness", "type": "string"}] for q in queries)
    assert any(q["dimensions"] == [{"field": "level"}] for q in queries)
    # One time series per measure instead of one request per hour: few requests in all.
    assert len(fake.requests) < 6 * 30


async def test_a_server_without_v2_is_asked_v1_and_that_is_remembered() -> None:
    with LangfuseAPI(OBS, SCORES, v2=False) as fake:
        src = source(fake.url)
        try:
            first = await src.fetch([spec("p95_ms", query="latency:p95", period=2 * HOUR)], NOW)
            n = len(fake.requests)
            await src.fetch([spec("p95_ms", query="latency:p95", period=2 * HOUR)], NOW + 30)
        finally:
            await src.aclose()
    assert first["p95_ms"].value == pytest.approx(
        percentile_linear([o.latency_ms for o in in_range(NOW - HOUR, NOW)], 0.95))
    assert fake.requests[0].path == "/api/public/v2/metrics"
    assert [r.path for r in fake.requests[1:]] == ["/api/public/metrics"] * (len(fake.requests) - 1)
    assert n < len(fake.requests)


async def test_unauthorized_is_a_source_error_without_the_secret() -> None:
    with LangfuseAPI(OBS, SCORES, secret_key="sk-lf-other") as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"lf": src}, {"lf": [spec("p95_ms", query="latency:p95")]}, NOW,
                                           {"lf": 5}, health)
        finally:
            await src.aclose()
    assert "unauthorized (check the API key): HTTP 401" in errors["lf"]
    assert SECRET not in errors["lf"]
    assert not health["lf"].ok
    assert evaluate_slo(spec("p95_ms"), data["p95_ms"], NOW).status is Status.NO_DATA


async def test_rate_limit_is_retried_honouring_retry_after() -> None:
    with LangfuseAPI(OBS, SCORES, fail=[(429, {"message": "rate limit"}, {"Retry-After": "0.1"})]) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("p95_ms", query="latency:p95", period=2 * HOUR)], NOW)
        finally:
            await src.aclose()
    assert got["p95_ms"].error is None and got["p95_ms"].value is not None


async def test_server_errors_and_malformed_answers_are_source_errors() -> None:
    with LangfuseAPI(OBS, SCORES) as fake:
        fake.route = lambda r: (503, b"maintenance")
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as down:
                await src.fetch([spec("p95_ms", query="latency:p95")], NOW)
            fake.route = lambda r: (200, b"not json")
            with pytest.raises(SourceError) as garbage:
                await src.fetch([spec("p95_ms", query="latency:p95")], NOW)
            fake.route = lambda r: (200, {"rows": []})
            with pytest.raises(SourceError) as shape:
                await src.fetch([spec("p95_ms", query="latency:p95")], NOW)
        finally:
            await src.aclose()
    assert "server error: HTTP 503" in str(down.value) and "maintenance" in str(down.value)
    assert "malformed JSON" in str(garbage.value)
    assert "malformed answer" in str(shape.value)


async def test_hanging_server_times_out() -> None:
    with LangfuseAPI(OBS, SCORES, hang=True) as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            _, errors = await fetch_all({"lf": src}, {"lf": [spec("p95_ms", query="latency:p95")]}, NOW,
                                        {"lf": 0.4}, health)
        finally:
            await src.aclose()
    assert errors["lf"] == "timed out after 0.4s"
    assert health["lf"].consecutive_failures == 1


async def test_nan_and_null_values_are_no_data() -> None:
    with LangfuseAPI(OBS, SCORES, overrides={"p95_latency": "NaN", "avg_value": None}) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("p95_ms", query="latency:p95", period=2 * HOUR),
                                   spec("helpfulness", query="score:helpfulness", period=2 * HOUR, target=0.5,
                                        direction="higher_is_better")], NOW)
        finally:
            await src.aclose()
    for name in ("p95_ms", "helpfulness"):
        assert got[name].error is None and got[name].value is None and got[name].slices == ()
    assert evaluate_slo(spec("p95_ms", period=2 * HOUR), got["p95_ms"], NOW).status is Status.NO_DATA


async def test_rejected_and_unknown_queries_are_errors_on_their_slo() -> None:
    with LangfuseAPI(OBS, SCORES) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([
                spec("rejected", query="latency:p95", period=2 * HOUR,
                     params={"filters": [{"column": "name", "operator": "contains", "value": "ch",
                                          "type": "string"}]}),
                spec("bad_agg", query="latency:p42"),
                spec("p95_ms", query="latency:p95", period=2 * HOUR),
            ], NOW)
        finally:
            await src.aclose()
    assert "Langfuse rejected the query: HTTP 400" in got["rejected"].error
    assert "unsupported operator" in got["rejected"].error
    assert "unknown Langfuse aggregation 'p42'" in got["bad_agg"].error
    assert got["p95_ms"].error is None
