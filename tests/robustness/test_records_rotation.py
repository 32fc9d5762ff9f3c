"""Issue 8, item 4 as a family: every way a followed log is rotated, truncated or replaced.

The file source keeps what it read (the window's history), recognises the new
file by inode, size and a fingerprint of its first bytes, and reads it from
its first byte. A file moved or copied with the same first bytes is the same
log: nothing is read twice.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records_gen import NOON, csv_text, file_source, jsonl, record, spec

SPECS = [spec("n", sli_field="duration_s", sli_agg="count"), spec("s", sli_field="duration_s", sli_agg="sum")]


class Log:
    """Writes records with distinct times and counts what was written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.t = NOON - 3000.0
        self.written = 0
        self.total = 0.0

    def lines(self, n: int, value: float = 1.0) -> str:
        rows = []
        for _ in range(n):
            rows.append(record(self.t, duration_s=value))
            self.t += 1.0
        self.written += n
        self.total += n * value
        return jsonl(rows)

    def append(self, n: int, value: float = 1.0) -> None:
        with open(self.path, "a") as fh:
            fh.write(self.lines(n, value))


def _answer(src) -> tuple[float | None, float | None]:
    out = src.fetch_sync(SPECS, NOON)
    return out["n"].value, out["s"].value


def _copytruncate(path: Path) -> None:
    (path.parent / (path.name + ".1")).write_bytes(path.read_bytes())
    with open(path, "r+") as fh:
        fh.truncate(0)


@pytest.mark.parametrize(
    "kind",
    ["copytruncate_smaller", "copytruncate_larger", "rename_new_file", "truncate_to_zero",
     "delete_and_recreate", "same_size_rewrite"],
)
def test_every_rotation_kind_keeps_the_history_and_reads_the_new_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "req.jsonl"
    log = Log(path)
    log.append(20)
    src = file_source(path)
    assert _answer(src) == (20.0, 20.0)
    if kind == "copytruncate_smaller":
        _copytruncate(path)
        log.append(5, 2.0)
    elif kind == "copytruncate_larger":  # the new content goes past the old offset before the fetch
        _copytruncate(path)
        log.append(30, 2.0)
    elif kind == "rename_new_file":
        os.rename(path, tmp_path / "req.jsonl.1")
        log.append(5, 2.0)
    elif kind == "truncate_to_zero":
        path.write_bytes(b"")
        assert _answer(src) == (20.0, 20.0)  # nothing new yet, nothing lost
        log.append(5, 2.0)
    elif kind == "delete_and_recreate":
        path.unlink()
        log.append(5, 2.0)
    elif kind == "same_size_rewrite":  # the same number of bytes, other records
        size = path.stat().st_size
        path.write_text(log.lines(20, 3.0))
        assert path.stat().st_size == size
    assert _answer(src) == (float(log.written), log.total)
    assert src.rotations == 1
    size = path.stat().st_size
    log.append(3, 0.5)  # and it goes on following the new file incrementally
    before = src.bytes_read
    assert _answer(src) == (float(log.written), log.total)
    assert src.bytes_read - before == path.stat().st_size - size  # only the appended bytes


def test_moved_away_and_back_or_copied_is_not_read_twice(tmp_path: Path) -> None:
    path = tmp_path / "req.jsonl"
    log = Log(path)
    log.append(10)
    src = file_source(path)
    assert _answer(src) == (10.0, 10.0)
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(path.read_bytes())  # another inode, the same first bytes (an editor's save)
    os.replace(copy, path)
    log.append(2)
    assert _answer(src) == (12.0, 12.0)
    assert src.rotations == 0


def test_rotation_with_an_unterminated_last_line(tmp_path: Path) -> None:
    path = tmp_path / "req.jsonl"
    log = Log(path)
    path.write_text(log.lines(3).rstrip("\n"))  # the last line lacks its newline
    src = file_source(path)
    assert _answer(src) == (3.0, 3.0)
    os.rename(path, tmp_path / "req.jsonl.1")
    log.append(4, 2.0)
    assert _answer(src) == (7.0, 11.0)


def test_csv_rotation_reads_the_new_header(tmp_path: Path) -> None:
    path = tmp_path / "req.csv"
    path.write_text(csv_text(["time", "duration_s"], [["2026-06-01T11:00:00Z", "1"], ["2026-06-01T11:01:00Z", "1"]]))
    src = file_source(path)
    assert _answer(src) == (2.0, 2.0)
    os.rename(path, tmp_path / "req.csv.1")
    # the new file's columns are in another order
    path.write_text(csv_text(["duration_s", "time"], [["4", "2026-06-01T11:02:00Z"]]))
    assert _answer(src) == (3.0, 6.0)
    assert src.malformed == 0


OPS = st.lists(
    st.tuples(st.sampled_from(["append", "copytruncate", "rename", "truncate", "recreate"]),
              st.integers(min_value=1, max_value=12)),
    min_size=1, max_size=8,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_generated_rotation_sequences_count_every_record_once(tmp_path_factory, ops) -> None:
    directory = tmp_path_factory.mktemp("rot")
    path = directory / "req.jsonl"
    log = Log(path)
    log.append(5)
    src = file_source(path)
    assert _answer(src) == (5.0, 5.0)
    for i, (op, n) in enumerate(ops):
        if op == "copytruncate":
            _copytruncate(path)
        elif op == "rename":
            os.rename(path, directory / f"req.jsonl.{i}")
        elif op == "truncate":
            path.write_bytes(b"")
        elif op == "recreate":
            path.unlink()
        log.append(n, float(1 + i % 3))
        assert _answer(src) == (float(log.written), log.total)
