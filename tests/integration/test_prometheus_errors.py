"""The Prometheus source against a local fake Prometheus: error answers, odd values, auth, paths.

Each answer has the exact shape of the Prometheus HTTP API. Every case must end
in a clear message (on the SLO or the whole source) and never in a crash, a
NaN in the data, or a secret in a message.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from slotui.config.model import PrometheusSourceConfig
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.prometheus import MAX_POINTS, PrometheusSource
from slotui.sources.kit.runtime import fetch_all

try:
    from tests.integration.prometheus_server import FakePrometheus, Request, matrix, vector
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from prometheus_server import FakePrometheus, Request, matrix, vector  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_767_225_600.0 + 10 * DAY
TOKEN = "s3cr3t-bearer-token"


def source(url: str, **extra: object) -> PrometheusSource:
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 5, **extra})
    return PrometheusSource("prom", cfg, base_dir=Path("."))


def latency(name: str = "p95", query: str = "p95_query[{{window}}]", **kw: object) -> SLOSpec:
    base = dict(
        name=name, kind="threshold", target=2.0, direction="lower_is_better", source="prom",
        query=query, window=HOUR, period=DAY, slice=5 * MINUTE,
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def ratio(name: str = "availability", **kw: object) -> SLOSpec:
    base = dict(
        name=name, kind="ratio", target=0.99, direction="higher_is_better", source="prom",
        good="good[{{window}}]", total="total[{{window}}]", window=HOUR, period=DAY, slice=5 * MINUTE,
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def ends(req: Request) -> list[float]:
    start, end, step = float(req.params["start"]), float(req.params["end"]), float(req.params["step"])
    n = round((end - start) / step) + 1
    return [start + i * step for i in range(n)]


def steady(value: str = "1.5"):
    """A healthy Prometheus answering ``value`` for every query and every range point."""

    def route(req: Request):
        if req.path.endswith("/api/v1/query"):
            return 200, vector(value)
        return 200, matrix([(t, value) for t in ends(req)])

    return route


async def test_unauthorized_is_a_source_error_without_the_token() -> None:
    with FakePrometheus(lambda r: (401, b"Unauthorized")) as fake:
        src = source(fake.url, bearer_token=TOKEN)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert "unauthorized (check the API key)" in str(err.value)
    assert TOKEN not in str(err.value)
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    # 401 is not retried: one request per query, two queries.
    assert len(fake.requests) == 2


async def test_rate_limited_is_retried_then_reported() -> None:
    with FakePrometheus(lambda r: (429, {"status": "error"}, {"Retry-After": "0"})) as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"prom": src}, {"prom": [latency()]}, NOW, {"prom": 5}, health)
        finally:
            await src.aclose()
    assert "rate limited: HTTP 429" in errors["prom"]
    assert data["p95"].error == errors["prom"]
    assert health["prom"].consecutive_failures == 1
    assert len(fake.requests) == 2 * 3  # two queries, three attempts each


async def test_server_error_recovers_when_a_retry_succeeds() -> None:
    calls = {"n": 0}
    healthy = steady("0.8")

    def flaky(req: Request):
        calls["n"] += 1
        if calls["n"] <= 2:
            return 500, b"upstream exploded"
        return healthy(req)

    with FakePrometheus(flaky) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([latency()], NOW))["p95"]
        finally:
            await src.aclose()
    assert got.error is None and got.value == 0.8
    assert len(got.slices) == 24 * 12
    assert len(fake.requests) == 4


async def test_persistent_server_error_names_the_status_and_body() -> None:
    with FakePrometheus(lambda r: (500, b"upstream exploded")) as fake:
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert "server error: HTTP 500" in str(err.value)
    assert "upstream exploded" in str(err.value)
    assert "?" not in str(err.value)  # no query string (it may carry keys)


async def test_hanging_server_times_out_within_the_source_timeout() -> None:
    with FakePrometheus(steady(), hang=True) as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"prom": src}, {"prom": [latency()]}, NOW, {"prom": 0.5}, health)
        finally:
            await src.aclose()
    assert errors["prom"] == "timed out after 0.5s"
    assert data["p95"].error == "timed out after 0.5s"
    assert health["prom"].latency is not None and health["prom"].latency >= 0.5


async def test_malformed_json_is_a_clear_source_error() -> None:
    with FakePrometheus(lambda r: (200, b"<html>proxy login</html>")) as fake:
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == (f"an HTML page, not JSON, from {fake.url}/api/v1/query (a login page or a proxy in "
                              "the way?): 'proxy login'")
    assert len(fake.requests) == 2  # not retried


async def test_nan_and_inf_are_no_data_never_nan() -> None:
    def route(req: Request):
        if req.path.endswith("/api/v1/query"):
            return 200, vector("NaN")
        points = ends(req)
        values = ["NaN", "+Inf", "-Inf", "2.5"]
        return 200, matrix([(t, values[i % 4]) for i, t in enumerate(points)])

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([latency()], NOW))["p95"]
        finally:
            await src.aclose()
    assert got.error is None
    assert got.value is None
    assert len(got.slices) == 24 * 12 // 4
    assert {v for _, v in got.slices} == {2.5}


async def test_empty_results_are_no_data_and_zero_traffic() -> None:
    empty_vector = {"status": "success", "data": {"resultType": "vector", "result": []}}
    empty_matrix = {"status": "success", "data": {"resultType": "matrix", "result": []}}

    def route(req: Request):
        return 200, (empty_vector if req.path.endswith("/query") else empty_matrix)

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([latency(), ratio()], NOW)
        finally:
            await src.aclose()
    assert got["p95"].error is None and got["p95"].value is None and got["p95"].slices == ()
    assert got["availability"].error is None
    assert got["availability"].buckets == ()
    assert set(got["availability"].windows.values()) == {(0.0, 0.0)}


async def test_missing_good_series_counts_as_zero_good_events() -> None:
    def route(req: Request):
        query = req.params["query"]
        if req.path.endswith("/query"):
            return 200, (vector("120") if query.startswith("total") else {"status": "success", "data": {"resultType": "vector", "result": []}})
        if query.startswith("total"):
            return 200, matrix([(t, "10") for t in ends(req)])
        return 200, {"status": "success", "data": {"resultType": "matrix", "result": []}}

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([ratio()], NOW))["availability"]
        finally:
            await src.aclose()
    assert got.windows[HOUR] == (0.0, 120.0)
    assert got.buckets[0][1:] == (0.0, 10.0)


async def test_multiple_series_and_bad_queries_fail_only_their_slo() -> None:
    def route(req: Request):
        query = req.params["query"]
        if query.startswith("by_model"):
            return 200, (vector("1", "2") if req.path.endswith("/query") else matrix([(NOW, "1")], series=2))
        if query.startswith("broken"):
            return 400, {"status": "error", "errorType": "bad_data", "error": 'parse error: unexpected ")"'}
        if query.startswith("raw"):
            return 200, {"status": "success", "data": {"resultType": "matrix", "result": []}}
        return steady("0.4")(req)

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch(
                [latency("a", "by_model"), latency("b", "broken)"), latency("c", "fine"), latency("d", "raw[{{window}}]")],
                NOW,
            )
        finally:
            await src.aclose()
    assert got["a"].error == "query returned 2 series; aggregate with sum()"
    assert got["b"].error == 'bad_data: parse error: unexpected ")"'
    assert got["c"].error is None and got["c"].value == 0.4
    assert got["d"].error is not None and "range vector" in got["d"].error


async def test_scalar_results_are_values() -> None:
    def route(req: Request):
        if req.path.endswith("/query"):
            return 200, {"status": "success", "data": {"resultType": "scalar", "result": [NOW, "0.97"]}}
        return 200, matrix([(t, "0.97") for t in ends(req)])

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([latency(query="vector(0.97)")], NOW))["p95"]
        finally:
            await src.aclose()
    assert got.value == 0.97


async def test_requests_carry_window_time_step_and_keep_the_path_prefix() -> None:
    with FakePrometheus(steady()) as fake:
        src = source(fake.url + "/prometheus/", basic_auth={"username": "bob", "password": "hunter22"})
        try:
            await src.fetch([latency(query="rate(x[{{ window }}])")], NOW)
        finally:
            await src.aclose()
    paths = sorted(r.path for r in fake.requests)
    assert paths == ["/prometheus/api/v1/query", "/prometheus/api/v1/query_range"]
    instant = next(r for r in fake.requests if r.path.endswith("/query"))
    assert instant.params == {"query": "rate(x[1h])", "time": str(int(NOW))}
    rng = next(r for r in fake.requests if r.path.endswith("/query_range"))
    assert rng.params["query"] == "rate(x[5m])" and rng.params["step"] == "300"
    assert float(rng.params["start"]) == NOW - DAY + 300 and float(rng.params["end"]) == NOW
    expected = "Basic " + base64.b64encode(b"bob:hunter22").decode()
    assert all(r.headers["authorization"] == expected for r in fake.requests)


async def test_incremental_fetch_asks_only_for_new_slices() -> None:
    with FakePrometheus(steady()) as fake:
        src = source(fake.url)
        try:
            await src.fetch([latency()], NOW)
            before = len(fake.requests)
            later = NOW + 17 * MINUTE  # three more complete 5-minute slices
            got = (await src.fetch([latency()], later))["p95"]
            again = len(fake.requests)
            same = (await src.fetch([latency()], later + 30))["p95"]  # no new slice: no range request
        finally:
            await src.aclose()
    new_ranges = [r for r in fake.requests[before:again] if r.path.endswith("/query_range")]
    assert len(new_ranges) == 1
    # Re-asks the newest cached slice end, then the three new ones.
    assert ends(new_ranges[0]) == [NOW, NOW + 300, NOW + 600, NOW + 900]
    assert [r.path for r in fake.requests[again:]] == ["/api/v1/query"]
    assert same.slices is got.slices  # unchanged history is reused, not rebuilt
    # Only whole slices inside the period: the one straddling later - 1d is left out.
    assert got.slices[0][0] == NOW - DAY + 20 * MINUTE
    assert got.slices[-1][0] == NOW + 600
    assert len(got.slices) == 24 * 12 - 1


async def test_long_backfills_are_chunked_under_the_point_limit() -> None:
    with FakePrometheus(steady()) as fake:
        src = source(fake.url, step="1m")
        try:
            got = (await src.fetch([latency(period=30 * DAY)], NOW))["p95"]
        finally:
            await src.aclose()
    ranges = [r for r in fake.requests if r.path.endswith("/query_range")]
    assert len(ranges) == 5
    assert all(len(ends(r)) <= MAX_POINTS for r in ranges)
    assert len(got.slices) == 30 * 24 * 60
    assert ranges[0].params["query"] == "p95_query[1m]"


async def test_long_queries_are_posted_as_a_form() -> None:
    long_query = "sum(" + " + ".join(f'rate(m{{i="{i}"}}[{{{{window}}}}])' for i in range(200)) + ")"
    with FakePrometheus(steady("3")) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([latency(query=long_query)], NOW))["p95"]
        finally:
            await src.aclose()
    assert got.value == 3.0
    assert {r.method for r in fake.requests} == {"POST"}
    assert fake.requests[0].params["query"].count("[1h]") + fake.requests[1].params["query"].count("[1h]") == 200


async def test_config_problems_are_per_slo_errors() -> None:
    with FakePrometheus(steady()) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([ratio("no_total", total=None), latency("no_query", query=None), latency()], NOW)
        finally:
            await src.aclose()
    assert "ratio.total" in (got["no_total"].error or "")
    assert "query" in (got["no_query"].error or "")
    assert got["p95"].error is None


async def test_unreachable_server_is_a_connect_error() -> None:
    with FakePrometheus(steady()) as fake:
        url = fake.url
    src = source(url, bearer_token=TOKEN)
    try:
        with pytest.raises(SourceError) as err:
            await src.fetch([latency()], NOW)
    finally:
        await src.aclose()
    assert "cannot connect" in str(err.value)
    assert TOKEN not in str(err.value)


async def test_url_credentials_never_reach_messages() -> None:
    with FakePrometheus(lambda r: (503, b"down for maintenance")) as fake:
        port = fake.url.rsplit(":", 1)[1]
        src = source(f"http://admin:pa55word@127.0.0.1:{port}/prom")
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert "HTTP 503" in str(err.value)
    assert "pa55word" not in str(err.value) and "admin" not in str(err.value)


async def test_a_range_answered_with_warnings_is_asked_whole_again() -> None:
    """Thanos/Prometheus answer ``success`` with ``warnings`` when part of the data is missing: the
    SLO notes it, and the range is not cached as whole (the next fetch asks the whole period again)."""
    warn = {"on": True}

    def route(req: Request):
        payload = vector("1.5") if req.path.endswith("/api/v1/query") else matrix([(t, "1.5") for t in ends(req)])
        if warn["on"]:
            payload["warnings"] = ["No StoreAPIs matched for this query", "partial response: store down \x1b[31m"]
        return 200, payload

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            first = (await src.fetch([latency()], NOW))["p95"]
            warn["on"] = False
            before = len(fake.requests)
            second = (await src.fetch([latency()], NOW + 10 * MINUTE))["p95"]
            again = len(fake.requests)
            third = (await src.fetch([latency()], NOW + 20 * MINUTE))["p95"]
        finally:
            await src.aclose()
    assert first.note == ("Prometheus warned: No StoreAPIs matched for this query; partial response: store down "
                          "\\x1b[31m (the answer may be partial)")
    assert first.value == 1.5 and len(first.slices) == 288
    assert second.note is None and third.note is None
    ranges = [r for r in fake.requests[before:again] if r.path.endswith("query_range")]
    assert [float(r.params["start"]) for r in ranges] == [(NOW + 10 * MINUTE) // 300 * 300 - DAY + 300]
    # once whole, only the new slices are asked
    (later,) = [r for r in fake.requests[again:] if r.path.endswith("query_range")]
    assert float(later.params["start"]) == (NOW + 10 * MINUTE) // 300 * 300


async def test_a_grouped_breakdown_answer_with_warnings_says_it_may_be_partial() -> None:
    """``sum by (model)`` answered ``success`` with a warning (a store down): its groups are shown,
    with the breakdown noting they may be partial."""
    from slotui.core.evaluate import evaluate_slo

    def route(req: Request):
        query = req.params["query"]
        if not req.path.endswith("/api/v1/query"):
            return 200, matrix([(t, "10") for t in ends(req)])
        if "by (model)" not in query:
            return 200, vector("10")
        payload = {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"model": "a"}, "value": [NOW, "6"]}, {"metric": {"model": "b"}, "value": [NOW, "4"]}]},
            "warnings": ["partial response: store 10.0.0.7:10901 unavailable"]}
        return 200, payload

    slo = ratio(good="sum by ({{by}}) (good[{{window}}])", total="sum by ({{by}}) (total[{{window}}])",
                breakdown=("model",))
    with FakePrometheus(route) as fake:
        src = source(fake.url, rules="raw")
        try:
            got = (await src.fetch([slo], NOW))["availability"]
        finally:
            await src.aclose()
    assert got.error is None and got.note is None
    (group,) = got.groups
    assert group.counts == {"a": (6.0, 6.0), "b": (4.0, 4.0)}
    assert group.note == ("model: Prometheus warned: partial response: store 10.0.0.7:10901 unavailable "
                          "(the answer may be partial)")
    (b,) = evaluate_slo(slo, got, NOW).breakdowns
    assert any("may be partial" in n for n in b.notes), b.notes


async def test_a_replay_step_read_from_a_prefetched_answer_with_warnings_is_noted() -> None:
    """Replay prefetches each expression once as a range query: a warning on that answer concerns
    every step read from it, so each step's SLO says its answer may be partial."""
    from slotui.replay.prometheus import ReplayPrometheus

    def route(req: Request):
        payload = vector("1.5") if req.path.endswith("/api/v1/query") else matrix([(t, "1.5") for t in ends(req)])
        if "p95_query" in req.params["query"]:
            payload["warnings"] = ["remote_read: error sending request"]
        return 200, payload

    with FakePrometheus(route) as fake:
        cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": fake.url, "timeout": 5,
                                                     "rules": "raw"})
        replay = ReplayPrometheus("prom", cfg, base_dir=Path("."))
        steps = [NOW - 2 * HOUR, NOW - HOUR, NOW]
        try:
            await replay.prefetch([latency(), ratio()], steps[0], steps[-1], HOUR)
            before = len(fake.requests)
            got = [await replay.fetch([latency(), ratio()], t) for t in steps]
        finally:
            await replay.aclose()
    assert len(fake.requests) == before  # every step read the prefetched tables
    for data in got:
        assert data["p95"].value == 1.5
        assert data["p95"].note == "Prometheus warned: remote_read: error sending request (the answer may be partial)"
        assert data["availability"].note is None


