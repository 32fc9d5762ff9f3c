"""Real receivers on 127.0.0.1 for channel and delivery tests.

- :class:`HTTPReceiver`: a threaded HTTP server on a free port that records
  every request (method, path, headers, body, parsed JSON) and answers from a
  programmable script (``[Reply(429, headers={"Retry-After": "1"}), Reply(200)]``),
  then a default reply. An optional ``validator`` checks each request the way
  the real service would (the SaaS payload shapes below) and answers 400 with
  the violations, which are also kept in ``violations``.
- :func:`slack_violations`, :func:`pagerduty_violations`,
  :func:`webhook_v4_violations`: the payload shapes of Slack incoming webhooks,
  PagerDuty Events API v2 and Alertmanager webhook v4, as validators.
- :class:`SMTPReceiver`: an aiosmtpd server (optionally STARTTLS-only,
  implicit TLS, AUTH LOGIN/PLAIN with one user) recording each message.
- :func:`self_signed_cert`: a throwaway CA-free certificate for 127.0.0.1.
- :class:`AlertmanagerProcess`: the real ``prometheus-alertmanager`` binary
  on a free loopback port with a throwaway config and storage.

Waiting is on conditions with deadlines (``wait_for_requests``), never sleeps.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------- HTTP


@dataclass
class Reply:
    """One scripted answer: status, body (str, bytes or JSON-able), headers,
    and an optional ``delay`` (seconds) to act as a slow receiver."""

    status: int = 200
    body: Any = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    reply_status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


Validator = Callable[["Recorded"], list[str]]


class HTTPReceiver:
    """A local HTTP server that records requests and answers from a script.

    Use as a context manager: ``with HTTPReceiver(default=Reply(200, "ok")) as r:
    ... r.url ...``. ``script(*replies)`` queues answers used in order; after
    that, ``default`` answers. With a ``validator``, a request it finds fault
    with is answered ``Reply(400, violations)`` instead (before the script).
    """

    def __init__(
        self,
        *,
        default: Reply | None = None,
        validator: Validator | None = None,
        invalid_reply: Callable[[list[str]], Reply] | None = None,
    ) -> None:
        self.default = default or Reply(200, "ok")
        self.validator = validator
        self.invalid_reply = invalid_reply or (lambda errors: Reply(400, "; ".join(errors)))
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self._script: list[Reply] = []
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -----------------------------------------------------------
    def scripted_left(self) -> int:
        """How many scripted replies no request has taken yet (a request takes one as it arrives)."""
        with self._cond:
            return len(self._script)

    def script(self, *replies: Reply) -> "HTTPReceiver":
        with self._cond:
            self._script.extend(replies)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> list[Recorded]:
        """Block until at least ``n`` requests were answered (or fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} requests within {timeout}s, got {len(self.requests)}")
                self._cond.wait(left)
            return list(self.requests)

    async def await_requests(self, n: int, timeout: float = 10.0) -> list[Recorded]:
        import asyncio

        return await asyncio.to_thread(self.wait_for_requests, n, timeout)

    # -- server ------------------------------------------------------------
    def _answer(self, rec_partial: Recorded) -> Reply:
        if self.validator is not None:
            errors = self.validator(rec_partial)
            if errors:
                with self._cond:
                    self.violations.extend(errors)
                return self.invalid_reply(errors)
        with self._cond:
            return self._script.pop(0) if self._script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(self.command, self.path, dict(self.headers.items()), body, 0)
                reply = receiver._answer(rec)
                if reply.delay:
                    time.sleep(reply.delay)  # simulates a slow receiver, not a wait for work
                data, ctype = reply.encoded()
                rec.reply_status = reply.status
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.headers.get("Content-Type", ctype))
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        if k.lower() != "content-type":
                            self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout test)
                finally:
                    with receiver._cond:
                        receiver.requests.append(rec)
                        receiver._cond.notify_all()

            do_POST = do_GET = do_PUT = do_DELETE = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        return Handler

    def __enter__(self) -> "HTTPReceiver":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------- payload shapes

