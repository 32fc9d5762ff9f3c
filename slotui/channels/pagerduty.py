"""PagerDuty Events API v2: one event per alert of the group.

- firing alert -> ``trigger`` with a full ``payload``; resolved alert ->
  ``resolve``; an ``acknowledge`` notification -> ``acknowledge``. Resolve and
  acknowledge events carry only ``routing_key``, ``event_action`` and
  ``dedup_key`` (the API ignores a payload on them).
- ``dedup_key`` is the alert fingerprint (``"{slo}:{severity}"``, SPEC
  section 4), so repeats update one incident and ``resolve`` closes it. A test
  alert uses ``"{fingerprint}:test"`` so that it never touches a real incident, and is resolved
  right after its trigger is accepted (a test leaves no incident open).
- severity mapping (slotui -> PagerDuty): ``page`` -> ``critical``,
  ``critical`` -> ``error``, ``warning`` -> ``warning``, test alerts -> ``info``.
  slotui's *page* is the level that wakes someone, which PagerDuty calls
  critical; slotui's *critical* is serious but ticket-level, PagerDuty's
  *error*.
- ``payload.summary`` is cut to 1024 characters; a ``dedup_key`` over 255 keeps its
  head and ends in a hash of the whole key (:func:`dedup_key`), so it stays unique;
  ``source`` is the SLO's service label (``slotui`` when unset), ``component``
  the SLO, ``group`` the data source, ``class`` the alert name;
  ``custom_details`` hold the context facts, labels and the silence command;
  ``links`` the runbook and the generator URL.

The API answers ``202 {"status":"success","message":"Event processed",
"dedup_key":...}``; ``400 {"status":"invalid event","message":"Event object is
invalid","errors":[...]}``; ``429`` when rate limited. A group whose events do
not all succeed is a failure; it is retryable when any failure is (an event refused
for good must not keep a throttled or 5xx'd one from being sent again). A retry of
the same notification sends only the events still owed: those accepted or refused
for good in an earlier attempt keep that answer (held in memory per notification
id, :data:`SETTLED_NOTIFICATIONS` of them), so a 400 is not sent again and a group
cut at the attempt limit goes on where it stopped. After a restart the whole group
is sent again (PagerDuty deduplicates by ``dedup_key``). The routing key never
appears in a message.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.alerting.notification import rfc3339
from slotui.channels import http, render
from slotui.channels.base import DeliveryResult

if TYPE_CHECKING:
    from slotui.alerting.notification import Alert, Notification
    from slotui.config.model import PagerDutyChannel as PagerDutyChannelConfig

MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
SEVERITY = {"page": "critical", "critical": "error", "warning": "warning"}
TEST_SEVERITY = "info"
#: notifications whose settled events are remembered for their retries (the oldest forgotten first)
SETTLED_NOTIFICATIONS = 1000


def dedup_key(alert: "Alert") -> str:
    """The alert's fingerprint; test alerts get a ``:test`` suffix of their own.

    A key longer than PagerDuty's 255 characters keeps its first 214 and ends in ``~`` and the
    SHA-1 of the whole key: cutting it short dropped the ``:severity`` (an SLO's warning and
    critical shared one incident, so one's resolve closed the other's) and merged SLOs whose
    names share their first 255 characters.
    """
    key = alert.fingerprint
    if alert.is_test and not key.endswith(":test"):
        key += ":test"
    if len(key) <= MAX_DEDUP_KEY:
        return key
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[:MAX_DEDUP_KEY - len(digest) - 1]}~{digest}"


def severity(alert: "Alert") -> str:
    """PagerDuty severity for a slotui alert (see the module docstring)."""
    return TEST_SEVERITY if alert.is_test else SEVERITY.get(alert.severity, "error")


def event_action(alert: "Alert", notification: "Notification") -> str:
    if notification.kind == "acknowledge":
        return "acknowledge"
    return "resolve" if alert.state == "resolved" else "trigger"


def build_event(alert: "Alert", notification: "Notification", routing_key: str) -> dict[str, Any]:
    """The Events API v2 body for one alert of ``notification``."""
    action = event_action(alert, notification)
    event: dict[str, Any] = {"routing_key": routing_key, "event_action": action, "dedup_key": dedup_key(alert)}
    if action != "trigger":
        return event
    details: dict[str, Any] = {f.label.lower().replace(" ", "_"): f.value for f in render.facts(alert)}
    details["slo"] = alert.slo
    details["severity"] = alert.severity
    details["labels"] = dict(alert.labels)
    if render.description(alert):
        details["description"] = render.description(alert)
    details["silence"] = render.silence_command(alert)
    details["starts_at"] = alert.starts_at_rfc3339
    if notification.is_test:
        details["test"] = True
    event["payload"] = {
        "summary": http.truncate(alert.summary, MAX_SUMMARY),
        "source": alert.labels.get("service") or "slotui",
        "severity": severity(alert),
        "timestamp": rfc3339(alert.starts_at),
        "component": alert.slo,
        "group": alert.labels.get("source") or "slotui",
        "class": alert.labels.get("alertname") or "SLOBurn",
        "custom_details": details,
    }
    links = []
    runbook = render.runbook_url(alert)
    if runbook:
        links.append({"href": runbook, "text": "Runbook"})
    generator = render.generator_url(alert)
    if generator:
        links.append({"href": generator, "text": "Source"})
    if links:
        event["links"] = links
    event["client"] = "slotui"
    if notification.external_url.startswith(("http://", "https://")):
        event["client_url"] = notification.external_url
    return event


def build_events(notification: "Notification", routing_key: str) -> list[dict[str, Any]]:
    """One event per alert of the group, in the group's order."""
    return [build_event(a, notification, routing_key) for a in notification.alerts]