async def test_native_histogram_answers_are_a_clear_error_on_their_slo_only() -> None:
    # Prometheus' native histograms come as "histogram" (instant) / "histograms" (range) beside the
    # metric; read as floats they were "unexpected sample None" and, in a range, silently no data.
    sample = {"count": "12", "sum": "9.5", "buckets": [[0, "0.5", "1", "4"], [0, "1", "2", "8"]]}

    def route(req: Request):
        native = "native" in req.params["query"]
        if req.path.endswith("/api/v1/query"):
            if native:
                return 200, {"status": "success", "data": {"resultType": "vector",
                                                           "result": [{"metric": {}, "histogram": [NOW, sample]}]}}
            return 200, vector("0.8")
        if native:
            return 200, {"status": "success", "data": {"resultType": "matrix", "result": [
                {"metric": {}, "histograms": [[t, sample] for t in ends(req)]}]}}
        return 200, matrix([(t, "0.8") for t in ends(req)])

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([latency("native", query="native_seconds[{{window}}]"), latency()], NOW)
        finally:
            await src.aclose()
    assert got["native"].error is not None
    assert got["native"].error.startswith("query returned native histogram samples, not numbers; wrap it in "
                                          "histogram_quantile()")
    assert got["p95"].error is None and got["p95"].value == 0.8 and len(got["p95"].slices) == 24 * 12


