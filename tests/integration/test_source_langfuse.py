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
    from tests.integration.saas_servers import LangfuseAPI, Observation, Score, fetch_ok, parse_time, percentile_linear
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from saas_servers import LangfuseAPI, Observation, Score, fetch_ok, parse_time, percentile_linear  # type: ignore[no-redef]

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
    fake, got = await fetch_ok(LangfuseAPI(OBS, SCORES), source, specs, NOW)
    window = in_range(NOW - HOUR, NOW)
    assert got["p95_ms"].value == pytest.approx(percentile_linear([o.latency_ms for o in window], 0.95))
    assert got["chat_p95"].value == pytest.approx(
        percentile_linear([o.latency_ms for o in in_range(NOW - HOUR, NOW, "chat")], 0.95))
    assert got["cost"].value == pytest.approx(sum(o.total_cost for o in window) / len(window))
    scores = [s.value for s in SCORES if NOW - HOUR <= s.timestamp < NOW]
    assert got["helpfulness"].value == pytest.approx(sum(scores) / len(scores))
    # n: the samples behind each value (observations, scores); counts report none of their own
    assert (got["p95_ms"].n, got["cost"].n, got["helpfulness"].n) == (len(window), len(window), len(scores))
    assert got["chat_p95"].n == len(in_range(NOW - HOUR, NOW, "chat"))
    assert got["errors"].n is None
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
    # the window query asks the count alongside (n, SPEC 10.2)
    assert any(q["metrics"] == [{"measure": "latency", "aggregation": "p95"}, {"measure": "count", "aggregation": "count"}] and
               (parse_time(q["fromTimestamp"]), parse_time(q["toTimestamp"])) == (NOW - HOUR, NOW - 0.001)
               for q in queries)  # Langfuse's toTimestamp is inclusive: [start, end) is asked up to end - 1 ms
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


# --------------------------------------------------------------------------- breakdown (SPEC 10.1)


def breakdown_data() -> list[Observation]:
    """The last hour: gpt-4o 40 observations (1 error, 1,000 ms), gpt-4o-mini 20 (9 errors, 3,000 ms),
    10 without a model (500 ms); two hours ago 5 more gpt-4o-mini errors, outside the window."""
    obs = []
    for i in range(40):
        obs.append(Observation(NOW - HOUR + 30 + i * 60, 1000.0, "ERROR" if i == 7 else "DEFAULT",
                               provided_model_name="gpt-4o"))
    for i in range(20):
        obs.append(Observation(NOW - HOUR + 45 + i * 120, 3000.0, "ERROR" if i < 9 else "DEFAULT",
                               provided_model_name="gpt-4o-mini"))
    for i in range(10):
        obs.append(Observation(NOW - HOUR + 50 + i * 300, 500.0))
    for i in range(5):
        obs.append(Observation(NOW - 2 * HOUR + i, 9000.0, "ERROR", provided_model_name="gpt-4o-mini"))
    return obs


