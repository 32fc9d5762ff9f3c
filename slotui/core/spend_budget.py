"""The budget and burn rates of a spend SLO (a ``sum`` over a calendar window, SPEC 10.4). Pure.

A spend SLO's budget is its target amount over the window (``$180,000`` a
month), not a share of good time slices: every 5-minute slice of spend is far
under a monthly target, so a slice budget would always read 100% left.

- **Budget**: ``consumed = so_far / target`` and ``remaining = 1 - consumed``
  (negative once the target is passed); ``bad`` is the amount spent and
  ``allowed_bad`` the target. No budget when the target is not above 0.
- **Burn rate** over a window ``w``: the spend rate over ``[now - w, now)``
  divided by the even pace that spends exactly the target over the window of
  length ``L``: ``spend(w) / (target x w / L)``. 1.0 is on budget; 14.4 over
  1h spends 2% of a 30-day budget in that hour. A tier fires as every tier
  does (both windows strictly above its factor ``F``, computed for ``L``), so
  a sudden spend spike pages like an error burst. ``spend(w)`` sums the
  slices whose start is in the window (they may lie before the window's start:
  the pace is a rate, not a share of this month). A window with fewer slices
  with data than ``min_events`` never fires (``low_traffic``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slotui.core.status import exceeds, finite
from slotui.core.types import Budget, BurnRate, SLOSpec

__all__ = ["spend_budget", "spend_burn_rates", "window_spend"]


def spend_budget(spec: SLOSpec, so_far: float | None) -> Budget:
    """The spend budget: ``remaining = 1 - so_far / target``; no figures without spend or a positive target."""
    target = spec.target
    if so_far is None or not target > 0:
        return Budget(budget=spec.budget, consumed=None, remaining=None)
    consumed = finite(so_far / target)
    remaining = finite(1.0 - consumed) if consumed is not None else None
    return Budget(
        budget=spec.budget, consumed=consumed, remaining=remaining, bad=so_far, allowed_bad=target
    )


def window_spend(slices: Sequence[tuple[float, float]], start: float, end: float) -> tuple[float, int]:
    """The sum of the finite slice values whose start is in ``[start, end)``, and how many there are."""
    total, count = 0.0, 0
    for t, v in slices:
        if start <= t < end and finite(v) is not None:
            total += v
            count += 1
    return total, count


def spend_burn_rates(
    spec: SLOSpec, slices: Sequence[tuple[float, float]], now: float, window_length: float,
    spend: Callable[[float, float], tuple[float, int]] | None = None,
) -> tuple[BurnRate, ...]:
    """Every tier of ``spec`` on the spend pace (see the module docstring); ``window_length`` is ``L``.

    ``spend(start, end)``: :func:`window_spend` of ``slices`` answered without reading them all
    (:meth:`slotui.core.timeline.SliceView.spend`, a replay step)."""
    target = spec.target
    out = []
    for tier in spec.tiers:
        factor = tier.effective_factor(window_length)
        rates: list[float | None] = []
        events: list[int] = []
        for w in (tier.long_window, tier.short_window):
            spent, n = spend(now - w, now) if spend is not None else window_spend(slices, now - w, now)
            pace = target * w / window_length if target > 0 and window_length > 0 else 0.0
            rates.append(finite(spent / pace) if n and pace > 0 else None)
            events.append(n)
        long_rate, short_rate = rates
        low_traffic = min(events) < spec.min_events
        firing = (
            not low_traffic
            and long_rate is not None
            and short_rate is not None
            and exceeds(long_rate, factor)
            and exceeds(short_rate, factor)
        )
        out.append(BurnRate(
            severity=tier.severity,
            long_window=tier.long_window,
            short_window=tier.short_window,
            factor=factor,
            long_rate=long_rate,
            short_rate=short_rate,
            long_events=float(events[0]),
            short_events=float(events[1]),
            firing=firing,
            low_traffic=low_traffic,
        ))
    return tuple(out)
