"""Prometheus history for a replay: one range query per series, not one per step.

A live Prometheus source answers each ``now`` with instant queries (the SLO
window, every burn-rate window) and keeps its slice/bucket ranges in a point
cache. :class:`ReplayPrometheus` asks, before the replay starts, for every
expression the source would evaluate: each instant expression once with
``query_range`` over ``[from, to]`` at the replay step (a range query's point at
``t`` is the instant query at ``t``), and each slice/bucket series once over the
whole replay plus its period (Prometheus' 11,000-point limit splits a long one
into chunks). A breakdown's grouped queries (``sum by (model) (...)`` over the SLO
window and each tier's long window, SPEC 10.1) are range queries grouped the same
way: one per label and window, read back per step as ``{label value: value}``.
The steps then read those tables, so a replay
makes the same number of requests whatever its length. A step off the prefetched
grid falls back to a real instant query. A prefetched answer that came with
``warnings`` (part of the data unreadable) notes every step that reads it, as
a live answer would ("the answer may be partial").
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from slotui.core.types import SLOSpec
from slotui.sources.prometheus import (
    PrometheusSource,
    _chunks,
    _fmt_time,
    warnings_of,
    _Instant,
    _Range,
    parse_grouped_range,
    parse_range,
)


class ReplayPrometheus(PrometheusSource):
    """A :class:`PrometheusSource` that reads its instant queries from prefetched range queries."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tables: dict[str, dict[float, float]] = {}
        self._grouped_tables: dict[tuple[str, str], dict[float, dict[str, float]]] = {}
        self._replay_step = 0.0
        self._start = 0.0
        self._prefetched: set[_Range] = set()
        # Warnings of the prefetched answers, per instant expression, grouped query or range.
        self._table_warned: dict[Any, list[str]] = {}

    async def prefetch(self, slos: Sequence[SLOSpec], start: float, end: float, every: float) -> None:
        """Load every series ``slos`` need for steps ``start .. end`` every ``every``."""
        self._replay_step = every
        instants: set[str] = set()
        grouped: set[tuple[str, str]] = set()
        ranges: dict[_Range, tuple[float, float]] = {}
        for spec in slos:
            grouped.update(self.grouped_queries(spec))
            first_plan, last_plan = self._plan(spec, start), self._plan(spec, end)
            instants.update(k.query for k in first_plan.needs() if isinstance(k, _Instant))
            for key in (first_plan.series, first_plan.good, first_plan.total):
                if key is not None:
                    lo, hi = ranges.get(key, (first_plan.first, last_plan.last))
                    ranges[key] = (min(lo, first_plan.first), max(hi, last_plan.last))

        async def ask(query: str) -> list[Any]:
            return [
                await self._api(
                    "api/v1/query_range",
                    {"query": query, "start": _fmt_time(a), "end": _fmt_time(b), "step": _fmt_time(every)},
                )
                for a, b in _chunks(start, end, every)
            ]

        async def table(query: str) -> None:
            got: dict[float, float] = {}
            for payload in await ask(query):
                got.update(parse_range(payload, keep_nan=True))
                if warnings_of(payload):
                    self._table_warned.setdefault(query, []).extend(warnings_of(payload))
            self._tables[query] = got

        async def grouped_table(query: str, label: str) -> None:
            got: dict[float, dict[str, float]] = {}
            for payload in await ask(query):
                got.update(parse_grouped_range(payload, label, keep_nan=True))
                if warnings_of(payload):
                    self._table_warned.setdefault((query, label), []).extend(warnings_of(payload))
            self._grouped_tables[(query, label)] = got

        await asyncio.gather(
            *(table(q) for q in sorted(instants)),
            *(grouped_table(q, label) for q, label in sorted(grouped)),
            *(super(ReplayPrometheus, self)._update_range(k, lo, hi) for k, (lo, hi) in ranges.items()),
        )
        self._prefetched.update(ranges)
        for key in ranges:
            if key in self._partial:  # kept for the whole replay: noted at every step instead
                self._table_warned[key] = self._partial.pop(key)
        self._start = start

    async def _update_range(self, key: _Range, first: float, last: float) -> None:
        # The live cache only moves forward (an earlier ``last`` refetches everything); a
        # prefetched series already covers every step, and the slice view picks ``[first, last]``.
        if key not in self._prefetched:
            await super()._update_range(key, first, last)
        elif key in self._table_warned:
            self._warned[key] = self._table_warned[key]

    def _on_grid(self, t: float) -> bool:
        return bool(self._replay_step) and not (t - self._start) % self._replay_step

    async def _instant(self, key: _Instant) -> float | None:
        table = self._tables.get(key.query)
        if table is None or not self._on_grid(key.time):
            return await super()._instant(key)
        if key.query in self._table_warned:
            self._warned[key] = self._table_warned[key.query]
        return table.get(key.time)

    async def _grouped(self, key: _Instant, label: str) -> tuple[dict[str, float], list[str]]:
        table = self._grouped_tables.get((key.query, label))
        if table is None or not self._on_grid(key.time):
            return await super()._grouped(key, label)
        return dict(table.get(key.time, {})), list(self._table_warned.get((key.query, label), ()))