async def test_breakdown_by_a_metrics_api_dimension() -> None:
    by = ("providedModelName",)
    specs = [
        spec("availability", kind="ratio", target=0.95, good="success", direction="higher_is_better", breakdown=by),
        spec("latency_avg", query="latency:avg", target=2000.0, breakdown=by),
        spec("error_rate", query="error_rate", target=0.05, breakdown=by),
        spec("p95_ms", query="latency:p95", breakdown=by),
    ]
    fake, got = await fetch_ok(LangfuseAPI(breakdown_data()), source, specs, NOW)
    result = {s.name: evaluate_slo(s, got[s.name], NOW) for s in specs}

    # ratio: the 6h tier burns fastest (15 bad of 75: the old errors count) and ties the longer
    # ones, so the breakdown covers 6h; gpt-4o-mini has 14 of the 15 errors
    (b,) = result["availability"].breakdowns
    assert b.window == 6 * HOUR and b.notes == ()
    assert [g.labels["providedModelName"] for g in b.groups] == ["gpt-4o-mini", "(none)", "gpt-4o"]
    mini = b.groups[0]
    assert (mini.total, mini.bad, mini.share_of_bad) == (25.0, 14.0, 14 / 15)
    assert mini.without == 49 / 50  # (60 - 11) / (75 - 25)
    # the rest still pages: 1 bad of 50 burns 0.02 / 0.05 = 0.4x, above the 6h tier's factor at this
    # 1d period (0.05 x 24h / 6h = 0.2); a ratio SLO's status is its tiers' (SPEC 10.1, SPEC 3)
    assert mini.status_without is Status.CRITICAL
    assert b.groups[2].without == 21 / 35  # without gpt-4o: (60 - 39) / (75 - 40)

    # mean latency: (40 x 1,000 + 20 x 3,000 + 10 x 500) / 70 = 1,500 ms; without gpt-4o-mini 45,000 / 50
    assert got["latency_avg"].value == 1500.0 and got["latency_avg"].n == 70
    (lat,) = result["latency_avg"].breakdowns
    top = lat.groups[0]
    assert (top.labels["providedModelName"], top.total, top.value, top.without) == ("gpt-4o-mini", 20.0, 3000.0, 900.0)

    # error rate: the mean of error flags, 10 / 70; without gpt-4o-mini 1 / 50
    (er,) = result["error_rate"].breakdowns
    assert er.groups[0].labels["providedModelName"] == "gpt-4o-mini"
    assert er.groups[0].value == 9 / 20 and er.groups[0].without == 1 / 50

    # a percentile of groups cannot be combined: said so, no groups
    (p95,) = result["p95_ms"].breakdowns
    assert p95.groups == () and "p95" in p95.notes[0] and "not supported" in p95.notes[0]

    # the grouped requests: one per label and window, the dimension as Langfuse takes it
    queries = [json.loads(r.query["query"]) for r in fake.requests]
    assert any(q["dimensions"] == [{"field": "level"}, {"field": "providedModelName"}] for q in queries)
    assert any(q["dimensions"] == [{"field": "providedModelName"}] and q["metrics"] == [
        {"measure": "latency", "aggregation": "avg"}, {"measure": "count", "aggregation": "count"}] for q in queries)
    assert not any(q["dimensions"] == [{"field": "providedModelName"}] and q["metrics"][0]["aggregation"] == "p95"
                   for q in queries)
    assert all(q["config"] == {"row_limit": 1000} for q in queries if {"field": "providedModelName"} in q["dimensions"])


async def test_a_grouped_answer_at_the_row_limit_is_noted(monkeypatch) -> None:
    import slotui.sources.langfuse as lf

    monkeypatch.setattr(lf, "GROUP_ROWS", 3)  # three model rows (gpt-4o, gpt-4o-mini, none) fill it
    s = spec("latency_avg", query="latency:avg", target=2000.0, breakdown=("providedModelName",))
    # a ratio of matching observations: its grouped counts are cut alike (that went unsaid)
    default = json.dumps([{"column": "level", "operator": "=", "value": "DEFAULT", "type": "string"}])
    m = spec("matching", kind="ratio", target=0.9, good=default, direction="higher_is_better",
             breakdown=("providedModelName",))
    _, got = await fetch_ok(LangfuseAPI(breakdown_data()), source, [s, m], NOW)
    (b,) = evaluate_slo(s, got["latency_avg"], NOW).breakdowns
    assert len(b.groups) == 3 and any("row limit" in n for n in b.notes)
    (mb,) = evaluate_slo(m, got["matching"], NOW).breakdowns
    assert any("row limit" in n for n in mb.notes), mb.notes


