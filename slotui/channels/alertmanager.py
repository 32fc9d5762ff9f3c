"""Alertmanager channel: ``POST {url}/api/v2/alerts``, and silences mirrored to
``/api/v2/silences``.

Alerts are posted the way Prometheus posts them: a JSON list of postable
alerts ``{labels, annotations, startsAt, endsAt, generatorURL}``. The labels
are the alert's (``alertname``, ``slo``, ``service``, ``severity``,
``source``, the SLO's own; SPEC section 4), so Alertmanager's fingerprint is
stable for a slotui alert. Label names Alertmanager refuses (``team-name``,
``gen_ai.request.model``) are posted as it accepts them (``team_name``), in
alerts and in mirrored silences' matchers alike: see
:mod:`slotui.alerting.prometheus_labels`.

``endsAt`` decides the state in Alertmanager:

- a firing alert is posted with ``endsAt = now + alert_ttl`` (config, default
  6h). Without an ``endsAt`` Alertmanager would resolve it after its own
  ``resolve_timeout`` (5m by default), long before slotui's next repeat (4h by
  default). slotui must therefore re-send a firing alert to this channel more
  often than ``alert_ttl`` (the default repeat interval does); if slotui dies,
  its alerts lapse by themselves within ``alert_ttl``.
- a test alert gets ``endsAt = now + 5m``: it shows up and goes away alone.
- a resolved alert is posted with ``endsAt`` = when it resolved (never later
  than now), which ends it at once.

Acknowledgements have no Alertmanager form and are not sent (use a silence).

Silences: :meth:`AlertmanagerChannel.mirror_silence` posts a slotui
:class:`~slotui.alerting.silence.Silence` and returns Alertmanager's
``silenceID``; :meth:`AlertmanagerChannel.expire_mirrored` deletes it
(``DELETE /api/v2/silence/{id}``; an unknown or already expired id counts as
done). A mute (``ends_at=None``) is mirrored with ``endsAt`` ten years ahead
(:data:`OPEN_ENDED`), since Alertmanager silences must end; expiring the mute
in slotui expires the mirror. Each mirror's comment carries ``[slotui silence
ID]``, so :meth:`AlertmanagerChannel.sync_silences` can reconcile all of them
with the store's silences without remembering remote ids (call it after a
silence is added or expired, or once per tick).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.alerting.notification import rfc3339
from slotui.alerting.prometheus_labels import label_name, label_set
from slotui import base_url
from slotui.channels import http, render
from slotui.channels.base import DeliveryResult

if TYPE_CHECKING:
    import httpx

    from slotui.alerting.notification import Alert, Notification
    from slotui.alerting.silence import Silence
    from slotui.config.model import AlertmanagerChannel as AlertmanagerChannelConfig

#: ``endsAt`` of a test alert, from now (seconds).
TEST_ALERT_TTL = 300.0
#: How far ahead an open-ended slotui mute ends in Alertmanager (ten years, seconds).
OPEN_ENDED = 10 * 365 * 86400.0


_TAG = re.compile(r"\[slotui silence ([^\]\s]+)\]")


@dataclass
class SilenceSync:
    """What :meth:`AlertmanagerChannel.sync_silences` did, by slotui silence id."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _matchers(body_or_remote: dict[str, Any]) -> list[tuple[str, str, bool, bool]]:
    return sorted(
        (m["name"], m["value"], bool(m.get("isRegex")), bool(m.get("isEqual", True)))
        for m in body_or_remote.get("matchers", [])
    )


