"""The alert engine: a pure step from (report, previous states, silences, now) to new states and notifications.

One call of :func:`step` per evaluation. No I/O, no clock: ``now`` decides
everything, so tests drive it with a fake clock and replays are exact.

**Conditions.** Per SLO and severity (SPEC section 4):

- ``warning`` holds while the SLO status is WARNING or CRITICAL (a CRITICAL
  SLO is also past its warning threshold; inhibition keeps the warning quiet);
- ``critical`` holds while the status is CRITICAL, or (escalation,
  ``escalate.warning_to_critical_after``) while the warning alert has been
  firing for at least that long;
- ``page`` holds (escalation, ``escalate.critical_to_page_after``) while the
  critical alert has been firing for at least that long.

STALE holds every alert of the SLO as it is (a source outage neither fires nor
resolves anything), and so does NO DATA with an error: a source that failed
before any good answer reached this process (``check --notify`` or ``run
--headless --once`` from cron, a daemon restarted during the outage) is an
outage too, not a recovery. NO DATA without an error, OK and AT RISK clear
the conditions.

**Lifecycle.** A condition that starts holding makes the alert ``pending``; it
fires once it has held for the SLO's ``for:`` (immediately with ``for: 0``;
escalated alerts fire at once, their wait is the escalation delay). A pending
alert whose condition clears is forgotten without a notification; a firing
one becomes ``resolved``. An SLO that disappears from the report resolves.

**Inhibition.** A firing alert of an SLO inhibits that SLO's less severe
alerts (page > critical > warning). **Silences** active at ``now``
(``starts_at <= now < ends_at``) whose matchers hold for the alert's labels
mute it. Muted alerts are still evaluated and recorded (``silenced_by``,
``inhibited``), never sent as firing. A resolve is still sent to a channel
that was told the alert was firing, so PagerDuty incidents close.

**Grouping** (Alertmanager's aggregation groups, per ``group.by`` label values
plus a rule's notification target): a group that gets its first alert flushes
after ``group.wait``; later it flushes every ``group.interval``. At a flush,
each channel routed for the group's alerts gets one notification when, with
Alertmanager's notification-log rules, (a) it was never notified and alerts
fire, (b) a firing alert is new to it, (c) alerts it knew as firing resolved
(sent only with ``send_resolved``), or (d) nothing changed but the last
notification is ``group.repeat`` old or older and not every firing alert is
acknowledged. A flapping alert (fire, resolve, fire within one
``group.interval``) therefore sends nothing extra. A channel whose receiver
forgets a firing alert after a while (Alertmanager drops it at its
``endsAt = send time + alert_ttl``) has a *keep-alive* interval
(``AlertPolicy.keepalive``, ``alert_ttl / 2``): its firing alerts are re-sent
at least that often, whatever ``group.repeat`` says and even when acknowledged
(an ack has no Alertmanager form; Alertmanager dedups repeats itself), so they
never lapse while slotui still sees them firing. When that interval is shorter than
``group.interval``, the group also flushes at the keep-alive's time (other channels then see
changes of the group that early too). ``flush_now`` (used by
``slotui check --notify``, a one-shot process) makes new groups flush at once.

**Timers between evaluations.** A group's timers only act when the engine
runs: the daemon calls :func:`step` at every tick, so a group due at ``t``
flushes at the first tick at or after ``t``. :func:`next_flush` says when the
next group is due and :func:`flush_due` runs a tick's timers (silences in
force at ``now``, due groups flushed) with the alert states held: a replay
whose steps are coarser than the daemon's interval calls it at the daemon's
ticks between two steps (docs/replay.md).

**Acknowledge** (:func:`acknowledge`) marks the SLO's firing alerts acked
(stops repeats until they resolve, or a more severe alert fires) and sends an
``acknowledge`` notification to the channels that were told they fire.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from slotui.alerting.context import alert_labels, describe
from slotui.alerting.notification import Alert, Notification, fingerprint
from slotui.alerting.routes import Router, notification_options
from slotui.alerting.state import SEVERITIES, SEVERITY_RANK, AlertRecord, GroupRecord, SentEntry
from slotui.core.types import Report, SLOResult, Status

if TYPE_CHECKING:
    from slotui.config.model import AlertsConfig, ChannelConfig

EventKind = Literal[
    "pending", "firing", "resolved", "forgotten", "silenced", "unsilenced", "inhibited", "uninhibited",
    "acknowledged",
]


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A change of one alert, for logs and the TUI's alert log."""

    at: float
    kind: EventKind
    fingerprint: str
    slo: str
    severity: str
    message: str = ""


