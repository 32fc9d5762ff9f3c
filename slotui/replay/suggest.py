"""Threshold suggestions for threshold SLOs (SPEC 10.3).

For a few candidate thresholds evenly spaced between the target and the worst
value seen in the replay, count the episodes each would have fired, and which
of the current CRITICAL episodes it would still have caught (a candidate
catches an episode when its alert fires at some step inside it;
``caught``/``missed`` hold the episodes' start times). Pure.

A candidate's alert fires as the alert engine's would: a run of consecutive
steps whose value is past the candidate (a step with no data ends it, as NO
DATA resolves an alert) fires once it has lasted the SLO's ``for:``, and a
run shorter than that fires nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slotui.core.types import SLOSpec
from slotui.replay.simulate import Replay

CANDIDATES = 4


def _past(value: float, threshold: float, direction: str) -> bool:
    return value < threshold if direction == "higher_is_better" else value > threshold


def suggestions(spec: SLOSpec, timeline: Sequence[tuple[float, Any, float | None]],
                critical_episodes: Sequence[tuple[float, float | None]]) -> list[dict[str, Any]]:
    values = [(t, v) for t, _s, v in timeline if v is not None]
    if not values:
        return []
    pick = max if spec.direction == "lower_is_better" else min
    worst = pick(v for _t, v in values)
    if not _past(worst, spec.target, spec.direction):
        return []
    out = []
    for i in range(1, CANDIDATES + 1):
        threshold = spec.target + (worst - spec.target) * i / (CANDIDATES + 1)
        episodes = 0
        since: float | None = None  # the run's first step (the alert pending from then)
        fired = False
        hits: list[float] = []  # the steps at which the candidate's alert fires
        for t, _s, v in timeline:
            if v is None or not _past(v, threshold, spec.direction):
                since, fired = None, False
                continue
            if since is None:
                since = t
            if not fired and t - since >= spec.for_:
                fired = True
                episodes += 1
            if fired:
                hits.append(t)
        caught = [
            start for start, end in critical_episodes
            if any(start <= t and (end is None or t < end) for t in hits)
        ]
        out.append({"threshold": threshold, "episodes": episodes, "caught": caught,
                    "missed": [start for start, _end in critical_episodes if start not in caught]})
    return out


def add_suggestions(replay: Replay, specs: Sequence[SLOSpec]) -> None:
    """Threshold suggestions for every threshold SLO of ``replay`` (from its timeline and episodes)."""
    by_name = {s.name: s for s in specs}
    for slo in replay.slos:
        spec = by_name.get(slo.name)
        if spec is None or spec.kind != "threshold":
            continue
        crit = [(e.started_at, e.ended_at) for e in slo.episodes if e.severity == "critical"]
        slo.suggestions = suggestions(spec, slo.timeline, crit)
