"""One aggregate grammar: the same spelling means the same aggregate (or the same error)
in config validation, alert-rule conditions, the file source and MLflow.

Before issue 9: ``p0``, ``p100.0`` and ``p050`` were refused by the config and
accepted by the file source and MLflow (``p050`` as the 50th percentile).
Decided: ``p0`` is the minimum, ``p100`` (also ``p100.0``) the maximum, a
percentile with a leading zero (``p050``, ``p05``) is refused as ambiguous.
"""

from __future__ import annotations

import json
from dataclasses import replace
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text
from slotui.config.model import FileSourceConfig, MLflowSourceConfig
from slotui.config.seed import ConditionError, parse_condition
from slotui.core.types import SLOSpec
from slotui.sources.file import FileSource
from slotui.sources.kit.aggregate import Agg, parse_agg
from slotui.sources.kit.base import QueryError
from slotui.sources.mlflow import MLflowSource

#: spelling -> (canonical spelling, parsed aggregate)
ACCEPTED = {
    "mean": ("mean", Agg("mean")),
    "avg": ("mean", Agg("mean")),
    " AVG ": ("mean", Agg("mean")),
    "average": ("mean", Agg("mean")),
    "sum": ("sum", Agg("sum")),
    "count": ("count", Agg("count")),
    "min": ("min", Agg("min")),
    "Max": ("max", Agg("max")),
    "median": ("p50", Agg("quantile", 0.5)),
    "p0": ("p0", Agg("quantile", 0.0)),
    "p0.0": ("p0", Agg("quantile", 0.0)),
    "p0.5": ("p0.5", Agg("quantile", 0.005)),
    "p5": ("p5", Agg("quantile", 0.05)),
    "p50": ("p50", Agg("quantile", 0.5)),
    "P95": ("p95", Agg("quantile", 0.95)),
    "p99.9": ("p99.9", Agg("quantile", 0.999)),
    "p100": ("p100", Agg("quantile", 1.0)),
    "p100.0": ("p100", Agg("quantile", 1.0)),
}

#: spelling -> what the error says
REFUSED = {
    "p050": "no leading zero (write p50)",
    "p05": "no leading zero (write p5)",
    "p00": "no leading zero (write p0)",
    "p101": "at most p100",
    "p100.5": "at most p100",
    "mode": "unknown aggregation 'mode'",
    "p": "unknown aggregation 'p'",
    "p-5": "unknown aggregation 'p-5'",
    "p.5": "unknown aggregation 'p.5'",
    "p1e2": "unknown aggregation 'p1e2'",
    "p95x": "unknown aggregation 'p95x'",
}


@pytest.mark.parametrize("text", list(ACCEPTED))
def test_the_grammar_parses_each_spelling(text: str) -> None:
    canonical, agg = ACCEPTED[text]
    assert parse_agg(text) == agg
    assert str(parse_agg(text)) == canonical


