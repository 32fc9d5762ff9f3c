"""What the TUI needs from the rest of slotui, and the thread it runs in.

The app never touches the engine, the store or a channel directly: it talks
to a :class:`Backend` (the real one is :class:`slotui.tui.engine_backend.EngineBackend`,
tests pass a small fake). Every backend call runs on a :class:`BackendThread`,
a dedicated thread with its own asyncio loop, so fetching, evaluation (CPU)
and SQLite writes never stall the Textual event loop: a keypress is answered
while a 200-SLO tick is being computed.

The values crossing the thread boundary are immutable snapshots
(:class:`Snapshot`, :class:`SilenceView`, ...); the app owns its state and
replaces it with each snapshot.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from slotui.core.types import Report, SLOSpec
from slotui.sources.kit.base import SourceHealth

T = TypeVar("T")
#: the comment of a mute made with m (an expired one is known as a mute by it)
MUTE_COMMENT = "muted from the slotui TUI"


@dataclass(frozen=True, slots=True)
class SilenceView:
    """One silence as the TUI shows it. ``ends_at`` None is a mute (until lifted).

    ``slo`` is set when the silence targets exactly one SLO (``slo=<name>``).
    """

    id: str
    matchers: str
    starts_at: float
    ends_at: float | None
    created_by: str
    comment: str
    slo: str | None = None
    expired: bool = False
    #: names of the SLOs whose alerts this silence matches (computed by the backend)
    covers: tuple[str, ...] = ()
    #: an expired silence's kind as the backend could tell it: expiring sets ``ends_at``, so a
    #: mute would read as a snooze (see :meth:`EngineBackend._ended_kind`)
    ended_kind: str | None = None

    @property
    def kind(self) -> str:
        """``mute`` (no end) or ``snooze``; once expired, ``ended_kind`` when known."""
        if self.expired and self.ended_kind:
            return self.ended_kind
        return "mute" if self.ends_at is None else "snooze"

    def active(self, now: float) -> bool:
        return not self.expired and self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


@dataclass(frozen=True, slots=True)
class AlertView:
    """One active alert (one SLO at one severity)."""

    slo: str
    severity: str
    state: str
    since: float
    acked: bool = False
    silenced: bool = False
    #: suppressed by a more severe alert of the same SLO (not counted as firing)
    inhibited: bool = False


@dataclass(frozen=True, slots=True)
class NotificationView:
    """One notification (a group of alerts to one channel) and how its delivery went.

    ``status``: ``delivered``, ``failed`` (gave up), ``pending`` (will retry) or ``sent``.
    """

    at: float
    channel: str
    kind: str
    title: str
    slos: tuple[str, ...]
    severity: str
    status: str
    error: str = ""
    attempts: int = 0
    is_test: bool = False


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """The result of one test notification to one channel."""

    channel: str
    ok: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the screen shows after one refresh, read in the backend thread."""

    report: Report
    health: Mapping[str, SourceHealth]
    silences: tuple[SilenceView, ...] = ()
    alerts: tuple[AlertView, ...] = ()
    refreshed_at: float = 0.0
    duration: float = 0.0
    #: per SLO, the history reduced for the trend column (filled in the backend thread)
    trends: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    #: per SLO, the trend cell drawn in the backend thread for ``trend_style`` (see app.prepare_snapshot)
    trend_cells: Mapping[str, Any] = field(default_factory=dict)
    trend_style: Any = None
    #: what came while a source was still fetching (the refresh goes on; silences and alerts are the last ones)
    partial: bool = False


