"""Issue 8 item 13: SIGHUP reloads the SLO file (before the fix it killed the daemon with exit 129).

Family: a valid new file, an invalid one (logged with its location, the old
config keeps running), a file that is valid YAML but a broken config, a file
that disappeared, SIGHUP during a tick, and several SIGHUPs in a row.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness beside this file, package or not
from daemon_harness import SLO_ACCURACY, SLO_AVAILABILITY, Daemon, wait_for, write_config

pytestmark = pytest.mark.integration


def _slos(metrics: str) -> set[str]:
    return set(re.findall(r'^slotui_slo_status_code\{slo="([^"]+)"\}', metrics, re.M))


def _metrics(d: Daemon) -> str:
    status, body = d.get("/metrics")
    assert status == 200
    return body


@pytest.fixture
def daemon(tmp_path: Path):
    config = write_config(tmp_path / "slos.yaml", SLO_AVAILABILITY)
    d = Daemon(tmp_path, config).started()
    wait_for(d.ticks, 60, "the first tick")
    yield d
    if d.proc.poll() is None:
        assert d.stop() == 0, d.log
    assert "Traceback" not in d.log, d.log


def test_daemon_sighup_reloads_a_valid_file(daemon: Daemon) -> None:
    assert _slos(_metrics(daemon)) == {"availability"}
    write_config(daemon.workdir / "slos.yaml", SLO_AVAILABILITY, SLO_ACCURACY)
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"reloaded: 2 SLOs, interval 1s")
    wait_for(lambda: _slos(_metrics(daemon)) == {"availability", "accuracy"}, 30, "the new SLO in /metrics")
    assert daemon.proc.poll() is None


@pytest.mark.parametrize(
    "name, text, located",
    [
        ("YAML syntax error", "version: 1\nslos:\n  - name: [unclosed\n", r"slos\.yaml:\d+"),
        ("unknown key", "version: 1\nsources:\n  demo: {type: demo}\nslos:\n  - name: a\n    sli: {field: x, agg: mean}\n"
         "    objective: {target: 1}\n    colour: red\n", r"slos\.yaml:8"),
        ("SLO on an undefined source", "version: 1\nsources:\n  demo: {type: demo}\nslos:\n  - name: a\n    source: nope\n"
         "    sli: {field: x, agg: mean}\n    objective: {target: 1}\n", r"slos\.yaml:\d+"),
    ],
)
def test_daemon_sighup_with_an_invalid_file_keeps_the_old_config(daemon: Daemon, name: str, text: str, located: str) -> None:
    (daemon.workdir / "slos.yaml").write_text(text)
    mark = len(daemon.log_lines())
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"reload failed, the previous config keeps running", after=mark)
    daemon.wait_log(located, after=mark)
    before = daemon.ticks()
    wait_for(lambda: daemon.ticks() > before, 30, "a tick with the old config")
    assert _slos(_metrics(daemon)) == {"availability"}, name
    # and a fixed file is picked up by the next SIGHUP
    write_config(daemon.workdir / "slos.yaml", SLO_ACCURACY)
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"reloaded: 1 SLOs", after=mark)
    wait_for(lambda: _slos(_metrics(daemon)) == {"accuracy"}, 30, "the fixed config in /metrics")


def test_daemon_sighup_after_the_file_vanished_keeps_running(daemon: Daemon) -> None:
    (daemon.workdir / "slos.yaml").unlink()
    mark = len(daemon.log_lines())
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"reload failed, the previous config keeps running", after=mark)
    before = daemon.ticks()
    wait_for(lambda: daemon.ticks() > before, 30, "a tick with the old config")


def test_daemon_two_sighups_in_a_row(daemon: Daemon) -> None:
    write_config(daemon.workdir / "slos.yaml", SLO_AVAILABILITY, SLO_ACCURACY)
    mark = len(daemon.log_lines())
    daemon.signal(signal.SIGHUP)
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"reloaded: 2 SLOs", after=mark)
    before = daemon.ticks()
    wait_for(lambda: daemon.ticks() > before, 30, "a tick after the reloads")
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"reloaded: 2 SLOs", after=len(daemon.log_lines()) - 1)
    assert daemon.proc.poll() is None
    assert _slos(_metrics(daemon)) == {"availability", "accuracy"}


class _GatedSource:
    """An HTTP JSON endpoint whose answers wait until ``release`` is set; ``asked`` is set on each request."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                gate.asked.set()
                gate.release.wait(30)
                body = b'{"p95": 120}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/status"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_daemon_sighup_during_a_tick_reloads_after_it(tmp_path: Path) -> None:
    gate = _GatedSource()
    slow = f"""\
version: 1
defaults: {{interval: 1s}}
sources:
  api: {{type: http, url: "{gate.url}", timeout: 30s}}
slos:
  - name: p95_ms
    source: api
    query: p95
    objective: {{target: 200, warning: 300, critical: 500}}
"""
    config = tmp_path / "slos.yaml"
    config.write_text(slow)
    d = Daemon(tmp_path, config).started()
    try:
        assert gate.asked.wait(30), d.log  # the first tick is now waiting on the source
        write_config(config, SLO_AVAILABILITY)
        d.signal(signal.SIGHUP)
        d.wait_log(r"SIGHUP received")
        assert not any("reloading" in ln for ln in d.log_lines())  # not in the middle of the tick
        gate.release.set()
        d.wait_log(r"slo=p95_ms status=OK")  # the tick in progress finished with the old config
        d.wait_log(r"reloaded: 1 SLOs")
        wait_for(lambda: _slos(_metrics(d)) == {"availability"}, 30, "the new config in /metrics")
        assert d.stop() == 0
        assert "Traceback" not in d.log
    finally:
        d.kill()
        gate.close()
