"""Channels: one module per destination behind :class:`slotui.channels.base.Channel`.

``build_channel`` imports only the module of the type asked for, so the
headless path pays for httpx or smtplib only when a config uses them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slotui.channels.base import Channel
    from slotui.config.model import ChannelConfig

#: channel ``type`` -> "module:factory"; each factory is ``(name, config, *, base_dir) -> Channel``
REGISTRY = {
    "slack": "slotui.channels.slack:SlackChannel",
    "pagerduty": "slotui.channels.pagerduty:PagerDutyChannel",
    "email": "slotui.channels.email:EmailChannel",
    "webhook": "slotui.channels.webhook:WebhookChannel",
    "alertmanager": "slotui.channels.alertmanager:AlertmanagerChannel",
    "file": "slotui.channels.file:FileChannel",
}


def build_channel(name: str, config: "ChannelConfig", *, base_dir: Path) -> "Channel":
    """Instantiate the channel ``name`` from its config model (``alerts.channels[name]``).

    Raises KeyError for an unknown ``type`` (the config model already rejects those).
    """
    module_name, _, attr = REGISTRY[config.type].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(name, config, base_dir=base_dir)
