"""The Arrow memory pool the columnar reads allocate from: jemalloc, where pyarrow has it.

pyarrow's default pool on Linux is mimalloc, which returns freed pages to the
system within milliseconds: a first read that parses 8 MB chunks one after the
other then had the kernel zero fresh pages for every chunk (``clear_page`` was
the largest symbol of a CSV read's pyarrow threads under ``perf record``, and a
fifth of the read's CPU was the kernel's). jemalloc keeps freed pages for reuse
for a while. Measured with ``bench/file_source.py``'s files, medians of 10
interleaved fresh processes: a 1M-row CSV first read 0.473 -> 0.442 s wall,
0.717 -> 0.647 s CPU (0.205 -> 0.141 s of it in the kernel); a Parquet one 0.331
-> 0.315 s. The pool is passed to each call (:func:`pool`), so a program that
imports slotui keeps its own default pool.
"""

from __future__ import annotations

from typing import Any

_UNSET: Any = object()
_POOL: Any = _UNSET


def pool() -> Any:
    """pyarrow's jemalloc pool, or None (the default pool) where this pyarrow is built without it."""
    global _POOL
    if _POOL is _UNSET:
        import pyarrow as pa

        try:
            _POOL = pa.jemalloc_memory_pool()
        except NotImplementedError:
            _POOL = None
    return _POOL
