"""Langfuse source: the public metrics API, ``GET /api/public/v2/metrics?query=<json>``.

Authentication is HTTP basic with the project's public key as user name and
the secret key as password. Each question is one metrics query over
``[fromTimestamp, toTimestamp)`` of the ``observations`` view (spans,
generations, events) or the ``scores-numeric`` view; ``params.filters`` (a list
of Langfuse filter objects, e.g. ``{column: traceName, operator: "=", value:
chat, type: string}``) is added to every query of the SLO. A server without v2
(404; self-hosted before v4) is asked the v1 ``/api/public/metrics`` with the
same query, and that is remembered (v2 is asked again after
:data:`REPROBE_QUERIES` queries, and at once when v1 answers 404 too: the 404
was the URL or a proxy, not an old server).

What each SLO means here:

- ``query: MEASURE:AGG`` on observations, e.g. ``latency:p95`` (milliseconds),
  ``latency:avg``, ``totalCost:avg`` (cost per observation, USD),
  ``totalCost:sum``, ``totalTokens:avg``, ``count:count``; aggregations are
  Langfuse's (sum, avg, count, max, min, p50, p75, p90, p95, p99);
  ``sli: {field: latency, agg: p95}`` means the same (``mean`` is ``avg``);
- ``query: score:NAME`` (or ``score:NAME:p50``): the mean (or other
  aggregation) of the numeric score NAME (``scores-numeric`` view, ``value``
  measure; booleans are 0/1 there); ``sli: {field: score.NAME}`` alike. A
  window without numeric scores of NAME but with categorical ones
  (``scores-categorical``) is an error on the SLO saying so;
- ``query: errors``: the number of observations with ``level = ERROR``;
  ``query: error_rate``: that number over all observations;
- ratio ``good: success``: ``total`` = observations, ``good`` = those whose
  level is not ``ERROR`` (one query grouped by ``level``);
- ratio ``good: '[{...filter...}]'`` (a JSON list of Langfuse filters): good =
  observations matching them; ``total:`` may hold another such list.

History: the period is backfilled from time-dimension queries
(``timeDimension: {granularity: hour}``: one request per 200 hours of a
measure) and the edges slice by slice; later fetches ask only new slices. A
slice of one minute, one hour or one day is asked as a time series too. An
hourly count or sum (``errors``, ``count:count``, ``totalCost:sum``) is spread
over its slices (each gets its share), so the threshold meets one slice's worth
everywhere in the period.

Sample counts (SPEC 10.2): a ``MEASURE:AGG`` or ``score:NAME`` window query
asks ``count`` alongside, so the SLO reports ``n`` (observations or scores
behind the value; ``min_samples`` applies).

Breakdown (SPEC 10.1): each ``breakdown`` name is a dimension of the metrics
API (observations: ``providedModelName``, ``name``, ``traceName``,
``environment``, ``release``, ``version``, ``tags``, ...; scores: ``name``,
``source``, ...), asked as ``dimensions: [{field: NAME}]`` over the breakdown
window, one request per name: ratios get per-value ``(good, total)``;
``avg``, ``sum`` and ``count`` get per-value ``(count, sum)``; ``errors`` and
``error_rate`` are the sum and mean of error flags. Percentiles, min and max
of groups cannot be combined into a leave-one-out value: those SLOs say so.

No-data rules: no rows, ``null`` or ``"NaN"`` values are no data for that point
(counts are 0). Langfuse sends counts as strings; they are read as numbers. A
query Langfuse rejects (400) is an error on that SLO; 401/403, 429 (retried
honouring Retry-After within the timeout), 5xx, timeouts and malformed JSON
are source errors, never showing the secret key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.config.secrets import clip
from slotui.core.types import GroupData, SLIData, SLOSpec
from slotui.sources.kit.backfill import Counted, Measure, RangeSource
from slotui.sources.kit.base import QueryError, SourceError
from slotui.sources.kit.http_client import HTTPStatusError, MalformedResponse
from slotui.sources.kit.http_source import HTTPSource
from slotui.sources.kit.label_groups import label_of
from slotui.sources.kit.records import api_time
from slotui.sources.kit.values import NotANumber, count_number, sli_number

if TYPE_CHECKING:
    import httpx

    from slotui.config.model import Defaults, LangfuseSourceConfig

V2_PATH = "api/public/v2/metrics"
V1_PATH = "api/public/metrics"
AGGREGATIONS = ("sum", "avg", "count", "max", "min", "p50", "p75", "p90", "p95", "p99")
_GRANULARITY = {60.0: "minute", 3600.0: "hour", 86400.0: "day"}
#: Rows asked of a grouped (breakdown) query: Langfuse's cap; a full answer may be cut short (noted).
GROUP_ROWS = 1000
#: Rows asked of a time-dimension query (``config.row_limit``; Langfuse accepts at most 1,000 and
#: answers the oldest buckets first: ``ORDER BY time_dimension asc ... LIMIT row_limit`` in
#: web/src/features/query/server/queryBuilder.ts, so a cut drops the newest buckets).
TIME_ROWS = 1000
#: Time buckets per time-dimension request (grouped by level: up to 4 rows a bucket, DEBUG,
#: DEFAULT, WARNING, ERROR). An answer that fills ``TIME_ROWS`` anyway is asked again in halves.
GRID_CHUNK = 200
#: Queries on v1 (after v2 answered 404) before v2 is asked again (a 404 that passed: a proxy, a deploy).
REPROBE_QUERIES = 2000
_ERROR_FILTER = {"column": "level", "operator": "=", "value": "ERROR", "type": "string"}


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch(raw: Any) -> float | None:
    return api_time(raw)  # "2025-01-01 10:00:00.000" (ClickHouse), ISO with Z or an offset, epoch numbers


def _filters(raw: Any, what: str) -> tuple[str, ...]:
    """Filter objects as canonical JSON strings (hashable); raises QueryError when malformed."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise QueryError(f"{what}: expected a JSON list of Langfuse filters ({exc})") from None
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(f, Mapping) and "column" in f for f in raw):
        raise QueryError(f"{what}: expected a list of Langfuse filters such as "
                         '{"column": "traceName", "operator": "=", "value": "chat", "type": "string"}')
    return tuple(json.dumps(dict(f), sort_keys=True) for f in raw)


