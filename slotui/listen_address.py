"""Addresses slotui listens on, as users type them: ``--listen HOST:PORT`` and ``--port N``.

A port outside 0-65535 is refused here, with the option's rules in the message, instead of as an
OverflowError from ``bind()`` once the server starts.
"""

from __future__ import annotations

import argparse
import socket


def parse_port(text: str, *, ephemeral: bool = False) -> int:
    """A TCP port, 1-65535 (0-65535 with ``ephemeral``: 0 lets the system pick one). ValueError otherwise."""
    low = 0 if ephemeral else 1
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()) or not low <= int(stripped) <= 65535:
        raise ValueError(f"expected a port from {low} to 65535; got {text!r}")
    return int(stripped)


def port_argument(text: str) -> int:
    """:func:`parse_port` as an argparse ``type``: the error reads ``argument --port: expected a port ...``."""
    try:
        return parse_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_listen(text: str) -> tuple[str, int] | None:
    """``HOST:PORT`` -> (host, port) (port 0: any free port); ``none`` disables the listener."""
    if text.strip().lower() in {"", "none", "off"}:
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"--listen expects HOST:PORT (e.g. 127.0.0.1:9464) or 'none'; got {text!r}")
    try:
        number = parse_port(port, ephemeral=True)
    except ValueError as exc:
        raise ValueError(f"--listen {text!r}: {exc}") from None
    return (host.strip("[]") or "127.0.0.1", number)


def http_url(host: str, port: int, path: str = "/") -> str:
    """The URL a user can open for ``host:port`` (an IPv6 address in brackets, as RFC 3986 wants)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}{path}"


class ListenError(OSError):
    """The listener cannot bind: the message names the address as given and why (no errno noise)."""

    def __init__(self, host: str, port: int, exc: OSError) -> None:
        why = exc.strerror or str(exc) or type(exc).__name__
        if why.startswith("error while attempting to bind"):  # asyncio's wrapper; the address is said below
            why = why.rsplit("): ", 1)[-1]
        if isinstance(exc, socket.gaierror):
            why = f"{why} (not an address of this machine, nor a host name that resolves)"
        shown = f"[{host}]" if ":" in host else host
        super().__init__(f"--listen {shown}:{port}: cannot listen there: {why}")