@dataclass(slots=True)
class Outgoing:
    """A notification to enqueue, with its outbox identity ``(key, transition_id, channel)``."""

    key: str
    transition_id: str
    notification: Notification


@dataclass(slots=True)
class AlertPolicy:
    """Everything from ``alerts:`` the engine needs. Durations in seconds."""

    router: Router
    group_by: tuple[str, ...] = ("severity",)
    group_wait: float = 30.0
    group_interval: float = 300.0
    repeat_interval: float = 4 * 3600.0
    warning_to_critical_after: float | None = None
    critical_to_page_after: float | None = None
    send_resolved: dict[str, bool] = field(default_factory=dict)
    external_url: str = ""
    #: channel -> longest gap (seconds) between sends of a still-firing group, for receivers
    #: that forget a firing alert after a TTL (Alertmanager: ``alert_ttl / 2``)
    keepalive: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_config(cls, alerts: "AlertsConfig", *, external_url: str = "") -> AlertPolicy:
        """From a ``slotui.config.model.AlertsConfig``."""
        channels = alerts.channels
        return cls(
            router=Router(alerts.routes, {name: cfg.type for name, cfg in channels.items()}),
            group_by=tuple(alerts.group.by),
            group_wait=float(alerts.group.wait),
            group_interval=float(alerts.group.interval),
            repeat_interval=float(alerts.group.repeat),
            warning_to_critical_after=_opt(alerts.escalate.warning_to_critical_after),
            critical_to_page_after=_opt(alerts.escalate.critical_to_page_after),
            send_resolved={name: cfg.posts_resolved for name, cfg in channels.items()},
            external_url=external_url,
            keepalive={name: ttl / 2 for name, ttl in _alert_ttls(channels).items()},
        )

    def sends_resolved(self, channel: str) -> bool:
        return self.send_resolved.get(channel, True)


def _opt(x: Any) -> float | None:
    return None if x is None else float(x)


def _alert_ttls(channels: Mapping[str, "ChannelConfig"]) -> dict[str, float]:
    """``alert_ttl`` (seconds) of each Alertmanager channel: it forgets a firing alert after that."""
    return {name: float(cfg.alert_ttl) for name, cfg in channels.items() if cfg.type == "alertmanager"}


@dataclass(slots=True)
class StepResult:
    """The outcome of one step: full new state, what changed, and what to send."""

    states: dict[str, AlertRecord]
    groups: dict[str, GroupRecord]
    changed_states: set[str]
    removed_states: set[str]
    changed_groups: set[str]
    outgoing: list[Outgoing]
    events: list[AlertEvent]

    @property
    def notifications(self) -> list[Notification]:
        return [o.notification for o in self.outgoing]


#: ``group.by: ["..."]``: group by every label, so each alert is a group of its own (Alertmanager).
GROUP_BY_ALL = "..."


def group_labels(labels: Mapping[str, str], group_by: Iterable[str]) -> dict[str, str]:
    """The labels that name an alert's group: the ``group_by`` ones (``""`` when absent),
    or every label of the alert for ``["..."]``."""
    names = tuple(group_by)
    if GROUP_BY_ALL in names:
        return {name: labels[name] for name in sorted(labels)}
    return {name: labels.get(name, "") for name in names}


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def group_key(labels: Mapping[str, str], group_by: Iterable[str], options: Mapping[str, str] | None = None) -> str:
    """``{severity="critical"}``; a rule's notification target is appended (``/slack:#llm-alerts``).

    Values are quoted with ``\\`` and ``\"`` escaped, so two different label sets never share a key."""
    inner = ",".join(f"{name}={_quoted(value)}" for name, value in group_labels(labels, group_by).items())
    key = "{" + inner + "}"
    if options:
        target = options.get("notify_type")
        if target:
            key += f"/{target}:{options.get('slack_channel', '')}"
    return key


