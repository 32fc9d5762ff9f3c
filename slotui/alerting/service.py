"""The alerting facade the engine, the TUI, the daemon and the CLI call.

::

    alerting = Alerting.from_config(loaded, store)
    events = alerting.process(report, now)       # after each evaluation; only enqueues
    task = asyncio.create_task(alerting.run_dispatcher(stop_event))   # delivery, beside the ticks
    alerting.ack("helpfulness", by="alice", now=now)
    outcomes = await alerting.fire_test(slo="helpfulness")            # or channel="team-slack"
    alerting.history(slo="helpfulness")                               # the alert log

``process`` runs the pure engine (:func:`slotui.alerting.lifecycle.step`) inside
one :meth:`~slotui.store.Store.alert_transaction` of the state store: read
alert states, groups and silences (:class:`~slotui.alerting.silences.Silences`),
compute, write states and enqueue notifications, commit.
So the state change and its notifications are stored together or not at all,
and several processes sharing the store (TUI and daemon) advance one state
machine without sending anything twice. Delivery happens in
:meth:`run_dispatcher` / :meth:`deliver_due`, never inside ``process``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.alerting.delivery import DeliveryOutcome, Dispatcher, RetryPolicy
from slotui.alerting.lifecycle import (
    AlertEvent,
    AlertPolicy,
    Outgoing,
    acknowledge,
    make_test_alert,
    make_test_notification,
    step,
)
from slotui.alerting.silences import Silences
from slotui.alerting.state import AlertRecord

if TYPE_CHECKING:
    from slotui.alerting.silence import Silence
    from slotui.channels.base import Channel
    from slotui.config.loader import LoadedConfig
    from slotui.core.types import Report, SLOSpec
    from slotui.store import AlertTransaction, NotificationLogEntry, Store


#: Seconds between two scans of the outbox for rows no dispatcher will pick up (:meth:`Outbox.audit`).
AUDIT_EVERY = 3600.0


class UnknownTarget(ValueError):
    """``fire_test`` was given an SLO or channel that is not configured (message lists the known ones)."""


class Alerting:
    """Alert states, routing and delivery over one state store.

    ``channels`` maps channel names to :class:`~slotui.channels.base.Channel`
    objects; when omitted they are built from ``channel_configs`` on first use
    (so ``process`` never imports httpx). ``clock`` is used only where no
    ``now`` is passed (the dispatcher's loop).
    """

    def __init__(
        self,
        policy: AlertPolicy,
        store: Store,
        *,
        channels: Mapping[str, Channel] | None = None,
        channel_configs: Mapping[str, Any] | None = None,
        base_dir: Path | None = None,
        specs: Sequence[SLOSpec] = (),
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        from slotui.clock import utc_now

        self.policy = policy
        self.store = store
        self.outbox = store.outbox
        self.silences = Silences(store)
        self.specs = {s.name: s for s in specs}
        self.retry = retry or RetryPolicy()
        self.clock = clock or utc_now
        self._rng = rng
        self._secrets = tuple(secrets)
        self._channels: dict[str, Channel] | None = dict(channels) if channels is not None else None
        self._channel_configs = dict(channel_configs or {})
        self._base_dir = base_dir or Path.cwd()
        self._dispatcher: Dispatcher | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.last_report: Report | None = None
        #: ((data_version, groups_epoch), states, groups) as last committed by this instance
        self._cache: tuple[tuple[int, int], dict, dict] | None = None
        self._version: tuple[int, int] = (-1, -1)
        self._next_audit = float("-inf")

    @classmethod
    def from_config(
        cls,
        loaded: LoadedConfig,
        store: Store,
        channels: Mapping[str, Channel] | None = None,
        **kwargs: Any,
    ) -> Alerting:
        """From a loaded SLO file (``loaded.config.alerts``, ``loaded.specs``, ``loaded.base_dir``)."""
        alerts = loaded.config.alerts
        return cls(
            AlertPolicy.from_config(alerts),
            store,
            channels=channels,
            channel_configs=alerts.channels,
            base_dir=loaded.base_dir,
            specs=loaded.specs,
            secrets=loaded.secrets,
            **kwargs,
        )

    # ------------------------------------------------------------------ channels

    @property
    def has_channels(self) -> bool:
        """True when the config (or the caller) gives at least one channel to deliver to."""
        return bool(self._channels) if self._channels is not None else bool(self._channel_configs)

    @property
    def channels(self) -> dict[str, Channel]:
        if self._channels is None:
            from slotui.channels import build_channel

            self._channels = {
                name: build_channel(name, cfg, base_dir=self._base_dir) for name, cfg in self._channel_configs.items()
            }
        return self._channels

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            from slotui.config.secrets import credential_pairs

            self._dispatcher = Dispatcher(
                self.outbox, self.channels, retry=self.retry, clock=self.clock, rng=self._rng, secrets=self._secrets,
                pairs=credential_pairs(self._channel_configs),
            )
        return self._dispatcher

    @property
    def delivery_attempts(self) -> dict[tuple[str, str], int]:
        """Notification attempts per ``(channel, outcome)`` this process made (``/metrics``)."""
        return dict(self._dispatcher.attempts) if self._dispatcher is not None else {}

    def _notify_dispatcher(self) -> None:
        """Wake the dispatcher task (safe from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    # ------------------------------------------------------------------ evaluation

    def process(self, report: Report, now: float, *, flush_now: bool = False,
                queued_at: float | None = None) -> list[AlertEvent]:
        """Advance alert states to ``now`` from ``report`` and enqueue due notifications (one transaction).

        Never sends anything. ``flush_now`` makes new groups notify without
        waiting ``group.wait`` (for one-shot runs such as ``check --notify``).
        ``queued_at``: when the notifications are queued, if not ``now`` (``check --notify --at`` a
        past moment: delivery and its give-up age run on the real clock).
        Returns what changed (pending, firing, resolved, silenced, ...).
        """
        self.last_report = report
        for result in report.results:
            self.specs.setdefault(result.spec.name, result.spec)
        if now >= self._next_audit:
            self._next_audit = now + AUDIT_EVERY
            try:
                self.outbox.audit()
            except Exception as exc:  # the audit only reports; it must never stop alerting
                from slotui.bad_rows import log

                from slotui.store import StoreError

                # A StoreError says which file and what is wrong with it (no secrets); others by type only.
                log.warning("state file: outbox audit failed: %s", exc if isinstance(exc, StoreError) else type(exc).__name__)
        try:
            with self.store.alert_transaction() as tx:
                states, groups = self._load(tx)
                silences = self.silences.in_force(now)  # read inside the same transaction
                result = step(report, states, groups, silences, self.policy, now, flush_now=flush_now)
                new_ids = tx.save(result, now, queued_at=queued_at)
                self._remember(result)  # under the store lock, so threads cannot interleave it
        except BaseException:
            self._cache = None
            raise
        if new_ids:
            self._notify_dispatcher()
        return result.events

    def _load(self, tx: AlertTransaction) -> tuple[dict, dict]:
        """Alert states and groups: from memory when no other connection wrote since our last
        commit (``PRAGMA data_version`` unchanged), else from the store. Call inside the transaction:
        with the write lock held nobody else can commit, so the version read here is also the one
        after our commit (a connection's own commits do not change its ``data_version``)."""
        cached, self._cache = self._cache, None  # stays invalid if this transaction fails
        # (and this connection's own rewrites of groups outside the engine: Store.groups_epoch)
        self._version = (tx.data_version(), self.store.groups_epoch)
        if cached is not None and cached[0] == self._version:
            return cached[1], cached[2]
        return tx.load_states(), tx.load_groups()

    def _remember(self, result: Any) -> None:
        """Keep what was just committed for the next call (``step`` never mutates its inputs)."""
        self._cache = (self._version, result.states, result.groups)

    def ack(self, slo: str, by: str, now: float) -> list[AlertEvent]:
        """Acknowledge the firing alerts of ``slo`` (no repeats until resolved or escalated).

        Enqueues an ``acknowledge`` notification for channels that were told
        they fire. Returns the ``acknowledged`` events (empty: nothing was firing).
        """
        try:
            with self.store.alert_transaction() as tx:
                states, groups = self._load(tx)
                result = acknowledge(states, groups, slo, by, self.policy, now)
                new_ids = tx.save(result, now)
                self._remember(result)
        except BaseException:
            self._cache = None
            raise
        if new_ids:
            self._notify_dispatcher()
        return result.events

    # ------------------------------------------------------------------ delivery

    async def deliver_due(self, now: float | None = None) -> list[DeliveryOutcome]:
        """Attempt every notification due at ``now`` (default: the clock) once."""
        return await self.dispatcher.deliver_due(now)

    async def run_dispatcher(self, stop: asyncio.Event, *, poll: float = 5.0) -> None:
        """Deliver in the background until ``stop`` is set (``process`` wakes it when it enqueues)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            await self.dispatcher.run(stop, self._wake, poll=poll)
        finally:
            self._wake = None
            self._loop = None

    # ------------------------------------------------------------------ test alerts

    def test_targets(self, *, slo: str | None, channel: str | None, severity: str) -> list[str]:
        """The channels a test notification goes to: ``channel``, or the routes of ``slo``'s alert at ``severity``.

        Raises :class:`UnknownTarget` for an unknown SLO or channel.
        """
        known = self.policy.router.channels
        if channel is not None:
            if channel not in known:
                raise UnknownTarget(
                    f"no channel named {channel!r}; configured channels: {', '.join(known) or '(none)'}"
                )
            return [channel]
        if slo is None:
            return list(known)
        spec = self.specs.get(slo)
        if spec is None:
            raise UnknownTarget(f"no SLO named {slo!r}; SLOs: {', '.join(sorted(self.specs)) or '(none)'}")
        from slotui.alerting.context import alert_labels
        from slotui.alerting.routes import notification_options

        return self.policy.router.route(alert_labels(spec, severity), notification_options(spec.params))

    def test_silenced_by(self, *, slo: str, severity: str, now: float) -> list[Silence]:
        """The silences in force at ``now`` that would hold ``slo``'s alert at ``severity`` (a test
        alert goes out through them: it checks the route, and says so)."""
        spec = self.specs.get(slo)
        if spec is None:
            return []
        from slotui.alerting.context import alert_labels
        from slotui.alerting.silence import silenced_by

        return silenced_by(alert_labels(spec, severity), self.silences.in_force(now), now)

    async def fire_test(
        self,
        *,
        slo: str | None = None,
        channel: str | None = None,
        severity: str = "critical",
        now: float | None = None,
        by: str = "",
    ) -> list[DeliveryOutcome]:
        """Send a TEST notification through the real route and wait for each receiver's answer.

        With ``channel``: to that channel. With ``slo``: to the channels its
        alert at ``severity`` is routed to, with the SLO's last evaluated
        context when known. Each is recorded in the outbox (``kind=test``, one
        attempt, so the answer comes at once). Raises :class:`UnknownTarget`.
        """
        now = self.clock() if now is None else now
        targets = self.test_targets(slo=slo, channel=channel, severity=severity)
        result = None
        if slo is not None and self.last_report is not None:
            result = next((r for r in self.last_report.results if r.spec.name == slo), None)
        alert = make_test_alert(slo=slo, severity=severity, result=result, spec=self.specs.get(slo or ""), now=now, by=by)
        from slotui.alerting.routes import notification_options

        spec = self.specs.get(slo or "")
        rule_options = notification_options(spec.params) if spec is not None else {}
        outgoing: list[Outgoing] = [
            make_test_notification(
                alert, name, options=self.policy.router.channel_options(name, rule_options),
                external_url=self.policy.external_url, now=now,
            )
            for name in targets
        ]
        ids = self.outbox.enqueue(outgoing, now)
        return await self.dispatcher.deliver_due(now, ids=ids)

    # ------------------------------------------------------------------ reading

    def history(self, slo: str | None = None, limit: int = 100) -> list[NotificationLogEntry]:
        """The alert log, newest first: notifications with delivery status (of one SLO if given)."""
        return self.outbox.history(slo=slo, limit=limit)

    def alerts(self, slo: str | None = None) -> list[AlertRecord]:
        """Current alert records (pending / firing / resolved, with silenced / inhibited / acked flags)."""
        return self.store.alert_states(slo)

    def firing(self) -> list[AlertRecord]:
        return [r for r in self.alerts() if r.state == "firing"]

    async def aclose(self) -> None:
        """Close the channels that were built."""
        for channel in (self._channels or {}).values():
            try:
                await channel.aclose()
            except Exception:  # closing must not mask the real outcome
                pass


def outcomes_text(outcomes: Iterable[DeliveryOutcome]) -> list[str]:
    """One line per outcome: ``delivered to CHANNEL`` / ``failed: CHANNEL: <error>``."""
    return [str(o) for o in outcomes]
