"""Exit codes of ``slotui check`` (SPEC section 6), the Nagios plugin convention.

2 (CRITICAL) if any SLO is CRITICAL; else 1 (WARNING) if any is WARNING
(ignored with ``fail_on="critical"``); else 3 (UNKNOWN) if any SLO is NO DATA
or STALE or a source failed (relaxed by ``no_data_ok``); else 0 (OK). AT RISK
alone is 0. An invalid configuration is also 3; the CLI returns
:data:`UNKNOWN` itself before there is a report.

This module is the one table of slotui's exit codes: every command imports
its codes from here.
"""

from __future__ import annotations

from typing import Literal

from slotui.core.types import Report, Status

OK = 0
WARNING = 1
CRITICAL = 2
UNKNOWN = 3
#: Every other command's codes, in the same table: 1 when not everything asked for was done
#: (a silence id not found, a failed delivery, rows that need attention, documents skipped),
#: 3 for an invalid SLO file and for a refused command line (UNKNOWN, as a Nagios plugin given bad
#: arguments: argparse's own 2 would read as CRITICAL to a CI job gating on ``slotui check``).
FAILED = 1
USAGE = UNKNOWN

FailOn = Literal["warning", "critical"]


def exit_code(report: Report, fail_on: FailOn = "warning", no_data_ok: bool = False) -> int:
    """The process exit code for ``report``; raises ValueError for an unknown ``fail_on``."""
    if fail_on not in ("warning", "critical"):
        raise ValueError(f"fail_on must be 'warning' or 'critical', not {fail_on!r}")
    statuses = {r.status for r in report.results}
    if Status.CRITICAL in statuses:
        return CRITICAL
    if fail_on == "warning" and Status.WARNING in statuses:
        return WARNING
    if not no_data_ok and (Status.NO_DATA in statuses or Status.STALE in statuses or report.source_errors):
        return UNKNOWN
    return OK
