"""W&B Weave source: calls from the trace server's ``POST /calls/stream_query``, aggregated here.

Weave has no aggregate API for calls, so slotui asks for the project's root
calls (``filter.trace_roots_only``) started in a time range (``query`` with
``$gte`` / ``$not $gte`` on ``started_at``, epoch seconds), sorted by start,
with costs and feedback included, page by page (``limit``/``offset``); the
answer is JSON lines, one call per line. Authentication is HTTP basic with
user ``api`` and the W&B API key as password (as the W&B clients do).

Each finished call becomes a record (its time is ``ended_at``, the end of the request, as
SPEC's records have it; calls are asked by ``started_at``) with:

``latency_ms`` / ``latency_s``
    ``summary.weave.latency_ms``, else ``ended_at - started_at`` (a call that
    ended before it started is negative: skipped by the SLIs, counted in the note);
``error``, ``exception``, ``status``
    ``error`` is true when ``exception`` is set or the status is ``error``;
``cost``
    the sum over models of ``summary.weave.costs[*].prompt_tokens_total_cost +
    completion_tokens_total_cost`` (USD); a part that is there but no number
    (``"NaN"``) makes the call's cost unknown (skipped, ``cost not finite`` in
    the note), never a sum short of it;
``tokens``
    the sum over models of ``summary.usage[*].total_tokens`` (else prompt +
    completion, or input + output tokens), unknown alike;
``feedback.NAME``
    the mean of the numeric feedback NAME on the call: a scorer's
    ``wandb.runnable.NAME`` output (a number or boolean; a dict output gives
    ``NAME.KEY`` per numeric key and NAME for its ``score``), a human
    annotation's ``wandb.annotation.NAME`` ``payload.value``, a custom
    feedback type's ``payload.output`` / ``score`` / ``value``, and
    ``reaction`` (👍 = 1, 👎 = 0, any skin tone: the payload's ``detoned``);
    a feedback that is no number (a categorical ``"pass"``) is kept as sent
    when the call has no numeric one of that name, so the SLO's note names it
    (``feedback.NAME is a string, not a number``) instead of it vanishing;
``model``
    the model the call used: the one key of ``summary.usage`` (else of
    ``summary.weave.costs``); several models are joined with ``+`` in name
    order; null without usage;
``op``, ``op_name``, ``display_name``, ``summary``
    for conditions (``op`` is the short op name of the ``weave:///.../op/NAME:digest`` ref).

Breakdown (SPEC 10.1) and sample counts (SPEC 10.2) work as on the file
source: ``breakdown: [model, op]`` groups the calls by any record field
(``feedback.NAME`` too), and every SLI reports ``n`` and its interval.

SLOs use the request-log language of the file source on these records:
``sli: {field: latency_ms, agg: p95}`` (or ``query: "latency_ms:p95"``),
``sli: {field: feedback.helpfulness, agg: mean}``, ``sli: {field: cost}``,
``ratio: {good: success}`` (``error == false``) or any condition
(``good: "latency_ms <= 2000"``, ``total: 'op == "predict"'``). Calls still
running are left out until they end.

History: the first fetch reads the calls of the longest period (plus the
longest tier window) page by page, newest state kept per call id; it is
resumable (pages ingested as they arrive, no new page after the fetch's soft
deadline, a note while it is not complete). The read is complete only at a
page holding fewer *lines* than asked (a line that is not JSON still counts
as one: it is left out, and the page was still full), and never at a page
whose last line is cut short (a body ending inside a JSON line: the next page
starts at that call again). A page larger than ``max_body_bytes`` is asked
again in halves (the smaller page size is kept), and so is a page that took
half the fetch's timeout or more (it would time out at every tick, the read
never moving). Later fetches re-read from 15
minutes before the newest call seen (or the oldest call seen running, at most
one hour back), so calls that ended since are updated, not counted twice.

No-data rules: a window without finished calls is no data; ``null`` and
``"NaN"`` numbers are left out. A condition that does not parse is an error on
that SLO; 401/403, 429 (retried honouring Retry-After within the timeout),
5xx, timeouts and a body that is not JSON lines are source errors; messages
never hold the API key.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.config.secrets import clip
from slotui.core.types import SLIData, SLOSpec
from slotui.core.sums import exact_mean
from slotui.sources.kit.backfill import soft_deadline
from slotui.sources.kit.base import SourceError
from slotui.sources.kit.http_client import HTTPStatusError, MalformedResponse, ResponseTooLarge
from slotui.sources.kit.http_source import HTTPSource
from slotui.sources.kit.records import JSON_ERRORS, api_time, loads_json
from slotui.sources.kit.series_book import SeriesBook, SpecProblem, retention
from slotui.sources.kit.values import NotANumber, sli_number

if TYPE_CHECKING:
    import httpx

    from slotui.config.model import Defaults, WeaveSourceConfig

PATH = "calls/stream_query"
#: Calls per page.
PAGE = 2000
#: A page taking this share of the fetch's timeout is asked in halves from then on (never below MIN_PAGE).
SLOW_PAGE = 0.5
MIN_PAGE = 50
#: Re-read this far before the newest call seen (calls that ended since).
LOOKBACK = 900.0
#: ... but never further back than this for calls seen running.
MAX_LOOKBACK = 3600.0
COLUMNS = ["id", "trace_id", "parent_id", "op_name", "display_name", "started_at", "ended_at", "exception",
           "summary", "attributes"]
_SUCCESS = {"success", "ok", "not error"}
_REACTIONS = {"👍": 1.0, "👎": 0.0, "+1": 1.0, "-1": 0.0, ":thumbs_up:": 1.0, ":thumbs_down:": 0.0}


def _epoch(raw: Any) -> float | None:
    return api_time(raw)  # ISO with Z, an offset or none (UTC); epoch s/ms/µs/ns by magnitude


def _num(raw: Any) -> float | None:
    try:
        return sli_number(raw)
    except NotANumber:
        return None


def call_record(call: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record of a finished call (see the module docstring), or None for a running or odd call."""
    started = _epoch(call.get("started_at"))
    ended = _epoch(call.get("ended_at"))
    if started is None or ended is None:
        return None
    summary = call.get("summary") if isinstance(call.get("summary"), Mapping) else {}
    weave = summary.get("weave") if isinstance(summary.get("weave"), Mapping) else {}
    latency = _num(weave.get("latency_ms"))
    if latency is None:
        # ended before started (a clock step on the client) stays negative: the SLIs skip it and
        # say so ("latency_ms negative"), where 0 would count as the fastest call there is
        latency = (ended - started) * 1000.0
    exception = call.get("exception")
    status = weave.get("status") if isinstance(weave.get("status"), str) else None
    error = bool(exception) or status == "error"
    if status is None:
        status = "error" if error else "success"
    op_name = call.get("op_name") if isinstance(call.get("op_name"), str) else ""
    record: dict[str, Any] = {
        "time": ended,  # a record's time is the end of the request (SPEC), as the file source's ``time``
        "id": call.get("id"),
        "op_name": op_name,
        "op": _short_op(op_name),
        "display_name": call.get("display_name"),
        "latency_ms": latency,
        "latency_s": latency / 1000.0,
        "error": error,
        "exception": exception if exception else None,
        "status": status,
        "cost": _cost(weave.get("costs")),
        "tokens": _tokens(summary.get("usage")),
        "model": _model(summary.get("usage")) or _model(weave.get("costs")),
        "feedback": _feedback(weave.get("feedback")),
        "summary": summary,
    }
    return record


