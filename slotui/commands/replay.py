"""``slotui replay``: how noisy would these alerts have been? (SPEC 10.3)

Runs the real evaluation and alert engine in simulated time. Sends nothing and
never writes the state file: silences are read from it read-only (or ignored
with ``--no-silences``). Never imports Textual.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from slotui.core.exit_code import UNKNOWN

#: the most steps one replay takes (a year at 1m is 525,601): a typo such as ``--last 100000d``
#: is refused at once instead of building a list of 144 million moments
MAX_STEPS = 1_000_000

if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig


def read_silences(state: str | None) -> list:
    """The silences in the state file, read without writing to it (a missing file has none)."""
    from slotui.store import read_silences_snapshot

    silences, unreadable = read_silences_snapshot(_state_path(state))
    for sid, reason in unreadable:
        print(f"slotui replay: silence {sid!r} skipped: {reason}", file=sys.stderr)
    return silences


def _state_path(state: str | None) -> Path:
    from slotui.store import default_state_path

    return Path(state).expanduser() if state else default_state_path()


def read_stored(loaded: "LoadedConfig", names: list[str], state: str | None, start: float, end: float) -> dict:
    """The state file's samples of the SLOs in ``names`` whose source has no history, read without
    writing to it (SLOs without samples are absent; unreadable rows are reported and skipped)."""
    from slotui.replay.history import needs_stored
    from slotui.replay.stored import stored_history

    specs = needs_stored(loaded, names)
    if not specs:
        return {}
    rows, unreadable = stored_history(loaded, specs, _state_path(state), start, end)
    for row_id, reason in unreadable:
        print(f"slotui replay: stored sample {row_id!r} skipped: {reason}", file=sys.stderr)
    return rows


def _option(name: str, parse, text):  # type: ignore[no-untyped-def]
    """``parse(text)``, its ValueError prefixed with the option's name."""
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _window(args: argparse.Namespace, interval: float) -> tuple[float, float, float]:
    from slotui.clock import EARLIEST, parse_time, utc_now
    from slotui.config.durations import parse_duration

    last = "30d" if args.last is None else args.last
    if args.from_ is not None and args.last is not None and args.to is not None:
        raise ValueError("--to and --last both end the range that --from starts: give one of them")
    end = _option("--to", parse_time, args.to) if args.to is not None else utc_now()  # "" is an error, not now
    if args.from_ is not None:
        start = _option("--from", parse_time, args.from_)
        if args.last is not None:  # --from TIME --last 7d: the 7 days from TIME
            end = start + float(_option("--last", parse_duration, last))
    else:
        start = end - float(_option("--last", parse_duration, last))
    every = float(_option("--step", parse_duration, args.step)) if args.step is not None else interval
    if every <= 0:
        raise ValueError("--step: expected a duration longer than 0")
    if start >= end:
        raise ValueError("--from must be before --to" if args.from_ is not None and args.to is not None
                         else "--last: expected a duration longer than 0")
    if start < EARLIEST:
        raise ValueError(f"--last {last} reaches before 1970-01-01T00:00:00Z; give a shorter --last or --from")
    count = int((end - start) // every) + 1
    if count > MAX_STEPS:
        raise ValueError(
            f"{count:,} steps from --from to --to at --step {args.step or 'the interval'}: at most "
            f"{MAX_STEPS:,}; give a longer --step or a shorter range"
        )
    return start, end, every


def run(args: argparse.Namespace) -> int:
    import asyncio

    from slotui.commands.check import _load
    from slotui.replay.history import unreplayable
    from slotui.replay.report import render
    from slotui.replay.run import replay_config

    loaded = _load(args)
    if loaded is None:
        return UNKNOWN
    try:
        start, end, every = _window(args, float(loaded.config.defaults.interval))
    except ValueError as exc:
        print(f"slotui replay: {exc}", file=sys.stderr)
        return UNKNOWN
    from dataclasses import replace

    if args.slo:
        unknown = sorted(set(args.slo) - {s.name for s in loaded.specs})
        if unknown:
            print(f"slotui replay: --slo: no SLO named {', '.join(unknown)}", file=sys.stderr)
            return UNKNOWN
        loaded = replace(loaded, specs=[s for s in loaded.specs if s.name in set(args.slo)])
    names = [s.name for s in loaded.specs]
    from slotui.store import StoreError

    try:  # a state file that is not SQLite, not slotui's, newer or damaged: named, left untouched
        stored = read_stored(loaded, names, getattr(args, "state", None), start, end)
        silences = [] if args.no_silences else read_silences(getattr(args, "state", None))
    except StoreError as exc:
        print(f"slotui replay: {exc}", file=sys.stderr)
        return UNKNOWN
    skipped = unreplayable(loaded, names, stored)
    loaded = replace(loaded, specs=[s for s in loaded.specs if s.name not in skipped])
    from slotui.replay.run import ReplayTooLong

    try:
        replay = asyncio.run(replay_config(loaded, start, end, every, silences=silences, stored=stored))
    except ReplayTooLong as exc:
        print(f"slotui replay: {exc}", file=sys.stderr)
        return UNKNOWN
    text = render(replay, args.format, skipped)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
