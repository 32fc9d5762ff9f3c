"""The first read of a large JSONL or CSV log, and Parquet batches, as columns (DuckDB, pyarrow), exact or refused.

The per-record path (:mod:`slotui.sources.file`) builds a Python dict per line and
runs every SLI over it. For the first read of a large log this module reads a
chunk of complete lines with pyarrow's JSON reader (only the columns the SLIs
read, typed strictly) or CSV reader (the needed cells as text), computes times,
derived fields, conditions and breakdown labels as vector operations and appends
the results to the same slices (and label groups) the per-record path fills, in
the same order. Parquet batches go the same way. For JSONL, DuckDB can read the
whole file first (:meth:`ColumnarPlan.bulk_sql`: ``read_json`` with an explicit
schema of the needed fields, which it alone parses, a quarter of pyarrow's
work); each chunk's rows are then taken when the chunk's bytes pass
:func:`bulk_lines` (what yyjson reads and the per-record parsers refuse:
``nan``/``inf`` literals in any case, trailing commas) and the values their type
checks (:meth:`ColumnarPlan.from_rows`, with the checks of pyarrow's path).

It is only used where that gives the same answers as the per-record path
(proven by ``tests/unit/test_file_columnar.py`` on hostile files): a chunk is
*refused* -- nothing is changed and the caller parses it record by record --
when any line is not one plain JSON object starting with ``{`` (blank lines,
malformed lines, evaluation events, OTLP exports), a needed value is not of the
expected type (booleans or strings for numbers, numbers for strings or labels),
not finite (NaN, Infinity), beyond 2**53, -0, negative for a latency/duration/
token/cost field, a time not in ``YYYY-MM-DDTHH:MM:SS[.fff]Z`` form, a
duplicated key, ``Inf``/``-NaN`` literals, invalid UTF-8, nesting near the
parsers' limits, ``\\u`` escapes of ASCII characters (a key could be spelled
with them) or surrogates, a dotted field that might also be nested
(``"error": {...}`` for ``error.type``), or an evaluation list item without a
name or score; for CSV, quotes, CR or NUL bytes, blank lines, rows with another
number of fields, and cells :func:`~slotui.sources.kit.records.coerce_number`
would read otherwise than the column says. SLOs with ``sli.where`` or
``ratio.total``, a derived field as a breakdown, and expressions beyond
``field``, ``field OP number`` (``+ - * /``) and ``field == null`` /
``field != null`` are not planned at all.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from slotui.sources.kit.arrow_pool import pool
from slotui.sources.kit.arrow_values import arrow_text, arrow_texts
from slotui.sources.kit.record_values import nonnegative_field

if TYPE_CHECKING:
    from slotui.sources.kit.series_book import DerivedFields, SeriesBook

__all__ = ["ColumnarPlan", "plan_columnar"]

_NAME = r"(?:[A-Za-z_][A-Za-z0-9_.]*)"
_NUMBER = r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
_ARITH = re.compile(rf"^\s*({_NAME})\s*([-+*/])\s*({_NUMBER})\s*$")
_FIELD = re.compile(rf"^\s*({_NAME})\s*$")
_NULL_TEST = re.compile(rf"^\s*({_NAME})\s*(==|!=)\s*null\s*$")
_KEYWORDS = {"null", "true", "false", "and", "or", "not", "in"}
_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:([0-5]\d|60)(\.\d+)?Z$"  # seconds 00-60 (60: a leap second)
_EXACT_INT = 2.0**53
#: (bytes, index of a rare byte in them) refusing a chunk: non-record lines, the Inf/-NaN literals
#: (read by the per-record path as yyjson reads them; pyarrow's reading of them is not relied on)
_REFUSED = ((b'"event"', 2), (b'"resourceSpans"', 9), (b"Inf", 0), (b"-NaN", 1))
_CSV_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_CSV_NULL = ["null", "none", "na", "n/a"]
_CSV_SPECIAL = ["nan", "inf", "infinity", "true", "false"]
#: a line longer than this is checked for deep nesting (at most one level per two bytes)
_DEEP = 1000
_EVAL_NAME = "gen_ai.evaluation.name"
_EVAL_SCORE = "gen_ai.evaluation.score.value"
#: an evaluation name DuckDB's VARCHAR may render from a JSON value that is no string (a number,
#: true/false/null, NaN/Infinity, an object or a list): names like these are compared as JSON texts
_LITERAL_NAME = re.compile(r"^(?:[-+.0-9{\[\s]|(?i:true|false|null|nan|-?inf|-?infinity)$)")


def _number(text: str) -> float | None:
    value = float(text)
    return value if abs(value) < _EXACT_INT else None


class _Derived:
    """A derived field ``raw OP constant`` (or a copy of ``raw``)."""

    __slots__ = ("raw", "op", "const")

    def __init__(self, raw: str, op: str | None, const: float) -> None:
        self.raw, self.op, self.const = raw, op, const


def _derived_of(derived: "DerivedFields", name: str) -> _Derived | None | bool:
    """The supported form of derived field ``name``; True when it is not derived; None: unsupported."""
    texts = derived.texts
    if name not in texts:
        return True
    text = texts[name]
    m = _ARITH.match(text)
    if m:
        raw, op, const = m.group(1), m.group(2), _number(m.group(3))
        if raw in texts or raw in _KEYWORDS or const is None or (op == "/" and const == 0):
            return None
        return _Derived(raw, op, const)
    m = _FIELD.match(text)
    if m and m.group(1) not in texts and m.group(1) not in _KEYWORDS:
        return _Derived(m.group(1), None, 0.0)
    return None


class ColumnarPlan:
    """What a chunk read needs: the raw columns, and per series how to compute it."""

    def __init__(self, book: "SeriesBook", numeric: set[str], strings: set[str],
                 values: list[tuple[Any, str, _Derived | None]], ratios: list[tuple[Any, str, bool]],
                 labels: set[str]) -> None:
        self.book = book
        #: breakdown fields (string columns of the flat key; a chunk with the nested form is refused)
        self.labels = sorted(labels)
        self.numeric = numeric
        self.strings = strings
        self.values = values
        self.ratios = ratios
        evals = sorted(n for n in numeric if n.startswith("evaluations."))
        self.evaluations = evals
        #: DuckDB reads evaluation names as text (VARCHAR): none needed could be a non-string's text
        self.names_as_text = not any(_LITERAL_NAME.match(n[len("evaluations."):]) for n in evals)
        self.flat = sorted(n for n in numeric | strings if not n.startswith("evaluations."))
        # keys that would change what a needed field reads (``"error": {"type": ...}`` for
        # ``error.type``, a flat ``"evaluations.helpfulness"``): typed null, so any value refuses the chunk
        shadows: set[str] = set()
        for name in (*self.flat, *self.labels):  # a nested label is read record by record too
            parts = name.split(".")
            shadows.update(".".join(parts[:j]) for j in range(1, len(parts)))
        shadows.update(evals)
        shadows -= set(self.flat) | set(self.labels) | {"time", "trace_id", "evaluations"}
        import pyarrow as pa

        fields = [("time", pa.string()), ("trace_id", pa.string())]
        for name in self.flat:
            fields.append((name, pa.float64() if name in numeric else pa.string()))
        fields.extend((name, pa.string()) for name in self.labels if name not in self.flat and name != "trace_id")
        if evals:
            item = pa.struct([(_EVAL_NAME, pa.string()), (_EVAL_SCORE, pa.float64())])
            fields.append(("evaluations", pa.list_(item)))
        fields.extend((name, pa.null()) for name in sorted(shadows))
        self.schema = pa.schema(fields)

    # ------------------------------------------------------------------ one chunk

    def read(self, data: bytes) -> "ChunkColumns | None":
        """The chunk's columns (``data``: complete lines, each ending with a newline), or None: refused.
        No side effects (runs in a worker thread while the previous chunk is taken)."""
        import numpy as np
        import pyarrow as pa
        from slotui.sources.kit import arrow_compute as pc
        import pyarrow.json as pj

        arr = np.frombuffer(data, np.uint8)
        ends = np.flatnonzero(arr == 10)
        lines = int(ends.size)
        if not lines or arr[0] != 123 or not (arr[ends[:-1] + 1] == 123).all():
            return None  # a line that is not an object (blank, malformed, an array)
        # the per-record path's old-line skip reads lines starting with their time
        timed = _starts_with_time(arr, np.concatenate(([0], ends[:-1] + 1)), np)
        for needle, anchor in _REFUSED:
            if _contains(arr, needle, anchor, np):
                return None
        if _ascii_escapes(arr, np):
            return None
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return None  # pyarrow does not validate UTF-8; the per-record path counts such lines
        if _too_deep(arr, np.concatenate(([0], ends[:-1] + 1)), ends, np):
            return None  # pyarrow has no nesting limit; orjson and the stdlib refuse ~1000 levels
        try:
            table = pj.read_json(
                pa.BufferReader(data), memory_pool=pool(),
                read_options=pj.ReadOptions(block_size=max(1 << 20, len(data) // 4 + 1)),
                parse_options=pj.ParseOptions(explicit_schema=self.schema, unexpected_field_behavior="ignore"),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None  # malformed lines, mistyped values, duplicate keys: the exact path counts them
        if table.num_rows != lines:
            return None
        t = _times(table.column("time"))
        if t is None:
            return None
        columns = self._flat_columns(table, self.flat)
        if columns is None:
            return None
        if self.evaluations:
            got = self._evaluations(table.column("evaluations"), lines)
            if got is None:
                return None
            columns.update(got)
        traced = _numpy(pc.is_valid(table.column("trace_id")))
        chunk = ChunkColumns(data, lines, 0, t, columns, traced, timed)
        chunk.labels = {name: _labels(table.column(name)) for name in self.labels}
        return chunk if self.check_derived(chunk) else None

    # ------------------------------------------------------------------ DuckDB: the whole file at once

    def bulk_sql(self, path: str) -> str:
        """DuckDB's query for the columns of every line of the JSONL file ``path``, in file order.

        ``read_json`` with an explicit schema reads only these fields (projection pushdown: what
        makes it ~4x cheaper than pyarrow's reader, which tokenizes every field). Values whose
        type the per-record path reads otherwise (a string or boolean for a number, a non-string
        label, a null or missing evaluation item field; a non-string evaluation name when a needed
        one could be its text: :attr:`names_as_text`) are not cast: they set the row's refusal
        flag, and a chunk with one is read record by record. The other checks are pyarrow's:
        :meth:`from_rows` and :func:`bulk_lines`.

        Each needed value's JSON text and its double are computed once, in the subqueries under
        the answer (the refusal flag and the column both read them), and the JSON type is told by
        comparing the text with its first byte's range (DuckDB compares strings bytewise: a text
        ``>= '"'`` and ``< '#'`` starts with ``"``), not by ``left``/``strpos`` (Unicode-aware): the
        query took ~10% less CPU. Every term of the flag is false, not null, for a missing key."""
        columns = {"time": "VARCHAR", "trace_id": "VARCHAR", "event": "JSON", "resourceSpans": "JSON"}
        # over the scan: the texts and the needed evaluations' items; over those: the doubles
        texts = ['*', '"trace_id" IS NOT NULL AS "slotui:traced"']
        doubles = ["*"]
        # the time as text: _times converts it (from its bytes, ~5x cheaper than SQL's regex and strptime)
        select = ['"time"', '"slotui:traced"']
        shadows = ['"event"', '"resourceSpans"']  # keys whose presence alone refuses the row
        bad = []
        for name in self.flat:
            q = _sql_name(name)
            columns[name] = "JSON"
            if name in self.numeric:
                text, double = _sql_name("slotui:text:" + name), _sql_name("slotui:double:" + name)
                texts.append(f"CAST({q} AS VARCHAR) AS {text}")
                doubles.append(f"TRY_CAST({text} AS DOUBLE) AS {double}")
                select.append(f"{double} AS {q}")
                bad.append(f"({q} IS NOT NULL AND ({double} IS NULL OR NOT {_json_number(text)}))")
            else:  # a condition's field: whether it is null (a number there, even Infinity, is refused as
                select.append(f"{q} IS NULL AS {q}")  # pyarrow's string column does: the per-record path skips non-finite ones)
                if name not in self.labels:
                    bad.append(f"({q} IS NOT NULL AND NOT {_json_string(f'CAST({q} AS VARCHAR)')})")
        for name in self.labels:
            q = _sql_name(name)
            columns[name] = "JSON"
            text = _sql_name("slotui:text:" + name)
            texts.append(f"CAST({q} AS VARCHAR) AS {text}")
            select.append(f"CASE WHEN {_json_string(text)} THEN {q} ->> '$' END "
                          f"AS {_sql_name('slotui:label:' + name)}")
            bad.append(f"({q} IS NOT NULL AND NOT {_json_string(text)})")
        for name in sorted(self.schema.names):
            if name not in columns and name != "evaluations":  # a key that shadows a needed dotted one
                columns[name] = "JSON"
                shadows.append(_sql_name(name))
        bad.insert(0, f"coalesce({', '.join(shadows)}) IS NOT NULL")
        item_name, item_score = _sql_name(_EVAL_NAME), _sql_name(_EVAL_SCORE)
        if self.evaluations:
            name_type = "VARCHAR" if self.names_as_text else "JSON"
            columns["evaluations"] = f"STRUCT({item_name} {name_type}, {item_score} JSON)[]"
            # every item a name and a number score (a null item, name or score is read otherwise record
            # by record), here on the JSON texts: shipping the lists for numpy to check cost more. The
            # names as text (VARCHAR) when no needed one could be a non-string's text: an item named 5
            # or true, ignored record by record, matches no needed name then (14% of the query's time
            # went to the names' JSON texts)
            score = f"CAST(e.{item_score} AS VARCHAR)"
            odd = f"e IS NULL OR e.{item_name} IS NULL OR e.{item_score} IS NULL OR NOT {_json_number(score)}"
            if not self.names_as_text:
                odd += f" OR NOT {_json_string(f'CAST(e.{item_name} AS VARCHAR)')}"
            bad.append(f"coalesce(len(list_filter(evaluations, lambda e: {odd})) > 0, false)")
        for name in self.evaluations:
            short = name[len("evaluations."):]
            if self.names_as_text:
                test = f"e.{item_name} = '{short.replace(chr(39), chr(39) * 2)}'"
            elif re.fullmatch(r"[A-Za-z0-9_.-]+", short):  # its JSON text: the name in quotes
                test = f"CAST(e.{item_name} AS VARCHAR) = '\"{short}\"'"
            else:
                test = f"e.{item_name} ->> '$' = '{short.replace(chr(39), chr(39) * 2)}'"
            items, double = _sql_name("slotui:found:" + name), _sql_name("slotui:double:" + name)
            texts.append(f"list_filter(evaluations, lambda e: {test}) AS {items}")
            doubles.append(f"TRY_CAST(CAST({items}[1].{item_score} AS VARCHAR) AS DOUBLE) AS {double}")
            select.append(f"{double} AS {_sql_name(name)}")
            bad.append(f"coalesce(len({items}) > 1, false)")  # the same evaluation twice: the last wins there
            bad.append(f"coalesce(len({items}) = 1 AND {double} IS NULL, false)")
        spec = ", ".join(f"'{k.replace(chr(39), chr(39) * 2)}': '{v}'" for k, v in columns.items())
        select.append("(" + " OR ".join(bad) + ') AS "slotui:refuse"')
        source = path.replace("'", "''")
        scan = (f"read_json('{source}', format = 'newline_delimited', columns = {{{spec}}}, auto_detect = false, "
                "ignore_errors = false)")
        return (f"SELECT {', '.join(select)} FROM (SELECT {', '.join(doubles)} FROM "
                f"(SELECT {', '.join(texts)} FROM {scan}))")

    def from_rows(self, data: bytes, table: Any, lines: int, timed: bool) -> "ChunkColumns | None":
        """The chunk ``data`` (``lines`` complete lines) as columns from their rows of
        :meth:`bulk_sql`'s answer, or None: the per-record path must read them."""
        import numpy as np
        from slotui.sources.kit import arrow_compute as pc

        if table.num_rows != lines or pc.any_true(table.column("slotui:refuse")):
            return None
        t = _times(table.column("time"))
        if t is None:
            return None  # not a time of the form the per-record fast path reads
        numeric = [n for n in self.flat if n in self.numeric] + self.evaluations
        columns = self._flat_columns(table, numeric)
        if columns is None:
            return None
        for name in self.flat:
            if name not in self.numeric:
                columns[name] = _numpy(table.column(name))  # (is null)
        traced = _numpy(table.column("slotui:traced"))
        chunk = ChunkColumns(data, lines, 0, t, columns, traced, timed)
        chunk.labels = {name: _labels(table.column("slotui:label:" + name)) for name in self.labels}
        return chunk if self.check_derived(chunk) else None

    def read_table(self, table: Any) -> "ChunkColumns | None":
        """A batch of Parquet rows (columns already renamed to field names) as columns, or None: the
        per-record path must read it. Every row has every column there (a dotted name is never
        looked up nested), so only types, nulls and values are checked."""
        import numpy as np
        import pyarrow as pa

        names = table.column_names
        if len(set(names)) != len(names) or "evaluations" in names or "time" not in names:
            return None
        needed = sorted(self.numeric | self.strings)
        for name in self.labels:
            if name not in names:
                return None
            kind = table.schema.field(name).type
            if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
                return None
        for name in needed:
            if name not in names:
                return None
            kind = table.schema.field(name).type
            if name in self.numeric and not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
                return None
            if name in self.strings and not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                                             or pa.types.is_null(kind)):
                return None
        time_col = table.column("time")
        if not (pa.types.is_string(time_col.type) or pa.types.is_large_string(time_col.type)):
            return None
        t = _times(time_col)
        if t is None:
            return None
        columns = self._flat_columns(table, needed)
        if columns is None:
            return None
        chunk = ChunkColumns(b"", table.num_rows, 0, t, columns, np.zeros(table.num_rows, bool), False)
        chunk.labels = {name: _labels(table.column(name)) for name in self.labels}
        return chunk if self.check_derived(chunk) else None

    def read_csv(self, data: bytes, header: tuple[str, ...], delimiter: str | None = ",") -> "ChunkColumns | None":
        """CSV lines (after the header, each ending with a newline) as columns, or None: the
        per-record path must read them. Cells are read as text and taken only where
        :func:`~slotui.sources.kit.records.coerce_number` gives what the columns say: numbers
        written ``-?digits[.digits][e[+-]digits]`` or empty (null); condition and label cells that
        are no number, ``nan``/``inf``, ``true``/``false`` or a null word (conditions: null
        words and empty are null). No quotes, CR or NUL bytes, no blank lines."""
        import numpy as np
        import pyarrow as pa
        from slotui.sources.kit import arrow_compute as pc
        import pyarrow.csv as pcsv

        names = list(header)
        needed = sorted(self.numeric | self.strings | set(self.labels))
        if len(set(names)) != len(names) or "time" not in names or any(n not in names for n in needed):
            return None
        if b'"' in data or b"\r" in data or b"\x00" in data:
            return None
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return None
        arr = np.frombuffer(data, np.uint8)
        newline = arr == 10  # (counted, and blank lines found as two in a row: no positions needed)
        lines = int(np.count_nonzero(newline))
        if not lines or arr[0] == 10 or (newline[1:] & newline[:-1]).any():
            return None
        wanted = ["time", *[n for n in needed if n != "time"]]
        try:
            table = pcsv.read_csv(
                pa.BufferReader(data), memory_pool=pool(),
                read_options=pcsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(data) // 4 + 1)),
                parse_options=pcsv.ParseOptions(delimiter=delimiter or ",", quote_char=False, newlines_in_values=False,
                                                ignore_empty_lines=False),
                convert_options=pcsv.ConvertOptions(include_columns=wanted, column_types={n: pa.string() for n in wanted},
                                                    strings_can_be_null=False, null_values=[]),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None  # a row with another number of fields: the per-record path counts it
        if table.num_rows != lines:
            return None
        t = _times(table.column("time"))
        if t is None:
            return None
        cells: dict[str, Any] = {}
        # (built once: a Python value handed to pyarrow imports pandas, see arrow_values)
        blank, no_text = arrow_text(""), pa.nulls(1, pa.string())[0]
        special, null_words = arrow_texts(_CSV_SPECIAL), arrow_texts(_CSV_NULL)
        for name in needed:
            col = table.column(name)
            empty = pc.equal(col, blank)
            if name in self.numeric:
                if not _plain_numbers(col, np):  # (numpy over the bytes, the cast below tells the rest: ~6x cheaper than RE2 per cell)
                    ok = pc.or_(empty, pc.match_substring_regex(col, _CSV_NUMBER))
                    if not pc.all_true(ok) or pc.any_true(pc.match_substring_regex(col, r"^-0+$")):
                        return None
                cells[name] = pc.if_else(empty, no_text, col)
                continue
            low = pc.utf8_lower(col)
            # (a cell padded by whitespace, or starting as a number does: a number or word there)
            if _edges_of_numbers_or_padding(col, np) or pc.any_true(pc.is_in(low, special)):
                return None
            if not data.isascii() and not all(_plain_text(v) for v in pc.unique(col).to_pylist()):
                return None
            null = pc.or_(empty, pc.is_in(low, null_words))
            if name in self.labels:
                if pc.any_true(pc.and_(null, pc.invert(empty))):
                    return None  # a null word as a label: "(none)" there, not the word
                cells[name] = pc.if_else(empty, no_text, col)
            else:
                cells[name] = pc.if_else(null, no_text, col)
        table = pa.table(cells) if cells else table
        columns = self._flat_columns(table, sorted(self.numeric | self.strings))
        if columns is None:
            return None
        chunk = ChunkColumns(data, lines, 0, t, columns, np.zeros(lines, bool), False)
        chunk.labels = {name: _labels(table.column(name)) for name in self.labels}
        return chunk if self.check_derived(chunk) else None

    def _flat_columns(self, table: Any, names: list[str]) -> dict[str, Any] | None:
        """Numeric columns as float64 with NaN for null (None when a value is no usable number),
        the others as their null masks."""
        import numpy as np
        import pyarrow as pa

        from slotui.sources.kit import arrow_compute as pc

        columns: dict[str, Any] = {}
        for name in names:
            col = table.column(name)
            if name in self.numeric:
                try:
                    column = _numpy(pc.cast(col, pa.float64()))  # nulls become NaN
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    return None  # integers a double cannot hold
                present = _numpy(pc.is_valid(col))
                vals = column[present]
                if vals.size and (not np.isfinite(vals).all() or np.abs(vals).max() >= _EXACT_INT
                                  or (nonnegative_field(name) and (vals < 0).any())
                                  or ((vals == 0) & np.signbit(vals)).any()):
                    # NaN, beyond 2**53, negative: the per-record path skips and counts; -0: the
                    # integer -0 is 0 there
                    return None
                columns[name] = column
            else:
                columns[name] = _numpy(pc.is_null(col))
        return columns

    def _evaluations(self, col: Any, rows: int) -> dict[str, Any] | None:
        import numpy as np
        import pyarrow as pa
        from slotui.sources.kit import arrow_compute as pc

        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        items = pc.list_flatten(col)
        parents = _numpy(pc.list_parent_indices(col))
        if items.null_count:
            return None
        names = pc.struct_field(items, [0])
        scores = pc.struct_field(items, [1])
        if names.null_count or scores.null_count:
            return None  # the per-record path reads such items another way
        score_np = _numpy(scores)
        if score_np.size and (not np.isfinite(score_np).all() or np.abs(score_np).max() >= _EXACT_INT
                              or ((score_np == 0) & np.signbit(score_np)).any()):
            return None
        out: dict[str, Any] = {}
        for field in self.evaluations:
            match = _numpy(pc.equal(names, arrow_text(field[len("evaluations."):])))
            rows_of = parents[match]
            if rows_of.size > 1 and not (np.diff(rows_of) > 0).all():
                return None  # the same evaluation twice in a record: the last wins there
            arr = np.full(rows, np.nan)
            arr[rows_of] = score_np[match]
            if nonnegative_field(field) and (arr[rows_of] < 0).any():
                return None
            out[field] = arr
        return out

    # ------------------------------------------------------------------ into the series

    def ingest(self, chunk: "ChunkColumns") -> int:
        """Append the chunk's rows (after its skipped prefix) to every planned series; the rows taken."""
        import numpy as np

        s = chunk.start
        t = chunk.times[s:]
        if not t.size:
            return 0
        self.book._memo.clear()
        keys = _SliceKeys(t, np)
        for definition, name, derived in self.values:
            raw = chunk.columns[derived.raw if derived is not None else name][s:]
            if derived is not None and derived.op is not None:
                c = derived.const
                raw = {"*": raw * c, "/": raw / c, "+": raw + c, "-": raw - c}[derived.op]
            keep: Any = ~np.isnan(raw)
            if keep.all():
                keep, kept_t = None, t  # (no copies when every row has a value)
            else:
                kept_t, raw = t[keep], raw[keep]
            _append(definition.series, kept_t, raw, "values", np, keys.of(definition.series.length, keep))
            if definition.seen is False and kept_t.size:
                definition.seen = True
            _group(definition, chunk, keep, kept_t, raw, np, keys)
        for definition, name, is_null in self.ratios:
            null = chunk.columns[name][s:]
            good = (null if is_null else ~null).astype(np.int8)
            _append(definition.series, t, good, "good", np, keys.of(definition.series.length, None))
            _group(definition, chunk, None, t, good, np, keys)
        return int(t.size)

    def tells_seen(self, chunk: "ChunkColumns") -> bool:
        """False when a series whose field no record has had yet gets no value from the chunk's rows
        taken: a column cannot tell a missing key from a null, so the per-record path must read the
        chunk to tell whether a record has the field ("unknown field ... no record has it")."""
        import numpy as np

        if chunk.start >= chunk.lines:
            return True  # every row is older than the period: skipped unparsed on either path
        for definition, name, derived in self.values:
            if definition.seen is False:
                raw = chunk.columns[derived.raw if derived is not None else name][chunk.start:]
                if not (~np.isnan(raw)).any():
                    return False
        return True

    def check_derived(self, chunk: "ChunkColumns") -> bool:
        """False when a derived value is not finite or negative where it cannot be (the per-record
        path skips and counts such records)."""
        import numpy as np

        for definition, name, derived in self.values:
            if derived is None or derived.op is None:
                continue
            raw = chunk.columns[derived.raw]
            c = derived.const
            out = {"*": raw * c, "/": raw / c, "+": raw + c, "-": raw - c}[derived.op]
            vals = out[~np.isnan(raw)]
            if vals.size and (not np.isfinite(vals).all() or (nonnegative_field(name) and (vals < 0).any())):
                return False
        return True


class ChunkColumns:
    """The columns of one chunk (rows before ``start`` are old lines the per-record path skips)."""

    __slots__ = ("data", "lines", "start", "times", "columns", "traced", "timed", "labels")

    def __init__(self, data: bytes, lines: int, start: int, times: Any, columns: dict[str, Any], traced: Any,
                 timed: bool) -> None:
        self.data, self.lines, self.start = data, lines, start
        self.times, self.columns, self.traced = times, columns, traced
        #: every line starts with ``{"time": "`` (the per-record path's old-line skip reads those)
        self.timed = timed
        #: breakdown field -> (dictionary index per row, -1 for null; the dictionary's strings)
        self.labels: dict[str, tuple[Any, list[str]]] = {}

    def skip_before(self, cutoff: float | None) -> bool:
        """Start after the leading rows older than ``cutoff`` (the lines the per-record path skips
        unparsed); False when it would not skip as this does (a line not starting with its time)."""
        if cutoff is None:
            self.start = 0
            return True
        if not self.timed:
            return False
        fresh = (self.times >= cutoff).nonzero()[0]
        self.start = int(fresh[0]) if fresh.size else self.lines
        return True


#: bulk_lines' verdicts on a chunk: its rows of DuckDB's answer can be taken; its lines must be read
#: record by record (each is still one row there); rows can no longer be matched to lines
BULK_TAKE, BULK_RECORDS, BULK_STOP = "take", "records", "stop"


def bulk_lines(data: bytes, scratch: Any = None) -> tuple[str, int, bool]:
    """What DuckDB's rows of the complete lines ``data`` are worth: (verdict, lines, timed).

    DuckDB reads a line as one row when it is one JSON object (else the query fails): a chunk
    whose lines all start with ``{`` keeps rows and lines aligned. Its rows are taken unless a
    line holds an OTLP ``resourceSpans`` key (its value may be null, which DuckDB's columns do
    not tell from absent) or nests deeper than the per-record parsers take. What yyjson reads
    beyond standard JSON (``nan``/``inf`` literals in any case, trailing commas) the per-record
    path reads too (:func:`~slotui.sources.kit.records.lenient_loads`): no byte of it is checked.

    ``scratch``: a boolean numpy array at least as long as ``data`` the byte comparisons are written
    to (a worker's own, reused chunk after chunk: a new 8 MB array per comparison cost page faults,
    more than the comparison itself)."""
    import numpy as np

    arr = np.frombuffer(data, np.uint8)
    mask = scratch[: arr.size] if scratch is not None else None
    ends = np.flatnonzero(np.equal(arr, 10, out=mask))
    lines = int(ends.size)
    if not lines or arr[0] != 123 or not (arr[ends[:-1] + 1] == 123).all():
        return BULK_STOP, lines, False
    starts = np.concatenate(([0], ends[:-1] + 1))
    timed = _starts_with_time(arr, starts, np)
    # (RE2 finds the rare first byte of each by memchr: ~0.2 ms per 8 MB chunk where it is absent,
    # against ~0.9 ms for numpy's comparison and positions; only a find is confirmed by numpy)
    spans, escapes = _regex_counts(data, ('Spans"', r"\\u00"))
    if spans and _contains(arr, b'"resourceSpans"', 9, np, mask):  # (numpy: the GIL is free for the main thread)
        return BULK_RECORDS, lines, timed
    if escapes and _escapes_of(arr, b"resourceSpans", np, mask):  # the key spelled with \u00XX escapes (its value may be null)
        return BULK_RECORDS, lines, timed
    if _too_deep(arr, starts, ends, np):
        return BULK_RECORDS, lines, timed
    return BULK_TAKE, lines, timed


def _regex_counts(data: Any, patterns: tuple[str, ...]) -> list[int]:
    """How often each RE2 ``pattern`` matches in the bytes ``data`` (pyarrow over the buffer, no copy)."""
    import pyarrow as pa
    from slotui.sources.kit import arrow_compute as pc

    offsets = pa.py_buffer(memoryview(bytearray((0).to_bytes(4, "little") + len(data).to_bytes(4, "little"))))
    text = pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)])
    return [pc.count_substring_regex(text, pattern)[0].as_py() for pattern in patterns]


