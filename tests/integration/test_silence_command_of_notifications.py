"""The silence command every notification carries, run as printed by a shell, silences exactly that
SLO: a name holding a double quote was refused by the matcher grammar (exit 3), and one starting with
``~`` became a regex matcher (``slo=~...``) that matched other SLOs (``~.+``: every SLO)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slotui.alerting.context import silence_command
from slotui.alerting.silence import Matcher
from slotui.channels import render
from slotui.alerting.notification import Alert

NAMES = ['laténcy "p95" <!channel> *x*', "~api latency", "~.+", "a;b $(touch pwned) `x`", "it's", "back\\slash",
         "plain"]


def _run(command: str, state: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    shell_line = command.replace("slotui ", f"{sys.executable} -m slotui ", 1) + f" --state {state} -a me -q"
    return subprocess.run(["/bin/sh", "-c", shell_line], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", NAMES)
def test_the_printed_silence_command_silences_exactly_that_slo(tmp_path: Path, name: str) -> None:
    state = tmp_path / "state.db"
    for command in (silence_command(name),
                    render.silence_command(Alert(slo=name, severity="warning", labels={"slo": name},
                                                 annotations={}, fingerprint=f"{name}:warning", starts_at=0.0))):
        proc = _run(command, state, tmp_path)
        assert proc.returncode == 0, (command, proc.stderr)
        listed = subprocess.run([sys.executable, "-m", "slotui", "silence", "query", "--state", str(state), "-o", "json"],
                                capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        silence = json.loads(listed.stdout)[-1]
        slo = [m for m in silence["matchers"] if m["name"] == "slo"]
        assert slo == [{"name": "slo", "op": "=", "value": name}], silence["matchers"]
        assert not (tmp_path / "pwned").exists()
    assert str(Matcher("slo", "=", name))  # (the grammar's own form)
