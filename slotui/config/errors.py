"""Configuration errors that read like compiler messages: ``file:line:col: key: what was expected``.

A :class:`ConfigError` carries one or more :class:`ConfigIssue`; ``render()``
fits them on one screen (at most 24 lines), never shows a traceback and never
echoes a secret: every string registered as secret is scrubbed from the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from slotui.config.secrets import Redactor, clip
from slotui.config.text import printable

MAX_LINES = 24


def format_key_path(path: Sequence[object]) -> str:
    """``("slos", 0, "objective", "target")`` -> ``slos[0].objective.target``.

    A key that is not printable (a newline, ESC, a bidi override) is shown quoted
    and escaped, ``sources['de\\nmo']``, so it cannot forge a line of output.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).isprintable():
            out += f"[{str(part)!r}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class ConfigIssue:
    """One problem in an SLO file. ``line``/``column`` are 1-based; ``None`` when unknown."""

    message: str
    path: tuple[object, ...] = ()
    line: int | None = None
    column: int | None = None

    @property
    def key(self) -> str:
        return format_key_path(self.path)


@dataclass(eq=False)
class ConfigError(Exception):
    """An invalid SLO file. ``render()`` is what the CLI prints (then exits 3)."""

    issues: list[ConfigIssue]
    file: str = "<config>"
    text: str | None = field(default=None, repr=False)
    secrets: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    # ------------------------------------------------------------------ helpers

    @classmethod
    def single(
        cls,
        message: str,
        *,
        file: str | Path = "<config>",
        line: int | None = None,
        column: int | None = None,
        path: Iterable[object] = (),
    ) -> "ConfigError":
        return cls([ConfigIssue(message, tuple(path), line, column)], file=str(file))

    def _scrub(self, text: str) -> str:
        # The one Redactor: a secret in full, encoded, in a URL, or cut short by clip().
        return Redactor(self.secrets)(text)

    def _source_line(self, line: int) -> str | None:
        if self.text is None:
            return None
        lines = self.text.splitlines()
        if not 1 <= line <= len(lines):
            return None
        return lines[line - 1].replace("\t", "→")

    def render(self, max_lines: int = MAX_LINES) -> str:
        """One screen: a header, one line per issue, the offending source line when few issues."""
        issues = sorted(
            self.issues,
            key=lambda i: (i.line is None, i.line or 0, i.column or 0),
        )
        n = len(issues)
        header = f"{self.file}: invalid SLO file ({n} error{'s' if n != 1 else ''})"
        out = [header]
        show_source = n <= 3
        budget = max_lines - 1
        for index, issue in enumerate(issues):
            location = self.file
            if issue.line is not None:
                location += f":{issue.line}"
                if issue.column is not None:
                    location += f":{issue.column}"
            key = f"{issue.key}: " if issue.path else ""
            entry = [f"{location}: {key}{issue.message}"]
            if show_source and issue.line is not None:
                src = self._source_line(issue.line)
                if src is not None and src.strip():
                    raw = src.rstrip()
                    # escaped as every text from the file is (a U+202E on the line reordered it on the
                    # terminal: the Trojan Source display the name check refuses); the caret follows
                    src = clip(printable(self._scrub(raw)), 100)  # (secrets masked as written, then escaped)
                    entry.append(f"    {src}")
                    if issue.column is not None and issue.column - 1 <= len(raw):
                        at = len(printable(self._scrub(raw[: issue.column - 1])))
                        if at <= len(src):
                            entry.append("    " + " " * at + "^")
            remaining = n - index
            if len(entry) > budget or (remaining > 1 and budget - len(entry) < 1):
                out.append(f"... and {remaining} more error{'s' if remaining != 1 else ''}")
                break
            out.extend(entry)
            budget -= len(entry)
        return self._scrub("\n".join(out))

    def __str__(self) -> str:
        return self.render()
