"""``slotui check --notify``: send what one evaluation fires, then report each receiver's answer.

A one-shot process cannot sit out ``group.wait``, so new groups notify at
once (``flush_now``); the state store still remembers what was sent, so a
``check --notify`` run from cron every few minutes does not repeat a
notification before ``group.interval`` / ``group.repeat``, and sends the
resolve when the SLO recovers. Retryable failures are retried within
``timeout`` seconds; what is still pending after that stays in the outbox for
the next run or the daemon.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from slotui.alerting.delivery import DeliveryOutcome

if TYPE_CHECKING:
    from slotui.alerting.service import Alerting
    from slotui.core.types import Report


async def notify_report(alerting: Alerting, report: Report, now: float, *, timeout: float = 15.0) -> list[DeliveryOutcome]:
    """Advance alert states with ``report`` as of ``now``, enqueue, and deliver what is due.

    Returns the final outcome per notification (``str()`` of each is
    ``delivered to CHANNEL`` / ``failed: CHANNEL: <error>`` / ``retrying ...``).
    No channels configured: nothing to do, empty list.
    """
    if not alerting.has_channels:
        return []
    # queued on the real clock: a --at hours back made a 429 "give up after 1 attempt over 16305197s"
    alerting.process(report, now, flush_now=True, queued_at=alerting.clock())
    return await deliver_until_settled(alerting, timeout=timeout)


async def deliver_until_settled(alerting: Alerting, *, timeout: float) -> list[DeliveryOutcome]:
    """Deliver due notifications, waiting for scheduled retries, until none is pending or ``timeout`` passes.

    Returns the last outcome per outbox row.
    """
    clock = alerting.clock
    deadline = clock() + timeout
    last: dict[int, DeliveryOutcome] = {}
    while True:
        for outcome in await alerting.deliver_due():
            last[outcome.row_id] = outcome
        due = alerting.outbox.next_due(clock())
        if due is None or due > deadline:
            break
        await asyncio.sleep(max(0.0, due - clock()))
    return list(last.values())
