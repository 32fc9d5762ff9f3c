"""The generic HTTP source against a local JSON endpoint: values, requests, errors and statuses."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pytest

from slotui.config.model import HttpSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import HOUR, SLIData, SLOSpec, Status
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.http import HttpSource
from slotui.sources.kit.runtime import fetch_all

try:
    from tests.integration.saas_servers import FakeServer, Request
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from saas_servers import FakeServer, Request  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0
TOKEN = "http-secret-token-123"
STATUS = {
    "service": "support-bot",
    "data": {"latency": {"p95_s": 1.8342}, "items": [{"name": "chat", "ok": 9950, "total": 10000}]},
    "quality": {"helpfulness": "0.91"},
    "broken": {"latency": "NaN", "text": "fast", "none": None},
}


def source(url: str, **extra: object) -> HttpSource:
    cfg = HttpSourceConfig.model_validate({"type": "http", "url": url, "timeout": 5, **extra})
    return HttpSource("status", cfg, base_dir=Path("."))


def latency(query: str = "data.latency.p95_s", **kw: object) -> SLOSpec:
    base = dict(name="p95_ms", kind="threshold", target=2000.0, warning=3000.0, critical=5000.0,
                direction="lower_is_better", source="status", query=query, params={"scale": 1000},
                window=HOUR, interval=30.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def availability(**kw: object) -> SLOSpec:
    base = dict(name="availability", kind="ratio", target=0.99, direction="higher_is_better", source="status",
                good="data.items[0].ok", total="$.data.items[0].total", window=HOUR, interval=30.0)
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def serve(document: object = STATUS, path: str = "/api/status.json"):
    def route(req: Request):
        if req.path == path:
            return 200, document
        return 404, {"error": "no such page"}

    return route


async def test_values_from_paths_and_the_requests_made() -> None:
    with FakeServer(serve()) as fake:
        src = source(fake.url + "/api/status.json", bearer_token=TOKEN)
        try:
            got = await src.fetch(
                [latency(), availability(),
                 latency(name="helpfulness", query="$.quality.helpfulness", params={},
                         direction="higher_is_better", target=0.85, warning=None, critical=None)],
                NOW,
            )
        finally:
            await src.aclose()
    doc = STATUS["data"]
    assert got["p95_ms"].error is None
    assert got["p95_ms"].value == pytest.approx(doc["latency"]["p95_s"] * 1000)  # type: ignore[index]
    assert got["helpfulness"].value == pytest.approx(float(STATUS["quality"]["helpfulness"]))  # type: ignore[index]
    item = doc["items"][0]  # type: ignore[index]
    assert got["availability"].windows == {HOUR: (float(item["ok"]), float(item["total"]))}
    # Three SLOs on one endpoint: one request, to the configured path, with the token.
    assert [r.path for r in fake.requests] == ["/api/status.json"]
    assert fake.requests[0].method == "GET"
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    # The core reads them: 99.5% of 99% is OK; 1834 ms under 2000 ms is OK.
    assert evaluate_slo(availability(), got["availability"], NOW).value == pytest.approx(0.995)
    assert evaluate_slo(latency(), got["p95_ms"], NOW).status is Status.OK


async def test_params_path_and_post_body_with_basic_auth() -> None:
    seen: list[Request] = []

    def route(req: Request):
        seen.append(req)
        if req.path == "/metrics/llm" and req.query == {"env": "prod"}:
            return 200, {"p95": 4200}
        return 404, b"not here"

    with FakeServer(route) as fake:
        src = source(fake.url + "/metrics?env=prod", method="POST", body={"window": "1h"},
                     basic_auth={"username": "slotui", "password": "pw-secret"})
        try:
            got = await src.fetch([latency(query="p95", params={"path": "llm"})], NOW)
        finally:
            await src.aclose()
    assert got["p95_ms"].value == 4200.0
    (req,) = seen
    assert req.method == "POST" and req.json == {"window": "1h"}
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"slotui:pw-secret").decode()
    # 4200 ms is worse than the warning (3000) but not the critical (5000).
    assert evaluate_slo(latency(), got["p95_ms"], NOW).status is Status.WARNING


async def test_wrong_queries_are_errors_on_their_slo_only() -> None:
    with FakeServer(serve()) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            got = await src.fetch(
                [latency(name="missing", query="data.latency.p99_s"),
                 latency(name="text", query="broken.text"),
                 latency(name="malformed", query="data..latency"),
                 latency(name="index", query="data.items[3].ok"),
                 latency()],
                NOW,
            )
        finally:
            await src.aclose()
    assert "path 'data.latency.p99_s' not found" in got["missing"].error
    assert "has no key 'p99_s'" in got["missing"].error
    assert "not a number" in got["text"].error and "'fast'" in got["text"].error
    assert "invalid path" in got["malformed"].error and "column" in got["malformed"].error
    assert "has 1 item(s); no [3]" in got["index"].error
    assert got["p95_ms"].error is None and got["p95_ms"].value is not None
    result = evaluate_slo(latency(name="missing"), got["missing"], NOW)
    assert result.status is Status.NO_DATA and "not found" in (result.error or "")


async def test_nan_and_null_are_no_data_never_nan() -> None:
    with FakeServer(serve()) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            got = await src.fetch([latency(query="broken.latency"), latency(name="null", query="broken.none"),
                                   availability(good="broken.latency")], NOW)
        finally:
            await src.aclose()
    for name in ("p95_ms", "null"):
        assert got[name].error is None and got[name].value is None
        assert "NaN" in (got[name].note or "")
        assert evaluate_slo(latency(name=name), got[name], NOW).status is Status.NO_DATA
    assert got["availability"].windows == {HOUR: (0.0, 0.0)}
    assert evaluate_slo(availability(), got["availability"], NOW).status is Status.NO_DATA


async def test_unauthorized_is_a_source_error_without_the_secret() -> None:
    with FakeServer(lambda r: (401, {"message": "bad token"})) as fake:
        src = source(fake.url + "/api/status.json", bearer_token=TOKEN)
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"status": src}, {"status": [latency()]}, NOW, {"status": 5}, health)
        finally:
            await src.aclose()
    assert "unauthorized (check the API key)" in errors["status"]
    assert TOKEN not in errors["status"]
    assert len(fake.requests) == 1  # 401 is not retried
    assert health["status"].last_error == errors["status"] and not health["status"].ok
    assert evaluate_slo(latency(), data["p95_ms"], NOW).status is Status.NO_DATA


async def test_rate_limit_honours_retry_after_then_recovers() -> None:
    with FakeServer(serve(), fail=[(429, {"error": "slow down"}, {"Retry-After": "0.2"})]) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            got = await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert got["p95_ms"].value == pytest.approx(1834.2)
    assert len(fake.requests) == 2


async def test_persistent_rate_limit_beyond_the_budget_is_reported() -> None:
    # Retry-After of 60 s does not fit in a 5 s timeout: reported at once, not waited for.
    with FakeServer(lambda r: (429, {"error": "quota"}, {"Retry-After": "60"})) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert "rate limited: HTTP 429" in str(err.value) and "retry after 60s" in str(err.value)
    assert len(fake.requests) == 1


async def test_server_error_marks_the_last_good_value_stale() -> None:
    with FakeServer(serve()) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            first = (await src.fetch([latency()], NOW))["p95_ms"]
            fake.route = lambda r: (500, b"upstream exploded")
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW + 120)
        finally:
            await src.aclose()
    assert "server error: HTTP 500" in str(err.value) and "upstream exploded" in str(err.value)
    # What the engine does with a failed fetch: keep the last good answer, with the error.
    kept = replace(first, error=str(err.value))
    result = evaluate_slo(latency(), kept, NOW + 120)  # 120 s > 2 x 30 s interval
    assert result.status is Status.STALE and result.value == pytest.approx(1834.2)
    assert evaluate_slo(latency(), SLIData(error=str(err.value)), NOW + 120).status is Status.NO_DATA


async def test_hanging_endpoint_times_out_within_the_source_timeout() -> None:
    with FakeServer(serve(), hang=True) as fake:
        src = source(fake.url + "/api/status.json")
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all({"status": src}, {"status": [latency()]}, NOW, {"status": 0.4}, health)
        finally:
            await src.aclose()
    assert errors["status"] == "timed out after 0.4s"
    assert data["p95_ms"].error == "timed out after 0.4s"
    assert health["status"].latency is not None and health["status"].latency >= 0.4


async def test_malformed_json_is_a_clear_source_error() -> None:
    with FakeServer(lambda r: (200, b"<html>login</html>")) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == (f"an HTML page, not JSON, from {fake.url}/api/status.json (a login page or a proxy "
                              "in the way?): 'login'")


async def test_a_body_that_is_not_json_nor_a_page_is_quoted() -> None:
    with FakeServer(lambda r: (200, b'{"data": {"latency": ')) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            with pytest.raises(SourceError) as err:
                await src.fetch([latency()], NOW)
        finally:
            await src.aclose()
    assert str(err.value) == (f"malformed JSON from {fake.url}/api/status.json: JSONDecodeError "
                              "('{\"data\": {\"latency\":')")


async def test_one_failing_endpoint_errs_only_its_slos_and_health_records_success() -> None:
    with FakeServer(serve()) as fake:
        src = source(fake.url + "/api/status.json")
        health: dict[str, SourceHealth] = {}
        try:
            data, errors = await fetch_all(
                {"status": src}, {"status": [latency(), latency(name="other", params={"path": "gone"})]},
                NOW, {"status": 5}, health)
        finally:
            await src.aclose()
    assert errors == {}
    assert data["p95_ms"].value == pytest.approx(1834.2)
    assert "not found (check the URL): HTTP 404" in data["other"].error
    assert health["status"].ok and health["status"].last_success == NOW


DOCS = Path(__file__).resolve().parents[2] / "docs" / "sources"


@pytest.mark.parametrize("kind", ["http", "langsmith", "mlflow", "weave", "langfuse"])
def test_the_documented_example_loads_builds_and_every_slo_is_understood(kind: str) -> None:
    import re

    from slotui.config.loader import load_text
    from slotui.sources import build_source

    text = (DOCS / f"{kind}.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None, f"docs/sources/{kind}.md has no yaml example"
    env = {"LANGSMITH_API_KEY": "k", "MLFLOW_TRACKING_TOKEN": "t", "WANDB_API_KEY": "w",
           "LANGFUSE_PUBLIC_KEY": "p", "LANGFUSE_SECRET_KEY": "s", "STATUS_TOKEN": "x"}
    loaded = load_text(block.group(1), name=f"{kind}.md", env=env, path=None, base_dir=DOCS)
    assert loaded.warnings == []
    ((name, cfg),) = loaded.config.sources.items()
    src = build_source(name, cfg, base_dir=DOCS, defaults=loaded.config.defaults)
    assert type(src).__name__ == {"http": "HttpSource", "langsmith": "LangSmithSource", "mlflow": "MLflowSource",
                                  "weave": "WeaveSource", "langfuse": "LangfuseSource"}[kind]
    assert len(loaded.specs) >= 4
    for spec in loaded.specs:
        if kind in ("langsmith", "langfuse"):
            src.measure_for(spec)  # raises QueryError for a query the source does not understand
        elif kind == "mlflow":
            from slotui.sources.mlflow import _is_trace_slo, _metric_key

            src.measure_for(spec) if _is_trace_slo(spec) else _metric_key(spec)
        elif kind == "weave":
            from slotui.sources.kit.series_book import SeriesBook
            from slotui.sources.weave import translate

            SeriesBook().add_spec(translate(spec))
        else:
            from slotui.sources.kit.json_path import compile_path

            for text in (spec.query, spec.good, spec.total):
                if text:
                    compile_path(text)


async def test_counts_that_cannot_be_a_ratio_are_errors_on_their_slo() -> None:
    # good > total was clamped to total (read as 100% good), a negative good to 0 (0% good) and a
    # negative total was "no events": each silently a wrong ratio. An equal good and total is fine.
    counts = {"c": {"ok": 12, "all": 10, "neg": -3, "zero": 0, "ten": 10}}
    with FakeServer(serve(counts)) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            got = await src.fetch([
                availability(name="over", good="c.ok", total="c.all"),
                availability(name="neg_good", good="c.neg", total="c.all"),
                availability(name="neg_total", good="c.zero", total="c.neg"),
                availability(name="equal", good="c.ten", total="c.all"),
                availability(name="none", good="c.zero", total="c.zero"),
            ], NOW)
        finally:
            await src.aclose()
    assert got["over"].error == ("ratio.good (12 at 'c.ok') is more than ratio.total (10 at 'c.all'); "
                                 "good must count a subset of the total's events")
    assert got["neg_good"].error == "ratio.good: the value at 'c.neg' is -3; an event count cannot be negative"
    assert got["neg_total"].error == "ratio.total: the value at 'c.neg' is -3; an event count cannot be negative"
    assert got["equal"].error is None and got["equal"].windows == {HOUR: (10.0, 10.0)}
    assert got["none"].error is None and got["none"].windows == {HOUR: (0.0, 0.0)}
    result = evaluate_slo(availability(name="over"), got["over"], NOW)
    assert result.status is Status.NO_DATA and "more than ratio.total" in (result.error or "")


@pytest.mark.parametrize("scale", [True, "NaN", "inf", 1e400, "x", None])
async def test_a_scale_that_is_not_a_finite_number_is_an_error(scale: object) -> None:
    # scale: NaN/inf made every value no data without saying why; scale: true multiplied by 1.
    with FakeServer(serve()) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            got = await src.fetch([latency(params={"scale": scale})], NOW)
        finally:
            await src.aclose()
    assert got["p95_ms"].value is None
    assert got["p95_ms"].error == f"params.scale must be a finite number (got {scale!r})"


async def test_an_infinite_or_overflowing_number_is_no_data_said_as_such() -> None:
    # 1e999 and a 400-digit integer are no float: no data, and the note no longer says "null or NaN".
    body = b'{"inf": 1e999, "big": ' + b"9" * 400 + b', "ok": 5}'
    with FakeServer(lambda r: (200, body)) as fake:
        src = source(fake.url + "/api/status.json")
        try:
            got = await src.fetch([latency(name="inf", query="inf"), latency(name="big", query="big"),
                                   availability(good="big", total="ok")], NOW)
        finally:
            await src.aclose()
    for name in ("inf", "big"):
        assert got[name].error is None and got[name].value is None
        assert got[name].note == "the endpoint answered null, NaN or an infinite number: no data"
    assert got["availability"].windows == {HOUR: (0.0, 0.0)}
    assert got["availability"].note == "the endpoint answered null, NaN or an infinite number for a count: no data"
