"""The columnar first read (slotui.sources.kit.columnar) answers exactly what the per-record path does.

Every test reads the same file twice -- once with the columnar reader allowed
(``COLUMNAR_MIN`` lowered so small files use it, ``CHUNK`` small so a file is many
chunks and refused chunks sit between taken ones) and once with
``source.columnar = False`` -- and compares every SLO's whole SLIData (value,
slices, buckets, windows, notes, malformed count, n/stddev/sample), the record,
skip and malformed counts, the first record's fields and the join memory. The
hostile lines are issue 8's (tests/robustness): each must either be refused by
the columnar reader (the per-record path counts it) or give the same answer.
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slotui.sources.file as file_module
from slotui.config.model import FileSourceConfig
from slotui.core.types import SLOSpec
from slotui.sources.file import FileSource

START = datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp()
SLICE = 300.0


def specs(period: float = 86400.0) -> list[SLOSpec]:
    out = []
    for w in (3600.0, 6 * 3600.0):
        kw = dict(window=w, period=period, slice=SLICE, source="logs")
        out += [
            SLOSpec(name=f"p95/{w:g}", kind="threshold", target=2000, direction="lower_is_better",
                    sli_field="duration_ms", sli_agg="p95", **kw),
            SLOSpec(name=f"mean_ms/{w:g}", kind="threshold", target=2000, direction="lower_is_better",
                    sli_field="duration_ms", sli_agg="mean", **kw),
            SLOSpec(name=f"helpful/{w:g}", kind="threshold", target=0.85, direction="higher_is_better",
                    sli_field="evaluations.helpfulness", sli_agg="mean", **kw),
            SLOSpec(name=f"success/{w:g}", kind="ratio", target=0.995, direction="higher_is_better",
                    good="error.type == null", **kw),
            SLOSpec(name=f"cost/{w:g}", kind="threshold", target=0.05, direction="lower_is_better",
                    sli_field="gen_ai.usage.cost", sli_agg="max", **kw),
        ]
    return out


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def records(n: int, seed: int = 1, start: float = START, rate: float = 0.2) -> list[dict]:
    rng = random.Random(seed)
    t = start
    out = []
    for i in range(n):
        t += rng.expovariate(rate)
        r = {
            "time": _rfc3339(t),
            "trace_id": f"{seed:04x}{i:08x}",
            "gen_ai.request.model": rng.choice(["a", "b"]),
            "duration_s": round(math.exp(rng.gauss(0, 0.5)), 4),
            "gen_ai.usage.cost": round(rng.random() / 100, 6) if rng.random() < 0.95 else None,
            "error.type": "timeout" if rng.random() < 0.05 else None,
            "evaluations": [
                {"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": round(rng.random(), 3)},
                {"gen_ai.evaluation.name": "accuracy", "gen_ai.evaluation.score.value": round(rng.random(), 3)},
            ],
        }
        if rng.random() < 0.1:
            del r["error.type"]
        if rng.random() < 0.05:
            r["evaluations"] = r["evaluations"][1:]
        out.append(r)
    return out


def dump(recs: list[dict], compact: bool = False) -> list[bytes]:
    seps = (",", ":") if compact else (", ", ": ")
    return [json.dumps(r, separators=seps).encode() for r in recs]


def source(path: Path, columnar: bool) -> FileSource:
    cfg = FileSourceConfig(type="file", path=str(path), fields={"duration_ms": "duration_s * 1000"})
    src = FileSource("logs", cfg, base_dir=path.parent)
    src.columnar = columnar
    return src


def read_both(path: Path, now: float, slos: list[SLOSpec] | None = None):
    slos = slos or specs()
    out = []
    for columnar in (True, False):
        src = source(path, columnar)
        answers = src.fetch_sync(slos, now)
        out.append((src, answers))
    return out


def assert_same(path: Path, now: float, slos: list[SLOSpec] | None = None) -> FileSource:
    (fast, a), (slow, b) = read_both(path, now, slos)
    assert slow.columnar_chunks == 0
    assert a == b
    assert (fast.records, fast.skipped, fast.malformed, fast._note()) == (slow.records, slow.skipped, slow.malformed, slow._note())
    assert fast.book.sample_fields == slow.book.sample_fields
    assert list(fast._trace_map().items()) == list(slow._trace_map().items())
    assert (fast._offset, fast._line_no) == (slow._offset, slow._line_no)
    return fast


@pytest.fixture(autouse=True, params=["pyarrow", "duckdb"])
def reader(request, monkeypatch):
    """Every test runs with each columnar reader: pyarrow's chunk by chunk, and DuckDB's whole
    file at once (``BULK_MIN`` lowered) with pyarrow for what follows a chunk DuckDB's rows cannot
    be matched to."""
    monkeypatch.setattr(file_module, "COLUMNAR_MIN", 0)
    monkeypatch.setattr(file_module, "BULK_MIN", 0 if request.param == "duckdb" else 1 << 62)
    monkeypatch.setattr(file_module, "CHUNK", 4096)
    monkeypatch.setattr(file_module, "BULK_PIECE", 1500)  # (a chunk's bytes checked in pieces; longer lines whole)
    monkeypatch.setattr(file_module, "BULK_BATCH", 7)  # (DuckDB's rows of a chunk cut from several batches)
    monkeypatch.setattr(file_module, "JOIN_MEMORY", 25)
    return request.param


def now_after(recs: list[dict]) -> float:
    last = datetime.fromisoformat(recs[-1]["time"].replace("Z", "+00:00")).timestamp()
    return math.floor(last / 60) * 60 + 77.5


def helpfulness(r: dict) -> float | None:
    """Record ``r``'s helpfulness score (its flat column in the CSV and Parquet copies)."""
    return next((e["gen_ai.evaluation.score.value"] for e in r["evaluations"]
                 if e["gen_ai.evaluation.name"] == "helpfulness"), None)


def csv_cells(r: dict) -> list[str]:
    """Record ``r``'s cells for :data:`CSV_COLUMNS` (empty for null)."""
    row = dict(r, **{"evaluations.helpfulness": helpfulness(r)})
    return ["" if row.get(c) is None else str(row[c]) for c in CSV_COLUMNS]


def test_plain_log_is_read_as_columns_with_the_same_answers(tmp_path, reader):
    recs = records(3000, rate=0.005)  # a week: older than the longest burn-rate window (3 days) is skipped
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    fast = assert_same(path, now_after(recs))
    assert fast.columnar_chunks > 100  # the columnar reader took (nearly) every chunk
    # DuckDB read every chunk of the clean file (its rows; pyarrow none)
    assert fast.bulk_chunks == (fast.columnar_chunks if reader == "duckdb" else 0)
    assert fast.records == 3000 - fast.skipped and fast.skipped > 0  # a day's period: older lines skipped


def test_compact_json_and_an_unterminated_last_line(tmp_path):
    recs = records(800, seed=3)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs, compact=True)))  # no newline after the last line
    fast = assert_same(path, now_after(recs))
    assert fast.columnar_chunks > 10


