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
- ``http_requests_total{job="quiet",code="200",handler="/a"|"/b"}``: 50
  requests a minute each and never an error: no ``code="500"`` series exists,
  so "total - errors" must still be all good (the imported queries say
  ``or (total) * 0``), per Pyrra group too.
- ``slow_requests_total{code="200"|"500"}``: 30 requests a minute (0.5/s), the
  last hour 3 of them errors (10%): under 1 request/s, where Sloth's ``rate``
  queries gave a window total below ``min_events: 1``.
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
    for handler in ("/a", "/b"):  # same metric family: OpenMetrics wants its samples together
        for m in range(MINUTES + 1):
            lines.append(f'http_requests_total{{code="200",handler="{handler}",job="quiet"}} {50 * m} {START + m * 60}')
    lines.append("# TYPE slow_requests counter")
    for m in range(MINUTES + 1):
        t = START + m * 60
        lines.append(f'slow_requests_total{{code="200"}} {30 * m - _errors(m) * 3 // 2} {t}')
        lines.append(f'slow_requests_total{{code="500"}} {_errors(m) * 3 // 2} {t}')
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

QUIET = """\
version: prometheus/v1
service: quiet
slos:
  - name: events
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="quiet",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="quiet"}[{{.window}}]))
  - name: raw
    objective: 99.9
    sli:
      raw:
        error_ratio_query: |
          sum(rate(http_requests_total{job="quiet",code=~"5.."}[{{.window}}]))
          / sum(rate(http_requests_total{job="quiet"}[{{.window}}]))
  - name: raw-or-zero
    objective: 99.9
    sli:
      raw:
        error_ratio_query: |
          (sum(rate(http_requests_total{job="quiet",code=~"5.."}[{{.window}}])) or vector(0))
          / sum(rate(http_requests_total{job="quiet"}[{{.window}}]))
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: quiet-handlers}
spec:
  target: "99"
  window: 28d
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{job="quiet",code=~"5.."}'}
      total: {metric: 'http_requests_total{job="quiet"}'}
      grouping: [handler]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: quiet-bad}
spec:
  budgetingMethod: Occurrences
  timeWindow: {duration: 7d, isRolling: true}
  indicator:
    metadata: {name: bad}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(http_requests_total{job="quiet",code="500"})'}}}
        total: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(http_requests_total{job="quiet"})'}}}
  objectives: [{targetPercent: 99.5}]
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


def _imported(tmp_path: Path, url: str, docs: tuple[tuple[str, str], ...] = ()):
    files = []
    for name, text in docs or (("sloth.yaml", SLOTH), ("pyrra.yaml", PYRRA), ("openslo.yaml", OPENSLO)):
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

    # Sloth's rates as increases: the same ratio, and the totals count requests
    w = data["api-availability"].windows
    assert w[HOUR] == (5880.0, 6000.0)
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


def test_no_error_series_is_no_errors_and_pyrra_grouping_is_the_breakdown(prom_url: str, tmp_path: Path) -> None:
    """Before: good = (total) - (errors) was empty when the error counter had never been written,
    read as 0 good of 6000 (CRITICAL, 100% errors) on a service that never failed."""
    quiet = tuple((f"quiet-{i}.yaml", doc) for i, doc in enumerate(QUIET.split("---\n")))
    datasource = OPENSLO.split("---\n")[0]  # the OpenSLO data source the quiet SLO refers to
    lc = _imported(tmp_path, prom_url, (*quiet, ("datasource.yaml", datasource)))
    names = sorted(s.name for s in lc.specs)
    assert names == ["quiet-bad", "quiet-events", "quiet-handlers", "quiet-raw", "quiet-raw-or-zero"]
    data = _fetch(prom_url, lc.specs)
    for name in names:
        assert data[name].error is None, (name, data[name].error)
        if name == "quiet-raw":
            continue
        result = evaluate_slo(lc.spec(name), data[name], NOW)
        assert result.status is Status.OK, (name, result.status, data[name].windows[HOUR])
        assert result.value == 1.0, name
    # a raw ratio is the user's own query: with no 5xx series it answers nothing, as Sloth's recorded
    # ratio does, and that is NO DATA (SPEC 3: never OK); Sloth's users write "or vector(0)" for it
    assert evaluate_slo(lc.spec("quiet-raw"), data["quiet-raw"], NOW).status is Status.NO_DATA
    # counts: 2 handlers x 50 a minute, all good
    for name in ("quiet-handlers", "quiet-bad"):
        assert data[name].windows[HOUR] == (6000.0, 6000.0)
        assert data[name].windows[5 * MINUTE] == (500.0, 500.0)
    assert data["quiet-events"].windows[HOUR] == (6000.0, 6000.0)
    assert data["quiet-raw-or-zero"].windows[HOUR] == (1.0, 1.0)
    # Pyrra grouping [handler]: each handler is a group of the breakdown, all good
    [groups] = data["quiet-handlers"].groups
    assert groups.by == "handler" and groups.note is None
    w = groups.window
    assert dict(groups.counts) == {"/a": (w / 60 * 50, w / 60 * 50), "/b": (w / 60 * 50, w / 60 * 50)}


def test_pyrra_bool_gauge_grouping_breaks_the_probes_down_by_target(prom_url: str, tmp_path: Path) -> None:
    lc = _imported(tmp_path, prom_url)
    probes = lc.spec("probes")
    assert probes.breakdown == ("target",)
    data = _fetch(prom_url, [probes])["probes"]
    [groups] = data.groups
    assert groups.by == "target" and groups.note is None
    a_good, a_total = groups.counts["a"]
    b_good, b_total = groups.counts["b"]
    # the window the breakdown uses holds the ten zero minutes of target a; b never failed
    assert (a_total - a_good, b_total - b_good) == (10.0, 0.0)
    assert a_total == b_total > 10
    good, total = data.windows[groups.window]
    assert (a_good + b_good, a_total + b_total) == (good, total)


BY_JOB = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: by-job}
spec:
  target: "99"
  window: 28d
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{code=~"5.."}'}
      total: {metric: 'http_requests_total'}
      grouping: [job]
"""


