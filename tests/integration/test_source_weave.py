"""The W&B Weave source against a local trace server answering ``calls/stream_query`` in JSON lines."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest

import slotui.sources.weave as weave_module
from slotui.config.model import WeaveSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec, Status
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.kit.runtime import fetch_all
from slotui.sources.weave import WeaveSource

try:
    from tests.integration.saas_servers import WeaveAPI, fetch_ok, parse_time, percentile_linear, weave_call
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from saas_servers import WeaveAPI, fetch_ok, parse_time, percentile_linear, weave_call  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0 + 41.0
KEY = "wandb-test-key"


def make_calls(seed: int = 9, hours: float = 28) -> list[dict]:
    rng = random.Random(seed)
    calls = []
    t = NOW - hours * HOUR
    while t < NOW + 300:
        failed = rng.random() < 0.03
        latency = round(rng.lognormvariate(7.0, 0.6))
        feedback = []
        if rng.random() < 0.5:
            feedback.append({"feedback_type": "wandb.runnable.helpfulness",
                             "payload": {"output": rng.choice([0.0, 0.5, 1.0])}})
        if rng.random() < 0.1:
            feedback.append({"feedback_type": "wandb.reaction.1", "payload": {"emoji": rng.choice(["👍", "👎"])}})
        root = weave_call(t, latency, exception="RateLimitError('429')" if failed else None,
                          cost=(round(rng.uniform(1e-4, 5e-4), 7), round(rng.uniform(1e-4, 9e-4), 7)),
                          tokens=(rng.randint(200, 900), rng.randint(20, 300)), feedback=feedback)
        calls.append(root)
        # A child call (not a trace root): never counted.
        calls.append(weave_call(t + 0.01, 5000, parent_id=root["id"], op="retrieve"))
        t += rng.uniform(20, 60)
    calls.append(weave_call(NOW - 120, None, running=True))
    return calls


CALLS = make_calls()


def roots(start: float, end: float) -> list[dict]:
    """The finished root calls of ``[start, end)``: a record's time is the end of its request."""
    return [c for c in CALLS if c["parent_id"] is None and c["ended_at"] is not None
            and start <= parse_time(c["ended_at"]) < end]


def latency_of(c: dict) -> float:
    return float(c["summary"]["weave"]["latency_ms"])


def source(url: str, **extra: object) -> WeaveSource:
    cfg = WeaveSourceConfig.model_validate({"type": "weave", "url": url, "api_key": KEY,
                                            "project": "acme/support-bot", "timeout": 5, **extra})
    return WeaveSource("weave", cfg, base_dir=Path("."))


