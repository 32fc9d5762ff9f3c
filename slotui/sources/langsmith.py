"""LangSmith source: run statistics of a tracing project through the ``langsmith`` SDK.

The SDK (``langsmith.Client``, imported on the first fetch: it costs ~450 ms)
is built with the configured ``api_url`` and ``api_key``, no tracing thread
(``auto_batch_tracing=False``), a timeout equal to the source's and no retries
of its own (slotui retries within the fetch's time budget). Its blocking calls
run in threads (``asyncio.to_thread``), at most ``max_concurrency`` at a time.
The project is resolved to its id once (``read_project``, ``GET /sessions``),
then every question is one ``get_run_stats`` (``POST /runs/stats``) over a
time range ``[start_time, end_time)`` of root runs (``is_root``; set
``params.is_root: false`` for all runs) matching ``params.filter`` (a LangSmith
filter such as ``eq(name, "chat")``).

What each SLO means here (``query:`` for threshold SLOs, ``ratio:`` for ratios):

- ``availability`` / ``success_rate``: ``1 - error_rate`` (threshold, higher is
  better); ``error_rate`` (lower);
- ``feedback:KEY``: the mean feedback score ``feedback_stats[KEY].avg``;
  ``sli: {field: KEY, agg: mean}`` and the seed's ``quality_slos`` /
  ``avg(KEY) < X`` rules mean the same;
- ``cost_per_run``: ``total_cost / run_count`` (USD; ``sli: {field: cost}``);
  ``total_cost``, ``run_count``, ``total_tokens``, ``tokens_per_run``;
- ``latency_p50`` / ``latency_p99`` (seconds; ``_ms`` suffix for milliseconds;
  ``first_token_p50`` / ``first_token_p99`` alike): LangSmith gives only p50
  and p99, so for a p95 objective use the share of slow runs:
- ``slower_than:X`` (``X`` like ``2s`` or ``2500ms``): share of runs with
  ``latency > X`` (threshold, lower is better), from two counts: runs matching
  ``gt(latency, X)`` and all runs;
- ratio ``good: success`` (also ``ok``, ``not error``): ``good = round(run_count
  * (1 - error_rate))``, ``total = run_count``;
- ratio ``good: "latency <= X"`` (or ``< X``): ``good = total - count(gt(latency, X))``
  (``gte`` for ``<``): the share of runs not slower than X;
- ratio ``good: FILTER`` (any other LangSmith filter): runs matching it;
  ``total:`` may restrict the events with another filter.

History: the first fetch backfills the period in coarse spans (default one
hour, ``params.backfill_step`` to change) and the edges in slices; later
fetches ask only new slices (:mod:`slotui.sources.kit.backfill`). A total
(``run_count``, ``total_cost``, ``total_tokens``) asked over an hour is spread
over its twelve slices, so every slice compares one slice's worth with the
threshold. A 30-day period
at 5-minute slices is ~744 requests instead of 8,640, spread over several
fetches when it does not fit in one fetch's time budget.

Sample counts (SPEC 10.2): per-run figures (rates, means, percentiles, the
share of slow runs) report ``n`` = the runs counted, feedback averages the
feedback's own ``n``; totals report none.

Breakdown (SPEC 10.1): ``get_run_stats`` answers one aggregate per filter, so
a breakdown would need one call per label value and a way to list the values
in the window; it is not done: SLOs with ``breakdown`` say "breakdown not
supported by this source".

No-data rules: zero runs, a null or ``"NaN"`` statistic, or a feedback key
without scores is no data for that point. A statistic LangSmith could not have
meant (a rate outside [0, 1], ``feedback_stats`` that is not an object) is an
error on the SLOs reading it, never clamped into a number. A filter LangSmith rejects (400/422)
is an error on that SLO. 401 ("unauthorized"), 403, 429 (retried, honouring
Retry-After within the timeout), 5xx, timeouts, connection failures, malformed
JSON and an unknown project are source errors; messages never hold the key.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.config.secrets import Redactor, clip, mask_url, url_password
from slotui.core.types import SLIData, SLOSpec
from slotui.sources.kit.backfill import Counted, Measure, RangeSource
from slotui.sources.kit.base import QueryError
from slotui.sources.kit.base import SourceError, resolve_timeout
from slotui.sources.kit.html_page import html_summary, is_html
from slotui.sources.kit.retry_after import parse_retry_after
from slotui.sources.kit.runtime import FETCH_DEADLINE
from slotui.sources.kit.values import NotANumber, count_number, sli_number

if TYPE_CHECKING:
    from slotui.config.model import LangSmithSourceConfig

#: Tries per statistics request (the first one included).
MAX_ATTEMPTS = 3

_STAT_FIELDS = {
    "error_rate": "error_rate",
    "latency_p50": "latency_p50",
    "latency_p99": "latency_p99",
    "first_token_p50": "first_token_p50",
    "first_token_p99": "first_token_p99",
    "total_cost": "total_cost",
    "total_tokens": "total_tokens",
    "run_count": "run_count",
    "streaming_rate": "streaming_rate",
    "median_tokens": "median_tokens",
}
#: statistics that are totals over the range, not per-run figures (no ``n``)
_TOTALS = frozenset({"total_cost", "total_tokens", "run_count"})
#: statistics that are shares of runs, within [0, 1]
_RATES = frozenset({"error_rate", "streaming_rate"})
_SUCCESS = {"success", "ok", "not error", "error == false", "error == null"}
#: ``latency <= X`` / ``latency < X``; X is read by :func:`_seconds` (a malformed X is an error on the SLO)
_LATENCY_GOOD = re.compile(r"^\s*latency\s*(<=|<)\s*(.+?)\s*$", re.IGNORECASE)
#: one number (``[0-9.]+`` let ``2.5.1`` through to float(), which crashed the fetch) and a unit
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*$", re.IGNORECASE)


def _seconds(text: str) -> float:
    m = _DURATION.match(text)
    if not m:
        raise QueryError(f"expected a latency such as 2s or 2500ms (got {text!r})")
    value = float(m.group(1))
    return value / 1000.0 if (m.group(2) or "s").lower() == "ms" else value


def _and(*filters: str | None) -> str | None:
    parts = [f for f in filters if f]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "and(" + ", ".join(parts) + ")"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="microseconds")


#: what each LangSmith API path answers, for a "malformed answer" message
_EXPECTED = {
    "sessions": "a JSON list of projects (tracer sessions) with id and name",
    "runs/stats": "a JSON object of run statistics (run_count, latency_p50, ...)",
}

class LangSmithSource(RangeSource):
    """A LangSmith tracing project as a slotui source (see the module docstring)."""

    def __init__(
        self,
        name: str,
        config: "LangSmithSourceConfig",
        *,
        base_dir: Path | None = None,
        defaults: Any = None,
    ) -> None:
        self.name = name
        self.config = config
        self.timeout = resolve_timeout(config, defaults)
        self.concurrency = config.max_concurrency
        self.api_url = config.api_url.rstrip("/")
        # what messages show: a password in the URL's user-info masked (``https://bob:****@host``)
        self._shown_url = mask_url(self.api_url)
        self._redact = Redactor([s for s in (config.api_key, url_password(self.api_url)) if s])
        self._client: Any = None
        self._session: Any = None
        self._project_id: str | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._client_lock = threading.Lock()
        self.requests_made = 0

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(_close_client, client)

    # ------------------------------------------------------------------ queries

    def measure_for(self, spec: SLOSpec) -> Measure:
        params = dict(spec.params or {})
        base = params.get("filter")
        if base is not None and not isinstance(base, str):
            raise QueryError("params.filter must be a LangSmith filter string such as 'eq(name, \"chat\")'")
        is_root = params.get("is_root", True)
        if is_root is not None and not isinstance(is_root, bool):
            raise QueryError("params.is_root must be true, false or null")
        if spec.kind == "ratio":
            good = (spec.good or "").strip()
            total_filter = _and(base, spec.total.strip() if spec.total else None)
            if not good:
                raise QueryError("a ratio SLO on langsmith needs ratio.good: success, 'latency <= 2s' or a filter")
            if good.lower() in _SUCCESS:
                return Measure(("success", total_filter, is_root), "ratio")
            m = _LATENCY_GOOD.match(good)
            if m:
                bound = _seconds(m.group(2))
                op = "gt" if m.group(1) == "<=" else "gte"
                return Measure(("not_matching", total_filter, f"{op}(latency, {bound:g})", is_root), "ratio")
            return Measure(("matching", total_filter, good, is_root), "ratio")
        metric = self._metric_name(spec)
        if metric.startswith("slower_than:"):
            bound = _seconds(metric.split(":", 1)[1])
            return Measure(("share", base, f"gt(latency, {bound:g})", is_root), "threshold")
        if metric.startswith("feedback:"):
            key = metric.split(":", 1)[1].strip()
            if not key:
                raise QueryError("feedback: needs a feedback key, e.g. feedback:helpfulness")
            return Measure(("feedback", base, key, is_root), "threshold")
        scale = 1.0
        name = metric
        if name.endswith("_ms") and name[:-3] in ("latency_p50", "latency_p99", "first_token_p50", "first_token_p99"):
            name, scale = name[:-3], 1000.0
        if name in ("availability", "success_rate", "cost_per_run", "tokens_per_run") or name in _STAT_FIELDS:
            # totals add up over time: a coarse backfill span is spread over its slices
            return Measure(("stat", base, name, scale, is_root), "threshold", extensive=name in _TOTALS)
        raise QueryError(
            f"unknown LangSmith metric {metric!r}; expected availability, error_rate, feedback:KEY, cost_per_run, "
            "latency_p50[_ms], latency_p99[_ms], slower_than:2s, total_cost, run_count, total_tokens, tokens_per_run"
        )

    @staticmethod
    def _metric_name(spec: SLOSpec) -> str:
        if spec.query:
            return spec.query.strip()
        field = (spec.sli_field or "").strip()
        agg = (spec.sli_agg or "mean").lower()
        if not field:
            raise QueryError("a threshold SLO on langsmith needs query: (e.g. feedback:helpfulness) or sli.field")
        for prefix in ("feedback.", "evaluations.", "feedback:"):
            if field.startswith(prefix):
                field = field[len(prefix):]
                break
        if field in ("latency", "latency_s") and agg in ("p50", "p99", "median"):
            return "latency_p50" if agg in ("p50", "median") else "latency_p99"
        if field in ("cost", "total_cost") and agg == "mean":
            return "cost_per_run"
        if agg not in ("mean", "avg"):
            raise QueryError(f"LangSmith gives the mean of feedback scores, not {agg} (field {field!r})")
        return f"feedback:{field}"

    # ------------------------------------------------------------------ answers

    async def measure(self, measure: Measure, start: float, end: float) -> Any:
        kind = measure.key[0]
        if kind == "stat":
            _, base, name, scale, is_root = measure.key
            stats = await self._stats(base, is_root, start, end)
            value = _stat_value(stats, name)
            value = None if value is None else value * scale
            # a per-run figure (rate, mean, percentile) stands on the runs counted (n, SPEC 10.2)
            return value if name in _TOTALS else Counted(value, int(_count(stats)))
        if kind == "feedback":
            _, base, key, is_root = measure.key
            stats = await self._stats(base, is_root, start, end)
            feedback = stats.get("feedback_stats") or {}
            if not isinstance(feedback, Mapping):
                raise QueryError(f"LangSmith answered feedback_stats as {type(feedback).__name__}; expected an object")
            entry = feedback.get(key)
            if entry is None:
                return None
            if not isinstance(entry, Mapping):
                raise QueryError(f"LangSmith answered feedback_stats[{key!r}] as {type(entry).__name__}; "
                                 "expected an object with n and avg")
            avg = _number(entry.get("avg"), f"feedback_stats[{key!r}].avg")
            n = _number(entry.get("n"), f"feedback_stats[{key!r}].n")
            if n is not None and n <= 0:
                return None  # no scores: an avg of 0 beside n 0 read as a score of 0 (CRITICAL)
            return avg if n is None else Counted(avg, int(n))
        if kind == "share":
            _, base, slow, is_root = measure.key
            everything, slow_stats = await asyncio.gather(
                self._stats(base, is_root, start, end), self._stats(_and(base, slow), is_root, start, end)
            )
            total = _count(everything)
            # two requests: a run landing between them may count as slow but not in the total
            return Counted(min(_count(slow_stats), total) / total, int(total)) if total > 0 else None
        if kind == "success":
            _, base, is_root = measure.key
            stats = await self._stats(base, is_root, start, end)
            total = _count(stats)
            if total <= 0:
                return (0.0, 0.0)
            error_rate = _rate(stats, "error_rate")
            if error_rate is None:
                return None
            good = float(round(total * (1.0 - error_rate)))
            return (good, total)
        if kind in ("not_matching", "matching"):
            _, base, extra, is_root = measure.key
            everything, matching = await asyncio.gather(
                self._stats(base, is_root, start, end), self._stats(_and(base, extra), is_root, start, end)
            )
            total = _count(everything)
            hits = min(_count(matching), total)
            return (total - hits if kind == "not_matching" else hits, total)
        raise AssertionError(kind)

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Answer every SLO as of ``now`` (see the module docstring)."""
        await self._ensure_project()
        return await self.fetch_ranges(slos, now)

    # ------------------------------------------------------------------ SDK calls

    def _limiter(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore

    async def _ensure_project(self) -> None:
        if self._project_id is not None:
            return
        async with self._limiter():
            self._project_id = await asyncio.to_thread(self._read_project)

    async def _stats(self, filter_: str | None, is_root: bool | None, start: float, end: float) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "project_ids": [self._project_id],
            "start_time": _iso(start),
            "end_time": _iso(end),
        }
        if filter_:
            kwargs["filter"] = filter_
        if is_root is not None:
            kwargs["is_root"] = is_root
        async with self._limiter():
            stats = await asyncio.to_thread(self._call, "get_run_stats", kwargs, "runs/stats")
        if not isinstance(stats, dict):
            raise SourceError(f"malformed answer from {self._shown_url}/runs/stats: expected a JSON object",
                              retryable=False)
        return stats

    def _read_project(self) -> str:
        """(thread) The project's id; raises SourceError when it does not exist."""
        from langsmith import utils as ls_utils

        try:
            project = self._call("read_project", {"project_name": self.config.project}, "sessions")
        except _NotFound:
            raise SourceError(
                f"project {self.config.project!r} not found at {self._shown_url} (check project and api_key)",
                retryable=False,
            ) from None
        except ls_utils.LangSmithError as exc:  # pragma: no cover - classified in _call
            raise SourceError(self._scrub(str(exc)), retryable=False) from None
        return str(project.id)

    def _make_client(self) -> Any:
        """(thread) The SDK client, built once; the import happens here, off the event loop."""
        with self._client_lock:
            if self._client is not None:
                return self._client
            import requests
            from langsmith import Client
            from urllib3.util.retry import Retry

            outer = self

            class RecordingSession(requests.Session):
                """Remembers, per thread, the Retry-After of the last 429 answer (the SDK drops it)."""

                local = threading.local()

                def request(self, *args: Any, **kwargs: Any) -> Any:
                    outer.requests_made += 1
                    kwargs["stream"] = True  # read below, never beyond max_body_bytes
                    response = super().request(*args, **kwargs)
                    limited = response.status_code in (429, 503)
                    self.local.retry_after = response.headers.get("Retry-After") if limited else None
                    self.local.page = None
                    try:
                        response._content = outer._read_capped(response)  # noqa: SLF001 - requests' body slot
                    finally:
                        response.close()
                    head = response._content[:4096].decode("utf-8", "replace")  # noqa: SLF001
                    if is_html(head, str(response.headers.get("Content-Type") or "")):
                        self.local.page = html_summary(head)  # why the SDK's response.json() will fail
                    return response

                def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
                    """On a redirect to another origin, drop every credential, not only Authorization:
                    the SDK's ``x-api-key`` (and any ``X-`` header it adds) and cookies stay home."""
                    from slotui.config.secrets import is_credential_header

                    if self.should_strip_auth(response.request.url, prepared_request.url):
                        for header in list(prepared_request.headers):
                            if is_credential_header(header) or header.lower().startswith("x-"):
                                del prepared_request.headers[header]
                    super().rebuild_auth(prepared_request, response)

            session = RecordingSession()
            timeout_ms = max(1, int(self.timeout * 1000))
            self._session = session
            self._client = Client(
                api_url=self.config.api_url,
                api_key=self.config.api_key or None,
                auto_batch_tracing=False,
                session=session,
                timeout_ms=(timeout_ms, timeout_ms),
                retry_config=Retry(total=0, raise_on_status=False, raise_on_redirect=False),
            )
            return self._client

    def _read_capped(self, response: Any) -> bytes:
        """(thread) The body of a streamed ``requests`` answer, read no further than ``max_body_bytes``."""
        import urllib3.exceptions

        from slotui.sources.kit.http_client import ResponseTooLarge, display_url

        shown = display_url(str(response.url).split("?", 1)[0])
        cap = self.config.max_body_bytes
        declared = str(response.headers.get("Content-Length") or "")
        size, chunks = 0, []
        over = cap is not None and declared.isdigit() and int(declared) > cap
        deadline = FETCH_DEADLINE.get()  # the fetch's, copied into this worker thread
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        try:
            for chunk in () if over else _arriving(response):
                size += len(chunk)
                chunks.append(chunk)
                if cap is not None and size > cap:
                    over = True
                    break
                if time.monotonic() > deadline:
                    # A body trickling in (a byte a second) never hits the read timeout: the fetch
                    # timed out, but this worker thread read on, one more stuck per tick, until the
                    # default executor had none left for the file sources and the email channel.
                    raise SourceError(f"timed out after {self.timeout:g}s reading the answer from {shown}")
        # urllib3's own errors, raised here as they are, reached the SDK's handler, which failed on
        # them ("request ... failed: AttributeError"): each is said in words instead.
        except urllib3.exceptions.ReadTimeoutError:
            raise SourceError(f"timed out after {self.timeout:g}s waiting for {shown}") from None
        except urllib3.exceptions.DecodeError:
            encoding = response.headers.get("Content-Encoding") or "its encoding"
            raise SourceError(f"cannot decode the answer from {shown} ({encoding})", retryable=False) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError, OSError) as exc:
            reason = exc.args[0] if isinstance(exc, urllib3.exceptions.ProtocolError) and exc.args else exc
            raise SourceError(f"connection to {self._shown_url} broke: {self._scrub(str(reason))}") from None
        if over:
            raise ResponseTooLarge(
                f"source {self.name!r}: answer from {shown} is larger "
                f"than max_body_bytes ({cap:,} bytes); stopped reading. Raise sources.{self.name}.max_body_bytes "
                "if answers this big are expected"
            )
        return b"".join(chunks)

    def _call(self, method: str, kwargs: dict[str, Any], path: str) -> Any:
        """(thread) One SDK call with slotui's retries; SDK errors become SourceError/QueryError."""
        client = self._make_client()
        deadline = FETCH_DEADLINE.get()
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_hold(deadline)
            try:
                return getattr(client, method)(**kwargs)
            except Exception as exc:  # noqa: BLE001 - every SDK failure is classified below
                error = self._classify(exc, path)
            retry_after = getattr(error, "retry_after", None)
            if retry_after:  # the rest of this fetch's calls wait for it too (they were all sent)
                self._hold = (time.monotonic() + float(retry_after), error, FETCH_DEADLINE.get())
            if isinstance(error, (QueryError, _NotFound)) or not error.retryable or attempt >= MAX_ATTEMPTS:
                raise error
            delay = self._retry_delay(attempt)
            if time.monotonic() + delay >= deadline:
                raise error
            time.sleep(delay)  # backoff in this worker thread, within the fetch's budget

    def _wait_for_hold(self, deadline: float) -> None:
        """(thread) Before a call: wait out a ``Retry-After`` this fetch was given when it ends within
        the budget, else fail at once with that error, sending nothing (as the httpx sources do)."""
        from slotui.sources.kit.retry_after import hold_to_wait

        left = hold_to_wait(getattr(self, "_hold", (0.0, None, None)), FETCH_DEADLINE.get(), deadline)
        if left:
            time.sleep(left)  # in this worker thread, within the fetch's budget

    def _retry_after(self) -> tuple[float | None, float | None]:
        """(thread) The ``Retry-After`` of this thread's last 429/503 answer: (seconds, epoch of a date)."""
        raw = getattr(getattr(self._session, "local", None), "retry_after", None) if self._session else None
        return parse_retry_after(raw)

    def _retry_delay(self, attempt: int) -> float:
        seconds, _ = self._retry_after()
        if seconds is not None:
            return seconds
        return min(2.0, 0.1 * (2 ** (attempt - 1)))

    def _waiting(self, error: SourceError) -> SourceError:
        """``error`` (a 429/503) with the server's ``Retry-After`` on it, so the runtime leaves the
        source alone until then across ticks (it was dropped: every tick asked again)."""
        seconds, at = self._retry_after()
        if seconds is not None:
            error.retry_after = seconds  # type: ignore[attr-defined]
            error.retry_at = at  # type: ignore[attr-defined]
            error.args = (f"{error}; retry after {seconds:g}s",)
        return error

    def _classify(self, exc: Exception, path: str) -> Exception:
        import requests
        from langsmith import utils as ls_utils

        where = f"{self._shown_url}/{path}"
        cause: BaseException | None = exc
        while cause is not None:  # the SDK wraps what our session raised (an answer over max_body_bytes)
            if isinstance(cause, SourceError):
                return cause
            cause = cause.__cause__
        if isinstance(exc, ls_utils.LangSmithAuthError):
            return SourceError(f"unauthorized (check api_key): HTTP 401 from {where}", retryable=False)
        if isinstance(exc, ls_utils.LangSmithRateLimitError):
            return self._waiting(SourceError(f"rate limited: HTTP 429 from {where}"))
        if isinstance(exc, ls_utils.LangSmithNotFoundError):
            if path == "sessions":
                return _NotFound()
            if path == "runs/stats":
                # The id looked up once is gone (the project was deleted, or recreated under a new
                # id): it read "check api_url" on every fetch for good. Look the project up again.
                self._project_id = None
                return SourceError(
                    f"project {self.config.project!r} not found at {self._shown_url} (HTTP 404 from {where}): "
                    "deleted or recreated since it was looked up; looking it up again at the next fetch",
                    retryable=False,
                )
            return SourceError(f"not found (check api_url): HTTP 404 from {where}", retryable=False)
        if isinstance(exc, ls_utils.LangSmithAPIError):
            return SourceError(f"server error: HTTP 500 from {where}{self._detail(exc)}")
        if isinstance(exc, (ls_utils.LangSmithConnectionError, requests.ConnectionError)):
            if isinstance(exc.__cause__, requests.Timeout) or isinstance(exc, requests.Timeout):
                return SourceError(f"timed out after {self.timeout:g}s waiting for {where}")
            return SourceError(f"cannot connect to {self._shown_url}{_errno_reason(exc)}")
        if isinstance(exc, requests.Timeout):
            return SourceError(f"timed out after {self.timeout:g}s waiting for {where}")
        if isinstance(exc, (ValueError, TypeError)) and not isinstance(exc, ls_utils.LangSmithError):
            # response.json() failed, or the answer did not fit the SDK's models.
            page = getattr(getattr(self._session, "local", None), "page", None) if self._session else None
            if page is not None:
                return SourceError(f"an HTML page, not JSON, from {where} (a login page or a proxy in the way?): "
                                   f"{self._scrub(page) or 'no title'!r}", retryable=False)
            what = _EXPECTED.get(path, "the LangSmith API's JSON")
            reason = ""
            if exc.__class__.__name__ == "JSONDecodeError":
                reason = " (an empty body)" if not getattr(exc, "doc", "x").strip() else " (the body is not JSON)"
            # (it named a Python exception: TypeError, ValidationError, JSONDecodeError)
            return SourceError(f"malformed answer from {where}: expected {what}{reason}", retryable=False)
        if isinstance(exc, ls_utils.LangSmithUserError):
            return SourceError(clip(self._scrub(str(exc)).split("\n")[0], 200), retryable=False)
        if isinstance(exc, ls_utils.LangSmithError):
            response = _response_of(exc)
            status = response.status_code if response is not None else _status_of(str(exc))
            detail = self._detail(exc)
            if status in (400, 422):
                return QueryError(f"LangSmith rejected the query: HTTP {status}{detail}")
            if status == 403:
                return SourceError(f"forbidden (check the api_key's permissions): HTTP 403 from {where}",
                                   retryable=False)
            if status is not None and status >= 500:
                error = SourceError(f"server error: HTTP {status} from {where}{detail}")
                return self._waiting(error) if status == 503 else error
            if status is not None and 300 <= status < 400:
                return SourceError(f"HTTP {status} from {where}: a redirect that was not followed (a loop, too many "
                                   "hops, or one the source's credentials must not follow); check api_url",
                                   retryable=False)
            if status is not None:
                return SourceError(f"HTTP {status} from {where}{detail}", retryable=False)
            return SourceError(f"request to {where} failed: {exc.__class__.__name__}")
        return SourceError(f"request to {where} failed: {exc.__class__.__name__}")

    def _detail(self, exc: Exception) -> str:
        """``: <server message>`` from the HTTP answer behind an SDK error (JSON ``detail`` when present)."""
        response = _response_of(exc)
        if response is None:
            return ""
        try:
            payload = response.json()
        except ValueError:
            payload = None
        text = ""
        if isinstance(payload, dict):
            for key in ("detail", "message", "error"):
                if isinstance(payload.get(key), str):
                    text = payload[key]
                    break
        if not text:
            try:
                text = response.text or ""
            except Exception:  # noqa: BLE001 - a body we cannot decode has nothing to show
                text = ""
            if is_html(text, str(response.headers.get("Content-Type") or "")):
                text = html_summary(text, 200)  # the page's title, not its tags
        text = clip(" ".join(text.split()), 200)
        return f": {self._scrub(text)}" if text else ""

    def _scrub(self, text: str) -> str:
        """``text`` without the API key (also percent-encoded or base64) or the URL's password."""
        return self._redact(text)


