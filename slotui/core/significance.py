"""Is the breach real? Sample counts, intervals and the significance rule (SPEC 10.2).

Pure: functions of the spec, the source's answer and the point status; no
clock, no I/O.

Interval of the window's SLI at ``spec.confidence``:

- ratio SLOs: Wilson score interval of good/total (``n`` = total events);
- threshold SLOs with a sample standard deviation (means; also ``check
  --results`` metrics that report ``n`` and ``stddev``): Student's t;
- ``pNN`` with the window's sorted sample: the order-statistic interval;
- a ready-made ``data.interval`` from the source (large percentile windows)
  is taken as is; other aggregates (sum, count, min, max) have none.

Rule: a window with ``0 < n < spec.min_samples`` is "low samples": NO DATA, never
alerts (an empty window is NO DATA with the note ``no samples in the window``).
With ``spec.significant``, WARNING/CRITICAL stand only when the whole
interval is worse than that threshold: the status is recomputed from the
interval's most favourable end and, when that is below WARNING, the SLO is AT
RISK with the note ``not significant (n=12, 95% CI 0.71-0.91)``; a CRITICAL whose interval backs
WARNING is WARNING, significant, with the note ``CRITICAL not significant (...): WARNING stands``. A source
that reports no count leaves the status as it is, and so does an SLI that is
no estimate (a sum, count, min or max: :func:`estimates`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from slotui.core.intervals import mean_interval, quantile_ends_open, quantile_interval, wilson_interval
from slotui.core.status import finite, meets, value_status, worse_than
from slotui.core.types import SLIData, SLOSpec, Status
from slotui.formatting import low_samples_note, not_significant_note

_QUANTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The significance of one window: the status after the rule and what to show."""

    status: Status
    n: int | None
    interval: tuple[float, float] | None
    significant: bool | None
    low_samples: bool
    note: str | None


def quantile_of(agg: str | None) -> float | None:
    """``q`` of a ``pNN``/``median`` aggregate (``p95`` -> 0.95), else None."""
    text = (agg or "").strip().lower()
    if text == "median":
        return 0.5
    m = _QUANTILE.match(text)
    return float(m.group(1)) / 100.0 if m else None


def _finite_interval(interval: tuple[float, float] | None) -> tuple[float, float] | None:
    if interval is None:
        return None
    lo, hi = finite(interval[0]), finite(interval[1])
    if lo is None or hi is None or lo > hi:
        return None
    return lo, hi


def threshold_interval(spec: SLOSpec, data: SLIData, value: float | None) -> tuple[float, float] | None:
    """The interval of a threshold SLO's window value (see the module docstring); None when there is none.

    The reported interval always holds the point estimate: an order-statistic
    interval brackets the population quantile, and for tiny samples its ranks
    can miss the interpolated sample quantile (p99 of ``[0, 1]`` is 0.99, the
    interval ``[1, 1]``); it is then stretched to the estimate.
    """
    interval = _raw_threshold_interval(spec, data, value)
    if interval is None or value is None:
        return interval
    return min(interval[0], value), max(interval[1], value)


def _raw_threshold_interval(spec: SLOSpec, data: SLIData, value: float | None) -> tuple[float, float] | None:
    if value is None or data.n is None:
        return None
    if data.interval is not None:
        return _finite_interval(data.interval)
    agg = (spec.sli_agg or "").strip().lower()
    stddev = finite(data.stddev)
    if stddev is not None and agg in ("", "mean", "avg", "average"):
        return _finite_interval(mean_interval(value, stddev, data.n, spec.confidence))
    q = quantile_of(agg)
    if q is not None and data.sample and len(data.sample) == data.n:
        return _finite_interval(quantile_interval(data.sample, q, spec.confidence))
    return None


def ratio_interval(spec: SLOSpec, good: float | None, total: float | None) -> tuple[float, float] | None:
    """Wilson interval of ``good / total`` at ``spec.confidence`` (None without events)."""
    if good is None or total is None or not total > 0:
        return None
    return _finite_interval(wilson_interval(good, total, spec.confidence))


def judged_interval(spec: SLOSpec, n: int | None, interval: tuple[float, float] | None) -> tuple[float, float] | None:
    """The interval the significance rule judges: a ``pNN`` interval's end that was clamped to the
    sample minimum or maximum (too few samples for an order statistic there) is unbounded. One sample
    gives p95 the "interval" ``[x, x]``, which says nothing about where the population p95 lies."""
    q = quantile_of(spec.sli_agg)
    if interval is None or q is None or n is None:
        return interval
    lower_open, upper_open = quantile_ends_open(n, q, spec.confidence)
    return (-math.inf if lower_open else interval[0], math.inf if upper_open else interval[1])


