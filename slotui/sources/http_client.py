"""The HTTP client every HTTP source shares: one ``httpx.AsyncClient`` per source.

:class:`SourceHTTPClient` is built from a source's :class:`HTTPSourceBase`
config (base URL, headers, basic or bearer auth, TLS options, timeout,
``max_concurrency``). It promises:

- every failure surfaces as a :class:`~slotui.sources.base.SourceError` whose
  message says what went wrong in words an operator can act on
  ("unauthorized (check the API key)", "timed out after 5s", "malformed JSON");
- transient failures (timeouts, connection errors, 429, 5xx) are retried with
  exponential backoff and full jitter, but only while the retry still fits in
  the fetch's time budget (the deadline set by the runtime, else the timeout);
- messages never contain a secret: the configured token and password, URL
  user-info and query strings (which may carry API keys) are masked;
- at most ``max_concurrency`` requests of this source are in flight at once.

``httpx`` is imported here, so only configs with an HTTP source pay for it.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from slotui.sources.base import SourceError
from slotui.sources.records import JSON_ERRORS, loads_json
from slotui.sources.runtime import FETCH_DEADLINE

if TYPE_CHECKING:
    from slotui.config.model import HTTPSourceBase


_BODY_SNIPPET = 200


class HTTPStatusError(SourceError):
    """The server answered with an HTTP error status.

    ``status_code`` is the HTTP status; ``payload`` is the parsed JSON body when
    the body was JSON (Prometheus-style APIs put their error message there).
    """

    def __init__(self, message: str, *, status_code: int, payload: Any = None, retryable: bool) -> None:
        super().__init__(message, retryable=retryable)
        self.status_code = status_code
        self.payload = payload


class MalformedResponse(SourceError):
    """The server answered 2xx with a body that is not the JSON it should be."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def redact_url(url: str) -> str:
    """``url`` without user-info and query string (both may carry credentials)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class SourceHTTPClient:
    """One source's connection pool, auth and error policy.

    ``timeout`` (seconds) bounds each request and, when no runtime deadline is
    set, the whole retry loop of one call. ``max_attempts`` caps tries per call.
    ``requests_made`` counts HTTP requests actually sent (benches report it).
    """

    def __init__(
        self,
        config: "HTTPSourceBase",
        *,
        base_dir: Path | None = None,
        timeout: float = 10.0,
        extra_headers: dict[str, str] | None = None,
        max_attempts: int = 3,
        backoff_base: float = 0.1,
        backoff_max: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = float(timeout)
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.requests_made = 0
        self._base_url = config.url.rstrip("/") + "/"
        self._display_base = redact_url(config.url).rstrip("/")
        self._secrets = _secrets_of(config, extra_headers)
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self._config = config
        self._base_dir = base_dir
        self._extra_headers = dict(extra_headers or {})
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        """The pooled client, built on first use so a TLS setup error is a fetch error."""
        if self._http is None:
            config = self._config
            headers = {"Accept": "application/json", "User-Agent": "slotui"}
            headers.update(config.headers)
            headers.update(self._extra_headers)
            auth: httpx.Auth | None = None
            if config.basic_auth is not None:
                auth = httpx.BasicAuth(config.basic_auth.username, config.basic_auth.password)
            if config.bearer_token:
                headers["Authorization"] = f"Bearer {config.bearer_token}"
            verify = _verify_of(config, self._base_dir) if self._transport is None else True
            self._http = httpx.AsyncClient(
                base_url=self._base_url,
                headers=headers,
                auth=auth,
                timeout=httpx.Timeout(self.timeout),
                verify=verify,
                limits=httpx.Limits(
                    max_connections=config.max_concurrency, max_keepalive_connections=config.max_concurrency
                ),
                transport=self._transport,
                follow_redirects=True,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ------------------------------------------------------------------ requests

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (relative to the base URL, whose path prefix is kept) and parse JSON."""
        return await self.request_json("GET", path, params=params)

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Send one request with retries; return the parsed JSON body of a 2xx answer.

        Raises :class:`HTTPStatusError` for an error status (after retries for
        429/5xx), :class:`MalformedResponse` for a non-JSON 2xx body, and
        :class:`SourceError` for timeouts and connection failures.
        """
        response = await self.request(method, path, params=params, data=data, json_body=json_body)
        try:
            return loads_json(response.content)
        except JSON_ERRORS:
            pass
        try:
            # orjson refuses bare NaN/Infinity, which Python-served APIs (MLflow) emit, and bytes in a
            # declared non-UTF-8 charset: the stdlib reads the first, response.text decodes the second
            return json.loads(response.text)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
            snippet = self._scrub(response.text[:80].strip())
            raise MalformedResponse(
                f"malformed JSON from {self._where(path)}: {exc.__class__.__name__} ({snippet!r})"
            ) from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send one request with retries; return the 2xx response (body read)."""
        deadline = FETCH_DEADLINE.get()
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        attempt = 0
        url = path.lstrip("/")
        while True:
            attempt += 1
            try:
                return await self._send_once(method, url, params, data, json_body, content, path)
            except SourceError as exc:
                if not exc.retryable or attempt >= self.max_attempts:
                    raise
                delay = self._backoff(attempt, exc)
                if time.monotonic() + delay >= deadline:
                    raise
                await asyncio.sleep(delay)

    async def _send_once(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        data: dict[str, Any] | None,
        json_body: Any,
        content: bytes | None,
        path: str,
    ) -> httpx.Response:
        async with self._semaphore:
            self.requests_made += 1
            try:
                kwargs: dict[str, Any] = {"params": params}
                if data is not None:
                    kwargs["data"] = data
                if json_body is not None:
                    kwargs["json"] = json_body
                if content is not None:
                    kwargs["content"] = content
                response = await self._client().request(method, url, **kwargs)
            except httpx.TimeoutException:
                raise SourceError(f"timed out after {self.timeout:g}s waiting for {self._where(path)}") from None
            except httpx.ConnectError as exc:
                raise SourceError(f"cannot connect to {self._display_base}: {self._reason(exc)}") from None
            except httpx.RemoteProtocolError as exc:
                raise SourceError(f"connection to {self._display_base} broke: {self._reason(exc)}") from None
            except httpx.TransportError as exc:
                raise SourceError(f"request to {self._where(path)} failed: {self._reason(exc)}") from None
            except httpx.InvalidURL as exc:
                raise SourceError(f"invalid URL {self._display_base}: {exc}", retryable=False) from None
        if response.is_success:
            return response
        raise self._status_error(response, path)

    # ------------------------------------------------------------------ errors

    def _status_error(self, response: httpx.Response, path: str) -> HTTPStatusError:
        status = response.status_code
        payload: Any = None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        where = self._where(path)
        retry_after = _retry_after(response)
        if status == 401:
            message, retryable = f"unauthorized (check the API key): HTTP 401 from {where}", False
        elif status == 403:
            message, retryable = f"forbidden (check the API key's permissions): HTTP 403 from {where}", False
        elif status == 404:
            message, retryable = f"not found (check the URL): HTTP 404 from {where}", False
        elif status == 429:
            hint = f"; retry after {retry_after:g}s" if retry_after is not None else ""
            message, retryable = f"rate limited: HTTP 429 from {where}{hint}", True
        elif status >= 500:
            message, retryable = f"server error: HTTP {status} from {where}{self._detail(response, payload)}", True
        else:
            message, retryable = f"HTTP {status} from {where}{self._detail(response, payload)}", False
        err = HTTPStatusError(message, status_code=status, payload=payload, retryable=retryable)
        err.retry_after = retry_after  # type: ignore[attr-defined]
        return err

    def _detail(self, response: httpx.Response, payload: Any) -> str:
        text = ""
        if isinstance(payload, dict):
            for key in ("error", "message", "detail", "errorMessage"):
                if isinstance(payload.get(key), str):
                    text = payload[key]
                    break
        if not text:
            try:
                text = response.text
            except UnicodeDecodeError:
                text = ""
        text = " ".join(text.split())[:_BODY_SNIPPET]
        return f": {self._scrub(text)}" if text else ""

    def _backoff(self, attempt: int, exc: SourceError) -> float:
        """Full-jitter exponential backoff; a server's Retry-After wins when given."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        cap = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(cap / 2, cap)

    def _where(self, path: str) -> str:
        return f"{self._display_base}/{path.lstrip('/').split('?', 1)[0]}"

    def _reason(self, exc: Exception) -> str:
        text = str(exc) or exc.__class__.__name__
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _secrets_of(config: "HTTPSourceBase", extra_headers: dict[str, str] | None) -> list[str]:
    found: list[str] = []
    if config.bearer_token:
        found.append(config.bearer_token)
    if config.basic_auth is not None and config.basic_auth.password:
        found.append(config.basic_auth.password)
    parts = urlsplit(config.url)
    if parts.password:
        found.append(parts.password)
    for headers in (config.headers, extra_headers or {}):
        for key, value in headers.items():
            if key.lower() in {"authorization", "x-api-key", "api-key", "x-auth-token", "cookie"} and value:
                found.append(value)
                if " " in value:
                    found.append(value.split(" ", 1)[1])
    # Longest first, so a token is masked whole before any substring of it.
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


_SSL_CONTEXTS: dict[tuple[str | None, str | None, str | None, bool], ssl.SSLContext] = {}


def _verify_of(config: "HTTPSourceBase", base_dir: Path | None) -> ssl.SSLContext | bool:
    """The SSL context for ``config.tls``, shared between clients with the same options.

    Loading a CA bundle takes ~0.1 s of CPU: doing it once per process, not once
    per source, keeps 50 sources from stalling the event loop for seconds.
    """
    tls = config.tls
    if tls is not None and tls.insecure_skip_verify and not tls.cert_file:
        return False

    def resolve(p: str | None) -> str | None:
        if not p:
            return None
        path = Path(p).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return str(path)

    key = (
        resolve(tls.ca_file) if tls else None,
        resolve(tls.cert_file) if tls else None,
        resolve(tls.key_file) if tls else None,
        bool(tls and tls.insecure_skip_verify),
    )
    ctx = _SSL_CONTEXTS.get(key)
    if ctx is not None:
        return ctx
    ca_file, cert_file, key_file, insecure = key
    try:
        if ca_file is None:
            import certifi  # httpx's own default trust store

            ctx = ssl.create_default_context(cafile=certifi.where())
        else:
            ctx = ssl.create_default_context(cafile=ca_file)
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if cert_file:
            ctx.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as exc:
        raise SourceError(f"TLS setup failed: {exc}", retryable=False) from None
    _SSL_CONTEXTS[key] = ctx
    return ctx
