"""The HTTP client every HTTP source shares: one ``httpx.AsyncClient`` per source.

:class:`SourceHTTPClient` is built from a source's :class:`HTTPSourceBase`
config (base URL, headers, basic or bearer auth, TLS options, timeout,
``max_concurrency``). It promises:

- every failure surfaces as a :class:`~slotui.sources.kit.base.SourceError` whose
  message says what went wrong in words an operator can act on
  ("unauthorized (check the API key)", "timed out after 5s", "malformed JSON");
- transient failures (timeouts, connection errors, 429, 5xx) are retried with
  exponential backoff and full jitter, but only while the retry still fits in
  the fetch's time budget (the deadline set by the runtime, else the timeout);
- messages never contain a secret: the configured token and password (also
  percent-encoded, base64, and as a Basic ``user:password``), URL user-info and
  query strings (which may carry API keys) are masked;
- at most ``max_concurrency`` requests of this source are in flight at once;
- redirects are followed by slotui itself (at most :data:`MAX_REDIRECTS`):
  credentials (bearer token, basic auth, the config's ``headers:``, the API key
  headers a source adds, cookies) go only to the configured origin (scheme,
  host, port; ``http`` -> ``https`` on the same host is allowed); a hop to
  another origin goes without them; an ``https`` -> ``http`` downgrade, a loop
  or too many hops is a source error naming the (masked) URL;
- an answer is read while it streams and never beyond ``max_body_bytes``
  (default 8 MiB): a bigger one is an error naming the source, URL and cap;
- ``Retry-After`` (seconds or an HTTP date) on 429/503 is kept on the error
  (``retry_after`` seconds, ``retry_at`` epoch for a date) so the runtime can
  leave the source alone until then, across ticks.

``httpx`` is imported here, so only configs with an HTTP source pay for it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from slotui import base_url
from slotui.config.secrets import clip
from slotui.sources.kit.base import SourceError
from slotui.sources.kit.html_page import html_summary, is_html
from slotui.sources.kit.records import JSON_ERRORS, loads_json
from slotui.sources.kit.retry_after import parse_retry_after
from slotui.sources.kit.runtime import FETCH_DEADLINE

if TYPE_CHECKING:
    from slotui.config.model import HTTPSourceBase


_BODY_SNIPPET = 200
#: Most redirect hops followed for one request.
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: An error answer is shown as a snippet: no more than this is read of it.
_ERROR_BODY_BYTES = 64 * 1024


class ResponseTooLarge(SourceError):
    """The answer is bigger than the source's ``max_body_bytes``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


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