async def test_counts_backfilled_by_the_hour_are_spread_over_their_slices() -> None:
    """errors and count:count per 5-minute slice: an hourly bucket of the backfill holds twelve
    slices' worth, so each of its slices gets a twelfth; the edges are asked slice by slice."""
    specs = [spec("errors", query="errors", target=1), spec("calls", query="count:count", target=100)]
    _, got = await fetch_ok(LangfuseAPI(OBS, SCORES), source, specs, NOW)
    hour = (NOW - 10 * HOUR) // HOUR * HOUR
    part = in_range(hour, hour + HOUR)
    last_end = NOW // 300 * 300
    first_start = (NOW - DAY) // 300 * 300 + 300
    for name, count in (("errors", lambda os: sum(o.level == "ERROR" for o in os)), ("calls", len)):
        slices = dict(got[name].slices)
        assert count(part) > 0
        assert [slices[hour + k * 300] for k in range(12)] == [pytest.approx(count(part) / 12)] * 12, name
        assert slices[last_end - 300] == count(in_range(last_end - 300, last_end)), name
        assert sum(slices.values()) == pytest.approx(count(in_range(first_start, last_end))), name


async def test_an_observation_on_a_slice_boundary_is_counted_once() -> None:
    """Langfuse counts ``start_time <= toTimestamp``: asked up to the slice end itself, an observation
    exactly on a boundary was counted in both slices (and in a window ending at it)."""
    last_end = NOW // 300 * 300
    on_edges = [Observation(start_time=t, latency_ms=900.0) for t in (last_end - 600, last_end - 300, last_end)]
    at_now = Observation(start_time=NOW, latency_ms=900.0, level="ERROR")
    data = OBS + on_edges + [at_now]
    specs = [spec("calls", query="count:count", target=100), spec("errors", query="errors", target=1)]
    _, got = await fetch_ok(LangfuseAPI(data), source, specs, NOW)

    def count(start: float, end: float, errors: bool = False) -> int:
        return sum(start <= o.start_time < end and (not errors or o.level == "ERROR") for o in data)

    slices = dict(got["calls"].slices)
    for s in (last_end - 900, last_end - 600, last_end - 300):
        assert slices[s] == count(s, s + 300), s
    first_start = (NOW - DAY) // 300 * 300 + 300
    assert sum(slices.values()) == pytest.approx(count(first_start, last_end))
    assert got["calls"].value == count(NOW - HOUR, NOW)
    assert got["errors"].value == count(NOW - HOUR, NOW, errors=True)  # the error at NOW is the next window's


async def test_a_time_series_cut_at_the_row_limit_is_asked_again_in_halves(monkeypatch) -> None:
    """Langfuse answers a time series oldest bucket first and cuts it at config.row_limit: a cut
    answer lost its newest buckets (no data there, or an hour's errors missing)."""
    import slotui.sources.langfuse as lf

    monkeypatch.setattr(lf, "TIME_ROWS", 10)  # level-grouped: up to 3 rows an hour in this data
    specs = [spec("errors", query="errors", target=1),
             spec("availability", kind="ratio", target=0.98, good="success", direction="higher_is_better")]
    fake, got = await fetch_ok(LangfuseAPI(OBS, SCORES), source, specs, NOW)
    last_end = NOW // 300 * 300
    first_start = (NOW - DAY) // 300 * 300 + 300
    period = in_range(first_start, last_end)
    buckets = got["availability"].buckets
    assert sum(b[2] for b in buckets) == pytest.approx(len(period))
    assert sum(b[1] for b in buckets) == pytest.approx(sum(o.level != "ERROR" for o in period))
    assert sum(dict(got["errors"].slices).values()) == pytest.approx(sum(o.level == "ERROR" for o in period))
    hourly = [json.loads(r.query["query"]) for r in fake.requests]
    assert all(q["config"]["row_limit"] == 10 for q in hourly if q.get("timeDimension"))