async def test_range_samples_answered_newest_first_give_slices_in_time_order() -> None:
    # A proxy (or a federation of replicas) may answer a range newest first: the slices came out
    # newest first and the cache, which keeps points ascending, lost track of what it held.
    def route(req: Request):
        if req.path.endswith("/api/v1/query"):
            return 200, vector("0.5")
        return 200, matrix([(t, str(t % 7)) for t in reversed(ends(req))])

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([latency()], NOW))["p95"]
            again = (await src.fetch([latency()], NOW + 5 * MINUTE))["p95"]
        finally:
            await src.aclose()
    starts = [s for s, _ in got.slices]
    assert starts == sorted(starts) and len(starts) == 24 * 12
    assert starts[0] == NOW - DAY and starts[-1] == NOW - 5 * MINUTE
    assert all(v == (s + 5 * MINUTE) % 7 for s, v in got.slices)
    later = [s for s, _ in again.slices]
    assert later == starts[1:] + [NOW]
    # the second fetch asked only the re-asked newest slice end and the new one
    # (the instant query of the window runs beside it: take the last range query, not the last request)
    assert ends([r for r in fake.requests if r.path.endswith("/query_range")][-1]) == [NOW, NOW + 5 * MINUTE]


async def test_range_timestamps_with_a_fraction_land_on_their_slices() -> None:
    # Timestamps written a millisecond off the grid (1768003500.001) gave the threshold SLO a slice
    # the ratio SLO did not have (288 against 287), one starting at the last complete slice end.
    def route(req: Request):
        if req.path.endswith("/api/v1/query"):
            return 200, vector("2" if "total" in req.params["query"] else "1")
        value = "2" if "total" in req.params["query"] else "1"
        return 200, matrix([(t + 0.001, value) for t in ends(req)] + [(ends(req)[-1] + 300, "9")])

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([latency(), ratio()], NOW)
        finally:
            await src.aclose()
    first = NOW - DAY
    assert [s for s, _ in got["p95"].slices] == [first + 300 * k for k in range(24 * 12)]
    assert [b[0] for b in got["availability"].buckets] == [first + 300 * k for k in range(24 * 12)]
    assert {v for _, v in got["p95"].slices} == {1.0}  # the extra point past the end (9) was not asked
    assert {(g, t) for _, g, t in got["availability"].buckets} == {(1.0, 2.0)}