def display_url(url: str | httpx.URL) -> str:
    """A URL for messages: no user-info, secret-looking query values masked."""
    from slotui.config.secrets import mask_url

    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "<invalid URL>"
    return mask_url(urlunsplit((parts.scheme, host, parts.path, parts.query, "")))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port
    if port is None:
        port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), port


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
        name: str | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        from slotui.config.secrets import Redactor, credential_pairs, is_credential_header, url_query_secrets

        self.name = name
        self.timeout = float(timeout)
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.requests_made = 0
        # the prefix is the base path; a query in the URL (?token=...) goes with every request
        self._base_url, self._base_query = base_url.split(config.url)
        self._display_base = redact_url(config.url).rstrip("/")
        self._secrets = [*_secrets_of(config, extra_headers), *url_query_secrets(config.url), *secrets]
        self._redact = Redactor(self._secrets, credential_pairs(config))
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self._config = config
        self._base_dir = base_dir
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        #: (monotonic time, the error, the fetch's deadline): a server's Retry-After, before which this
        #: fetch sends nothing
        self._hold: tuple[float, SourceError | None, float | None] = (0.0, None, None)
        self.max_body_bytes: int | None = getattr(config, "max_body_bytes", None)
        self._origin = _origin(httpx.URL(self._base_url))
        # Headers every hop gets, and the credentials only the configured origin gets: the
        # config's own headers (any may be a key: X-API-Key, X-Scope-OrgID ...), the API key
        # headers a source adds, the bearer token and basic auth.
        self._plain_headers = {"Accept": "application/json", "User-Agent": "slotui"}
        self._credentials: dict[str, str] = {}
        for key, value in (extra_headers or {}).items():
            (self._credentials if is_credential_header(key) else self._plain_headers)[key] = value
        self._credentials.update(config.headers)
        if config.basic_auth is not None:
            pair = f"{config.basic_auth.username}:{config.basic_auth.password}".encode()
            self._credentials["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        if config.bearer_token:
            self._credentials["Authorization"] = f"Bearer {config.bearer_token}"

    def _client(self) -> httpx.AsyncClient:
        """The pooled client, built on first use so a TLS setup error is a fetch error."""
        if self._http is None:
            config = self._config
            verify = _verify_of(config, self._base_dir) if self._transport is None else True
            self._http = httpx.AsyncClient(
                base_url=self._base_url,
                headers=self._plain_headers,
                timeout=httpx.Timeout(self.timeout),
                verify=verify,
                limits=httpx.Limits(
                    max_connections=config.max_concurrency, max_keepalive_connections=config.max_concurrency
                ),
                transport=self._transport,
                follow_redirects=False,  # followed in _send_once, credentials bound to the origin
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
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            text = response.text.strip()
            if is_html(text, response.headers.get("content-type", "")):
                title = self._scrub(html_summary(text)) or "no title"
                raise MalformedResponse(
                    f"an HTML page, not JSON, from {self._where(path)} (a login page or a proxy in the way?): "
                    f"{title!r}"
                ) from None
            snippet = self._scrub(clip(text, 80))
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
        if self._base_query:  # httpx replaces a URL's query by ``params``: the base's goes first in them
            url, _, own = url.partition("?")
            params = [*httpx.QueryParams(self._base_query).multi_items(), *httpx.QueryParams(own).multi_items(),
                      *(httpx.QueryParams(params).multi_items() if params else ())]
        while True:
            attempt += 1
            await self._wait_for_hold(deadline)
            try:
                return await self._send_once(method, url, params, data, json_body, content, path)
            except SourceError as exc:
                self._hold_for(exc)
                if not exc.retryable or attempt >= self.max_attempts:
                    raise
                delay = self._backoff(attempt, exc)
                if time.monotonic() + delay >= deadline:
                    raise
                await asyncio.sleep(delay)

    def _hold_for(self, exc: SourceError) -> None:
        """Remember a 429/503 ``Retry-After``: no request of this fetch goes out before it.

        Within the runtime's fetch (``FETCH_DEADLINE`` set) the hold ends with that fetch: across
        ticks the runtime's own backoff keeps the source alone (on its ``now`` scale)."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None and retry_after > 0:
            until = time.monotonic() + float(retry_after)
            if until > self._hold[0]:
                self._hold = (until, exc, FETCH_DEADLINE.get())

    async def _wait_for_hold(self, deadline: float) -> None:
        """Before a request: wait out a server's ``Retry-After`` when it ends within the fetch's
        budget, else fail at once with that answer's error, sending nothing. (Every queued query
        of a fetch -- fourteen per ratio SLO -- was sent to a server that had said 429: wait.)"""
        from slotui.sources.kit.retry_after import hold_to_wait

        left = hold_to_wait(self._hold, FETCH_DEADLINE.get(), deadline)
        if left:
            await asyncio.sleep(left)

    async def _send_once(
        self,
        method: str,
        url: str,
        params: "dict[str, Any] | list[tuple[str, str]] | None",
        data: dict[str, Any] | None,
        json_body: Any,
        content: bytes | None,
        path: str,
    ) -> httpx.Response:
        body: dict[str, Any] = {}
        if data is not None:
            body["data"] = data
        if json_body is not None:
            body["json"] = json_body
        if content is not None:
            body["content"] = content
        async with self._semaphore:
            try:
                client = self._client()
                request = client.build_request(method, url, params=params, headers=self._credentials, **body)
            except httpx.InvalidURL as exc:
                raise SourceError(f"invalid URL {self._display_base}: {self._reason(exc)}", retryable=False) from None
            first = request.url
            seen = {str(first)}
            hops = 0
            while True:
                self.requests_made += 1
                try:
                    response = await client.send(request, stream=True)
                    try:
                        if response.status_code in _REDIRECT_STATUSES and response.headers.get("location"):
                            hops += 1
                            request, body = self._redirect(client, request, response, body, first, hops, seen)
                            continue
                        limit = self.max_body_bytes if response.is_success else _ERROR_BODY_BYTES
                        payload = await self._read(response, path, limit, truncate=not response.is_success)
                    finally:
                        await response.aclose()
                except httpx.TimeoutException:
                    raise SourceError(f"timed out after {self.timeout:g}s waiting for {self._where(path)}") from None
                except httpx.ConnectError as exc:
                    where = self._display_base if request.url == first else display_url(request.url)
                    raise SourceError(f"cannot connect to {where}: {self._reason(exc)}") from None
                except httpx.RemoteProtocolError as exc:
                    raise SourceError(f"connection to {self._display_base} broke: {self._reason(exc)}") from None
                except httpx.TransportError as exc:
                    raise SourceError(f"request to {self._where(path)} failed: {self._reason(exc)}") from None
                except (httpx.HTTPError, httpx.InvalidURL) as exc:  # anything else httpx raises is a fetch error too
                    raise SourceError(
                        f"request to {self._where(path)} failed: {exc.__class__.__name__}: {self._reason(exc)}",
                        retryable=False,
                    ) from None
                break
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        answer = httpx.Response(response.status_code, headers=headers, content=payload, request=request)
        if answer.is_success:
            return answer
        raise self._status_error(answer, path)

    def _redirect(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        response: httpx.Response,
        body: dict[str, Any],
        first: httpx.URL,
        hops: int,
        seen: set[str],
    ) -> tuple[httpx.Request, dict[str, Any]]:
        """The next request of a redirect, credentials only for the configured origin."""
        start = display_url(first)
        try:
            target = request.url.join(response.headers["location"])
        except (httpx.InvalidURL, ValueError):
            raise SourceError(
                f"HTTP {response.status_code} from {start} redirects to an invalid Location", retryable=False
            ) from None
        shown = display_url(target)
        if target.scheme not in ("http", "https"):
            raise SourceError(f"refused redirect from {start} to {shown}: not an http(s) URL", retryable=False)
        if request.url.scheme == "https" and target.scheme == "http":
            raise SourceError(
                f"refused redirect from {start} to {shown}: https -> http would send the request in clear "
                "(point url at the new location if this is intended)",
                retryable=False,
            )
        if str(target) in seen:
            raise SourceError(f"redirect loop: {start} leads back to {shown}", retryable=False)
        if hops > MAX_REDIRECTS:
            raise SourceError(
                f"too many redirects (more than {MAX_REDIRECTS}) starting at {start}; last to {shown}", retryable=False
            )
        seen.add(str(target))
        method = request.method
        status = response.status_code
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, body = "GET", {}
        here = _origin(target)
        upgrade = (
            request.url.scheme == "http" and target.scheme == "https" and here[1] == self._origin[1]
            and self._origin[2] == 80 and here[2] == 443
        )
        trusted = here == self._origin or upgrade
        if not trusted and self._carries_secret(target, first):
            raise SourceError(
                f"refused redirect from {start} to {shown}: it would carry this source's credentials "
                "(a secret query parameter or user-info) to another origin",
                retryable=False,
            )
        following = client.build_request(method, target, headers=self._credentials if trusted else None, **body)
        if not trusted:
            # The cookie jar knows no ports: nothing of this source's session goes to another origin.
            following.headers.pop("cookie", None)
        return following, body

    def _carries_secret(self, target: httpx.URL, first: httpx.URL) -> bool:
        """True when ``target`` holds a credential of this source (configured, or a secret query value of
        the first request)."""
        from urllib.parse import unquote_plus

        from slotui.config.secrets import url_query_secrets

        text = unquote_plus(str(target))
        secrets = [*self._secrets, *url_query_secrets(str(first))]
        return any(secret in text for secret in secrets if len(secret) >= 4)

    async def _read(self, response: httpx.Response, path: str, limit: int | None, *, truncate: bool) -> bytes:
        """The (decoded) body, read while it streams and never beyond ``limit`` bytes.

        Over the limit: the bytes read so far when ``truncate`` (an error
        answer, shown as a snippet), else :class:`ResponseTooLarge`. A body that
        does not decode as its ``Content-Encoding`` says is a :class:`SourceError`
        naming the encoding (it read "request to URL failed: DecodingError: Error
        -3 while decompressing data: incorrect header check").
        """
        try:
            if limit is None:
                return await response.aread()
            declared = response.headers.get("content-length", "")
            if not truncate and declared.isdigit() and int(declared) > limit:
                raise self._too_large(path, limit, f"it announces {int(declared):,} bytes")
            buf = bytearray()
            async for chunk in response.aiter_bytes():
                buf += chunk
                if len(buf) > limit:
                    if truncate:
                        return bytes(buf[:limit])
                    raise self._too_large(path, limit, f"more than {limit:,} bytes arrived")
            return bytes(buf)
        except httpx.DecodingError:
            encoding = response.headers.get("content-encoding") or "its encoding"
            raise SourceError(f"cannot decode the answer from {self._where(path)} ({encoding})",
                              retryable=False) from None

    def _too_large(self, path: str, limit: int, how: str) -> ResponseTooLarge:
        who = f"source {self.name!r}: " if self.name else ""
        key = f"sources.{self.name}.max_body_bytes" if self.name else "max_body_bytes"
        return ResponseTooLarge(
            f"{who}answer from {self._where(path)} is larger than max_body_bytes ({limit:,} bytes; {how}); "
            f"stopped reading. Raise {key} if answers this big are expected"
        )

    # ------------------------------------------------------------------ errors

    def _status_error(self, response: httpx.Response, path: str) -> HTTPStatusError:
        status = response.status_code
        payload: Any = None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        # Sources build their own messages from the payload (MLflow's ``message``, Langfuse's, a
        # FastAPI ``detail``): a server or proxy echoing the credentials must not carry them there.
        payload = self._scrub_value(payload)
        where = self._where(path)
        retry_after, retry_at = _retry_after(response)
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
            hint = f"; retry after {retry_after:g}s" if retry_after is not None and status == 503 else ""
            message, retryable = f"server error: HTTP {status} from {where}{self._detail(response, payload)}{hint}", True
        else:
            message, retryable = f"HTTP {status} from {where}{self._detail(response, payload)}", False
        err = HTTPStatusError(message, status_code=status, payload=payload, retryable=retryable)
        if status in (429, 503):
            err.retry_after = retry_after  # type: ignore[attr-defined]
            err.retry_at = retry_at  # type: ignore[attr-defined]
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
            if is_html(text, response.headers.get("content-type", "")):
                text = html_summary(text, _BODY_SNIPPET)  # the page's title, not its tags
        text = clip(" ".join(text.split()), _BODY_SNIPPET)
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
        return self._redact(text)

    def scrub(self, text: str) -> str:
        """``text`` (from a server's answer) with this source's secrets masked, for a source's own messages."""
        return self._redact(text)

    def _scrub_value(self, value: Any, depth: int = 0) -> Any:
        """A parsed JSON value with every string (keys too) scrubbed."""
        if isinstance(value, str):
            return self._redact(value)
        if depth > 20:
            return None
        if isinstance(value, dict):
            return {self._redact(str(k)): self._scrub_value(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub_value(v, depth + 1) for v in value]
        return value


def _retry_after(response: httpx.Response) -> tuple[float | None, float | None]:
    """``Retry-After`` as (seconds from now, epoch of an HTTP date or None); (None, None) if absent/unreadable."""
    return parse_retry_after(response.headers.get("Retry-After"))


def _secrets_of(config: "HTTPSourceBase", extra_headers: dict[str, str] | None) -> list[str]:
    from slotui.config.secrets import is_credential_header

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
            if is_credential_header(key) and value:
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
