"""Every file location slotui uses, in one place.

- the SLO file: ``-c FILE``, else ``./slos.yaml`` when it exists, else the
  embedded demo (``slotui/slos.example.yaml``);
- the state database: ``--state PATH``, else env ``SLOTUI_STATE``, else
  ``<platform user state dir>/slotui/state.db``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The SLO file looked for in the current directory when ``-c`` is not given.
DEFAULT_CONFIG_NAME = "slos.yaml"
#: The embedded example SLO file (the demo: demo source, no network, no secrets).
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "slos.example.yaml"
#: Environment variable overriding the state database path.
STATE_ENV = "SLOTUI_STATE"


def resolve_config_path(arg: str | os.PathLike[str] | None, *, cwd: Path | None = None) -> Path | None:
    """The SLO file to load: ``arg`` when given, else ``./slos.yaml`` if present, else ``None``.

    ``None`` means "the embedded example" (what :func:`slotui.config.loader.load_config`
    loads for ``path=None``). The path is not checked for existence here; the
    loader reports a missing file clearly.
    """
    if arg is not None and str(arg) != "":
        return Path(arg).expanduser()
    candidate = (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
    if candidate.is_file():
        return candidate
    return None


def default_state_path(env: dict[str, str] | None = None) -> Path:
    """The state database: env ``SLOTUI_STATE`` if set, else the platform user state dir.

    On Linux that is ``~/.local/state/slotui/state.db``. The directory is not created here.
    """
    environ = os.environ if env is None else env
    override = environ.get(STATE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_path("slotui")) / "state.db"


def resolve_state_path(arg: str | os.PathLike[str] | None) -> Path:
    """``--state PATH`` when given, else :func:`default_state_path`."""
    if arg is not None and str(arg) != "":
        return Path(arg).expanduser()
    return default_state_path()


def user_config_dir() -> Path:
    """The per-user config directory (``~/.config/slotui`` on Linux): TUI settings, user themes.

    Not created here.
    """
    import platformdirs

    return Path(platformdirs.user_config_path("slotui"))
