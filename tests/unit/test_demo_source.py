"""The demo source: determinism, the O(1) cell path equals its records, every status over a day."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from slotui.config.model import DemoSourceConfig, FileSourceConfig
from slotui.core.types import SLOSpec
from slotui.sources.kit.aggregate import parse_agg, quantile_sorted
from slotui.sources.demo import CELL, ERROR_TYPES, FAST_FIELDS, DemoSource, DemoTraffic
from slotui.sources.file import FileSource

MONDAY = datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp()  # epoch day 20605: schedule slot 4
HOUR = 3600.0


def spec(name: str, **kw) -> SLOSpec:
    base = dict(name=name, kind="threshold", target=2000.0, direction="lower_is_better", source="demo",
                window=HOUR, period=2 * HOUR, slice=CELL, tiers=())
    base.update(kw)
    return SLOSpec(**base)


def demo(seed: int = 7, rate: float = 2.0) -> DemoSource:
    return DemoSource("demo", DemoSourceConfig(type="demo", seed=seed, rate=rate))


SPECS = [
    spec("p95", sli_field="duration_ms", sli_agg="p95"),
    spec("help", sli_field="evaluations.helpfulness", sli_agg="mean", target=0.85, direction="higher_is_better"),
    spec("cost", sli_field="gen_ai.usage.cost", sli_agg="mean", target=0.05),
    spec("ok", kind="ratio", good="error.type == null", target=0.995, direction="higher_is_better"),
]


def test_same_seed_same_traffic_other_seed_other_traffic():
    now = MONDAY + 6.3 * HOUR + 17
    a, b, c = demo(7).fetch_sync(SPECS, now), demo(7).fetch_sync(SPECS, now), demo(8).fetch_sync(SPECS, now)
    assert a == b
    assert a["p95"].value != c["p95"].value
    # stateless: a source that answered other moments first answers this one the same
    warm = demo(7)
    warm.fetch_sync(SPECS, now + 5 * HOUR)
    warm.fetch_sync(SPECS, now - 3 * 86400)
    assert warm.fetch_sync(SPECS, now) == a


def test_records_follow_the_request_schema():
    traffic = DemoTraffic(seed=7, rate=2.0)
    index = int((MONDAY + 6.25 * HOUR) // CELL)  # inside the daily error burst
    records = traffic.records(index)
    n, errors = traffic.counts(index)
    assert len(records) == n > 0 and errors > 0
    for r in records:
        assert index * CELL <= r["time"] < (index + 1) * CELL
        assert r["duration_s"] == pytest.approx(r["duration_ms"] / 1000)
        assert r["error.type"] in (None, *ERROR_TYPES)
        names = {e["gen_ai.evaluation.name"] for e in r["evaluations"]}
        assert names == {"helpfulness", "accuracy"}
        assert 0.0 <= r["evaluations.helpfulness"] <= 1.0
        assert r["service.name"] == "support-bot" and r["gen_ai.usage.cost"] > 0
    assert sum(r["error.type"] is not None for r in records) == errors
    assert [r["time"] for r in records] == sorted(r["time"] for r in records)


@pytest.mark.parametrize("field", sorted(FAST_FIELDS))
def test_cell_aggregates_equal_the_materialised_records(field):
    traffic = DemoTraffic(seed=3, rate=1.5)
    for index in (int(MONDAY // CELL) + 7, int((MONDAY + 15.2 * HOUR) // CELL)):
        cell = traffic.cell(index)
        values = sorted(r[field] for r in traffic.records(index))
        assert len(values) == cell.n
        for agg_text in ("mean", "sum", "count", "min", "max", "p50", "p95", "p99.9"):
            agg = parse_agg(agg_text)
            expected = {
                "mean": math.fsum(values) / len(values), "sum": math.fsum(values), "count": float(len(values)),
                "min": values[0], "max": values[-1],
            }.get(agg.kind)
            if expected is None:
                expected = quantile_sorted(values, agg.q)
            assert traffic.cell_aggregate(cell, field, agg) == pytest.approx(expected, rel=1e-9), agg_text


def test_fast_path_equals_the_general_path():
    now = MONDAY + 3 * 86400 + 15.4 * HOUR + 123.25  # inside the slot-0 latency spike, off the cell grid
    fast = demo().fetch_sync(SPECS, now)
    general_specs = [replace(s, sli_where="true") if s.kind == "threshold" else replace(s, total="true") for s in SPECS]
    general = demo().fetch_sync(general_specs, now)
    for s in SPECS:
        a, b = fast[s.name], general[s.name]
        assert a.error is None and b.error is None
        assert a.value == pytest.approx(b.value, rel=1e-9), s.name
        if s.kind == "ratio":
            assert a.buckets == b.buckets
        else:
            assert [t for t, _ in a.slices] == [t for t, _ in b.slices]
            assert [v for _, v in a.slices] == pytest.approx([v for _, v in b.slices], rel=1e-9)
    assert fast["p95"].value > 5000  # the spike is on


def test_demo_records_read_by_the_file_source_give_the_same_slis(tmp_path):
    now = MONDAY + 6.5 * HOUR  # on the cell grid, after the error burst
    traffic = DemoTraffic(seed=7, rate=2.0)
    path = tmp_path / "demo.jsonl"
    with open(path, "w") as fh:
        for r in traffic.records_between(now - 2 * HOUR, now):
            row = {k: v for k, v in r.items() if not k.startswith("evaluations.")}
            row["time"] = datetime.fromtimestamp(r["time"], tz=timezone.utc).isoformat()
            fh.write(json.dumps(row) + "\n")
    from_file = FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path).fetch_sync(
        [replace(s, source="logs") for s in SPECS], now)
    from_demo = demo().fetch_sync(SPECS, now)
    for s in SPECS:
        assert from_file[s.name].value == pytest.approx(from_demo[s.name].value, rel=1e-6), s.name
    assert from_demo["ok"].value < 0.97  # the burst is in the window


def test_unknown_aggregation_is_an_slo_error():
    out = demo().fetch_sync([spec("bad", sli_field="duration_ms", sli_agg="p123")], MONDAY)
    assert "unknown aggregation" in out["bad"].error


def test_every_status_appears_over_a_day_with_the_example_slos():
    from slotui.config.loader import load_config
    from slotui.core.evaluate import evaluate_slo
    from slotui.core.forecast import window_span

    loaded = load_config(None)
    source = demo()
    statuses: Counter[str] = Counter()
    for day in (0, 3):  # two different days of the weekly schedule
        seen: set[str] = set()
        start = MONDAY + day * 86400
        for step in range(0, 24 * 6):
            now = start + step * 600
            data = source.fetch_sync(loaded.specs, now)
            results = [evaluate_slo(s, data[s.name], now) for s in loaded.specs]
            # at the first instant of a calendar window (June 1 00:00 for monthly_spend) nothing is
            # spent yet: an empty window is NO DATA (SPEC 3); every other moment has data
            fresh = [r for r in results if r.spec.calendar_window and window_span(r.spec, now)[0] == now]
            assert all(r.status.value == "NO DATA" for r in fresh)
            moment = {r.status.value for r in results if r not in fresh}
            assert len(moment) >= 2, f"a single status at {now}: {moment}"  # always a mix
            seen |= moment
            statuses.update(moment)
        assert {"OK", "AT RISK", "WARNING", "CRITICAL"} <= seen, (day, seen)
    assert "NO DATA" not in statuses


async def test_async_fetch_of_a_custom_sli_runs_off_the_loop():
    import asyncio

    source = demo(rate=0.2)
    custom = spec("mini_p95", sli_field="duration_ms", sli_agg="p95", sli_where="gen_ai.request.model == 'gpt-4o-mini'")
    now = MONDAY + 10 * HOUR
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    out = await source.fetch([custom, SPECS[0]], now)
    task.cancel()
    assert ticks > 1  # the loop kept running while the cells were materialised
    records = [r for r in DemoTraffic(7, 0.2).records_between(now - HOUR, now)
               if r["gen_ai.request.model"] == "gpt-4o-mini"]
    assert out["mini_p95"].value == pytest.approx(quantile_sorted(sorted(r["duration_ms"] for r in records), 0.95))


def test_inlined_shuffle_draws_the_library_shuffle() -> None:
    """The demo's permutations come from an inlined copy of Random.shuffle (a replay shuffles every
    cell of a month): the same order as the library's for any seed and length."""
    import random

    from slotui.sources import demo

    assert demo._shuffle is demo._shuffle_inline  # this Python's shuffle is the loop it copies
    for seed in range(50):
        for n in (0, 1, 2, 3, 63, 64, 65, 600, 1025):
            a, b = list(range(n)), list(range(n))
            random.Random(seed * 7919 + n).shuffle(a)
            demo._shuffle(random.Random(seed * 7919 + n), b)
            assert a == b, (seed, n)
