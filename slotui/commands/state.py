"""``slotui state check``: find every unreadable row of the state file.

::

    slotui state check                 # one line per unreadable row: TABLE  ID  REASON
    slotui state check -o json

The daemon, the TUI and the CLI skip an unreadable row where they meet it
(one warning per row, counted in ``/metrics`` as ``slotui_state_bad_rows``);
this command scans every table at once, with the same checks, and changes
nothing. Exit status: 0 when every row reads, 1 when some do not (or the state
file cannot be opened).

What to do about a row it names: a silence: ``slotui silence expire ID``; an
alert state or group: nothing, the next evaluation rebuilds and rewrites it;
an outbox row: it is kept on purpose (failed, with the reason in the alert
log) so that a notification is never lost without a trace; samples, buckets
and delivery attempts: they are skipped, and removed by retention.
Never imports Textual.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from slotui.core.exit_code import FAILED, OK


ADVICE = {
    "silences": "end it: slotui silence expire {id}",
    "alert_states": "rebuilt by the next evaluation",
    "alert_groups": "rebuilt by the next evaluation",
    "notifications": "kept; shown as failed in the alert log",
}


def run(args: argparse.Namespace) -> int:
    from slotui.formatting import align_columns
    from slotui.store import Store, StoreError

    if getattr(args, "state_command", None) != "check":
        print("slotui state: expected check", file=sys.stderr)
        return FAILED
    try:
        store = Store.open(Path(args.state) if getattr(args, "state", None) else None, read_only=True)
    except StoreError as exc:  # (a missing or empty file too: none is made)
        print(f"slotui state: {exc}", file=sys.stderr)
        return FAILED
    import logging

    logging.getLogger("slotui.store").setLevel(logging.ERROR)  # the rows are the output here, not warnings
    try:
        from slotui.clock import utc_now

        found = [*store.check_series_rows(), *store.check_silence_rows(utc_now()), *store.outbox.check_rows()]
    except StoreError as exc:  # a damaged page, not a bad row: said, not a traceback
        print(f"slotui state: {exc}", file=sys.stderr)
        return FAILED
    finally:
        store.close()
    if args.output == "json":
        items = [{"table": r.table, "id": r.id, "error": r.reason} for r in found]
        sys.stdout.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
    elif found:
        rows = [(r.table, r.id, r.reason, ADVICE.get(r.table, "skipped").format(id=r.id)) for r in found]
        sys.stdout.write("\n".join(align_columns(("TABLE", "ID", "PROBLEM", "WHAT HAPPENS"), rows)) + "\n")
    else:
        print("every row of the state file reads")
    return FAILED if found else OK
