"""Issue 13 part 4: Parquet is read a batch of rows at a time (it was turned into Python objects
whole: 850 MB for 1M rows). The answers, malformed counts and the first malformed row's number
are the same for any batch size; a damaged file is a SourceError, then read again when fixed."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa  # a test dependency: these tests never skip
import pyarrow.parquet as pq
import pytest

import slotui.sources.file as file_module
from records_gen import NOON, file_source, ratio, spec, stamp
from slotui.sources.kit.base import SourceError

SPECS = [spec("p", sli_field="latency", sli_agg="p50"), spec("m", sli_field="latency", sli_agg="mean"),
         ratio("ok", "err == null")]


def _write(path: Path, n: int, bad_rows: tuple[int, ...] = ()) -> None:
    times = [None if i in bad_rows else stamp(NOON - 3000 + i) for i in range(n)]
    pq.write_table(pa.table({
        "ts": pa.array(times, pa.string()),
        "latency": pa.array([float(i % 10) for i in range(n)], pa.float64()),
        "err": pa.array([None if i % 4 else "x" for i in range(n)], pa.string()),
    }), path)


def _answers(path: Path) -> dict:
    src = file_source(path, columns={"time": "ts"})
    out = src.fetch_sync(SPECS, NOON)
    return {k: (v.value, v.slices, v.buckets, v.windows, v.malformed, v.note, v.error) for k, v in out.items()}


@pytest.mark.parametrize("batch", [1, 7, 40, 10**6])
def test_any_batch_size_same_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    path = tmp_path / "r.parquet"
    _write(path, 100, bad_rows=(33, 71))  # 1-based rows 34 and 72 have no time
    monkeypatch.setattr(file_module, "PARQUET_BATCH", batch)
    got = _answers(path)
    assert got["m"][0] == pytest.approx(sum(i % 10 for i in range(100) if i not in (33, 71)) / 98, rel=1e-12)
    assert got["m"][4] == 2
    assert "first malformed line: line 34: no 'time' value" in got["m"][5]
    ok = got["ok"][3][3600.0]
    assert ok == (sum(1 for i in range(100) if i % 4 and i not in (33, 71)), 98.0)
    monkeypatch.setattr(file_module, "PARQUET_BATCH", 10**6)
    assert _answers(path) == got


def test_damaged_parquet_is_a_source_error_then_recovers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_module, "PARQUET_BATCH", 5)
    path = tmp_path / "r.parquet"
    _write(path, 50)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut in the middle: no footer
    src = file_source(path, columns={"time": "ts"})
    with pytest.raises(SourceError, match="not a readable Parquet file"):
        src.fetch_sync(SPECS, NOON)
    _write(path, 50)
    out = src.fetch_sync(SPECS, NOON)
    assert out["m"].value == pytest.approx(sum(i % 10 for i in range(50)) / 50, rel=1e-12)
    assert out["m"].malformed == 0


def test_a_damaged_row_group_further_in_is_a_source_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batches are decoded in a worker thread ahead of the series: a row group that cannot be
    decoded (its pages overwritten, the footer intact) fails the read there, and that failure is the
    read's, with no worker left behind; the file fixed, it is read whole."""
    import threading

    monkeypatch.setattr(file_module, "PARQUET_BATCH", 4)
    path = tmp_path / "r.parquet"
    _write(path, 60)
    table = pq.read_table(path)
    pq.write_table(table, path, row_group_size=10, compression="snappy")
    column = pq.ParquetFile(path).metadata.row_group(3).column(1)  # latency, rows 30-39
    start = column.data_page_offset
    data = bytearray(path.read_bytes())
    data[start:start + column.total_compressed_size] = b"\xff" * column.total_compressed_size
    path.write_bytes(bytes(data))
    src = file_source(path, columns={"time": "ts"})
    with pytest.raises(SourceError, match="not a readable Parquet file"):
        src.fetch_sync(SPECS, NOON)
    assert not [t for t in threading.enumerate() if t.name.startswith("slotui-parquet")]
    pq.write_table(table, path, row_group_size=10)
    out = src.fetch_sync(SPECS, NOON)
    assert out["m"].value == pytest.approx(sum(i % 10 for i in range(60)) / 60, rel=1e-12)
    assert out["m"].malformed == 0
