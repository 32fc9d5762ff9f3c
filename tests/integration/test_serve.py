"""``slotui serve`` in a real headless Chromium (Debian's, driven by Playwright).

The page loads, the table's rows arrive over textual-serve's websocket, a
screenshot is kept in the test's temp dir, and in read-only mode (the default)
the mute key is refused. The refusals of unsafe hosts are checked without a
browser.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_server import free_port
from receivers import require_binary

pytestmark = pytest.mark.integration

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "slotui", "serve", "--port", str(port), "--state", str(tmp_path / "state.db"),
         *extra],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"slotui serve exited {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                if resp.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.05)  # the server is not listening yet: poll again
    proc.kill()
    raise AssertionError("slotui serve never answered")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


class Screen:
    """What the browser received over the websocket, as plain text."""

    def __init__(self) -> None:
        self.raw = ""

    def feed(self, payload: bytes | str) -> None:
        data = payload.encode("latin-1", "ignore") if isinstance(payload, str) else payload
        self.raw += data.decode("utf-8", "ignore")

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)


def test_the_table_in_a_browser_read_only_refuses_mute(tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # the test extras install it
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed (pip install -e '.[test]')")
        pytest.skip("playwright is not installed")

    proc, port = _serve(tmp_path)
    screen = Screen()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS,
                                         headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            with page.expect_websocket(timeout=30_000) as ws_info:
                page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            ws = ws_info.value

            def seen(*needles: str):
                def predicate(payload: bytes | str) -> bool:
                    screen.feed(payload)
                    return all(n in screen.text for n in needles)
                return predicate

            # the demo's rows (embedded example: five SLOs) reach the browser
            if not all(n in screen.text for n in ("availability", "response_time_p95_ms")):
                ws.wait_for_event("framereceived", predicate=seen("availability", "response_time_p95_ms",
                                                                     "cost_per_query"), timeout=60_000)
            page.screenshot(path=str(tmp_path / "serve.png"))
            if os.environ.get("SLOTUI_KEEP_SCREENSHOT"):
                page.screenshot(path=os.environ["SLOTUI_KEEP_SCREENSHOT"])
            assert (tmp_path / "serve.png").stat().st_size > 1000

            page.locator("body").click()
            page.keyboard.press("m")
            ws.wait_for_event("framereceived", predicate=seen("read-only"), timeout=30_000)
            assert "muted until lifted" not in screen.text
            browser.close()
    finally:
        _stop(proc)
    # nothing was silenced in the state file
    from slotui.store import Store

    with Store.open(tmp_path / "state.db") as store:
        assert store.list_silences(time.time()) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "0", "192.168.1.5", "example.com"])
def test_a_public_host_needs_an_explicit_mode(tmp_path: Path, host: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "slotui", "serve", "--host", host, "--port", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3  # a refused command line: UNKNOWN, as every command
    assert "not a loopback address" in proc.stderr and "--read-only" in proc.stderr
    assert "Traceback" not in proc.stderr
    if not host:  # '' binds every interface: said so, not "serve on , which"
        assert "'' (every interface)" in proc.stderr


def test_serve_reports_a_broken_config_before_serving(tmp_path: Path) -> None:
    bad = tmp_path / "slos.yaml"
    bad.write_text("slos:\n  - name: x\n    target: [1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "slotui", "serve", "-c", str(bad), "--port", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert "slos.yaml:" in proc.stderr and "Traceback" not in proc.stderr


def test_loopback_hosts() -> None:
    from slotui.commands.serve import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5") and not is_loopback("example.com")


def _websocket_status(port: int, origin: str | None, host: str | None = None) -> int:
    """The HTTP status of a websocket handshake to /ws (101: accepted), from a raw socket."""
    import base64
    import socket

    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET /ws?width=80&height=24 HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


def test_a_websocket_from_another_site_is_refused(tmp_path: Path) -> None:
    """Any page open in the operator's browser could open ws://127.0.0.1:PORT/ws: it read the SLO
    table and, with --allow-actions, muted SLOs (loopback binding does not stop the browser itself).
    Another site's Origin, and a DNS-rebound Host name, are refused; the page's own origin is not."""
    proc, port = _serve(tmp_path, "--allow-actions")
    try:
        assert _websocket_status(port, "http://evil.example") == 403
        assert _websocket_status(port, "http://evil.example:{}".format(port), host=f"evil.example:{port}") == 403
        assert _websocket_status(port, f"http://127.0.0.1:{port}") == 101
        assert _websocket_status(port, f"http://localhost:{port}", host=f"localhost:{port}") == 101
    finally:
        _stop(proc)
