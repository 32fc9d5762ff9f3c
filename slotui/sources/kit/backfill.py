"""Slice history for sources that answer one aggregate per time range.

LangSmith (``get_run_stats``), Langfuse (``/api/public/v2/metrics``) and MLflow
(``traces/metrics``) answer "the SLI over ``[start, end)``" per request. The
period's slices are built from such answers:

- **backfill**: the first fetch plans the whole period. Asking every 5-minute
  slice of a 30-day period would be 8,640 requests, so the aligned middle of
  the period is asked in *coarse* spans (``coarse`` seconds, by default one
  hour: 720 requests for 30 days) and only the edges in slices;
- **incremental**: later fetches plan only the slices that completed since,
  re-asking the newest one (late-arriving data);
- **resumable**: spans are asked newest first, stored the moment they are
  answered, and no new span is started once the fetch's soft deadline has
  passed, so a long backfill spreads over several fetches instead of timing
  out; the remaining spans stay pending for the next fetch. A source that
  answers a time series per request gets at most :meth:`RangeSource.grid_spans`
  spans a call, each call stored before the next starts.

A coarse span answers one value for all its slices. Threshold SLOs get that
value for *each* slice it covers (so each hour weighs as much time in the
budget as twelve 5-minute slices would) -- unless the answer says it was
counted from fewer samples than the span has slices (:class:`Counted`): then
most of its slices had no data, and they are asked one by one (see
:meth:`SpanBook.record`) -- except counts and sums
(``Measure.extensive``): an hour's count is twelve slices' worth, so it is
spread evenly over them (each slice gets the hour's mean per slice), or the
threshold would meet an hour's count in the middle of the period and five
minutes' at its edges. Ratio SLOs get the span's counts spread evenly over its
slices likewise (sums stay exact, and every bucket is one slice long, so
history stored by the engine never holds overlapping buckets).

Only complete slices are planned: slice ends are multiples of the step (epoch
grid) within ``(now - period, now]``.
"""

from __future__ import annotations

import asyncio
import math
import time
from bisect import bisect_left, bisect_right
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from slotui.core.breakdown import breakdown_window
from slotui.core.periods import ratio_windows
from slotui.core.types import GroupData, SLOSpec
from slotui.sources.kit.base import QueryError, SourceError
from slotui.sources.kit.runtime import FETCH_DEADLINE, gather_answers

#: Default coarse backfill step (seconds).
DEFAULT_COARSE = 3600.0
#: Share of the fetch's time budget after which no new backfill span is started.
SOFT_BUDGET = 0.6

Span = tuple[float, float]


def grid(now: float, period: float, step: float) -> tuple[float, float]:
    """``(first_start, last_end)`` of the complete slices of ``step`` in ``(now - period, now]``."""
    last_end = math.floor(now / step + 1e-9) * step
    first_start = math.ceil((now - period) / step - 1e-9) * step
    return first_start, last_end


def cover(start: float, end: float, step: float, coarse: float) -> list[Span]:
    """Spans covering ``[start, end)`` (multiples of ``step``): coarse in the aligned middle, slices at the edges."""
    if end <= start:
        return []
    spans: list[Span] = []
    c0 = math.ceil(start / coarse - 1e-9) * coarse
    c1 = math.floor(end / coarse + 1e-9) * coarse
    if coarse > step and c1 - c0 >= coarse:
        spans += _fine(start, c0, step)
        t = c0
        while t < c1 - 1e-6:
            spans.append((t, t + coarse))
            t += coarse
        spans += _fine(c1, end, step)
    else:
        spans += _fine(start, end, step)
    return spans


def _fine(start: float, end: float, step: float) -> list[Span]:
    out = []
    t = start
    while t < end - 1e-6:
        out.append((t, t + step))
        t += step
    return out


def due(held: tuple[float, float] | None, first: float, last: float, step: float) -> list[tuple[float, float]] | None:
    """The one rule of "ask only for new slices": grid points to ask so ``[first, last]`` is covered.

    Points are slice positions on a grid of ``step`` (multiples of it);
    ``held`` is the closed range ``[lo, hi]`` already asked for. Returns
    ``None`` when nothing held can be kept: nothing is held, the wanted range
    starts after ``hi`` (everything held left the period) or ends before it
    (the clock went back). Otherwise the closed ranges still to ask, oldest
    first: ``[first, lo - step]`` when the range grew back (a longer period),
    and ``[hi, last]`` when slices completed since ``hi``, re-asking ``hi``
    itself because its data may have arrived after it was asked. ``[]``:
    nothing new.
    """
    if held is None or last < held[1] or first > held[1]:
        return None
    lo, hi = held
    todo: list[tuple[float, float]] = []
    if first < lo:
        todo.append((first, lo - step))
    if last > hi:
        todo.append((max(first, hi), last))
    return todo


