"""Arrow values built from their buffers, never from Python objects.

pyarrow converts a Python object (``pa.scalar("x")``, ``pa.array([...])``, a ``str`` or number
argument to a compute function, ``fill_null(-1)``) by first asking whether it is a pandas object,
which imports pandas when it is installed: ~0.3 s on the first columnar read of a log. These
builders hand pyarrow buffers instead (tests/unit/test_file_columnar.py holds every columnar read
to it).
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["arrow_float", "arrow_text", "arrow_texts"]


def arrow_texts(texts: list[str]) -> Any:
    """``texts`` as an Arrow string array."""
    import pyarrow as pa

    raw = [t.encode() for t in texts]
    offsets = [0]
    for r in raw:
        offsets.append(offsets[-1] + len(r))
    return pa.StringArray.from_buffers(len(raw), pa.py_buffer(struct.pack(f"<{len(offsets)}i", *offsets)),
                                       pa.py_buffer(b"".join(raw)))


def arrow_text(text: str) -> Any:
    """``text`` as an Arrow string scalar."""
    return arrow_texts([text])[0]


def arrow_float(value: float) -> Any:
    """``value`` as an Arrow float64 scalar."""
    import pyarrow as pa

    return pa.Array.from_buffers(pa.float64(), 1, [None, pa.py_buffer(struct.pack("<d", value))])[0]
