"""``rules: recorded|auto|raw`` of the Prometheus source against a loopback server with Prometheus' answer shapes.

The live test (test_export_live.py) proves the recorded path gives the raw
path's numbers on a real Prometheus; these cover what a real server cannot
easily be made to do: which queries are sent, partial recordings, a failing
detection, a server that does not know ``group by``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slotui.config.model import PrometheusSourceConfig
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec
from slotui.sources.prometheus import PrometheusSource
from tests.integration.prometheus_server import FakePrometheus, Request, matrix, vector

pytestmark = pytest.mark.integration

NOW = 1_780_315_200.0
GOOD = 'sum(increase(req_total{code="ok"}[{{window}}]))'
TOTAL = "sum(increase(req_total[{{window}}]))"
ALL = ("5m", "30m", "1h", "6h", "3d", "1w")  # default tiers + window 1h + period 7d (Sloth's "1w")
#: the 7-day period as slotui export named it before 2026-12
OLDER = ("5m", "30m", "1h", "6h", "3d", "7d")
RATIOS = {"5m": "0.02", "30m": "0.01", "1h": "0.005", "6h": "0.001", "3d": "0.0005", "1w": "0.0002", "7d": "0.0002"}


def spec(**kw: object) -> SLOSpec:
    base: dict[str, object] = dict(
        name="availability", kind="ratio", target=0.99, direction="higher_is_better", source="prom",
        good=GOOD, total=TOTAL, window=HOUR, period=7 * DAY, slice=5 * MINUTE, labels={"service": "api"},
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def source(url: str, rules: str) -> PrometheusSource:
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 10, "rules": rules})
    return PrometheusSource("prom", cfg, base_dir=Path("."))


def prometheus(recorded: tuple[str, ...] = ALL, *, detection: object = None, recorded_as: str = "availability"):
    """A route answering detection, recorded series (labelled ``sloth_slo=recorded_as``,
    ``sloth_service="api"``), and raw queries (good 990 / total 1000)."""

    def route(r: Request):
        q = r.params.get("query", "")
        if q.startswith("group by (__name__"):
            if detection is not None:
                return detection
            pattern = re.search(r'sloth_slo=~"((?:[^"\\]|\\.)*)"', q).group(1)  # type: ignore[union-attr]
            # the PromQL string's escapes undone, then matched as Prometheus does (anchored)
            listed = recorded if re.fullmatch(pattern.replace("\\\\", "\\"), recorded_as) else ()
            return 200, {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"__name__": f"slo:sli_error:ratio_rate{w}", "sloth_slo": recorded_as,
                            "sloth_service": "api"}, "value": [NOW, "1"]} for w in listed]}}
        if q.startswith("slo:sli_error:ratio_rate"):
            w = q[len("slo:sli_error:ratio_rate"):q.index("{")]
            if not q.endswith(f'{{sloth_slo="{recorded_as}", sloth_service="api"}}'):
                return 200, matrix([], series=0) if r.path.endswith("query_range") else vector()  # no such series
            if r.path.endswith("query_range"):
                start, end = float(r.params["start"]), float(r.params["end"])
                n = int((end - start) // 300) + 1
                return 200, matrix([(start + i * 300, "0.1") for i in range(n)])
            return 200, vector(RATIOS[w])
        if r.path.endswith("query_range"):
            start, end = float(r.params["start"]), float(r.params["end"])
            n = int((end - start) // 300) + 1
            value = "990" if "ok" in q else "1000"
            return 200, matrix([(start + i * 300, value) for i in range(n)])
        return 200, vector("990" if "ok" in q else "1000")

    return route


async def fetch(url: str, rules: str, *specs: SLOSpec):
    src = source(url, rules)
    try:
        return await src.fetch(list(specs) or [spec()], NOW), src.requests_made
    finally:
        await src.aclose()


async def test_recorded_reads_one_instant_per_window_and_one_range() -> None:
    with FakePrometheus(prometheus()) as fake:
        got, n = await fetch(fake.url, "recorded")
    data = got["availability"]
    assert data.error is None
    assert n == 1 + len(ALL) + 1  # detection, the windows, the 5m history
    assert data.windows[5 * MINUTE] == (0.98, 1.0) and data.windows[7 * DAY] == (0.9998, 1.0)
    assert len(data.buckets) == 7 * 24 * 12 and data.buckets[0][1:] == (0.9, 1.0)
    assert data.note == "recorded series: error ratios (event counts are shares)"
    queries = [r.params["query"] for r in fake.requests]
    assert not any("req_total" in q for q in queries)
    assert 'slo:sli_error:ratio_rate1w{sloth_slo="availability", sloth_service="api"}' in queries


async def test_recorded_reads_the_7d_series_an_older_export_wrote() -> None:
    """Sloth (and slotui export now) name a 7-day window ``1w``; rules exported before name it
    ``7d``: those are found and read as well, not reported missing."""
    with FakePrometheus(prometheus(recorded=OLDER)) as fake:
        got, n = await fetch(fake.url, "recorded")
    data = got["availability"]
    assert data.error is None and n == 1 + len(OLDER) + 1
    assert data.windows[7 * DAY] == (0.9998, 1.0)
    queries = [r.params["query"] for r in fake.requests]
    assert 'slo:sli_error:ratio_rate7d{sloth_slo="availability", sloth_service="api"}' in queries
    assert not any("ratio_rate1w" in q for q in queries)


@pytest.mark.parametrize("recorded_as", ["availability", "api-availability"], ids=["sloth", "older-export"])
async def test_an_imported_sloth_slo_reads_the_series_sloths_rules_record(recorded_as: str) -> None:
    """``slotui import`` names Sloth's SLO ``availability`` of service ``api`` ``api-availability``;
    Sloth's rules (and slotui's export) record it as ``sloth_slo="availability"``, slotui's export
    before 2026-12 as ``sloth_slo="api-availability"``: both are found and read."""
    imported = spec(name="api-availability")
    with FakePrometheus(prometheus(recorded_as=recorded_as)) as fake:
        got, n = await fetch(fake.url, "recorded", imported)
    data = got["api-availability"]
    assert data.error is None
    assert n == 1 + len(ALL) + 1
    assert data.windows[HOUR] == (0.995, 1.0) and len(data.buckets) == 7 * 24 * 12
    reads = [r.params["query"] for r in fake.requests if r.params["query"].startswith("slo:")]
    assert reads and all(q.endswith(f'{{sloth_slo="{recorded_as}", sloth_service="api"}}') for q in reads)


async def test_an_slo_whose_series_are_recorded_under_another_name_is_not_read() -> None:
    with FakePrometheus(prometheus(recorded_as="other")) as fake:
        got, _ = await fetch(fake.url, "recorded", spec(name="api-availability"))
    assert got["api-availability"].error is not None
    assert '{sloth_slo="availability", sloth_service="api"}' in got["api-availability"].error


async def test_raw_never_looks_for_recordings() -> None:
    with FakePrometheus(prometheus()) as fake:
        got, n = await fetch(fake.url, "raw")
    assert got["availability"].windows[HOUR] == (990.0, 1000.0)
    assert n == len(ALL) * 2 + 2
    assert not any(r.params["query"].startswith(("group", "slo:")) for r in fake.requests)


async def test_auto_uses_the_recordings_when_every_window_is_there() -> None:
    with FakePrometheus(prometheus()) as fake:
        got, _ = await fetch(fake.url, "auto")
    assert got["availability"].windows[HOUR] == (0.995, 1.0)


async def test_auto_falls_back_to_raw_when_a_window_is_missing() -> None:
    with FakePrometheus(prometheus(recorded=("5m", "30m", "1h", "6h", "3d"))) as fake:  # no 1w
        got, _ = await fetch(fake.url, "auto")
    assert got["availability"].windows[HOUR] == (990.0, 1000.0)
    assert got["availability"].note is None


async def test_recorded_names_the_missing_windows() -> None:
    with FakePrometheus(prometheus(recorded=("5m", "1h"))) as fake:
        got, _ = await fetch(fake.url, "recorded")
    error = got["availability"].error
    assert error is not None
    assert 'no recorded series slo:sli_error:ratio_rate{30m,6h,3d,1w}{sloth_slo="availability", sloth_service="api"}' in error


@pytest.mark.parametrize("answer", [
    (400, {"status": "error", "errorType": "bad_data", "error": "parse error: unknown aggregation group"}),
    (200, {"status": "error", "errorType": "execution", "error": "boom"}),
])
async def test_a_failing_detection_means_raw_in_auto_and_an_error_in_recorded(answer: tuple) -> None:
    with FakePrometheus(prometheus(detection=answer)) as fake:
        auto, _ = await fetch(fake.url, "auto")
        recorded, _ = await fetch(fake.url, "recorded")
    assert auto["availability"].error is None and auto["availability"].windows[HOUR] == (990.0, 1000.0)
    assert recorded["availability"].error is not None
    assert recorded["availability"].error.startswith("cannot list the recorded series:")


async def test_min_events_above_one_needs_counts() -> None:
    counted = spec(min_events=20)
    with FakePrometheus(prometheus()) as fake:
        auto, _ = await fetch(fake.url, "auto", counted)
        recorded, _ = await fetch(fake.url, "recorded", counted)
    assert auto["availability"].windows[HOUR] == (990.0, 1000.0)
    assert "min_events 20" in (recorded["availability"].error or "")


async def test_threshold_slos_keep_their_query_and_no_recorded_sample_is_no_data() -> None:
    p95 = SLOSpec(name="p95", kind="threshold", target=2.0, direction="lower_is_better", source="prom",
                  query="max(p95_s)", window=HOUR, period=DAY, slice=5 * MINUTE)

    def route(r: Request):
        q = r.params.get("query", "")
        recorded_5m = q == "slo:sli_error:ratio_rate5m" + '{sloth_slo="availability", sloth_service="api"}'
        if recorded_5m and not r.path.endswith("query_range"):
            return 200, vector()  # no traffic in the last 5m: no sample
        if q.startswith("max(p95_s)"):
            if r.path.endswith("query_range"):
                return 200, matrix([])
            return 200, vector("1.5")
        return prometheus()(r)

    with FakePrometheus(route) as fake:
        got, _ = await fetch(fake.url, "recorded", spec(), p95)
    assert got["p95"].value == 1.5 and got["p95"].error is None
    assert got["availability"].error is None
    assert got["availability"].windows[5 * MINUTE] == (0.0, 0.0)
    assert got["availability"].windows[HOUR] == (0.995, 1.0)


async def test_a_refused_detection_is_not_repeated_every_tick() -> None:
    refused = (400, {"status": "error", "errorType": "bad_data", "error": "unknown function group"})
    with FakePrometheus(prometheus(detection=refused)) as fake:
        src = source(fake.url, "auto")
        try:
            for minute in range(4):
                got = await src.fetch([spec()], NOW + minute * 60)
                assert got["availability"].windows[HOUR] == (990.0, 1000.0)
            await src.fetch([spec()], NOW + 301)  # five minutes later: asked again
        finally:
            await src.aclose()
    detections = [r for r in fake.requests if r.params.get("query", "").startswith("group by")]
    assert len(detections) == 2


async def test_an_slo_named_service_dash_other_does_not_read_the_others_series() -> None:
    """``availability`` and ``api-availability`` of service api: the export names them ``availability``
    and ``api-availability`` (stripping would give both the same labels), so the second SLO must not
    read the first one's recorded series: with only those recorded, it stays on raw queries (auto)."""
    mine, other = spec(), spec(name="api-availability")
    with FakePrometheus(prometheus(recorded_as="availability")) as fake:
        got, _ = await fetch(fake.url, "auto", mine, other)
    assert got["availability"].windows[HOUR] == (0.995, 1.0)  # its recorded ratio
    assert got["api-availability"].error is None
    assert got["api-availability"].windows[HOUR] == (990.0, 1000.0)  # raw: its own queries
    reads = [r.params["query"] for r in fake.requests if r.params["query"].startswith("slo:")]
    assert reads and all(q.endswith('{sloth_slo="availability", sloth_service="api"}') for q in reads)
    assert len(reads) == len(ALL) + 1  # the first SLO's windows and history only


