"""``slotui serve``: the live SLO table in a browser, served by textual-serve.

Each browser tab gets its own ``slotui tui`` process (textual-serve runs the
command per connection and streams the terminal over a websocket), so the page
shows exactly what the terminal shows. Safe by default:

- it binds to loopback (``127.0.0.1``);
- actions that change state (mute, snooze, acknowledge, test alert, silence
  edits) are off unless ``--allow-actions`` is given: a key for one of them
  says "read-only" and does nothing;
- a non-loopback ``--host`` is refused unless ``--read-only`` or
  ``--allow-actions`` says which of the two the operator means, because
  anyone who can reach the port sees the SLOs (and, with actions, can
  silence them).
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys

from slotui.core.exit_code import UNKNOWN, USAGE




def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def app_command(args: argparse.Namespace, *, read_only: bool) -> str:
    """The shell command textual-serve starts for each browser connection."""
    argv = [sys.executable, "-m", "slotui", "tui"]
    if getattr(args, "config", None):
        argv += ["-c", args.config]
    if getattr(args, "state", None):
        argv += ["--state", args.state]
    if getattr(args, "theme", None):
        argv += ["--theme", args.theme]
    if getattr(args, "refresh", None):
        argv += ["--refresh", args.refresh]
    if read_only:
        argv.append("--read-only")
    return shlex.join(argv)


def run(args: argparse.Namespace) -> int:
    host: str = args.host
    if not is_loopback(host) and not (args.read_only or args.allow_actions):
        print(
            f"slotui serve: refusing to serve on {host}, which is not a loopback address: anyone who can "
            "reach it would see your SLOs. Add --read-only to share the table without actions, or "
            "--allow-actions to let them mute, snooze, acknowledge and send test alerts.",
            file=sys.stderr,
        )
        return USAGE
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path

    try:  # a broken file is reported here, not in every browser tab
        load_config(resolve_config_path(getattr(args, "config", None)))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return UNKNOWN

    from textual_serve.server import Server

    read_only = not args.allow_actions
    mode = "read-only" if read_only else "actions allowed"
    server = Server(app_command(args, read_only=read_only), host=host, port=args.port, title="slotui",
                    public_url=args.public_url)
    from slotui.listen_address import http_url

    print(f"slotui serve: {http_url(host, args.port)} ({mode}); Ctrl+C stops", file=sys.stderr, flush=True)
    try:
        server.serve()
    except OSError as exc:  # the address is taken or not ours (EADDRINUSE, EADDRNOTAVAIL, EACCES)
        print(f"slotui serve: cannot listen on {host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return UNKNOWN
    return 0
