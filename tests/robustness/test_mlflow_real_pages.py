"""Family generator: the MLflow source reads every bucket whatever the page cap, data spread and clock.

The loopback MLflow server (tests/integration/saas_servers.py) answers ``traces/metrics`` as MLflow
3.17 does: at most ``max_results`` buckets, oldest first, no ``next_page_token``, ``end_time_ms``
inclusive. For any number of busy 5-minute buckets, any ``metrics_page`` and any ``now`` (on or off
the hour), each slice's count and max latency must be exactly those of the traces logged in it:
before the chunked queries, any series longer than the page lost its newest buckets, and a count
slice in the middle of the period held an hour's count.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotui.config.model import MLflowSourceConfig
from slotui.core.types import HOUR, MINUTE, SLOSpec
from slotui.sources.mlflow import MLflowSource

try:
    from tests.integration.saas_servers import MLflowAPI, MLTrace
except ImportError:  # pragma: no cover - run from another rootdir
    from saas_servers import MLflowAPI, MLTrace  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

SLICE = 5 * MINUTE
PERIOD = 8 * HOUR
BASE = 1_780_315_200.0  # 2026-06-01T12:00:00Z


def _spec(name: str, query: str) -> SLOSpec:
    return SLOSpec(name=name, kind="threshold", target=1.0, direction="lower_is_better", source="mlflow",
                   window=HOUR, period=PERIOD, slice=SLICE, interval=30.0, query=query,
                   params={"backfill_step": "5m"})


@pytest.fixture(scope="module")
def fake():
    with MLflowAPI([], []) as server:
        yield server


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    busy=st.sets(st.integers(0, int(PERIOD // SLICE) - 1), min_size=1, max_size=96),
    page=st.integers(4, 40),
    offset=st.integers(0, 11).map(lambda k: k * SLICE),  # now on the hour or k slices past it
    per_bucket=st.integers(1, 3),
)
def test_every_bucket_is_read_whatever_the_page(fake: MLflowAPI, busy: set[int], page: int, offset: float,
                                                per_bucket: int) -> None:
    now = BASE + offset
    first = now - PERIOD
    # traces at 10 s, 20 s, ... into each busy slice; latency encodes the slice and the trace
    fake.traces = [MLTrace(first + i * SLICE + 10 * (j + 1), float(1000 * i + j))
                   for i in sorted(busy) for j in range(per_bucket)]
    cfg = MLflowSourceConfig.model_validate({"type": "mlflow", "url": fake.url, "experiment": "support-bot-evals",
                                             "token": "mlflow-token", "timeout": 30})

    async def go():
        src = MLflowSource("mlflow", cfg, base_dir=Path("."), metrics_page=page)
        try:
            return await src.fetch([_spec("count", "traces:trace_count"), _spec("max", "traces:latency:max")], now)
        finally:
            await src.aclose()

    got = asyncio.run(go())
    assert got["count"].error is None and got["max"].error is None
    counts = dict(got["count"].slices)
    assert len(counts) == PERIOD // SLICE
    for i in range(int(PERIOD // SLICE)):
        assert counts[first + i * SLICE] == (per_bucket if i in busy else 0), i
    maxima = dict(got["max"].slices)
    assert maxima == {first + i * SLICE: float(1000 * i + per_bucket - 1) for i in busy}
    newest = max(busy)
    assert math.isclose(maxima[first + newest * SLICE], 1000 * newest + per_bucket - 1)