@dataclass(slots=True)
class PointCache:
    """Cached points of one (query, step) series covering slice ends ``[first, last]``.

    ``points`` is kept in ascending time order; ``version`` changes whenever it
    does, so views built from it (slices, buckets) can be reused between ticks.
    """

    points: dict[float, float] = field(default_factory=dict)
    first: float | None = None
    last: float | None = None
    version: int = 0

    def missing(self, first: float, last: float, step: float) -> list[tuple[float, float]]:
        """Intervals of slice ends to ask for so the cache covers ``[first, last]`` (see :func:`due`)."""
        if first > last:
            return []
        held = None if self.first is None or self.last is None else (self.first, self.last)
        todo = due(held, first, last, step)
        if todo is None:
            self.points.clear()
            self.first = self.last = None
            self.version += 1
            return [(first, last)]
        return todo

    def merge(self, got: Mapping[float, float], asked: Sequence[tuple[float, float]], first: float, last: float) -> None:
        """Replace the asked intervals with ``got`` and keep only ends within ``[first, last]``."""
        if not asked and first == self.first and last == self.last:
            return
        points = self.points
        times = list(points)  # ascending
        # Usually only a few ends go (the oldest slices, the re-asked newest one):
        # delete those instead of rebuilding a period's worth of points.
        doomed = times[: bisect_left(times, first)] + times[bisect_right(times, last) :]
        for a, b in asked:
            doomed += times[bisect_left(times, a) : bisect_right(times, b)]
        for t in doomed:
            points.pop(t, None)
        newest = next(reversed(points), None)
        points.update(got)
        if newest is not None and got and min(got) <= newest:
            self.points = dict(sorted(points.items()))  # filled in before the newest: restore order
        self.first = first
        self.last = last
        self.version += 1



@dataclass(slots=True)
class SpanBook:
    """Answers of one query per span, over the period; see the module docstring.

    ``points`` maps a span start to ``(span_end, answer)``; ``pending`` holds
    spans still to ask. ``error`` is the last per-query problem (a bad query).
    """

    step: float
    coarse: float
    #: The answers add up over time (counts, sums): a coarse answer is spread over its slices.
    extensive: bool = False
    points: dict[float, tuple[float, Any]] = field(default_factory=dict)
    pending: set[Span] = field(default_factory=set)
    planned_from: float | None = None
    planned_until: float | None = None
    error: str | None = None

    def plan(self, now: float, period: float) -> None:
        """Add the spans due as of ``now`` to ``pending`` and drop what left the period.

        Clears ``error``: a query that failed is asked again at each fetch.
        """
        self.error = None
        first, last = grid(now, period, self.step)
        step = self.step
        # due() works on slice starts: [first, last - step] is wanted, [from, until - step] planned.
        held = None
        if self.planned_from is not None and self.planned_until is not None:
            held = (self.planned_from, self.planned_until - step)
        todo = due(held, first, last - step, step)
        if todo is None:
            self.points.clear()
            self.pending = set(cover(first, last, step, self.coarse))
        else:
            for a, b in todo:
                self.pending.update(cover(a, b + step, step, self.coarse))
        self.planned_from = first
        self.planned_until = last
        for start in [s for s in self.points if s < first]:
            del self.points[start]
        self.pending = {s for s in self.pending if s[0] >= first}

    def record(self, span: Span, answer: Any) -> None:
        """Store the answer of ``span`` (``None``: no data for it) and mark it done.

        A coarse answer counted from fewer samples than the span has slices (one request in a quiet
        hour) cannot stand for each of them: most of its slices had no data, and SPEC 3 counts only
        slices with data (one bad request made twelve bad slices). Its slices are asked one by one
        (the coarse value stands until the first of them, asked last, is answered)."""
        self.pending.discard(span)
        # A finer answer replaces the coarse one covering the same start.
        self.points[span[0]] = (span[1], answer)
        slices = round((span[1] - span[0]) / self.step)
        if slices > 1 and not self.extensive and isinstance(answer, Counted) and answer.n < slices:
            self.pending.update(_fine(span[0], span[1], self.step))

    def slices(self) -> list[tuple[float, float]]:
        """Threshold slices ``(slice_start, value)``; a coarse value stands for each slice it covers
        (a count or sum: its share, the value over the number of slices)."""
        out: dict[float, float] = {}
        for start, (end, answer) in self.points.items():
            value = plain(answer)
            if value is None:
                continue
            if self.extensive:
                value = value / max(1, round((end - start) / self.step))
            t = start
            while t < end - 1e-6:
                out.setdefault(t, value)
                t += self.step
        # Fine answers win over a coarse answer that covers the same slice.
        for start, (end, answer) in self.points.items():
            value = plain(answer)
            if value is not None and end - start <= self.step + 1e-6:
                out[start] = value
        return sorted(out.items())

    def buckets(self) -> list[tuple[float, float, float]]:
        """Ratio buckets ``(slice_start, good, total)``, one per slice.

        A coarse span's counts are spread evenly over its slices (fractional
        counts): sums over the span stay exact, every bucket is one slice long
        (so stored history never overlaps), and a window cutting the span gets
        its share. Fine answers win over a coarse answer covering the same slice.
        """
        out: dict[float, tuple[float, float]] = {}
        fine: set[float] = set()
        for start, (end, value) in self.points.items():
            if value is None:
                continue
            n = max(1, round((end - start) / self.step))
            if n == 1:
                out[start] = (float(value[0]), float(value[1]))
                fine.add(start)
                continue
            for k in range(n):
                t = start + k * self.step
                if t not in fine:
                    out.setdefault(t, (float(value[0]) / n, float(value[1]) / n))
        return [(t, g, total) for t, (g, total) in sorted(out.items())]