async def test_significant_needs_counts_and_recorded_shares_give_no_sample_count() -> None:
    """The recorded series are error ratios: a (good, total) of (0.995, 1) gave n=1 and a Wilson
    interval over "one event" ([0.119, 0.986] beside n=2286 raw). Now no n, no interval; and an SLO
    with significant: true (which needs counts) reads the raw queries in auto and errs in recorded."""
    from slotui.core.evaluate import evaluate_slo

    with FakePrometheus(prometheus()) as fake:
        plain, _ = await fetch(fake.url, "recorded")
        sig_auto, _ = await fetch(fake.url, "auto", spec(significant=True))
        sig_rec, _ = await fetch(fake.url, "recorded", spec(significant=True))
    data = plain["availability"]
    assert data.shares and data.windows[HOUR] == (0.995, 1.0)
    result = evaluate_slo(spec(), data, NOW)
    assert result.value == 0.995 and result.n is None and result.interval is None and result.significant is None
    assert sig_auto["availability"].windows[HOUR] == (990.0, 1000.0) and not sig_auto["availability"].shares
    assert "significant: true" in (sig_rec["availability"].error or "")


async def test_a_recorded_slos_breakdown_settles_a_group_without_good_series_in_events() -> None:
    """good = total - errors, and model y never had an error series: its good was settled from the
    SLO's window pair, which recorded series give as shares (0.8 of 1): y read as 100% bad, 71% of
    the bad events, ranked first. The SLO's good is counted with the ungrouped template instead."""
    from slotui.core.evaluate import evaluate_slo

    good = 'sum by ({{by}}) (increase(req_total[{{window}}])) - sum by ({{by}}) (increase(err_total[{{window}}]))'
    total = "sum by ({{by}}) (increase(req_total[{{window}}]))"
    base = prometheus()

    def route(r: Request):
        q = r.params.get("query", "")
        if "by (model)" in q:  # the breakdown's grouped instant queries
            if "err_total" in q:  # good: only x has an error series (Prometheus' "-" matches nothing for y)
                return 200, {"status": "success", "data": {"resultType": "vector", "result": [
                    {"metric": {"model": "x"}, "value": [NOW, "200"]}]}}
            return 200, {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"model": m}, "value": [NOW, "340"]} for m in ("x", "y")]}}
        if "err_total" in q and "by ()" in q and r.path.endswith("/query"):  # the SLO's good, ungrouped
            return 200, vector("540")
        return base(r)

    slo = spec(good=good, total=total, breakdown=("model",))
    with FakePrometheus(route) as fake:
        got, _ = await fetch(fake.url, "recorded", slo)
    data = got["availability"]
    assert data.shares and data.error is None
    (b,) = evaluate_slo(slo, data, NOW).breakdowns
    groups = {g.labels["model"]: g for g in b.groups}
    assert (groups["y"].total, groups["y"].bad) == (340.0, 0.0)
    assert (groups["x"].total, groups["x"].bad, groups["x"].share_of_bad) == (340.0, 140.0, 1.0)
    assert b.groups[0].labels["model"] == "x"
