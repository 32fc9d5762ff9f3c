"""The file source: formats, joins, malformed lines, following appends, rotation, replay, quantiles."""

from __future__ import annotations

import csv
import json
import math
import os
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.config.model import FileSourceConfig
from slotui.core.types import SLOSpec
from slotui.sources.kit.aggregate import Agg, ValueSeries, kth_smallest, parse_agg, quantile_runs, quantile_sorted
from slotui.sources.kit.base import SourceError
from slotui.sources.file import FileSource
from slotui.sources.kit.records import Malformed, TimeParser

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"
AZURE = Path(__file__).resolve().parents[2] / "examples" / "azure-llm-inference-2023" / "AzureLLMInferenceTrace_conv.csv"
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()
HOUR = 3600.0


def spec(name: str, **kw) -> SLOSpec:
    base = dict(name=name, kind="threshold", target=1.0, direction="lower_is_better", source="logs",
                window=HOUR, period=7 * 86400.0, slice=300.0)
    base.update(kw)
    return SLOSpec(**base)


def ratio(name: str, good: str, **kw) -> SLOSpec:
    return spec(name, kind="ratio", target=0.99, direction="higher_is_better", good=good, **kw)


def source(path: Path, **kw) -> FileSource:
    cfg = FileSourceConfig(type="file", path=str(path), **kw)
    return FileSource("logs", cfg, base_dir=path.parent)


