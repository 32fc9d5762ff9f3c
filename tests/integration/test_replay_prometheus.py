"""Replay through a real Prometheus with the scripted incidents backfilled as counters.

The series carry the same records as the log of tests/unit/test_replay_episodes.py:
at each minute k (T0 + 60 k) the counters hold the records of minutes < k, so
``increase(x[10m])`` at minute M (samples exactly at both window ends, no
extrapolation) counts minutes M-10 .. M-1, as the file source's window does. The
episodes are therefore the ones worked out by hand there. The replay makes one
range query per series, whatever the number of steps.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from pathlib import Path

import pytest

try:
    from tests.integration.prometheus_server import PrometheusServer, require_binary
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from prometheus_server import PrometheusServer, require_binary  # type: ignore[no-redef]

from slotui.config.loader import load_config
from slotui.replay.run import replay_config
from slotui.replay.simulate import Episode

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location(
    "replay_incidents_prom", Path(__file__).resolve().parents[1] / "unit" / "test_replay_episodes.py"
)
incidents = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(incidents)  # type: ignore[union-attr]
T0, MIN, at = incidents.T0, incidents.MIN, incidents.at


def _openmetrics(path: Path) -> None:
    lines = ["# TYPE replay_requests counter", "# TYPE replay_failed counter", "# TYPE replay_ms counter"]
    total = failed = ms = 0.0
    for k in range(1441):
        t = int(T0 + k * MIN)
        lines += [f"replay_requests_total {total!r} {t}", f"replay_failed_total {failed!r} {t}",
                  f"replay_ms_total {ms!r} {t}"]
        if k < 1440:
            total += 1
            failed += incidents.failed(k)
            ms += incidents.duration_ms(k)
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory):
    require_binary("prometheus")
    require_binary("promtool")
    tmp = tmp_path_factory.mktemp("replay-prom")
    om = tmp / "incidents.om"
    _openmetrics(om)
    server = PrometheusServer([om], tmp).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp / "data", ignore_errors=True)


def _config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        f"""version: 1
defaults: {{window: 10m, period: 30d, interval: 5m}}
sources:
  prom: {{type: prometheus, url: "{url}"}}
slos:
  - name: errors
    source: prom
    query: "sum(increase(replay_failed_total[{{{{window}}}}])) / sum(increase(replay_requests_total[{{{{window}}}}]))"
    objective: {{target: 0.01, warning: 0.2, critical: 0.5}}
  - name: latency
    source: prom
    query: "sum(increase(replay_ms_total[{{{{window}}}}])) / sum(increase(replay_requests_total[{{{{window}}}}]))"
    objective: {{target: 200, warning: 300, critical: 400}}
    unit: ms
"""
    )
    return cfg


def test_replay_prometheus_scripted_incidents(prom: PrometheusServer, tmp_path: Path) -> None:
    loaded = load_config(_config(tmp_path, prom.url))
    replay = asyncio.run(replay_config(loaded, T0, T0 + 1440 * MIN, 5 * MIN))
    got = {slo.name: slo.episodes for slo in replay.slos}
    assert got["errors"] == [
        Episode("warning", at(125), at(140)),
        Episode("critical", at(130), at(135)),
        Episode("warning", at(605), at(615)),
    ]
    assert got["latency"] == [
        Episode("warning", at(1010), at(1210)),
        Episode("critical", at(1060), at(1205)),
    ]


def test_replay_prometheus_one_range_query_per_series(prom: PrometheusServer, tmp_path: Path) -> None:
    """Two instant expressions + two slice series = 4 range queries, for 13 steps or 289; no instant query."""
    from slotui.replay import history
    from slotui.replay.prometheus import ReplayPrometheus

    loaded = load_config(_config(tmp_path, prom.url))
    counts: list[tuple[int, int]] = []
    original = ReplayPrometheus._api
    calls: list[str] = []

    async def counting(self, path, params):  # type: ignore[no-untyped-def]
        calls.append(path)
        return await original(self, path, params)

    ReplayPrometheus._api = counting  # type: ignore[method-assign]
    try:
        for every in (120 * MIN, 5 * MIN):
            calls.clear()
            asyncio.run(replay_config(loaded, T0, T0 + 1440 * MIN, every))
            counts.append((calls.count("api/v1/query_range"), calls.count("api/v1/query")))
    finally:
        ReplayPrometheus._api = original  # type: ignore[method-assign]
    assert history.REPLAYABLE >= {"prometheus"}
    assert counts == [(4, 0), (4, 0)]
