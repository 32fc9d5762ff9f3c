"""LabelGroups (sources/kit): the batch path, the C-level counts and the bounded label table."""

from __future__ import annotations

import random

import pytest

from slotui.sources.kit import label_groups as lg
from slotui.sources.kit.label_groups import MORE_LABEL, NONE_LABEL, LabelGroups


def _records(n: int, seed: int, labels: list) -> tuple[list[float], list[int], list[dict]]:
    rng = random.Random(seed)
    times = sorted(rng.uniform(0, 3600) for _ in range(n))
    records = [{"model": rng.choice(labels)} for _ in times]
    flags = [rng.random() < 0.8 for _ in times]
    return times, [int(f) for f in flags], records


def _by_hand(times, flags, records, start, end):
    out: dict[str, list[float]] = {}
    for t, f, r in zip(times, flags, records):
        if start <= t < end:
            have = out.setdefault(lg.label_of(r.get("model")), [0.0, 0.0])
            have[0] += f
            have[1] += 1
    return {k: (g, n) for k, (g, n) in out.items()}


@pytest.mark.parametrize("shuffled", [False, True])
def test_counts_equal_a_count_by_hand_in_time_order_or_not(shuffled: bool) -> None:
    labels = ["gpt-4o", "gpt-4o-mini", None, 3, 3.0, True, "claude"]  # 3 and 3.0 are one label, True is "true"
    times, flags, records = _records(2000, 7, labels)
    if shuffled:
        order = list(range(len(times)))
        random.Random(1).shuffle(order)
        times, flags, records = ([x[i] for i in order] for x in (times, flags, records))
    groups = LabelGroups("model", 300.0, "ratio")
    for a in range(0, len(times), 333):  # in batches, as the series hands them over
        groups.add_batch(times[a:a + 333], flags[a:a + 333], records[a:a + 333])
    for start, end in ((0.0, 3600.0), (450.0, 2999.5), (1200.0, 1500.0)):  # whole and cut slices
        assert groups.counts(start, end) == _by_hand(times, flags, records, start, end)
    assert set(groups.counts(0, 3600)) == {"gpt-4o", "gpt-4o-mini", NONE_LABEL, "3", "true", "claude"}


def test_a_high_cardinality_field_is_bounded_and_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lg, "MAX_LABELS", 10)
    groups = LabelGroups("trace_id", 60.0, "ratio")
    # 25 distinct values in one slice: 10 interned, then the rest counted together
    groups.add_batch([float(i) for i in range(25)], [1] * 25, [{"trace_id": f"t{i}"} for i in range(25)])
    counts = groups.counts(0, 60)
    assert len(counts) == 11 and counts[MORE_LABEL] == (15.0, 15.0)
    assert sum(n for _, n in counts.values()) == 25  # nothing lost
    assert any("more than 10 distinct values" in n for n in groups.notes)
    # the window moves on: the old values leave the table, new ones are interned again
    groups.prune(120.0)
    groups.add_batch([120.0 + i for i in range(5)], [0] * 5, [{"trace_id": f"u{i}"} for i in range(5)])
    assert groups.counts(120, 180) == {f"u{i}": (0.0, 1.0) for i in range(5)}
    assert len(groups._labels) == 5 and groups.notes == set()


@pytest.mark.parametrize(("value", "text"), [
    (None, NONE_LABEL), ("gpt-4o", "gpt-4o"), ("", ""), (True, "true"), (False, "false"), (3, "3"), (3.0, "3"),
    (2.5, "2.5"), ({"a": 1, "b": [1, "x"]}, '{"a":1,"b":[1,"x"]}'), ([1, "é"], '[1,"é"]'), ({}, "{}"),
])
def test_label_text(value, text) -> None:
    # objects and lists read as Python's repr ({'a': 1}) before: not the record's text
    assert lg.label_of(value) == text
