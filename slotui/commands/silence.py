"""``slotui silence add|list|expire``: silences from the command line, with amtool's habits.

::

    slotui silence add slo=helpfulness -d 1h --comment "deploy"    # snooze for 1h
    slotui silence add slo=availability --comment "maintenance"   # mute until expired
    slotui silence add 'slo=~"cost.*"' --end 2026-06-01T18:00:00Z
    slotui silence list                 # active and pending silences
    slotui silence list --expired -o json
    slotui silence list -q slo=helpfulness   # ids only, filtered
    slotui silence expire 3f2a          # unique id prefixes are accepted

Silences live in the state store (``--state PATH``, env ``SLOTUI_STATE``, or
the platform state dir), so the TUI and a headless daemon on the same file see
them at once. Every rule (what a valid silence is, what expiring does) is the
one service's, :class:`slotui.alerting.silences.Silences`; this module parses
arguments and prints. The author defaults to ``$USER``. Times are printed in UTC,
RFC 3339. Exit status: 0 on success; 3 on a refused command line (a bad
matcher, regex, duration or time, or a silence that cannot be: every other
command's code for bad input); 1 on an unknown or ambiguous id or an unusable
state file.

Mirroring to Alertmanager (``/api/v2/silences``) is not done here: after a
silence is added or expired, :func:`mirror_silence` calls
``slotui.alerting.mirror.mirror_silence(silence, action, config=..., store=..., now=...)``
if that module exists (it owns the HTTP client and reads the config's
Alertmanager channels); its messages are printed on stderr and its failures
never undo the local silence. This module imports neither Textual nor httpx.
"""

from __future__ import annotations

import argparse
import re
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from slotui.core.exit_code import FAILED, OK, USAGE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from slotui.alerting.silence import Silence
    from slotui.bad_rows import UnreadableRow
    from slotui.store import Store



def _err(message: str) -> None:
    print(f"slotui silence: {message}", file=sys.stderr)


def default_author() -> str:
    """``$USER`` (then ``$LOGNAME``, then the login name), as amtool does."""
    for var in ("USER", "LOGNAME"):
        value = os.environ.get(var)
        if value:
            return value
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in a container
        return "unknown"


_NAIVE_TIME = re.compile(r"\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?")


def _zoned_time(text: str) -> float:
    """The moment ``text`` names (:func:`~slotui.clock.parse_time`), when it says its zone: a date or
    time without one was taken as UTC, and a local time typed by an SRE in UTC+2 silenced two hours
    less than meant (amtool needs the zone too). Raises ValueError."""
    from slotui.clock import parse_time

    moment = parse_time(text)
    if _NAIVE_TIME.fullmatch(text.strip()):
        raise ValueError(f"{text!r} has no zone: write it in UTC with Z (2026-06-01T12:00:00Z) or with "
                         "its offset (2026-06-01T14:00:00+02:00)")
    return moment


def _open_store(args: argparse.Namespace, *, must_exist: bool = False, read_only: bool = False) -> Store:
    from slotui.store import Store

    state = getattr(args, "state", None)
    return Store.open(Path(state) if state else None, must_exist=must_exist, read_only=read_only)


def mirror_silence(args: argparse.Namespace, store: Store, silence: Silence, action: Literal["add", "expire"], now: float) -> None:
    """Hook: mirror a silence to external systems (Alertmanager) when the alerting code provides it."""
    from slotui.alerting.mirror import mirror_silence as mirror
    try:
        for line in mirror(silence, action, config=getattr(args, "config", None), store=store, now=now) or ():
            print(line, file=sys.stderr)
    except Exception as exc:  # the local silence is the source of truth; mirroring is best effort
        done = "saved" if action == "add" else "expired"
        _err(f"warning: silence {silence.id} {done} locally, but not mirrored: {type(exc).__name__}: {exc}")


