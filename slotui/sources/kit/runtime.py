"""Fetch every source concurrently, each bounded by its own timeout.

:func:`fetch_all` is what one engine tick calls. Its promises:

- all sources are fetched at once, so a tick lasts about as long as the slowest
  source, and never longer than the largest timeout (plus scheduling noise);
- a source that fails, raises or exceeds its timeout is cancelled and reported
  in ``errors_by_source``; each of its SLOs gets ``SLIData(error=...)`` (the
  engine keeps the last good answer next to it so the core can mark it STALE),
  and the other sources carry on unaffected;
- ``health`` is updated per source: ``last_success`` / ``last_error_at`` are the
  evaluation time ``now`` (so replays with ``--at`` stay consistent), ``latency``
  is the fetch's duration in seconds measured with ``clock``;
- a source never runs two fetches at once (a per-source lock), and at most
  ``concurrency`` sources fetch at the same time when a limit is given;
- a failing source is retried with backoff across ticks: after a ``Retry-After``
  (429/503, seconds or an HTTP date) it is not asked again before that time
  (at most :data:`MAX_RETRY_AFTER` ahead); after its second failure in a row it
  waits ``BACKOFF_BASE * 2 ** (failures - 2)`` seconds (at most
  :data:`BACKOFF_MAX`) before the next attempt. Meanwhile its SLOs carry the
  last error plus ``backing off until HH:MM:SSZ (Retry-After)`` and no request
  is sent. Times are on the scale of ``now`` (the runtime reads no clock for it);
- every message is passed through ``redact`` (secret values and secret-looking
  URL parts masked) before it is stored in ``health`` or returned.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import replace
from typing import Any, TypeVar

from slotui.clock import strftime_utc
from slotui.config.text import printable
from slotui.config.secrets import mask_urls_in_text
from slotui.core.types import SLIData, SLOSpec
from slotui.sources.kit.base import Source, SourceError, SourceHealth

_log = logging.getLogger("slotui.sources")

DEFAULT_TIMEOUT = 10.0
#: seconds a tick waits for every source before telling a progress callback what came (fetch_all)
PROGRESS_AFTER = 0.5
#: Exponential backoff between ticks after repeated failures (seconds).
BACKOFF_BASE = 15.0
BACKOFF_MAX = 300.0
#: A server's Retry-After is honoured up to this far ahead (seconds).
MAX_RETRY_AFTER = 3600.0

#: Monotonic deadline of the fetch in progress. HTTP clients read it to retry
#: only when a retry can finish before the source's timeout.
FETCH_DEADLINE: ContextVar[float | None] = ContextVar("slotui_fetch_deadline", default=None)

_locks: "weakref.WeakKeyDictionary[object, tuple[asyncio.AbstractEventLoop, asyncio.Lock]]" = (
    weakref.WeakKeyDictionary()
)

K = TypeVar("K", bound=Hashable)


async def gather_answers(jobs: Sequence[tuple[K, Awaitable[Any]]]) -> dict[K, Any]:
    """Await a source's requests concurrently: ``key -> answer``, an ``Exception`` standing for a failed one.

    Re-raises at once a ``BaseException`` that is not an ``Exception``
    (cancellation), and the first :class:`SourceError` when every request failed
    with one: then the source is down, not its queries. Otherwise each caller
    puts a failed request's error on the SLOs that asked it.
    """
    answers = await asyncio.gather(*(job for _, job in jobs), return_exceptions=True)
    results: dict[K, Any] = {}
    for (key, _), answer in zip(jobs, answers):
        if isinstance(answer, BaseException) and not isinstance(answer, Exception):
            raise answer
        results[key] = answer
    failures = [a for a in answers if isinstance(a, SourceError)]
    if failures and len(failures) == len(answers):
        raise failures[0]
    return results


def _source_lock(source: Source) -> asyncio.Lock | None:
    """The lock that keeps one source from running two fetches at once (None if untrackable)."""
    loop = asyncio.get_running_loop()
    try:
        entry = _locks.get(source)
        if entry is None or entry[0] is not loop:
            entry = (loop, asyncio.Lock())
            _locks[source] = entry
    except TypeError:  # not weak-referenceable or not hashable
        return None
    return entry[1]


def describe_error(exc: BaseException, timeout: float) -> str:
    """The one-line message shown for a failed fetch (never a traceback; a server's words in it
    come with control and bidi characters escaped: it reaches terminals and JUnit files)."""
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, SourceError):
        return printable(str(exc)) or "source error"
    text = printable(str(exc))
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def _clock_label(at: float) -> str:
    return strftime_utc(at, "%H:%M:%SZ")


def backoff_after(exc: BaseException, now: float, failures: int) -> tuple[float, str] | None:
    """(until, reason) for a source that just failed for the ``failures``-th time in a row, or None.

    A ``Retry-After`` on the error (``retry_at`` epoch or ``retry_after``
    seconds) wins; otherwise exponential backoff from the second failure on.
    """
    retry_at = getattr(exc, "retry_at", None)
    retry_after = getattr(exc, "retry_after", None)
    if retry_at is None and retry_after is not None:
        retry_at = now + float(retry_after)
    if retry_at is not None and retry_at > now:
        return min(float(retry_at), now + MAX_RETRY_AFTER), "Retry-After"
    if failures >= 2:
        return now + min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (failures - 2)), f"{failures} failures in a row"
    return None


def _redacted(item: SLIData, redact: Callable[[str], str]) -> SLIData:
    error = redact(item.error) if item.error else item.error
    note = redact(item.note) if item.note else item.note
    if error == item.error and note == item.note:
        return item
    return replace(item, error=error, note=note)


async def fetch_one(
    name: str,
    source: Source,
    specs: Sequence[SLOSpec],
    now: float,
    timeout: float,
    health: SourceHealth,
    clock: Callable[[], float] = time.monotonic,
    redact: Callable[[str], str] | None = None,
    backoff: bool = True,
) -> tuple[dict[str, SLIData], str | None]:
    """Fetch one source within ``timeout`` seconds; update ``health``; never raise.

    Returns the data per SLO name (every spec gets an entry) and the source's
    error message, or None on success. While the source backs off
    (``health.backoff_until`` after ``now``) nothing is sent: its last error
    is returned again. ``backoff=False`` (a replay: ``now`` is simulated, each
    step must be asked) neither waits out nor starts a backoff.
    """
    if redact is None:
        redact = mask_urls_in_text
    if backoff and health.backoff_until is not None and now < health.backoff_until:
        error = health.last_error or f"backing off until {_clock_label(health.backoff_until)}"
        return {spec.name: SLIData(error=error) for spec in specs}, error
    health.backoff_until = health.backoff_reason = None
    failure: BaseException | None = None
    started = clock()
    error: str | None = None
    answer: Mapping[str, SLIData] = {}
    lock = _source_lock(source)
    # The deadline lets HTTP retries give up before the timeout cancels them.
    token = FETCH_DEADLINE.set(time.monotonic() + timeout)
    health.fetching_since = now
    try:
        async with asyncio.timeout(timeout):
            if lock is None:
                answer = await source.fetch(specs, now)
            else:
                async with lock:
                    answer = await source.fetch(specs, now)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - a source bug must not stop the tick
        error = redact(describe_error(exc, timeout))
        failure = exc
    finally:
        FETCH_DEADLINE.reset(token)
        health.fetching_since = None
    health.latency = clock() - started
    out: dict[str, SLIData] = {}
    if error is not None:
        health.consecutive_failures += 1
        wait = backoff_after(failure, now, health.consecutive_failures) if failure is not None and backoff else None
        if wait is not None:
            health.backoff_until, health.backoff_reason = wait
            error = f"{error}; backing off until {_clock_label(wait[0])} ({wait[1]})"
        health.last_error = error
        health.last_error_at = now
        for spec in specs:
            out[spec.name] = SLIData(error=error)
        return out, error
    health.last_success = now
    health.consecutive_failures = 0
    for spec in specs:
        item = answer.get(spec.name)
        if item is None:
            out[spec.name] = SLIData(error=f"source {name!r} gave no answer for this SLO")
        else:
            if item.error or item.note:
                item = _redacted(item, redact)
            out[spec.name] = replace(item, fetched_at=now) if item.fetched_at is None and item.error is None else item
    return out, None


async def fetch_all(
    sources: Mapping[str, Source],
    specs_by_source: Mapping[str, Sequence[SLOSpec]],
    now: float,
    timeouts: Mapping[str, float],
    health: dict[str, SourceHealth],
    clock: Callable[[], float] = time.monotonic,
    *,
    concurrency: int | None = None,
    last_good: dict[str, SLIData] | None = None,
    redact: Callable[[str], str] | None = None,
    progress: Callable[[dict[str, SLIData], dict[str, str], frozenset[str]], None] | None = None,
    progress_after: float = PROGRESS_AFTER,
    backoff: bool = True,
) -> tuple[dict[str, SLIData], dict[str, str]]:
    """Fetch every source in ``specs_by_source`` concurrently, as of ``now``.

    ``timeouts`` gives seconds per source (``DEFAULT_TIMEOUT`` when absent).
    ``health`` is updated in place (entries are created for new names).
    ``concurrency`` caps how many sources fetch at once (None: all at once). ``backoff``: see
    :func:`fetch_one` (False for a replay).
    ``last_good``, when given, is the last error-free answer per SLO: it is
    updated with this fetch's good answers, and an SLO whose fetch failed gets
    its last good data back with the error set (``fetched_at`` stays that of
    the good answer, so the core can tell it is STALE). ``redact`` masks
    secrets in messages (default: secret-looking URL parts only). Returns ``(data_by_slo, errors_by_source)``: every SLO of every listed
    source has an entry; an SLO whose source is not configured gets an error.

    ``progress``, when given, is called with what has come so far (data and errors, as returned,
    before ``last_good``) and the names of the sources still fetching, once ``progress_after``
    seconds have passed with a source still out, then each time another one answers while some
    are still out: a screen shows the sources that answered without waiting for a slow one.
    """
    data: dict[str, SLIData] = {}
    errors: dict[str, str] = {}
    limiter = asyncio.Semaphore(concurrency) if concurrency else None

    async def run(name: str, specs: Sequence[SLOSpec]) -> tuple[str, dict[str, SLIData], str | None]:
        source = sources[name]
        timeout = float(timeouts.get(name, DEFAULT_TIMEOUT))
        entry = health.setdefault(name, SourceHealth())
        if limiter is None:
            got, err = await fetch_one(name, source, specs, now, timeout, entry, clock, redact, backoff)
        else:
            async with limiter:
                got, err = await fetch_one(name, source, specs, now, timeout, entry, clock, redact, backoff)
        return name, got, err

    jobs: list[tuple[str, Awaitable[tuple[str, dict[str, SLIData], str | None]]]] = []
    for name, specs in specs_by_source.items():
        if not specs:
            continue
        if name not in sources:
            message = f"source {name!r} is not configured"
            errors[name] = message
            for spec in specs:
                data[spec.name] = SLIData(error=message)
            continue
        jobs.append((name, run(name, specs)))
    if progress is None:
        answers = await asyncio.gather(*(job for _, job in jobs))
    else:
        answers = await _with_progress(jobs, data, errors, progress, progress_after)
    for name, got, err in answers:
        data.update(got)
        if err is not None:
            errors[name] = err
    if last_good is not None:
        for slo, item in data.items():
            if item.error is None:
                last_good[slo] = item
            elif slo in last_good:
                data[slo] = replace(last_good[slo], error=item.error)
    return data, errors


async def _with_progress(
    jobs: Sequence[tuple[str, Awaitable[tuple[str, dict[str, SLIData], str | None]]]],
    data: dict[str, SLIData],
    errors: dict[str, str],
    progress: Callable[[dict[str, SLIData], dict[str, str], frozenset[str]], None],
    after: float,
) -> list[tuple[str, dict[str, SLIData], str | None]]:
    """:func:`fetch_all`'s answers (in the order of ``jobs``), telling ``progress`` what came while
    some are still out (see there); ``jobs`` are (source name, its fetch); ``data`` and ``errors``
    hold what came before any job."""
    tasks = [asyncio.ensure_future(job) for _, job in jobs]
    names = {task: name for task, (name, _) in zip(tasks, jobs)}
    out: dict[asyncio.Future[Any], tuple[str, dict[str, SLIData], str | None]] = {}
    loop = asyncio.get_running_loop()  # (real time: what a screen waits; ``clock`` may be a test's)
    started = loop.time()
    waiting: set[asyncio.Future[Any]] = set(tasks)
    told = False
    try:
        while waiting:
            wait = None if told else max(0.0, after - (loop.time() - started))
            done, waiting = await asyncio.wait(waiting, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                out[task] = task.result()
            if waiting and (told or loop.time() - started >= after):
                told = True
                so_far, failed = dict(data), dict(errors)
                for name, got, err in out.values():
                    so_far.update(got)
                    if err is not None:
                        failed[name] = err
                try:
                    progress(so_far, failed, frozenset(names[task] for task in waiting))
                except Exception:  # noqa: BLE001 - a preview that failed must not fail the tick
                    _log.exception("progress callback failed")
    finally:
        for task in waiting:
            task.cancel()
    return [out[task] for task in tasks]
