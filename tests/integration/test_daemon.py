"""``slotui run --headless`` as a real process: /metrics, /healthz, clean SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "slotui", "run", "--headless", "--listen", "127.0.0.1:0",
         "--state", str(tmp_path / "state.db"), *extra],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )


def _port_from_log(proc: subprocess.Popen, deadline: float) -> int:
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/metrics", line)
        if m:
            return int(m.group(1))
    proc.kill()
    raise AssertionError("daemon never said where it listens")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_daemon_serves_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    try:
        port = _port_from_log(proc, time.monotonic() + 30)
        # The daemon logs each SLO's status after its first tick: wait for that line.
        assert proc.stderr is not None
        line = proc.stderr.readline()
        while line and "slo=" not in line:
            line = proc.stderr.readline()
        assert "status=" in line
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and body == "ok\n"
        status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        # one SLI series per example SLO, and no NaN leaks into the exposition
        for slo in ("accuracy", "helpfulness", "response_time_p95_ms", "availability", "cost_per_query"):
            assert re.search(rf'^slotui_\w+\{{[^}}]*slo="{slo}"', metrics, re.M), slo
        assert "NaN" not in metrics
        assert _get(f"http://127.0.0.1:{port}/nope")[0] == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert proc.stderr is not None
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_daemon_once_exits_after_one_tick(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "run", "--headless", "--once", "--listen", "none",
         "--state", str(tmp_path / "state.db")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"slo=availability status=", proc.stderr)
    assert (tmp_path / "state.db").exists()


def test_daemon_bad_listen_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "run", "--headless", "--listen", "localhost",
         "--state", str(tmp_path / "state.db")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 3
    assert "HOST:PORT" in proc.stderr and "Traceback" not in proc.stderr


def test_daemon_once_exits_3_when_a_source_failed(tmp_path: Path) -> None:
    """A cron job's one tick that could not read a source is not a success (as `check` exits 3)."""
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "slos.yaml"
    config.write_text(
        "version: 1\n"
        "sources:\n"
        f"  prom: {{type: prometheus, url: 'http://127.0.0.1:{port}', timeout: 5s}}\n"
        "slos:\n"
        "  - name: availability\n"
        "    source: prom\n"
        "    ratio: {good: 'sum(rate(ok_total[{{window}}]))', total: 'sum(rate(all_total[{{window}}]))'}\n"
        "    objective: {target: 0.99}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "run", "--headless", "--once", "--listen", "none",
         "-c", str(config), "--state", str(tmp_path / "state.db")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 3, proc.stderr
    assert re.search(r"source=prom error=\S", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr
