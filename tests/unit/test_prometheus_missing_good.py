"""A breakdown group with traffic and no series in the grouped good query (sources/prometheus.py)."""

from __future__ import annotations

from slotui.sources.prometheus import _good_total, _missing_good


def _counts(good: dict[str, float], total: dict[str, float]) -> dict[str, tuple[float, float]]:
    return {label: _good_total(good.get(label), t) for label, t in total.items()}


def test_every_group_has_good_nothing_is_said() -> None:
    good, total = {"a": 9.0, "b": 5.0}, {"a": 10.0, "b": 5.0}
    counts = _counts(good, total)
    assert _missing_good("model", good, total, counts, (14.0, 15.0)) is None
    assert counts == {"a": (9.0, 10.0), "b": (5.0, 5.0)}


def test_absent_groups_the_slos_good_counts_all_good_are_all_good() -> None:
    good, total = {"a": 9.0}, {"a": 10.0, "b": 5.0, "c": 7.0}
    counts = _counts(good, total)
    note = _missing_good("model", good, total, counts, (21.0, 22.0))
    assert counts == {"a": (9.0, 10.0), "b": (5.0, 5.0), "c": (7.0, 7.0)}
    assert note is not None and note.startswith("model: ratio.good has no series for b, c (2 with traffic)")


def test_one_absent_group_gets_what_the_slos_good_leaves() -> None:
    good, total = {"a": 9.0}, {"a": 10.0, "b": 5.0}
    counts = _counts(good, total)
    note = _missing_good("model", good, total, counts, (12.0, 15.0))  # 12 - 9 = 3 of b's 5 are good
    assert counts["b"] == (3.0, 5.0)
    assert note is not None and "its good is the SLO's good less the other groups'" in note


def test_absent_groups_that_cannot_be_settled_stay_0_good_and_are_named() -> None:
    good, total = {"a": 9.0}, {"a": 10.0, "b": 5.0, "c": 7.0}
    counts = _counts(good, total)
    note = _missing_good("model", good, total, counts, (15.0, 22.0))  # 6 of 12: which group's?
    assert counts["b"] == (0.0, 5.0) and counts["c"] == (0.0, 7.0)
    assert note is not None and "b, c with traffic: read as 0 good events" in note
    counts = _counts(good, total)
    assert _missing_good("model", good, total, counts, None) is not None  # no SLO figure: said, 0 good
    assert counts["b"] == (0.0, 5.0)
    counts = _counts({}, {"a": 10.0})
    _missing_good("model", {}, {"a": 10.0}, counts, (30.0, 10.0))  # the SLO's good beyond its total: not used
    assert counts["a"] == (0.0, 10.0)
