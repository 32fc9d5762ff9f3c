"""Compliance periods and half-open windows.

Every window in slotui is half-open, ``[now - w, now)``: a bucket or slice
whose *start* is exactly ``now - w`` belongs to the window, one starting at
``now`` does not. Buckets and slices are identified by their start time;
sources align them to slice boundaries, so the granularity of every window
and period is one slice (a bucket that starts before ``now - w`` is left out
entirely even if it overlaps the window).

A period is either rolling (``[now - P, now)``, P = ``spec.period``) or the
calendar month of ``now`` in UTC (``[first day 00:00, now)``; its length, used
for burn-rate factors and budget time, is the whole month: 28 to 31 days), or
a calendar period of fixed length aligned to ``spec.period_anchor``
(``[anchor + k P, now)``; OpenSLO calendar weeks and days).
"""

from __future__ import annotations

import calendar
import math
from datetime import datetime, timezone

from slotui.core.types import DAY, SLOSpec


def in_window(t: float, start: float, end: float) -> bool:
    """True when ``start <= t < end`` (half-open)."""
    return start <= t < end


def month_bounds(now: float) -> tuple[float, float]:
    """``(start, length)`` of the UTC calendar month containing ``now`` (epoch seconds)."""
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(moment.year, moment.month)[1]
    return first.timestamp(), days * DAY


def period_bounds(spec: SLOSpec, now: float) -> tuple[float, float]:
    """``(start, length)`` of the compliance period of ``spec`` as of ``now``.

    Rolling: ``(now - spec.period, spec.period)``. Calendar month: the start of
    the current UTC month and the length of the whole month. Data counts when
    its start ``t`` satisfies ``start <= t < now``.
    """
    if spec.calendar_month:
        return month_bounds(now)
    if spec.period_anchor is not None:
        return anchored_bounds(now, spec.period_anchor, spec.period)
    return now - spec.period, spec.period


def anchored_bounds(now: float, anchor: float, length: float) -> tuple[float, float]:
    """``(start, length)`` of the calendar period containing ``now``: periods of ``length`` from ``anchor``."""
    k = math.floor((now - anchor) / length)
    return anchor + k * length, length


def period_length(spec: SLOSpec, now: float) -> float:
    """Length P of the compliance period in seconds (the whole month for calendar months)."""
    return period_bounds(spec, now)[1]


def ratio_windows(spec: SLOSpec) -> list[float]:
    """Windows a ratio SLO is answered for: the SLO window, every tier window, and a rolling period."""
    windows = {spec.window}
    for tier in spec.tiers:
        windows.add(tier.long_window)
        windows.add(tier.short_window)
    if spec.rolling:
        windows.add(spec.period)
    return sorted(w for w in windows if w > 0)