def _too_deep(arr: Any, starts: Any, ends: Any, np: Any) -> bool:
    """Whether a line of more than :data:`_DEEP` bytes opens ``_DEEP // 2`` lists or objects (it
    may nest deeper than the per-record parsers take; pyarrow and yyjson have no limit)."""
    long = np.flatnonzero(ends - starts > _DEEP)
    if not long.size:
        return False
    opened = np.cumsum((arr | 32) == 123, dtype=np.int64)  # "{" and "[" (0x7B, 0x5B)
    a, b = starts[long], ends[long]
    return bool(((opened[b - 1] - np.where(a > 0, opened[a - 1], 0)) >= _DEEP // 2).any())


def _numpy(col: Any) -> Any:
    """A pyarrow (chunked) array of numbers or booleans as a numpy array, nulls as NaN (floats), -1
    (integers) or False. Read from the buffers, nulls filled by numpy: pyarrow's ``to_numpy``, and
    ``fill_null`` with a Python value, import pandas when it is installed (~0.3 s)."""
    import numpy as np
    import pyarrow as pa

    from slotui.sources.kit import arrow_compute as pc

    parts = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    kind = col.type
    if pa.types.is_boolean(kind):
        dtype, target = np.bool_, pa.uint8()
    elif pa.types.is_integer(kind):
        dtype, target = np.int64, pa.int64()
    else:
        dtype, target = np.float64, pa.float64()
    out = []
    fill = {np.bool_: 0, np.float64: math.nan, np.int64: -1}[dtype]
    for part in parts:
        if part.type != target:
            part = pc.cast(part, target)
        size = np.dtype(np.uint8 if dtype is np.bool_ else dtype).itemsize
        data = np.frombuffer(part.buffers()[1], dtype=np.uint8 if dtype is np.bool_ else dtype,
                             count=len(part), offset=part.offset * size)
        if part.null_count:  # (the values under a null are undefined)
            bits = np.unpackbits(np.frombuffer(part.buffers()[0], np.uint8), bitorder="little")
            data = np.where(bits[part.offset:part.offset + len(part)].view(np.bool_), data, fill)
        out.append(data.view(np.bool_) if dtype is np.bool_ else data)
    if not out:
        return np.zeros(0, dtype)
    return out[0] if len(out) == 1 else np.concatenate(out)


def _text_parts(col: Any, np: Any) -> list[tuple[Any, Any]] | None:
    """The (offsets, bytes) numpy views of each part of the string column ``col`` (offsets rebased
    to the part's bytes), or None when a part has a null or is not a plain string array."""
    import pyarrow as pa

    out = []
    for part in col.chunks if isinstance(col, pa.ChunkedArray) else [col]:
        if not pa.types.is_string(part.type) or part.null_count:
            return None
        n = len(part)
        if not n:
            continue
        offsets = np.frombuffer(part.buffers()[1], np.int32, count=n + 1, offset=part.offset * 4)
        data = np.frombuffer(part.buffers()[2], np.uint8) if part.buffers()[2] is not None else np.zeros(0, np.uint8)
        out.append((offsets - offsets[0], data[offsets[0]:offsets[-1]]))
    return out


#: byte classes of :func:`_plain_numbers`: 1 a digit, 2 ".", 3 "e"/"E", 4 "+"/"-"; 0 any other byte
_NUMBER_BYTES = bytes(1 if 48 <= b <= 57 else 2 if b == 46 else 3 if b in (69, 101) else 4 if b in (43, 45) else 0
                      for b in range(256))


def _plain_numbers(col: Any, np: Any) -> bool:
    """Whether every cell of the CSV text column ``col`` is empty or looks like a number written
    ``digits[.digits][e[+-]digits]`` (no sign: not ``-0``), from the bytes, as far as Arrow's cast to
    float64 does not tell: a column passed here *and cast by Arrow without an error* matches
    ``_CSV_NUMBER`` and not ``^-0+$`` (:meth:`ColumnarPlan.read_csv` casts every numeric column, and
    refuses the chunk when the cast fails). False says nothing (a negative number, a null, ...): RE2 tells.

    Here: every byte is a digit, ``.``, ``e``/``E`` or a sign; each cell starts and ends with a digit;
    a ``.`` has digits on both sides. Arrow's cast (fast_float, the whole cell or an error) takes only
    ``[-]digits[.[digits]][(e|E)[+-]digits]`` (or ``.digits...``, ``inf``, ``nan``): within these bytes,
    with a digit first and last and around every ``.``, that is the regex's unsigned form. Two ``.``
    or two ``e`` in a cell, an ``e`` before the ``.``, a sign not right after the ``e``: the cast
    fails. (The cells' own dot and exponent counts cost 4 MB of int32 cell ids per column per chunk.)"""
    parts = _text_parts(col, np)
    if parts is None:
        return False
    classes = np.frombuffer(_NUMBER_BYTES, np.uint8)
    for offsets, data in parts:
        if not data.size:
            continue
        digit = np.less(data - 48, 10)  # (uint8: a byte below "0" wraps above 10)
        other = np.flatnonzero(~digit)  # the few other bytes (a dot a cell), classed by the table
        kind = classes[data[other]]
        if not kind.all():
            return False
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        if not digit[starts[filled]].all() or not digit[ends[filled] - 1].all():
            return False
        dots = other[kind == 2]  # (never first or last: those are digits)
        if dots.size and (not digit[dots - 1].all() or not digit[dots + 1].all()):
            return False
    return True


def _edges_of_numbers_or_padding(col: Any, np: Any) -> bool:
    """Whether a cell of the text column ``col`` starts with a digit, ``+``, ``-`` or ``.`` or starts or
    ends with whitespace (RE2's ``\\s``: tab, newline, form feed, carriage return, space), as
    ``^[0-9+\\-.]|^\\s|\\s$`` tells, from the bytes (a null: True, the per-record path reads it)."""
    parts = _text_parts(col, np)
    if parts is None:
        return True
    first = np.zeros(256, np.bool_)
    first[[9, 10, 12, 13, 32, 43, 45, 46, *range(48, 58)]] = True
    last = np.zeros(256, np.bool_)
    last[[9, 10, 12, 13, 32]] = True
    for offsets, data in parts:
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        if first[data[starts[filled]]].any() or last[data[ends[filled] - 1]].any():
            return True
    return False


def _plain_text(value: str | None) -> bool:
    """Whether a CSV cell reads as the same text record by record: not padded by whitespace beyond
    ASCII (``"NULL\u00a0"`` is the null word there, ``"\u00a0none"`` the label ``(none)``) and holding
    no digit beyond ASCII (``"١٢"`` and ``"１２"`` read as the number 12 there): the refusal regex of
    :meth:`ColumnarPlan.read_csv` knows ASCII only."""
    if not value or value.isascii():
        return True
    return not (value[0].isspace() or value[-1].isspace() or any(c.isdigit() and not c.isascii() for c in value))


def _sql_name(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _json_number(text: str) -> str:
    """SQL: whether the JSON text ``text`` (as yyjson writes it) starts with ``-`` or a digit (a number;
    ``.`` and ``/`` start no JSON text)."""
    return f"({text} >= '-' AND {text} < ':')"


def _json_string(text: str) -> str:
    """SQL: whether the JSON text ``text`` starts with ``"`` (a string)."""
    return f"""({text} >= '"' AND {text} < '#')"""


def _times(times: Any) -> Any:
    """Epoch seconds of RFC 3339 UTC strings as the per-record path computes them (the minute's
    epoch second plus ``float(seconds)``), or None when one is null or of another form."""
    import numpy as np
    import pyarrow as pa
    from slotui.sources.kit import arrow_compute as pc

    if times.null_count:
        return None
    fixed = _fixed_width_times(times)
    if fixed is not None:
        return fixed
    if not pc.all_true(pc.match_substring_regex(times, _TIME)):
        return None
    try:
        minute = pc.strptime(pc.utf8_slice_codeunits(times, 0, 16), "%Y-%m-%dT%H:%M", "s")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    # Arrow's strptime takes February 30 as March 2 and the year 0: the per-record path refuses both
    day = pc.cast(pc.utf8_slice_codeunits(times, 8, 10), pa.int64())
    if not pc.all_true(pc.equal(pc.day(minute), day)) or (_numpy(pc.year(minute)) < 1).any():
        return None
    seconds = pc.cast(pc.utf8_slice_codeunits(pc.utf8_slice_codeunits(times, 17), 0, -1), pa.float64())
    return _numpy(pc.cast(minute, pa.int64())).astype(np.float64) + _numpy(seconds)


#: the longest fraction of a second :func:`_fixed_width_times` reads (SS and 13 digits stay below 2**53)
_FIXED_FRACTION = 13


def _fixed_width_times(times: Any) -> Any:
    """:func:`_times` for the common case, from the string bytes (~10x faster than Arrow's regex and
    strptime): every value ``YYYY-MM-DDTHH:MM:SS[.f...]Z`` of one length, ASCII digits, a real date
    from the year 1, hour 00-23, minute and second 00-59, at most 13 fraction digits. None when a
    value is of another form: :func:`_times` decides. The seconds are ``SSf... / 10**k``, the
    correctly rounded quotient of two exact doubles: the same double as ``float("SS.f...")``."""
    import numpy as np
    import pyarrow as pa

    parts = times.chunks if isinstance(times, pa.ChunkedArray) else [times]
    if not parts or not all(pa.types.is_string(p.type) for p in parts):
        return None
    out = []
    for part in parts:
        n = len(part)
        if not n:
            continue
        offsets = np.frombuffer(part.buffers()[1], np.int32, count=n + 1, offset=part.offset * 4)
        first, width = int(offsets[0]), int(offsets[1] - offsets[0])
        if not (width == 20 or 22 <= width <= 21 + _FIXED_FRACTION) or int(offsets[-1]) - first != n * width:
            return None
        if n > 1 and not (np.diff(offsets) == width).all():
            return None
        b = np.frombuffer(part.buffers()[2], np.uint8, count=n * width, offset=first).reshape(n, width)
        punct = {4: 45, 7: 45, 10: 84, 13: 58, 16: 58, width - 1: 90}  # - - T : : Z
        if width > 20:
            punct[19] = 46  # .
        template = np.full(width, 48, np.uint8)  # "0" where a digit goes
        limit = np.full(width, 9, np.uint8)
        for col, byte in punct.items():
            template[col], limit[col] = byte, 0
        d8 = b - template  # per byte: its digit, 0 for the punctuation; anything else is above the limit
        if (d8 > limit).any():
            return None

        def number(rows: Any, a: int, b: int, kind: Any = np.int64) -> Any:  # the digits a..b-1 of ``rows``
            x = rows[:, a].astype(kind)
            for j in range(a + 1, b):
                if j not in punct:
                    x *= 10
                    x += rows[:, j]
            return x

        # the date arithmetic once per run of rows in the same minute (a log is in time order): a row's
        # first 16 bytes as two 8-byte words (~15x faster than comparing the bytes and any(axis=1))
        words = [np.ndarray((n,), np.uint64, d8, at, (width,)) for at in (0, 8)]
        moved = np.not_equal(words[0][1:], words[0][:-1])
        moved |= np.not_equal(words[1][1:], words[1][:-1])
        starts = np.concatenate(([0], np.flatnonzero(moved) + 1))
        heads = d8[starts]
        year, month, day = number(heads, 0, 4), number(heads, 5, 7), number(heads, 8, 10)
        hour, minute = number(heads, 11, 13), number(heads, 14, 16)
        if year.min() < 1 or month.min() < 1 or month.max() > 12 or day.min() < 1:
            return None
        if hour.max() > 23 or minute.max() > 59:
            return None
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        last = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month] + (leap & (month == 2))
        if (day > last).any():
            return None
        # days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
        y = year - (month <= 2)
        era = np.floor_divide(y, 400)
        yoe = y - era * 400
        doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
        days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
        epoch = np.repeat((days * 86400 + hour * 3600 + minute * 60).astype(np.float64), np.diff(starts, append=n))
        if int(d8[:, 17].max()) > 5:
            return None  # a second 60 or more
        k = width - 21 if width > 20 else 0
        scaled = number(d8, 17, 20 + k, np.int32 if k <= 7 else np.int64)  # (SS and 7 digits fit in an int32)
        out.append(epoch + scaled.astype(np.float64) / float(10**k))
    if not out:
        return np.zeros(0, np.float64)
    return out[0] if len(out) == 1 else np.concatenate(out)


def _contains(arr: Any, needle: bytes, anchor: int, np: Any, mask: Any = None) -> bool:
    """Whether ``needle`` occurs in the bytes ``arr`` (vectorised from the positions of its byte
    ``needle[anchor]``, which should be rare; ``mask``: where to write the comparison)."""
    pos = np.flatnonzero(np.equal(arr, needle[anchor], out=mask)) - anchor
    if not pos.size:
        return False
    pos = pos[(pos >= 0) & (pos + len(needle) <= arr.size)]
    for i, byte in enumerate(needle):
        if i != anchor:
            pos = pos[arr[pos + i] == byte]
            if not pos.size:
                return False
    return True


def _ascii_escapes(arr: Any, np: Any) -> bool:
    """Whether a ``\\u`` escape spells an ASCII character (a key such as ``"event"`` could be
    written with them) or a surrogate (the parsers differ on lone ones). Escapes of other
    characters (``json.dumps``' ``\\u00e9``) are read the same by both."""
    pos = np.flatnonzero(arr == 92)
    if not pos.size:
        return False
    pos = pos[pos + 5 < arr.size]
    pos = pos[arr[pos + 1] == 117]
    if not pos.size:
        return False
    h1, h2, h3 = arr[pos + 2], arr[pos + 3], arr[pos + 4]
    ascii_ = (h1 == 48) & (h2 == 48) & (h3 >= 48) & (h3 <= 55)
    surrogate = ((h1 == 100) | (h1 == 68)) & (((h2 >= 56) & (h2 <= 57)) | ((h2 | 32) >= 97) & ((h2 | 32) <= 102))
    return bool((ascii_ | surrogate).any())


def _escapes_of(arr: Any, word: bytes, np: Any, mask: Any = None) -> bool:
    """Whether a ``\\u00XX`` escape in the bytes ``arr`` spells one of the letters of ``word`` (a key
    written ``"\\u0072esourceSpans"``); escapes of other characters (Go's ``\\u003c``) do not count.
    ``mask``: where to write the comparison."""
    pos = np.flatnonzero(np.equal(arr, 92, out=mask))
    if not pos.size:
        return False
    pos = pos[pos + 5 < arr.size]
    pos = pos[(arr[pos + 1] == 117) & (arr[pos + 2] == 48) & (arr[pos + 3] == 48)]  # \u00
    if not pos.size:
        return False
    lut = np.full(256, -256, np.int64)  # a hex digit's value; anything else spells no letter
    for digits, first in ((b"0123456789", 0), (b"abcdef", 10), (b"ABCDEF", 10)):
        lut[np.frombuffer(digits, np.uint8)] = np.arange(first, first + len(digits))
    codes = lut[arr[pos + 4]] * 16 + lut[arr[pos + 5]]
    return bool(np.isin(codes, np.frombuffer(word, np.uint8)).any())


def _starts_with_time(arr: Any, starts: Any, np: Any) -> bool:
    """Every line starts with ``{"time": "`` or ``{"time":"``."""
    head = b'{"time":'
    if int(starts[-1]) + len(head) + 2 > arr.size:
        return False
    for i, byte in enumerate(head):
        if not (arr[starts + i] == byte).all():
            return False
    after = arr[starts + len(head)]
    spaced = after == 32
    quoted = np.where(spaced, arr[starts + len(head) + 1], after)
    return bool((quoted == 34).all())


def _labels(col: Any) -> tuple[Any, list[str]]:
    """A string column as (dictionary index per row, -1 for null; the dictionary)."""
    import numpy as np
    import pyarrow as pa
    from slotui.sources.kit import arrow_compute as pc

    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_null(col.type):
        return np.full(len(col), -1, np.int64), []
    encoded = pc.dictionary_encode(col)
    indices = _numpy(encoded.indices)  # (null: -1)
    return indices, encoded.dictionary.to_pylist()


class _SliceKeys:
    """The slice key of each of a chunk's times (``t // length``, Python's float floor division, as the
    per-record path's ``int(t // length)``), computed once per slice length for every series of the
    chunk (numpy's floor division costs ~15 ns a value), then the rows a series takes picked out."""

    __slots__ = ("t", "np", "keys")

    def __init__(self, t: Any, np: Any) -> None:
        self.t, self.np = t, np
        self.keys: dict[float, Any] = {}

    def of(self, length: float, keep: Any) -> Any:
        """The keys of the rows ``keep`` picks (a boolean mask; None: every row) for ``length``."""
        keys = self.keys.get(length)
        if keys is None:
            keys = self.keys[length] = self.np.floor_divide(self.t, length)
        return keys if keep is None else keys[keep]


def _group(definition: Any, chunk: "ChunkColumns", keep: Any, t: Any, v: Any, np: Any, slice_keys: _SliceKeys) -> None:
    """Add the rows taken by a series to its breakdowns (LabelGroups), as ``add_batch`` does:
    codes given to labels in the order they first appear."""
    for name, groups in definition.groups.items():
        indices, dictionary = chunk.labels[name]
        idx = indices[chunk.start:]
        if keep is not None:
            idx = idx[keep]
        if not idx.size:
            continue
        uniq, first = np.unique(idx, return_index=True)
        mapping = np.zeros(len(dictionary) + 1, np.uint32)  # the last slot: null (index -1)
        for u in uniq[np.argsort(first, kind="stable")].tolist():
            mapping[u] = groups._code(None if u < 0 else dictionary[u])
        codes = mapping[idx]
        keys = slice_keys.of(groups.length, keep)
        cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        bounds = [0, *cuts.tolist(), int(t.size)]
        from slotui.sources.kit.label_groups import _Slice

        ratio = groups.kind == "ratio"
        for a, b, key in zip(bounds, bounds[1:], keys[np.asarray(bounds[:-1])].tolist()):
            sl = groups.slices.get(int(key))
            fresh = sl is None
            if sl is None:
                sl = groups.slices[int(key)] = _Slice(groups._typecode)
            if ratio and (fresh or sl._counts is not None):
                # good/total per code kept up to date, as add_batch does: a window that reaches old
                # slices for the first time (a new fastest-burning tier) costs a step per slice
                run = codes[a:b]
                totals = np.bincount(run)
                goods = np.bincount(run, weights=v[a:b])
                seen = np.flatnonzero(totals)
                tally = {} if fresh else dict(sl._counts or {})
                for code, total, good in zip(seen.tolist(), totals[seen].tolist(), goods[seen].tolist()):
                    g0, t0 = tally.get(code, (0, 0))
                    tally[code] = (g0 + int(good), t0 + total)
                sl._counts = tally
                sl._parts = sl._sums = None
            else:
                sl._parts = sl._counts = sl._sums = None
            sl.times.frombytes(t[a:b].tobytes())
            sl.values.frombytes(v[a:b].tobytes())
            sl.codes.frombytes(codes[a:b].tobytes())


def _append(series: Any, t: Any, v: Any, attr: str, np: Any, keys: Any) -> None:
    """Append ``(t, v)`` to the slices of ``series`` in order, one run of equal slice ``keys`` (each
    time's ``t // series.length``: :class:`_SliceKeys`) at a time."""
    if not t.size:
        return
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    bounds = [0, *cuts.tolist(), int(t.size)]
    key_list = keys[np.asarray(bounds[:-1])].tolist()
    for a, b, key in zip(bounds, bounds[1:], key_list):
        sl = series.slice_for(int(key))
        sl.times.frombytes(t[a:b].tobytes())
        getattr(sl, attr).frombytes(v[a:b].tobytes())


def plan_columnar(book: "SeriesBook", derived: "DerivedFields") -> ColumnarPlan | None:
    """The columnar plan for ``book``'s series, or None when one of them is beyond it (or pyarrow
    is not installed)."""
    from slotui.sources.kit.series_book import _RatioDef

    numeric: set[str] = set()
    strings: set[str] = set()
    values: list[tuple[Any, str, _Derived | None]] = []
    ratios: list[tuple[Any, str, bool]] = []
    labels: set[str] = set()
    if not book._ordered:
        return None
    for d in book._ordered:
        for name in d.groups:
            if name in derived.texts or name in ("time", "evaluations") or name.startswith("evaluations."):
                return None
            labels.add(name)
        if isinstance(d, _RatioDef):
            if d.total is not None:
                return None
            m = _NULL_TEST.match(d.good.text)
            if not m or m.group(1) in _KEYWORDS or m.group(1) in derived.texts or m.group(1) == "time":
                return None
            strings.add(m.group(1))
            ratios.append((d, m.group(1), m.group(2) == "=="))
        else:
            if d.where is not None or d.value.field is None or d.value.field in _KEYWORDS:
                return None
            name = d.value.field
            form = _derived_of(derived, name)
            if form is None:
                return None
            raw = name if form is True else form.raw  # type: ignore[union-attr]
            if raw in ("time", "trace_id", "evaluations"):
                return None
            numeric.add(raw)
            values.append((d, name, None if form is True else form))  # type: ignore[arg-type]
    if numeric & strings or numeric & labels or any(n.startswith("evaluations.") for n in strings):
        return None
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
        import pyarrow.json  # noqa: F401
    except ImportError:
        return None
    return ColumnarPlan(book, numeric, strings, values, ratios, labels)