def write(path: Path, lines: list[str], end: str = "\n", mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8", newline="") as fh:
        fh.write("\n".join(lines) + end)


def record(t: float, **fields) -> str:
    stamp = datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return json.dumps({"time": stamp, **fields})


# --------------------------------------------------------------------------- JSONL records, joins, malformed lines


def test_jsonl_records_evaluation_joins_and_malformed_lines():
    src = source(DATA / "requests.jsonl")
    now = NOON + HOUR
    out = src.fetch_sync(
        [
            spec("help", sli_field="evaluations.helpfulness", sli_agg="mean"),
            spec("cost", sli_field="gen_ai.usage.cost", sli_agg="mean"),
            spec("p50", sli_field="duration_s", sli_agg="p50"),
            spec("n", sli_field="duration_s", sli_agg="count"),
            spec("gpt4o", sli_field="duration_s", sli_agg="max", sli_where="gen_ai.request.model == 'gpt-4o'"),
            ratio("ok", "error.type == null"),
        ],
        now,
    )
    # 4 requests; t2's score arrives as a separate line after it, t4's before it
    assert src.records == 4
    assert out["help"].value == pytest.approx((0.9 + 0.5 + 0.7) / 3)
    # the evaluation-only record of t4 (12:11) was replaced by the request (12:06:30): no 12:10 slice
    assert [t for t, _ in out["help"].slices] == [NOON, NOON + 300]
    assert [v for _, v in out["help"].slices] == pytest.approx([0.7, 0.7])
    assert out["cost"].value == pytest.approx(0.025)
    assert out["p50"].value == pytest.approx(2.5)  # [1, 2, 3, 4]: linear interpolation
    assert out["n"].value == 4.0
    ok = out["ok"]
    assert ok.value == pytest.approx(3 / 4)
    assert ok.buckets == ((NOON, 2.0, 3.0), (NOON + 300, 1.0, 1.0))
    assert ok.windows[HOUR] == (3.0, 4.0)
    # two malformed lines, counted, named, not fatal
    for data in out.values():
        assert data.malformed == 2
        assert data.note is not None and "line 3: not JSON" in data.note
        assert data.error is None


def test_where_filters_on_nested_fields():
    src = source(DATA / "requests.jsonl")
    out = src.fetch_sync([spec("gpt4o", sli_field="duration_s", sli_agg="max",
                               sli_where="gen_ai.request.model == 'gpt-4o'")], NOON + HOUR)
    # t1 (flat key, 1.0) and t3 (nested object, 2.0) are gpt-4o; t2 is mini; t4 has no model
    assert out["gpt4o"].value == 2.0


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_nested_time_field_is_read_as_every_field_is(fmt: str, tmp_path: Path) -> None:
    """``time_field: meta.ts`` for ``{"meta": {"ts": ...}}``: it was the flat key only, so every line
    was malformed ("no 'meta.ts' field") while ``sli.field: meta.x`` read the same object fine."""
    rows = [{"meta": {"ts": NOON + 60 * i, "host": "a"}, "duration_s": float(i)} for i in range(10)]
    rows.append({"meta.ts": NOON + 700.0, "duration_s": 50.0})  # the flat key still wins where it is
    rows.append({"meta": {"host": "b"}, "duration_s": 99.0})  # no time at all: malformed
    if fmt == "jsonl":
        path = tmp_path / "n.jsonl"
        write(path, [json.dumps(r) for r in rows])
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "n.parquet"
        pq.write_table(pa.Table.from_pylist([
            {"meta": {"ts": r.get("meta", {}).get("ts")}, "meta.ts": r.get("meta.ts"), "duration_s": r["duration_s"]}
            for r in rows]), path)
    src = source(path, time_field="meta.ts", **({"format": "parquet"} if fmt == "parquet" else {}))
    out = src.fetch_sync([spec("max", sli_field="duration_s", sli_agg="max"),
                          spec("n", sli_field="duration_s", sli_agg="count")], NOON + HOUR)
    assert (out["max"].value, out["n"].value) == (50.0, 11.0)
    assert out["max"].malformed == 1


def test_a_csv_row_the_csv_module_refuses_is_one_malformed_row(tmp_path: Path, monkeypatch) -> None:
    """A field over the csv module's 128 KiB limit made the whole source fail ("field larger than field
    limit"), losing every other row; now fields as long as a line may be are read, and a row the csv
    module still refuses is one malformed row."""
    import csv as csv_module

    import slotui.sources.kit.records as records_module

    path = tmp_path / "big.csv"
    write(path, ["time,duration_s,pad", f"{NOON + 60},1.0,x", f'{NOON + 120},2.0,"{"y" * 200_000}"', f"{NOON + 180},4.0,z"])
    spec_max = spec("max", sli_field="duration_s", sli_agg="max")
    count = spec("n", sli_field="duration_s", sli_agg="count")
    out = source(path, format="csv").fetch_sync([spec_max, count], NOON + HOUR)
    assert (out["max"].value, out["n"].value, out["n"].malformed) == (4.0, 3.0, 0)

    previous = csv_module.field_size_limit()
    monkeypatch.setattr(records_module, "CSV_FIELD_LIMIT", 1000)
    csv_module.field_size_limit(1000)
    try:
        out = source(path, format="csv").fetch_sync([spec_max, count], NOON + HOUR)
    finally:
        csv_module.field_size_limit(previous)
    assert (out["max"].value, out["n"].value, out["n"].malformed) == (4.0, 2.0, 1)
    assert out["n"].error is None and "not a CSV row (field larger than field limit (1000))" in out["n"].note


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_time_with_digits_other_than_0_9_is_one_malformed_line(fmt: str, tmp_path: Path) -> None:
    """``10:00:\u00b20`` (a superscript two) passed the seconds' isdigit() and float() refused it: the
    ValueError took the whole source down ("source errors: logs: ValueError ..."), every SLO NO DATA,
    at every retry. Seconds past 60 and offsets past 23:59 were read as other times."""
    bad = ["2026-06-01T12:00:\u00b20Z", "2026-06-01T12:00:00.\u00b2Z", "\uff12\uff10\uff12\uff16-06-01T12:00:00Z",
           "2026-06-01T1\u00b2:00:00Z", "2026-06-01T12:00:61Z", "2026-06-01T12:00:00+24:00", "2026-06-01T12:00:00+05:60"]
    good = ["2026-06-01T12:00:01Z", "2026-06-01T12:00:60.5Z", "2026-06-01T13:00:02+01:00", "2026-06-01T12:00:03-00:00"]
    path = tmp_path / f"r.{fmt}"
    if fmt == "csv":
        write(path, ["time,duration_s", *(f"{t},1" for t in good[:1] + bad + good[1:])])
    else:
        write(path, [json.dumps({"time": t, "duration_s": 1}) for t in good[:1] + bad + good[1:]])
    out = source(path).fetch_sync([spec("n", sli_field="duration_s", sli_agg="count")], NOON + 120)
    assert out["n"].error is None
    assert (out["n"].value, out["n"].malformed) == (4.0, 7)
    assert f"first malformed line: line {2 if fmt == 'jsonl' else 3}: " in out["n"].note
    assert "bad seconds" in out["n"].note


def test_otlp_file_exporter_lines():
    src = source(DATA / "otlp.jsonl")
    now = NOON + HOUR
    out = src.fetch_sync(
        [
            spec("dur", sli_field="duration_s", sli_agg="sum"),
            spec("help", sli_field="evaluations.helpfulness", sli_agg="mean"),
            spec("tokens", sli_field="gen_ai.usage.input_tokens", sli_agg="sum"),
            ratio("ok", "error.type == null"),
            ratio("timeouts", "error.type == 'upstream timeout'", total="error.type != null"),
        ],
        now,
    )
    assert src.records == 3
    assert out["dur"].value == pytest.approx(1.5 + 4.0 + 0.25)
    assert out["help"].value == pytest.approx(0.86)
    assert out["tokens"].value == 812.0  # intValue is a JSON string in OTLP/JSON
    assert out["ok"].windows[HOUR] == (1.0, 3.0)  # status code 2 and an error.type attribute
    assert out["timeouts"].windows[HOUR] == (1.0, 2.0)
    assert out["ok"].malformed == 0


SPAN = {"startTimeUnixNano": "1780315200000000000", "endTimeUnixNano": "1780315202000000000"}  # NOON, 2 s


def otlp_line(resource_spans) -> str:
    return json.dumps({"resourceSpans": resource_spans})


@pytest.mark.parametrize("line, reason", [
    (otlp_line("abc"), "resourceSpans is a JSON str, expected a list"),
    (otlp_line(5), "resourceSpans is a JSON int, expected a list"),
    (otlp_line(["x"]), "an item of resourceSpans is a JSON str, expected an object"),
    (otlp_line([{"scopeSpans": "x"}]), "scopeSpans is a JSON str, expected a list"),
    (otlp_line([{"scopeSpans": [7]}]), "an item of scopeSpans is a JSON int, expected an object"),
    (otlp_line([{"scopeSpans": [{"spans": {"a": 1}}]}]), "spans is a JSON dict, expected a list"),
    (otlp_line([{"scopeSpans": [{"spans": [dict(SPAN, endTimeUnixNano="1" + "0" * 400)]}]}]), "is out of range"),
    (otlp_line([{"scopeSpans": [{"spans": [dict(SPAN, endTimeUnixNano=True)]}]}]), "True is not a number of nanoseconds"),
    (otlp_line([{"scopeSpans": [{"spans": [dict(SPAN, startTimeUnixNano=-5)]}]}]), "is out of range"),
])
def test_an_otlp_line_of_another_shape_is_one_malformed_line(tmp_path: Path, line: str, reason: str) -> None:
    """Each of these lines raised AttributeError/TypeError/OverflowError out of the parser: the source
    went down ("source errors: logs: AttributeError: 'str' object has no attribute 'get'") at every
    retry, for one line of the file."""
    path = tmp_path / "spans.jsonl"
    good = otlp_line([{"scopeSpans": [{"spans": [SPAN]}]}])
    write(path, [good, line, good])
    out = source(path).fetch_sync([spec("dur", sli_field="duration_s", sli_agg="sum")], NOON + 60)
    assert out["dur"].error is None
    assert (out["dur"].value, out["dur"].malformed) == (4.0, 1)
    assert out["dur"].note.startswith("first malformed line: line 2: ") and reason in out["dur"].note


def test_otlp_logs_and_metrics_lines_beside_the_spans_are_not_malformed(tmp_path: Path) -> None:
    """A collector's file exporter writes every signal of its pipeline to the file: the logs and
    metrics lines were each counted malformed ("no 'time' field"), and the note blamed the file."""
    logs = json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "1", "body": {}}]}]}]})
    metrics = json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "m"}]}]}]})
    path = tmp_path / "otel.jsonl"
    good = otlp_line([{"scopeSpans": [{"spans": [SPAN]}]}])
    write(path, [good, logs, metrics, good, "{}"])
    src = source(path)
    out = src.fetch_sync([spec("dur", sli_field="duration_s", sli_agg="sum")], NOON + 60)
    assert (out["dur"].value, out["dur"].malformed) == (4.0, 1)  # the empty object still is malformed
    assert out["dur"].note.startswith("first malformed line: line 5: ")
    assert src.records == 2


