"""``slotui test-alert``: send a TEST notification through the real route and print each receiver's answer.

``--channel NAME`` sends to that channel; ``--slo NAME`` sends the SLO's alert
at ``--severity`` (default critical) to the channels its routes pick. The
notification is clearly marked (summary and subject prefixed ``[TEST]``,
label ``test="true"``), recorded in the outbox of the state store, and given
one attempt. A silence that holds the SLO's alert does not hold its test (it checks
the route): a note on stderr names it. Prints ``delivered to CHANNEL`` or ``failed: CHANNEL: <the
receiver's error>`` per channel; exit 0 when every channel accepted it, 1
when one failed, 3 for a bad config or an unknown SLO / channel.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import TYPE_CHECKING

from slotui.core.exit_code import UNKNOWN


if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig
    from slotui.core.types import Report
    from slotui.store import Store


def _author() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return ""


async def _send(loaded: LoadedConfig, store: Store, args: argparse.Namespace) -> int:
    from slotui.alerting.service import UnknownTarget
    from slotui.clock import utc_now
    from slotui.wiring import assemble

    parts = assemble(loaded, store=store, alerts_on_tick=False)
    alerting = parts.alerting
    assert alerting is not None  # a store gives alerting
    try:
        report = None
        if args.slo is not None and any(s.name == args.slo for s in loaded.specs):
            report = await _evaluate(loaded, args.slo)
        if report is not None:
            alerting.last_report = report
        try:
            targets = alerting.test_targets(slo=args.slo, channel=args.channel, severity=args.severity)
        except UnknownTarget as exc:
            print(f"slotui test-alert: {exc}", file=sys.stderr)
            return UNKNOWN
        if not targets:
            what = f"SLO {args.slo!r} at severity {args.severity}" if args.slo else "this config"
            print(f"slotui test-alert: no route sends {what} to any channel", file=sys.stderr)
            return 1
        if args.slo is not None:
            _note_silences(alerting.test_silenced_by(slo=args.slo, severity=args.severity, now=utc_now()), args)
        outcomes = await alerting.fire_test(
            slo=args.slo, channel=args.channel, severity=args.severity, now=utc_now(), by=_author()
        )
    finally:
        await parts.aclose()
    for outcome in outcomes:
        print(str(outcome))
    return 0 if outcomes and all(o.ok for o in outcomes) else 1


def _note_silences(silences: list, args: argparse.Namespace) -> None:
    """Say on stderr that the SLO's alert is silenced and that the test goes out all the same (it
    checks the route; the real alert would be held)."""
    from slotui.config.text import printable
    from slotui.formatting import format_time

    for silence in silences:
        until = "until expired (a mute)" if silence.ends_at is None else f"until {format_time(silence.ends_at)}"
        by = f" by {printable(silence.created_by)}" if silence.created_by else ""
        comment = f": {printable(silence.comment)}" if silence.comment else ""
        print(f"slotui test-alert: note: SLO {printable(args.slo)} at {args.severity} is silenced by {silence.id} "
              f"{until}{by}{comment}; the test alert is sent anyway (the real alert is held)", file=sys.stderr)


async def _evaluate(loaded: LoadedConfig, slo: str) -> Report | None:
    """Evaluate just this SLO (for the test alert's context); None when its source fails."""
    from slotui.clock import utc_now
    from slotui.wiring import assemble

    parts = assemble(loaded, specs=[slo])
    try:
        return await asyncio.wait_for(parts.engine.tick(utc_now()), 10)
    except Exception:  # the test alert goes out without live numbers
        return None
    finally:
        await parts.aclose()


def run(args: argparse.Namespace) -> int:
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path
    from slotui.store import StoreError
    from slotui.wiring import open_store

    from slotui.alerting.delivery import quiet_failure_log

    quiet_failure_log()  # (each outcome is shown: printed, or in the alert log)
    if args.channel is None and args.slo is None:
        print("slotui test-alert: give --channel NAME or --slo NAME", file=sys.stderr)
        return UNKNOWN
    try:
        loaded = load_config(resolve_config_path(args.config))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return UNKNOWN
    if not loaded.config.alerts.channels:
        print(
            f"slotui test-alert: {loaded.display_name} has no alerts.channels; add one (e.g. "
            "alerts: {channels: {audit: {type: file, path: alerts.jsonl}}})",
            file=sys.stderr,
        )
        return UNKNOWN
    try:
        store = open_store(args.state)
    except StoreError as exc:
        print(f"slotui test-alert: {exc}", file=sys.stderr)
        return UNKNOWN
    try:
        return asyncio.run(_send(loaded, store, args))
    finally:
        store.close()
