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