HOSTILE = {
    "not json": b'{"time": "2026-06-01T00:00:00Z", broken',
    "nan": b'{"time": "%s", "duration_s": NaN}',
    "infinity": b'{"time": "%s", "duration_s": Infinity}',
    "neg infinity in another field": b'{"time": "%s", "duration_s": 1.5, "x": -Infinity}',
    "Inf literal": b'{"time": "%s", "duration_s": 1.5, "x": Inf}',
    "-NaN literal": b'{"time": "%s", "duration_s": 1.5, "x": -NaN}',
    "1e400": b'{"time": "%s", "duration_s": 1e400}',
    "huge int": b'{"time": "%s", "duration_s": 123456789012345678901234567890}',
    "bool for number": b'{"time": "%s", "duration_s": true}',
    "string for number": b'{"time": "%s", "gen_ai.usage.cost": "12"}',
    "negative duration": b'{"time": "%s", "duration_s": -1.5}',
    "negative cost": b'{"time": "%s", "duration_s": 1, "gen_ai.usage.cost": -0.5}',
    "duplicate key": b'{"time": "%s", "duration_s": 1, "duration_s": 9}',
    "duplicate time": b'{"time": "%s", "time": "2026-06-01T00:00:00Z", "duration_s": 1}',
    "blank line": b"",
    "whitespace line": b"     ",
    "cr line": b"\r",
    "nested error": b'{"time": "%s", "duration_s": 1, "error": {"type": "boom"}}',
    "nested error null": b'{"time": "%s", "duration_s": 1, "error": null}',
    "flat evaluation": b'{"time": "%s", "duration_s": 1, "evaluations.helpfulness": 0.1}',
    "evaluations as object": b'{"time": "%s", "evaluations": {"helpfulness": 0.2}}',
    "evaluation item named otherwise": b'{"time": "%s", "evaluations": [{"name": "helpfulness", "score": 0.3}]}',
    "evaluation twice": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "helpfulness", '
                        b'"gen_ai.evaluation.score.value": 0.1}, {"gen_ai.evaluation.name": "helpfulness", '
                        b'"gen_ai.evaluation.score.value": 0.9}]}',
    "evaluation score string": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "helpfulness", '
                               b'"gen_ai.evaluation.score.value": "0.5"}]}',
    "evaluation event": b'{"time": "%s", "event": "gen_ai.evaluation.result", "trace_id": "0001000000ff", '
                        b'"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.01}',
    "event null": b'{"time": "%s", "event": null, "duration_s": 2, "span_id": "x", "trace_id": "t1"}',
    "escaped key": b'{"time": "%s", "dur\\u0061tion_s": 7}',
    "escaped event key": b'{"time": "%s", "\\u0065vent": null, "duration_s": 2, "span_id": "x", "trace_id": "t2"}',
    "lone surrogate": b'{"time": "%s", "duration_s": 1, "error.type": "\\ud800"}',
    "non-ascii escapes": b'{"time": "%s", "duration_s": 1, "error.type": "caf\\u00e9 \\u4e2d\\ud83d\\ude00"}',
    "otlp": b'{"resourceSpans": []}',
    "array line": b'[1, 2]',
    "two objects": b'{"time": "%s", "duration_s": 1} {"time": "%s", "duration_s": 2}',
    "invalid utf-8": b'{"time": "%s", "duration_s": 1, "note": "\xff\xfe"}',
    "deep nesting": b'{"time": "%s", "x": ' + b"[" * 1500 + b"]" * 1500 + b"}",
    "deep nesting after a long line": b'{"time": "%s", "note": "' + b"a" * 3000 + b'", "x": ' + b"{\"a\": " * 600
                                      + b"1" + b"}" * 600 + b"}",
    "long line, shallow": b'{"time": "%s", "duration_s": 2, "note": "' + b"x" * 5000 + b'", "x": ' + b"[" * 400
                          + b"]" * 400 + b"}",
    "brackets in a long string": b'{"time": "%s", "duration_s": 2, "note": "' + b"[{" * 800 + b'"}',
    "time with offset": b'{"time": "2026-06-01T02:00:00+02:00", "duration_s": 3}',
    "time as epoch": b'{"time": 1780272000, "duration_s": 3}',
    "time lowercase z": b'{"time": "%s", "duration_s": 3}',
    "time missing": b'{"duration_s": 3}',
    "bad month": b'{"time": "2026-13-01T00:00:00Z", "duration_s": 3}',
    "error type number": b'{"time": "%s", "duration_s": 1, "error.type": 500}',
    "error type infinity": b'{"time": "%s", "duration_s": 1, "error.type": Infinity}',
    "error type nan": b'{"time": "%s", "duration_s": 1, "error.type": NaN}',
    "error type true": b'{"time": "%s", "duration_s": 1, "error.type": true}',
    "trace id number": b'{"time": "%s", "duration_s": 1, "trace_id": 77}',
    "control char in string": b'{"time": "%s", "duration_s": 1, "note": "a\tb"}',
    "trailing comma": b'{"time": "%s", "duration_s": 1,}',
    # what DuckDB's JSON reader (yyjson) reads and the per-record parsers may not
    "lower nan": b'{"time": "%s", "duration_s": 1.5, "x": nan}',
    "lower inf in a list": b'{"time": "%s", "duration_s": 1.5, "x": [1, -inf]}',
    "upper NAN spaced": b'{"time": "%s", "duration_s": 1.5, "x": NAN }',
    "infinity word": b'{"time": "%s", "duration_s": 1.5, "x": infinity}',
    "nan in a needed field": b'{"time": "%s", "duration_s": nan}',
    "trailing comma in a list": b'{"time": "%s", "duration_s": 1.5, "x": [1, 2,]}',
    "trailing comma spaced": b'{"time": "%s", "duration_s": 1.5, "x": {"a": 1 , }}',
    "suspect bytes in text": b'{"time": "%s", "duration_s": 1.5, "note": "fin, nan, inf ] y, ,}"}',
    "label number": b'{"time": "%s", "duration_s": 1.5, "gen_ai.request.model": 5}',
    "evaluation name number": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": 5, '
                              b'"gen_ai.evaluation.score.value": 0.5}]}',
    "evaluation null item": b'{"time": "%s", "evaluations": [null]}',
    # each item's name and score are checked on their JSON texts (not in DuckDB's query)
    "evaluation score true": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "helpfulness", '
                             b'"gen_ai.evaluation.score.value": true}]}',
    "evaluation score list": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "accuracy", '
                             b'"gen_ai.evaluation.score.value": [0.5]}]}',
    "evaluation name object": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": {"a": 1}, '
                              b'"gen_ai.evaluation.score.value": 0.5}]}',
    "evaluation name null": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": null, '
                            b'"gen_ai.evaluation.score.value": 0.5}]}',
    "evaluation score missing": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "accuracy"}]}',
    "evaluations empty": b'{"time": "%s", "duration_s": 1, "evaluations": []}',
    "evaluations null": b'{"time": "%s", "duration_s": 1, "evaluations": null}',
    "evaluation score null": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "helpfulness", '
                             b'"gen_ai.evaluation.score.value": null}]}',
    "resourceSpans null": b'{"time": "%s", "resourceSpans": null, "duration_s": 2}',
    "year 0000": b'{"time": "0000-01-01T00:00:00Z", "duration_s": 3}',
    "leap second": b'{"time": "%s", "duration_s": 3}',
    "february 30": b'{"time": "2026-02-30T00:00:00Z", "duration_s": 3}',
    "april 31": b'{"time": "2026-04-31T10:00:00Z", "duration_s": 3}',
    "hour 24": b'{"time": "2026-06-01T24:00:00Z", "duration_s": 3}',
    "minute 60": b'{"time": "2026-06-01T10:60:00Z", "duration_s": 3}',
    "cr inside a line": b'{"time": "%s", "duration_s": 1}\r{"time": "%s", "duration_s": 2}',
    # times RFC 3339 has no room for: malformed lines for every reader (61 s was read as the next minute)
    "second 61": b'{"time": "2026-06-01T10:00:61Z", "duration_s": 3}',
    "second 99": b'{"time": "2026-06-01T10:00:99.5Z", "duration_s": 3}',
    "superscript second": '{"time": "2026-06-01T10:00:\u00b20Z", "duration_s": 3}'.encode(),
    "fullwidth year": '{"time": "\uff12\uff10\uff12\uff16-06-01T10:00:00Z", "duration_s": 3}'.encode(),
    "offset hour 24": b'{"time": "2026-06-01T10:00:00+24:00", "duration_s": 3}',
    "offset minute 60": b'{"time": "2026-06-01T10:00:00-05:60", "duration_s": 3}',
    # shapes that raised TypeError/AttributeError/ValueError/OverflowError: the whole source went down
    "trace id list": b'{"time": "%s", "duration_s": 1, "trace_id": [1]}',
    "trace id object": b'{"time": "%s", "duration_s": 1, "trace_id": {"a": 1}}',
    "evaluation event trace id list": b'{"time": "%s", "event": "gen_ai.evaluation.result", "trace_id": [1], '
                                      b'"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.2}',
    "evaluation event nested score text": b'{"time": "%s", "event": "gen_ai.evaluation.result", "trace_id": "0001000000ff", '
                                          b'"gen_ai.evaluation.name": "helpfulness", "gen_ai": {"evaluation": "x"}}',
    "otlp resourceSpans text": b'{"resourceSpans": "abc"}',
    "otlp resourceSpans number": b'{"resourceSpans": 5}',
    "otlp scopeSpans item text": b'{"resourceSpans": [{"scopeSpans": ["x"]}]}',
    "otlp span fields of other shapes": b'{"resourceSpans": [{"resource": "r", "scopeSpans": [{"spans": [{'
                                        b'"startTimeUnixNano": "1780315200000000000", "endTimeUnixNano": "1780315201000000000", '
                                        b'"status": "ERROR", "events": "x", "attributes": [{"key": "a", "value": {"doubleValue": "abc"}}, '
                                        b'{"key": "b", "value": {"arrayValue": [1]}}, {"key": "c", "value": {"kvlistValue": {"values": ["v"]}}}]}]}]}]}',
    "otlp huge nanos": b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "1", "endTimeUnixNano": "1' + b"0" * 400 + b'"}]}]}]}',
    "otlp bool nanos": b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": true, "endTimeUnixNano": true}]}]}]}',
    # values of another JSON type than their field's (the per-record path skips or counts them where a
    # typed reader would convert them), keys spelled with escapes or spaced, a needed key elsewhere
    "string number for duration": b'{"time": "%s", "duration_s": "1.5"}',
    "false for cost": b'{"time": "%s", "duration_s": 1, "gen_ai.usage.cost": false}',
    "null for duration": b'{"time": "%s", "duration_s": null, "gen_ai.usage.cost": 0.5}',
    "minus zero": b'{"time": "%s", "duration_s": -0}',
    "minus zero point zero": b'{"time": "%s", "duration_s": -0.0}',
    "minus inf for duration": b'{"time": "%s", "duration_s": -inf}',
    "1e999 for cost": b'{"time": "%s", "duration_s": 1, "gen_ai.usage.cost": 1e999}',
    "label true": b'{"time": "%s", "duration_s": 1.5, "gen_ai.request.model": true}',
    "label object": b'{"time": "%s", "duration_s": 1.5, "gen_ai.request.model": {"a": "b"}}',
    "label list": b'{"time": "%s", "duration_s": 1.5, "gen_ai.request.model": ["a"]}',
    "label escaped": b'{"time": "%s", "duration_s": 1.5, "gen_ai.request.model": "\\u0061"}',
    "error type object": b'{"time": "%s", "duration_s": 1, "error.type": {"a": 1}}',
    "error type list": b'{"time": "%s", "duration_s": 1, "error.type": ["a"]}',
    "error type number spaced": b'{"time": "%s", "duration_s": 1, "error.type" :  404}',
    "escaped key, string value": b'{"time": "%s", "dur\\u0061tion_s": "7"}',
    "escaped upper hex key": b'{"time": "%s", "gen_ai.usage.co\\u0053T": 1, "gen_ai.usage.c\\u006Fst": "1"}',
    "escaped label key": b'{"time": "%s", "duration_s": 1, "gen_ai.request.m\\u006fdel": 5}',
    "tab before the colon": b'{"time": "%s", "duration_s"\t:\t"2"}',
    "many spaces before the colon": b'{"time": "%s", "duration_s"' + b" " * 12 + b': 2}',
    "many spaces after the colon": b'{"time": "%s", "duration_s":' + b" " * 12 + b'"2"}',
    "key nested elsewhere": b'{"time": "%s", "duration_s": 1, "meta": {"duration_s": "x", "error.type": 5}}',
    "key inside a string": b'{"time": "%s", "duration_s": 1, "note": "{\\"duration_s\\": \\"x\\"}"}',
    "go html escapes": b'{"time": "%s", "duration_s": 1, "note": "\\u003cb\\u003e \\u0026"}',
    # OTLP's key spelled with an escape, its value null: an OTLP line with no spans (no request) per record;
    # DuckDB's column cannot tell null from absent (found: read as a request there)
    "escaped resourceSpans null": b'{"time": "%s", "\\u0072esourceSpans": null, "duration_s": 9.0, "error.type": "x"}',
    "abc for duration": b'{"time": "%s", "duration_s": "abc"}',
    "list for cost": b'{"time": "%s", "duration_s": 1, "gen_ai.usage.cost": [1]}',
    "object for duration": b'{"time": "%s", "duration_s": {"v": 1}}',
    "evaluation score text": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "helpfulness", '
                             b'"gen_ai.evaluation.score.value": "high"}]}',
    "evaluation score false": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": "helpfulness", '
                              b'"gen_ai.evaluation.score.value": false}]}',
    "evaluation name true": b'{"time": "%s", "evaluations": [{"gen_ai.evaluation.name": true, '
                            b'"gen_ai.evaluation.score.value": 0.5}]}',
}
#: hostile lines that make DuckDB's whole-file query fail (the file is read by pyarrow then)
DUCKDB_FAILS = {"not json", "duplicate key", "duplicate time", "lone surrogate", "array line", "two objects",
                "invalid utf-8", "control char in string", "evaluations as object", "cr inside a line"}
