"""What each source can replay, and the reports of a replay (one per step).

File and demo sources answer for any past ``now`` from their records, so a
step gives what ``slotui check --at`` gives. Their SLOs take the fast path
(:class:`_Timeline`): the source hands over the whole slices or buckets of the
replay's span once (``replay_whole``) and at each step only the window and the
slice holding ``now`` (``replay_step``); the core evaluates on a
:mod:`slotui.core.timeline` view, the same results without re-reading the
period (no ``history``, and no interval where it changes no status: see
docs/replay.md "Speed"). A Prometheus
source is replaced by :class:`slotui.replay.prometheus.ReplayPrometheus`, which
loads each series with one range query before the first step. Other sources
(live HTTP APIs) cannot answer for the past: their SLOs are replayed from the
samples the state file holds (:mod:`slotui.replay.stored`), and an SLO with no
stored samples in the range is named, not guessed.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slotui.config.text import one_line
from slotui.core.periods import period_bounds
from slotui.core.types import Report, SLIData, SLOResult, SLOSpec

if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig

#: source types whose records answer for any past moment
REPLAYABLE = frozenset({"file", "demo", "prometheus"})


def needs_stored(loaded: "LoadedConfig", names: Sequence[str]) -> list:
    """The SLOs in ``names`` whose source has no history of its own (replayed from the state file)."""
    return [
        spec for spec in loaded.specs
        if spec.name in names and getattr(loaded.config.sources.get(spec.source), "type", None) not in REPLAYABLE
    ]


def unreplayable(
    loaded: "LoadedConfig", names: Sequence[str], stored: Mapping[str, object] | None = None
) -> dict[str, str]:
    """SLO name -> why it cannot be replayed, for the SLOs in ``names`` (``stored``: the SLOs with
    samples in the state file, which are replayed from them)."""
    out: dict[str, str] = {}
    for spec in needs_stored(loaded, names):
        if spec.name not in (stored or {}):
            kind = getattr(loaded.config.sources.get(spec.source), "type", None)
            out[spec.name] = (f"source {spec.source!r} (type {kind}) has no history to replay "
                              "and the state file holds no samples of it in the range")
    return out


async def _sources(
    loaded: "LoadedConfig", times: Sequence[float], stored: Mapping[str, Sequence[tuple[float, ...]]]
) -> dict:
    from slotui.sources import build_source

    out: dict = {}
    for name, cfg in loaded.config.sources.items():
        specs = [s for s in loaded.specs if s.source == name]
        if not specs:
            continue
        if getattr(cfg, "type", None) not in REPLAYABLE:
            from slotui.replay.stored import StoredHistorySource

            out[name] = StoredHistorySource(name, {s.name: stored.get(s.name, ()) for s in specs})
        elif getattr(cfg, "type", None) == "prometheus" and len(times) > 1:
            from slotui.replay.prometheus import ReplayPrometheus

            source = ReplayPrometheus(name, cfg, base_dir=loaded.base_dir, defaults=loaded.config.defaults)
            try:
                await source.prefetch(specs, times[0], times[-1], times[1] - times[0])
            except Exception:  # noqa: BLE001 - the steps query (and report) the source themselves
                pass
            out[name] = source
        else:
            out[name] = build_source(name, cfg, base_dir=loaded.base_dir, defaults=loaded.config.defaults)
    return out


class _Timeline:
    """One SLO replayed on the fast path: its whole slices or buckets taken once from the source
    (``replay_whole``), and at each step the source's answer for the window and the slice holding
    ``now`` (``replay_step``), evaluated with a :mod:`slotui.core.timeline` view."""

    def __init__(self, spec: SLOSpec, source: Any, whole: Sequence[tuple[float, ...]], redact: Any) -> None:
        from slotui.core.timeline import EventTimeline, SliceTimeline

        self.spec, self.source, self.redact = spec, source, redact
        self.timeline = EventTimeline(whole) if spec.kind == "ratio" else SliceTimeline(spec, whole)  # type: ignore[arg-type]
        #: the last good answer and its view (the engine keeps it for an answer with an error)
        self.last: tuple[SLIData, Any] | None = None

    def evaluate(self, now: float) -> SLOResult:
        from slotui.core.evaluate import evaluate_slo
        from slotui.sources.kit.runtime import _redacted

        spec = self.spec
        item = self.source.replay_step(spec, now)
        # what the engine's fetch does with an answer (runtime.fetch_one, Engine.fetch)
        if item.error or item.note:
            item = _redacted(item, self.redact)
        if item.fetched_at is None and item.error is None:
            item = replace(item, fetched_at=now)
        if item.error is not None:
            # the engine keeps the last good answer (with the whole period), flagged with the error
            data = replace(self._whole(*self.last), error=item.error) if self.last is not None else item
            return evaluate_slo(spec, data, now)
        start = period_bounds(spec, now)[0]
        tail_start = math.floor(now / spec.slice) * spec.slice
        view = self.timeline.at(start, tail_start, item.buckets if spec.kind == "ratio" else item.slices)
        self.last = (item, view)
        # with a view, evaluate_slo reads the period's slices from data only for a forecast
        data = self._whole(item, view) if spec.forecast else item
        # no history: the replay reads none of it (SLOResult.history, .buckets)
        return evaluate_slo(spec, data, now, series=view, history=False)

    def _whole(self, item: SLIData, view: Any) -> SLIData:
        """``item`` with the whole period's slices or buckets (the answer the source would give)."""
        if self.spec.kind == "ratio":
            return replace(item, buckets=view.buckets_tuple())
        return replace(item, slices=view.points_tuple())


