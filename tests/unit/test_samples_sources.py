"""Sources report what a sample-based SLI's interval needs (SPEC 10.2): n, stddev, the window sample.

File and demo sources answer ``n`` for every aggregate, the sample standard
deviation for means, and the sorted window sample for percentiles (bounded:
above ``SAMPLE_LIMIT`` values the order-statistic interval is selected from
the slices' sorted runs instead). Checked against hand-worked numbers and
against a direct computation over the same values.
"""

from __future__ import annotations

import json
import math
import statistics
from datetime import datetime, timezone
from pathlib import Path

import pytest

from slotui.config.model import DemoSourceConfig, FileSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.intervals import quantile_ranks
from slotui.core.types import SLOSpec, Status
from slotui.sources.kit.aggregate import SAMPLE_LIMIT, ValueSeries, parse_agg, quantile_sorted, spread_of_runs
from slotui.sources.demo import DemoSource
from slotui.sources.file import FileSource

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()
HOUR = 3600.0


def _spec(name: str, **kw) -> SLOSpec:
    base = dict(name=name, kind="threshold", target=0.85, warning=0.8, critical=0.75, direction="higher_is_better",
                source="logs", window=HOUR, period=7 * 86400.0, slice=300.0, significant=True)
    base.update(kw)
    return SLOSpec(**base)


def _record(t: float, **fields) -> str:
    stamp = datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return json.dumps({"time": stamp, **fields})


def _file(tmp_path: Path, scores: list[float]) -> FileSource:
    path = tmp_path / "judge.jsonl"
    lines = [_record(NOON - 3000 + 60 * i, evaluations={"helpfulness": s}) for i, s in enumerate(scores)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path)


def test_value_series_mean_spread_by_hand():
    series = ValueSeries(300.0)
    for i, v in enumerate([1.0, 2.0, 3.0, 4.0]):
        series.add(NOON - 900 + 200 * i, v)  # spans whole and cut slices
    spread = series.window_spread(parse_agg("mean"), NOON - HOUR, NOON)
    # mean 2.5; squares 2.25 + 0.25 + 0.25 + 2.25 = 5; s = sqrt(5 / 3)
    assert spread.n == 4 and spread.stddev == pytest.approx(math.sqrt(5 / 3), abs=1e-15)
    assert spread.sample == () and spread.interval is None
    cut = series.window_spread(parse_agg("mean"), NOON - 700, NOON)  # the first value falls out
    assert cut.n == 3 and cut.stddev == pytest.approx(1.0)


def test_value_series_percentile_sample_and_its_bound():
    agg = parse_agg("p95")
    series = ValueSeries(300.0)
    values = [float((7 * i) % 101) for i in range(SAMPLE_LIMIT)]
    for i, v in enumerate(values):
        series.add(NOON - HOUR + 3 * i, v)
    small = series.window_spread(agg, NOON - HOUR, NOON)
    assert small.n == SAMPLE_LIMIT and small.sample == tuple(sorted(values))
    series.add(NOON - 1, 50.0)  # one more than the bound: no sample, the interval is selected instead
    big = series.window_spread(agg, NOON - HOUR, NOON)
    assert big.n == SAMPLE_LIMIT + 1 and big.sample == ()
    ordered = sorted(values + [50.0])
    r, s = quantile_ranks(len(ordered), 0.95, 0.95)
    assert big.interval == (ordered[r - 1], ordered[s - 1])


def test_other_aggregates_report_n_only():
    spread = spread_of_runs(parse_agg("max"), [[1.0, 5.0], [2.0]])
    assert (spread.n, spread.stddev, spread.sample, spread.interval) == (3, None, (), None)
    assert spread_of_runs(parse_agg("mean"), [[3.0]]).stddev is None  # n < 2: no spread


async def test_file_source_twelve_judge_scores_are_not_significant(tmp_path):
    scores = [0.9, 0.65, 0.8, 0.95, 0.7, 0.85, 0.6, 0.9, 0.75, 0.8, 0.7, 0.76]
    src = _file(tmp_path, scores)
    spec = _spec("helpfulness", sli_field="evaluations.helpfulness", sli_agg="mean")
    data = (await src.fetch([spec], NOON))[spec.name]
    assert data.n == 12
    assert data.stddev == pytest.approx(statistics.stdev(scores), abs=1e-12)
    result = evaluate_slo(spec, data, NOON)
    assert result.value == pytest.approx(statistics.fmean(scores))  # 0.78: past warning 0.8
    assert result.status is Status.AT_RISK
    lo, hi = result.interval
    assert lo < 0.8 < hi
    assert any(n.startswith("not significant (n=12, 95% CI ") for n in result.notes)


async def test_file_source_percentile_sample_matches_the_value(tmp_path):
    scores = [0.1 * i for i in range(30)]
    src = _file(tmp_path, scores)
    spec = _spec("p90", sli_field="evaluations.helpfulness", sli_agg="p90", target=2.0, warning=2.5, critical=None,
                 direction="lower_is_better")
    data = (await src.fetch([spec], NOON))[spec.name]
    assert data.n == 30 and data.sample == tuple(sorted(scores))
    assert quantile_sorted(data.sample, 0.9) == pytest.approx(data.value)


async def test_demo_source_reports_samples_for_means_and_percentiles():
    src = DemoSource("demo", DemoSourceConfig(type="demo", seed=7, rate=2.0))
    now = NOON
    specs = [
        _spec("help", source="demo", sli_field="evaluations.helpfulness", sli_agg="mean", window=300.0),
        _spec("p95", source="demo", sli_field="duration_ms", sli_agg="p95", window=300.0, target=2000.0,
              warning=3000.0, critical=5000.0, direction="lower_is_better"),
    ]
    out = await src.fetch(specs, now)
    help_, p95 = out["help"], out["p95"]
    assert help_.n and help_.n >= 2 and help_.stddev is not None and help_.stddev > 0
    assert p95.n and len(p95.sample) == p95.n and list(p95.sample) == sorted(p95.sample)
    assert quantile_sorted(p95.sample, 0.95) == pytest.approx(p95.value)
    for spec in specs:
        r = evaluate_slo(spec, out[spec.name], now)
        assert r.n == out[spec.name].n and r.interval is not None
        assert r.interval[0] <= r.value <= r.interval[1]


def test_mean_spread_from_cached_slice_moments_matches_a_direct_stdev_after_changes():
    """Per-slice (n, mean, M2) merged across slices equals statistics.stdev over the window's values,
    and appending or retracting a value invalidates the slice's cache."""
    import random

    rng = random.Random(3)
    series = ValueSeries(300.0)
    points = [(NOON - HOUR + rng.uniform(0, HOUR), rng.gauss(0.8, 0.1)) for _ in range(2000)]
    for t, v in points:
        series.add(t, v)
    agg = parse_agg("mean")

    def direct(start: float, end: float) -> float:
        return statistics.stdev([v for t, v in points if start <= t < end])

    for start in (NOON - HOUR, NOON - 1234.5):  # whole slices, then a cut one
        spread = series.window_spread(agg, start, NOON)
        assert spread.stddev == pytest.approx(direct(start, NOON), rel=1e-12)
    t, v = points.pop(7)
    assert series.remove(t, v)
    points.append((NOON - 10, 5.0))
    series.add(NOON - 10, 5.0)
    assert series.window_spread(agg, NOON - HOUR, NOON).stddev == pytest.approx(direct(NOON - HOUR, NOON), rel=1e-12)