def spec(name: str, **kw: object) -> SLOSpec:
    base: dict[str, object] = dict(name=name, kind="threshold", target=2000.0, direction="lower_is_better",
                                   source="weave", window=HOUR, period=DAY, slice=5 * MINUTE, interval=30.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


async def test_latency_status_cost_and_feedback_aggregated_from_calls() -> None:
    specs = [
        spec("p95_ms", query="latency_ms:p95"),
        spec("availability", kind="ratio", target=0.97, good="success", direction="higher_is_better"),
        spec("fast", kind="ratio", target=0.9, good="latency_ms <= 2000", direction="higher_is_better"),
        spec("cost", sli_field="cost", sli_agg="mean", target=0.002),
        spec("helpfulness", sli_field="feedback.helpfulness", sli_agg="mean", target=0.5,
             direction="higher_is_better"),
        spec("tokens", query="tokens:sum", target=1e9),
    ]
    fake, got = await fetch_ok(WeaveAPI(CALLS, api_key=KEY), source, specs, NOW)
    window = roots(NOW - HOUR, NOW)
    assert got["p95_ms"].value == pytest.approx(percentile_linear([latency_of(c) for c in window], 0.95))
    for w, counts in got["availability"].windows.items():
        part = roots(NOW - w, NOW)
        assert counts == (float(sum(c["exception"] is None for c in part)), float(len(part))), w
    fast = sum(latency_of(c) <= 2000 for c in window)
    assert got["fast"].windows[HOUR] == (float(fast), float(len(window)))
    costs = [sum(m["prompt_tokens_total_cost"] + m["completion_tokens_total_cost"]
                 for m in c["summary"]["weave"]["costs"].values()) for c in window]
    assert got["cost"].value == pytest.approx(sum(costs) / len(costs))
    scores = [f["payload"]["output"] for c in window for f in c["summary"]["weave"].get("feedback", [])
              if f["feedback_type"] == "wandb.runnable.helpfulness"]
    assert got["helpfulness"].value == pytest.approx(sum(scores) / len(scores))
    assert got["tokens"].value == sum(m["total_tokens"] for c in window for m in c["summary"]["usage"].values())
    # Slices of the period: the p95 of each 5-minute slice.
    slices = dict(got["p95_ms"].slices)
    some = (NOW - 5 * HOUR) // 300 * 300
    assert slices[some] == pytest.approx(percentile_linear([latency_of(c) for c in roots(some, some + 300)], 0.95))
    # The request: roots only, the time range, costs and feedback included, basic auth api:<key>.
    # Pages of 2000 calls in start order until a short page.
    assert [r.json["offset"] for r in fake.requests] == [0, 2000]
    req = fake.requests[0]
    body = req.json
    assert req.path == "/calls/stream_query" and req.method == "POST"
    assert req.headers["authorization"] == "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
    assert req.headers["accept"] == "application/jsonl"
    assert body["project_id"] == "acme/support-bot" and body["filter"] == {"trace_roots_only": True}
    assert body["include_costs"] is True and body["include_feedback"] is True
    assert body["sort_by"] == [{"field": "started_at", "direction": "asc"}]
    low, high = body["query"]["$expr"]["$and"]
    assert low["$gte"][1]["$literal"] <= NOW - 3 * DAY and high["$not"][0]["$gte"][1]["$literal"] == NOW


async def test_paging_resumes_over_fetches_and_calls_that_end_later_count_once(monkeypatch) -> None:
    monkeypatch.setattr(weave_module, "PAGE", 40)
    calls = [c for c in CALLS if parse_time(c["started_at"]) >= NOW - 5 * HOUR]
    with WeaveAPI(calls, api_key=KEY, delay=0.02) as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        slo = spec("availability", kind="ratio", target=0.97, good="success", direction="higher_is_better",
                   period=6 * HOUR)
        try:
            data, errors = await fetch_all({"weave": src}, {"weave": [slo]}, NOW, {"weave": 0.3}, health)
            assert errors == {} and "backfill in progress" in (data["availability"].note or "")
            rounds = 1
            while data["availability"].note and rounds < 30:
                data, errors = await fetch_all({"weave": src}, {"weave": [slo]}, NOW, {"weave": 0.3}, health)
                assert errors == {}
                rounds += 1
            assert rounds > 1
            offsets = {r.json["offset"] for r in fake.requests}
            assert {0, 40, 80} <= offsets and all(r.json["limit"] == 40 for r in fake.requests)
            assert data["availability"].windows[HOUR] == (
                float(sum(c["exception"] is None for c in roots(NOW - HOUR, NOW))), float(len(roots(NOW - HOUR, NOW))))
            # The running call ends; the next fetch re-reads the recent calls and counts it once.
            running = next(c for c in calls if c["ended_at"] is None and c["parent_id"] is None)
            index = calls.index(running)
            finished = weave_call(NOW - 120, 1500.0, call_id=running["id"], exception="Timeout")
            fake.calls[index] = finished
            later = NOW + 60
            before = len(fake.requests)
            data, errors = await fetch_all({"weave": src}, {"weave": [slo]}, later, {"weave": 5}, health)
            again, _ = await fetch_all({"weave": src}, {"weave": [slo]}, later, {"weave": 5}, health)
        finally:
            await src.aclose()
    first_new = fake.requests[before].json["query"]["$expr"]["$and"][0]["$gte"][1]["$literal"]
    assert first_new >= NOW - 20 * MINUTE  # only the recent calls are read again
    expected = [c for c in roots(later - HOUR, later)] + [finished]
    good = float(sum(c["exception"] is None for c in expected))
    assert data["availability"].windows[HOUR] == (good, float(len(expected)))
    assert again["availability"].windows[HOUR] == (good, float(len(expected)))


async def test_unauthorized_is_a_source_error_without_the_key() -> None:
    with WeaveAPI(CALLS, api_key="other") as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"weave": src}, {"weave": [spec("p95_ms", query="latency_ms:p95")]},
                                           NOW, {"weave": 5}, health)
        finally:
            await src.aclose()
    assert "unauthorized (check the API key): HTTP 401" in errors["weave"]
    assert KEY not in errors["weave"]
    assert evaluate_slo(spec("p95_ms"), data["p95_ms"], NOW).status is Status.NO_DATA
    assert not health["weave"].ok


