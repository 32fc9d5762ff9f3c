"""A real ``slotui run --headless`` in a subprocess, its log collected as it comes, and raw-socket clients.

Everything waits by polling a condition against a deadline; nothing sleeps a
fixed time to let work happen.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: One ratio SLO and one threshold SLO on the demo source, ticking every second.
CONFIG = """\
version: 1
defaults: {{interval: {interval}}}
sources:
  demo: {{type: demo, seed: 7}}
slos:
{slos}
"""
SLO_AVAILABILITY = """\
  - name: availability
    ratio: {good: "error.type == null"}
    objective: {target: 0.995}
"""
SLO_ACCURACY = """\
  - name: accuracy
    sli: {field: evaluations.accuracy, agg: mean}
    objective: {target: 0.90, warning: 0.85, critical: 0.75}
"""


def write_config(path: Path, *slos: str, interval: str = "1s", extra: str = "") -> Path:
    path.write_text(CONFIG.format(interval=interval, slos="".join(slos or (SLO_AVAILABILITY,))) + extra)
    return path


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.02)  # polling period, not a wait for work


class Daemon:
    """``slotui run --headless`` on a config in ``workdir``; ``stop()`` sends SIGTERM and returns the exit code."""

    def __init__(self, workdir: Path, config: Path | None, *, state: Path | None = None, listen: str = "127.0.0.1:0",
                 extra: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        self.state = state or workdir / "state.db"
        argv = [sys.executable, "-m", "slotui", "run", "--headless", "--listen", listen, "--state", str(self.state)]
        if config is not None:
            argv += ["-c", str(config)]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [*argv, *extra], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port: int | None = None

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def log_lines(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def wait_log(self, pattern: str, timeout: float = 30.0, *, after: int = 0) -> re.Match[str]:
        """The first log line (from index ``after``) matching ``pattern``."""

        def find() -> re.Match[str] | None:
            if self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log}")
            for line in self.log_lines()[after:]:
                m = re.search(pattern, line)
                if m:
                    return m
            return None

        return wait_for(find, timeout, f"log line {pattern!r}")  # type: ignore[return-value]

    def started(self, timeout: float = 30.0) -> Daemon:
        m = self.wait_log(r"listening on http://127\.0\.0\.1:(\d+)/metrics", timeout)
        self.port = int(m.group(1))
        return self

    def ticks(self) -> float:
        """``slotui_last_evaluation_timestamp_seconds`` from /metrics (0 before the first tick)."""
        status, body = self.get("/metrics")
        m = re.search(r"^slotui_last_evaluation_timestamp_seconds (\S+)$", body, re.M)
        return float(m.group(1)) if status == 200 and m else 0.0

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=10)


def connect(port: int, timeout: float = 15.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return sock


def read_response(sock: socket.socket, timeout: float = 15.0) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout``)."""
    sock.settimeout(timeout)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(port: int, data: bytes, *, half_close: bool = False, timeout: float = 15.0) -> bytes:
    """Send ``data`` on a fresh connection and return all the server answers until it closes."""
    with connect(port, timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_response(sock, timeout)


def status_of(response: bytes) -> int:
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    assert m, f"not an HTTP response: {response[:200]!r}"
    return int(m.group(1))


def responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split a stream of HTTP/1.1 responses with Content-Length (HEAD answers carry no body: see ``head``)."""
    out = []
    rest = data
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, f"incomplete response head: {head[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        n = int(headers.get("content-length", "0"))
        body, rest = rest[:n], rest[n:]
        out.append((status, headers, body))
    return out
