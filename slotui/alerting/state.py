"""Alert and group state: what the alert engine remembers between evaluations.

:class:`AlertRecord` is one alert (one SLO at one severity, fingerprint
``"{slo}:{severity}"``) through its life: ``pending`` (condition holds, the
SLO's ``for:`` has not elapsed), ``firing``, ``resolved``. Each firing or
resolved transition increments ``transition_id``.

:class:`GroupRecord` is one aggregation group (Alertmanager's ``aggrGroup``):
the alerts sharing the ``group.by`` label values, when it next flushes, and per
channel what was last notified (:class:`SentEntry`, Alertmanager's
notification log), which decides whether a flush sends anything.

Plain data with ``to_dict``/``from_dict``; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from slotui.alerting.notification import Alert
from slotui.bad_rows import RowError, describe, finite, integer, one_of, optional_finite, str_dict, str_list, text
from slotui.formatting import format_duration

AlertLifecycle = Literal["pending", "firing", "resolved"]
_LIFECYCLE: tuple[str, ...] = ("pending", "firing", "resolved")

#: Severities from least to most severe.
SEVERITIES: tuple[str, ...] = ("warning", "critical", "page")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(slots=True)
class AlertRecord:
    """One alert's state.

    ``active_since``: when the condition started holding (pending start; the
    alert's ``starts_at``). ``fired_at``/``resolved_at``: last transitions.
    ``silenced_by``: ids of the silences muting it at the last evaluation.
    ``inhibited``: a more severe alert of the same SLO fires.
    ``escalated``: fires because a lower severity lasted longer than the
    ``escalate`` setting, not because of the SLO status. ``acked_*``: an
    operator acknowledged it (cleared on resolve). ``labels`` /
    ``annotations`` / ``context`` are the snapshot of the last evaluation in
    which the condition held. ``options``: routing options from an alert rule
    (``notify_type``, ``slack_channel``). ``group_key``: the aggregation group
    it belongs to while firing (and until its resolve was flushed).
    """

    fingerprint: str
    slo: str
    severity: str
    state: AlertLifecycle
    active_since: float
    fired_at: float | None = None
    resolved_at: float | None = None
    last_eval: float = 0.0
    transition_id: int = 0
    acked_at: float | None = None
    acked_by: str | None = None
    silenced_by: tuple[str, ...] = ()
    inhibited: bool = False
    escalated: bool = False
    group_key: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    updated_at: float = 0.0

    @property
    def silenced(self) -> bool:
        return bool(self.silenced_by)

    @property
    def muted(self) -> bool:
        """Held back from notifications: silenced or inhibited."""
        return self.silenced or self.inhibited

    @property
    def acked(self) -> bool:
        return self.acked_at is not None

    def clone(self) -> AlertRecord:
        return AlertRecord(
            fingerprint=self.fingerprint,
            slo=self.slo,
            severity=self.severity,
            state=self.state,
            active_since=self.active_since,
            fired_at=self.fired_at,
            resolved_at=self.resolved_at,
            last_eval=self.last_eval,
            transition_id=self.transition_id,
            acked_at=self.acked_at,
            acked_by=self.acked_by,
            silenced_by=self.silenced_by,
            inhibited=self.inhibited,
            escalated=self.escalated,
            group_key=self.group_key,
            labels=dict(self.labels),
            annotations=dict(self.annotations),
            context=dict(self.context),
            options=dict(self.options),
            updated_at=self.updated_at,
        )

    def to_alert(self, now: float) -> Alert:
        """The notification view of this alert at ``now`` (``firing_for`` filled in)."""
        annotations = dict(self.annotations)
        context = dict(self.context)
        if self.state == "firing" and self.fired_at is not None:
            firing_for = max(0.0, now - self.fired_at)
            context["firing_for"] = firing_for
            annotations["firing_for"] = format_duration(firing_for)
        elif self.fired_at is not None and self.resolved_at is not None:
            context["firing_for"] = max(0.0, self.resolved_at - self.fired_at)
            annotations["firing_for"] = format_duration(context["firing_for"])
        return Alert(
            fingerprint=self.fingerprint,
            slo=self.slo,
            severity=self.severity,  # type: ignore[arg-type]
            state="resolved" if self.state == "resolved" else "firing",
            labels=dict(self.labels),
            annotations=annotations,
            context=context,
            starts_at=self.active_since,
            ends_at=self.resolved_at if self.state == "resolved" else None,
            acked=self.acked,
            acked_by=self.acked_by,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "slo": self.slo,
            "severity": self.severity,
            "state": self.state,
            "active_since": self.active_since,
            "fired_at": self.fired_at,
            "resolved_at": self.resolved_at,
            "last_eval": self.last_eval,
            "transition_id": self.transition_id,
            "acked_at": self.acked_at,
            "acked_by": self.acked_by,
            "silenced_by": list(self.silenced_by),
            "inhibited": self.inhibited,
            "escalated": self.escalated,
            "group_key": self.group_key,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "context": dict(self.context),
            "options": dict(self.options),
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertRecord:
        """Decode a stored record; raises :class:`~slotui.bad_rows.RowError` (a ValueError) naming the
        field when a key is missing, a severity or state is unknown, or a value has the wrong type."""
        if not isinstance(data, dict):
            raise RowError(f"data: expected a JSON object, got {describe(data)}")
        for key in ("fingerprint", "slo", "severity", "state", "active_since"):
            if key not in data:
                raise RowError(f"data: missing key {key!r}")
        return cls(
            fingerprint=text(data["fingerprint"], "data.fingerprint"),
            slo=text(data["slo"], "data.slo"),
            severity=one_of(data["severity"], SEVERITIES, "data.severity"),
            state=one_of(data["state"], _LIFECYCLE, "data.state"),  # type: ignore[arg-type]
            active_since=finite(data["active_since"], "data.active_since"),
            fired_at=optional_finite(data.get("fired_at"), "data.fired_at"),
            resolved_at=optional_finite(data.get("resolved_at"), "data.resolved_at"),
            last_eval=optional_finite(data.get("last_eval"), "data.last_eval") or 0.0,
            transition_id=integer(data.get("transition_id") or 0, "data.transition_id"),
            acked_at=optional_finite(data.get("acked_at"), "data.acked_at"),
            acked_by=_opt_text(data.get("acked_by"), "data.acked_by"),
            silenced_by=tuple(str_list(data.get("silenced_by"), "data.silenced_by")),
            inhibited=bool(data.get("inhibited")),
            escalated=bool(data.get("escalated")),
            group_key=_opt_text(data.get("group_key"), "data.group_key"),
            labels=str_dict(data.get("labels"), "data.labels"),
            annotations=str_dict(data.get("annotations"), "data.annotations"),
            context=_dict(data.get("context"), "data.context"),
            options=str_dict(data.get("options"), "data.options"),
            updated_at=optional_finite(data.get("updated_at"), "data.updated_at") or 0.0,
        )


@dataclass(slots=True)
class SentEntry:
    """What one channel was last told about one group (Alertmanager's notification log entry).

    ``seq`` counts notifications enqueued for this (group, channel); it is the
    outbox's transition id, so the same notification is never enqueued twice.
    """

    firing: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    at: float | None = None
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"firing": list(self.firing), "resolved": list(self.resolved), "at": self.at, "seq": self.seq}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentEntry:
        """Raises :class:`~slotui.bad_rows.RowError` for a value of the wrong type."""
        if not isinstance(data, dict):
            raise RowError(f"data.sent: expected an object per channel, got {describe(data)}")
        return cls(
            firing=tuple(str_list(data.get("firing"), "data.sent.firing")),
            resolved=tuple(str_list(data.get("resolved"), "data.sent.resolved")),
            at=optional_finite(data.get("at"), "data.sent.at"),
            seq=integer(data.get("seq") or 0, "data.sent.seq"),
        )


@dataclass(slots=True)
class GroupRecord:
    """One aggregation group.

    ``members``: fingerprints of its firing alerts, plus resolved ones not yet
    flushed. ``next_flush``: when it is next considered for a notification
    (None while the group is empty). ``flushed``: it flushed at least once
    since it became non-empty (so new alerts wait ``group_interval``, not
    ``group_wait``). ``sent`` per channel survives the group going empty, so
    outbox transition ids keep increasing.
    """

    key: str
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    next_flush: float | None = None
    flushed: bool = False
    members: list[str] = field(default_factory=list)
    sent: dict[str, SentEntry] = field(default_factory=dict)
    updated_at: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.members)

    def clone(self) -> GroupRecord:
        return GroupRecord(
            key=self.key,
            labels=dict(self.labels),
            options=dict(self.options),
            created_at=self.created_at,
            next_flush=self.next_flush,
            flushed=self.flushed,
            members=list(self.members),
            sent={k: SentEntry(v.firing, v.resolved, v.at, v.seq) for k, v in self.sent.items()},
            updated_at=self.updated_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "labels": dict(self.labels),
            "options": dict(self.options),
            "created_at": self.created_at,
            "next_flush": self.next_flush,
            "flushed": self.flushed,
            "members": list(self.members),
            "sent": {k: v.to_dict() for k, v in self.sent.items()},
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupRecord:
        """Decode a stored group; raises :class:`~slotui.bad_rows.RowError` naming the field."""
        if not isinstance(data, dict):
            raise RowError(f"data: expected a JSON object, got {describe(data)}")
        if "key" not in data:
            raise RowError("data: missing key 'key'")
        sent = _dict(data.get("sent"), "data.sent")
        return cls(
            key=text(data["key"], "data.key"),
            labels=str_dict(data.get("labels"), "data.labels"),
            options=str_dict(data.get("options"), "data.options"),
            created_at=optional_finite(data.get("created_at"), "data.created_at") or 0.0,
            next_flush=optional_finite(data.get("next_flush"), "data.next_flush"),
            flushed=bool(data.get("flushed")),
            members=str_list(data.get("members"), "data.members"),
            sent={k: SentEntry.from_dict(v) for k, v in sent.items()},
            updated_at=optional_finite(data.get("updated_at"), "data.updated_at") or 0.0,
        )


def _opt_text(value: Any, column: str) -> str | None:
    return None if value is None else text(value, column)


def _dict(value: Any, column: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RowError(f"{column}: expected a JSON object, got {describe(value)}")
    return dict(value)