async def test_rate_limit_retried_server_error_reported() -> None:
    with WeaveAPI(CALLS, api_key=KEY, fail=[(429, {"reason": "slow down"}, {"Retry-After": "0.1"})]) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([spec("p95_ms", query="latency_ms:p95", period=2 * HOUR)], NOW)
            fake.route = lambda r: (502, b"bad gateway")
            with pytest.raises(SourceError) as err:
                await src.fetch([spec("p95_ms", query="latency_ms:p95", period=2 * HOUR)], NOW + 30)
        finally:
            await src.aclose()
    assert got["p95_ms"].value is not None
    assert "server error: HTTP 502" in str(err.value)


async def test_hanging_server_times_out() -> None:
    with WeaveAPI(CALLS, api_key=KEY, hang=True) as fake:
        src = source(fake.url)
        health: dict[str, SourceHealth] = {}
        try:
            _, errors = await fetch_all({"weave": src}, {"weave": [spec("p95_ms", query="latency_ms:p95")]},
                                        NOW, {"weave": 0.4}, health)
        finally:
            await src.aclose()
    assert errors["weave"] == "timed out after 0.4s"
    assert health["weave"].consecutive_failures == 1


async def test_malformed_lines_are_a_source_error() -> None:
    with WeaveAPI(CALLS, api_key=KEY) as fake:
        fake.route = lambda r: (200, b"<html>proxy</html>\n<body/>")
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([spec("p95_ms", query="latency_ms:p95")], NOW)
        finally:
            await src.aclose()
    assert "malformed JSON lines" in str(err.value)


async def test_nan_costs_are_no_data_and_bad_conditions_err_their_slo() -> None:
    calls = []
    for i in range(30):
        c = weave_call(NOW - 50 * MINUTE + i * 60, 800, cost=(0.001, 0.001))
        for m in c["summary"]["weave"]["costs"].values():
            m["prompt_tokens_total_cost"] = "NaN"
            m["completion_tokens_total_cost"] = None
        calls.append(c)
    with WeaveAPI(calls, api_key=KEY) as fake:
        src = source(fake.url)
        try:
            got = await src.fetch([
                spec("cost", sli_field="cost", sli_agg="mean", target=0.002, period=2 * HOUR),
                spec("broken", kind="ratio", target=0.9, good="latency_ms <=", direction="higher_is_better"),
                spec("bad_agg", query="latency_ms:p101"),
                spec("p95_ms", query="latency_ms:p95", period=2 * HOUR),
            ], NOW)
        finally:
            await src.aclose()
    assert got["cost"].error is None and got["cost"].value is None and got["cost"].slices == ()
    assert evaluate_slo(spec("cost", target=0.002, period=2 * HOUR), got["cost"], NOW).status is Status.NO_DATA
    assert "ratio.good" in got["broken"].error
    assert "unknown aggregation 'p101'" in got["bad_agg"].error
    assert got["p95_ms"].value == 800.0