def combine(results: list[DeliveryResult]) -> DeliveryResult:
    """One answer for a group of events: ok when all are; else the failures (each distinct
    message), retryable when any failure is, waiting the longest Retry-After."""
    if not results:
        return DeliveryResult.delivered(message="pagerduty: nothing to send")
    failed = [r for r in results if not r.ok]
    if not failed:
        return DeliveryResult.delivered(
            status_code=results[-1].status_code, message=f"pagerduty: {len(results)} event(s) accepted"
        )
    hints = [r.retry_after for r in failed if r.retry_after is not None]
    first = failed[0]
    accepted = len(results) - len(failed)
    note = f" ({accepted}/{len(results)} events accepted)" if len(results) > 1 else ""
    messages = list(dict.fromkeys(r.message for r in failed))
    return DeliveryResult.failed(
        "; ".join(messages) + note,
        retryable=any(r.retryable for r in failed),
        status_code=first.status_code,
        retry_after=max(hints) if hints else None,
    )


class PagerDutyChannel:
    """Sends Events API v2 events to ``config.url`` (PagerDuty's enqueue endpoint by default)."""

    def __init__(self, name: str, config: "PagerDutyChannelConfig", *, base_dir: Path | None = None) -> None:
        self.name = name
        self.send_resolved = config.send_resolved
        self._url = config.url
        self._routing_key = config.routing_key
        self._secrets = http.secret_parts(config.routing_key)
        self.timeout = float(config.timeout)
        self._client = http.make_client(timeout=config.timeout)
        #: per notification id, the answers that a retry must not ask again: {(index, dedup key, action): answer}
        self._settled: OrderedDict[str, dict[tuple[int, str, str], DeliveryResult]] = OrderedDict()

    def __repr__(self) -> str:
        return f"PagerDutyChannel({self.name!r}, {http.display_url(self._url)})"

    async def send(self, notification: "Notification") -> DeliveryResult:
        skip = render.skip_reason(self.send_resolved, notification)
        if skip:
            return DeliveryResult.delivered(message=skip)
        alerts = notification.alerts
        if not self.send_resolved and notification.kind != "acknowledge":
            alerts = [a for a in alerts if a.state == "firing"]
        settled = self._settled.setdefault(notification.id, {})
        self._settled.move_to_end(notification.id)
        while len(self._settled) > SETTLED_NOTIFICATIONS:
            self._settled.popitem(last=False)
        results: list[DeliveryResult] = []
        for index, alert in enumerate(alerts):
            event = build_event(alert, notification, self._routing_key)
            key = (index, event["dedup_key"], event["event_action"])
            res = settled.get(key)
            if res is None:
                res = await http.post_json(
                    self._client, self._url, event, what="pagerduty", secrets=self._secrets
                )
                if res.ok or not res.retryable:  # kept at once: an attempt cut at its time limit resumes here
                    settled[key] = res
            results.append(res)
            if not res.ok and (res.status_code == 429 or res.status_code is None):
                # rate limited, or no answer (timeout, refused connection): the rest would be refused
                # too, or wait as long each; retry the group later
                break
        if len(results) < len(alerts):
            # the events not attempted count as failed the same way
            last = results[-1]
            results.extend([last] * (len(alerts) - len(results)))
        outcome = combine(results)
        if notification.is_test and outcome.ok:
            outcome = await self._close_test_incidents(alerts, outcome)
        if not outcome.retryable:  # delivered, or failed for good: no retry will come
            self._settled.pop(notification.id, None)
        return outcome

    async def _close_test_incidents(self, alerts: list["Alert"], outcome: DeliveryResult) -> DeliveryResult:
        """A test's trigger opened an incident (its own ``:test`` dedup key): resolved at once, so a
        test checks the route without leaving an incident for someone to close by hand."""
        for alert in alerts:
            event = {"routing_key": self._routing_key, "event_action": "resolve", "dedup_key": dedup_key(alert)}
            res = await http.post_json(self._client, self._url, event, what="pagerduty", secrets=self._secrets)
            if not res.ok:
                return DeliveryResult.delivered(
                    message=f"delivered; resolving the test incident failed (close it by hand): {res.message}")
        return outcome

    async def aclose(self) -> None:
        await self._client.aclose()
