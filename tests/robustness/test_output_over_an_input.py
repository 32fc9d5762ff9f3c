"""An output path that is a file the same run reads, or one the SLO file names, is refused with exit 3
and the file is left as it was: ``check --output`` emptied the SLO file before loading it (and a request
log, a channel's log, the state file, a --results file), ``export -o`` and ``import -o`` overwrote
their input. A link to such a file counts as the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from slotui.cli import main

SLOTH = """version: prometheus/v1
service: api
slos:
  - name: requests-availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: ApiAvailability
"""


def _setup(tmp_path: Path) -> dict[str, Path]:
    log = tmp_path / "requests.jsonl"
    log.write_text(json.dumps({"time": "2026-06-01T11:59:00Z", "duration_s": 1.0}) + "\n")
    (tmp_path / "ca.pem").write_text("not a cert, only a file the config names\n")
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        "version: 1\n"
        "sources:\n  logs: {type: file, path: requests.jsonl}\n"
        "  prom: {type: prometheus, url: 'https://127.0.0.1:9', tls: {ca_file: ca.pem}}\n"
        "slos:\n  - {name: p95, source: logs, sli: {field: duration_s, agg: p95}, objective: {target: 2, warning: 3}}\n"
        "alerts:\n  channels:\n    audit: {type: file, path: alerts.jsonl}\n"
    )
    (tmp_path / "alerts.jsonl").write_text('{"kept": true}\n')
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"p95": 1.0}))
    state = tmp_path / "state.db"
    state.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return {"config": cfg, "log": log, "channel": tmp_path / "alerts.jsonl", "ca": tmp_path / "ca.pem",
            "results": results, "state": state}


@pytest.mark.parametrize("target", ["config", "log", "channel", "ca", "results", "state", "link to config"])
def test_check_refuses_an_output_that_is_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   target: str) -> None:
    files = _setup(tmp_path)
    before = {k: p.read_bytes() for k, p in files.items()}
    if target == "link to config":
        out = tmp_path / "report.xml"
        out.symlink_to(files["config"])
    else:
        out = files[target]
    args = ["check", "-c", str(files["config"]), "--at", "2026-06-01T12:00:00Z", "--state", str(files["state"]),
            "-o", "junit", "--output", str(out)]
    if target == "results":
        args += ["--results", str(files["results"])]
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "--output" in err and "would destroy it" in err and "Traceback" not in err
    assert {k: p.read_bytes() for k, p in files.items()} == before


def test_check_refuses_its_broken_slo_file_as_output_and_keeps_it(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("version: 1\nslos: [{name: x, objective: {target: nope}}]\n")
    before = cfg.read_bytes()
    assert main(["check", "-c", str(cfg), "--output", str(cfg)]) == 3
    assert cfg.read_bytes() == before
    assert "the SLO file" in capsys.readouterr().err


def test_check_still_writes_a_report_elsewhere(tmp_path: Path) -> None:
    files = _setup(tmp_path)
    report = tmp_path / "report.xml"
    report.write_text("an old report")
    code = main(["check", "-c", str(files["config"]), "--at", "2026-06-01T12:00:00Z", "--state",
                 str(tmp_path / "fresh.db"), "-o", "junit", "--output", str(report)])
    assert code in (0, 1, 2)
    assert report.read_text().startswith("<?xml")


def test_export_refuses_to_write_over_its_slo_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("version: 1\nsources:\n  prom: {type: prometheus, url: 'http://127.0.0.1:9'}\nslos:\n"
                   "  - {name: ok, source: prom, ratio: {good: 'sum(rate(a[{{window}}]))', "
                   "total: 'sum(rate(b[{{window}}]))'}, objective: {target: 0.99}}\n")
    before = cfg.read_bytes()
    assert main(["export", "prometheus-rules", "-c", str(cfg), "-o", str(cfg)]) == 3
    assert cfg.read_bytes() == before
    assert "would destroy it" in capsys.readouterr().err
    out = tmp_path / "rules.yaml"
    assert main(["export", "prometheus-rules", "-c", str(cfg), "-o", str(out)]) == 0
    assert "groups:" in out.read_text()


def test_import_refuses_to_write_over_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "sloth.yml"
    spec.write_text(SLOTH)
    os.link(spec, tmp_path / "hard.yml")
    for out in (spec, tmp_path / "hard.yml"):
        assert main(["import", str(spec), "-o", str(out)]) == 3
        assert spec.read_text() == SLOTH
        assert "would destroy it" in capsys.readouterr().err
    assert main(["import", str(spec), "-o", str(tmp_path / "slos.yaml")]) == 0
    assert "requests-availability" in (tmp_path / "slos.yaml").read_text()


@pytest.mark.parametrize("fmt", ["json", "junit", "markdown", "table"])
def test_check_output_naming_a_format_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`check --output json` (silence list's -o/--output is the format) wrote the table to a file named
    json, printed nothing and exited 0."""
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--state", str(tmp_path / "s.db"), "--output", fmt]) == 3
    err = capsys.readouterr().err
    assert f"the format is -o/--format {fmt}" in err and not (tmp_path / fmt).exists()
    assert main(["check", "--state", str(tmp_path / "s.db"), "--output", f"./{fmt}"]) in (0, 1, 2)
    assert (tmp_path / fmt).stat().st_size > 0


def test_dash_reads_standard_input_for_results_and_import(tmp_path: Path) -> None:
    """`--output -` was stdout, but `evaluate | slotui check --results -` read a file named "-" (not
    found, exit 3), and so did `kubectl get ... -o yaml | slotui import -`."""
    import subprocess
    import sys

    cfg = tmp_path / "slos.yaml"
    cfg.write_text("version: 1\nquality_slos:\n  accuracy: {target: 0.9, direction: higher_is_better}\n")
    run = subprocess.run([sys.executable, "-m", "slotui", "check", "-c", str(cfg), "--results", "-", "-o", "json",
                          "--state", str(tmp_path / "s.db")], input='{"accuracy": 0.95}', capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert '"value": 0.95' in run.stdout
    imported = subprocess.run([sys.executable, "-m", "slotui", "import", "-"], input=SLOTH, capture_output=True,
                              text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    assert "requests-availability" in imported.stdout
