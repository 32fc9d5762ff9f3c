"""``slotui``, ``slotui tui``, ``slotui demo`` and ``slotui run`` (without --headless): the live table.

The config is loaded and the state store opened before the screen takes over,
so a bad file or an unusable state file prints its error and exits 3, as the
headless commands do. ``slotui demo`` ignores ``./slos.yaml`` and uses the
embedded example; unless ``--state`` is given it keeps its state in a
temporary file, so trying the demo never touches your real silences.

``SLOTUI_NOW=2026-11-22T06:30:00Z`` pins the app's clock to one moment
(replays, screenshots, bug reports): every refresh evaluates as of it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from slotui.core.exit_code import UNKNOWN



def _no_terminal() -> bool:
    """Whether the TUI has no terminal to draw on: it started anyway, wrote escape codes into a
    file or pipe, and never exited (a cron job hung). textual-serve's web driver (``slotui serve``)
    talks over pipes by design."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return False
    try:
        return not (sys.stdin.isatty() and sys.stdout.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return True


def run(args: argparse.Namespace) -> int:
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path, resolve_state_path
    from slotui.store import StoreError

    from slotui.alerting.delivery import quiet_failure_log

    quiet_failure_log()  # (each outcome is shown: printed, or in the alert log)
    demo = getattr(args, "command", None) == "demo"
    try:
        loaded = load_config(None if demo and not args.config else resolve_config_path(args.config))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return UNKNOWN
    refresh = None
    if getattr(args, "refresh", None):
        from slotui.tui.settings import parse_refresh

        try:
            refresh = parse_refresh(args.refresh)
        except ValueError as exc:
            print(f"slotui: --refresh: {exc}", file=sys.stderr)
            return UNKNOWN

    clock = None
    pinned = os.environ.get("SLOTUI_NOW")
    if pinned:
        from slotui.clock import parse_time

        try:
            moment = parse_time(pinned)
        except ValueError as exc:
            print(f"slotui: SLOTUI_NOW: {exc}", file=sys.stderr)
            return UNKNOWN
        clock = lambda: moment  # noqa: E731

    tmp: tempfile.TemporaryDirectory[str] | None = None
    if demo and not args.state:
        tmp = tempfile.TemporaryDirectory(prefix="slotui-demo-")
        state_path = Path(tmp.name) / "state.db"
    else:
        state_path = resolve_state_path(args.state)

    def build_backend():  # runs in the backend thread
        from slotui.tui.engine_backend import EngineBackend
        from slotui.wiring import assemble, open_store

        store = open_store(state_path)
        parts = assemble(loaded, store=store)
        return EngineBackend(parts.engine, store=store, alerting=parts.alerting, owns_store=True)

    from slotui.tui.app import make_app

    try:
        app = make_app(backend=build_backend, refresh=refresh, theme=getattr(args, "theme", None), clock=clock,
                       read_only=bool(getattr(args, "read_only", False)))
    except StoreError as exc:
        print(f"slotui: {exc}", file=sys.stderr)
        return UNKNOWN
    if _no_terminal():
        app.thread.close()
        if tmp is not None:
            tmp.cleanup()
        name = "demo" if demo else "tui" if getattr(args, "command", None) != "run" else "run"
        print(f"slotui {name}: no terminal (stdin or stdout is not a tty): the live table needs one; for a "
              "script, cron or CI use `slotui check` or `slotui run --headless`", file=sys.stderr)
        return UNKNOWN
    from slotui import gc_policy

    gc_policy.apply()
    try:
        app.run()
    finally:
        app.thread.close()
        if tmp is not None:
            tmp.cleanup()
    return app.return_code or 0
