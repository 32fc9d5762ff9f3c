"""The LangSmith source: the real ``langsmith`` SDK client talking to a local LangSmith API.

The fake answers ``GET /sessions`` and ``POST /runs/stats`` with the shapes of
the LangSmith API, computed from a list of runs; the expected values here are
computed directly from the same runs.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from slotui.config.model import LangSmithSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec, Status
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.langsmith import LangSmithSource
from slotui.sources.kit.runtime import fetch_all

try:
    from tests.integration.saas_servers import LangSmithAPI, Run, fetch_ok, parse_time
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from saas_servers import LangSmithAPI, Run, fetch_ok, parse_time  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0 + 123.0  # not on the slice grid
KEY = "lsv2_pt_test_key_0123456789"


@pytest.fixture(autouse=True)
def _no_langsmith_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("LANGSMITH_", "LANGCHAIN_")):
            monkeypatch.delenv(name)


def make_runs(seed: int = 3, hours: float = 30) -> list[Run]:
    rng = random.Random(seed)
    runs = []
    t = NOW - hours * HOUR
    while t < NOW + 600:
        incident = NOW - 3 * HOUR <= t < NOW - 2.5 * HOUR
        runs.append(Run(
            start_time=t,
            latency=round(rng.lognormvariate(0.0, 0.5) * (3 if incident else 1), 3),
            error=rng.random() < (0.3 if incident else 0.01),
            total_cost=round(rng.uniform(0.001, 0.004), 6),
            feedback={"helpfulness": rng.choice([0.0, 0.5, 1.0])} if rng.random() < 0.6 else {},
        ))
        t += rng.uniform(5, 40)
    return runs


RUNS = make_runs()


def source(url: str, **extra: object) -> LangSmithSource:
    cfg = LangSmithSourceConfig.model_validate(
        {"type": "langsmith", "api_url": url, "api_key": KEY, "project": "support-bot", "timeout": 10, **extra})
    return LangSmithSource("ls", cfg, base_dir=Path("."))


def spec(name: str, **kw: object) -> SLOSpec:
    base: dict[str, object] = dict(name=name, kind="threshold", target=0.8, direction="higher_is_better",
                                   source="ls", window=HOUR, period=DAY, slice=5 * MINUTE, interval=30.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def availability(**kw: object) -> SLOSpec:
    return spec("availability", kind="ratio", target=0.99, good="success", **kw)


def within(start: float, end: float) -> list[Run]:
    return [r for r in RUNS if start <= r.start_time < end]


def ok_total(start: float, end: float) -> tuple[float, float]:
    runs = within(start, end)
    return float(sum(not r.error for r in runs)), float(len(runs))


def mean_feedback(start: float, end: float) -> float | None:
    scores = [r.feedback["helpfulness"] for r in within(start, end) if "helpfulness" in r.feedback]
    return sum(scores) / len(scores) if scores else None


async def test_availability_feedback_cost_and_slow_share_match_the_runs() -> None:
    specs = [
        availability(),
        spec("helpfulness", query="feedback:helpfulness"),
        spec("cost", query="cost_per_run", target=0.003, direction="lower_is_better"),
        spec("slow", query="slower_than:2s", target=0.05, direction="lower_is_better"),
        spec("fast_enough", kind="ratio", target=0.95, good="latency <= 2s"),
        spec("seed_form", sli_field="helpfulness", sli_agg="mean"),
    ]
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch(specs, NOW)
        finally:
            await src.aclose()
    assert all(d.error is None for d in got.values()), {k: d.error for k, d in got.items()}

    # Ratio windows: exact counts of successful runs for the SLO window, every tier window and the period.
    avail = got["availability"]
    assert set(avail.windows) == {5 * MINUTE, 30 * MINUTE, HOUR, 6 * HOUR, DAY, 3 * DAY}
    for w, counts in avail.windows.items():
        assert counts == ok_total(NOW - w, NOW), w
    result = evaluate_slo(availability(), avail, NOW)
    good, total = ok_total(NOW - HOUR, NOW)
    assert result.value == pytest.approx(good / total)

    # One bucket per complete slice of the period; an hour asked as one span is spread over its 12 slices.
    buckets = avail.buckets
    first_start = (NOW - DAY) // 300 * 300 + 300
    last_end = NOW // 300 * 300
    assert [b[0] for b in buckets] == [first_start + 300 * k for k in range(int((last_end - first_start) // 300))]
    assert sum(b[2] for b in buckets) == pytest.approx(ok_total(first_start, last_end)[1])
    assert sum(b[1] for b in buckets) == pytest.approx(ok_total(first_start, last_end)[0])
    hour = (NOW - 12 * HOUR) // HOUR * HOUR
    in_hour = [b for b in buckets if hour <= b[0] < hour + HOUR]
    assert len(in_hour) == 12 and len({(b[1], b[2]) for b in in_hour}) == 1
    assert (sum(b[1] for b in in_hour), sum(b[2] for b in in_hour)) == pytest.approx(ok_total(hour, hour + HOUR))
    newest = buckets[-1]
    assert (newest[1], newest[2]) == ok_total(last_end - 300, last_end)

    # Feedback mean over the window, and per slice (an hourly answer stands for each of its slices).
    help_ = got["helpfulness"]
    assert help_.value == pytest.approx(mean_feedback(NOW - HOUR, NOW))
    assert got["seed_form"].value == help_.value
    slices = dict(help_.slices)
    assert len(slices) == 287
    newest_start = last_end - 300
    assert slices[newest_start] == pytest.approx(mean_feedback(newest_start, last_end))
    assert slices[hour + 600] == pytest.approx(mean_feedback(hour, hour + HOUR))

    window = within(NOW - HOUR, NOW)
    assert got["cost"].value == pytest.approx(sum(r.total_cost or 0 for r in window) / len(window), rel=1e-4)
    slow_share = sum(r.latency > 2 for r in window) / len(window)
    assert got["slow"].value == pytest.approx(slow_share)
    # n (SPEC 10.2): the runs behind a per-run figure, the feedback's own count behind its mean
    scored = [r for r in window if "helpfulness" in r.feedback]
    assert (got["cost"].n, got["slow"].n, help_.n) == (len(window), len(window), len(scored))
    assert got["fast_enough"].windows[HOUR] == (float(len(window) - sum(r.latency > 2 for r in window)),
                                                 float(len(window)))

    # Requests: the project is resolved once, then only /runs/stats, with the key and the right body.
    sessions = [r for r in fake.requests if r.path == "/sessions"]
    assert len(sessions) == 1 and sessions[0].query["name"] == "support-bot"
    stats = [r for r in fake.requests if r.path == "/runs/stats"]
    assert stats and all(r.method == "POST" and r.headers["x-api-key"] == KEY for r in stats)
    assert all(r.json["session"] == [fake.project_id] and r.json["is_root"] is True for r in stats)
    spans = {(parse_time(r.json["start_time"]), parse_time(r.json["end_time"])) for r in stats}
    assert (NOW - HOUR, NOW) in spans
    assert any(r.json.get("filter") == "gt(latency, 2)" for r in stats)
    # Backfill at a coarse step: far fewer questions per measure than the 287 slices of the day.
    per_measure = len({s for s in spans if s[1] <= last_end})
    assert per_measure < 60


async def test_later_fetches_ask_only_new_slices() -> None:
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        src = source(fake.url)
        try:
            await src.fetch([spec("helpfulness", query="feedback:helpfulness")], NOW)
            before = len(fake.requests)
            later = NOW + 600
            got = (await src.fetch([spec("helpfulness", query="feedback:helpfulness")], later))["helpfulness"]
        finally:
            await src.aclose()
    new = fake.requests[before:]
    asked = sorted((parse_time(r.json["start_time"]), parse_time(r.json["end_time"])) for r in new)
    last_end = later // 300 * 300
    # The window, the two slices completed since, and the newest known slice again.
    assert asked == sorted([(later - HOUR, later), (last_end - 900, last_end - 600),
                            (last_end - 600, last_end - 300), (last_end - 300, last_end)])
    assert dict(got.slices)[last_end - 300] == pytest.approx(mean_feedback(last_end - 300, last_end))


async def test_a_long_backfill_spreads_over_fetches_within_the_timeout() -> None:
    week = spec("helpfulness", query="feedback:helpfulness", period=3 * DAY)
    with LangSmithAPI(RUNS, api_key=KEY, delay=0.02) as fake:
        src = source(fake.url, max_concurrency=2)
        health: dict[str, SourceHealth] = {}
        try:
            first, errors = await fetch_all({"ls": src}, {"ls": [week]}, NOW, {"ls": 0.6}, health)
            assert errors == {}
            assert "backfill in progress" in (first["helpfulness"].note or "")
            partial = len(first["helpfulness"].slices)
            rounds = 1
            data = first
            while "backfill in progress" in (data["helpfulness"].note or "") and rounds < 20:
                data, errors = await fetch_all({"ls": src}, {"ls": [week]}, NOW, {"ls": 0.6}, health)
                assert errors == {}
                rounds += 1
        finally:
            await src.aclose()
    assert 0 < partial < len(data["helpfulness"].slices)
    assert data["helpfulness"].note is None and rounds > 1
    # The newest slices came first; the whole week is there at the end (hours without runs: no data).
    slices = dict(data["helpfulness"].slices)
    hour = (NOW - 20 * HOUR) // HOUR * HOUR
    assert slices[hour] == pytest.approx(mean_feedback(hour, hour + HOUR))
    assert health["ls"].latency is not None and health["ls"].latency < 0.6


async def test_unauthorized_is_a_source_error_without_the_key() -> None:
    with LangSmithAPI(RUNS, api_key="another-key") as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"ls": src}, {"ls": [availability()]}, NOW, {"ls": 5}, health)
        finally:
            await src.aclose()
    assert errors["ls"].startswith("unauthorized (check api_key): HTTP 401")
    assert KEY not in errors["ls"]
    assert len(fake.requests) == 1  # not retried
    assert not health["ls"].ok
    assert evaluate_slo(availability(), data["availability"], NOW).status is Status.NO_DATA


async def test_rate_limit_is_retried_after_retry_after() -> None:
    with LangSmithAPI(RUNS, api_key=KEY, fail=[(429, {"detail": "Too many requests"}, {"Retry-After": "0.1"})]) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("helpfulness", query="feedback:helpfulness", period=2 * HOUR)], NOW)
        finally:
            await src.aclose()
    assert got["helpfulness"].value == pytest.approx(mean_feedback(NOW - HOUR, NOW))
    assert fake.requests[0].path == "/sessions" and fake.requests[1].path == "/sessions"


async def test_persistent_server_error_is_a_source_error() -> None:
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        src = source(fake.url)
        try:
            await src.fetch([availability(period=2 * HOUR)], NOW)
            fake.route = lambda r: (500, {"detail": "ClickHouse is down"})
            with pytest.raises(SourceError) as err:
                await src.fetch([availability(period=2 * HOUR)], NOW + 60)
        finally:
            await src.aclose()
    assert "server error: HTTP 500" in str(err.value) and "ClickHouse is down" in str(err.value)
    assert KEY not in str(err.value)


async def test_hanging_server_times_out() -> None:
    with LangSmithAPI(RUNS, api_key=KEY, hang=True) as fake:
        src = source(fake.url, timeout=1)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"ls": src}, {"ls": [availability()]}, NOW, {"ls": 0.5}, health)
        finally:
            fake.release.set()
            await src.aclose()
    assert errors["ls"] == "timed out after 0.5s"
    assert data["availability"].error == errors["ls"]
    assert health["ls"].consecutive_failures == 1


@pytest.mark.parametrize(("body", "why"), [
    (b'[{"id": ', " (the body is not JSON)"), (b"", " (an empty body)"), (b'[1, 2, {"a": null}]', ""),
    (b'{"status": "success", "data": {"result": []}}', "")])
async def test_malformed_json_is_a_source_error_saying_what_was_expected(body: bytes, why: str) -> None:
    """It named a Python exception (JSONDecodeError, TypeError, ValidationError)."""
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        fake.route = lambda r: (200, body)
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([availability()], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == (f"malformed answer from {fake.url}/sessions: expected a JSON list of projects "
                              f"(tracer sessions) with id and name{why}")


async def test_an_html_page_is_named_by_its_title() -> None:
    # A proxy's sign-in page read "malformed answer from ...: JSONDecodeError"; nginx's 502 page
    # was quoted tags first ("<html> <head><title>502 Bad Gateway</title>...").
    login = b'<!DOCTYPE html><html><head><title>Sign in &middot; Corp SSO</title></head><body>...</body></html>'
    bad_gateway = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway"
                   b"</h1></center><hr><center>nginx</center></body></html>")
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        fake.route = lambda r: (200, login, {"Content-Type": "text/html"})
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([availability()], NOW)
            assert str(err.value) == (f"an HTML page, not JSON, from {fake.url}/sessions (a login page or a proxy "
                                      "in the way?): 'Sign in · Corp SSO'")
            fake.route = lambda r: (502, bad_gateway, {"Content-Type": "text/html"})
            with pytest.raises(SourceError) as err:
                await src.fetch([availability()], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == f"server error: HTTP 502 from {fake.url}/sessions: 502 Bad Gateway"


async def test_nan_statistics_are_no_data() -> None:
    with LangSmithAPI(RUNS, api_key=KEY, overrides={"error_rate": "NaN", "feedback_stats": {
            "helpfulness": {"n": 0, "avg": "NaN", "stdev": None, "errors": 0, "values": {}}}}) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([availability(period=2 * HOUR), spec("helpfulness", query="feedback:helpfulness",
                                                                        period=2 * HOUR)], NOW)
        finally:
            await src.aclose()
    assert got["availability"].error is None and got["availability"].windows == {}
    assert got["availability"].buckets == ()
    assert got["helpfulness"].error is None and got["helpfulness"].value is None
    assert got["helpfulness"].slices == ()
    assert evaluate_slo(availability(period=2 * HOUR), got["availability"], NOW).status is Status.NO_DATA
    assert evaluate_slo(spec("helpfulness", period=2 * HOUR), got["helpfulness"], NOW).status is Status.NO_DATA


async def test_bad_filter_and_unknown_metric_are_errors_on_their_slo() -> None:
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([
                spec("bad_filter", kind="ratio", target=0.9, good='has(tags, "vip")', period=2 * HOUR),
                spec("unknown", query="latency_p95"),
                spec("helpfulness", query="feedback:helpfulness", period=2 * HOUR),
            ], NOW)
        finally:
            await src.aclose()
    assert "LangSmith rejected the query: HTTP 400" in got["bad_filter"].error
    assert "Invalid filter" in got["bad_filter"].error
    assert "unknown LangSmith metric 'latency_p95'" in got["unknown"].error
    assert got["helpfulness"].error is None and got["helpfulness"].value is not None


async def test_unknown_project_is_a_source_error() -> None:
    with LangSmithAPI(RUNS, api_key=KEY, project="other") as fake:
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([availability()], NOW)
        finally:
            await src.aclose()
    assert "project 'support-bot' not found" in str(err.value)


async def test_a_count_backfilled_by_the_hour_is_spread_over_its_slices() -> None:
    """run_count per 5-minute slice: an hour asked as one span holds twelve slices' runs, so each of
    its slices gets a twelfth (the hour's count standing for each slice compared 12x the runs with
    the threshold in the middle of the period and 1x at its edges)."""
    s = spec("runs", query="run_count", target=0.9, direction="lower_is_better")
    _, got = await fetch_ok(LangSmithAPI(RUNS, api_key=KEY), source, [s], NOW)
    slices = dict(got["runs"].slices)
    hour = (NOW - 12 * HOUR) // HOUR * HOUR
    in_hour = len(within(hour, hour + HOUR))
    assert in_hour > 12
    assert [slices[hour + k * 300] for k in range(12)] == [pytest.approx(in_hour / 12)] * 12
    last_end = NOW // 300 * 300
    assert slices[last_end - 300] == len(within(last_end - 300, last_end))  # an edge slice: its own count
    # The slices of the period add up to its runs (every hour counted once, not twelve times).
    first_start = (NOW - DAY) // 300 * 300 + 300
    assert sum(slices.values()) == pytest.approx(len(within(first_start, last_end)))
    assert got["runs"].value == len(within(NOW - HOUR, NOW))


@pytest.mark.parametrize("field,value", [("error_rate", 1.5), ("error_rate", -0.2), ("streaming_rate", 2.0)])
async def test_a_share_of_runs_outside_0_1_is_an_error_on_every_slo_reading_it(field: str, value: float) -> None:
    # error_rate 1.5 showed availability -0.5 (and -0.2 showed 1.2); the ratio SLO clamped it into
    # all-bad or all-good: silently wrong numbers from one impossible statistic.
    readers = {"error_rate": ["availability", "success_rate", "error_rate", "ratio"], "streaming_rate": ["streaming_rate"]}
    specs = [spec(name, query=name) for name in readers[field] if name != "ratio"]
    if "ratio" in readers[field]:
        specs.append(spec("ratio", kind="ratio", target=0.99, good="success"))
    specs.append(spec("helpfulness", query="feedback:helpfulness"))
    with LangSmithAPI(RUNS, api_key=KEY, overrides={field: value}) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch(specs, NOW)
        finally:
            await src.aclose()
    for name in (s.name for s in specs if s.name != "helpfulness"):
        assert got[name].error == f"LangSmith answered {field} {value:g}, outside [0, 1]; a share of runs cannot be that"
        assert got[name].value is None and got[name].windows == {}
    assert got["helpfulness"].error is None and got["helpfulness"].value == pytest.approx(mean_feedback(NOW - HOUR, NOW))


async def test_a_run_counted_slow_but_not_in_the_total_never_makes_the_share_above_one() -> None:
    # The slow share asks two counts; a run landing between the two requests made slow > total
    # (a share of 1.01...); the ratio form (``latency <= X``) already kept hits within the total.
    class LateRun(LangSmithAPI):
        def _stats(self, body: dict[str, object]):  # type: ignore[override]
            status, stats = super()._stats(body)
            if status == 200 and body.get("filter") == "gt(latency, 0)":
                stats = {**stats, "run_count": stats["run_count"] + 1}
            return status, stats

    with LateRun(RUNS, api_key=KEY) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("slow", query="slower_than:0s", target=0.5, direction="lower_is_better")], NOW)
        finally:
            await src.aclose()
    slow = got["slow"]
    assert slow.error is None and slow.value == 1.0 and slow.n == len(within(NOW - HOUR, NOW))
    assert slow.slices and all(v == 1.0 for _, v in slow.slices)


@pytest.mark.parametrize("feedback,shown", [([{"key": "helpfulness", "avg": 0.5}], "feedback_stats as list"),
                                            ({"helpfulness": 0.7}, "feedback_stats['helpfulness'] as float")])
async def test_feedback_stats_of_the_wrong_shape_are_an_error_not_no_data(feedback: object, shown: str) -> None:
    # A list crashed with "'list' object has no attribute 'get'"; a bare number was silently no data.
    with LangSmithAPI(RUNS, api_key=KEY, overrides={"feedback_stats": feedback}) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("helpfulness", query="feedback:helpfulness"), availability()], NOW)
        finally:
            await src.aclose()
    assert got["helpfulness"].error is not None and got["helpfulness"].error.startswith(f"LangSmith answered {shown}")
    assert got["availability"].error is None


async def test_a_password_in_api_url_never_reaches_a_message() -> None:
    # The messages named the api_url as configured: https://user:password@host/... in clear.
    password = "pa55-w0rd-in-url"
    with LangSmithAPI(RUNS, api_key=KEY, project="other") as fake:
        host = fake.url.split("://", 1)[1]
        src = source(f"http://ops:{password}@{host}")
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([availability()], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == f"project 'support-bot' not found at http://ops:****@{host} (check project and api_key)"
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        host = fake.url.split("://", 1)[1]
    src = source(f"http://ops:{password}@{host}")  # the server is gone: a connection error
    try:
        with pytest.raises(SourceError) as err:
            await src.fetch([availability()], NOW)
    finally:
        await src.aclose()
    # the reason is said as the httpx sources say it (it read "cannot connect to URL" and no more)
    assert str(err.value) == f"cannot connect to http://ops:****@{host}: [Errno 111] Connection refused"


def _hms(at: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M:%SZ")


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("when", ["seconds", "date"])
async def test_retry_after_keeps_the_source_alone_across_ticks(status: int, when: str) -> None:
    # The SDK's errors dropped the server's Retry-After: every tick asked again (the HTTP sources
    # already waited); and a Retry-After given as an HTTP date was not read at all.
    import email.utils
    import time

    now = float(int(time.time()))  # an HTTP date is absolute: the ticks run on the wall clock's scale
    limited = {"on": True}
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        route = fake.route
        header = "120" if when == "seconds" else email.utils.formatdate(now + 120, usegmt=True)
        fake.route = lambda r: (status, {"detail": "slow down"}, {"Retry-After": header}) if limited["on"] else route(r)
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        ticks = {"ls": [availability(period=2 * HOUR)]}
        try:
            _, errors = await fetch_all({"ls": src}, ticks, now, {"ls": 10}, health)
            asked = len(fake.requests)
            assert asked == 1 and fake.requests[0].path == "/sessions"
            kind = "rate limited: HTTP 429" if status == 429 else "server error: HTTP 503"
            assert errors["ls"].startswith(f"{kind} from {fake.url}/sessions")
            assert errors["ls"].endswith(f"; backing off until {_hms(now + 120)} (Retry-After)")
            for later in (8.0, 60.0, 119.0):
                _, errors = await fetch_all({"ls": src}, ticks, now + later, {"ls": 10}, health)
                assert len(fake.requests) == asked, later
                assert f"backing off until {_hms(now + 120)} (Retry-After)" in errors["ls"]
            limited["on"] = False
            data, errors = await fetch_all({"ls": src}, ticks, now + 120, {"ls": 10}, health)
        finally:
            await src.aclose()
    assert errors == {} and data["availability"].error is None
    assert len(fake.requests) > asked


async def test_a_project_deleted_or_recreated_while_running_is_looked_up_again() -> None:
    # The project's id was looked up once: after the project was recreated (a new id) every fetch
    # said "not found (check api_url): HTTP 404" for good, and after a deletion it never said so.
    import uuid

    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        src = source(fake.url)
        slo = [availability(period=2 * HOUR)]
        try:
            assert (await src.fetch(slo, NOW))["availability"].error is None
            fake.project_id = str(uuid.UUID(int=99))  # recreated: same name, new id
            with pytest.raises(SourceError) as err:
                await src.fetch(slo, NOW + 300)
            assert str(err.value) == (
                f"project 'support-bot' not found at {fake.url} (HTTP 404 from {fake.url}/runs/stats): "
                "deleted or recreated since it was looked up; looking it up again at the next fetch")
            got = (await src.fetch(slo, NOW + 600))["availability"]
            assert got.error is None and got.windows[HOUR] == ok_total(NOW + 600 - HOUR, NOW + 600)
            assert [r.path for r in fake.requests].count("/sessions") == 2
            fake.project = "renamed"  # deleted (or renamed): no project of that name any more
            fake.project_id = str(uuid.UUID(int=100))
            with pytest.raises(SourceError):
                await src.fetch(slo, NOW + 900)
            with pytest.raises(SourceError) as err:
                await src.fetch(slo, NOW + 1200)
        finally:
            await src.aclose()
    assert str(err.value) == f"project 'support-bot' not found at {fake.url} (check project and api_key)"


async def test_a_feedback_key_with_no_scores_is_no_data_even_with_an_avg_of_zero() -> None:
    # {"n": 0, "avg": 0} was a mean score of 0 (a quality SLO reading CRITICAL) from no scores at all.
    with LangSmithAPI(RUNS, api_key=KEY, overrides={"feedback_stats": {
            "helpfulness": {"n": 0, "avg": 0, "stdev": 0, "errors": 0, "values": {}}}}) as fake:
        src = source(fake.url)
        try:
            got = (await src.fetch([spec("helpfulness", query="feedback:helpfulness")], NOW))["helpfulness"]
        finally:
            await src.aclose()
    assert got.error is None and got.value is None and got.slices == ()
    result = evaluate_slo(spec("helpfulness", query="feedback:helpfulness"), got, NOW)
    assert result.status is Status.NO_DATA


async def test_a_rate_limit_during_the_backfill_stops_it_and_holds_it_for_retry_after() -> None:
    # After 8 answers the server said 429 (Retry-After: 30) to every request: the backfill went on
    # asking each of the ~170 other spans of the week in the same fetch (179 requests), and the next
    # fetch did it again -- a rate-limited server hammered.
    week = spec("availability", query="availability", period=7 * DAY)
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        route, served = fake.route, {"n": 0, "limit": True}

        def limited(req):  # type: ignore[no-untyped-def]
            if req.path == "/runs/stats":
                served["n"] += 1
                if served["limit"] and served["n"] > 8:
                    return 429, {"detail": "Too many requests"}, {"Retry-After": "30"}
            return route(req)

        fake.route = limited
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            first = (await fetch_all({"ls": src}, {"ls": [week]}, NOW, {"ls": 10}, health))[0]["availability"]
            asked = served["n"]
            served["limit"] = False  # the server would answer again, but asked for 30 s of quiet
            second = (await fetch_all({"ls": src}, {"ls": [week]}, NOW + 5, {"ls": 10}, health))[0]["availability"]
        finally:
            await src.aclose()
    assert first.error is None and first.value is not None
    assert 8 < asked <= 8 + src.concurrency  # the spans already in flight, then no new one
    assert "; backfill paused for 30s (Retry-After): rate limited: HTTP 429" in (first.note or "")
    assert served["n"] - asked == 1  # the window alone: no backfill span during the pause
    assert second.error is None and "backfill paused for 30s (Retry-After)" in (second.note or "")


async def test_a_429_on_one_window_stops_the_other_calls_of_the_fetch() -> None:
    # Six SLOs ask a dozen windows at once: after the first 429 (Retry-After: 120) every other
    # window was still asked (each retried), on a server that had asked for quiet.
    slos = [spec(f"a{i}", kind="ratio", target=0.99, good="success", total=f"eq(name, \"bot{i}\")") for i in range(6)]
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        route, served = fake.route, {"n": 0}

        def limited(req):  # type: ignore[no-untyped-def]
            if req.path == "/runs/stats":
                served["n"] += 1
                return 429, {"detail": "Too many requests"}, {"Retry-After": "120"}
            return route(req)

        fake.route = limited
        src = source(fake.url, max_concurrency=1)
        health: dict[str, SourceHealth] = {}
        try:
            _, errors = await fetch_all({"ls": src}, {"ls": slos}, NOW, {"ls": 10}, health)
        finally:
            await src.aclose()
    assert served["n"] == 1
    assert errors["ls"].startswith(f"rate limited: HTTP 429 from {fake.url}/runs/stats; retry after 120s")
    assert health["ls"].backoff_reason == "Retry-After"


@pytest.mark.parametrize("bad", [
    {"kind": "threshold", "query": "slower_than:2.5.1s", "direction": "lower_is_better"},
    {"kind": "threshold", "query": "slower_than:.s", "direction": "lower_is_better"},
    {"kind": "ratio", "good": "latency <= 2..5s", "target": 0.99},
    {"kind": "ratio", "good": "latency < 1e3ms", "target": 0.99},
])
async def test_a_malformed_latency_bound_is_an_error_on_its_slo_not_a_crash(bad: dict) -> None:
    # "[0-9.]+" let 2.5.1 through to float(): ValueError out of the fetch, every SLO of the source
    # down ("ValueError: could not convert string to float: '2.5.1'").
    with LangSmithAPI(RUNS, api_key=KEY) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("bad", **bad), availability(period=2 * HOUR)], NOW)
        finally:
            await src.aclose()
    shown = (bad.get("query") or bad["good"]).split(":", 1)[-1].split("<")[-1].lstrip("= ").strip()
    assert got["bad"].error == f"expected a latency such as 2s or 2500ms (got {shown!r})"
    assert got["availability"].error is None


async def test_an_hour_with_one_run_is_one_slice_with_data_not_twelve() -> None:
    """An hour's share of slow runs stood for each of its twelve slices: one slow run in a quiet hour
    made twelve bad slices (SPEC 3 counts slices with data: one). Such an hour is asked slice by
    slice in the same fetch; a busy hour's answer still stands for its slices."""
    quiet = (NOW - 10 * HOUR) // HOUR * HOUR
    runs = [r for r in RUNS if not quiet <= r.start_time < quiet + HOUR]
    runs.append(Run(start_time=quiet + 61, latency=5.0, error=False, total_cost=0.002, feedback={}))
    slow = spec("slow", query="slower_than:2s", target=0.05, direction="lower_is_better")
    _, got = await fetch_ok(LangSmithAPI(runs, api_key=KEY), source, [slow], NOW)
    slices = dict(got["slow"].slices)
    assert [slices.get(quiet + k * 300) for k in range(12)] == [1.0] + [None] * 11
    busy = quiet - HOUR
    assert all(slices.get(busy + k * 300) is not None for k in range(12))
    assert evaluate_slo(slow, got["slow"], NOW).budget.slices == len(slices)
