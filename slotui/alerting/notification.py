"""The notification types shared by the alert engine, the outbox and every channel.

An :class:`Alert` is one SLO at one severity (fingerprint ``"{slo}:{severity}"``,
stable across restarts: it is the PagerDuty ``dedup_key`` and, with its labels,
the Alertmanager identity). A :class:`Notification` carries one *group* of
alerts to one channel, the way an Alertmanager receiver gets one webhook per
group. Notifications are stored in the outbox as JSON (``to_dict`` /
``from_dict``), so every field is JSON-serialisable.

Times are UTC epoch seconds (float); :func:`rfc3339` formats them for payloads.
Nothing here does I/O or reads a clock.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from slotui import clock

AlertState = Literal["firing", "resolved"]
NotificationKind = Literal["trigger", "resolve", "acknowledge", "test"]
Severity = Literal["warning", "critical", "page"]

#: Label names every alert carries (SPEC section 4: the Alertmanager label set).
CORE_LABELS = ("alertname", "slo", "service", "severity", "source")

#: ``options`` key a channel reads for a per-notification Slack channel override
#: (LangSmith-style rules: ``notification: {type: slack, channel: "#llm-alerts"}``).
OPTION_SLACK_CHANNEL = "slack_channel"

#: Prefix of summaries / subjects of test notifications.
TEST_PREFIX = "[TEST] "


def fingerprint(slo: str, severity: str) -> str:
    """The stable identity of an alert: ``"{slo}:{severity}"``."""
    return f"{slo}:{severity}"


def rfc3339(ts: float | None) -> str | None:
    """``2026-06-01T12:00:03.120Z`` for an epoch-seconds value (None stays None)."""
    if ts is None:
        return None
    return clock.rfc3339(ts, milliseconds=True)


#: Alertmanager's "zero" endsAt for an alert that is still firing.
ZERO_TIME = "0001-01-01T00:00:00Z"


class Alert(BaseModel):
    """One SLO at one severity, as a notification shows it.

    ``labels`` always hold ``alertname`` (``SLOBurn``), ``slo``, ``service``,
    ``severity``, ``source`` plus the SLO's own labels (and ``test="true"`` for
    a test alert). ``annotations`` are strings (Alertmanager semantics):
    ``summary``, ``description``, ``runbook_url``, ``value``, ``target``,
    ``thresholds``, ``window``, ``burn_rates``, ``budget_remaining``,
    ``firing_for``, ``silence_command``. ``context`` holds the same facts as
    numbers for channels that lay them out (Slack fields, PagerDuty
    ``custom_details``): keys ``value``, ``unit``, ``target``, ``warning``,
    ``critical``, ``direction``, ``status``, ``window`` (s), ``period`` (s),
    ``budget_remaining`` (fraction, may be negative), ``burn_rates`` (list of
    ``{severity, long_window, short_window, factor, long_rate, short_rate,
    firing}``), ``fastest_burn`` (float | None), ``firing_for`` (s),
    ``evaluated_at``.
    """

    model_config = ConfigDict(extra="forbid")

    fingerprint: str
    slo: str
    severity: Severity
    state: AlertState = "firing"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    starts_at: float
    ends_at: float | None = None
    generator_url: str | None = None
    is_test: bool = False
    acked: bool = False
    acked_by: str | None = None

    @property
    def summary(self) -> str:
        """One line: ``annotations["summary"]`` or a fallback (already ``[TEST]``-prefixed for tests)."""
        text = self.annotations.get("summary") or f"{self.slo} {self.severity}"
        if self.is_test and not text.startswith(TEST_PREFIX):
            text = TEST_PREFIX + text
        return text

    @property
    def starts_at_rfc3339(self) -> str:
        return rfc3339(self.starts_at) or ZERO_TIME

    @property
    def ends_at_rfc3339(self) -> str:
        """``endsAt`` for payloads: the end time, or Alertmanager's zero time while firing."""
        return rfc3339(self.ends_at) or ZERO_TIME


class Notification(BaseModel):
    """One group of alerts for one channel (one outbox row).

    ``kind``: ``trigger`` (the group has firing alerts), ``resolve`` (all its
    alerts resolved), ``acknowledge`` (an operator acknowledged; PagerDuty
    sends ``acknowledge``, other channels may post a note or skip it) or
    ``test`` (a TEST notification; its alerts have ``is_test=True``).
    ``status`` is the Alertmanager group status: ``firing`` if any alert fires.
    A group may mix firing and resolved alerts (Alertmanager semantics):
    channels that act per alert (PagerDuty, Alertmanager) use each
    ``alert.state``. ``options`` carries per-notification channel options, e.g.
    ``{"slack_channel": "#llm-alerts"}`` (:data:`OPTION_SLACK_CHANNEL`).
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    channel: str
    group_key: str
    kind: NotificationKind
    status: AlertState
    alerts: list[Alert]
    created_at: float
    group_labels: dict[str, str] = Field(default_factory=dict)
    common_labels: dict[str, str] = Field(default_factory=dict)
    common_annotations: dict[str, str] = Field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_test(self) -> bool:
        return self.kind == "test" or any(a.is_test for a in self.alerts)

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.state == "firing"]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.state == "resolved"]

    @property
    def title(self) -> str:
        """Subject line shared by channels: ``[TEST] [FIRING:2] critical: helpfulness, latency_p95``.

        Alertmanager's default title shape; the SLO names are listed (max 3, then ``+N``).
        """
        prefix = TEST_PREFIX if self.is_test else ""
        if self.kind == "acknowledge":
            head = f"[ACK:{len(self.alerts)}]"
        elif self.status == "firing":
            head = f"[FIRING:{len(self.firing)}]"
        else:
            head = f"[RESOLVED:{len(self.alerts)}]"
        names = [a.slo for a in self.alerts]
        listed = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        severity = self.group_labels.get("severity") or self.common_labels.get("severity")
        what = f"{severity}: {listed}" if severity else listed
        return f"{prefix}{head} {what}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the outbox stores ``json.dumps(to_dict())``)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notification:
        return cls.model_validate(data)

    def to_json(self) -> str:
        """Compact JSON (pydantic's serializer; the outbox stores this)."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Notification:
        return cls.model_validate_json(text)

    def webhook_v4(self, receiver: str | None = None) -> dict[str, Any]:
        """The Alertmanager webhook v4 body for this notification (the ``webhook`` channel's payload)."""
        return {
            "version": "4",
            "groupKey": self.group_key,
            "truncatedAlerts": self.truncated_alerts,
            "status": self.status,
            "receiver": receiver or self.channel,
            "groupLabels": dict(self.group_labels),
            "commonLabels": dict(self.common_labels),
            "commonAnnotations": dict(self.common_annotations),
            "externalURL": self.external_url,
            "alerts": [
                {
                    "status": a.state,
                    "labels": dict(a.labels),
                    "annotations": dict(a.annotations),
                    "startsAt": a.starts_at_rfc3339,
                    "endsAt": a.ends_at_rfc3339,
                    "generatorURL": a.generator_url or "",
                    "fingerprint": a.fingerprint,
                }
                for a in self.alerts
            ],
        }
