"""Where a command writes its output (``check --output``, ``export -o``, ``import -o``): never over a
file the same run reads or the config names. ``check -c slos.yaml --output slos.yaml`` emptied the SLO
file before loading it, ``--output requests.jsonl`` a request log, ``import sloth.yml -o sloth.yml``
replaced the spec it read: the output can never be what was meant, so the command refuses (exit 3)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def config_files(loaded: Any) -> list[tuple[str, Path]]:
    """``(what, path)`` of every file a loaded SLO file names: itself, its file sources' logs, its
    file channels' logs and the TLS files of its sources and channels (relative to its folder)."""
    out: list[tuple[str, Path]] = []
    if loaded is None:
        return out
    if loaded.path is not None:
        out.append(("the SLO file", Path(loaded.path)))
    base = Path(loaded.base_dir)

    def add(what: str, value: Any) -> None:
        if value:
            path = Path(os.path.expanduser(str(value)))
            out.append((what, path if path.is_absolute() else base / path))

    config = loaded.config
    for name, source in config.sources.items():
        add(f"source {name!r}'s file", getattr(source, "path", None))
        tls = getattr(source, "tls", None)
        for key in ("ca_file", "cert_file", "key_file"):
            add(f"source {name!r}'s {key}", getattr(tls, key, None) if tls is not None else None)
    for name, channel in config.alerts.channels.items():
        add(f"channel {name!r}'s file", getattr(channel, "path", None))
        add(f"channel {name!r}'s ca_file", getattr(channel, "ca_file", None))
    return out


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)  # (a symlink or a hard link to it too)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def clobbered(output: str | None, inputs: Iterable[tuple[str, Path | str | None]]) -> str | None:
    """What writing ``output`` would overwrite of ``inputs`` (``(what, path)``), as ``"<what> (<path>)"``;
    None when it overwrites none of them (or it is stdout: none or ``-``)."""
    if not output or output == "-":
        return None
    target = Path(os.path.expanduser(output))
    for what, path in inputs:
        if path is not None and str(path) != "" and _same(target, Path(os.path.expanduser(str(path)))):
            return f"{what} ({path})"
    return None
