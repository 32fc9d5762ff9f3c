"""A real Prometheus with LLM traffic backfilled by promtool, and a fake one for error cases.

Used by ``tests/integration/test_prometheus*.py`` and ``bench/prometheus_backfill.py``.

- :func:`generate_traffic` builds deterministic per-minute LLM request counters
  (``llm_requests_total{status="ok"|"error"}``) and a latency histogram
  (``llm_request_duration_seconds_bucket/_sum/_count``) with two incidents.
  Samples are on the minute grid, so ``increase()`` over a window whose ends are
  on that grid sees a sample exactly at each end and does not extrapolate.
- :func:`write_openmetrics_by_day` writes them as OpenMetrics files, one per
  day (timestamps in seconds, each ending with ``# EOF``) for ``promtool tsdb
  create-blocks-from openmetrics``.
- :class:`PrometheusServer` backfills the blocks into a fresh storage directory
  and starts ``/usr/bin/prometheus`` on a free loopback port, waiting for
  ``/-/ready`` with a deadline.
- :class:`FakePrometheus` is a threaded HTTP server answering whatever a test
  routes, recording every request (path, params, headers).
"""

from __future__ import annotations

import math
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: 2026-01-01T00:00:00Z: the first sample of the generated traffic.
START = 1_767_225_600
SCRAPE = 60
BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, math.inf)


def require_binary(name: str, package: str = "prometheus") -> str:
    """Path of ``name``; skips the test when missing, but FAILS under ``CI=true``."""
    import pytest

    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    if path is None:
        message = f"{name} binary not found (Debian package {package!r})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- traffic


@dataclass
class Traffic:
    """Cumulative counters sampled at ``times`` (epoch seconds, every ``SCRAPE`` s).

    ``ok[i]``/``errors[i]`` count requests finished in ``(times[0], times[i]]``;
    ``buckets[j][i]`` counts those with latency <= ``BUCKETS[j]``.
    """

    times: list[int]
    ok: list[int]
    errors: list[int]
    buckets: list[list[int]]
    sums: list[float]
    incidents: list[tuple[int, int]] = field(default_factory=list)

    def index(self, t: float) -> int:
        i = (int(t) - self.times[0]) // SCRAPE
        assert self.times[i] == t, f"{t} is not on the sample grid"
        return i

    def increase(self, series: list[int], start: float, end: float) -> int:
        """Exact counter increase over ``[start, end]`` (both on the sample grid)."""
        return series[self.index(end)] - series[self.index(start)]

    def good_total(self, start: float, end: float) -> tuple[int, int]:
        good = self.increase(self.ok, start, end)
        return good, good + self.increase(self.errors, start, end)

    def bucket_increases(self, start: float, end: float) -> list[int]:
        return [self.increase(b, start, end) for b in self.buckets]

    @property
    def end(self) -> int:
        return self.times[-1]


