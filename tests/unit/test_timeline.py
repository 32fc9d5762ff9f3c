"""The replay's incremental evaluation (slotui.core.timeline) gives exactly what evaluate_slo gives.

At every step of random series, the SLOResult from the timeline's view is equal, field by field
(floats to the last bit), to evaluate_slo on the answer a source would give at that step: the whole
slices/buckets of the period plus the slice holding ``now`` cut at ``now``.
"""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.core.evaluate import evaluate_slo
from slotui.core.timeline import EventTimeline, SliceTimeline
from slotui.core.periods import period_bounds
from slotui.core.types import DAY, HOUR, MINUTE, BurnTier, SLIData, SLOSpec

L = 300.0
T0 = 1_780_000_200.0  # a multiple of 300

TIERS = (
    BurnTier("critical", 1 * HOUR, 5 * MINUTE, factor=14.4),
    BurnTier("critical", 6 * HOUR, 30 * MINUTE, factor=6.0),
    BurnTier("warning", 1 * DAY, 2 * HOUR, factor=1.0),
)


def _steps(first: float, count: int, every: float) -> list[float]:
    return [first + i * every for i in range(count)]


def _check(spec: SLOSpec, whole: list, tails: dict, steps: list[float], *, ratio: bool, answer) -> int:
    timeline = EventTimeline(whole) if ratio else SliceTimeline(spec, whole)
    checked = 0
    for now in steps:
        start, _ = period_bounds(spec, now)
        tail_start = math.floor(now / L) * L
        tail = tails.get(tail_start, ()) if tail_start < now else ()
        period = [p for p in whole if start <= p[0] < tail_start] + list(tail)
        view = timeline.at(start, tail_start, tail)
        extra = answer(now)
        if ratio:
            slow = evaluate_slo(spec, SLIData(buckets=tuple(period), **extra), now)
            fast = evaluate_slo(spec, SLIData(buckets=view.buckets_tuple(), **extra), now, series=view)
        else:
            slow = evaluate_slo(spec, SLIData(slices=tuple(period), **extra), now)
            fast = evaluate_slo(spec, SLIData(slices=view.points_tuple(), **extra), now, series=view)
        assert fast == slow, now
        assert repr(fast) == repr(slow)  # 0 vs 0.0, -0.0 vs 0.0: the same types and signs too
        # as the replay calls it: the step's own answer (the cut slice only; a forecast reads the
        # period's slices) and no history: every other field the same
        if ratio:
            lean = evaluate_slo(spec, SLIData(buckets=tuple(tail), **extra), now, series=view, history=False)
        else:
            mine = view.points_tuple() if spec.forecast else tuple(tail)
            lean = evaluate_slo(spec, SLIData(slices=mine, **extra), now, series=view, history=False)
        assert repr(lean) == repr(replace(slow, history=(), buckets=()))
        checked += 1
    return checked


counts = st.integers(min_value=0, max_value=400)
values = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.tuples(counts, counts, st.booleans()), min_size=1, max_size=600),
    target=st.sampled_from([0.9, 0.99, 0.995, 0.999]),
    period=st.sampled_from([1 * DAY, 7 * DAY / 4, 2 * DAY]),
    every=st.sampled_from([60.0, 120.0, 300.0, 420.0]),
    fractional=st.booleans(),
)
def test_ratio_timeline_equals_evaluate_slo_at_every_step(cells, target, period, every, fractional):
    spec = SLOSpec(name="availability", kind="ratio", target=target, direction="higher_is_better",
                   period=period, window=HOUR, tiers=TIERS, slice=L)
    whole = []
    tails = {}
    scale = 0.37 if fractional else 1.0  # a Prometheus increase(): not whole counts, no prefix sums
    for k, (a, b, present) in enumerate(cells):
        good, total = min(a, b) * scale, max(a, b) * scale
        t = T0 + k * L
        if present and total:
            whole.append((t, float(good), float(total)))
            tails[t] = ((t, float(good // 2), float(total // 2 or total)),)
    steps = _steps(T0 + 60.0, int(len(cells) * L // every), every)
    assert _check(spec, whole, tails, steps, ratio=True, answer=lambda now: {"fetched_at": now}) == len(steps)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.one_of(st.none(), values), min_size=1, max_size=600),
    target=st.sampled_from([1.0, 2.5, 5.0]),
    strict=st.booleans(),
    direction=st.sampled_from(["lower_is_better", "higher_is_better"]),
    every=st.sampled_from([60.0, 300.0, 180.0]),
)
def test_threshold_timeline_equals_evaluate_slo_at_every_step(cells, target, strict, direction, every):
    spec = SLOSpec(name="latency", kind="threshold", target=target, direction=direction, strict=strict,
                   period=DAY, window=HOUR, tiers=TIERS, slice=L, compliance=0.9)
    whole = [(T0 + k * L, v) for k, v in enumerate(cells) if v is not None]
    tails = {t: ((t, v * 0.5),) for t, v in whole}
    steps = _steps(T0 + 60.0, int(len(cells) * L // every), every)
    assert _check(spec, whole, tails, steps, ratio=False,
                  answer=lambda now: {"fetched_at": now, "value": 2.0, "n": 10}) == len(steps)


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(st.one_of(st.none(), values), min_size=1, max_size=600),
    target=st.sampled_from([50.0, 200.0, 400.0]),
    basis=st.sampled_from([None, 30.0]),
)
def test_spend_timeline_equals_evaluate_slo_at_every_step(cells, target, basis):
    spec = SLOSpec(name="daily_spend", kind="threshold", target=target, direction="lower_is_better",
                   period=DAY, window=DAY, tiers=TIERS, slice=L, calendar_window="day", forecast=True,
                   forecast_basis=6 * HOUR, sli_agg="sum")
    whole = [(T0 + k * L, v) for k, v in enumerate(cells) if v is not None]
    tails = {t: ((t, v / 3.0),) for t, v in whole}

    def answer(now: float) -> dict:
        day0 = math.floor(now / DAY) * DAY
        so_far = math.fsum(v for t, v in whole if day0 <= t < math.floor(now / L) * L)
        return {"fetched_at": now, "value": so_far or None, "basis_value": basis, "n": 3}

    steps = _steps(T0 + 60.0, int(len(cells) * L // 60.0), 60.0)
    assert _check(spec, whole, tails, steps, ratio=False, answer=answer) == len(steps)


def test_spend_crossing_matches_the_walk_once_the_target_is_passed():
    """A day's spend passes its target mid-day: from then on exhausted_at is the end of the slice
    where the running sum reached it, the same from the timeline as from the walk over the slices."""
    spec = SLOSpec(name="daily_spend", kind="threshold", target=100.0, direction="lower_is_better",
                   period=DAY, window=DAY, tiers=TIERS, slice=L, calendar_window="day", forecast=True,
                   forecast_basis=6 * HOUR, sli_agg="sum")
    day0 = math.floor(T0 / DAY) * DAY
    whole = [(day0 + k * L, 0.1 + (k % 7) * 0.3) for k in range(288)]
    tails = {t: ((t, v / 3.0),) for t, v in whole}
    passed = []

    def answer(now: float) -> dict:
        so_far = math.fsum(v for t, v in whole if day0 <= t < math.floor(now / L) * L)
        if so_far >= 100.0:
            passed.append(now)
        return {"fetched_at": now, "value": so_far or None, "n": 3}

    steps = _steps(day0 + 60.0, 1400, 60.0)
    assert _check(spec, whole, tails, steps, ratio=False, answer=answer) == len(steps)
    assert len(passed) > 100  # the crossing path ran at many steps
