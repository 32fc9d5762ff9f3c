"""Issue 8 items 11 and 12: answers are read no further than a cap (sources: ``max_body_bytes``;
channels: 1 MiB), and ``Retry-After`` plus exponential backoff keep a failing source alone across
ticks (counted in the server's request log, with the runtime's own ``now``; no sleeps).

Families: chunked and announced (Content-Length) bodies; the http and prometheus sources and a
webhook receiver; Retry-After as seconds and as an HTTP date, on 429 and 503; repeated failures
without Retry-After.
"""

from __future__ import annotations

import asyncio
import email.utils
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_http import Recorder, Router, Seen, Streamer, Trickler, Truncator  # noqa: E402

from slotui.config.model import DEFAULT_MAX_BODY_BYTES, HttpSourceConfig, PrometheusSourceConfig  # noqa: E402
from slotui.core.types import HOUR, SLOSpec  # noqa: E402
from slotui.sources.kit.base import SourceHealth  # noqa: E402
from slotui.sources.http import HttpSource  # noqa: E402
from slotui.sources.kit.runtime import BACKOFF_BASE, fetch_all  # noqa: E402

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0
HUGE = 100 * 1024 * 1024  # generated chunk by chunk, never allocated
MiB = 1024 * 1024
#: What loopback socket buffers may hold beyond what the client read before it hung up (up to ~17 MiB
#: seen on a loaded machine; still far below the 100 MiB an uncapped read would take).
SOCKET_SLACK = 32 * MiB


def spec(source: str = "src", query: str = "value") -> SLOSpec:
    return SLOSpec(name="value", kind="threshold", target=2.0, warning=3.0, direction="lower_is_better",
                   source=source, query=query, window=HOUR, interval=30.0)


def http_source(url: str, **extra: object) -> HttpSource:
    return HttpSource("src", HttpSourceConfig.model_validate({"type": "http", "url": url, "timeout": 10, **extra}))


async def tick(src: object, now: float, health: dict[str, SourceHealth]) -> tuple[dict, dict]:
    return await fetch_all({"src": src}, {"src": [spec()]}, now, {"src": 10.0}, health)  # type: ignore[dict-item]


def wait_until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --------------------------------------------------------------------------- body caps


@pytest.mark.parametrize("announce", [False, True], ids=["chunked", "content-length"])
async def test_a_huge_answer_is_cut_at_max_body_bytes(announce: bool) -> None:
    with Streamer(HUGE, announce=announce) as server:
        src = http_source(server.url + "/big?token=capTOKEN-1", max_body_bytes=MiB)
        tracemalloc.start()
        try:
            data, errors = await tick(src, NOW, {})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await src.aclose()
        wait_until(server.finished.is_set)
        written = server.written
    message = errors["src"]
    assert message.startswith("source 'src': answer from ")
    assert f"{server.url}/big" in message and "capTOKEN-1" not in message
    assert "larger than max_body_bytes (1,048,576 bytes" in message
    assert "sources.src.max_body_bytes" in message
    assert data["value"].error == message
    assert peak < 8 * MiB  # not the 100 MB answer
    assert written < MiB + SOCKET_SLACK
    if announce:  # refused on the header: hardly anything was read
        assert "it announces 104,857,600 bytes" in message


async def test_the_default_cap_is_a_few_megabytes() -> None:
    assert DEFAULT_MAX_BODY_BYTES == 8 * MiB
    with Streamer(3 * DEFAULT_MAX_BODY_BYTES) as server:
        src = http_source(server.url + "/big")
        try:
            _, errors = await tick(src, NOW, {})
        finally:
            await src.aclose()
        wait_until(server.finished.is_set)
        written = server.written
    assert "larger than max_body_bytes (8,388,608 bytes" in errors["src"]
    assert written < DEFAULT_MAX_BODY_BYTES + SOCKET_SLACK


async def test_an_answer_under_the_cap_is_read_whole() -> None:
    document = {"value": 1.25, "pad": "x" * 900_000}
    with Recorder(document) as server:
        src = http_source(server.url + "/ok", max_body_bytes=MiB)
        try:
            data, errors = await tick(src, NOW, {})
        finally:
            await src.aclose()
    assert errors == {}
    assert data["value"].value == 1.25


async def test_the_prometheus_source_is_capped_too() -> None:
    from slotui.sources.prometheus import PrometheusSource

    with Streamer(HUGE) as server:
        cfg = PrometheusSourceConfig.model_validate(
            {"type": "prometheus", "url": server.url, "timeout": 10, "max_body_bytes": 2 * MiB})
        src = PrometheusSource("prom", cfg)
        try:
            _, errors = await fetch_all({"prom": src}, {"prom": [spec("prom", "up")]}, NOW, {"prom": 10.0}, {})
        finally:
            await src.aclose()
        wait_until(server.finished.is_set)
        written = server.written
    assert "source 'prom': answer from" in errors["prom"]
    assert "larger than max_body_bytes (2,097,152 bytes" in errors["prom"]
    assert written < 2 * MiB + SOCKET_SLACK


