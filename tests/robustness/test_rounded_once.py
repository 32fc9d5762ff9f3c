"""A mean is rounded once: ``fsum(values) / n`` rounded twice and put three 0.95 scores at
0.9499999999999998, a WARNING under a 0.95 target every one of them meets.

The family: the file source's window mean (whole slices and cut ones), its breakdown groups
and their ``without``, the replay's stored means and the plain aggregate — each is the exact
mean of the values, correctly rounded, and the same float on every path.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from records_gen import NOON, check_json, file_config, jsonl, record

from slotui.core.breakdown import aggregate_sorted, summary_breakdown
from slotui.core.sums import exact_mean, mean_of_terms, sum_terms
from slotui.core.types import SLOSpec

AT = "2026-06-01T12:00:00Z"  # == NOON


def _true_mean(values: list[float]) -> float:
    return float(sum(map(Fraction, values), Fraction(0)) / len(values))


def test_three_scores_at_the_target_average_to_the_target() -> None:
    assert math.fsum([0.95] * 3) / 3 == 0.9499999999999998  # the fault: rounded twice
    assert exact_mean([0.95] * 3) == 0.95
    assert exact_mean([0.1] * 10) == 0.1
    assert aggregate_sorted([0.95, 0.95, 0.95], "mean") == 0.95


# decimal-looking scores (what judges and users write) and binary fractions of all sizes
_scores = st.integers(min_value=0, max_value=1000).map(lambda i: i / 1000)
_binary = st.integers(min_value=-(10**12), max_value=10**12).map(lambda i: i / 2**20)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_scores, _binary), min_size=1, max_size=200), st.data())
def test_a_mean_of_parts_is_the_exact_mean_rounded_once(values: list[float], data: st.DataObject) -> None:
    expected = _true_mean(values)
    assert exact_mean(values) == expected
    # cut into slices anywhere, each slice's terms added: the same float
    cuts = sorted(data.draw(st.lists(st.integers(0, len(values)), max_size=6)))
    parts = [values[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)]) if b > a]
    assert mean_of_terms([t for p in parts for t in sum_terms(p)], len(values)) == expected



def test_values_spanning_more_than_53_bits_keep_every_bit() -> None:
    """1, 2**-60 and 2**-200: the rounded sum is 1 and the rest (2**-60 + 2**-200) needs 141 bits, so
    one residual (2**-60) dropped 2**-200; the tail keeps it."""
    values = [1.0, 2.0**-60, 2.0**-200]
    assert sum_terms(values) == [1.0, 2.0**-60, 2.0**-200]
    assert exact_mean(values) == _true_mean(values)
    # a value the dropped bit decides: 2**53 + 1 is halfway between two doubles (ties to even: 2**53);
    # 2**-200 more rounds it up to 2**53 + 2. The sum's rest is -1 + 2**-200: one residual (-1) lost it.
    halfway = [2.0**53, 1.0, 2.0**-200]
    assert sum_terms(halfway) == [2.0**53 + 2, -1.0, 2.0**-200]
    assert mean_of_terms(halfway, 1) == 2.0**53 + 2
    assert exact_mean(halfway) == _true_mean(halfway)


_any = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@settings(max_examples=300, deadline=None)
@given(st.lists(_any, min_size=1, max_size=40), st.data())
def test_any_finite_floats_give_the_exact_mean_rounded_once(values: list[float], data: st.DataObject) -> None:
    expected = _true_mean(values)
    assert exact_mean(values) == expected
    cuts = sorted(data.draw(st.lists(st.integers(0, len(values)), max_size=6)))
    parts = [values[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)]) if b > a]
    assert mean_of_terms([t for p in parts for t in sum_terms(p)], len(values)) == expected


def test_a_breakdown_group_and_its_without_are_rounded_once() -> None:
    spec = SLOSpec(name="helpful", kind="threshold", target=0.95, direction="higher_is_better",
                   source="logs", window=3600.0, period=86400.0, slice=300.0)
    sums = {"a": (3, sum_terms([0.95, 0.95, 0.95])), "b": (3, sum_terms([0.95, 0.95, 0.95])),
            "c": (1, sum_terms([0.5]))}
    bd = summary_breakdown(spec, "model", 3600.0, "mean", sums)
    groups = {g.labels["model"]: g for g in bd.groups}
    assert groups["a"].value == 0.95
    assert groups["c"].without == 0.95  # the six 0.95 left: OK, not WARNING
    assert groups["c"].status_without.name == "OK"
    assert groups["a"].without == _true_mean([0.95] * 3 + [0.5])


def _check(tmp_path: Path, records: list[dict]) -> dict:
    (tmp_path / "requests.jsonl").write_text(jsonl(records))
    return check_json(file_config(tmp_path, (
        "  - {name: helpfulness, source: logs, sli: {field: evaluations.helpfulness, agg: mean},\n"
        "     objective: {target: 0.95, warning: 0.9, direction: higher_is_better},\n"
        "     breakdown: [gen_ai.request.model]}\n"
        "  - {name: cost, source: logs, sli: {field: gen_ai.usage.cost, agg: mean},\n"
        "     objective: {target: 0.1, direction: lower_is_better}}\n")), AT)


def _scored(t: float, score: float, model: str, cost: float = 0.1) -> dict:
    return record(t, gen_ai__request__model=model, gen_ai__usage__cost=cost, evaluations=[
        {"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": score}])


def test_check_says_ok_when_every_score_meets_the_target(tmp_path: Path) -> None:
    # six records: three in three different 5-minute slices of the window, three in one
    # (fsum / 6 gave 0.9499999999999998 and 0.10000000000000002)
    records = [_scored(NOON - 1800 + i * 600, 0.95, "m") for i in range(3)]
    records += [_scored(NOON - 60 + i, 0.95, "m") for i in range(3)]
    report = _check(tmp_path, records)
    slos = {s["name"]: s for s in report["slos"]}
    assert slos["helpfulness"]["value"] == 0.95
    assert slos["helpfulness"]["status"] == "OK"
    assert slos["cost"]["value"] == 0.1
    assert slos["cost"]["status"] == "OK"
    assert report["returncode"] == 0
    [group] = slos["helpfulness"]["breakdown"]["groups"]
    assert (group["labels"], group["value"]) == ({"gen_ai.request.model": "m"}, 0.95)


def test_check_breakdown_without_is_the_exact_mean_of_the_rest(tmp_path: Path) -> None:
    records = [_scored(NOON - 1800 + i * 60, 0.95, "good") for i in range(3)]
    records += [_scored(NOON - 900, 0.5, "bad")]
    report = _check(tmp_path, records)
    slo = next(s for s in report["slos"] if s["name"] == "helpfulness")
    assert slo["value"] == _true_mean([0.95] * 3 + [0.5])
    groups = {g["labels"]["gen_ai.request.model"]: g for g in slo["breakdown"]["groups"]}
    assert groups["bad"]["without"] == 0.95
    assert groups["bad"]["status_without"] == "OK"


def test_many_groups_over_many_slices_give_exact_withouts_from_two_terms_each() -> None:
    """A label's sum reaches the breakdown as two terms, not two per slice (the breakdown added all
    of them again for every group: 20 s for 1,000 labels over a day of slices), and each group's
    ``without`` is the exact mean of the other groups' values, rounded once."""
    from slotui.sources.kit.label_groups import LabelGroups

    rng = __import__("random").Random(5)
    groups = LabelGroups("model", 300.0, "values")
    times, values, records = [], [], []
    for k in range(48):
        for i in range(40):
            times.append(NOON + k * 300 + i)
            values.append(rng.choice([0.95, 0.1, rng.random(), rng.randint(0, 1000) / 1000]))
            records.append({"model": f"m{i % 20}"})
    groups.add_batch(times, values, records)
    sums = groups.sums(NOON, NOON + 48 * 300)
    assert len(sums) == 20 and all(len(terms) <= 2 for _, terms in sums.values())
    spec = SLOSpec(name="s", kind="threshold", target=0.5, direction="higher_is_better", source="logs",
                   window=48 * 300.0, period=86400.0, slice=300.0)
    bd = summary_breakdown(spec, "model", 48 * 300.0, "mean", sums, limit=20)
    by_label: dict[str, list[float]] = {}
    for v, r in zip(values, records):
        by_label.setdefault(r["model"], []).append(v)
    for g in bd.groups:
        label = g.labels["model"]
        rest = [v for k, vs in by_label.items() if k != label for v in vs]
        assert g.value == _true_mean(by_label[label]) and g.without == _true_mean(rest), label


