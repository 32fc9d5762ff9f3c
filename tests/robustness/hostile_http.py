"""Hostile loopback HTTP servers for the robustness tests of slotui's HTTP clients.

Every server is a real threaded HTTP server on ``127.0.0.1`` (port 0) that
records what it received, so a test can check which headers, query strings and
bodies crossed to it:

- :class:`Recorder`: answers every request with a fixed JSON document (the
  "other origin" a redirect points at), keeps each request;
- :class:`Redirector`: answers every request with a redirect (``status`` and a
  ``Location`` computed from the request), keeps each request;
- :class:`Streamer`: answers with a huge body generated chunk by chunk (never
  allocated whole) and counts the bytes it managed to write before the client
  hung up;
- :class:`Truncator`: answers 200 with fewer bytes than it announces, then closes;
- :class:`Trickler`: answers 200, then its body a byte at a time, never ending, and notes when
  the client hung up;
- :class:`Echo`: answers every request with ``status`` and a body echoing the
  request's headers (a receiver that quotes ``Authorization: Basic ...`` back).

Generators for the families (credential kinds, redirect kinds, secret-looking
parameter names) live here too, so every test file draws from the same lists.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Seen:
    """One request as received: method, raw path (with query), headers (names lower-case), body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        """Everything that crossed, as one string (to search for secrets)."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.method} {self.target}\n{head}\n\n{self.body.decode('latin-1')}"


class _Base:
    """A threaded loopback server whose handler calls :meth:`answer`."""

    def __init__(self, *, tls: tuple[Any, Any] | None = None) -> None:
        self.seen: list[Seen] = []
        self.scheme = "https" if tls else "http"
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with outer._lock:
                    outer.seen.append(seen)
                try:
                    outer.answer(self, seen)
                except (BrokenPipeError, ConnectionResetError):
                    outer.client_hung_up()

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def client_hung_up(self) -> None:
        pass

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None,
          ctype: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Recorder(_Base):
    """Answers ``status`` with ``document`` (JSON) and optional headers; records every request."""

    def __init__(self, document: Any = None, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.document = {"value": 1.5} if document is None else document
        self.status = status
        self.headers = dict(headers or {})

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        _send(handler, self.status, json.dumps(self.document).encode(), self.headers)


class Router(_Base):
    """Answers ``route(seen) -> (status, body bytes, headers)``."""

    def __init__(self, route: Callable[[Seen], tuple[int, bytes, dict[str, str]]], *,
                 tls: tuple[Any, Any] | None = None) -> None:
        super().__init__(tls=tls)
        self.route = route

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        status, body, headers = self.route(seen)
        _send(handler, status, body, headers)


class Redirector(_Base):
    """Answers every request with ``status`` and ``Location: where(seen)``."""

    def __init__(self, status: int, where: Callable[[Seen], str], *, tls: tuple[Any, Any] | None = None) -> None:
        super().__init__(tls=tls)
        self.status = status
        self.where = where

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        _send(handler, self.status, b"moved", {"Location": self.where(seen)}, ctype="text/plain")


class Streamer(_Base):
    """Answers 200 with ``total`` bytes of ``chunk`` repeated, written chunk by chunk (chunked
    transfer encoding when ``announce`` is False, else with a Content-Length of ``total``).

    ``written`` counts the bytes the client accepted before it hung up (socket buffers
    included): the bound a capped client must keep far below ``total``.
    """

    def __init__(self, total: int, *, chunk: bytes = b'{"pad": "' + b"x" * 65_500 + b'"}\n',
                 announce: bool = False, status: int = 200) -> None:
        super().__init__()
        self.total = total
        self.chunk = chunk
        self.announce = announce
        self.status = status
        self.written = 0
        self.finished = threading.Event()

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        handler.send_response(self.status)
        handler.send_header("Content-Type", "application/json")
        if self.announce:
            handler.send_header("Content-Length", str(self.total))
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            left = self.total
            while left > 0:
                piece = self.chunk[: min(len(self.chunk), left)]
                if self.announce:
                    handler.wfile.write(piece)
                else:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.written += len(piece)
                left -= len(piece)
            if not self.announce:
                handler.wfile.write(b"0\r\n\r\n")
        finally:
            self.finished.set()

    def client_hung_up(self) -> None:
        self.finished.set()


class Truncator(_Base):
    """Answers 200 announcing ``announced`` bytes (Content-Length), sends ``body`` (fewer) and closes
    the connection: a body cut off in the middle."""

    def __init__(self, body: bytes, announced: int) -> None:
        super().__init__()
        self.body = body
        self.announced = announced

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(self.announced))
        handler.end_headers()
        handler.wfile.write(self.body)
        handler.wfile.flush()
        handler.close_connection = True


class Trickler(_Base):
    """Answers 200 at once, then its body one byte every ``every`` seconds, never ending (a stalled
    proxy): no single read ever waits long enough for a read timeout. ``hung_up`` is set once the
    client has closed the connection (a write failed)."""

    def __init__(self, *, every: float = 0.1, announce: bool = True) -> None:
        super().__init__()
        self.every = every
        self.announce = announce
        self.hung_up = threading.Event()
        self._stop = threading.Event()

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if self.announce:
            handler.send_header("Content-Length", "1000000")
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while not self._stop.wait(self.every):  # the server's pace, not a test waiting for work
            handler.wfile.write(b" " if self.announce else b"1\r\n \r\n")
            handler.wfile.flush()

    def client_hung_up(self) -> None:
        self.hung_up.set()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        super().__exit__(*exc)


class Echo(_Base):
    """Answers ``status`` with a JSON body quoting every request header back (a careless receiver)."""

    def __init__(self, status: int = 400) -> None:
        super().__init__()
        self.status = status

    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        echoed = "; ".join(f"{k}: {v}" for k, v in seen.headers.items())
        body = json.dumps({"message": f"rejected request with headers {echoed} at {seen.target}"}).encode()
        _send(handler, self.status, body)


# --------------------------------------------------------------------------- families

#: Every redirect status a server may answer.
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

#: Query parameter names that carry credentials (all must be masked) ...
SECRET_PARAM_NAMES = (
    "key", "api_key", "apikey", "api-key", "apiKey", "token", "access_token", "accessToken", "secret",
    "client_secret", "password", "passwd", "pwd", "sig", "signature", "X-Amz-Signature", "X-Amz-Credential",
    "auth", "credential", "session", "session_id", "sessionid", "jwt",
)
#: ... and ordinary names that merely contain such a word (none may be masked).
PLAIN_PARAM_NAMES = ("monkey", "author", "keyboard_layout", "tokenizer_name", "passage", "signal", "sessions_count",
                     "page", "step", "query")


@dataclass(frozen=True)
class Credential:
    """One way to configure a credential on an HTTP source: the config keys it adds and the
    strings that must never reach another origin when it is used."""

    kind: str
    config: dict[str, Any]
    leaks: tuple[str, ...]


def credentials() -> Iterator[Credential]:
    """Every credential kind an HTTP source can carry (the url's user-info and query are
    applied by :func:`with_url_credentials`)."""
    yield Credential("bearer", {"bearer_token": "bearerTOKEN-0a1b2c3d"}, ("bearerTOKEN-0a1b2c3d",))
    basic = base64.b64encode(b"alice:basicPASS-77xy").decode()
    yield Credential("basic", {"basic_auth": {"username": "alice", "password": "basicPASS-77xy"}},
                     ("basicPASS-77xy", basic))
    yield Credential("x-api-key", {"headers": {"X-API-Key": "apiKEY-5566aa"}}, ("apiKEY-5566aa",))
    yield Credential("custom-header", {"headers": {"X-Scope-OrgID": "tenantSECRET-42"}}, ("tenantSECRET-42",))
    yield Credential("cookie", {"headers": {"Cookie": "session=cookieSESSION-99"}}, ("cookieSESSION-99",))
    yield Credential("authorization-header", {"headers": {"Authorization": "Token rawAUTH-8080"}}, ("rawAUTH-8080",))
    yield Credential("url-userinfo", {"userinfo": "bob:userinfoPW-31"},
                     ("userinfoPW-31", base64.b64encode(b"bob:userinfoPW-31").decode()))
    yield Credential("url-query", {"query": "api_key=queryKEY-1357"}, ("queryKEY-1357",))


def with_url_credentials(url: str, cred: Credential) -> tuple[str, dict[str, Any]]:
    """(url, config extras) for ``cred``: user-info and query credentials go into the URL."""
    extra = dict(cred.config)
    userinfo = extra.pop("userinfo", None)
    query = extra.pop("query", None)
    if userinfo:
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://{userinfo}@{rest}"
    if query:
        url = f"{url}{'&' if '?' in url else '?'}{query}"
    return url, extra


def host_port(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"
