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
  silence them);
- the websocket only answers the page it serves (:func:`origin_refusal`): a
  page of another site in the operator's browser cannot read the table or
  mute SLOs through it.
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


def origin_refusal(origin: str | None, host_header: str, *, bound_to: str, public_url: str | None) -> str | None:
    """Why a browser's websocket to ``/ws`` is refused, or None. A browser sends ``Origin``: a page of
    another site (``http://evil.example``) opening ``ws://127.0.0.1:8000/ws`` read the SLO table and, with
    ``--allow-actions``, muted SLOs in the operator's name (loopback binding does not stop it: the
    operator's own browser connects). Allowed: the page's own origin (the ``Host`` it was asked by) or
    ``--public-url``'s; on a loopback bind, the ``Host`` must be a loopback name too (a DNS-rebound name
    is not). No ``Origin`` (curl, a script): not a browser page, allowed."""
    from urllib.parse import urlsplit

    name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    if is_loopback(bound_to) and not is_loopback(name.strip("[]")):
        return f"the page was asked for as {host_header!r}; this server answers on a loopback name only"
    if origin is None:
        return None
    asked = urlsplit(origin)
    allowed = {host_header.lower()}
    if public_url:
        allowed.add(urlsplit(public_url).netloc.lower())
    if asked.scheme not in ("http", "https") or asked.netloc.lower() not in allowed:
        return f"websocket from another site ({origin!r}) refused: open the page this server serves"
    return None


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
            f"slotui serve: refusing to serve on {host or repr(host) + ' (every interface)'}, which is not a "
            "loopback address: anyone who can "
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

    from aiohttp import web
    from textual_serve.server import Server

    class GuardedServer(Server):
        """textual-serve with the origin of each websocket checked (:func:`origin_refusal`)."""

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            why = origin_refusal(request.headers.get("Origin"), request.host, bound_to=host,
                                 public_url=args.public_url)
            if why is not None:
                raise web.HTTPForbidden(text=f"slotui serve: {why}\n")
            return await super().handle_websocket(request)

    read_only = not args.allow_actions
    mode = "read-only" if read_only else "actions allowed"
    server = GuardedServer(app_command(args, read_only=read_only), host=host, port=args.port, title="slotui",
                           public_url=args.public_url)
    from slotui.listen_address import http_url

    print(f"slotui serve: {http_url(host, args.port)} ({mode}); Ctrl+C stops", file=sys.stderr, flush=True)
    try:
        server.serve()
    except OSError as exc:  # the address is taken or not ours (EADDRINUSE, EADDRNOTAVAIL, EACCES)
        print(f"slotui serve: cannot listen on {host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return UNKNOWN
    return 0
