"""The protocol every source implements, and its health record.

A source turns its answer into :class:`~slotui.core.types.SLIData` per SLO.
Sources are asynchronous; the engine fetches all of them concurrently, each
bounded by its own timeout. A source never raises out of ``fetch`` for a
problem with one SLO's query: it puts the message in that SLO's
``SLIData.error``. It raises :class:`SourceError` when the whole source is
unreachable or answers garbage; the engine records it in ``health`` and marks
the source's SLOs STALE / NO DATA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from slotui.core.types import SLIData, SLOSpec

if TYPE_CHECKING:
    from slotui.config.model import Defaults, SourceConfig


class QueryError(Exception):
    """A problem with one SLO's query or its answer (not with the source): shown on that SLO."""


def resolve_timeout(config: "SourceConfig | None", defaults: "Defaults | None" = None) -> float:
    """A source's fetch timeout in seconds: its own ``timeout``, else ``defaults.timeout``
    (the model's default when no defaults are given)."""
    if config is not None and config.timeout is not None:
        return float(config.timeout)
    if defaults is None:
        from slotui.config.model import Defaults

        defaults = Defaults()
    return float(defaults.timeout)


class SourceError(Exception):
    """A fetch failed. The message is shown to users: it must not contain secrets."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(slots=True)
class SourceHealth:
    """Last success, last error and latency of one source."""

    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    latency: float | None = None
    consecutive_failures: int = 0
    #: the source is not asked again before this time (``now`` scale), after a ``Retry-After`` or repeated failures
    backoff_until: float | None = None
    #: why: ``"Retry-After"`` or ``"N failures in a row"``
    backoff_reason: str | None = None
    #: the ``now`` of the fetch under way (None between fetches): a screen tells a slow source from a dead one
    fetching_since: float | None = None

    @property
    def ok(self) -> bool:
        return self.last_error is None or (
            self.last_success is not None
            and self.last_error_at is not None
            and self.last_success >= self.last_error_at
        )


@runtime_checkable
class Source(Protocol):
    """A place numbers come from."""

    name: str

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Answer every SLO in ``slos`` as of ``now``.

        Threshold SLOs get ``value`` (SLI over ``[now - window, now)``) and
        ``slices`` over the period; ratio SLOs get ``buckets`` (and optionally
        ``windows``). Sources that can answer for the past fill the whole
        period on the first call (backfill) and may answer incrementally after.
        Must not read the clock for the data's time range: ``now`` decides it.
        """
        ...

    async def aclose(self) -> None:
        """Release connections and files."""
        ...