#: lines after which DuckDB's rows cannot be matched to lines (not starting with "{")
DUCKDB_STOPS = {"blank line", "whitespace line", "cr line"}


@pytest.mark.parametrize("rate", [0.2, 0.0008])  # (0.0008: 17 days, the older half is skipped unparsed)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_line_in_the_middle_gives_the_same_answers(tmp_path, name, rate, reader):
    recs = records(1200, seed=5, rate=rate)
    lines = dump(recs)
    mid = len(lines) // 2
    t = recs[mid]["time"]
    if name == "leap second":
        t = t[:17] + "60.5Z"
    line = HOSTILE[name]
    if b"%s" in line:
        line = line.replace(b"%s", (t.lower() if name == "time lowercase z" else t).encode())
    for at in (mid, mid + 3):  # twice: one chunk with two of them
        lines.insert(at, line)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fast = assert_same(path, now_after(recs))
    chunks = path.stat().st_size // 4096
    assert (fast.skipped > 500) == (rate < 0.2)
    if name in ("evaluation event", "evaluation event nested score text") and rate == 0.2:  # joined: the rest is read record by record
        assert chunks // 2 - 5 < fast.columnar_chunks < chunks // 2 + 5
    else:  # the chunks around the hostile lines only are read record by record
        assert fast.columnar_chunks >= chunks - 4, (fast.columnar_chunks, chunks)
    if reader == "pyarrow":
        assert fast.bulk_chunks == 0
    elif name in DUCKDB_FAILS:  # the rows DuckDB gave before its query failed (none, in files this small)
        assert fast.bulk_chunks <= chunks // 2 + 1, (fast.bulk_chunks, chunks)
    elif name in DUCKDB_STOPS:  # DuckDB's rows up to the chunk with the line, pyarrow after it
        assert chunks // 2 - 3 <= fast.bulk_chunks <= chunks // 2 + 1, (fast.bulk_chunks, chunks)
    else:  # the hostile line reached DuckDB's rows: its chunk read record by record, the others taken
        assert fast.bulk_chunks == fast.columnar_chunks, (fast.bulk_chunks, fast.columnar_chunks)


def test_a_bom_and_crlf_line_ends(tmp_path):
    recs = records(600, seed=7)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(dump(recs)) + b"\r\n")
    assert_same(path, now_after(recs))


def test_crlf_line_ends_without_a_bom(tmp_path, reader):
    recs = records(900, seed=53)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\r\n".join(dump(recs)) + b"\r\n")
    fast = assert_same(path, now_after(recs))
    assert fast.columnar_chunks > 50
    assert fast.bulk_chunks == (fast.columnar_chunks if reader == "duckdb" else 0)


def test_evaluation_results_after_a_columnar_read_join_the_remembered_requests(tmp_path):
    recs = records(1500, seed=11)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    now = now_after(recs)
    fast, slow = source(path, True), source(path, False)
    assert fast.fetch_sync(specs(), now) == slow.fetch_sync(specs(), now)
    assert fast.columnar_chunks > 0 and fast._recent_lines and not fast._recent
    # results for the last request, one 20 back, and one beyond the join memory (a record of its own)
    events = [{"time": recs[-1]["time"], "event": "gen_ai.evaluation.result", "trace_id": recs[i]["trace_id"],
               "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.001 * (i % 7)}
              for i in (len(recs) - 1, len(recs) - 20, len(recs) - 400)]
    more = records(40, seed=12, start=datetime.fromisoformat(recs[-1]["time"][:-1] + "+00:00").timestamp())
    with open(path, "ab") as fh:
        fh.write(b"\n".join(dump(more[:20]) + [json.dumps(e).encode() for e in events] + dump(more[20:])) + b"\n")
    now2 = now_after(more)
    a, b = fast.fetch_sync(specs(), now2), slow.fetch_sync(specs(), now2)
    assert a == b
    assert fast.records == slow.records and fast.malformed == slow.malformed == 0
    assert list(fast._trace_map().items()) == list(slow._trace_map().items())


def test_appends_after_a_columnar_read_are_read_incrementally(tmp_path):
    recs = records(1000, seed=13)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    src = source(path, True)
    src.fetch_sync(specs(), now_after(recs))
    read = src.bytes_read
    more = records(30, seed=14, start=datetime.fromisoformat(recs[-1]["time"][:-1] + "+00:00").timestamp())
    extra = b"\n".join(dump(more)) + b"\n"
    with open(path, "ab") as fh:
        fh.write(extra)
    chunks = src.columnar_chunks
    answers = src.fetch_sync(specs(), now_after(more))
    assert src.bytes_read - read == len(extra)  # only the new bytes
    assert src.columnar_chunks == chunks  # appends take the per-record path
    assert answers == source(path, False).fetch_sync(specs(), now_after(more))


def test_unsupported_slos_use_the_per_record_path(tmp_path):
    recs = records(300, seed=17)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    now = now_after(recs)
    base = dict(window=3600.0, period=86400.0, slice=SLICE, source="logs", target=1.0, direction="lower_is_better")
    for slo in (SLOSpec(name="w", kind="threshold", sli_field="duration_ms", sli_where="duration_s > 1", **base),
                SLOSpec(name="e", kind="threshold", sli_field="duration_s * 2", **base),
                SLOSpec(name="r", kind="ratio", good="duration_s < 1", **base),
                SLOSpec(name="b", kind="threshold", sli_field="duration_ms", breakdown=("duration_ms",), **base)):
        fast = assert_same(path, now, [slo])
        assert fast.columnar_chunks == 0, slo.name


def grouped(slos: list[SLOSpec], *by: str) -> list[SLOSpec]:
    from dataclasses import replace

    return [replace(s, breakdown=by) for s in slos]


@pytest.mark.parametrize("label", [None, "(none)", 7, True, "missing", "gpt-4o", "café 中"])
def test_breakdowns_read_as_columns_give_the_same_groups(tmp_path, label):
    recs = records(1500, seed=29)
    for i, r in enumerate(recs):
        if i % 97 == 5:
            if label == "missing":
                r.pop("gen_ai.request.model")
            else:
                r["gen_ai.request.model"] = label
        r["route"] = ["/a", "/b", None][i % 3]
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    slos = grouped(specs(), "gen_ai.request.model", "route") + grouped(specs(), "error.type")
    fast = assert_same(path, now_after(recs), slos)
    answers = fast.fetch_sync(slos, now_after(recs))
    assert all(d.groups for d in answers.values())
    chunks = path.stat().st_size // 4096
    refused = 16 if label in (7, True) else 0  # a number or boolean label: those chunks per record
    assert chunks - refused - 2 <= fast.columnar_chunks <= chunks + 1, (fast.columnar_chunks, chunks)


HOSTILE_LABELS = {
    "label true": b'"gen_ai.request.model": true',
    "label object": b'"gen_ai.request.model": {"a": "b"}',
    "label list": b'"gen_ai.request.model": ["a"]',
    "label number spaced": b'"gen_ai.request.model"  :  5',
    "label escaped": b'"gen_ai.request.model": "\\u0061"',
    "label key escaped": b'"gen_ai.request.m\\u006fdel": 5',
    "label null": b'"gen_ai.request.model": null',
    "label go escapes": b'"gen_ai.request.model": "\\u003cb\\u003e"',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LABELS))