@pytest.mark.parametrize("text", list(REFUSED))
def test_the_grammar_refuses_with_the_reason(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_agg(text)
    assert REFUSED[text] in str(info.value)
    assert "p0..p100" in str(info.value)  # names what is accepted


# --------------------------------------------------------------------------- config validation

CONFIG = """\
sources:
  demo: {type: demo}
slos:
  - {name: a, sli: {field: duration_s, agg: "%s"}, objective: {target: 1, warning: 2}}
"""


@pytest.mark.parametrize("text", list(ACCEPTED))
def test_config_stores_the_canonical_spelling(text: str) -> None:
    loaded = load_text(CONFIG % text, name="t.yaml", env={})
    assert [s.sli_agg for s in loaded.specs] == [ACCEPTED[text][0]]


@pytest.mark.parametrize("text", list(REFUSED))
def test_config_error_names_file_line_key_and_reason(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_text(CONFIG % text, name="t.yaml", env={})
    issues = [i for i in info.value.issues if i.key == "slos[0].sli.agg"]
    assert len(issues) == 1 and issues[0].line == 4
    assert REFUSED[text] in issues[0].message
    assert "t.yaml:4:" in info.value.render()


# --------------------------------------------------------------------------- alert-rule conditions (seed form)


@pytest.mark.parametrize("text", [t for t in ACCEPTED if t == t.strip()])
def test_rule_condition_uses_the_grammar(text: str) -> None:
    assert parse_condition(f"{text}(latency) > 1").agg == ACCEPTED[text][0]


@pytest.mark.parametrize("text", [t for t in REFUSED if t not in ("p-5", "p.5", "p")])
def test_rule_condition_error_points_at_the_aggregate(text: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(f"  {text}(latency) > 1")
    assert info.value.column == 3
    assert REFUSED[text] in info.value.message


# --------------------------------------------------------------------------- the file source

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def _file_source(tmp_path: Path) -> FileSource:
    path = tmp_path / "r.jsonl"
    lines = []
    for i, value in enumerate([4.0, 1.0, 3.0, 2.0]):
        stamp = datetime.fromtimestamp(NOON - 600 + 60 * i, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        lines.append(json.dumps({"time": stamp, "duration_s": value}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path)


def _spec(name: str, agg: str) -> SLOSpec:
    return SLOSpec(name=name, kind="threshold", target=10.0, direction="lower_is_better", source="logs",
                   window=3600.0, period=7 * 86400.0, slice=300.0, sli_field="duration_s", sli_agg=agg)


# values 1, 2, 3, 4: mean 10/4, median between 2 and 3 (linear interpolation), p0 the minimum, p100 the maximum
FILE_VALUES = {"mean": 2.5, "avg": 2.5, "sum": 10.0, "count": 4.0, "min": 1.0, "Max": 4.0, "median": 2.5,
               "p0": 1.0, "p0.0": 1.0, "p50": 2.5, "p100": 4.0, "p100.0": 4.0}


def test_file_source_reads_the_same_spellings(tmp_path: Path) -> None:
    src = _file_source(tmp_path)
    specs = [_spec(f"s{i}", text) for i, text in enumerate([*FILE_VALUES, *REFUSED])]
    out = src.fetch_sync(specs, NOON)
    for i, text in enumerate(FILE_VALUES):
        assert (out[f"s{i}"].value, out[f"s{i}"].error) == (FILE_VALUES[text], None), text
    for j, text in enumerate(REFUSED, start=len(FILE_VALUES)):
        assert out[f"s{j}"].value is None and REFUSED[text] in (out[f"s{j}"].error or ""), text


# --------------------------------------------------------------------------- MLflow


def _mlflow_measure(query: str):
    src = MLflowSource("ml", MLflowSourceConfig(type="mlflow", url="http://127.0.0.1:9/", experiment_id="1"))
    spec = SLOSpec(name="q", kind="threshold", target=1.0, direction="lower_is_better", source="ml",
                   window=3600.0, period=7 * 86400.0, slice=300.0, query=query)
    return src.measure_for(spec)


MLFLOW = {"avg": ("AVG", None), "average": ("AVG", None), "min": ("MIN", None), "Max": ("MAX", None),
          "median": ("PERCENTILE", 50.0), "p0": ("PERCENTILE", 0.0), "p99.9": ("PERCENTILE", 99.9),
          "p100": ("PERCENTILE", 100.0), "p100.0": ("PERCENTILE", 100.0), "P95": ("PERCENTILE", 95.0)}


@pytest.mark.parametrize("text", list(MLFLOW))
def test_mlflow_asks_the_same_aggregate(text: str) -> None:
    assert _mlflow_measure(f"traces:latency:{text}").key[3] == MLFLOW[text]


@pytest.mark.parametrize("text", list(REFUSED))
def test_mlflow_refuses_the_same_spellings(text: str) -> None:
    with pytest.raises(QueryError) as info:
        _mlflow_measure(f"traces:latency:{text}")
    assert REFUSED[text] in str(info.value)


def test_demo_source_refuses_on_the_slo_only() -> None:
    """Sibling of the file source: the demo's series book is shared by SLOs on one field too."""
    from slotui.sources.demo import DemoSource

    demo = DemoSource("demo")
    specs = [replace(_spec(name, agg), source="demo") for name, agg in (("good", "p100.0"), ("bad", "p050"), ("max", "max"))]
    out = demo.fetch_sync(specs, NOON)
    assert out["good"].error is None and out["good"].value is not None and out["good"].value == out["max"].value
    assert out["bad"].value is None and REFUSED["p050"] in (out["bad"].error or "")
