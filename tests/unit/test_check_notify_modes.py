"""``check --notify`` either sends what the evaluation fires or says why it cannot: it never
queues in silence.

Found: ``--results FILE --notify`` evaluated the results and sent nothing, and ``--at`` a moment
still to come queued the notification for that moment while delivery runs on the real clock, so
it stayed unsent and the command said nothing. The state file and the file channel are real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slotui.cli import main

CONFIG = """\
version: 1
quality_slos:
  accuracy: {target: 0.90, warning: 0.85, critical: 0.75}
alerts:
  channels:
    audit: {type: file, path: notifications.jsonl}
"""


def sent(tmp_path: Path) -> list[tuple[str, str, str]]:
    path = tmp_path / "notifications.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(n["kind"], n["status"], n["alerts"][0]["slo"]) for n in map(json.loads, lines)]


def check(tmp_path: Path, accuracy: float, *extra: str) -> int:
    (tmp_path / "slos.yaml").write_text(CONFIG)
    results = tmp_path / "eval_results.json"
    results.write_text(json.dumps({"metrics": {"accuracy": accuracy}}))  # MLflow's eval_results.metrics
    return main(["check", "-c", str(tmp_path / "slos.yaml"), "--results", str(results),
                 "--state", str(tmp_path / "s.db"), "-o", "json", *extra])


def test_results_with_notify_send_what_they_fire_and_the_resolve(capsys, tmp_path: Path) -> None:
    assert check(tmp_path, 0.5, "--notify", "--at", "2026-06-01T12:00:00Z") == 2
    assert sent(tmp_path) == [("trigger", "firing", "accuracy")]
    assert "delivered to audit" in capsys.readouterr().err
    assert check(tmp_path, 0.5, "--notify", "--at", "2026-06-01T12:01:00Z") == 2  # no repeat before group.repeat
    assert len(sent(tmp_path)) == 1
    # recovered: the resolve goes once group.interval (5m) has passed since the trigger
    assert check(tmp_path, 0.95, "--notify", "--at", "2026-06-01T12:10:00Z") == 0
    assert sent(tmp_path) == [("trigger", "firing", "accuracy"), ("resolve", "resolved", "accuracy")]


def test_results_without_notify_send_nothing(tmp_path: Path) -> None:
    assert check(tmp_path, 0.5) == 2
    assert sent(tmp_path) == []


@pytest.mark.parametrize("results", [False, True])
def test_notify_at_a_moment_still_to_come_is_refused_and_sends_nothing(capsys, tmp_path: Path, results: bool) -> None:
    (tmp_path / "slos.yaml").write_text(CONFIG)
    args = ["check", "-c", str(tmp_path / "slos.yaml"), "--state", str(tmp_path / "s.db"),
            "--at", "2999-01-01T00:00:00Z", "--notify"]
    if results:
        (tmp_path / "r.json").write_text(json.dumps({"accuracy": 0.5}))
        args += ["--results", str(tmp_path / "r.json")]
    assert main(args) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--at 2999-01-01" in captured.err and "--notify" in captured.err and "Traceback" not in captured.err
    assert sent(tmp_path) == [] and not (tmp_path / "s.db").exists()


def test_notify_at_a_past_moment_still_sends(tmp_path: Path) -> None:
    assert check(tmp_path, 0.5, "--notify", "--at", "2026-06-01T12:00:00Z") == 2
    assert sent(tmp_path) == [("trigger", "firing", "accuracy")]
