"""Records into a series a batch at a time, for batches where no record needs a second look.

The series definitions of :mod:`slotui.sources.series_book` take records one by
one: each value is checked (null, not a number, non-finite, a negative
latency), its slice found and appended to. On the first read of a log that is
a large part of the cost after decoding. For a batch of at least
:data:`BULK_MIN` records where every record would take the plain path anyway,
the same work is done with numpy (imported here only, for such batches: a
small file never imports it):

- a value series without ``sli.where`` on a plain field: every value is a
  float (no null, int, bool, string...), all finite, none below the series'
  lowest value (0 for a latency, duration, token count or cost);
- a ratio series without ``ratio.total`` whose condition reads at most one
  field, and that field holds only null, strings or booleans on the batch (no
  number that could be non-finite or negative);
- either: the batch's slice keys (``time // slice``, the same floor division
  as the per-record path, checked at every run's ends) never decrease (the log
  is in time order), so each slice gets one contiguous run.

Anything else returns False before appending anything, and the caller takes
its per-record path: the series, skip counts and notes are the same either way
(the batch path appends exactly the (time, value) pairs the per-record path
would, in the same order).

Measured (``bench/file_source.py``'s four SLIs, a loaded 2-core machine): 350
ns per record and series against 655 ns for the per-record loop. Without numpy
C-level ``map``/``bisect``/``array.extend`` passes were measured too: 695 ns, no
gain, so the pure-Python batch path does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

__all__ = ["BULK_MIN", "ingest_values", "ingest_ratio"]

#: batches smaller than this take the per-record path (numpy's import and fixed costs do not pay)
BULK_MIN = 4096

_TIME = itemgetter("time")
#: values of a ratio condition's field that can never make the condition unknowable
_SAFE_CONDITION_TYPES = frozenset({type(None), str, bool})


def _numpy() -> Any:
    try:
        import numpy  # only for large batches (a first read), never on a small file's path
    except ImportError:  # pragma: no cover - numpy is a dependency; the per-record path works without
        return None
    return numpy


def _runs(np: Any, records: Sequence[dict[str, Any]], length: float) -> tuple[Any, list[tuple[int, int, int]]] | None:
    """The batch's times (float64) and ``(slice key, start, end)`` of each run of records in one
    slice, or None when the keys ever decrease or a time is not a float (per-record path)."""
    times = list(map(_TIME, records))
    if set(map(type, times)) != {float}:
        return None
    t = np.array(times, dtype=np.float64)
    keys = np.floor_divide(t, length)
    if (keys[1:] < keys[:-1]).any():
        return None
    cuts = (np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist()
    runs = []
    for i, j in zip([0, *cuts], [*cuts, len(times)]):
        key = int(times[i] // length)
        if key != int(times[j - 1] // length) or key != int(keys[i]):
            return None  # numpy and Python disagree on a boundary: let the per-record path decide
        runs.append((key, i, j))
    return t, runs


def ingest_values(series: Any, get: Callable[[Any], Any], low: float, records: Sequence[dict[str, Any]]) -> bool:
    """Append ``get(record)`` of every record to ``series`` when the whole batch is finite floats
    of at least ``low`` in time order; False (nothing appended) otherwise."""
    np = _numpy()
    if np is None:
        return False
    values = list(map(get, records))
    if set(map(type, values)) != {float}:
        return False
    v = np.array(values, dtype=np.float64)
    if not np.isfinite(v).all() or v.min() < low:
        return False
    cut = _runs(np, records, series.length)
    if cut is None:
        return False
    t, runs = cut
    slice_for = series.slice_for
    for key, i, j in runs:
        sl = slice_for(key)
        sl.times.frombytes(t[i:j].tobytes())
        sl.values.frombytes(v[i:j].tobytes())
    return True


def ingest_ratio(series: Any, good: Callable[[Any], Any], field: Callable[[Any], Any] | None,
                 records: Sequence[dict[str, Any]]) -> bool:
    """Append every record's good flag to ``series`` when the one field the condition reads
    (``field``; None: it reads none) holds no number on the batch and the batch is in time
    order; False (nothing appended) otherwise."""
    np = _numpy()
    if np is None:
        return False
    if field is not None and not set(map(type, map(field, records))) <= _SAFE_CONDITION_TYPES:
        return False
    cut = _runs(np, records, series.length)
    if cut is None:
        return False
    t, runs = cut
    flags = np.fromiter(map(bool, map(good, records)), dtype=np.int8, count=len(records))
    slice_for = series.slice_for
    for key, i, j in runs:
        sl = slice_for(key)
        sl.times.frombytes(t[i:j].tobytes())
        sl.good.frombytes(flags[i:j].tobytes())
    return True