# ------------------------------------------------------------------------------------------ step


def step(
    report: Report,
    states: Mapping[str, AlertRecord],
    groups: Mapping[str, GroupRecord],
    silences: Iterable[Any],
    policy: AlertPolicy,
    now: float,
    *,
    flush_now: bool = False,
) -> StepResult:
    """Advance every alert to ``now`` and decide the notifications to send.

    ``states``/``groups`` are not modified; the result holds new objects.
    ``silences`` are :class:`slotui.alerting.silence.Silence` (any object with
    ``is_active(now)``, ``matches(labels)`` and ``id``).
    """
    res = _copy(states, groups)
    seen_slos: set[str] = set()
    for result in report.results:
        seen_slos.add(result.spec.name)
        _advance_slo(result, res, policy, now)

    # SLOs gone from the config: their alerts resolve (pending ones are forgotten).
    for fp, rec in list(res.states.items()):
        if rec.slo not in seen_slos and rec.state != "resolved":
            _clear(rec, res, now)

    _apply_inhibition(res, now)
    _apply_silences(res, [s for s in silences if s.is_active(now)], now)
    _assign_groups(res, policy, now, flush_now)
    _flush_groups(res, policy, now)
    return res


def next_flush(groups: Mapping[str, GroupRecord]) -> float | None:
    """When the earliest group with alerts is next due for a flush (None: no group has alerts)."""
    due = [g.next_flush for g in groups.values() if g.members and g.next_flush is not None]
    return min(due) if due else None


def flush_due(
    states: Mapping[str, AlertRecord],
    groups: Mapping[str, GroupRecord],
    silences: Iterable[Any],
    policy: AlertPolicy,
    now: float,
) -> StepResult:
    """The group timers at ``now`` without a new evaluation: the silences in force at ``now`` are
    applied and every group due by ``now`` is flushed (group wait, group interval, repeat and
    keep-alive, as in :func:`step`); no alert changes state (``for:`` and escalation wait for the
    next :func:`step`, which has the statuses). Inputs are not modified."""
    res = _copy(states, groups)
    _apply_silences(res, [s for s in silences if s.is_active(now)], now)
    _flush_groups(res, policy, now)
    return res


def _copy(states: Mapping[str, AlertRecord], groups: Mapping[str, GroupRecord]) -> StepResult:
    """A result to fill, over copies of ``states`` and ``groups`` (the caller's are never modified)."""
    return StepResult(
        {fp: rec.clone() for fp, rec in states.items()}, {k: g.clone() for k, g in groups.items()},
        set(), set(), set(), [], [],
    )


def _records_of(res: StepResult, slo: str) -> dict[str, AlertRecord]:
    return {r.severity: r for r in res.states.values() if r.slo == slo}


def _advance_slo(result: SLOResult, res: StepResult, policy: AlertPolicy, now: float) -> None:
    spec = result.spec
    status = result.status
    if status == Status.STALE or (status == Status.NO_DATA and result.error is not None):
        for rec in _records_of(res, spec.name).values():
            rec.last_eval = now
        return
    for severity in SEVERITIES:
        fp = fingerprint(spec.name, severity)
        rec = res.states.get(fp)
        escalated = False
        if severity == "warning":
            holds = status in (Status.WARNING, Status.CRITICAL)
        elif severity == "critical":
            holds = status == Status.CRITICAL
            if not holds and policy.warning_to_critical_after is not None:
                warn = res.states.get(fingerprint(spec.name, "warning"))
                holds = escalated = _fired_for(warn, now) >= policy.warning_to_critical_after
        else:
            holds = escalated = False
            if policy.critical_to_page_after is not None:
                crit = res.states.get(fingerprint(spec.name, "critical"))
                holds = escalated = _fired_for(crit, now) >= policy.critical_to_page_after
        if holds:
            _hold(result, severity, rec, res, now, escalated=escalated)
        elif rec is not None and rec.state != "resolved":
            _clear(rec, res, now)