SLACK_BLOCK_TYPES = {"header", "section", "context", "actions", "divider", "image", "rich_text", "input", "file"}


def _text_obj(obj: Any, where: str, limit: int, types: Iterable[str] = ("plain_text", "mrkdwn")) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: text object missing"]
    errs = []
    if obj.get("type") not in set(types):
        errs.append(f"{where}: text type {obj.get('type')!r} not in {sorted(types)}")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errs.append(f"{where}: text must be a non-empty string")
    elif len(text) > limit:
        errs.append(f"{where}: text has {len(text)} characters, more than {limit}")
    return errs


def slack_violations(req: Recorded) -> list[str]:
    """Slack incoming webhook payload rules (Block Kit limits)."""
    errs: list[str] = []
    if req.method != "POST":
        return [f"method {req.method}"]
    if not (req.header("Content-Type") or "").startswith("application/json"):
        errs.append("Content-Type is not application/json")
    try:
        body = req.json
    except ValueError:
        return ["invalid_payload: not JSON"]
    if not isinstance(body, dict):
        return ["invalid_payload: not an object"]
    if not isinstance(body.get("text"), str) or not body["text"]:
        errs.append("text fallback missing")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return errs + ["blocks missing"]
    if len(blocks) > 50:
        errs.append(f"invalid_blocks: {len(blocks)} blocks, more than 50")
    for i, b in enumerate(blocks):
        t = b.get("type") if isinstance(b, dict) else None
        where = f"blocks[{i}]"
        if t not in SLACK_BLOCK_TYPES:
            errs.append(f"{where}: invalid block type {t!r}")
            continue
        if t == "header":
            errs += _text_obj(b.get("text"), where, 150, ("plain_text",))
        elif t == "section":
            if "text" not in b and "fields" not in b:
                errs.append(f"{where}: section needs text or fields")
            if "text" in b:
                errs += _text_obj(b["text"], where, 3000)
            if "fields" in b:
                fields = b["fields"]
                if not isinstance(fields, list) or not fields or len(fields) > 10:
                    errs.append(f"{where}: fields must be 1..10 items")
                else:
                    for j, f in enumerate(fields):
                        errs += _text_obj(f, f"{where}.fields[{j}]", 2000)
        elif t == "context":
            els = b.get("elements")
            if not isinstance(els, list) or not els or len(els) > 10:
                errs.append(f"{where}: context elements must be 1..10")
            else:
                for j, el in enumerate(els):
                    errs += _text_obj(el, f"{where}.elements[{j}]", 3000)
        elif t == "actions":
            els = b.get("elements")
            if not isinstance(els, list) or not els or len(els) > 25:
                errs.append(f"{where}: actions elements must be 1..25")
            else:
                for j, el in enumerate(els):
                    if el.get("type") != "button":
                        errs.append(f"{where}.elements[{j}]: not a button")
                        continue
                    errs += _text_obj(el.get("text"), f"{where}.elements[{j}]", 75, ("plain_text",))
                    url = el.get("url", "")
                    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 3000:
                        errs.append(f"{where}.elements[{j}]: bad url")
    for key in ("channel", "username"):
        if key in body and not isinstance(body[key], str):
            errs.append(f"{key} must be a string")
    return errs


PD_ACTIONS = {"trigger", "acknowledge", "resolve"}
PD_SEVERITIES = {"critical", "error", "warning", "info"}


