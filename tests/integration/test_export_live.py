"""Exported rules in a real Prometheus with a real Alertmanager fire when ``slotui check --at`` says so.

A local exposition server serves request counters that burn the error budget
in one burst (100 requests/s; 50% errors from 6 s to 18 s after the first
scrape). Prometheus scrapes it every second and evaluates the rules
``slotui export prometheus-rules`` wrote for the SLO (one group, every second),
sending alerts to Alertmanager. Then, at every evaluation step Prometheus
recorded, ``slotui check --at STEP`` runs against the same Prometheus, and:

- each tier's alert is firing in Prometheus (``ALERTS``) at exactly the steps
  where slotui says that severity fires;
- each alert arrived in Alertmanager with ``startsAt`` = the first such step.

Small windows keep it short: page 10s/4s x4 and ticket 30s/10s x1 with
target 0.9 (B = 0.1), so page fires once 10 s of the burst exceed 40% errors.
The recorded read path (``rules: recorded``) is compared with the raw one on
the same server.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from slotui.cli import main as slotui_main
from tests.integration.prometheus_server import free_port, require_binary
from tests.integration.receivers import AlertmanagerProcess, poll_until

pytestmark = pytest.mark.integration

RATE = 100.0  # requests per second
BURST = (6.0, 18.0)  # seconds after the first scrape
ERROR_SHARE = 0.5
SLO = "chat-availability"
SLOTH_SLO = "availability"  # Sloth's name for it: service "chat", id "chat-availability"

CONFIG = """\
version: 1
sources:
  prom: {{type: prometheus, url: "{url}", timeout: 5s{extra}}}
slos:
  - name: chat-availability
    service: chat
    source: prom
    runbook: https://runbooks.example/chat
    ratio:
      good: 'sum(increase(llm_requests_total{{status="ok"}}[{{{{window}}}}]))'
      total: 'sum(increase(llm_requests_total[{{{{window}}}}]))'
    objective: {{target: 0.9}}
    period: 1h
    window: 10s
    slice: 1m
    burn_rate:
      - {{severity: page, long: 10s, short: 4s, factor: 4}}
      - {{severity: ticket, long: 30s, short: 10s, factor: 1}}