def describe(silence: Silence, now: float) -> str:
    """One line for people: ``snooze slo=helpfulness from ... until ... by alice: deploy``."""
    from slotui.formatting import format_time

    matchers = ", ".join(str(m) for m in silence.matchers)
    until = "until expired" if silence.ends_at is None else f"until {format_time(silence.ends_at)}"
    text = f"{silence.kind} {matchers} from {format_time(silence.starts_at)} {until} by {silence.created_by}"
    if silence.comment:  # on one line, as the table shows it: a newline in it forged a line of output
        text += f": {' '.join(silence.comment.split())}"
    if silence.state(now) == "pending":
        text += " (pending)"
    return text


# ---------------------------------------------------------------------- add


def _add(args: argparse.Namespace) -> int:
    from slotui.alerting.silence import Silence, new_silence_id, parse_matchers
    from slotui.alerting.silences import InvalidSilence, Silences, check_times
    from slotui.clock import utc_now
    from slotui.config.durations import parse_duration
    from slotui.store import StoreError

    now = utc_now()
    try:
        matchers = parse_matchers(args.matchers)
    except ValueError as exc:
        _err(str(exc))
        return USAGE
    if args.duration is not None and args.end is not None:
        _err("give either -d/--duration or --end, not both")
        return USAGE
    try:
        starts_at = _zoned_time(args.start) if args.start is not None else now
    except ValueError as exc:
        _err(f"--start: {exc}")
        return USAGE
    ends_at: float | None = None
    if args.duration is not None:  # -d "" (an unset $VAR) is an error, never a mute without end
        try:
            duration = float(parse_duration(args.duration))  # type: ignore[arg-type]
        except ValueError as exc:
            _err(f"-d/--duration: {exc}")
            return USAGE
        if duration <= 0:
            _err("-d/--duration must be longer than 0s, e.g. 1h")
            return USAGE
        ends_at = starts_at + duration
    elif args.end is not None:
        try:
            ends_at = _zoned_time(args.end)
        except ValueError as exc:
            _err(f"--end: {exc}")
            return USAGE
    try:
        check_times(starts_at, ends_at, now)
        silence = Silence(
            id=new_silence_id(),
            matchers=matchers,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=default_author() if args.author is None else args.author,  # (-a "": refused, as amtool)
            comment=args.comment or "",
            updated_at=now,
        )
        Silences.validate(silence, now)
    except ValueError as exc:  # InvalidSilence, or a silence the type itself refuses
        _err(str(exc))
        return USAGE
    try:
        store = _open_store(args)
    except StoreError as exc:
        _err(str(exc))
        return FAILED
    try:
        silence = Silences(store).set(silence, now=now).silence
        if args.quiet:
            print(silence.id)
        else:
            print(silence.id)
            print(describe(silence, now))
        sys.stdout.flush()
        mirror_silence(args, store, silence, "add", now)
    except (StoreError, InvalidSilence) as exc:
        _err(str(exc))
        return FAILED
    finally:
        store.close()
    return OK


# ---------------------------------------------------------------------- list


def silence_json(silence: Silence, now: float) -> dict[str, object]:
    """The JSON form printed by ``slotui silence list -o json``."""
    from slotui.formatting import rfc3339

    return {
        "id": silence.id,
        "matchers": [m.to_dict() for m in silence.matchers],
        "matchers_text": [str(m) for m in silence.matchers],
        "kind": silence.kind,
        "state": silence.state(now),
        "starts_at": rfc3339(silence.starts_at),
        "ends_at": rfc3339(silence.ends_at),
        "created_by": silence.created_by,
        "comment": silence.comment,
        "updated_at": rfc3339(silence.updated_at),
    }


def unreadable_json(row: UnreadableRow) -> dict[str, object]:
    """The JSON form of a silence row that does not decode (``unreadable: true``, its id and why)."""
    return {"id": row.id, "unreadable": True, "error": row.reason}


