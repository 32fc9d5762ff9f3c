"""The pure evaluation core: no I/O, no clock reads; ``now`` is always a parameter.

Where the numbers come from:

- ``types``      the data: SLOSpec, SLIData, Status, BurnTier, BurnRate, Budget, SLOResult, Report
- ``direction``  higher or lower is better, inferred from thresholds and names
- ``periods``    rolling and calendar-month periods; half-open windows ``[now - w, now)``
- ``series``     the source's buckets/slices, cleaned once, counted per window
- ``status``     OK / AT RISK / WARNING / CRITICAL / NO DATA / STALE
- ``budget``     error budget: events (ratio) and time slices (threshold)
- ``burn_rate``  multi-window, multi-burn-rate tiers (SRE workbook)
- ``evaluate``   ``evaluate_slo(spec, data, now)`` and ``evaluate_all(...) -> Report``
- ``timeline``   a replay's SLO over its whole span: each step evaluated on prefix sums, not the period
- ``exit_code``  Nagios exit codes of ``slotui check``

Nothing is imported here, so ``import slotui.core.types`` stays cheap.
"""