def generate_traffic(days: float = 8, seed: int = 42, start: int = START) -> Traffic:
    """Deterministic LLM traffic: ~20 requests/min with a daily cycle and two incidents.

    Incident A (day 6, 10:00-11:00): 25% errors and latencies x4.
    Incident B (day 7, 14:00-14:20): 60% errors. Baseline error rate 0.3%.
    """
    rng = random.Random(seed)
    n = int(days * 86400 // SCRAPE) + 1
    times = [start + i * SCRAPE for i in range(n)]
    inc_a = (start + 6 * 86400 + 10 * 3600, start + 6 * 86400 + 11 * 3600)
    inc_b = (start + 7 * 86400 + 14 * 3600, start + 7 * 86400 + 14 * 3600 + 20 * 60)
    ok, errors, sums = [0], [0], [0.0]
    buckets = [[0] for _ in BUCKETS]
    c_ok = c_err = 0
    c_b = [0] * len(BUCKETS)
    c_sum = 0.0
    for i in range(1, n):
        t = times[i]
        hour = (t % 86400) / 3600
        rate = 20 + 10 * math.sin(2 * math.pi * (hour - 8) / 24)
        count = max(0, int(rng.gauss(rate, 3)))
        err_p, slow = 0.003, 1.0
        if inc_a[0] < t <= inc_a[1]:
            err_p, slow = 0.25, 4.0
        elif inc_b[0] < t <= inc_b[1]:
            err_p = 0.6
        for _ in range(count):
            if rng.random() < err_p:
                c_err += 1
            else:
                c_ok += 1
            latency = round(rng.lognormvariate(math.log(0.9), 0.6) * slow, 3)
            c_sum += latency
            for j, le in enumerate(BUCKETS):
                if latency <= le:
                    c_b[j] += 1
        ok.append(c_ok)
        errors.append(c_err)
        sums.append(c_sum)
        for j in range(len(BUCKETS)):
            buckets[j].append(c_b[j])
    return Traffic(times, ok, errors, buckets, sums, incidents=[inc_a, inc_b])


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def write_openmetrics(traffic: Traffic, path: Path, start: float | None = None, end: float | None = None) -> None:
    """OpenMetrics text of ``traffic`` in ``[start, end)`` (timestamps in seconds, ends with ``# EOF``)."""
    idx = [i for i, t in enumerate(traffic.times) if (start is None or t >= start) and (end is None or t < end)]
    lines = ["# TYPE llm_requests counter", "# HELP llm_requests LLM requests by outcome."]
    for status, series in (("ok", traffic.ok), ("error", traffic.errors)):
        lines += [f'llm_requests_total{{status="{status}"}} {series[i]} {traffic.times[i]}' for i in idx]
    lines += ["# TYPE llm_request_duration_seconds histogram", "# HELP llm_request_duration_seconds LLM latency."]
    for i in idx:
        t = traffic.times[i]
        for j, le in enumerate(BUCKETS):
            lines.append(f'llm_request_duration_seconds_bucket{{le="{_le(le)}"}} {traffic.buckets[j][i]} {t}')
        lines.append(f"llm_request_duration_seconds_sum {traffic.sums[i]!r} {t}")
        lines.append(f"llm_request_duration_seconds_count {traffic.buckets[-1][i]} {t}")
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")


def write_openmetrics_by_day(traffic: Traffic, directory: Path) -> list[Path]:
    """One OpenMetrics file per UTC day of ``traffic``.

    promtool re-reads its whole input once per 2-hour block it writes, so one
    file of 8 days costs 96 passes over all of it; a file per day (days are
    2h-aligned, so blocks never overlap) costs 12 passes over 1/8 each.
    """
    directory.mkdir(parents=True, exist_ok=True)
    first_day = traffic.times[0] // 86400 * 86400
    paths = []
    day = first_day
    while day <= traffic.end:
        path = directory / f"traffic-{day}.om"
        write_openmetrics(traffic, path, day, day + 86400)
        paths.append(path)
        day += 86400
    return paths


def histogram_quantile(q: float, bucket_counts: list[int], bounds: tuple[float, ...] = BUCKETS) -> float | None:
    """Prometheus' ``histogram_quantile`` on cumulative bucket counts (None where it gives NaN).

    Linear interpolation inside the bucket holding rank ``q * count``; the first
    bucket starts at 0; a rank in the +Inf bucket gives the largest finite bound.
    """
    observations = bucket_counts[-1]
    if len(bounds) < 2 or observations == 0:
        return None
    rank = q * observations
    b = next(i for i, c in enumerate(bucket_counts[:-1] + [math.inf]) if c >= rank)
    if b == len(bounds) - 1:
        return bounds[-2]
    lower = 0.0 if b == 0 else bounds[b - 1]
    count = bucket_counts[b] - (0 if b == 0 else bucket_counts[b - 1])
    rank -= 0 if b == 0 else bucket_counts[b - 1]
    return lower + (bounds[b] - lower) * (rank / count)


# --------------------------------------------------------------------------- real server


class PrometheusServer:
    """``/usr/bin/prometheus`` on a free loopback port over a backfilled TSDB.

    ``start()`` runs promtool on each ``openmetrics`` file (two at a time) into
    ``workdir/data`` (or copies ``data_from``) and starts
    the server with a retention long enough for past data (``config_extra``: YAML
    appended to its configuration file, e.g. a ``remote_read`` section); ``url`` is its base
    URL. ``scrape_configs``: YAML flow text of its scrape jobs (none by default).
    ``stop()`` terminates it (also on context exit).
    """

    def __init__(
        self,
        openmetrics: list[Path] | None,
        workdir: Path,
        *,
        prefix: str = "",
        data_from: Path | None = None,
        web_config: str | None = None,
        config_extra: str = "",
        scrape_configs: str = "[]",
    ) -> None:
        self.openmetrics = openmetrics
        self.workdir = workdir
        self.prefix = prefix
        self.data_from = data_from
        self.web_config = web_config
        self.config_extra = config_extra
        self.scrape_configs = scrape_configs
        self.scheme = "https" if web_config and "tls_server_config" in web_config else "http"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.backfill_seconds = 0.0

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{self.prefix}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    def start(self, *, ready_within: float = 60.0) -> "PrometheusServer":
        promtool = shutil.which("promtool") or "/usr/bin/promtool"
        prometheus = shutil.which("prometheus") or "/usr/bin/prometheus"
        data = self.data_dir
        began = time.monotonic()
        if self.data_from is not None:
            # Blocks are immutable: a copy serves a second server (one process per TSDB).
            shutil.copytree(self.data_from, data, ignore=shutil.ignore_patterns("lock", "wal", "chunks_head", "queries.active"))
        else:
            assert self.openmetrics
            data.mkdir(parents=True, exist_ok=True)
            from concurrent.futures import ThreadPoolExecutor

            def backfill(path: Path) -> None:
                subprocess.run(
                    [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(path), str(data)],
                    check=True,
                    capture_output=True,
                    timeout=300,
                )

            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(backfill, self.openmetrics))
        self.backfill_seconds = time.monotonic() - began
        config = self.workdir / "prometheus.yml"
        config.write_text(f"global:\n  scrape_interval: 1m\nscrape_configs: {self.scrape_configs}\n" + self.config_extra)
        self.port = free_port()
        args = [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--query.lookback-delta=5m",
        ]
        if self.web_config:
            web = self.workdir / "web.yml"
            web.write_text(self.web_config)
            args.append(f"--web.config.file={web}")
        if self.prefix:
            args += [f"--web.external-url=http://127.0.0.1:{self.port}{self.prefix}", f"--web.route-prefix={self.prefix}"]
        self._log = open(self.workdir / "prometheus.log", "wb")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_within
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.process.returncode}: {self.log_tail()}")
            if self._ready():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"prometheus not ready within {ready_within}s: {self.log_tail()}")
            time.sleep(0.1)  # startup poll with a deadline

    def _ready(self) -> bool:
        """Whether ``/-/ready`` answers (any HTTP answer counts when auth or TLS guards it)."""
        import ssl

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2, context=ctx) as response:
                return response.status == 200
        except urllib.error.HTTPError as exc:
            return exc.code == 401
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def log_tail(self) -> str:
        try:
            return (self.workdir / "prometheus.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> "PrometheusServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_backfilled(days: float = 8, seed: int = 42, *, prefix: str = "") -> tuple[PrometheusServer, Traffic, Path]:
    """Generate traffic, backfill it, start a server; returns (server, traffic, tmpdir)."""
    tmp = Path(tempfile.mkdtemp(prefix="slotui-prom-"))
    traffic = generate_traffic(days=days, seed=seed)
    files = write_openmetrics_by_day(traffic, tmp / "openmetrics")
    server = PrometheusServer(files, tmp, prefix=prefix).start()
    return server, traffic, tmp


# --------------------------------------------------------------------------- fake server

try:  # imported as tests.integration.prometheus_server, or from tests/integration on sys.path (benches)
    from tests.integration.saas_servers import Answer, FakeServer, Request
except ImportError:  # pragma: no cover - depends on how the module was found
    from saas_servers import Answer, FakeServer, Request  # type: ignore[no-redef]

#: The loopback fake for Prometheus' HTTP API: ``route(request)`` reads ``request.params``
#: (query string and form body, as Prometheus reads them) and answers with :func:`vector`,
#: :func:`matrix` or an error payload.
FakePrometheus = FakeServer

__all__ = ["Answer", "FakePrometheus", "Request", "matrix", "vector"]


def vector(*values: str, t: float = START) -> dict[str, Any]:
    """A Prometheus instant-query success answer with one series per value."""
    return {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {"i": str(i)}, "value": [t, v]} for i, v in enumerate(values)]},
    }


def matrix(points: list[tuple[float, str]], series: int = 1) -> dict[str, Any]:
    """A Prometheus range-query success answer with ``series`` copies of ``points``."""
    return {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {"i": str(i)}, "values": [[t, v] for t, v in points]} for i in range(series)],
        },
    }
