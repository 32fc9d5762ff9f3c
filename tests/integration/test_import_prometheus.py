"""Imported Sloth, Pyrra and OpenSLO SLOs give the hand-computed numbers against a real Prometheus.

Two days of per-minute samples are backfilled with promtool:

- ``http_requests_total{job="api",code="200"|"500"}``: 100 requests a minute;
  the last hour has 2 errors a minute (98 ok), none before. Counters are on
  the minute grid, so ``increase`` over a window with both ends on the grid is
  exact (Prometheus 2.x closed ranges, no extrapolation).
- ``probe_success{target="a"|"b"}``: 1 every minute, except target a is 0 for
  the ten minutes 2850..2859 (inside the last hour).

Evaluated at the last sample (minute 2880):

- window 5m: 10 errors / 500; 30m: 60 / 3000; 1h: 120 / 6000; 6h: 120 / 36000.
- bool gauge over 1h: 61 samples per target; good = 51 + 61 = 112 of 122.
- ``sum(probe_success)`` now = 2.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

from slotui.commands.import_ import import_files, render
from slotui.config.loader import load_text
from slotui.config.model import PrometheusSourceConfig
from slotui.core.evaluate import evaluate_slo
from slotui.core.types import HOUR, MINUTE, Status
from slotui.sources.prometheus import PrometheusSource

try:
    from tests.integration.prometheus_server import START, PrometheusServer, require_binary
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from prometheus_server import START, PrometheusServer, require_binary  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

MINUTES = 2 * 24 * 60
NOW = START + MINUTES * 60
ERRORS_FROM = MINUTES - 60


def _errors(m: int) -> int:
    return 2 * max(0, m - ERRORS_FROM)


def _openmetrics(path: Path) -> None:
    lines = ["# TYPE http_requests counter"]
    for m in range(MINUTES + 1):
        t = START + m * 60
        lines.append(f'http_requests_total{{code="200",job="api"}} {100 * m - _errors(m)} {t}')
        lines.append(f'http_requests_total{{code="500",job="api"}} {_errors(m)} {t}')
    lines.append("# TYPE probe_success gauge")
    for m in range(MINUTES + 1):
        t = START + m * 60
        lines.append(f'probe_success{{target="a"}} {0 if 2850 <= m <= 2859 else 1} {t}')
        lines.append(f'probe_success{{target="b"}} 1 {t}')
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def prom_url() -> str:
    require_binary("prometheus")
    require_binary("promtool")
    tmp = Path(tempfile.mkdtemp(prefix="slotui-import-"))
    om = tmp / "series.om"
    _openmetrics(om)
    server = PrometheusServer([om], tmp).start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


SLOTH = """\
version: prometheus/v1
service: api
labels: {team: core}
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="api"}[{{.window}}]))
"""

PYRRA = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-errors, labels: {team: core}}
spec:
  target: "99"
  window: 28d
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{job="api",code=~"5.."}'}
      total: {metric: 'http_requests_total{job="api"}'}
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: probes}
spec:
  target: "95"
  window: 7d
  indicator:
    bool_gauge: {metric: probe_success, grouping: [target]}
"""

OPENSLO = """\
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec:
  type: Prometheus
  connectionDetails: [{url: "${PROMETHEUS_URL}"}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: api-ok}
spec:
  budgetingMethod: Occurrences
  timeWindow: {duration: 7d, isRolling: true}
  indicator:
    metadata: {name: ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(http_requests_total{job="api",code="200"})'}}}
        total: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(http_requests_total{job="api"})'}}}
  objectives: [{targetPercent: 99.5}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: probes-strict}
spec:
  budgetingMethod: Occurrences
  indicator:
    metadata: {name: up}
    spec:
      thresholdMetric: {metricSource: {metricSourceRef: prom, spec: {query: sum(probe_success)}}}
  objectives:
    - {displayName: gt, op: gt, value: 2, target: 0.9}
    - {displayName: gte, op: gte, value: 2, target: 0.9}
"""


def _imported(tmp_path: Path, url: str):
    files = []
    for name, text in (("sloth.yaml", SLOTH), ("pyrra.yaml", PYRRA), ("openslo.yaml", OPENSLO)):
        f = tmp_path / name
        f.write_text(text)
        files.append(str(f))
    report = import_files(files)
    assert report.skipped == []
    return load_text(render(report.config, report.notes, files), env={"PROMETHEUS_URL": url})


def _fetch(url: str, specs):
    async def go():
        out = {}
        for spec in specs:
            cfg = PrometheusSourceConfig.model_validate({"type": "prometheus", "url": url, "timeout": 30})
            src = PrometheusSource(spec.source, cfg, base_dir=Path("."))
            try:
                out.update(await src.fetch([spec], NOW))
            finally:
                await src.aclose()
        return out

    return asyncio.run(go())


def test_imported_slos_give_the_hand_computed_numbers(prom_url: str, tmp_path: Path) -> None:
    lc = _imported(tmp_path, prom_url)
    names = sorted(s.name for s in lc.specs)
    assert names == ["api-availability", "api-errors", "api-ok", "probes", "probes-strict-gt", "probes-strict-gte"]
    data = _fetch(prom_url, lc.specs)
    for name in names:
        assert data[name].error is None, (name, data[name].error)

    # Pyrra ratio and OpenSLO counter: sum(increase(x[w])) is exact on the minute grid.
    for name in ("api-errors", "api-ok"):
        w = data[name].windows
        assert w[5 * MINUTE] == (490.0, 500.0)
        assert w[30 * MINUTE] == (2940.0, 3000.0)
        assert w[HOUR] == (5880.0, 6000.0)
        assert w[6 * HOUR] == (35880.0, 36000.0)

    # Sloth: good = total rate - error rate (per second), total = total rate.
    w = data["api-availability"].windows
    good, total = w[HOUR]
    assert total == pytest.approx(6000 / 3600, rel=1e-12)
    assert good == pytest.approx(5880 / 3600, rel=1e-12)
    sloth = lc.spec("api-availability")
    result = evaluate_slo(sloth, data["api-availability"], NOW)
    rates = {(b.long_window, b.short_window): b for b in result.burn_rates}
    # error ratio 0.02 over a budget of 0.001: burn 20 > 14.4 in 1h and 5m -> the page tier fires
    assert rates[(HOUR, 5 * MINUTE)].long_rate == pytest.approx(20.0, rel=1e-9)
    assert rates[(HOUR, 5 * MINUTE)].firing
    # 6h: 120/36000 / 0.001 = 3.33 < 6: the slow page tier does not fire
    assert rates[(6 * HOUR, 30 * MINUTE)].long_rate == pytest.approx(10 / 3, rel=1e-9)
    assert not rates[(6 * HOUR, 30 * MINUTE)].firing
    assert result.status is Status.CRITICAL
    assert dict(sloth.labels) == {"team": "core", "service": "api"}

    # Pyrra bool gauge over 1h: 61 samples per target, 10 of target a are 0.
    assert data["probes"].windows[HOUR] == (112.0, 122.0)

    # strict gt: sum(probe_success) = 2 now does not meet "> 2"; gte meets it.
    gt = evaluate_slo(lc.spec("probes-strict-gt"), data["probes-strict-gt"], NOW)
    gte = evaluate_slo(lc.spec("probes-strict-gte"), data["probes-strict-gte"], NOW)
    assert gt.value == gte.value == 2.0
    assert gt.status is Status.AT_RISK
    assert gte.status is Status.OK
