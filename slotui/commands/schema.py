"""``slotui schema``: print the JSON Schema of the SLO file (for editor completion).

Save it next to your file and point your editor at it, e.g. with the YAML
language server: ``# yaml-language-server: $schema=./slos.schema.json``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


#: a string the loader reads as a number or a boolean: one holding a ``${VAR}`` reference (its value is
#: text until the loader reads it), or, for numbers, number text (``"0.99"``, ``" 1e-3 "``, ``"1_000"``:
#: read as the number, as ``slotui validate`` does). A superset: ``slotui validate`` has the last word.
_INTERPOLATED = r"\$\{"
_NUMBER_TEXT = r"^\s*[-+]?[0-9_]*\.?[0-9_]*([eE][-+]?[0-9_]+)?\s*$|\$\{"
#: keywords of a number's or boolean's own schema (they stay with it; the string branch has none)
_TYPED = ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "const", "enum")


def _written_as_text(node: Any) -> Any:
    """``node`` with every number, integer and boolean schema also taking the strings the loader reads
    as one (:data:`_NUMBER_TEXT`, :data:`_INTERPOLATED`): ``target: ${TARGET}`` validates, and an editor
    must not mark it wrong."""
    if isinstance(node, list):
        return [_written_as_text(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _written_as_text(v) for k, v in node.items()}
    if out.get("type") in ("number", "integer", "boolean") and not {"anyOf", "oneOf", "allOf"} & out.keys():
        typed = {k: out.pop(k) for k in _TYPED if k in out}
        pattern = _INTERPOLATED if typed["type"] == "boolean" else _NUMBER_TEXT
        out["anyOf"] = [typed, {"type": "string", "pattern": pattern}]
    return out


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``slos.yaml``; descriptions come from the model's fields.
    Numbers and booleans may be written as ``${VAR}`` references (and numbers as number text), as
    the loader reads them; a file must hold at least one SLO (``slos``, ``quality_slos`` or
    ``alert_rules``), as ``slotui validate`` says."""
    from slotui.config.model import Config

    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
    }
    out.update(_written_as_text(Config.model_json_schema(by_alias=True, mode="validation")))
    out["title"] = "slotui SLO file"
    out["anyOf"] = [
        {"required": ["slos"], "properties": {"slos": {"minItems": 1}}},
        {"required": ["quality_slos"], "properties": {"quality_slos": {"minProperties": 1}}},
        {"required": ["alert_rules"], "properties": {"alert_rules": {"minItems": 1}}},
    ]
    return out


def run(args: argparse.Namespace) -> int:
    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0
