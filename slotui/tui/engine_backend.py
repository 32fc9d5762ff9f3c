"""The real backend: the engine, the shared state store and the alerting facade.

Silences go through the one silences service,
:class:`slotui.alerting.silences.Silences`, over the state store (the same rows
``slotui silence list`` reads from another process); this adapter only turns
them into :class:`~slotui.tui.backend.SilenceView` s. Acknowledgements, test
alerts and the alert log go through :class:`slotui.alerting.service.Alerting`.
Its delivery dispatcher runs as a task on the backend thread's loop, like the
daemon's. Everything here runs on the :class:`~slotui.tui.backend.BackendThread`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slotui.alerting.context import alert_labels
from slotui.alerting.silence import Matcher, Silence, mute, snooze
from slotui.alerting.silences import SilenceAlreadyExpired, Silences
from slotui.config.text import printable
from slotui.core.types import SLOSpec, Status
from slotui.tui.backend import MUTE_COMMENT, AlertView, NotificationView, SilenceView, Snapshot, TestOutcome

#: with no alert firing or pending, the severities an SLO in this status would alert at: a CRITICAL SLO
#: at critical (its warning is inhibited), a WARNING one at warning; any other status raises warning
#: and critical alike when it turns bad, so a silence must match both to keep it quiet
QUIET_SEVERITIES = {Status.CRITICAL: ("critical",), Status.WARNING: ("warning",)}
NEXT_SEVERITIES = ("warning", "critical")


class EngineBackend:
    """Adapts an :class:`slotui.engine.Engine` (plus store and alerting) to the TUI's Backend protocol.

    ``store`` defaults to ``engine.store`` and ``alerting`` to ``engine.alerting``.
    Without a store, silences live in a private state file in a temporary
    directory (lost on exit): the CLI always passes one. ``owns_store`` closes
    the store in :meth:`aclose`.
    """

    def __init__(self, engine: Any, *, store: Any = None, alerting: Any = None,
                 dispatch: bool = True, owns_store: bool = False) -> None:
        self.engine = engine
        self.store = store if store is not None else getattr(engine, "store", None)
        self.alerting = alerting if alerting is not None else getattr(engine, "alerting", None)
        self.specs: list[SLOSpec] = list(engine.specs)
        loaded = getattr(engine, "loaded", None)
        self.interval: float | None = float(loaded.config.defaults.interval) if loaded is not None else None
        self.dispatch = dispatch
        self.owns_store = owns_store
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._statuses: dict[str, Status] = {}
        if self.store is None:
            from slotui.store import Store

            self._scratch = tempfile.TemporaryDirectory(prefix="slotui-silences-")
            self.store = Store.open(Path(self._scratch.name) / "state.db")
            self.owns_store = True
        self.silences_service = Silences(self.store)
        self._stop: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        #: the silences and alerts of the last whole refresh (what a partial one shows)
        self._shown: tuple[tuple[SilenceView, ...], tuple[AlertView, ...]] = ((), ())

    # ------------------------------------------------------------------ refresh

    def _start_dispatcher(self) -> None:
        if self._dispatcher is not None or not self.dispatch or self.alerting is None:
            return
        if not self.alerting.has_channels:
            return
        self._stop = asyncio.Event()
        self._dispatcher = asyncio.create_task(self.alerting.run_dispatcher(self._stop))

    async def refresh(self, now: float, partial: Callable[[Snapshot], None] | None = None) -> Snapshot:
        self._start_dispatcher()
        started = time.perf_counter()
        shown = self._shown

        def part(report: Any) -> None:  # a source is still fetching: what came so far
            health = {name: replace(h) for name, h in self.engine.health.items()}
            partial(Snapshot(report=report, health=health, silences=shown[0], alerts=shown[1],  # type: ignore[misc]
                             refreshed_at=now, duration=time.perf_counter() - started, partial=True))

        if partial is not None and _takes_partial(self.engine):
            report = await self.engine.tick(now, partial=part)
        else:
            report = await self.engine.tick(now)
        self._statuses = {r.spec.name: r.status for r in report.results}
        health = {name: replace(h) for name, h in self.engine.health.items()}
        silences = tuple(await self.silences(now))
        alerts = tuple(await self.alerts(now))
        self._shown = (silences, alerts)
        if [r.spec.name for r in report.results] != [s.name for s in self.specs]:
            self.specs = [r.spec for r in report.results]
        return Snapshot(report=report, health=health, silences=silences, alerts=alerts,
                        refreshed_at=now, duration=time.perf_counter() - started)

    # ------------------------------------------------------------------ silences

    def _relevant_labels(self) -> dict[str, list[dict[str, str]]]:
        """Per SLO, the label sets of the alerts a silence must match to keep it quiet.

        Its firing and pending alerts that are not inhibited; when none, the alerts its status
        would raise (:data:`QUIET_SEVERITIES`). Labels come from ``alert_labels``, as the
        alert engine builds them, so a silence covers an SLO here exactly when it would mute it.
        """
        live: dict[str, set[str]] = {}
        if self.alerting is not None:
            for rec in self.alerting.alerts():
                if rec.state in ("firing", "pending") and not rec.inhibited:
                    live.setdefault(rec.slo, set()).add(rec.severity)
        out = {}
        for spec in self.specs:
            sevs = live.get(spec.name) or set(QUIET_SEVERITIES.get(self._statuses.get(spec.name), NEXT_SEVERITIES))  # type: ignore[arg-type]
            out[spec.name] = [alert_labels(spec, sev) for sev in sorted(sevs)]
        return out

    def _view(self, silence: Silence, now: float,
              relevant: dict[str, list[dict[str, str]]] | None = None) -> SilenceView:
        relevant = self._relevant_labels() if relevant is None else relevant
        # an SLO is covered when the silence matches every alert that matters for it now: a
        # severity=critical silence does not quiet a WARNING SLO's firing warning alert
        covers = tuple(name for name, sets in relevant.items()
                       if sets and all(silence.matches(labels) for labels in sets))
        ms = silence.matchers
        exact = ms[0].value if len(ms) == 1 and ms[0].name == "slo" and ms[0].op == "=" else None
        return SilenceView(
            id=silence.id,
            matchers=", ".join(str(m) for m in ms),
            starts_at=silence.starts_at,
            ends_at=silence.ends_at,
            created_by=silence.created_by,
            comment=silence.comment,
            slo=exact,
            expired=silence.is_expired(now),
            covers=covers,
            ended_kind=self._ended_kind(silence, now),
        )

    @staticmethod
    def _ended_kind(silence: Silence, now: float) -> str | None:
        """What an expired silence was. Expiring writes ``ends_at = updated_at = now`` over a mute's
        open end; the state file keeps whether it had one (:attr:`Silence.open_ended`: the CLI's
        ``silence add`` without ``-d`` expired by ``silence expire`` was a mute too). One stored
        before slotui recorded that: one that ran to its end was a snooze (a mute never ends by
        itself); one ended by hand was a mute or a snooze if it carries the TUI's mute or snooze
        comment, else it is shown as ``lifted`` (the row cannot tell which)."""
        if not silence.is_expired(now) or silence.ends_at is None:
            return None
        if silence.open_ended is not None:
            return "mute" if silence.open_ended else "snooze"
        if silence.updated_at < silence.ends_at:
            return "snooze"
        if silence.comment == MUTE_COMMENT:
            return "mute"
        if silence.comment.startswith("snoozed for ") and silence.comment.endswith(" from the slotui TUI"):
            return "snooze"  # z's default comment
        return "lifted"

    async def silences(self, now: float, *, include_expired: bool = False) -> list[SilenceView]:
        found = self.silences_service.query(now, states=("active", "pending"))
        if include_expired:
            expired = self.silences_service.query(now, states=("expired",))
            found += sorted(expired, key=lambda s: -(s.ends_at or 0))[:50]
        relevant = self._relevant_labels()
        return [self._view(s, now, relevant) for s in found]

    def _set(self, silence: Silence, now: float) -> SilenceView:
        return self._view(self.silences_service.set(silence, now=now).silence, now)

    async def mute(self, slo: str, *, author: str, comment: str, now: float) -> SilenceView:
        return self._set(mute((Matcher("slo", "=", slo),), now, author, comment), now)

    async def snooze(self, slo: str, duration: float, *, author: str, comment: str, now: float) -> SilenceView:
        return self._set(snooze((Matcher("slo", "=", slo),), duration, now, author, comment), now)

    async def expire_silence(self, silence_id: str, *, now: float) -> None:
        try:
            self.silences_service.expire(silence_id, now=now)
        except SilenceAlreadyExpired:
            pass  # the screen may still show it: nothing left to do

    async def unsilence(self, slo: str, *, now: float) -> list[str]:
        ids = [v.id for v in await self.silences(now) if v.slo == slo and v.starts_at <= now]
        for sid in ids:
            await self.expire_silence(sid, now=now)
        return ids

    async def edit_silence(self, silence_id: str, *, ends_at: float | None, comment: str, author: str,
                           now: float) -> SilenceView:
        """A new end and comment for a silence (the rule is :meth:`Silences.edit`)."""
        result = self.silences_service.edit(silence_id, ends_at=ends_at, comment=comment, author=author, now=now)
        return self._view(result.silence, now)

    # ------------------------------------------------------------------ alerts

    async def alerts(self, now: float) -> list[AlertView]:
        if self.alerting is None:
            return []
        return [
            AlertView(slo=r.slo, severity=r.severity, state=r.state,
                      since=r.fired_at if r.fired_at is not None else r.active_since,
                      acked=r.acked, silenced=r.silenced, inhibited=r.inhibited)
            for r in self.alerting.alerts()
            if r.state in ("firing", "pending")
        ]

    async def acknowledge(self, slo: str, *, author: str, now: float) -> int:
        if self.alerting is None:
            return 0
        return len(self.alerting.ack(slo, author, now))

    async def fire_test_alert(self, slo: str, *, now: float) -> list[TestOutcome]:
        if self.alerting is None:
            raise RuntimeError("no alert channels are configured (alerts.channels in the SLO file)")
        outcomes = await self.alerting.fire_test(slo=slo, now=now, by="slotui TUI")
        # a receiver's words: escaped like every text from outside before it reaches the screen
        return [TestOutcome(o.channel, o.ok, printable(o.result.message if not o.ok else str(o))) for o in outcomes]

    async def notifications(self, *, limit: int = 200, slo: str | None = None) -> list[NotificationView]:
        if self.alerting is None:
            return []
        out = []
        for e in self.alerting.history(slo=slo, limit=limit):
            out.append(NotificationView(
                at=e.created_at, channel=e.channel, kind=e.kind, title=printable(e.title), slos=tuple(e.slos),
                severity="", status=e.state, error=printable(e.last_error or ""), attempts=e.attempts, is_test=e.is_test,
            ))
        return out

    # ------------------------------------------------------------------ close

    async def aclose(self) -> None:
        if self._dispatcher is not None and self._stop is not None:
            self._stop.set()
            try:
                await asyncio.wait_for(self._dispatcher, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                self._dispatcher.cancel()
        await self.engine.aclose()
        if self.alerting is not None:
            await self.alerting.aclose()
        if self.owns_store and self.store is not None:
            self.store.close()
        if self._scratch is not None:
            self._scratch.cleanup()


def _takes_partial(engine: Any) -> bool:
    """Whether ``engine.tick`` takes ``partial`` (:meth:`slotui.engine.Engine.tick` does; an engine
    of another make is ticked as before)."""
    import inspect

    try:
        return "partial" in inspect.signature(engine.tick).parameters
    except (TypeError, ValueError):
        return False