def test_otlp_values_and_fields_of_other_shapes_are_no_values(tmp_path: Path) -> None:
    """A status, events, resource or AnyValue of another shape is no value (the span still counts);
    these raised AttributeError/ValueError and took the source down."""
    span = dict(SPAN, status="ERROR", events="x", attributes=[
        {"key": "gen_ai.usage.cost", "value": {"doubleValue": "abc"}},
        {"key": "gen_ai.usage.input_tokens", "value": {"doubleValue": "12.5"}},
        {"key": "tags", "value": {"arrayValue": [1]}},
        {"key": "meta", "value": {"kvlistValue": {"values": ["v", {"key": "k", "value": {"intValue": "3"}}]}}},
        {"key": "big", "value": {"doubleValue": "1e400"}},
    ])
    path = tmp_path / "spans.jsonl"
    write(path, [otlp_line([{"resource": "r", "scopeSpans": [{"spans": [span]}]}])])
    src = source(path)
    out = src.fetch_sync([spec("cost", sli_field="gen_ai.usage.cost", sli_agg="count"),
                          spec("tokens", sli_field="gen_ai.usage.input_tokens", sli_agg="sum"),
                          spec("meta", sli_field="meta.k", sli_agg="sum"),
                          ratio("ok", "error.type == null")], NOON + 60)
    assert (src.records, out["ok"].malformed) == (1, 0)
    assert out["cost"].value is None  # "abc" is no number: the field has no value
    assert out["tokens"].value == 12.5
    assert out["meta"].value == 3.0  # the kvlist's object item is read, the text item skipped
    assert out["ok"].windows[HOUR] == (1.0, 1.0)  # a status that is no object gives no error


