"""SourceHTTPClient: error classification, retry budget, secret masking (httpx.MockTransport)."""

from __future__ import annotations

import time

import httpx
import pytest

from slotui.config.model import PrometheusSourceConfig
from slotui.sources.kit.base import SourceError
from slotui.sources.kit.http_client import HTTPStatusError, MalformedResponse, SourceHTTPClient, redact_url
from slotui.sources.kit.runtime import FETCH_DEADLINE


def client(handler, **cfg: object) -> tuple[SourceHTTPClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    config = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": "http://prom.example:9090/base", **cfg})
    return SourceHTTPClient(config, timeout=5, transport=httpx.MockTransport(record), backoff_base=0.001), seen


async def test_json_answer_and_path_prefix() -> None:
    c, seen = client(lambda r: httpx.Response(200, json={"ok": 1}), headers={"X-Scope-OrgID": "team-a"})
    try:
        assert await c.get_json("/api/v1/query", {"query": "up"}) == {"ok": 1}
    finally:
        await c.aclose()
    assert str(seen[0].url) == "http://prom.example:9090/base/api/v1/query?query=up"
    assert seen[0].headers["x-scope-orgid"] == "team-a"
    assert c.requests_made == 1


@pytest.mark.parametrize(
    ("status", "expected", "retried"),
    [
        (401, "unauthorized (check the API key)", False),
        (403, "forbidden (check the API key's permissions)", False),
        (404, "not found (check the URL)", False),
        (400, "HTTP 400 from http://prom.example:9090/base/api/v1/query: bad thing", False),
        (429, "rate limited: HTTP 429", True),
        (502, "server error: HTTP 502", True),
    ],
)
async def test_status_classification(status: int, expected: str, retried: bool) -> None:
    c, seen = client(lambda r: httpx.Response(status, json={"error": "bad thing"}))
    try:
        with pytest.raises(HTTPStatusError) as err:
            await c.get_json("api/v1/query", {"query": "up", "api_key": "k-123456"})
    finally:
        await c.aclose()
    assert expected in str(err.value)
    assert err.value.status_code == status and err.value.retryable is retried
    assert len(seen) == (3 if retried else 1)
    assert "k-123456" not in str(err.value)


async def test_retry_succeeds_after_transient_failures() -> None:
    answers = iter([httpx.Response(503), httpx.Response(500), httpx.Response(200, json=[1])])
    c, seen = client(lambda r: next(answers))
    try:
        assert await c.get_json("x") == [1]
    finally:
        await c.aclose()
    assert len(seen) == 3


async def test_no_retry_when_the_fetch_deadline_would_pass() -> None:
    c, seen = client(lambda r: httpx.Response(503, headers={"Retry-After": "30"}))
    token = FETCH_DEADLINE.set(time.monotonic() + 1.0)
    try:
        with pytest.raises(HTTPStatusError) as err:
            await c.get_json("x")
    finally:
        FETCH_DEADLINE.reset(token)
        await c.aclose()
    assert len(seen) == 1  # a 30 s Retry-After does not fit in a 1 s budget
    assert "HTTP 503" in str(err.value)


async def test_timeouts_and_connection_errors_are_source_errors() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    c, seen = client(boom)
    try:
        with pytest.raises(SourceError) as err:
            await c.get_json("api/v1/query")
    finally:
        await c.aclose()
    assert str(err.value) == "timed out after 5s waiting for http://prom.example:9090/base/api/v1/query"
    assert err.value.retryable and len(seen) == 3


async def test_malformed_json_is_not_retried() -> None:
    c, seen = client(lambda r: httpx.Response(200, text='{"status": "succ'))
    try:
        with pytest.raises(MalformedResponse) as err:
            await c.get_json("api/v1/query")
    finally:
        await c.aclose()
    assert str(err.value) == ("malformed JSON from http://prom.example:9090/base/api/v1/query: JSONDecodeError "
                              "('{\"status\": \"succ')")
    assert len(seen) == 1


@pytest.mark.parametrize("ctype", ["text/html; charset=utf-8", "text/plain"])
async def test_an_html_page_is_named_by_its_title_not_quoted_as_bad_json(ctype: str) -> None:
    # A proxy's login page read "malformed JSON ...: JSONDecodeError ('<!DOCTYPE html><html lang=...')"
    page = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in - Corp SSO</title>'
            "<style>p{}</style></head><body><form>...</form></body></html>")
    c, seen = client(lambda r: httpx.Response(200, text=page, headers={"Content-Type": ctype}))
    try:
        with pytest.raises(MalformedResponse) as err:
            await c.get_json("api/v1/query")
    finally:
        await c.aclose()
    assert str(err.value) == ("an HTML page, not JSON, from http://prom.example:9090/base/api/v1/query "
                              "(a login page or a proxy in the way?): 'Sign in - Corp SSO'")
    assert len(seen) == 1


