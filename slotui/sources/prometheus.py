"""Prometheus source: PromQL over ``/api/v1/query`` and ``/api/v1/query_range``.

Works against any Prometheus-compatible query API (Prometheus, Thanos, Mimir,
VictoriaMetrics, Grafana Cloud); a base URL with a path prefix
(``http://host/prometheus``) keeps its prefix.

What each SLO gets (``{{window}}`` in a query is replaced by a Prometheus
duration such as ``5m``, ``1h``, ``3d``):

- **threshold SLO** (``query``): ``value`` is the instant query at ``now`` with
  ``{{window}}`` = the SLO window. ``slices`` come from ``query_range`` over the
  period with ``step`` = the slice (or the source's ``step``) and
  ``{{window}}`` = the step, evaluated at slice *ends*: the point at ``t`` is
  the SLI of the slice ``[t - step, t)`` and is recorded as ``(t - step, v)``.
  Only complete slices are returned (slice ends are multiples of the step, on
  the epoch grid, within ``(now - period, now]``).
- **ratio SLO** (``ratio.good`` / ``ratio.total``): ``windows`` holds
  ``(good, total)`` for the SLO window, every burn-rate tier window (long and
  short) and the period, each from instant queries at ``now`` with
  ``{{window}}`` = that window, so burn rates are exact. ``buckets`` come from
  ``query_range`` like threshold slices: ``(t - step, good, total)``.

No-data rules: an empty result, ``"NaN"``, ``"+Inf"`` or ``"-Inf"`` is no data
for that point (never a NaN in SLIData). For ratios an empty *good* result with
a non-empty total means 0 good events (a success counter not yet written), and
the SLO's note says so (``total - errors`` before the first error reads as 100%
bad: ``or on() (total) * 0`` is the cure). A breakdown group with traffic but
no good series is settled by the SLO's own good over the same window (all its
events good when that is what the SLO's good leaves for it; see
:func:`_missing_good`). An empty total means no traffic ``(0, 0)``; a NaN/Inf good
or total is no data ``(0, 0)`` for that window or bucket (not 0 good events:
every request would count as bad), in the breakdown groups too. ``good`` is
clamped to ``[0, total]`` (``increase()`` extrapolates each series on its own);
a window whose good exceeds its total by more than ``EXCESS`` (1%, and one
event) says so in the SLO's note: the queries do not count the same events.
A query returning more than one series is an error for that SLO ("aggregate
with sum()").

Range results are cached per (query, step): the first fetch backfills the
whole period (in chunks of at most ``MAX_POINTS`` points), later fetches ask
only for slices that completed since, re-asking from the newest cached one
that held a value (its samples may have arrived late; with the server's clock
behind slotui's, the newest ends were empty or partial), at most ``SETTLE``
back, in the same request.

Partial answers: Prometheus answers ``status: success`` with ``warnings``
when part of the data could not be read (a failing ``remote_read`` endpoint:
"remote_read: error sending request ..."; Thanos' partial responses; a
``limit`` cut: "results truncated due to limit"). Such an answer is shown, with
the warning in the SLO's note ("the answer may be partial"), and a range
answered so is not kept: the next fetch asks the whole range again.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.core.breakdown import breakdown_window
from slotui.core.periods import ratio_windows
from slotui.config.secrets import clip
from slotui.core.types import GroupData, SLIData, SLOSpec
from slotui.sources.kit.backfill import PointCache
from slotui.sources.kit.base import QueryError, SourceError
from slotui.sources.kit.http_client import HTTPStatusError, MalformedResponse
from slotui.sources.kit.http_source import HTTPSource
from slotui.sources.kit.label_groups import NONE_LABEL
from slotui.sources.kit.promql import groups_by, prom_duration, render
from slotui.sources.kit.records import JSON_ERRORS, loads_json
from slotui.sources.kit.sloth_ids import sloth_names
from slotui.sources.kit.runtime import gather_answers

if TYPE_CHECKING:
    import httpx

    from slotui.config.model import Defaults, PrometheusSourceConfig

#: Points per query_range request (Prometheus refuses more than 11,000 per series).
MAX_POINTS = 10_000
#: Queries longer than this go in a POST form body instead of the URL.
_POST_ABOVE = 3000


# --------------------------------------------------------------------------- PromQL text


def _fmt_time(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else f"{t:.3f}"


def _sample_value(raw: Any, keep_nan: bool = False) -> float | None:
    """The float of a ``[ts, "value"]`` pair; NaN/Inf is None (no data), or NaN with ``keep_nan``."""
    try:
        if isinstance(raw[1], bool):  # float(True) is 1.0: a JSON true is no sample value
            raise TypeError
        value = float(raw[1])
    except (TypeError, ValueError, IndexError, KeyError):
        raise QueryError(f"unexpected sample {clip(repr(raw), 80)} in the answer") from None
    return value if math.isfinite(value) else (math.nan if keep_nan else None)


def _data_of(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise MalformedResponse("malformed answer: expected a JSON object with status and data")
    status = payload.get("status")
    if status == "error":
        raise QueryError(_error_text(payload))
    if status != "success":  # it was "query failed", as if the server had said why
        raise MalformedResponse(f"malformed answer: status {clip(repr(status), 40)}; expected 'success' or 'error'")
    data = payload.get("data")
    if not isinstance(data, dict) or "resultType" not in data:
        raise MalformedResponse("malformed answer: no data.resultType in a success response")
    return data


def _error_text(payload: Mapping[str, Any]) -> str:
    kind = payload.get("errorType")
    text = payload.get("error") or "query failed"
    return f"{kind}: {text}" if kind else str(text)


def warnings_of(payload: Any) -> list[str]:
    """The ``warnings`` of an answer (Prometheus' API: a list of strings beside ``data``)."""
    raw = payload.get("warnings") if isinstance(payload, dict) else None
    return [str(w) for w in raw if w] if isinstance(raw, list) else []


def _partial_note(warnings: Sequence[str]) -> str:
    from slotui.config.text import printable

    shown = "; ".join(dict.fromkeys(" ".join(w.split())[:200] for w in warnings))
    return f"Prometheus warned: {printable(shown)} (the answer may be partial)"


def _too_many(n: int) -> QueryError:
    return QueryError(f"query returned {n} series; aggregate with sum()")


def _series_of(result: Any, kind: str) -> list[dict[str, Any]]:
    """The series of a ``vector`` or ``matrix`` result, checked: each is an object holding float
    samples (``value`` for a vector, ``values`` for a matrix).

    A native histogram series (``histogram`` / ``histograms`` instead of, or beside, the float
    samples) is a :class:`QueryError` saying how to get a number from it: read as floats, its
    samples were "unexpected" (instant) or silently no data at all (range).
    """
    if not isinstance(result, list):
        raise MalformedResponse(f"malformed answer: {kind} result is not a list")
    field = "value" if kind == "vector" else "values"
    for series in result:
        if not isinstance(series, dict):
            raise MalformedResponse(f"malformed answer: a series of the {kind} result is not an object")
        if "histogram" in series or "histograms" in series:
            raise QueryError(
                "query returned native histogram samples, not numbers; wrap it in histogram_quantile(), "
                "histogram_count(), histogram_sum() or histogram_fraction()"
            )
        if field not in series or (kind == "matrix" and not isinstance(series[field], list)):
            raise MalformedResponse(f"malformed answer: a series of the {kind} result has no {field!r}")
        if not isinstance(series.get("metric") or {}, dict):
            raise MalformedResponse(f"malformed answer: the labels ('metric') of a series of the {kind} result "
                                    "are not an object")
    return result


def _in_time_order(times: list[float], values: list[float], keep_nan: bool = False) -> dict[float, float]:
    """``{t: v}`` ascending in ``t`` from samples that may come out of order or repeat a timestamp.

    Prometheus sends each series' samples once each, ascending; a compatible back end (a
    deduplicating proxy, a federation of replicas) may not. A repeated timestamp with the same
    value (or no value: NaN/Inf) is one sample; with two different values it is a
    :class:`QueryError` (which one is right cannot be told). Non-finite values are left out (NaN
    with ``keep_nan``, unless a number is given for the same time)."""
    out: dict[float, float] = {}
    for t, v in sorted(zip(times, values), key=_TIME):
        if t in out and out[t] != v and math.isfinite(v):
            raise QueryError(
                f"the answer holds two different samples ({_fmt_value(out[t])} and {_fmt_value(v)}) at "
                f"{_fmt_time(t)} in one series; deduplicate the series (e.g. with max or avg over the replicas)"
            )
        if math.isfinite(v):
            out[t] = v
        elif keep_nan and t not in out:
            out[t] = math.nan
    return out


def _fmt_value(v: float) -> str:
    return f"{v:g}"


def _samples_of(pairs: Any) -> tuple[list[float], list[float]]:
    """``(times, values)`` of a series' ``[[ts, "value"], ...]``; a QueryError for a malformed sample."""
    try:
        # A backfill is thousands of points per series: keep the loops in C.
        values = _floats(list(map(_VALUE, pairs)))
        times = list(map(float, map(_TIME, pairs)))
    except (TypeError, ValueError, IndexError, KeyError):
        raise QueryError("unexpected sample in the range answer") from None
    return times, values


def parse_instant(payload: Any, *, keep_nan: bool = False) -> float | None:
    """The single value of an instant query answer; None when empty, and when NaN/Inf unless
    ``keep_nan`` (then NaN: "no value" told apart from "no series", which a ratio's good needs)."""
    data = _data_of(payload)
    kind, result = data["resultType"], data.get("result")
    if kind == "scalar":
        return _sample_value(result, keep_nan)
    if kind == "vector":
        result = _series_of(result, kind)
        if not result:
            return None
        if len(result) > 1:
            raise _too_many(len(result))
        return _sample_value(result[0]["value"], keep_nan)
    if kind == "matrix":
        raise QueryError("query returned a range vector; wrap it in rate(), increase() or *_over_time()")
    raise QueryError(f"query returned a {kind} result; expected a number")


def parse_grouped(payload: Any, label: str, *, keep_nan: bool = False) -> dict[str, float]:
    """``{label value: value}`` of a grouped instant query (``sum by (label) (...)``); series whose
    value is NaN/Inf are left out (NaN with ``keep_nan``), a series without the label is ``(none)``."""
    data = _data_of(payload)
    kind, result = data["resultType"], data.get("result")
    if kind != "vector":
        raise QueryError(f"grouped query returned a {kind} result; expected a vector")
    out: dict[str, float] = {}
    for series in _series_of(result, kind):
        metric = series.get("metric")
        value = _sample_value(series["value"], keep_nan)
        if value is None:
            continue
        name = str((metric or {}).get(label) or NONE_LABEL)
        out[name] = out.get(name, 0.0) + value
    return out


def parse_grouped_range(payload: Any, label: str, *, keep_nan: bool = False) -> dict[float, dict[str, float]]:
    """``{timestamp: {label value: value}}`` of a grouped range query (``sum by (label) (...)``
    with ``query_range``): the point at ``t`` is the grouped instant query at ``t``. NaN/Inf
    points are left out (NaN with ``keep_nan``); a series without the label is ``(none)``."""
    data = _data_of(payload)
    kind, result = data["resultType"], data.get("result")
    if kind != "matrix":
        raise QueryError(f"grouped range query returned a {kind} result; expected a matrix")
    out: dict[float, dict[str, float]] = {}
    for series in _series_of(result, kind):
        name = str((series.get("metric") or {}).get(label) or NONE_LABEL)
        # one sample per timestamp and series: a repeated one is not counted twice into the group
        for t, value in _in_time_order(*_samples_of(series["values"]), keep_nan).items():
            at = out.setdefault(t, {})
            at[name] = at.get(name, 0.0) + value
    return dict(sorted(out.items()))


_TIME, _VALUE = operator.itemgetter(0), operator.itemgetter(1)


def _floats(texts: list[Any]) -> list[float]:
    """``float()`` of every sample value (Prometheus sends them as strings).

    float() costs ~0.3 µs per 17-digit string; when every value is a plain JSON
    number, one JSON parse of them all as an array is ~5x faster and gives the
    same doubles (correctly rounded). Anything else (``"NaN"``, ``"+Inf"``, a
    non-string, a string that is not one number) takes the float() path, which
    raises ValueError/TypeError for what is not a number.
    """
    try:
        parsed = loads_json("[" + ",".join(texts) + "]")
    except (TypeError, *JSON_ERRORS):
        parsed = None
    if type(parsed) is list and len(parsed) == len(texts) and set(map(type, parsed)) <= {float, int}:
        return list(map(float, parsed))
    if bool in set(map(type, texts)):  # float(True) is 1.0: a JSON true is no sample value
        raise TypeError("a boolean sample value")
    return list(map(float, texts))


def parse_range(payload: Any, *, keep_nan: bool = False) -> dict[float, float]:
    """``{timestamp: value}`` of a range query answer with at most one series (NaN/Inf dropped, or
    NaN with ``keep_nan``)."""
    data = _data_of(payload)
    kind, result = data["resultType"], data.get("result")
    if kind != "matrix":
        raise QueryError(f"range query returned a {kind} result; expected a matrix")
    result = _series_of(result, kind)
    if len(result) > 1:
        raise _too_many(len(result))
    if not result:
        return {}
    times, values = _samples_of(result[0]["values"])
    if not all(map(operator.lt, times, itertools.islice(times, 1, None))):
        return _in_time_order(times, values, keep_nan)  # out of order or a repeated timestamp
    if math.isfinite(sum(values)):
        return dict(zip(times, values))
    if keep_nan:
        return {t: v if math.isfinite(v) else math.nan for t, v in zip(times, values)}
    # Some NaN/Inf (or a sum overflowing): drop the non-finite points, they are no data.
    return {t: v for t, v in zip(times, values) if math.isfinite(v)}


#: How far (seconds) a sample's timestamp may be from the asked grid and still be that grid point:
#: Prometheus writes timestamps in seconds with millisecond precision.
GRID_TOLERANCE = 1e-3


def on_grid(points: dict[float, float], start: float, end: float, step: float) -> dict[float, float]:
    """``points`` of a ``query_range`` answer on the grid asked (``start + k * step`` within
    ``[start, end]``), a timestamp within :data:`GRID_TOLERANCE` of a grid point moved onto it.

    Prometheus answers exactly on that grid. A sample off it (``1768003200.5`` for a 5-minute
    step) cannot be told to which slice it belongs: a :class:`QueryError`. Samples beyond the asked
    range were not asked for and are left out (kept, they became slices after ``now``; and a
    timestamp written ``...200.001`` made a slice the ratio views left out)."""
    times = list(points)
    offsets = map(operator.truediv, map(operator.sub, times, itertools.repeat(start)), itertools.repeat(step))
    if all(map(float.is_integer, offsets)) and (not times or (times[0] >= start and times[-1] <= end)):
        return points  # the usual answer, checked without a Python-level loop
    out: dict[float, float] = {}
    for t, v in points.items():
        k = round((t - start) / step)
        snapped = start + k * step
        if abs(t - snapped) > GRID_TOLERANCE:
            raise QueryError(
                f"the range answer has a sample at {_fmt_time(t)}, off the grid asked (start {_fmt_time(start)}, "
                f"step {_fmt_time(step)}s); the server does not align range queries like Prometheus"
            )
        if start - GRID_TOLERANCE <= snapped <= end + GRID_TOLERANCE:
            out[snapped] = v
    return out


def _chunks(first: float, last: float, step: float) -> list[tuple[float, float]]:
    """Split slice ends ``first..last`` into runs of at most ``MAX_POINTS`` points."""
    out = []
    start = first
    span = step * (MAX_POINTS - 1)
    while start <= last:
        end = min(last, start + span)
        out.append((start, end))
        start = end + step
    return out


# --------------------------------------------------------------------------- the source


@dataclass(frozen=True, slots=True)
class _Instant:
    query: str
    time: float


@dataclass(frozen=True, slots=True)
class _Range:
    query: str
    step: float


@dataclass(slots=True)
class _Plan:
    """What one SLO needs: the instant and range queries, and how to read them."""

    spec: SLOSpec
    step: float
    first: float
    last: float
    value: _Instant | None = None
    series: _Range | None = None
    windows: dict[float, tuple[_Instant, _Instant]] = field(default_factory=dict)
    good: _Range | None = None
    total: _Range | None = None
    # rules: recorded/auto -- error ratios read from recorded series (slotui.sources.kit.prometheus_recorded)
    recorded: dict[float, _Instant] = field(default_factory=dict)
    recorded_range: _Range | None = None

    def needs(self) -> list[_Instant | _Range]:
        keys: list[_Instant | _Range] = [
            k for k in (self.value, self.series, self.good, self.total, self.recorded_range) if k is not None
        ]
        for pair in self.windows.values():
            keys.extend(pair)
        keys.extend(self.recorded.values())
        return keys


class PrometheusSource(HTTPSource["PrometheusSourceConfig"]):
    """A Prometheus-compatible query API as a slotui source.

    ``requests_made`` counts HTTP requests sent so far (benches and tests read it).
    """

    def __init__(
        self,
        name: str,
        config: "PrometheusSourceConfig",
        *,
        base_dir: Path | None = None,
        defaults: "Defaults | None" = None,
        transport: "httpx.AsyncBaseTransport | None" = None,
    ) -> None:
        super().__init__(name, config, base_dir=base_dir, defaults=defaults, transport=transport)
        self.step = config.step
        self._cache: dict[_Range, PointCache] = {}
        # Slices/buckets built from the cache, reused while it is unchanged.
        self._views: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._reuse: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        # rules: recorded/auto: what the last detection found, when, and for which SLOs
        self._detected: dict[tuple[str, str], set[str]] = {}
        self._detected_at: float | None = None
        self._detected_for: set[str] = set()
        # Sloth's names of the SLOs asked for: what their exported series carry
        self._naming: dict[str, str] = {}
        # Warnings of this fetch's answers, per query; ranges answered with warnings (asked whole again).
        self._warned: dict[_Instant | _Range, list[str]] = {}
        self._partial: dict[_Range, list[str]] = {}

    # ------------------------------------------------------------------ fetch

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Answer every SLO as of ``now`` (see the module docstring for the semantics).

        A problem with one SLO's query lands in that SLO's ``error``. Raises
        :class:`SourceError` when every request failed for a transport reason
        (unreachable, unauthorized, timeouts, garbage), so the source is
        reported down rather than each SLO.
        """
        out: dict[str, SLIData] = {}
        plans: list[_Plan] = []
        self._naming = sloth_names(slos)
        recorded = await self._recorded_slos(slos, now, out)
        for spec in slos:
            if spec.name in out:
                continue
            try:
                plans.append(self._plan(spec, now, recorded=spec.name in recorded))
            except QueryError as exc:
                out[spec.name] = SLIData(error=str(exc))
        instants = {k for p in plans for k in p.needs() if isinstance(k, _Instant)}
        ranges: dict[_Range, tuple[float, float]] = {}
        for p in plans:
            for key in (p.series, p.good, p.total, p.recorded_range):
                if key is None:
                    continue
                lo, hi = ranges.get(key, (p.first, p.last))
                ranges[key] = (min(lo, p.first), max(hi, p.last))
        self._warned = {}
        jobs: list[tuple[_Instant | _Range, Any]] = [(k, self._instant(k)) for k in instants]
        jobs += [(k, self._update_range(k, lo, hi)) for k, (lo, hi) in ranges.items()]
        results = await gather_answers(jobs)
        previous, self._views = self._views, {}
        self._reuse = previous
        for plan in plans:
            out[plan.spec.name] = self._assemble(plan, results, now)
        self._reuse = {}
        await self._breakdowns(slos, out, now)
        return out

    # ------------------------------------------------------------------ breakdown (SPEC 10.1)

    async def _breakdowns(self, slos: Sequence[SLOSpec], out: dict[str, SLIData], now: float) -> None:
        """Group answers for SLOs with ``breakdown``: ratio SLOs whose good and total carry ``{{by}}``
        are asked again grouped by each label over the long window of the fastest-burning tier."""
        asks: list[tuple[SLOSpec, str, float, _Instant, _Instant, _Instant | None]] = []
        notes: dict[str, list[GroupData]] = {}
        for spec in slos:
            data = out.get(spec.name)
            if not spec.breakdown or data is None or data.error:
                continue
            if spec.kind != "ratio":
                notes[spec.name] = [GroupData(by=name, window=spec.window, note=(
                    f"{name}: breakdown not supported by this source for a threshold PromQL query "
                    "(per-group values are not samples); use a ratio SLO with sum by ({{by}})")) for name in spec.breakdown]
                continue
            if not (groups_by(spec.good or "") and groups_by(spec.total or "")):
                notes[spec.name] = [GroupData(by=name, window=spec.window, note=(
                    f"{name}: ratio.good and ratio.total need a {{{{by}}}} placeholder to be broken down "
                    "(e.g. sum by ({{by}}) (increase(x[{{window}}])))")) for name in spec.breakdown]
                continue
            window = breakdown_window(spec, data.windows)
            # recorded series give the SLO's windows as shares of one: the good events a group without a
            # good series is settled by must then be counted (the same template, ungrouped)
            whole = _Instant(render(spec.good or "", window), now) if data.shares else None
            for name in spec.breakdown:
                asks.append((spec, name, window, _Instant(render(spec.good or "", window, (name,)), now),
                             _Instant(render(spec.total or "", window, (name,)), now), whole))

        jobs = [(k, name) for spec, name, window, gk, tk, wk in asks for k in (gk, tk)]
        jobs += [(wk, "") for *_, wk in asks if wk is not None]  # (ungrouped: asked once, whatever the label)
        unique = list(dict.fromkeys(jobs))
        answers = await asyncio.gather(*(self._grouped(k, name) for k, name in unique), return_exceptions=True)
        got = dict(zip(unique, answers))
        for spec, name, window, gk, tk, wk in asks:
            good, total = got[(gk, name)], got[(tk, name)]
            if isinstance(good, BaseException) or isinstance(total, BaseException):
                problem = good if isinstance(good, BaseException) else total
                notes.setdefault(spec.name, []).append(GroupData(by=name, window=window,
                                                                 note=f"{name}: breakdown query failed: {problem}"))
                continue
            (good, good_warned), (total, total_warned) = good, total
            counts = {label: _good_total(good.get(label), t) for label, t in total.items()}
            warned = good_warned + total_warned
            said = [f"{name}: {_partial_note(warned)}"] if warned else []
            if wk is None:
                whole = out[spec.name].windows.get(window)
            else:  # (events: the SLO's good counted, its total the groups' totals)
                answer = got[(wk, "")]
                whole = None if isinstance(answer, BaseException) else (
                    math.fsum(answer[0].values()), math.fsum(t for t in total.values() if math.isfinite(t)))
            missing = _missing_good(name, good, total, counts, whole)
            if missing:
                said.append(missing)
            odd = [f"{label}: {text}" for label, t in total.items() if (text := _odd_counts(good.get(label), t))]
            if odd:
                said.append(f"{name}: {_odd_note(odd)}")
            notes.setdefault(spec.name, []).append(GroupData(by=name, window=window, counts=counts,
                                                             note="; ".join(said) or None))
        for name, groups in notes.items():
            out[name] = replace(out[name], groups=tuple(groups))

    async def _grouped(self, key: _Instant, label: str) -> tuple[dict[str, float], list[str]]:
        """A grouped instant query: ``{label value: value}``, and the answer's warnings."""
        payload = await self._api("api/v1/query", {"query": key.query, "time": _fmt_time(key.time)})
        return parse_grouped(payload, label, keep_nan=True), warnings_of(payload)

    @staticmethod
    def grouped_queries(spec: SLOSpec) -> list[tuple[str, str]]:
        """Every ``(grouped query, label)`` a breakdown of ``spec`` may ask: good and total
        grouped by each label over each window :func:`breakdown_window` can choose (the SLO
        window and each tier's long window). Empty when ``spec`` cannot be broken down here."""
        if spec.kind != "ratio" or not spec.breakdown or not (groups_by(spec.good or "") and groups_by(spec.total or "")):
            return []
        windows = dict.fromkeys([spec.window, *(t.long_window for t in spec.tiers)])
        return [(render(q, w, (name,)), name) for name in spec.breakdown for w in windows
                for q in (spec.good or "", spec.total or "")]

    # ------------------------------------------------------------------ recorded series (rules: recorded|auto)

    async def _recorded_slos(self, slos: Sequence[SLOSpec], now: float, out: dict[str, SLIData]) -> set[str]:
        """Names of the ratio SLOs to answer from recorded series; with ``rules: recorded``, an SLO
        whose series are missing gets an error in ``out``. Detection is one instant query, repeated
        every ``DETECT_EVERY`` seconds; a failed detection means raw queries (``auto``)."""
        from slotui.sources.kit import prometheus_recorded as rec

        mode = self.config.rules
        if mode == "raw":
            return set()
        # min_events and significant: true judge event counts, which the recorded error ratios do not hold
        candidates = [s for s in slos if s.kind == "ratio" and s.min_events <= 1 and not s.significant]
        if mode == "recorded":
            for s in slos:
                if s.kind == "ratio" and s.min_events > 1:
                    out[s.name] = SLIData(error=f"rules: recorded needs event counts for min_events {s.min_events}; "
                                          "the recorded series are error ratios (use rules: raw)")
                elif s.kind == "ratio" and s.significant:
                    out[s.name] = SLIData(error="rules: recorded needs event counts for significant: true (the "
                                          "interval of the error ratio); the recorded series are error ratios "
                                          "(use rules: raw)")
        if not candidates:
            return set()
        stale = self._detected_at is None or not (0 <= now - self._detected_at < rec.DETECT_EVERY)
        if stale or not {s.name for s in candidates} <= self._detected_for:
            try:
                payload = await self._api("api/v1/query", {"query": rec.detection_query(candidates, self._naming), "time": _fmt_time(now)})
                self._detected = rec.parse_detection(_data_of(payload).get("result"))
            except (QueryError, SourceError, MalformedResponse) as exc:
                if not isinstance(exc, SourceError):
                    # The server answered (e.g. it does not know `group`): do not ask again every tick.
                    self._detected, self._detected_at = {}, now
                    self._detected_for = {s.name for s in candidates}
                if mode == "recorded":
                    for s in candidates:
                        out[s.name] = SLIData(error=f"cannot list the recorded series: {exc}")
                return set()
            self._detected_at = now
            self._detected_for = {s.name for s in candidates}
        use = set()
        for s in candidates:
            missing = rec.missing_windows(s, self._detected, self._naming)
            if not missing:
                use.add(s.name)
            elif mode == "recorded":
                out[s.name] = SLIData(
                    error=f"no recorded series {rec.RECORD_PREFIX}{{{','.join(missing)}}}{rec.selector(s, None, self._naming)}: load the "
                    "rules of slotui export prometheus-rules, or set rules: raw on the source"
                )
        return use

    def _plan_recorded(self, plan: _Plan, spec: SLOSpec, step: float, now: float) -> None:
        from slotui.sources.kit import prometheus_recorded as rec

        for w in ratio_windows(spec):
            plan.recorded[w] = _Instant(rec.record_query(spec, w, self._detected, self._naming), now)
        if rec.is_recorded(spec, step, self._detected, self._naming):
            plan.recorded_range = _Range(rec.record_query(spec, step, self._detected, self._naming), step)
        else:
            plan.good = _Range(render(spec.good or "", step), step)
            plan.total = _Range(render(spec.total or "", step), step)

    def _assemble_recorded(self, plan: _Plan, results: Mapping[Any, Any], now: float) -> SLIData:
        from slotui.sources.kit import prometheus_recorded as rec

        windows = {w: rec.ratio_pair(results[k]) for w, k in plan.recorded.items()}
        if plan.recorded_range is not None:
            series = self._cache[plan.recorded_range]
            step, lo, hi = plan.step, plan.first, plan.last
            buckets = tuple((t - step, *rec.ratio_pair(r)) for t, r in series.points.items() if lo <= t <= hi)
        else:
            buckets = self._buckets(plan)
        return SLIData(buckets=buckets, windows=windows, fetched_at=now, shares=True,
                       note="recorded series: error ratios (event counts are shares)")

    # ------------------------------------------------------------------ raw queries

    def _plan(self, spec: SLOSpec, now: float, *, recorded: bool = False) -> _Plan:
        step = float(self.step or spec.slice)
        if step <= 0:
            raise QueryError("slice/step must be positive")
        last = math.floor(now / step + 1e-9) * step
        first = math.ceil((now - spec.period) / step - 1e-9) * step + step
        plan = _Plan(spec=spec, step=step, first=first, last=last)
        if spec.kind == "ratio" and recorded:
            self._plan_recorded(plan, spec, step, now)
        elif spec.kind == "ratio":
            if not spec.good or not spec.total:
                raise QueryError("a ratio SLO on a prometheus source needs both ratio.good and ratio.total (PromQL)")
            for w in ratio_windows(spec):
                plan.windows[w] = (_Instant(render(spec.good, w), now), _Instant(render(spec.total, w), now))
            plan.good = _Range(render(spec.good, step), step)
            plan.total = _Range(render(spec.total, step), step)
        else:
            if not spec.query:
                raise QueryError("a threshold SLO on a prometheus source needs query: (PromQL)")
            plan.value = _Instant(render(spec.query, spec.window), now)
            plan.series = _Range(render(spec.query, step), step)
        return plan

    def _assemble(self, plan: _Plan, results: Mapping[Any, Any], now: float) -> SLIData:
        errors = [results[k] for k in plan.needs() if isinstance(results.get(k), Exception)]
        if errors:
            return SLIData(error=str(errors[0]))
        data = self._assemble_answer(plan, results, now)
        warned = [w for k in plan.needs() for w in self._warned.get(k, ())]
        if warned:
            note = _partial_note(warned)
            data = replace(data, note=f"{data.note}; {note}" if data.note else note)
        return data

    def _assemble_answer(self, plan: _Plan, results: Mapping[Any, Any], now: float) -> SLIData:
        if plan.recorded:
            return self._assemble_recorded(plan, results, now)
        if plan.spec.kind == "ratio":
            assert plan.good is not None and plan.total is not None
            windows: dict[float, tuple[float, float]] = {}
            odd: list[str] = []
            for w, (gk, tk) in plan.windows.items():
                windows[w] = _good_total(results[gk], results[tk])
                text = _odd_counts(results[gk], results[tk])
                if text:
                    odd.append(f"{prom_duration(w)}: {text}")
            # Clamped silently, good above the total read 100% good, a negative good 0% good and a
            # negative total no traffic: said in the note instead.
            note = f"{_odd_note(odd)}: check that good counts a subset of the total's events" if odd else None
            # An empty good with traffic is 0 good events (the rule above): right for a success counter
            # not yet written, a false page for "total - errors" before the first error. Said, so the
            # reader of a 100% error rate knows where it comes from.
            empty = [w for w, (gk, tk) in plan.windows.items() if results[gk] is None and windows[w][1] > 0]
            if empty:
                said = (f"ratio.good returned no series over {', '.join(prom_duration(w) for w in sorted(empty))} "
                        "while ratio.total counted events: read as 0 good events (if no series means no "
                        "failures, as in total - errors before the first error, write (...) or on() (ratio.total) * 0)")
                note = f"{note}; {said}" if note else said
            return SLIData(buckets=self._buckets(plan), windows=windows, fetched_at=now, note=note)
        assert plan.series is not None and plan.value is not None
        value = results[plan.value]
        return SLIData(value=value if value is not None and math.isfinite(value) else None,
                       slices=self._slices(plan), fetched_at=now)

    def _slices(self, plan: _Plan) -> tuple[tuple[float, float], ...]:
        assert plan.series is not None
        series = self._cache[plan.series]
        key = ("slices", plan.series, plan.first, plan.last, series.version)
        view = self._views.get(key, self._reuse.get(key))
        if view is None:
            step, lo, hi, points = plan.step, plan.first, plan.last, series.points
            whole = series.first is not None and series.last is not None and lo <= series.first and series.last <= hi
            if whole and math.isfinite(sum(points.values())):
                view = tuple(zip(map(operator.sub, points, itertools.repeat(step)), points.values()))
            else:  # a NaN point (kept for ratios' sake) is no slice
                view = tuple((t - step, v) for t, v in points.items() if lo <= t <= hi and math.isfinite(v))
        self._views[key] = view
        return view

    def _buckets(self, plan: _Plan) -> tuple[tuple[float, float, float], ...]:
        assert plan.good is not None and plan.total is not None
        good, total = self._cache[plan.good], self._cache[plan.total]
        key = ("buckets", plan.good, plan.total, plan.first, plan.last, good.version, total.version)
        view = self._views.get(key, self._reuse.get(key))
        if view is None:
            step, lo, hi, good_pts = plan.step, plan.first, plan.last, good.points
            view = tuple(
                (t - step, *_good_total(good_pts.get(t), tot)) for t, tot in total.points.items() if lo <= t <= hi
            )
        self._views[key] = view
        return view

    # ------------------------------------------------------------------ HTTP

    async def _api(self, path: str, params: dict[str, str]) -> Any:
        try:
            if len(params.get("query", "")) > _POST_ABOVE:
                return await self._client.request_json("POST", path, data=params)
            return await self._client.request_json("GET", path, params=params)
        except HTTPStatusError as exc:
            # Prometheus explains bad queries (400) and execution errors (422) in
            # a JSON body: a problem of that query, not of the source. 429/5xx
            # (overload, query timeouts) stay source errors and are retried.
            if exc.status_code in (400, 422) and isinstance(exc.payload, dict) and exc.payload.get("status") == "error":
                raise QueryError(_error_text(exc.payload)) from None
            raise

    async def _instant(self, key: _Instant) -> float | None:
        payload = await self._api("api/v1/query", {"query": key.query, "time": _fmt_time(key.time)})
        value = parse_instant(payload, keep_nan=True)
        if warnings_of(payload):
            self._warned[key] = warnings_of(payload)
        return value

    async def _update_range(self, key: _Range, first: float, last: float) -> None:
        if self._partial.pop(key, None) is not None:
            self._cache[key] = PointCache()  # last answered with warnings (partial): ask it all again
        series = self._cache.setdefault(key, PointCache())
        todo = _settling(series, series.missing(first, last, key.step), first, key.step)
        chunks = [c for a, b in todo for c in _chunks(a, b, key.step)]
        warned: list[str] = []

        async def one(a: float, b: float) -> dict[float, float]:
            payload = await self._api(
                "api/v1/query_range",
                {"query": key.query, "start": _fmt_time(a), "end": _fmt_time(b), "step": _fmt_time(key.step)},
            )
            points = on_grid(parse_range(payload, keep_nan=True), a, b, key.step)
            warned.extend(warnings_of(payload))
            return points

        got: dict[float, float] = {}
        for part in await asyncio.gather(*(one(a, b) for a, b in chunks)):
            got.update(part)
        series.merge(got, todo, first, last)
        if warned:
            self._warned[key] = self._partial[key] = warned


#: How far back (seconds) an incremental fetch re-asks slice ends that answered no value or were the
#: newest with one: a server whose clock is behind slotui's (or whose samples arrive late) answers
#: the newest slices empty or partial.
SETTLE = 3600.0


def _settling(
    series: PointCache, todo: list[tuple[float, float]], first: float, step: float
) -> list[tuple[float, float]]:
    """``todo`` with its newest interval starting back at the newest cached point holding a value
    (no further back than :data:`SETTLE`).

    The rule "re-ask the newest slice end" assumed every slice end but the newest was final when
    asked. With the server's clock 7 minutes behind slotui's (5-minute slices), the newest end had
    no sample yet and the one before a partial count: once a newer end was asked, that partial
    count stayed in the history for good, and so did the empty ends. Re-asking from the newest
    value costs no request (the same ``query_range``, a few more points)."""
    if not todo or series.last is None or todo[-1][0] != series.last:
        return todo
    start, end = todo[-1]
    newest = next(reversed(series.points), None)
    floor = max(first, start - math.floor(SETTLE / step) * step)
    settled = max(floor, newest if newest is not None else floor)
    return todo if settled >= start else [*todo[:-1], (settled, end)]


#: How far good may exceed total before it is noted: increase() extrapolates each series on its own,
#: so a good series a little above the total is expected; beyond 1% (and one event) it is not.
EXCESS = 0.01


def _odd_counts(good: float | None, total: float | None) -> str | None:
    """What is wrong with a (good, total) pair beyond what extrapolation explains, or None: good
    above the total, or a negative count (``increase()`` of a counter never is; ``delta()`` of a
    gauge or a subtraction may be)."""
    if total is not None and math.isfinite(total) and total < -1.0:
        return f"total {total:g} < 0"
    if good is None or total is None or not (math.isfinite(good) and math.isfinite(total)) or total <= 0:
        return None
    if good < -1.0:
        return f"good {good:g} < 0"
    if good > total * (1 + EXCESS) and good - total > 1.0:
        return f"good {good:g} > total {total:g}"
    return None


def _missing_good(name: str, good: Mapping[str, float], total: Mapping[str, float],
                  counts: dict[str, tuple[float, float]], whole: tuple[float, float] | None) -> str | None:
    """Groups with traffic that the grouped good query has no series for (``total - errors`` where a
    group never had an error series: Prometheus' ``-`` matches nothing for it), settled by the SLO's
    own good over the same window (the same template without ``{{by}}``): what it counts beyond the
    other groups' good is theirs. All of their events, or a single such group, are set in ``counts``;
    otherwise they stay 0 good. Read as 0 good, such a group with no errors showed as 100% bad and
    took the share of the bad events and the ranking from the groups that failed. The note says which."""
    absent = sorted(label for label, t in total.items() if label not in good and counts[label][1] > 0)
    if not absent:
        return None
    named = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
    hint = f"write ratio.good as (...) or on({{{{by}}}}) (ratio.total) * 0 if no series means no failures"
    if whole is not None and whole[1] > 0:
        rest = whole[0] - math.fsum(counts[label][0] for label in counts if label not in absent)
        events = math.fsum(counts[label][1] for label in absent)
        if abs(rest - events) <= 1e-9 * max(whole[1], 1.0):
            for label in absent:
                counts[label] = (counts[label][1], counts[label][1])
            return (f"{name}: ratio.good has no series for {named} ({len(absent)} with traffic); the SLO's good "
                    f"counts all their events good, so they are shown all good ({hint})")
        if len(absent) == 1 and -1e-9 * whole[1] <= rest <= events * (1 + 1e-9):
            label = absent[0]
            counts[label] = (min(max(rest, 0.0), events), events)
            return (f"{name}: ratio.good has no series for {named}; its good is the SLO's good less the other "
                    f"groups' ({hint})")
    return f"{name}: ratio.good has no series for {named} with traffic: read as 0 good events ({hint})"


def _odd_note(odd: Sequence[str]) -> str:
    return (f"ratio.good and ratio.total answered counts that cannot be ({'; '.join(odd)}); clamped: good "
            "within [0, total], a negative total as no traffic")


def _good_total(good: float | None, total: float | None) -> tuple[float, float]:
    """(good, total) with the no-data rules: no total is (0, 0); no good series is 0; a NaN/Inf good
    or total is no data (0, 0) -- it was 0 good events, every request counted bad; good within
    [0, total]."""
    if total is None or not math.isfinite(total) or total <= 0:
        return (0.0, 0.0)
    if good is not None and not math.isfinite(good):
        return (0.0, 0.0)
    g = 0.0 if good is None else min(max(good, 0.0), total)
    return (g, total)