def test_pyrra_grouping_counts_a_group_without_errors_as_all_good(prom_url: str, tmp_path: Path) -> None:
    """Job "api" has errors in the last hour, job "quiet" never: the grouped error query answers for
    api only, and quiet's group must still be all good (``or on(job)``), not missing."""
    lc = _imported(tmp_path, prom_url, (("by-job.yaml", BY_JOB),))
    spec = lc.spec("by-job")
    data = _fetch(prom_url, [spec])["by-job"]
    assert data.error is None
    [groups] = data.groups
    w = groups.window
    minutes = w / 60
    errors = 2 * min(minutes, 60)  # 2 a minute in the last hour
    assert dict(groups.counts) == {"api": (100 * minutes - errors, 100 * minutes),
                                   "quiet": (100 * minutes, 100 * minutes)}
    assert data.windows[w] == (200 * minutes - errors, 200 * minutes)


SLOW = """\
version: prometheus/v1
service: slow
slos:
  - name: events
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(slow_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(slow_requests_total[{{.window}}]))
  - name: raw
    objective: 99.9
    sli:
      raw:
        error_ratio_query: sum(rate(slow_requests_total{code=~"5.."}[{{.window}}])) / sum(rate(slow_requests_total[{{.window}}]))
  - name: raw-typo
    objective: 99.9
    sli:
      raw:
        error_ratio_query: sum(rate(slow_requets_total{code=~"5.."}[{{.window}}])) / sum(rate(slow_requets_total[{{.window}}]))
"""


def test_a_sloth_service_under_one_request_a_second_still_pages(prom_url: str, tmp_path: Path) -> None:
    """Imported as written, Sloth's ``rate`` totals were requests per second: at 0.5/s every window
    was "low traffic" (below ``min_events: 1``) and no tier could fire, while Sloth's rules paged."""
    lc = _imported(tmp_path, prom_url, (("slow.yaml", SLOW),))
    data = _fetch(prom_url, lc.specs)
    events = data["slow-events"]
    assert events.error is None
    assert events.windows[HOUR] == (1620.0, 1800.0)  # 180 errors of 1800 requests
    assert events.windows[5 * MINUTE] == (135.0, 150.0)
    result = evaluate_slo(lc.spec("slow-events"), events, NOW)
    rates = {(b.long_window, b.short_window): b for b in result.burn_rates}
    # error ratio 0.1 over a budget of 0.001: burn 100 in 1h and 5m
    assert rates[(HOUR, 5 * MINUTE)].long_rate == pytest.approx(100.0, rel=1e-9)
    assert rates[(HOUR, 5 * MINUTE)].firing and not result.low_traffic
    assert result.status is Status.CRITICAL
    # the raw error ratio: one event a window, 90% good
    raw = evaluate_slo(lc.spec("slow-raw"), data["slow-raw"], NOW)
    assert data["slow-raw"].windows[HOUR] == (pytest.approx(0.9, rel=1e-12), 1.0)
    assert raw.status is Status.CRITICAL