async def test_breakdown_by_model_and_sample_counts() -> None:
    """Last hour: gpt-4o 30 calls of 1,000 ms (1 failed), gpt-4o-mini 10 calls of 4,000 ms (6 failed)."""
    calls = []
    for i in range(30):
        calls.append(weave_call(NOW - HOUR + 20 + i * 100, 1000, tokens=(100, 10), model="gpt-4o-2024-08-06",
                                exception="Timeout" if i == 3 else None))
    for i in range(10):
        calls.append(weave_call(NOW - HOUR + 70 + i * 300, 4000, tokens=(100, 10),
                                exception="RateLimitError('429')" if i < 6 else None))
    specs = [
        spec("latency", sli_field="latency_ms", sli_agg="mean", breakdown=("model",)),
        spec("availability", kind="ratio", target=0.95, good="success", direction="higher_is_better",
             breakdown=("model",), tiers=()),
    ]
    fake, got = await fetch_ok(WeaveAPI(calls), source, specs, NOW)
    # mean latency (30 x 1,000 + 10 x 4,000) / 40 = 1,750 ms over n = 40 calls; without gpt-4o-mini 1,000
    assert (got["latency"].value, got["latency"].n) == (1750.0, 40)
    (lat,) = evaluate_slo(specs[0], got["latency"], NOW).breakdowns
    top = lat.groups[0]
    assert (top.labels["model"], top.total, top.value, top.without) == ("gpt-4o-mini-2024-07-18", 10.0, 4000.0, 1000.0)
    # availability: 33 of 40 good; gpt-4o-mini has 6 of the 7 failures; without it 29 / 30
    (av,) = evaluate_slo(specs[1], got["availability"], NOW).breakdowns
    mini = av.groups[0]
    assert (mini.labels["model"], mini.total, mini.bad, mini.share_of_bad) == ("gpt-4o-mini-2024-07-18", 10.0, 6.0, 6 / 7)
    assert mini.without == 29 / 30


def _recent_roots(hours: float = 2) -> list[dict]:
    return [c for c in CALLS if c["parent_id"] is None and parse_time(c["started_at"]) >= NOW - hours * HOUR]


def _window_counts(calls: list[dict]) -> tuple[float, float]:
    done = [c for c in calls if c["ended_at"] is not None and NOW - HOUR <= parse_time(c["ended_at"]) < NOW]
    return float(sum(c["exception"] is None for c in done)), float(len(done))


AVAIL = spec("availability", kind="ratio", target=0.97, good="success", direction="higher_is_better",
             period=2 * HOUR)


async def test_a_malformed_line_in_a_full_page_does_not_end_the_read(monkeypatch) -> None:
    """A full page with one line that is not JSON held fewer *calls* than asked: that was read as the
    last page, and every later call of the period was silently missing."""
    monkeypatch.setattr(weave_module, "PAGE", 10)
    calls = _recent_roots()
    bad_id = calls[3]["id"]

    def mangle(body: dict, lines: list[str]) -> bytes:
        lines = ["{not json" if json.loads(line)["id"] == bad_id else line for line in lines]
        return ("\n".join(lines) + "\n").encode()

    fake, got = await fetch_ok(WeaveAPI(calls, api_key=KEY, mangle=mangle), source, [AVAIL], NOW)
    assert len(calls) > 30
    kept = [c for c in calls if c["id"] != bad_id]
    assert got["availability"].windows[HOUR] == _window_counts(kept)
    assert got["availability"].note is None
    offsets = [r.json["offset"] for r in fake.requests]
    assert len(offsets) > 3 and offsets == list(range(0, 10 * len(offsets), 10))  # read to the end


async def test_a_body_cut_inside_its_last_line_is_read_on_from_that_call(monkeypatch) -> None:
    """A body ending in the middle of a JSON line (a proxy cutting the stream) is not the last page:
    the cut call is asked again with the next page and counted once."""
    monkeypatch.setattr(weave_module, "PAGE", 10)
    calls = _recent_roots()

    def mangle(body: dict, lines: list[str]) -> bytes:
        if body["offset"] == 0:
            return ("\n".join(lines[:6]) + "\n" + lines[6][:40]).encode()  # 6.5 lines of 10
        return ("\n".join(lines) + ("\n" if lines else "")).encode()

    fake, got = await fetch_ok(WeaveAPI(calls, api_key=KEY, mangle=mangle), source, [AVAIL], NOW)
    assert got["availability"].windows[HOUR] == _window_counts(calls)
    offsets = [r.json["offset"] for r in fake.requests]
    assert offsets[:3] == [0, 6, 16]


