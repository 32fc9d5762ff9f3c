"""Issue 8 item 9: the daemon's /metrics listener against hostile and odd clients (real daemon, raw sockets).

Each case is one family member: it gets a well-formed answer (or a silent
close for a client that never spoke), logs at most one line, prints no
traceback, and the daemon keeps ticking and serving /metrics to others.
Before the fix a 64 KiB line printed a traceback per request, slow clients
were held forever, and connections were unbounded.
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness beside this file, package or not
from daemon_harness import (
    SLO_ACCURACY,
    SLO_AVAILABILITY,
    Daemon,
    connect,
    exchange,
    read_response,
    responses,
    status_of,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.integration

GET = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("listener")
    d = Daemon(work, write_config(work / "slos.yaml", SLO_AVAILABILITY, SLO_ACCURACY)).started()
    wait_for(d.ticks, 60, "the first tick")
    yield d
    code = d.stop()
    assert code == 0, d.log
    assert "Traceback" not in d.log, d.log


def _lines_about(d: Daemon, sock_port: int) -> list[str]:
    return [ln for ln in d.log_lines() if f"127.0.0.1:{sock_port}:" in ln]


def _settled_lines_about(d: Daemon, sock_port: int) -> list[str]:
    """The log lines naming a connection, once every line the daemon wrote before now has been read.

    A malformed request from another connection is the marker: the daemon logs it after anything
    logged earlier, so once its line is read, so are the earlier ones.
    """
    with connect(d.port) as marker:
        marker_port = marker.getsockname()[1]
        marker.sendall(b"\x00\r\n\r\n")
        read_response(marker)
    wait_for(lambda: _lines_about(d, marker_port), 10, "the marker's log line")
    return _lines_about(d, sock_port)


def _case(d: Daemon, data: bytes, *, half_close: bool = False) -> tuple[bytes, list[str]]:
    """Send ``data`` on a fresh connection; the answer and the log lines naming that connection."""
    with connect(d.port) as sock:
        local = sock.getsockname()[1]
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = read_response(sock)
    return answer, _settled_lines_about(d, local)


def _still_healthy(d: Daemon) -> None:
    status, body = d.get("/metrics")
    assert status == 200 and 'slotui_slo_status_code{slo="availability"}' in body
    assert "Traceback" not in d.log


@pytest.mark.parametrize(
    "name, request_bytes",
    [
        ("long request line", b"GET /metrics?" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("long header line", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n"),
        ("head too big in total", b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-H%d: %s\r\n" % (i, b"c" * 900) for i in range(90)) + b"\r\n"),
        ("too many headers", b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n"),
    ],
)
def test_daemon_oversized_heads_get_431_and_one_log_line(daemon: Daemon, name: str, request_bytes: bytes) -> None:
    with connect(daemon.port) as sock:
        local = sock.getsockname()[1]
        try:
            sock.sendall(request_bytes)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_response(sock)
    assert status_of(answer) == 431, name
    assert b"Connection: close" in answer
    line = wait_for(lambda: _lines_about(daemon, local), 10, "the 431 log line")
    assert len(line) == 1 and " 431 " in line[0], line  # type: ignore[arg-type]
    _still_healthy(daemon)


@pytest.mark.parametrize(
    "name, request_bytes, status",
    [
        ("NUL in a header", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
        ("TLS client hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) + b"\r\n\r\n", 400),
        ("no version", b"GET /metrics\r\n\r\n", 400),
        ("space in header name", b"GET /metrics HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400),
        ("body too large", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n", 413),
        ("chunked body too large", b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         + b"8000\r\n" + b"y" * 0x8000 + b"\r\n" + b"8000\r\n" + b"y" * 0x8000 + b"\r\n" + b"10\r\n" + b"y" * 16
         + b"\r\n0\r\n\r\n", 413),
        ("non-ASCII target", "GET /métrics HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400),
        ("bad Content-Length", b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        ("Content-Length and chunked", b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("HTTP/1.1 without Host", b"GET /metrics HTTP/1.1\r\n\r\n", 400),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        ("HTTP/3.0 request line", b"GET /metrics HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ],
)
def test_daemon_malformed_requests_get_4xx(daemon: Daemon, name: str, request_bytes: bytes, status: int) -> None:
    with connect(daemon.port) as sock:
        local = sock.getsockname()[1]
        sock.sendall(request_bytes)
        answer = read_response(sock)
    assert status_of(answer) == status, name
    line = wait_for(lambda: _lines_about(daemon, local), 10, "the log line")
    assert len(line) == 1 and f" {status} " in line[0], line  # type: ignore[arg-type]
    _still_healthy(daemon)


@pytest.mark.parametrize("method", [b"POST", b"PUT", b"DELETE", b"OPTIONS", b"BREW"])
def test_daemon_bad_method_is_405_without_log(daemon: Daemon, method: bytes) -> None:
    answer, lines = _case(daemon, method + b" /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    [(status, headers, _)] = responses(answer)
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert lines == []


def test_daemon_unknown_path_is_404(daemon: Daemon) -> None:
    answer, lines = _case(daemon, b"GET /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    [(status, _, body)] = responses(answer)
    assert status == 404 and b"/metrics" in body and lines == []


def test_daemon_http10_gets_the_metrics_and_a_close(daemon: Daemon) -> None:
    answer, _ = _case(daemon, b"GET /metrics HTTP/1.0\r\n\r\n")  # read_response returns once the server closed
    [(status, headers, body)] = responses(answer)
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    assert int(headers["content-length"]) == len(body) and b"slotui_slos 2" in body


def test_daemon_keep_alive_answers_pipelined_requests_in_order(daemon: Daemon) -> None:
    answer, _ = _case(
        daemon,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    got = responses(answer)
    assert [s for s, _, _ in got] == [200, 404, 200]
    assert got[0][2] == b"ok\n" and b"slotui_slos 2" in got[2][2]


def test_daemon_head_has_length_but_no_body_and_keeps_framing(daemon: Daemon) -> None:
    answer, _ = _case(
        daemon,
        b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    head, sep, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and sep
    length = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")))
    assert length > 100  # the length of the GET body...
    [(status, _, body)] = responses(rest)  # ...but no body: the next bytes are the next response
    assert status == 200 and body == b"ok\n"


@pytest.mark.parametrize(
    "body_headers, body",
    [
        (b"Content-Length: 5\r\n", b"hello"),
        (b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
    ],
)
def test_daemon_get_with_a_body_is_answered_and_the_body_skipped(daemon: Daemon, body_headers: bytes, body: bytes) -> None:
    answer, _ = _case(
        daemon,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + body_headers + b"\r\n" + body
        + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert [(s, b) for s, _, b in responses(answer)] == [(200, b"ok\n"), (200, b"ok\n")]


def test_daemon_half_closed_client_still_gets_its_answer(daemon: Daemon) -> None:
    answer, lines = _case(daemon, GET, half_close=True)
    [(status, _, body)] = responses(answer)
    assert status == 200 and b"slotui_slos 2" in body and lines == []


def test_daemon_client_that_vanishes_mid_request_is_no_error(daemon: Daemon) -> None:
    answer, lines = _case(daemon, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Par", half_close=True)
    assert status_of(answer) == 400 and len(lines) <= 1
    _still_healthy(daemon)


def test_daemon_idle_connections_cannot_lock_out_a_scraper(daemon: Daemon) -> None:
    """100 idle connections (over the cap of 64): the scraper is still answered, the oldest idle ones are closed."""
    idle = [connect(daemon.port) for _ in range(100)]
    try:
        for _ in range(3):
            _still_healthy(daemon)

        def closed_count() -> int:
            n = 0
            for s in idle:
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        n += 1
                except BlockingIOError:
                    pass
                except ConnectionResetError:
                    n += 1
            return n

        # at most 64 connections stay open at once: 100 idle + 3 scrapes leave at most 64 of ours open
        assert wait_for(lambda: closed_count() >= 100 - 64 + 1 or None, 10, "the oldest idle connections closed")
    finally:
        for s in idle:
            s.close()
    _still_healthy(daemon)


def test_daemon_silent_and_trickling_clients_are_cut_at_the_head_deadline(daemon: Daemon) -> None:
    """A client that sends nothing is closed silently; one that trickles a byte at a time gets 408; both ~10 s."""
    t0 = time.monotonic()
    silent = connect(daemon.port, timeout=30)
    slow = connect(daemon.port, timeout=30)
    slow_port = slow.getsockname()[1]
    trickle = iter(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 1000)
    slow.settimeout(0.5)  # pacing of the trickle: wait for the server's answer half a second at a time
    answer = b""
    served_meanwhile = 0
    while time.monotonic() - t0 < 25:
        try:
            chunk = slow.recv(65536)
        except socket.timeout:
            slow.sendall(bytes([next(trickle)]))
            status, _ = daemon.get("/healthz")
            served_meanwhile += status == 200
            continue
        answer += chunk
        if not chunk:
            break
    cut_after = time.monotonic() - t0
    assert status_of(answer) == 408
    assert 9 <= cut_after < 15, cut_after
    assert served_meanwhile >= 10  # /healthz kept answering while the trickler was held
    silent.settimeout(10)
    assert silent.recv(1) == b""  # closed by the same deadline, without an answer
    assert time.monotonic() - t0 < 20
    silent.close()
    slow.close()
    line = wait_for(lambda: _lines_about(daemon, slow_port), 10, "the 408 log line")
    assert len(line) == 1 and " 408 " in line[0], line  # type: ignore[arg-type]
    _still_healthy(daemon)


def test_daemon_keeps_ticking_through_the_abuse(daemon: Daemon) -> None:
    before = daemon.ticks()
    for _ in range(20):
        exchange(daemon.port, b"\xff\xfe garbage\r\n\r\n")
    wait_for(lambda: daemon.ticks() > before, 30, "a new tick")
    _still_healthy(daemon)
