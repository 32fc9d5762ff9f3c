"""The /metrics listener's limits in-process, with small caps and deadlines (real sockets on loopback).

The subprocess tests in test_daemon_listener.py cover the daemon's defaults;
these drive the paths that need a client to misbehave for longer than a test
should wait at the defaults: a client that never reads its answer (write
deadline), every slot busy answering (503), eviction of idle connections,
and the rate limit of the log.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from slotui.output import metrics_listener
from slotui.output.metrics_listener import MetricsListener

pytestmark = pytest.mark.integration

BIG = b"x" * (32 * 1024 * 1024)  # far more than loopback socket buffers hold


def _route(path: str) -> tuple[int, str, bytes]:
    if path == "/broken":
        raise ValueError("a rendering bug")
    if path == "/big":
        return 200, "text/plain", BIG
    if path == "/metrics":
        return 200, "text/plain; version=0.0.4; charset=utf-8", b"up 1\n"
    return 404, "text/plain", b"no\n"


async def _until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.01)  # yield to the server between checks


async def _get(port: int, path: str = "/metrics") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
async def listener():
    lines: list[str] = []
    srv = MetricsListener(_route, "127.0.0.1", 0, log=lines.append, max_connections=2, head_timeout=0.5,
                          write_timeout=0.5)
    srv.lines = lines  # type: ignore[attr-defined]
    await srv.start()
    yield srv
    await srv.close()
    assert srv.open_connections == 0


async def test_daemon_client_that_never_reads_is_cut_at_the_write_deadline(listener: MetricsListener, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncio")
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")  # ...and never read
    await _until(lambda: listener.counts.get("timeout", 0) == 1)
    await _until(lambda: listener.open_connections == 0)
    assert await _get(listener.port) == (200, b"up 1\n")
    writer.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_daemon_route_that_raises_is_a_500_and_one_line(listener: MetricsListener, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncio")
    assert (await _get(listener.port, "/broken"))[0] == 500
    [line] = listener.lines  # type: ignore[attr-defined]
    assert line.startswith("metrics listener: 500 to 127.0.0.1:") and line.endswith("/broken: ValueError: a rendering bug")
    assert await _get(listener.port) == (200, b"up 1\n")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_daemon_503_when_every_slot_is_busy_answering(listener: MetricsListener) -> None:
    hogs = []
    for _ in range(2):  # both slots answering clients that do not read
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        hogs.append(writer)
    await _until(lambda: listener.open_connections == 2 and listener.counts.get("served", 0) == 0
                 and all(not c.waiting for c in listener._clients.values()))
    assert (await _get(listener.port))[0] == 503
    assert listener.counts["refused"] == 1
    assert sum("busy" in ln for ln in listener.lines) == 1  # type: ignore[attr-defined]
    await _until(lambda: listener.open_connections == 0)  # the hogs hit the write deadline
    assert await _get(listener.port) == (200, b"up 1\n")
    for w in hogs:
        w.close()


async def test_daemon_idle_connection_gives_its_slot_to_a_new_client(listener: MetricsListener) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", listener.port) for _ in range(2)]
    await _until(lambda: listener.open_connections == 2)
    assert await _get(listener.port) == (200, b"up 1\n")
    assert listener.counts["evicted"] == 1
    first_reader = idle[0][0]
    try:
        assert await asyncio.wait_for(first_reader.read(), 5) == b""  # the oldest idle one was closed
    except ConnectionResetError:
        pass
    for _, w in idle:
        w.close()


async def test_daemon_close_drops_open_connections_quietly(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncio")
    srv = MetricsListener(_route, "127.0.0.1", 0, log=lambda line: None, max_connections=4, head_timeout=30)
    await srv.start()
    clients = [await asyncio.open_connection("127.0.0.1", srv.port) for _ in range(3)]
    clients[0][1].write(b"GET /metr")  # one mid-request
    await _until(lambda: srv.open_connections == 3)
    await srv.close()
    assert srv.open_connections == 0
    for _, w in clients:
        w.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_daemon_listener_log_is_rate_limited() -> None:
    lines: list[str] = []
    now = [0.0]
    log = metrics_listener._RateLimitedLog(lines.append, clock=lambda: now[0])
    for i in range(metrics_listener.LOG_BURST + 5):
        log(f"line {i}")
    assert lines == [f"line {i}" for i in range(metrics_listener.LOG_BURST)]
    now[0] = metrics_listener.LOG_WINDOW
    log("later")
    assert lines[-2:] == [f"metrics listener: 5 more lines suppressed in the last {metrics_listener.LOG_WINDOW:g}s",
                          "later"]
