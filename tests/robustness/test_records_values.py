"""Issue 8, items 2 and 5 as families: every field kind x every bad value, in JSONL and CSV.

A value no numeric SLI can use (NaN, +-Infinity, a huge integer, true/false, a
string, an object, a list, a negative latency/duration/token count/cost) is
missing for the SLIs that read its field, counted in their note, and the
record still counts for every other SLI. Timestamps that are not readable make
the line malformed (counted), never the source.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records_gen import (
    BAD_CSV_CELLS,
    BAD_JSON_VALUES,
    NOON,
    NUMERIC_FIELDS,
    bad_value,
    csv_text,
    field_value,
    file_source,
    jsonl,
    ratio,
    record,
    spec,
)
from slotui.sources.kit.records import loads_json

T0 = NOON - 1800  # records at 11:30.., inside the 1h window before noon


def _fetch(path: Path, field: str, **kw):
    src = file_source(path, **kw)
    specs = [
        spec("mean", sli_field=f"`{field}`" if " " in field else field, sli_agg="mean"),
        spec("count", sli_field=field, sli_agg="count"),
        ratio("success", "error.type == null"),
    ]
    return src, src.fetch_sync(specs, NOON)


@pytest.mark.parametrize("field", sorted(NUMERIC_FIELDS))
@pytest.mark.parametrize("bad", sorted(BAD_JSON_VALUES))
def test_jsonl_bad_value_is_missing_for_its_field_only(tmp_path: Path, field: str, bad: str) -> None:
    good = [1.0, 2.0, 4.0, 5.0]
    rows = [record(T0 + i, **{"error.type": None}) | {field: v} for i, v in enumerate(good)]
    rows += [record(T0 + 10 + i, **{"error.type": "timeout"}) | {field: BAD_JSON_VALUES[bad]} for i in range(2)]
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(rows))
    src, out = _fetch(path, field)
    assert out["mean"].value == 3.0
    assert out["count"].value == 4.0
    assert src.malformed == 0
    assert out["success"].windows[3600.0] == (4.0, 6.0)  # both bad-valued records count as errors
    assert out["mean"].note is not None and out["mean"].note.startswith(f"2 records: {field} ")
    assert out["success"].note is None  # the ratio does not read the field: nothing skipped there


@pytest.mark.parametrize("field", sorted(f for f, nonneg in NUMERIC_FIELDS.items() if nonneg))
@pytest.mark.parametrize("negative", [-1, -0.5, -1e308])
def test_negative_latency_duration_tokens_cost_are_refused_and_counted(tmp_path: Path, field: str, negative) -> None:
    rows = [record(T0 + i) | {field: v} for i, v in enumerate([1, 3, negative])]
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(rows))
    _, out = _fetch(path, field)
    assert out["mean"].value == 2.0
    assert out["mean"].note == f"1 record: {field} negative"
    assert out["success"].windows[3600.0] == (3.0, 3.0)


def test_negative_score_is_a_value(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl([record(T0 + i) | {"evaluations.sentiment": v} for i, v in enumerate([-0.5, 0.25])]))
    _, out = _fetch(path, "evaluations.sentiment")
    assert out["mean"].value == -0.125
    assert out["mean"].note is None


def test_derived_field_of_a_bad_value_is_counted(tmp_path: Path) -> None:
    rows = [record(T0, duration_s=0.5), record(T0 + 1, duration_s=float("nan")), record(T0 + 2, duration_s=True),
            record(T0 + 3, duration_s=-2.0)]
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(rows))
    src = file_source(path, fields={"duration_ms": "duration_s * 1000"})
    out = src.fetch_sync([spec("p50", sli_field="duration_ms", sli_agg="p50"),
                          spec("expr", sli_field="duration_s * 2", sli_agg="max")], NOON)
    assert out["p50"].value == 500.0
    assert out["expr"].value == 1.0
    for name in ("p50", "expr"):
        assert "1 record" in out[name].note and "not finite" in out[name].note
        assert "true/false" in out[name].note and "negative" in out[name].note


@pytest.mark.parametrize("bad", sorted(BAD_JSON_VALUES))
def test_ratio_condition_on_a_bad_value_is_neither_good_nor_bad(tmp_path: Path, bad: str) -> None:
    """``good: duration_s < 2`` cannot tell for NaN/Infinity/negative latencies: the record is skipped
    there (and counted); booleans, strings and objects compare as the expression language says."""
    value = BAD_JSON_VALUES[bad]
    rows = [record(T0, duration_s=1.0), record(T0 + 1, duration_s=3.0), record(T0 + 2, duration_s=value)]
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(rows))
    out = file_source(path).fetch_sync([ratio("fast", "duration_s < 2"), ratio("all", "true")], NOON)
    assert out["all"].windows[3600.0] == (3.0, 3.0)
    if isinstance(value, float) and not math.isfinite(value):
        assert out["fast"].windows[3600.0] == (1.0, 2.0)
        assert out["fast"].note == "1 record: duration_s not finite"
    else:
        assert out["fast"].windows[3600.0][1] == 3.0


@pytest.mark.parametrize("flag", ["error.type", "ok"])
@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_status_flag_not_finite_is_skipped_by_its_ratio(tmp_path: Path, flag: str, bad: str) -> None:
    good = "error.type == null" if flag == "error.type" else "ok == true"
    ok = {"error.type": None} if flag == "error.type" else {"ok": True}
    notok = {"error.type": "timeout"} if flag == "error.type" else {"ok": False}
    rows = [record(T0) | ok, record(T0 + 1) | notok, record(T0 + 2) | {flag: BAD_JSON_VALUES[bad]}]
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(rows))
    out = file_source(path).fetch_sync([ratio("s", good)], NOON)
    assert out["s"].windows[3600.0] == (1.0, 2.0)
    assert out["s"].note == f"1 record: {flag} not finite"


def test_booleans_stay_valid_for_ok_flags(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl([record(T0 + i, ok=v) for i, v in enumerate([True, True, False])]))
    out = file_source(path).fetch_sync([ratio("s", "ok"), spec("m", sli_field="ok", sli_agg="mean")], NOON)
    assert out["s"].windows[3600.0] == (2.0, 3.0)
    assert out["s"].note is None
    assert out["m"].value is None  # true/false are not numbers for a numeric SLI
    assert out["m"].note == "3 records: ok is true/false, not a number"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), True, "12", {"t": 1}, [1], None])
def test_unreadable_time_is_a_malformed_line_not_a_dead_source(tmp_path: Path, bad) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl([record(T0, duration_s=1.0), {"time": bad, "duration_s": 9.0}, record(T0 + 1, duration_s=3.0)]))
    src, out = _fetch(path, "duration_s")
    assert out["mean"].value == 2.0
    assert src.malformed == 1
    assert "line 2" in out["mean"].note


@pytest.mark.parametrize("column", ["duration_s", "gen_ai.usage.cost", "gen_ai.usage.output_tokens"])
@pytest.mark.parametrize("cell", sorted(BAD_CSV_CELLS))
def test_csv_bad_cell_is_missing_for_its_column_only(tmp_path: Path, column: str, cell: str) -> None:
    header = ["time", column, "error.type"]
    rows = [["2026-06-01T11:30:00Z", "1", ""], ["2026-06-01T11:31:00Z", "3", ""],
            ["2026-06-01T11:32:00Z", BAD_CSV_CELLS[cell], "timeout"]]
    path = tmp_path / "r.csv"
    path.write_text(csv_text(header, rows))
    src, out = _fetch(path, column)
    assert out["mean"].value == 2.0
    assert out["count"].value == 2.0
    assert out["success"].windows[3600.0] == (2.0, 3.0)
    assert out["mean"].note is not None and out["mean"].note.startswith(f"1 record: {column} ")
    assert src.malformed == 0


def test_csv_negative_latency_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(csv_text(["time", "latency_ms"], [["2026-06-01T11:30:00Z", "-5"], ["2026-06-01T11:31:00Z", "5"]]))
    _, out = _fetch(path, "latency_ms")
    assert out["mean"].value == 5.0
    assert out["mean"].note == "1 record: latency_ms negative"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_utf8_bom_keeps_the_first_record(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"r{suffix}"
    if suffix == ".csv":
        text = csv_text(["time", "duration_s"], [["2026-06-01T11:30:00Z", "1"], ["2026-06-01T11:31:00Z", "3"]])
    else:
        text = jsonl([record(T0, duration_s=1.0), record(T0 + 1, duration_s=3.0)])
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    src, out = _fetch(path, "duration_s")
    assert out["count"].value == 2.0
    assert out["mean"].value == 2.0
    assert src.malformed == 0
    with open(path, "ab") as fh:  # appends after the BOM-prefixed start read on
        fh.write((json.dumps(record(T0 + 2, duration_s=5.0)) + "\n").encode() if suffix == ".jsonl"
                 else b"2026-06-01T11:32:00Z,5\n")
    assert src.fetch_sync([spec("mean", sli_field="duration_s", sli_agg="mean")], NOON)["mean"].value == 3.0


def test_bom_and_non_finite_json_bodies_decode() -> None:
    """The shared JSON reader (HTTP/JSON sources decode with it) reads a BOM and NaN/Infinity."""
    assert loads_json(b'\xef\xbb\xbf{"value": 1.5}') == {"value": 1.5}
    assert loads_json('\ufeff{"value": 2}') == {"value": 2}
    doc = loads_json(b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400}')
    assert math.isnan(doc["a"]) and doc["b"] == math.inf and doc["c"] == -math.inf and doc["d"] == math.inf
    with pytest.raises(ValueError):
        loads_json(b'{"a": nope}')


def test_otlp_double_nan_attribute_is_skipped_for_its_sli(tmp_path: Path) -> None:
    def span(cost):
        return {"traceId": "t", "spanId": "s", "name": "chat", "startTimeUnixNano": str(int(T0 * 1e9)),
                "endTimeUnixNano": str(int((T0 + 1) * 1e9)),
                "attributes": [{"key": "gen_ai.usage.cost", "value": {"doubleValue": cost}}]}
    lines = [{"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span(c)]}]}]} for c in (0.5, "NaN", 1.5)]
    path = tmp_path / "otlp.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    _, out = _fetch(path, "gen_ai.usage.cost")
    assert out["mean"].value == 1.0
    assert out["mean"].note == "1 record: gen_ai.usage.cost not finite"
    assert out["success"].windows[3600.0] == (3.0, 3.0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), field=st.sampled_from(sorted(NUMERIC_FIELDS)))
def test_generated_mix_of_good_and_bad_values(tmp_path_factory, data, field: str) -> None:
    """Any mix: the mean is over the good values alone, the count of skipped ones is in the note,
    and the success ratio counts every record."""
    n = data.draw(st.integers(min_value=1, max_value=30))
    rows, good_values, skipped, errors = [], [], 0, 0
    for i in range(n):
        is_bad = data.draw(st.booleans())
        failed = data.draw(st.booleans())
        errors += failed
        if is_bad:
            _, value = data.draw(bad_value())
            skipped += 1
        else:
            value = data.draw(field_value(field))
            good_values.append(value)
        rows.append(record(T0 + i, **{"error.type": "boom" if failed else None}) | {field: value})
    path = tmp_path_factory.mktemp("mix") / "r.jsonl"
    path.write_text(jsonl(rows))
    src, out = _fetch(path, field)
    assert out["count"].value == (float(len(good_values)) if good_values else None)
    if good_values:
        assert math.isclose(out["mean"].value, math.fsum(good_values) / len(good_values), rel_tol=1e-12, abs_tol=1e-12)
    else:
        assert out["mean"].value is None
    assert out["success"].windows[3600.0] == (float(n - errors), float(n))
    note = out["mean"].note or ""
    counted = sum(int(part.split(" record")[0]) for part in note.split("; ") if part)
    assert counted == skipped
    assert src.malformed == 0


def test_a_condition_as_the_sli_is_a_share_but_a_boolean_field_is_not_a_number(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl([record(T0 + i, duration_s=v, cached=c)
                           for i, (v, c) in enumerate([(1.0, True), (3.0, False), (5.0, True), (float("nan"), True)])]))
    out = file_source(path).fetch_sync([spec("slow", sli_field="duration_s > 2", sli_agg="mean"),
                                        spec("cached", sli_field="cached", sli_agg="mean")], NOON)
    assert out["slow"].value == pytest.approx(2 / 3)  # 2 of the 3 records with a usable duration
    assert out["slow"].note == "1 record: duration_s not finite"
    assert out["cached"].value is None
    assert out["cached"].note == "4 records: cached is true/false, not a number"


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "true", "string 12", "object"])
def test_evaluation_result_lines_with_a_bad_score(tmp_path: Path, bad: str) -> None:
    """Scores joined from separate ``gen_ai.evaluation.result`` lines: same rule as inline ones."""
    rows = [record(T0, trace_id="a", **{"error.type": None}), record(T0 + 1, trace_id="b", **{"error.type": "x"})]
    rows += [{"time": record(T0 + 2)["time"], "trace_id": t, "event": "gen_ai.evaluation.result",
              "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": s}
             for t, s in (("a", 0.75), ("b", BAD_JSON_VALUES[bad]))]
    path = tmp_path / "r.jsonl"
    path.write_text(jsonl(rows))
    src, out = _fetch(path, "evaluations.helpfulness")
    assert out["mean"].value == 0.75
    assert out["mean"].note.startswith("1 record: evaluations.helpfulness ")
    assert out["success"].windows[3600.0] == (1.0, 2.0)
    assert src.malformed == 0