async def test_an_hour_without_observations_counts_zero_not_no_data() -> None:
    """A time series has no row for an hour without observations (Langfuse fills empty buckets only
    up to the hour of toTimestamp): its count is 0, and its slices are there, not NO DATA."""
    hour = (NOW - 10 * HOUR) // HOUR * HOUR
    data = [o for o in OBS if not hour <= o.start_time < hour + HOUR]
    specs = [spec("calls", query="count:count", target=100), spec("cost", query="totalCost:sum", target=1.0),
             spec("p95_ms", query="latency:p95")]
    _, got = await fetch_ok(LangfuseAPI(data), source, specs, NOW)
    for name in ("calls", "cost"):
        slices = dict(got[name].slices)
        assert [slices.get(hour + k * 300) for k in range(12)] == [0.0] * 12, name
    assert not any(hour <= t < hour + HOUR for t, _ in got["p95_ms"].slices)  # a p95 of nothing: no data


async def test_behind_a_path_prefix_with_a_query_parameter() -> None:
    """``url: https://gw/langfuse?tenant=a``: the API paths go under the prefix, the query rides
    along on every request, and the answers are those of the plain URL."""
    specs = [spec("p95_ms", query="latency:p95"), spec("errors", query="errors", target=5)]
    _, plain = await fetch_ok(LangfuseAPI(OBS, SCORES), source, specs, NOW)
    fake, got = await fetch_ok(LangfuseAPI(OBS, SCORES, prefix="/langfuse"),
                               lambda url: source(url + "/langfuse/?tenant=team-a"), specs, NOW)
    assert {k: (d.value, d.windows, d.slices) for k, d in got.items()} == \
        {k: (d.value, d.windows, d.slices) for k, d in plain.items()}
    assert fake.requests and all(r.query.get("tenant") == "team-a" for r in fake.requests)


async def test_an_error_echoing_the_keys_never_shows_the_secret_and_a_200_error_says_what_went_wrong() -> None:
    """A 400 and a 422 whose message echoes the Basic credential and the secret key (a proxy), and an
    HTTP 200 whose body is an error object: the reason is shown, the secret key and the base64
    credential never; the 200 one names the server's message instead of only "malformed"."""
    import base64

    basic = base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode()
    answers = [(400, {"message": f"Invalid query with Basic {basic}"}),
               (422, {"error": f"key {SECRET} may not ask this"}),
               (200, {"message": f"Invalid credentials {SECRET}", "error": "Unauthorized"})]
    texts = []
    for answer in answers:
        with LangfuseAPI(OBS, SCORES) as fake:
            fake.route = lambda r, a=answer: a
            src = source(fake.url)
            try:
                got = await src.fetch([spec("p95_ms", query="latency:p95", period=2 * HOUR)], NOW)
                texts.append(got["p95_ms"].error)
            except SourceError as exc:
                texts.append(str(exc))
            finally:
                await src.aclose()
    assert all(t and SECRET not in t and basic not in t for t in texts), texts
    assert texts[0] == "Langfuse rejected the query: HTTP 400: Invalid query with Basic ****"
    assert texts[1] == "Langfuse rejected the query: HTTP 422: key **** may not ask this"
    assert texts[2].endswith("got an error: Invalid credentials ****")


async def test_a_backfill_longer_than_the_timeout_keeps_each_series_and_finishes_over_ticks(monkeypatch) -> None:
    """Two days of one observation every 5 minutes, asked as hourly series of 4 buckets (a dozen
    requests) from a server taking 0.1 s a request, with a 1.5 s timeout: the period used to be one
    measure_grid call storing nothing until its last request, so every tick timed out and the next
    began from scratch. Now each series is stored as it arrives and the backfill finishes over
    ticks; every 5-minute slice counts exactly one observation (an hour's 12 spread over its 12)."""
    import slotui.sources.langfuse as langfuse_module

    monkeypatch.setattr(langfuse_module, "GRID_CHUNK", 4)
    now = 1_780_002_000.0  # on the 5-minute grid, 20 minutes past an hour
    obs = [Observation(now - k * 300 - 10, 100.0) for k in range(2 * 288)]
    count = spec("count", query="count:count", target=1, direction="higher_is_better", period=2 * DAY)
    with LangfuseAPI(obs, delay=0.1) as fake:
        src = source(fake.url, timeout=1.5)
        pending = []
        try:
            for _ in range(40):
                data, _ = await fetch_all({"lf": src}, {"lf": [count]}, now, {"lf": 1.5}, {})
                pending.append(sum(len(b.pending) for b in src._range_state().values()))
                if data["count"].error is None and data["count"].note is None:
                    break
        finally:
            await src.aclose()
    assert data["count"].error is None and data["count"].note is None, (pending, data["count"])
    assert all(a >= b for a, b in zip(pending, pending[1:])) and len(pending) < 40
    slices = data["count"].slices
    assert len(slices) == 2 * 288 and all(v == 1.0 for _, v in slices)
    assert data["count"].value == 12.0


