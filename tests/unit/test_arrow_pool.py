"""slotui.sources.kit.arrow_pool: the columnar reads allocate from jemalloc, and leave the process's
default Arrow pool alone (mimalloc gave freed pages back at once: every 8 MB chunk zeroed fresh ones)."""

from __future__ import annotations

import subprocess
import sys

_READ = """
import pyarrow as pa
import pyarrow.csv as pcsv
before = pa.default_memory_pool().backend_name
from slotui.sources.kit.arrow_pool import pool
from slotui.sources.kit import arrow_compute as pc
from slotui.sources.kit.columnar import plan_columnar  # (the module the reads are in)
rows = "".join(f"{i},{i / 7}\\n" for i in range(200_000)).encode()
table = pcsv.read_csv(pa.BufferReader(rows), memory_pool=pool(),
                      read_options=pcsv.ReadOptions(column_names=["a", "b"]))
doubled = pc.cast(table.column("a"), pa.float64())
p = pool()
print(before, pa.default_memory_pool().backend_name, p.backend_name if p is not None else "-",
      p.max_memory() if p is not None else 0, pa.default_memory_pool().max_memory(),
      "jemalloc" in pa.supported_memory_backends(), doubled.type)
"""


def test_the_reads_allocate_from_jemalloc_and_the_default_pool_stays() -> None:
    done = subprocess.run([sys.executable, "-c", _READ], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after, ours, ours_peak, default_peak, has_jemalloc, kind = done.stdout.split()
    assert after == before  # a program that imports slotui keeps its own default pool
    assert kind == "double"
    if has_jemalloc == "True":
        assert ours == "jemalloc"
        assert int(ours_peak) >= 200_000 * 8  # the parse and the cast allocated there...
        assert int(default_peak) < 200_000 * 8  # ...not from the default pool
    else:
        assert ours == "-"  # (built without jemalloc: the default pool)
