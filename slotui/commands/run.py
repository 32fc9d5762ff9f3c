"""``slotui run --headless``: the daemon.

Evaluates on the config's interval (the next tick is armed only after the
previous one finished, so polls never overlap), enqueues notifications, runs
the delivery dispatcher beside it, mirrors silences to Alertmanager channels
after each tick (in the background, never overlapping, failures logged), and
serves ``/metrics`` (Prometheus text format) and ``/healthz`` on ``--listen``.
SIGTERM or SIGINT stop it cleanly (a source fetch in progress is cancelled,
not waited for). SIGHUP reloads the SLO file between two
ticks (an invalid file is logged and the running config kept). Only one daemon
runs per state file (:mod:`slotui.state_lock`).
Never imports Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from slotui.core.exit_code import UNKNOWN
from slotui.listen_address import ListenError, http_url, parse_listen



def _log(message: str) -> None:
    from slotui.clock import format_time, utc_now

    print(f"{format_time(utc_now())} {message}", file=sys.stderr, flush=True)


def _log_records_as_lines() -> None:
    """The daemon's ``logging`` warnings (a bad state row, a delivery held up by the state file)
    as the log's other lines, with their time: Python's last-resort handler wrote them bare."""
    import logging

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                _log(record.getMessage())
            except Exception:  # a message that does not format: logging's own report, never a crash
                self.handleError(record)

    logger = logging.getLogger("slotui")
    if not any(isinstance(h, Lines) for h in logger.handlers):
        logger.addHandler(Lines(logging.WARNING))
        logger.propagate = False


COMPACT_EVERY = 3600.0
#: How long one store call of the daemon waits for another process's write lock (SQLite's busy
#: timeout). Store calls run on the event loop, so a wait blocks /metrics, /healthz and signal
#: handling: with the CLI's 10 s, a `sqlite3` shell holding a write transaction froze the listener
#: for over 30 s (tick + one claim per channel worker). Other slotui writers hold the lock for
#: milliseconds; a tick that still finds it busy fails, is logged, and the next tick retries.
BUSY_TIMEOUT = 1.0


class Daemon:
    """The headless loop; ``stop()`` ends it (a tick still fetching is cancelled)."""

    def __init__(
        self, engine, interval: float, listen: tuple[str, int] | None, alerting=None, *, config_path: Path | None = None
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.listen = listen
        self.alerting = alerting
        #: the SLO file SIGHUP reloads (``None``: the embedded example)
        self.config_path = config_path
        self.stopping = asyncio.Event()
        # Set by stop() and request_reload(): ends the wait between two ticks early.
        self._wakeup = asyncio.Event()
        self._reload_requested = False
        self.reloads = 0
        self._dispatcher: asyncio.Task | None = None
        self._dispatcher_stop = asyncio.Event()
        self._delivering = False
        self._next_compaction = 0.0
        # Last status logged per SLO: a line is logged only when it changes.
        self._statuses: dict[str, str] = {}
        # Last error logged per source: the same answer (a source backing off repeats its last
        # error at every tick) is not logged again; a recovery is.
        self._source_errors: dict[str, str] = {}
        self.server = None  # the MetricsListener, once run() started it
        self.port: int | None = None
        self.last_error: str | None = None
        #: set while the state file at the path is not the one this daemon has open
        self.state_replaced: str | None = None
        #: :class:`slotui.alerting.mirror.DaemonMirror`, when an Alertmanager channel mirrors silences
        self.mirror = None
        self._mirror_task: asyncio.Task | None = None

    def stop(self) -> None:
        self.stopping.set()
        self._wakeup.set()

    def request_reload(self) -> None:
        """Reload the SLO file before the next tick (SIGHUP). Several requests before then reload once."""
        if not self._reload_requested:
            _log("SIGHUP received: the SLO file is reloaded before the next tick")
        self._reload_requested = True
        self._wakeup.set()

    # ---------------------------------------------------------------- http

    def metrics_text(self) -> str:
        from slotui.output.exposition import render

        report = self.engine.last_report
        store = self.engine.store
        bad_rows = store.bad_rows.counts() if store is not None else None
        alerting = self.engine.alerting
        deliveries = alerting.delivery_attempts if alerting is not None else None
        return render(report, health=self.engine.health, bad_rows=bad_rows,
                      deliveries=deliveries) if report is not None else ""

    def route(self, path: str) -> tuple[int, str, bytes]:
        """The answer to a GET of ``path`` (the listener handles HTTP itself, methods and limits)."""
        if path == "/metrics":
            from slotui.output.exposition import CONTENT_TYPE

            return 200, CONTENT_TYPE, self.metrics_text().encode()
        if path == "/healthz":
            # Not "ok" while ticks fail (a damaged or full state file): /metrics would serve the last
            # good numbers, and a probe must not call that healthy.
            if self.last_error is not None:
                return 503, "text/plain; charset=utf-8", f"last evaluation failed: {self.last_error}\n".encode()
            if self.state_replaced is not None:
                return 503, "text/plain; charset=utf-8", f"{self.state_replaced}\n".encode()
            if self.engine.last_report is not None:
                return 200, "text/plain; charset=utf-8", b"ok\n"
            return 503, "text/plain; charset=utf-8", b"no evaluation yet\n"
        return 404, "text/plain; charset=utf-8", b"try /metrics or /healthz\n"

    # ---------------------------------------------------------------- silence mirroring

    def _start_mirror(self, now: float) -> None:
        """Reconcile silences with Alertmanager beside the ticks (a slow one never delays evaluation)."""
        if self.mirror is None or (self._mirror_task is not None and not self._mirror_task.done()):
            return
        self._mirror_task = asyncio.create_task(self._mirror_once(now))

    async def _mirror_once(self, now: float) -> None:
        try:
            for line in await self.mirror.sync(now):
                _log(line)
        except Exception as exc:  # mirroring is best effort: never fatal, always logged
            _log(f"silence mirroring failed: {type(exc).__name__}: {exc}")

    # ---------------------------------------------------------------- delivery

    def _start_dispatcher(self) -> None:
        if self.alerting is None or not self.alerting.has_channels:
            return
        self._dispatcher_stop = asyncio.Event()
        self._dispatcher = asyncio.create_task(self.alerting.run_dispatcher(self._dispatcher_stop))

    async def _stop_dispatcher(self) -> None:
        """Stop delivery; sends in flight finish first (bounded), so nothing is left half-sent."""
        task, self._dispatcher = self._dispatcher, None
        if task is None:
            return
        self._dispatcher_stop.set()
        try:
            await asyncio.wait_for(task, 10)  # (wait_for cancels it on timeout: its sends release their rows)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            task.cancel()

    # ---------------------------------------------------------------- reload (SIGHUP)

    async def reload(self) -> bool:
        """Load the SLO file again and swap config, sources and objectives in; False if it failed.

        Runs between two ticks. Alert states, silences and the outbox live in
        the state store under stable fingerprints, so they carry over as they
        are; unchanged sources and SLOs keep their state (see
        :meth:`slotui.engine.Engine.adopt`). An invalid file, or one whose
        sources or channels cannot be built, is logged with its located error
        and the running config is kept.
        """
        from slotui.config.errors import ConfigError
        from slotui.config.loader import load_config

        self._reload_requested = False
        where = str(self.config_path) if self.config_path is not None else "the embedded example config"
        _log(f"reloading {where}")
        try:
            loaded = load_config(self.config_path)
        except ConfigError as exc:
            lines = exc.render().splitlines()
            _log(f"reload failed, the previous config keeps running: {lines[0] if lines else exc}")
            for line in lines[1:]:
                _log(f"  {line}")
            return False
        try:
            fresh = build_daemon(loaded, self.engine.store, self.listen, config_path=self.config_path)
            retired = fresh.engine.adopt(self.engine)
        except Exception as exc:  # e.g. a source or channel that cannot be built: keep what runs
            _log(f"reload failed, the previous config keeps running: {type(exc).__name__}: {exc}")
            return False
        await self._stop_dispatcher()
        old_alerting = self.alerting
        self.engine, self.alerting, self.mirror = fresh.engine, fresh.alerting, fresh.mirror
        self.interval = fresh.interval
        if self._delivering:
            self._start_dispatcher()
        for source in retired:
            try:
                await source.aclose()
            except Exception:  # closing must not mask the reload
                pass
        if old_alerting is not None:
            await old_alerting.aclose()
        self.reloads += 1
        _log(f"reloaded: {len(self.engine.specs)} SLOs, interval {self.interval:g}s")
        return True

    # ---------------------------------------------------------------- loop

    async def step(self, now: float) -> None:
        """One tick as of ``now``: compaction when due, fetch, evaluate, enqueue, log status changes.

        Never raises for a failing tick (it is logged and kept in ``last_error``).
        bench/soak.py drives this with a simulated clock.
        """
        try:
            store = self.engine.store
            if store is not None:
                self._check_state_file(store)
            # A clock set back (NTP correcting a wrong boot time) must not postpone retention by the jump.
            if store is not None and (now >= self._next_compaction or self._next_compaction - now > COMPACT_EVERY):
                # Retention: raw slices merge into hourly rows, the oldest are dropped; so are
                # silences that ended longer ago than the silence retention (Alertmanager's GC).
                store.compact(now)
                from slotui.alerting.silences import Silences
                from slotui.formatting import format_duration

                silences = Silences(store)
                dropped = silences.gc(now)
                if dropped:
                    _log(f"silences: dropped {len(dropped)} that ended over {format_duration(silences.retention)} ago")
                self._next_compaction = now + COMPACT_EVERY
            report = await self.engine.tick(now)
            for result in report.results:
                status = result.status.value
                if self._statuses.get(result.spec.name) != status:
                    _log(f"slo={result.spec.name} status={status}")
                    self._statuses[result.spec.name] = status
            for source, error in report.source_errors.items():
                if self._source_errors.get(source) != error:
                    _log(f"source={source} error={error}")
            used = {r.spec.source for r in report.results}
            for source in self._source_errors.keys() - report.source_errors.keys():
                if source in used:  # not a source a reload removed
                    _log(f"source={source} recovered")
            self._source_errors = dict(report.source_errors)
            if self.last_error is not None:
                _log("ticks succeed again")
            self.last_error = None
        except Exception as exc:  # a tick must never kill the daemon
            from slotui.store import StoreError

            # A StoreError's message says what is wrong with which file; others need their type.
            error = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
            if error != self.last_error:  # the same failure at every tick is one event, not one per tick
                _log(f"tick failed: {error}")
            self.last_error = error

    def _check_state_file(self, store) -> None:
        """Say once (log, /healthz 503) when the state file was deleted or replaced under the daemon.

        Evaluation and delivery go on with the file it has open, but silences, acks and test
        alerts that the CLI or the TUI write at the path are no longer seen: restart to share again.
        """
        why = store.file_replaced()
        problem = None if why is None else (
            f"state file {store.path} {why} while this daemon runs: silences and acknowledgements made "
            "by `slotui silence` or the TUI there are not seen by it; restart the daemon"
        )
        if problem != self.state_replaced:
            _log(problem if problem is not None else f"state file {store.path} is the daemon's own again")
        self.state_replaced = problem

    async def _step_unless_stopped(self, now: float) -> bool:
        """One :meth:`step`; False if SIGTERM/SIGINT came first (the tick's fetch is then cancelled).

        A source may take up to its ``timeout`` (minutes, for a slow query): a stop must not wait
        for it (systemd kills after 90 s). Only the fetch can be cancelled: the writes that follow
        it have no await point, so nothing is left half-written.
        """
        tick = asyncio.create_task(self.step(now))
        stop = asyncio.create_task(self.stopping.wait())
        try:
            await asyncio.wait({tick, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if tick.done():
            return True
        tick.cancel()
        await asyncio.gather(tick, return_exceptions=True)
        _log("stop requested during a tick: its fetch was cancelled")
        return False

    async def run(self, *, once: bool = False) -> int:
        from slotui.clock import utc_now

        if self.listen is not None:
            from slotui.output.metrics_listener import MetricsListener

            host, port = self.listen
            self.server = MetricsListener(self.route, host, port, log=_log)
            try:
                self.port = await self.server.start()
            except OSError as exc:  # taken, not ours, or a name that does not resolve
                self.server = None
                raise ListenError(host, port, exc) from None
            _log(f"listening on {http_url(host, self.port, '/metrics')}")
        self._delivering = not once
        if self._delivering:
            self._start_dispatcher()
        evaluated = False
        try:
            while not self.stopping.is_set():
                if self._reload_requested:
                    await self.reload()
                if not await self._step_unless_stopped(utc_now()):
                    break
                evaluated = True
                self._start_mirror(utc_now())
                if once:
                    if self._mirror_task is not None:
                        await self._mirror_task
                    if self.alerting is not None:
                        await self.alerting.deliver_due(utc_now())
                    break
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self.interval)
                except asyncio.TimeoutError:
                    pass
                self._wakeup.clear()
        finally:
            if self._mirror_task is not None and not self._mirror_task.done():
                try:
                    await asyncio.wait_for(self._mirror_task, 10)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    pass
            await self._stop_dispatcher()
            if self.server is not None:
                await self.server.close()
        # --once is a cron job's one evaluation: a tick that failed, a source it could not read, or
        # a stop (SIGTERM, SIGINT, a cron timeout) before the tick finished must not read as success
        # (3, UNKNOWN, as `check` exits for a failed source).
        return UNKNOWN if once and (not evaluated or self.last_error is not None or self._source_errors) else 0


def build_daemon(loaded, store, listen, *, config_path: Path | None = None):
    """The engine, alerting and daemon for a loaded config (shared with tests and reloads)."""
    from slotui.wiring import assemble

    parts = assemble(loaded, store=store)
    alerting = parts.alerting
    interval = float(loaded.config.defaults.interval)
    daemon = Daemon(parts.engine, interval, listen, alerting=alerting, config_path=config_path)
    if alerting is not None and alerting.has_channels:
        from slotui.alerting.mirror import DaemonMirror  # imports no httpx by itself

        daemon.mirror = DaemonMirror.for_config(loaded, store, channels=lambda: alerting.channels)
    return daemon


async def _main(args: argparse.Namespace, loaded, config_path: Path | None) -> int:
    from slotui.state_lock import StateLock
    from slotui.store import Store

    store = Store.open(Path(args.state) if args.state else None, busy_timeout=BUSY_TIMEOUT)
    try:
        lock = StateLock.acquire(store.path)
    except BaseException:
        store.close()
        raise
    daemon = build_daemon(loaded, store, parse_listen(args.listen), config_path=config_path)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.stop)
    loop.add_signal_handler(signal.SIGHUP, daemon.request_reload)
    if _early_sighup:  # it came while the config was loading: that load may predate the change
        daemon.request_reload()
    try:
        return await daemon.run(once=args.once)
    finally:
        await daemon.engine.aclose()
        if daemon.alerting is not None:
            await daemon.alerting.aclose()
        store.close()
        lock.release()
        _log("stopped")


#: SIGHUPs received before the daemon's loop installed its handler (SIGHUP's default action is to exit).
_early_sighup: list[int] = []


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGHUP, lambda signum, frame: _early_sighup.append(signum))
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path
    from slotui.state_lock import StateLocked
    from slotui.store import StoreError

    try:
        config_path = resolve_config_path(args.config)
        loaded = load_config(config_path)
        parse_listen(args.listen)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return UNKNOWN
    except ValueError as exc:
        print(f"slotui run: {exc}", file=sys.stderr)
        return UNKNOWN
    from slotui import gc_policy

    gc_policy.apply()
    _log_records_as_lines()
    try:
        return asyncio.run(_main(args, loaded, config_path))
    except StateLocked as exc:
        print(f"slotui run: {exc}", file=sys.stderr)
        return UNKNOWN
    except StoreError as exc:
        print(f"slotui run: {exc}", file=sys.stderr)
        return UNKNOWN
    except OSError as exc:
        print(f"slotui run: {exc}", file=sys.stderr)
        return UNKNOWN
