"""Replay from the samples in the state file (SPEC 10.3), for sources without a history of their own.

A live HTTP API (LangSmith, Langfuse, MLflow, Weave, a generic JSON endpoint)
cannot answer for the past, but the engine has recorded what it answered: the
threshold slices (``samples``) and ratio buckets (``buckets``) of every SLO,
per slice, in the state file. :func:`stored_history` reads them once, read-only
(:func:`slotui.store.read_history_snapshot` writes nothing next to the file),
and :class:`StoredHistorySource` answers each step from them:

- ratio SLOs: the period's buckets; the window's good/total is summed from them
  by the core, exactly as live;
- threshold SLOs: the period's slices, and as the window's value the mean of
  the stored slices whose start is in ``[now - window, now)`` (exact for a mean
  over slices of equal weight, an approximation for percentiles: the store
  keeps no raw values). No stored slice in the window: no value (NO DATA).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from slotui.core.periods import period_bounds
from slotui.core.sums import exact_mean
from slotui.core.types import SLIData, SLOSpec

if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig


def stored_history(
    loaded: "LoadedConfig", specs: Sequence[SLOSpec], state: Path, start: float, end: float
) -> tuple[dict[str, list[tuple[float, ...]]], list[tuple[str, str]]]:
    """The state file's rows of ``specs`` covering every step's period and window in ``[start, end]``,
    and ``(row id, reason)`` per unreadable row. SLOs without rows are absent."""
    from slotui.store import read_history_snapshot

    if not specs:
        return {}, []
    since = min(min(period_bounds(spec, start)[0], start - spec.window) for spec in specs)
    return read_history_snapshot(state, {s.name: s.kind for s in specs}, since, end)


class StoredHistorySource:
    """Answers SLOs at any ``now`` from rows read from the state file (see the module doc)."""

    def __init__(self, name: str, rows: Mapping[str, Sequence[tuple[float, ...]]]) -> None:
        self.name = name
        self._rows = {slo: list(points) for slo, points in rows.items()}
        self._times = {slo: [p[0] for p in points] for slo, points in self._rows.items()}

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        out: dict[str, SLIData] = {}
        for spec in slos:
            rows, times = self._rows.get(spec.name, []), self._times.get(spec.name, [])
            first = bisect_left(times, period_bounds(spec, now)[0])
            last = bisect_left(times, now)
            if spec.kind == "ratio":
                out[spec.name] = SLIData(buckets=tuple(rows[first:last]), fetched_at=now)  # type: ignore[arg-type]
                continue
            in_window = [p[1] for p in rows[bisect_left(times, now - spec.window):last]]
            value = exact_mean(in_window)
            out[spec.name] = SLIData(value=value, slices=tuple(rows[first:last]), fetched_at=now)  # type: ignore[arg-type]
        return out

    async def aclose(self) -> None:
        """Nothing to release."""