def pagerduty_violations(req: Recorded) -> list[str]:
    """PagerDuty Events API v2 event rules (what the API answers 400 for)."""
    try:
        ev = req.json
    except ValueError:
        return ["Event object is invalid: not JSON"]
    if not isinstance(ev, dict):
        return ["Event object is invalid: not an object"]
    errs: list[str] = []
    rk = ev.get("routing_key")
    if not isinstance(rk, str) or len(rk) != 32:
        errs.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = ev.get("event_action")
    if action not in PD_ACTIONS:
        errs.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
    dk = ev.get("dedup_key")
    if not isinstance(dk, str) or not dk or len(dk) > 255:
        errs.append("'dedup_key' must be a string of 1..255 characters")
    if action == "trigger":
        p = ev.get("payload")
        if not isinstance(p, dict):
            return errs + ["'payload' is missing or not an object"]
        s = p.get("summary")
        if not isinstance(s, str) or not s:
            errs.append("'payload.summary' is missing")
        elif len(s) > 1024:
            errs.append(f"'payload.summary' has {len(s)} characters (max 1024)")
        if not isinstance(p.get("source"), str) or not p.get("source"):
            errs.append("'payload.source' is missing")
        if p.get("severity") not in PD_SEVERITIES:
            errs.append("'payload.severity' is invalid (must be one of: critical, error, warning, info)")
        ts = p.get("timestamp")
        if ts is not None:
            try:
                from datetime import datetime

                datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
            except ValueError:
                errs.append("'payload.timestamp' is not ISO 8601")
        for k in ("component", "group", "class"):
            if k in p and not isinstance(p[k], str):
                errs.append(f"'payload.{k}' must be a string")
        if "custom_details" in p and not isinstance(p["custom_details"], (dict, str)):
            errs.append("'payload.custom_details' must be an object")
        for link in ev.get("links", []):
            if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                errs.append("'links' entries need href")
    elif "payload" in ev:
        pass  # the API ignores a payload on resolve/acknowledge
    return errs


def pagerduty_invalid_reply(errors: list[str]) -> Reply:
    return Reply(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})


def pagerduty_accepted(dedup_key: str = "") -> Reply:
    return Reply(202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key})


WEBHOOK_KEYS = {
    "version": str, "groupKey": str, "truncatedAlerts": int, "status": str, "receiver": str,
    "groupLabels": dict, "commonLabels": dict, "commonAnnotations": dict, "externalURL": str, "alerts": list,
}
WEBHOOK_ALERT_KEYS = {
    "status": str, "labels": dict, "annotations": dict, "startsAt": str, "endsAt": str,
    "generatorURL": str, "fingerprint": str,
}


def webhook_v4_violations(req: Recorded) -> list[str]:
    """Alertmanager webhook v4 body rules: every key present with its type, string label/annotation values."""
    try:
        body = req.json
    except ValueError:
        return ["not JSON"]
    if not isinstance(body, dict):
        return ["not an object"]
    errs = [f"{k}: missing or not {t.__name__}" for k, t in WEBHOOK_KEYS.items() if not isinstance(body.get(k), t)]
    if set(body) - set(WEBHOOK_KEYS):
        errs.append(f"unexpected keys {sorted(set(body) - set(WEBHOOK_KEYS))}")
    if body.get("version") != "4":
        errs.append("version is not '4'")
    if body.get("status") not in ("firing", "resolved"):
        errs.append("status is not firing/resolved")
    for i, a in enumerate(body.get("alerts") or []):
        for k, t in WEBHOOK_ALERT_KEYS.items():
            if not isinstance(a.get(k), t):
                errs.append(f"alerts[{i}].{k}: missing or not {t.__name__}")
        for k in ("labels", "annotations"):
            if isinstance(a.get(k), dict) and not all(isinstance(v, str) for v in a[k].values()):
                errs.append(f"alerts[{i}].{k}: values must be strings")
        for k in ("startsAt", "endsAt"):
            try:
                from datetime import datetime

                datetime.fromisoformat(str(a.get(k)).replace("Z", "+00:00"))
            except ValueError:
                errs.append(f"alerts[{i}].{k}: not RFC 3339")
    return errs


# --------------------------------------------------------------------------- TLS


