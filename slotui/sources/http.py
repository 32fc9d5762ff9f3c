"""Generic HTTP source: any JSON endpoint, one value per SLO picked by a path expression.

What each SLO gets (paths use :mod:`slotui.sources.kit.json_path`, e.g.
``data.items[0].value`` or ``$.latency.p95``):

- **threshold SLO** (``query: PATH``): ``value`` is the number at ``PATH`` in
  the endpoint's current answer, times ``params.scale`` (default 1). There is
  no history here: the engine records each tick's value in its slice of the
  state store, so sparklines and budgets build up from the first run.
- **ratio SLO** (``ratio: {good: PATH, total: PATH}``): the two numbers are the
  good and total event counts *over the SLO window* (e.g. a status page's
  "last hour" counters); they are answered as ``windows[window]``.

``params.path`` appends a path to the source URL (``/status``, ``/metrics.json``)
so several SLOs may read different endpoints of one source; SLOs sharing an
endpoint share one request per fetch. The source's ``method`` (GET or POST,
with ``body`` as JSON) applies to every request.

No-data and error rules: ``null``, ``"NaN"`` or an infinite number is no data
(``value`` None, with a note); a path that does not exist, a malformed path or
a value that is not a number is an error on that SLO, and so is a ratio whose
good is more than its total or whose counts are negative (clamped, they would
read as 100% or 0% good). An unreachable,
unauthorized (401/403), rate-limited (429, retried honouring Retry-After within
the timeout), failing (5xx) or non-JSON endpoint is a source error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from slotui.core.types import SLIData, SLOSpec
from slotui.sources.kit.http_source import HTTPSource
from slotui.sources.kit.json_path import JsonPath, PathError, PathNotFound, compile_path
from slotui.sources.kit.values import NotANumber, sli_number
from slotui.sources.kit.runtime import gather_answers

if TYPE_CHECKING:
    import httpx

    from slotui.config.model import Defaults, HttpSourceConfig


class _SLOProblem(Exception):
    """Wrong query of one SLO."""


class HttpSource(HTTPSource["HttpSourceConfig"]):
    """A JSON endpoint as a slotui source (see the module docstring)."""

    def __init__(
        self,
        name: str,
        config: "HttpSourceConfig",
        *,
        base_dir: Path | None = None,
        defaults: "Defaults | None" = None,
        transport: "httpx.AsyncBaseTransport | None" = None,
    ) -> None:
        # The client joins relative paths to a base ending in "/": split the URL
        # into that base and its last segment, so ``url`` is asked as written.
        parts = urlsplit(config.url)
        head, _, last = parts.path.rpartition("/")
        self._resource = last + (f"?{parts.query}" if parts.query else "")
        self._base_url = urlunsplit((parts.scheme, parts.netloc, head + "/", "", ""))
        super().__init__(name, config, base_dir=base_dir, defaults=defaults, transport=transport)
        self._paths: dict[str, JsonPath] = {}

    def client_config(self, config: "HttpSourceConfig") -> "HttpSourceConfig":
        return config.model_copy(update={"url": self._base_url})

    def client_secrets(self, config: "HttpSourceConfig") -> tuple[str, ...]:
        from slotui.config.secrets import url_query_secrets

        # the query (kept in _resource) may hold the API key: the client masks it by value too
        return tuple(url_query_secrets(config.url))

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Answer every SLO from the endpoint's current answer (see the module docstring).

        Raises :class:`SourceError` when every endpoint asked failed for a
        transport reason; a failing endpoint among several errs only its SLOs.
        """
        endpoints = sorted({self._endpoint(spec) for spec in slos})
        documents = await gather_answers([(e, self._get(e)) for e in endpoints])
        out: dict[str, SLIData] = {}
        for spec in slos:
            document = documents[self._endpoint(spec)]
            if isinstance(document, Exception):
                out[spec.name] = SLIData(error=str(document))
                continue
            try:
                out[spec.name] = self._answer(spec, document, now)
            except _SLOProblem as exc:
                out[spec.name] = SLIData(error=str(exc))
        return out

    async def _get(self, endpoint: str) -> Any:
        method = self.config.method
        if method == "POST":
            return await self._client.request_json("POST", endpoint, json_body=self.config.body)
        return await self._client.request_json("GET", endpoint)

    def _endpoint(self, spec: SLOSpec) -> str:
        """The request path of ``spec`` relative to the client's base: the URL's last segment + params.path."""
        sub = spec.params.get("path") if spec.params else None
        if not sub:
            return self._resource
        resource, _, query = self._resource.partition("?")
        joined = "/".join(p.strip("/") for p in (resource, str(sub)) if p.strip("/"))
        return joined + (f"?{query}" if query else "")

    def _answer(self, spec: SLOSpec, document: Any, now: float) -> SLIData:
        scale = _scale(spec)
        if spec.kind == "ratio":
            if not spec.good or not spec.total:
                raise _SLOProblem(
                    "a ratio SLO on an http source needs ratio.good and ratio.total (paths to the window's counts)"
                )
            good = self._number(spec.good, document, "ratio.good")
            total = self._number(spec.total, document, "ratio.total")
            for what, path, count in (("ratio.good", spec.good, good), ("ratio.total", spec.total, total)):
                if count is not None and count < 0:
                    raise _SLOProblem(f"{what}: the value at {path!r} is {count:g}; an event count cannot be negative")
            if good is None or total is None or total <= 0:
                return SLIData(windows={spec.window: (0.0, 0.0)}, fetched_at=now, note=_no_data_note(good, total))
            if good > total:
                # clamped, it read as 100% good: the two paths do not count the same events
                raise _SLOProblem(
                    f"ratio.good ({good:g} at {spec.good!r}) is more than ratio.total ({total:g} at {spec.total!r}); "
                    "good must count a subset of the total's events"
                )
            return SLIData(windows={spec.window: (good, total)}, fetched_at=now)
        if not spec.query:
            raise _SLOProblem("a threshold SLO on an http source needs query: (a path such as data.latency.p95)")
        value = self._number(spec.query, document, "query")
        if value is None:
            return SLIData(value=None, fetched_at=now,
                           note="the endpoint answered null, NaN or an infinite number: no data")
        return SLIData(value=value * scale, fetched_at=now, current_only=True)

    def _number(self, text: str, document: Any, what: str) -> float | None:
        path = self._paths.get(text)
        if path is None:
            try:
                path = compile_path(text)
            except PathError as exc:
                raise _SLOProblem(f"{what}: invalid path {text!r}: {exc}") from None
            self._paths[text] = path
        try:
            raw = path.find(document)
        except PathNotFound as exc:
            raise _SLOProblem(f"{what}: path {text!r} not found in the answer: {exc}") from None
        try:
            return sli_number(raw)
        except NotANumber as exc:
            raise _SLOProblem(f"{what}: the value at {text!r} is not a number: {exc}") from None




def _scale(spec: SLOSpec) -> float:
    raw = spec.params.get("scale", 1) if spec.params else 1
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value):  # a NaN/inf scale turned every value into no data; true scaled by 1
        raise _SLOProblem(f"params.scale must be a finite number (got {raw!r})")
    return value


def _no_data_note(good: float | None, total: float | None) -> str:
    if good is None or total is None:
        return "the endpoint answered null, NaN or an infinite number for a count: no data"
    return "no events in the window"
