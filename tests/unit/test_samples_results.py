"""``slotui check --results``: per-metric ``n`` and ``stddev`` from the run (SPEC 10.2).

MLflow writes flat ``name/mean``, ``name/variance``; Weave nested summaries
``{"name": {"mean", "n", "stddev"}}``. With them a value gets the t interval
at the SLO's confidence and the significance rule; the exit code follows.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from scipy import stats

from slotui.core.exit_code import exit_code
from slotui.core.types import Status
from slotui.results import ResultsError, check, metric_samples

NOW = 1_780_315_200.0
HELP = {"helpfulness": {"target": 0.85, "warning": 0.80, "critical": 0.70, "significant": True}}


def _one(results, quality=HELP):
    report = check(results, quality, NOW)
    assert len(report.results) == 1
    return report.results[0]


def test_mlflow_flat_n_and_stddev():
    r = _one({"helpfulness/mean": 0.78, "helpfulness/n": 12, "helpfulness/stddev": 0.11})
    assert r.n == 12
    assert r.interval == pytest.approx(stats.t.interval(0.95, 11, loc=0.78, scale=0.11 / math.sqrt(12)), abs=1e-9)
    assert r.status is Status.AT_RISK
    assert "not significant (n=12, 95% CI 0.7101-0.8499)" in r.notes


def test_mlflow_variance_is_squared_stddev():
    r = _one({"helpfulness/mean": 0.78, "helpfulness/count": 12, "helpfulness/variance": 0.0121})
    assert r.interval == pytest.approx(stats.t.interval(0.95, 11, loc=0.78, scale=0.11 / math.sqrt(12)), abs=1e-9)


def test_weave_nested_summary():
    r = _one({"summary": {"helpfulness": {"mean": 0.60, "n": 50, "std": 0.05}}})
    # hi = 0.60 + 2.009575 * 0.05 / sqrt(50) = 0.6142 < critical 0.70: the whole interval is CRITICAL
    assert r.status is Status.CRITICAL and r.significant is True
    assert exit_code(check({"summary": {"helpfulness": {"mean": 0.60, "n": 50, "std": 0.05}}}, HELP, NOW)) == 2


def test_exit_code_follows_the_significance_rule():
    report = check({"helpfulness/mean": 0.78, "helpfulness/n": 12, "helpfulness/stddev": 0.11}, HELP, NOW)
    assert exit_code(report) == 0  # AT RISK does not fail the run
    plain = {"helpfulness": dict(HELP["helpfulness"], significant=False)}
    assert exit_code(check({"helpfulness/mean": 0.78, "helpfulness/n": 12, "helpfulness/stddev": 0.11},
                           plain, NOW)) == 1


def test_min_samples_from_quality_slos():
    quality = {"helpfulness": dict(HELP["helpfulness"], min_samples=20)}
    r = _one({"helpfulness/mean": 0.5, "helpfulness/n": 12, "helpfulness/stddev": 0.01}, quality)
    assert r.status is Status.NO_DATA and r.low_samples
    assert "low samples (n=12 < min_samples 20): no alerts" in r.notes


def test_runs_without_counts_keep_the_point_verdict():
    r = _one({"helpfulness/mean": 0.78})
    assert r.status is Status.WARNING and r.n is None and r.interval is None


@pytest.mark.parametrize(("key", "raw", "what"), [
    ("helpfulness/n", -1, "whole number of samples >= 0"),
    ("helpfulness/n", 12.5, "whole number of samples >= 0"),
    ("helpfulness/n", "many", "whole number of samples >= 0"),
    ("helpfulness/stddev", -0.1, "standard deviation >= 0"),
    ("helpfulness/stddev", "NaN", "standard deviation >= 0"),
    ("helpfulness/variance", -0.01, "variance >= 0"),
])
def test_bad_counts_and_spreads_are_named_and_ignored(key, raw, what):
    flat = {"helpfulness/mean": 0.78, key: raw}
    n, sd, notes = metric_samples(flat, "helpfulness/mean")
    assert n is None and sd is None
    assert notes == [f"results key {key!r}: expected a {what}, got {raw!r}; ignored"]
    r = _one(flat)
    assert notes[0] in r.notes and r.value == 0.78


@pytest.mark.parametrize(("entry", "message"), [
    ({"target": 0.85, "warning": 0.8, "confidence": 1.0}, "confidence must be a number between 0 and 1"),
    # below 1, yet 1 - (1 - c) / 2 rounds to 1: no quantile (was a StatisticsError traceback)
    ({"target": 0.85, "warning": 0.8, "confidence": 0.9999999999999999, "significant": True}, "rounds to 1"),
    ({"target": 0.85, "warning": 0.8, "min_samples": 0}, "min_samples must be a whole number >= 1"),
    ({"target": 0.85, "warning": 0.8, "significant": "yes"}, "significant must be true or false"),
])
def test_bad_quality_options_raise_a_clear_error(entry, message):
    with pytest.raises(ResultsError, match=message):
        check({"helpfulness/mean": 0.9}, {"helpfulness": entry}, NOW)


def test_cli_results_json_carries_n_interval_confidence_significant(tmp_path):
    results = tmp_path / "run.json"
    results.write_text(json.dumps({"metrics": {"helpfulness/mean": 0.78, "helpfulness/n": 12,
                                               "helpfulness/stddev": 0.11}}), encoding="utf-8")
    slos = tmp_path / "slos.yaml"
    slos.write_text("defaults: {significant: true}\nquality_slos:\n"
                    "  helpfulness: {target: 0.85, warning: 0.8, critical: 0.7}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "slotui", "check", "--results", str(results), "-c", str(slos),
                           "--state", str(tmp_path / "s.db"), "-o", "json"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    slo = json.loads(proc.stdout)["slos"][0]
    assert slo["status"] == "AT RISK" and slo["n"] == 12 and slo["confidence"] == 0.95
    assert slo["significant"] is False
    assert slo["interval"] == pytest.approx([0.710109, 0.849891], abs=1e-6)
    assert slo["display"]["value_cell"] == "~0.78"
    assert slo["display"]["spread"] == "0.78 ± 0.06989, n=12"
    assert "not significant (n=12, 95% CI 0.7101-0.8499)" in slo["notes"]