async def test_a_range_answer_off_the_step_grid_is_an_error_on_its_slo() -> None:
    def route(req: Request):
        if req.path.endswith("/api/v1/query"):
            return 200, vector("1")
        return 200, matrix([(t + 150, "1") for t in ends(req)])

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([latency()], NOW))["p95"]
        finally:
            await src.aclose()
    start = NOW - DAY + 5 * MINUTE
    assert got.error == (f"the range answer has a sample at {int(start + 150)}, off the grid asked "
                         f"(start {int(start)}, step 300s); the server does not align range queries like Prometheus")


async def test_a_server_clock_behind_slotui_does_not_leave_partial_slices_for_good() -> None:
    # The server's clock is 7 minutes behind: a slice end after its "now" has no sample yet, one
    # within 5 minutes after it a partial count ("1"), the rest the whole count ("2"). The newest
    # end was the only one asked again, so the partial one before it stayed in the history.
    skew = 7 * MINUTE
    clock = {"now": NOW}

    def route(req: Request):
        server_now = clock["now"] - skew
        if req.path.endswith("/api/v1/query"):
            return 200, vector("2")
        points = [(t, "2" if t <= server_now else "1") for t in ends(req) if t - 5 * MINUTE < server_now]
        return 200, matrix(points)

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            first = dict((await src.fetch([latency()], NOW))["p95"].slices)
            clock["now"] = NOW + 5 * MINUTE
            second = dict((await src.fetch([latency()], clock["now"]))["p95"].slices)
            clock["now"] = NOW + 10 * MINUTE
            third = dict((await src.fetch([latency()], clock["now"]))["p95"].slices)
        finally:
            await src.aclose()
    # slices start one step before their end: the end NOW - 5m is the slice starting NOW - 10m
    assert first[NOW - 15 * MINUTE] == 2.0 and first[NOW - 10 * MINUTE] == 1.0 and NOW - 5 * MINUTE not in first
    assert second[NOW - 10 * MINUTE] == 2.0 and second[NOW - 5 * MINUTE] == 1.0 and NOW not in second
    assert third[NOW - 10 * MINUTE] == 2.0 and third[NOW - 5 * MINUTE] == 2.0 and third[NOW] == 1.0
    assert {v for t, v in third.items() if t < NOW} == {2.0}
    # still one range request per fetch, starting at the newest end that held a value
    ranges = [r for r in fake.requests if r.path.endswith("/query_range")]
    assert len(ranges) == 3
    assert ends(ranges[1])[0] == NOW - 5 * MINUTE and ends(ranges[2])[0] == NOW