def _fired_for(rec: AlertRecord | None, now: float) -> float:
    """Seconds the alert has been firing; -inf when it is not firing."""
    if rec is None or rec.state != "firing" or rec.fired_at is None:
        return float("-inf")
    return now - rec.fired_at


def _hold(
    result: SLOResult, severity: str, rec: AlertRecord | None, res: StepResult, now: float, *, escalated: bool
) -> None:
    spec = result.spec
    fp = fingerprint(spec.name, severity)
    labels, annotations, context = describe(result, severity, escalated=escalated)
    options = notification_options(spec.params)
    if rec is None or rec.state == "resolved":
        previous = rec
        rec = AlertRecord(
            fingerprint=fp,
            slo=spec.name,
            severity=severity,
            state="pending",
            active_since=now,
            transition_id=previous.transition_id if previous is not None else 0,
            group_key=previous.group_key if previous is not None else None,
        )
        res.states[fp] = rec
        res.events.append(AlertEvent(now, "pending", fp, spec.name, severity, annotations["summary"]))
    if (
        rec.state == "pending"
        or fp in res.changed_states
        or (rec.labels, rec.annotations, rec.context, rec.options, rec.escalated)
        != (labels, annotations, context, options, escalated)
    ):
        rec.labels, rec.annotations, rec.context, rec.options = labels, annotations, context, options
        rec.escalated = escalated
        rec.updated_at = now
        res.changed_states.add(fp)
    rec.last_eval = now
    wait = 0.0 if escalated else float(spec.for_ or 0.0)
    if rec.state == "pending" and now - rec.active_since >= wait:
        rec.state = "firing"
        rec.fired_at = now
        rec.resolved_at = None
        rec.transition_id += 1
        rec.acked_at = rec.acked_by = None
        res.events.append(AlertEvent(now, "firing", fp, spec.name, severity, annotations["summary"]))


def _clear(rec: AlertRecord, res: StepResult, now: float) -> None:
    if rec.state == "pending":
        del res.states[rec.fingerprint]
        res.removed_states.add(rec.fingerprint)
        res.changed_states.discard(rec.fingerprint)
        res.events.append(AlertEvent(now, "forgotten", rec.fingerprint, rec.slo, rec.severity, "cleared while pending"))
        return
    rec.state = "resolved"
    rec.resolved_at = now
    rec.transition_id += 1
    rec.acked_at = rec.acked_by = None
    rec.last_eval = now
    rec.updated_at = now
    res.changed_states.add(rec.fingerprint)
    res.events.append(AlertEvent(now, "resolved", rec.fingerprint, rec.slo, rec.severity, f"{rec.slo} {rec.severity} resolved"))


def _apply_inhibition(res: StepResult, now: float) -> None:
    top: dict[str, int] = {}
    for rec in res.states.values():
        if rec.state == "firing":
            top[rec.slo] = max(top.get(rec.slo, -1), SEVERITY_RANK[rec.severity])
    for rec in res.states.values():
        inhibited = rec.state != "resolved" and top.get(rec.slo, -1) > SEVERITY_RANK[rec.severity]
        if inhibited != rec.inhibited:
            rec.inhibited = inhibited
            rec.updated_at = now
            res.changed_states.add(rec.fingerprint)
            if rec.state != "resolved":
                kind: EventKind = "inhibited" if inhibited else "uninhibited"
                res.events.append(AlertEvent(now, kind, rec.fingerprint, rec.slo, rec.severity))


