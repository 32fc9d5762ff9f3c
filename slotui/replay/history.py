"""What each source can replay, and the reports of a replay (one per step).

File and demo sources answer for any past ``now`` from their records, so a
step is the same fetch and evaluation as ``slotui check --at``. A Prometheus
source is replaced by :class:`slotui.replay.prometheus.ReplayPrometheus`, which
loads each series with one range query before the first step. Other sources
(live HTTP APIs) cannot answer for the past: they are named, not guessed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from slotui.core.types import Report

if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig

#: source types whose records answer for any past moment
REPLAYABLE = frozenset({"file", "demo", "prometheus"})


def unreplayable(loaded: "LoadedConfig", names: Sequence[str]) -> dict[str, str]:
    """SLO name -> why it cannot be replayed, for the SLOs in ``names``."""
    out: dict[str, str] = {}
    for spec in loaded.specs:
        if spec.name not in names:
            continue
        cfg = loaded.config.sources.get(spec.source)
        kind = getattr(cfg, "type", None)
        if kind not in REPLAYABLE:
            out[spec.name] = f"source {spec.source!r} (type {kind}) has no history to replay"
    return out


async def _sources(loaded: "LoadedConfig", times: Sequence[float]) -> dict:
    from slotui.sources import build_source

    out = {}
    for name, cfg in loaded.config.sources.items():
        specs = [s for s in loaded.specs if s.source == name]
        if not specs:
            continue
        if getattr(cfg, "type", None) == "prometheus" and len(times) > 1:
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


async def reports(loaded: "LoadedConfig", times: Sequence[float]) -> AsyncIterator[tuple[float, Report]]:
    """The real fetch + evaluation at each of ``times``, without a store (nothing is written)."""
    from slotui.engine import Engine

    engine = Engine(loaded, sources=await _sources(loaded, times))
    try:
        for now in times:
            data, errors = await engine.fetch(now)
            yield now, engine.evaluate(data, errors, now)
    finally:
        await engine.aclose()
