"""One call that replays a loaded config: the reports at every step, then the simulation and suggestions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slotui.replay.simulate import Replay, ReplayStopped, ReplayTooLong

if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig

__all__ = ["ReplayStopped", "ReplayTooLong", "replay_config", "replay_slo"]


async def replay_config(
    loaded: "LoadedConfig", start: float, end: float, every: float, *, silences: Sequence[Any] = (),
    stored: Mapping[str, Sequence[tuple[float, ...]]] | None = None, stop: Callable[[], bool] | None = None,
) -> Replay:
    """Replay every SLO of ``loaded`` (all must be replayable) from ``start`` to ``end`` every ``every``;
    ``stored``: the state file's samples of SLOs whose source has no history (:mod:`slotui.replay.stored`);
    ``stop``: asked before each step and timer tick, True raises :class:`ReplayStopped` (a closed view's
    worker); more timer ticks than :data:`~slotui.replay.simulate.MAX_TIMER_TICKS` raise
    :class:`ReplayTooLong`.

    Breakdowns (SPEC 10.1) are not computed: they never change a status or an alert, and grouping
    every step's records by label was a quarter of a demo replay's time."""
    from dataclasses import replace

    from slotui.alerting.lifecycle import AlertPolicy
    from slotui.replay.history import reports
    from slotui.replay.simulate import Simulation, steps
    from slotui.replay.suggest import add_suggestions

    loaded = replace(loaded, specs=[replace(s, breakdown=()) if s.breakdown else s for s in loaded.specs])
    # each report goes through the alert engine as it comes: a month of reports is not kept
    # the daemon ticks every defaults.interval from `start`: groups due between two steps flush there
    sim = Simulation(AlertPolicy.from_config(loaded.config.alerts), names=[s.name for s in loaded.specs],
                     silences=silences, tick=float(loaded.config.defaults.interval), origin=start, stop=stop)
    async for now, report in reports(loaded, steps(start, end, every), stored):
        if stop is not None and stop():
            raise ReplayStopped()
        sim.feed(now, report)
    replay = sim.finish(start, end, every)
    add_suggestions(replay, loaded.specs)
    return replay


def replay_slo(
    loaded: "LoadedConfig", name: str, start: float, end: float, every: float, *, state: Any = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[Any, str | None]:
    """Replay one SLO (blocking: for a worker thread). Returns its :class:`~slotui.replay.simulate.SLOReplay`
    and None, or None and why it cannot be replayed. ``state``: the state file whose samples stand in for
    a source without a history (read-only; None: no such samples). Silences do not change episodes,
    so none are read."""
    import asyncio
    from dataclasses import replace
    from pathlib import Path

    from slotui.replay.history import needs_stored, unreplayable
    from slotui.replay.stored import stored_history

    spec = next((s for s in loaded.specs if s.name == name), None)
    if spec is None:
        return None, f"no SLO named {name}"
    stored: dict = {}
    missing = needs_stored(loaded, [name])
    if missing and state is not None:
        stored, _bad = stored_history(loaded, missing, Path(state), start, end)
    why = unreplayable(loaded, [name], stored).get(name)
    if why is not None:
        return None, why
    replay = asyncio.run(replay_config(replace(loaded, specs=[spec]), start, end, every, stored=stored, stop=stop))
    return replay.slos[0], None