async def test_an_html_error_page_is_shown_by_its_title() -> None:
    # nginx's 502 page read "server error: HTTP 502 from ...: <html> <head><title>502 Bad Gateway</title>..."
    page = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
            "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    c, seen = client(lambda r: httpx.Response(502, text=page, headers={"Content-Type": "text/html"}))
    try:
        with pytest.raises(SourceError) as err:
            await c.get_json("api/v1/query")
    finally:
        await c.aclose()
    assert str(err.value) == "server error: HTTP 502 from http://prom.example:9090/base/api/v1/query: 502 Bad Gateway"


async def test_bare_nan_and_latin1_bodies_still_parse() -> None:
    # orjson (the fast path) refuses bare NaN, which Python's json.dumps writes (MLflow's
    # server does), and bodies in a declared non-UTF-8 charset: both fall back to the stdlib.
    bodies = iter([
        httpx.Response(200, content=b'{"metrics": [{"key": "accuracy", "value": NaN}]}',
                       headers={"content-type": "application/json"}),
        httpx.Response(200, content='{"name": "caf\u00e9"}'.encode("latin-1"),
                       headers={"content-type": "application/json; charset=iso-8859-1"}),
    ])
    c, _ = client(lambda r: next(bodies))
    try:
        first = await c.get_json("api/2.0/mlflow/runs/get")
        second = await c.get_json("api/other")
    finally:
        await c.aclose()
    value = first["metrics"][0]["value"]
    assert value != value  # NaN, for the source to turn into "no data"
    assert second == {"name": "caf\u00e9"}


async def test_secrets_echoed_by_a_server_are_masked() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text=f"bad auth header {request.headers.get('authorization')}")

    c, _ = client(echo, bearer_token="tok-abcdef123")
    try:
        with pytest.raises(HTTPStatusError) as err:
            await c.get_json("x")
    finally:
        await c.aclose()
    assert "tok-abcdef123" not in str(err.value)
    assert "Bearer ***" in str(err.value)


def test_redact_url_drops_credentials_and_query() -> None:
    assert redact_url("https://user:pw@host:8443/p/x?api_key=1") == "https://host:8443/p/x"
    assert redact_url("http://host/prometheus") == "http://host/prometheus"


async def test_bad_tls_files_are_a_fetch_error_not_a_crash(tmp_path) -> None:
    config = PrometheusSourceConfig.model_validate(
        {"type": "prometheus", "url": "https://prom.example", "tls": {"ca_file": "missing-ca.pem"}}
    )
    c = SourceHTTPClient(config, base_dir=tmp_path, timeout=1)
    try:
        with pytest.raises(SourceError) as err:
            await c.get_json("x")
    finally:
        await c.aclose()
    assert "TLS setup failed" in str(err.value) and not err.value.retryable


async def test_a_query_in_the_base_url_goes_with_every_request_under_the_prefix() -> None:
    """``url: http://prom.example:9090/base?token=...``: the API path goes under ``/base`` (it
    was joined into the query by text) and the query comes first, then the request's own."""
    secret = "tok-5e3f9a1c"
    c, seen = client(lambda r: httpx.Response(200, json={"ok": 1}),
                     url=f"http://prom.example:9090/base/?token={secret}&tenant=a%2Bb")
    try:
        assert await c.get_json("/api/v1/query", {"query": "up", "time": 5}) == {"ok": 1}
        assert await c.get_json("api/v1/labels") == {"ok": 1}
        assert await c.get_json("api/v1/series?match[]=up") == {"ok": 1}
        c2, seen2 = client(lambda r: httpx.Response(500, text="boom"), url=f"http://prom.example:9090/?token={secret}")
        with pytest.raises(HTTPStatusError) as err:
            await c2.get_json("api/v1/query", {"query": "up"})
        await c2.aclose()
    finally:
        await c.aclose()
    assert [r.url.path for r in seen] == ["/base/api/v1/query", "/base/api/v1/labels", "/base/api/v1/series"]
    assert [list(r.url.params.multi_items()) for r in seen] == [
        [("token", secret), ("tenant", "a+b"), ("query", "up"), ("time", "5")],
        [("token", secret), ("tenant", "a+b")],
        [("token", secret), ("tenant", "a+b"), ("match[]", "up")],
    ]
    assert seen2[0].url.path == "/api/v1/query"
    assert secret not in str(err.value)