class LangfuseSource(HTTPSource["LangfuseSourceConfig"], RangeSource):
    """A Langfuse project as a slotui source (see the module docstring)."""

    groups_supported = True

    def __init__(
        self,
        name: str,
        config: "LangfuseSourceConfig",
        *,
        base_dir: Path | None = None,
        defaults: "Defaults | None" = None,
        transport: "httpx.AsyncBaseTransport | None" = None,
    ) -> None:
        super().__init__(name, config, base_dir=base_dir, defaults=defaults, transport=transport)
        self.concurrency = config.max_concurrency
        self._path = V2_PATH
        self._v1_queries = 0

    def client_config(self, config: "LangfuseSourceConfig") -> "LangfuseSourceConfig":
        """Basic auth from the project's public and secret keys when they are set."""
        from slotui.config.model import BasicAuth

        if not (config.public_key or config.secret_key):
            return config
        auth = BasicAuth(username=config.public_key or "", password=config.secret_key or "")
        return config.model_copy(update={"basic_auth": auth})

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Answer every SLO as of ``now`` (see the module docstring)."""
        return await self.fetch_ranges(slos, now)

    # ------------------------------------------------------------------ queries

    def measure_for(self, spec: SLOSpec) -> Measure:
        base = _filters((spec.params or {}).get("filters"), "params.filters")
        if spec.kind == "ratio":
            good = (spec.good or "").strip()
            total = _filters(spec.total, "ratio.total") if spec.total else ()
            if good.lower() in ("success", "ok", "not error", "level != error"):
                return Measure(("success", base + total), "ratio")
            if good.startswith("[") or good.startswith("{"):
                return Measure(("matching", base + total, _filters(good, "ratio.good")), "ratio")
            raise QueryError("a ratio SLO on langfuse needs ratio.good: success, or a JSON list of Langfuse filters")
        text = (spec.query or "").strip()
        if not text:
            text = self._from_sli(spec)
        lowered = text.lower()
        if lowered == "errors":
            return Measure(("errors", base), "threshold", extensive=True)
        if lowered == "error_rate":
            return Measure(("error_rate", base), "threshold")
        if lowered.startswith("score:"):
            # the aggregation is after the LAST colon: a score name may hold colons (ragas:faithfulness),
            # and sli: {field: score.NAME, agg: AGG} is spelled score:NAME:AGG
            name, sep, agg = text[len("score:"):].rpartition(":")
            if not sep:
                name, agg = agg, "avg"
            name, agg = name.strip(), agg.strip().lower()
            if not name:
                raise QueryError("score: needs a score name, e.g. score:helpfulness")
            if agg not in AGGREGATIONS and ":" not in name:
                raise QueryError(f"unknown Langfuse aggregation {agg!r}; expected one of {', '.join(AGGREGATIONS)} "
                                 f"(a score name holding ':' is written with its aggregation: score:{name}:{agg}:avg)")
            _check_agg(agg)
            return Measure(("metric", "scores-numeric", "value", agg, base + (_name_filter(name),)), "threshold",
                           extensive=agg in ("sum", "count"))
        measure, sep, agg = text.partition(":")
        if not sep or not measure.strip():
            raise QueryError(f"expected MEASURE:AGG (latency:p95), score:NAME, errors or error_rate (got {text!r})")
        agg = agg.strip().lower()
        _check_agg(agg)
        # counts and sums add up over time: a coarse backfill span is spread over its slices
        return Measure(("metric", "observations", measure.strip(), agg, base), "threshold",
                       extensive=agg in ("sum", "count"))

    @staticmethod
    def _from_sli(spec: SLOSpec) -> str:
        field = (spec.sli_field or "").strip()
        if not field:
            raise QueryError("a threshold SLO on langfuse needs query: (e.g. latency:p95 or score:helpfulness)")
        agg = (spec.sli_agg or "mean").lower()
        agg = {"mean": "avg", "median": "p50"}.get(agg, agg)
        for prefix in ("score.", "scores.", "evaluations."):
            if field.startswith(prefix):
                return f"score:{field[len(prefix):]}:{agg}"
        return f"{field}:{agg}"

    # ------------------------------------------------------------------ answers

    async def measure(self, measure: Measure, start: float, end: float) -> Any:
        return _only(await self._series(measure, start, end, None))

    def grid_step_ok(self, measure: Measure, step: float) -> bool:
        return float(step) in _GRANULARITY

    def grid_spans(self, measure: Measure, step: float) -> int:
        return GRID_CHUNK  # one request's buckets

    async def measure_grid(self, measure: Measure, start: float, end: float, step: float) -> dict[float, Any]:
        out: dict[float, Any] = {}
        t = start
        while t < end - 1e-6:
            chunk_end = min(end, t + GRID_CHUNK * step)
            out.update(await self._grid_chunk(measure, t, chunk_end, float(step)))
            t = chunk_end
        return out

    async def _grid_chunk(self, measure: Measure, start: float, end: float, step: float) -> dict[float | None, Any]:
        """One time series; an answer that filled the row limit (its newest buckets cut) is asked in halves."""
        try:
            return await self._series(measure, start, end, step)
        except _FullPage:
            buckets = round((end - start) / step)
            if buckets < 2:
                raise QueryError(f"Langfuse answered its {TIME_ROWS:,}-row limit for one time bucket: "
                                 "the answer may be cut short") from None
        middle = start + (buckets // 2) * step
        older = await self._grid_chunk(measure, start, middle, step)
        older.update(await self._grid_chunk(measure, middle, end, step))
        return older

    async def _series(self, measure: Measure, start: float, end: float, step: float | None) -> dict[float | None, Any]:
        """Answers per time bucket start (``None`` key without a time dimension)."""
        kind = measure.key[0]
        if kind == "metric":
            _, view, name, agg, filters = measure.key
            if step is None:  # the window: with the number of samples behind the value
                rows = await self._query(view, [(name, agg), ("count", "count")], filters, start, end, step)
                n = int(_count(rows[0], "count_count")) if rows else 0
                if n == 0 and view == "scores-numeric":
                    await self._not_categorical(filters, start, end)
                if not rows:
                    return {None: None}
                value = _value(rows[0], f"{agg}_{name}")
                return {None: Counted(value, n)}
            if agg in ("count", "sum"):
                rows = await self._query(view, [(name, agg)], filters, start, end, step)
                # A bucket without rows has no observations: a count or sum of 0 (Langfuse fills empty
                # buckets WITH FILL only up to the hour of toTimestamp).
                return _per_bucket(rows, lambda r: _value(r, f"{agg}_{name}"), step, start, end, 0.0)
            # other aggregates: no data without rows, and each bucket's count of observations, so an
            # hour of one observation is asked slice by slice (backfill.SpanBook.record)
            rows = await self._query(view, [(name, agg), ("count", "count")], filters, start, end, step)
            return _per_bucket(rows, lambda r: Counted(_value(r, f"{agg}_{name}"), int(_count(r, "count_count"))),
                               step, start, end, None)
        if kind in ("errors", "error_rate"):
            _, filters = measure.key
            rows = await self._query("observations", [("count", "count")], filters, start, end, step, by_level=True)
            grouped = _group(rows, step, start, end)
            out: dict[float | None, Any] = {}
            for bucket, items in grouped.items():
                total = sum(_count(r, "count_count") for r in items)
                errors = sum(_count(r, "count_count") for r in items if str(r.get("level", "")).upper() == "ERROR")
                out[bucket] = errors if kind == "errors" else (errors / total if total > 0 else None)
            if not grouped and kind == "errors":
                out = _fill(step, start, end, 0.0)
            return out
        if kind == "success":
            _, filters = measure.key
            rows = await self._query("observations", [("count", "count")], filters, start, end, step, by_level=True)
            grouped = _group(rows, step, start, end)
            out = _fill(step, start, end, (0.0, 0.0))
            for bucket, items in grouped.items():
                total = sum(_count(r, "count_count") for r in items)
                errors = sum(_count(r, "count_count") for r in items if str(r.get("level", "")).upper() == "ERROR")
                out[bucket] = (total - min(errors, total), total)
            return out
        if kind == "matching":
            _, filters, good = measure.key
            total_rows = await self._query("observations", [("count", "count")], filters, start, end, step)
            good_rows = await self._query("observations", [("count", "count")], filters + good, start, end, step)
            totals = _per_bucket(total_rows, lambda r: _count(r, "count_count"), step, start, end, 0.0)
            goods = _per_bucket(good_rows, lambda r: _count(r, "count_count"), step, start, end, 0.0)
            return {b: (min(goods.get(b) or 0.0, t), t) for b, t in totals.items()}
        raise AssertionError(kind)

    async def _not_categorical(self, filters: tuple[str, ...], start: float, end: float) -> None:
        """A window without numeric scores of the name: raise QueryError when the name has categorical
        scores there (``"pass"``/``"fail"``), which the scores-numeric view never holds, so the SLO
        says why instead of a NO DATA that never ends."""
        try:
            rows = await self._query("scores-categorical", [("count", "count")], filters, start, end, None)
        except (QueryError, SourceError):
            return  # a server without the view, or this extra question failing: plain no data, as before
        n = int(sum(_count(r, "count_count") for r in rows))
        if n > 0:
            name = next((json.loads(f).get("value") for f in filters if json.loads(f).get("column") == "name"), "")
            raise QueryError(f"score {name!r} is categorical in Langfuse ({n:,} in the window): only numeric and "
                             "boolean scores have a mean or percentile")

    async def measure_groups(self, measure: Measure, by: str, start: float, end: float) -> GroupData:
        """``measure`` over ``[start, end)`` per value of the dimension ``by`` (module docstring)."""
        kind = measure.key[0]
        window = end - start
        if kind in ("success", "errors", "error_rate"):
            filters = measure.key[1]
            rows = await self._query("observations", [("count", "count")], filters, start, end, None,
                                     by_level=True, by=by)
            per: dict[str, list[float]] = {}
            for r in rows:
                n = _count(r, "count_count")
                have = per.setdefault(label_of(r.get(by)), [0.0, 0.0])
                have[0] += n
                have[1] += n if str(r.get("level", "")).upper() == "ERROR" else 0.0
            note = _cut_note(by, rows)
            if kind == "success":
                return GroupData(by=by, window=window, note=note,
                                 counts={k: (t - min(e, t), t) for k, (t, e) in per.items()})
            # errors: the sum of error flags; error_rate: their mean
            return GroupData(by=by, window=window, sums={k: (t, e) for k, (t, e) in per.items()},
                             agg="sum" if kind == "errors" else "mean", note=note)
        if kind == "matching":
            _, filters, good = measure.key
            totals, cut = await self._grouped_counts(filters, by, start, end)
            goods, good_cut = await self._grouped_counts(filters + good, by, start, end)
            return GroupData(by=by, window=window, note=cut or good_cut,
                             counts={k: (min(goods.get(k, 0.0), t), t) for k, t in totals.items()})
        _, view, name, agg, filters = measure.key
        if agg not in ("avg", "sum", "count"):
            return GroupData(by=by, window=window, note=(
                f"{by}: breakdown of a Langfuse {agg} not supported by this source (per-group {agg} values "
                "cannot be combined into the SLI without a group); avg, sum and count can be broken down"))
        rows = await self._query(view, [(name, agg), ("count", "count")], filters, start, end, None, by=by)
        note = _cut_note(by, rows)
        sums: dict[str, tuple[float, float]] = {}
        for r in rows:
            n = _count(r, "count_count")
            v = _value(r, f"{agg}_{name}")
            if v is None or n <= 0:
                continue
            total = n if agg == "count" else v * n if agg == "avg" else v
            k = label_of(r.get(by))
            have = sums.get(k, (0.0, 0.0))
            sums[k] = (have[0] + n, have[1] + total)
        return GroupData(by=by, window=window, sums=sums, agg={"avg": "mean"}.get(agg, agg), note=note)

    async def _grouped_counts(self, filters: tuple[str, ...], by: str, start: float,
                              end: float) -> tuple[dict[str, float], str | None]:
        """Counts per value of ``by``, and the note of an answer cut at the row limit."""
        out: dict[str, float] = {}
        rows = await self._query("observations", [("count", "count")], filters, start, end, None, by=by)
        for r in rows:
            k = label_of(r.get(by))
            out[k] = out.get(k, 0.0) + _count(r, "count_count")
        return out, _cut_note(by, rows)

    async def _query(self, view: str, metrics: list[tuple[str, str]], filters: tuple[str, ...], start: float,
                     end: float, step: float | None, *, by_level: bool = False,
                     by: str | None = None) -> list[dict[str, Any]]:
        dimensions = ([{"field": "level"}] if by_level else []) + ([{"field": by}] if by else [])
        query: dict[str, Any] = {
            "view": view,
            "metrics": [{"measure": m, "aggregation": a} for m, a in metrics],
            "dimensions": dimensions,
            "filters": [json.loads(f) for f in filters],
            "fromTimestamp": _iso(start),
            # Langfuse's range is inclusive at both ends (start_time <= toTimestamp, queryBuilder.ts):
            # [start, end) is asked as end - 1 ms (its timestamps are milliseconds), or an observation
            # on a boundary would be counted in two adjacent slices.
            "toTimestamp": _iso(end - 0.001),
        }
        if step is not None:
            query["timeDimension"] = {"granularity": _GRANULARITY[float(step)]}
            query["config"] = {"row_limit": TIME_ROWS}
        elif by:
            query["config"] = {"row_limit": GROUP_ROWS}
        params = {"query": json.dumps(query, separators=(",", ":"))}
        path = self._path
        try:
            payload = await self._client.get_json(path, params=params)
        except HTTPStatusError as exc:
            if exc.status_code == 404 and path == V2_PATH:
                self._path, self._v1_queries = V1_PATH, 0  # a server without the v2 API: ask v1 from now on
                return await self._query(view, metrics, filters, start, end, step, by_level=by_level, by=by)
            if exc.status_code == 404 and path == V1_PATH:
                # v1 is not there either: the 404 was the URL or a proxy (a deploy), not a server
                # without v2. Ask v2 again next time instead of staying on v1 until a restart.
                self._path = V2_PATH
                raise
            if exc.status_code in (400, 422):
                detail = _message(exc.payload)
                raise QueryError(f"Langfuse rejected the query: HTTP {exc.status_code}{detail}") from None
            raise
        if path == V1_PATH:
            self._v1_queries += 1
            if self._v1_queries > REPROBE_QUERIES:
                self._path = V2_PATH  # a 404 that passed (a proxy) must not keep the source on v1 for good
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            said = self._client.scrub(_message(payload))  # HTTP 200 with an error body says what went wrong
            raise MalformedResponse("malformed answer from the Langfuse metrics API: expected {\"data\": [...]}"
                                    + (f", got an error{said}" if said else ""))
        if step is not None and len(payload["data"]) >= TIME_ROWS:
            raise _FullPage()
        return [row for row in payload["data"] if isinstance(row, dict)]


class _FullPage(Exception):
    """A time-dimension answer filled the row limit: its newest buckets may be missing."""


def _cut_note(by: str, rows: list[dict[str, Any]]) -> str | None:
    """A note when a grouped answer filled Langfuse's row limit (values beyond it are missing)."""
    if len(rows) < GROUP_ROWS:
        return None
    return f"{by}: Langfuse answered its {GROUP_ROWS:,}-row limit; values beyond it are not counted"