async def test_a_page_larger_than_max_body_bytes_is_asked_in_halves(monkeypatch) -> None:
    monkeypatch.setattr(weave_module, "PAGE", 40)
    calls = _recent_roots()
    size = max(len(json.dumps(c)) for c in calls)
    fake, got = await fetch_ok(WeaveAPI(calls, api_key=KEY), lambda url: source(url, max_body_bytes=size * 12),
                               [AVAIL], NOW)
    assert got["availability"].windows[HOUR] == _window_counts(calls)
    limits = [r.json["limit"] for r in fake.requests]
    assert limits[:3] == [40, 20, 10] and set(limits[3:]) == {10}


async def test_behind_a_path_prefix_with_a_query_parameter() -> None:
    """``url: https://gw/weave?tenant=a``: the API paths go under the prefix, the query rides
    along on every request, and the answers are those of the plain URL."""
    specs = [spec("p95_ms", query="latency_ms:p95"),
             spec("availability", kind="ratio", target=0.97, good="success", direction="higher_is_better")]
    _, plain = await fetch_ok(WeaveAPI(CALLS, api_key=KEY), source, specs, NOW)
    fake, got = await fetch_ok(WeaveAPI(CALLS, api_key=KEY, prefix="/weave"),
                               lambda url: source(url + "/weave?tenant=team-a"), specs, NOW)
    assert {k: (d.value, d.windows, d.slices) for k, d in got.items()} == \
        {k: (d.value, d.windows, d.slices) for k, d in plain.items()}
    assert fake.requests and all(r.query.get("tenant") == "team-a" for r in fake.requests)


async def test_a_call_that_ended_before_it_started_is_skipped_and_noted_not_counted_as_0_ms() -> None:
    """Three calls of 1,000, 3,000 and 500 ms, and one whose ended_at precedes its started_at (a client
    clock step) without summary.weave.latency_ms: the mean is (1000 + 3000 + 500) / 3 = 1,500 ms, not
    (1000 + 3000 + 0 + 500) / 4 = 1,125 ms, and the note says why one call is left out."""
    backwards = weave_call(NOW - 400, 1000)
    backwards["ended_at"] = weave_call(NOW - 401, 1)["started_at"]  # 400 s - 1 s: ended 1 s before it started
    del backwards["summary"]["weave"]["latency_ms"]
    calls = [weave_call(NOW - 600, 1000), weave_call(NOW - 500, 3000), backwards, weave_call(NOW - 300, 500)]
    _, got = await fetch_ok(WeaveAPI(calls, api_key=KEY), source, [spec("mean_ms", query="latency_ms:mean"),
                                                                    spec("mean_s", query="latency_s:mean")], NOW)
    assert got["mean_ms"].value == 1500.0 and got["mean_ms"].n == 3
    assert "1 record: latency_ms negative" in got["mean_ms"].note
    assert got["mean_s"].value == 1.5 and "1 record: latency_s negative" in got["mean_s"].note


async def test_a_call_counts_in_the_window_where_it_ended() -> None:
    """A record's time is the end of the request (SPEC): a 90-minute agent run started 2 h ago and
    ended 30 min ago is in the last hour, and so is a call started 61 min ago that ended 59 min ago;
    one that ended 62 min ago is not, however late it started. Windows read the calls' start: the
    first two were left out of the hour and the third counted in it."""
    calls = [weave_call(NOW - 2 * HOUR, 90 * 60 * 1000), weave_call(NOW - 61 * MINUTE, 2 * 60 * 1000),
             weave_call(NOW - 30 * MINUTE, 1000), weave_call(NOW - 63 * MINUTE, 60 * 1000)]
    _, got = await fetch_ok(WeaveAPI(calls, api_key=KEY), source,
                            [spec("max_s", query="latency_s:max", period=3 * HOUR),
                             spec("n", query="latency_s:count", period=3 * HOUR)], NOW)
    assert got["n"].value == 3.0  # 5,400 s, 120 s and 1 s; the 60 s call ended at NOW - 62 min
    assert got["max_s"].value == 5400.0


