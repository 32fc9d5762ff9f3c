"""``slotui import [openslo|sloth|pyrra] FILE... [-o OUT]``: the peers' SLO documents as one slotui SLO file.

Each file may hold several YAML documents (``---``), a list of documents or a
Kubernetes list (``kind: List``, ``items:``, as ``kubectl get -o yaml`` prints);
the format of each document is detected (OpenSLO ``apiVersion: openslo/...``,
Sloth ``version: prometheus/v1`` or ``apiVersion: sloth.slok.dev/v1``, Pyrra
``apiVersion: pyrra.dev/v1alpha1``) unless a format is forced. One document
that cannot be imported is reported by file, document (with the line it starts
at), name and reason (after the line and column of the key it names, when that
key is written in the file), and the rest are still imported. Every imported SLO is
checked by the same loader as ``slotui validate`` (PromQL parsed) before it is
written.

Exit codes: 0 everything imported, 1 something was skipped, 3 nothing imported.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotui.core.exit_code import FAILED, OK, UNKNOWN

if TYPE_CHECKING:
    from slotui.peers.common import Refused


FORMATS = ("openslo", "sloth", "pyrra")


@dataclass(frozen=True)
class Skipped:
    """A file, document or SLO that was not imported, and why."""

    file: str
    document: str
    reason: str
    #: (line, column) of the key the reason starts with (``alerting.page_alert must be ...``), when it is
    #: in the file as written
    at: tuple[int, int] | None = None

    def __str__(self) -> str:
        where = f"line {self.at[0]}, column {self.at[1]}: " if self.at else ""
        return f"{self.file}: {self.document}: {where}{self.reason}"


@dataclass
class ImportReport:
    config: dict[str, Any]
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.config.get("slos", []))


@dataclass
class _Doc:
    file: str
    index: int
    data: dict[str, Any]
    #: its YAML node (None where the node does not mirror the data): the lines it and its keys start at
    node: Any = None

    @property
    def line(self) -> int | None:
        """The line the document starts at in its file (None when it cannot be told)."""
        return _line(self.node)

    def skipped(self, document: str, refusal: "Refused | str", scope: tuple[str | int, ...] = ()) -> Skipped:
        """A refusal of (part of) this document, with the line and column of the key its reason starts
        with when that key is in the document as written."""
        reason = str(refusal)
        return Skipped(self.file, document, reason, _key_at(self.node, getattr(refusal, "scope", scope), reason))

    @property
    def label(self) -> str:
        from slotui.peers import openslo, sloth

        d = self.data
        if sloth.is_sloth(d):
            name = sloth.document_name(d)
        else:
            name = openslo.document_name(d)
        kind = d.get("kind") or ("Sloth spec" if sloth.is_sloth(d) else "document")
        return f"{_document_at(self.index, self.line)} ({kind} {name!r})"


#: a reason's leading key path (``spec.objectives[1].op``, ``alerting.page_alert``), up to a space or ":"
_LEADING_PATH = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*(?=[\s:]|$)")


def _key_at(node: Any, scope: tuple[str | int, ...], reason: str) -> tuple[int, int] | None:
    """(line, column) of the key ``reason`` starts with, looked up in the YAML ``node`` of the
    document under ``scope`` (the mapping the converter named it from), then under the document
    itself and its ``spec``; None when the reason starts with no key path or the path is not in the
    node tree (a key whose name holds dots, a key both merged by ``<<`` and written again): no line,
    never a wrong one. A key a merge ``<<`` or an alias brings is found where it is written (the
    anchor's lines)."""
    m = _LEADING_PATH.match(reason)
    if node is None or m is None:
        return None
    parts: list[str | int] = [int(p[1:-1]) if p.startswith("[") else p
                              for p in re.findall(r"\[\d+\]|[^.\[\]]+", m.group(0))]
    for base in dict.fromkeys((tuple(scope), (), ("spec",))):
        mark = _mark_of(node, [*base, *parts])
        if mark is not None:
            return mark.line + 1, mark.column + 1
    return None


def _mark_of(node: Any, path: list[str | int]) -> Any:
    """The start mark of the key (or list item) at ``path`` in a YAML node tree, or None."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    mark = None
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, SequenceNode) or part >= len(node.value):
                return None
            node = node.value[part]
            mark = node.start_mark
            continue
        if not isinstance(node, MappingNode):
            return None
        found = [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part
                 and k.tag != "tag:yaml.org,2002:merge"]
        if len(found) != 1:
            return None  # (absent; or merged by "<<" and written again: the one that counts is not told)
        key, node = found[0]
        mark = key.start_mark
    return mark


def _document_at(index: int, line: int | None) -> str:
    """``document N``, with the line it starts at when known (``document 2 at line 16``)."""
    return f"document {index}" if line is None else f"document {index} at line {line}"


def _format_of(doc: dict[str, Any]) -> str | None:
    from slotui.peers import openslo, pyrra, sloth

    if openslo.is_openslo(doc):
        return "openslo"
    if sloth.is_sloth(doc):
        return "sloth"
    if pyrra.is_pyrra(doc):
        return "pyrra"
    return None


def _read(path: str, skipped: list[Skipped]) -> list[_Doc]:
    import yaml

    from slotui.config.loader import MAX_FILE_BYTES
    from slotui.config.yamlmap import CheckedLoader, check_structure

    try:
        if path == "-":  # `kubectl get slo -o yaml | slotui import -`: standard input
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with Path(path).open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        skipped.append(Skipped(path, "file", f"cannot read: {exc.strerror or exc}"))
        return []
    if len(data) > MAX_FILE_BYTES:  # (before decoding: the cut may split a UTF-8 sequence)
        skipped.append(Skipped(path, "file", f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the most an SLO file "
                                             "may be; split it"))
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        skipped.append(Skipped(path, "file", "not UTF-8 text"))
        return []
    # the SLO file's own limits: nesting deeper than 64 levels (PyYAML's recursive constructor
    # overflowed the stack on 5,000 brackets) and aliases adding more than 10,000 nodes
    hostile = check_structure(text)
    if hostile is not None:
        where = f"line {hostile.line}, column {hostile.column}: " if hostile.line else ""
        skipped.append(Skipped(path, "file", f"not imported ({where}{hostile.message})"))
        return []
    raw: list[tuple[Any, str | None, Any]] = []  # (the YAML document, its first duplicate key, its node)
    loader = CheckedLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            duplicate = _duplicate_key(node)  # (before constructing: flattening merge keys rewrites the nodes)
            raw.append((loader.construct_document(node), duplicate, node))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        skipped.append(Skipped(path, "file", f"not valid YAML ({where}{getattr(exc, 'problem', None) or exc})"))
        return []
    finally:
        loader.dispose()
    docs: list[_Doc] = []
    n = 0
    for item, duplicate, node in raw:
        if duplicate is not None:
            # the last value would win silently (objective: 99.9 then objective: 90 imported 90); slotui's
            # own loader refuses a duplicate key in slos.yaml, and a peer file is refused the same way
            n += 1
            first = next(((d, sub) for d, sub in _documents(item, node) if isinstance(d, dict)), None)
            name = _Doc(path, n, first[0], first[1]).label if first is not None else f"document {n}"
            skipped.append(Skipped(path, name, duplicate))
            continue
        for d, sub in _documents(item, node):
            if d is None:
                continue
            n += 1
            if not isinstance(d, dict):
                skipped.append(Skipped(path, _document_at(n, _line(sub)), f"expected a mapping (got {type(d).__name__})"))
                continue
            docs.append(_Doc(path, n, d, sub))
    if not docs and not any(s.file == path for s in skipped):
        skipped.append(Skipped(path, "file", "holds no document"))
    return docs


def _duplicate_key(root: Any) -> str | None:
    """``line L: duplicate key 'k' (first at line N)`` for the first key written twice in one mapping of
    a YAML document's node tree, as slotui's own loader words it (merge keys ``<<`` may be overridden)."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    seen: set[int] = set()
    stack = [root]
    found: list[tuple[int, int, str, int]] = []
    while stack:
        node = stack.pop()
        if id(node) in seen:  # (an alias: the same node again)
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                stack.append(value)
                if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    stack.append(key)
                    continue
                ident = (key.tag, key.value)
                line = key.start_mark.line + 1
                if ident in first:
                    found.append((line, key.start_mark.column + 1, key.value, first[ident]))
                else:
                    first[ident] = line
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    if not found:
        return None
    line, column, key, first_line = min(found)
    return f"line {line}, column {column}: duplicate key {key!r} (first at line {first_line})"


def _line(node: Any) -> int | None:
    """The line a YAML node starts at (1-based), None for no node."""
    return None if node is None else node.start_mark.line + 1


def _documents(item: Any, node: Any) -> list[tuple[Any, Any]]:
    """The documents of one YAML document, each with its YAML node (from ``node``; None where the node
    does not mirror the data): itself, the elements of a list, or the ``items`` of a Kubernetes list
    (``kind: List`` or ``ServiceLevelObjectiveList``, what ``kubectl get -o yaml`` prints for Pyrra's
    and Sloth's resources)."""
    from yaml.nodes import MappingNode, SequenceNode

    if (isinstance(item, dict) and str(item.get("kind") or "").endswith("List")
            and isinstance(item.get("items"), list) and "spec" not in item):
        item = item["items"]
        items = [value for key, value in node.value if getattr(key, "value", None) == "items"] \
            if isinstance(node, MappingNode) else []
        node = items[-1] if items else None
    if isinstance(item, list):  # (nesting is bounded by check_structure's 64 levels)
        nodes = node.value if isinstance(node, SequenceNode) and len(node.value) == len(item) else [None] * len(item)
        return [found for element, sub in zip(item, nodes) for found in _documents(element, sub)]
    return [(item, node)]


def import_files(files: list[str], forced: str | None = None) -> ImportReport:
    """Read, detect and convert; never raises for bad input (everything refused is in ``skipped``)."""
    from slotui.peers import openslo, pyrra, sloth
    from slotui.peers.common import Converted, Refused

    skipped: list[Skipped] = []
    notes: list[str] = []
    docs = [d for f in files for d in _read(f, skipped)]
    catalog = openslo.Catalog()
    for d in docs:
        if d.data.get("apiVersion") in openslo.APIS and d.data.get("kind") in openslo.SUPPORTING:
            catalog.add(d.data, d.file)
    conv = openslo.SLOConverter(catalog)
    sources: dict[str, dict[str, Any]] = {}
    slos: list[dict[str, Any]] = []
    origin: dict[str, str] = {}
    files_with_slo: set[str] = set()

    def accept(d: _Doc, got: Converted, label: str) -> None:
        for entry in got.slos:
            where = f"{label} SLO {entry['name']!r}" if len(got.slos) > 1 else label
            if entry["name"] in origin:
                skipped.append(Skipped(d.file, where, f"duplicate SLO name {entry['name']!r} "
                                                      f"(first imported from {origin[entry['name']]})"))
                continue
            problem = _validate_one(entry, got.sources)
            if problem:
                skipped.append(Skipped(d.file, where, problem))
                continue
            origin[entry["name"]] = d.file
            src = entry.get("source")
            if src in got.sources:
                sources.setdefault(src, got.sources[src])
            slos.append(entry)
        notes.extend(f"{d.file}: {n}" for n in got.notes)

    for d in docs:
        fmt = _format_of(d.data)
        label = d.label
        if fmt is None:
            what = d.data.get("apiVersion") or d.data.get("version")
            skipped.append(Skipped(d.file, label, f"not an OpenSLO, Sloth or Pyrra document "
                                                  f"(apiVersion/version {what!r})"))
            continue
        if forced is not None and fmt != forced:
            skipped.append(Skipped(d.file, label, f"not a {forced} document (looks like {fmt})"))
            continue
        try:
            if fmt == "openslo":
                openslo.check_api(d.data)
                if d.data.get("kind") in openslo.SUPPORTING:
                    continue  # used by reference from SLO documents
            files_with_slo.add(d.file)
            if fmt == "openslo":
                if d.data.get("kind") != "SLO":
                    raise Refused(f"kind {d.data.get('kind')!r} is not supported")
                conv.out = Converted()
                catalog.near = d.file  # (its own definitions of a name defined twice are the ones meant)
                for slo_name, reason, scope in conv.slo(d.data):
                    skipped.append(d.skipped(f"{label} SLO {slo_name!r}", reason, scope))
                conv.out.notes.extend(catalog.notes)
                catalog.notes.clear()
                accept(d, conv.out, label)
            elif fmt == "sloth":
                got, refused = sloth.convert(d.data)
                for slo_name, reason, scope in refused:
                    skipped.append(d.skipped(f"{label} SLO {slo_name!r}", reason, scope))
                accept(d, got, label)
            else:
                accept(d, pyrra.convert(d.data), label)
        except Refused as exc:
            skipped.append(d.skipped(label, exc))
        except Exception as exc:  # noqa: BLE001 - bad input is reported, never a traceback
            # last resort: a value of the wrong shape deep inside that no check named (each converter
            # checks the shapes it reads, and Sloth's SLOs and OpenSLO's objectives are caught one by one)
            skipped.append(Skipped(d.file, label, f"unexpected document structure ({type(exc).__name__}: {exc})"))
    for f in files:
        if f in catalog.used_files:
            continue  # its SLIs, DataSources, ... were used by an SLO of another file: nothing was left out
        if f not in files_with_slo and not any(s.file == f for s in skipped):
            kinds = sorted({str(d.data.get("kind")) for d in docs if d.file == f})
            only = f" (only {', '.join(kinds)})" if kinds else ""
            skipped.append(Skipped(f, "file", "holds no SLO document" + only))
    config: dict[str, Any] = {"version": 1, "sources": sources, "slos": slos}
    if conv.channels:
        used = {c for r in conv.routes for c in r["channels"]}
        config["alerts"] = {"channels": {k: v for k, v in conv.channels.items() if k in used},
                            "routes": conv.routes}
    return ImportReport(config=config, skipped=skipped, notes=list(dict.fromkeys(notes)))


def _validate_one(entry: dict[str, Any], sources: dict[str, dict[str, Any]]) -> str | None:
    """The loader's complaint about one imported SLO on its own, or None."""
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    config = {"version": 1, "sources": {k: v for k, v in sources.items() if k == entry.get("source")},
              "slos": [entry]}
    try:
        load_text(render(config, [], []), name="<imported>", env=PlaceholderEnv())
    except ConfigError as exc:
        lines = [ln.split(": ", 1)[-1] for ln in exc.render().splitlines()[1:] if ": " in ln]
        return "does not validate: " + ("; ".join(lines) or exc.render())
    return None


def render(config: dict[str, Any], notes: list[str], files: list[str]) -> str:
    import yaml

    head = []
    if files:
        head += ["# slotui SLO file imported from: " + _one_line(", ".join(files)),
                 "# Check it with: slotui validate -c FILE"]
    head += [f"# note: {_one_line(n)}" for n in notes]

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    body = yaml.dump(config, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=120)
    return "\n".join(head) + ("\n" if head else "") + body


def _one_line(text: str) -> str:
    """``text`` for a ``#`` comment: a line break (or any control character) from a peer's label
    value or a file name would end the comment and put the rest into the SLO file as YAML."""
    from slotui.config.text import printable

    return printable(text)


class PlaceholderEnv(dict):  # type: ignore[type-arg]
    """An environment in which every variable is set (to a placeholder), for checking output.

    The placeholder is URL-shaped: imported files put ``${PROMETHEUS_URL:-...}`` and API keys in
    ``${...}``, and a URL field must hold an http(s) URL; as a key or token it is just text."""

    def get(self, key: str, default: Any = None) -> str:  # type: ignore[override]
        return "http://placeholder.invalid"


def run(args: argparse.Namespace) -> int:
    words = [str(a) for a in args.files]
    forced = None
    if words and words[0] in FORMATS and not Path(words[0]).exists():
        forced, words = words[0], words[1:]
    if not words:
        print("slotui import: give one or more files (slotui import [openslo|sloth|pyrra] FILE...)", file=sys.stderr)
        return UNKNOWN
    from slotui.output.destination import clobbered

    hit = clobbered(getattr(args, "output", None), [("the input file", w) for w in words])
    if hit is not None:
        print(f"slotui import: -o {args.output} is {hit}: writing the SLO file there would destroy it; give "
              "another file", file=sys.stderr)
        return UNKNOWN
    report = import_files(words, forced)
    for s in report.skipped:
        print(f"skipped: {_one_line(str(s))}", file=sys.stderr)
    for n in report.notes:
        print(f"note: {_one_line(n)}", file=sys.stderr)
    if not report.imported:
        print("slotui import: nothing could be imported", file=sys.stderr)
        return UNKNOWN
    text = render(report.config, report.notes, words)
    out = getattr(args, "output", None)
    if out and out != "-":
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:  # a directory, a missing folder, no permission: said, not a traceback
            print(f"slotui import: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return UNKNOWN
        print(f"wrote {report.imported} SLO{'s' if report.imported != 1 else ''} to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return FAILED if report.skipped else OK