@pytest.mark.parametrize(("status", "ok"), [(200, True), (500, False)])
async def test_a_receiver_answering_a_huge_body_costs_at_most_a_mebibyte(status: int, ok: bool) -> None:
    from slotui.channels import build_channel
    from slotui.channels.http import MAX_RECEIVER_BODY
    from slotui.config.model import WebhookChannel

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
    from receivers import sample_alert, sample_notification

    with Streamer(HUGE, status=status) as server:
        config = WebhookChannel.model_validate({"type": "webhook", "url": server.url + "/h"})
        channel = build_channel("hook", config, base_dir=None)
        tracemalloc.start()
        try:
            result = await channel.send(sample_notification([sample_alert()]))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await channel.aclose()
        wait_until(server.finished.is_set)
        written = server.written
    assert MAX_RECEIVER_BODY == MiB
    assert result.ok is ok
    assert result.status_code == status
    if not ok:
        assert result.retryable and len(result.message) < 400  # a snippet, not the body
    assert peak < 8 * MiB
    assert written < MiB + SOCKET_SLACK


# --------------------------------------------------------------------------- Retry-After and backoff


def _limited(status: int, retry_after: str) -> tuple[Router, list[int]]:
    """A server answering ``status`` with ``retry_after`` first, then 200; and its request log."""
    log: list[int] = []

    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        log.append(1)
        if len(log) == 1:
            return status, b'{"error": "slow down"}', {"Retry-After": retry_after}
        return 200, b'{"value": 1.75}', {}

    return Router(route), log


def _hms(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M:%SZ")


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds_keeps_the_source_alone_across_ticks(status: int) -> None:
    server, log = _limited(status, "120")
    with server:
        src = http_source(server.url + "/v")
        health: dict[str, SourceHealth] = {}
        try:
            _, errors = await tick(src, NOW, health)
            assert len(log) == 1
            assert errors["src"].endswith(f"; backing off until {_hms(NOW + 120)} (Retry-After)")
            for later in (8.0, 16.0, 60.0, 119.0):  # the old behaviour re-polled on every tick (~8 s)
                data, errors = await tick(src, NOW + later, health)
                assert len(log) == 1, later
                assert f"backing off until {_hms(NOW + 120)} (Retry-After)" in errors["src"]
                assert f"backing off until {_hms(NOW + 120)} (Retry-After)" in (data["value"].error or "")
            data, errors = await tick(src, NOW + 120, health)
        finally:
            await src.aclose()
    assert len(log) == 2
    assert errors == {} and data["value"].value == 1.75
    assert health["src"].backoff_until is None and health["src"].consecutive_failures == 0


async def test_retry_after_as_an_http_date() -> None:
    now = float(int(time.time()))
    server, log = _limited(429, email.utils.formatdate(now + 90, usegmt=True))
    with server:
        src = http_source(server.url + "/v")
        health: dict[str, SourceHealth] = {}
        try:
            _, errors = await tick(src, now, health)
            assert f"backing off until {_hms(now + 90)} (Retry-After)" in errors["src"]
            await tick(src, now + 30, health)
            await tick(src, now + 89, health)
            assert len(log) == 1
            _, errors = await tick(src, now + 90, health)
        finally:
            await src.aclose()
    assert len(log) == 2 and errors == {}


async def test_repeated_failures_back_off_exponentially() -> None:
    log: list[float] = []
    healthy = {"on": False}

    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        log.append(1)
        if healthy["on"]:
            return 200, b'{"value": 1.0}', {}
        return 401, b'{"error": "bad key"}', {}

    with Router(route) as server:
        src = http_source(server.url + "/v")
        health: dict[str, SourceHealth] = {}
        asked: list[float] = []
        try:
            # ticks every 5 s for 3 minutes
            for t in range(0, 181, 5):
                before = len(log)
                _, errors = await tick(src, NOW + t, health)
                if len(log) > before:
                    asked.append(t)
            # failures 1..: no wait after the first; then 15, 30, 60, 120 s (BACKOFF_BASE * 2**(n-2))
            assert BACKOFF_BASE == 15.0
            assert asked == [0, 5, 20, 50, 110]
            assert errors["src"].endswith(f"backing off until {_hms(NOW + 230)} (5 failures in a row)")
            healthy["on"] = True
            _, errors = await tick(src, NOW + 230, health)
            assert errors == {}
            await tick(src, NOW + 235, health)  # healthy again: asked on every tick
        finally:
            await src.aclose()
    assert len(log) == 7


async def test_the_langsmith_source_is_capped_too() -> None:
    from slotui.config.model import LangSmithSourceConfig
    from slotui.sources.langsmith import LangSmithSource

    with Streamer(HUGE) as server:
        cfg = LangSmithSourceConfig.model_validate({"type": "langsmith", "api_url": server.url, "api_key": "lsv2_k",
                                                    "project": "p", "timeout": 10, "max_body_bytes": MiB})
        src = LangSmithSource("ls", cfg)
        try:
            _, errors = await fetch_all({"ls": src}, {"ls": [spec("ls")]}, NOW, {"ls": 10.0}, {})
        finally:
            await src.aclose()
        wait_until(server.finished.is_set)
        written = server.written
    assert errors["ls"].startswith(f"source 'ls': answer from {server.url}/sessions is larger than max_body_bytes")
    assert "(1,048,576 bytes)" in errors["ls"]
    assert written < MiB + SOCKET_SLACK


@pytest.mark.parametrize("announce", [False, True], ids=["chunked", "content-length"])
async def test_a_langsmith_answer_trickling_in_stops_being_read_at_the_fetch_timeout(announce: bool) -> None:
    # A byte every 0.1 s never hits the read timeout: the fetch timed out, but its worker thread
    # read on (one more stuck thread per tick, until the default executor had none left for the
    # file sources and the email channel).
    from slotui.config.model import LangSmithSourceConfig
    from slotui.sources.langsmith import LangSmithSource

    with Trickler(announce=announce) as server:
        cfg = LangSmithSourceConfig.model_validate({"type": "langsmith", "api_url": server.url, "api_key": "lsv2_k",
                                                    "project": "p", "timeout": 1})
        src = LangSmithSource("ls", cfg)
        try:
            _, errors = await fetch_all({"ls": src}, {"ls": [spec("ls")]}, NOW, {"ls": 1.0}, {})
            assert errors["ls"].startswith("timed out after 1s")
            # the worker thread gave up too: it closed the connection instead of reading on
            assert await asyncio.to_thread(server.hung_up.wait, 10.0)
        finally:
            await src.aclose()


@pytest.mark.parametrize("kind", ["http", "prometheus"])
async def test_an_httpx_source_answer_trickling_in_is_given_up_at_the_fetch_timeout(kind: str) -> None:
    # The sibling of the LangSmith case for the sources on the shared httpx client: the fetch's
    # timeout cancels the read and the connection is closed, not left reading.
    from slotui.sources.prometheus import PrometheusSource

    with Trickler() as server:
        if kind == "http":
            src: object = http_source(server.url + "/v", timeout=1)
        else:
            src = PrometheusSource("src", PrometheusSourceConfig.model_validate(
                {"type": "prometheus", "url": server.url, "timeout": 1}))
        try:
            _, errors = await fetch_all({"src": src}, {"src": [spec()]}, NOW, {"src": 1.0}, {})  # type: ignore[dict-item]
            assert errors["src"].startswith("timed out after 1s")
            assert await asyncio.to_thread(server.hung_up.wait, 10.0)
        finally:
            await src.aclose()  # type: ignore[attr-defined]


def _ls_source(url: str) -> object:
    from slotui.config.model import LangSmithSourceConfig
    from slotui.sources.langsmith import LangSmithSource

    return LangSmithSource("src", LangSmithSourceConfig.model_validate(
        {"type": "langsmith", "api_url": url, "api_key": "lsv2_k_123456", "project": "p", "timeout": 5}))


def _prom_source(url: str) -> object:
    from slotui.sources.prometheus import PrometheusSource

    return PrometheusSource("src", PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 5}))