async def test_a_nan_good_count_is_no_data_not_every_request_bad() -> None:
    # good answered NaN (a division by zero inside the good expression, an +Inf from a bad rule)
    # beside a total of 100: it was read as 0 good events -- a 0% ratio paging on every window,
    # every bucket and every breakdown group -- where SPEC 3 says NaN/inf is no data.
    def route(req: Request):
        query = req.params["query"]
        good = "good" in query
        value = ("NaN" if "5m" in query or "model" in query else "+Inf") if good else "100"
        if req.path.endswith("/api/v1/query"):
            if "by (model)" in query:
                return 200, {"status": "success", "data": {"resultType": "vector", "result": [
                    {"metric": {"model": "a"}, "value": [NOW, value if good else "60"]},
                    {"metric": {"model": "b"}, "value": [NOW, "40"]}]}}
            return 200, vector(value)
        points = ends(req)
        return 200, matrix([(t, ("NaN" if i % 2 else "90") if good else "100") for i, t in enumerate(points)])

    slo = ratio(good="sum by ({{by}}) (good[{{window}}])", total="sum by ({{by}}) (total[{{window}}])",
                breakdown=("model",))
    with FakePrometheus(route) as fake:
        src = source(fake.url, rules="raw")
        try:
            got = (await src.fetch([slo], NOW))["availability"]
        finally:
            await src.aclose()
    assert got.error is None
    assert got.windows[5 * MINUTE] == (0.0, 0.0)  # NaN good
    assert got.windows[HOUR] == (0.0, 0.0)  # +Inf good
    buckets = got.buckets
    assert len(buckets) == 24 * 12
    assert [(g, t) for _, g, t in buckets[1::2]] == [(0.0, 0.0)] * (24 * 6)  # NaN good: no data
    assert [(g, t) for _, g, t in buckets[0::2]] == [(90.0, 100.0)] * (24 * 6)
    (group,) = got.groups
    assert group.counts == {"a": (0.0, 0.0), "b": (40.0, 40.0)}


