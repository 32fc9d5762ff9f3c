"""Issue 13 part 4: the faster CSV reading gives the same values, and a CSV without its time
column counts its rows as malformed (it crashed the source with ValueError before).

``coerce_number`` now skips ``int()`` for texts it always refuses ('.', 'e', 'E'); the
reference below is the former int-then-float rule, compared over a generated family of
number-like texts (signs, fractions, exponents, underscores, spaces, non-finite words,
non-ASCII digits).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records_gen import NOON, csv_text, file_source, ratio, spec, stamp
from slotui.sources.kit.records import coerce_number


def _reference(text: str) -> Any:
    """The rule before the speed-up: int(), then float(), else the text (same prefix test); spaces
    around a number or word are padding (a text keeps them)."""
    if not text:
        return None
    if text.strip() and text != text.strip():
        value = _reference(text.strip())
        return text if type(value) is str else value
    c = text[0]
    if c.isdigit() or c in "+-.":
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return coerce_number(text)  # words (null, nan, true...) did not change


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    return a == b


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("-7", -7),
        ("1_000", 1000),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("2E-2", 0.02),
        ("1e400", math.inf),
        ("-inf", -math.inf),
        ("+Infinity", math.inf),
        ("1.2.3", "1.2.3"),
        ("1e", "1e"),
        ("-", "-"),
        ("0x10", "0x10"),
        (" 12", 12),  # padding, as "12 " was already (int() strips it): ", "-separated files
        (" 1.5 ", 1.5),
        (" true", True),
        ("NULL ", None),
        (" gpt-4o", " gpt-4o"),  # a text keeps its spaces
        ("  ", "  "),
    ],
)
def test_coerce_number_by_hand(text: str, expected: Any) -> None:
    got = coerce_number(text)
    assert _same(got, expected), (text, got, expected)
    assert _same(got, _reference(text))


def test_coerce_number_nan_with_sign() -> None:
    got = coerce_number("-nan")
    assert type(got) is float and math.isnan(got)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789+-._eE nifatyNIFA\u0663", min_size=1, max_size=9))
def test_coerce_number_same_as_int_then_float(text: str) -> None:
    assert _same(coerce_number(text), _reference(text)), text


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(min_value=-10**30, max_value=10**30).map(str),
                 st.floats(allow_nan=False).map(repr),
                 st.floats(allow_nan=False).map(lambda f: f"{f:e}")))
def test_coerce_number_numbers_round_trip(text: str) -> None:
    assert _same(coerce_number(text), _reference(text)), text


# --------------------------------------------------------------------- no time column: a family


def _rows(n: int) -> list[list[Any]]:
    return [[stamp(NOON - 600 + i), 0.5 + i] for i in range(n)]


@pytest.mark.parametrize(
    ("header", "config", "time_column"),
    [
        (["when", "duration_s"], {}, "time"),  # no column named time
        (["Time", "duration_s"], {}, "time"),  # another case is another name
        (["ts", "duration_s"], {"columns": {"time": "timestamp"}}, "timestamp"),  # the mapped column is absent
        (["time_s", "duration_s"], {"time_field": "stamp"}, "stamp"),  # the configured time field is absent
    ],
    ids=["no-time", "other-case", "mapped-column-absent", "time-field-absent"],
)
@pytest.mark.parametrize("last_newline", [True, False], ids=["terminated", "unterminated"])
def test_csv_without_time_column_counts_rows_malformed(
    tmp_path: Path, header: list[str], config: dict[str, Any], time_column: str, last_newline: bool
) -> None:
    text = csv_text(header, _rows(3))
    if not last_newline:
        text = text.rstrip("\n")
    path = tmp_path / "r.csv"
    path.write_text(text)
    src = file_source(path, **config)
    out = src.fetch_sync([spec("p", sli_field="duration_s", sli_agg="mean"), ratio("ok", "duration_s < 1")], NOON)
    complete = 3 if last_newline else 2  # the unterminated last row is held, not counted
    for name in ("p", "ok"):
        assert out[name].error is None
        assert out[name].malformed == complete + 1  # the header row too (it names the problem)
        assert "the CSV header has no" in (out[name].note or "")
    assert out["p"].value is None
    if not last_newline:
        assert "held" in (out["p"].note or "")
    # the time column arrives (the file is rewritten): read from the start, the rows count
    fixed = csv_text([time_column, "duration_s"], _rows(3))
    path.write_text(fixed)
    again = src.fetch_sync([spec("p", sli_field="duration_s", sli_agg="mean")], NOON)
    assert again["p"].value == 1.5  # (0.5 + 1.5 + 2.5) / 3