@pytest.mark.parametrize("kind", ["langsmith", "prometheus", "http"])
async def test_a_body_cut_off_in_the_middle_is_a_broken_connection_in_words(kind: str) -> None:
    # LangSmith read "request to .../sessions failed: AttributeError" (urllib3's error reached the
    # SDK's handler, which failed on it).
    with Truncator(b'{"status": "succ', 1000) as server:
        src = {"langsmith": _ls_source, "prometheus": _prom_source}.get(kind, lambda u: http_source(u + "/v"))(server.url)
        try:
            _, errors = await fetch_all({"src": src}, {"src": [spec()]}, NOW, {"src": 5.0}, {})  # type: ignore[dict-item]
        finally:
            await src.aclose()  # type: ignore[attr-defined]
    assert errors["src"].startswith(f"connection to {server.url} broke: ")
    assert "16 bytes" in errors["src"] and ("984 more expected" in errors["src"] or "expected 1000" in errors["src"])


@pytest.mark.parametrize("kind", ["langsmith", "prometheus", "http"])
async def test_a_body_that_does_not_decode_as_announced_is_said_so(kind: str) -> None:
    with Router(lambda seen: (200, b"this is not gzip", {"Content-Encoding": "gzip"})) as server:
        src = {"langsmith": _ls_source, "prometheus": _prom_source}.get(kind, lambda u: http_source(u + "/v"))(server.url)
        try:
            _, errors = await fetch_all({"src": src}, {"src": [spec()]}, NOW, {"src": 5.0}, {})  # type: ignore[dict-item]
        finally:
            await src.aclose()  # type: ignore[attr-defined]
    # the httpx sources read "request to URL failed: DecodingError: Error -3 while decompressing data: ..."
    path = {"langsmith": "sessions", "prometheus": "api/v1/query"}.get(kind, "v")
    assert errors["src"] == f"cannot decode the answer from {server.url}/{path} (gzip)"
