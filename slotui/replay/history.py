"""What each source can replay, and the reports of a replay (one per step).

File and demo sources answer for any past ``now`` from their records, so a
step is the same fetch and evaluation as ``slotui check --at``. A Prometheus
source is replaced by :class:`slotui.replay.prometheus.ReplayPrometheus`, which
loads each series with one range query before the first step. Other sources
(live HTTP APIs) cannot answer for the past: their SLOs are replayed from the
samples the state file holds (:mod:`slotui.replay.stored`), and an SLO with no
stored samples in the range is named, not guessed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING

from slotui.core.types import Report

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


async def reports(
    loaded: "LoadedConfig", times: Sequence[float], stored: Mapping[str, Sequence[tuple[float, ...]]] | None = None
) -> AsyncIterator[tuple[float, Report]]:
    """The real fetch + evaluation at each of ``times``, without a store (nothing is written);
    ``stored``: the state file's samples of the SLOs whose source has no history."""
    from slotui.engine import Engine

    engine = Engine(loaded, sources=await _sources(loaded, times, stored or {}))
    try:
        for now in times:
            data, errors = await engine.fetch(now)
            yield now, engine.evaluate(data, errors, now)
    finally:
        await engine.aclose()
