"""slotui.sources.kit.arrow_compute calls Arrow's kernels by name: the same results as pyarrow.compute's
wrappers with their default options (null and empty inputs, chunked arrays, safe casts, open slices)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as reference
import pytest

from slotui.sources.kit import arrow_compute as ac

TEXTS = pa.chunked_array([pa.array(["2026-06-01T10:20:30.5Z", None, "a\u00e9B"]), pa.array(["", "x"])])
FLAGS = [pa.array([], pa.bool_()), pa.array([None], pa.bool_()), pa.array([False, None]), pa.array([True, False]),
         pa.chunked_array([pa.array([False]), pa.array([True])])]


@pytest.mark.parametrize("values", FLAGS, ids=lambda v: str(v.to_pylist()))
def test_any_and_all_read_as_pyarrow_computes_do_through_bool(values):
    assert ac.any_true(values) is bool(reference.any(values).as_py())
    assert ac.all_true(values) is bool(reference.all(values).as_py())


def test_element_wise_kernels_give_pyarrow_computes_results():
    a, b = pa.array([True, False, None]), pa.array([False, False, True])
    assert ac.or_(a, b).equals(reference.or_(a, b))
    assert ac.and_(a, b).equals(reference.and_(a, b))
    assert ac.invert(a).equals(reference.invert(a))
    assert ac.if_else(a, pa.array([1, 2, 3]), pa.array([4, 5, 6])).equals(
        reference.if_else(a, pa.array([1, 2, 3]), pa.array([4, 5, 6])))
    assert ac.equal(TEXTS, pa.scalar("x")).equals(reference.equal(TEXTS, pa.scalar("x")))
    assert ac.divide(pa.array([1.0, 3.0]), pa.scalar(2.0)).equals(reference.divide(pa.array([1.0, 3.0]), pa.scalar(2.0)))
    assert ac.is_valid(TEXTS).equals(reference.is_valid(TEXTS))
    assert ac.is_null(TEXTS).equals(reference.is_null(TEXTS))


def test_string_kernels_give_pyarrow_computes_results():
    assert ac.utf8_lower(TEXTS).equals(reference.utf8_lower(TEXTS))
    for start, stop in ((0, 16), (17, None), (0, -1), (8, 10)):
        assert ac.utf8_slice_codeunits(TEXTS, start, stop).equals(reference.utf8_slice_codeunits(TEXTS, start, stop))
    for pattern in (r"^\d{4}-", r"^-0+$", "x"):
        assert ac.match_substring_regex(TEXTS, pattern).equals(reference.match_substring_regex(TEXTS, pattern))
        assert ac.count_substring_regex(TEXTS, pattern).equals(reference.count_substring_regex(TEXTS, pattern))
    words = pa.array(["x", "null"])
    assert ac.is_in(TEXTS, words).equals(reference.is_in(TEXTS, value_set=words))
    assert ac.unique(TEXTS).equals(reference.unique(TEXTS))
    assert ac.dictionary_encode(TEXTS).equals(reference.dictionary_encode(TEXTS))


def test_casts_are_safe_and_times_parse_as_pyarrow_computes_do():
    assert ac.cast(pa.array([1, None, 3]), pa.float64()).equals(reference.cast(pa.array([1, None, 3]), pa.float64()))
    with pytest.raises(pa.ArrowInvalid):  # (a safe cast: a double cannot hold it exactly)
        ac.cast(pa.array([2**53 + 1]), pa.float64())
    with pytest.raises(pa.ArrowInvalid):
        ac.cast(pa.array(["1.5"]), pa.int64())
    minutes = pa.array(["2026-06-01T10:20", "0001-01-01T00:00"])
    parsed = ac.strptime(minutes, "%Y-%m-%dT%H:%M", "s")
    assert parsed.equals(reference.strptime(minutes, format="%Y-%m-%dT%H:%M", unit="s"))
    assert ac.day(parsed).equals(reference.day(parsed)) and ac.year(parsed).equals(reference.year(parsed))
    assert ac.cast(parsed, pa.int64()).to_pylist() == [1780309200, -62135596800]


def test_list_and_struct_kernels_give_pyarrow_computes_results():
    kind = pa.list_(pa.struct([("name", pa.string()), ("score", pa.float64())]))
    lists = pa.array([[{"name": "a", "score": 1.0}], None, [], [{"name": "b", "score": None}, {"name": "a", "score": 2.0}]],
                     kind)
    items = ac.list_flatten(lists)
    assert items.equals(reference.list_flatten(lists))
    assert ac.list_parent_indices(lists).equals(reference.list_parent_indices(lists))
    assert ac.struct_field(items, [1]).equals(reference.struct_field(items, [1]))
