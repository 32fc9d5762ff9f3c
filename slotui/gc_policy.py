"""How slotui's processes use CPython's cycle collector.

A tick allocates hundreds of thousands of short-lived containers (the JSON of
range-query answers, request records, per-slice tuples). With CPython's
default young-generation threshold (700 allocations) the collector runs
hundreds of times per tick and re-scans every survivor each time; measured on
a 2-core machine it was ~45 ms of a 50-source Prometheus backfill tick
(``bench/fetch_concurrency.py``) and ~10% of a 1M-record file read
(``bench/file_source.py``). The commands call :func:`apply` once the config is
loaded:

- ``gc.freeze()``: what is loaded by then (modules, pydantic's schemas, the
  config) lives until exit; the collector stops re-scanning it;
- a young-generation threshold of :data:`YOUNG` allocations; the older
  generations keep CPython's ratios, so cycles are still collected, just in
  fewer, larger passes (memory is checked by ``bench/tui_tick.py``'s RSS run).
"""

from __future__ import annotations

import gc

#: allocations (minus deallocations) between young-generation collections (CPython: 700)
YOUNG = 50_000


def apply() -> None:
    """Freeze what is loaded and raise the young-generation threshold (idempotent)."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