def _apply_silences(res: StepResult, silences: list[Any], now: float) -> None:
    for rec in res.states.values():
        ids = tuple(sorted(s.id for s in silences if s.matches(rec.labels)))
        if ids != rec.silenced_by:
            was = rec.silenced
            rec.silenced_by = ids
            rec.updated_at = now
            res.changed_states.add(rec.fingerprint)
            if was != bool(ids):
                kind: EventKind = "silenced" if ids else "unsilenced"
                res.events.append(AlertEvent(now, kind, rec.fingerprint, rec.slo, rec.severity, ",".join(ids)))


def _assign_groups(res: StepResult, policy: AlertPolicy, now: float, flush_now: bool) -> None:
    for rec in sorted(res.states.values(), key=lambda r: r.fingerprint):
        if rec.state != "firing":
            continue
        key = group_key(rec.labels, policy.group_by, rec.options)
        if rec.group_key != key and rec.group_key in res.groups:
            # Its group labels changed: it leaves the old group silently.
            old = res.groups[rec.group_key]
            if rec.fingerprint in old.members:
                old.members.remove(rec.fingerprint)
                res.changed_groups.add(old.key)
        rec.group_key = key
        group = res.groups.get(key)
        if group is None:
            group = GroupRecord(
                key=key,
                # Alertmanager's groupLabels name only the group_by labels the alerts carry
                labels={k: v for k, v in group_labels(rec.labels, policy.group_by).items() if k in rec.labels},
                options={k: v for k, v in rec.options.items()},
                created_at=now,
            )
            res.groups[key] = group
        if rec.fingerprint in group.members:
            continue
        if not group.members:
            group.flushed = False
            group.next_flush = now if flush_now else now + policy.group_wait
        group.members.append(rec.fingerprint)
        if not group.flushed and rec.fired_at is not None and rec.fired_at + policy.group_wait <= now:
            # Alertmanager: an alert older than group_wait (e.g. after a restart) flushes at once.
            group.next_flush = min(group.next_flush or now, now)
        group.updated_at = now
        res.changed_groups.add(key)


def _flush_groups(res: StepResult, policy: AlertPolicy, now: float) -> None:
    for key in sorted(res.groups):
        group = res.groups[key]
        if not group.members or group.next_flush is None or now < group.next_flush:
            continue
        _flush(group, res, policy, now)


def _flush(group: GroupRecord, res: StepResult, policy: AlertPolicy, now: float) -> None:
    members = [res.states[fp] for fp in group.members if fp in res.states]
    routed: dict[str, list[AlertRecord]] = {}
    for rec in members:
        for channel in policy.router.route(rec.labels, rec.options):
            routed.setdefault(channel, []).append(rec)
    # a channel told that alerts fire, which no route sends them to any more (a route changed, a reload),
    # still gets their resolve: a PagerDuty incident must close (as a silence does not stop it either)
    told = {c for c, e in group.sent.items() if e.firing and c in policy.router.channels}
    for channel in sorted(set(routed) | told):
        recs = routed.get(channel, [])
        entry = group.sent.get(channel)
        known = set(entry.firing) if entry is not None else set()
        here = {r.fingerprint for r in recs}
        moved = [r for r in members if r.fingerprint in known and r.fingerprint not in here]
        firing = [r for r in recs if r.state == "firing" and not r.muted]
        resolved = [r for r in recs + moved if r.state == "resolved" and r.fingerprint in known]
        send_resolved = policy.sends_resolved(channel)
        # Muted alerts the receiver already knows as firing stay known, so their resolve still reaches it;
        # so do alerts routed elsewhere since it was told.
        still_known = {r.fingerprint for r in recs if r.state == "firing" and r.muted and r.fingerprint in known}
        still_known |= {r.fingerprint for r in moved if r.state == "firing"}
        if not firing and not resolved:
            continue
        firing_fps = {r.fingerprint for r in firing}
        resolved_fps = {r.fingerprint for r in resolved}
        if entry is None:
            entry = group.sent[channel] = SentEntry()
        if not firing:
            if not send_resolved:
                # The receiver does not want resolves: just forget what it knew.
                entry.firing, entry.resolved, entry.at = tuple(sorted(still_known)), tuple(sorted(resolved_fps)), now
                continue
            needs = True
        elif entry.at is None:
            needs = True
        elif not firing_fps <= set(entry.firing):
            needs = True
        elif send_resolved and not resolved_fps <= set(entry.resolved):
            needs = True
        else:
            needs = entry.at <= now - policy.repeat_interval and not all(r.acked for r in firing)
            keepalive = policy.keepalive.get(channel)
            if keepalive is not None and entry.at <= now - keepalive:
                needs = True
        if not needs:
            continue
        alerts = firing + (resolved if send_resolved else [])
        entry.seq += 1
        entry.firing = tuple(sorted(firing_fps | still_known))
        entry.resolved = tuple(sorted(resolved_fps))
        entry.at = now
        kind = "trigger" if firing else "resolve"
        res.outgoing.append(_outgoing(group, channel, kind, [r.to_alert(now) for r in alerts], policy, now, entry.seq))
    # Resolved alerts have been handled: they leave the group.
    group.members = [fp for fp in group.members if fp in res.states and res.states[fp].state == "firing"]
    for rec in members:
        if rec.state == "resolved" and rec.group_key == group.key:
            rec.group_key = None
            res.changed_states.add(rec.fingerprint)
    if group.members:
        group.flushed = True
        group.next_flush = _next_flush_after(group, policy, now)
    else:
        group.flushed = False
        group.next_flush = None
    group.updated_at = now
    res.changed_groups.add(group.key)


