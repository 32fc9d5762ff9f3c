"""The ``slotui`` command line.

The parser is built with argparse (stdlib, cheap to import); each subcommand's
implementation lives in ``slotui.commands.<name>`` and is imported only when
that subcommand runs, so ``slotui check`` never pays for Textual.

Exit codes follow the Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN (invalid configuration, NO DATA, a failed source).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from slotui import blas_threads
from slotui.core.exit_code import UNKNOWN, USAGE
from slotui.listen_address import port_argument


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 3 (UNKNOWN), as Nagios plugins do: argparse's own 2 would
    read as CRITICAL to a CI job gating on ``slotui check``. Subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def _common(p: argparse.ArgumentParser, *, root: bool = False) -> None:
    # Subparsers use SUPPRESS so that `slotui --state X silence list` keeps X:
    # argparse copies a subparser's defaults over the parent's values.
    default = None if root else argparse.SUPPRESS
    p.add_argument(
        "-c", "--config", metavar="FILE", default=default,
        help="SLO file (default: ./slos.yaml if present, else the embedded demo)",
    )
    p.add_argument(
        "--state", metavar="PATH", default=default,
        help="SQLite state file (default: the platform state dir; env SLOTUI_STATE)",
    )


def _tui_options(p: argparse.ArgumentParser, *, root: bool = False) -> None:
    default = None if root else argparse.SUPPRESS
    p.add_argument("--theme", default=default, help="TUI theme name (see themes/)")
    p.add_argument("--refresh", metavar="DURATION", default=default,
                   help="TUI refresh interval (default: the config's interval)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="slotui",
        description="Watch the service level objectives of production LLM systems.",
        epilog="Run 'slotui COMMAND --help' for a command's options. "
        "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also a bad command line).",
    )
    from slotui import __version__

    parser.add_argument("--version", action="version", version=f"slotui {__version__}")
    _common(parser, root=True)
    _tui_options(parser, root=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "tui", help="open the live SLO table (the default command)",
        description="Open the live SLO table: j/k move, Enter opens an SLO, m mutes, z snoozes, ? lists every key.",
    )
    _common(p)
    _tui_options(p)
    p.add_argument("--read-only", action="store_true",
                   help="refuse actions that change state (mute, snooze, ack, test alert, silence edits)")

    p = sub.add_parser(
        "demo", help="open the live SLO table on the embedded demo (no config, no network)",
        description="Open the live SLO table on the embedded demo: generated LLM traffic, no config file, "
        "no network (./slos.yaml is not read; -c FILE opens that file instead, as slotui tui -c FILE does). "
        "Its state is a temporary file unless --state is given.",
    )
    _common(p)
    _tui_options(p)

    p = sub.add_parser(
        "serve",
        help="serve the live SLO table in a browser (textual-serve)",
        description="Serve the live SLO table to browsers. Binds to loopback; actions that change state are "
        "off unless --allow-actions. A non-loopback --host needs --read-only or --allow-actions.",
    )
    _common(p)
    _tui_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port_argument, default=8000, help="port, 1-65535 (default 8000)")
    p.add_argument("--public-url", metavar="URL", default=None,
                   help="the URL browsers use, when behind a proxy (default http://HOST:PORT)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--read-only", action="store_true", help="view only (the default on loopback)")
    mode.add_argument("--allow-actions", action="store_true",
                      help="let browsers mute, snooze, acknowledge and send test alerts")

    p = sub.add_parser(
        "check",
        help="evaluate every SLO once and exit 0/1/2/3",
        description="Evaluate every SLO once. Exit 2 if any is CRITICAL, else 1 if any is WARNING, "
        "else 3 if the config is invalid, an SLO has NO DATA or a source failed, else 0.",
    )
    _common(p)
    p.add_argument("--format", "-o", choices=["table", "json", "junit", "markdown"], default="table",
                   help="report format (default: table; json and junit are for scripts and CI)")
    p.add_argument("--fail-on", choices=["warning", "critical"], default="warning",
                   help="lowest status that fails (default: warning)")
    p.add_argument("--no-data", choices=["unknown", "ok"], default="unknown",
                   help="exit code contribution of NO DATA / failed sources (default: unknown = 3)")
    p.add_argument("--at", metavar="TIME", help="evaluate as of this moment: RFC 3339 (2026-06-01T12:00:00Z; a time without a zone is UTC) "
                        "or epoch seconds")
    p.add_argument("--results", metavar="FILE",
                   help="evaluate a JSON mapping of metric values (MLflow eval_results.metrics, Weave results.summary); "
                   "- reads standard input")
    p.add_argument("--notify", action="store_true",
                   help="send the alerts this evaluation fires (of --results too; a past --at only: delivery runs on the real clock)")
    p.add_argument("--output", metavar="FILE",
                   help="write the report here instead of stdout (- is stdout); a run that fails before its report leaves it empty")

    p = sub.add_parser(
        "run", help="run continuously (use --headless for the daemon)",
        description="Without --headless: the live SLO table, as `slotui tui`. With --headless: the daemon; it "
        "evaluates on the config's interval, sends notifications, serves /metrics and /healthz on --listen, "
        "stops cleanly on SIGTERM and reloads the SLO file on SIGHUP; --once runs one tick and exits 0, or 3 "
        "when the tick or a source failed.",
    )
    _common(p)
    p.add_argument("--headless", action="store_true", help="no TUI: evaluate, notify, serve /metrics")
    p.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:9464",
                   help="address for /metrics and /healthz (default 127.0.0.1:9464; 'none' disables)")
    p.add_argument("--once", action="store_true", help="one tick, then exit (for cron; implies --headless): 0, or 3 when the "
                   "tick or a source failed or a stop came before the tick finished")
    _tui_options(p)

    p = sub.add_parser(
        "replay", help="replay the alerts over past data: episodes, notifications, suggestions",
        description="Run the real evaluation and alert engine over past data (--from/--to or --last, every "
        "--step) and report each SLO's alert episodes, the notifications they would have sent and "
        "threshold suggestions. Sends nothing.",
    )
    _common(p)
    p.add_argument("--from", dest="from_", metavar="TIME", help="start (RFC 3339, a time without a zone is UTC, or epoch seconds; "
                                                                   "default: --to minus --last)")
    p.add_argument("--to", metavar="TIME", help="end (as --from; default: --from plus --last, else now)")
    p.add_argument("--last", metavar="DURATION",
                   help="length of the range: back from --to (or now), or on from --from; --from alone "
                   "runs to now, and with none of --from/--to/--last the range is the last 30d")
    p.add_argument("--step", metavar="DURATION", help="simulated evaluation interval (default: the config's)")
    p.add_argument("--slo", action="append", metavar="NAME", help="replay only this SLO (repeatable)")
    p.add_argument("--no-silences", action="store_true", help="ignore the silences of the state file")
    p.add_argument("--format", "-o", choices=["table", "json", "markdown"], default="table")

    p = sub.add_parser(
        "validate", help="check an SLO file without fetching anything",
        description="Check an SLO file without fetching anything. Exit 0 if it is valid, else 3 with "
        "file:line:col, the key and what was expected.",
    )
    _common(p)
    p.add_argument("--show", action="store_true", help="print the resolved config (secrets masked)")

    p = sub.add_parser(
        "schema", help="print the JSON Schema of the SLO file",
        description="Print the JSON Schema of the SLO file (for editors: yaml-language-server).",
    )
    _common(p)

    p = sub.add_parser("silence", help="add, list or expire silences (amtool style; alone: list the active ones)")
    _common(p)
    # as amtool: `slotui silence` alone lists the active silences (query is the default)
    ssub = p.add_subparsers(dest="silence_command", metavar="SUBCOMMAND")
    sp = ssub.add_parser("add", help="add a silence: slotui silence add slo=NAME -d 1h --comment '...'")
    _common(sp)
    sp.add_argument("matchers", nargs="+", help="label matchers: name=value, name!=value, name=~regex, name!~regex")
    sp.add_argument("-d", "--duration", help="snooze for this long (default: mute until expired)")
    sp.add_argument("--end", help="end time (RFC 3339 with its zone: Z or +02:00) instead of --duration")
    sp.add_argument("--start", help="start time (RFC 3339 with its zone; default now)")
    sp.add_argument("-a", "--author", default=None, help="author (default $USER; an empty one is refused)")
    sp.add_argument("--comment", default="", help="why")
    sp.add_argument("-q", "--quiet", action="store_true", help="print only the id")
    sp = ssub.add_parser("list", aliases=["query"], help="list silences")
    _common(sp)
    sp.add_argument("matchers", nargs="*", help="only silences with these matchers")
    sp.add_argument("--expired", action="store_true", help="list expired silences instead of active ones")
    sp.add_argument("-q", "--quiet", action="store_true", help="print only ids")
    sp.add_argument("-o", "--output", choices=["table", "json"], default="table")
    sp = ssub.add_parser("expire", help="expire silences by id")
    _common(sp)
    sp.add_argument("ids", nargs="+", help="silence ids (or unique prefixes)")

    p = sub.add_parser("state", help="check the state file for unreadable rows")
    _common(p)
    tsub = p.add_subparsers(dest="state_command", metavar="SUBCOMMAND", required=True)
    sp = tsub.add_parser("check", help="list every row that does not read (exit 1 if any)")
    _common(sp)
    sp.add_argument("-o", "--output", choices=["table", "json"], default="table")

    p = sub.add_parser(
        "test-alert", help="send a TEST notification through the real route",
        description="Send a TEST notification to one channel (--channel) or as an SLO's alert through its "
        "routes (--slo); with both, the SLO's test alert goes to that channel only. Exit 0 when every "
        "channel accepted it, 1 when one refused it.",
    )
    _common(p)
    p.add_argument("--channel", help="send to this channel (with --slo: that SLO's test alert, to this channel only)")
    p.add_argument("--slo", help="send as this SLO's alert through its routes")
    p.add_argument("--severity", choices=["warning", "critical", "page"], default="critical",
                   help="the test alert's severity (default: critical)")

    p = sub.add_parser(
        "import",
        help="convert OpenSLO, Sloth and Pyrra SLO documents to an slotui SLO file",
        description="Convert OpenSLO (openslo/v1, v1alpha), Sloth (prometheus/v1, sloth.slok.dev/v1) and Pyrra "
        "(pyrra.dev/v1alpha1) documents; the format is detected per document unless the first word forces one. "
        "Exit 0 if everything was imported, 1 if something was skipped, 3 if nothing was.",
    )
    _common(p)
    p.add_argument("files", nargs="+", metavar="[openslo|sloth|pyrra] FILE", help="YAML files (several documents each); - reads standard input")
    p.add_argument("-o", "--output", metavar="OUT", help="write the SLO file here (default: stdout)")

    p = sub.add_parser("export", help="export the SLOs to other engines")
    _common(p)
    esub = p.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    ep = esub.add_parser(
        "prometheus-rules",
        help="Prometheus recording and alerting rules (Sloth's names) for the SLOs on Prometheus sources",
    )
    _common(ep)
    ep.add_argument("-o", "--output", metavar="FILE", help="write the rules here (default: stdout)")
    return parser


_MODULES = {"test-alert": "test_alert", "import": "import_", "demo": "tui"}
#: commands that do not load the SLO file themselves: an explicit ``-c FILE`` is
#: validated first, so an invalid file exits 3 everywhere, as the README says
_CHECK_CONFIG_FIRST = frozenset({"silence", "schema", "import", "state"})


def _invalid_config(args: argparse.Namespace) -> bool:
    """Print the errors of an invalid explicit ``-c FILE`` and say so (warnings are left to the command)."""
    config = getattr(args, "config", None)
    if config is None or str(config) == "":
        return False
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path

    try:
        load_config(resolve_config_path(config))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return True
    return False


#: options that take a value, as the root and ``silence`` parsers know them (``_common``, ``_tui_options``)
_VALUED = frozenset({"-c", "--config", "--state", "--theme", "--refresh"})
_SILENCE_COMMANDS = frozenset({"add", "list", "query", "expire", "-h", "--help"})


def _silence_word(argv: list[str]) -> tuple[int, int] | None:
    """``(i, j)``: ``argv[i]`` is the ``silence`` command and ``argv[j]`` (``j`` may be past the end)
    the first word after its options, where its subcommand goes; None for another command."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # the root's options before the command
        i += 2 if argv[i] in _VALUED else 1
    if i >= len(argv) or argv[i] != "silence":
        return None
    j = i + 1
    while j < len(argv) and argv[j].startswith("-") and argv[j] not in _SILENCE_COMMANDS:
        j += 2 if argv[j] in _VALUED else 1
    return i, j