def self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate (also its own CA) for ``host``; returns (cert, key).

    Uses the ``openssl`` CLI; fails (under CI) or skips (locally) without it.
    """
    if shutil.which("openssl") is None:
        require_binary("openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}",
            "-addext", f"subjectAltName=IP:{host}" if host[0].isdigit() else f"subjectAltName=DNS:{host}",
            "-addext", "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def require_binary(name: str) -> str:
    """The path of ``name``; under ``CI=true`` a missing binary fails the test, else it skips."""
    path = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
    if path is None:
        message = f"{name} is not installed (scripts/test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# --------------------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    auth_user: str | None

    def message(self) -> Any:
        from email import message_from_bytes, policy

        return message_from_bytes(self.data, policy=policy.default)


class SMTPReceiver:
    """An aiosmtpd server on 127.0.0.1 (free port) that records every message.

    ``starttls``: offer STARTTLS with ``cert``/``key`` and refuse MAIL before it;
    ``implicit_tls``: TLS from the first byte (SMTPS); ``users``: enable AUTH
    (LOGIN and PLAIN, minus ``auth_exclude``) for these username -> password
    pairs, required before MAIL; ``refuse_rcpt``: addresses answered ``550``.
    """

    def __init__(
        self,
        *,
        cert: tuple[Path, Path] | None = None,
        starttls: bool = False,
        implicit_tls: bool = False,
        users: dict[str, str] | None = None,
        auth_exclude: list[str] | None = None,
        refuse_rcpt: Iterable[str] = (),
    ) -> None:
        self.messages: list[ReceivedMail] = []
        self._auth_exclude = list(auth_exclude or [])
        self._refuse = set(refuse_rcpt)
        self.auth_failures: list[str] = []
        self.auth_successes: list[tuple[str, str]] = []
        self._cond = threading.Condition()
        self._cert = cert
        self._starttls = starttls
        self._implicit = implicit_tls
        self._users = users
        self._controller: Any = None
        self.port = 0

    def _tls_context(self) -> ssl.SSLContext:
        assert self._cert is not None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self._cert[0]), str(self._cert[1]))
        return ctx

    def __enter__(self) -> "SMTPReceiver":
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        receiver = self

        class Handler:
            async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                                  rcpt_options: list[str]) -> str:
                if address in receiver._refuse:
                    return "550 5.1.1 No such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                auth = session.auth_data
                user = auth.login.decode() if isinstance(auth, LoginPassword) else None
                mail = ReceivedMail(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content or envelope.content,
                    session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                    user,
                )
                with receiver._cond:
                    receiver.messages.append(mail)
                    receiver._cond.notify_all()
                return "250 Message accepted for delivery"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
            if not isinstance(auth_data, LoginPassword) or receiver._users is None:
                return AuthResult(success=False, handled=False)
            user, pw = auth_data.login.decode(), auth_data.password.decode()
            if receiver._users.get(user) == pw:
                receiver.auth_successes.append((user, mechanism))
                return AuthResult(success=True, auth_data=auth_data)
            receiver.auth_failures.append(user)
            return AuthResult(success=False, handled=False)

        kwargs: dict[str, Any] = {}
        if self._users is not None:
            kwargs.update(authenticator=authenticator, auth_required=True,
                          # aiosmtpd counts only STARTTLS as TLS for AUTH; SMTPS is TLS from the first byte
                          auth_require_tls=self._starttls,
                          auth_exclude_mechanism=self._auth_exclude)
        else:
            kwargs.update(auth_require_tls=False)
        if self._starttls:
            kwargs.update(tls_context=self._tls_context(), require_starttls=True)
        port = _free_port()
        self._controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=port,
            ssl_context=self._tls_context() if self._implicit else None,
            ready_timeout=10.0,
            server_hostname="127.0.0.1",
            **kwargs,
        )
        self._controller.start()
        self.port = port
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def wait_for_messages(self, n: int, timeout: float = 10.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} messages within {timeout}s, got {len(self.messages)}")
                self._cond.wait(left)
            return list(self.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- Alertmanager

ALERTMANAGER_BINARY = "/usr/bin/prometheus-alertmanager"

ALERTMANAGER_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
"""