def _next_flush_after(group: GroupRecord, policy: AlertPolicy, now: float) -> float:
    """``now + group.interval``, or sooner when a keep-alive is due first and is shorter than the
    interval: with ``alert_ttl`` under two group intervals (``alert_ttl: 5m`` with the default 5m),
    re-sends waited for the next regular flush, after the receiver's ``endsAt`` had passed, so
    Alertmanager resolved the alert and fired it again at every re-send."""
    due = now + policy.group_interval
    for channel, entry in group.sent.items():
        keepalive = policy.keepalive.get(channel)
        if keepalive is not None and keepalive < policy.group_interval and entry.firing and entry.at is not None:
            due = min(due, max(now, entry.at + keepalive))
    return due


def _common(dicts: list[dict[str, str]]) -> dict[str, str]:
    if not dicts:
        return {}
    first = dicts[0]
    return {k: v for k, v in first.items() if all(d.get(k) == v for d in dicts[1:])}


def build_notification(
    *,
    notification_id: str,
    channel: str,
    group_key: str,
    kind: str,
    alerts: list[Alert],
    group_labels: Mapping[str, str],
    options: Mapping[str, Any],
    external_url: str,
    now: float,
) -> Notification:
    """A :class:`Notification` with the Alertmanager group fields (status, common labels/annotations) filled in."""
    status = "firing" if any(a.state == "firing" for a in alerts) else "resolved"
    return Notification(
        id=notification_id,
        channel=channel,
        group_key=group_key,
        kind=kind,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        alerts=alerts,
        created_at=now,
        group_labels=dict(group_labels),
        common_labels=_common([a.labels for a in alerts]),
        common_annotations=_common([a.annotations for a in alerts]),
        external_url=external_url,
        options=dict(options),
    )


def _outgoing(
    group: GroupRecord, channel: str, kind: str, alerts: list[Alert], policy: AlertPolicy, now: float, seq: int
) -> Outgoing:
    transition = str(seq)
    notification = build_notification(
        notification_id=f"{group.key}#{transition}@{channel}",
        channel=channel,
        group_key=group.key,
        kind=kind,
        alerts=alerts,
        group_labels=group.labels,
        options=policy.router.channel_options(channel, group.options),
        external_url=policy.external_url,
        now=now,
    )
    return Outgoing(group.key, transition, notification)


# ------------------------------------------------------------------------------------------ ack


