"""A log line reads the same whether DuckDB (the first read of a large log) or the per-record
parser reads it: :func:`~slotui.sources.kit.records.lenient_loads` takes what yyjson takes
(DuckDB's reader: ``nan``/``inf``/``infinity`` in any case with an optional ``-``, one trailing
comma after a value) and refuses what it refuses. Each case is put to DuckDB's own reader here,
so a DuckDB that reads otherwise fails this test rather than the malformed counts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.sources.kit.records import lenient_loads

LITERALS = ["nan", "NaN", "NAN", "nAn", "-nan", "-NaN", "+nan", "--nan", "inf", "-inf", "+inf", "Inf", "iNf",
            "INF", "Infinity", "-Infinity", "+Infinity", "INFINITY", "-infinity", "infinit", "infinityy", "nanx",
            "infx", "- inf", "1e999", "-1e999", "1nan", "nan1", "nan.5", '"nan"', '"a\\"nan,]"', "true", "null"]
SHAPES = ['{{"x": {}}}', '{{"x": [{}]}}', '{{"x": [{},]}}', '{{"x": {{"a": {}, }}}}', '{{"x": [1, {}, 2]}}']
COMMAS = ['{"x": [1,]}', '{"x": 1,}', '{"x": 1, }', '{"x": 1 ,\t}', '{"x": {},}', '{"x": [],}', '{"x": [[],[],]}',
          '{"x": "a,}",}', '{"x": "\\\\",}', '{"x":1,\r}', '{"x": true,}', '{"x": null ,}', '[1,]',
          '{"x": 1,,}', '{"x": [,]}', '{,}', '{"x": [1,,]}', '{"x": ,}', '{"x" ,}', '{"x": 1}\t,',
          '{"x": 1 /* c */}', "{'x': 1}", '{"x": [1 ,,2]}', '{"x": [1, ,]}', '{"x": {"a": 1,,}}']


def duckdb_reads(path: Path, line: str) -> object:
    """DuckDB's value of ``x`` (as JSON text) in the one-line log ``line``, or ``"ERR"``."""
    path.write_text(line + "\n")
    try:
        rows = duckdb.sql(f"SELECT CAST(x AS VARCHAR) FROM read_json('{path}', format = 'newline_delimited', "
                          "columns = {'x': 'JSON'}, auto_detect = false)").fetchall()
    except duckdb.Error:
        return "ERR"
    return rows[0][0] if rows else "EMPTY"


def ours(line: str) -> object:
    try:
        obj = lenient_loads(line)
    except ValueError:
        return "ERR"
    return obj["x"] if isinstance(obj, dict) else obj


def same_value(duck: object, mine: object) -> bool:
    """DuckDB's JSON text of a value and the parsed value mean the same (its literals as floats)."""
    if duck == "ERR" or mine == "ERR":
        return duck == mine
    if duck is None:
        return mine is None

    def norm(v: object) -> object:
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, list):
            return [norm(i) for i in v]
        if isinstance(v, dict):
            return {k: norm(i) for k, i in v.items()}
        return v
    literal = str(duck)
    for word, value in (("-infinity", "-1e999"), ("infinity", "1e999"), ("-inf", "-1e999"), ("inf", "1e999"),
                        ("-nan", "NaN"), ("nan", "NaN")):
        literal = _replace_outside_strings(literal, word, value)
    return norm(json.loads(literal)) == norm(mine)


def _replace_outside_strings(text: str, word: str, value: str) -> str:
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text[i:i + len(word)].lower() == word:
            out.append(value)
            i += len(word)
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


CASES = [shape.format(lit) for shape in SHAPES for lit in LITERALS] + COMMAS


@pytest.mark.parametrize("line", CASES)
def test_the_per_record_parser_reads_a_line_as_duckdb_does(tmp_path, line):
    duck, mine = duckdb_reads(tmp_path / "one.jsonl", line), ours(line)
    assert same_value(duck, mine), (line, duck, mine)


def test_what_both_read_and_refuse():
    assert math.isnan(ours('{"x": -nan}')) and ours('{"x": -INF}') == -math.inf and ours('{"x": [1, 2,]}') == [1, 2]
    assert ours('{"x": Infinity,}') == math.inf and ours('{"x": "nan,}"}') == "nan,}"  # a string is left alone
    for refused in ('{"x": [,]}', '{"x": 1,,}', '{"x": +inf}', '{"x": infinit}', '{,}'):
        assert ours(refused) == "ERR", refused


TOKENS = st.sampled_from(["nan", "-inf", "Infinity", "1", "-2.5", '"s"', '"n,]"', "[", "]", "{", "}", ",", ":",
                          '"k"', " ", "true", "null", "NaN", "+inf", "-"])


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=12))
def test_random_token_lines_are_read_or_refused_as_duckdb_does(tmp_path_factory, tokens):
    body = "".join(tokens)
    line = '{"x": ' + body + "}"
    duck = duckdb_reads(tmp_path_factory.mktemp("y") / "one.jsonl", line)
    assert same_value(duck, ours(line)), (line, duck, ours(line))
