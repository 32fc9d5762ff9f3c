"""Local HTTP servers that answer like the SaaS APIs slotui reads, and record what they are asked.

Every server is a real threaded HTTP server on ``127.0.0.1`` port 0. It answers
with the response shapes of the real APIs (every field the clients need,
numbers as the APIs send them: strings for ClickHouse counts and decimal
costs, ``"NaN"`` where protobuf JSON sends it) and keeps every request it
received (method, path, query, JSON body, headers) so tests can check them.

- :class:`FakeServer`: the base, answering whatever ``route(request)`` returns;
  ``hang=True`` blocks each request until the server stops (timeouts);
  ``fail`` (a list of answers) is served first, one per request (401, 429, ...);
  ``delay`` adds simulated latency to every answer.
- :class:`LangSmithAPI`: ``GET /info``, ``GET /sessions?name=``, ``POST /runs/stats``
  computed from a list of runs (filters ``gt(latency, X)`` and ``eq(error, ...)``).
- :class:`MLflowAPI`: ``experiments/get-by-name``, ``experiments/get``, ``runs/search``,
  ``metrics/get-history``, 3.0 ``traces/metrics`` (optional: 404 when off) and
  2.0 ``GET traces`` over lists of runs and traces.
- :class:`WeaveAPI`: ``POST /calls/stream_query`` (JSON lines) over a list of calls.
- :class:`LangfuseAPI`: ``GET /api/public/v2/metrics`` over observations and scores.

The servers compute their answers with their own (deliberately plain) code;
tests compute expected values separately from the same input data.
"""

from __future__ import annotations

import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]]


