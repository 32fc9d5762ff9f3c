"""A hanging source does not delay the others beyond its timeout (real HTTP on loopback).

This is a bound, not a speed measurement (speed lives in bench/fetch_concurrency.py):
the hanging server holds its requests for up to 60 s, so a fetch that waited
for it, or fetched the sources one after the other, would blow far past the
generous margin below.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from slotui.config.model import PrometheusSourceConfig
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec
from slotui.sources.kit.base import SourceHealth
from slotui.sources.prometheus import PrometheusSource
from slotui.sources.kit.runtime import fetch_all

try:
    from tests.integration.prometheus_server import FakePrometheus, Request, matrix, vector
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from prometheus_server import FakePrometheus, Request, matrix, vector  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_767_225_600.0 + 10 * DAY
TIMEOUT = 0.5
#: Scheduling noise allowance on a loaded 2-core CI machine; the hang is 60 s.
MARGIN = 1.5


def answer(value: str):
    def route(req: Request):
        if req.path.endswith("/api/v1/query"):
            return 200, vector(value)
        start, end, step = (float(req.params[k]) for k in ("start", "end", "step"))
        return 200, matrix([(start + i * step, value) for i in range(round((end - start) / step) + 1)])

    return route


def make(url: str) -> PrometheusSource:
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url})
    return PrometheusSource("p", cfg, base_dir=Path("."))


def spec(name: str, source: str) -> SLOSpec:
    return SLOSpec(
        name=name, kind="threshold", target=2.0, direction="lower_is_better", source=source,
        query="q[{{window}}]", window=HOUR, period=DAY, slice=5 * MINUTE,
    )


async def test_hanging_source_is_cut_at_its_timeout_and_fast_sources_answer() -> None:
    with (
        FakePrometheus(answer("1.25"), delay=0.05) as fast_a,
        FakePrometheus(answer("0.75"), delay=0.05) as fast_b,
        FakePrometheus(answer("9"), hang=True) as hanging,
    ):
        sources = {"a": make(fast_a.url), "b": make(fast_b.url), "slow": make(hanging.url)}
        health: dict[str, SourceHealth] = {}
        try:
            began = time.monotonic()
            data, errors = await fetch_all(
                sources,
                {"a": [spec("sa", "a")], "b": [spec("sb", "b")], "slow": [spec("ss", "slow")]},
                NOW,
                timeouts={"a": 10, "b": 10, "slow": TIMEOUT},
                health=health,
            )
            elapsed = time.monotonic() - began
        finally:
            for s in sources.values():
                await s.aclose()
        assert hanging.requests, "the hanging server was asked"
    assert elapsed < TIMEOUT + MARGIN
    assert errors == {"slow": f"timed out after {TIMEOUT:g}s"}
    assert data["sa"].value == 1.25 and len(data["sa"].slices) == 24 * 12
    assert data["sb"].value == 0.75 and data["sb"].error is None
    assert data["ss"].error == errors["slow"]
    assert health["a"].ok and health["b"].ok and not health["slow"].ok
    # The fast sources' own latencies are those of their servers, not of the hang.
    assert health["a"].latency is not None and health["a"].latency < TIMEOUT
    assert health["b"].latency is not None and health["b"].latency < TIMEOUT


async def test_progress_tells_what_came_while_a_source_is_still_out() -> None:
    """fetch_all's progress (what a screen shows while a source is slow): nothing while every
    source answers within ``progress_after``; with one hanging, one call with the fast sources'
    answers and the hanging one named as out, its health marked as fetching since ``now``; the
    final answer is the same as without progress."""
    calls: list[tuple[dict, dict, frozenset]] = []
    with (
        FakePrometheus(answer("1.25"), delay=0.05) as fast_a,
        FakePrometheus(answer("0.75"), delay=0.05) as fast_b,
        FakePrometheus(answer("9"), hang=True) as hanging,
    ):
        sources = {"a": make(fast_a.url), "b": make(fast_b.url), "slow": make(hanging.url)}
        health: dict[str, SourceHealth] = {}
        fetching: list[float | None] = []

        def progress(data, errors, out):
            calls.append((data, errors, out))
            fetching.append(health["slow"].fetching_since)

        specs = {"a": [spec("sa", "a")], "b": [spec("sb", "b")], "slow": [spec("ss", "slow")]}
        try:
            quick = await fetch_all(sources, {"a": specs["a"]}, NOW, timeouts={"a": 10}, health=health,
                                    progress=progress, progress_after=5.0)
            assert calls == [] and quick[0]["sa"].value == 1.25
            data, errors = await fetch_all(sources, specs, NOW, timeouts={"a": 10, "b": 10, "slow": TIMEOUT},
                                           health=health, progress=progress, progress_after=TIMEOUT / 5)
        finally:
            for s in sources.values():
                await s.aclose()
    assert len(calls) == 1
    so_far, failed, out = calls[0]
    assert out == frozenset({"slow"}) and failed == {}
    assert so_far["sa"].value == 1.25 and so_far["sb"].value == 0.75 and "ss" not in so_far
    assert fetching == [NOW] and health["slow"].fetching_since is None
    assert errors == {"slow": f"timed out after {TIMEOUT:g}s"} and data["sb"].value == 0.75
