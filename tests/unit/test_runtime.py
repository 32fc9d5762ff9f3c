"""fetch_all: concurrency, timeouts, health and error isolation, with in-memory sources.

The sources here wait on asyncio events, not on the clock, so these tests are
exact about ordering; the clock passed to fetch_all is a fake for latencies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import pytest

from slotui.core.types import SLIData, SLOSpec
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.kit.runtime import FETCH_DEADLINE, fetch_all, fetch_one

NOW = 1_780_000_000.0


def spec(name: str, source: str) -> SLOSpec:
    return SLOSpec(name=name, kind="threshold", target=1.0, direction="lower_is_better", source=source)


class Gate:
    """A source that answers once ``open`` is set, recording how many fetch at once."""

    running = 0
    peak = 0

    def __init__(self, name: str, value: float = 1.0, *, gate: asyncio.Event | None = None) -> None:
        self.name = name
        self.value = value
        self.gate = gate
        self.started = asyncio.Event()
        self.calls = 0
        self.deadline_seen: float | None = None

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        self.calls += 1
        self.deadline_seen = FETCH_DEADLINE.get()
        Gate.running += 1
        Gate.peak = max(Gate.peak, Gate.running)
        self.started.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
            return {s.name: SLIData(value=self.value) for s in slos}
        finally:
            Gate.running -= 1

    async def aclose(self) -> None:
        pass


class Failing:
    def __init__(self, exc: BaseException) -> None:
        self.name = "failing"
        self.exc = exc

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        raise self.exc

    async def aclose(self) -> None:
        pass


@pytest.fixture(autouse=True)
def reset_counters() -> None:
    Gate.running = Gate.peak = 0


async def test_sources_run_concurrently_and_all_answer() -> None:
    release = asyncio.Event()
    a, b, c = Gate("a", 1.0, gate=release), Gate("b", 2.0, gate=release), Gate("c", 3.0, gate=release)

    async def open_when_all_started() -> None:
        await asyncio.gather(a.started.wait(), b.started.wait(), c.started.wait())
        release.set()

    opener = asyncio.create_task(open_when_all_started())
    health: dict[str, SourceHealth] = {}
    data, errors = await fetch_all(
        {"a": a, "b": b, "c": c},
        {"a": [spec("sa", "a")], "b": [spec("sb", "b")], "c": [spec("sc", "c"), spec("sc2", "c")]},
        NOW,
        {"a": 5, "b": 5, "c": 5},
        health,
    )
    await opener
    # Every source was in fetch at the same time (else the gate would never open).
    assert Gate.peak == 3
    assert errors == {}
    assert {k: v.value for k, v in data.items()} == {"sa": 1.0, "sb": 2.0, "sc": 3.0, "sc2": 3.0}
    assert all(v.fetched_at == NOW for v in data.values())
    assert set(health) == {"a", "b", "c"} and all(h.last_success == NOW and h.ok for h in health.values())


async def test_a_hanging_source_times_out_and_the_others_answer() -> None:
    never = asyncio.Event()
    fast, hanging = Gate("fast", 7.0), Gate("hang", gate=never)
    health: dict[str, SourceHealth] = {"hang": SourceHealth(last_success=NOW - 60)}
    data, errors = await fetch_all(
        {"fast": fast, "hang": hanging},
        {"fast": [spec("f", "fast")], "hang": [spec("h", "hang")]},
        NOW,
        {"fast": 5, "hang": 0.05},
        health,
    )
    assert data["f"].value == 7.0 and data["f"].error is None
    assert errors == {"hang": "timed out after 0.05s"}
    assert data["h"] == SLIData(error="timed out after 0.05s")
    h = health["hang"]
    assert h.last_error == "timed out after 0.05s" and h.last_error_at == NOW
    assert h.last_success == NOW - 60 and h.consecutive_failures == 1 and not h.ok
    assert Gate.running == 0  # the hanging fetch was cancelled, not left running


async def test_errors_are_messages_never_exceptions() -> None:
    health: dict[str, SourceHealth] = {}
    data, errors = await fetch_all(
        {"down": Failing(SourceError("cannot connect to http://x:9090: refused")), "bug": Failing(KeyError("le"))},
        {"down": [spec("d", "down")], "bug": [spec("b", "bug")]},
        NOW,
        {},
        health,
    )
    assert errors["down"] == "cannot connect to http://x:9090: refused"
    assert errors["bug"] == "KeyError: 'le'"
    assert data["d"].error == errors["down"] and data["b"].error == errors["bug"]


async def test_health_latency_comes_from_the_given_clock_and_recovers() -> None:
    ticks = iter([100.0, 100.25, 200.0, 200.5])
    health: dict[str, SourceHealth] = {}
    await fetch_all({"x": Failing(SourceError("boom"))}, {"x": [spec("s", "x")]}, NOW, {}, health, clock=lambda: next(ticks))
    assert health["x"].latency == 0.25 and health["x"].consecutive_failures == 1
    data, errors = await fetch_all({"x": Gate("x")}, {"x": [spec("s", "x")]}, NOW + 30, {}, health, clock=lambda: next(ticks))
    assert errors == {} and data["s"].value == 1.0
    assert health["x"].latency == 0.5
    assert health["x"].last_success == NOW + 30 and health["x"].consecutive_failures == 0 and health["x"].ok


async def test_slo_without_answer_or_without_source_gets_an_error() -> None:
    class Partial(Gate):
        async def fetch(self, slos, now):  # type: ignore[override]
            return {"kept": SLIData(value=2.0)}

    data, errors = await fetch_all(
        {"p": Partial("p")},
        {"p": [spec("kept", "p"), spec("lost", "p")], "ghost": [spec("g", "ghost")]},
        NOW,
        {},
        {},
    )
    assert data["kept"].value == 2.0
    assert "no answer" in (data["lost"].error or "")
    assert errors == {"ghost": "source 'ghost' is not configured"}
    assert data["g"].error == errors["ghost"]


async def test_concurrency_caps_sources_fetching_at_once() -> None:
    sources = {f"s{i}": Gate(f"s{i}") for i in range(6)}
    data, errors = await fetch_all(
        sources, {n: [spec(f"slo{n}", n)] for n in sources}, NOW, {}, {}, concurrency=2
    )
    assert errors == {} and len(data) == 6
    assert Gate.peak <= 2


async def test_one_source_never_runs_two_fetches_at_once() -> None:
    release = asyncio.Event()
    src = Gate("one", gate=release)
    first = asyncio.create_task(fetch_one("one", src, [spec("a", "one")], NOW, 5, SourceHealth()))
    await src.started.wait()
    second = asyncio.create_task(fetch_one("one", src, [spec("a", "one")], NOW + 1, 5, SourceHealth()))
    for _ in range(5):
        await asyncio.sleep(0)  # let the second task reach the lock
    assert src.calls == 1
    release.set()
    (d1, e1), (d2, e2) = await asyncio.gather(first, second)
    assert src.calls == 2 and Gate.peak == 1
    assert e1 is None and e2 is None and d2["a"].fetched_at == NOW + 1


async def test_the_fetch_deadline_is_visible_to_the_source_and_reset_after() -> None:
    src = Gate("d")
    await fetch_one("d", src, [spec("a", "d")], NOW, 3.0, SourceHealth())
    assert src.deadline_seen is not None
    assert 2.0 < src.deadline_seen - time.monotonic() <= 3.0
    assert FETCH_DEADLINE.get() is None


async def test_a_source_error_in_data_is_passed_through() -> None:
    class PerSLOError(Gate):
        async def fetch(self, slos, now):  # type: ignore[override]
            return {"a": SLIData(error="query returned 2 series; aggregate with sum()"), "b": SLIData(value=1.0)}

    health: dict[str, SourceHealth] = {}
    data, errors = await fetch_all({"p": PerSLOError("p")}, {"p": [spec("a", "p"), spec("b", "p")]}, NOW, {}, health)
    assert errors == {}
    assert data["a"].error == "query returned 2 series; aggregate with sum()" and data["a"].fetched_at is None
    assert data["b"].fetched_at == NOW
    assert health["p"].ok


async def test_last_good_data_is_kept_with_the_error() -> None:
    last_good: dict[str, SLIData] = {}
    ok = Gate("x", 4.0)
    data, _ = await fetch_all({"x": ok}, {"x": [spec("s", "x")]}, NOW, {}, {}, last_good=last_good)
    assert last_good["s"] == SLIData(value=4.0, fetched_at=NOW)
    data, errors = await fetch_all(
        {"x": Failing(SourceError("boom"))}, {"x": [spec("s", "x")]}, NOW + 60, {}, {}, last_good=last_good
    )
    assert errors == {"x": "boom"}
    assert data["s"] == SLIData(value=4.0, fetched_at=NOW, error="boom")
    assert last_good["s"].error is None