def test_hostile_labels_give_the_same_groups(tmp_path, name, reader):
    """A label that is no string (a number, a boolean, an object), null, or written through an
    escaped key or with spaces: the same groups both ways, the other chunks taken as columns."""
    recs = records(1200, seed=31)
    lines = dump(recs)
    mid = len(lines) // 2
    for at in (mid, mid + 3):
        lines[at] = lines[at].replace(b'"gen_ai.request.model": "a"', HOSTILE_LABELS[name]).replace(
            b'"gen_ai.request.model": "b"', HOSTILE_LABELS[name])
        assert HOSTILE_LABELS[name] in lines[at]
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    slos = grouped(specs(), "gen_ai.request.model")
    fast = assert_same(path, now_after(recs), slos)
    chunks = path.stat().st_size // 4096
    assert fast.columnar_chunks >= chunks - 4, (fast.columnar_chunks, chunks)
    assert fast.bulk_chunks == (fast.columnar_chunks if reader == "duckdb" else 0)


def test_long_number_texts_are_read_as_the_same_doubles(tmp_path, reader):
    """DuckDB and pyarrow convert number texts themselves: 25 significant digits, exponents,
    subnormals and halfway cases give the same doubles as the per-record path's parser (the
    answers compare exactly; a mean's exact sum sees every bit)."""
    rng = random.Random(37)
    recs = records(1500, seed=37)
    lines = dump(recs)
    out = []
    for line, r in zip(lines, recs):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
        duration = f"{rng.randint(0, 9)}.{digits}e{rng.randint(-3, 1)}"
        cost = rng.choice([f"0.{digits}", f"{rng.randint(1, 9)}e-{rng.randint(3, 320)}", "9007199254740991",
                           "0.1000000000000000055511151231257827", "1.00000000000000011102230246251565404236316680908203125"])
        line = line.replace(f'"duration_s": {json.dumps(r["duration_s"])}'.encode(), f'"duration_s": {duration}'.encode())
        out.append(line.replace(b'"gen_ai.usage.cost": ', f'"gen_ai.usage.cost": {cost}, "was": '.encode()))
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(out) + b"\n")
    slos = specs() + [replace(s, name=s.name + "/mean", sli_agg="mean") for s in specs() if s.name.startswith("cost")]
    fast = assert_same(path, now_after(recs), slos)
    chunks = path.stat().st_size // 4096
    assert fast.columnar_chunks >= chunks - 1, (fast.columnar_chunks, chunks)
    assert fast.bulk_chunks == (fast.columnar_chunks if reader == "duckdb" else 0)


@pytest.mark.parametrize("piece", [1, 64, 700, 1 << 20])
def test_a_chunk_checked_piece_by_piece_gets_the_whole_chunks_verdict(tmp_path, piece, monkeypatch):
    """The bulk read checks each chunk's bytes in pieces of complete lines (BULK_PIECE): the verdict,
    line count and timed flag are bulk_lines' on the whole chunk, with every hostile line (long,
    deep, blank, OTLP, escaped keys) at the start, middle or end of a chunk, and pieces shorter than
    one line (read up to the chunk's end at once)."""
    from slotui.sources.kit.columnar import BULK_STOP, bulk_lines

    monkeypatch.setattr(file_module, "BULK_PIECE", piece)
    lines = dump(records(60, seed=43))
    for i, name in enumerate(sorted(HOSTILE)):
        line = HOSTILE[name].replace(b"%s", b"2026-06-01T00:00:00Z")
        body = lines[:]
        for at in ((0,), (30,), (len(body),))[i % 3]:
            body.insert(at, line)
        path = tmp_path / f"{i}.jsonl"
        data = b"\n".join(body) + b"\n"
        path.write_bytes(data)
        with open(path, "rb") as fh:
            for start, end in file_module._bulk_bounds(fh.fileno(), len(data)):
                got = file_module._bulk_check(fh.fileno(), start, end)
                want = bulk_lines(data[start:end])
                assert got[0] == want[0], (name, piece)
                if want[0] != BULK_STOP:  # (a stopped chunk's count is not used)
                    assert got[1:] == want[1:], (name, piece)
    with open(path, "rb") as fh:  # the file changed under the read: no newline where a chunk ended
        assert file_module._bulk_check(fh.fileno(), 0, len(data) - 1)[0] == BULK_STOP


JSON_VALUES = ['0', '-0', '-0.0', '7', '1.5', '-2.25e-3', '1e400', '123456789012345678901234567890', 'NaN', '-NaN',
               'Infinity', '-Infinity', 'nan', '-inf', 'true', 'false', 'null', '""', '"x"', '"1.5"', '"\\u00e9"',
               '"caf\u00e9"', '"\\""', '[]', '[1]', '{}', '{"a": 1}', '"#"', '"-"']


def test_the_json_type_tests_read_duckdbs_texts_as_their_first_byte():
    """bulk_sql tells a JSON value's type from DuckDB's text of it by comparing strings (bytewise):
    a number starts with - or a digit, a string with a quote. Over every kind of JSON value
    yyjson reads (the non-standard literals too) the comparisons say what the first byte says."""
    import duckdb

    from slotui.sources.kit.columnar import _json_number, _json_string

    con = duckdb.connect()
    rows = con.sql("SELECT t, " + _json_number("t") + ", " + _json_string("t") + " FROM (SELECT CAST(CAST(v AS JSON) "
                   "AS VARCHAR) AS t FROM (SELECT unnest(?) AS v))", params=[JSON_VALUES]).fetchall()
    assert len(rows) == len(JSON_VALUES)
    for text, number, string in rows:
        assert number == (text[0] in "-0123456789"), text
        assert string == (text[0] == '"'), text
    assert sum(number for _, number, _ in rows) >= 11 and sum(string for _, _, string in rows) >= 8


@pytest.mark.parametrize("needed", ["5", "true", "null", "NaN", "-1", "[1]", "{}", "faithfulness"])
def test_evaluation_names_that_are_no_strings_match_no_needed_name(tmp_path, needed, reader):
    """Record by record an item named 5 (a number) or true is ignored, and only the item named
    "5" counts for ``evaluations.5``. DuckDB's text of a name cannot tell 5 from "5": a needed
    name that could be a non-string's text is compared on the JSON texts; the other names as text
    (an item named 5 then matches no needed name)."""
    recs = records(1200, seed=67)
    lines = dump(recs)
    others = [5, True, {"a": 1}, [1], -1, 1.5]
    for i, r in enumerate(recs):
        if i % 7 == 0:  # the needed name as a string (the first record too), beside its text as another JSON value
            r["evaluations"].append({"gen_ai.evaluation.name": needed, "gen_ai.evaluation.score.value": 0.25})
            r["evaluations"].append({"gen_ai.evaluation.name": others[i % len(others)], "gen_ai.evaluation.score.value": 0.75})
        lines[i] = json.dumps(r).encode()
        if i % 11 == 5 and needed != "faithfulness":  # the needed name's text as another JSON value, alone
            lines[i] = lines[i].replace(b'"evaluations": [', b'"evaluations": [{"gen_ai.evaluation.name": %s, '
                                        b'"gen_ai.evaluation.score.value": 0.5}, ' % needed.encode())
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    kw = dict(window=3600.0, period=86400.0, slice=SLICE, source="logs", kind="threshold", target=0.5,
              direction="higher_is_better")
    slos = [SLOSpec(name=f"e/{agg}", sli_field=f"evaluations.{needed}", sli_agg=agg, **kw) for agg in ("mean", "max", "p50")]
    fast = assert_same(path, now_after(recs), slos)
    chunks = path.stat().st_size // 4096
    assert fast.bulk_chunks == (fast.columnar_chunks if reader == "duckdb" else 0)
    if needed == "faithfulness" and reader == "duckdb":  # names as text: chunks with items named 5 taken too
        assert fast.columnar_chunks >= chunks - 1, (fast.columnar_chunks, chunks)


def test_a_nested_label_gives_the_same_groups_both_ways(tmp_path):
    """Some records carry the model as ``{"gen_ai": {"request": {"model": ...}}}``: record by record the
    label is the nested value (as every dotted field); the chunks holding that form go record by record,
    the others as columns, and the groups are the same."""
    recs = records(1500, seed=31)
    for i, r in enumerate(recs):
        if i % 211 == 3:
            r["gen_ai"] = {"request": {"model": r.pop("gen_ai.request.model")}}
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    slos = grouped(specs(), "gen_ai.request.model")
    fast = assert_same(path, now_after(recs), slos)
    answers = fast.fetch_sync(slos, now_after(recs))
    seen = set()
    for data in answers.values():
        for g in data.groups:
            seen |= set(g.counts or g.values or g.sums or {})
    assert seen and "(none)" not in seen  # every record has a model, nested or flat
    chunks = path.stat().st_size // 4096
    assert 0 < fast.columnar_chunks < chunks  # some chunks were refused, not all


def test_fields_named_like_the_readers_own_columns(tmp_path, reader):
    """A condition on trace_id and a value field called "bad" or "slotui:refuse" read as any other."""
    recs = records(1200, seed=47)
    for i, r in enumerate(recs):
        r["bad"] = i % 7 * 0.5
        r["slotui:refuse"] = i % 3
        if i % 11 == 0:
            r["trace_id"] = None
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    base = dict(window=3600.0, period=86400.0, slice=SLICE, source="logs", direction="lower_is_better")
    slos = [SLOSpec(name="traced", kind="ratio", target=0.9, good="trace_id != null", **base),
            SLOSpec(name="bad", kind="threshold", target=1.0, sli_field="bad", sli_agg="mean", **base),
            SLOSpec(name="refuse", kind="threshold", target=1.0, sli_field="slotui:refuse", sli_agg="max", **base)]
    fast = assert_same(path, now_after(recs), slos)
    assert fast.columnar_chunks > 50
    assert fast.bulk_chunks == (fast.columnar_chunks if reader == "duckdb" else 0)