@pytest.mark.parametrize("trace_id", [[1], {"a": 1}])
def test_a_trace_id_that_is_a_list_or_object_is_not_joined_and_does_not_stop_the_source(tmp_path, trace_id):
    """``"trace_id": [1]`` raised "TypeError: unhashable type: 'list'" (the source went down)."""
    path = tmp_path / "r.jsonl"
    write(path, [record(NOON + 1, duration_s=1.0, trace_id=trace_id),
                 json.dumps({"time": "2026-06-01T12:00:02Z", "event": "gen_ai.evaluation.result", "trace_id": trace_id,
                             "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.5}),
                 json.dumps({"time": "2026-06-01T12:00:03Z", "event": "gen_ai.evaluation.result", "trace_id": "t",
                             "gen_ai.evaluation.name": "helpfulness", "gen_ai": {"evaluation": "x"}}),
                 record(NOON + 4, duration_s=2.0, trace_id="t")])
    src = source(path)
    out = src.fetch_sync([spec("dur", sli_field="duration_s", sli_agg="sum"),
                          spec("help", sli_field="evaluations.helpfulness", sli_agg="count")], NOON + 60)
    assert out["dur"].error is None and out["dur"].malformed == 0
    assert out["dur"].value == 3.0
    assert out["help"].value == 1.0  # the unjoinable result counts alone; "t"'s nested score is no value
    assert src.records == 3  # two requests and the evaluation that could not be joined


def test_time_parsing():
    parse = TimeParser()
    assert parse("2026-06-01T12:00:00Z") == NOON
    assert parse("2026-06-01T12:00:00.250Z") == NOON + 0.25
    assert parse("2026-06-01T14:00:00+02:00") == NOON
    assert parse("2026-06-01 12:00:00") == NOON  # naive: UTC
    assert parse("2023-11-16 18:15:46.6805900") == pytest.approx(
        datetime(2023, 11, 16, 18, 15, 46, 680590, tzinfo=timezone.utc).timestamp(), abs=1e-6)
    assert parse(NOON) == NOON and parse(NOON * 1000) == NOON and parse(int(NOON * 1e9)) == NOON
    assert TimeParser("Europe/Paris")("2026-06-01 14:00:00") == NOON
    with_format = TimeParser(time_format="%Y-%m-%d %H:%M:%S.%f")
    assert with_format("2023-11-16 18:15:46.6805900") == pytest.approx(
        datetime(2023, 11, 16, 18, 15, 46, 680590, tzinfo=timezone.utc).timestamp(), abs=1e-6)
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "2026-06-01T12:00:00+5", True, None, float("nan")):
        with pytest.raises(Malformed):
            parse(bad)


# --------------------------------------------------------------------------- CSV: the real Azure trace


def test_azure_trace_with_documented_mapping():
    # the copy shipped in the repository (examples/azure-llm-inference-2023, CC-BY 4.0): never skipped
    # the mapping of SPEC 5.1 / the README: TIMESTAMP is the time, cost from token counts
    src = source(AZURE, format="csv", time_field="TIMESTAMP",
                 fields={"cost": "ContextTokens * 2.5e-6 + GeneratedTokens * 1.0e-5"})
    with open(AZURE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    costs = [int(r["ContextTokens"]) * 2.5e-6 + int(r["GeneratedTokens"]) * 1.0e-5 for r in rows]
    last = datetime.strptime(rows[-1]["TIMESTAMP"][:26], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    now = last.timestamp() + 1
    day = 86400.0
    out = src.fetch_sync(
        [
            spec("count", sli_field="cost", sli_agg="count", window=day),
            spec("cost", sli_field="cost", sli_agg="mean", window=day),
            spec("ctx_max", sli_field="ContextTokens", sli_agg="max", window=day),
            ratio("short", "GeneratedTokens < 500", window=day),
        ],
        now,
    )
    assert len(rows) == 19_366
    assert src.records == 19_366  # the last line has no newline: not lost
    assert out["count"].value == 19_366.0
    assert out["cost"].value == pytest.approx(math.fsum(costs) / len(costs), rel=1e-12)
    assert out["ctx_max"].value == max(int(r["ContextTokens"]) for r in rows)
    assert out["short"].windows[day] == (float(sum(int(r["GeneratedTokens"]) < 500 for r in rows)), 19_366.0)
    assert out["cost"].malformed == 0
    # the 7-digit fraction is kept: the last record is 0.4025270 s into its second
    assert now - 1 == pytest.approx(datetime(2023, 11, 16, 19, 14, 8, 402527, tzinfo=timezone.utc).timestamp())


def test_csv_columns_mapping_numbers_and_bad_rows(tmp_path):
    path = tmp_path / "trace.csv"
    write(path, [
        "ts,latency ms,model,ok",
        "2026-06-01T12:00:00Z,100,gpt-4o,true",
        "2026-06-01T12:00:10Z,300.5,gpt-4o,false",
        "2026-06-01T12:00:20Z,only-two-fields",
        "not a time,50,gpt-4o,true",
        "2026-06-01T12:00:30Z,,gpt-4o,true",
    ])
    src = source(path, columns={"latency_ms": "latency ms"}, time_field="ts")
    out = src.fetch_sync([spec("lat", sli_field="latency_ms", sli_agg="mean"),
                          spec("n", sli_field="latency_ms", sli_agg="count"),
                          ratio("ok", "ok")], NOON + 60)
    assert out["lat"].value == pytest.approx(200.25)
    assert out["n"].value == 2.0  # the empty cell is null
    assert out["ok"].windows[HOUR] == (2.0, 3.0)
    assert out["lat"].malformed == 2
    assert "line 4" in (out["lat"].note or "")


# --------------------------------------------------------------------------- following appends


def test_appends_are_read_incrementally(tmp_path):
    path = tmp_path / "requests.jsonl"
    write(path, [record(NOON + i, duration_s=float(i)) for i in range(100)])
    src = source(path)
    specs = [spec("sum", sli_field="duration_s", sli_agg="sum")]
    now = NOON + HOUR
    assert src.fetch_sync(specs, now)["sum"].value == sum(range(100))
    first_size = path.stat().st_size
    assert src.bytes_read == first_size
    # nothing new: nothing read
    src.fetch_sync(specs, now)
    assert src.bytes_read == first_size
    extra = [record(NOON + 100 + i, duration_s=1000.0) for i in range(3)]
    write(path, extra, mode="a")
    out = src.fetch_sync(specs, now)
    assert out["sum"].value == sum(range(100)) + 3000.0
    assert src.bytes_read == path.stat().st_size  # only the appended bytes were read
    assert src.records == 103


def test_partial_last_line_json_is_held_until_complete(tmp_path):
    path = tmp_path / "requests.jsonl"
    line = record(NOON, duration_s=5.0)
    with open(path, "w") as fh:
        fh.write(record(NOON, duration_s=1.0) + "\n" + line[:20])
    src = source(path)
    specs = [spec("sum", sli_field="duration_s", sli_agg="sum")]
    out = src.fetch_sync(specs, NOON + 60)
    assert out["sum"].value == 1.0
    assert out["sum"].malformed == 0  # held, not counted
    assert "held" in (out["sum"].note or "")
    with open(path, "a") as fh:
        fh.write(line[20:])  # complete now, still without a newline: consumed
    assert src.fetch_sync(specs, NOON + 60)["sum"].value == 6.0
    with open(path, "a") as fh:
        fh.write("\n" + record(NOON, duration_s=10.0) + "\n")
    out = src.fetch_sync(specs, NOON + 60)
    assert out["sum"].value == 16.0
    assert src.records == 3
    assert out["sum"].note is None


def test_partial_last_line_csv_is_retracted_when_it_goes_on(tmp_path):
    # a truncated number still parses ("18" of "183"): consumed, then corrected when the line continues
    path = tmp_path / "trace.csv"
    with open(path, "w") as fh:
        fh.write("TIMESTAMP,ContextTokens,GeneratedTokens\n2026-06-01 12:00:00.1234567,10,18")
    src = source(path, format="csv", time_field="TIMESTAMP")
    specs = [spec("gen", sli_field="GeneratedTokens", sli_agg="sum")]
    assert src.fetch_sync(specs, NOON + 60)["gen"].value == 18.0
    with open(path, "a") as fh:
        fh.write("3\n2026-06-01 12:00:01,5,7")
    assert src.fetch_sync(specs, NOON + 60)["gen"].value == 190.0
    assert src.records == 2
    with open(path, "a") as fh:
        fh.write("\n")  # the newline confirms the consumed last line: nothing changes
    assert src.fetch_sync(specs, NOON + 60)["gen"].value == 190.0
    assert src.records == 2


def test_truncation_and_rotation_read_the_new_file_from_the_start_and_keep_the_old(tmp_path):
    path = tmp_path / "requests.jsonl"
    write(path, [record(NOON + i, duration_s=1.0) for i in range(50)])
    src = source(path)
    specs = [spec("n", sli_field="duration_s", sli_agg="count"), spec("s", sli_field="duration_s", sli_agg="sum")]
    assert src.fetch_sync(specs, NOON + HOUR)["n"].value == 50.0
    # truncated (copytruncate) and rewritten shorter: the 50 read stay, the 5 new ones count
    write(path, [record(NOON + 100 + i, duration_s=1.0) for i in range(5)])
    assert src.fetch_sync(specs, NOON + HOUR)["n"].value == 55.0
    # rotated: a new file (new inode) under the same name, even if larger
    fresh = tmp_path / "new.jsonl"
    write(fresh, [record(NOON + 200 + i, duration_s=2.0) for i in range(70)])
    os.replace(fresh, path)
    out = src.fetch_sync(specs, NOON + HOUR)
    assert out["n"].value == 125.0
    assert out["s"].value == 50.0 + 5.0 + 140.0
    assert src.rotations == 2


def test_the_first_malformed_line_of_a_rotated_away_file_says_so(tmp_path):
    """After a rotation, "first malformed line: line 2" sent people to line 2 of the file now at the
    path, which is fine: the line was in the file rotated away."""
    path = tmp_path / "requests.jsonl"
    write(path, [record(NOON, duration_s=1.0), "not json", record(NOON + 1, duration_s=1.0)])
    src = source(path)
    specs = [spec("n", sli_field="duration_s", sli_agg="count")]
    assert src.fetch_sync(specs, NOON + HOUR)["n"].note.startswith("first malformed line: line 2: not JSON")
    fresh = tmp_path / "new.jsonl"
    write(fresh, [record(NOON + 200 + i, duration_s=2.0) for i in range(3)])
    os.replace(fresh, path)
    for count in (5.0, 6.0):  # said once, however many rotations follow
        out = src.fetch_sync(specs, NOON + HOUR)
        assert (out["n"].value, out["n"].malformed) == (count, 1)
        note = out["n"].note
        assert note.startswith("first malformed line: line 2: not JSON") and note.endswith(
            "(in the file before its rotation)") and note.count("rotation") == 1
        write(fresh, [record(NOON + 300, duration_s=2.0)])  # rotated again: one more record
        os.replace(fresh, path)


def test_missing_file_is_a_clear_source_error(tmp_path):
    src = source(tmp_path / "nope.jsonl")
    with pytest.raises(SourceError, match="not found") as info:
        src.fetch_sync([spec("n", sli_field="x", sli_agg="count")], NOON)
    assert info.value.retryable


def test_parquet_without_pyarrow_says_so(tmp_path, monkeypatch):
    # The test extras install pyarrow (mlflow needs it): hide it, as on a machine without it.
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)
    path = tmp_path / "r.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(SourceError, match="pyarrow"):
        source(path).fetch_sync([spec("n", sli_field="x", sli_agg="count")], NOON)


def test_bad_queries_are_per_slo_errors(tmp_path):
    path = tmp_path / "requests.jsonl"
    write(path, [record(NOON, duration_s=1.0)])
    src = source(path)
    out = src.fetch_sync([spec("bad_agg", sli_field="duration_s", sli_agg="p95x"),
                          spec("bad_expr", sli_field="duration_s *"),
                          ratio("no_good", ""),
                          spec("fine", sli_field="duration_s", sli_agg="max")], NOON + 60)
    assert "unknown aggregation" in out["bad_agg"].error
    assert "column" in out["bad_expr"].error
    assert "ratio.good" in out["no_good"].error
    assert out["fine"].value == 1.0 and out["fine"].error is None


def test_derived_field_cycle_is_rejected(tmp_path):
    with pytest.raises(SourceError, match="cycle"):
        source(tmp_path / "x.jsonl", fields={"a": "b + 1", "b": "a * 2"})


async def test_async_fetch_and_new_slo_rereads(tmp_path):
    path = tmp_path / "requests.jsonl"
    write(path, [record(NOON + i, duration_s=float(i % 10), cost=0.5) for i in range(60)])
    src = source(path, fields={"duration_ms": "duration_s * 1000"})
    first = await src.fetch([spec("p90", sli_field="duration_ms", sli_agg="p90")], NOON + HOUR)
    assert first["p90"].value == pytest.approx(quantile_sorted(sorted([i % 10 * 1000.0 for i in range(60)]), 0.9))
    # an SLO added later needs the lines read before: the source reads the file again
    second = await src.fetch([spec("cost", sli_field="cost", sli_agg="sum")], NOON + HOUR)
    assert second["cost"].value == pytest.approx(30.0)
    await src.aclose()


# --------------------------------------------------------------------------- now: replays


def test_now_replays_a_past_moment(tmp_path):
    path = tmp_path / "requests.jsonl"
    write(path, [record(NOON + 60 * i, duration_s=float(i)) for i in range(120)])  # 12:00 .. 13:59
    src = source(path)
    specs = [spec("max", sli_field="duration_s", sli_agg="max"), ratio("all", "true")]
    at = NOON + 30 * 60 + 30  # 12:30:30: records up to 12:30 count, not the later ones
    out = src.fetch_sync(specs, at)
    assert out["max"].value == 30.0
    assert out["max"].slices[-1] == (NOON + 30 * 60, 30.0)  # the slice holding now is cut at now
    assert out["all"].buckets[-1] == (NOON + 30 * 60, 1.0, 1.0)
    assert out["all"].windows[HOUR] == (31.0, 31.0)
    later = src.fetch_sync(specs, NOON + 2 * HOUR)
    assert later["max"].value == 119.0
    # and back again: the same answer as before (nothing was forgotten)
    assert src.fetch_sync(specs, at)["max"].value == 30.0
    # half-open: a record exactly at now is not counted
    assert src.fetch_sync(specs, NOON + 60 * 10)["max"].value == 9.0


# --------------------------------------------------------------------------- quantiles and aggregation


def test_parse_agg():
    assert parse_agg("p95") == Agg("quantile", 0.95)
    assert parse_agg("p99.9") == Agg("quantile", 0.999)
    assert parse_agg("avg") == Agg("mean") and parse_agg("median") == Agg("quantile", 0.5)
    for bad in ("p101", "p", "mode", "95"):
        with pytest.raises(ValueError):
            parse_agg(bad)


def test_quantile_definition_matches_linear_interpolation():
    data = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    ref = statistics.quantiles(data, n=100, method="inclusive")  # Hyndman-Fan type 7, like quantile_cont
    ordered = sorted(data)
    for pct in range(1, 100):
        assert quantile_sorted(ordered, pct / 100) == pytest.approx(ref[pct - 1], rel=1e-12)
    assert quantile_sorted(ordered, 0.0) == 1.0 and quantile_sorted(ordered, 1.0) == 9.0
    assert quantile_sorted([], 0.5) is None


values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(st.lists(values, min_size=1, max_size=30), min_size=1, max_size=12), st.data())
@settings(max_examples=200, deadline=None)
def test_selection_across_runs_equals_sorting(runs, data):
    runs = [sorted(r) for r in runs]
    merged = sorted(v for r in runs for v in r)
    k = data.draw(st.integers(min_value=0, max_value=len(merged) - 1))
    assert kth_smallest(runs, k) == merged[k]


def test_window_quantile_selection_path_equals_brute_force():
    import random

    rng = random.Random(5)
    series = ValueSeries(300.0)
    points = [(NOON + rng.uniform(0, 3 * 86400), rng.lognormvariate(0, 1)) for _ in range(80_000)]
    for t, v in points:
        series.add(t, v)
    start, end = NOON + 1234.5, NOON + 3 * 86400 - 777.25
    inside = sorted(v for t, v in points if start <= t < end)
    for q in (0.5, 0.95, 0.999):
        assert series.window(Agg("quantile", q), start, end) == quantile_sorted(inside, q)
    assert quantile_runs([inside[:100], inside[100:]], 0.9) == quantile_sorted(inside, 0.9)


@given(
    st.lists(st.tuples(st.floats(min_value=0, max_value=7200), values), min_size=0, max_size=200),
    st.floats(min_value=0, max_value=7200),
    st.floats(min_value=1, max_value=7200),
    st.sampled_from(["mean", "sum", "count", "min", "max", "p50", "p95", "p99.9", "p0", "p100"]),
)
@settings(max_examples=300, deadline=None)
def test_window_aggregates_equal_brute_force(points, end, width, agg_text):
    series = ValueSeries(300.0)
    for t, v in points:
        series.add(NOON + t, v)
    start, stop = NOON + end - width, NOON + end
    inside = [v for t, v in points if start <= NOON + t < stop]
    agg = parse_agg(agg_text)
    got = series.window(agg, start, stop)
    if not inside:
        assert got is None
        return
    expected = {
        "mean": math.fsum(inside) / len(inside), "sum": math.fsum(inside), "count": float(len(inside)),
        "min": min(inside), "max": max(inside),
    }.get(agg.kind)
    if expected is None:
        expected = quantile_sorted(sorted(inside), agg.q)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-6)
    # slices: each slice of the window start grid equals its own brute force
    for s0, value in series.slice_values(agg, NOON, NOON + 7200):
        members = [v for t, v in points if s0 <= NOON + t < s0 + 300]
        assert members and (agg.kind != "count" or value == len(members))


