"""The daemon's HTTP listener for ``/metrics`` and ``/healthz``, hardened against hostile clients.

HTTP/1.1 is parsed by h11 (python-hyper's sans-I/O HTTP library, already
installed with httpx; about 5 ms to import, paid only when the daemon starts
its listener); this module owns the I/O and the limits:

- the request head (request line and headers) may be at most
  :data:`MAX_HEAD_BYTES` and :data:`MAX_HEADERS` lines, else ``431``;
- the whole request head must arrive within :data:`HEAD_TIMEOUT` seconds of
  the moment the listener starts waiting for it (a client that sends nothing
  is closed silently, a partial head gets ``408``), and a request body (read
  and discarded) within the same deadline, up to :data:`MAX_BODY_BYTES` (else
  ``413``);
- a response must be taken by the client within :data:`WRITE_TIMEOUT`;
- at most :data:`MAX_CONNECTIONS` connections are open at once. When full, a
  new connection takes the slot of the connection that has waited longest for
  its request head (idle or trickling); if every slot is busy answering, the
  newcomer gets ``503``. So idle or slow clients can never lock out a scraper.

Only ``GET`` and ``HEAD`` are served (others ``405``); unknown paths ``404``;
keep-alive as HTTP/1.1 defines it (HTTP/1.0 closes after each response).
A bad request never prints a traceback: it is answered and logged in at most
one line, and those lines are rate-limited so a flood cannot flood the log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import h11

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 64 * 1024
HEAD_TIMEOUT = 10.0
WRITE_TIMEOUT = 10.0
MAX_CONNECTIONS = 64
#: After an error response the connection is half-closed and what the client
#: still sends is read and dropped for this long, so it reads the response
#: instead of a reset.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
#: At most this many log lines per :data:`LOG_WINDOW` seconds; the rest are counted.
LOG_BURST = 60
LOG_WINDOW = 60.0

_READ_CHUNK = 16 * 1024

#: ``route(path) -> (status, content type, body)`` for GET and HEAD.
Route = Callable[[str], "tuple[int, str, bytes]"]


class _Refused(Exception):
    """Answer this status, log ``reason``, then close."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Silent(Exception):
    """Close without an answer or a log line (an idle client timed out, the peer went away)."""


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    task: asyncio.Task | None
    #: True while waiting for a request head: such a connection may give its slot to a newcomer.
    waiting: bool = True
    since: float = field(default_factory=time.monotonic)


