"""Spend budgets with a forecast (SPEC section 10.4). Pure: ``now`` is an argument.

A ``sum`` SLI (e.g. ``gen_ai.usage.cost``) may look over a calendar window
instead of the rolling ``[now - window, now)``:

- ``month``: the UTC calendar month holding ``now`` (28 to 31 days);
- ``week``: the UTC week from Monday 00:00;
- ``day``: the UTC day from 00:00;
- ``fixed`` (``window: DURATION`` with ``forecast: true``): consecutive blocks
  of ``window`` seconds from the Unix epoch (``7d`` blocks start on Thursdays).

The SLI value is the sum *so far*, over ``[window_start, now)``. With
``forecast: true`` the status is judged on the projected end-of-window value
``so_far + rate x (window_end - now)``, where ``rate`` is the sum over the
basis ``[max(window_start, now - forecast_basis), now)`` divided by its length
(the window so far when it is shorter than the basis; a basis of length 0, at
the very start of a window, projects no spend). ``exhausted_at`` is when
``so_far + rate x t`` reaches the target: ``None`` when that is not strictly
before ``window_end`` (reaching the target exactly at the end meets it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slotui.core.periods import anchored_bounds, month_bounds
from slotui.core.status import finite
from slotui.core.types import DAY, Forecast, SLOSpec

__all__ = ["CALENDAR_WINDOWS", "window_span", "window_seconds", "longest_window", "basis_start", "project", "forecast",
           "spend_curve"]

#: the window words of ``window:`` (``fixed`` is a duration window with ``forecast: true``)
CALENDAR_WINDOWS = ("month", "week", "day")
#: Monday 1970-01-05 00:00 UTC: calendar weeks start here
MONDAY = 4 * DAY


def window_span(spec: SLOSpec, now: float) -> tuple[float, float]:
    """``(start, end)`` of the SLI window of ``spec`` holding ``now``; rolling: ``(now - window, now)``."""
    kind = spec.calendar_window
    if kind == "month":
        start, length = month_bounds(now)
    elif kind == "week":
        start, length = anchored_bounds(now, MONDAY, 7 * DAY)
    elif kind == "day":
        start, length = anchored_bounds(now, 0.0, DAY)
    elif kind == "fixed":
        start, length = anchored_bounds(now, 0.0, spec.window)
    else:
        return now - spec.window, now
    return start, start + length


def window_seconds(spec: SLOSpec, now: float) -> float:
    """How long the SLI window of ``spec`` is as of ``now``: ``spec.window`` (rolling), or the time
    from the calendar window's start to ``now`` (what ``value``, ``n`` and a breakdown cover)."""
    if spec.calendar_window is None:
        return spec.window
    return now - window_span(spec, now)[0]


def longest_window(spec: SLOSpec) -> float:
    """The longest the SLI window of ``spec`` can be: 31 days for a calendar month (whose nominal
    ``spec.window`` is 30 days), else ``spec.window`` (sources keep records this far back)."""
    return 31 * DAY if spec.calendar_window == "month" else spec.window


def basis_start(spec: SLOSpec, now: float) -> float:
    """Start of the forecast basis: ``now - forecast_basis``, or the window start when later."""
    return max(window_span(spec, now)[0], now - spec.forecast_basis)


def project(
    so_far: float,
    basis_value: float,
    *,
    now: float,
    window_start: float,
    window_end: float,
    basis_from: float,
    target: float,
    slices: Sequence[tuple[float, float]] = (),
    slice_length: float = 0.0,
    crossing: Callable[[float, float, float], float | None] | None = None,
) -> Forecast:
    """The projection of ``so_far`` (spent in ``[window_start, now)``) to ``window_end``.

    ``basis_value`` is the spend in ``[basis_from, now)``. When ``so_far``
    already reaches ``target``, ``exhausted_at`` is the end of the slice (of
    ``slices``: ``(start, spend)`` sorted by time) in which the running sum
    from ``window_start`` first reached it, or ``now`` without slices.
    ``crossing(window_start, now, target)``: that slice's start (None: not reached) found without
    reading every slice (:meth:`slotui.core.timeline.SliceView.crossing`, a replay step).
    """
    basis_s = max(0.0, now - basis_from)
    rate = basis_value / basis_s if basis_s > 0 else 0.0
    time_left = max(0.0, window_end - now)
    value_at_end = so_far + rate * time_left
    exhausted: float | None = None
    if so_far >= target:
        exhausted = now
        running = 0.0
        if crossing is not None:
            reached = crossing(window_start, now, target)
            slices = ()
            if reached is not None:
                exhausted = min(reached + slice_length, now)
        for start, spend in slices:
            if not window_start <= start < now:
                continue
            running += spend
            if running >= target:
                exhausted = min(start + slice_length, now)
                break
    elif rate > 0:
        at = now + (target - so_far) / rate
        if at < window_end:
            exhausted = at
    return Forecast(
        so_far=so_far,
        value_at_end=value_at_end,
        rate_per_day=rate * DAY,
        basis_s=basis_s,
        exhausted_at=exhausted,
        window_start=window_start,
        window_end=window_end,
    )


def forecast(
    spec: SLOSpec,
    so_far: float | None,
    basis_value: float | None,
    slices: Sequence[tuple[float, float]],
    now: float,
    crossing: Callable[[float, float, float], float | None] | None = None,
) -> Forecast | None:
    """The forecast of a ``forecast: true`` SLO, or ``None`` when nothing was spent (no data).

    ``basis_value`` is the source's sum over the basis; when the source gave
    none, it is the sum of the ``slices`` whose start is in the basis (exact
    when the basis starts on a slice boundary). No record in the basis is no
    spend there: rate 0.
    """
    so_far = finite(so_far)
    if not spec.forecast or so_far is None:
        return None
    start, end = window_span(spec, now)
    basis_from = basis_start(spec, now)
    basis = finite(basis_value)
    if basis is None:
        basis = sum(v for t, v in slices if basis_from <= t < now and finite(v) is not None)
    return project(
        so_far, basis, now=now, window_start=start, window_end=end, basis_from=basis_from,
        target=spec.target, slices=slices, slice_length=spec.slice, crossing=crossing,
    )



def spend_curve(
    f: Forecast, slices: Sequence[tuple[float, float]], now: float, points: int = 120
) -> tuple[list[float], float]:
    """The running sum over the whole window at ``points`` evenly spaced moments, for charts.

    Point ``k`` is the spend by ``t = window_start + (k + 1) x step``: up to
    ``now``, the sum of the ``slices`` (``(start, value)``) in the window that
    start before ``t``; after ``now``, the projection ``so_far + rate x (t -
    now)``. Also returns the share of the window that is past (points from
    ``floor(share x points)`` on are projected).
    """
    start, end = f.window_start, f.window_end
    length = end - start
    if length <= 0 or points < 1:
        return [], 0.0
    ordered = sorted((t, v) for t, v in slices if start <= t < now and finite(v) is not None)
    rate = f.rate_per_day / DAY
    step = length / points
    values: list[float] = []
    running, i = 0.0, 0
    for k in range(points):
        t = start + (k + 1) * step
        if t > now:
            values.append(f.so_far + rate * (t - now))
            continue
        while i < len(ordered) and ordered[i][0] < t:
            running += ordered[i][1]
            i += 1
        values.append(running)
    return values, min(1.0, max(0.0, (now - start) / length))