def acknowledge(
    states: Mapping[str, AlertRecord],
    groups: Mapping[str, GroupRecord],
    slo: str,
    by: str,
    policy: AlertPolicy,
    now: float,
) -> StepResult:
    """Acknowledge every firing alert of ``slo``: no more repeats until it resolves or escalates.

    Channels that were told an acked alert fires get one ``acknowledge``
    notification per group (PagerDuty sends ``acknowledge`` for each dedup key).
    Already acked alerts are left as they are.
    """
    res = _copy(states, groups)
    st, gr = res.states, res.groups
    acked: list[AlertRecord] = []
    for rec in st.values():
        if rec.slo == slo and rec.state == "firing" and not rec.acked:
            rec.acked_at, rec.acked_by, rec.updated_at = now, by, now
            res.changed_states.add(rec.fingerprint)
            res.events.append(AlertEvent(now, "acknowledged", rec.fingerprint, rec.slo, rec.severity, f"by {by}"))
            acked.append(rec)
    by_group: dict[str, list[AlertRecord]] = {}
    for rec in acked:
        if rec.group_key is not None and rec.group_key in gr:
            by_group.setdefault(rec.group_key, []).append(rec)
    for key, recs in sorted(by_group.items()):
        group = gr[key]
        for channel, entry in sorted(group.sent.items()):
            told = [r for r in recs if r.fingerprint in entry.firing]
            if not told:
                continue
            entry.seq += 1
            res.outgoing.append(_outgoing(group, channel, "acknowledge", [r.to_alert(now) for r in told], policy, now, entry.seq))
            res.changed_groups.add(key)
    return res


# ------------------------------------------------------------------------------------------ test alerts


def make_test_alert(
    *,
    slo: str | None,
    severity: str,
    result: SLOResult | None,
    spec: Any | None,
    now: float,
    by: str = "",
) -> Alert:
    """A TEST alert: ``[TEST]`` summary, label ``test="true"``, fingerprint ``test:{slo}:{severity}``.

    With an evaluated ``result`` it carries the SLO's real context (value,
    burn rates, budget); with only a ``spec`` its labels; with neither it is a
    plain channel check for ``slotui-test``.
    """
    name = slo or "slotui-test"
    if result is not None:
        labels, annotations, context = describe(result, severity)
    elif spec is not None:
        from slotui.alerting.context import thresholds_text

        labels, context = alert_labels(spec, severity), {}
        annotations = {
            "summary": f"{name} {severity} test notification ({thresholds_text(spec)})",
            "thresholds": thresholds_text(spec),
        }
        if spec.runbook:
            annotations["runbook_url"] = spec.runbook
    else:
        labels = {"alertname": "SLOTest", "slo": name, "severity": severity, "source": "slotui"}
        annotations, context = {}, {}
    labels["test"] = "true"
    summary = annotations.get("summary") or f"{name} {severity} test notification"
    annotations["summary"] = f"[TEST] {summary}"
    annotations["description"] = (
        "This is a TEST notification sent by slotui test-alert"
        + (f" ({by})" if by else "")
        + " to check the route to this channel. No action is needed. "
        + annotations.get("description", "")
    ).strip()
    return Alert(
        fingerprint=f"test:{fingerprint(name, severity)}",
        slo=name,
        severity=severity,  # type: ignore[arg-type]
        state="firing",
        labels=labels,
        annotations=annotations,
        context=context,
        starts_at=now,
        is_test=True,
    )


def make_test_notification(alert: Alert, channel: str, *, options: Mapping[str, Any], external_url: str, now: float) -> Outgoing:
    """One TEST notification for ``channel`` (its own group, so it never delays or merges with real ones)."""
    transition = uuid.uuid4().hex[:12]
    key = f"test/{alert.fingerprint}"
    notification = build_notification(
        notification_id=f"{key}#{transition}@{channel}",
        channel=channel,
        group_key=key,
        kind="test",
        alerts=[alert],
        group_labels={"severity": alert.severity, "test": "true"},
        options=options,
        external_url=external_url,
        now=now,
    )
    return Outgoing(key, transition, notification)
