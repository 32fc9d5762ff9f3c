"""What every HTTP channel shares: one client per channel, answers turned into
:class:`~slotui.channels.base.DeliveryResult`, and secrets kept out of
every message.

Classification of an answer (the outbox retries what is retryable):

- 2xx: delivered.
- 429, 5xx, 408 and 425: retryable; a ``Retry-After`` (delta-seconds or an HTTP
  date) is honoured as ``retry_after`` seconds from now.
- timeouts, connection errors: retryable, no hint.
- other 4xx (400, 401, 403, 404, 413, ...): not retryable; the message carries
  the receiver's own words (body truncated to :data:`MAX_BODY` characters).

Every message passes through :func:`mask`, which replaces each configured
secret (and the path of a secret URL) with ``****``, so a webhook URL, routing
key, token or password never reaches a DeliveryResult, an exception or a log.

``httpx`` is imported inside functions: the headless path pays for it only
when a config has an HTTP channel.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from slotui.config.secrets import MASK, clip, mask_cut
from slotui.config.text import printable

if TYPE_CHECKING:
    import httpx

    from slotui.channels.base import DeliveryResult

#: Longest receiver body quoted in a message (characters).
MAX_BODY = 300
#: Most bytes read of any receiver's answer: the rest is never read (a receiver
#: answering 100 MB to a webhook POST costs 1 MiB, not 100 MB).
MAX_RECEIVER_BODY = 1024 * 1024
USER_AGENT = "slotui"


# --------------------------------------------------------------------------- secrets


def secret_parts(*values: str | None, pairs: Iterable[tuple[str, str]] = ()) -> list[str]:
    """The strings to hide for these secret values: each value, and for URLs also
    the path+query (the token part of a webhook URL) and any userinfo password;
    each of them also percent-encoded and base64-encoded (with and without
    padding), and the Basic credential (``base64(user:password)``) of ``pairs``,
    so a receiver echoing ``Authorization: Basic ...`` leaks nothing.

    Short fragments (under 4 characters, e.g. a bare ``/``) are not masked, so
    masking never mangles ordinary words.
    """
    from slotui.config.secrets import secret_forms

    parts: list[str] = []
    for user, password in pairs:
        if password:
            parts.extend(secret_forms(f"{user}:{password}"))
    for value in values:
        if not value:
            continue
        parts.append(value)
        if "://" in value:
            try:
                u = urlsplit(value)
            except ValueError:  # an unparseable URL is masked whole (above)
                continue
            tail = u.path + (f"?{u.query}" if u.query else "")
            if len(tail) > 1:
                parts.append(tail)
                # httpx may print the path percent-decoded or without the query
                parts.append(u.path)
            if u.password:
                parts.append(u.password)
            if u.query:
                parts.append(u.query)
    forms: set[str] = set()
    for part in parts:
        forms |= secret_forms(part) if len(part) >= 4 else set()
    # longest first, so a URL is masked whole before its path is
    return sorted({p for p in forms if len(p) >= 4}, key=len, reverse=True)


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of every secret replaced by ``****``, and the beginning
    of one cut short by :func:`clip` (``R0UT…``) too."""
    secrets = sorted(secrets, key=len, reverse=True)  # a secret holding another is masked whole
    for s in secrets:
        if s and s in text:
            text = text.replace(s, MASK)
    return mask_cut(text, secrets)


def display_url(url: str) -> str:
    """A URL safe to print: scheme and host only, ``https://hooks.slack.com/…/****``."""
    try:
        u = urlsplit(url)
        port = u.port
    except ValueError:
        return MASK
    if not u.scheme or not u.hostname:
        return MASK
    host = u.hostname + (f":{port}" if port else "")
    if u.path in ("", "/") and not u.query:
        return f"{u.scheme}://{host}"
    return f"{u.scheme}://{host}/…/{MASK}"


#: ``text`` cut to at most ``limit`` characters, ending in ``…`` when cut (the one clip, whose
#: mark lets the delivery's Redactor mask a secret cut short).
truncate = clip


# --------------------------------------------------------------------------- results


def result(
    ok: bool,
    message: str,
    *,
    retryable: bool = False,
    retry_after: float | None = None,
    status_code: int | None = None,
) -> "DeliveryResult":
    """Build a :class:`~slotui.channels.base.DeliveryResult` with these fields."""
    from slotui.channels.base import DeliveryResult

    return DeliveryResult(
        ok=ok,
        retryable=retryable,
        retry_after=retry_after,
        message=message,
        status_code=status_code,
    )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP
    date (RFC 9110). ``None`` when absent or unreadable; never negative."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:  # RFC 9110 dates are GMT
        import datetime as _dt

        dt = dt.replace(tzinfo=_dt.timezone.utc)
    return max(0.0, dt.timestamp() - (time.time() if now is None else now))


def receiver_message(response: "httpx.Response") -> str:
    """The receiver's own words from an error answer: JSON ``message``/``errors``
    (PagerDuty, Alertmanager) or the text body (Slack's ``invalid_payload``),
    collapsed to one line and truncated."""
    text = response.text.strip()
    detail = text
    try:
        data: Any = json.loads(text) if text else None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack
        data = None
    if isinstance(data, Mapping):
        bits = []
        for key in ("message", "error", "status"):
            v = data.get(key)
            if isinstance(v, str) and v and v not in bits:
                bits.append(v)
                break
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            bits.append("; ".join(str(e) for e in errors))
        if bits:
            detail = ": ".join(bits)
    elif isinstance(data, str):
        detail = data
    detail = printable(" ".join(detail.split()))  # a receiver's ESC would act on the reader's terminal
    return truncate(detail, MAX_BODY)