async def test_categorical_feedback_is_named_and_a_skin_toned_reaction_counts() -> None:
    """A judge answering "pass"/"fail" is no number: the SLO says so (it did say "no record has it").
    Reactions as the trace server stores them (emoji as sent, ``detoned`` without the skin tone):
    👍🏽, 👍 and 👎🏿 are 1, 1 and 0: mean 2/3. A numeric judge beside a string one on another call
    counts alone: 0.5 and 1.0 -> 0.75."""
    def reaction(emoji: str, detoned: str, alias: str) -> dict:
        return {"feedback_type": "wandb.reaction.1",
                "payload": {"emoji": emoji, "alias": alias, "detoned": detoned, "detoned_alias": alias}}

    calls = [
        weave_call(NOW - 900, 800, feedback=[{"feedback_type": "wandb.runnable.verdict", "payload": {"output": "pass"}},
                                             reaction("👍🏽", "👍", ":thumbs_up:"),
                                             {"feedback_type": "wandb.runnable.judge", "payload": {"output": 0.5}}]),
        weave_call(NOW - 800, 800, feedback=[{"feedback_type": "wandb.runnable.verdict", "payload": {"output": "fail"}},
                                             reaction("👍", "👍", ":thumbs_up:"),
                                             {"feedback_type": "wandb.runnable.judge", "payload": {"output": None,
                                                                                                   "score": 1.0}}]),
        weave_call(NOW - 700, 800, feedback=[reaction("👎🏿", "👎", ":thumbs_down:")]),
    ]
    higher = dict(target=0.5, direction="higher_is_better")
    _, got = await fetch_ok(WeaveAPI(calls, api_key=KEY), source, [
        spec("verdict", query="feedback.verdict:mean", **higher),
        spec("thumbs", query="feedback.reaction:mean", **higher),
        spec("judge", query="feedback.judge:mean", **higher)], NOW)
    assert got["verdict"].value is None
    assert "2 records: feedback.verdict is a string, not a number" in got["verdict"].note
    assert got["thumbs"].value == pytest.approx(2 / 3, abs=1e-12) and got["thumbs"].n == 3
    assert got["judge"].value == 0.75 and got["judge"].n == 2


@pytest.mark.parametrize("form", ["offset", "naive", "space", "nanoseconds", "epoch_ms", "epoch_s"])
async def test_call_times_in_other_forms_are_read_and_unreadable_ones_counted(form: str) -> None:
    """The same three calls (1,000 / 2,000 / 6,000 ms, 10 to 8 minutes ago) with their started_at and
    ended_at written another way: the mean is 3,000 ms in every form. A fourth call whose started_at
    is unreadable is counted as malformed, not dropped unseen."""
    from datetime import datetime, timedelta, timezone

    def write(text: str) -> object:
        t = parse_time(text)
        dt = datetime.fromtimestamp(t, timezone.utc)
        return {"offset": dt.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
                "naive": dt.replace(tzinfo=None).isoformat(),
                "space": dt.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "nanoseconds": dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
                "epoch_ms": int(round(t * 1000)),
                "epoch_s": t}[form]

    def mangle(body: dict, lines: list[str]) -> bytes:
        out = []
        for line in lines:
            call = json.loads(line)
            if call["id"] == "odd":
                call["started_at"] = "yesterday at noon"
            else:
                call["started_at"], call["ended_at"] = write(call["started_at"]), write(call["ended_at"])
            out.append(json.dumps(call))
        return ("\n".join(out) + "\n").encode()

    calls = [weave_call(NOW - 600, 1000), weave_call(NOW - 540, 2000), weave_call(NOW - 480, 6000),
             weave_call(NOW - 470, 6000, call_id="odd")]
    for c in calls:
        del c["summary"]["weave"]["latency_ms"]  # the latency comes from the two times
    _, got = await fetch_ok(WeaveAPI(calls, api_key=KEY, mangle=mangle), source,
                            [spec("mean_ms", query="latency_ms:mean")], NOW)
    assert got["mean_ms"].value == pytest.approx(3000.0, abs=1e-3) and got["mean_ms"].n == 3
    assert got["mean_ms"].malformed == 1


