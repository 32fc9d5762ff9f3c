"""Records to SLIs: the per-SLO series a local source keeps, and their answers.

A :class:`SeriesBook` turns a stream of records into the per-slice
aggregates of every SLO it was built for (sharing one series between SLOs
that aggregate the same thing), and answers :class:`~slotui.core.types.SLIData`
for any ``now``. It is used by the file source (records parsed from a log) and
by the demo source (records generated for a custom SLI).

What an SLO's query part means here:

- threshold SLO: ``sli_agg`` (mean, sum, count, min, max, pNN) over the values
  of ``sli_field`` (a field, derived field or any expression) of the records
  matching ``sli_where``; records where the value is null are skipped, and
  records where it is no usable number (non-finite, beyond the float range,
  a boolean, a string, an object, a negative latency/duration/token/cost:
  :mod:`slotui.sources.kit.record_values`) are skipped and counted in the SLO's
  note (``count`` counts the usable values). A sum beyond the float range is
  that SLO's error. ``value`` covers
  ``[now - window, now)`` (a calendar window: ``[window start, now)``, and a
  forecast SLO's ``basis_value`` its basis: :mod:`slotui.core.forecast`); ``slices`` every slice whose start is in
  ``[now - period, now)``, the slice holding ``now`` cut at ``now``.
- ratio SLO: events are the records matching ``total`` (all records when
  unset); good events those also matching ``good``. A record whose
  conditions read a non-finite number or a negative latency/duration/token/
  cost is neither good nor bad: skipped and counted in the note. ``buckets`` per slice as
  above; ``windows`` hold exact counts over ``[now - w, now)`` for the SLO
  window and every burn-rate tier window.

Records at or after ``now`` never count, so a replay (``check --at``) of a
past moment sees what was there then.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from slotui.config.expressions import Expression, ExpressionError, compile_expression, truthy
from slotui.core.forecast import basis_start, longest_window, window_seconds, window_span
from slotui.core.periods import period_bounds, ratio_windows
from slotui.core.breakdown import breakdown_window
from slotui.core.types import GroupData, SLIData, SLOSpec
from slotui.core.sums import AggregateOverflow
from slotui.sources.kit.aggregate import Agg, RatioSeries, ValueSeries, WindowSpread, parse_agg
from slotui.sources.kit.label_groups import LabelGroups
from slotui.sources.kit.record_values import FLOAT_MAX, FieldScreen, SkipCounts, value_problem

__all__ = ["SeriesBook", "DerivedFields", "SeriesKey", "spec_key"]

Record = dict[str, Any]
SeriesKey = tuple[Any, ...]


class DerivedFields:
    """``fields:`` of a source: name -> expression, evaluated in dependency order into each record."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        compiled: dict[str, Expression] = {}
        for name, text in fields.items():
            try:
                compiled[name] = compile_expression(text)
            except ExpressionError as exc:
                raise ExpressionError(f"fields.{name}: {exc.message}", exc.column, text) from None
        order = _dependency_order(compiled)
        #: name -> the expression's text (the columnar first read compiles the simple ones)
        self.texts: dict[str, str] = dict(fields)
        self.order: list[tuple[str, Callable[[Mapping[str, Any]], Any]]] = [
            (name, compiled[name].function) for name in order
        ]
        #: derived field -> the record fields (not derived) it is computed from, transitively
        self.inputs: dict[str, frozenset[str]] = {}
        for name in order:  # dependencies first
            raw: set[str] = set()
            for dep in compiled[name].names:
                raw |= self.inputs.get(dep, {dep}) if dep != name else {dep}
            self.inputs[name] = frozenset(raw)

    def __bool__(self) -> bool:
        return bool(self.order)

    def apply(self, records: Iterable[Record]) -> None:
        order = self.order
        for record in records:
            for name, fn in order:
                record[name] = fn(record)


