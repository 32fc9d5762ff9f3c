"""The ``file`` source: request logs on disk, followed like ``tail -f``.

Formats: JSONL request records (SPEC section 8), OTLP/JSON lines of the
OpenTelemetry collector's file exporter, CSV with a column mapping, and
Parquet (``pyarrow``). ``format: auto`` picks CSV for
``.csv``/``.tsv``, Parquet for ``.parquet``/``.pq``, JSON lines otherwise (each
line is recognised as a record, an evaluation result or an OTLP export).

Following. The source remembers the byte offset it has read to, the file's
device and inode, and its first bytes (up to ``FINGERPRINT``). A fetch reads
only the bytes appended since. When the file at the path is not the one read
so far -- shorter than what was read (``copytruncate``, truncation to 0), or
its first bytes differ (``copytruncate`` followed by a rewrite longer than the
old offset, a same-size rewrite, ``mv`` + new file, deleted and recreated even
with a reused inode) -- the new file is read from its first byte and what was
read before is kept (the window's history survives rotation). Another inode
with the same first bytes is the same log moved or copied back: reading goes
on at the offset. A UTF-8 BOM before the first line is skipped. Parquet files
are re-read whole when their size or mtime changes.

Values. Lines with JSON's non-standard ``NaN``/``Infinity``/``-Infinity`` or
numbers beyond the double range are read (by the stdlib parser, after orjson
refuses them); what a value an SLI cannot use means is decided per SLI (see
:mod:`slotui.sources.kit.record_values`).

The last line without a newline. A file's last line may lack its newline
(the Azure trace has none) or be half-written by a process still appending.
Such a line is consumed when it parses completely, and remembered: when more
bytes arrive and they start with the newline, it was complete; when they
continue the line instead, its records are retracted and the whole line is
parsed again. A last line that does not parse is held, not counted, until a
newline ends it (then it is counted as malformed if it still does not
parse). Evaluation results on an unterminated last line wait for their
newline.

Evaluation results given as separate lines (``"event":
"gen_ai.evaluation.result"``) are joined to their request on ``trace_id``
in either order, as long as the request is among the last
``JOIN_MEMORY`` requests with a ``trace_id``; an evaluation whose request is
never seen counts as a record of its own at the evaluation's time.

Lines that start with their ``time`` (as the SPEC's records do) and are
older than the longest period or window of the source's SLOs before the
latest ``now`` are skipped without being parsed: a log of months costs what
its last period costs.

The first read of a large JSONL log (``COLUMNAR_MIN`` bytes and more) and
Parquet batches are read as typed columns where that gives exactly the
per-record answers (:mod:`slotui.sources.kit.columnar`; a chunk it refuses is
read record by record); appends are always read record by record. For JSONL of
``BULK_MIN`` bytes and more, the chunks' bytes are checked first (while DuckDB is
imported), DuckDB reads the needed fields of the whole file in one query whose
rows are taken as they come, and the checks decide which rows are taken; when
its query fails (a malformed line, a half-written last line) or its rows stop
matching the lines (a blank line), pyarrow's reader goes on from the first
chunk whose rows did not come.

A malformed line (not JSON, no readable time, wrong number of CSV fields) is
counted in ``SLIData.malformed`` and the first one is named in the note; it
never stops the source.
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.config.expressions import ExpressionError
from slotui.core.types import SLIData, SLOSpec
from slotui.sources.kit.base import SourceError
from slotui.sources.kit.records import (
    CSV_DELIMITERS,
    CsvParser,
    join_key,
    JsonLineParser,
    Malformed,
    OTHER_SIGNALS,
    TimeParser,
    fast_loads,
    lenient_loads,
    JSON_ERRORS,
    add_evaluations,
    time_value,
)
from slotui.sources.kit.series_book import DerivedFields, SeriesBook, SpecProblem, retention

if TYPE_CHECKING:
    from slotui.config.model import Defaults, FileSourceConfig

__all__ = ["FileSource", "JOIN_MEMORY"]

#: how many recent requests with a trace_id are remembered for joining evaluation results
JOIN_MEMORY = 20_000
#: bytes read and parsed per step
CHUNK = 8 * 1024 * 1024
#: appends larger than this are parsed in a worker thread
THREAD_THRESHOLD = 1024 * 1024
#: how many first bytes of the file recognise it (rotation and rewrite detection)
FINGERPRINT = 4096
BOM = b"\xef\xbb\xbf"
#: Parquet rows decoded and ingested per step
PARQUET_BATCH = 65_536
#: Parquet batches decoded (and made columns) ahead of the one going into the series (one worker thread)
PARQUET_AHEAD = 2
#: a first read of at least this many bytes tries the columnar reader (pyarrow; its import costs ~0.2 s)
COLUMNAR_MIN = 16 * 1024 * 1024
#: the longest line read, newline excluded (a longer one is counted malformed and skipped without
#: being held). Above DuckDB's own limit (maximum_object_size, 16 MiB by default): such a line makes
#: DuckDB's query fail, so the chunk readers below meet it and skip it the same way.
MAX_LINE_BYTES = 64 * 1024 * 1024
#: a first JSONL read of at least this many bytes has DuckDB read the file (its import costs ~0.1 s)
BULK_MIN = 16 * 1024 * 1024
#: chunks of a DuckDB first read made columns ahead of the one going into the series (two worker threads)
BULK_AHEAD = 4
#: rows of DuckDB's answer per record batch pulled (about one 8 MB chunk of a request log)
BULK_BATCH = 16384
#: how far DuckDB's query may run ahead of the rows taken (its streaming_buffer_size)
BULK_BUFFER = "512MB"
#: chunks a columnar first read parses ahead of the one going into the series (two worker threads)
COLUMNAR_AHEAD = 2

Record = dict[str, Any]


def _line_at(data: bytes | memoryview, index: int) -> bytes:
    """Line ``index`` (0-based) of ``data``."""
    data = bytes(data)
    start = 0
    for _ in range(index):
        start = data.index(b"\n", start) + 1
    return data[start:data.index(b"\n", start)]


def _complete_lines(carry: bytes, data: bytes) -> tuple[bytes | None, bytes]:
    """The complete lines of ``carry + data`` (None when there is no newline yet) and what
    follows the last newline, copying the bytes at most once (a chunk is 8 MB)."""
    cut = data.rfind(b"\n")
    if cut < 0:
        return None, carry + data
    if not carry and cut == len(data) - 1:
        return data, b""
    return b"".join((carry, memoryview(data)[: cut + 1])), data[cut + 1 :]


class _BulkRows:
    """DuckDB's answer to a bulk read, pulled in record batches as the chunks need its rows: the query
    runs ahead of the rows taken (up to :data:`BULK_BUFFER`), so the series fill while it reads on."""

    __slots__ = ("reader", "batches", "held")

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.batches: deque[Any] = deque()
        self.held = 0  # rows in ``batches``

    @classmethod
    def start(cls, con: Any, sql: str) -> "_BulkRows | None":
        """The answer to ``sql`` as it comes; None when the query fails at once (a schema it refuses)."""
        import duckdb

        try:
            return cls(con.sql(sql).to_arrow_reader(BULK_BATCH))
        except duckdb.Error:
            return None

    def take(self, n: int) -> Any:
        """The next ``n`` rows as an Arrow table; None when the answer ends or fails before them (a
        malformed line, a half-written last line: the rows before it come first, in file order)."""
        import duckdb
        import pyarrow as pa

        while self.held < n:
            try:
                batch = self.reader.read_next_batch()
            except StopIteration:
                return None
            except (duckdb.Error, pa.ArrowException, OSError):  # (DuckDB's error, as pyarrow passes it on)
                return None
            self.batches.append(batch)
            self.held += batch.num_rows
        parts = []
        while n:
            batch = self.batches[0]
            if batch.num_rows <= n:
                parts.append(self.batches.popleft())
                n -= batch.num_rows
                self.held -= batch.num_rows
            else:
                parts.append(batch.slice(0, n))
                self.batches[0] = batch.slice(n)
                self.held -= n
                n = 0
        return pa.Table.from_batches(parts, schema=self.reader.schema)


def _bulk_bounds(fd: int, size: int) -> list[tuple[int, int]]:
    """The chunks ``[start, end)`` of the complete lines of the first ``size`` bytes of ``fd``: each
    from a line start to the last line end before the next CHUNK boundary (a line longer than a
    chunk makes its chunk longer); the bytes after the last newline are left (a half-written last
    line). Reads each chunk's last 64 KB only (all of it when no newline is there)."""
    bounds: list[tuple[int, int]] = []
    pos = edge = 0
    while pos < size:
        edge = min(edge + CHUNK, size)
        at = max(pos, edge - 65536)
        try:
            read = os.pread(fd, edge - at, at)
            cut = read.rfind(b"\n")
            if cut < 0 and at > pos:
                at, read = pos, os.pread(fd, edge - pos, pos)
                cut = read.rfind(b"\n")
        except OSError:
            break
        if cut < 0:
            if edge == size or len(read) < edge - at:
                break  # (a half-written last line, or the file shrank: read on from _offset)
            continue  # a line longer than a chunk (DuckDB takes at most 16 MB)
        bounds.append((pos, at + cut + 1))
        pos = at + cut + 1
    return bounds


