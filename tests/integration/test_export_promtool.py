"""``slotui export prometheus-rules`` output checked by the real ``promtool``.

- ``promtool check rules`` accepts the export of every SLO file here that has
  SLOs on a Prometheus source;
- ``promtool test rules`` runs ``tests/data/rules/*.test.yaml`` (each burn-rate
  tier at its boundary, threshold alerts at their thresholds) against the
  export of ``tests/data/rules/slos.yaml``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.prometheus_server import require_binary

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
RULES_DATA = REPO / "tests" / "data" / "rules"
SLOTUI = [sys.executable, "-m", "slotui"]


#: spec_full.yaml reads its channels' secrets from the environment.
SECRETS = {
    name: "x" * 12
    for name in ("LANGSMITH_API_KEY", "PAGERDUTY_ROUTING_KEY", "SMTP_USER", "SMTP_PASSWORD")
} | {"SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/" + "x" * 12}  # a URL field holds a URL


def export(config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SLOTUI, "export", "prometheus-rules", "-c", str(config), "-o", str(out)],
        capture_output=True, text=True, timeout=60, cwd=REPO, env={**os.environ, **SECRETS},
    )


PROM_CONFIGS = [
    RULES_DATA / "slos.yaml",
    REPO / "tests" / "data" / "configs" / "good" / "spec_full.yaml",
    REPO / "tests" / "data" / "sloth" / "slotui" / "getting-started.slos.yaml",
    REPO / "tests" / "data" / "sloth" / "slotui" / "in-base.slos.yaml",
]


@pytest.mark.parametrize("config", PROM_CONFIGS, ids=lambda p: p.name)
def test_promtool_check_rules_accepts_the_export(config: Path, tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    out = tmp_path / "rules.yaml"
    done = export(config, out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    checked = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


@pytest.mark.parametrize("unit", sorted(RULES_DATA.glob("*.test.yaml")), ids=lambda p: p.name)
def test_promtool_unit_tests_of_the_exported_rules(unit: Path, tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    done = export(RULES_DATA / "slos.yaml", tmp_path / "rules.yaml")
    assert done.returncode == 0, done.stderr
    shutil.copy(unit, tmp_path / unit.name)
    tested = subprocess.run(
        [promtool, "test", "rules", unit.name], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_slos_on_other_sources_are_listed_as_skipped(tmp_path: Path) -> None:
    config = tmp_path / "slos.yaml"
    config.write_text(
        "version: 1\n"
        "sources:\n"
        "  prom: {type: prometheus, url: 'http://127.0.0.1:9'}\n"
        "  logs: {type: file, path: requests.jsonl}\n"
        "slos:\n"
        "  - name: availability\n"
        "    source: prom\n"
        "    ratio: {good: 'sum(rate(ok_total[{{window}}]))', total: 'sum(rate(all_total[{{window}}]))'}\n"
        "    objective: {target: 0.99}\n"
        "  - name: success_rate\n"
        "    source: logs\n"
        "    ratio: {good: 'error.type == null'}\n"
        "    objective: {target: 0.995}\n"
        "  - name: helpfulness\n"
        "    source: logs\n"
        "    sli: {field: evaluations.helpfulness, agg: mean}\n"
        "    objective: {target: 0.85, warning: 0.8}\n"
    )
    out = tmp_path / "rules.yaml"
    done = export(config, out)
    assert done.returncode == 0, done.stderr
    assert "skipped SLO 'success_rate': source 'logs' is file, not prometheus" in done.stderr
    assert "skipped SLO 'helpfulness': source 'logs' is file, not prometheus" in done.stderr
    assert "Traceback" not in done.stderr
    text = out.read_text()
    assert 'sloth_slo: availability' in text and "success_rate" not in text


def test_nothing_to_export_exits_3_with_the_reason(tmp_path: Path) -> None:
    config = tmp_path / "slos.yaml"
    config.write_text(
        "version: 1\nsources:\n  logs: {type: file, path: r.jsonl}\n"
        "slos:\n  - name: success_rate\n    ratio: {good: 'error.type == null'}\n    objective: {target: 0.995}\n"
    )
    done = export(config, tmp_path / "rules.yaml")
    assert done.returncode == 3
    assert "skipped SLO 'success_rate'" in done.stderr and "could be exported" in done.stderr
    assert not (tmp_path / "rules.yaml").exists()


def test_a_broken_config_exits_3_naming_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "slos.yaml"
    config.write_text("version: 1\nsources:\n  prom: {type: prometheus, url: 'http://x'}\nslos:\n  - name: a\n    objectiv: {}\n")
    done = export(config, tmp_path / "rules.yaml")
    assert done.returncode == 3
    assert f"{config}:6:" in done.stderr and "objectiv" in done.stderr
    assert "Traceback" not in done.stderr


def test_promtool_accepts_names_and_labels_that_need_escaping(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    config = tmp_path / "slos.yaml"
    config.write_text(
        "version: 1\n"
        "sources:\n  prom: {type: prometheus, url: 'http://127.0.0.1:9'}\n"
        "slos:\n"
        "  - name: 'we\"ird \\\\ slo: {x}'\n"
        "    service: \"svc \\\"q\\\"\"\n"
        "    labels: {team: \"a'b\", bad-name: x, alertname: 'Chat errors (EU) {{x}}'}\n"
        "    runbook: 'https://runbooks.example/a?b=1&c=\"2\"'\n"
        "    ratio: {good: 'sum(rate(ok_total[{{window}}]))', total: 'sum(rate(all_total[{{window}}]))'}\n"
        "    objective: {target: 0.9999}\n"
        "  - name: \"p95 {{x}}\"\n"
        "    query: 'max(max_over_time(p95[{{window}}]))'\n"
        "    objective: {target: 1, warning: 2, critical: 3}\n"
    )
    out = tmp_path / "rules.yaml"
    done = export(config, out)
    assert done.returncode == 0, done.stderr
    # once, not once per rule; written as slotui's Alertmanager channel posts it
    assert done.stderr.count("'bad-name' is not a valid Prometheus label name; written as 'bad_name'") == 1
    checked = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr + out.read_text()
    # the alert keeps slotui's own alertname (Alertmanager routes and silences match both); it was SLOBurn
    assert "alert: Chat errors (EU) {{x}}" in out.read_text()
    assert "bad_name: x" in out.read_text() and "bad-name" not in out.read_text()


CLASH = """\
version: 1
sources:
  prom: {type: prometheus, url: 'http://127.0.0.1:9'}