def _silence_query_default(argv: list[str]) -> list[str]:
    """amtool's habit: ``slotui silence [FLAGS]`` is ``slotui silence query [FLAGS]`` (so
    ``slotui silence -q`` prints the active silences' ids, as ``amtool silence -q`` does)."""
    at = _silence_word(argv)
    if at is None:
        return argv
    i, j = at
    if j < len(argv) and argv[j] in _SILENCE_COMMANDS:
        return argv
    return [*argv[: i + 1], "query", *argv[i + 1:]]


#: amtool's silence verbs slotui does not have
_AMTOOL_ONLY = {"import": "add each with slotui silence add (one command per silence)",
                "update": "expire it and add the new one, or edit it in the TUI's silences screen (S, e)"}


def _silence_verb_problem(argv: list[str]) -> str | None:
    """A word where ``silence``'s subcommand goes that is amtool's verb slotui lacks, or a misspelt
    verb: it fell through to ``query`` as a matcher (``slo=import``), listed nothing and exited 0."""
    import difflib

    at = _silence_word(argv)
    if at is None:
        return None
    j = at[1]
    if j >= len(argv) or argv[j] in _SILENCE_COMMANDS or any(op in argv[j] for op in ("=", "~")):
        return None
    word = argv[j]
    if word in _AMTOOL_ONLY:
        return f"silence {word} is amtool's; slotui has add, query (list) and expire: {_AMTOOL_ONLY[word]}"
    close = difflib.get_close_matches(word, ["add", "query", "list", "expire"], n=1, cutoff=0.75)
    if close:
        return f"unknown silence command {word!r}; did you mean {close[0]}? (a matcher is written name=value)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    blas_threads.limit()  # before anything imports numpy
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    problem = _silence_verb_problem(words)
    if problem is not None:
        print(f"slotui: {problem}", file=sys.stderr)
        return 3
    args = parser.parse_args(_silence_query_default(words))
    command = args.command or "tui"
    if command == "run" and getattr(args, "once", False) and not args.headless:
        args.headless = True  # one tick for cron: the TUI has no "once" (it started and never exited)
    if command == "run" and not args.headless:
        command = "tui"

    if command in _CHECK_CONFIG_FIRST and _invalid_config(args):
        return UNKNOWN
    module = importlib.import_module(f"slotui.commands.{_MODULES.get(command, command)}")
    if sys.stdout is None:  # started with stdout closed (`>&-`): a write fails as it would on the fd
        sys.stdout = _ClosedOutput()
    try:
        code = int(module.run(args) or 0)
        sys.stdout.flush()  # (a full disk shows at the flush: now, not at exit with status 120)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `slotui check | head`: the reader went away; not our error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRORS:
            raise
        # the report could not be written (`> /dev/full`, a closed stdout): exit 1 would read as WARNING
        print(f"slotui {command}: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return UNKNOWN


#: what writing the output can fail with: a full disk or quota, a file too large, an I/O error, a closed fd
_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF})


class _ClosedOutput(io.TextIOBase):
    """``sys.stdout`` when the process started with it closed: writing fails with EBADF."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


if __name__ == "__main__":
    sys.exit(main())
