"""``${VAR}`` and ``${VAR:-default}`` interpolation in SLO file strings.

- ``${VAR}``: the variable's value; unset, empty or blank is an error naming the variable.
- ``${VAR:-default}``: the default when VAR is unset or empty (shell semantics).
- ``$${`` writes a literal ``${``.

Interpolation is single-pass: a value that itself contains ``${...}`` is kept as is.
A reference inside a default (``${A:-${B}}``) is refused: the default ended at the
first ``}`` and the file silently got the text ``${B}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from slotui.config.secrets import clip

_PATTERN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^}\\]|\\.)*))?\}|\$\{([^}]*)\}?")


@dataclass
class InterpolationError(Exception):
    """A reference that cannot be resolved; ``offset`` is its index in the string."""

    message: str
    offset: int
    variable: str | None = None

    def __str__(self) -> str:
        return self.message


def interpolate(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Substitute references; return the new text and the names of the variables used.

    Raises :class:`InterpolationError` for an unset variable without default or
    a malformed reference (``${}``, ``${1X}``, a missing ``}``).
    """
    if "${" not in text:
        return text, []
    used: list[str] = []
    out: list[str] = []
    pos = 0
    for m in _PATTERN.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if token == "$${":
            out.append("${")
            continue
        name, default, bad = m.group(1), m.group(2), m.group(3)
        if name is None:
            shown = clip(token, 30)
            raise InterpolationError(
                f"malformed variable reference {shown!r}; expected ${{VAR}} or ${{VAR:-default}}",
                m.start(),
                bad,
            )
        if default is not None:
            nested = re.search(r"(?<!\\)\$\{", default)
            if nested is not None:
                raise InterpolationError(
                    f"nested ${{...}} in a default is not supported (in the default of {name}); write the default "
                    "as plain text",
                    m.start(2) + nested.start(),
                    name,
                )
        used.append(name)
        value = env.get(name)
        if default is None and value is not None and not value.strip():
            raise InterpolationError(
                f"environment variable {name} is empty; expected a value "
                f"(write ${{{name}:-}} to allow an empty one)",
                m.start(),
                name,
            )
        if value is None or (value == "" and default is not None):
            if default is None:
                raise InterpolationError(
                    f"environment variable {name} is not set (use ${{{name}:-default}} for a default)",
                    m.start(),
                    name,
                )
            value = re.sub(r"\\(.)", r"\1", default)
        out.append(value)
    out.append(text[pos:])
    return "".join(out), used
