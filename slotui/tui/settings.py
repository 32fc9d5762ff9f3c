"""The TUI's own preferences: theme, icon set, refresh interval and key map.

Read from ``$SLOTUI_TUI_CONFIG`` or ``<user_config>/slotui/tui.yaml``::

    theme: slotui-light
    icons: ascii            # unicode | ascii
    refresh: 15s
    keymap:                 # binding id -> key(s), comma-separated
      slotui.snooze: ctrl+z,z
      slotui.mute: M

Command-line options (``--theme``, ``--refresh``) win over the file. A file
that does not parse is reported (the app shows the problem) and ignored.
Binding ids are listed by ``?`` (help) and in :data:`slotui.tui.app.BINDING_IDS`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from slotui.config.durations import MAX_DURATION, parse_duration


@dataclass
class TuiSettings:
    theme: str | None = None
    icons: str | None = None
    refresh: float | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    problems: list[str] = field(default_factory=list)


def settings_path() -> Path | None:
    env = os.environ.get("SLOTUI_TUI_CONFIG")
    if env:
        return Path(env)
    try:
        from slotui.config.locations import user_config_dir

        return user_config_dir() / "tui.yaml"
    except Exception:
        return None


def load_settings(path: Path | None = None) -> TuiSettings:
    """Read the settings file; a missing file gives defaults, a bad one a recorded problem."""
    path = path if path is not None else settings_path()
    settings = TuiSettings(path=path)
    if path is None or not path.is_file():
        return settings
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, yaml.YAMLError) as exc:  # ValueError: not UTF-8
        settings.problems.append(f"{path}: {exc}")
        return settings
    except RecursionError:
        settings.problems.append(f"{path}: lists and mappings nested too deeply")
        return settings
    if not isinstance(raw, dict):
        settings.problems.append(f"{path}: expected a mapping (theme, icons, refresh, keymap)")
        return settings
    unknown = set(raw) - {"theme", "icons", "refresh", "keymap"}
    if unknown:
        settings.problems.append(f"{path}: unknown keys {', '.join(sorted(unknown))} (expected theme, icons, refresh, keymap)")
    if isinstance(raw.get("theme"), str):
        settings.theme = raw["theme"]
    if isinstance(raw.get("icons"), str):
        settings.icons = raw["icons"]
    if raw.get("refresh") is not None:
        try:
            settings.refresh = parse_refresh(raw["refresh"])
        except ValueError as exc:
            settings.problems.append(f"{path}: refresh: {exc}")
    keymap = raw.get("keymap") or {}
    if isinstance(keymap, dict):
        settings.keymap = {str(k): str(v) for k, v in keymap.items()}
    else:
        settings.problems.append(f"{path}: keymap: expected a mapping of binding id to keys")
    return settings


def parse_refresh(value: object) -> float:
    """A refresh interval: a duration (``15s``, ``1m``) of at least one second."""
    seconds = float(parse_duration(value))  # type: ignore[arg-type]
    if seconds < 1:
        raise ValueError(f"refresh interval must be at least 1s; got {value!r}")
    if seconds > MAX_DURATION:  # the config's own bound for an interval
        raise ValueError(f"refresh interval must be at most 366d (a year and a day); got {value!r}")
    return seconds