@pytest.mark.parametrize("where", [3, 700, 1499])
def test_a_line_longer_than_the_limit_is_skipped_not_held(tmp_path, monkeypatch, reader, where):
    """A 300 MB line held 1.3 GB and took 5 s; above MAX_LINE_BYTES it is counted malformed and its
    bytes are dropped as they are read: both paths give the same answers, line number and offset,
    and an append after it is read from the right place. (DuckDB's reader never meets such a line:
    any object above its 16 MiB maximum_object_size, below the 64 MiB limit, fails its query and the
    chunk readers go on; the limit cannot be shrunk for a test, DuckDB does not enforce it within one
    buffer.)"""
    if reader == "duckdb":
        monkeypatch.setattr(file_module, "BULK_MIN", 1 << 62)
    monkeypatch.setattr(file_module, "MAX_LINE_BYTES", 20_000)
    recs = records(1500, seed=53)
    lines = dump(recs)
    giant = b'{"time": "' + recs[where]["time"].encode() + b'", "pad": "' + b"x" * 50_000 + b'"}'
    lines.insert(where, giant)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fast = assert_same(path, now_after(recs))
    assert fast.malformed == 1
    assert fast._note() == (f"first malformed line: line {where + 1}: a line of {len(giant) + 1:,} bytes, longer "
                            "than the 0 MiB a request log line may be: skipped")
    assert fast._offset == path.stat().st_size and fast.records == 1500
    more = records(20, seed=54, start=datetime.fromisoformat(recs[-1]["time"].replace("Z", "+00:00")).timestamp() + 1)
    with path.open("ab") as fh:
        fh.write(b"\n".join(dump(more)) + b"\n")
    fast.fetch_sync(specs(), now_after(more))
    assert fast.records == 1520 and fast.malformed == 1


def test_a_too_long_last_line_is_counted_once_it_ends(tmp_path, monkeypatch):
    """Still being written: not counted, nothing held; once its newline comes it is one malformed line."""
    monkeypatch.setattr(file_module, "MAX_LINE_BYTES", 20_000)
    recs = records(300, seed=55)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n" + b'{"time": "x", "pad": "' + b"y" * 30_000)
    src = source(path, False)
    src.fetch_sync(specs(), now_after(recs))
    assert (src.records, src.malformed) == (300, 0)
    with path.open("ab") as fh:
        fh.write(b"y" * 30_000 + b'"}\n' + b"\n".join(dump(records(5, seed=56, start=START + 86400))) + b"\n")
    src.fetch_sync(specs(), now_after(recs))
    assert (src.records, src.malformed) == (305, 1)
    assert src._first_malformed == (301, "a line of 60,025 bytes, longer than the 0 MiB a request log line may be: skipped")


def test_a_field_missing_from_the_first_record_uses_the_per_record_path(tmp_path):
    recs = records(300, seed=19)
    recs[0].pop("gen_ai.usage.cost")
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    assert_same(path, now_after(recs))


_VALUES = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**60), 2**60),
                    st.booleans(), st.text(max_size=3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["duration_s", "gen_ai.usage.cost", "error.type", "x"]), _VALUES),
                max_size=6), st.integers(0, 10**6))
def test_random_values_give_the_same_answers(tmp_path, changes, seed):
    recs = records(400, seed=seed)
    rng = random.Random(seed)
    for field, value in changes:
        recs[rng.randrange(len(recs))][field] = value
    path = tmp_path / f"h{seed}.jsonl"
    # json.dumps writes NaN/Infinity as the per-record path reads them
    path.write_bytes(b"\n".join(json.dumps(r).encode() for r in recs) + b"\n")
    assert_same(path, now_after(recs))


