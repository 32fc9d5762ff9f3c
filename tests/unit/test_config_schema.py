"""``slotui schema`` prints a JSON Schema with descriptions, usable by editors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


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


_SLO = """\
version: 1
sources:
  demo: {{type: demo, seed: {seed}}}
slos:
  - name: accuracy
    sli: {{field: evaluations.accuracy, agg: mean}}
    objective: {{target: {target}, warning: {warning}, strict: {strict}}}
"""

#: (what it shows, the SLO file, the environment): ``slotui validate`` takes each
TAKEN = [
    ("numbers", _SLO.format(seed=7, target=0.9, warning=0.85, strict="false"), {}),
    ("references", _SLO.format(seed="'${SEED:-7}'", target="'${TARGET}'", warning="'${WARN}'", strict="'${STRICT:-true}'"),
     {"TARGET": "0.9", "WARN": "0.85"}),
    ("number text", _SLO.format(seed="'7'", target="'0.9'", warning="' 8.5e-1 '", strict="false"), {}),
    ("alert rules only", "version: 1\nsources: {demo: {type: demo}}\nslos: []\nalert_rules:\n"
     "  - {name: r, condition: 'avg(helpfulness_score) < 0.8', window: 1h}\n", {}),
]
#: ... and refuses each
REFUSED = [
    ("no SLO", "version: 1\nsources: {demo: {type: demo}}\nslos: []\n"),
    ("a word for a number", _SLO.format(seed=7, target="'high'", warning=0.85, strict="false")),
]


def _schema_errors(text: str) -> list[str]:
    import jsonschema
    import yaml

    from slotui.commands.schema import schema

    validator = jsonschema.Draft202012Validator(schema())
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


def test_the_schema_is_a_valid_draft_2020_12_schema_and_takes_the_example_files() -> None:
    import jsonschema
    import yaml

    from slotui.commands.schema import schema

    jsonschema.Draft202012Validator.check_schema(schema())
    root = Path(__file__).resolve().parents[2]
    for f in ("slos.example.yaml", "examples/azure.yaml"):
        assert _schema_errors((root / f).read_text()) == [], f
        assert yaml.safe_load((root / f).read_text())


@pytest.mark.parametrize(("what", "text", "env"), TAKEN, ids=[t[0] for t in TAKEN])
def test_the_schema_takes_what_validate_takes(what: str, text: str, env: dict[str, str]) -> None:
    """Found, not fixed, at the last stops: ``target: ${TARGET}`` (and ``"0.9"``) validated, while the
    schema said number, so an editor marked a file ``slotui validate`` takes as wrong."""
    from slotui.config.loader import load_text

    load_text(text, name="slos.yaml", env=env)  # (raises ConfigError when refused)
    assert _schema_errors(text) == []


@pytest.mark.parametrize(("what", "text"), REFUSED, ids=[t[0] for t in REFUSED])
def test_the_schema_refuses_what_validate_refuses_here(what: str, text: str) -> None:
    """``slos: []`` and nothing else: no SLO, for both (the schema allowed it)."""
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    with pytest.raises(ConfigError):
        load_text(text, name="slos.yaml", env={})
    assert _schema_errors(text) != []
