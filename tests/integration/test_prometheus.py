"""The Prometheus source against a real Prometheus with 8 days of backfilled LLM traffic.

Expected numbers are computed from the generated counters, not from PromQL:
samples sit on the minute grid and every evaluation time is on it too, so an
``increase()`` window ``[t - w, t]`` has a sample exactly at each end, Prometheus
does not extrapolate, and the counter increase is exact (integers compare with
``==``). The p95 comes from our own linear interpolation within buckets, the
way ``histogram_quantile`` does it (compared to 1e-9 relative).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from slotui.config.model import PrometheusSourceConfig
from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec
from slotui.sources.kit.base import SourceError, SourceHealth
from slotui.sources.prometheus import PrometheusSource
from slotui.sources.kit.runtime import fetch_all

try:
    from tests.integration.prometheus_server import (
        START,
        PrometheusServer,
        Traffic,
        free_port,
        generate_traffic,
        histogram_quantile,
        require_binary,
        start_backfilled,
    )
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from prometheus_server import (  # type: ignore[no-redef]
        START,
        PrometheusServer,
        Traffic,
        free_port,
        generate_traffic,
        histogram_quantile,
        require_binary,
        start_backfilled,
    )

pytestmark = pytest.mark.integration

#: Day 7, 14:30 UTC: ten minutes after incident B (14:00-14:20, 60% errors).
NOW = START + 7 * DAY + 14 * HOUR + 30 * MINUTE
P95 = "histogram_quantile(0.95, sum by (le) (increase(llm_request_duration_seconds_bucket[{{window}}])))"
GOOD = 'sum(increase(llm_requests_total{status="ok"}[{{window}}]))'
TOTAL = "sum(increase(llm_requests_total[{{window}}]))"


@pytest.fixture(scope="module")
def prom() -> tuple[PrometheusServer, Traffic]:
    require_binary("prometheus")
    require_binary("promtool")
    server, traffic, tmp = start_backfilled(days=8)
    try:
        yield server, traffic
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def source(url: str, **extra: object) -> PrometheusSource:
    cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 30, **extra})
    return PrometheusSource("prom", cfg, base_dir=Path("."))


def p95_spec(**kw: object) -> SLOSpec:
    base = dict(
        name="p95_latency_s", kind="threshold", target=2.0, direction="lower_is_better", source="prom",
        query=P95, window=HOUR, period=7 * DAY, slice=5 * MINUTE,
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def availability_spec(**kw: object) -> SLOSpec:
    base = dict(
        name="availability", kind="ratio", target=0.995, direction="higher_is_better", source="prom",
        good=GOOD, total=TOTAL, window=HOUR, period=7 * DAY, slice=5 * MINUTE,
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def expected_p95(traffic: Traffic, start: float, end: float) -> float | None:
    return histogram_quantile(0.95, traffic.bucket_increases(start, end))


async def test_p95_latency_value_and_seven_day_slices_match_the_generated_data(prom) -> None:
    server, traffic = prom
    src = source(server.url)
    try:
        data = (await src.fetch([p95_spec()], NOW))["p95_latency_s"]
    finally:
        await src.aclose()
    assert data.error is None
    assert data.value == pytest.approx(expected_p95(traffic, NOW - HOUR, NOW), rel=1e-9)
    # 7 days of 5-minute slices, each the p95 of its own slice, starting at now - 7d.
    assert len(data.slices) == 7 * 24 * 12
    assert data.slices[0][0] == NOW - 7 * DAY
    assert data.slices[-1][0] == NOW - 5 * MINUTE
    for start, value in data.slices:
        assert value == pytest.approx(expected_p95(traffic, start, start + 300), rel=1e-9), start
    # The incident A hour (day 6, 10:00-11:00, latencies x4) is visible in the slices.
    inc_start, inc_end = traffic.incidents[0]
    during = [v for s, v in data.slices if inc_start <= s < inc_end]
    before = [v for s, v in data.slices if inc_start - HOUR <= s < inc_start]
    assert min(during) > max(before)


async def test_error_ratio_windows_are_exact_for_every_burn_rate_window(prom) -> None:
    server, traffic = prom
    spec = availability_spec()
    src = source(server.url)
    try:
        data = (await src.fetch([spec], NOW))["availability"]
    finally:
        await src.aclose()
    assert data.error is None
    # SLO window, tier windows (5m, 30m, 1h, 6h, 3d) and the period.
    assert sorted(data.windows) == [5 * MINUTE, 30 * MINUTE, HOUR, 6 * HOUR, 3 * DAY, 7 * DAY]
    for window, (good, total) in data.windows.items():
        assert (good, total) == traffic.good_total(NOW - window, NOW), window
    budget = 1 - spec.target

    def burn(good: float, total: float) -> float:
        return (1 - good / total) / budget

    for window in (HOUR, 6 * HOUR, 3 * DAY):
        got = burn(*data.windows[window])
        want = burn(*traffic.good_total(NOW - window, NOW))
        assert got == pytest.approx(want, rel=1e-12)
    # Incident B (20 min at 60% errors) burns the 1h window far past the 14.4 page factor;
    # the quiet 5 minutes after it do not.
    assert burn(*data.windows[HOUR]) > 14.4
    assert burn(*data.windows[5 * MINUTE]) < 14.4


async def test_seven_day_ratio_backfill_buckets_are_exact(prom) -> None:
    server, traffic = prom
    src = source(server.url)
    try:
        data = (await src.fetch([availability_spec()], NOW))["availability"]
    finally:
        await src.aclose()
    assert len(data.buckets) == 7 * 24 * 12
    for start, good, total in data.buckets:
        assert (good, total) == traffic.good_total(start, start + 300), start
    # Summed buckets equal the 7-day window answered directly.
    assert sum(b[1] for b in data.buckets) == data.windows[7 * DAY][0]
    assert sum(b[2] for b in data.buckets) == data.windows[7 * DAY][1]


async def test_later_fetches_ask_only_for_new_slices(prom) -> None:
    server, traffic = prom
    p95, avail = p95_spec(), availability_spec()
    src = source(server.url)
    try:
        await src.fetch([p95, avail], NOW)
        first = src.requests_made
        later = NOW + 10 * MINUTE
        got = await src.fetch([p95, avail], later)
        delta = src.requests_made - first
    finally:
        await src.aclose()
    # Threshold: 1 instant + 1 range; ratio: 6 windows x 2 instants + 2 ranges (no re-backfill);
    # plus the one query of rules: auto looking for recorded series (again after 5 minutes).
    assert delta == 2 + 6 * 2 + 2 + 1
    p = got["p95_latency_s"]
    assert p.slices[0][0] == later - 7 * DAY and p.slices[-1][0] == later - 5 * MINUTE
    assert len(p.slices) == 7 * 24 * 12
    for start, value in p.slices[-4:]:
        assert value == pytest.approx(expected_p95(traffic, start, start + 300), rel=1e-9)
    a = got["availability"]
    assert a.buckets[0][0] == later - 7 * DAY
    assert [(g, t) for _, g, t in a.buckets[-3:]] == [traffic.good_total(s, s + 300) for s, _, _ in a.buckets[-3:]]
    assert a.windows[HOUR] == traffic.good_total(later - HOUR, later)


async def test_bad_promql_is_an_error_of_that_slo_only(prom) -> None:
    server, traffic = prom
    broken = p95_spec(name="broken", query="sum(rate(llm_requests_total[{{window}}]")
    by_model = p95_spec(name="per_series", query="increase(llm_requests_total[{{window}}])")
    src = source(server.url)
    try:
        got = await src.fetch([broken, by_model, p95_spec()], NOW)
    finally:
        await src.aclose()
    assert got["broken"].error is not None and "bad_data" in got["broken"].error
    assert got["per_series"].error == "query returned 2 series; aggregate with sum()"
    assert got["p95_latency_s"].error is None
    assert got["p95_latency_s"].value == pytest.approx(expected_p95(traffic, NOW - HOUR, NOW), rel=1e-9)


async def test_runtime_fetches_real_and_dead_sources_side_by_side(prom) -> None:
    server, traffic = prom
    live, dead = source(server.url), source(f"http://127.0.0.1:{free_port()}")
    health: dict[str, SourceHealth] = {}
    try:
        data, errors = await fetch_all(
            {"live": live, "dead": dead},
            {"live": [availability_spec()], "dead": [p95_spec(name="elsewhere")]},
            NOW,
            timeouts={"live": 30, "dead": 5},
            health=health,
        )
    finally:
        await live.aclose()
        await dead.aclose()
    assert data["availability"].windows[HOUR] == traffic.good_total(NOW - HOUR, NOW)
    assert "cannot connect" in errors["dead"]
    assert data["elsewhere"].error == errors["dead"]
    assert health["live"].last_success == NOW and health["live"].ok
    assert health["dead"].last_error == errors["dead"] and not health["dead"].ok


async def test_path_prefix_is_kept_for_prometheus_behind_a_proxy_path(prom) -> None:
    server, traffic = prom
    tmp = Path(tempfile.mkdtemp(prefix="slotui-prom-prefix-"))
    prefixed = PrometheusServer(None, tmp, prefix="/prometheus", data_from=server.data_dir).start()
    got = []
    try:
        # a query in the URL (a proxy's token, VictoriaMetrics' extra_label) rides along on every
        # request; the API path stays under the prefix (it was joined into the query by text)
        for url in (prefixed.url, prefixed.url + "/", prefixed.url + "?tenant=team-a"):
            src = source(url)
            try:
                got.append((await src.fetch([availability_spec(period=DAY)], NOW))["availability"])
            finally:
                await src.aclose()
    finally:
        prefixed.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    assert prefixed.url.endswith("/prometheus")
    for data in got:
        assert data.error is None
        assert data.windows[6 * HOUR] == traffic.good_total(NOW - 6 * HOUR, NOW)
        assert data.slices == got[0].slices


# bcrypt (cost 4) of "open-sesame", for Prometheus' web config.
_HASH = "$2b$04$jekOH4ahwD2XGWwUwrLkF.ZDh0Yoj9xPZJ/ZJMOBnbcLCLLa.of4W"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "server.crt", tmp / "server.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


async def test_tls_and_basic_auth_against_a_guarded_prometheus(prom) -> None:
    server, traffic = prom
    require_binary("openssl", "openssl")
    tmp = Path(tempfile.mkdtemp(prefix="slotui-prom-tls-"))
    cert, key = _self_signed(tmp)
    web = (
        f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
        f"basic_auth_users:\n  alice: '{_HASH}'\n"
    )
    guarded = PrometheusServer(None, tmp, data_from=server.data_dir, web_config=web).start()
    spec = availability_spec(period=DAY)
    good_auth = {"username": "alice", "password": "open-sesame"}
    try:
        assert guarded.url.startswith("https://")
        ok = source(guarded.url, basic_auth=good_auth, tls={"ca_file": str(cert)})
        wrong = source(guarded.url, basic_auth={"username": "alice", "password": "wrong-pass"}, tls={"ca_file": str(cert)})
        untrusted = source(guarded.url, basic_auth=good_auth)
        skip = source(guarded.url, basic_auth=good_auth, tls={"insecure_skip_verify": True})
        try:
            data = (await ok.fetch([spec], NOW))["availability"]
            assert data.error is None
            assert data.windows[HOUR] == traffic.good_total(NOW - HOUR, NOW)
            with pytest.raises(SourceError) as denied:
                await wrong.fetch([spec], NOW)
            assert "unauthorized (check the API key)" in str(denied.value)
            assert "wrong-pass" not in str(denied.value)
            with pytest.raises(SourceError) as unverified:
                await untrusted.fetch([spec], NOW)
            assert "certificate" in str(unverified.value).lower()
            assert (await skip.fetch([spec], NOW))["availability"].windows[HOUR] == data.windows[HOUR]
        finally:
            for s in (ok, wrong, untrusted, skip):
                await s.aclose()
    finally:
        guarded.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_generated_traffic_has_its_incidents() -> None:
    """Guards the fixture itself: the incidents the tests rely on are in the data."""
    traffic = generate_traffic(days=8)
    a0, a1 = traffic.incidents[0]
    good, total = traffic.good_total(a0, a1)
    assert 0.15 < 1 - good / total < 0.35
    quiet_good, quiet_total = traffic.good_total(a0 - 6 * HOUR, a0)
    assert 1 - quiet_good / quiet_total < 0.02
    assert histogram_quantile(0.95, [0, 0, 5, 10, 10, 10, 10, 10]) == pytest.approx(1.0 + 1.0 * (9.5 - 5) / 5)


async def test_an_answer_with_warnings_is_noted_as_partial(prom) -> None:
    """A remote_read endpoint that fails: Prometheus still answers ``success``, from its own data
    only, with the failure in ``warnings``; the SLOs say their answer may be partial."""
    server, traffic = prom
    tmp = Path(tempfile.mkdtemp(prefix="slotui-prom-remote-"))
    remote = f"remote_read:\n  - url: http://127.0.0.1:{free_port()}/api/v1/read\n    read_recent: true\n"
    warned = PrometheusServer(None, tmp, data_from=server.data_dir, config_extra=remote).start()
    src = source(warned.url)
    try:
        got = await src.fetch([p95_spec(period=DAY), availability_spec(period=DAY)], NOW)
    finally:
        await src.aclose()
        warned.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for name in ("p95_latency_s", "availability"):
        note = got[name].note or ""
        assert got[name].error is None
        assert note.startswith("Prometheus warned: remote_read: ") and "(the answer may be partial)" in note, note
    # what the local storage holds is still shown
    assert got["availability"].windows[HOUR] == traffic.good_total(NOW - HOUR, NOW)
    assert got["p95_latency_s"].value == pytest.approx(expected_p95(traffic, NOW - HOUR, NOW), rel=1e-9)


async def test_a_nan_good_is_no_data_on_every_window_and_bucket_of_a_real_prometheus(prom) -> None:
    # ``* NaN`` stands for a good expression that evaluates to NaN (a 0/0 inside it). Read as 0
    # good events it gave a 0% ratio on every window (a page); SPEC 3: NaN is no data.
    server, traffic = prom
    nan_good = availability_spec(name="nan_good", good=GOOD + " * NaN")
    src = source(server.url, rules="raw")
    try:
        got = await src.fetch([nan_good, availability_spec()], NOW)
    finally:
        await src.aclose()
    data = got["nan_good"]
    assert data.error is None
    assert set(data.windows.values()) == {(0.0, 0.0)} and len(data.windows) == 6
    assert len(data.buckets) == 7 * 24 * 12 and {(g, t) for _, g, t in data.buckets} == {(0.0, 0.0)}
    assert got["availability"].windows[HOUR] == traffic.good_total(NOW - HOUR, NOW)


async def test_a_string_result_of_a_real_prometheus_is_an_error_on_its_slo(prom) -> None:
    server, traffic = prom
    text = p95_spec(name="text", query='"fast"')
    src = source(server.url)
    try:
        got = await src.fetch([text, p95_spec()], NOW)
    finally:
        await src.aclose()
    assert got["text"].error is not None and "string" in got["text"].error
    assert got["text"].value is None and got["text"].slices == ()
    assert got["p95_latency_s"].error is None