class _FileLines:
    """The complete lines ``[start, end)`` of an open file, read when asked for (``bytes()``): a chunk
    of a DuckDB first read whose rows were taken is held (for the requests remembered for joins)
    without its bytes."""

    __slots__ = ("fd", "start", "end")

    def __init__(self, fd: int, start: int, end: int) -> None:
        self.fd, self.start, self.end = fd, start, end

    def __len__(self) -> int:
        return self.end - self.start

    def __bytes__(self) -> bytes:
        data = os.pread(self.fd, self.end - self.start, self.start)
        if len(data) != self.end - self.start:
            raise OSError(f"{len(data)} bytes where {self.end - self.start} were")  # (the file shrank)
        return data


#: a bulk worker's own buffers, reused chunk after chunk (fresh 8 MB ones cost page faults)
_BULK_SCRATCH = threading.local()
#: bytes of a chunk a bulk worker checks at a time (its complete lines): the comparisons, positions and
#: regex scans of a piece read it from the cache, not memory (the whole 8 MB chunk at once: ~10% more CPU)
BULK_PIECE = 4 * 1024 * 1024


def _bulk_check(fd: int, start: int, end: int) -> tuple[str, int, bool]:
    """In a worker thread: :func:`~slotui.sources.kit.columnar.bulk_lines`' verdict on the chunk
    ``[start, end)``, read into the thread's own buffer piece by piece (each piece complete lines,
    at most :data:`BULK_PIECE` bytes unless one line is longer; numpy releases the GIL for most of it).
    The pieces' verdicts make the chunk's: no line spans two pieces, and every check is of lines."""
    import numpy as np

    from slotui.sources.kit.columnar import BULK_RECORDS, BULK_STOP, BULK_TAKE, bulk_lines

    verdict, lines, timed = BULK_TAKE, 0, True
    pos, limit = start, BULK_PIECE
    while pos < end:
        size = min(limit, end - pos)
        buf = getattr(_BULK_SCRATCH, "buf", None)
        if buf is None or len(buf) < size:
            buf = _BULK_SCRATCH.buf = bytearray(max(size, BULK_PIECE))
            _BULK_SCRATCH.mask = np.empty(len(buf), np.bool_)
        view = memoryview(buf)[:size]
        try:
            if os.preadv(fd, [view], pos) != size:
                return BULK_STOP, 0, False  # (the file shrank)
        except OSError:
            return BULK_STOP, 0, False
        cut = buf.rfind(b"\n", 0, size) + 1
        if not cut:
            if size == end - pos:
                return BULK_STOP, 0, False  # (no newline where the chunk ended: the file changed)
            limit = end - pos  # a line longer than a piece: the rest of the chunk at once
            continue
        piece = bulk_lines(view[:cut], _BULK_SCRATCH.mask)
        lines += piece[1]
        if piece[0] == BULK_STOP:
            return BULK_STOP, lines, False
        if piece[0] == BULK_RECORDS:
            verdict = BULK_RECORDS
        timed = timed and piece[2]
        pos += cut
    return verdict, lines, timed


def _bulk_chunk(plan: Any, table: Any, fd: int, start: int, end: int, checked: tuple[str, int, bool]
                ) -> tuple[Any, _FileLines]:
    """In a worker thread: the chunk ``[start, end)`` (its bytes read when needed) and its columns
    from ``table``, its rows of DuckDB's answer (:meth:`ColumnarPlan.from_rows`: None unless the
    verdict ``checked``, :func:`_bulk_check`'s, takes them)."""
    from slotui.sources.kit.columnar import BULK_TAKE

    verdict, lines, timed = checked
    data = _FileLines(fd, start, end)
    return (plan.from_rows(data, table, lines, timed) if verdict == BULK_TAKE else None), data


#: traced lines at most this many lines apart are remembered for joins as one run (the lines between too)
_REMEMBER_GAP = 8

#: the end of the first malformed line's reason once its file was rotated away (its line number is of that file)
_BEFORE_ROTATION = " (in the file before its rotation)"


def _detect_format(path: Path, configured: str) -> str:
    if configured != "auto":
        return "jsonl" if configured == "otlp" else configured
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "jsonl"



