"""The Arrow compute functions the columnar reads call, by name, through ``pyarrow._compute``.

``import pyarrow.compute`` wraps each of Arrow's ~300 compute functions in a Python function with a
generated docstring: ~50 ms, paid by the first columnar read of every format in a fresh process (a
Parquet read of a million rows takes ~0.3 s). ``pyarrow._compute.call_function`` runs the same kernels
with the same options. pyarrow's own conveniences that import ``pyarrow.compute`` (``Array.cast``,
``is_valid``, ``is_null``, ``pa.array`` of Python values) are not used on the columnar paths:
tests/unit/test_file_columnar.py holds a first read of each format to it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "all_true", "and_", "any_true", "cast", "count_substring_regex", "day", "dictionary_encode", "divide",
    "equal", "if_else", "invert", "is_in", "is_null", "is_valid", "list_flatten", "list_parent_indices",
    "match_substring_regex", "or_", "strptime", "struct_field", "unique", "utf8_lower",
    "utf8_slice_codeunits", "year",
]


def _call(name: str, args: list[Any], options: Any = None) -> Any:
    from pyarrow._compute import call_function

    from slotui.sources.kit.arrow_pool import pool

    return call_function(name, args, options, memory_pool=pool())


def any_true(values: Any) -> bool:
    """Whether a boolean array holds a true (nulls skipped)."""
    return bool(_call("any", [values]).as_py())


def all_true(values: Any) -> bool:
    """Whether every non-null value of a boolean array is true."""
    return bool(_call("all", [values]).as_py())


def equal(a: Any, b: Any) -> Any:
    return _call("equal", [a, b])


def or_(a: Any, b: Any) -> Any:
    return _call("or", [a, b])


def and_(a: Any, b: Any) -> Any:
    return _call("and", [a, b])


def invert(a: Any) -> Any:
    return _call("invert", [a])


def if_else(cond: Any, a: Any, b: Any) -> Any:
    return _call("if_else", [cond, a, b])


def divide(a: Any, b: Any) -> Any:
    return _call("divide", [a, b])


def utf8_lower(strings: Any) -> Any:
    return _call("utf8_lower", [strings])


def utf8_slice_codeunits(strings: Any, start: int, stop: int | None = None) -> Any:
    from pyarrow._compute import SliceOptions

    return _call("utf8_slice_codeunits", [strings], SliceOptions(start, stop))


def match_substring_regex(strings: Any, pattern: str) -> Any:
    from pyarrow._compute import MatchSubstringOptions

    return _call("match_substring_regex", [strings], MatchSubstringOptions(pattern))


def count_substring_regex(strings: Any, pattern: str) -> Any:
    from pyarrow._compute import MatchSubstringOptions

    return _call("count_substring_regex", [strings], MatchSubstringOptions(pattern))


def is_in(values: Any, value_set: Any) -> Any:
    from pyarrow._compute import SetLookupOptions

    return _call("is_in", [values], SetLookupOptions(value_set))


def unique(values: Any) -> Any:
    return _call("unique", [values])


def dictionary_encode(values: Any) -> Any:
    return _call("dictionary_encode", [values])


def cast(values: Any, target: Any) -> Any:
    """``values`` as type ``target`` (a safe cast: an overflow or a truncation raises)."""
    from pyarrow._compute import CastOptions

    return _call("cast", [values], CastOptions.safe(target))


def is_valid(values: Any) -> Any:
    return _call("is_valid", [values])


def is_null(values: Any) -> Any:
    return _call("is_null", [values])


def list_flatten(lists: Any) -> Any:
    return _call("list_flatten", [lists])


def list_parent_indices(lists: Any) -> Any:
    return _call("list_parent_indices", [lists])


def struct_field(structs: Any, indices: list[int]) -> Any:
    from pyarrow._compute import StructFieldOptions

    return _call("struct_field", [structs], StructFieldOptions(indices))


def strptime(strings: Any, format: str, unit: str) -> Any:
    from pyarrow._compute import StrptimeOptions

    return _call("strptime", [strings], StrptimeOptions(format, unit))


def day(timestamps: Any) -> Any:
    return _call("day", [timestamps])


def year(timestamps: Any) -> Any:
    return _call("year", [timestamps])