def classify_response(
    response: "httpx.Response", *, what: str, secrets: Iterable[str], ok_message: str | None = None
) -> "DeliveryResult":
    """Turn an HTTP answer into a DeliveryResult (see the module docstring).

    ``what`` names the receiver in messages (``"slack"``, ``"pagerduty"``).
    """
    from slotui.channels.base import RETRYABLE_STATUS

    code = response.status_code
    secrets = list(secrets)
    if 200 <= code < 300:
        return result(True, mask(ok_message or f"{what}: delivered ({code})", secrets), status_code=code)
    body = receiver_message(response)
    reason = response.reason_phrase or ""
    head = f"{what}: HTTP {code}" + (f" {reason}" if reason else "")
    message = mask(f"{head}: {body}" if body else head, secrets)
    if code >= 500 or code in RETRYABLE_STATUS:
        # Retry-After is honoured on every answer worth retrying (a 502 or 504 from a proxy that
        # says when to come back was retried on the backoff's schedule instead)
        return result(
            False,
            message,
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            status_code=code,
        )
    return result(False, message, retryable=False, status_code=code)


def classify_exception(exc: BaseException, *, what: str, secrets: Iterable[str]) -> "DeliveryResult":
    """Turn a transport failure into a retryable DeliveryResult (timeouts,
    refused connections, resets) or a non-retryable one (an invalid URL, a
    TLS certificate the channel will never accept)."""
    import httpx

    name = type(exc).__name__
    detail = str(exc) or name
    if isinstance(exc, httpx.TimeoutException):
        kind, retryable = "timed out", True
    elif isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        kind, retryable = "invalid URL", False
    elif isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in detail:
        kind, retryable = "TLS certificate rejected", False
    elif isinstance(exc, httpx.TransportError):
        kind, retryable = "connection failed", True
    else:
        kind, retryable = "error", True
    message = f"{what}: {kind} ({name}: {truncate(' '.join(detail.split()), MAX_BODY)})"
    return result(False, mask(message, list(secrets)), retryable=retryable)


def quiet_httpx_request_log() -> None:
    """httpx logs every request's full URL at INFO ("HTTP Request: POST https://hooks.slack.com/services/...");
    a webhook URL is a secret, so that logger is held at WARNING."""
    import logging

    logger = logging.getLogger("httpx")
    if logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)


def capped_transport(limit: int = MAX_RECEIVER_BODY, *, verify: Any = True, limits: Any = None) -> "httpx.AsyncBaseTransport":
    """An HTTP transport whose answers end after ``limit`` bytes: the rest is never
    read (the connection is closed instead). Used with ``Accept-Encoding: identity``
    so the bytes counted are the bytes kept."""
    import httpx

    class CappedStream(httpx.AsyncByteStream):
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            seen = 0
            async for chunk in self._stream:
                chunk = chunk[: limit - seen]
                seen += len(chunk)
                if chunk:
                    yield chunk
                if seen >= limit:
                    break

        async def aclose(self) -> None:
            await self._stream.aclose()

    class CappedTransport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self._inner = httpx.AsyncHTTPTransport(verify=verify, limits=limits or httpx.Limits())

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=CappedStream(response.stream),
                extensions=response.extensions,
            )

        async def aclose(self) -> None:
            await self._inner.aclose()

    return CappedTransport()


def authorized_client(config: Any, *, headers: Mapping[str, str] | None = None,
                      secrets: Iterable[str | None] = ()) -> tuple["httpx.AsyncClient", list[str]]:
    """A :func:`make_client` carrying ``config``'s ``bearer_token`` and ``basic_auth`` (and
    ``headers``), with the strings to mask in what it reports: those credentials, their Basic
    form, and ``secrets`` (a webhook URL, credential headers)."""
    h = dict(headers or {})
    if config.bearer_token:
        h["Authorization"] = f"Bearer {config.bearer_token}"
    basic = config.basic_auth
    auth = (basic.username, basic.password) if basic else None
    masked = secret_parts(*secrets, config.bearer_token, basic.password if basic else None,
                          pairs=[auth] if auth else ())
    return make_client(timeout=config.timeout, headers=h, auth=auth), masked


def make_client(
    *,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    verify: Any = True,
) -> "httpx.AsyncClient":
    """One ``httpx.AsyncClient`` for one channel: bounded timeout, no redirects
    (a webhook that redirects is misconfigured, and following it could leak a
    token to another host), a small connection pool, and answers read no
    further than :data:`MAX_RECEIVER_BODY` bytes."""
    import httpx

    quiet_httpx_request_log()
    h = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    h.update(headers or {})
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        headers=h,
        auth=auth,
        follow_redirects=False,
        transport=capped_transport(
            verify=verify, limits=httpx.Limits(max_connections=4, max_keepalive_connections=2)
        ),
    )


async def post_json(
    client: "httpx.AsyncClient",
    url: str,
    body: Any,
    *,
    what: str,
    secrets: Iterable[str],
    ok_message: str | None = None,
) -> "DeliveryResult":
    """POST ``body`` as JSON and classify the answer; never raises for HTTP or
    transport problems (they become a DeliveryResult)."""
    import httpx

    secrets = list(secrets)
    try:
        response = await client.post(url, content=json.dumps(body, separators=(",", ":")),
                                     headers={"Content-Type": "application/json"})
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return classify_exception(exc, what=what, secrets=secrets)
    except Exception as exc:  # noqa: BLE001 - e.g. an ExceptionGroup for a port out of range; never leak the URL
        return classify_exception(exc, what=what, secrets=secrets)
    return classify_response(response, what=what, secrets=secrets, ok_message=ok_message)