def _file_kind(mode: int) -> str:
    """What a path that is not a regular file is, in words (``a directory``, ``a FIFO``...)."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a special file"

def _decimals_as_floats(table: Any) -> Any:
    """``table`` with its decimal columns (and decimal fields of structs and lists) as float64: a
    cost exported as ``decimal(38, 18)`` is a number to every SLI, not a Decimal object none can use;
    and its duration columns as float64 seconds."""
    import pyarrow as pa

    def plain(kind: Any) -> Any:
        if pa.types.is_decimal(kind):
            return pa.float64()
        if pa.types.is_struct(kind):
            return pa.struct([f.with_type(plain(f.type)) for f in kind])
        if pa.types.is_list(kind):
            return pa.list_(kind.value_field.with_type(plain(kind.value_type)))
        if pa.types.is_large_list(kind):
            return pa.large_list(kind.value_field.with_type(plain(kind.value_type)))
        return kind

    schema = pa.schema([f.with_type(plain(f.type)) for f in table.schema])
    table = table if schema.equals(table.schema) else table.cast(schema)
    # a duration column (pandas' timedelta64, Spark's interval) as seconds: "timedelta, not a number" before
    for i, field in enumerate(table.schema):
        if pa.types.is_duration(field.type):
            from slotui.sources.kit import arrow_compute as pc

            from slotui.sources.kit.arrow_values import arrow_float  # (a Python float there imports pandas)

            per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[field.type.unit]
            seconds = pc.divide(pc.cast(pc.cast(table.column(i), pa.int64()), pa.float64()), arrow_float(per_second))
            table = table.set_column(i, field.with_type(pa.float64()), seconds)
    return table


class FileSource:
    """Request-log file as an SLI source (see the module docstring for the rules)."""

    def __init__(
        self, name: str, config: "FileSourceConfig", *, base_dir: Path | str = ".", defaults: "Defaults | None" = None
    ) -> None:
        self.name = name
        self.config = config
        path = Path(os.path.expanduser(config.path))
        self.path = path if path.is_absolute() else Path(base_dir) / path
        self.format = _detect_format(self.path, config.format)
        self.follow = config.follow
        time_field = config.time_field
        columns = dict(config.columns)
        self._time_of = TimeParser(config.timezone, config.time_format)
        try:
            self.derived = DerivedFields(dict(config.fields))
        except ExpressionError as exc:
            raise SourceError(f"source {name}: {exc}", retryable=False) from None
        self._time_field = time_field
        self._json = JsonLineParser(self._time_of, time_field, columns)
        tab_first = self.path.suffix.lower() == ".tsv"
        self._csv = CsvParser(self._time_of, time_field, columns,
                              delimiters=("\t", ",", ";", "|") if tab_first else CSV_DELIMITERS)
        self._fast_json = time_field == "time" and not columns
        self.book = SeriesBook(self.derived.inputs)
        self._problems: dict[str, str] = {}
        self._async_lock = asyncio.Lock()
        self._lock = threading.Lock()
        self._reset_state()
        #: bytes read from disk in total (tests assert that appends read only new bytes)
        self.bytes_read = 0
        self._max_now = float("-inf")
        #: records older than this can no longer count (the longest period or window before the latest now)
        self._cutoff: float | None = None
        #: lines skipped unparsed because their time was before the cutoff
        self.skipped = 0
        self._skipping = False
        #: records of a remember-only parse (the columnar first read rebuilding the join memory)
        self._capture: list[Record] | None = None
        #: chunks the columnar first read took (tests compare it with the per-record path)
        self.columnar_chunks = 0
        #: False: always the per-record path (tests, and the bench's comparison)
        self.columnar = True
        #: False: the columnar first read of JSONL never uses DuckDB (tests compare both readers)
        self.bulk = True
        #: chunks whose columns DuckDB read (a part of columnar_chunks)
        self.bulk_chunks = 0

    # ----------------------------------------------------------------- state

    def _reset_state(self) -> None:
        self._offset = 0  # consumed up to here (start of an unterminated last line)
        self._line_no = 0  # complete lines consumed
        self._identity: tuple[int, int] | None = None
        self._size = 0
        self._fingerprint = b""  # the first bytes of the file read (up to FINGERPRINT), to recognise it
        self._mtime_ns = 0
        self._tail: tuple[int, list[Record]] | None = None  # (byte length, records) of a consumed unterminated line
        self._held: str | None = None  # why an unterminated last line is held
        self.malformed = 0
        self._first_malformed: tuple[int, str] | None = None  # (line number, reason)
        # requests with a trace_id, for joining evaluation results: a cheap bounded deque until
        # the first evaluation result arrives, then a map kept up to date
        self._recent: deque[tuple[Any, Record]] = deque(maxlen=JOIN_MEMORY)
        # lines (and their first line number) read as columns whose requests belong before _recent:
        # parsed into it when a join first needs it (most logs never have evaluation results)
        self._recent_lines: list[tuple[list[bytes], int]] = []
        self._traces: OrderedDict[Any, Record] = OrderedDict()
        self._traces_live = False
        self._eval_only: set[Any] = set()
        self._csv.reset()
        self.records = 0
        #: times the file at the path was found rotated, truncated or replaced (history kept)
        self.rotations = 0

    def _restart(self) -> None:
        self._reset_state()
        self.book.clear()

    # ----------------------------------------------------------------- protocol

    async def fetch(self, slos: Sequence[SLOSpec], now: float) -> Mapping[str, SLIData]:
        """Read what was appended, then answer every SLO as of ``now``.

        Raises :class:`SourceError` when the file is missing or unreadable.
        """
        async with self._async_lock:
            pending = self._pending_bytes()
            if pending > THREAD_THRESHOLD:
                return await asyncio.to_thread(self.fetch_sync, slos, now)
            return self.fetch_sync(slos, now)

    async def aclose(self) -> None:
        """Nothing stays open between fetches."""

    def _pending_bytes(self) -> int:
        try:
            st = os.stat(self.path)
        except OSError:
            return 0
        if not stat.S_ISREG(st.st_mode):
            return 0  # refused by _update
        if self._identity != (st.st_dev, st.st_ino) or st.st_size < self._offset:
            return st.st_size
        return st.st_size - self._offset

    # ----------------------------------------------------------------- synchronous core

    def fetch_sync(self, slos: Sequence[SLOSpec], now: float) -> dict[str, SLIData]:
        """:meth:`fetch` without the event loop (benchmarks, tests, threads)."""
        with self._lock:
            new_series = False
            self._problems = {}
            for spec in slos:
                if self.book.has(spec):
                    continue
                try:
                    self.book.add_spec(spec)
                    new_series = True
                except SpecProblem as exc:
                    self._problems[spec.name] = str(exc)
            if new_series and (self._offset or self._tail):
                self._restart()  # a new series needs the records read before: read again
            self._max_now = max(self._max_now, now)
            keep = retention(slos)
            self._cutoff = self._max_now - keep if keep > 0 else None
            self._update()
            if self._cutoff is not None:
                self.book.prune(self._cutoff)
            note = self._note()
            out: dict[str, SLIData] = {}
            for spec in slos:
                problem = self._problems.get(spec.name)
                if problem is not None:
                    out[spec.name] = SLIData(error=problem, malformed=self.malformed, note=note)
                    continue
                out[spec.name] = self.book.answer(spec, now, malformed=self.malformed, note=note)
            return out

    # ----------------------------------------------------------------- replay (SPEC 10.3)

    def replay_whole(self, spec: SLOSpec, start: float, end: float) -> list | None:
        """The whole slices (threshold) or buckets (ratio) of ``spec`` with a start in ``[start, end)``
        from the records read so far (a replay reads the file once, with :meth:`fetch_sync` at its
        first step); None for an SLO the file cannot answer (it is fetched at every step)."""
        with self._lock:
            if spec.name in self._problems or not self.book.has(spec) or spec.breakdown:
                return None
            return self.book.whole(spec, start, end)

    def replay_step(self, spec: SLOSpec, now: float) -> SLIData:
        """The answer at ``now`` of an SLO :meth:`replay_whole` took, from the records read so far
        (the file is not read again), with the slice holding ``now`` only (see
        :meth:`slotui.sources.kit.series_book.SeriesBook.answer`)."""
        with self._lock:
            return self.book.answer(spec, now, step=True, malformed=self.malformed, note=self._note())

    def _note(self) -> str | None:
        parts = []
        if self._first_malformed:
            line_no, reason = self._first_malformed
            parts.append(f"first malformed line: line {line_no}: {reason}")
        if self._held:
            parts.append(self._held)
        return "; ".join(parts) or None

    def _update(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise SourceError(f"{self.path}: file not found") from None
        except OSError as exc:
            raise SourceError(f"{self.path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(st.st_mode):
            # reading /dev/zero never ends and opening a FIFO waits for a writer: the check hung
            raise SourceError(f"{self.path}: {_file_kind(st.st_mode)}, not a regular file; the file source reads "
                              "request logs (a file on disk)")
        identity = (st.st_dev, st.st_ino)
        if self.format == "parquet":
            if (st.st_size, st.st_mtime_ns) != (self._size, self._mtime_ns) or self._identity != identity:
                self._restart()
                self._read_parquet()
            self._identity, self._size, self._mtime_ns = identity, st.st_size, st.st_mtime_ns
            return
        if self._identity is not None and not self.follow:
            if (identity, st.st_size, st.st_mtime_ns) == (self._identity, self._size, self._mtime_ns):
                return
            # follow: false is "re-read instead of following": the file changed, read it whole again
            # (it never went stale after the first read while the file was rewritten)
            self._restart()
        unchanged = identity == self._identity and (st.st_size, st.st_mtime_ns) == (self._size, self._mtime_ns)
        if unchanged and not self._fingerprint:
            return
        try:
            with open(self.path, "rb") as fh:
                if self._identity is not None and self._is_rotated(fh, identity, st.st_size):
                    self._rotate()  # (a same-size rewrite in the same clock tick has the same mtime)
                elif unchanged:
                    return  # unchanged since the last read
                self._identity = identity
                self._mtime_ns = st.st_mtime_ns
                # old lines are skipped unparsed at the head of the file only: a full read parses an old
                # line appended after newer ones (a broken one is malformed), so an append must too
                self._skipping = self._cutoff is not None and self._offset == 0 and self._tail is None
                if self._offset == 0 and self._tail is None:
                    head = fh.read(3)
                    if head == BOM:
                        self._offset = 3  # a UTF-8 byte order mark is not part of the first line
                    elif head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # (every line was malformed, shown as gibberish)
                        raise SourceError(f"{self.path}: UTF-16 text (it starts with a UTF-16 byte order mark); the "
                                          "file source reads UTF-8: convert it (iconv -f UTF-16 -t UTF-8)")
                fh.seek(self._offset)
                self._read_from(fh)
                self._size = max(st.st_size, fh.tell())
                if len(self._fingerprint) < min(FINGERPRINT, self._size):
                    fh.seek(0)
                    self._fingerprint = fh.read(FINGERPRINT)
        except OSError as exc:
            raise SourceError(f"{self.path}: {exc.strerror or exc}") from None

    def _is_rotated(self, fh: Any, identity: tuple[int, int], size: int) -> bool:
        """Whether the file now at the path is not the one read so far.

        Shorter than what was read: truncated (``copytruncate``, ``: > file``). First bytes
        different from the ones read: rewritten or replaced (``copytruncate`` followed by more
        than was read before, a same-size rewrite, ``mv`` + new file, deleted and recreated with a
        reused inode). Another inode with the same first bytes is the same log moved or copied
        (an editor's save, ``cp`` back): reading goes on at the offset.
        """
        if size < self._size or size < self._offset:
            return True
        fingerprint = self._fingerprint
        if fingerprint:
            return fh.read(len(fingerprint)) != fingerprint
        return identity != self._identity and self._offset > 0

    def _rotate(self) -> None:
        """Start reading the file at the path from its first byte, keeping what was read before:
        records of the rotated file stay in the series (the window's history is not lost)."""
        self._offset = 0
        self._line_no = 0
        self._size = 0
        self._tail = None
        self._held = None
        self._fingerprint = b""
        self._csv.reset()
        self.rotations += 1
        if self._first_malformed is not None and not self._first_malformed[1].endswith(_BEFORE_ROTATION):
            line_no, reason = self._first_malformed  # its line number is of the file that was rotated away
            self._first_malformed = (line_no, reason + _BEFORE_ROTATION)

    def _read_from(self, fh: Any) -> None:
        plan = self._columnar_plan(fh)
        if plan is None:
            self._read_chunks(fh, None)
            return
        from concurrent.futures import ThreadPoolExecutor

        # the next COLUMNAR_AHEAD chunks are parsed in two workers (pyarrow and numpy release the GIL)
        # while chunk k goes into the series
        with ThreadPoolExecutor(2, thread_name_prefix="slotui-columnar") as pool:
            if self._bulk_wanted(fh) and not self._read_bulk(fh, plan):
                plan = None  # an evaluation result was joined: the rest record by record
            self._read_chunks(fh, (plan, pool) if plan is not None else None)

    def _read_chunks(self, fh: Any, columnar: Any) -> None:
        carry = b""
        first = True
        plan, pool = columnar if columnar is not None else (None, None)
        kept: list[tuple[Any, int]] = []
        pending: deque[tuple[bytes, Any]] = deque()  # (complete lines, their columns being read), in file order
        #: bytes of a line longer than MAX_LINE_BYTES read so far (not kept); None when not in one
        skipping: int | None = None
        while True:
            chunk = fh.read(CHUNK)
            self.bytes_read += len(chunk)
            cut = chunk.find(b"\n")
            if skipping is None and chunk and len(carry) + (cut if cut >= 0 else len(chunk)) > MAX_LINE_BYTES:
                skipping, carry = len(carry), b""  # a 300 MB line held 1.3 GB: skipped, never held
            if skipping is not None and chunk:
                if cut < 0:
                    skipping += len(chunk)
                    continue
                # the lines before it first, so line numbers and offsets stay in order
                plan = self._settle_pending(plan, pending, 0, kept)
                skipping += cut + 1
                self._line_no += 1
                self._bad(self._line_no, f"a line of {skipping:,} bytes, longer than the "
                                         f"{MAX_LINE_BYTES // (1024 * 1024)} MiB a request log line may be: skipped")
                self._offset += skipping
                skipping = None
                chunk = chunk[cut + 1:]
                if not chunk:
                    continue
            if first:
                first = False
                if self._tail is not None:
                    length, tail_records = self._tail
                    data = chunk
                    while len(data) <= length:  # need the byte after the tail line
                        more = fh.read(CHUNK)
                        self.bytes_read += len(more)
                        if not more:
                            break
                        data += more
                    chunk = data
                    if len(chunk) <= length:
                        return  # nothing new after the consumed last line
                    nxt = chunk[length : length + 2]
                    # a JSON line is read again whole once its newline came: its request is then
                    # remembered for evaluation results (joined on trace_id) as every other line's
                    if self.format == "csv" and (nxt[:1] == b"\n" or nxt == b"\r\n"):
                        skip = length + (1 if nxt[:1] == b"\n" else 2)
                        self._offset += skip
                        self._line_no += 1
                        chunk = chunk[skip:]
                    else:
                        for record in tail_records:  # the line went on: parse it again whole
                            self._retract_record(record)
                    self._tail = None
                self._held = None
            if not chunk:
                break
            complete, carry = _complete_lines(carry, chunk)
            if complete is None:
                continue
            if plan is not None and self.format == "csv" and self._csv.header is None:
                header = complete.index(b"\n") + 1  # the header row, as ever (then the rows as columns)
                self._consume(complete[:header])
                self._offset += header
                complete = complete[header:]
                if not complete:
                    continue
            if plan is not None:
                if self.format == "csv":
                    future = pool.submit(plan.read_csv, complete, tuple(self._csv.header or ()), self._csv.delimiter)
                else:
                    future = pool.submit(plan.read, complete)
                pending.append((complete, future))
                plan = self._settle_pending(plan, pending, COLUMNAR_AHEAD, kept)
                continue
            self._consume(complete)
            self._offset += len(complete)
        plan = self._settle_pending(plan, pending, 0, kept)
        if plan is not None:
            self._columnar_remember(kept)
        if carry:
            self._consume_tail(carry)

    # ----------------------------------------------------------------- the columnar first read

    def _columnar_plan(self, fh: Any) -> Any:
        """A columnar plan for a large first read (:mod:`slotui.sources.kit.columnar`), or None."""
        csv = self.format == "csv" and self._csv.time_field == "time"
        if (not self.columnar or not (self.format == "jsonl" and self._fast_json or csv) or self._tail is not None
                or self.config.time_format is not None
                or self._line_no or self.records or self.malformed or self._recent or self._recent_lines or self._traces_live
                or self._eval_only or self._capture is not None):
            return None
        try:
            if os.fstat(fh.fileno()).st_size - self._offset < COLUMNAR_MIN:
                return None
        except OSError:
            return None
        from slotui.sources.kit.columnar import plan_columnar  # pyarrow: only for large first reads

        return plan_columnar(self.book, self.derived)

    def _bulk_wanted(self, fh: Any) -> bool:
        """Whether DuckDB should read this first read of a JSONL log (large, from its first byte,
        DuckDB installed, the file reachable by DuckDB as the very file open here)."""
        if not self.bulk or self.format != "jsonl" or self._offset != 0:
            return False
        try:
            if os.fstat(fh.fileno()).st_size < BULK_MIN or not os.path.exists(f"/proc/self/fd/{fh.fileno()}"):
                return False
        except OSError:
            return False
        from importlib.util import find_spec

        return find_spec("duckdb") is not None  # (imported by _read_bulk, beside the byte checks)

    def _read_bulk(self, fh: Any, plan: Any) -> bool:
        """The first read by DuckDB (:meth:`ColumnarPlan.bulk_sql`). First the file's bytes are
        checked chunk by chunk (:func:`~slotui.sources.kit.columnar.bulk_lines`, in two worker
        threads: numpy releases the GIL) while this thread imports DuckDB; then the whole file is
        read in one query (DuckDB's threads; the byte checks beside it slowed it more than they
        took), its rows pulled as they come (:class:`_BulkRows`): chunk by chunk the rows of each
        chunk whose bytes passed are taken into the series as columns (made columns in the workers,
        a few chunks ahead) while the query reads on, or its lines are read record by record.
        Leaves ``fh`` where the lines not taken start (at the first chunk whose rows cannot be
        matched to its lines, or that DuckDB's answer did not reach before it failed -- a malformed
        line, a half-written last line; else after the last complete line); False when an
        evaluation result was joined (the rest is read record by record)."""
        from concurrent.futures import ThreadPoolExecutor

        from slotui.sources.kit.columnar import BULK_STOP

        fd = fh.fileno()
        try:
            size = os.fstat(fd).st_size
        except OSError:
            return True  # nothing taken: the columnar reader reads the file
        # each chunk from a line start to the last line end before the next CHUNK boundary. Not
        # mmap: a copytruncate rotation during the read would make a mapped page fault (SIGBUS).
        bounds = _bulk_bounds(fd, size)
        with ThreadPoolExecutor(2, thread_name_prefix="slotui-bulk") as workers:
            checking = [workers.submit(_bulk_check, fd, a, b) for a, b in bounds]
            try:
                import duckdb
            except ImportError:
                for future in checking:
                    future.cancel()
                return True  # nothing taken: the columnar reader reads the file
            sql = plan.bulk_sql(f"/proc/self/fd/{fd}")
            checked = [future.result() for future in checking]
            con = duckdb.connect()
            try:
                con.sql("SET enable_progress_bar = false")  # (a bar on stdout would cross the TUI)
                con.sql(f"SET streaming_buffer_size = '{BULK_BUFFER}'")
                rows = _BulkRows.start(con, sql)
                if rows is None:
                    return True  # nothing taken: the columnar reader reads the file
                kept: list[tuple[Any, int]] = []
                # the chunks up to the first whose rows cannot be matched to its lines (none from it on is
                # taken), each with its rows of DuckDB's answer (none once the answer ended or failed)
                todo = next((i for i, (verdict, _, _) in enumerate(checked) if verdict == BULK_STOP), len(bounds))
                pending: deque[Any] = deque()
                nxt = 0
                while nxt < todo or pending:
                    while nxt < todo and len(pending) < BULK_AHEAD:
                        table = rows.take(checked[nxt][1])
                        if table is None:
                            todo = nxt  # DuckDB failed (or its rows ran short) here: the columnar reader reads on
                            break
                        pending.append(workers.submit(_bulk_chunk, plan, table, fd, *bounds[nxt], checked[nxt]))
                        nxt += 1
                    if not pending:
                        break
                    chunk, data = pending.popleft().result()
                    settled = self._settle_bulk(plan, data, chunk, kept)
                    if settled is not None:
                        self.bytes_read += len(data)  # (None: not taken; the columnar reader reads it)
                    if settled is not True:
                        for other in pending:
                            other.cancel()
                        fh.seek(self._offset)
                        return settled is None  # False: joined; None: the columnar reader reads on
            finally:
                con.close()
        self._columnar_remember(kept)
        fh.seek(self._offset)
        return True

    def _settle_bulk(self, plan: Any, data: Any, chunk: Any, kept: list[tuple[Any, int]]) -> bool | None:
        """Take ``data`` (complete lines) as the ``chunk`` of columns made from its rows of DuckDB's
        answer (:func:`_bulk_chunk`), else record by record. True: go on; None: its lines are gone
        (the file shrank: nothing taken); False: an evaluation result was joined."""
        if chunk is not None and self._consume_columnar(plan, data, chunk, kept):
            self._offset += len(data)
            self.bulk_chunks += 1
            return True
        self._columnar_remember(kept)
        try:
            lines_read = bytes(data)
        except OSError:
            return None  # (the file shrank under the read: the columnar reader reads on, and meets it)
        self._consume(lines_read)
        self._offset += len(data)
        return False if self._eval_only or self._traces_live else True

    def _settle_pending(self, plan: Any, pending: "deque[tuple[bytes, Any]]", keep: int,
                        kept: list[tuple[Any, int]]) -> Any:
        """Take the oldest ``pending`` chunks (:meth:`_settle`) until ``keep`` are left; the plan to go
        on with: None once an evaluation result was joined (requests are then joined record by record:
        the chunks still pending are read so, in order, and none is pending after)."""
        while plan is not None and len(pending) > keep:
            self._settle(plan, *pending.popleft(), kept)
            if self._eval_only or self._traces_live:
                plan = None
        if plan is None:
            while pending:
                data, future = pending.popleft()
                future.cancel()
                self._consume(data)
                self._offset += len(data)
        return plan

    def _settle(self, plan: Any, data: bytes, future: Any, kept: list[tuple[Any, int]]) -> bool:
        """Take ``data`` (complete lines) as the columns ``future`` read, or record by record when
        they were refused (then False)."""
        if self._consume_columnar(plan, data, future.result(), kept):
            self._offset += len(data)
            return True
        self._columnar_remember(kept)
        self._consume(data)
        self._offset += len(data)
        return False

    def _consume_columnar(self, plan: Any, data: bytes, chunk: Any, kept: list[tuple[Any, int]]) -> bool:
        """Take complete lines as columns; False (nothing changed) when the per-record path must."""
        csv = self.format == "csv"  # (CSV rows are never skipped unparsed, nor joined)
        if csv and self._csv.open_row:
            return False  # these lines go on a row begun before (a quoted field with newlines)
        if chunk is None or not chunk.skip_before(self._cutoff if self._skipping and not csv else None):
            return False
        if not plan.tells_seen(chunk):
            return False  # no value for a field not seen yet: whether a record has it, record by record
        base = self._line_no
        if chunk.start < chunk.lines and self.book.sample_fields is None:
            # the first record taken names the fields (SeriesBook.sample_fields), parsed as ever
            try:
                line = _line_at(data, chunk.start)
            except OSError:
                return False  # (the file shrank under the read)
            sample = self._records_of([line], base + chunk.start, remember=False)
            if len(sample) != 1:
                return False
            record = sample[0]
            if any(d.seen is not None and name not in record for d, name, _ in plan.values):
                return False  # the "unknown field" answer depends on sampling: the per-record path
            from slotui.sources.kit.series_book import _field_names

            self.book.sample_fields = sorted(_field_names(record))
        self.records += plan.ingest(chunk)
        self.skipped += chunk.start
        if chunk.start < chunk.lines:
            self._skipping = False
        self._line_no += chunk.lines
        self.columnar_chunks += 1
        if csv:
            return True
        if not chunk.traced[chunk.start:].any():
            return True  # no request of it can be joined: nothing to remember (a log without trace_id)
        kept.append((chunk, base))
        traced = [int(c.traced[c.start:].sum()) for c, _ in kept]
        while len(kept) > 1 and sum(traced[1:]) >= JOIN_MEMORY:
            kept.pop(0)
            traced.pop(0)
        return True

    def _columnar_remember(self, kept: list[tuple[Any, int]]) -> None:
        """Remember the last JOIN_MEMORY requests with a trace_id the columnar read took, as the
        per-record path does (for evaluation results arriving later): their lines parsed again,
        those lines only (a line without a trace_id is remembered by neither path)."""
        import numpy as np

        need = JOIN_MEMORY
        first = len(kept)
        row0 = 0
        for i in range(len(kept) - 1, -1, -1):
            chunk, _ = kept[i]
            rows = (chunk.traced[chunk.start:].nonzero()[0] + chunk.start).tolist() if need else []
            first = i
            if len(rows) >= need:
                row0 = rows[-need] if need else chunk.lines
                break
            need -= len(rows)
            row0 = chunk.start
        parts = []
        for i in range(first, len(kept)):
            chunk, base = kept[i]
            start = row0 if i == first else chunk.start
            rows = np.flatnonzero(chunk.traced[start:chunk.lines]) + start
            if not rows.size:
                continue
            try:
                lines = bytes(chunk.data).split(b"\n")  # (a view, or the lines in the file)
            except OSError:
                continue  # (the file shrank under the read: those lines are gone)
            # runs of traced lines with the line number of each run's first (a few lines without a
            # trace_id between two traced ones go along, parsed and not remembered, as before: one
            # run per chunk for a log that traces some requests, not one per line)
            for run in np.split(rows, np.flatnonzero(np.diff(rows) > _REMEMBER_GAP) + 1):
                a, b = int(run[0]), int(run[-1]) + 1
                parts.append((lines[a:b], base + a))
        kept.clear()
        if not self._recent:
            self._recent_lines.extend(parts)  # the oldest requests remembered: parsed when needed
            return
        # requests read record by record (a refused chunk) came before these: keep the order now
        if self._recent_lines:
            self._parse_recent_lines()
        skipping, self._skipping = self._skipping, False
        try:
            for lines, base in parts:
                self._records_of(lines, base, remember=True)
        finally:
            self._skipping = skipping

    def _parse_recent_lines(self) -> None:
        """Put the requests of the lines the columnar read left for joins before ``_recent``."""
        pending, self._recent_lines = self._recent_lines, []
        later = list(self._recent)
        self._recent.clear()
        skipping, self._skipping = self._skipping, False  # they were taken: no old-line skip now
        try:
            for lines, base in pending:
                self._records_of(lines, base, remember=True)
        finally:
            self._skipping = skipping
        self._recent.extend(later)

    def _records_of(self, lines: list[bytes], base: int, *, remember: bool) -> list[Record]:
        """The records of ``lines`` as the per-record path makes them, not put into the series."""
        captured: list[Record] = []
        saved, skipping = self._recent, self._skipping
        if remember:
            self._skipping = False
        if not remember:
            self._recent = deque(maxlen=JOIN_MEMORY)
        self._capture = captured
        try:
            if self.format == "csv":
                self._consume_csv(lines, base)
            else:
                self._consume_json(lines, base)
        finally:
            self._capture = None
            self._recent, self._skipping = saved, skipping
        return captured

    # ----------------------------------------------------------------- parsing

    def _bad(self, line_no: int, reason: str) -> None:
        self.malformed += 1
        if self._first_malformed is None:
            self._first_malformed = (line_no, reason)

    def _consume(self, data: bytes) -> None:
        """Parse complete lines (``data`` ends with a newline)."""
        lines = data.split(b"\n")
        lines.pop()  # after the final newline
        base = self._line_no
        self._line_no += len(lines)
        if self.format == "csv":
            self._consume_csv(lines, base)
        else:
            self._consume_json(lines, base)

    def _consume_json(self, lines: list[bytes], base: int) -> None:
        batch: list[Record] = []
        append = batch.append
        time_of = self._time_of
        loads = fast_loads
        fast = self._fast_json
        eval_only = self._eval_only
        recent_append = self._recent.append
        utc_minutes = time_of._utc_minutes
        eval_name, eval_score = "gen_ai.evaluation.name", "gen_ai.evaluation.score.value"
        cutoff = self._cutoff if self._skipping else None
        for i, line in enumerate(lines):
            if (not line or line[0] != 123) and not line.strip():
                continue  # a blank line, of any length of whitespace (as a whitespace-only tail, and CSV)
            if cutoff is not None and line.startswith(b'{"time":'):
                # a line that starts with its time: skip it unparsed when it is too old to count
                q = line.find(b'"', 8)
                e = line.find(b'"', q + 1) if 0 < q < 16 else -1
                if e > 0 and not line[8:q].strip():
                    try:
                        old = time_of(line[q + 1 : e].decode("ascii")) < cutoff
                    except (Malformed, UnicodeDecodeError):
                        old = False
                    if old:
                        self.skipped += 1
                        continue
                    # logs are (nearly) in time order: once past the cutoff, stop checking this read
                    cutoff = None
                    self._skipping = False
            try:
                obj = loads(line)
            except JSON_ERRORS as exc:
                try:  # NaN/Infinity, numbers beyond the double range: read, judged per SLI
                    obj = lenient_loads(line)
                except ValueError:
                    self._bad(base + i + 1, f"not JSON ({str(exc)[:60]})")
                    continue
            if fast and type(obj) is dict and "resourceSpans" not in obj and "event" not in obj:
                # a plain request record: the common case, inlined
                raw = obj.get("time")
                t = None
                if type(raw) is str and raw[-1:] == "Z":  # RFC 3339 in UTC: the TimeParser fast path, inlined
                    minute = utc_minutes.get(raw[:16])
                    sec = raw[17:-1]
                    if (minute is not None and raw[16:17] == ":" and len(sec) >= 2 and sec.isascii()
                            and sec[:2].isdigit() and sec[:2] <= "60"
                            and (len(sec) == 2 or (sec[2] == "." and sec[3:].isdigit()))):
                        t = minute + float(sec)
                if t is None:
                    try:
                        if raw is None:
                            if OTHER_SIGNALS.intersection(obj):
                                continue  # an OTLP logs or metrics line beside the spans: no request in it
                            raise Malformed("no 'time' field")
                        t = time_of(raw)
                    except Malformed as exc:
                        self._bad(base + i + 1, str(exc))
                        continue
                obj["time"] = t
                evaluations = obj.get("evaluations")
                if evaluations is not None:
                    if type(evaluations) is list:
                        try:
                            for item in evaluations:
                                obj["evaluations." + item[eval_name]] = item[eval_score]
                        except (KeyError, TypeError):
                            add_evaluations(obj, evaluations)
                    else:
                        add_evaluations(obj, evaluations)
                trace_id = obj.get("trace_id")
                if trace_id is not None and type(trace_id) is not str:
                    trace_id = join_key(trace_id)
                if trace_id is None:
                    append(obj)
                elif trace_id in eval_only:
                    self._flush(batch)
                    batch = []
                    append = batch.append
                    self._join_request(obj)
                else:
                    append(obj)
                    if self._traces_live:
                        self._remember(trace_id, obj)
                    else:
                        recent_append((trace_id, obj))  # remembered for evaluation results arriving later
                continue
            try:
                records, event = self._json.parse_object(obj)
            except Malformed as exc:
                self._bad(base + i + 1, str(exc))
                continue
            if event is not None:
                self._flush(batch)  # the request it joins may be in the batch
                batch = []
                append = batch.append
                self._join_evaluation(event, base + i + 1)
            for record in records:
                trace_id = join_key(record.get("trace_id"))
                if trace_id is None or "span_id" in record:  # OTLP spans are not joined
                    append(record)
                elif trace_id in eval_only:
                    self._flush(batch)
                    batch = []
                    append = batch.append
                    self._join_request(record)
                else:
                    append(record)
                    self._remember(trace_id, record)
        self._flush(batch)

    def _consume_csv(self, lines: list[bytes], base: int) -> None:
        text = [line.decode("utf-8", "replace") for line in lines]
        batch: list[Record] = []
        for index, result in self._csv.parse_rows(text):
            if isinstance(result, Malformed):
                self._bad(base + index + 1, str(result))
            else:
                batch.extend(result)
        self._flush(batch)

    def _consume_tail(self, line: bytes) -> None:
        """An unterminated last line: consume it when it parses as request records, else hold it."""
        records: list[Record] = []
        if not line.strip():
            self._held = None
            return
        try:
            if self.format == "csv":
                if self._csv.open_row:  # the line goes on a row begun before: wait for the row's end
                    raise Malformed("a quoted field is not closed yet")
                if self._csv.header is None:
                    # the header ends with its newline: one polled while it was being written (b"time,dura")
                    # was taken as the header, and every later row was malformed until a restart
                    raise Malformed("the header is not complete yet")
                results = list(self._csv.parse_rows([line.decode("utf-8", "replace")], hold=False))
                for _, result in results:
                    if isinstance(result, Malformed):
                        raise result
                    records.extend(result)
            else:
                records, event = self._json.parse(line)
                if event is not None:
                    self._held = "an evaluation result on the unterminated last line waits for its newline"
                    return
                if self._eval_only and any(join_key(r.get("trace_id")) in self._eval_only for r in records):
                    self._held = "a request whose evaluation results came first waits for its newline"
                    return
        except Malformed as exc:
            self._held = f"the unterminated last line is held until it is complete ({exc})"
            return
        self._flush(records)
        self._tail = (len(line), records)
        self._held = None

    # ----------------------------------------------------------------- records into series

    def _flush(self, batch: list[Record]) -> None:
        if not batch:
            return
        if self.derived:
            self.derived.apply(batch)
        if self._capture is not None:
            self._capture.extend(batch)
            return
        self.book.ingest(batch)
        self.records += len(batch)

    def _retract_record(self, record: Record) -> None:
        self.book.retract(record)
        self.records -= 1

    def _trace_map(self) -> OrderedDict[Any, Record]:
        """The map trace_id -> request, built from the recent requests on first use."""
        if not self._traces_live:
            if self._recent_lines:
                self._parse_recent_lines()
            traces = self._traces
            for trace_id, record in self._recent:
                if trace_id in traces:
                    traces.move_to_end(trace_id)
                traces[trace_id] = record
            self._recent.clear()
            self._traces_live = True
        return self._traces

    def _remember(self, trace_id: Any, record: Record) -> None:
        if not self._traces_live:
            self._recent.append((trace_id, record))
            return
        traces = self._traces
        if trace_id in traces:
            traces.move_to_end(trace_id)
        traces[trace_id] = record
        if len(traces) > JOIN_MEMORY:
            old, _ = traces.popitem(last=False)
            self._eval_only.discard(old)

    def _join_request(self, record: Record) -> None:
        trace_id = record["trace_id"]
        previous = self._trace_map().get(trace_id)
        if previous is not None and trace_id in self._eval_only:
            # evaluations came first: replace the evaluation-only record by the request with its scores
            self._retract_record(previous)
            self._eval_only.discard(trace_id)
            for key, value in previous.items():
                if key.startswith("evaluations.") and key not in record:
                    record[key] = value
        self._flush([record])
        self._remember(trace_id, record)

    def _join_evaluation(self, event: Record, line_no: int) -> None:
        """Join an evaluation result (of line ``line_no``) to its request, or count it alone."""
        name = event.get("gen_ai.evaluation.name")
        score = event.get("gen_ai.evaluation.score.value")
        key = f"evaluations.{name}"
        trace_id = join_key(event.get("trace_id"))
        previous = self._trace_map().get(trace_id) if trace_id is not None else None
        if previous is not None:
            self._retract_record(previous)
            updated = dict(previous)
            updated[key] = score
            self._flush([updated])
            self._remember(trace_id, updated)
            return
        if event.get("time") is None:
            self._bad(line_no, "evaluation result without a time or a known trace_id")
            return
        record: Record = {"time": event["time"], key: score}
        if trace_id is not None:
            record["trace_id"] = trace_id
            self._eval_only.add(trace_id)
            self._remember(trace_id, record)
        self._flush([record])

    # ----------------------------------------------------------------- parquet

    def _read_parquet(self) -> None:
        try:
            import pyarrow.parquet as pq  # optional: only when a Parquet file is configured
        except ImportError:
            raise SourceError(
                f"{self.path}: reading Parquet needs pyarrow, which is not installed (pip install pyarrow)",
                retryable=False,
            ) from None
        rename = {column: field for field, column in self.config.columns.items()}
        index = 0
        # a batch of rows at a time: the whole file as Python objects at once held 3x the
        # memory (850 MB for 1M rows in bench/file_source.py)
        try:
            batches = iter(pq.ParquetFile(self.path).iter_batches(batch_size=PARQUET_BATCH))
        except Exception as exc:  # pyarrow raises many types; the message is what the user needs
            raise SourceError(f"{self.path}: not a readable Parquet file ({exc})") from None
        plan = None
        if self.columnar and self.config.time_format is None:  # (a time_format is read by strptime)
            from slotui.sources.kit.columnar import plan_columnar

            plan = plan_columnar(self.book, self.derived)
        from concurrent.futures import ThreadPoolExecutor

        # one worker decodes the next batches and makes them columns (pyarrow and numpy release the GIL)
        # while this thread takes one into the series: in order, one job after the other
        worker = ThreadPoolExecutor(1, thread_name_prefix="slotui-parquet")
        try:
            ahead = deque(worker.submit(self._parquet_batch, batches, plan, rename) for _ in range(PARQUET_AHEAD))
            while True:
                batch = ahead.popleft().result()  # (a damaged row group further in: its SourceError)
                if batch is None:
                    return
                ahead.append(worker.submit(self._parquet_batch, batches, plan, rename))
                table, chunk = batch
                if chunk is not None and self._parquet_columnar(plan, table, chunk, rename, index):
                    index += table.num_rows
                    continue
                try:
                    rows = table.to_pylist(maps_as_pydicts="lossy")  # a map column is an object, as in JSON
                except Exception:  # a value pyarrow cannot turn into a Python object (a time beyond year 9999)
                    index = self._parquet_rows_one_by_one(table, rename, index)
                    continue
                index = self._parquet_rows(rows, rename, index)
        finally:
            worker.shutdown(wait=True, cancel_futures=True)  # (the batches not taken are not decoded)

    def _parquet_batch(self, batches: Any, plan: Any, rename: dict[str, str]) -> tuple[Any, Any] | None:
        """In the worker: the next batch of rows (decimals as floats) and its columns (None: read record
        by record), or None after the last; a damaged row group is a SourceError."""
        try:
            table = next(batches, None)
        except Exception as exc:  # pyarrow raises many types; the message is what the user needs
            raise SourceError(f"{self.path}: not a readable Parquet file ({exc})") from None
        if table is None:
            return None
        table = _decimals_as_floats(table)
        renamed = self._parquet_renamed(table, rename) if plan is not None else None
        return table, (plan.read_table(renamed) if renamed is not None else None)

    def _parquet_renamed(self, table: Any, rename: dict[str, str]) -> Any:
        """A batch with its columns named as fields (the time field as ``time``), or None when the
        columnar reader cannot take it."""
        if not table.num_rows or self._time_field != "time" and "time" in rename.values():
            return None
        renamed = table.rename_columns([rename.get(k, k) for k in table.column_names])
        if self._time_field != "time":
            if "time" in renamed.column_names:
                return None
            renamed = renamed.rename_columns(["time" if k == self._time_field else k for k in renamed.column_names])
        return renamed

    def _parquet_rows_one_by_one(self, table: Any, rename: dict[str, str], index: int) -> int:
        """The rows of a batch holding a value Python cannot hold, row by row: that row is one malformed
        row, the others are read (the whole file was 'not a readable Parquet file')."""
        rows: list[dict[str, Any]] = []
        for i in range(table.num_rows):
            try:
                rows.append(table.slice(i, 1).to_pylist(maps_as_pydicts="lossy")[0])
            except Exception as exc:  # pyarrow raises many types; the message says which value
                index = self._parquet_rows(rows, rename, index) + 1
                rows = []
                self._bad(index, f"a value that cannot be read ({str(exc)[:80]})")
        return self._parquet_rows(rows, rename, index)

    def _parquet_rows(self, rows: list[dict[str, Any]], rename: dict[str, str], index: int) -> int:
        """Parquet rows as records into the series (or the capture); the index of the last row."""
        batch: list[Record] = []
        for row in rows:
            index += 1
            record = {rename.get(k, k): v for k, v in row.items()}
            raw = time_value(record, self._time_field)
            try:
                if raw is None:
                    raise Malformed(f"no {self._time_field!r} value")
                record["time"] = self._time_of(raw)
            except Malformed as exc:
                self._bad(index, str(exc))
                continue
            if record.get("evaluations") is not None:
                add_evaluations(record, record["evaluations"])
            batch.append(record)
        self._flush(batch)
        return index

    def _parquet_columnar(self, plan: Any, table: Any, chunk: Any, rename: dict[str, str], index: int) -> bool:
        """A batch of Parquet rows taken as the columns ``chunk`` (:meth:`_parquet_batch`); False: the
        per-record path must read it (nothing changed)."""
        if self.book.sample_fields is None:
            captured: list[Record] = []
            self._capture = captured
            try:
                self._parquet_rows(table.slice(0, 1).to_pylist(maps_as_pydicts="lossy"), rename, index)
            finally:
                self._capture = None
            if len(captured) != 1:
                return False
            record = captured[0]
            if any(d.seen is not None and name not in record for d, name, _ in plan.values):
                return False
            from slotui.sources.kit.series_book import _field_names

            self.book.sample_fields = sorted(_field_names(record))
        self.records += plan.ingest(chunk)
        for definition, _, _ in plan.values:
            if definition.seen is False:
                definition.seen = True  # every row has every column (read_table refused a missing one)
        self.columnar_chunks += 1
        return True
