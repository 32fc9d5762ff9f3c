"""CSV as spreadsheets and loggers write it: other delimiters, quoted fields with newlines.

A ``.tsv`` file was read with commas (every row malformed, "the CSV header has no 'time'
column (columns: time\\tduration_s)"), and so were ``;`` and ``|`` files. A quoted field
holding a newline (a prompt or answer column) lost its newline, and a row spanning the
end of a read chunk or of an append was cut in two: half a record taken, the rest counted
malformed. Line numbers in the malformed note counted rows, not lines.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

import slotui.sources.file as file_module
from slotui.sources.kit.records import CsvParser, TimeParser, quote_left_open
from test_file_source import HOUR, NOON, source, spec



SUM = spec("sum", sli_field="duration_s", sli_agg="sum")
COUNT = spec("count", sli_field="duration_s", sli_agg="count")
LONG = spec("long", kind="ratio", target=0.99, direction="higher_is_better", good='answer == "plain"')


def stamp(i: int) -> str:
    return datetime.fromtimestamp(NOON + i, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("name, delimiter", [("r.tsv", "\t"), ("r.csv", ";"), ("r.csv", "|"), ("r.csv", "\t"),
                                             ("r.tsv", ",")])
def test_the_delimiter_is_the_one_that_finds_the_time_column(tmp_path, name, delimiter):
    path = tmp_path / name
    other = "m;x" if delimiter == "," else "m,x"  # the other delimiters are plain characters in a cell
    rows = ["time", "duration_s", "model"], *([stamp(i), str(i), other] for i in range(1, 11))
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n")
    out = source(path).fetch_sync([SUM, COUNT], NOON + 600)
    assert (out["sum"].value, out["count"].value, out["sum"].malformed) == (55.0, 10.0, 0)


def test_a_renamed_time_column_picks_the_delimiter_too(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("ts;latency\n" + "".join(f"{stamp(i)};{i / 2}\n" for i in range(4)))
    src = source(path, time_field="ts", columns={"duration_s": "latency"})
    assert src.fetch_sync([SUM], NOON + 600)["sum"].value == 3.0  # 0 + 0.5 + 1 + 1.5


def test_a_header_without_the_time_column_says_so_with_its_columns(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("when;duration_s\n" + f"{stamp(1)};1\n")
    out = source(path).fetch_sync([SUM], NOON + 600)
    assert out["sum"].value is None and out["sum"].malformed == 2
    assert "the CSV header has no 'time' column (columns: when, duration_s)" in out["sum"].note


def multi_line_rows(n: int) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["time", "duration_s", "answer"])
    for i in range(n):
        answer = "line one\nline two" if i % 3 == 0 else ('say "hi",\n\nthen go' if i % 3 == 1 else "plain")
        w.writerow([stamp(i), i, answer])
    return out.getvalue()


def test_a_quoted_field_keeps_its_newlines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(multi_line_rows(9) + "2026-06-01T12:00:30Z,only two\n")
    out = source(path).fetch_sync([SUM, LONG], NOON + 600)
    assert out["sum"].value == 36.0  # 0 + ... + 8
    assert out["long"].windows[HOUR] == (3.0, 9.0)  # rows 2, 5, 8 are "plain"
    assert out["sum"].malformed == 1
    # 1 header line, then 3 rows of 2 lines, 3 of 3 and 3 of 1 (lines 2-19): the bad row is line 20
    assert "line 20: 2 fields, the header has 3" in out["sum"].note


@pytest.mark.parametrize("chunk", [7, 64, 200])
def test_rows_spanning_the_end_of_a_chunk_are_read_whole(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(file_module, "CHUNK", chunk)
    path = tmp_path / "r.csv"
    path.write_text(multi_line_rows(300))
    src = source(path)
    out = src.fetch_sync([SUM, LONG], NOON + 600)
    assert (out["sum"].value, out["sum"].malformed, src.records) == (sum(range(300)), 0, 300)
    assert out["long"].windows[HOUR] == (100.0, 300.0)


def test_a_row_appended_in_two_writes_counts_once(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("time,duration_s,answer\n" + f'{stamp(1)},4,"line one\n')
    src = source(path)
    out = src.fetch_sync([SUM, LONG], NOON + 600)
    assert (out["sum"].value, out["sum"].malformed, src.records) == (None, 0, 0)
    with open(path, "a") as fh:
        fh.write('line two"')  # the row is whole, its newline not written yet: it waits
    out = src.fetch_sync([SUM, LONG], NOON + 600)
    assert (out["sum"].value, out["sum"].malformed, src.records) == (None, 0, 0)
    assert "not closed yet" in out["sum"].note
    with open(path, "a") as fh:
        fh.write(f"\n{stamp(2)},5,plain\n")
    out = src.fetch_sync([SUM, LONG], NOON + 600)
    assert (out["sum"].value, out["sum"].malformed, src.records) == (9.0, 0, 2)
    assert out["long"].windows[HOUR] == (1.0, 2.0)  # the second row is "plain"
    assert out["sum"].note is None


def test_a_quote_never_closed_is_read_as_the_csv_module_reads_it(tmp_path, monkeypatch):
    """An unclosed quote holds at most CSV_ROW_LINES lines, then the lines are one (malformed) row."""
    import slotui.sources.kit.records as records_module

    monkeypatch.setattr(records_module, "CSV_ROW_LINES", 5)
    path = tmp_path / "r.csv"
    path.write_text("time,duration_s,answer\n" + f'{stamp(1)},4,"oops\n' + "".join(f"{stamp(i)},1,x\n" for i in range(2, 9)))
    src = source(path)
    out = src.fetch_sync([SUM], NOON + 600)
    # the quoted field runs to the end of the file (8 lines, over the cap): one row of 3 fields, not held
    assert (out["sum"].value, out["sum"].malformed, src.records) == (4.0, 0, 1)
    assert out["sum"].note is None


@pytest.mark.parametrize("text, delimiter, left_open", [
    ('a,"b', ",", True),
    ('a,"b""', ",", True),
    ('a,"b"""', ",", False),
    ('a,"b",c', ",", False),
    ('a,b"c', ",", False),  # a quote inside an unquoted field is a character
    ('a, "b', ",", False),  # no quoting after a space (skipinitialspace is off)
    ('a;"b;c', ";", True),
    ('a,"b"x,"c', ",", True),  # text after a closing quote, then a new quoted field
    ('"x\ny\n', ",", True),
    ('"x\ny"\n', ",", False),
])
def test_quote_left_open_follows_the_csv_module(text, delimiter, left_open):
    text = text.replace("\\n", "\n")
    assert quote_left_open(text, delimiter) is left_open
    rows = list(csv.reader(io.StringIO(text + "\n,closing\"\n"), delimiter=delimiter))
    # the csv module agrees: a row left open swallows the next line (it ends inside that row)
    assert (len(rows) == 1) is left_open


