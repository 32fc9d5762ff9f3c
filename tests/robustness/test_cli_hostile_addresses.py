"""Ports and intervals at the CLI (real subprocesses): out of range, taken, or absurd.

``serve --port 99999`` and ``run --listen 127.0.0.1:99999`` got as far as ``bind()`` and died with an
OverflowError traceback; a port already taken gave ``serve`` an OSError traceback; ``--refresh
99999999d`` was accepted. Each is now a one-line error and exit 3 (UNKNOWN).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from slotui.listen_address import parse_listen, parse_port


def slotui(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLOTUI_STATE": str(tmp_path / "state.db")}
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)


def refused(out: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert out.returncode == 3, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    for fragment in fragments:
        assert fragment in out.stderr, (fragment, out.stderr)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("port", ["99999", "-1", "0", "65536", "http", "80.5"])
def test_serve_port_out_of_range(port: str, tmp_path: Path) -> None:
    refused(slotui("serve", f"--port={port}", tmp_path=tmp_path), "argument --port: expected a port from 1 to 65535")


@pytest.mark.parametrize("listen", ["127.0.0.1:99999", "127.0.0.1:65536", "[::1]:70000"])
def test_run_listen_port_out_of_range(listen: str, tmp_path: Path) -> None:
    refused(slotui("run", "--headless", "--once", "--listen", listen, tmp_path=tmp_path),
            "expected a port from 0 to 65535")


def test_serve_on_a_taken_port(taken_port: int, tmp_path: Path) -> None:
    refused(slotui("serve", "--port", str(taken_port), tmp_path=tmp_path),
            f"cannot listen on 127.0.0.1:{taken_port}", "address already in use")


def test_run_on_a_taken_port(taken_port: int, tmp_path: Path) -> None:
    refused(slotui("run", "--headless", "--once", "--listen", f"127.0.0.1:{taken_port}", tmp_path=tmp_path),
            "address already in use")


@pytest.mark.parametrize(("refresh", "fragment"), [("99999999d", "at most 366d"), ("0.5s", "at least 1s"),
                                                   ("nan", "expected a duration")])
def test_tui_refresh_out_of_range(refresh: str, fragment: str, tmp_path: Path) -> None:
    refused(slotui("tui", "--refresh", refresh, tmp_path=tmp_path), "--refresh:", fragment)


def test_parse_port_and_listen() -> None:
    assert parse_port("1") == 1 and parse_port("65535") == 65535 and parse_port("0", ephemeral=True) == 0
    for bad in ("0", "65536", "-1", "", " ", "1e3", "٣"):  # the last: an Arabic-Indic digit, isdigit() but no port
        with pytest.raises(ValueError, match="expected a port from 1 to 65535"):
            parse_port(bad)
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_listen("[::1]:9464") == ("::1", 9464)
    assert parse_listen(":9464") == ("127.0.0.1", 9464)
    assert parse_listen("none") is None
    with pytest.raises(ValueError, match="expected a port from 0 to 65535"):
        parse_listen("127.0.0.1:65536")


# ``--listen`` hosts that cannot be bound said only ``slotui run: [Errno -2] Name or service not known``
# (no option, no address); an IPv6 listener logged ``http://::1:PORT/metrics``, a URL no client can open.

@pytest.mark.parametrize(("listen", "fragment"), [
    ("nonexistent.invalid:9464", "--listen nonexistent.invalid:9464: cannot listen there: "),
    ("999.1.1.1:9464", "--listen 999.1.1.1:9464: cannot listen there: "),
    ("192.0.2.1:0", "--listen 192.0.2.1:0: cannot listen there: cannot assign requested address"),
])
def test_run_listen_on_an_address_that_is_not_ours(listen: str, fragment: str, tmp_path: Path) -> None:
    out = slotui("run", "--headless", "--once", "--listen", listen, tmp_path=tmp_path)
    refused(out, fragment)
    assert "[Errno" not in out.stderr and "error while attempting to bind" not in out.stderr, out.stderr


def test_run_on_a_taken_port_names_the_option(taken_port: int, tmp_path: Path) -> None:
    out = slotui("run", "--headless", "--once", "--listen", f"127.0.0.1:{taken_port}", tmp_path=tmp_path)
    refused(out, f"--listen 127.0.0.1:{taken_port}: cannot listen there: address already in use")


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback() and not os.environ.get("CI"), reason="no IPv6 loopback here")
def test_run_on_ipv6_logs_a_url_that_opens(tmp_path: Path) -> None:
    import re
    import urllib.request

    out = slotui("run", "--headless", "--once", "--listen", "[::1]:0", tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    m = re.search(r"listening on (http://\S+/metrics)", out.stderr)
    assert m and m.group(1).startswith("http://[::1]:"), out.stderr
    from slotui.listen_address import http_url

    assert http_url("::1", 9464, "/metrics") == "http://[::1]:9464/metrics"
    assert http_url("127.0.0.1", 9464) == "http://127.0.0.1:9464/"
    assert http_url("localhost", 1, "/x") == "http://localhost:1/x"
    # the bracketed form is one urllib (and every HTTP client) parses into host ::1
    assert urllib.request.urlparse(m.group(1)).hostname == "::1"
