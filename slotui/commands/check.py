"""``slotui check``: evaluate every SLO once, print a report, exit 0/1/2/3 (Nagios).

Never imports Textual. httpx and friends load only when the config has a
source or channel that needs them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from slotui.core.exit_code import UNKNOWN



class _NoStoreError(Exception):
    """Stands in for ``slotui.store.StoreError`` when no store is opened (never raised)."""


def _load(args: argparse.Namespace):
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path

    try:
        return load_config(resolve_config_path(args.config))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return None


def _render(report, fmt: str, fail_on: str, no_data_ok: bool) -> str:
    if fmt == "json":
        from slotui.output.json_report import render
    elif fmt == "junit":
        from slotui.output.junit import render

        return render(report, fail_on=fail_on, no_data_ok=no_data_ok)
    elif fmt == "markdown":
        from slotui.output.markdown import render
    else:
        from slotui.output.table import render
    return render(report)


async def _evaluate(loaded, now: float, args: argparse.Namespace, report=None):
    """The report of one tick as of ``now`` (or ``report``, given: ``--results``), its alerts sent
    with ``--notify``."""
    from slotui.wiring import assemble, open_store

    # check records samples with --state, but only --notify advances alert states (once, below)
    store = open_store(args.state) if args.state or args.notify else None
    parts = assemble(loaded, store=store, owns_store=True, alerts_on_tick=False)
    try:
        if report is None:
            report = await parts.engine.tick(now)
        if args.notify and parts.alerting is not None:
            from slotui.alerting.delivery import quiet_failure_log
            from slotui.alerting.oneshot import notify_report

            quiet_failure_log()  # (each receiver's outcome is printed below)

            results = await notify_report(parts.alerting, report, now)
            for outcome in results:
                print(outcome, file=sys.stderr)
        return report
    finally:
        await parts.aclose()


def _run_returning(coro):  # type: ignore[no-untyped-def]
    """``asyncio.run(coro)``, with the main task's own result kept small.

    On exit, ``asyncio.Runner`` (Python 3.11) calls ``signal.getsignal(SIGINT)``,
    whose enum lookup formats ``repr()`` of the installed handler, a partial
    holding the main task, whose repr includes its result: for a report with
    30 days of buckets that repr alone costs ~30 ms. The task returns None and
    hands the value over through a list instead.
    """
    box: list = []

    async def main() -> None:
        box.append(await coro)

    asyncio.run(main())
    return box[0]


def _empty_old_report(output: str | None) -> None:
    """Empty the report file a run before left at ``--output`` (a regular file; a symlink is followed):
    a run that exits 3 before it writes one must not leave an earlier run's all-green JUnit file for
    CI to publish. A file this run cannot write is reported when it writes."""
    import os

    if output and output != "-" and os.path.isfile(output):
        try:
            os.truncate(output, 0)
        except OSError:
            pass


#: the report formats: ``--output json`` (a file named json) is -o json mistyped as slotui silence list's -o/--output
FORMATS = ("table", "json", "junit", "markdown")


def _refuse_format_as_output(args: argparse.Namespace) -> bool:
    """Whether ``--output`` names a format, not a file (said on stderr): ``check --output json`` wrote the
    table report to a file named ``json`` and printed nothing, exit 0 (``silence list``'s ``-o/--output``
    is the format). A file of that name is written with ``--output ./json``."""
    if args.output not in FORMATS:
        return False
    print(f"slotui check: --output {args.output}: --output is the FILE to write the report to; the format is "
          f"-o/--format {args.output} (write --output ./{args.output} for a file of that name)", file=sys.stderr)
    return True


def _refuse_clobber(args: argparse.Namespace, loaded: Any) -> bool:
    """Whether ``--output`` names a file this run reads or the SLO file names (said on stderr): the SLO
    file itself (also when it failed to load), ``--results``, the state file, a request log, a channel's
    log. Writing the report there would destroy it (it was emptied first, even before loading)."""
    import os

    from slotui.config.locations import STATE_ENV, default_state_path, resolve_config_path
    from slotui.output.destination import clobbered, config_files

    inputs: list[tuple[str, Any]] = config_files(loaded)
    if loaded is None:
        inputs.append(("the SLO file", resolve_config_path(args.config)))
    if getattr(args, "state", None) is not None or os.environ.get(STATE_ENV):
        inputs.append(("the state file", default_state_path() if getattr(args, "state", None) is None else args.state))
    inputs.append(("the --results file", args.results))
    hit = clobbered(args.output, inputs)
    if hit is not None:
        print(f"slotui check: --output {args.output} is {hit}: writing the report there would destroy it; "
              "give another file (or --output - for stdout)", file=sys.stderr)
    return hit is not None


def run(args: argparse.Namespace) -> int:
    from slotui.clock import parse_time, utc_now

    if _refuse_format_as_output(args):
        return UNKNOWN
    loaded = _load(args)
    if _refuse_clobber(args, loaded):
        return UNKNOWN
    _empty_old_report(args.output)
    if loaded is None:
        return UNKNOWN
    # A one-shot command: the modules and the config loaded so far live until
    # exit, so keep the cycle collector from re-scanning them (pydantic's
    # schemas are ~100k objects: each full collection cost ~12 ms).
    from slotui import gc_policy

    gc_policy.apply()
    try:
        now = parse_time(args.at) if args.at is not None else utc_now()  # --at "" (an unset $AT) is an error, not now
    except ValueError as exc:
        print(f"slotui check: --at: {exc}", file=sys.stderr)
        return UNKNOWN
    if args.notify and args.at is not None and now > utc_now():
        # notifications are delivered on the real clock: one due at a later moment would wait unsent
        from slotui.clock import format_time

        print(f"slotui check: --notify with --at {format_time(now)}, a moment still to come: notifications "
              "are sent as of the real clock; give a past --at or drop --notify", file=sys.stderr)
        return UNKNOWN

    report = None
    if args.results:
        from slotui.results import check, load_results_file

        try:
            results = load_results_file(Path(args.results))
        except (OSError, ValueError) as exc:
            print(f"slotui check: --results {args.results}: {exc}", file=sys.stderr)
            return UNKNOWN
        report = check(results, loaded.specs, now=now)
    if report is None or args.notify:  # (--results --notify: the results' alerts are sent as a tick's are)
        if args.state or args.notify:
            from slotui.store import StoreError
        else:  # no store is opened: do not import sqlite3 for an error that cannot happen
            StoreError = _NoStoreError  # noqa: N806

        try:
            report = _run_returning(_evaluate(loaded, now, args, report))
        except StoreError as exc:
            print(f"slotui check: {exc}", file=sys.stderr)
            return UNKNOWN

    text = _render(report, args.format, args.fail_on, args.no_data == "ok")
    if args.output and args.output != "-":
        try:
            Path(args.output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:  # a directory, a missing folder, no permission: said, not a traceback
            print(f"slotui check: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return UNKNOWN
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")

    from slotui.core.exit_code import exit_code

    return exit_code(report, fail_on=args.fail_on, no_data_ok=args.no_data == "ok")
