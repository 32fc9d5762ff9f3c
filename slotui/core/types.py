"""Plain data types shared by the evaluation core, sources, alerting, outputs and the TUI.

Nothing here does I/O or reads a clock. Times are UTC epoch seconds (float);
durations are seconds (float). Windows are half-open: ``[now - w, now)``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from slotui.core.breakdown import Breakdown

Direction = Literal["higher_is_better", "lower_is_better"]
Kind = Literal["threshold", "ratio"]
TierSeverity = Literal["critical", "warning"]

DAY = 86400.0
HOUR = 3600.0
MINUTE = 60.0


def error_budget(objective: float) -> float:
    """``1 - objective``, computed on the objective as written in decimal.

    ``1 - 0.995`` in binary floating point is ``0.0050000000000000044``; the
    budget of a 99.5% objective is 0.005, so the subtraction is done on the
    shortest decimal form of the float (``repr``), which is what the user
    wrote. A non-finite objective gives ``0.0`` (never NaN).
    """
    if type(objective) is float:  # the common case, asked at every evaluation: once per value
        return _float_budget(objective)
    return _error_budget(objective)


@lru_cache(maxsize=1024)
def _float_budget(objective: float) -> float:
    return _error_budget(objective)


def _error_budget(objective: float) -> float:
    try:
        value = float(objective)
        if not math.isfinite(value):
            return 0.0
        return float(Decimal(1) - Decimal(repr(value)))
    except (InvalidOperation, TypeError, ValueError, OverflowError):
        return 0.0


class Status(str, Enum):
    """Status of one SLO. ``rank`` orders them worst first for sorting."""

    CRITICAL = "CRITICAL"
    WARNING = "WARNING"
    STALE = "STALE"
    NO_DATA = "NO DATA"
    AT_RISK = "AT RISK"
    OK = "OK"

    @property
    def rank(self) -> int:
        """Higher is worse: CRITICAL 5, WARNING 4, STALE 3, NO DATA 2, AT RISK 1, OK 0."""
        return _RANK[self]


_RANK = {
    Status.CRITICAL: 5,
    Status.WARNING: 4,
    Status.STALE: 3,
    Status.NO_DATA: 2,
    Status.AT_RISK: 1,
    Status.OK: 0,
}


@dataclass(frozen=True, slots=True)
class BurnTier:
    """One tier of a multi-window, multi-burn-rate policy.

    Either ``budget_fraction`` (share of the period's budget spent when the tier
    triggers; the factor is then ``F = budget_fraction * period / long_window``)
    or an absolute ``factor`` is given.
    """

    severity: TierSeverity
    long_window: float
    short_window: float
    budget_fraction: float | None = None
    factor: float | None = None

    def effective_factor(self, period: float) -> float:
        """The burn-rate factor F for a compliance period of ``period`` seconds."""
        if self.factor is not None:
            return self.factor
        assert self.budget_fraction is not None
        return self.budget_fraction * period / self.long_window


#: Google SRE workbook, "Alerting on SLOs", table for a 30-day period:
#: 1h/5m at 14.4 (2%), 6h/30m at 6 (5%), 3d/6h at 1 (10%).
DEFAULT_TIERS: tuple[BurnTier, ...] = (
    BurnTier("critical", 1 * HOUR, 5 * MINUTE, budget_fraction=0.02),
    BurnTier("critical", 6 * HOUR, 30 * MINUTE, budget_fraction=0.05),
    BurnTier("warning", 3 * DAY, 6 * HOUR, budget_fraction=0.10),
)

#: slotui's default compliance period (``defaults.period``).
DEFAULT_PERIOD = 7 * DAY
#: The default policy at the default 7d period. Scaled to 7d, the workbook's 3d/6h
#: ticket tier has F = 0.1 x 7d / 3d = 0.233 < 1 (it would fire while the budget is
#: on track), so at 7d slotui keeps the workbook's burn speeds as absolute factors
#: (14.4, 6, 1) with a 1d/2h ticket window: what slos.example.yaml writes out.
DEFAULT_PERIOD_TIERS: tuple[BurnTier, ...] = (
    BurnTier("critical", 1 * HOUR, 5 * MINUTE, factor=14.4),
    BurnTier("critical", 6 * HOUR, 30 * MINUTE, factor=6.0),
    BurnTier("warning", 1 * DAY, 2 * HOUR, factor=1.0),
)


def default_tiers(period: float) -> tuple[BurnTier, ...]:
    """The burn-rate policy of an SLO that configures none, for its period in seconds.

    :data:`DEFAULT_PERIOD_TIERS` at the default 7d period, else the workbook's
    :data:`DEFAULT_TIERS` (budget shares, ``F = budget x period / long window``).
    """
    return DEFAULT_PERIOD_TIERS if period == DEFAULT_PERIOD else DEFAULT_TIERS


@dataclass(frozen=True, slots=True)
class SLOSpec:
    """A fully resolved SLO: every default applied, direction inferred.

    The evaluation core reads the objective part. Sources read the query part
    (``sli_field``/``sli_agg``/``sli_where`` for request logs, ``good``/``total``
    for ratio SLIs, ``query`` and ``params`` for source-specific queries).
    """

    name: str
    kind: Kind
    target: float
    direction: Direction
    source: str = "demo"
    #: equality with target/warning/critical misses them (OpenSLO ``lt``/``gt``)
    strict: bool = False
    warning: float | None = None
    critical: float | None = None
    compliance: float = 0.99
    window: float = HOUR
    period: float = 7 * DAY
    calendar_month: bool = False
    #: calendar periods of ``period`` seconds aligned to this moment (epoch s; OpenSLO calendar windows)
    period_anchor: float | None = None
    slice: float = 300.0
    interval: float = 30.0
    tiers: tuple[BurnTier, ...] = DEFAULT_TIERS
    min_events: int = 1
    at_risk_below: float = 0.25
    #: SPEC 10.2: WARNING/CRITICAL only when the whole interval is past the threshold
    significant: bool = False
    #: SPEC 10.2: windows with fewer samples are "low samples" and never alert
    min_samples: int = 1
    #: SPEC 10.2: two-sided confidence of the interval
    confidence: float = 0.95
    unit: str = ""
    description: str = ""
    runbook: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    for_: float = 0.0
    #: calendar SLI window (UTC): "month", "week" (from Monday), "day", or "fixed" (blocks of
    #: ``window`` seconds from the epoch); None: the rolling ``[now - window, now)`` (SPEC 10.4)
    calendar_window: str | None = None
    #: judge the projected end-of-window value of a ``sum`` SLI (SPEC 10.4)
    forecast: bool = False
    #: the spend rate is measured over this much (seconds) before ``now``, or the window so far if shorter
    forecast_basis: float = DAY
    # -- query part, interpreted by the source --------------------------------
    sli_field: str | None = None
    sli_agg: str | None = None
    sli_where: str | None = None
    good: str | None = None
    total: str | None = None
    query: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    #: record fields / labels to break the SLI down by (SPEC 10.1), one breakdown each
    breakdown: tuple[str, ...] = ()

    @property
    def rolling(self) -> bool:
        """True for a rolling period ``[now - period, now)``; False for calendar periods."""
        return not self.calendar_month and self.period_anchor is None

    @property
    def budget(self) -> float:
        """The error budget B: ``1 - target`` (ratio) or ``1 - compliance`` (threshold).

        Computed in decimal (see :func:`error_budget`): a 99.5% target gives exactly 0.005.
        """
        return error_budget(self.target if self.kind == "ratio" else self.compliance)


@dataclass(frozen=True, slots=True)
class GroupData:
    """What a source answers for one breakdown label (SPEC 10.1) over ``window`` seconds.

    Ratio SLOs: ``counts`` maps each label value to ``(good, total)``. Threshold
    SLOs: ``values`` maps each label value to its finite sample values.
    ``note`` says what the source could not do (e.g. no grouping).
    """

    by: str
    window: float
    counts: Mapping[str, tuple[float, float]] | None = None
    values: Mapping[str, Sequence[float]] | None = None
    note: str | None = None
    #: threshold SLOs with a mean, sum or count: ``(count, sum)`` per label value (no values needed);
    #: the sum may be exact terms (:func:`slotui.core.sums.sum_terms`), so a mean is rounded once
    sums: Mapping[str, tuple[float, float | tuple[float, ...]]] | None = None
    #: what ``sums`` aggregate to (mean, sum or count) when the source knows it better than ``sli.agg``
    #: (a Langfuse ``error_rate`` is the mean of error flags: ``(observations, errors)``)
    agg: str | None = None
    #: ``forecast: true`` SLOs (SPEC 10.4): ``(count, sum)`` per label value over the forecast basis
    #: ``[basis_start, now)``, like ``sums``: each ``status_without`` is judged on the projection
    #: without the group (None: the source gives none; it is judged on the sum so far, with a note)
    basis: Mapping[str, tuple[float, float | tuple[float, ...]]] | None = None


@dataclass(frozen=True, slots=True)
class SLIData:
    """What a source answers for one SLO at one fetch.

    Threshold SLOs: ``value`` is the SLI over ``[now - window, now)`` and
    ``slices`` the SLI of each slice ``(slice_start, value)`` over the period
    (slices without data are absent). Ratio SLOs: ``buckets`` are
    ``(slice_start, good, total)`` per slice over the period; ``windows`` may
    hold ``window_seconds -> (good, total)`` answered directly by the source
    (e.g. a PromQL ``increase`` over ``{{window}}``) and take precedence over
    bucket sums for that window.

    ``fetched_at`` is when the data was last obtained successfully; ``error`` is
    the last fetch error (data may still hold the last good answer).
    """

    value: float | None = None
    slices: tuple[tuple[float, float], ...] = ()
    buckets: tuple[tuple[float, float, float], ...] = ()
    windows: Mapping[float, tuple[float, float]] = field(default_factory=dict)
    fetched_at: float | None = None
    error: str | None = None
    malformed: int = 0
    note: str | None = None
    #: per-label group answers for the SLO's ``breakdown`` fields
    groups: tuple[GroupData, ...] = ()
    #: SPEC 10.2: samples behind ``value`` (None: the source reports no count)
    n: int | None = None
    #: sample standard deviation of the window's values (means; ``n - 1`` denominator)
    stddev: float | None = None
    #: the window's values, ascending, when ``n`` is small enough to carry (percentiles)
    sample: tuple[float, ...] = ()
    #: an interval the source computed itself at the SLO's confidence (large percentile windows)
    interval: tuple[float, float] | None = None
    #: forecast SLOs: the SLI (a sum) over the basis, ``[max(window start, now - basis), now)``
    basis_value: float | None = None
    #: the source answers the current value only, no slices (a generic JSON endpoint): the engine
    #: records each tick's value in its slice. Other sources' slices are the whole answer: no slice
    #: in the period is none, even while the window (reaching back before the period) has a value
    current_only: bool = False
    #: ratio SLOs: ``windows`` and ``buckets`` hold shares of one (recorded error ratios), not event
    #: counts: no sample count, no interval (a Wilson interval of "1 event" said n=1 over thousands)
    shares: bool = False


@dataclass(frozen=True, slots=True)
class Forecast:
    """The projection of a ``sum`` SLI to the end of its window (SPEC 10.4).

    ``so_far`` is the sum over ``[window_start, now)``; ``rate_per_day`` the
    sum over the basis divided by the basis length (``basis_s`` seconds), in
    units per day; ``value_at_end = so_far + rate x (window_end - now)``;
    ``exhausted_at`` the moment ``so_far + rate x t`` reaches the target
    (``None`` if not before ``window_end``; the end of the slice in which the
    target was passed, or ``now``, when it already is).
    """

    so_far: float
    value_at_end: float
    rate_per_day: float
    basis_s: float
    exhausted_at: float | None
    window_start: float
    window_end: float


@dataclass(frozen=True, slots=True)
class BurnRate:
    """One tier evaluated: burn rates are ``error_ratio / B`` (1.0 = exactly on budget).

    ``factor`` is the tier's F for the SLO's period; the tier fires when both
    rates are strictly greater than F and neither window is low on traffic.
    ``*_events`` count events (ratio SLOs: total requests; threshold SLOs:
    slices with data) in each window; a rate is ``None`` when its window has
    no events. ``*_error_ratio`` are the raw bad/total shares (``None`` alike).
    """

    severity: TierSeverity
    long_window: float
    short_window: float
    factor: float
    long_rate: float | None
    short_rate: float | None
    long_events: float
    short_events: float
    firing: bool
    low_traffic: bool
    long_error_ratio: float | None = None
    short_error_ratio: float | None = None
    #: SPEC 10.2 (``significant``): both rates exceed F but an interval of a window's error ratio does not
    not_significant: bool = False


@dataclass(frozen=True, slots=True)
class Budget:
    """Error budget over the compliance period.

    ``consumed``/``remaining`` are fractions of the budget (remaining may be
    negative). Ratio SLOs fill ``good``/``total``/``allowed_bad``; threshold SLOs
    fill ``compliance``/``good_slices``/``slices``. ``time_left`` is seconds of
    bad time left (threshold) or ``None``.
    """

    budget: float
    consumed: float | None
    remaining: float | None
    good: float | None = None
    total: float | None = None
    bad: float | None = None
    allowed_bad: float | None = None
    compliance: float | None = None
    good_slices: int | None = None
    slices: int | None = None
    time_left: float | None = None


@dataclass(frozen=True, slots=True)
class SLOResult:
    """The evaluation of one SLO at ``evaluated_at`` (see :mod:`slotui.core.evaluate`).

    ``value`` is the SLI over ``[now - window, now)`` (ratio SLOs: good/total,
    with ``good``/``total`` the window's event counts); ``None`` means no data,
    never NaN. ``history`` is ``(slice_start, sli)`` over the period, sorted by
    time (threshold: the slices; ratio: per-bucket good/total). ``meets_target``
    says whether the period compliance meets the objective (``None``: unknown).
    ``period_start``/``period_length`` are the compliance period used (seconds;
    the length is the whole period, e.g. the whole calendar month). ``buckets``
    (ratio SLOs) are the period's ``(start, good, total)`` buckets the
    evaluation counted (finite, ``0 <= good <= total``, sorted): the
    budget-over-time view (:func:`slotui.core.budget.budget_timeline`) needs the
    counts, which ``history`` reduces to ratios.
    """

    spec: SLOSpec
    status: Status
    evaluated_at: float
    value: float | None = None
    good: float | None = None
    total: float | None = None
    budget: Budget | None = None
    burn_rates: tuple[BurnRate, ...] = ()
    meets_target: bool | None = None
    history: tuple[tuple[float, float], ...] = ()
    low_traffic: bool = False
    stale: bool = False
    error: str | None = None
    notes: tuple[str, ...] = ()
    period_start: float | None = None
    period_length: float | None = None
    buckets: tuple[tuple[float, float, float], ...] = ()
    #: one :class:`slotui.core.breakdown.Breakdown` per ``spec.breakdown`` name the source answered
    breakdowns: tuple[Breakdown, ...] = ()
    #: SPEC 10.2: samples (threshold) or events (ratio) behind ``value``; None when unknown
    n: int | None = None
    #: SPEC 10.2: the two-sided interval of ``value`` at ``spec.confidence``
    interval: tuple[float, float] | None = None
    #: SPEC 10.2: the whole interval is on the point estimate's side of the target (None: no interval)
    significant: bool | None = None
    #: SPEC 10.2: fewer than ``spec.min_samples`` samples: shown, never alerts
    low_samples: bool = False
    #: forecast SLOs: the projection the status was judged on (SPEC 10.4)
    forecast: Forecast | None = None

    @property
    def fastest_burn(self) -> BurnRate | None:
        """The tier with the highest long-window burn rate (ties: the shorter long window, as the
        breakdown window of :func:`slotui.core.breakdown.breakdown_window` takes), or None."""
        rated = [b for b in self.burn_rates if b.long_rate is not None]
        if not rated:
            return None
        return max(rated, key=lambda b: (b.long_rate, -b.long_window))  # type: ignore[arg-type,return-value]


@dataclass(frozen=True, slots=True)
class Report:
    """All SLOs evaluated at one moment, with overall compliance."""

    evaluated_at: float
    results: tuple[SLOResult, ...]
    source_errors: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def meeting(self) -> int:
        return sum(1 for r in self.results if r.meets_target)

    @property
    def overall_compliance(self) -> float | None:
        """Share of SLOs whose period compliance meets the target; None with no SLOs."""
        return self.meeting / len(self.results) if self.results else None
