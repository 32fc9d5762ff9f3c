"""The daemon's process around its ticks: stopping during a slow fetch, and one log line per event.

- SIGTERM while a source's fetch hangs (a server that accepts and never answers, ``timeout: 60s``)
  waited for that timeout before the daemon stopped (systemd kills after 90 s): the fetch in
  progress is now cancelled and the daemon exits 0 at once.
- A source that keeps failing logged its error at every tick (while it backs off, the same line
  once per interval: 60 lines a minute at ``interval: 1s``); now a line is logged when a source's
  error changes, and one when it recovers.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

try:
    from .daemon_harness import Daemon, wait_for
except ImportError:
    from daemon_harness import Daemon, wait_for  # type: ignore[import-not-found,no-redef]

pytestmark = pytest.mark.integration


class Blackhole:
    """Accepts connections on 127.0.0.1 and never answers; ``accepted`` is set at the first one."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    yield hole
    hole.close()


def _hanging_config(tmp_path: Path, blackhole: Blackhole) -> Path:
    config = tmp_path / "slos.yaml"
    config.write_text(f"""\
version: 1
defaults: {{interval: 1s}}
sources:
  slow: {{type: http, url: "http://127.0.0.1:{blackhole.port}/x", timeout: 60s}}
slos:
  - name: thing_ms
    source: slow
    query: value
    objective: {{target: 1}}
""")
    return config


def test_sigterm_during_a_hanging_fetch_stops_at_once(tmp_path: Path, blackhole: Blackhole) -> None:
    daemon = Daemon(tmp_path, _hanging_config(tmp_path, blackhole)).started()
    assert blackhole.accepted.wait(30), daemon.log  # the first tick's fetch is in flight, and hangs
    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    code = daemon.stop(timeout=30)  # the old daemon needed the fetch's 60 s
    assert code == 0, daemon.log
    assert time.monotonic() - started < 20, daemon.log
    assert "stop requested during a tick: its fetch was cancelled" in daemon.log
    assert daemon.log.rstrip().endswith("stopped")
    assert "Traceback" not in daemon.log and "CancelledError" not in daemon.log, daemon.log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_once_stopped_before_its_tick_finished_is_no_success(tmp_path: Path, blackhole: Blackhole, sig) -> None:
    # a cron job's one evaluation cut off (a cron timeout's SIGTERM) exited 0: nothing was evaluated
    daemon = Daemon(tmp_path, _hanging_config(tmp_path, blackhole), listen="none", extra=("--once",))
    assert blackhole.accepted.wait(30), daemon.log
    daemon.signal(sig)
    assert daemon.stop(timeout=30) == 3, daemon.log
    assert "stop requested during a tick: its fetch was cancelled" in daemon.log


class Flaky(BaseHTTPRequestHandler):
    """``/down``: always 500 (retried within a fetch). ``/flaky``: 404 (not retried) for the first
    request, then ``{"value": 0.5}``."""

    calls: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        n = self.calls[self.path] = self.calls.get(self.path, 0) + 1
        ok = self.path == "/flaky" and n > 1
        body = json.dumps({"value": 0.5}).encode() if ok else b"upstream exploded"
        self.send_response(200 if ok else 404 if self.path == "/flaky" else 500)
        self.send_header("Content-Type", "application/json" if ok else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_source_errors_are_logged_when_they_change_and_when_they_recover(tmp_path: Path) -> None:
    Flaky.calls = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    config = tmp_path / "slos.yaml"
    config.write_text(f"""\
version: 1
defaults: {{interval: 1s}}
sources:
  down: {{type: http, url: "http://127.0.0.1:{port}/down", timeout: 5s}}
  flaky: {{type: http, url: "http://127.0.0.1:{port}/flaky", timeout: 5s}}
slos:
  - name: down_ms
    source: down
    query: value
    objective: {{target: 1}}
  - name: flaky_ms
    source: flaky
    query: value
    objective: {{target: 1}}
""")
    daemon = Daemon(tmp_path, config).started()
    try:
        daemon.wait_log(r"source=flaky recovered")
        first = daemon.ticks()
        seen: set[float] = set()

        def six_more_ticks() -> bool:
            t = daemon.ticks()
            if t > first:
                seen.add(t)
            return len(seen) >= 6

        wait_for(six_more_ticks, what="six more ticks")
    finally:
        code = daemon.stop()
        server.shutdown()
        server.server_close()
    assert code == 0, daemon.log
    body = [re.sub(r"^\S+ ", "", line) for line in daemon.log_lines()]
    down = [line for line in body if line.startswith("source=down ")]
    flaky = [line for line in body if line.startswith("source=flaky ")]
    # /down: the first failure, then at most one line per new answer (the backoff's "2 failures in a
    # row"); the ticks in between repeat that error and log nothing. The old daemon logged >= 7 lines.
    assert 1 <= len(down) <= 2, down
    assert len(down) == len(set(down)), down
    assert all(line.startswith("source=down error=") for line in down), down
    assert len(flaky) == 2 and flaky[0].startswith("source=flaky error=") and flaky[1] == "source=flaky recovered", flaky
