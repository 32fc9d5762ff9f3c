"""The CSV columnar reader's byte checks say what its regexes say (RE2 over each cell, the slower
form they stand in for): a column passed as plain numbers, and cast by Arrow, matches the number
regex and is no ``-0``; the padding check is the padding regex, cell for cell."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from slotui.sources.kit.columnar import _CSV_NUMBER, _edges_of_numbers_or_padding, _plain_numbers

#: the bytes a number is made of, and a few others
number_text = st.text(alphabet="0123456789.eE+-", max_size=8)
any_text = st.text(alphabet="0123456789.eE+- \t\r\n\f\vax\u00a0é", max_size=6)


def _chunked(cells: list[str], cut: int) -> pa.ChunkedArray:
    """``cells`` as a chunked string column cut in two (a pyarrow CSV read gives several chunks, and
    slices of one buffer: offsets not from 0)."""
    whole = pa.array(["pad", *cells], pa.string()).slice(1)
    cut = min(cut, len(cells))
    return pa.chunked_array([whole.slice(0, cut), whole.slice(cut)], pa.string())


def _casts(cells: list[str]) -> bool:
    """Whether Arrow casts the cells (empty: null) to float64, as ColumnarPlan.read_csv does."""
    try:
        pa.array([c or None for c in cells], pa.string()).cast(pa.float64())
    except pa.ArrowInvalid:
        return False
    return True


def _regex_numbers(cells: list[str]) -> bool:
    return all(c == "" or (re.search(_CSV_NUMBER, c) and not re.fullmatch(r"-0+", c)) for c in cells)


@settings(max_examples=1500, deadline=None)
@given(st.lists(number_text, min_size=1, max_size=12), st.integers(0, 12))
@example(["1.5e-3", "", "2", "10E+2"], 2)
@example(["1.5.2"], 0)
@example(["1e5.2"], 0)
@example(["1e"], 0)
@example(["1e+"], 0)
@example(["1+2"], 0)
@example([".5"], 0)
@example(["5."], 0)
@example(["1.2", "3e4"], 1)
@example(["12", "e4"], 1)
@example(["1e5e5"], 0)
@example(["1.e5"], 0)
@example(["12-3"], 0)
@example(["1e-+5"], 0)
@example(["1e+5.5"], 0)
@example(["1.5", "2.5.1"], 1)
def test_plain_numbers_only_when_the_regex_says_numbers(cells: list[str], cut: int) -> None:
    """What read_csv takes as numbers: the bytes passed and Arrow cast the column (empty cells as
    null) to float64 without an error; then every cell is one the number regex reads."""
    col = _chunked(cells, cut)
    said = _plain_numbers(col, np)
    if said and _casts(cells):
        assert _regex_numbers(cells), cells
    # unsigned numbers (the common case) are told without the regex
    if all(c == "" or re.fullmatch(r"[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", c) for c in cells):
        assert said, cells


def test_signed_and_null_cells_are_left_to_the_regex() -> None:
    assert not _plain_numbers(pa.array(["-1.5", "2"]), np)
    assert not _plain_numbers(pa.array(["-0"]), np)
    assert not _plain_numbers(pa.array(["1", None]), np)
    assert _plain_numbers(pa.array(["", "0", "007", "1e-05", "3.25E+10"]), np)


@settings(max_examples=1500, deadline=None)
@given(st.lists(any_text, min_size=1, max_size=12), st.integers(0, 12))
@example(["\vx"], 0)
@example(["x\u00a0"], 0)
@example(["ok", " x"], 1)
def test_the_padding_check_is_the_padding_regex(cells: list[str], cut: int) -> None:
    expected = any(re.search(r"^[0-9+\-.]|^[\t\n\f\r ]|[\t\n\f\r ]$", c) for c in cells)
    assert _edges_of_numbers_or_padding(_chunked(cells, cut), np) is expected, cells
    # RE2 (pyarrow's regex engine) agrees with that reading of \s
    import pyarrow.compute as pc

    re2 = pc.any(pc.match_substring_regex(pa.array(cells), r"^[0-9+\-.]|^\s|\s$")).as_py()
    assert re2 is expected, cells