class AlertmanagerProcess:
    """The real Alertmanager on a free loopback port, clustering off, storage in ``tmp``.

    ``url`` is its base URL once :meth:`start` returned (``GET /-/ready`` answered 200).
    """

    def __init__(self, tmp: Path, *, binary: str | None = None, config: str = ALERTMANAGER_CONFIG,
                 prefix: str = "") -> None:
        self.tmp = tmp
        self.prefix = prefix  # served under this path (--web.route-prefix), as behind a proxy
        self.binary = binary or (shutil.which("prometheus-alertmanager") or ALERTMANAGER_BINARY)
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def start(self, timeout: float = 30.0) -> "AlertmanagerProcess":
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            require_binary("prometheus-alertmanager")
        (self.tmp / "data").mkdir(parents=True, exist_ok=True)
        cfg = self.tmp / "am.yml"
        cfg.write_text(self.config)
        self.port = _free_port()
        self.log = open(self.tmp / "alertmanager.log", "wb")
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"--config.file={cfg}",
                f"--storage.path={self.tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                "--log.level=warn",
                *([f"--web.external-url=http://127.0.0.1:{self.port}{self.prefix}",
                   f"--web.route-prefix={self.prefix}"] if self.prefix else []),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:  # poll readiness with a deadline (server startup)
            if self.proc.poll() is not None:
                raise RuntimeError(f"alertmanager exited with {self.proc.returncode}: {self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"alertmanager not ready within {timeout}s: {self.log_text()}")
            time.sleep(0.05)

    def log_text(self) -> str:
        try:
            return (self.tmp / "alertmanager.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self) -> "AlertmanagerProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def poll_until(predicate: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.1, what: str = "") -> Any:
    """Call ``predicate`` until it returns something truthy; fail after ``timeout``.

    For servers that apply changes on their own schedule (Alertmanager applies
    silences at its next maintenance/marker pass), polled with a deadline.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}; last: {last!r}")
        time.sleep(interval)


# --------------------------------------------------------------------------- sample notifications


def sample_alert(
    slo: str = "helpfulness", severity: str = "critical", *, state: str = "firing", now: float | None = None, **kw: Any
) -> Any:
    """An :class:`~slotui.alerting.notification.Alert` with realistic labels, annotations and context."""
    from slotui.alerting.notification import Alert, fingerprint

    now = time.time() if now is None else now
    labels = {"alertname": "SLOBurn", "slo": slo, "service": "support-bot", "severity": severity, "source": "demo"}
    if kw.get("is_test"):
        labels["test"] = "true"
    kw.setdefault("labels", labels)
    kw.setdefault("annotations", {
        "summary": f"{slo} is {severity.upper()}: 0.78 vs target 0.85",
        "description": f"{slo} has been below its objective for 12m.",
        "runbook_url": "https://runbooks.example/llm",
    })
    kw.setdefault("context", {
        "value": 0.78, "unit": "", "target": 0.85, "warning": 0.8, "critical": 0.7,
        "direction": "higher_is_better", "window": 3600.0, "budget_remaining": 0.42, "fastest_burn": 14.2,
        "firing_for": 720.0,
    })
    return Alert(
        fingerprint=fingerprint(slo, severity), slo=slo, severity=severity, state=state,
        starts_at=now - 720, ends_at=now if state == "resolved" else None, **kw,
    )


def sample_notification(alerts: list[Any], *, kind: str = "trigger", channel: str = "test", **kw: Any) -> Any:
    """A :class:`~slotui.alerting.notification.Notification` carrying ``alerts`` as one group."""
    from slotui.alerting.notification import Notification

    status = "firing" if any(a.state == "firing" for a in alerts) else "resolved"
    sev = alerts[0].severity
    return Notification(
        id=kw.pop("id", f"n-{time.monotonic_ns()}"), channel=channel, group_key=f'{{}}:{{severity="{sev}"}}',
        kind=kind, status=status, alerts=alerts, created_at=time.time(), group_labels={"severity": sev},
        common_labels={"severity": sev, "service": "support-bot"}, **kw,
    )