"""


class Exposition:
    """``/metrics`` with ``llm_requests_total{status}`` as a function of the time since the first scrape."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def counters(elapsed: float) -> tuple[float, float]:
        """(ok, error) requests finished in the first ``elapsed`` seconds."""
        burst = min(max(elapsed, BURST[0]), BURST[1]) - BURST[0]
        errors = RATE * ERROR_SHARE * burst
        return RATE * elapsed - errors, errors

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                now = time.time()
                if outer.t0 is None:
                    outer.t0 = now
                ok, errors = outer.counters(now - outer.t0)
                body = (
                    "# TYPE llm_requests_total counter\n"
                    f'llm_requests_total{{status="ok"}} {ok!r}\n'
                    f'llm_requests_total{{status="error"}} {errors!r}\n'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler

    def __enter__(self) -> "Exposition":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class LivePrometheus:
    """``/usr/bin/prometheus`` scraping ``target`` every second, with ``rules`` and an Alertmanager."""

    def __init__(self, tmp: Path, rules: Path, target: str, alertmanager: str) -> None:
        self.tmp = tmp
        self.port = free_port()
        config = tmp / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: [{rules}]\n"
            "alerting:\n  alertmanagers:\n"
            f"    - static_configs: [{{targets: ['{alertmanager}']}}]\n"
            "scrape_configs:\n"
            f"  - job_name: llm\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        self.log = open(tmp / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [
                require_binary("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            poll_until(self._ready, timeout=30, what="prometheus /-/ready")
        except AssertionError:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"prometheus exited: {(self.tmp / 'prometheus.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}", timeout=5) as r:
            payload = json.loads(r.read())
        assert payload["status"] == "success", payload
        return payload["data"]["result"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_at(config: Path, t: float, tmp: Path) -> dict[str, Any]:
    """``slotui check --at t --format json`` (in-process: 30 runs of a subprocess would take too long)."""
    out = tmp / "report.json"
    with contextlib.redirect_stdout(io.StringIO()):
        code = slotui_main(["check", "-c", str(config), "--at", iso(t), "--format", "json", "--output", str(out)])
    assert code in (0, 1, 2), f"check exited {code} at {iso(t)}"
    report = json.loads(out.read_text())
    (result,) = [r for r in report["slos"] if r["name"] == SLO]
    return result


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_binary("promtool")
    tmp = tmp_path_factory.mktemp("export-live")
    with Exposition() as exposition, AlertmanagerProcess(tmp / "am") as am:
        config = tmp / "slos.yaml"
        config.write_text(CONFIG.format(url="http://127.0.0.1:9", extra=""))
        rules = tmp / "rules.yaml"
        with contextlib.redirect_stderr(io.StringIO()):
            assert slotui_main(["export", "prometheus-rules", "-c", str(config), "-o", str(rules)]) == 0
        prom = LivePrometheus(tmp, rules, exposition.address, am.url.removeprefix("http://"))
        try:
            config.write_text(CONFIG.format(url=prom.url, extra=", rules: raw"))
            recorded = tmp / "slos-recorded.yaml"
            recorded.write_text(CONFIG.format(url=prom.url, extra=", rules: recorded"))
            auto = tmp / "slos-auto.yaml"
            auto.write_text(CONFIG.format(url=prom.url, extra=""))
            yield {"prom": prom, "am": am, "config": config, "recorded": recorded, "auto": auto, "tmp": tmp}
        finally:
            prom.stop()


def _am_alerts(am: AlertmanagerProcess) -> dict[str, dict[str, Any]]:
    return {a["labels"]["severity"]: a for a in am.get("/api/v2/alerts") if a["labels"].get("slo") == SLO}


def test_alerts_arrive_in_alertmanager_at_the_steps_slotui_says_the_tier_fires(live: dict[str, Any]) -> None:
    prom: LivePrometheus = live["prom"]
    am: AlertmanagerProcess = live["am"]
    arrived = poll_until(lambda: len(_am_alerts(am)) == 2 and _am_alerts(am), timeout=45, interval=0.2,
                         what="the page and ticket alerts in Alertmanager")
    # Let the burst end and the ticket tier (10 s short window) clear.
    poll_until(lambda: not prom.query(f'ALERTS{{slo="{SLO}", alertstate="firing"}}'), timeout=30, interval=0.2,
               what="both alerts resolved in Prometheus")
    window = 120
    steps_raw = prom.query(f'slo:sli_error:ratio_rate4s{{sloth_slo="{SLOTH_SLO}"}}[{window}s]')
    assert steps_raw, "the recording rules never ran"
    steps = [float(t) for t, _ in steps_raw[0]["values"]]
    firing: dict[str, set[float]] = {"critical": set(), "warning": set()}
    for series in prom.query(f'ALERTS{{slo="{SLO}", alertstate="firing"}}[{window}s]'):
        firing[series["metric"]["severity"]] |= {float(t) for t, _ in series["values"]}
    assert firing["critical"] and firing["warning"]
    assert firing["critical"] | firing["warning"] <= set(steps)

    slotui_firing: dict[str, set[float]] = {"critical": set(), "warning": set()}
    for t in steps:
        result = check_at(live["config"], t, live["tmp"])
        for sev in slotui_firing:
            if any(b["firing"] for b in result["burn_rates"] if b["severity"] == sev):
                slotui_firing[sev].add(t)
    for sev in ("critical", "warning"):
        assert slotui_firing[sev] == firing[sev], (
            f"{sev}: only Prometheus at {sorted(map(iso, firing[sev] - slotui_firing[sev]))}, "
            f"only slotui at {sorted(map(iso, slotui_firing[sev] - firing[sev]))}"
        )
        first = min(slotui_firing[sev])
        starts = datetime.fromisoformat(arrived[sev]["startsAt"].replace("Z", "+00:00")).timestamp()
        assert math.isclose(starts, first, abs_tol=0.0015), (sev, arrived[sev]["startsAt"], iso(first))
        assert arrived[sev]["labels"]["service"] == "chat"
        assert arrived[sev]["labels"]["alertname"] == "SLOBurn"
        assert arrived[sev]["annotations"]["runbook_url"] == "https://runbooks.example/chat"
    # The page tier needs a longer burst than the ticket tier: it starts later and ends sooner.
    assert min(firing["critical"]) > min(firing["warning"])
    assert max(firing["critical"]) < max(firing["warning"])


RECORDED_NOTE = "recorded series: error ratios (event counts are shares)"


def test_the_recorded_path_gives_the_raw_paths_table(live: dict[str, Any]) -> None:
    """``rules: recorded`` (and ``auto``, which finds the series) read the exported recordings and
    give the raw path's status, SLI value, burn rates and budget at every step, in fewer queries."""
    prom: LivePrometheus = live["prom"]
    poll_until(lambda: prom.query(f'ALERTS{{slo="{SLO}", alertstate="firing", severity="critical"}}[2m]'),
               timeout=45, interval=0.2, what="a page alert in Prometheus")
    steps_raw = prom.query(f'slo:sli_error:ratio_rate30s{{sloth_slo="{SLOTH_SLO}"}}[2m]')
    steps = [float(t) for t, _ in steps_raw[0]["values"]]
    assert len(steps) >= 10
    statuses = set()
    for t in steps[-10:] + steps[: -10 : max(1, len(steps) // 10)]:
        raw = check_at(live["config"], t, live["tmp"])
        rec = check_at(live["recorded"], t, live["tmp"])
        auto = check_at(live["auto"], t, live["tmp"])
        assert RECORDED_NOTE not in raw["notes"]
        assert RECORDED_NOTE in rec["notes"] and RECORDED_NOTE in auto["notes"]
        for other in (rec, auto):
            assert other["status"] == raw["status"], iso(t)
            assert other["error"] is None
            assert math.isclose(other["value"], raw["value"], rel_tol=1e-9, abs_tol=1e-12), iso(t)
            assert math.isclose(other["budget"]["remaining"], raw["budget"]["remaining"], rel_tol=1e-9, abs_tol=1e-9)
            for a, b in zip(other["burn_rates"], raw["burn_rates"]):
                assert a["firing"] == b["firing"], iso(t)
                for key in ("long_rate", "short_rate"):
                    assert math.isclose(a[key], b[key], rel_tol=1e-9, abs_tol=1e-12), (iso(t), key)
        statuses.add(raw["status"])
    assert "CRITICAL" in statuses or "WARNING" in statuses


def test_rules_recorded_without_the_rules_says_what_is_missing(live: dict[str, Any], tmp_path: Path) -> None:
    prom: LivePrometheus = live["prom"]
    config = tmp_path / "slos.yaml"
    config.write_text(
        CONFIG.format(url=prom.url, extra=", rules: recorded").replace("name: chat-availability", "name: unexported")
    )
    out = tmp_path / "report.json"
    with contextlib.redirect_stdout(io.StringIO()):
        code = slotui_main(["check", "-c", str(config), "--format", "json", "--output", str(out)])
    assert code == 3
    (result,) = json.loads(out.read_text())["slos"]
    assert result["status"] == "NO DATA"
    assert "no recorded series slo:sli_error:ratio_rate{4s,10s,30s,1h}" in result["error"]
    assert "slotui export prometheus-rules" in result["error"]


def test_the_detection_query_is_valid_promql_for_any_slo_name(live: dict[str, Any]) -> None:
    """Names with spaces, quotes, backslashes and regex characters: Prometheus (RE2) accepts the
    detection query and it still finds the exported SLO among them."""
    from slotui.core.types import SLOSpec
    from slotui.sources.kit.prometheus_recorded import detection_query, parse_detection

    prom: LivePrometheus = live["prom"]
    names = [SLO, "a b", 'we"ird \\ name', "x.y*(z)|[w]{2}^$", "p95 #1 & ~ok", "ünïcode-名"]
    specs = [SLOSpec(name=n, kind="ratio", target=0.9, direction="higher_is_better", labels={"service": "chat"})
             for n in names]
    poll_until(lambda: prom.query(f'slo:sli_error:ratio_rate1h{{sloth_slo="{SLOTH_SLO}"}}'), timeout=30, interval=0.2,
               what="the recordings")
    found = parse_detection(prom.query(detection_query(specs)))
    assert found == {(SLOTH_SLO, "chat"): {"4s", "10s", "30s", "1h"}}
