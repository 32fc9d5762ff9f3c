"""MLflow source: evaluation metrics of runs, and trace aggregates, over the tracking server's REST API.

The experiment is resolved once (``experiment_id`` through ``GET
/api/2.0/mlflow/experiments/get``, or ``experiment`` by name through ``GET
/api/2.0/mlflow/experiments/get-by-name``, the name URL-encoded and matched
exactly): an id or name the server does not know, or a deleted experiment, is
a source error naming it, not an empty experiment answering NO DATA. Authentication is the
``token`` (sent as ``Authorization: Bearer``), or the generic ``bearer_token``
/ ``basic_auth`` of HTTP sources.

**Evaluation metrics** (threshold SLOs; ``query: metric:NAME``, a bare metric
name, ``sli: {field: NAME}``, or the seed's ``quality_slos: {NAME: ...}``):
``POST /api/2.0/mlflow/runs/search`` lists the experiment's active runs started
within the period, newest first (``order_by attributes.start_time DESC``;
``params.run_filter`` adds an MLflow filter such as ``tags.stage = 'prod'``),
and those started before it that are still running (``attributes.status =
'RUNNING'``) or ended in it (``attributes.end_time >=``): a monitoring run
started long ago and logging every few minutes counts.
Each run's latest value of the metric is a point at its timestamp; the newest
run holding the metric also contributes its whole history
(``GET /api/2.0/mlflow/metrics/get-history``; kept for finished runs). The
``value`` is the newest point logged in ``[now - window, now)`` (set the
SLO's ``window`` to how old an evaluation may be and still count, e.g.
``window: 7d``); ``slices`` hold the newest point of each slice of the period.

**Trace aggregates** (MLflow 3, ``POST /api/3.0/mlflow/traces/metrics``;
per-trace figures and assessment averages also ask the window's
``trace_count`` / ``assessment_count`` with the same filters, so they report
``n``, SPEC 10.2):

- ``query: traces:latency:p95`` (milliseconds; any ``pNN``, ``avg``, ``min``,
  ``max``), ``traces:total_tokens:avg`` (also input/output tokens, ``sum``),
  ``traces:trace_count``;
- ``query: assessment:NAME`` (or ``assessment:NAME:p50``): the mean of the
  numeric assessment (judge score, feedback; booleans count 1/0) NAME, from the
  ``ASSESSMENTS`` view filtered by ``assessment.name = "NAME"`` (``'NAME'`` when
  the name holds a double quote: the filter grammar has no escapes);
  ``assessment:NAME:count`` counts them (``assessment_count``);
- ratio ``good: success``: ``good`` = traces with ``trace.status = "OK"``,
  ``total`` = OK + ERROR traces (two ``COUNT`` queries; traces still in
  progress are not counted);
- ``params.filters``: extra filter strings for every query (e.g.
  ``trace.tag.env = "prod"``).

Windows, slices and the backfill follow :mod:`slotui.sources.kit.backfill`; the
period is asked as time series (``time_interval_seconds`` = the span, buckets
read from the ``time_bucket`` dimension). Counts and sums are asked per slice
over the whole period (one slice length everywhere). The server answers at
most ``max_results`` buckets, oldest first, and never a ``next_page_token``
(MLflow 3.17), so a series is asked in chunks of fewer buckets than that and a
full page is split again (a one-bucket full page is an error on the SLO). Its
``end_time_ms`` is inclusive: ``[start, end)`` is sent as ``end - 1 ms``.
A server without ``traces/metrics`` (404: MLflow 2) is asked ``GET /api/2.0/mlflow/traces``
(``timestamp_ms`` range filter, paged) instead and the aggregates are computed
here (latency from ``execution_time_ms`` of finished traces, OK or ERROR, a
negative one left out; linear-interpolation percentiles; counts by ``status``);
that is remembered, but traces/metrics is asked again after
:data:`REPROBE_FETCHES` fetches, and at once when the trace search answers 404
too (the 404 was a proxy or the URL, not MLflow 2). Assessments need MLflow 3.

Checked against a real MLflow 3.17 server (tests/integration/test_mlflow_real_server.py):
the request is ``{experiment_ids, view_type, metric_name, aggregations:
[{aggregation_type, percentile_value}], filters, time_interval_seconds,
start_time_ms, end_time_ms, max_results, page_token}`` and each data point is
``{metric_name, dimensions: {time_bucket: ISO time}, values: {"P95.0": x,
"AVG": y, "COUNT": n}}`` (older 3.x servers answering ``metrics`` instead of
``values`` and ``P95`` keys are read too).

No-data rules: ``"NaN"`` (MLflow writes NaN metrics as that string), an
infinite metric (stored and answered as +/-1.7976931348623157e308), ``null``,
no runs or no traces in a range are no data for that point. A filter MLflow
rejects (400 ``INVALID_PARAMETER_VALUE``) is an error on that SLO; an unknown
experiment, 401/403, 429 (retried, honouring Retry-After within the timeout),
5xx, timeouts and malformed JSON are source errors.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.config.secrets import clip
from slotui.core.periods import period_bounds
from slotui.core.types import SLIData, SLOSpec
from slotui.sources.kit.backfill import Measure, RangeSource
from slotui.core.sums import AggregateOverflow, exact_mean, finite_sum
from slotui.sources.kit.aggregate import parse_agg, quantile_sorted
from slotui.sources.kit.base import QueryError, SourceError
from slotui.sources.kit.http_client import HTTPStatusError, MalformedResponse, redact_url
from slotui.sources.kit.http_source import HTTPSource
from slotui.sources.kit.paging import PageTokens
from slotui.sources.kit.records import api_time
from slotui.sources.kit.values import NotANumber, count_number, sli_number

if TYPE_CHECKING:
    import httpx

    from slotui.config.model import Defaults, MLflowSourceConfig

#: Runs per runs/search page, and pages at most per fetch.
RUN_PAGE = 200
MAX_RUN_PAGES = 5
#: Points per metrics/get-history page (the server pages with next_page_token), and pages at most.
HISTORY_PAGE = 25000
MAX_HISTORY_PAGES = 40
#: Traces per page of the 2.0 traces search (the fallback), and pages at most per range.
TRACE_PAGE = 500
MAX_TRACE_PAGES = 200
#: ``max_results`` of a ``traces/metrics`` request. The server answers at most this many data
#: points, oldest bucket first, and (MLflow 3.17) never a ``next_page_token``: a time series is
#: asked in chunks of fewer buckets than this, and a full page is split again.
METRICS_PAGE = 1000
#: Fetches on the trace search (after traces/metrics answered 404) before traces/metrics is asked again.
REPROBE_FETCHES = 120
#: Aggregations the server accepts per trace metric (MLflow 3.17's TRACES / ASSESSMENTS configs).
_METRIC_AGGS = {
    "latency": {"AVG", "MIN", "MAX", "PERCENTILE"},
    "trace_count": {"COUNT"},
    "input_tokens": {"SUM", "AVG", "MIN", "MAX", "PERCENTILE"},
    "output_tokens": {"SUM", "AVG", "MIN", "MAX", "PERCENTILE"},
    "total_tokens": {"SUM", "AVG", "MIN", "MAX", "PERCENTILE"},
    "assessment_value": {"AVG", "MIN", "MAX", "PERCENTILE"},
    "assessment_count": {"COUNT"},
}
#: Aggregations that add up over time: their slices must all be one slice long.
_EXTENSIVE = {"COUNT", "SUM"}
_FINISHED = {"FINISHED", "FAILED", "KILLED"}


def _ms(t: float) -> int:
    return int(round(t * 1000))


def _epoch(raw: Any) -> float | None:
    """Seconds from epoch milliseconds (MLflow's unit: number or numeric string) or an ISO string."""
    return api_time(raw, per_second=1000.0)


def _percentile(values: list[float], q: float) -> float | None:
    return quantile_sorted(sorted(values), q)  # interpolation that cannot overflow near 1e308


class MLflowSource(HTTPSource["MLflowSourceConfig"], RangeSource):
    """An MLflow experiment as a slotui source (see the module docstring)."""

    def __init__(
        self,
        name: str,
        config: "MLflowSourceConfig",
        *,
        base_dir: Path | None = None,
        defaults: "Defaults | None" = None,
        transport: "httpx.AsyncBaseTransport | None" = None,
        metrics_page: int = METRICS_PAGE,
        history_page: int = HISTORY_PAGE,
    ) -> None:
        super().__init__(name, config, base_dir=base_dir, defaults=defaults, transport=transport)
        #: ``max_results`` of each ``traces/metrics`` request (at least 2; see :data:`METRICS_PAGE`).
        self.metrics_page = max(2, int(metrics_page))
        #: ``max_results`` of each ``metrics/get-history`` page.
        self.history_page = max(1, int(history_page))
        self.concurrency = config.max_concurrency
        self._experiment_id: str | None = config.experiment_id
        self._resolved = False
        self._trace_metrics_api: bool | None = None
        self._fallback_fetches = 0
        self._probe: asyncio.Lock | None = None
        self._histories: dict[tuple[str, str], list[tuple[float, float | None]]] = {}

    def extra_headers(self, config: "MLflowSourceConfig") -> dict[str, str] | None:
        """``Authorization: Bearer <token>`` when a token is set."""
        return {"Authorization": f"Bearer {config.token}"} if config.token else None

    # ------------------------------------------------------------------ fetch

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Answer every SLO as of ``now`` (see the module docstring)."""
        await self._resolve_experiment()
        trace_specs = [s for s in slos if _is_trace_slo(s)]
        eval_specs = [s for s in slos if not _is_trace_slo(s)]
        parts = []
        if eval_specs:
            parts.append((eval_specs, self._eval_metrics(eval_specs, now)))
        if trace_specs:
            if self._trace_metrics_api is False:
                # The fallback was chosen on a 404: ask traces/metrics again now and then, so a 404 that
                # passed (a proxy during a deploy) does not leave the source on the trace search, with
                # assessments "needing MLflow 3", until a restart.
                self._fallback_fetches += 1
                if self._fallback_fetches > REPROBE_FETCHES:
                    self._trace_metrics_api = None
            parts.append((trace_specs, self.fetch_ranges(trace_specs, now)))
        answers = await asyncio.gather(*(job for _, job in parts), return_exceptions=True)
        out: dict[str, SLIData] = {}
        failures = []
        for (specs, _), answer in zip(parts, answers):
            if isinstance(answer, BaseException) and not isinstance(answer, Exception):
                raise answer
            if isinstance(answer, Exception):
                if not isinstance(answer, SourceError):
                    raise answer
                failures.append(answer)
                for spec in specs:
                    out[spec.name] = SLIData(error=str(answer))
            else:
                out.update(answer)
        if failures and len(failures) == len(parts):
            raise failures[0]
        return out

    async def _resolve_experiment(self) -> None:
        """The experiment's id, checked once: an id or name the server does not know, or a deleted
        experiment, is a source error (not an empty experiment answering NO DATA forever)."""
        if self._resolved:
            return
        name, given = self.config.experiment, self.config.experiment_id
        if not name and not given:
            raise SourceError("set experiment (a name) or experiment_id on the mlflow source", retryable=False)
        where = redact_url(self.config.url)
        label = f"experiment_id {given!r}" if given else f"experiment {name!r}"
        try:
            if given:
                payload = await self._client.get_json("api/2.0/mlflow/experiments/get",
                                                      params={"experiment_id": given})
            else:
                payload = await self._client.get_json("api/2.0/mlflow/experiments/get-by-name",
                                                      params={"experiment_name": name})
        except HTTPStatusError as exc:
            code = _error_code(exc.payload)
            if given and code == "ENDPOINT_NOT_FOUND":
                self._resolved = True  # a gateway exposing only the search endpoints: take the id as given
                return
            if code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE") or (
                    exc.status_code == 404 and code is None):
                raise SourceError(f"{label} not found on {where}", retryable=False) from None
            raise
        experiment = payload.get("experiment") if isinstance(payload, dict) else None
        if not isinstance(experiment, dict) or not experiment.get("experiment_id"):
            path = "experiments/get" if given else "experiments/get-by-name"
            said = ""
            if isinstance(payload, dict) and isinstance(payload.get("error_code"), str):  # an error under 200
                message = self._client.scrub(clip(" ".join(str(payload.get("message") or "").split()), 200))
                said = f" but {payload['error_code']}" + (f": {message}" if message else "")
            raise MalformedResponse(f"malformed answer from {path}: no experiment.experiment_id{said}")
        if experiment.get("lifecycle_stage") == "deleted":
            raise SourceError(f"{label} on {where} is deleted (restore it, or point the source at another)",
                              retryable=False)
        self._experiment_id = str(experiment["experiment_id"])
        self._resolved = True

    # ------------------------------------------------------------------ evaluation metrics

    async def _eval_metrics(self, specs: Sequence[SLOSpec], now: float) -> dict[str, SLIData]:
        out: dict[str, SLIData] = {}
        groups: dict[str | None, list[tuple[SLOSpec, str]]] = {}
        for spec in specs:
            try:
                key = _metric_key(spec)
                run_filter = (spec.params or {}).get("run_filter")
                if run_filter is not None and not isinstance(run_filter, str):
                    raise QueryError(
                        "params.run_filter must be an MLflow filter string such as \"tags.stage = 'prod'\""
                    )
            except QueryError as exc:
                out[spec.name] = SLIData(error=str(exc))
                continue
            groups.setdefault(run_filter, []).append((spec, key))
        jobs = []
        for run_filter, members in groups.items():
            since = min(min(period_bounds(s, now)[0], now - s.window) for s, _ in members)
            jobs.append(self._search_runs(run_filter, since, now))
        results = await asyncio.gather(*jobs, return_exceptions=True)
        source_errors = [r for r in results if isinstance(r, SourceError)]
        if source_errors and len(source_errors) == len(results):
            raise source_errors[0]
        for (run_filter, members), runs in zip(groups.items(), results):
            if isinstance(runs, BaseException):
                if not isinstance(runs, Exception):
                    raise runs
                for spec, _ in members:
                    out[spec.name] = SLIData(error=str(runs))
                continue
            runs, more = runs
            for spec, key in members:
                try:
                    points = await self._points(runs, key, now)
                except (QueryError, SourceError) as exc:
                    out[spec.name] = SLIData(error=str(exc))
                    continue
                answer = _eval_answer(spec, points, now)
                if more:
                    # Newest first: the value is right, the oldest slices of the period are missing.
                    cut = f"only the newest {len(runs):,} runs of the period were read"
                    answer = replace(answer, note=f"{answer.note}; {cut}" if answer.note else cut)
                out[spec.name] = answer
        return out

    async def _search_runs(self, run_filter: str | None, since: float,
                           now: float) -> tuple[list[dict[str, Any]], bool]:
        """The runs that may hold points in ``[since, now)``, and whether more were left unread: those
        started in it (newest first), then those started before it that are still running or ended
        in it. A monitoring run started before the period and logging into it every few minutes was
        left out, so its SLOs said "no run in the period logged this metric"."""
        before = f"attributes.start_time < {_ms(since)}"
        queries = [
            ([f"attributes.start_time >= {_ms(since)}", f"attributes.start_time < {_ms(now)}"], MAX_RUN_PAGES),
            ([before, "attributes.status = 'RUNNING'"], 1),
            ([before, f"attributes.end_time >= {_ms(since)}"], 1),
        ]
        answers = await asyncio.gather(*(self._runs_where(clauses + ([run_filter] if run_filter else []), pages)
                                         for clauses, pages in queries))
        runs: list[dict[str, Any]] = []
        seen: set[str] = set()
        more = False
        for found, cut in answers:
            more = more or cut
            for run in found:
                run_id = str(run["info"].get("run_id") or run["info"].get("run_uuid") or id(run))
                if run_id not in seen:
                    seen.add(run_id)
                    runs.append(run)
        return runs, more

    async def _runs_where(self, clauses: list[str], max_pages: int) -> tuple[list[dict[str, Any]], bool]:
        """The active runs matching all ``clauses``, newest start first, and whether more were left unread."""
        runs: list[dict[str, Any]] = []
        token = None
        tokens = PageTokens("MLflow runs/search")
        for _ in range(max_pages):
            body: dict[str, Any] = {
                "experiment_ids": [self._experiment_id],
                "filter": " AND ".join(clauses),
                "run_view_type": "ACTIVE_ONLY",
                "max_results": RUN_PAGE,
                "order_by": ["attributes.start_time DESC"],
            }
            if token:
                body["page_token"] = token
            payload = await self._mlflow("POST", "api/2.0/mlflow/runs/search", json_body=body)
            if not isinstance(payload, dict):
                raise MalformedResponse("malformed answer from runs/search: expected a JSON object")
            page = payload.get("runs") or []
            if not isinstance(page, list):
                raise MalformedResponse("malformed answer from runs/search: runs is not a list")
            runs.extend(r for r in page if isinstance(r, dict) and isinstance(r.get("info"), dict))
            token = tokens.next(payload.get("next_page_token"))
            if not token:
                break
        return runs, bool(token)

    async def _points(self, runs: list[dict[str, Any]], key: str, now: float) -> list[tuple[float, float | None]]:
        """``(time, value)`` of ``key``: each run's latest value, and the newest run's history."""
        points: dict[float, float | None] = {}
        newest: dict[str, Any] | None = None
        for run in runs:
            data = run.get("data") or {}
            metrics = data.get("metrics") or [] if isinstance(data, dict) else None
            if not isinstance(metrics, list):
                raise MalformedResponse("malformed answer from runs/search: a run's data.metrics is not a list")
            for metric in metrics:
                if not isinstance(metric, dict) or metric.get("key") != key:
                    continue
                t = _epoch(metric.get("timestamp"))
                if t is None or t >= now:
                    continue
                points[t] = _metric_value(metric.get("value"), key)
                if newest is None:
                    newest = run
        if newest is not None:
            info = newest["info"]
            run_id = str(info.get("run_id") or info.get("run_uuid") or "")
            if run_id:
                for t, v in await self._history(run_id, key, str(info.get("status") or "")):
                    if t < now:
                        points[t] = v
        return sorted(points.items())

    async def _history(self, run_id: str, key: str, status: str) -> list[tuple[float, float | None]]:
        cached = self._histories.get((run_id, key))
        if cached is not None:
            return cached
        history = []
        token = None
        tokens = PageTokens("MLflow metrics/get-history")
        # The server pages a long history (oldest first) with next_page_token: read every page,
        # or the newest points, the ones that matter, would be the ones missing.
        for _ in range(MAX_HISTORY_PAGES):
            params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": self.history_page}
            if token:
                params["page_token"] = token
            payload = await self._mlflow("GET", "api/2.0/mlflow/metrics/get-history", params=params)
            metrics = payload.get("metrics") if isinstance(payload, dict) else None
            if metrics is None:
                metrics = []
            if not isinstance(metrics, list):
                raise MalformedResponse("malformed answer from metrics/get-history: metrics is not a list")
            for m in metrics:
                if isinstance(m, dict):
                    t = _epoch(m.get("timestamp"))
                    if t is not None:
                        history.append((t, _metric_value(m.get("value"), key)))
            token = tokens.next(payload.get("next_page_token") if isinstance(payload, dict) else None)
            if not token:
                break
        else:
            raise QueryError(f"metric {key!r} of run {run_id} has more than "
                             f"{MAX_HISTORY_PAGES * self.history_page:,} points: too long a history to read")
        if status in _FINISHED:
            self._histories[(run_id, key)] = history
        return history

    # ------------------------------------------------------------------ traces

    def measure_for(self, spec: SLOSpec) -> Measure:
        filters = (spec.params or {}).get("filters") or []
        if isinstance(filters, str):
            filters = [filters]
        if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
            raise QueryError('params.filters must be a list of MLflow filter strings such as trace.tag.env = "prod"')
        base = tuple(filters)
        if spec.kind == "ratio":
            good = (spec.good or "").strip().lower()
            if good not in ("success", "ok", "trace.status = ok", 'trace.status = "ok"'):
                raise QueryError("a ratio SLO on mlflow supports ratio.good: success (OK traces / OK + ERROR traces)")
            return Measure(("success", base), "ratio")
        text = (spec.query or "").strip()
        parts = [p.strip() for p in text.split(":")]
        if parts[0] == "assessment":
            # the aggregation is after the LAST colon: an assessment name may hold colons (safety:v2)
            rest = text.split(":", 1)[1] if ":" in text else ""
            raw_name, sep, raw_agg = rest.rpartition(":")
            if not sep:
                raw_name, raw_agg = raw_agg, "avg"
            if not raw_name.strip():
                raise QueryError("assessment: needs an assessment name, e.g. assessment:correctness")
            try:
                agg = _aggregation(raw_agg)
            except QueryError as exc:
                raise QueryError(f"{exc} (an assessment name holding ':' is written with its aggregation: "
                                 f"assessment:{rest}:avg)") from None
            name = _quoted(raw_name.strip())
            # How many assessments: the server counts them as assessment_count, not assessment_value.
            metric = "assessment_count" if agg[0] == "COUNT" else "assessment_value"
            _check_aggregation(metric, agg, text)
            return Measure(("metric", "ASSESSMENTS", metric, agg,
                            base + (f"assessment.name = {name}",)), "threshold")
        if parts[0] == "traces" and len(parts) >= 2:
            metric = parts[1]
            if metric == "trace_count":
                if len(parts) > 2 and parts[2]:
                    _check_aggregation(metric, _aggregation(parts[2]), text)
                return Measure(("metric", "TRACES", "trace_count", ("COUNT", None), base), "threshold")
            if metric not in ("latency", "input_tokens", "output_tokens", "total_tokens"):
                raise QueryError(f"unknown trace metric {metric!r}; expected latency, total_tokens, input_tokens, "
                                 "output_tokens or trace_count")
            agg = _aggregation(parts[2] if len(parts) > 2 else "avg")
            _check_aggregation(metric, agg, text)
            return Measure(("metric", "TRACES", metric, agg, base), "threshold")
        raise QueryError(f"expected traces:METRIC[:AGG] or assessment:NAME (got {text!r})")

    def grid_step_ok(self, measure: Measure, step: float) -> bool:
        return step >= 1

    def grid_spans(self, measure: Measure, step: float) -> int:
        return self.metrics_page - 1  # one whole page of buckets: one request (two for a ratio)

    def count_measure(self, measure: Measure) -> Measure | None:
        """n (SPEC 10.2) of a per-trace figure (latency, tokens: traces counted) or an assessment
        average (assessments counted): one more COUNT query per window; counts and sums have none."""
        if measure.key[0] != "metric":
            return None
        _, view, metric, agg, filters = measure.key
        if agg[0] in _EXTENSIVE:
            return None
        counted = "assessment_count" if view == "ASSESSMENTS" else "trace_count"
        return Measure(("metric", view, counted, ("COUNT", None), filters), "threshold")

    def coarse_for(self, spec: SLOSpec) -> float:
        """Threshold SLIs are asked per slice everywhere (one time series of ``metrics_page`` buckets a
        request: 9 requests for 30 days of 5-minute slices), never per hour.

        A coarse span's value stands for each slice it covers: for a count that compared the
        threshold with an hour's count in the middle of the period and with five minutes' at its
        edges, and for a latency or a score an hour with one trace made twelve slices with data
        (one slow trace, twelve bad slices; SPEC 3 counts only slices with data).
        """
        coarse = super().coarse_for(spec)
        try:
            measure = self.measure_for(spec)
        except QueryError:
            return coarse
        if measure.kind == "threshold" and measure.key[0] == "metric":
            return float(spec.slice)
        return coarse

    async def measure(self, measure: Measure, start: float, end: float) -> Any:
        got = await self._trace_series(measure, start, end, None)
        return got.get(None)

    async def measure_grid(self, measure: Measure, start: float, end: float, step: float) -> dict[float, Any]:
        got = await self._trace_series(measure, start, end, step)
        return {k: v for k, v in got.items() if k is not None}

    async def _trace_series(self, measure: Measure, start: float, end: float,
                            step: float | None) -> dict[float | None, Any]:
        if self._trace_metrics_api is None:
            # Probe once: concurrent questions wait for the first answer instead of all hitting a 404.
            if self._probe is None:
                self._probe = asyncio.Lock()
            async with self._probe:
                if self._trace_metrics_api is None:
                    try:
                        return await self._via_metrics_api(measure, start, end, step)
                    except HTTPStatusError as exc:
                        if exc.status_code not in (404, 501):
                            raise
                        self._trace_metrics_api = False  # MLflow 2: search traces from now on
                        self._fallback_fetches = 0
        if self._trace_metrics_api:
            return await self._via_metrics_api(measure, start, end, step)
        try:
            return await self._via_trace_search(measure, start, end, step)
        except HTTPStatusError as exc:
            if exc.status_code == 404:
                # The trace search is not there either: the 404 was the URL or a proxy (a deploy, a
                # wrong prefix), not an MLflow 2 server. Ask traces/metrics again next time.
                self._trace_metrics_api = None
            raise

    async def _via_metrics_api(self, measure: Measure, start: float, end: float,
                               step: float | None) -> dict[float | None, Any]:
        kind = measure.key[0]
        if kind == "success":
            _, base = measure.key
            spec_ok = ("metric", "TRACES", "trace_count", ("COUNT", None), base + ('trace.status = "OK"',))
            spec_err = ("metric", "TRACES", "trace_count", ("COUNT", None), base + ('trace.status = "ERROR"',))
            ok = await self._metrics_query(spec_ok, start, end, step)
            err = await self._metrics_query(spec_err, start, end, step)
            buckets = _buckets(start, end, step)
            out: dict[float | None, Any] = {}
            for b in buckets:
                good = count_number(ok.get(b))
                bad = count_number(err.get(b))
                out[b] = (good, good + bad)
            return out
        got = await self._metrics_query(measure.key, start, end, step)
        if measure.key[2] == "trace_count":
            return {b: count_number(got.get(b)) for b in _buckets(start, end, step)}
        return {b: v for b, v in got.items()}

    async def _metrics_query(self, key: tuple, start: float, end: float, step: float | None) -> dict[float | None, Any]:
        """One aggregate over ``[start, end)``, or its time series in buckets of ``step``.

        A series is asked in chunks of at most ``metrics_page - 1`` buckets, so
        each answer is whole (the server drops the newest buckets of a longer
        one); a chunk answered with a full page is split in two and asked again.
        """
        if step is None:
            return await self._metrics_chunk(key, start, end, None)
        out: dict[float | None, Any] = {}
        width = (self.metrics_page - 1) * step
        t = start
        while t < end - 1e-6:
            piece_end = min(end, t + width)
            out.update(await self._metrics_chunk(key, t, piece_end, step))
            t = piece_end
        return out

    async def _metrics_chunk(self, key: tuple, start: float, end: float,
                             step: float | None) -> dict[float | None, Any]:
        out, full = await self._metrics_request(key, start, end, step)
        if not full:
            return out
        buckets = round((end - start) / step) if step else 1
        if step is None or buckets < 2:
            raise QueryError(f"MLflow answered a full page ({self.metrics_page} data points) for "
                             f"{'one bucket' if step else 'one aggregate'}: the answer may be truncated")
        middle = start + (buckets // 2) * step
        older = await self._metrics_chunk(key, start, middle, step)
        older.update(await self._metrics_chunk(key, middle, end, step))
        return older

    async def _metrics_request(self, key: tuple, start: float, end: float,
                               step: float | None) -> tuple[dict[float | None, Any], bool]:
        """The answer over ``[start, end)``, and whether it may be truncated (a full last page)."""
        _, view, metric, (agg_type, pct), filters = key
        aggregation: dict[str, Any] = {"aggregation_type": agg_type}
        if agg_type == "PERCENTILE":
            aggregation["percentile_value"] = pct
        body: dict[str, Any] = {
            "experiment_ids": [self._experiment_id],
            "view_type": view,
            "metric_name": metric,
            "aggregations": [aggregation],
            # The server's range is inclusive at both ends (timestamp_ms <= end_time_ms).
            "start_time_ms": _ms(start),
            "end_time_ms": _ms(end) - 1,
            "max_results": self.metrics_page,
        }
        if filters:
            body["filters"] = list(filters)
        if step is not None:
            body["time_interval_seconds"] = int(step)
        out: dict[float | None, Any] = {}
        token = None
        tokens = PageTokens("MLflow traces/metrics")
        full = False
        for _ in range(20):
            if token:
                body["page_token"] = token
            payload = await self._mlflow("POST", "api/3.0/mlflow/traces/metrics", json_body=body)
            if self._trace_metrics_api is None:
                self._trace_metrics_api = True
            if not isinstance(payload, dict):
                raise MalformedResponse("malformed answer from traces/metrics: expected a JSON object")
            points = payload.get("data_points") or []
            if not isinstance(points, list):
                raise MalformedResponse("malformed answer from traces/metrics: data_points is not a list")
            for point in points:
                if not isinstance(point, dict):
                    continue
                bucket: float | None = None
                if step is not None:
                    dimensions = point.get("dimensions")
                    t = _epoch(dimensions.get("time_bucket")) if isinstance(dimensions, dict) else None
                    if t is None:
                        continue
                    bucket = math.floor((t - start) / step + 1e-9) * step + start
                    if not start <= bucket < end:
                        continue
                out[bucket] = _value_of(point, agg_type, pct)
            token = tokens.next(payload.get("next_page_token"))
            full = len(points) >= self.metrics_page
            if not token:
                break
        else:
            full = True  # still more pages after 20: not whole
        return out, full

    async def _via_trace_search(self, measure: Measure, start: float, end: float,
                                step: float | None) -> dict[float | None, Any]:
        kind = measure.key[0]
        if kind == "metric" and measure.key[1] == "ASSESSMENTS":
            raise QueryError("assessment averages need MLflow 3 (POST /api/3.0/mlflow/traces/metrics), which "
                             "answered HTTP 404 here (an MLflow 2 server, or a proxy: it is asked again later)")
        if kind == "metric" and measure.key[2] != "latency" and measure.key[2] != "trace_count":
            raise QueryError(f"{measure.key[2]} needs MLflow 3 (traces/metrics), which answered HTTP 404 here")
        if measure.key[-1]:
            raise QueryError("params.filters need MLflow 3 (traces/metrics), which answered HTTP 404 here")
        traces = await self._search_traces(start, end)
        grouped: dict[float | None, list[dict[str, Any]]] = {b: [] for b in _buckets(start, end, step)}
        for trace in traces:
            t = _epoch(trace.get("timestamp_ms"))
            if t is None or not start <= t < end:
                continue
            b = None if step is None else math.floor((t - start) / step + 1e-9) * step + start
            grouped.setdefault(b, []).append(trace)
        out: dict[float | None, Any] = {}
        for b, items in grouped.items():
            if kind == "success":
                ok = sum(1 for x in items if x.get("status") == "OK")
                bad = sum(1 for x in items if x.get("status") == "ERROR")
                out[b] = (float(ok), float(ok + bad))
                continue
            _, _, metric, (agg_type, pct), _ = measure.key
            if metric == "trace_count":
                out[b] = float(len(items))
                continue
            # Latency of finished traces only: an IN_PROGRESS trace's execution time is how long it has
            # run so far, and a negative one (a clock step) is no duration at all.
            values = [v for v in (_num(x.get("execution_time_ms")) for x in items
                                  if x.get("status") in ("OK", "ERROR")) if v is not None and v >= 0]
            out[b] = _aggregate(values, agg_type, pct)
        return out

    async def _search_traces(self, start: float, end: float) -> list[dict[str, Any]]:
        traces: dict[str, dict[str, Any]] = {}
        token = None
        tokens = PageTokens("MLflow traces search")
        for _ in range(MAX_TRACE_PAGES):
            params: dict[str, Any] = {
                "experiment_ids": self._experiment_id,
                "filter": f"timestamp_ms >= {_ms(start)} AND timestamp_ms < {_ms(end)}",
                "max_results": TRACE_PAGE,
                "order_by": "timestamp_ms DESC",
            }
            if token:
                params["page_token"] = token
            payload = await self._mlflow("GET", "api/2.0/mlflow/traces", params=params)
            if not isinstance(payload, dict):
                raise MalformedResponse("malformed answer from the traces search: expected a JSON object")
            page = payload.get("traces") or []
            if not isinstance(page, list):
                raise MalformedResponse("malformed answer from the traces search: traces is not a list")
            for trace in page:
                if isinstance(trace, dict):
                    # The pages are offsets into a newest-first list: a trace exported late into the
                    # range between two pages shifts the next page, which repeats a trace. Once each.
                    key = trace.get("request_id") or trace.get("trace_id")
                    traces[str(key) if key else f"#{len(traces)}"] = trace
            token = tokens.next(payload.get("next_page_token"))
            if not token:
                break
        else:
            # Newest first: what is left unread is the oldest part of the range; never aggregate a part.
            raise QueryError(f"the trace search did not end after {MAX_TRACE_PAGES} pages ({len(traces):,} traces "
                             "read): too many to aggregate from it (MLflow 3's traces/metrics answers this)")
        return list(traces.values())

    # ------------------------------------------------------------------ HTTP

    async def _mlflow(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      json_body: Any = None) -> Any:
        try:
            payload = await self._client.request_json(method, path, params=params, json_body=json_body)
            if isinstance(payload, dict) and isinstance(payload.get("error_code"), str):
                # MLflow's error shape under HTTP 200 (a proxy, a gateway): an error, not an empty answer
                message = self._client.scrub(clip(" ".join(str(payload.get("message") or "").split()), 200))
                text = f"MLflow answered {payload['error_code']} with HTTP 200 from {path.split('?')[0]}" + (
                    f": {message}" if message else "")
                if payload["error_code"] == "INVALID_PARAMETER_VALUE":
                    raise QueryError(text)
                raise MalformedResponse(text)
            return payload
        except HTTPStatusError as exc:
            if exc.status_code == 400 or _error_code(exc.payload) == "INVALID_PARAMETER_VALUE":
                message = exc.payload.get("message") if isinstance(exc.payload, dict) else None
                detail = f": {clip(' '.join(str(message).split()), 200)}" if message else ""
                raise QueryError(f"MLflow rejected the query: HTTP {exc.status_code}{detail}") from None
            raise


def _is_trace_slo(spec: SLOSpec) -> bool:
    if spec.kind == "ratio":
        return True
    q = (spec.query or "").strip()
    return q.startswith("traces:") or q.startswith("assessment:")


def _metric_key(spec: SLOSpec) -> str:
    text = (spec.query or "").strip()
    if text.startswith("metric:"):
        text = text[len("metric:"):].strip()
    if not text:
        text = (spec.sli_field or "").strip()
        for prefix in ("metrics.", "evaluations."):
            if text.startswith(prefix):
                text = text[len(prefix):]
    if not text:
        raise QueryError("an mlflow SLO needs query: metric:NAME, traces:latency:p95, assessment:NAME or sli.field")
    return text


def _eval_answer(spec: SLOSpec, points: list[tuple[float, float | None]], now: float) -> SLIData:
    start, _ = period_bounds(spec, now)
    in_window = [(t, v) for t, v in points if now - spec.window <= t < now]
    value = in_window[-1][1] if in_window else None
    note = None
    if in_window and value is None:
        note = "the newest logged value is NaN, infinite or null: no data"
    elif not in_window:
        note = "no value logged in the window" if points else "no run in the period logged this metric"
    per_slice: dict[float, float] = {}
    for t, v in points:
        if v is not None and start <= t < now:
            per_slice[math.floor(t / spec.slice) * spec.slice] = v
    slices = tuple(sorted((s, v) for s, v in per_slice.items() if s >= start))
    return SLIData(value=value, slices=slices, fetched_at=now, note=note)


def _metric_value(raw: Any, key: str) -> float | None:
    """A logged metric value; None (no data) for NaN, null and infinity. MLflow's database stores
    an infinite metric as the largest double (answered as +/-1.7976931348623157e308): that is
    infinity too, not a number to compare with the target (SPEC 3: inf is NO DATA)."""
    try:
        value = sli_number(raw)
    except NotANumber as exc:
        raise QueryError(f"MLflow answered a non-number for metric {key!r}: {exc}") from None
    if value is not None and abs(value) >= sys.float_info.max:
        return None
    return value


def _num(raw: Any) -> float | None:
    try:
        return sli_number(raw)
    except NotANumber:
        return None


def _aggregation(text: str) -> tuple[str, float | None]:
    """MLflow's aggregation type (and percentile) for an aggregate in the one grammar (``parse_agg``)."""
    try:
        agg = parse_agg(text)
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    if agg.kind == "quantile":
        return ("PERCENTILE", agg.percent)
    return ("AVG" if agg.kind == "mean" else agg.kind.upper(), None)


def _check_aggregation(metric: str, agg: tuple[str, float | None], query: str) -> None:
    allowed = _METRIC_AGGS.get(metric)
    if allowed is not None and agg[0] not in allowed:
        names = sorted("pNN" if a == "PERCENTILE" else a.lower() for a in allowed)
        raise QueryError(f"MLflow's {metric} supports {', '.join(names)} (got {query!r})")


def _value_of(point: Mapping[str, Any], agg_type: str, pct: float | None) -> Any:
    values = point.get("values")
    if not isinstance(values, Mapping):
        values = point.get("metrics") if isinstance(point.get("metrics"), Mapping) else {}
    if agg_type == "PERCENTILE":
        keys = [f"P{pct:.1f}", f"P{pct:g}", f"P{int(pct)}" if pct is not None and pct == int(pct) else ""]
    else:
        keys = [agg_type]
    for key in keys:
        if key and key in values:
            try:
                return sli_number(values[key])
            except NotANumber as exc:
                raise QueryError(f"MLflow answered a non-number for {key}: {exc}") from None
    return None


def _aggregate(values: list[float], agg_type: str, pct: float | None) -> float | None:
    if not values:
        return None
    if agg_type == "AVG":
        return exact_mean(values)  # finite even when the sum of huge values is not
    if agg_type == "SUM":
        try:
            return finite_sum(values)
        except AggregateOverflow as exc:
            raise QueryError(f"execution_time_ms: {exc}") from None
    if agg_type == "MIN":
        return min(values)
    if agg_type == "MAX":
        return max(values)
    if agg_type == "COUNT":
        return float(len(values))
    return _percentile(values, (pct or 0.0) / 100.0)


def _buckets(start: float, end: float, step: float | None) -> list[float | None]:
    if step is None:
        return [None]
    out: list[float | None] = []
    t = start
    while t < end - 1e-6:
        out.append(t)
        t += step
    return out


def _quoted(name: str) -> str:
    """``name`` as a string literal of MLflow's trace filter grammar, which has no escapes: in double
    quotes, or in single quotes when it holds a double quote (a backslash before it is taken as
    part of the name, so ``"he said \\"hi\\""`` matched nothing: a silent NO DATA)."""
    if '"' not in name:
        return f'"{name}"'
    if "'" not in name:
        return f"'{name}'"
    raise QueryError(f"assessment name {name!r} holds both quote characters; MLflow's filter syntax "
                     "cannot ask for it")


def _error_code(payload: Any) -> str | None:
    return payload.get("error_code") if isinstance(payload, dict) else None