async def test_a_good_counting_more_than_the_total_is_noted_not_silently_clamped() -> None:
    # good 150 against total 100 was clamped to 100: the SLO read 100% good without a word. A
    # little above (increase() extrapolating each series on its own) is expected and not noted.
    def route(req: Request):
        query = req.params["query"]
        if req.path.endswith("/api/v1/query"):
            if "good" in query:
                return 200, vector("150" if "[1h]" in query else "100.5" if "[5m]" in query
                                   else "-5" if "[6h]" in query else "90")
            return 200, vector("-3" if "[1d]" in query else "100")
        return 200, matrix([(t, "1") for t in ends(req)])

    with FakePrometheus(route) as fake:
        src = source(fake.url, rules="raw")
        try:
            got = (await src.fetch([ratio()], NOW))["availability"]
        finally:
            await src.aclose()
    assert got.error is None
    assert got.windows[HOUR] == (100.0, 100.0) and got.windows[5 * MINUTE] == (100.0, 100.0)
    assert got.windows[30 * MINUTE] == (90.0, 100.0)
    # a negative good read 0% good, a negative total no traffic: clamped still, but said
    assert got.windows[6 * HOUR] == (0.0, 100.0) and got.windows[DAY] == (0.0, 0.0)
    assert got.note == ("ratio.good and ratio.total answered counts that cannot be (1h: good 150 > total 100; "
                        "6h: good -5 < 0; 1d: total -3 < 0); clamped: good within [0, total], a negative total as "
                        "no traffic: check that good counts a subset of the total's events")