def _error_text(payload: Any) -> str:
    """One line from an error answer: ``message`` / ``detail`` / ``reason`` / ``error``, or the first
    ``msg`` of a FastAPI validation ``detail`` list."""
    if not isinstance(payload, Mapping):
        return ""
    for key in ("message", "detail", "reason", "error"):
        raw = payload.get(key)
        if isinstance(raw, list) and raw and isinstance(raw[0], Mapping):
            loc = raw[0].get("loc")
            where = ".".join(str(x) for x in loc) if isinstance(loc, list) else ""
            raw = f"{where}: {raw[0].get('msg') or raw[0].get('type') or ''}".strip(": ")
        if isinstance(raw, Mapping):
            raw = raw.get("message")
        if isinstance(raw, str) and raw.strip():
            return clip(" ".join(raw.split()), 200)
    return ""


def _is_error_object(obj: Any) -> bool:
    """A JSON line that is an error answer (no call ``id``, an error key) rather than a call."""
    return (isinstance(obj, Mapping) and "id" not in obj and "started_at" not in obj
            and any(k in obj for k in ("message", "detail", "reason", "error")))


def _short_op(ref: str) -> str:
    if "/op/" in ref:
        ref = ref.split("/op/", 1)[1]
    return ref.split(":", 1)[0]