class _NotFound(Exception):
    """(internal) The project lookup found nothing."""

    retryable = False


def _response_of(exc: BaseException) -> Any:
    """The ``requests`` response behind an SDK error (it raises inside ``except HTTPError``), or None."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        response = getattr(current, "response", None)
        if response is not None and hasattr(response, "status_code"):
            return response
        current = current.__cause__ or current.__context__
        seen += 1
    return None


_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\"()\]\[]+")


def _errno_reason(exc: BaseException) -> str:
    """``: [Errno 111] Connection refused`` from the chain of a connection error (the SDK's text
    wraps urllib3's in several layers), or ``""``."""
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            break
        match = _ERRNO.search(str(current))
        if match:
            return f": {match.group(0).strip()}"
        current = current.__cause__ or current.__context__
    return ""


def _status_of(text: str) -> int | None:
    m = re.search(r"\b([1-5]\d\d) (?:Client|Server) Error", text)
    return int(m.group(1)) if m else None


def _number(raw: Any, what: str) -> float | None:
    try:
        return sli_number(raw)
    except NotANumber as exc:
        raise QueryError(f"LangSmith answered a non-number for {what}: {exc}") from None


def _count(stats: Mapping[str, Any]) -> float:
    try:
        return count_number(stats.get("run_count"))
    except NotANumber as exc:
        raise QueryError(f"LangSmith answered a non-number for run_count: {exc}") from None


def _stat_value(stats: Mapping[str, Any], name: str) -> float | None:
    runs = _count(stats)
    if name in ("availability", "success_rate"):
        rate = _rate(stats, "error_rate") if runs > 0 else None
        return None if rate is None else 1.0 - rate
    if name == "cost_per_run":
        cost = _number(stats.get("total_cost"), "total_cost") if runs > 0 else None
        return None if cost is None else cost / runs
    if name == "tokens_per_run":
        tokens = _number(stats.get("total_tokens"), "total_tokens") if runs > 0 else None
        return None if tokens is None else tokens / runs
    if name == "run_count":
        return runs
    if name in ("total_cost", "total_tokens") and runs <= 0:
        return 0.0
    if runs <= 0:
        return None
    if name in _RATES:
        return _rate(stats, name)
    return _number(stats.get(_STAT_FIELDS[name]), name)


def _rate(stats: Mapping[str, Any], name: str) -> float | None:
    """A share of runs (``error_rate``, ``streaming_rate``): a number in [0, 1], or None (no data).

    Outside [0, 1] it is not a share: ``1 - 1.5`` showed an availability of -50% and a negative
    rate one above 100% (the ratio path clamped it to all-good or all-bad); a QueryError instead."""
    rate = _number(stats.get(name), name)
    if rate is not None and not 0.0 <= rate <= 1.0:
        raise QueryError(f"LangSmith answered {name} {rate:g}, outside [0, 1]; a share of runs cannot be that")
    return rate


def _arriving(response: Any) -> Any:
    """(thread) The (decoded) body of a streamed ``requests`` answer as it arrives: ``read1`` returns
    what the socket has (``iter_content`` waits for each whole 64 KiB chunk, however slowly it comes)."""
    read1 = getattr(response.raw, "read1", None)
    if read1 is None:  # urllib3 < 2.3
        yield from response.iter_content(65536)
        return
    while True:
        chunk = read1(65536, decode_content=True)
        if not chunk:
            return
        yield chunk


def _close_client(client: Any) -> None:
    session = getattr(client, "session", None)
    if session is not None:
        session.close()