@runtime_checkable
class Backend(Protocol):
    """The operations behind every key of the TUI. All times are UTC epoch seconds.

    Every method is a coroutine run on the :class:`BackendThread`; a method may
    block that thread (SQLite, a synchronous SDK) without freezing the screen.
    """

    specs: Sequence[SLOSpec]

    async def refresh(self, now: float, partial: Callable[[Snapshot], None] | None = None) -> Snapshot:
        """Fetch every source (each bounded by its timeout), evaluate as of ``now``, read silences and alerts.

        ``partial``, when given, is called (in the backend thread) with a snapshot of what came while
        a source is still fetching: a slow source does not hold back the rows of the others."""
        ...

    async def silences(self, now: float, *, include_expired: bool = False) -> list[SilenceView]:
        """Silences active at ``now`` (and recently expired ones with ``include_expired``)."""
        ...

    async def alerts(self, now: float) -> list[AlertView]:
        """Alerts currently firing."""
        ...

    async def mute(self, slo: str, *, author: str, comment: str, now: float) -> SilenceView:
        """A silence on ``slo=<slo>`` with no end (until lifted)."""
        ...

    async def snooze(self, slo: str, duration: float, *, author: str, comment: str, now: float) -> SilenceView:
        """A silence on ``slo=<slo>`` ending at ``now + duration``."""
        ...

    async def unsilence(self, slo: str, *, now: float) -> list[str]:
        """Expire every active silence that targets exactly ``slo``; returns their ids."""
        ...

    async def expire_silence(self, silence_id: str, *, now: float) -> None:
        ...

    async def edit_silence(
        self, silence_id: str, *, ends_at: float | None, comment: str, author: str, now: float
    ) -> SilenceView:
        """Change end and comment (Alertmanager semantics: expire and recreate; the new id is returned)."""
        ...

    async def acknowledge(self, slo: str, *, author: str, now: float) -> int:
        """Acknowledge the firing alerts of ``slo``; returns how many were acknowledged."""
        ...

    async def fire_test_alert(self, slo: str, *, now: float) -> list[TestOutcome]:
        """Send a TEST notification for ``slo`` through its real routes; one outcome per channel."""
        ...

    async def notifications(self, *, limit: int = 200, slo: str | None = None) -> list[NotificationView]:
        """Newest first."""
        ...

    async def aclose(self) -> None:
        ...


class BackendThread:
    """A thread with its own event loop that owns the backend.

    ``factory`` is called in that thread, so a SQLite connection opened by it
    lives in the thread that uses it. ``call`` is awaited from the app's loop.
    """

    def __init__(self, factory: Callable[[], Backend] | Backend, *, name: str = "slotui-backend") -> None:
        self._factory = factory
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.backend: Backend | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._closed = False

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            backend = self._factory() if callable(self._factory) and not isinstance(self._factory, Backend) else self._factory
            self.backend = backend  # type: ignore[assignment]
        except BaseException as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    def submit(self, fn: Callable[[Backend], Awaitable[T]]) -> "Future[T]":
        """Schedule ``fn(backend)`` on the backend loop; a concurrent future."""
        if self._closed or self.backend is None:
            raise RuntimeError("backend thread is not running")
        backend = self.backend

        async def runner() -> T:
            return await fn(backend)

        return asyncio.run_coroutine_threadsafe(runner(), self._loop)

    async def call(self, fn: Callable[[Backend], Awaitable[T]]) -> T:
        """Run ``fn(backend)`` in the backend thread and await its result from the caller's loop.

        Cancelling the awaiting task cancels the call in the backend thread.
        """
        return await asyncio.wrap_future(self.submit(fn))

    def close(self, timeout: float = 5.0) -> None:
        """Close the backend (``aclose``) and stop the thread; safe to call twice."""
        if self._closed:
            return
        if self.backend is not None and self._thread.is_alive():
            try:
                self.submit(lambda b: b.aclose()).result(timeout)
            except Exception:
                pass  # closing must not hide the way the app ended
        self._closed = True
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)


def summarize_outcomes(outcomes: Sequence[TestOutcome]) -> tuple[bool, str]:
    """(all delivered, one line) for a notification toast."""
    if not outcomes:
        return False, "no channel routes this alert (add a route in alerts.routes)"
    parts = [f"{o.channel}: {'delivered' if o.ok else 'FAILED ' + o.message}".rstrip() for o in outcomes]
    return all(o.ok for o in outcomes), "; ".join(parts)