async def test_a_categorical_score_is_named_not_an_endless_no_data() -> None:
    """``verdict`` is a categorical score ("pass"/"fail": Langfuse keeps it in the scores-categorical
    view, never in scores-numeric), so score:verdict answered no rows: NO DATA with no reason,
    forever. Now the SLO says it is categorical; a numeric score beside it still answers (0.25,
    0.5, 0.75 -> 0.5), and a name with no score at all stays plain no data."""
    scores = [Score(NOW - 600 + 60 * k, "verdict", 0.0, "pass" if k % 2 else "fail") for k in range(5)]
    scores += [Score(NOW - 500 + 60 * k, "helpfulness", v) for k, v in enumerate((0.25, 0.5, 0.75))]
    higher = dict(target=0.5, direction="higher_is_better", period=2 * HOUR)
    with LangfuseAPI(OBS, scores) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("verdict", query="score:verdict", **higher),
                                   spec("helpfulness", query="score:helpfulness", **higher),
                                   spec("nothing", query="score:never_logged", **higher)], NOW)
        finally:
            await src.aclose()
    assert got["verdict"].error == ("score 'verdict' is categorical in Langfuse (5 in the window): only numeric "
                                    "and boolean scores have a mean or percentile")
    assert (got["helpfulness"].value, got["helpfulness"].n, got["helpfulness"].error) == (0.5, 3, None)
    assert got["nothing"].error is None and got["nothing"].value is None


@pytest.mark.parametrize("outage", ["everything", "v2_only"])
async def test_a_passing_404_does_not_leave_the_source_on_v1(outage: str, monkeypatch) -> None:
    """A proxy answers 404 for a while (a deploy). The first v2 404 moved the source to v1 for good:
    on a server without v1 every fetch failed after the proxy came back (404 from v1, forever).
    Now v1 answering 404 sends the next query to v2 again; a v2-only outage returns to v2 after
    REPROBE_QUERIES queries on v1 (3 here)."""
    import slotui.sources.langfuse as langfuse_module

    monkeypatch.setattr(langfuse_module, "REPROBE_QUERIES", 3)
    down = {"on": True}
    fake = LangfuseAPI(OBS, SCORES)
    route = fake.route

    def proxy(req):  # type: ignore[no-untyped-def]
        if down["on"] and (outage == "everything" or req.path == "/api/public/v2/metrics"):
            return 404, b"<html>404 Not Found</html>"
        if outage == "everything" and req.path == "/api/public/metrics":
            return 404, {"message": "Not found"}  # a server that serves v2 only
        return route(req)

    fake.route = proxy
    p95 = spec("p95_ms", query="latency:p95", period=HOUR, window=HOUR)
    with fake:
        src = source(fake.url)
        try:
            if outage == "everything":
                with pytest.raises(SourceError):
                    await src.fetch([p95], NOW)
            else:  # v1 answers meanwhile
                assert (await src.fetch([p95], NOW))["p95_ms"].error is None
                assert fake.requests[-1].path == "/api/public/metrics"
            down["on"] = False
            got = await src.fetch([p95], NOW + 60)
            for k in range(2, 6):
                got = await src.fetch([p95], NOW + 60 * k)
        finally:
            await src.aclose()
    assert got["p95_ms"].error is None
    assert got["p95_ms"].value == pytest.approx(
        percentile_linear([o.latency_ms for o in in_range(NOW + 300 - HOUR, NOW + 300)], 0.95))
    assert fake.requests[-1].path == "/api/public/v2/metrics"


