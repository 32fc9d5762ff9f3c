"""Routes: which channels an alert goes to.

``alerts.routes`` is an ordered list; a route matches an alert when its
``severity`` (if set) equals the alert's, every ``match`` label is equal and
every ``matchers`` entry holds (Alertmanager's ``=``, ``!=``, ``=~``, ``!~``,
regexes fully anchored; a label the alert does not carry is ``""`` for both).
Every matching route adds its channels, in order, without duplicates; a
matching route with ``continue: false`` stops the walk (Alertmanager's
``continue``, except that slotui's default is ``true``: an alert goes to every
route it matches unless a route says otherwise).

Without any ``routes``, every alert goes to every configured channel (so the
demo's single ``file`` channel works with no routing section).

**Alert rules** (LangSmith style, ``notification: {type: slack, channel:
"#llm-alerts"}``): the SLO built from such a rule carries
``params["notification"]``. Its alerts go to every configured channel of that
``type`` *instead of* the routes, and a Slack ``channel`` becomes the
notification's channel override (``options["slack_channel"]``). When no
channel of that type is configured, the routes apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from slotui.alerting.notification import OPTION_SLACK_CHANNEL
from slotui.alerting.silence import parse_matchers

if TYPE_CHECKING:
    from slotui.config.model import Route

#: Keys of ``AlertRecord.options`` set from a rule's ``notification``.
OPTION_NOTIFY_TYPE = "notify_type"


def notification_options(params: Mapping[str, Any]) -> dict[str, str]:
    """Routing options from an SLO's ``params["notification"]`` (an alert rule's target)."""
    target = params.get("notification") if params else None
    if not target:
        return {}
    if not isinstance(target, Mapping):
        target = {"type": getattr(target, "type", None), "channel": getattr(target, "channel", None)}
    out: dict[str, str] = {}
    kind = target.get("type")
    if kind:
        out[OPTION_NOTIFY_TYPE] = str(kind)
    channel = target.get("channel")
    if channel and str(kind) == "slack":
        out[OPTION_SLACK_CHANNEL] = str(channel)
    return out


class Router:
    """Maps an alert's labels (and rule options) to channel names.

    ``routes`` are the config's :class:`slotui.config.model.Route` models; ``channel_types``
    maps each configured channel name to its ``type``. Channels a route names
    that are not configured are ignored (the config loader reports them).
    """

    def __init__(self, routes: Iterable["Route"], channel_types: Mapping[str, str]) -> None:
        self.routes = list(routes)
        self.channel_types = dict(channel_types)
        self._matchers = [parse_matchers(getattr(route, "matchers", None) or ()) for route in self.routes]

    @property
    def channels(self) -> list[str]:
        return list(self.channel_types)

    def route(self, labels: Mapping[str, str], options: Mapping[str, str] | None = None) -> list[str]:
        """Channel names for an alert, in route order, without duplicates."""
        if options:
            kind = options.get(OPTION_NOTIFY_TYPE)
            if kind:
                typed = [name for name, t in self.channel_types.items() if t == kind]
                if typed:
                    return typed
        if not self.routes:
            return list(self.channel_types)
        out: list[str] = []
        severity = labels.get("severity")
        for route, matchers in zip(self.routes, self._matchers):
            if route.severity is not None and route.severity != severity:
                continue
            if any(labels.get(k, "") != v for k, v in (route.match or {}).items()):
                continue
            if not all(m.matches(labels) for m in matchers):
                continue
            for name in route.channels:
                if name in self.channel_types and name not in out:
                    out.append(name)
            if not route.continue_:
                break
        return out

    def channel_options(self, channel: str, options: Mapping[str, str]) -> dict[str, Any]:
        """The per-notification options a channel gets for alerts with these rule options."""
        out: dict[str, Any] = {}
        if self.channel_types.get(channel) == "slack" and options.get(OPTION_SLACK_CHANNEL):
            out[OPTION_SLACK_CHANNEL] = options[OPTION_SLACK_CHANNEL]
        return out