def test_a_raw_ratio_with_no_series_is_no_data_not_ok(prom_url: str, tmp_path: Path) -> None:
    """A misspelt metric in a Sloth raw error ratio: ``1 - (ratio or vector(0))`` over ``vector(1)``
    said 100% good (OK) where Sloth's own rules record nothing."""
    lc = _imported(tmp_path, prom_url, (("slow.yaml", SLOW),))
    data = _fetch(prom_url, [lc.spec("slow-raw-typo")])["slow-raw-typo"]
    result = evaluate_slo(lc.spec("slow-raw-typo"), data, NOW)
    assert result.status is Status.NO_DATA, (result.status, data.windows)


SLOTH_GROUPED = """
version: prometheus/v1
service: quiet
slos:
  - name: by-handler
    objective: 99.5
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="quiet",code=~"5.."}[{{.window}}])) by (handler)
        total_query: sum by (handler) (rate(http_requests_total{job="quiet"}[{{.window}}]))
    alerting: {name: QuietErrors}
"""


def test_a_sloth_sli_grouped_by_a_label_is_its_sum_broken_down_by_it(prom_url: str, tmp_path: Path) -> None:
    """Sloth's ``sum(...) by (handler)`` gives one series per handler (each an SLI there). Imported as
    written it never evaluated ("query returned 2 series; aggregate with sum()"); it is now their sum
    with ``breakdown: [handler]`` (SPEC 10.1), the handlers as its groups, and a note says so."""
    f = tmp_path / "sloth.yaml"
    f.write_text(SLOTH_GROUPED)
    report = import_files([str(f)])
    assert report.skipped == []
    assert any("one series per handler" in n and "breakdown: [handler]" in n for n in report.notes)
    lc = load_text(render(report.config, report.notes, [str(f)]), env={"PROMETHEUS_URL": prom_url})
    spec = lc.spec("quiet-by-handler")
    assert spec.breakdown == ("handler",)
    data = _fetch(prom_url, [spec])["quiet-by-handler"]
    assert data.error is None, data.error
    assert data.windows[HOUR] == (6000.0, 6000.0)  # 2 handlers x 50 a minute, never an error
    [groups] = data.groups
    assert groups.by == "handler" and groups.note is None
    w = groups.window
    assert dict(groups.counts) == {"/a": (w / 60 * 50, w / 60 * 50), "/b": (w / 60 * 50, w / 60 * 50)}
    assert evaluate_slo(spec, data, NOW).status is Status.OK


OPENSLO_GROUPED = """
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec:
  type: Prometheus
  connectionDetails: [{url: "${PROMETHEUS_URL}"}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: quiet-handlers-openslo}
spec:
  budgetingMethod: Occurrences
  timeWindow: [{duration: 7d, isRolling: true}]
  indicator:
    metadata: {name: ok}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {metricSourceRef: prom, spec: {query: 'sum by (handler) (http_requests_total{job="quiet",code=~"5.."})'}}}
        total: {metricSource: {metricSourceRef: prom, spec: {query: 'sum by (handler) (http_requests_total{job="quiet"})'}}}
  objectives: [{targetPercent: 99.5}]
"""


def test_an_openslo_ratio_grouped_by_a_label_is_its_sum_broken_down_by_it(prom_url: str, tmp_path: Path) -> None:
    """The same for OpenSLO: good/bad and total queries ``sum by (handler)`` never evaluated as one
    SLO; they are now their sum with ``breakdown: [handler]``."""
    f = tmp_path / "openslo.yaml"
    f.write_text(OPENSLO_GROUPED)
    report = import_files([str(f)])
    assert report.skipped == []
    assert any("one series per handler" in n for n in report.notes)
    lc = load_text(render(report.config, report.notes, [str(f)]), env={"PROMETHEUS_URL": prom_url})
    spec = lc.spec("quiet-handlers-openslo")
    assert spec.breakdown == ("handler",) and "{{by}}" in (spec.total or "")
    data = _fetch(prom_url, [spec])[spec.name]
    assert data.error is None, data.error
    assert data.windows[HOUR] == (6000.0, 6000.0)
    [groups] = data.groups
    w = groups.window
    assert dict(groups.counts) == {"/a": (w / 60 * 50, w / 60 * 50), "/b": (w / 60 * 50, w / 60 * 50)}