def soft_deadline(timeout: float) -> float:
    """Monotonic time after which no new backfill span should start (``SOFT_BUDGET`` of the budget)."""
    now = time.monotonic()
    deadline = FETCH_DEADLINE.get()
    budget = (deadline - now) if deadline is not None else timeout
    return now + max(0.0, budget) * SOFT_BUDGET


async def run_spans(
    jobs: Sequence[tuple[SpanBook, Span]],
    ask: Callable[[SpanBook, Span], Awaitable[Any]],
    *,
    concurrency: int,
    stop_at: float,
) -> list[SourceError]:
    """Ask ``jobs`` newest first with ``concurrency`` workers, storing each answer as it arrives.

    No job starts after the monotonic time ``stop_at``. A :class:`QueryError`
    sets the book's ``error`` (and drops that book's remaining jobs); a
    :class:`SourceError` leaves the span pending, is returned, and no job starts
    after it: the server is failing or asked to be left alone (a 429), and asking
    it for every other pending span (hundreds in a backfill) would only hammer it;
    they wait for the next fetch.
    """
    queue = sorted(jobs, key=lambda job: job[1][0], reverse=True)
    errors: list[SourceError] = []
    position = 0

    async def worker() -> None:
        nonlocal position
        while position < len(queue) and time.monotonic() < stop_at and not errors:
            book, span = queue[position]
            position += 1
            if book.error is not None:
                continue
            try:
                answer = await ask(book, span)
            except QueryError as exc:
                book.error = str(exc)
                continue
            except SourceError as exc:
                errors.append(exc)
                return
            book.record(span, answer)

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    return errors


def _adjacent_runs(spans: Iterable[Span]) -> list[list[Span]]:
    """``spans`` sorted and cut where one does not start where the previous one ended."""
    runs: list[list[Span]] = []
    for span in sorted(spans):
        if runs and abs(runs[-1][-1][1] - span[0]) < 1e-6:
            runs[-1].append(span)
        else:
            runs.append([span])
    return runs


def pending_note(books: Iterable[SpanBook]) -> str | None:
    """"backfill in progress: N spans to go" when any book still has pending spans."""
    n = sum(len(b.pending) for b in books)
    return f"backfill in progress: {n} span(s) of history still to fetch" if n else None



# --------------------------------------------------------------------------- range sources


