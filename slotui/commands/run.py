"""``slotui run --headless``: the daemon.

Evaluates on the config's interval (the next tick is armed only after the
previous one finished, so polls never overlap), enqueues notifications, runs
the delivery dispatcher beside it, mirrors silences to Alertmanager channels
after each tick (in the background, never overlapping, failures logged), and
serves ``/metrics`` (Prometheus text format) and ``/healthz`` on ``--listen``.
SIGTERM or SIGINT stop it cleanly.
Never imports Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from slotui.cli import EXIT_UNKNOWN


def _log(message: str) -> None:
    from slotui.clock import format_time, utc_now

    print(f"{format_time(utc_now())} {message}", file=sys.stderr, flush=True)


COMPACT_EVERY = 3600.0


def parse_listen(text: str) -> tuple[str, int] | None:
    """``HOST:PORT`` -> (host, port); ``none`` disables the listener."""
    if text.strip().lower() in {"", "none", "off"}:
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"--listen expects HOST:PORT (e.g. 127.0.0.1:9464) or 'none'; got {text!r}")
    return (host.strip("[]") or "127.0.0.1", int(port))


class Daemon:
    """The headless loop; ``stop()`` ends it after the tick in progress."""

    def __init__(self, engine, interval: float, listen: tuple[str, int] | None, alerting=None) -> None:
        self.engine = engine
        self.interval = interval
        self.listen = listen
        self.alerting = alerting
        self.stopping = asyncio.Event()
        self.server: asyncio.AbstractServer | None = None
        self.port: int | None = None
        self.last_error: str | None = None
        #: :class:`slotui.alerting.mirror.DaemonMirror`, when an Alertmanager channel mirrors silences
        self.mirror = None
        self._mirror_task: asyncio.Task | None = None

    def stop(self) -> None:
        self.stopping.set()

    # ---------------------------------------------------------------- http

    def metrics_text(self) -> str:
        from slotui.output.exposition import render

        report = self.engine.last_report
        store = self.engine.store
        bad_rows = store.bad_rows.counts() if store is not None else None
        return render(report, health=self.engine.health, bad_rows=bad_rows) if report is not None else ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request_line.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else "/"
            if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
                status, ctype, body = "405 Method Not Allowed", "text/plain", "method not allowed\n"
            elif path == "/metrics":
                status, ctype, body = "200 OK", "text/plain; version=0.0.4; charset=utf-8", self.metrics_text()
            elif path == "/healthz":
                ok = self.engine.last_report is not None
                status = "200 OK" if ok else "503 Service Unavailable"
                ctype, body = "text/plain", ("ok\n" if ok else "no evaluation yet\n")
            else:
                status, ctype, body = "404 Not Found", "text/plain", "try /metrics or /healthz\n"
            payload = body.encode()
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            writer.write(head if parts and parts[0] == "HEAD" else head + payload)
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

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

    # ---------------------------------------------------------------- loop

    async def run(self, *, once: bool = False) -> int:
        from slotui.clock import utc_now

        if self.listen is not None:
            self.server = await asyncio.start_server(self._handle, self.listen[0], self.listen[1])
            self.port = self.server.sockets[0].getsockname()[1]
            _log(f"listening on http://{self.listen[0]}:{self.port}/metrics")
        dispatcher = None
        if self.alerting is not None and not once:
            dispatcher = asyncio.create_task(self.alerting.run_dispatcher(self.stopping))
        previous: dict[str, str] = {}
        next_compaction = 0.0
        try:
            while not self.stopping.is_set():
                try:
                    now = utc_now()
                    store = self.engine.store
                    if store is not None and now >= next_compaction:
                        # Retention: raw slices merge into hourly rows, the oldest are dropped.
                        store.compact(now)
                        next_compaction = now + COMPACT_EVERY
                    report = await self.engine.tick(now)
                    for result in report.results:
                        status = result.status.value
                        if previous.get(result.spec.name) != status:
                            _log(f"slo={result.spec.name} status={status}")
                            previous[result.spec.name] = status
                    for source, error in report.source_errors.items():
                        _log(f"source={source} error={error}")
                    self.last_error = None
                except Exception as exc:  # a tick must never kill the daemon
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    _log(f"tick failed: {self.last_error}")
                self._start_mirror(utc_now())
                if once:
                    if self._mirror_task is not None:
                        await self._mirror_task
                    if self.alerting is not None:
                        await self.alerting.deliver_due(utc_now())
                    break
                try:
                    await asyncio.wait_for(self.stopping.wait(), self.interval)
                except asyncio.TimeoutError:
                    pass
        finally:
            if self._mirror_task is not None and not self._mirror_task.done():
                try:
                    await asyncio.wait_for(self._mirror_task, 10)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    pass
            if dispatcher is not None:
                self.stopping.set()
                try:
                    await asyncio.wait_for(dispatcher, 10)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    dispatcher.cancel()
            if self.server is not None:
                self.server.close()
                await self.server.wait_closed()
        return 0


def build_daemon(loaded, store, listen):
    """The engine, alerting and daemon for a loaded config (shared with tests)."""
    from slotui.engine import Engine

    alerting = None
    if loaded.config.alerts.channels:
        from slotui.alerting.service import Alerting

        alerting = Alerting.from_config(loaded, store)
    engine = Engine(loaded, store=store, alerting=alerting)
    interval = float(loaded.config.defaults.interval)
    daemon = Daemon(engine, interval, listen, alerting=alerting)
    if alerting is not None:
        from slotui.alerting.mirror import DaemonMirror  # imports no httpx by itself

        daemon.mirror = DaemonMirror.for_config(loaded, store, channels=lambda: alerting.channels)
    return daemon


async def _main(args: argparse.Namespace, loaded) -> int:
    from slotui.store import Store

    store = Store.open(Path(args.state) if args.state else None)
    daemon = build_daemon(loaded, store, parse_listen(args.listen))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.stop)
    try:
        return await daemon.run(once=args.once)
    finally:
        await daemon.engine.aclose()
        if daemon.alerting is not None:
            await daemon.alerting.aclose()
        store.close()
        _log("stopped")


def run(args: argparse.Namespace) -> int:
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path
    from slotui.store import StoreError

    try:
        loaded = load_config(resolve_config_path(args.config))
        parse_listen(args.listen)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_UNKNOWN
    except ValueError as exc:
        print(f"slotui run: {exc}", file=sys.stderr)
        return EXIT_UNKNOWN
    from slotui import gc_policy

    gc_policy.apply()
    try:
        return asyncio.run(_main(args, loaded))
    except StoreError as exc:
        print(f"slotui run: {exc}", file=sys.stderr)
        return EXIT_UNKNOWN
    except OSError as exc:
        print(f"slotui run: {exc}", file=sys.stderr)
        return EXIT_UNKNOWN
