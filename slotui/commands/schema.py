"""``slotui schema``: print the JSON Schema of the SLO file (for editor completion).

Save it next to your file and point your editor at it, e.g. with the YAML
language server: ``# yaml-language-server: $schema=./slos.schema.json``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``slos.yaml``; descriptions come from the model's fields."""
    from slotui.config.model import Config

    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
    }
    out.update(Config.model_json_schema(by_alias=True, mode="validation"))
    out["title"] = "slotui SLO file"
    return out


def run(args: argparse.Namespace) -> int:
    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0
