"""``slotui import openslo``: OpenSLO v1 documents become a valid slotui SLO file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from slotui.commands.openslo import OpenSLOError, convert_files, render
from slotui.config.loader import load_text

OPENSLO = Path(__file__).resolve().parents[1] / "data" / "configs" / "openslo"


def test_cli_converts_to_a_file_that_validates(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "import", "openslo", str(OPENSLO / "support-bot.yaml")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "slos.yaml"
    out.write_text(proc.stdout)
    env = {**os.environ, "ONCALL_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/openslo"}
    check = subprocess.run([sys.executable, "-m", "slotui", "validate", "-c", str(out)],
                           capture_output=True, text=True, env=env, timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("OK: 2 SLOs, 1 source, 1 channel")
    assert "alertAfter" in proc.stderr  # what was not carried over is said


def test_conversion_semantics() -> None:
    config, notes = convert_files([OPENSLO / "support-bot.yaml"])
    text = render(config, notes, ["support-bot.yaml"])
    lc = load_text(text, env={"ONCALL_SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"})
    av = lc.spec("availability")
    assert (av.kind, av.target, av.source, av.period) == ("ratio", 0.995, "prom", 28 * 86400)
    assert av.good == 'sum(increase(llm_requests_total{status="ok"}[{{window}}]))'
    assert av.total == "sum(increase(llm_requests_total[{{window}}]))"
    assert [(t.severity, t.long_window, t.short_window, t.factor) for t in av.tiers] == [
        ("critical", 3600, 300, 14.4), ("warning", 3 * 86400, 6 * 3600, 1.0)]
    assert dict(av.labels) == {"service": "support-bot"}
    lat = lc.spec("latency-p95")
    assert (lat.kind, lat.target, lat.direction, lat.compliance, lat.slice, lat.calendar_month) == (
        "threshold", 2000, "lower_is_better", 0.99, 300, True)
    assert lat.query.startswith("histogram_quantile(0.95")
    assert lc.config.sources["prom"].url == "http://127.0.0.1:9090"
    routes = [(r.severity, r.channels) for r in lc.config.alerts.routes]
    assert routes == [("page", ["oncall-slack"]), ("warning", ["oncall-slack"])]


def test_bad_minus_total_and_several_objectives(tmp_path: Path) -> None:
    f = tmp_path / "o.yaml"
    f.write_text("""\
apiVersion: openslo/v1
kind: SLO
metadata: {name: errors}
spec:
  indicator:
    metadata: {name: e}
    spec:
      ratioMetric:
        counter: false
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(err[5m]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(req[5m]))'}}}
  timeWindow: [{duration: 1w, isRolling: true}]
  objectives:
    - {displayName: Internal, target: 0.999}
    - {displayName: SLA, targetPercent: 99}
""")
    config, notes = convert_files([f])
    lc = load_text(render(config, notes, [str(f)]), env={})
    a, b = lc.specs
    assert (a.name, a.target, b.name, b.target) == ("errors-internal", 0.999, "errors-sla", 0.99)
    assert a.good == "(sum(rate(req[5m]))) - (sum(rate(err[5m])))"
    assert a.source == "prometheus" and a.period == 7 * 86400
    assert lc.config.sources["prometheus"].url == "http://127.0.0.1:9090"  # ${PROMETHEUS_URL:-...} default


@pytest.mark.parametrize(
    ("text", "message"),
    [("apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: x}\n", "not supported"),
     ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {indicatorRef: nope, objectives: [{target: 0.9}]}\n",
      "no SLO could be converted"),
     ("a: [\n", "not valid YAML")],
)
def test_unconvertible_input_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(OpenSLOError, match=message):
        convert_files([f])
    proc = subprocess.run([sys.executable, "-m", "slotui", "import", "openslo", str(f)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr and message in proc.stderr