def test_a_group_whose_sum_is_not_finite_is_left_out_with_a_note() -> None:
    spec = SLOSpec(name="s", kind="threshold", target=0.5, direction="higher_is_better", source="logs",
                   window=3600.0, period=86400.0, slice=300.0)
    bd = summary_breakdown(spec, "model", 3600.0, "mean", {"a": (2, 1.9), "b": (1, float("nan"))})
    assert [g.labels["model"] for g in bd.groups] == ["a"] and bd.groups[0].value == 0.95
    assert bd.notes == ("model: 1 group left out, its sum is not a finite number",)


# ----------------------------------------------------------------- the int64-limb sum of a numpy array

_spans = st.builds(lambda m, e: m * 2.0**e, st.floats(-1, 1, allow_nan=False), st.integers(-1074, 990))


def _hexes(terms: list) -> list:
    return [t.hex() if isinstance(t, float) else t for t in terms]


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.lists(st.one_of(_scores, _binary), min_size=1, max_size=300),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50),
    st.lists(_spans, min_size=1, max_size=50),
    st.builds(lambda e, xs: [x * 2.0**e for x in xs], st.integers(-1100, 1000),
              st.lists(st.floats(-2**40, 2**40, allow_nan=False), min_size=1, max_size=100)),
))
def test_the_array_sum_gives_fsum_terms_bit_for_bit_or_declines(values: list[float]) -> None:
    """``array_sum_terms`` (a slice's sum in int64 limbs when numpy is loaded) gives the very terms
    ``sum_terms`` (fsum and its tail) gives, to the bit and the sign, or None."""
    import numpy as np

    from slotui.core.sums import array_sum_terms

    got = array_sum_terms(np.array(values, dtype=np.float64), np)
    if got is not None:
        assert _hexes(got) == _hexes(sum_terms(values))


