"""Themes and icon sets are data: YAML files under ``themes/`` turned into Textual themes.

A theme file holds the colours of :class:`textual.theme.Theme` plus an
``icons`` key naming an icon set (``themes/icons/<name>.yaml``). Files are
searched in the user's config dir (``<user_config>/slotui/themes``) first, then
in the ``themes/`` folder shipped beside the package. An invalid file is
skipped with a warning the app shows on start (loud fallback, never a crash):
the app falls back to ``slotui-dark``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "slotui-dark"
DEFAULT_ICONS = "unicode"


def theme_dirs() -> list[Path]:
    """Folders searched for themes, most specific first: $SLOTUI_THEMES, user config, shipped."""
    dirs: list[Path] = []
    env = os.environ.get("SLOTUI_THEMES")
    if env:
        dirs.append(Path(env))
    try:
        from slotui.config.locations import user_config_dir

        dirs.append(user_config_dir() / "themes")
    except Exception:  # platformdirs is a dependency, but a broken HOME must not stop the app
        pass
    dirs.append(shipped_themes_dir())
    return dirs


def shipped_themes_dir() -> Path:
    """``slotui/themes``: the shipped themes, package data of every install.

    (The repository's top-level ``themes/`` is a link to it.)
    """
    return Path(__file__).resolve().parents[1] / "themes"


class ThemeFile(BaseModel):
    """One theme file. Colours are CSS colours (``#RRGGBB``, ``rgb(...)``, names)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    success: str | None = None
    warning: str | None = None
    error: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    luminosity_spread: float = 0.15
    text_alpha: float = 0.95
    icons: str = DEFAULT_ICONS
    variables: dict[str, str] = Field(default_factory=dict)

    @field_validator(
        "primary", "secondary", "accent", "success", "warning", "error",
        "foreground", "background", "surface", "panel", "boost",
    )
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            Color.parse(value)
        except ColorParseError as exc:
            raise ValueError(f"not a colour: {value!r} ({exc})") from None
        return value

    def to_theme(self) -> Theme:
        return Theme(
            name=self.name,
            primary=self.primary,
            secondary=self.secondary,
            accent=self.accent,
            success=self.success,
            warning=self.warning,
            error=self.error,
            foreground=self.foreground,
            background=self.background,
            surface=self.surface,
            panel=self.panel,
            boost=self.boost,
            dark=self.dark,
            luminosity_spread=self.luminosity_spread,
            text_alpha=self.text_alpha,
            variables=dict(self.variables),
        )


class IconSet(BaseModel):
    """Glyphs for statuses and overlays. ``spark`` are the sparkline levels, low to high."""

    model_config = ConfigDict(extra="forbid")

    name: str
    status: dict[str, str]
    muted: str = "M"
    snoozed: str = "Z"
    acked: str = "ack"
    source_ok: str = "ok"
    source_error: str = "ERR"
    bar: str = "="
    spark: str = "_.-=^#"

    @field_validator("status")
    @classmethod
    def _every_status(cls, value: dict[str, str]) -> dict[str, str]:
        from slotui.core.types import Status

        missing = [s.value for s in Status if s.value not in value]
        if missing:
            raise ValueError(f"missing icons for {', '.join(missing)}")
        return value

    @property
    def ascii_only(self) -> bool:
        text = "".join(self.status.values()) + self.bar + self.spark + self.source_ok + self.source_error
        return text.isascii()


#: Used when no icon file can be read at all (the app must still start).
BUILTIN_ASCII = IconSet(
    name="ascii",
    status={"CRITICAL": "!!", "WARNING": "!", "STALE": "~", "NO DATA": "?", "AT RISK": "*", "OK": "+"},
)


@dataclass
class ThemeCatalog:
    """Every theme and icon set found, plus the problems met while loading them."""

    themes: dict[str, ThemeFile] = field(default_factory=dict)
    icons: dict[str, IconSet] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def icon_set(self, name: str | None) -> IconSet:
        """The icon set ``name``; falls back (with a recorded problem) to unicode, then ASCII."""
        if name and name in self.icons:
            return self.icons[name]
        if name:
            self.problems.append(f"icon set {name!r} not found; using {DEFAULT_ICONS!r}")
        return self.icons.get(DEFAULT_ICONS) or self.icons.get("ascii") or BUILTIN_ASCII


def _read_yaml(path: Path) -> object:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(file)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def load_catalog(dirs: list[Path] | None = None) -> ThemeCatalog:
    """Read every ``*.yaml`` theme and ``icons/*.yaml`` icon set in ``dirs`` (first wins per name)."""
    catalog = ThemeCatalog()
    for folder in dirs if dirs is not None else theme_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            _load_one(path, ThemeFile, catalog.themes, catalog.problems)
        icon_dir = folder / "icons"
        if icon_dir.is_dir():
            for path in sorted(icon_dir.glob("*.yaml")):
                _load_one(path, IconSet, catalog.icons, catalog.problems)
    return catalog


def _load_one(path: Path, model: type[ThemeFile] | type[IconSet], into: dict, problems: list[str]) -> None:
    try:
        raw = _read_yaml(path)
        if not isinstance(raw, dict):
            raise ValueError("expected a mapping of keys to values")
        raw.setdefault("name", path.stem)
        item = model.model_validate(raw)
    except ValidationError as exc:
        problems.append(f"{path}: {_describe(exc)}")
        return
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as exc:
        problems.append(f"{path}: {exc}")
        return
    into.setdefault(item.name, item)

