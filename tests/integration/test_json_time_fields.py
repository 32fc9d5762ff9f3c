"""Every time field of ``check -o json`` is an RFC 3339 string or null (docs/report-schema.md), also at
the edges of the accepted range: found, ``--at 9999-12-31T12:00:00Z`` gave the December-9999 spend
forecast ``"window_end": "out of range"`` (the window ends at 10000-01-01)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
TIME_KEYS = {"evaluated_at", "exhausted_at", "window_start", "window_end", "fetched_at", "last_success"}


def time_fields(value: Any, path: str = "") -> list[tuple[str, Any]]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in TIME_KEYS:
                out.append((f"{path}.{k}", v))
            out += time_fields(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += time_fields(v, f"{path}[{i}]")
    return out


@pytest.mark.parametrize("at", ["9999-12-31T12:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
                                "2026-06-15T12:00:00Z"])
def test_every_json_time_field_is_rfc3339_or_null(tmp_path: Path, at: str) -> None:
    # no slos.yaml in the working directory: the embedded demo, whose monthly spend has a forecast
    proc = subprocess.run([sys.executable, "-m", "slotui", "check", "--at", at, "-o", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode in (0, 1, 2, 3) and "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    fields = time_fields(report)
    if at.startswith("9999"):
        assert any(k.endswith("window_end") for k, _ in fields)  # the forecast is there to check
    for key, value in fields:
        assert value is None or RFC3339.match(value), (key, value)