def render_silence_table(
    silences: list[Silence], now: float, unreadable: Sequence[UnreadableRow] = (), *, expired: bool = False
) -> str:
    """Aligned table: ID, MATCHERS, STARTS, ENDS (``never`` for a mute), CREATED BY, COMMENT.

    Unreadable rows come last, marked ``UNREADABLE`` with the reason (and, unless they are
    ``expired``, how to end them) in the comment column.
    """
    from slotui.formatting import align_columns, format_time

    rows = []
    for s in silences:
        comment = " ".join(s.comment.split())
        rows.append(
            (
                s.id,
                " ".join(str(m) for m in s.matchers),
                format_time(s.starts_at),
                "never" if s.ends_at is None else format_time(s.ends_at),
                s.created_by,
                comment,
            )
        )
    for bad in unreadable:
        hint = "" if expired else f"; end it with `slotui silence expire {bad.id}`"
        rows.append((bad.id, "UNREADABLE", "-", "-", "-", bad.reason + hint))
    lines = align_columns(("ID", "MATCHERS", "STARTS", "ENDS", "CREATED BY", "COMMENT"), rows)
    return "\n".join(lines) + "\n"


def _list(args: argparse.Namespace) -> int:
    from slotui.alerting.silence import filter_silences, parse_matchers
    from slotui.alerting.silences import Silences
    from slotui.clock import utc_now
    from slotui.store import StateFileMissing, StoreError

    now = utc_now()
    try:
        wanted = parse_matchers(args.matchers) if args.matchers else ()
    except ValueError as exc:
        _err(str(exc))
        return USAGE
    try:
        store = _open_store(args, read_only=True)
    except StateFileMissing as exc:  # none yet, or a mistyped --state: no silences, and no file made
        _err(f"{exc}: no silences")
        silences, unreadable = [], []
    except StoreError as exc:
        _err(str(exc))
        return FAILED
    else:
        try:
            scan = Silences(store).scan(now, expired=args.expired)
            silences, unreadable = scan.silences, scan.unreadable
        except StoreError as exc:
            _err(str(exc))
            return FAILED
        finally:
            store.close()
    if wanted:
        silences = filter_silences(silences, wanted)
        # An unreadable row has no matchers to filter on: name it, but keep it out of a filtered
        # list (`silence list -q slo=x | xargs silence expire` must not end it by accident).
        for bad in unreadable:
            _err(f"warning: silence {bad.id} is unreadable ({bad.reason}); not filtered, not listed")
        unreadable = []
    if args.quiet:
        sys.stdout.write("".join(f"{s.id}\n" for s in [*silences, *unreadable]))
    elif args.output == "json":
        items = [silence_json(s, now) for s in silences] + [unreadable_json(b) for b in unreadable]
        sys.stdout.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_silence_table(silences, now, unreadable, expired=args.expired))
    return OK


# ---------------------------------------------------------------------- expire


def _expire(args: argparse.Namespace) -> int:
    from slotui.alerting.silences import SilenceAlreadyExpired, Silences
    from slotui.bad_rows import UnreadableRow
    from slotui.clock import utc_now
    from slotui.store import StoreError

    now = utc_now()
    try:
        store = _open_store(args, must_exist=True)
    except StoreError as exc:
        _err(str(exc))
        return FAILED
    status = OK
    silences = Silences(store)
    try:
        for key in args.ids:
            try:
                ended = silences.expire(key, now=now)
            except SilenceAlreadyExpired as exc:  # as amtool: an error, so a script can tell
                _err(str(exc))
                status = FAILED
                continue
            except StoreError as exc:
                _err(str(exc))
                status = FAILED
                continue
            print(ended.id)
            if isinstance(ended, UnreadableRow):
                # Nothing to mirror: its matchers are unknown. An Alertmanager copy is left as it is.
                _err(f"silence {ended.id} was unreadable ({ended.reason}); it is expired now")
                continue
            mirror_silence(args, store, ended, "expire", now)
    finally:
        store.close()
    return status


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "silence_command", None)
    if command == "add":
        return _add(args)
    if command in ("list", "query"):
        return _list(args)
    if command == "expire":
        return _expire(args)
    _err("expected add, list or expire")
    return FAILED