slos:
  - name: latency
    service: checkout
    source: prom
    ratio: {good: 'sum(rate(a_ok_total[{{window}}]))', total: 'sum(rate(a_total[{{window}}]))'}
    objective: {target: 0.9}
  - name: checkout-latency
    service: checkout
    source: prom
    ratio: {good: 'sum(rate(b_ok_total[{{window}}]))', total: 'sum(rate(b_total[{{window}}]))'}
    objective: {target: 0.9}
"""

#: a: 64 of every 128 requests good (error ratio 0.5), b: none good (1); each SLO's recorded series
#: carries its own ratio under its own labels. (Halves keep the float division exact.)
CLASH_TEST = """\
rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: a_ok_total, values: '0+64x30'}
      - {series: a_total, values: '0+128x30'}
      - {series: b_ok_total, values: '0x30'}
      - {series: b_total, values: '0+128x30'}
    promql_expr_test:
      - expr: slo:sli_error:ratio_rate5m
        eval_time: 20m
        exp_samples:
          - labels: 'slo:sli_error:ratio_rate5m{sloth_id="checkout-latency", sloth_service="checkout", sloth_slo="latency", sloth_window="5m"}'
            value: 0.5
          - labels: 'slo:sli_error:ratio_rate5m{sloth_id="checkout-checkout-latency", sloth_service="checkout", sloth_slo="checkout-latency", sloth_window="5m"}'
            value: 1
