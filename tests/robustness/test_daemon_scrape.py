"""A real Prometheus scrapes a real ``slotui run --headless`` whose SLO names are hostile to the text format.

SLO names with a double quote, a backslash, braces, a comma and ``=`` (printable, so the config
accepts them) must reach Prometheus unchanged: the scrape succeeds (``up == 1``: Prometheus drops
a whole scrape on one malformed line), every sample of ``/metrics`` is ingested, and the ``slo``
label values Prometheus stores are the names as written. ``promtool check metrics`` on the live
``/metrics`` reports nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from daemon_harness import Daemon, wait_for  # noqa: E402
from prometheus_server import PrometheusServer, require_binary  # noqa: E402

pytestmark = pytest.mark.integration

NAMES = ('av"ail\\ability', "a{b}=c,d", "trailing\\")


def _yaml_single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def query(prom: PrometheusServer, expr: str) -> list[dict]:
    url = f"{prom.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as resp:
        answer = json.load(resp)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_prometheus_ingests_every_sample_with_the_names_as_written(tmp_path: Path) -> None:
    require_binary("prometheus")
    promtool = require_binary("promtool")
    slos = "".join(
        f"""  - name: {_yaml_single(name)}
    source: demo
    ratio: {{good: "error.type == null"}}
    objective: {{target: 0.995}}
    breakdown: [gen_ai.request.model]
"""
        for name in NAMES
    )
    config = tmp_path / "slos.yaml"
    config.write_text(f"version: 1\ndefaults: {{interval: 1s}}\nsources:\n  demo: {{type: demo, seed: 7}}\n"
                      f"  unused: {{type: http, url: 'http://127.0.0.1:1/x'}}\nslos:\n{slos}")
    daemon = Daemon(tmp_path, config).started()
    empty = tmp_path / "empty-tsdb"
    empty.mkdir()
    prom = None
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, what="a first tick")
        status, text = daemon.get("/metrics")
        assert status == 200
        lint = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
        assert (lint.returncode, lint.stdout + lint.stderr) == (0, ""), lint.stdout + lint.stderr
        samples = [line for line in text.splitlines() if line and not line.startswith("#")]

        prom_dir = tmp_path / "prom"
        prom_dir.mkdir()
        prom = PrometheusServer(None, prom_dir, data_from=empty, scrape_configs=(
            f"[{{job_name: slotui, scrape_interval: 1s, scrape_timeout: 1s, "
            f"static_configs: [{{targets: ['127.0.0.1:{daemon.port}']}}]}}]"
        )).start()
        up = wait_for(lambda: query(prom, 'up{job="slotui"}'), what="a first scrape")
        assert up[0]["value"][1] == "1", (up, prom.log_tail())
        scraped = int(query(prom, 'scrape_samples_scraped{job="slotui"}')[0]["value"][1])
        kept = int(query(prom, 'scrape_samples_post_metric_relabeling{job="slotui"}')[0]["value"][1])
        # nothing dropped; about the size of the page read above (breakdown tops may come and go)
        assert kept == scraped and abs(scraped - len(samples)) <= 4 * len(NAMES), (scraped, kept, len(samples))
        stored = query(prom, "slotui_slo_status_code")
        assert sorted(r["metric"]["slo"] for r in stored) == sorted(NAMES)
        # a configured source no SLO uses is never asked: no "up" claim for it
        assert [(r["metric"]["source"], r["value"][1]) for r in query(prom, "slotui_source_up")] == [("demo", "1")]
        one_hot = query(prom, "sum by (slo) (slotui_slo_status)")
        assert sorted((r["metric"]["slo"], r["value"][1]) for r in one_hot) == sorted((n, "1") for n in NAMES)
    finally:
        if prom is not None:
            prom.stop()
        code = daemon.stop()
    assert code == 0, daemon.log
