"""The replay driver: feed (now, report) pairs through the real alert engine, record episodes.

Pure: no clock, no I/O. The reports come from the real evaluation
(:func:`slotui.core.evaluate.evaluate_all`, via the engine) and each step runs
:func:`slotui.alerting.lifecycle.step` with the states it returned the step
before, so ``for:``, inhibition, escalation, grouping, routes and silences
behave exactly as in the daemon. Notifications are counted, never sent.

The simulated daemon ticks at every step and, given its ``tick`` (the config's
``defaults.interval``), at every ``origin + k * tick`` between two steps at
which a group is due: there :func:`slotui.alerting.lifecycle.flush_due` runs the
group timers (group wait, group interval, repeat) with the alert states of the
last step held, so a step coarser than the interval counts what a daemon
ticking every interval would have sent (docs/replay.md).

An episode starts at the first step at which an alert fires and ends at the
first step at which it no longer does (``ended_at`` None if it still fires at
the last step). An alert inhibited by its SLO's CRITICAL alert is not sent, so
its episode starts at the first step at which it fires uninhibited (a WARNING
alert that is inhibited from its start to its end is no episode); an
inhibition after that does not end it (as in Alertmanager, the alert still fires).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slotui.alerting.lifecycle import AlertPolicy, StepResult, flush_due, next_flush, step
from slotui.alerting.state import AlertRecord, GroupRecord
from slotui.core.types import Report, Status

WEEK = 7 * 86400.0
#: At most this many timer ticks (the daemon's flushes between two steps) in one replay, as
#: ``slotui replay`` allows at most a million steps: a month of 1s ticks with 1s group timers
#: and an alert always firing is 2.6 million flushes, about four minutes.
MAX_TIMER_TICKS = 1_000_000


class ReplayStopped(Exception):
    """The replay was stopped before its last step (its ``stop`` callback said so)."""


class ReplayTooLong(ValueError):
    """The replay would run more than :data:`MAX_TIMER_TICKS` timer ticks."""


@dataclass(frozen=True, slots=True)
class Episode:
    severity: str
    started_at: float
    ended_at: float | None

    def duration(self, end: float) -> float:
        return (self.ended_at if self.ended_at is not None else end) - self.started_at


@dataclass(slots=True)
class SLOReplay:
    name: str
    episodes: list[Episode] = field(default_factory=list)
    notifications: dict[str, int] = field(default_factory=dict)
    #: (now, status, value) at every step
    timeline: list[tuple[float, Status, float | None]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    #: (now, error budget remaining: a fraction of the budget, None when unknown) at every step
    budget: list[tuple[float, float | None]] = field(default_factory=list)
    #: steps evaluated, and those at which the SLO's source failed (with the last error): a replay of a
    #: source that never answered said "no episodes" as if nothing would have fired
    steps: int = 0
    error_steps: int = 0
    last_error: str | None = None

    def firing_s(self, end: float) -> dict[str, float]:
        """Seconds firing per severity: the sum of the episodes' durations (open ones up to ``end``)."""
        out: dict[str, float] = {}
        for ep in self.episodes:
            out[ep.severity] = out.get(ep.severity, 0.0) + ep.duration(end)
        return out

    def budget_summary(self) -> dict[str, float | None]:
        """Error budget remaining at the first step, its lowest (and the first step at it), and at the last step.

        Steps without a known budget are left out; all ``None`` when no step had one.
        """
        known = [(t, r) for t, r in self.budget if r is not None]
        if not known:
            return {"start": None, "lowest": None, "lowest_at": None, "end": None}
        low_t, low = min(known, key=lambda p: (p[1], p[0]))
        return {"start": known[0][1], "lowest": low, "lowest_at": low_t, "end": known[-1][1]}


@dataclass(slots=True)
class Replay:
    start: float
    end: float
    step: float
    slos: list[SLOReplay]

    def per_week(self, slo: SLOReplay) -> dict[str, float]:
        """Episodes per week by severity over the replayed span (``--from`` to ``--to``; one step
        when they are the same moment)."""
        span = self.end - self.start if self.end > self.start else self.step
        out: dict[str, float] = {}
        for ep in slo.episodes:
            out[ep.severity] = out.get(ep.severity, 0.0) + 1.0
        return {sev: n * WEEK / span for sev, n in out.items()}  # (one rounding: 1 in 90 s is 6720.0)


