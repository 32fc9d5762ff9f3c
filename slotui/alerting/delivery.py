"""Delivery: the dispatcher that drains the outbox through the channels.

Evaluation only *enqueues* (in the same transaction as the alert state
change); this dispatcher, a separate asyncio task, claims due rows, sends each
through its :class:`~slotui.channels.base.Channel` and records the answer:

- accepted: ``delivered`` (never sent again);
- a retryable answer (429, 5xx, timeout, connection error, an exception out
  of ``send``): ``pending`` again after exponential backoff with full jitter,
  ``uniform(0, min(cap, base * 2 ** (attempt - 1)))``; a ``Retry-After`` from
  the receiver (``DeliveryResult.retry_after``) is honoured instead (up to
  ``max_retry_after``); after ``max_attempts`` attempts or ``max_age`` seconds
  since enqueueing it is ``failed``;
- a final answer (400, 401, 403, 404, ...): ``failed`` with the receiver's
  message, shown in the alert log;
- TEST notifications get one attempt: the operator wants the answer now.

Crash safety: a row is ``sending`` only for its lease; if the process dies
before recording the answer, another (or the restarted) dispatcher claims it
again after ``lease`` seconds, so it is delivered at least once; once
recorded as delivered it is never claimed again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit
from typing import TYPE_CHECKING

from slotui.bad_rows import log as _log
from slotui.channels.base import DeliveryResult

#: each failed attempt, as a line of the daemon's log (``check --notify`` and ``test-alert`` print
#: their outcomes themselves and quiet it)
failures_log = logging.getLogger("slotui.delivery")


def quiet_failure_log() -> None:
    """For commands that show each outcome themselves (``check --notify``, ``test-alert``, the TUI's
    alert log): the failure lines would repeat them on stderr (or over the TUI's screen)."""
    failures_log.setLevel(logging.ERROR)

if TYPE_CHECKING:
    from slotui.store import Outbox, OutboxRow
    from slotui.channels.base import Channel


#: Seconds an attempt gets beyond its channel's own ``timeout`` (connection set-up, TLS, the answer).
ATTEMPT_MARGIN = 5.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff and give-up limits (seconds)."""

    base: float = 2.0
    cap: float = 300.0
    max_attempts: int = 12
    max_age: float = 24 * 3600.0
    max_retry_after: float = 3600.0
    #: how long a claimed row stays ours; must exceed ``send_timeout``
    lease: float = 90.0
    send_timeout: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay before attempt ``attempt + 1`` (``attempt`` >= 1)."""
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return rng.uniform(0.0, ceiling)


def redaction_parts(secrets: Iterable[str]) -> list[str]:
    """What to hide for these secret values: each value and, for URLs, the path+query,
    each path segment or query value of 8+ characters (the token of a webhook URL) and
    any password. Longest first, so a whole URL is masked before its parts."""
    parts: set[str] = set()
    for value in secrets:
        if not value or len(value) < 4:
            continue
        parts.add(value)
        if "://" not in value:
            continue
        try:
            u = urlsplit(value)
        except ValueError:
            continue
        tail = u.path + (f"?{u.query}" if u.query else "")
        if len(tail) > 1:
            parts.update({tail, u.path} - {"", "/"})
        parts.update(seg for seg in u.path.split("/") if len(seg) >= 8)
        parts.update(v for _, v in parse_qsl(u.query) if len(v) >= 8)
        if u.password:
            parts.add(u.password)
    return sorted(parts, key=len, reverse=True)


def redact(text: str, parts: Sequence[str]) -> str:
    """``text`` with every part replaced by ``****``."""
    for part in parts:
        if part in text:
            text = text.replace(part, "****")
    return text


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """The result of one attempt, as the CLI and TUI report it.

    ``state`` is the row's new state: delivered / failed / pending (will retry
    at ``next_attempt_at``). ``str()`` gives ``delivered to CHANNEL`` or
    ``failed: CHANNEL: <receiver's error>`` (or ``retrying CHANNEL ...``).
    """

    row_id: int
    notification_id: str
    channel: str
    kind: str
    state: str
    attempt: int
    result: DeliveryResult
    next_attempt_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.state == "delivered"

    def __str__(self) -> str:
        if self.state == "delivered":
            return f"delivered to {self.channel}"
        if self.state == "failed":
            return f"failed: {self.channel}: {self.result.message or 'unknown error'}"
        return f"retrying {self.channel} (attempt {self.attempt} failed: {self.result.message})"


class Dispatcher:
    """Drains the outbox. ``clock`` gives epoch seconds (real time by default)."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        *,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        per_channel: int = 4,
        batch: int = 200,
        secrets: Iterable[str] = (),
        pairs: Iterable[tuple[str, str]] = (),
    ) -> None:
        from slotui.clock import utc_now
        from slotui.config.secrets import Redactor

        self.outbox = outbox
        self.channels = channels
        self.retry = retry or RetryPolicy()
        self.clock = clock or utc_now
        self.rng = rng or random.Random()
        self.per_channel = per_channel
        self.batch = batch
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        #: defence in depth: channels mask their own secrets; this also hides any configured
        #: secret (or webhook token) a receiver echoes back before it is stored or shown, in
        #: every form (percent-encoded, base64, a Basic ``user:password`` of ``pairs``), and
        #: secret-looking URL parts (``?token=``)
        self._redact = Redactor(redaction_parts(secrets), pairs)
        self.sent = 0
        #: attempts recorded by this dispatcher per (channel, outcome: delivered, retry, failed), for
        #: ``/metrics``: a revoked webhook or a wrong routing key must show where people look
        self.attempts: dict[tuple[str, str], int] = {}

    def attempt_timeout(self, channel: Channel) -> float:
        """How long one attempt through ``channel`` may take: ``RetryPolicy.send_timeout``, or longer
        when the channel's own ``timeout`` (the config's) asks for more. A webhook with ``timeout: 45s``
        was cut at 30 s and retried while the receiver was still answering the first request, so a slow
        receiver got every notification twice, and the timeout it was configured with was never used."""
        timeout = getattr(channel, "timeout", None)
        if isinstance(timeout, (int, float)) and math.isfinite(timeout):
            return max(self.retry.send_timeout, float(timeout) + ATTEMPT_MARGIN)
        return self.retry.send_timeout

    @property
    def lease(self) -> float:
        """Seconds a claimed row stays ours: ``RetryPolicy.lease``, kept as far above the longest
        attempt (:meth:`attempt_timeout`) as it is above ``send_timeout``."""
        longest = max((self.attempt_timeout(c) for c in self.channels.values()), default=self.retry.send_timeout)
        return max(self.retry.lease, longest + (self.retry.lease - self.retry.send_timeout))

    async def deliver_due(self, now: float | None = None, *, ids: Sequence[int] | None = None) -> list[DeliveryOutcome]:
        """Claim every row due at ``now`` (default: the clock) and attempt each once, concurrently.

        Rows of one (group, channel) go one at a time in order; rows of
        different channels and groups in parallel (``per_channel`` at once per
        channel). Returns one outcome per attempt.
        """
        outcomes: list[DeliveryOutcome] = []
        attempted: set[int] = set()
        while True:
            at = self.clock() if now is None else now
            rows = self.outbox.claim(at, lease=self.lease, limit=self.batch, ids=ids, exclude=attempted)
            if not rows:
                return outcomes
            attempted.update(row.id for row in rows)
            results = await asyncio.gather(*(self._attempt(row, now) for row in rows))
            outcomes.extend(results)
            if all(o.state == "pending" for o in results) and len(rows) < self.batch:
                # Nothing finished, so no row waiting behind these was unblocked.
                return outcomes

    def _semaphore(self, channel: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(channel)
        if sem is None:
            sem = self._semaphores[channel] = asyncio.Semaphore(self.per_channel)
        return sem

    async def _attempt(self, row: OutboxRow, now: float | None) -> DeliveryOutcome:
        channel = self.channels.get(row.channel)
        started = self.clock() if now is None else now
        if channel is None:
            result = DeliveryResult.failed(f"channel {row.channel!r} is not configured", retryable=False)
        else:
            async with self._semaphore(row.channel):
                started = self.clock() if now is None else now
                try:
                    result = await self._send(channel, row)
                except asyncio.CancelledError:
                    # a clean stop cut the send: the row goes back, due now, instead of waiting out its lease
                    try:
                        self.outbox.release(row, self.clock() if now is None else now)
                    except Exception:  # the lease still frees it
                        pass
                    raise
        finished = self.clock() if now is None else max(now, started)
        return self._record(row, result, started, finished)

    async def _send(self, channel: Channel, row: OutboxRow) -> DeliveryResult:
        if row.kind == "resolve" and not getattr(channel, "send_resolved", True):
            return DeliveryResult.delivered(message="skipped: send_resolved is false")
        limit = self.attempt_timeout(channel)
        try:
            return await asyncio.wait_for(channel.send(row.notification), limit)
        except asyncio.TimeoutError:
            return DeliveryResult.failed(f"no answer within {limit:g}s", retryable=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a channel bug or a transport error: retry, and say what it was
            return DeliveryResult.failed(f"{type(exc).__name__}: {exc}", retryable=True)

    def _record(self, row: OutboxRow, result: DeliveryResult, started: float, finished: float) -> DeliveryOutcome:
        retry = self.retry
        if result.message:
            message = self._redact(result.message)
            if message != result.message:
                result = replace(result, message=message)
        next_at: float | None = None
        if result.ok:
            state, outcome = "delivered", "delivered"
            self.sent += 1
        elif not result.retryable or row.kind == "test":
            state, outcome = "failed", "failed"
        elif row.attempts >= retry.max_attempts:
            state, outcome = "failed", "failed"
            result = DeliveryResult.failed(
                f"gave up after {row.attempts} attempts: {result.message}",
                retryable=False, status_code=result.status_code,
            )
        else:
            if result.retry_after is not None:
                delay = min(max(0.0, result.retry_after), retry.max_retry_after)
            else:
                delay = retry.backoff(row.attempts, self.rng)
            next_at = finished + delay
            if next_at - row.created_at > retry.max_age:
                state, outcome, next_at = "failed", "failed", None
                result = DeliveryResult.failed(
                    f"gave up after {row.attempts} attempts over {finished - row.created_at:.0f}s: {result.message}",
                    retryable=False, status_code=result.status_code,
                )
            else:
                state, outcome = "pending", "retry"
        key = (row.channel, outcome)
        self.attempts[key] = self.attempts.get(key, 0) + 1
        if outcome == "retry":
            failures_log.warning("delivery to %s failed (%s, attempt %d; retried in %.0fs): %s", row.channel, row.kind,
                                 row.attempts, max(0.0, (next_at or finished) - finished), result.message)
        elif outcome == "failed":
            failures_log.warning("delivery to %s failed for good (%s, attempt %d): %s", row.channel, row.kind,
                                 row.attempts, result.message)
        self.outbox.finish(
            row,
            state=state,
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            status_code=result.status_code,
            error=None if result.ok else result.message,
            retry_after=result.retry_after,
            next_attempt_at=next_at,
        )
        return DeliveryOutcome(
            row_id=row.id,
            notification_id=row.notification.id,
            channel=row.channel,
            kind=row.kind,
            state=state,
            attempt=row.attempts,
            result=result,
            next_attempt_at=next_at,
        )

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None, *, poll: float = 5.0) -> None:
        """Deliver until ``stop`` is set.

        One worker per channel claims only that channel's rows (``per_channel``
        at a time), so a slow or unreachable receiver delays nobody else. A
        worker with nothing due sleeps until its next row is due, ``wake`` is
        set (new notifications were enqueued), or ``poll`` seconds pass (other
        processes may enqueue too). A further worker fails rows whose channel
        is no longer configured. Store errors are retried on the next round;
        they never end the loop. On ``stop``, workers finish the sends in
        flight (bounded by ``send_timeout``); rows left ``sending`` by a
        cancellation are re-claimed after their lease.
        """
        wake = wake or asyncio.Event()
        events = {name: asyncio.Event() for name in [*self.channels, None]}

        async def relay() -> None:
            while not stop.is_set():
                await wake.wait()
                wake.clear()
                for ev in events.values():
                    ev.set()

        workers = [asyncio.create_task(self._worker(name, ev, stop, poll)) for name, ev in events.items()]
        relay_task = asyncio.create_task(relay())
        try:
            await stop.wait()
            for ev in events.values():
                ev.set()
            await asyncio.gather(*workers)
        finally:
            relay_task.cancel()
            for task in workers:
                task.cancel()
            await asyncio.gather(relay_task, *workers, return_exceptions=True)

    async def _worker(self, channel: str | None, event: asyncio.Event, stop: asyncio.Event, poll: float) -> None:
        known = list(self.channels)
        failing: str | None = None  # the outbox error last logged by this worker
        who = f"channel {channel}" if channel is not None else "channels no longer configured"
        while not stop.is_set():
            event.clear()
            due: float | None = None
            try:
                now = self.clock()
                if channel is None:
                    rows = self.outbox.claim(now, lease=self.lease, limit=self.per_channel, not_channels=known)
                else:
                    rows = self.outbox.claim(now, lease=self.lease, limit=self.per_channel, channels=[channel])
                if failing is not None:
                    if channel is not None or not known:
                        _log.warning("delivery to %s: the outbox reads again", who)
                    failing = None
                if rows:
                    await asyncio.gather(*(self._attempt(row, None) for row in rows))
                    continue
                due = self.outbox.next_due(now, channel=channel, not_channels=None if channel is not None else known)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # e.g. the state file is busy: try again on the next round
                due = None
                # Said once per distinct error (not per round): notifications that cannot be claimed
                # are not being sent, and nobody would know. A StoreError's text names the file; others
                # are named by type only (their text could hold a payload).
                from slotui.store import StoreError

                why = str(exc) if isinstance(exc, StoreError) else type(exc).__name__
                if channel is None and known:  # the configured channels' workers say it already
                    failing = why
                elif why != failing:
                    _log.warning("delivery to %s is held up: %s; retried every %gs", who, why, poll)
                    failing = why
            timeout = poll if due is None else min(poll, max(0.0, due - self.clock()))
            if stop.is_set():
                break
            try:
                await asyncio.wait_for(event.wait(), timeout=max(timeout, 0.01))
            except asyncio.TimeoutError:
                pass