async def test_a_failing_categorical_check_leaves_a_plain_no_data() -> None:
    """The scores-categorical question is only asked to explain a window without numeric scores: when
    it fails (a server without the view: 400, or a 500), the SLO is plain no data, not an error."""
    for failure in ((400, {"message": "Invalid view scores-categorical"}), (500, {"message": "boom"})):
        with LangfuseAPI(OBS, [Score(NOW - 600, "verdict", 0.0, "pass")]) as fake:
            route = fake.route
            fake.route = lambda r, f=failure: f if "scores-categorical" in r.query.get("query", "") else route(r)
            src = source(fake.url)
            try:
                got = await src.fetch([spec("verdict", query="score:verdict", target=0.5,
                                            direction="higher_is_better", period=HOUR)], NOW)
            finally:
                await src.aclose()
        assert got["verdict"].error is None and got["verdict"].value is None
        assert any("scores-categorical" in r.query.get("query", "") for r in fake.requests)


async def test_a_score_name_holding_a_colon_is_asked_whole() -> None:
    """Scores named ``ragas:faithfulness`` (0.5, 0.7, 0.9): ``sli: {field: score.ragas:faithfulness,
    agg: mean}`` was read as the score 'ragas' with the aggregation 'faithfulness' and failed although
    written right; the aggregation is now after the last colon: both forms give 0.7. Without an
    aggregation the name stays ambiguous: the error says how to write it."""
    scores = [Score(NOW - 600 + 60 * k, "ragas:faithfulness", v) for k, v in enumerate((0.5, 0.7, 0.9))]
    higher = dict(target=0.5, direction="higher_is_better", period=HOUR)
    with LangfuseAPI(OBS, scores) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("sli", sli_field="score.ragas:faithfulness", sli_agg="mean", **higher),
                                   spec("query", query="score:ragas:faithfulness:avg", **higher),
                                   spec("bare", query="score:ragas:faithfulness", **higher)], NOW)
        finally:
            await src.aclose()
    for name in ("sli", "query"):
        assert got[name].error is None and got[name].value == pytest.approx(0.7, abs=1e-12) and got[name].n == 3
    assert got["bare"].error == ("unknown Langfuse aggregation 'faithfulness'; expected one of sum, avg, count, max, "
                                 "min, p50, p75, p90, p95, p99 (a score name holding ':' is written with its "
                                 "aggregation: score:ragas:faithfulness:avg)")


async def test_an_hour_with_one_observation_is_one_slice_with_data_not_twelve() -> None:
    """An hour's p95 stood for each of its twelve slices: one slow observation in a quiet hour made
    twelve bad slices (SPEC 3 counts slices with data: one). The backfill asks such an hour's
    slices one by one, in the same fetch."""
    quiet = (NOW - 10 * HOUR) // HOUR * HOUR
    data = [o for o in OBS if not quiet <= o.start_time < quiet + HOUR]
    data.append(Observation(start_time=quiet + 61, latency_ms=5000.0))
    p95 = spec("p95", query="latency:p95")
    _, got = await fetch_ok(LangfuseAPI(data), source, [p95], NOW)
    slices = dict(got["p95"].slices)
    assert [slices.get(quiet + k * 300) for k in range(12)] == [5000.0] + [None] * 11
    busy = quiet - HOUR  # a busy hour (about 120 observations): its p95 stands for its slices
    assert len({slices.get(busy + k * 300) for k in range(12)}) == 1 and slices.get(busy) is not None
    result = evaluate_slo(p95, got["p95"], NOW)
    assert result.budget.slices == len(slices)
