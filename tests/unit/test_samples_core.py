"""Sample-aware SLIs in the core (SPEC 10.2): n, the interval, ``significant`` and ``min_samples``.

Numbers are worked out by hand and checked against scipy (an independent
implementation). The significance rule table: point past a threshold with the
interval straddling it -> AT RISK with the exact note; the whole interval past
-> WARNING/CRITICAL; below min_samples -> low samples, never alerts.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slotui.core.evaluate import evaluate_slo
from slotui.core.intervals import (mean_interval, quantile_ends_open, quantile_interval, quantile_rank_bounds,
                                   wilson_interval)
from slotui.core.significance import is_significant, quantile_of
from slotui.core.types import HOUR, MINUTE, BurnTier, SLIData, SLOSpec, Status

NOW = 1_780_315_200.0

HELP = SLOSpec(name="helpfulness", kind="threshold", target=0.85, warning=0.8, critical=0.75,
               direction="higher_is_better", source="logs", sli_field="evaluations.helpfulness", sli_agg="mean",
               significant=True)
LATENCY = SLOSpec(name="p50_ms", kind="threshold", target=1000, warning=1500, critical=3000,
                  direction="lower_is_better", source="logs", unit="ms", sli_field="duration_ms", sli_agg="p50",
                  significant=True)


def _mean(value: float, n: int | None, sd: float | None, spec: SLOSpec = HELP):
    return evaluate_slo(spec, SLIData(value=value, n=n, stddev=sd, fetched_at=NOW), NOW)


# ------------------------------------------------------------------ hand-worked intervals


def test_t_interval_of_twelve_judge_scores_by_hand_and_scipy():
    # mean 0.78, s 0.11, n 12: t(0.975, 11) = 2.200985 (published t table: 2.201),
    # half = 2.200985 * 0.11 / sqrt(12) = 0.069891 -> [0.710109, 0.849891]
    r = _mean(0.78, 12, 0.11)
    lo, hi = r.interval
    assert lo == pytest.approx(0.78 - 2.200985 * 0.11 / math.sqrt(12), abs=1e-6)
    assert hi == pytest.approx(0.849891, abs=1e-6)
    sp = stats.t.interval(0.95, 11, loc=0.78, scale=0.11 / math.sqrt(12))
    assert (lo, hi) == pytest.approx(sp, abs=1e-9)
    assert r.n == 12


def test_wilson_interval_of_three_bad_in_ten_matches_the_published_value():
    # Wilson 95% for 7 good of 10: [0.3968, 0.8922] (Newcombe 1998, table I, 3/10 mirrored)
    lo, hi = wilson_interval(7, 10, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (0.3968, 0.8922)
    z = stats.norm.ppf(0.975)
    p, n = 0.7, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (lo, hi) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_order_statistic_interval_of_a_median_of_twenty_is_ranks_6_and_15():
    # published: for n = 20 the 95% interval of the median is (x_(6), x_(15)); coverage checked with scipy
    sample = tuple(float(v) for v in range(1, 21))
    assert quantile_interval(sample, 0.5, 0.95) == (6.0, 15.0)
    coverage = stats.binom.cdf(14, 20, 0.5) - stats.binom.cdf(5, 20, 0.5)
    assert coverage >= 0.95
    spec = replace(LATENCY, unit="", target=9.0, warning=12.0, critical=30.0)
    r = evaluate_slo(spec, SLIData(value=10.5, n=20, sample=sample, fetched_at=NOW), NOW)
    assert r.interval == (6.0, 15.0) and r.n == 20


# ------------------------------------------------------------------ the rule table


def test_point_past_warning_but_interval_straddling_is_at_risk_with_the_exact_note():
    r = _mean(0.78, 12, 0.11)
    assert r.status is Status.AT_RISK
    assert "not significant (n=12, 95% CI 0.7101-0.8499)" in r.notes
    assert r.significant is False


def test_whole_interval_past_critical_is_critical():
    # mean 0.60, s 0.05, n 50: half = 2.009575 * 0.05 / sqrt(50) = 0.01421 -> hi 0.6142 < 0.75
    r = _mean(0.60, 50, 0.05)
    assert r.status is Status.CRITICAL and r.significant is True
    assert not any(n.startswith("not significant") for n in r.notes)


def test_point_critical_interval_only_past_warning_is_warning():
    # mean 0.72, s 0.11, n 12 -> [0.6501, 0.7899]: past warning 0.8 entirely, not past critical 0.75
    r = _mean(0.72, 12, 0.11)
    assert r.status is Status.WARNING
    # the WARNING is real (the whole interval is past 0.8): significant, with its level's note; "not
    # significant" told a gate reading the key to ignore it
    assert r.significant is True
    assert "CRITICAL not significant (n=12, 95% CI 0.6501-0.7899): WARNING stands" in r.notes
    assert not any(n.startswith("not significant") for n in r.notes)


def test_without_significant_the_point_decides_and_the_value_is_marked():
    r = _mean(0.78, 12, 0.11, replace(HELP, significant=False))
    assert r.status is Status.WARNING
    assert r.significant is False and r.interval is not None
    assert not any(n.startswith("not significant") for n in r.notes)


def test_below_min_samples_is_low_samples_and_never_alerts():
    r = _mean(0.10, 3, 0.01, replace(HELP, min_samples=5))
    assert r.status is Status.NO_DATA and r.low_samples
    assert "low samples (n=3 < min_samples 5): no alerts" in r.notes
    assert r.value == 0.10  # shown, not dropped
    at_floor = _mean(0.10, 5, 0.01, replace(HELP, min_samples=5))
    assert at_floor.status is Status.CRITICAL and not at_floor.low_samples


def test_one_sample_has_no_interval_and_is_not_significant():
    r = _mean(0.50, 1, None)
    assert r.status is Status.AT_RISK and r.interval is None
    assert "not significant (n=1, no interval)" in r.notes


def test_a_source_without_a_count_keeps_the_point_status():
    r = _mean(0.78, None, None)
    assert r.status is Status.WARNING and r.n is None and r.interval is None and r.significant is None


def test_lower_is_better_percentile_uses_the_favourable_lower_end():
    # 20 latencies; p50 point 1,600 ms (past warning 1,500) but x_(6) = 1,100 is under it
    sample = tuple([1000.0, 1020, 1040, 1060, 1080, 1100] + [1500.0 + 20 * i for i in range(14)])
    r = evaluate_slo(LATENCY, SLIData(value=1600.0, n=20, sample=sample, fetched_at=NOW), NOW)
    assert r.interval == (1100.0, 1660.0)  # x_(6) and x_(15)
    assert r.status is Status.AT_RISK
    assert "not significant (n=20, 95% CI 1,100-1,660 ms)" in r.notes


P95 = replace(LATENCY, name="p95_ms", sli_agg="p95")


def test_one_latency_is_no_evidence_about_the_p95():
    """One sample made p95's interval [x, x] (both ranks clamped to the only sample) and the SLO
    CRITICAL "significant" on one request. Clamped ends are unbounded for the rule: AT RISK."""
    r = evaluate_slo(P95, SLIData(value=5000.0, n=1, sample=(5000.0,), fetched_at=NOW), NOW)
    assert r.interval == (5000.0, 5000.0)  # reported as the SPEC says: reaching the sample min/max
    assert r.status is Status.AT_RISK and r.significant is False
    assert "not significant (n=1, 95% CI 5,000-5,000 ms)" in r.notes


def test_two_latencies_have_a_lower_rank_and_no_upper_one():
    # n=2, q=0.95, X ~ Bin(2, 0.95): P(X <= 0) = 0.0025 <= 0.025 < P(X <= 1) = 0.0975, so r = 1;
    # P(X >= 2) = 0.9025 > 0.025: no upper rank (s = 3 = n + 1, clamped to x_(2))
    assert quantile_rank_bounds(2, 0.95) == (1, 3) and quantile_ends_open(2, 0.95) == (False, True)
    assert quantile_rank_bounds(1, 0.95) == (0, 2) and quantile_ends_open(1, 0.95) == (True, True)
    assert quantile_ends_open(0, 0.95) == (True, True)
    # lower is better: the favourable (lower) end x_(1) = 3,500 is a real bound past critical 3,000
    r = evaluate_slo(P95, SLIData(value=3980.0, n=2, sample=(3500.0, 4000.0), fetched_at=NOW), NOW)
    assert r.status is Status.CRITICAL and r.significant is True
    # higher is better: the favourable end is the upper one, clamped: not significant
    p95_help = replace(HELP, sli_agg="p95")
    r = evaluate_slo(p95_help, SLIData(value=0.598, n=2, sample=(0.5, 0.6), fetched_at=NOW), NOW)
    assert r.interval == (0.5, 0.6) and r.status is Status.AT_RISK and r.significant is False


def test_a_large_window_interval_from_the_source_is_judged_the_same_way():
    # p99.99 of 5,000 requests: P(X >= 5000) = 0.9999^5000 = 0.607 > 0.025, no upper rank; the
    # lower one exists (lower is better: CRITICAL stands), a higher-is-better SLO is AT RISK
    p9999 = replace(LATENCY, sli_agg="p99.99")
    assert quantile_ends_open(5000, 0.9999) == (False, True)
    r = evaluate_slo(p9999, SLIData(value=3900.0, n=5000, interval=(3800.0, 3950.0), fetched_at=NOW), NOW)
    assert r.status is Status.CRITICAL
    high = replace(HELP, sli_agg="p99.99")
    r = evaluate_slo(high, SLIData(value=0.5, n=5000, interval=(0.4, 0.6), fetched_at=NOW), NOW)
    assert r.status is Status.AT_RISK and r.significant is False


def test_confidence_changes_the_interval():
    wide = _mean(0.78, 12, 0.11, replace(HELP, confidence=0.99))
    lo, hi = wide.interval
    assert hi - lo == pytest.approx(2 * stats.t.ppf(0.995, 11) * 0.11 / math.sqrt(12), abs=1e-9)
    assert "not significant (n=12, 99% CI " in " ".join(wide.notes)


def test_quantile_names():
    assert (quantile_of("p95"), quantile_of("median"), quantile_of("mean")) == (0.95, 0.5, None)
    assert quantile_of("p99.9") == pytest.approx(0.999)


# ------------------------------------------------------------------ ratio SLOs: burn-rate windows with tiny counts

RATIO = SLOSpec(name="availability", kind="ratio", target=0.99, direction="higher_is_better", source="logs",
                window=HOUR, tiers=(BurnTier("critical", HOUR, 5 * MINUTE, factor=14.4),), significant=True)


def _ratio(good: float, total: float, spec: SLOSpec = RATIO):
    windows = {HOUR: (good, total), 5 * MINUTE: (good, total)}
    return evaluate_slo(spec, SLIData(windows=windows, buckets=((NOW - 60, good, total),), fetched_at=NOW), NOW)


def test_three_bad_of_ten_burns_30x_but_is_not_significant():
    # bad ratio 0.3 / B 0.01 = 30x > 14.4; Wilson lower end of 3/10 = 0.1078 -> 10.8x <= 14.4
    r = _ratio(7, 10)
    tier = r.burn_rates[0]
    assert tier.long_rate == pytest.approx(30.0) and not tier.firing and tier.not_significant
    assert r.status is Status.AT_RISK
    assert "not significant (n=10, 95% CI 39.68%-89.22%)" in r.notes
    assert r.n == 10 and r.interval == pytest.approx(wilson_interval(7, 10))


def test_thirty_bad_of_a_hundred_is_significant_and_pages():
    # Wilson lower end of 30/100 = 0.2189 -> 21.9x > 14.4
    lo = wilson_interval(30, 100)[0]
    assert lo / 0.01 > 14.4
    r = _ratio(70, 100)
    assert r.burn_rates[0].firing and r.status is Status.CRITICAL


def test_without_significant_tiny_windows_still_fire_and_min_events_keeps_working():
    assert _ratio(7, 10, replace(RATIO, significant=False)).status is Status.CRITICAL
    held = _ratio(70, 100, replace(RATIO, min_events=200))
    assert held.burn_rates[0].low_traffic and not held.burn_rates[0].firing


def test_ratio_below_min_samples_is_low_samples():
    r = _ratio(0, 10, replace(RATIO, min_samples=11, significant=False))
    assert r.status is Status.NO_DATA and r.low_samples
    assert "low samples (n=10 < min_samples 11): no alerts" in r.notes


# ------------------------------------------------------------------ properties


@settings(max_examples=200, deadline=None)
@given(mean=st.floats(-1e3, 1e3), sd=st.floats(0.001, 100), n=st.integers(2, 5000),
       conf=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_mean_interval_contains_the_mean_and_narrows_as_n_grows(mean, sd, n, conf):
    lo, hi = mean_interval(mean, sd, n, conf)
    assert lo <= mean <= hi
    lo2, hi2 = mean_interval(mean, sd, n + 1, conf)
    assert hi2 - lo2 < hi - lo


@settings(max_examples=200, deadline=None)
@given(total=st.integers(1, 10_000), share=st.floats(0, 1), k=st.integers(2, 10))
def test_wilson_interval_contains_the_ratio_and_narrows_as_n_grows(total, share, k):
    good = round(share * total)
    lo, hi = wilson_interval(good, total)
    assert lo <= good / total <= hi
    lo2, hi2 = wilson_interval(good * k, total * k)
    assert hi2 - lo2 < hi - lo


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(0, 1e4), min_size=1, max_size=300), q=st.sampled_from([0.5, 0.9, 0.95, 0.99]))
def test_the_reported_percentile_interval_contains_the_sample_quantile(values, q):
    """The order statistics bracket the population quantile; the reported interval also holds the estimate
    (found by this test: n=2, p99 of [0, 1] is 0.99 by interpolation while x_(2) = 1)."""
    from slotui.sources.kit.aggregate import quantile_sorted

    sample = tuple(sorted(values))
    value = quantile_sorted(sample, q)
    spec = replace(LATENCY, sli_agg=f"p{q * 100:g}")
    r = evaluate_slo(spec, SLIData(value=value, n=len(sample), sample=sample, fetched_at=NOW), NOW)
    lo, hi = r.interval
    assert lo <= value <= hi
    olo, ohi = quantile_interval(sample, q)
    assert (lo, hi) == (min(olo, value), max(ohi, value))


def test_order_statistic_interval_narrows_as_n_grows():
    widths = []
    for n in (20, 100, 1000, 10_000):
        sample = [i / n for i in range(n)]  # uniform on [0, 1)
        lo, hi = quantile_interval(sample, 0.5)
        widths.append(hi - lo)
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4


@settings(max_examples=100, deadline=None)
@given(value=st.floats(0, 1), half=st.floats(0, 0.5))
def test_a_significant_verdict_never_contradicts_the_point(value, half):
    interval = (value - half, value + half)
    verdict = is_significant(value, interval, replace(HELP, significant=False))
    r = evaluate_slo(HELP, SLIData(value=value, n=30, interval=interval, fetched_at=NOW), NOW)
    if verdict:
        point = evaluate_slo(replace(HELP, significant=False), SLIData(value=value, n=30, fetched_at=NOW), NOW)
        assert r.status is point.status
    assert r.status.rank <= evaluate_slo(replace(HELP, significant=False),
                                         SLIData(value=value, n=30, fetched_at=NOW), NOW).status.rank