class _RateLimitedLog:
    def __init__(self, log: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> None:
        self._log = log
        self._clock = clock
        self._window_start = float("-inf")
        self._count = 0
        self._suppressed = 0

    def __call__(self, line: str) -> None:
        now = self._clock()
        if now - self._window_start >= LOG_WINDOW:
            if self._suppressed:
                self._log(f"metrics listener: {self._suppressed} more lines suppressed in the last {LOG_WINDOW:g}s")
            self._window_start, self._count, self._suppressed = now, 0, 0
        if self._count < LOG_BURST:
            self._count += 1
            self._log(line)
        else:
            self._suppressed += 1


_REASONS = {
    200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
    413: "Content Too Large", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
    503: "Service Unavailable", 505: "HTTP Version Not Supported",
}


def _status_line_response(status: int, body: bytes) -> bytes:
    """A complete ``Connection: close`` response built without h11 (for refusals before parsing)."""
    return (
        f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


class MetricsListener:
    """Serves ``route`` over HTTP/1.1 on ``host:port``; ``await start()``, then ``await close()``."""

    def __init__(
        self,
        route: Route,
        host: str,
        port: int,
        *,
        log: Callable[[str], None],
        max_connections: int = MAX_CONNECTIONS,
        head_timeout: float = HEAD_TIMEOUT,
        write_timeout: float = WRITE_TIMEOUT,
    ) -> None:
        self.route = route
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.head_timeout = head_timeout
        self.write_timeout = write_timeout
        self._log = _RateLimitedLog(log)
        self._clients: dict[int, _Client] = {}
        self._server: asyncio.AbstractServer | None = None
        self._full_logged = False
        self._refusing = 0
        self._refusals: set[_Client] = set()
        self._handlers: set[asyncio.Task] = set()
        #: what happened, for tests and the log: "served", "evicted", "refused", "timeout", "bad"
        self.counts: dict[str, int] = {}

    async def start(self) -> int:
        """Bind and listen; returns the port (useful with port 0)."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for client in [*self._clients.values(), *self._refusals]:
            if client.task is not None:
                client.task.cancel()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()

    @property
    def open_connections(self) -> int:
        return len(self._clients)

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    # ------------------------------------------------------------------ connections

    def _make_room(self) -> bool:
        """Free a slot by closing the connection that has waited longest for a request head."""
        waiting = [c for c in self._clients.values() if c.waiting and c.task is not None]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.since)
        del self._clients[id(oldest)]
        assert oldest.task is not None
        oldest.task.cancel()
        self._count("evicted")
        return True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # asyncio logs a traceback when this callback's own task ends cancelled, so eviction and
        # shutdown cancel an inner task instead, and this one always returns normally.
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        peer = _peer(writer)
        full = len(self._clients) >= self.max_connections and not self._make_room()
        if full and self._refusing >= self.max_connections:  # refusals linger too: they are capped as well
            self._count("refused")
            writer.transport.abort()
            self._handlers.discard(handler)
            return
        if len(self._clients) < self.max_connections // 2:
            self._full_logged = False
        client = _Client(writer, None, waiting=not full)
        if full:
            self._count("refused")
            if not self._full_logged:
                self._full_logged = True
                self._log(f"metrics listener: {self.max_connections} connections busy; answering 503 to {peer}")
            self._refusing += 1
            work = self._answer_and_linger(reader, writer, _status_line_response(503, b"too many connections\n"))
        else:
            self._clients[id(client)] = client
            writer.transport.set_write_buffer_limits(high=0)  # drain() returns once the client took everything
            work = self._serve(reader, writer, client, peer)
        client.task = asyncio.create_task(work)
        if full:
            self._refusals.add(client)
        try:
            await client.task
        except asyncio.CancelledError:  # evicted, or the listener is closing
            writer.transport.abort()
        except Exception as exc:  # the listener must never print a traceback for a client
            self._log(f"metrics listener: internal error with {peer}: {type(exc).__name__}: {exc}")
            writer.transport.abort()
        finally:
            if full:
                self._refusing -= 1
                self._refusals.discard(client)
            self._clients.pop(id(client), None)
            if not writer.transport.is_closing():
                writer.close()
            self._handlers.discard(handler)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: _Client, peer: str) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        loop = asyncio.get_running_loop()
        while True:
            client.waiting, client.since = True, time.monotonic()
            deadline = loop.time() + self.head_timeout
            try:
                buffered = len(conn.trailing_data[0])
                fed = [0]
                event = await self._next_event(conn, reader, deadline, head=True, fed=fed)
                if isinstance(event, h11.ConnectionClosed):
                    return
                assert isinstance(event, h11.Request)
                client.waiting = False
                # h11 bounds an *incomplete* head; a complete one that arrived in a big read may be longer.
                if buffered + fed[0] - len(conn.trailing_data[0]) > MAX_HEAD_BYTES:
                    raise _Refused(431, f"request head over {MAX_HEAD_BYTES} bytes")
                if len(event.headers) > MAX_HEADERS:
                    raise _Refused(431, f"more than {MAX_HEADERS} header lines")
                if event.http_version not in (b"1.0", b"1.1"):
                    raise _Refused(505, f"HTTP/{event.http_version.decode('ascii', 'replace')} is not spoken here")
                names = {name for name, _ in event.headers}
                if b"content-length" in names and b"transfer-encoding" in names:
                    raise _Refused(400, "both Content-Length and Transfer-Encoding (ambiguous framing)")
                length = _content_length(event)
                if length is not None and length > MAX_BODY_BYTES:
                    raise _Refused(413, f"request body of {length} bytes (at most {MAX_BODY_BYTES})")
                received = 0
                while True:  # a body (unusual on GET) is read and dropped, within the same deadline
                    part = await self._next_event(conn, reader, deadline, head=False)
                    if isinstance(part, h11.EndOfMessage):
                        break
                    if isinstance(part, h11.Data):
                        received += len(part.data)
                        if received > MAX_BODY_BYTES:
                            raise _Refused(413, f"request body over {MAX_BODY_BYTES} bytes")
            except _Refused as refusal:
                self._count("bad" if refusal.status != 408 else "timeout")
                self._log(f"metrics listener: {refusal.status} to {peer}: {refusal.reason}")
                if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    body = f"{_REASONS.get(refusal.status, 'error').lower()}: {refusal.reason}\n".encode()
                    await self._answer_and_linger(reader, writer, _status_line_response(refusal.status, body))
                return
            except _Silent:
                self._count("timeout")
                return
            method = event.method.decode("ascii", "replace")
            target = event.target.decode("ascii", "replace")
            path = target.split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                status, ctype, body = 405, "text/plain; charset=utf-8", b"method not allowed: use GET or HEAD\n"
            else:
                try:
                    status, ctype, body = self.route(path)
                except Exception as exc:  # a rendering bug answers 500 and is logged, the listener goes on
                    self._log(f"metrics listener: 500 to {peer}: {path}: {type(exc).__name__}: {exc}")
                    status, ctype, body = 500, "text/plain; charset=utf-8", b"internal error; see the daemon's log\n"
            headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
            if status == 405:
                headers.append(("Allow", "GET, HEAD"))
            data = conn.send(h11.Response(status_code=status, headers=headers, reason=_REASONS.get(status, "")))
            if method != "HEAD":
                data += conn.send(h11.Data(data=body))
            data += conn.send(h11.EndOfMessage())
            if not await self._write(writer, data):
                return
            self._count("served")
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _next_event(
        self, conn: h11.Connection, reader: asyncio.StreamReader, deadline: float, *, head: bool, fed: list[int] | None = None
    ):
        """The next h11 event, reading as needed until ``deadline``; protocol errors become :class:`_Refused`.

        ``fed[0]`` is increased by the number of bytes read.
        """
        loop = asyncio.get_running_loop()
        started_empty = head and not conn.trailing_data[0]
        seen = 0
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint if exc.error_status_hint in (400, 413, 431) else 400
                if status == 431:
                    raise _Refused(431, f"request head over {MAX_HEAD_BYTES} bytes") from None
                raise _Refused(status, f"malformed request: {exc}") from None
            if event is not h11.NEED_DATA:
                return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                if started_empty and seen == 0:
                    raise _Silent()
                raise _Refused(408, f"request not complete after {self.head_timeout:g}s")
            try:
                chunk = await asyncio.wait_for(reader.read(_READ_CHUNK), remaining)
            except asyncio.TimeoutError:
                continue  # the deadline check above decides
            except ConnectionError:
                raise _Silent() from None
            seen += len(chunk)
            if fed is not None:
                fed[0] += len(chunk)
            conn.receive_data(chunk)  # b"" is the end of the stream

    async def _write(self, writer: asyncio.StreamWriter, data: bytes) -> bool:
        """Send ``data``; False (connection aborted) if the client does not take it in time or went away."""
        try:
            writer.write(data)
            await asyncio.wait_for(writer.drain(), self.write_timeout)
            return True
        except (asyncio.TimeoutError, ConnectionError):
            self._count("timeout")
            writer.transport.abort()
            return False

    async def _answer_and_linger(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> None:
        """Send a ``Connection: close`` answer, half-close, and drop what the client still sends for a
        moment: closing with unread input would reset the connection before the client reads the answer."""
        if not await self._write(writer, data):
            return
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (OSError, RuntimeError):
            return
        loop = asyncio.get_running_loop()
        end = loop.time() + LINGER_SECONDS
        dropped = 0
        try:
            while dropped < LINGER_BYTES and loop.time() < end:
                chunk = await asyncio.wait_for(reader.read(_READ_CHUNK), end - loop.time())
                if not chunk:
                    break
                dropped += len(chunk)
        except (asyncio.TimeoutError, ConnectionError):
            pass


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _peer(writer: asyncio.StreamWriter) -> str:
    info = writer.get_extra_info("peername")
    if isinstance(info, tuple) and len(info) >= 2:
        return f"{info[0]}:{info[1]}"
    return "unknown peer"