def _ts(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _in_sync(remote: dict[str, Any], silence: "Silence", now: float) -> bool:
    """Whether Alertmanager's mirror has the silence's matchers and end (an
    open-ended mute counts as in sync while its mirror ends years ahead)."""
    if _matchers(remote) != _matchers(postable_silence(silence, now)):
        return False
    try:
        remote_end = _ts(remote["endsAt"])
    except (KeyError, ValueError):
        return False
    if silence.ends_at is None:
        return remote_end > now + OPEN_ENDED / 2
    return abs(remote_end - silence.ends_at) < 1.0


class SilenceMirrorError(Exception):
    """Alertmanager refused or could not be reached to mirror/expire a silence.

    The message names the answer (secrets masked); ``retryable`` says whether
    trying again may help.
    """

    def __init__(self, message: str, *, retryable: bool, status_code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code


def postable_alert(alert: "Alert", now: float, *, ttl: float) -> dict[str, Any]:
    """One alert as ``POST /api/v2/alerts`` expects it, with ``endsAt`` as the module docstring says."""
    if alert.state == "resolved":
        ends = min(alert.ends_at if alert.ends_at is not None else now, now)
    elif alert.is_test:
        ends = now + TEST_ALERT_TTL
    else:
        ends = now + ttl
    body: dict[str, Any] = {
        "labels": label_set({k: str(v) for k, v in alert.labels.items()})[0],
        "annotations": {k: str(v) for k, v in alert.annotations.items()},
        "startsAt": rfc3339(min(alert.starts_at, ends)),
        "endsAt": rfc3339(ends),
    }
    if alert.is_test:
        body["labels"].setdefault("test", "true")
    generator = render.generator_url(alert)
    if generator:
        body["generatorURL"] = generator
    return body


def postable_silence(silence: "Silence", now: float) -> dict[str, Any]:
    """A slotui silence as ``POST /api/v2/silences`` expects it.

    Operators map to ``isRegex``/``isEqual`` (``=``: F/T, ``!=``: F/F, ``=~``:
    T/T, ``!~``: T/F). An open-ended mute ends :data:`OPEN_ENDED` from now.
    The comment names the slotui silence id, so the mirror can be traced back.
    """
    ends = silence.ends_at if silence.ends_at is not None else now + OPEN_ENDED
    comment = (silence.comment or "").strip()
    tag = f"[slotui silence {silence.id}]"
    return {
        "matchers": [
            {
                "name": label_name(m.name),
                "value": m.value,
                "isRegex": m.op in ("=~", "!~"),
                "isEqual": m.op in ("=", "=~"),
            }
            for m in silence.matchers
        ],
        "startsAt": rfc3339(silence.starts_at),
        "endsAt": rfc3339(ends),
        "createdBy": silence.created_by or "slotui",
        "comment": f"{comment} {tag}" if comment else tag,
    }


class AlertmanagerChannel:
    """Posts alerts to an Alertmanager and mirrors silences to it."""

    def __init__(self, name: str, config: "AlertmanagerChannelConfig", *, base_dir: Path | None = None) -> None:
        self.name = name
        self.send_resolved = config.posts_resolved  # always: a resolve not posted stays firing until alert_ttl
        self.mirror_silences = config.mirror_silences
        self._base = config.url
        self._ttl = float(config.alert_ttl)
        self.timeout = float(config.timeout)
        self._client, self._secrets = http.authorized_client(config)

    def __repr__(self) -> str:
        return f"AlertmanagerChannel({self.name!r}, {http.display_url(self._base)})"

    async def send(self, notification: "Notification") -> DeliveryResult:
        if notification.kind == "acknowledge":
            return DeliveryResult.delivered(message="not sent: Alertmanager has no acknowledgement (use a silence)")
        now = time.time()
        alerts = notification.alerts
        if not alerts:
            return DeliveryResult.delivered(message="nothing to send")
        body = [postable_alert(a, now, ttl=self._ttl) for a in alerts]
        return await http.post_json(
            self._client,
            base_url.join(self._base, "api/v2/alerts"),
            body,
            what="alertmanager",
            secrets=self._secrets,
            ok_message=f"alertmanager: {len(body)} alert(s) posted",
        )

    async def mirror_silence(self, silence: "Silence", *, remote_id: str | None = None) -> str:
        """Create (or, with ``remote_id``, update) the Alertmanager silence for
        ``silence``; returns Alertmanager's silence id. Raises
        :class:`SilenceMirrorError` on a refusal or an unreachable server."""
        body = postable_silence(silence, time.time())
        if remote_id:
            body["id"] = remote_id
        what = f"alertmanager {self.name}: silence"
        response = await self._silences_api("POST", "silences", what, json=body)
        try:
            silence_id = response.json()["silenceID"]
        except (ValueError, KeyError, TypeError):
            raise SilenceMirrorError(
                http.mask(f"{what}: unexpected answer {http.truncate(response.text, http.MAX_BODY)!r}", self._secrets),
                retryable=False,
            ) from None
        return str(silence_id)

    async def _silences_api(self, method: str, path: str, what: str, *, json: Any = None) -> "httpx.Response":
        """One request to ``/api/v2/<path>`` answered 200; raises :class:`SilenceMirrorError`
        (secrets masked) when Alertmanager is unreachable or answers another status."""
        import httpx

        try:
            response = await self._client.request(method, base_url.join(self._base, f"api/v2/{path}"), json=json)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            res = http.classify_exception(exc, what=what, secrets=self._secrets)
            raise SilenceMirrorError(res.message, retryable=res.retryable) from None
        if response.status_code != 200:
            res = http.classify_response(response, what=what, secrets=self._secrets)
            raise SilenceMirrorError(res.message, retryable=res.retryable, status_code=response.status_code)
        return response

    async def expire_mirrored(self, remote_id: str) -> None:
        """Expire the Alertmanager silence ``remote_id``. Unknown or already
        expired silences count as expired. Raises :class:`SilenceMirrorError`
        otherwise."""
        import httpx

        what = f"alertmanager {self.name}: expire silence"
        try:
            response = await self._client.delete(base_url.join(self._base, f"api/v2/silence/{remote_id}"))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            res = http.classify_exception(exc, what=what, secrets=self._secrets)
            raise SilenceMirrorError(res.message, retryable=res.retryable) from None
        if response.status_code == 200 or response.status_code == 404:
            return
        if "already expired" in response.text:
            return
        res = http.classify_response(response, what=what, secrets=self._secrets)
        raise SilenceMirrorError(res.message, retryable=res.retryable, status_code=response.status_code)

    async def list_mirrored(self) -> dict[str, dict[str, Any]]:
        """Alertmanager's not-yet-expired silences that mirror slotui silences, by slotui id
        (found by the ``[slotui silence ID]`` tag in their comment)."""
        what = f"alertmanager {self.name}: list silences"
        response = await self._silences_api("GET", "silences", what)
        try:
            items = response.json() or []
        except ValueError:
            raise SilenceMirrorError(
                f"{what}: unreadable answer ({len(response.content):,} bytes read, at most "
                f"{http.MAX_RECEIVER_BODY:,})",
                retryable=True,
            ) from None
        out: dict[str, dict[str, Any]] = {}
        for item in items:
            m = _TAG.search(str(item.get("comment", "")))
            if m and item.get("status", {}).get("state") != "expired":
                out[m.group(1)] = item
        return out

    async def sync_silences(self, silences: Iterable["Silence"], now: float) -> SilenceSync:
        """Make Alertmanager's mirrors match slotui's silences (call after a change
        or once per tick): mirror every pending or active slotui silence that has
        no mirror or whose end or matchers changed, and expire every mirror whose
        slotui silence is expired or gone. Stateless: mirrors are found by the
        tag in their comment, so no remote ids need storing. Errors are
        collected per silence, never raised, except when Alertmanager cannot be
        listed (:class:`SilenceMirrorError`)."""
        wanted = {s.id: s for s in silences if not s.is_expired(now)}
        mirrored = await self.list_mirrored()
        result = SilenceSync()
        for sid, silence in wanted.items():
            remote = mirrored.get(sid)
            if remote is not None and _in_sync(remote, silence, now):
                continue
            try:
                await self.mirror_silence(silence, remote_id=remote["id"] if remote else None)
                (result.updated if remote else result.created).append(sid)
            except SilenceMirrorError as exc:
                result.errors[sid] = str(exc)
        for sid, remote in mirrored.items():
            if sid in wanted:
                continue
            try:
                await self.expire_mirrored(remote["id"])
                result.expired.append(sid)
            except SilenceMirrorError as exc:
                result.errors[sid] = str(exc)
        return result

    async def list_alerts(self) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts`` (active, silenced and inhibited): for checks and tests."""
        response = await self._client.get(base_url.join(self._base, "api/v2/alerts"))
        response.raise_for_status()
        data = response.json()
        return data if isinstance(data, list) else []

    async def aclose(self) -> None:
        await self._client.aclose()