def _model(per_model: Any) -> str | None:
    """The model name(s) of a per-model mapping (``summary.usage``, ``costs``), ``+``-joined."""
    if not isinstance(per_model, Mapping) or not per_model:
        return None
    return "+".join(sorted(str(k) for k in per_model))


def _part(raw: Any) -> float | None:
    """One addend of a cost or token sum: None when absent (null), NaN when present but no finite
    number ("NaN", Infinity, text), so the sum is unknown rather than short of that part."""
    if raw is None:
        return None
    value = _num(raw) if not isinstance(raw, (Mapping, list)) else None
    return math.nan if value is None else value


def _cost(costs: Any) -> float | None:
    """The call's cost; NaN (skipped by the SLIs and named in the note: ``cost not finite``) when a
    part is there but unreadable: a partial sum would be a cost too low, silently."""
    if not isinstance(costs, Mapping) or not costs:
        return None
    total = 0.0
    seen = False
    for entry in costs.values():
        if not isinstance(entry, Mapping):
            continue
        for key in ("prompt_tokens_total_cost", "completion_tokens_total_cost"):
            value = _part(entry.get(key))
            if value is not None:
                total += value
                seen = True
    return total if seen else None


def _tokens(usage: Any) -> float | None:
    if not isinstance(usage, Mapping) or not usage:
        return None
    total = 0.0
    seen = False
    for entry in usage.values():
        if not isinstance(entry, Mapping):
            continue
        value = _part(entry.get("total_tokens"))
        if value is None:
            parts = [_part(entry.get(k)) for k in ("prompt_tokens", "completion_tokens", "input_tokens",
                                                  "output_tokens")]
            known = [p for p in parts if p is not None]
            value = sum(known) if known else None
        if value is None:
            continue
        if math.isnan(value):
            return math.nan  # a part that is no number: the count is unknown, not short of it
        if math.isfinite(total + value):
            total += value  # a sum beyond the float range is not a token count: that entry is left out
            seen = True
    return total if seen else None


def _feedback(items: Any) -> dict[str, Any]:
    scores: dict[str, list[float]] = {}
    #: a feedback that is no number (a categorical "pass", a list): kept as sent when the call has no
    #: numeric one of that name, so the SLI names the problem instead of "no record has it"
    other: dict[str, Any] = {}

    def add(name: str, raw: Any, keep_other: bool = True) -> None:
        if not name or raw is None:
            return
        value = _num(raw) if not isinstance(raw, (dict, list)) else None
        if value is not None:
            scores.setdefault(name, []).append(value)
        elif keep_other:
            # its kind is all the note needs: a judge's long text is not kept for every call of the period
            other.setdefault(name, raw[:16] if isinstance(raw, str) else [] if isinstance(raw, list)
                             else {} if isinstance(raw, Mapping) else raw)

    if not isinstance(items, list):
        return {}
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("feedback_type") or "")
        payload = item.get("payload") if isinstance(item.get("payload"), Mapping) else {}
        if kind.startswith("wandb.reaction"):
            # The server stores the emoji as sent and ``detoned`` without its skin tone (👍🏽 -> 👍).
            for emoji in (payload.get("detoned"), payload.get("emoji"), payload.get("detoned_alias")):
                if isinstance(emoji, str) and emoji in _REACTIONS:
                    scores.setdefault("reaction", []).append(_REACTIONS[emoji])
                    break
            continue
        if kind.startswith("wandb.note"):
            continue
        # a scorer's result (wandb.runnable.NAME) and a human annotation (wandb.annotation.NAME, the
        # UI's and call.feedback.add's form) are both feedback.NAME; other custom types keep their name
        name = kind.split(".", 2)[2] if kind.startswith(("wandb.runnable.", "wandb.annotation.")) else kind
        output = next((payload[k] for k in ("output", "score", "value") if payload.get(k) is not None), None)
        if isinstance(output, Mapping):
            for key, raw in output.items():
                add(f"{name}.{key}", raw, keep_other=False)  # a scorer's reason text is no feedback.NAME.KEY
            if "score" in output:
                add(name, output["score"])
        else:
            add(name, output)
    out: dict[str, Any] = {name: raw for name, raw in other.items() if name not in scores}
    out.update({name: exact_mean(v) for name, v in scores.items()})
    return out


def translate(spec: SLOSpec) -> SLOSpec:
    """``spec`` in the record language: ``query: FIELD[:AGG]`` and ``good: success`` spelled out."""
    if spec.kind == "ratio":
        good = (spec.good or "").strip()
        if good.lower() in _SUCCESS:
            return replace(spec, good="error == false")
        return spec
    if spec.sli_field or not spec.query:
        return spec
    field, sep, agg = spec.query.rpartition(":")
    if not sep:
        field, agg = spec.query, "mean"
    return replace(spec, sli_field=field.strip(), sli_agg=agg.strip() or "mean")