async def test_a_breakdown_group_whose_good_exceeds_its_total_is_noted() -> None:
    def route(req: Request):
        query = req.params["query"]
        if not req.path.endswith("/api/v1/query"):
            return 200, matrix([(t, "10") for t in ends(req)])
        if "by (model)" not in query:
            return 200, vector("10")
        good = "good" in query
        return 200, {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"model": "a"}, "value": [NOW, "9" if good else "6"]},
            {"metric": {"model": "b"}, "value": [NOW, "4"]}]}}

    slo = ratio(good="sum by ({{by}}) (good[{{window}}])", total="sum by ({{by}}) (total[{{window}}])",
                breakdown=("model",))
    with FakePrometheus(route) as fake:
        src = source(fake.url, rules="raw")
        try:
            got = (await src.fetch([slo], NOW))["availability"]
        finally:
            await src.aclose()
    (group,) = got.groups
    assert group.counts == {"a": (6.0, 6.0), "b": (4.0, 4.0)}
    assert group.note == ("model: ratio.good and ratio.total answered counts that cannot be (a: good 9 > total 6); "
                          "clamped: good within [0, total], a negative total as no traffic")


@pytest.mark.parametrize(("owner", "auth", "first", "second"), [
    ("sources.prom", {"bearer_token": "tok-123456", "basic_auth": {"username": "bob", "password": "pw-123456"}},
     "bearer_token", "basic_auth"),
    ("sources.prom", {"userinfo": True, "bearer_token": "tok-123456"}, "user:password@ in url", "bearer_token"),
    ("sources.prom", {"basic_auth": {"username": "bob", "password": "pw-123456"},
                      "headers": {"Authorization": "Token abc"}}, "basic_auth", "headers.Authorization"),
    ("sources.web", {"bearer_token": "tok-123456", "headers": {"authorization": "Token abc"}},
     "bearer_token", "headers.authorization"),
    ("sources.ml", {"token": "tok-123456", "basic_auth": {"username": "bob", "password": "pw-123456"}},
     "token", "basic_auth"),
    ("sources.lf", {"public_key": "pk-1", "secret_key": "sk-123456", "bearer_token": "tok-123456"},
     "public_key", "bearer_token"),
    ("sources.wv", {"api_key": "key-123456", "userinfo": True}, "api_key", "user:password@ in url"),
    ("alerts.channels.hook", {"bearer_token": "tok-123456", "basic_auth": {"username": "bob", "password": "pw-123456"}},
     "bearer_token", "basic_auth"),
    ("alerts.channels.am", {"userinfo": True, "basic_auth": {"username": "bob", "password": "pw-123456"}},
     "user:password@ in url", "basic_auth"),
])
def test_two_ways_to_authorize_are_a_config_error_naming_the_second(owner: str, auth: dict, first: str,
                                                                    second: str) -> None:
    # A request carries one Authorization: the others were dropped without a word, and the 401s
    # pointed at a credential never sent. Prometheus refuses such a config; so does slotui, for every
    # HTTP source and channel.
    import yaml

    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    extra = dict(auth)
    url = "http://ann:url-pw-123@127.0.0.1:9" if extra.pop("userinfo", False) else "http://127.0.0.1:9"
    kind, name = owner.rsplit(".", 1)
    base = {"prom": {"type": "prometheus"}, "web": {"type": "http"},
            "ml": {"type": "mlflow", "experiment": "e1"}, "lf": {"type": "langfuse"},
            "wv": {"type": "weave", "project": "acme/bot"}, "hook": {"type": "webhook"},
            "am": {"type": "alertmanager"}}[name]
    part = {name: {**base, "url": url, **extra}}
    doc: dict = {"sources": {"demo": {"type": "demo"}},
                 "slos": [{"name": "p95", "source": "demo", "sli": {"field": "duration_ms", "agg": "p95"},
                           "objective": {"target": 2000}}]}
    if kind == "sources":
        doc["sources"].update(part)
    else:
        doc["alerts"] = {"channels": part}
    text = yaml.safe_dump(doc, sort_keys=False)
    with pytest.raises(ConfigError) as err:
        load_text(text, name="slos.yaml")
    said = str(err.value)
    key = "url" if second.startswith("user:") else second
    assert f"{owner}.{key}: set one credential: {first} and {second} both set the Authorization header" in said
    assert "slos.yaml:" in said
    for secret in ("tok-123456", "pw-123456", "sk-123456", "key-123456", "url-pw-123"):
        assert secret not in said