async def test_an_error_echoing_the_api_key_never_shows_it() -> None:
    """A 422 whose FastAPI detail, a 400 whose message and a 200 whose body echo the Basic
    credential and the key: the reason is shown, the key and its base64 form never."""
    secret_basic = base64.b64encode(f"api:{KEY}".encode()).decode()
    answers = [
        (422, {"detail": [{"type": "value_error", "loc": ["body", "query"], "msg": f"bad token {KEY}"}]}),
        (400, {"message": f"Invalid query from Basic {secret_basic} ({KEY})"}),
        (200, f"upstream error: key {KEY} refused\n".encode()),
        (200, {"reason": f"Unauthorized key {KEY}"}),
    ]
    seen = []
    for answer in answers:
        with WeaveAPI(CALLS, api_key=KEY) as fake:
            fake.route = lambda r, a=answer: a
            src = source(fake.url)
            try:
                with pytest.raises(SourceError) as err:
                    await src.fetch([spec("p95_ms", query="latency_ms:p95")], NOW)
            finally:
                await src.aclose()
        text = str(err.value)
        assert KEY not in text and secret_basic not in text and "\n" not in text
        seen.append(text)
    assert "rejected the query (HTTP 422): body.query: bad token ****" in seen[0]
    assert "rejected the query (HTTP 400): Invalid query from Basic ****" in seen[1]
    assert "malformed JSON lines" in seen[2] and "****" in seen[2]
    assert "answered an error instead of calls: Unauthorized key ****" in seen[3]