def test_retract_restores_the_aggregate():
    series = ValueSeries(60.0)
    for i in range(10):
        series.add(NOON + i, float(i))
    before = series.window(Agg("quantile", 0.5), NOON, NOON + 60)
    series.add(NOON + 5, 100.0)
    assert series.window(Agg("max"), NOON, NOON + 60) == 100.0
    assert series.remove(NOON + 5, 100.0)
    assert series.window(Agg("quantile", 0.5), NOON, NOON + 60) == before
    assert series.window(Agg("max"), NOON, NOON + 60) == 9.0
    assert not series.remove(NOON + 5, 100.0)


def test_csv_time_column_renamed_by_columns(tmp_path):
    path = tmp_path / "trace.csv"
    write(path, ["TIMESTAMP,Tokens", "2026-06-01 12:00:00.5000000,3", "2026-06-01 12:00:01,4"], end="")
    src = source(path, columns={"time": "TIMESTAMP", "tokens": "Tokens"}, time_field="TIMESTAMP")
    out = src.fetch_sync([spec("sum", sli_field="tokens", sli_agg="sum")], NOON + 60)
    assert out["sum"].value == 7.0 and out["sum"].malformed == 0


def test_lines_too_old_to_count_are_skipped_unparsed(tmp_path):
    path = tmp_path / "requests.jsonl"
    old = [record(NOON - 10 * 86400 + i, duration_s=100.0) for i in range(50)]
    recent = [record(NOON + i, duration_s=1.0) for i in range(20)]
    write(path, old + recent)
    src = source(path)
    short = [spec("max", sli_field="duration_s", sli_agg="max", period=86400.0, tiers=()),
             ratio("all", "true", period=86400.0, tiers=())]
    out = src.fetch_sync(short, NOON + HOUR)
    assert out["max"].value == 1.0 and out["all"].windows[HOUR] == (20.0, 20.0)
    assert src.skipped == 50 and src.records == 20
    assert out["max"].malformed == 0