_runs = st.one_of(
    st.lists(st.one_of(_scores, _binary), min_size=1, max_size=40),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=10),
    st.lists(_spans, min_size=1, max_size=10),
    st.builds(lambda e, xs: [x * 2.0**e for x in xs], st.integers(-1100, 1000),
              st.lists(st.floats(1, 2**30, allow_nan=False), min_size=1, max_size=30)),  # spans of 11-42
    st.lists(st.sampled_from([0.0, -0.0, math.inf, 1.0]), min_size=1, max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_runs, min_size=1, max_size=8))
def test_the_batch_sum_gives_each_runs_fsum_terms_or_declines(runs: list[list[float]]) -> None:
    """``array_sum_terms_batch`` (every slice of a series at once): each run's terms are the ones
    ``sum_terms`` gives that run alone, whatever the other runs hold (zeros, infinities, wide spans
    take the slow paths for the whole batch)."""
    import numpy as np

    from slotui.core.sums import array_sum_terms_batch

    values = np.array([v for run in runs for v in run], dtype=np.float64)
    for run, got in zip(runs, array_sum_terms_batch(values, [len(r) for r in runs], np), strict=True):
        if got is not None:
            assert _hexes(got) == _hexes(sum_terms(run))
        elif all(map(math.isfinite, run)) and max(map(abs, run)) < 2.0**900 and math.fsum(run) != 0:
            exps = [math.frexp(v)[1] for v in run if v]
            assert max(exps) - min(exps) > 42  # declined only beyond three limbs' span


def test_the_array_sum_declines_what_fsum_alone_tells() -> None:
    import numpy as np

    from slotui.core.sums import array_sum_terms

    def terms(values: list[float]) -> list | None:
        return array_sum_terms(np.array(values, dtype=np.float64), np)

    assert terms([-0.0, -0.0]) is None  # fsum keeps the sign of a negative zero
    assert terms([0.1, -0.1]) is None  # an exact zero: fsum's sign
    assert terms([1.0, 2.0**-43]) is None  # 44 binary exponents apart: beyond three limbs
    assert terms([1e300, 1e300]) is None  # near the float range: fsum (or the Fraction) tells
    assert terms([1.0, math.inf]) is None
    # within the span, every bit: the rounded sum and what is left
    assert terms([2.0**42, 1.0 + 2.0**-52]) == [2.0**42 + 1, 2.0**-52] == sum_terms([2.0**42, 1.0 + 2.0**-52])
    below_one = [1 - 2.0**-53] * 3  # 3 - 3 * 2**-53 rounds to 3 - 2**-51, and 2**-53 is left
    assert terms(below_one) == [3 - 2.0**-51, 2.0**-53] == sum_terms(below_one)
    assert terms([0.95] * 3) == sum_terms([0.95] * 3)
    assert terms([1.0, 2.0**-42, 2.0**-42]) == [1.0 + 2.0**-41]