async def test_a_server_ignoring_offset_is_an_error_not_a_backfill_that_never_ends(monkeypatch) -> None:
    """Ten calls, pages of four, and a server (or proxy) answering every offset with the first page:
    the source read the same four calls forever (n = 4 of 10, 'backfill in progress' on every
    fetch). Now the second page, holding only calls already sent, is a source error naming it."""
    monkeypatch.setattr(weave_module, "PAGE", 4)
    calls = [weave_call(NOW - 3000 + 60 * i, 1000) for i in range(10)]
    with WeaveAPI(calls, api_key=KEY) as fake:
        route = fake.route

        def no_offset(req):  # type: ignore[no-untyped-def]
            body = json.loads(req.body)
            body["offset"] = 0
            req.body = json.dumps(body).encode()
            return route(req)

        fake.route = no_offset
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([spec("mean_ms", query="latency_ms:mean")], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == ("the Weave trace server answered offset 4 of calls/stream_query with calls it had "
                              "already sent (it ignores offset): the read would never end")
    assert len(fake.requests) == 2


async def test_a_cost_or_token_count_with_an_unreadable_part_is_unknown_not_short_of_it() -> None:
    """Three calls costing 0.001 + 0.002, 0.001 + "NaN" and 0.002 + 0.004 USD: the second's cost is
    unknown, so the mean is (0.003 + 0.006) / 2 = 0.0045 with the call named in the note (it was
    counted as 0.001: (0.003 + 0.001 + 0.006) / 3 = 0.00333). Tokens alike: 300 + 30, a total of
    "lots", and 500 + 50 give (330 + 550) / 2 = 440."""
    a = weave_call(NOW - 900, 800, cost=(0.001, 0.002), tokens=(300, 30))
    b = weave_call(NOW - 800, 800, cost=(0.001, 0.0), tokens=(1, 1))
    c = weave_call(NOW - 700, 800, cost=(0.002, 0.004), tokens=(500, 50))
    for entry in b["summary"]["weave"]["costs"].values():
        entry["completion_tokens_total_cost"] = "NaN"
    for entry in b["summary"]["usage"].values():
        entry["total_tokens"] = "lots"
    _, got = await fetch_ok(WeaveAPI([a, b, c], api_key=KEY), source, [
        spec("cost", query="cost:mean", target=0.01), spec("tokens", query="tokens:mean", target=1000)], NOW)
    assert got["cost"].value == pytest.approx(0.0045, abs=1e-15) and got["cost"].n == 2
    assert "1 record: cost not finite" in got["cost"].note
    assert got["tokens"].value == 440.0 and got["tokens"].n == 2
    assert "1 record: tokens not finite" in got["tokens"].note


@pytest.mark.parametrize("project, hint", [("acme/other-bot", ""),
                                           ("support-bot", "; project is entity/project, e.g. acme/support-bot")])
async def test_an_unknown_project_is_named_with_the_servers_reason(project: str, hint: str) -> None:
    """A project the server does not know answered 'not found (check the URL)' and nothing more: the
    URL was right. The error now carries the server's reason and the project, with the entity/project
    form when the entity is missing."""
    with WeaveAPI(CALLS, api_key=KEY) as fake:
        src = source(fake.url, project=project)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([spec("p95_ms", query="latency_ms:p95")], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == (f"not found (check the URL): HTTP 404 from {fake.url}/calls/stream_query: "
                              f"project {project!r} not found (project {project!r}{hint})")
    assert len(fake.requests) == 1  # not retried


async def test_a_human_annotation_is_feedback_by_its_name() -> None:
    """Human annotations come as feedback_type ``wandb.annotation.NAME`` with ``payload.value`` (the UI
    and ``call.feedback.add(feedback_type="wandb.annotation." + spec.name, ...)``): feedback.quality
    said "no record has it" (the name kept its wandb.annotation. prefix, which no field path can
    spell). Annotations 1, 0, 1 and a boolean true: mean 0.75."""
    def annotation(value: object) -> dict:
        return {"feedback_type": "wandb.annotation.quality", "payload": {"value": value}}

    calls = [weave_call(NOW - 900 + 60 * k, 800, feedback=[annotation(v)]) for k, v in enumerate((1, 0, 1, True))]
    _, got = await fetch_ok(WeaveAPI(calls, api_key=KEY), source, [
        spec("quality", query="feedback.quality:mean", target=0.5, direction="higher_is_better")], NOW)
    assert (got["quality"].value, got["quality"].n) == (0.75, 4)


async def test_a_page_slower_than_the_timeout_is_asked_in_smaller_pages_until_the_read_finishes() -> None:
    """3,000 calls from a server taking 1 ms per call asked (a 2,000-call page: 2 s) with a 1.5 s
    timeout: the first page outlasted every fetch, so every tick timed out and the read never moved.
    A page that took half the timeout or more is now asked in halves from then on: the read finishes
    over a few ticks, and the mean is that of all 3,000 calls."""
    calls = [weave_call(NOW - 3 * HOUR + 3 * k, 1000 + (k % 7) * 100, call_id=f"c{k:05d}") for k in range(3000)]
    in_window = [k for k in range(3000) if NOW - 3 * HOUR + 3 * k >= NOW - HOUR]
    expected = sum(1000 + (k % 7) * 100 for k in in_window) / len(in_window)
    with WeaveAPI(calls, api_key=KEY) as fake:
        route = fake.route

        def slow(req):  # type: ignore[no-untyped-def]
            fake.release.wait((req.json or {}).get("limit", 0) * 0.001)  # the server's work per call asked
            return route(req)

        fake.route = slow
        src = source(fake.url, timeout=1.5)
        mean = spec("mean_ms", query="latency_ms:mean", period=4 * HOUR)
        try:
            for _ in range(30):
                data, _ = await fetch_all({"w": src}, {"w": [mean]}, NOW, {"w": 1.5}, {})
                if data["mean_ms"].error is None and data["mean_ms"].note is None:
                    break
        finally:
            await src.aclose()
    assert data["mean_ms"].error is None and data["mean_ms"].note is None, data["mean_ms"]
    assert data["mean_ms"].value == pytest.approx(expected, abs=1e-9) and data["mean_ms"].n == len(in_window)
    assert max(r.json["limit"] for r in fake.requests) == 2000 and min(r.json["limit"] for r in fake.requests) < 2000


async def test_a_giant_answer_is_cut_at_the_default_cap_not_read_whole() -> None:
    """Weave's pages had no cap unless max_body_bytes was set: a 200 MB answer (a broken proxy) grew
    ``check`` to 24 GB and the kernel killed it. The default cap (8 MiB) applies, pages are asked
    again in halves down to one call, and then the source fails naming the cap."""
    giant = b"[" + b"0," * (12 * 1024 * 1024) + b"0]\n"  # one 24 MB line, more than the cap at every page size
    with WeaveAPI(CALLS, api_key=KEY) as fake:
        fake.route = lambda r: (200, giant)
        src = source(fake.url)
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([spec("p95_ms", query="latency_ms:p95")], NOW)
        finally:
            await src.aclose()
    assert "max_body_bytes" in str(err.value) and "8,388,608" in str(err.value)
    assert WeaveSourceConfig.model_validate({"type": "weave", "project": "a/b"}).max_body_bytes == 8 * 1024 * 1024
