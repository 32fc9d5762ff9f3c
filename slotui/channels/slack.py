"""Slack incoming webhook: a ``text`` fallback plus Block Kit ``blocks``.

Layout of one notification (one group of alerts)::

    header   "🔴 [FIRING:2] critical: helpfulness, latency_p95"
    per alert (at most MAX_ALERT_SECTIONS):
      section  "helpfulness FIRING (critical)\\nsummary"  + fields Value/Target/Budget/Burn rate
      context  "window 1h · source demo · firing for 12m" · "silence: `slotui silence add ...`"
      actions  [Runbook] button                              (when the alert has a runbook URL)
      divider
    context  "+N more alerts: a, b, c"                        (when the group is larger)

Slack's limits are kept (https://api.slack.com/reference/block-kit/blocks):
at most 50 blocks; header text 150 characters; section text 3000; at most 10
fields of 2000 each; context at most 10 elements; button text 75, URL 3000.
Longer text is cut with ``…``.

What a user wrote (SLO, source and label names, summaries, who acknowledged) is
sent as ``plain_text`` with ``emoji: false``: Slack shows it as written. In
``mrkdwn`` there is no escape for ``*``, ``_``, ``~`` or a backtick, so a name
like ``*p95*_(gpt-4o)_`` would turn bold and italic, and ``:fire:`` in a name
would become an emoji. Only the silence command, inside inline code, and the
fields' bold labels use ``mrkdwn``; ``&``, ``<`` and ``>`` are escaped there and
in the ``text`` fallback, so ``<!channel>`` in a name never pings. Slack answers ``200 ok``; errors are short text
bodies (``invalid_payload``, ``no_service``, ``channel_not_found``), quoted in
the DeliveryResult. The webhook URL is the secret: it never appears in a
message.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.alerting.notification import OPTION_SLACK_CHANNEL
from slotui.channels import http, render
from slotui.channels.base import DeliveryResult

if TYPE_CHECKING:
    from slotui.alerting.notification import Alert, Notification
    from slotui.config.model import SlackChannel as SlackChannelConfig

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_URL = 3000
#: Slack truncates ``text`` after 40,000 characters; keep the fallback short.
MAX_FALLBACK_TEXT = 3000
#: Alerts laid out in full; 1 header + 4 blocks per alert + 1 summary stays under 50.
MAX_ALERT_SECTIONS = 10


#: Characters mrkdwn formats with (``:`` for emoji shortcodes, ``>`` for quotes) or escapes.
_MRKDWN_FORMATTING = frozenset("*_~`:<>&")


def _mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> dict[str, Any]:
    """Literal text: no mrkdwn, no ``<!channel>``, no ``:shortcode:`` emoji."""
    return {"type": "plain_text", "text": http.truncate(text, limit), "emoji": False}


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": http.truncate(text, limit)}


def _field(label: str, value: str) -> dict[str, Any]:
    """A fact with its label in bold; a value holding a character mrkdwn would read (a unit
    someone configured) makes the field plain text, so the value is shown as written."""
    if any(c in value for c in _MRKDWN_FORMATTING):
        return _plain(f"{label}\n{value}", MAX_FIELD_TEXT)
    return _mrkdwn(f"*{label}*\n{_mrkdwn_escape(value)}", MAX_FIELD_TEXT)


def _alert_blocks(alert: "Alert", notification: "Notification") -> list[dict[str, Any]]:
    status = render.status_word(alert)
    head = f"{alert.slo} {status} ({alert.severity})"
    if alert.is_test:
        head = f"[TEST] {head}"
    text = "\n".join(t for t in (head, alert.summary, render.description(alert)) if t)
    fields = [
        _field(f.label, f.value) for f in render.facts(alert) if f.label in ("Value", "Target", "Budget", "Burn rate")
    ][:MAX_FIELDS]
    section: dict[str, Any] = {"type": "section", "text": _plain(text, MAX_SECTION_TEXT)}
    if fields:  # Slack rejects an empty fields array
        section["fields"] = fields
    blocks: list[dict[str, Any]] = [section]
    context_bits = [f"window {render.window_text(alert)}", f"source {render.source_text(alert)}"]
    firing_for = render.firing_for_text(alert)
    if firing_for and alert.state == "firing":
        context_bits.append(f"firing for {firing_for}")
    if alert.acked:
        context_bits.append(f"acknowledged by {alert.acked_by}" if alert.acked_by else "acknowledged")
    elements = [_plain(" · ".join(context_bits), MAX_CONTEXT_TEXT)]
    if alert.state == "firing":
        command = render.silence_command(alert)
        if "`" in command:  # no inline code can hold it: shown as written instead
            elements.append(_plain(f"silence: {command}", MAX_CONTEXT_TEXT))
        else:
            elements.append(_mrkdwn(f"silence: `{_mrkdwn_escape(command)}`", MAX_CONTEXT_TEXT))
    blocks.append({"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]})
    buttons = []
    runbook = render.runbook_url(alert)
    if runbook and len(runbook) <= MAX_BUTTON_URL:
        buttons.append({"type": "button", "text": _plain("Runbook", MAX_BUTTON_TEXT), "url": runbook})
    gen = render.generator_url(alert)
    if gen and len(gen) <= MAX_BUTTON_URL:
        buttons.append({"type": "button", "text": _plain("Source", MAX_BUTTON_TEXT), "url": gen})
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def build_payload(
    notification: "Notification", *, channel: str | None = None, username: str | None = None
) -> dict[str, Any]:
    """The webhook body for one notification, within Slack's limits (see the module docstring).

    ``channel``/``username`` override the webhook's defaults (legacy webhooks
    honour them; app webhooks ignore them). A per-notification
    ``options["slack_channel"]`` (LangSmith-style rules) wins over ``channel``.
    """
    title = notification.title
    header_text = f"{render.kind_emoji(notification)} {title}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(header_text, MAX_HEADER)}]
    alerts = list(notification.alerts)
    shown = alerts[:MAX_ALERT_SECTIONS]
    for alert in shown:
        blocks.extend(_alert_blocks(alert, notification))
        blocks.append({"type": "divider"})
    rest = alerts[len(shown):]
    more = len(rest) + notification.truncated_alerts
    if blocks[-1]["type"] == "divider":
        blocks.pop()
    if more:
        names = ", ".join(a.slo for a in rest)
        note = f"+{more} more alert{'s' if more != 1 else ''}" + (f": {names}" if names else "")
        blocks.append({"type": "context", "elements": [_plain(note, MAX_CONTEXT_TEXT)]})
    assert len(blocks) <= MAX_BLOCKS
    lines = [title]
    for alert in alerts:
        lines.append(
            f"{render.status_word(alert)} {alert.slo} ({alert.severity}): value {render.value_text(alert)}, "
            f"target {render.target_text(alert)}, budget {render.budget_text(alert)}"
        )
    payload: dict[str, Any] = {
        # the fallback is mrkdwn too (notifications and old clients show it): a name's <!channel> would ping
        "text": http.truncate(_mrkdwn_escape("\n".join(lines)), MAX_FALLBACK_TEXT),
        "blocks": blocks,
    }
    override = notification.options.get(OPTION_SLACK_CHANNEL) or channel
    if override:
        payload["channel"] = str(override)
    if username:
        payload["username"] = username
    return payload


class SlackChannel:
    """Posts notifications to a Slack incoming webhook."""

    def __init__(self, name: str, config: "SlackChannelConfig", *, base_dir: Path | None = None) -> None:
        self.name = name
        self.send_resolved = config.send_resolved
        self._url = config.webhook_url
        self._channel = config.channel
        self._username = config.username
        self._secrets = http.secret_parts(config.webhook_url)
        self.timeout = float(config.timeout)
        self._client = http.make_client(timeout=config.timeout)

    def __repr__(self) -> str:
        return f"SlackChannel({self.name!r}, {http.display_url(self._url)})"

    async def send(self, notification: "Notification") -> DeliveryResult:
        skip = render.skip_reason(self.send_resolved, notification)
        if skip:
            return DeliveryResult.delivered(message=skip)
        payload = build_payload(notification, channel=self._channel, username=self._username)
        return await http.post_json(self._client, self._url, payload, what="slack", secrets=self._secrets)

    async def aclose(self) -> None:
        await self._client.aclose()