@dataclass
class Request:
    """One request as the server received it (header names lower-case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def params(self) -> dict[str, str]:
        """Query string and form body merged (the body wins), as Prometheus reads a request."""
        out = dict(self.query)
        if self.body and self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            out.update({k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()})
        return out


class FakeServer:
    """A threaded loopback HTTP server; ``route(request) -> (status, body[, headers])``.

    ``body`` is bytes (sent as is) or any JSON-able value. ``fail`` answers are
    served first, one per request. ``hang`` blocks every request until
    :meth:`stop`; ``delay`` seconds of simulated latency precede each answer.
    Use as a context manager; ``url`` is ``http://127.0.0.1:PORT``.
    """

    def __init__(self, route: Callable[[Request], Answer], *, hang: bool = False,
                 fail: Sequence[Answer] = (), delay: float = 0.0, prefix: str = "") -> None:
        self.route = route
        #: served under this path only (as behind a proxy): the rest answers 404; routes see the path after it
        self.prefix = prefix
        self.hang = hang
        self.delay = delay
        self.fail = list(fail)
        self.requests: list[Request] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = parts.path
                outside = bool(outer.prefix) and not path.startswith(outer.prefix + "/")
                if outer.prefix and not outside:
                    path = path[len(outer.prefix):]
                req = Request(self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body)
                with outer._lock:
                    outer.requests.append(req)
                    canned = outer.fail.pop(0) if outer.fail else None
                if outside:
                    canned = (404, f"{parts.path} is not under {outer.prefix}/".encode())
                if outer.hang:
                    outer.release.wait(30)
                    return
                if outer.delay:
                    outer.release.wait(outer.delay)  # simulated server latency
                try:
                    answer = canned if canned is not None else outer.route(req)
                except Exception as exc:  # a bug in a fake must show up, not hang the client
                    answer = (599, f"fake server error: {exc!r}".encode())
                status, payload = answer[0], answer[1]
                headers = answer[2] if len(answer) > 2 else {}  # type: ignore[misc]
                if isinstance(payload, (bytes, bytearray)):
                    data = bytes(payload)
                    ctype = "text/plain"
                else:
                    data = json.dumps(payload).encode()
                    ctype = "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", headers.pop("Content-Type", ctype) if headers else ctype)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # fifty sources connecting at once (bench/fetch_concurrency.py)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


# --------------------------------------------------------------------------- time helpers


def iso(t: float) -> str:
    """RFC 3339 UTC with milliseconds and ``Z`` (as the APIs write it)."""
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp (``Z`` or offset; naive is UTC)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def percentile_linear(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default), ``q`` in [0, 1]."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


# --------------------------------------------------------------------------- LangSmith


@dataclass
class Run:
    """A LangSmith root run as the fake stores it (latency in seconds, cost in USD)."""

    start_time: float
    latency: float
    error: bool = False
    total_cost: float | None = None
    feedback: dict[str, float] = field(default_factory=dict)
    is_root: bool = True


class LangSmithAPI(FakeServer):
    """The LangSmith endpoints the SDK calls for ``read_project`` and ``get_run_stats``.

    ``GET /sessions?name=P`` answers ``[TracerSession]`` (empty list for an
    unknown project); ``POST /runs/stats`` answers the RunStats object over the
    runs whose ``start_time`` is in ``[start_time, end_time)``; the ``filter``
    may be ``gt(latency, X)`` / ``gte`` / ``lt`` / ``lte`` (seconds) or
    ``eq(error, true|false)``, combined with ``and(...)``; anything else is a
    400 like LangSmith's "Invalid filter". ``api_key`` is required in
    ``x-api-key`` (401 otherwise). ``overrides`` replace fields of every
    RunStats answer (e.g. ``{"error_rate": "NaN"}``).
    """

    def __init__(self, runs: Sequence[Run], *, project: str = "support-bot", api_key: str = "ls-test-key",
                 overrides: dict[str, Any] | None = None, **kw: Any) -> None:
        self.runs = list(runs)
        self.project = project
        self.project_id = str(uuid.UUID(int=7))
        self.tenant_id = str(uuid.UUID(int=11))
        self.api_key = api_key
        self.overrides = overrides or {}
        super().__init__(self._route, **kw)

    def _route(self, req: Request) -> Answer:
        if req.headers.get("x-api-key") != self.api_key:
            return 401, {"detail": "Invalid token"}
        if req.method == "GET" and req.path == "/info":
            return 200, {"version": "0.10.0", "license_expiration_time": None,
                         "batch_ingest_config": {"scale_up_qsize_trigger": 1000, "scale_up_nthreads_limit": 16,
                                                 "scale_down_nempty_trigger": 4, "size_limit": 100,
                                                 "size_limit_bytes": 20971520},
                         "instance_flags": {}}
        if req.method == "GET" and req.path == "/sessions":
            if req.query.get("name") != self.project:
                return 200, []
            return 200, [self.session()]
        if req.method == "POST" and req.path == "/runs/stats":
            return self._stats(req.json or {})
        return 404, {"detail": "Not Found"}

    def session(self) -> dict[str, Any]:
        return {
            "id": self.project_id, "name": self.project, "start_time": "2025-01-01T00:00:00.000000",
            "end_time": None, "description": None, "extra": {"metadata": {}}, "tenant_id": self.tenant_id,
            "reference_dataset_id": None, "default_dataset_id": None, "trace_tier": "longlived",
            "run_count": None, "latency_p50": None, "latency_p99": None, "first_token_p50": None,
            "first_token_p99": None, "total_tokens": None, "prompt_tokens": None, "completion_tokens": None,
            "total_cost": None, "prompt_cost": None, "completion_cost": None, "last_run_start_time": None,
            "feedback_stats": None, "session_feedback_stats": None, "run_facets": None, "error_rate": None,
            "streaming_rate": None, "test_run_number": None,
        }

    def _stats(self, body: dict[str, Any]) -> Answer:
        if body.get("session") != [self.project_id]:
            return 404, {"detail": "Session not found"}
        start = parse_time(body["start_time"]) if body.get("start_time") else -math.inf
        end = parse_time(body["end_time"]) if body.get("end_time") else math.inf
        runs = [r for r in self.runs if start <= r.start_time < end]
        if body.get("is_root"):
            runs = [r for r in runs if r.is_root]
        if body.get("filter"):
            try:
                keep = _ls_filter(body["filter"])
            except ValueError as exc:
                return 400, {"detail": f"Invalid filter: {exc}"}
            runs = [r for r in runs if keep(r)]
        n = len(runs)
        latencies = [r.latency for r in runs]
        costs = [r.total_cost for r in runs if r.total_cost is not None]
        keys = sorted({k for r in runs for k in r.feedback})
        feedback = {}
        for key in keys:
            scores = [r.feedback[key] for r in runs if key in r.feedback]
            mean = sum(scores) / len(scores)
            feedback[key] = {"n": len(scores), "avg": mean,
                             "stdev": math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores)),
                             "errors": 0, "show_feedback_arrow": False, "values": {}}
        stats = {
            "run_count": n,
            "latency_p50": percentile_linear(latencies, 0.5),
            "latency_p99": percentile_linear(latencies, 0.99),
            "first_token_p50": None, "first_token_p99": None,
            "total_tokens": 0, "prompt_tokens": 0, "completion_tokens": 0, "median_tokens": 0,
            "last_run_start_time": iso(max(r.start_time for r in runs)) if runs else None,
            "feedback_stats": feedback,
            "run_facets": [],
            "error_rate": (sum(r.error for r in runs) / n) if n else None,
            "streaming_rate": 0.0 if n else None,
            "total_cost": f"{sum(costs):.6f}" if costs else None,
            "prompt_cost": None, "completion_cost": None,
            "cost_p50": None, "cost_p99": None,
        }
        stats.update(self.overrides)
        return 200, stats


_CMP = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def _ls_filter(text: str) -> Callable[[Run], bool]:
    text = text.strip()
    m = re.fullmatch(r"and\((.*)\)", text)
    if m:
        parts = _split_args(m.group(1))
        preds = [_ls_filter(p) for p in parts]
        return lambda r: all(p(r) for p in preds)
    m = re.fullmatch(r"(gt|gte|lt|lte)\(\s*latency\s*,\s*\"?([0-9.]+)(s?)\"?\s*\)", text)
    if m:
        op, bound = _CMP[m.group(1)], float(m.group(2))
        return lambda r: op(r.latency, bound)
    m = re.fullmatch(r"eq\(\s*error\s*,\s*(true|false)\s*\)", text)
    if m:
        want = m.group(1) == "true"
        return lambda r: r.error == want
    raise ValueError(f"unsupported filter {text!r}")


def _split_args(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for c in text:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


# --------------------------------------------------------------------------- Langfuse


@dataclass
class Observation:
    """A Langfuse observation (latency in milliseconds, cost in USD)."""

    start_time: float
    latency_ms: float
    level: str = "DEFAULT"
    total_cost: float = 0.0
    name: str = "chat"
    type: str = "GENERATION"
    provided_model_name: str | None = None


@dataclass
class Score:
    """A score: numeric (``value``), or categorical when ``string_value`` is set (as Langfuse keeps
    them apart: the scores-numeric and scores-categorical views)."""

    timestamp: float
    name: str
    value: float
    string_value: str | None = None


_GRANULARITY_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class LangfuseAPI(FakeServer):
    """``GET /api/public/v2/metrics?query=<json>`` over observations and numeric scores.

    Supports the ``observations`` view (measures count, latency, totalCost;
    aggregations count, sum, avg, min, max, pNN), the ``scores-numeric`` view
    (measure value), the ``scores-categorical`` view (measure count), the ``level``, ``name``, ``traceName`` and ``providedModelName``
    dimensions (a group row per value, null for an observation without it; several
    metrics per row), ``=`` filters on level, name,
    type, traceName, ``timeDimension`` minute/hour/day (buckets aligned to UTC,
    ``time_dimension`` as ``YYYY-MM-DDTHH:MM:SS.000Z``), and answers counts as
    strings (as Langfuse's ClickHouse does). Basic auth ``public:secret``;
    ``v2=False`` answers 404 on v2 (the v1 path then answers the same).
    As Langfuse's query builder (web/src/features/query/server/queryBuilder.ts): times are
    milliseconds, the range is inclusive at both ends (``>= fromTimestamp``, ``<= toTimestamp``),
    rows are ordered by ``time_dimension`` ascending (else the first metric descending) and cut at
    ``config.row_limit`` (v2 defaults it to 100: web/src/pages/api/public/v2/metrics.ts).
    """

    def __init__(self, observations: Sequence[Observation], scores: Sequence[Score] = (), *,
                 public_key: str = "pk-lf-test", secret_key: str = "sk-lf-secret", v2: bool = True,
                 overrides: dict[str, Any] | None = None, **kw: Any) -> None:
        self.observations = list(observations)
        self.scores = list(scores)
        self.v2 = v2
        self.overrides = overrides or {}
        import base64

        self.auth = "Basic " + base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
        super().__init__(self._route, **kw)

    def _route(self, req: Request) -> Answer:
        if req.headers.get("authorization") != self.auth:
            return 401, {"message": "Invalid credentials. Confirm that you've configured the correct host."}
        if req.path not in ("/api/public/v2/metrics", "/api/public/metrics") or req.method != "GET":
            return 404, {"message": "Not found"}
        if req.path == "/api/public/v2/metrics" and not self.v2:
            return 404, {"message": "Not found"}
        try:
            query = json.loads(req.query["query"])
            rows = self._rows(query)
            limit = (query.get("config") or {}).get("row_limit")
            if limit is None and req.path == "/api/public/v2/metrics":
                limit = 100
            if limit is not None and not 0 < limit <= 1000:
                return 400, {"message": "Invalid query: config.row_limit must be in 1..1000"}
            return 200, {"data": rows[:limit] if limit is not None else rows}
        except (KeyError, ValueError) as exc:
            return 400, {"message": f"Invalid query: {exc}"}

    def _rows(self, q: dict[str, Any]) -> list[dict[str, Any]]:
        start, end = parse_time(q["fromTimestamp"]), parse_time(q["toTimestamp"])
        view = q["view"]
        if view == "observations":
            items = [{"t": o.start_time, "level": o.level, "name": o.name, "type": o.type, "traceName": o.name,
                      "providedModelName": o.provided_model_name,
                      "latency": o.latency_ms, "totalCost": o.total_cost, "count": 1} for o in self.observations]
        elif view == "scores-numeric":
            items = [{"t": s.timestamp, "name": s.name, "value": s.value, "count": 1} for s in self.scores
                     if s.string_value is None]
        elif view == "scores-categorical":
            items = [{"t": s.timestamp, "name": s.name, "stringValue": s.string_value, "count": 1}
                     for s in self.scores if s.string_value is not None]
        else:
            raise ValueError(f"unknown view {view!r}")
        for i in items:
            i["t"] = math.floor(round(i["t"] * 1000, 3)) / 1000  # DateTime64(3)
        items = [i for i in items if start <= i["t"] <= end]
        for f in q.get("filters") or []:
            if f.get("operator") != "=":
                raise ValueError(f"unsupported operator {f.get('operator')!r}")
            items = [i for i in items if i.get(f["column"]) == f["value"]]
        dims = [d["field"] for d in q.get("dimensions") or []]
        step = _GRANULARITY_SECONDS[q["timeDimension"]["granularity"]] if q.get("timeDimension") else None
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for i in items:
            key = tuple(i[d] for d in dims) + ((i["t"] // step * step,) if step else ())
            groups.setdefault(key, []).append(i)
        if not groups and not dims and not step:
            groups[()] = []
        rows = []
        for key, members in sorted(groups.items(), key=lambda kv: [(x is None, x or "") for x in kv[0]]):
            row: dict[str, Any] = {d: key[n] for n, d in enumerate(dims)}
            if step:
                row["time_dimension"] = iso(key[-1]).replace(".000Z", ".000Z")
            for m in q["metrics"]:
                values = [x[m["measure"]] for x in members]
                row[f"{m['aggregation']}_{m['measure']}"] = _lf_aggregate(m["aggregation"], values)
            row.update(self.overrides)
            rows.append(row)
        if step:
            rows.sort(key=lambda r: r["time_dimension"])
        elif dims:
            first = q["metrics"][0]
            name = f"{first['aggregation']}_{first['measure']}"
            rows.sort(key=lambda r: -float(r[name]) if r.get(name) is not None else math.inf)
        return rows


def _lf_aggregate(agg: str, values: list[float]) -> Any:
    if agg == "count":
        return str(len(values))
    if not values:
        return None
    if agg == "sum":
        return sum(values)
    if agg == "avg":
        return sum(values) / len(values)
    if agg == "min":
        return min(values)
    if agg == "max":
        return max(values)
    if agg.startswith("p"):
        return percentile_linear(values, int(agg[1:]) / 100)
    raise ValueError(f"unknown aggregation {agg!r}")


# --------------------------------------------------------------------------- Weave


def weave_call(started_at: float, latency_ms: float | None, *, exception: str | None = None,
               op: str = "predict", project: str = "acme/support-bot", parent_id: str | None = None,
               cost: tuple[float, float] | None = None, tokens: tuple[int, int] | None = None,
               feedback: Sequence[dict[str, Any]] = (), running: bool = False,
               call_id: str | None = None, model: str = "gpt-4o-mini-2024-07-18") -> dict[str, Any]:
    """One call in the trace server's ``CallSchema`` JSON shape (times as ISO strings)."""
    ended = None if running or latency_ms is None else started_at + latency_ms / 1000.0
    usage = {}
    costs = None
    if tokens is not None:
        usage = {model: {"requests": 1, "prompt_tokens": tokens[0], "completion_tokens": tokens[1],
                         "total_tokens": tokens[0] + tokens[1]}}
    if cost is not None:
        costs = {model: {"requests": 1, "prompt_tokens": tokens[0] if tokens else 0,
                         "completion_tokens": tokens[1] if tokens else 0,
                         "prompt_tokens_total_cost": cost[0], "completion_tokens_total_cost": cost[1],
                         "prompt_token_cost": 1.5e-07, "completion_token_cost": 6e-07,
                         "prompt_token_cost_unit": "USD", "completion_token_cost_unit": "USD",
                         "effective_date": "2024-07-18T00:00:00Z", "provider_id": "openai",
                         "pricing_level": "default", "pricing_level_id": "default",
                         "created_at": "2024-07-18T00:00:00Z", "created_by": "system"}}
    call_id = call_id or str(uuid.uuid4())
    weave: dict[str, Any] = {"status": "running" if ended is None else ("error" if exception else "success"),
                             "trace_name": op, "latency_ms": None if ended is None else int(round(latency_ms or 0))}
    if costs is not None:
        weave["costs"] = costs
    if feedback:
        weave["feedback"] = [
            {"id": str(uuid.uuid4()), "feedback_type": f["feedback_type"],
             "weave_ref": f"weave:///{project}/call/{call_id}",
             "payload": f["payload"], "creator": None, "created_at": iso(started_at + 5), "wb_user_id": "VXNlcjox"}
            for f in feedback]
    return {
        "id": call_id, "project_id": project,
        "op_name": f"weave:///{project}/op/{op}:Xq3n0r9A4tEyLMtjM2rS8mKqvN9cY5mVtDcqvvqU8ag",
        "display_name": None, "trace_id": str(uuid.uuid4()), "parent_id": parent_id, "thread_id": None,
        "turn_id": None, "started_at": iso(started_at), "attributes": {"weave": {"client_version": "0.51.0"}},
        "inputs": {"question": "How do I reset my password?"},
        "ended_at": None if ended is None else iso(ended), "exception": exception,
        "output": None if ended is None else {"answer": "..."},
        "summary": {"usage": usage, "weave": weave} if ended is not None else {"weave": weave},
        "wb_user_id": "VXNlcjox", "wb_run_id": None, "wb_run_step": None, "wb_run_step_end": None,
        "deleted_at": None, "storage_size_bytes": None, "total_storage_size_bytes": None,
    }


_WEAVE_QUERY_KEYS = {"project_id", "filter", "limit", "offset", "sort_by", "query", "include_costs",
                     "include_feedback", "include_storage_size", "include_total_storage_size", "columns",
                     "expand_columns", "return_expanded_column_values"}


class WeaveAPI(FakeServer):
    """``POST /calls/stream_query`` answering JSON lines over ``calls`` (``weave_call`` dicts).

    Checks basic auth ``api:<key>`` (401 otherwise), rejects unknown body keys
    with 422 (the request model forbids extras), applies ``trace_roots_only``,
    the ``$and`` of ``$gte`` / ``$not $gte`` on ``started_at`` (epoch seconds),
    ascending sort, ``offset``/``limit``, ``columns`` and the ``include_*`` flags.
    ``mangle(body, lines)`` (optional) rewrites an answer's JSON lines into the body
    sent (a malformed line, a body cut short); ``body`` is the request's JSON.
    """

    def __init__(self, calls: Sequence[dict[str, Any]], *, api_key: str = "wandb-test-key",
                 project: str = "acme/support-bot",
                 mangle: Callable[[dict[str, Any], list[str]], bytes] | None = None, **kw: Any) -> None:
        import base64

        self.mangle = mangle
        self.calls = list(calls)
        self.project = project
        self.auth = "Basic " + base64.b64encode(f"api:{api_key}".encode()).decode()
        super().__init__(self._route, **kw)

    def _route(self, req: Request) -> Answer:
        if req.headers.get("authorization") != self.auth:
            return 401, {"reason": "Unauthorized"}
        if req.method != "POST" or req.path != "/calls/stream_query":
            return 404, {"detail": "Not Found"}
        body = req.json or {}
        extra = set(body) - _WEAVE_QUERY_KEYS
        if extra:
            return 422, {"detail": [{"type": "extra_forbidden", "loc": ["body", sorted(extra)[0]]}]}
        if body.get("project_id") != self.project:
            return 404, {"reason": f"project {body.get('project_id')!r} not found"}
        calls = [c for c in self.calls if c["project_id"] == self.project]
        if (body.get("filter") or {}).get("trace_roots_only"):
            calls = [c for c in calls if c["parent_id"] is None]
        if body.get("query"):
            keep = _weave_expr(body["query"]["$expr"])
            calls = [c for c in calls if keep(c)]
        for sort in reversed(body.get("sort_by") or []):
            calls.sort(key=lambda c: parse_time(c[sort["field"]]), reverse=sort["direction"] == "desc")
        offset = body.get("offset") or 0
        limit = body.get("limit")
        calls = calls[offset:offset + limit] if limit is not None else calls[offset:]
        lines = []
        for call in calls:
            call = json.loads(json.dumps(call))
            weave = (call.get("summary") or {}).get("weave") or {}
            if not body.get("include_feedback"):
                weave.pop("feedback", None)
            if not body.get("include_costs"):
                weave.pop("costs", None)
            if body.get("columns"):
                call = {k: v for k, v in call.items() if k in body["columns"] or k in ("id", "project_id")}
            lines.append(json.dumps(call))
        text = self.mangle(body, lines) if self.mangle else ("\n".join(lines) + ("\n" if lines else "")).encode()
        return 200, text, {"Content-Type": "application/jsonl"}


def _weave_expr(expr: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    (op, args), = expr.items()
    if op == "$and":
        parts = [_weave_expr(a) for a in args]
        return lambda c: all(p(c) for p in parts)
    if op == "$not":
        inner = _weave_expr(args[0])
        return lambda c: not inner(c)
    if op in ("$gte", "$gt"):
        fld, lit = args[0]["$getField"], float(args[1]["$literal"])
        if op == "$gte":
            return lambda c: parse_time(c[fld]) >= lit
        return lambda c: parse_time(c[fld]) > lit
    raise ValueError(f"unsupported operation {op}")


# --------------------------------------------------------------------------- MLflow


@dataclass
class MLRun:
    """An MLflow run: ``metrics`` maps a key to its history ``[(timestamp_s, value, step)]``."""

    run_id: str
    start_time: float
    metrics: dict[str, list[tuple[float, Any, int]]]
    status: str = "FINISHED"
    tags: dict[str, str] = field(default_factory=dict)
    experiment_id: str = "42"

    def latest(self) -> list[dict[str, Any]]:
        out = []
        for key, history in self.metrics.items():
            t, v, step = max(history, key=lambda h: (h[2], h[0]))
            out.append({"key": key, "value": v, "timestamp": int(round(t * 1000)), "step": step})
        return out

    def end_time(self) -> float | None:
        """Just after its last metric; None while it runs (MLflow answers no end_time then)."""
        if self.status == "RUNNING":
            return None
        return max((h[0] for hs in self.metrics.values() for h in hs), default=self.start_time) + 0.001

    def json(self) -> dict[str, Any]:
        end = self.end_time()
        return {
            "info": {"run_id": self.run_id, "run_uuid": self.run_id, "experiment_id": self.experiment_id,
                     "run_name": f"eval-{self.run_id[:6]}", "user_id": "ci", "status": self.status,
                     "start_time": int(self.start_time * 1000),
                     **({"end_time": int(round(end * 1000))} if end is not None else {}),
                     "artifact_uri": f"mlflow-artifacts:/{self.experiment_id}/{self.run_id}/artifacts",
                     "lifecycle_stage": "active"},
            "data": {"metrics": self.latest(), "params": [{"key": "model", "value": "gpt-4o-mini"}],
                     "tags": [{"key": k, "value": v} for k, v in self.tags.items()]},
            "inputs": {"dataset_inputs": []},
        }


@dataclass
class MLTrace:
    """An MLflow trace (times in seconds; status OK / ERROR / IN_PROGRESS)."""

    request_time: float
    duration_ms: float
    status: str = "OK"
    assessments: dict[str, float] = field(default_factory=dict)
    total_tokens: int = 0
    trace_id: str = field(default_factory=lambda: "tr-" + uuid.uuid4().hex)


def _mlflow_error(status: int, code: str, message: str) -> Answer:
    return status, {"error_code": code, "message": message}


class MLflowAPI(FakeServer):
    """The MLflow tracking server endpoints slotui uses, over ``runs`` and ``traces``.

    ``trace_metrics=False`` makes ``/api/3.0/mlflow/traces/metrics`` answer 404
    ``ENDPOINT_NOT_FOUND`` like an MLflow 2 server. Metric values are sent as
    MLflow does (NaN as the string ``"NaN"``). ``token`` is required as a Bearer
    token (401 otherwise).
    """

    def __init__(self, runs: Sequence[MLRun] = (), traces: Sequence[MLTrace] = (), *,
                 experiment: str = "support-bot-evals", experiment_id: str = "42", token: str = "mlflow-token",
                 trace_metrics: bool = True, lifecycle_stage: str = "active", **kw: Any) -> None:
        self.lifecycle_stage = lifecycle_stage
        self.runs = list(runs)
        self.traces = list(traces)
        self.experiment = experiment
        self.experiment_id = experiment_id
        self.token = token
        self.trace_metrics = trace_metrics
        super().__init__(self._route, **kw)

    def _route(self, req: Request) -> Answer:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return 401, b"<html><body>401 Unauthorized</body></html>"
        p = req.path
        experiment = {"experiment": {"experiment_id": self.experiment_id, "name": self.experiment,
                                     "artifact_location": f"mlflow-artifacts:/{self.experiment_id}",
                                     "lifecycle_stage": self.lifecycle_stage, "last_update_time": 1700000000000,
                                     "creation_time": 1700000000000, "tags": []}}
        if req.method == "GET" and p == "/api/2.0/mlflow/experiments/get-by-name":
            if req.query.get("experiment_name") != self.experiment:
                return _mlflow_error(404, "RESOURCE_DOES_NOT_EXIST",
                                     f"Could not find experiment with name '{req.query.get('experiment_name')}'")
            return 200, experiment
        if req.method == "GET" and p == "/api/2.0/mlflow/experiments/get":
            # As MLflow 3.17: an unknown id is 404 RESOURCE_DOES_NOT_EXIST, a non-integer one 400.
            wanted = req.query.get("experiment_id", "")
            if not wanted.isdigit():
                return _mlflow_error(400, "INVALID_PARAMETER_VALUE", f"Invalid experiment ID '{wanted}'. "
                                     "Experiment ID must be a valid integer.")
            if wanted != self.experiment_id:
                return _mlflow_error(404, "RESOURCE_DOES_NOT_EXIST", f"No Experiment with id={wanted} exists")
            return 200, experiment
        if req.method == "POST" and p == "/api/2.0/mlflow/runs/search":
            return self._runs_search(req.json or {})
        if req.method == "GET" and p == "/api/2.0/mlflow/metrics/get-history":
            run = next((r for r in self.runs if r.run_id == req.query.get("run_id")), None)
            if run is None:
                return _mlflow_error(404, "RESOURCE_DOES_NOT_EXIST", f"Run '{req.query.get('run_id')}' not found")
            history = sorted(run.metrics.get(req.query.get("metric_key", ""), []), key=lambda h: h[0])
            # As MLflow 3.17: oldest first, max_results per page, next_page_token while more are left.
            offset = int(req.query.get("page_token") or 0)
            size = int(req.query.get("max_results") or len(history) or 1)
            answer: dict[str, Any] = {"metrics": [
                {"key": req.query["metric_key"], "value": v, "timestamp": int(round(t * 1000)), "step": step}
                for t, v, step in history[offset:offset + size]]}
            if offset + size < len(history):
                answer["next_page_token"] = str(offset + size)
            return 200, answer
        if req.method == "POST" and p == "/api/3.0/mlflow/traces/metrics":
            if not self.trace_metrics:
                return _mlflow_error(404, "ENDPOINT_NOT_FOUND",
                                     "No API found for 'POST /api/3.0/mlflow/traces/metrics'")
            return self._trace_metrics(req.json or {})
        if req.method == "GET" and p == "/api/2.0/mlflow/traces":
            return self._trace_search(req.query)
        return _mlflow_error(404, "ENDPOINT_NOT_FOUND", f"No API found for '{req.method} {p}'")

    def _runs_search(self, body: dict[str, Any]) -> Answer:
        if body.get("experiment_ids") != [self.experiment_id]:
            return _mlflow_error(400, "INVALID_PARAMETER_VALUE", "unknown experiment ids")
        runs = [r for r in self.runs if r.experiment_id == self.experiment_id]
        for clause in filter(None, (c.strip() for c in re.split(r"\s+AND\s+", body.get("filter") or ""))):
            m = re.fullmatch(r"attributes\.start_time\s*(>=|<)\s*(\d+)", clause)
            t = re.fullmatch(r"tags\.(\w+)\s*=\s*'([^']*)'", clause)
            st = re.fullmatch(r"attributes\.status\s*=\s*'([A-Z]+)'", clause)
            end = re.fullmatch(r"attributes\.end_time\s*>=\s*(\d+)", clause)
            if m:
                bound = int(m.group(2)) / 1000
                runs = [r for r in runs if (r.start_time >= bound if m.group(1) == ">=" else r.start_time < bound)]
            elif st:
                runs = [r for r in runs if r.status == st.group(1)]
            elif end:  # as MLflow: a run without an end (still running) never matches
                runs = [r for r in runs if r.end_time() is not None and r.end_time() >= int(end.group(1)) / 1000]
            elif t:
                runs = [r for r in runs if r.tags.get(t.group(1)) == t.group(2)]
            else:
                return _mlflow_error(400, "INVALID_PARAMETER_VALUE", f"Invalid clause(s) in filter string: '{clause}'")
        if body.get("order_by") != ["attributes.start_time DESC"]:
            return _mlflow_error(400, "INVALID_PARAMETER_VALUE", "unexpected order_by")
        runs.sort(key=lambda r: r.start_time, reverse=True)
        offset = int(body.get("page_token") or 0)
        size = int(body.get("max_results") or 1000)
        page = runs[offset:offset + size]
        answer: dict[str, Any] = {"runs": [r.json() for r in page]} if page else {}
        if offset + size < len(runs):
            answer["next_page_token"] = str(offset + size)
        return 200, answer

    def _trace_metrics(self, body: dict[str, Any]) -> Answer:
        if body.get("experiment_ids") != [self.experiment_id]:
            return _mlflow_error(400, "INVALID_PARAMETER_VALUE", "unknown experiment ids")
        # As MLflow 3.17: the range is inclusive at both ends, in whole milliseconds.
        start_ms, end_ms = int(body["start_time_ms"]), int(body["end_time_ms"])
        traces = [t for t in self.traces if start_ms <= int(round(t.request_time * 1000)) <= end_ms]
        rows: list[tuple[MLTrace, Any]] = []
        view, metric = body["view_type"], body["metric_name"]
        for f in body.get("filters") or []:
            m = re.fullmatch(r'(trace\.status|assessment\.name)\s*=\s*"([^"]*)"', f)
            if not m:
                return _mlflow_error(400, "INVALID_PARAMETER_VALUE", f"Invalid filter '{f}'")
            if m.group(1) == "trace.status":
                traces = [t for t in traces if t.status == m.group(2)]
        allowed = {("TRACES", "latency"): {"AVG", "MIN", "MAX", "PERCENTILE"},
                   ("TRACES", "trace_count"): {"COUNT"},
                   ("TRACES", "total_tokens"): {"SUM", "AVG", "MIN", "MAX", "PERCENTILE"},
                   ("ASSESSMENTS", "assessment_value"): {"AVG", "MIN", "MAX", "PERCENTILE"},
                   ("ASSESSMENTS", "assessment_count"): {"COUNT"}}.get((view, metric))
        if allowed is None:
            return _mlflow_error(400, "INVALID_PARAMETER_VALUE", f"metric_name must be one of ..., got '{metric}'")
        bad = sorted({a["aggregation_type"] for a in body["aggregations"]} - allowed)
        if bad:
            return _mlflow_error(400, "INVALID_PARAMETER_VALUE", f"Found invalid aggregation_type(s): {bad}. "
                                 f"Supported aggregation types: {sorted(allowed)}")
        if view == "TRACES":
            getter = {"latency": lambda t: t.duration_ms, "trace_count": lambda t: 1,
                      "total_tokens": lambda t: t.total_tokens}[metric]
            rows = [(t, getter(t)) for t in traces]
        else:
            names = [re.fullmatch(r'assessment\.name\s*=\s*"([^"]*)"', f) for f in body.get("filters") or []]
            wanted = next((m.group(1) for m in names if m), None)
            rows = [(t, float(v)) for t in traces for n, v in t.assessments.items() if wanted in (None, n)]
        step = body.get("time_interval_seconds")
        groups: dict[Any, list[Any]] = {}
        for t, v in rows:
            key = (int(round(t.request_time * 1000)) // (step * 1000) * step) if step else None
            groups.setdefault(key, []).append(v)
        points = []
        for key, values in sorted(groups.items(), key=lambda kv: kv[0] or 0):
            out = {}
            for agg in body["aggregations"]:
                kind = agg["aggregation_type"]
                if kind == "PERCENTILE":
                    pct = float(agg["percentile_value"])
                    out[f"P{pct:.1f}"] = percentile_linear(values, pct / 100)
                elif kind == "COUNT":
                    out["COUNT"] = len(values)
                elif kind == "AVG":
                    out["AVG"] = sum(values) / len(values)
                elif kind == "SUM":
                    out["SUM"] = sum(values)
                elif kind in ("MIN", "MAX"):
                    out[kind] = min(values) if kind == "MIN" else max(values)
            dims = {"time_bucket": iso(key)} if key is not None else {}
            points.append({"metric_name": metric, "dimensions": dims, "values": out})
        # As MLflow 3.17: at most max_results points, oldest bucket first, and never a next_page_token.
        return 200, {"data_points": points[:int(body.get("max_results") or 1000)]}

    def _trace_search(self, query: dict[str, str]) -> Answer:
        if query.get("experiment_ids") != self.experiment_id:
            return _mlflow_error(400, "INVALID_PARAMETER_VALUE", "unknown experiment ids")
        m = re.fullmatch(r"timestamp_ms >= (\d+) AND timestamp_ms < (\d+)", query.get("filter", ""))
        if not m:
            return _mlflow_error(400, "INVALID_PARAMETER_VALUE", f"Invalid filter {query.get('filter')!r}")
        lo, hi = int(m.group(1)) / 1000, int(m.group(2)) / 1000
        traces = sorted((t for t in self.traces if lo <= t.request_time < hi), key=lambda t: -t.request_time)
        offset = int(query.get("page_token") or 0)
        size = int(query.get("max_results") or 100)
        page = traces[offset:offset + size]
        answer: dict[str, Any] = {"traces": [{
            "request_id": t.trace_id, "experiment_id": self.experiment_id,
            "timestamp_ms": int(round(t.request_time * 1000)), "execution_time_ms": int(round(t.duration_ms)),
            "status": t.status, "request_metadata": [{"key": "mlflow.traceInputs", "value": "{}"}],
            "tags": [{"key": "mlflow.traceName", "value": "chat"}]} for t in page]}
        if offset + size < len(traces):
            answer["next_page_token"] = str(offset + size)
        return 200, answer


async def fetch_ok(fake: FakeServer, source: Callable[[str], Any], specs: Sequence[Any], now: float) -> tuple[Any, dict]:
    """Every SLO of ``specs`` fetched at ``now`` from a source built by ``source(url)`` on ``fake``
    (the server stopped after), none of them in error. A backfill that ran out of its time budget
    (a loaded machine) is resumed by fetching again at the same ``now``, as the next ticks would."""
    with fake:
        src = source(fake.url)
        try:
            got = await src.fetch(specs, now)
            for _ in range(20):
                if not any("backfill in progress" in (d.note or "") for d in got.values()):
                    break
                got = await src.fetch(specs, now)
        finally:
            await src.aclose()
    assert all(d.error is None for d in got.values()), {k: d.error for k, d in got.items()}
    return fake, dict(got)
