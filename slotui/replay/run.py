"""One call that replays a loaded config: the reports at every step, then the simulation and suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slotui.replay.simulate import Replay

if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig


async def replay_config(
    loaded: "LoadedConfig", start: float, end: float, every: float, *, silences: Sequence[Any] = (),
    stored: Mapping[str, Sequence[tuple[float, ...]]] | None = None,
) -> Replay:
    """Replay every SLO of ``loaded`` (all must be replayable) from ``start`` to ``end`` every ``every``;
    ``stored``: the state file's samples of SLOs whose source has no history (:mod:`slotui.replay.stored`)."""
    from slotui.alerting.lifecycle import AlertPolicy
    from slotui.replay.history import reports
    from slotui.replay.simulate import simulate, steps
    from slotui.replay.suggest import add_suggestions

    evaluated = [item async for item in reports(loaded, steps(start, end, every), stored)]
    replay = simulate(
        evaluated, AlertPolicy.from_config(loaded.config.alerts), names=[s.name for s in loaded.specs],
        silences=silences, start=start, end=end, every=every,
    )
    add_suggestions(replay, loaded.specs, evaluated)
    return replay
