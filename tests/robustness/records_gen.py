"""Generators and helpers for the record-level robustness tests (issue 8, items 2-5).

The families: every field kind a request record carries x every bad value a
writer produces, written as JSONL (Python's ``json.dumps``, which writes
``NaN``/``Infinity``) or CSV, read by a real :class:`FileSource` from disk.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from slotui.config.model import FileSourceConfig
from slotui.core.types import SLOSpec
from slotui.sources.file import FileSource

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()
HOUR = 3600.0

#: numeric field kinds of a request record and whether a negative value is impossible
NUMERIC_FIELDS: dict[str, bool] = {
    "duration_s": True,
    "latency_ms": True,
    "gen_ai.server.time_to_first_token": True,
    "gen_ai.usage.input_tokens": True,
    "gen_ai.usage.output_tokens": True,
    "gen_ai.usage.cost": True,
    "evaluations.helpfulness": False,  # a score: the SLO's scale decides, negatives allowed
}

#: values no numeric SLI can use, by how they are written in JSON (Python's json.dumps)
BAD_JSON_VALUES: dict[str, Any] = {
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
    "true": True,
    "false": False,
    "string 12": "12",
    "object": {"value": 1.0},
    "list": [1.0],
    "huge int": 10**400,
}

#: values no numeric SLI can use, as CSV cells
BAD_CSV_CELLS: dict[str, str] = {
    "nan": "nan",
    "NaN": "NaN",
    "inf": "inf",
    "-inf": "-inf",
    "Infinity": "Infinity",
    "1e999": "1e999",
    "true": "true",
    "FALSE": "FALSE",
    "text": "fast",
}


def stamp(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(t: float, **fields: Any) -> dict[str, Any]:
    """A request record at ``t``; keyword names use ``__`` for dots (gen_ai__usage__cost)."""
    out: dict[str, Any] = {"time": stamp(t)}
    for key, value in fields.items():
        out[key.replace("__", ".")] = value
    return out


def jsonl(records: list[dict[str, Any]]) -> str:
    """Lines as Python's json.dumps writes them (NaN, Infinity, -Infinity allowed)."""
    return "".join(json.dumps(r) + "\n" for r in records)


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def spec(name: str, **kw: Any) -> SLOSpec:
    base: dict[str, Any] = dict(name=name, kind="threshold", target=1.0, direction="lower_is_better",
                                source="logs", window=HOUR, period=86400.0, slice=300.0)
    base.update(kw)
    return SLOSpec(**base)


def ratio(name: str, good: str, **kw: Any) -> SLOSpec:
    return spec(name, kind="ratio", target=0.99, direction="higher_is_better", good=good, **kw)


def file_config(tmp_path: Path, slos: str) -> Path:
    """An SLO file in ``tmp_path`` reading ``requests.jsonl`` there (window 1h, period 1d)."""
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(
        "version: 1\n"
        "defaults: {window: 1h, period: 1d}\n"
        "sources:\n"
        "  logs: {type: file, path: requests.jsonl}\n"
        "slos:\n" + slos
    )
    return cfg


def check_json(cfg: Path, at: str = "2026-06-01T12:00:00Z") -> dict[str, Any]:
    """``slotui check -o json`` of ``cfg`` at ``at`` (NOON) in a subprocess, with a state file
    beside it; the report plus its ``returncode``. No traceback allowed."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "slotui", "check", "-c", str(cfg), "--at", at, "-o", "json",
                           "--state", str(cfg.parent / "state.db")], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    report["returncode"] = proc.returncode
    return report


def file_source(path: Path, **kw: Any) -> FileSource:
    return FileSource("logs", FileSourceConfig(type="file", path=str(path), **kw), base_dir=path.parent)


def field_value(name: str) -> st.SearchStrategy[float]:
    """Good values of a field kind: non-negative where negatives are impossible."""
    low = 0.0 if NUMERIC_FIELDS.get(name, False) else -1000.0
    return st.floats(min_value=low, max_value=1000.0, allow_nan=False, allow_infinity=False)


def bad_value() -> st.SearchStrategy[tuple[str, Any]]:
    return st.sampled_from(sorted(BAD_JSON_VALUES.items(), key=lambda kv: kv[0]))


def finite_mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None
