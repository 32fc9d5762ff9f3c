"""Families of the sample-aware SLI cases (SPEC 10.2), generated: every spelling of a run's count and
spread, every layout (flat ``/``, flat ``.``, nested), every option in both places of an SLO file, and
every aggregate of the local sources. Each member failed before sample support existed."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from scipy import stats

from slotui.config.model import FileSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import SLOSpec, Status
from slotui.results import check
from slotui.sources.file import FileSource

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()
QUALITY = {"helpfulness": {"target": 0.85, "warning": 0.80, "critical": 0.70, "significant": True}}
COUNTS = ("n", "count", "num_samples", "sample_count", "N", "Count")
SPREADS = (("stddev", 0.11), ("std", 0.11), ("std_dev", 0.11), ("standard_deviation", 0.11),
           ("variance", 0.0121), ("var", 0.0121))


def _layout(layout: str, fields: dict[str, float]) -> dict:
    if layout == "nested":
        return {"summary": {"helpfulness": fields}}
    sep = "/" if layout == "slash" else "."
    return {"metrics": {f"helpfulness{sep}{k}": v for k, v in fields.items()}}


@pytest.mark.parametrize(("count", "spread", "layout"),
                         list(itertools.product(COUNTS, SPREADS, ("slash", "dot", "nested"))))
def test_every_count_and_spread_spelling_in_every_layout(count, spread, layout):
    name, raw = spread
    report = check(_layout(layout, {"mean": 0.78, count: 12, name: raw}), QUALITY, NOW)
    r = report.results[0]
    expected = stats.t.interval(0.95, 11, loc=0.78, scale=0.11 / math.sqrt(12))
    assert r.n == 12 and r.interval == pytest.approx(expected, abs=1e-9)
    assert r.status is Status.AT_RISK and r.significant is False


@pytest.mark.parametrize(("where", "key", "bad"), [
    (where, key, bad)
    for where in ("defaults", "objective")
    for key, bad in (("confidence", "0"), ("confidence", "1"), ("confidence", "-0.5"), ("confidence", "1.2"),
                     ("confidence", ".nan"), ("min_samples", "0"), ("min_samples", "-1"), ("min_samples", "1.5"),
                     ("significant", "sometimes"), ("significant", "2"))
])
def test_every_bad_option_in_both_places_is_located_and_exits_3(tmp_path, where, key, bad):
    defaults = f"defaults: {{{key}: {bad}}}\n" if where == "defaults" else ""
    extra = f", {key}: {bad}" if where == "objective" else ""
    path = tmp_path / "slos.yaml"
    path.write_text(f"sources:\n  demo: {{type: demo}}\n{defaults}slos:\n  - name: h\n"
                    f"    sli: {{field: evaluations.helpfulness, agg: mean}}\n"
                    f"    objective: {{target: 0.85, warning: 0.8{extra}}}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "slotui", "validate", "-c", str(path)], capture_output=True,
                          text=True, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3 and "Traceback" not in out
    line = 3 if where == "defaults" else 6
    dotted = f"defaults.{key}" if where == "defaults" else f"slos[0].objective.{key}"
    assert f"{path}:{line}:" in out and dotted in out and "expected" in out


def _records(values: list[float]) -> str:
    lines = []
    for i, v in enumerate(values):
        stamp = datetime.fromtimestamp(NOW - 3000 + 90 * i, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(json.dumps({"time": stamp, "duration_ms": v}))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("agg", ["mean", "avg", "median", "p50", "p90", "p95", "p99", "p99.9"])
@pytest.mark.parametrize("n", [1, 2, 5, 30])
async def test_every_aggregate_reports_n_and_an_interval_holding_the_value(tmp_path, agg, n):
    values = [100.0 + (37 * i) % 50 for i in range(n)]
    path = tmp_path / "log.jsonl"
    path.write_text(_records(values), encoding="utf-8")
    src = FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path)
    spec = SLOSpec(name="lat", kind="threshold", target=1000.0, direction="lower_is_better", source="logs",
                   window=3600.0, period=7 * 86400.0, slice=300.0, sli_field="duration_ms", sli_agg=agg,
                   significant=True)
    data = (await src.fetch([spec], NOW))["lat"]
    r = evaluate_slo(spec, data, NOW)
    assert r.n == n
    if agg in ("mean", "avg") and n < 2:
        assert r.interval is None
    else:
        lo, hi = r.interval
        assert lo <= r.value <= hi
        if agg not in ("mean", "avg"):  # order statistics: never beyond the sample
            assert min(values) <= lo and hi <= max(values)
    assert r.status is Status.OK


@pytest.mark.parametrize("values", [
    [1e308, 1e308, 0.01],
    [-1e308, -1.7e308, 0.01, 0.02],
    [1e308, -1e308, 1e308],
    [1.7976931348623157e308] * 5,
    [1e200, 1e-200, 3.0],
])
@pytest.mark.parametrize("layout", ["one_slice", "many_slices", "runs"])
def test_values_near_the_float_limit_never_break_the_spread(values, layout):
    """Found by the full suite: fsum of two 1e308 costs overflows; the spread is then absent, never an error."""
    from slotui.sources.kit.aggregate import ValueSeries, parse_agg, spread_of_runs

    agg = parse_agg("mean")
    if layout == "runs":
        spread = spread_of_runs(agg, [values])
    else:
        series = ValueSeries(300.0)
        step = 400.0 if layout == "many_slices" else 1.0
        for i, v in enumerate(values):
            series.add(NOW - 3000 + step * i, v)
        spread = series.window_spread(agg, NOW - 3600, NOW)
    assert spread.n == len(values)
    assert spread.stddev is None or (math.isfinite(spread.stddev) and spread.stddev >= 0)