"""


def test_an_slo_named_the_rest_of_another_keeps_its_own_labels_in_promtool(tmp_path: Path) -> None:
    """``latency`` and ``checkout-latency`` of service checkout: Sloth's name of the second (``latency``)
    is the first's, so it keeps its whole name; one group each (a repeated group name is refused)."""
    promtool = require_binary("promtool")
    config = tmp_path / "slos.yaml"
    config.write_text(CLASH)
    done = export(config, tmp_path / "rules.yaml")
    assert done.returncode == 0, done.stderr
    checked = subprocess.run([promtool, "check", "rules", "rules.yaml"], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (tmp_path / "clash.test.yaml").write_text(CLASH_TEST)
    tested = subprocess.run([promtool, "test", "rules", "clash.test.yaml"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


#: an SLO whose every text is template syntax, quotes, braces and dollars (and not ASCII)
HOSTILE_NAME = 'p95 "q" {{ $labels.x }} $1 {x} ünï'
HOSTILE = {
    "version": 1,
    "sources": {"prom": {"type": "prometheus", "url": "http://127.0.0.1:9"}},
    "slos": [{
        "name": HOSTILE_NAME, "service": 'svc "s" {{.Value}}', "source": "prom",
        "description": 'line one {{ .Value }}\nline "two" $value', "runbook": "https://r.example/{{x}}?a=\"b\"",
        "labels": {"team": "{{ $labels.team }}"},
        "query": "max(hostile_metric)", "objective": {"target": 2000, "warning": 3000, "critical": 5000},
        "unit": "ms {{y}}",
    }],
}


def test_hostile_slo_text_reaches_the_alert_literally_in_promtool(tmp_path: Path) -> None:
    """Prometheus expands alert labels and annotations as Go templates: the SLO's own text must
    come out as written (the summary's {{ $value }} still expands), in a real rule evaluation."""
    import yaml

    promtool = require_binary("promtool")
    config = tmp_path / "slos.yaml"
    config.write_text(yaml.safe_dump(HOSTILE, allow_unicode=True), encoding="utf-8")
    done = export(config, tmp_path / "rules.yaml")
    assert done.returncode == 0, done.stderr
    labels = {"alertname": "SLOThreshold", "slo": HOSTILE_NAME, "service": 'svc "s" {{.Value}}',
              "severity": "warning", "source": "prom", "team": "{{ $labels.team }}"}
    annotations = {
        "summary": f"SLO {HOSTILE_NAME}: 4000 is worse than the warning threshold 3000 ms {{{{y}}}}",
        "title": f"(warning) SLO {HOSTILE_NAME} is warning.",
        "description": 'line one {{ .Value }}\nline "two" $value',
        "runbook_url": "https://r.example/{{x}}?a=\"b\"",
    }
    unit = {
        "rule_files": ["rules.yaml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [{"series": "hostile_metric", "values": "4000x5"}],
                   "alert_rule_test": [{"eval_time": "2m", "alertname": "SLOThreshold",
                                        "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}]}]}],
    }
    (tmp_path / "hostile.test.yaml").write_text(yaml.safe_dump(unit, allow_unicode=True), encoding="utf-8")
    tested = subprocess.run([promtool, "test", "rules", "hostile.test.yaml"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


PEERS = REPO / "tests" / "data" / "peers"


def _peer_dirs() -> list[Path]:
    return sorted({f.parent for f in PEERS.rglob("*") if f.suffix in (".yaml", ".yml", ".json")})


@pytest.mark.parametrize("directory", _peer_dirs(), ids=lambda d: str(d.relative_to(PEERS)))
def test_every_slo_imported_from_the_peers_files_exports_rules_promtool_accepts(directory: Path, tmp_path: Path) -> None:
    """The peers' own files (OpenSLO, Sloth, Pyrra), imported then exported: every SLO gets rules
    promtool accepts, or a reason; every record an alert or meta rule reads is written."""
    import re

    from slotui.commands.import_ import PlaceholderEnv, import_files, render
    from slotui.config.loader import load_text
    from slotui.peers.prometheus_rules import dump_rules, prometheus_rules

    promtool = require_binary("promtool")
    files = sorted(str(f) for f in directory.iterdir() if f.suffix in (".yaml", ".yml", ".json"))
    report = import_files(files)
    if not report.imported:
        return  # refused by name and reason: test_import_corpus.py
    loaded = load_text(render(report.config, report.notes, files), env=PlaceholderEnv())
    export = prometheus_rules(loaded.specs, {n: c.type for n, c in loaded.config.sources.items()})
    assert sorted(export.exported + [name for name, _ in export.skipped]) == sorted(s.name for s in loaded.specs)
    for name, reason in export.skipped:
        assert reason == "a threshold SLO with no warning or critical threshold: nothing to alert on", (name, reason)
    if not export.exported:
        return
    out = tmp_path / "rules.yaml"
    out.write_text(dump_rules(export.rules), encoding="utf-8")
    checked = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for group in export.rules["groups"]:
        recorded = {r["record"] for r in group["rules"] if "record" in r}
        read = {m for r in group["rules"] for m in re.findall(r"slo:sli_error:ratio_rate\w+", r["expr"])}
        assert read <= recorded, (group["name"], read - recorded)


def test_a_line_break_in_the_config_path_stays_in_the_header_comment(tmp_path: Path) -> None:
    """The header names the SLO file; a path with a line break ended the comment and wrote the rest
    of the path into the rules file as YAML."""
    import yaml

    promtool = require_binary("promtool")
    folder = tmp_path / "a\ngroups: []\n#"
    folder.mkdir()
    config = folder / "slos.yaml"
    config.write_text((RULES_DATA / "slos.yaml").read_text())
    out = tmp_path / "rules.yaml"
    done = export(config, out)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.splitlines()[0].startswith("# Generated by slotui") and "\\x0agroups: []\\x0a#" in text.splitlines()[0]
    assert len(yaml.safe_load(text)["groups"]) > 1
    checked = subprocess.run([promtool, "check", "rules", str(out)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
