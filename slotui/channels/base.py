"""The protocol every channel implements, and the answer it gives.

A channel turns one :class:`~slotui.alerting.notification.Notification` (one
group of alerts) into its receiver's payload and sends it. ``send`` never
raises for a receiver's answer: it returns a :class:`DeliveryResult` that says
whether the receiver accepted it and, if not, whether trying again can help.
The dispatcher (``slotui.alerting.delivery``) owns retries, backoff and the
outbox; a channel sends exactly once per call. An exception escaping ``send``
is treated as a retryable failure with the exception's text (so it must not
contain secrets: mask URLs and keys before raising).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from slotui.alerting.notification import Notification

#: HTTP answers worth retrying (rate limit, timeouts, server trouble).
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What the receiver answered to one send.

    ``ok``: accepted (2xx / SMTP 250 / line written). ``retryable``: a later
    attempt may succeed (429, 5xx, connection errors, timeouts); False for an
    answer that will not change (400, 401, 403, 404, 422). ``status_code``: the
    HTTP or SMTP code when there was one. ``message``: the receiver's own error
    text (trimmed, secrets masked), or a short note on success.
    ``retry_after``: seconds the receiver asked us to wait (``Retry-After``).
    """

    ok: bool
    retryable: bool = False
    status_code: int | None = None
    message: str = ""
    retry_after: float | None = None

    @classmethod
    def delivered(cls, status_code: int | None = None, message: str = "") -> DeliveryResult:
        return cls(ok=True, retryable=False, status_code=status_code, message=message)

    @classmethod
    def failed(
        cls,
        message: str,
        *,
        retryable: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> DeliveryResult:
        return cls(ok=False, retryable=retryable, status_code=status_code, message=message, retry_after=retry_after)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date; needs ``now`` for a date).

    Returns None when absent or unparseable; never negative.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    if now is None:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def result_from_http(
    status_code: int,
    body: str = "",
    *,
    retry_after: str | None = None,
    now: float | None = None,
    limit: int = 500,
) -> DeliveryResult:
    """Classify an HTTP answer: 2xx delivered; 408/425/429/5xx retryable (``Retry-After`` parsed); other 4xx final.

    ``body`` (the receiver's error text) is trimmed to ``limit`` characters;
    the caller masks secrets in it if the receiver may echo them.
    """
    text = " ".join(body.split())[:limit]
    if 200 <= status_code < 300:
        return DeliveryResult.delivered(status_code, text)
    retryable = status_code in RETRYABLE_STATUS or status_code >= 500
    return DeliveryResult.failed(
        f"HTTP {status_code}" + (f": {text}" if text else ""),
        retryable=retryable,
        status_code=status_code,
        retry_after=parse_retry_after(retry_after, now=now) if retryable else None,
    )


@runtime_checkable
class Channel(Protocol):
    """A notification destination: slack, email, pagerduty, webhook, alertmanager, file.

    Built by :func:`slotui.channels.build_channel` as
    ``Factory(name, config, *, base_dir)`` where ``config`` is the channel's
    model from ``slotui.config.model`` (``SlackChannel`` ...) and ``base_dir``
    resolves relative paths (the ``file`` channel).
    """

    #: the channel's name under ``alerts.channels``
    name: str
    #: also notify when alerts resolve (config ``send_resolved``, default true)
    send_resolved: bool
    # Optional ``timeout`` (seconds, the config's): the dispatcher lets one attempt run at least
    # that long (:meth:`slotui.alerting.delivery.Dispatcher.attempt_timeout`).

    async def send(self, notification: Notification) -> DeliveryResult:
        """Send one notification once; return the receiver's answer (never raise for it)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
