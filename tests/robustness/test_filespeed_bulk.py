"""Issue 13 part 4: a series fed a batch at once (numpy, :mod:`slotui.sources.bulk_ingest`) holds
exactly what the per-record path gives, and the same skip counts and answers, for every kind
of batch: clean, with a bad value of each kind, out of time order, on slice boundaries, with
a condition on a field that holds numbers.

The per-record path is the reference: the same batch goes through a book whose batch path is
off (``BULK_MIN`` raised beyond the batch), then the series' slices are compared pair by pair.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import slotui.sources.bulk_ingest as bulk_ingest
import slotui.sources.series_book as series_book
from records_gen import NOON, file_source, jsonl, ratio, record, spec
from slotui.sources.series_book import SeriesBook

SPECS = [
    spec("cost", sli_field="gen_ai.usage.cost", sli_agg="mean"),
    spec("score", sli_field="evaluations.helpfulness", sli_agg="p95"),
    ratio("ok", "error.type == null"),
    ratio("fast", "duration_s < 2"),
]


def _book() -> SeriesBook:
    book = SeriesBook()
    for s in SPECS:
        book.add_spec(s)
    return book


def _content(book: SeriesBook) -> list[Any]:
    out = []
    for d in book._ordered:
        series = d.series
        slices = []
        for key in series.keys:
            sl = series.slices[key]
            second = sl.values if hasattr(sl, "values") else sl.good
            slices.append((key, list(sl.times), list(second)))
        out.append((slices, dict(d.skipped.counts)))
    return out


def _both(records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any], int]:
    """Series content via the batch path and via the per-record path, and how many batch calls
    took the batch path."""
    taken = 0
    real_values, real_ratio = bulk_ingest.ingest_values, bulk_ingest.ingest_ratio

    def counting(fn):
        def wrapper(*args: Any) -> bool:
            nonlocal taken
            ok = fn(*args)
            taken += ok
            return ok
        return wrapper

    monkeypatch.setattr(series_book, "ingest_values", counting(real_values))
    monkeypatch.setattr(series_book, "ingest_ratio", counting(real_ratio))
    monkeypatch.setattr(series_book, "BULK_MIN", 1)
    fast = _book()
    fast.ingest([dict(r) for r in records])
    monkeypatch.setattr(series_book, "BULK_MIN", 10**12)
    slow = _book()
    slow.ingest([dict(r) for r in records])
    return _content(fast), _content(slow), taken


def _records(n: int, start: float = NOON - 3000, step: float = 0.7) -> list[dict[str, Any]]:
    rng = random.Random(n)
    return [
        {"time": start + i * step, "gen_ai.usage.cost": rng.random() / 100, "evaluations.helpfulness": rng.random(),
         "duration_s": rng.random() * 4, "error.type": None if rng.random() < 0.9 else "timeout"}
        for i in range(n)
    ]


def test_clean_batch_takes_the_batch_path_with_the_same_series(monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(5000)
    fast, slow, taken = _both(records, monkeypatch)
    assert fast == slow
    assert taken == 3  # cost, score, ok; "duration_s < 2" reads a number: per record
    assert sum(len(s[1]) for s in fast[0][0]) == 5000


BAD = {
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "negative": -0.5,
    "int": 3,
    "huge int": 10**400,
    "bool": True,
    "string": "0.1",
    "null": None,
    "list": [1.0],
    "object": {"v": 1.0},
}


@pytest.mark.parametrize("field", ["gen_ai.usage.cost", "evaluations.helpfulness", "error.type"])
@pytest.mark.parametrize("bad", sorted(BAD))
def test_one_bad_value_anywhere_gives_the_per_record_answer(
    monkeypatch: pytest.MonkeyPatch, field: str, bad: str
) -> None:
    records = _records(600)
    for at in (0, 299, 599):
        records[at][field] = BAD[bad]
    fast, slow, _ = _both(records, monkeypatch)
    assert fast == slow


def test_out_of_order_times_give_the_per_record_series(monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(900)
    records[400], records[700] = records[700], records[400]  # a later record logged earlier
    fast, slow, taken = _both(records, monkeypatch)
    assert fast == slow
    assert taken == 0


def test_times_on_slice_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    base = math.floor(NOON / 300) * 300 - 3000
    times = sorted({base + k * 300 + d for k in range(8) for d in (-1e-6, 0.0, 1e-9, 299.999999)})
    records = _records(len(times))
    for r, t in zip(records, times):
        r["time"] = t
    fast, slow, taken = _both(records, monkeypatch)
    assert fast == slow
    assert taken == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-50.0, max_value=4000.0, allow_nan=False),  # time offset: not always in order
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans(),
                      st.integers(min_value=-5, max_value=5)),
            st.one_of(st.none(), st.just("timeout"), st.floats(allow_nan=True)),
        ),
        min_size=1,
        max_size=80,
    ),
    st.booleans(),
)
def test_generated_batches(rows: list[tuple[float, Any, Any]], in_order: bool) -> None:
    records = [{"time": NOON - 4000 + t, "gen_ai.usage.cost": v, "evaluations.helpfulness": v,
                "duration_s": 1.0, "error.type": e} for t, v, e in rows]
    if in_order:
        records.sort(key=lambda r: r["time"])
    with pytest.MonkeyPatch.context() as mp:
        fast, slow, _ = _both(records, mp)
    assert fast == slow


def test_first_read_of_a_log_same_answers_and_notes_either_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real file read by a FileSource: 6,000 lines in order with a few bad values and broken lines."""
    rows = []
    for i in range(6000):
        r = record(NOON - 3500 + i * 0.5, duration_s=0.5 + (i % 7) / 2, **{"error.type": None if i % 13 else "x"})
        r["gen_ai.usage.cost"] = 0.001 * (i % 11)
        r["evaluations"] = [{"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": (i % 10) / 10}]
        rows.append(r)
    rows[1234]["gen_ai.usage.cost"] = float("nan")
    text = jsonl(rows).splitlines(keepends=True)
    text.insert(3000, "{not json\n")
    path = tmp_path / "r.jsonl"
    path.write_text("".join(text))
    answers = {}
    for threshold in (1, 10**12):
        monkeypatch.setattr(series_book, "BULK_MIN", threshold)
        out = file_source(path).fetch_sync(SPECS, NOON)
        answers[threshold] = {k: (v.value, v.slices, v.buckets, v.windows, v.malformed, v.note) for k, v in out.items()}
    assert answers[1] == answers[10**12]
    assert answers[1]["cost"][4] == 1  # the broken line, counted once
    assert "1 record: gen_ai.usage.cost not finite" in answers[1]["cost"][5]