def test_evaluation_joins_reach_back_join_memory_requests(tmp_path):
    from slotui.sources import file as file_module

    path = tmp_path / "requests.jsonl"
    n = file_module.JOIN_MEMORY + 500
    lines = [record(NOON + i * 0.01, trace_id=f"t{i}", duration_s=1.0) for i in range(n)]
    # a late score for a recent request joins it; one for a forgotten request counts on its own
    lines.append(json.dumps({"time": "2026-06-01T12:30:00Z", "trace_id": f"t{n - 1}", "event": "gen_ai.evaluation.result",
                             "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.25}))
    lines.append(json.dumps({"time": "2026-06-01T12:40:00Z", "trace_id": "t0", "event": "gen_ai.evaluation.result",
                             "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.75}))
    write(path, lines)
    src = source(path)
    out = src.fetch_sync([spec("help", sli_field="evaluations.helpfulness", sli_agg="sum"),
                          spec("n", sli_field="duration_s", sli_agg="count")], NOON + HOUR)
    assert out["help"].value == 1.0
    slices = dict(out["help"].slices)
    assert slices[NOON + 300 * ((n - 1) * 0.01 // 300)] == 0.25  # at the request's time
    assert slices[NOON + 40 * 60] == 0.75  # at the evaluation's own time
    assert out["n"].value == n


def test_an_unjoinable_evaluation_result_is_named_by_its_own_line(tmp_path):
    """An evaluation result without a time nor a known trace_id was reported at the last line of the
    read ("line 5"), not at its own."""
    path = tmp_path / "r.jsonl"
    orphan = json.dumps({"event": "gen_ai.evaluation.result", "trace_id": "zz", "gen_ai.evaluation.name": "h",
                         "gen_ai.evaluation.score.value": 1})
    write(path, [record(NOON, duration_s=1.0), orphan] + [record(NOON + i, duration_s=1.0) for i in range(1, 4)])
    out = source(path).fetch_sync([spec("n", sli_field="duration_s", sli_agg="count")], NOON + 60)
    assert (out["n"].value, out["n"].malformed) == (4.0, 1)
    assert out["n"].note == "first malformed line: line 2: evaluation result without a time or a known trace_id"


def test_follow_false_reads_the_whole_file_again_when_it_changes(tmp_path):
    """``follow: false`` ("instead of re-reading") read the file once and never again: a file an
    export rewrites kept its first numbers until the window slid past them (NO DATA)."""
    path = tmp_path / "r.jsonl"
    write(path, [record(NOON + i, duration_s=1.0) for i in range(3)])
    src = source(path, follow=False)
    specs = [spec("sum", sli_field="duration_s", sli_agg="sum")]
    assert src.fetch_sync(specs, NOON + 60)["sum"].value == 3.0
    assert src.fetch_sync(specs, NOON + 60)["sum"].value == 3.0  # unchanged: not read again
    read = src.bytes_read
    assert src.fetch_sync(specs, NOON + 60)["sum"].value == 3.0 and src.bytes_read == read
    write(path, [record(NOON + i, duration_s=10.0) for i in range(2)])  # rewritten: 2 records of 10
    assert src.fetch_sync(specs, NOON + 60)["sum"].value == 20.0
    write(path, [record(NOON + 5, duration_s=5.0)], mode="a")  # appended: the whole file again, once
    assert src.fetch_sync(specs, NOON + 60)["sum"].value == 25.0
    assert src.records == 3


def test_a_csv_header_polled_while_it_is_written_waits_for_its_newline(tmp_path: Path) -> None:
    """A poll that lands while the header line is half-written (``time,dura``) took that text as the
    header: every later row had the wrong fields (201 malformed rows, no data) until a restart. The
    header is held until its newline, at every cut inside it, as any unterminated last line is."""
    start = 1780275600.0  # 2026-06-01T01:00:00Z
    rows = ["time,duration_s,error.type"] + [
        f"{datetime.fromtimestamp(start + i, tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')},"
        f"{1 + (i % 5) / 10},{'' if i % 10 else 'timeout'}" for i in range(200)]
    data = ("\n".join(rows) + "\n").encode()
    specs = [SLOSpec(name="p95", kind="threshold", target=2, direction="lower_is_better", sli_field="duration_s",
                     sli_agg="p95", window=3600.0, period=86400.0, slice=300.0, source="logs"),
             SLOSpec(name="ok", kind="ratio", target=0.9, direction="higher_is_better", good="error.type == null",
                     window=3600.0, period=86400.0, slice=300.0, source="logs")]
    path = tmp_path / "log.csv"
    now = start + 300

    def fresh() -> FileSource:
        return FileSource("logs", FileSourceConfig(type="file", path=str(path), format="csv"), base_dir=tmp_path)

    path.write_bytes(data)
    whole = fresh()
    want = whole.fetch_sync(specs, now)
    assert (want["p95"].value, want["ok"].value, whole.malformed) == (1.4, 0.9, 0)
    for cut in range(0, len(rows[0]) + 3):
        path.write_bytes(data[:cut])
        src = fresh()
        src.fetch_sync(specs, now)
        with open(path, "ab") as fh:
            fh.write(data[cut:])
        got = src.fetch_sync(specs, now)
        assert (got["p95"].value, got["ok"].value, src.malformed) == (1.4, 0.9, 0), cut
        assert got["ok"].windows == want["ok"].windows and got["p95"].slices == want["p95"].slices, cut


@pytest.mark.parametrize("case", ["request last, its evaluation appended", "evaluation first, its request last",
                                  "request last, another request appended"])
def test_a_request_on_the_unterminated_last_line_joins_as_any_other(tmp_path: Path, case: str) -> None:
    """A request read from the unterminated last line was never remembered for joins: when its newline
    and then its evaluation result came, the result counted as a request of its own (ratio 3 of 3
    where one read gives 2 of 2); one whose evaluation came first was counted twice. Read + append
    now answers as one full read of the same bytes, at every point."""
    start = 1780275600.0

    def at(i: int) -> str:
        return datetime.fromtimestamp(start + i, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def req(i: int, tid: str) -> str:
        return json.dumps({"time": at(i), "trace_id": tid, "duration_s": 1.0, "error.type": None})

    def ev(i: int, tid: str, score: float) -> str:
        return json.dumps({"time": at(i), "event": "gen_ai.evaluation.result", "trace_id": tid,
                           "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": score})

    first, rest = {
        "request last, its evaluation appended": (req(1, "t1") + "\n" + req(2, "t2"), "\n" + ev(3, "t2", 0.2) + "\n"),
        "evaluation first, its request last": (ev(1, "t9", 0.3) + "\n" + req(2, "t9"), "\n" + req(3, "t10") + "\n"),
        "request last, another request appended": (req(1, "t1") + "\n" + req(2, "t2"), "\n" + req(3, "t3") + "\n"),
    }[case]
    kw = dict(window=3600.0, period=86400.0, slice=300.0, source="logs")
    specs = [SLOSpec(name="ok", kind="ratio", target=0.9, direction="higher_is_better", good="error.type == null", **kw),
             SLOSpec(name="help", kind="threshold", target=0.5, direction="higher_is_better",
                     sli_field="evaluations.helpfulness", sli_agg="mean", **kw)]
    path = tmp_path / "log.jsonl"
    now = start + 600

    def fresh() -> FileSource:
        return FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path)

    path.write_text(first)
    src = fresh()
    src.fetch_sync(specs, now)
    for piece in (rest[:1], rest[1:]):  # the newline first, then the next line: two polls
        with open(path, "a") as fh:
            fh.write(piece)
        got = src.fetch_sync(specs, now)
        want = fresh().fetch_sync(specs, now)
        assert (got["ok"].windows, got["help"].value, got["help"].n) == (
            want["ok"].windows, want["help"].value, want["help"].n), piece
    whole = fresh()
    whole.fetch_sync(specs, now)
    assert src.records == whole.records


@pytest.mark.parametrize("columnar", [False, True])
@pytest.mark.parametrize("kind", ["timestamp beyond 9999", "date beyond 9999"])
def test_a_parquet_value_python_cannot_hold_is_one_malformed_row(tmp_path: Path, columnar: bool, kind: str) -> None:
    """One row whose value Python's datetime cannot hold made the whole file 'not a readable Parquet
    file' (a SourceError every tick); it is one malformed row now, the others read, by either reader."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = 1780275600.0
    n = 300
    times = [int((start + i) * 1000) for i in range(n)]
    columns: dict[str, Any] = {"duration_s": [1.0] * n}
    if kind == "date beyond 9999":
        columns["day"] = pa.array([19000] * 150 + [2**31 - 1] + [19000] * 149, pa.date32())
    else:
        times[150] = 2**62
    columns["time"] = pa.array(times, pa.timestamp("ms", tz="UTC"))
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table(columns), path)
    src = FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path)
    src.columnar = columnar
    spec = SLOSpec(name="p95", kind="threshold", target=2, direction="lower_is_better", sli_field="duration_s",
                   sli_agg="p95", window=3600.0, period=86400.0, slice=300.0, source="logs")
    data = src.fetch_sync([spec], start + 400)["p95"]
    assert data.error is None and data.value == 1.0
    assert (src.records, src.malformed) == (n - 1, 1)
    assert "row 151" in (data.note or "") or "line 151" in (data.note or "")


@pytest.mark.parametrize("appended", ["broken", "valid"])
def test_an_old_line_appended_reads_as_in_a_full_read(tmp_path: Path, appended: str) -> None:
    """Old lines are skipped unparsed at the head of a file only: an append starting with a line older
    than the period was skipped (a broken one uncounted), while one full read of the same file parses
    it after the newer lines (malformed 1 there, 0 after the append)."""
    start = 1780275600.0 + 5 * 86400

    def at(t: float) -> str:
        return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    lines = [json.dumps({"time": at(start + i), "duration_s": 1.0}) for i in range(300)]
    old = at(start - 5 * 86400)
    extra = (f'{{"time": "{old}", "duration_s": 1.0, broken\n' if appended == "broken"
             else json.dumps({"time": old, "duration_s": 9.0}) + "\n")
    spec = SLOSpec(name="p95", kind="threshold", target=2, direction="lower_is_better", sli_field="duration_s",
                   sli_agg="p95", window=3600.0, period=86400.0, slice=300.0, source="logs")
    path = tmp_path / "log.jsonl"
    now = start + 400
    path.write_text("\n".join(lines) + "\n")
    src = FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path)
    src.fetch_sync([spec], now)
    with open(path, "a") as fh:
        fh.write(extra)
    got = src.fetch_sync([spec], now)["p95"]
    whole = FileSource("logs", FileSourceConfig(type="file", path=str(path)), base_dir=tmp_path)
    want = whole.fetch_sync([spec], now)["p95"]
    assert (got.value, got.malformed, got.note) == (want.value, want.malformed, want.note)
    assert (src.records, src.skipped, src.malformed) == (whole.records, whole.skipped, whole.malformed)
    assert src.malformed == (1 if appended == "broken" else 0)


@pytest.mark.parametrize("blank", ["", " ", "\t", "\r", "  ", "   ", " \t \r", " " * 40, "\x0c\x0b "])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_whitespace_only_line_of_any_length_is_blank_not_malformed(tmp_path: Path, fmt: str, blank: str) -> None:
    """A line of only whitespace is a blank line, skipped, whatever its length: JSONL counted one of 3
    or more bytes as malformed while 1-2 bytes were skipped (and CSV skipped all); so does an
    append of one, and an unterminated whitespace tail."""
    if fmt == "jsonl":
        rows = [record(NOON + i, duration_s=float(i + 1)) for i in range(3)]
    else:
        stamp = datetime.fromtimestamp(NOON, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        rows = ["time,duration_s"] + [f"{stamp}.{i:03d}Z,{i + 1}" for i in range(3)]
    path = tmp_path / f"log.{fmt}"
    write(path, [rows[0], blank, *rows[1:], blank])
    p95 = spec("p95", sli_field="duration_s", sli_agg="max")
    src = source(path)
    got = src.fetch_sync([p95], NOON + 60)["p95"]
    assert (got.value, got.malformed, got.error) == (3.0, 0, None)
    write(path, [blank, blank], end="", mode="a")  # appended: a whole blank line and a blank tail
    got = src.fetch_sync([p95], NOON + 60)["p95"]
    assert (got.value, got.malformed, got.error) == (3.0, 0, None)
    assert src.records == 3