class WeaveSource(HTTPSource["WeaveSourceConfig"]):
    """A W&B Weave project as a slotui source (see the module docstring)."""

    def __init__(
        self,
        name: str,
        config: "WeaveSourceConfig",
        *,
        base_dir: Path | None = None,
        defaults: "Defaults | None" = None,
        transport: "httpx.AsyncBaseTransport | None" = None,
    ) -> None:
        super().__init__(name, config, base_dir=base_dir, defaults=defaults, transport=transport)
        self._book = SeriesBook()
        self._records: dict[str, dict[str, Any]] = {}
        self._running: dict[str, float] = {}
        self._from: float | None = None  # start of the range read so far
        self._synced: float | None = None  # newest call start ingested
        self._complete = False
        self._malformed = 0
        self._page_size: int | None = None  # PAGE, or less after a page larger than max_body_bytes

    def client_config(self, config: "WeaveSourceConfig") -> "WeaveSourceConfig":
        """Basic auth ``api:<api_key>`` when an API key is set."""
        from slotui.config.model import BasicAuth

        if not config.api_key:
            return config
        return config.model_copy(update={"basic_auth": BasicAuth(username="api", password=config.api_key)})

    def extra_headers(self, config: "WeaveSourceConfig") -> dict[str, str]:
        return {"Accept": "application/jsonl", "Content-Type": "application/json"}

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Read new calls, then answer every SLO as of ``now`` (see the module docstring)."""
        out: dict[str, SLIData] = {}
        usable: list[tuple[SLOSpec, SLOSpec]] = []
        refill = False
        for spec in slos:
            translated = translate(spec)
            new = not self._book.has(translated)
            try:
                self._book.add_spec(translated)
            except SpecProblem as exc:
                out[spec.name] = SLIData(error=str(exc))
                continue
            refill = refill or (new and bool(self._records))
            usable.append((spec, translated))
        if refill:
            # A series added after calls were read has not seen them: feed it everything again.
            self._book.clear()
            self._book.ingest(sorted(self._records.values(), key=lambda r: r["time"]))
        if usable:
            await self._sync(now, retention([t for _, t in usable]))
        note = None if self._complete else "backfill in progress: older calls still to read"
        for spec, translated in usable:
            try:
                out[spec.name] = self._book.answer(translated, now, malformed=self._malformed, note=note)
            except SpecProblem as exc:
                out[spec.name] = SLIData(error=str(exc))
        return out

    async def _sync(self, now: float, span: float) -> None:
        """Read the calls needed to answer as of ``now``; resumable within the fetch's soft deadline."""
        wanted_from = now - span
        if self._from is None or wanted_from < self._from - 1.0 or (self._synced or 0) > now + MAX_LOOKBACK:
            self._book.clear()
            self._records.clear()
            self._running.clear()
            self._from, self._synced, self._complete = wanted_from, None, False
        start = self._from if self._synced is None else self._synced
        if self._complete and self._synced is not None:
            start = self._synced - LOOKBACK
            if self._running:
                start = min(start, max(min(self._running.values()), now - MAX_LOOKBACK))
            start = max(start, self._from)
        stop_at = soft_deadline(self.timeout)
        offset = 0
        read: set[str] = set()  # call ids of this read: a later page holding only these is the same page again
        while True:
            size = self._page_size or PAGE
            asked = time.monotonic()
            try:
                calls, count, cut = await self._page(start, now, offset, size)
            except ResponseTooLarge:
                if size <= 1:
                    raise
                self._page_size = size // 2  # ask the same calls in smaller pages
                continue
            except (asyncio.CancelledError, SourceError):
                # A page that outlasted half the fetch's budget (the fetch timed out, or the request did)
                # would time out again at every tick and the read would never move: ask smaller pages.
                if time.monotonic() - asked >= self.timeout * SLOW_PAGE and size > MIN_PAGE:
                    self._page_size = max(MIN_PAGE, size // 2)
                raise
            if time.monotonic() - asked >= self.timeout * SLOW_PAGE and size > MIN_PAGE:
                self._page_size = max(MIN_PAGE, size // 2)  # slow but whole: smaller pages from now on
            ids = {c["id"] for c in calls if isinstance(c, Mapping) and isinstance(c.get("id"), str)}
            if offset and ids and ids <= read:
                raise MalformedResponse(f"the Weave trace server answered offset {offset:,} of {PATH} with calls "
                                        "it had already sent (it ignores offset): the read would never end")
            read |= ids
            self._ingest(calls)
            # A short page ends the read only when whole: a malformed line still takes a place in
            # the page, and a body cut inside its last line has more behind it.
            if count < size and not cut:
                self._complete = True
                break
            offset += count
            if time.monotonic() >= stop_at:
                break
        self._prune(wanted_from)

    async def _page(self, start: float, end: float, offset: int, size: int) -> tuple[list[Any], int, bool]:
        """The calls of one page, how many lines the page held (the cut one left out), and whether
        its body ended inside a line (cut short)."""
        body = {
            "project_id": self.config.project,
            "filter": {"trace_roots_only": True},
            "query": {"$expr": {"$and": [
                {"$gte": [{"$getField": "started_at"}, {"$literal": start}]},
                {"$not": [{"$gte": [{"$getField": "started_at"}, {"$literal": end}]}]},
            ]}},
            "sort_by": [{"field": "started_at", "direction": "asc"}],
            "limit": size,
            "offset": offset,
            "include_costs": True,
            "include_feedback": True,
            "columns": COLUMNS,
        }
        try:
            response = await self._client.request("POST", PATH, json_body=body)
        except HTTPStatusError as exc:
            if exc.status_code in (400, 422):
                detail = _error_text(exc.payload)  # the client scrubbed the payload of secrets
                raise MalformedResponse(f"the Weave trace server rejected the query (HTTP {exc.status_code})"
                                        f"{': ' + detail if detail else ''}")
            if exc.status_code in (403, 404):
                # the URL is usually right: the project is unknown or not the key's ("check the URL" alone
                # sent users the wrong way); the server's reason says which
                detail = _error_text(exc.payload)
                project = self.config.project
                hint = "" if "/" in project.strip("/") else "; project is entity/project, e.g. acme/support-bot"
                raise SourceError(f"{exc}{': ' + detail if detail else ''} (project {project!r}{hint})",
                                  retryable=False) from None
            raise
        calls: list[Any] = []
        bad = 0
        text = response.text
        lines = [line.strip() for line in text.splitlines()]
        lines = [line for line in lines if line]
        cut = False
        for n, line in enumerate(lines):
            try:  # orjson, then the stdlib for NaN/Infinity and a BOM before the first line
                calls.append(loads_json(line))
            except JSON_ERRORS:
                if n == len(lines) - 1 and not text.endswith("\n") and n > 0:
                    cut = True  # the body stopped inside its last line: that call is read again
                else:
                    bad += 1
        if bad and not calls:
            snippet = self._client.scrub(clip(" ".join(text.split()), 60))
            raise MalformedResponse(f"malformed JSON lines from {PATH}: {snippet!r}")
        if len(calls) == 1 and not bad and _is_error_object(calls[0]):
            # HTTP 200 whose body is an error object (a proxy, a gateway): not a call, not an empty page.
            detail = self._client.scrub(_error_text(calls[0]))
            raise MalformedResponse(f"the Weave trace server answered an error instead of calls: {detail}")
        self._malformed += bad
        return calls, len(lines) - cut, cut

    def _ingest(self, calls: list[Any]) -> None:
        fresh: list[dict[str, Any]] = []
        for call in calls:
            if not isinstance(call, Mapping) or not isinstance(call.get("id"), str):
                self._malformed += 1
                continue
            call_id = call["id"]
            started = _epoch(call.get("started_at"))
            if started is not None:
                self._synced = started if self._synced is None else max(self._synced, started)
            record = call_record(call)
            old = self._records.pop(call_id, None)
            if old is not None:
                self._book.retract(old)
            if record is None:
                if started is not None and call.get("ended_at") is None:
                    self._running[call_id] = started
                else:  # a start or end time that is missing or unreadable: counted, not dropped unseen
                    self._malformed += 1
                continue
            self._running.pop(call_id, None)
            self._records[call_id] = record
            fresh.append(record)
        if fresh:
            fresh.sort(key=lambda r: r["time"])
            self._book.ingest(fresh)

    def _prune(self, before: float) -> None:
        old = [k for k, r in self._records.items() if r["time"] < before]
        for key in old:
            del self._records[key]
        self._book.prune(before)
        for key in [k for k, t in self._running.items() if t < before]:
            del self._running[key]