def test_a_small_file_does_not_import_pyarrow(tmp_path):
    recs = records(50)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    code = (
        "import sys; from pathlib import Path; from slotui.config.model import FileSourceConfig;"
        "from slotui.core.types import SLOSpec; from slotui.sources.file import FileSource;"
        f"cfg = FileSourceConfig(type='file', path={str(path)!r}, fields={{'duration_ms': 'duration_s * 1000'}});"
        "s = FileSource('logs', cfg);"
        "slo = SLOSpec(name='p', kind='threshold', target=1, direction='lower_is_better', sli_field='duration_ms',"
        " sli_agg='p95', window=3600.0, period=86400.0, slice=300.0, source='logs');"
        f"d = s.fetch_sync([slo], {now_after(recs)!r});"
        "assert s.records == 50 and d['p'].value is not None;"
        "print('pyarrow' in sys.modules, 'numpy' in sys.modules, 'duckdb' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_columnar_read_does_not_import_pandas(tmp_path, fmt, reader):
    """pyarrow imports pandas (~0.3 s) when it converts a Python object (``pa.scalar("")``,
    ``fill_null(-1)``, a ``str`` or ``float`` argument to a compute function): a columnar read of
    each format, with breakdown labels, nulls, a Parquet duration column and every SLI kind, builds
    its Arrow values from buffers (slotui.sources.kit.arrow_values). Nor ``pyarrow.compute`` (~50 ms
    of wrappers): its kernels are called by name (slotui.sources.kit.arrow_compute)."""
    import importlib.util

    assert importlib.util.find_spec("pandas") is not None  # (installed with the test extras: mlflow)
    recs = records(700, seed=61)
    path = tmp_path / f"r.{fmt}"
    if fmt == "jsonl":
        path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    elif fmt == "csv":
        path.write_text("".join(",".join(row) + "\n" for row in [CSV_COLUMNS, *map(csv_cells, recs)]))
    else:  # (the duration as a duration column: read as seconds)
        import pyarrow as pa
        import pyarrow.parquet as pq

        flat = {c: [r.get(c) for r in recs] for c in CSV_COLUMNS}
        flat["evaluations.helpfulness"] = [helpfulness(r) for r in recs]
        flat["duration_s"] = pa.array([round(r["duration_s"] * 1_000_000) for r in recs], pa.duration("us"))
        pq.write_table(pa.table(flat), path)
    code = (
        "import sys; import slotui.sources.file as f;"
        f"f.COLUMNAR_MIN = 0; f.CHUNK = 4096; f.BULK_MIN = {0 if reader == 'duckdb' else 1 << 62};"
        "sys.path.insert(0, 'tests/unit'); import test_file_columnar as t;"
        "assert 'pandas' not in sys.modules;"
        f"s = t.source(t.Path({str(path)!r}), True);"
        f"d = s.fetch_sync(t.grouped(t.specs(), 'gen_ai.request.model'), {now_after(recs)!r});"
        "assert s.columnar_chunks > 0 and all(v.groups for v in d.values()), s.columnar_chunks;"
        "print('pandas' in sys.modules, 'pyarrow.compute' in sys.modules, s.bulk_chunks > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.split() == ["False", "False", str(reader == "duckdb" and fmt == "jsonl")]



@pytest.mark.parametrize("traced_every", [0, 3, 20])
def test_a_log_with_few_or_no_trace_ids_remembers_only_its_traced_requests(tmp_path, traced_every):
    """A columnar read remembers for joins the lines of requests with a trace_id only: a log without
    any kept every line it took (re-read and split: a 300k-line log's first read took twice as long,
    +120 MB) and held every chunk's columns. Later evaluation results join as record by record."""
    recs = records(1500, seed=17)
    for i, r in enumerate(recs):
        if not traced_every or i % traced_every:
            if i % 2:
                del r["trace_id"]
            else:
                r["trace_id"] = None
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    now = now_after(recs)
    fast, slow = source(path, True), source(path, False)
    assert fast.fetch_sync(specs(), now) == slow.fetch_sync(specs(), now)
    assert fast.columnar_chunks > 50
    remembered = [json.loads(line) for lines, _ in fast._recent_lines for line in lines]
    traced = [i for i, r in enumerate(recs) if r.get("trace_id")]
    # the last JOIN_MEMORY traced lines (and the few untraced ones between them): none without any
    assert [r["trace_id"] for r in remembered if r.get("trace_id")] == \
        [recs[i]["trace_id"] for i in traced[-file_module.JOIN_MEMORY:]]
    assert len(remembered) < 3 * file_module.JOIN_MEMORY
    if traced_every <= file_module._REMEMBER_GAP:  # runs of lines (a chunk each here), not one a line
        assert len(fast._recent_lines) < file_module.JOIN_MEMORY // 2
    else:  # (farther apart: a line each, with its own number)
        assert all(len(lines) == 1 for lines, _ in fast._recent_lines)
    # each remembered line is the line its number says (runs of consecutive traced lines)
    for lines, base in fast._recent_lines:
        assert lines == dump(recs[base:base + len(lines)])
    events = [{"time": recs[-1]["time"], "event": "gen_ai.evaluation.result",
               "trace_id": recs[i]["trace_id"] if recs[i].get("trace_id") else f"gone{i}",
               "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.25}
              for i in (len(recs) - 1, len(recs) - 2, len(recs) - 60, *traced[-3:])]
    with open(path, "ab") as fh:
        fh.write(b"\n".join(json.dumps(e).encode() for e in events) + b"\n")
    a, b = fast.fetch_sync(specs(), now), slow.fetch_sync(specs(), now)
    assert a == b
    assert (fast.records, fast.malformed) == (slow.records, slow.malformed)
    assert list(fast._trace_map().items()) == list(slow._trace_map().items())


def test_a_large_clean_log_is_read_by_duckdb_at_the_default_sizes(tmp_path, monkeypatch):
    """Without lowered thresholds (the module's own sizes): a log above BULK_MIN is read by
    DuckDB, every chunk's rows taken, with the per-record answers."""
    monkeypatch.setattr(file_module, "COLUMNAR_MIN", 16 * 1024 * 1024)
    monkeypatch.setattr(file_module, "BULK_MIN", 16 * 1024 * 1024)
    monkeypatch.setattr(file_module, "CHUNK", 8 * 1024 * 1024)
    monkeypatch.setattr(file_module, "JOIN_MEMORY", 20_000)
    recs = records(1000, seed=41)
    lines = dump(recs)
    path = tmp_path / "r.jsonl"
    with open(path, "wb") as fh:
        while fh.tell() < file_module.BULK_MIN + 2 * file_module.CHUNK:
            fh.write(b"\n".join(lines) + b"\n")  # the same records again and again (times repeat)
    now = now_after(recs)
    fast = assert_same(path, now)
    assert fast.bulk_chunks == fast.columnar_chunks >= 3
    assert fast.records == slow_records(path, now)


def test_without_duckdb_the_pyarrow_reader_reads(tmp_path, monkeypatch, reader):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # `import duckdb` raises ImportError
    recs = records(900, seed=59)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    fast = assert_same(path, now_after(recs))
    assert fast.columnar_chunks > 50 and fast.bulk_chunks == 0


def slow_records(path: Path, now: float) -> int:
    src = source(path, False)
    src.fetch_sync(specs(), now)
    return src.records


def test_a_half_written_last_line_leaves_duckdb_and_gives_the_same_answers(tmp_path, reader):
    recs = records(900, seed=43)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b'\n{"time": "2026-06-0')  # DuckDB's query fails on it
    fast = assert_same(path, now_after(recs))
    assert fast.bulk_chunks <= fast.columnar_chunks and fast.columnar_chunks > 10  # (DuckDB's rows before it, if any)
    assert fast._held  # held until its newline, as record by record


def _parquet(path: Path, recs: list[dict], types: dict | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat = [{"time": r["time"], "duration_s": r.get("duration_s"), "gen_ai.usage.cost": r.get("gen_ai.usage.cost"),
             "error.type": r.get("error.type"),
             "evaluations.helpfulness": helpfulness(r)}
            for r in recs]
    types = {"time": pa.string(), "duration_s": pa.float64(), "gen_ai.usage.cost": pa.float64(),
             "error.type": pa.string(), "evaluations.helpfulness": pa.float64(), **(types or {})}
    table = pa.table({name: pa.array([row[name] for row in flat], type=t) for name, t in types.items()})
    pq.write_table(table, path, row_group_size=97)


def parquet_source(path: Path, columnar: bool) -> FileSource:
    src = source(path, columnar)
    assert src.format == "parquet"
    return src


def parquet_both_ways(path: Path, table: Any, slos: list[SLOSpec], now: float) -> tuple[dict, FileSource, FileSource]:
    """Write ``table`` to ``path`` (row groups of 97 rows), read it by both readers, check they answer
    the same; (the answer, the columnar source, the per-record source)."""
    import pyarrow.parquet as pq

    pq.write_table(table, path, row_group_size=97)
    fast, slow = parquet_source(path, True), parquet_source(path, False)
    a, b = fast.fetch_sync(slos, now), slow.fetch_sync(slos, now)
    assert a == b
    return a, fast, slow


PARQUET_CASES = {
    "plain": ({}, {}),
    "nan": ({"duration_s": float("nan")}, {}),
    "infinite cost": ({"gen_ai.usage.cost": float("inf")}, {}),
    "negative": ({"duration_s": -2.0}, {}),
    "null time": ({"time": None}, {}),
    "offset time": ({"time": "2026-06-01T02:00:00+02:00"}, {}),
    "int durations": ({"duration_s": 3}, {"duration_s": "int64"}),
    "huge int": ({"duration_s": 2**60}, {"duration_s": "int64"}),
    "bool column": ({"error.type": True}, {"error.type": "bool_"}),
}


@pytest.mark.parametrize("case", sorted(PARQUET_CASES))
def test_parquet_batches_read_as_columns_give_the_same_answers(tmp_path, monkeypatch, case):
    import pyarrow as pa

    monkeypatch.setattr(file_module, "PARQUET_BATCH", 100)
    change, types = PARQUET_CASES[case]
    recs = records(1000, seed=23)
    for r in recs[500:503]:
        r.update(change)
    if case == "int durations":
        for r in recs:
            r["duration_s"] = int(r["duration_s"] * 10)
    if case == "bool column":
        for r in recs:
            r["error.type"] = r.get("error.type") is not None
    path = tmp_path / "r.parquet"
    _parquet(path, recs, {k: getattr(pa, v)() for k, v in types.items()})
    now = now_after([r for r in recs if r["time"] and r["time"].endswith("Z")])
    fast, slow = parquet_source(path, True), parquet_source(path, False)
    a, b = fast.fetch_sync(specs(), now), slow.fetch_sync(specs(), now)
    assert a == b
    assert (fast.records, fast.malformed, fast.book.sample_fields) == (slow.records, slow.malformed, slow.book.sample_fields)
    taken = {"plain": 10, "int durations": 10, "bool column": 0}.get(case, 9)
    assert fast.columnar_chunks == taken and slow.columnar_chunks == 0


CSV_CELLS = {
    "plain": None,
    "empty": ("duration_s", ""),
    "null word": ("error.type", "NULL"),
    "na word cost": ("gen_ai.usage.cost", "n/a"),
    "nan": ("duration_s", "nan"),
    "inf": ("gen_ai.usage.cost", "Infinity"),
    "negative": ("duration_s", "-1.5"),
    "minus zero": ("duration_s", "-0"),
    "plus sign": ("duration_s", "+2"),
    "leading dot": ("duration_s", ".5"),
    "exponent": ("duration_s", "1e-3"),
    "huge exponent": ("duration_s", "1e400"),
    # digits, dots, e and signs that are no number (the byte check refuses some, Arrow's cast the others)
    "two dots": ("duration_s", "1.5.2"),
    "two exponents": ("duration_s", "1e5e5"),
    "dot after exponent": ("gen_ai.usage.cost", "1e5.5"),
    "dot then exponent": ("duration_s", "1.e5"),
    "inner minus": ("duration_s", "12-3"),
    "two exponent signs": ("evaluations.helpfulness", "1e-+5"),
    "trailing dot": ("duration_s", "5."),
    "spaces": ("duration_s", " 2"),
    "text for number": ("duration_s", "slow"),
    "bool": ("gen_ai.usage.cost", "true"),
    "number as error": ("error.type", "500"),
    "quoted": ("error.type", '"a,b"'),
    "too few fields": ("row", "2026-06-01T00:00:00Z,1"),
    "blank line": ("row", ""),
    "time with offset": ("time", "2026-06-01T02:00:00+02:00"),
    "epoch time": ("time", "1780272000"),
    "label number": ("gen_ai.request.model", "4"),
    "label word": ("gen_ai.request.model", "none"),
    "label empty": ("gen_ai.request.model", ""),
    # padding around a number or word (", "-separated files): per-record reads the value, the columns refuse
    "padded number": ("duration_s", " 2.5 "),
    "padded null word": ("error.type", "NULL "),
    "padded true": ("error.type", " true"),
    "padded label": ("gen_ai.request.model", "a "),
    "padded label word": ("gen_ai.request.model", " none"),
    # beyond ASCII: per record a null word padded by a no-break space is null, a label of Arabic-Indic
    # or full-width digits is the number 12 (found: the columns kept the raw text, other counts)
    "nbsp padded null word": ("error.type", "NULL\u00a0"),
    "em space padded null word": ("error.type", "\u2003none"),
    "nbsp padded label word": ("gen_ai.request.model", "\u00a0none"),
    "arabic-indic digit label": ("gen_ai.request.model", "\u0661\u0662"),
    "full-width digit label": ("gen_ai.request.model", "\uff11\uff12"),
    "mixed digit label": ("gen_ai.request.model", "\u0665.5"),
    "non-ascii label": ("gen_ai.request.model", "模型-a"),
}
CSV_COLUMNS = ("time", "duration_s", "gen_ai.usage.cost", "error.type", "evaluations.helpfulness", "gen_ai.request.model")


@pytest.mark.parametrize("case", sorted(CSV_CELLS))
def test_csv_rows_read_as_columns_give_the_same_answers(tmp_path, case):
    recs = records(1500, seed=31)
    rows = [csv_cells(r) for r in recs]
    lines = [",".join(CSV_COLUMNS)] + [",".join(row) for row in rows]
    if CSV_CELLS[case] is not None:
        column, cell = CSV_CELLS[case]
        for i in (700, 703):
            if column == "row":
                lines[i] = cell
            else:
                row = list(rows[i - 1])
                row[CSV_COLUMNS.index(column)] = cell
                lines[i] = ",".join(row)
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    slos = specs() + grouped(specs(), "gen_ai.request.model")
    fast = assert_same(path, now_after(recs), slos)
    chunks = path.stat().st_size // 4096
    assert chunks - 3 <= fast.columnar_chunks <= chunks + 1, (fast.columnar_chunks, chunks)


def _ratio_groups(src: FileSource) -> list:
    return [g for d in src.book._ordered for g in d.groups.values() if g.kind == "ratio"]


def test_ratio_groups_keep_each_slices_counts_through_columns_and_appends(tmp_path):
    """The columnar read keeps every ratio slice's good/total per label up to date (as the per-record
    add does), so a window broken down for the first time (a new fastest-burning tier) reads them
    instead of counting each slice's records; they equal a recount, and stay so after an append."""
    recs = records(1500, seed=37)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    slos = grouped(specs(), "gen_ai.request.model", "route")
    fast = assert_same(path, now_after(recs), slos)
    assert fast.columnar_chunks > 0
    groups = _ratio_groups(fast)
    assert groups and all(g.slices for g in groups)
    for g in groups:
        for sl in g.slices.values():
            assert sl._counts is not None and sl._counts == sl.counts()
    more = records(200, seed=38, start=now_after(recs))
    with path.open("ab") as f:
        f.write(b"\n".join(dump(more)) + b"\n")
    fast.fetch_sync(slos, now_after(more))
    for g in _ratio_groups(fast):
        for sl in g.slices.values():
            assert sl._counts is not None and sl._counts == sl.counts()


@pytest.mark.parametrize("name, delimiter", [("r.tsv", "\t"), ("r.csv", ";"), ("r.csv", "|")])
def test_csv_with_another_delimiter_is_read_as_columns_the_same(tmp_path, name, delimiter):
    """A .tsv (or ``;``/``|``) file was read with commas: every row malformed. Its columns now read with
    the header's delimiter, exactly as the per-record path reads its rows (and a cell holding a comma
    is one cell)."""
    recs = records(1500, seed=37)
    lines = [delimiter.join(CSV_COLUMNS)]
    for r in recs:
        lines.append(delimiter.join(csv_cells(dict(r, **{"gen_ai.request.model": r["gen_ai.request.model"] + ",v2"}))))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    slos = specs() + grouped(specs(), "gen_ai.request.model")
    fast = assert_same(path, now_after(recs), slos)
    chunks = path.stat().st_size // 4096
    assert chunks - 3 <= fast.columnar_chunks <= chunks + 1, (fast.columnar_chunks, chunks)
    assert fast.malformed == 0 and fast.records == 1500
    group = fast.fetch_sync(slos, now_after(recs))[slos[-1].name].groups[0]
    assert set(group.counts if group.counts is not None else group.values) == {"a,v2", "b,v2"}


def test_csv_rows_after_a_quoted_field_with_newlines_across_chunks_give_the_same_answers(tmp_path):
    """A quoted cell with newlines ends a chunk: the columnar reader leaves the chunk that goes on with
    the row to the per-record path, which reads the row whole."""
    recs = records(1500, seed=41)
    lines = [",".join(CSV_COLUMNS + ("answer",))]
    for i, r in enumerate(recs):
        cells = ["" if r.get(c) is None else str(r[c]) for c in CSV_COLUMNS if not c.startswith("evaluations.")]
        cells.insert(4, "")
        cells.append('"a\n\nb, c"' if i % 97 == 0 else "x")
        lines.append(",".join(cells))
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    fast = assert_same(path, now_after(recs))
    assert fast.malformed == 0 and fast.records == 1500
    assert fast.columnar_chunks > 0


def test_parquet_decimal_costs_are_numbers_both_ways(tmp_path, monkeypatch):
    """A cost column written as decimal(18, 6) (Spark, dbt, warehouse exports) gave Decimal objects:
    "1500 records: gen_ai.usage.cost is Decimal, not a number", the cost SLOs NO DATA. Decimal
    columns (and decimal fields in structs) are read as float64 by both readers."""
    import decimal

    import pyarrow as pa

    monkeypatch.setattr(file_module, "PARQUET_BATCH", 100)
    n = 600
    times = [_rfc3339(START + 3600 + i) for i in range(n)]
    cost = [decimal.Decimal(f"0.{i % 4 + 1:06d}") for i in range(n)]  # 0.000001 .. 0.000004
    table = pa.table({
        "time": pa.array(times),
        "duration_s": pa.array([1.0] * n),
        "gen_ai.usage.cost": pa.array(cost, pa.decimal128(18, 6)),
        "usage": pa.array([{"cost": c} for c in cost], pa.struct([("cost", pa.decimal128(18, 6))])),
    })
    kw = dict(window=3600.0, period=86400.0, slice=SLICE, source="logs", kind="threshold", target=1.0,
              direction="lower_is_better")
    slos = [SLOSpec(name="flat", sli_field="gen_ai.usage.cost", sli_agg="sum", **kw),
            SLOSpec(name="nested", sli_field="usage.cost", sli_agg="max", **kw)]
    a, fast, slow = parquet_both_ways(tmp_path / "r.parquet", table, slos, START + 3600 + n)
    # 150 each of 1, 2, 3, 4 millionths: 1500 millionths
    assert a["flat"].value == pytest.approx(0.0015, rel=1e-12) and a["flat"].note is None
    assert a["nested"].value == 0.000004
    assert fast.records == slow.records == n


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_parquet_duration_columns_are_seconds_both_ways(tmp_path, monkeypatch, unit):
    """A latency written as a duration (pandas' timedelta64, Spark intervals) gave "is timedelta, not a
    number": the p95 SLO showed NO DATA. A duration column is read as float64 seconds by both readers."""
    import pyarrow as pa

    monkeypatch.setattr(file_module, "PARQUET_BATCH", 100)
    n = 400
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    # 1, 2, 3 and 4 seconds (in whole units of the column), 100 of each
    ticks = [(i % 4 + 1) * per_second for i in range(n)]
    table = pa.table({"time": pa.array([_rfc3339(START + 3600 + i) for i in range(n)]),
                      "latency": pa.array(ticks, pa.duration(unit))})
    kw = dict(window=3600.0, period=86400.0, slice=SLICE, source="logs", kind="threshold", target=1.0,
              direction="lower_is_better")
    slos = [SLOSpec(name="mean", sli_field="latency", sli_agg="mean", **kw),
            SLOSpec(name="max", sli_field="latency", sli_agg="max", **kw)]
    a, fast, slow = parquet_both_ways(tmp_path / "r.parquet", table, slos, START + 3600 + n)
    assert a["mean"].value == 2.5 and a["max"].value == 4.0 and a["mean"].note is None
    assert fast.records == slow.records == n


def test_a_parquet_date_time_column_is_read_as_midnight(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"time": pa.array([dt.date(2026, 6, 1), dt.date(2026, 6, 2)], pa.date32()),
                             "duration_s": [1.0, 2.0]}), path)
    spec = SLOSpec(name="sum", sli_field="duration_s", sli_agg="sum", window=2 * 86400.0, period=7 * 86400.0,
                   slice=SLICE, source="logs", kind="threshold", target=1.0, direction="lower_is_better")
    src = parquet_source(path, True)
    out = src.fetch_sync([spec], START + 86400 + 1)  # 2026-06-02T00:00:01Z: the 2 days before hold both midnights
    assert (out["sum"].value, out["sum"].malformed) == (3.0, 0)


def test_csv_with_a_duplicate_column_name_reads_the_first_both_ways(tmp_path):
    """The per-record path read the last of two ``duration_s`` columns; both read the first now."""
    recs = records(1500, seed=43)
    lines = [",".join(CSV_COLUMNS + ("duration_s",))]
    for r in recs:
        cells = ["" if r.get(c) is None else str(r[c]) for c in CSV_COLUMNS]
        lines.append(",".join(cells + ["99"]))
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    fast = assert_same(path, now_after(recs))
    assert fast.columnar_chunks > 0
    slo = SLOSpec(name="max", kind="threshold", target=2000, direction="lower_is_better", sli_field="duration_s",
                  sli_agg="max", window=6 * 3600.0, period=86400.0, slice=SLICE, source="logs")
    assert fast.fetch_sync([slo], now_after(recs))["max"].value < 99


def test_parquet_map_columns_are_objects_both_ways(tmp_path, monkeypatch):
    """A map<string, double> ``evaluations`` column (and a map of attributes) came out of pyarrow as
    lists of (key, value) tuples: no ``evaluations.<name>`` and no ``attrs.<key>``, silently."""
    import pyarrow as pa

    monkeypatch.setattr(file_module, "PARQUET_BATCH", 100)
    n = 300
    table = pa.table({
        "time": pa.array([_rfc3339(START + 3600 + i) for i in range(n)]),
        "duration_s": pa.array([1.0] * n),
        "evaluations": pa.array([[("helpfulness", (i % 5) / 4)] for i in range(n)], pa.map_(pa.string(), pa.float64())),
        "attrs": pa.array([[("tier", float(i % 3))] for i in range(n)], pa.map_(pa.string(), pa.float64())),
    })
    kw = dict(window=3600.0, period=86400.0, slice=SLICE, source="logs", kind="threshold", target=1.0,
              direction="higher_is_better")
    slos = [SLOSpec(name="help", sli_field="evaluations.helpfulness", sli_agg="mean", **kw),
            SLOSpec(name="tier", sli_field="attrs.tier", sli_agg="sum", **kw)]
    a, fast, slow = parquet_both_ways(tmp_path / "r.parquet", table, slos, START + 3600 + n)
    assert a["help"].value == 0.5  # 60 each of 0, 0.25, 0.5, 0.75, 1
    assert a["tier"].value == 300.0  # 100 each of 0, 1, 2


@pytest.mark.parametrize("bad", ["5", "5.1", "X58", "X58.000", ":5"])
def test_a_time_the_fast_path_cannot_read_is_one_malformed_line_wherever_it_falls(tmp_path, bad):
    """The RFC 3339 fast path (a minute seen before) read ``sec[2]`` of a one-digit second (an IndexError
    that took the whole source down on every tick) and never looked at the ``:`` before the seconds
    (``...01:10X58Z`` was read when its minute had been seen, refused when not: readers disagreed).
    Each such line, at every position (first of its minute or not, first of a chunk or not), is one
    malformed line for every reader and the per-record path alike."""
    recs = records(300, seed=5)
    lines = dump(recs)
    hit = []
    for i in range(7, len(lines), 23):
        t = recs[i]["time"]
        wrong = t[:16] + (bad if bad.startswith(("X", ":")) else ":" + bad) + "Z"
        lines[i] = lines[i].replace(t.encode(), wrong.encode())
        hit.append(i + 1)
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fast = assert_same(path, now_after(recs))
    assert fast.malformed == len(hit)
    assert f"line {hit[0]}:" in fast._note()


@pytest.mark.parametrize("bad", ["2026-06-01T09:00:5Z", "2026-06-01T09:00X05Z", "2026-06-01T09:00:5.5Z"])
def test_api_time_reads_a_malformed_second_as_unreadable_not_an_error(bad):
    """records.api_time (the MLflow, Weave and Langfuse sources' time reader) shares the fast path:
    the minute seen first, then the malformed second is None (unreadable), never an IndexError."""
    from slotui.sources.kit.records import api_time

    assert api_time("2026-06-01T09:00:01Z") == datetime(2026, 6, 1, 9, 0, 1, tzinfo=timezone.utc).timestamp()
    assert api_time(bad) is None


def test_a_csv_time_with_a_one_digit_second_is_one_malformed_row(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("time,duration_s\n2026-06-01T09:00:01Z,1.0\n2026-06-01T09:00:5Z,1.5\n2026-06-01T09:00:07Z,2.0\n")
    src = FileSource("logs", FileSourceConfig(type="file", path=str(path), format="csv"), base_dir=tmp_path)
    spec = SLOSpec(name="p95", kind="threshold", target=2, direction="lower_is_better", sli_field="duration_s",
                   sli_agg="p95", window=3600.0, period=86400.0, slice=300.0, source="logs")
    data = src.fetch_sync([spec], datetime(2026, 6, 1, 9, 30, tzinfo=timezone.utc).timestamp())["p95"]
    assert data.error is None and (src.records, src.malformed) == (2, 1)
    assert "line 3" in (data.note or "") and "bad seconds" in (data.note or "")


def _helpfulness_spec() -> SLOSpec:
    return SLOSpec(name="helpfulness", kind="threshold", target=0.8, direction="higher_is_better",
                   sli_field="evaluations.helpfulness", sli_agg="mean", window=3600.0, period=86400.0,
                   slice=300.0, source="logs")


@pytest.mark.parametrize("scored", [(1500, 2500), (2999,), ()])
def test_a_rare_field_is_seen_by_every_reader_and_after_appends(tmp_path, scored):
    """"unknown field ... no record has it" is said only when no record has the field: found, a judge
    score on 2 of 3,000 requests (after the first 1,000 of a batch) was reported unknown on a full
    per-record read (the field was looked for in a sample of each batch), while read + append and the
    columnar readers answered 0.9 (n=2); and the columnar readers answered NO DATA without the error
    for a field no record has (a typo in sli.field)."""
    recs = []
    for i in range(3000):
        r: dict[str, Any] = {"time": _rfc3339(START + i * 0.5), "duration_s": 1.0}
        if i in scored:
            r["evaluations"] = [{"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.9}]
        recs.append(r)
    data = b"\n".join(dump(recs)) + b"\n"
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    now = START + 1600
    fast = assert_same(path, now, [_helpfulness_spec()])
    whole = fast.fetch_sync([_helpfulness_spec()], now)["helpfulness"]
    half = data.index(b"\n", len(data) // 2) + 1
    path.write_bytes(data[:half])
    src = source(path, False)
    src.fetch_sync([_helpfulness_spec()], now)
    with open(path, "ab") as fh:
        fh.write(data[half:])
    appended = src.fetch_sync([_helpfulness_spec()], now)["helpfulness"]
    assert (appended.value, appended.n, appended.error) == (whole.value, whole.n, whole.error)
    if scored:
        assert (whole.value, whole.n, whole.error) == (0.9, len(scored), None)
    else:
        assert whole.error is not None and whole.error.startswith("unknown field 'evaluations.helpfulness'")


def test_a_mistyped_field_is_unknown_to_every_reader(tmp_path):
    recs = records(400, seed=9)
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(dump(recs)) + b"\n")
    typo = SLOSpec(name="latency", kind="threshold", target=2, direction="lower_is_better", sli_field="duraton_s",
                   sli_agg="p95", window=3600.0, period=86400.0, slice=300.0, source="logs")
    (fast, a), (slow, b) = read_both(path, now_after(recs), [typo])
    assert a == b
    assert a["latency"].error is not None and a["latency"].error.startswith("unknown field 'duraton_s'")


def test_a_log_cut_short_under_a_duckdb_read_is_read_again_not_crashed(tmp_path, monkeypatch, reader):
    """A copytruncate rotation between DuckDB's query and the taking of its rows: a chunk's lines
    are read again from the file only when needed (the first record's fields, the requests
    remembered for joins, a chunk read record by record), and some are gone. The fetch answers with
    what it took, and the next one reads the shortened file as a rotated one, from its first byte."""
    recs = records(900, seed=61)
    path = tmp_path / "r.jsonl"
    lines = dump(recs)
    lines[700] = b'{"time": "' + recs[700]["time"].encode() + b'", "duration_s": NaN}'  # read record by record
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(data)
    kept = data[: data.rindex(b"\n", 0, len(data) // 3) + 1]
    start = file_module._BulkRows.start.__func__

    def query_then_truncate(cls, con, sql):
        rows = start(cls, con, sql)
        whole = rows.take(len(lines)) if rows is not None else None
        if whole is not None:  # DuckDB's whole answer came before the rotation: held, to be taken
            rows.batches.extend(whole.to_batches())
            rows.held = whole.num_rows
        path.write_bytes(kept)  # (copytruncate: the same inode, its first lines)
        return rows

    monkeypatch.setattr(file_module._BulkRows, "start", classmethod(query_then_truncate))
    src = source(path, True)
    now = now_after(recs)
    first = src.fetch_sync(specs(), now)
    assert all(d.error is None for d in first.values())
    if reader == "duckdb":
        assert src.bulk_chunks > 0 and src.records < len(recs)  # the rows before line 700's chunk
    taken = src.records
    path.write_bytes(kept + b"\n".join(dump(records(5, seed=62, start=START + 86400 * 0.3))) + b"\n")
    src.fetch_sync(specs(), now)
    fresh = source(path, False)
    fresh.fetch_sync(specs(), now)
    assert src.rotations == 1 and src.records == taken + fresh.records


@pytest.mark.parametrize("where", ["half-written last line", "malformed line near the end"])
def test_duckdb_rows_before_a_failure_are_taken_as_they_come(tmp_path, monkeypatch, reader, where):
    """DuckDB's answer is pulled as it comes (``_BulkRows``): when its query fails after some rows
    came (on a large live log its half-written last line fails it, after rows as DuckDB's timing
    decides; here its rows over the lines before, and the failure after six chunks of them), the chunks whose rows came are taken,
    the rest is read by pyarrow and record by record, and every answer, count and line number is
    the per-record path's. (The whole read was pyarrow's: a 200 MB log being written read in 1.1 s
    instead of 0.6 s.)"""
    recs = records(1500, seed=71)
    lines = dump(recs)
    tail = b""
    if where == "half-written last line":
        tail = b'{"time": "' + recs[-1]["time"].encode() + b'", "duration_s": 0.'
    else:
        lines.insert(len(lines) - 300, b'{"time": "' + recs[-300]["time"].encode() + b'", "duration_s": 1.2,')
    path = tmp_path / "live.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n" + tail)
    # the rows DuckDB gives before it fails, deterministically: its answer over the lines before the
    # failing one (the same rows), ending after six chunks' rows as a failed query's next batch does
    before = tmp_path / "before.jsonl"
    before.write_bytes(b"\n".join(lines[:1100]) + b"\n")
    start, take = file_module._BulkRows.start.__func__, file_module._BulkRows.take
    calls = []

    def rows_before_the_failure(cls, con, sql):
        return start(cls, con, re.sub(r"read_json\('[^']*'", f"read_json('{before}'", sql))

    def fails_after_six_chunks(self, n):
        calls.append(n)
        return take(self, n) if len(calls) <= 6 else None

    monkeypatch.setattr(file_module._BulkRows, "start", classmethod(rows_before_the_failure))
    monkeypatch.setattr(file_module._BulkRows, "take", fails_after_six_chunks)
    fast = assert_same(path, now_after(recs))
    if reader == "duckdb":
        assert fast.bulk_chunks == 6 and fast.columnar_chunks > 100, (fast.bulk_chunks, fast.columnar_chunks)
    assert fast.malformed == (0 if tail else 1)
    assert bool(fast._held) == bool(tail)  # the half-written line waits for its newline