def test_a_parser_holds_the_open_row_until_the_next_lines():
    parser = CsvParser(TimeParser())
    got = list(parser.parse_rows(["time,answer", f'{stamp(1)},"a']))
    assert got == [] and parser.open_row == [f'{stamp(1)},"a']
    got = list(parser.parse_rows(['b"', f"{stamp(2)},c"]))
    assert [(i, r[0]["answer"]) for i, r in got] == [(-1, "a\nb"), (1, "c")]
    assert parser.open_row == []


def test_duplicate_and_empty_header_names_are_made_unique_as_duckdb_does(tmp_path):
    """``time,duration_s,duration_s`` read the LAST duration_s column (dict(zip()) kept the last), where
    DuckDB and pandas read the first; now the first keeps the name and the second is duration_s_1."""
    path = tmp_path / "r.csv"
    path.write_text("time,duration_s,duration_s,,duration_s_1\n" + "".join(f"{stamp(i)},{i},100,x,7\n" for i in range(1, 5)))
    out = source(path).fetch_sync([SUM, spec("second", sli_field="duration_s_2", sli_agg="sum"),
                                   spec("own", sli_field="duration_s_1", sli_agg="sum"),
                                   spec("blank", sli_field="column3", sli_agg="count")], NOON + 600)
    # the header's own duration_s_1 keeps its name: the second duration_s becomes duration_s_2
    assert (out["sum"].value, out["second"].value, out["own"].value) == (10.0, 400.0, 28.0)
    assert out["blank"].note == "4 records: column3 is a string, not a number"  # the unnamed 4th column


def test_a_comma_space_separated_file_reads_its_numbers(tmp_path):
    """``time, duration_s, model`` rows written with ", ": every number had a leading space and was a
    string ("10 records: duration_s is a string, not a number", NO DATA) while "12 " was a number."""
    path = tmp_path / "r.csv"
    path.write_text("time, duration_s, ok, model\n" + "".join(f"{stamp(i)}, {i}, {'true' if i % 2 else 'false'}, m\n"
                                                        for i in range(1, 11)))
    ok = spec("ok", kind="ratio", target=0.99, direction="higher_is_better", good="ok == true")
    label = spec("label", kind="ratio", target=0.99, direction="higher_is_better", good='model == " m"')
    out = source(path).fetch_sync([SUM, ok, label], NOON + 600)
    assert (out["sum"].value, out["sum"].note) == (55.0, None)
    assert out["ok"].windows[HOUR] == (5.0, 10.0)
    assert out["label"].windows[HOUR] == (10.0, 10.0)  # a text keeps its spaces


@pytest.mark.parametrize("name", ["r.csv", "r.jsonl"])
def test_a_utf16_file_is_named_as_such_and_read_once_converted(tmp_path, name):
    """Excel's "Unicode text" export is UTF-16: every line was malformed, the note showing
    't\\x00i\\x00m\\x00e\\x00' gibberish. It is now a source error that says what to do, until the
    file is converted."""
    from slotui.sources.kit.base import SourceError

    text = ("time,duration_s\n" + f"{stamp(1)},1.5\n" if name.endswith(".csv")
            else f'{{"time": "{stamp(1)}", "duration_s": 1.5}}\n')
    path = tmp_path / name
    path.write_bytes(text.encode("utf-16"))
    src = source(path)
    with pytest.raises(SourceError, match=r"UTF-16 text .* convert it \(iconv -f UTF-16 -t UTF-8\)"):
        src.fetch_sync([SUM], NOON + 600)
    with pytest.raises(SourceError, match="UTF-16"):  # retried: still the same file
        src.fetch_sync([SUM], NOON + 600)
    path.write_bytes(text.encode("utf-8") + f'{stamp(2)},2\n'.encode() * name.endswith(".csv"))
    out = src.fetch_sync([SUM], NOON + 600)
    assert (out["sum"].value, out["sum"].malformed) == (3.5 if name.endswith(".csv") else 1.5, 0)
