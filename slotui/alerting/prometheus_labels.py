"""Label names as Prometheus and Alertmanager accept them.

slotui's label names may hold ``.``, ``:`` and ``-`` (``gen_ai.request.model``,
``team-name``); Alertmanager answers ``400 invalid label set: invalid name`` for
any alert carrying one, and a silence matcher on one. So alerts and silences
posted to Alertmanager, and exported rules, write each such name the way
OpenTelemetry's Prometheus exporter does: every character outside
``[a-zA-Z0-9_]`` becomes ``_``, and a leading digit gets a ``_`` before it
(``team-name`` -> ``team_name``, ``gen_ai.request.model`` ->
``gen_ai_request_model``). A name valid as written always wins: when a
rewritten name is already a label of the set, the rewritten one is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

VALID_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_INVALID_CHAR = re.compile(r"[^a-zA-Z0-9_]")


def label_name(name: str) -> str:
    """``name`` as a valid Prometheus label name (itself when it is one already)."""
    if VALID_NAME.fullmatch(name):
        return name
    out = _INVALID_CHAR.sub("_", name)
    return out if out and not out[0].isdigit() else "_" + out


def label_set(labels: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str | None]]:
    """``labels`` with valid names, and what was changed: each rewritten name with its new
    name, or None when that name was taken (by a name valid as written, or rewritten first)."""
    out = {name: value for name, value in labels.items() if VALID_NAME.fullmatch(name)}
    changed: dict[str, str | None] = {}
    for name in sorted(set(labels) - set(out)):
        new = label_name(name)
        if new in out:
            changed[name] = None
        else:
            out[new] = labels[name]
            changed[name] = new
    return out, changed