async def test_one_way_to_authorize_gives_no_warning() -> None:
    from slotui.config.loader import load_text

    text = ("sources:\n  prom:\n    type: prometheus\n    url: http://prom:9090\n    bearer_token: tok-123456\n"
            "    headers: {X-Scope-OrgID: team-a}\nslos:\n  - name: p95\n    source: prom\n    query: q\n"
            "    objective: {target: 2.0, warning: 3.0}\n")
    assert not [w for w in load_text(text, name="slos.yaml").warnings if w.startswith("sources.")]


async def test_a_429_with_retry_after_stops_the_other_queries_of_the_fetch() -> None:
    # Three ratio SLOs are ~45 queries; after the server's first 429 (Retry-After: 120) each of the
    # others was still sent (and retried): a rate-limited Mimir/Grafana Cloud hammered on every tick.
    with FakePrometheus(lambda r: (429, {"status": "error", "error": "too many requests"},
                                   {"Retry-After": "120"})) as fake:
        src = source(fake.url, max_concurrency=2)
        health: dict[str, SourceHealth] = {}
        slos = [ratio(name=f"a{i}", good=f"good{i}[{{{{window}}}}]") for i in range(3)]
        try:
            data, errors = await fetch_all({"prom": src}, {"prom": slos}, NOW, {"prom": 5}, health)
        finally:
            await src.aclose()
    assert len(fake.requests) <= 2  # those in flight when the first 429 came back
    assert errors["prom"].startswith(f"rate limited: HTTP 429 from {fake.url}/api/v1/")
    assert "; retry after 120s" in errors["prom"] and errors["prom"].endswith("(Retry-After)")
    assert health["prom"].backoff_until is not None and NOW + 119 < health["prom"].backoff_until <= NOW + 120


async def test_a_short_retry_after_is_waited_out_by_the_other_queries_too() -> None:
    # Retry-After: 0.2 fits in the fetch: every query waits it out and the fetch succeeds.
    answered = {"limited": 0}

    def route(req: Request):
        if answered["limited"] < 1:
            answered["limited"] += 1
            return 429, {"status": "error", "error": "slow down"}, {"Retry-After": "0.2"}
        return steady("0.5")(req)

    with FakePrometheus(route) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([latency(), ratio()], NOW)
        finally:
            await src.aclose()
    assert got["p95"].error is None and got["p95"].value == 0.5
    assert got["availability"].error is None and got["availability"].windows[HOUR] == (0.5, 0.5)