def _check_agg(agg: str) -> None:
    if agg not in AGGREGATIONS:
        raise QueryError(f"unknown Langfuse aggregation {agg!r}; expected one of {', '.join(AGGREGATIONS)}")


def _name_filter(name: str) -> str:
    return json.dumps({"column": "name", "operator": "=", "value": name, "type": "string"}, sort_keys=True)


def _message(payload: Any) -> str:
    if isinstance(payload, dict):
        for key in ("message", "error", "detail"):
            if isinstance(payload.get(key), str):
                return ": " + clip(" ".join(payload[key].split()), 200)
    return ""


def _value(row: Mapping[str, Any], key: str) -> float | None:
    try:
        return sli_number(row.get(key))
    except NotANumber as exc:
        raise QueryError(f"Langfuse answered a non-number for {key}: {exc}") from None


def _count(row: Mapping[str, Any], key: str) -> float:
    try:
        return count_number(row.get(key))
    except NotANumber as exc:
        raise QueryError(f"Langfuse answered a non-number for {key}: {exc}") from None


def _bucket_of(row: Mapping[str, Any], step: float | None, start: float, end: float) -> float | None:
    """The span start a row belongs to (None without a time dimension); NaN when out of range."""
    if step is None:
        return None
    t = _epoch(row.get("time_dimension"))
    if t is None:
        return math.nan
    t = math.floor((t - start) / step + 1e-9) * step + start
    return t if start <= t < end else math.nan


def _group(rows: list[dict[str, Any]], step: float | None, start: float, end: float) -> dict[Any, list[dict]]:
    grouped: dict[Any, list[dict]] = {}
    for row in rows:
        bucket = _bucket_of(row, step, start, end)
        if bucket is not None and math.isnan(bucket):
            continue
        grouped.setdefault(bucket, []).append(row)
    return grouped


def _fill(step: float | None, start: float, end: float, value: Any) -> dict[float | None, Any]:
    if step is None:
        return {None: value}
    out: dict[float | None, Any] = {}
    t = start
    while t < end - 1e-6:
        out[t] = value
        t += step
    return out


def _per_bucket(rows: list[dict[str, Any]], read: Any, step: float | None, start: float, end: float,
                empty: Any) -> dict[float | None, Any]:
    out = _fill(step, start, end, empty) if empty is not None else {}
    for bucket, items in _group(rows, step, start, end).items():
        out[bucket] = read(items[0])
    return out


def _only(series: Mapping[float | None, Any]) -> Any:
    return series.get(None)