def steps(start: float, end: float, every: float) -> list[float]:
    """``start, start+every, ...`` up to and including ``end`` (exact multiples, no drift)."""
    if every <= 0:
        raise ValueError("step must be longer than 0")
    n = int((end - start) // every)
    return [start + i * every for i in range(n + 1)]


def tick_at_or_after(origin: float, every: float, at: float) -> float:
    """The first of ``origin + k * every`` (k = 0, 1, ...) at or after ``at``."""
    k = max(math.ceil((at - origin) / every), 0)
    while k > 0 and origin + (k - 1) * every >= at:  # the division's rounding, either way
        k -= 1
    while origin + k * every < at:
        k += 1
    return origin + k * every


class Simulation:
    """The alert engine fed one report at a time (:meth:`feed`, in time order): a replay keeps
    what it records (timelines, episodes, counts), not the reports.

    ``tick``: the daemon's interval, its ticks at ``origin + k * tick`` (``origin``: the first
    step when None); between two steps the groups due at those ticks are flushed. None: the
    engine runs at the steps only. ``stop`` is asked before each timer tick too (True raises
    :class:`ReplayStopped`); more than ``max_ticks`` timer ticks (default :data:`MAX_TIMER_TICKS`) raise
    :class:`ReplayTooLong`."""

    def __init__(
        self, policy: AlertPolicy, *, names: Sequence[str], silences: Sequence[Any] = (),
        tick: float | None = None, origin: float | None = None,
        stop: Callable[[], bool] | None = None, max_ticks: int | None = None,
    ) -> None:
        if tick is not None and not tick > 0:
            raise ValueError("tick must be longer than 0")
        self.policy, self.silences = policy, silences
        self.tick, self.origin = tick, origin
        self.stop = stop
        self.max_ticks = MAX_TIMER_TICKS if max_ticks is None else max_ticks
        #: timer ticks run so far (flushes between steps)
        self.ticks = 0
        self.slos = {name: SLOReplay(name) for name in names}
        self.states: dict[str, AlertRecord] = {}
        self.groups: dict[str, GroupRecord] = {}
        self.open_eps: dict[tuple[str, str], float] = {}
        #: the time the engine last ran (a step or a tick)
        self.last: float | None = None

    def _ticks(self, until: float, *, inclusive: bool) -> None:
        """Run the daemon's ticks after the last step and before ``until`` (or at it, ``inclusive``)
        at which a group is due, with the alert states held."""
        if self.tick is None or self.last is None or self.origin is None:
            return
        while True:
            due = next_flush(self.groups)
            if due is None:
                return
            at = tick_at_or_after(self.origin, self.tick, max(due, math.nextafter(self.last, math.inf)))
            if at > until or (at == until and not inclusive):
                return
            if self.stop is not None and self.stop():
                raise ReplayStopped()
            self._tick()
            res = flush_due(self.states, self.groups, self.silences, self.policy, at)
            self.states, self.groups, self.last = res.states, res.groups, at
            self._count(res)

    def feed(self, now: float, report: Report) -> None:
        if self.origin is None:
            self.origin = now
        self._ticks(now, inclusive=False)
        slos, open_eps = self.slos, self.open_eps
        for result in report.results:
            if result.spec.name in slos:
                slo = slos[result.spec.name]
                slo.timeline.append((now, result.status, result.value))
                slo.steps += 1
                if result.error:
                    slo.error_steps += 1
                    slo.last_error = result.error
                slo.budget.append((now, result.budget.remaining if result.budget is not None else None))
        res = step(report, self.states, self.groups, self.silences, self.policy, now)
        self.states, self.groups, self.last = res.states, res.groups, now
        firing = {(r.slo, r.severity) for r in self.states.values() if r.state == "firing"}
        # an alert inhibited by its SLO's CRITICAL (SPEC 4) is not sent: its episode starts when it is
        # (a WARNING under a page from its start is no ticket); once sent, an inhibition does not end it
        # (Alertmanager sends it again only at the repeat interval when the inhibition lifts)
        sent = {(r.slo, r.severity) for r in self.states.values() if r.state == "firing" and not r.inhibited}
        for key in sent - open_eps.keys():
            open_eps[key] = now
        for key in [k for k in open_eps if k not in firing]:
            slo = slos.get(key[0])
            if slo is not None:
                slo.episodes.append(Episode(key[1], open_eps[key], now))
            del open_eps[key]
        self._count(res)

    def _tick(self) -> None:
        self.ticks += 1
        if self.ticks > self.max_ticks:
            from slotui.formatting import format_window

            timers = (f"defaults.interval {format_window(self.tick or 0.0)}, alerts.group interval "
                      f"{format_window(self.policy.group_interval)}")
            raise ReplayTooLong(
                f"more than {self.max_ticks:,} timer ticks between the steps: the simulated daemon flushes the "
                f"alert groups that are due at every tick ({timers}); give a shorter range, or replay a copy "
                "of the SLO file with a longer alerts.group interval"
            )

    def _count(self, res: StepResult) -> None:
        """Count each notification once for every SLO among its alerts."""
        slos = self.slos
        for out in res.outgoing:
            note = out.notification
            for name in {a.slo for a in note.alerts}:
                if name in slos:
                    counts = slos[name].notifications
                    counts[note.channel] = counts.get(note.channel, 0) + 1

    def finish(self, start: float, end: float, every: float) -> Replay:
        """The replay: the daemon's ticks after the last step up to ``end`` (states held) are run;
        alerts still firing at the last step are episodes without an end."""
        self._ticks(end, inclusive=True)
        slos = self.slos
        for (name, severity), since in self.open_eps.items():
            if name in slos:
                slos[name].episodes.append(Episode(severity, since, None))
        self.open_eps = {}
        for slo in slos.values():
            slo.episodes.sort(key=lambda e: (e.started_at, e.severity))
        return Replay(start, end, every, list(slos.values()))


def simulate(
    reports: Iterable[tuple[float, Report]],
    policy: AlertPolicy,
    *,
    names: Sequence[str],
    silences: Sequence[Any] = (),
    start: float,
    end: float,
    every: float,
    tick: float | None = None,
) -> Replay:
    """Run the alert engine over ``reports`` (in time order) and collect what it did
    (``tick``: the daemon's interval, see :class:`Simulation`)."""
    sim = Simulation(policy, names=names, silences=silences, tick=tick, origin=start)
    for now, report in reports:
        sim.feed(now, report)
    return sim.finish(start, end, every)
