"""``slotui schema`` prints a JSON Schema with descriptions, usable by editors."""

from __future__ import annotations

import json
import subprocess
import sys


def test_schema_command_outputs_json_schema_with_descriptions() -> None:
    proc = subprocess.run([sys.executable, "-m", "slotui", "schema"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    props = schema["properties"]
    assert {"version", "defaults", "sources", "slos", "quality_slos", "alerts", "alert_rules"} <= set(props)
    assert all(p.get("description") for p in props.values())
    defs = schema["$defs"]
    slo = defs["SLOConfig"]["properties"]
    for key in ("name", "source", "sli", "ratio", "query", "objective", "window", "period", "burn_rate", "for"):
        assert key in slo, key
        assert slo[key].get("description"), key
    assert "for_" not in slo  # aliases, as written in files
    assert defs["EmailChannel"]["properties"]["from"]["description"]
    assert defs["SlackChannel"]["properties"]["webhook_url"]["secret"] is True
    # every property of every definition is documented, each source's and channel's `type` too
    # (README: "every key is described"; the 14 `type` keys had none)
    undocumented = [
        f"{name}.{prop}"
        for name, d in defs.items()
        for prop, spec in d.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undocumented == []
    assert defs["SlackChannel"]["properties"]["type"]["description"].startswith("slack: ")


def test_schema_accepts_the_example_shape() -> None:
    """The example, as data, satisfies the schema's required keys and discriminators (spot check)."""
    from pathlib import Path

    import yaml

    from slotui.commands.schema import schema

    s = schema()
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "slos.example.yaml").read_text())
    assert set(data) <= set(s["properties"])
    demo = s["$defs"]["DemoSourceConfig"]
    assert set(data["sources"]["demo"]) <= set(demo["properties"])
