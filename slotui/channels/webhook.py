"""Generic webhook: Alertmanager's webhook v4 JSON, one POST per notification.

The body is exactly what an Alertmanager ``webhook_config`` receiver gets::

    {"version": "4", "groupKey": ..., "truncatedAlerts": 0, "status": "firing"|"resolved",
     "receiver": <channel name>, "groupLabels": {...}, "commonLabels": {...},
     "commonAnnotations": {...}, "externalURL": ..., "alerts": [{"status", "labels",
     "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}]}

so any tool that consumes Alertmanager webhooks consumes slotui's. Optional
``bearer_token`` (``Authorization: Bearer``), ``basic_auth`` and extra
``headers``. Acknowledgements have no v4 form and are not sent (the result
says so). The URL, token, password and credential-like header values never
appear in a message.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.channels import http, render
from slotui.channels.base import DeliveryResult
from slotui.config.secrets import is_credential_header

if TYPE_CHECKING:
    from slotui.alerting.notification import Notification
    from slotui.config.model import WebhookChannel as WebhookChannelConfig

def build_payload(notification: "Notification", receiver: str) -> dict[str, Any]:
    """The webhook v4 body of ``notification`` for the receiver named ``receiver``."""
    return notification.webhook_v4(receiver=receiver)


class WebhookChannel:
    """POSTs Alertmanager webhook v4 JSON to ``config.url``."""

    def __init__(self, name: str, config: "WebhookChannelConfig", *, base_dir: Path | None = None) -> None:
        self.name = name
        self.send_resolved = config.send_resolved
        self._url = config.url
        self.timeout = float(config.timeout)
        self._client, self._secrets = http.authorized_client(
            config, headers=config.headers,
            secrets=(config.url, *(v for k, v in config.headers.items() if is_credential_header(k))),
        )

    def __repr__(self) -> str:
        return f"WebhookChannel({self.name!r}, {http.display_url(self._url)})"

    async def send(self, notification: "Notification") -> DeliveryResult:
        skip = render.skip_reason(self.send_resolved, notification)
        if skip:
            return DeliveryResult.delivered(message=skip)
        if notification.kind == "acknowledge":
            return DeliveryResult.delivered(message="not sent: webhook v4 has no acknowledgement")
        payload = build_payload(notification, self.name)
        if not self.send_resolved:  # Alertmanager drops resolved alerts for such receivers
            payload["alerts"] = [a for a in payload["alerts"] if a["status"] == "firing"]
        return await http.post_json(
            self._client, self._url, payload, what="webhook", secrets=self._secrets
        )

    async def aclose(self) -> None:
        await self._client.aclose()