def _dependency_order(compiled: Mapping[str, Expression]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(path + [name])
            raise ExpressionError(f"fields reference each other in a cycle: {cycle}", 1, compiled[name].text)
        state[name] = 1
        for dep in sorted(compiled[name].names):
            if dep in compiled and dep != name:
                visit(dep, path + [name])
        state[name] = 2
        order.append(name)

    for name in compiled:
        visit(name, [])
    return order


_INF = float("inf")


def _expand(names: frozenset[str], inputs: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """``names`` with every derived field replaced by the fields it is computed from (kept too)."""
    out = set(names)
    for name in names:
        out |= inputs.get(name, frozenset())
    return frozenset(out)


@dataclass
class _ValueDef:
    value: Expression
    where: Expression | None
    series: ValueSeries
    skipped: SkipCounts = field(default_factory=SkipCounts)

    #: derived field -> the record fields it is computed from (their bad values are named)
    inputs: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.screen = FieldScreen(_expand(self.value.names, self.inputs))
        # the lowest value taken without a second look: 0 when the expression reads a latency,
        # duration, token count or cost (a negative one is refused and counted)
        self.low = 0.0 if any(nonneg for _, _, nonneg in self.screen.fields) else -FLOAT_MAX

    #: a plain field (``sli.field: helpfulness``) that some ingested record had; None: not a plain field
    seen: bool | None = None
    #: breakdown field -> the records taken in, grouped by that field's value
    groups: dict[str, LabelGroups] = field(default_factory=dict)

    @property
    def names(self) -> frozenset[str]:
        return self.value.names | (self.where.names if self.where else frozenset())

    def number(self, record: Record, v: Any, count: bool = True) -> float | None:
        """``v`` (the expression's value for ``record``) as a finite float, or None when the SLI
        cannot use it; a value that is not null is counted with its reason when ``count``."""
        problem = self.screen.numeric_problem(record)
        if problem is None:
            kind = type(v)
            if v is None:
                return None
            if kind is float or kind is int:
                try:
                    f = float(v)
                except OverflowError:
                    f = _INF
                if f - f == 0.0:
                    return f
                problem = f"{self.value.text} not finite"
            elif kind is bool and self.value.field is None:
                return 1.0 if v else 0.0  # a condition as the SLI (mean of "duration_s > 2": the share)
            else:
                problem = value_problem(self.value.text, v, False) or f"{self.value.text} not a number"
        if count:
            self.skipped.add(problem)
        return None

    def ingest(self, records: Sequence[Record]) -> None:
        get = self.value.function
        unseen = self.seen is False  # until one record has the field (a value, or null, or NaN)
        where = self.where.function if self.where is not None else None
        series = self.series
        length = series.length
        low = self.low
        screened = self.screen.fields and self.value.field is None  # an expression over fields
        last_key = None
        times = values = None
        grouped = bool(self.groups)
        kept: list[Record] = []
        kept_t: list[float] = []
        kept_v: list[float] = []
        for r in records:
            if where is not None and not truthy(where(r)):
                continue
            v = get(r)
            if type(v) is not float or not (low <= v < _INF) or screened:
                v = self.number(r, v)
                if v is None:
                    continue
            t = r["time"]
            key = int(t // length)
            if key != last_key:
                sl = series.slice_for(key)
                times, values, last_key = sl.times, sl.values, key
            times.append(t)  # type: ignore[union-attr]
            values.append(v)  # type: ignore[union-attr]
            if grouped:
                kept.append(r)
                kept_t.append(t)
                kept_v.append(v)
            if unseen:
                self.seen, unseen = True, False
        if unseen:
            # no value taken: does any record have the field at all (null, NaN, a string)? Every record
            # of the batch: a rare field (judge scores on 1% of requests) was missed by a sample of the
            # first 1,000 and reported "no record has it" on a full read, but not after appends
            name = self.value.field
            self.seen = any(name in r or get(r) is not None for r in records)
        for groups in self.groups.values():
            groups.add_batch(kept_t, kept_v, kept)

    def retract(self, record: Record) -> None:
        if self.where is not None and not self.where.test(record):
            return
        v = self.number(record, self.value.evaluate(record), count=False)
        if v is not None:
            self.series.remove(record["time"], v)
            for groups in self.groups.values():
                groups.remove(record["time"], v, record)


@dataclass
class _RatioDef:
    good: Expression
    total: Expression | None
    series: RatioSeries
    skipped: SkipCounts = field(default_factory=SkipCounts)

    inputs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: breakdown field -> the events taken in, grouped by that field's value
    groups: dict[str, LabelGroups] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.screen = FieldScreen(_expand(self.names, self.inputs))

    @property
    def names(self) -> frozenset[str]:
        return self.good.names | (self.total.names if self.total else frozenset())

    def ingest(self, records: Sequence[Record]) -> None:
        good = self.good.function
        total = self.total.function if self.total is not None else None
        series = self.series
        length = series.length
        fields = self.screen.fields
        screen = self.screen.condition_problem if len(fields) > 1 else None
        # one field (the common case, "error.type == null"): its check inlined
        get1 = fields[0][1] if len(fields) == 1 else None
        nonneg1 = len(fields) == 1 and fields[0][2]
        skip = self.skipped.add
        last_key = None
        times = flags = None
        grouped = bool(self.groups)
        kept: list[Record] = []
        kept_t: list[float] = []
        kept_v: list[int] = []
        for r in records:
            if total is not None and not truthy(total(r)):
                continue
            if get1 is not None:
                x = get1(r)
                if (type(x) is float and (x - x != 0.0 or (nonneg1 and x < 0.0))) or (
                        nonneg1 and type(x) is int and x < 0):
                    skip(self.screen.condition_problem(r) or "")
                    continue
            elif screen is not None:
                problem = screen(r)
                if problem is not None:
                    skip(problem)
                    continue
            g = good(r)
            t = r["time"]
            key = int(t // length)
            if key != last_key:
                sl = series.slice_for(key)
                times, flags, last_key = sl.times, sl.good, key
            times.append(t)  # type: ignore[union-attr]
            flag = 1 if (g is True or (g is not None and g is not False and bool(g))) else 0
            flags.append(flag)  # type: ignore[union-attr]
            if grouped:
                kept.append(r)
                kept_t.append(t)
                kept_v.append(flag)
        for groups in self.groups.values():
            groups.add_batch(kept_t, kept_v, kept)

    def retract(self, record: Record) -> None:
        if self.total is not None and not self.total.test(record):
            return
        if self.screen and self.screen.condition_problem(record) is not None:
            return
        good = self.good.test(record)
        self.series.remove(record["time"], good)
        for groups in self.groups.values():
            groups.remove(record["time"], 1 if good else 0, record)




def _field_names(record: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The dotted field names of a record (nested mappings flattened one level at a time)."""
    out: list[str] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and prefix.count(".") < 3:
            out.extend(_field_names(value, name + "."))
        else:
            out.append(name)
    return out


def spec_key(spec: SLOSpec) -> SeriesKey:
    """What a series aggregates: SLOs with the same key share one series."""
    if spec.kind == "ratio":
        return ("ratio", spec.good, spec.total, float(spec.slice))
    return ("values", spec.sli_field, spec.sli_where, float(spec.slice))


class SpecProblem(ValueError):
    """An SLO whose query part this kind of source cannot answer (shown as that SLO's error)."""


def _compile(text: str, what: str) -> Expression:
    try:
        return compile_expression(text)
    except ExpressionError as exc:
        raise SpecProblem(f"{what}: {exc}") from None


def spec_agg(spec: SLOSpec) -> Agg:
    """The aggregation of a threshold SLO (mean when unset)."""
    try:
        return parse_agg(spec.sli_agg or "mean")
    except ValueError as exc:
        raise SpecProblem(str(exc)) from None


class SeriesBook:
    """The series of a set of SLOs, fed with records, answering SLIData."""

    def __init__(self, inputs: Mapping[str, frozenset[str]] | None = None) -> None:
        #: derived field -> the record fields it is computed from (see :class:`DerivedFields`)
        self.inputs: Mapping[str, frozenset[str]] = inputs or {}
        self.defs: dict[SeriesKey, _ValueDef | _RatioDef] = {}
        self._ordered: list[_ValueDef | _RatioDef] = []
        #: the SLO that created each series, in order (another book built from them has the same layout)
        self.creators: list[SLOSpec] = []
        # answers shared by SLOs that differ only in their window, until the data changes
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._memo_now: float | None = None
        #: the field names of the first record ingested (named when an SLO's field is on no record)
        self.sample_fields: list[str] | None = None
        #: id(definition) -> the longest window its breakdowns look at (older groups are pruned)
        self._breakdown_span: dict[int, float] = {}

    def has(self, spec: SLOSpec) -> bool:
        """True when the series ``spec`` needs exist, grouped by every one of its breakdown fields."""
        definition = self.defs.get(spec_key(spec))
        return definition is not None and all(name in definition.groups for name in spec.breakdown)

    def add_spec(self, spec: SLOSpec) -> None:
        """Create the series ``spec`` needs (no-op when it exists); raises :class:`SpecProblem`."""
        key = spec_key(spec)
        if key in self.defs:
            self._add_groups(self.defs[key], spec)
            return
        if spec.kind == "ratio":
            if not spec.good:
                raise SpecProblem("a ratio SLO on request logs needs ratio.good (a condition such as 'error.type == null')")
            definition: _ValueDef | _RatioDef = _RatioDef(
                _compile(spec.good, "ratio.good"),
                _compile(spec.total, "ratio.total") if spec.total else None,
                RatioSeries(spec.slice),
                inputs=self.inputs,
            )
        else:
            if not spec.sli_field:
                raise SpecProblem("a threshold SLO on request logs needs sli.field (a field name or expression)")
            spec_agg(spec)
            value = _compile(spec.sli_field, "sli.field")
            definition = _ValueDef(
                value,
                _compile(spec.sli_where, "sli.where") if spec.sli_where else None,
                ValueSeries(spec.slice),
                inputs=self.inputs,
                seen=False if value.field is not None else None,
            )
        self.defs[key] = definition
        self._ordered.append(definition)
        self.creators.append(spec)
        self._add_groups(definition, spec)

    def _add_groups(self, definition: _ValueDef | _RatioDef, spec: SLOSpec) -> None:
        """Group the series' records by every ``spec.breakdown`` field (each field once)."""
        kind = "ratio" if isinstance(definition, _RatioDef) else "values"
        for name in spec.breakdown:
            if name not in definition.groups:
                definition.groups[name] = LabelGroups(name, definition.series.length, kind)
                self._breakdown_span[id(definition)] = max(
                    self._breakdown_span.get(id(definition), 0.0), _breakdown_span(spec))

    def clear(self) -> None:
        self._memo.clear()
        for d in self._ordered:
            d.series.clear()
            d.skipped.clear()
            for groups in d.groups.values():
                groups.clear()

    def ingest(self, records: Sequence[Record]) -> None:
        """Add records (each with a float ``time``) to every series."""
        if records:
            self._memo.clear()
            if self.sample_fields is None:
                self.sample_fields = sorted(_field_names(records[0]))
            for d in self._ordered:
                d.ingest(records)

    def retract(self, record: Record) -> None:
        """Undo :meth:`ingest` of one record (a later line completed or replaced it)."""
        self._memo.clear()
        for d in self._ordered:
            d.retract(record)

    def prune(self, before: float) -> None:
        self._memo.clear()
        for d in self._ordered:
            d.series.prune(before)
            for groups in d.groups.values():
                groups.prune(before)

    def whole(self, spec: SLOSpec, start: float, end: float) -> list[tuple[float, ...]]:
        """The whole slices (threshold) or buckets (ratio) of ``spec`` with a start in ``[start, end)``
        (``end`` on a slice boundary), as :meth:`answer` holds them at any moment from ``end`` on."""
        definition = self.defs[spec_key(spec)]
        if isinstance(definition, _RatioDef):
            return definition.series.buckets(start, end)  # type: ignore[return-value]
        return definition.series.slice_values(spec_agg(spec), start, end)  # type: ignore[return-value]

    def answer(self, spec: SLOSpec, now: float, step: bool = False, **extra: Any) -> SLIData:
        """The SLIData of ``spec`` as of ``now`` (see the module docstring).

        ``step`` (a replay step, :mod:`slotui.replay.history`): only the slice or bucket holding
        ``now`` (the whole ones come from :meth:`whole` once), and of the window value's spread only
        ``n`` unless ``spec.significant`` (where the interval can change a status)."""
        definition = self.defs[spec_key(spec)]
        skipped = definition.skipped.note()
        if skipped:
            extra["note"] = "; ".join(part for part in (extra.get("note"), skipped) if part)
        start, _length = period_bounds(spec, now)
        if spec.calendar_window is not None:  # a spend's slices cover its window too (exhausted_at, charts)
            start = min(start, window_span(spec, now)[0])
        if step:  # the slice holding now only
            start = max(start, math.floor(now / definition.series.length) * definition.series.length)
        if self._memo and self._memo_now != now:
            self._memo.clear()  # answers are shared within one moment only
        self._memo_now = now
        if isinstance(definition, _RatioDef):
            series = definition.series
            memo_key = (id(definition), start, now)
            buckets = self._memo.get(memo_key)
            if buckets is None:
                buckets = self._memo[memo_key] = tuple(series.buckets(start, now))
            # the SLO window, each tier's windows and a rolling period, from the records themselves: the
            # period's buckets left out the one straddling its start (a rolling period off the grid)
            windows = {w: tuple(map(float, series.window(now - w, now))) for w in ratio_windows(spec)}
            good, total = windows[spec.window]
            value = good / total if total else None
            if spec.breakdown:
                extra["groups"] = self._group_answers(definition, spec, now, breakdown_window(spec, windows))
            return SLIData(value=value, buckets=buckets, windows=windows, fetched_at=now, **extra)  # type: ignore[arg-type]
        if (definition.seen is False and self.sample_fields is not None
                and definition.value.field not in self.sample_fields):
            # records arrived, and none had this field (not even null or NaN): name the ones they have
            have = [f for f in self.sample_fields if f != "time"]
            shown = ", ".join(have[:30]) + (", ..." if len(have) > 30 else "")
            name = definition.value.field or ""
            message = f"unknown field {name!r}: no record has it; the records have {shown}"
            base = name.removesuffix("_score")
            for candidate in (f"evaluations.{name}", f"evaluations.{base}", base):
                if candidate != name and candidate in self.sample_fields:
                    message += f"; did you mean {candidate!r}?"
                    break
            return SLIData(error=message, fetched_at=now, **{k: v for k, v in extra.items() if k != "error"})
        try:
            agg = spec_agg(spec)
        except SpecProblem as exc:
            # a series is shared by every SLO on the same field: the agg of this one was never checked
            return SLIData(error=str(exc), fetched_at=now, **{k: v for k, v in extra.items() if k != "error"})
        series = definition.series
        memo_key = (id(definition), agg, start, now)
        try:
            slices = self._memo.get(memo_key)
            if slices is None:
                slices = self._memo[memo_key] = tuple(series.slice_values(agg, start, now))
            w0 = window_span(spec, now)[0]  # [now - window, now), or a calendar window to date
            value = series.window(agg, w0, now)
            if spec.forecast:
                extra["basis_value"] = series.window(agg, basis_start(spec, now), now)
        except AggregateOverflow as exc:
            # this SLO only: its values add up beyond the float range (the other SLOs answer)
            return SLIData(error=f"{spec.sli_field}: {exc}", fetched_at=now,
                           **{k: v for k, v in extra.items() if k != "basis_value"})
        if spec.breakdown:
            extra["groups"] = self._group_answers(definition, spec, now, window_seconds(spec, now))
        # SPEC 10.2: the sample count and what the window's interval needs (over the value's window)
        if step and not spec.significant:
            spread = WindowSpread(series.window_count(w0, now))
        else:
            spread = series.window_spread(agg, w0, now, spec.confidence)
        return SLIData(value=value, slices=slices, fetched_at=now, n=spread.n, stddev=spread.stddev,
                       sample=spread.sample, interval=spread.interval, **extra)

    def _group_answers(self, definition: _ValueDef | _RatioDef, spec: SLOSpec, now: float,
                       window: float) -> tuple[GroupData, ...]:
        """Each breakdown field's groups over ``[now - window, now)`` (older slices are pruned
        first: the groups keep the breakdown windows only)."""
        span = self._breakdown_span.get(id(definition), window)
        out = []
        for name in spec.breakdown:
            groups = definition.groups[name]
            groups.prune(now - span - groups.length)
            note = "; ".join(sorted(groups.notes)) or None
            if groups.kind == "ratio":
                out.append(GroupData(by=name, window=window, counts=groups.counts(now - window, now), note=note))
            elif spec_agg(spec).kind in ("mean", "sum", "count"):  # (count, sum) per group is enough
                # a forecast's groups: their spend over the basis too (each judged on its projection)
                basis = groups.sums(basis_start(spec, now), now) if spec.forecast else None
                out.append(GroupData(by=name, window=window, sums=groups.sums(now - window, now), note=note,
                                     basis=basis))
            else:
                out.append(GroupData(by=name, window=window, values=groups.values(now - window, now), note=note))
        return tuple(out)


def _breakdown_span(spec: SLOSpec) -> float:
    """The longest window a breakdown of ``spec`` may cover (ratio: any tier's long window)."""
    if spec.kind == "ratio":
        return max([spec.window] + [t.long_window for t in spec.tiers])
    return longest_window(spec)


def retention(specs: Iterable[SLOSpec]) -> float:
    """How far back (seconds) the SLOs may look: period, window or the longest tier window, plus a slice."""
    longest = 0.0
    for spec in specs:
        span = max([spec.period, longest_window(spec), 31 * 86400.0 if spec.calendar_month else 0.0]
                   + [t.long_window for t in spec.tiers])
        longest = max(longest, span + spec.slice)
    return longest