async def _timelines(
    loaded: "LoadedConfig", sources: Mapping[str, Any], times: Sequence[float], redact: Any
) -> dict[str, _Timeline]:
    """The SLOs whose source hands over its whole series (file and demo records): name -> timeline.
    The others (Prometheus, the state file's samples, SLOs a source cannot answer) are fetched
    at every step."""
    if len(times) < 2:
        return {}
    out: dict[str, _Timeline] = {}
    for name, source in sources.items():
        if not hasattr(source, "replay_whole"):
            continue
        specs = [s for s in loaded.specs if s.source == name]
        try:
            await source.fetch(specs, times[0])  # reads the file once (the demo needs nothing)
        except Exception:  # noqa: BLE001 - the steps fetch (and report) the source themselves
            continue
        for spec in specs:
            start = period_bounds(spec, times[0])[0]
            end = math.floor(times[-1] / spec.slice) * spec.slice
            whole = source.replay_whole(spec, start, end)
            if whole is not None:
                out[spec.name] = _Timeline(spec, source, whole, redact)
    return out


async def reports(
    loaded: "LoadedConfig", times: Sequence[float], stored: Mapping[str, Sequence[tuple[float, ...]]] | None = None
) -> AsyncIterator[tuple[float, Report]]:
    """The real fetch + evaluation at each of ``times``, without a store (nothing is written);
    ``stored``: the state file's samples of the SLOs whose source has no history.

    File and demo SLOs take the fast path (:class:`_Timeline`: the same results, without
    re-reading the period at every step); the others are fetched and evaluated at every step."""
    from slotui.core.evaluate import evaluate_all
    from slotui.engine import Engine

    sources = await _sources(loaded, times, stored or {})
    probe = Engine(loaded, sources=sources)
    fast = await _timelines(loaded, sources, times, probe.redact)
    slow = [s for s in loaded.specs if s.name not in fast]
    engine = Engine(replace(loaded, specs=slow), sources=sources)
    engine.backoff = False  # (a failed step's backoff skipped the steps after it, in simulated time)
    warnings = tuple(loaded.warnings)
    try:
        for now in times:
            data, errors = await engine.fetch(now) if slow else ({}, {})
            if not fast:
                yield now, engine.evaluate(data, errors, now)
                continue
            fetched = evaluate_all(slow, data, now, source_errors=errors).results
            by_name = {r.spec.name: r for r in fetched}
            results = tuple(fast[s.name].evaluate(now) if s.name in fast else by_name[s.name] for s in loaded.specs)
            yield now, Report(evaluated_at=now, results=results,
                              source_errors={n: one_line(m) for n, m in errors.items()}, warnings=warnings)
    finally:
        await engine.aclose()