def _favourable_end(interval: tuple[float, float], spec: SLOSpec) -> float:
    return interval[0] if spec.direction == "lower_is_better" else interval[1]


def _unfavourable_end(interval: tuple[float, float], spec: SLOSpec) -> float:
    return interval[1] if spec.direction == "lower_is_better" else interval[0]


def is_significant(value: float | None, interval: tuple[float, float] | None, spec: SLOSpec) -> bool | None:
    """True when the whole interval agrees with the point estimate's verdict; None without an interval.

    A value worse than a threshold (the worst it crosses: critical, warning
    or target) is significant when the interval's most favourable end is
    worse than that threshold too; a value meeting the target when the
    interval's least favourable end meets it.
    """
    if value is None or interval is None:
        return None
    point = value_status(value, spec)
    if point is Status.CRITICAL and spec.critical is not None:
        return worse_than(_favourable_end(interval, spec), spec.critical, spec.direction, spec.strict)
    if point is Status.WARNING and spec.warning is not None:
        return worse_than(_favourable_end(interval, spec), spec.warning, spec.direction, spec.strict)
    if point is Status.AT_RISK:
        return worse_than(_favourable_end(interval, spec), spec.target, spec.direction, spec.strict)
    return meets(_unfavourable_end(interval, spec), spec.target, spec.direction, spec.strict)


def estimates(spec: SLOSpec, data: SLIData | None = None) -> bool:
    """True when the SLI is an estimate that has an interval (SPEC 10.2): a mean, a ``pNN``, or a
    source that hands over its own interval or standard deviation. A sum, count, min or max is
    not: it is the figure itself (a month's spend), and ``significant`` leaves its status alone."""
    if data is not None and (data.interval is not None or finite(data.stddev) is not None):
        return True
    agg = (spec.sli_agg or "").strip().lower()
    return agg in ("", "mean", "avg", "average") or quantile_of(agg) is not None


def judge(
    spec: SLOSpec,
    status: Status,
    value: float | None,
    n: int | None,
    interval: tuple[float, float] | None,
    *,
    estimate: bool = True,
) -> Verdict:
    """Apply ``min_samples`` and ``significant`` to the point ``status`` of one window.

    ``estimate``: the SLI has an interval kind (:func:`estimates`); when it has none (a sum, min,
    max or count) ``significant`` changes nothing, while an estimate without an interval (a mean
    of one sample) is not significant."""
    significant = is_significant(value, judged_interval(spec, n, interval), spec)
    # an empty window (n = 0) is plain NO DATA, not "low samples" (as ratio SLOs have it: "no events")
    if n == 0 and value is None:
        return Verdict(status, n, interval, significant, False, "no samples in the window")
    if n is not None and 0 < n < spec.min_samples and status not in (Status.STALE,):
        return Verdict(Status.NO_DATA, n, interval, significant, True, low_samples_note(n, spec))
    if (not spec.significant or n is None or status not in (Status.WARNING, Status.CRITICAL)
            or (interval is None and not estimate)):
        return Verdict(status, n, interval, significant, False, None)
    if interval is None:
        return Verdict(Status.AT_RISK, n, None, significant, False, not_significant_note(n, None, spec))
    backed = value_status(_favourable_end(judged_interval(spec, n, interval), spec), spec)
    if backed.rank >= status.rank:
        return Verdict(status, n, interval, significant, False, None)
    if backed in (Status.WARNING, Status.CRITICAL):
        # a CRITICAL the interval backs only as far as WARNING: that breach is real (significant), its
        # level is not; "not significant" would tell a CI gate reading the key to ignore a real breach
        return Verdict(backed, n, interval, True, False,
                       f"{status.value} {not_significant_note(n, interval, spec)}: {backed.value} stands")
    return Verdict(Status.AT_RISK, n, interval, significant, False, not_significant_note(n, interval, spec))


def significant_rate(bad: float, total: float, budget: float, factor: float, confidence: float) -> bool:
    """True when even the lower end of the bad ratio's Wilson interval burns faster than ``factor``.

    The burn-rate tiers of a ratio SLO with ``significant``: a window of 3 bad
    out of 10 requests is a 30% error ratio, but its interval reaches down to
    10.8%; the tier fires only when ``lo / budget > factor``.
    """
    interval = wilson_interval(bad, total, confidence) if total > 0 else None
    if interval is None or budget <= 0:
        return False
    lo = interval[0] / budget
    return lo > factor and not math.isclose(lo, factor, rel_tol=1e-9, abs_tol=0.0)
