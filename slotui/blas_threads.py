"""slotui's processes run no linear algebra: numpy's OpenBLAS gets one thread.

numpy's wheels bundle OpenBLAS, which starts a thread per core when numpy is
imported. Each waits for work spinning (``sched_yield``) for about 2**28 CPU
cycles before it sleeps. slotui calls no BLAS routine (numpy serves sorts,
selections, comparisons and sums), so that spin only takes a core from the
work that needs it.

Measured on a 2-core machine, first read of a 1M-line request log
(``bench/file_source.py``, fresh processes, interleaved): 1.71-1.84 s of CPU
without the limit against 1.58-1.59 s with it; ``blas_thread_server`` was 4.3%
of the read's samples under ``perf record``. DuckDB's threads and the byte
checks run on those cores during the read.

:func:`limit` runs first in ``slotui``'s entry point (:func:`slotui.cli.main`),
before anything imports numpy. ``import slotui`` alone never sets it: a
pipeline that imports slotui next to its own numpy work keeps its BLAS threads.
"""

from __future__ import annotations

import os

#: the environment variable OpenBLAS reads once, when numpy loads it
VARIABLE = "OPENBLAS_NUM_THREADS"


def limit() -> None:
    """One OpenBLAS thread for this process and its children, unless the environment sets
    another number (it is then the user's choice). No effect once numpy is imported."""
    os.environ.setdefault(VARIABLE, "1")
