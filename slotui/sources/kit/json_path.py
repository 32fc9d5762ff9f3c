"""A small path language to pick one value out of a JSON document.

Grammar (hand-written, no ``eval``)::

    path     := ["$"] [step ("." name | "[" index "]" | "[" quoted "]")*]
    step     := name | "[" index "]" | "[" quoted "]"
    name     := one or more characters other than ``.``, ``[`` and ``]``
    index    := ["-"] digits            (negative counts from the end)
    quoted   := '"' text '"' | "'" text "'"   (keys with dots or brackets)

Examples: ``data.items[0].value``, ``$.a.b``, ``$["service.latency"].p95``,
``results[-1].score``, ``$`` (the whole document, when it is a number).

:func:`compile_path` raises :class:`PathError` (with a 1-based column) for a
malformed path; :meth:`JsonPath.find` raises :class:`PathNotFound` naming the
first step that does not exist in the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["JsonPath", "PathError", "PathNotFound", "compile_path"]


class PathError(ValueError):
    """A malformed path expression; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


class PathNotFound(LookupError):
    """The document has no value at the path (the message names the missing step)."""


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A compiled path: ``steps`` are keys (str) or list indexes (int)."""

    text: str
    steps: tuple[str | int, ...]

    def find(self, document: Any) -> Any:
        """The value at this path in ``document``; raises :class:`PathNotFound`."""
        value = document
        walked = "$"
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(value, list):
                    raise PathNotFound(f"{walked} is not a list (cannot take [{step}])")
                if not -len(value) <= step < len(value):
                    raise PathNotFound(f"{walked} has {len(value)} item(s); no [{step}]")
                value = value[step]
                walked += f"[{step}]"
            else:
                if not isinstance(value, dict):
                    raise PathNotFound(f"{walked} is not an object (cannot take {step!r})")
                if step not in value:
                    raise PathNotFound(f"{walked} has no key {step!r}")
                value = value[step]
                walked += f".{step}" if _plain(step) else f"[{step!r}]"
        return value


def _plain(name: str) -> bool:
    return bool(name) and not any(c in name for c in ".[]'\" ")


def compile_path(text: str) -> JsonPath:
    """Parse ``text`` into a :class:`JsonPath`; raises :class:`PathError`."""
    s = text.strip()
    offset = len(text) - len(text.lstrip())
    steps: list[str | int] = []
    i = 0
    if s.startswith("$"):
        i = 1
        if i < len(s) and s[i] not in ".[":
            raise PathError("expected '.' or '[' after '$'", offset + i + 1)
    elif not s:
        raise PathError("empty path", offset + 1)
    first = True
    while i < len(s):
        c = s[i]
        if c == ".":
            i += 1
            if i >= len(s) or s[i] in ".[]":
                raise PathError("expected a key name after '.'", offset + i + 1)
            start = i
            while i < len(s) and s[i] not in ".[]":
                i += 1
            steps.append(s[start:i])
        elif c == "[":
            i += 1
            if i < len(s) and s[i] in "'\"":
                quote = s[i]
                end = s.find(quote, i + 1)
                if end < 0:
                    raise PathError("unterminated quoted key", offset + i + 1)
                steps.append(s[i + 1 : end])
                i = end + 1
            else:
                start = i
                if i < len(s) and s[i] == "-":
                    i += 1
                while i < len(s) and s[i].isdigit():
                    i += 1
                digits = s[start:i]
                if digits in ("", "-"):
                    raise PathError("expected a list index or a quoted key inside [ ]", offset + start + 1)
                steps.append(int(digits))
            if i >= len(s) or s[i] != "]":
                raise PathError("expected ']'", offset + i + 1)
            i += 1
        elif c == "]":
            raise PathError("unexpected ']'", offset + i + 1)
        elif first:
            start = i
            while i < len(s) and s[i] not in ".[]":
                i += 1
            steps.append(s[start:i])
        else:
            raise PathError(f"unexpected {c!r}; expected '.' or '['", offset + i + 1)
        first = False
    return JsonPath(text, tuple(steps))