@dataclass(frozen=True, slots=True)
class Measure:
    """What one SLO asks a range source; equal measures share requests and history.

    ``key`` identifies the question (source-specific, hashable); ``kind`` is
    ``threshold`` (answers a float or None) or ``ratio`` (answers ``(good,
    total)`` or None). ``extensive``: a threshold answer that adds up over time
    (a count, a sum, a total cost), so a span of twelve slices answers twelve
    slices' worth (see the module docstring).
    """

    key: Any
    kind: str
    extensive: bool = False


@dataclass(frozen=True, slots=True)
class Counted:
    """A threshold answer with the number of samples behind it (SPEC 10.2 ``n``): what
    :meth:`RangeSource.measure` returns when the source reports a count with the value."""

    value: float | None
    n: int


def plain(answer: Any) -> Any:
    """The value of an answer (a :class:`Counted` is its value)."""
    return answer.value if isinstance(answer, Counted) else answer


class RangeSource:
    """A source answering "the SLI over ``[start, end)``" per request, with history by spans.

    Subclasses set ``name`` and ``timeout`` and implement :meth:`measure_for`
    (SLO -> :class:`Measure`, raising :class:`QueryError`) and :meth:`measure`
    (one range, raising :class:`QueryError` or :class:`SourceError`). Sources
    that answer a whole time series in one request also implement
    :meth:`grid_step_ok` and :meth:`measure_grid`. What SLOs get:

    - threshold: ``value`` over ``[now - window, now)``, ``slices`` over the period;
    - ratio: ``windows`` for the SLO window, every tier window and a rolling
      period, each asked directly; ``buckets`` over the period.

    A threshold answer may be a :class:`Counted` (value and ``n``). Sources whose
    API can group set ``groups_supported`` and implement :meth:`measure_groups`:
    SLOs with ``breakdown`` then get one grouped answer per label over the
    breakdown window (SPEC 10.1); otherwise the evaluation notes "breakdown not
    supported by this source".

    A fetch raises :class:`SourceError` when every current-window request failed
    for a source reason; otherwise failures land on the SLOs they concern.
    """

    name: str
    timeout: float
    concurrency: int = 4
    coarse_step: float = DEFAULT_COARSE
    groups_supported: bool = False

    def _held(self) -> str | None:
        """Why the backfill waits (a server's ``Retry-After`` during it, until that time), or None."""
        until, why = getattr(self, "_backfill_hold", (0.0, ""))
        return why if time.monotonic() < until else None

    def _hold_backfill(self, errors: Sequence[SourceError]) -> None:
        """Keep the backfill alone until the ``Retry-After`` a span's error carries (if any)."""
        waits = []
        for exc in errors:
            retry_at, retry_after = getattr(exc, "retry_at", None), getattr(exc, "retry_after", None)
            if retry_at is not None:
                waits.append(retry_at - time.time())
            elif retry_after is not None:
                waits.append(float(retry_after))
        if waits and max(waits) > 0:
            wait = min(max(waits), 3600.0)
            self._backfill_hold = (time.monotonic() + wait, f"backfill paused for {wait:g}s (Retry-After): {errors[0]}")

    def _range_state(self) -> dict[Any, SpanBook]:
        books = getattr(self, "_span_books", None)
        if books is None:
            books = {}
            self._span_books = books
        return books

    def measure_for(self, spec: SLOSpec) -> Measure:  # pragma: no cover - abstract
        raise NotImplementedError

    async def measure(self, measure: Measure, start: float, end: float) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    async def measure_groups(self, measure: Measure, by: str, start: float, end: float) -> GroupData:
        """``measure`` over ``[start, end)`` per value of the label ``by`` (SPEC 10.1): ratio measures
        answer ``counts``, threshold measures ``sums`` (with ``agg``) or a ``note`` saying why not."""
        raise NotImplementedError  # pragma: no cover - only called when groups_supported

    def count_measure(self, measure: Measure) -> Measure | None:
        """The measure counting the samples behind a threshold ``measure``'s value, when the source
        has to ask for them separately (SPEC 10.2 ``n``); None: not known (or ``Counted`` answers)."""
        return None

    def grid_step_ok(self, measure: Measure, step: float) -> bool:
        """Whether :meth:`measure_grid` can answer spans of ``step`` seconds in one request."""
        return False

    async def measure_grid(self, measure: Measure, start: float, end: float, step: float) -> dict[float, Any]:
        """Answers per span start for the spans of ``step`` in ``[start, end)`` (absent: no data)."""
        raise NotImplementedError  # pragma: no cover - only called when grid_step_ok

    def grid_spans(self, measure: Measure, step: float) -> int:
        """The most spans of ``step`` one :meth:`measure_grid` call is given (about one request's
        worth): the backfill stores each call's answer before it starts the next."""
        return 1_000

    def coarse_for(self, spec: SLOSpec) -> float:
        """The backfill step of ``spec``: ``params.backfill_step`` or the source's, a multiple of the slice."""
        raw = spec.params.get("backfill_step") if spec.params else None
        coarse = self.coarse_step
        if raw is not None:
            from slotui.config.durations import parse_duration

            try:
                coarse = float(parse_duration(raw))  # type: ignore[arg-type]
            except ValueError as exc:
                raise QueryError(f"params.backfill_step: {exc}") from None
        step = float(spec.slice)
        if coarse <= step:
            return step
        return max(step, math.floor(coarse / step + 1e-9) * step)

    async def fetch_ranges(self, slos: Sequence[SLOSpec], now: float) -> dict[str, Any]:
        """Answer every SLO as of ``now`` (see the class docstring); returns SLIData per name."""
        from slotui.core.types import SLIData

        out: dict[str, SLIData] = {}
        books = self._range_state()
        plans: list[tuple[SLOSpec, Measure, SpanBook, list[float]]] = []
        current: dict[tuple[Any, float, float], Measure] = {}
        for spec in slos:
            try:
                measure = self.measure_for(spec)
                coarse = self.coarse_for(spec)
            except QueryError as exc:
                out[spec.name] = SLIData(error=str(exc))
                continue
            widths = ratio_windows(spec) if measure.kind == "ratio" else [spec.window]
            for w in widths:
                current[(measure, now - w, now)] = measure
            key = (measure, float(spec.slice), coarse)
            book = books.get(key)
            if book is None:
                book = books[key] = SpanBook(step=float(spec.slice), coarse=coarse, extensive=measure.extensive)
            book.plan(now, spec.period)
            plans.append((spec, measure, book, widths))
        counters = {}  # (counting measure, start, end) of each threshold window whose n is asked apart
        for spec, measure, _, _ in plans:
            counting = self.count_measure(measure) if measure.kind == "threshold" else None
            if counting is not None:
                counters[(measure, now - spec.window, now)] = (counting, now - spec.window, now)
        asked = await gather_answers([(key, self.measure(*key)) for key in [*current, *set(counters.values())]])
        results = {key: asked[key] for key in current}
        if not any(isinstance(a, SourceError) for a in results.values()):
            await self._backfill([book for _, _, book, _ in plans], [m for _, m, _, _ in plans])
        for spec, measure, book, widths in plans:
            got = [results[(measure, now - w, now)] for w in widths]
            failed = [g for g in got if isinstance(g, Exception)]
            if failed:
                out[spec.name] = SLIData(error=str(failed[0]))
                continue
            note = pending_note([book])
            held = self._held() if note else None
            if held:
                note = f"{note}; {held}"
            if book.error is not None:
                out[spec.name] = SLIData(error=book.error)
                continue
            if measure.kind == "ratio":
                windows = {w: (float(g[0]), float(g[1])) for w, g in zip(widths, got) if g is not None}
                out[spec.name] = SLIData(buckets=tuple(book.buckets()), windows=windows, fetched_at=now, note=note)
            else:
                n = got[0].n if isinstance(got[0], Counted) else None
                counted = asked.get(counters.get((measure, now - spec.window, now)))  # type: ignore[arg-type]
                if n is None and isinstance(counted, (int, float)) and counted >= 0:
                    n = int(counted)
                out[spec.name] = SLIData(value=plain(got[0]), n=n, slices=tuple(book.slices()), fetched_at=now,
                                         note=note)
        if self.groups_supported:
            await self._groups(plans, out, now)
        return out

    async def _groups(self, plans: Sequence[tuple[SLOSpec, Measure, "SpanBook", list[float]]],
                      out: dict[str, Any], now: float) -> None:
        """Grouped answers for the SLOs with ``breakdown`` (one request per label and window, shared)."""
        asks: list[tuple[str, str, float, tuple[Measure, str, float, float]]] = []
        for spec, measure, _, _ in plans:
            data = out.get(spec.name)
            if not spec.breakdown or data is None or data.error:
                continue
            window = breakdown_window(spec, data.windows) if measure.kind == "ratio" else spec.window
            asks += [(spec.name, by, window, (measure, by, now - window, now)) for by in spec.breakdown]
        if not asks:
            return
        keys = list(dict.fromkeys(key for *_, key in asks))
        answers = dict(zip(keys, await asyncio.gather(*(self.measure_groups(*k) for k in keys),
                                                      return_exceptions=True)))
        groups: dict[str, list[GroupData]] = {}
        for name, by, window, key in asks:
            got = answers[key]
            if isinstance(got, BaseException) and not isinstance(got, Exception):
                raise got
            if isinstance(got, Exception):
                got = GroupData(by=by, window=window, note=f"{by}: breakdown query failed: {got}")
            groups.setdefault(name, []).append(replace(got, by=by, window=window))
        for name, items in groups.items():
            out[name] = replace(out[name], groups=tuple(items))

    async def _grid(self, book: SpanBook, measure: Measure, spans: list[Span], width: float, stop_at: float,
                    jobs: list[tuple[SpanBook, Span]]) -> bool:
        """Ask a run of adjacent spans as time series of at most :meth:`grid_spans` spans each, newest
        first, storing each series as it arrives and starting none after ``stop_at``.

        A whole period in one call stored nothing until its last request: when the requests took
        longer than the fetch's timeout, the fetch was cancelled with nothing kept, and the next one
        began again from scratch, forever. Now each stored series is progress; what is left stays
        pending for the next fetch. A series the server fails is asked span by span (``jobs``).
        Returns False when the measure is wrong (its book's ``error`` set).
        """
        size = max(1, int(self.grid_spans(measure, width)))
        chunks = [spans[i:i + size] for i in range(0, len(spans), size)]
        for chunk in reversed(chunks):
            if time.monotonic() >= stop_at:
                return True  # left pending: the next fetch asks them
            if len(chunk) == 1:
                jobs.append((book, chunk[0]))
                continue
            try:
                answers = await self.measure_grid(measure, chunk[0][0], chunk[-1][1], width)
            except QueryError as exc:
                book.error = str(exc)
                return False
            except SourceError:
                jobs.extend((book, span) for span in chunk)
                continue
            for span in chunk:
                book.record(span, answers.get(span[0]))
        return True

    async def _backfill(self, books: Sequence[SpanBook], measures: Sequence[Measure]) -> None:
        """Ask the pending spans of ``books`` within the soft deadline (grids first, then one by one);
        nothing while a server's ``Retry-After`` given during the backfill lasts. The slices of quiet
        coarse spans (:meth:`SpanBook.record`) are asked in a second round of the same fetch."""
        stop_at = soft_deadline(self.timeout)
        for _round in range(2):
            before = {id(b): set(b.pending) for b in books}
            await self._backfill_round(books, measures, stop_at)
            if time.monotonic() >= stop_at or all(b.pending <= before[id(b)] for b in books):
                return

    async def _backfill_round(self, books: Sequence[SpanBook], measures: Sequence[Measure], stop_at: float) -> None:
        if self._held():
            return
        seen: set[int] = set()
        jobs: list[tuple[SpanBook, Span]] = []
        owner: dict[int, Measure] = {}
        for book, measure in zip(books, measures):
            if id(book) in seen or not book.pending or book.error is not None:
                continue
            seen.add(id(book))
            owner[id(book)] = measure
            by_width: dict[float, list[Span]] = {}
            for span in book.pending:
                by_width.setdefault(round(span[1] - span[0], 6), []).append(span)
            # One grid request per run of adjacent spans: the two edges of a period are two short
            # series, not one series across the whole period (which a server may cut short).
            runs = [run for width, spans in by_width.items() for run in _adjacent_runs(spans)]
            for spans in runs:
                width = round(spans[0][1] - spans[0][0], 6)
                if len(spans) > 1 and self.grid_step_ok(measure, width):
                    if not await self._grid(book, measure, spans, width, stop_at, jobs):
                        break
                else:
                    jobs.extend((book, span) for span in spans)
        if jobs:
            errors = await run_spans(jobs, lambda book, span: self.measure(owner[id(book)], span[0], span[1]),
                                     concurrency=self.concurrency, stop_at=stop_at)
            self._hold_backfill(errors)
