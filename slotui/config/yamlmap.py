"""YAML loading that remembers where every key and value came from.

:func:`load_yaml` composes the document into PyYAML nodes (which carry marks),
then builds plain Python data itself, recording for each key path
(``("slos", 0, "objective", "target")``) the line and column of the key and of
the value. Env references are interpolated in string scalars on the way, and
every value that came from the environment is remembered (it may be a secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
import yaml.constructor
import yaml.reader
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from slotui.config.env import InterpolationError, interpolate
from slotui.config.errors import ConfigIssue

Path_ = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based position in the file."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Located:
    """Where one entry sits: its key (mappings only) and the start of its value.

    ``text_offset`` is set for single-line plain or quoted scalars: add it to
    ``value.column`` (plus a 0-based index into the string) to point inside the text.
    """

    value: Mark
    key: Mark | None = None
    text_offset: int | None = None


@dataclass
class YamlDocument:
    data: Any = field(repr=False)
    locations: dict[Path_, Located] = field(default_factory=dict)
    #: key paths whose value was (partly) taken from an environment variable
    interpolated: set[Path_] = field(default_factory=set)
    #: values substituted from the environment (treated as secrets when shown)
    env_values: set[str] = field(default_factory=set, repr=False)
    #: key path -> the environment variables interpolated there
    env_names: dict[Path_, tuple[str, ...]] = field(default_factory=dict)
    #: key paths of values that are secrets (set by the loader: secret fields, credential headers)
    secret_paths: set[Path_] = field(default_factory=set)
    #: key path -> the variable that was set but empty or blank there (``${VAR}`` with VAR="")
    blank_env: dict[Path_, str] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)

    def mark_in_text(self, path: Path_, index: int) -> Mark | None:
        """The position of the 0-based character ``index`` of the string at ``path``.

        Falls back to the start of the value for block or multi-line scalars.
        """
        loc = self.locations.get(tuple(path))
        if loc is None:
            return self.mark_for(path)
        if loc.text_offset is None:
            return loc.value
        return Mark(loc.value.line, loc.value.column + loc.text_offset + max(index, 0))

    def mark_for(self, path: Path_, *, prefer_key: bool = False) -> Mark | None:
        """The mark of the longest prefix of ``path`` that exists in the file."""
        for n in range(len(path), -1, -1):
            loc = self.locations.get(tuple(path[:n]))
            if loc is not None:
                if prefer_key and loc.key is not None:
                    return loc.key
                return loc.value
        return None


def _mark(m: yaml.Mark) -> Mark:
    return Mark(m.line + 1, m.column + 1)


_HINTS = (
    ("found character '\\t' that cannot start any token", "tab character: YAML indentation must use spaces, not tabs"),
    ("found a tab character", "tab character: YAML indentation must use spaces, not tabs"),
    ("mapping values are not allowed here", "unexpected ':' here: check the indentation of this line, "
     "or quote a value that contains ': '"),
    ("did not find expected key", "bad indentation: this line does not line up with the keys above it"),
    ("expected <block end>, but found", "bad indentation: this line does not line up with the keys above it"),
    ("did not find expected '-' indicator", "bad indentation: this list item does not line up with the items above it"),
    ("found unexpected end of stream", "unexpected end of file: an opening quote or bracket is not closed"),
    ("found undefined alias", "undefined alias (*name without a matching &name)"),
)


def _syntax_issue(exc: yaml.YAMLError) -> ConfigIssue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if "end of stream" in problem and getattr(exc, "context_mark", None) is not None:
        mark = exc.context_mark  # type: ignore[attr-defined]  # where the quote opened
    message = None
    for needle, hint in _HINTS:
        if needle in problem or (context and needle in context):
            message = hint
            break
    if message is None:
        message = "YAML syntax error: " + problem + (f" ({context})" if context else "")
    if mark is None:
        return ConfigIssue(message)
    return ConfigIssue(message, (), mark.line + 1, mark.column + 1)


def _refused(node: ScalarNode, problem: str) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def _yaml11_number(node: ScalarNode) -> None:
    """YAML 1.1 numbers that silently change value: ``1:30`` is base 60 (90), ``0465`` is octal (309).
    Refused, like ``yes`` in a number field, with what YAML read and what to write instead."""
    text = str(node.value).replace("_", "")
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("+-")
    if ":" in body:
        try:
            value = SafeConstructor.construct_yaml_float(_CheckedConstructor(), node) if "." in body else \
                SafeConstructor.construct_yaml_int(_CheckedConstructor(), node)
        except (ValueError, TypeError):
            value = None
        read = f" as the base-60 number {value:g}" if isinstance(value, (int, float)) else " as a base-60 number"
        raise _refused(node, f"YAML 1.1 reads {node.value}{read}; quote it if it is text, or write a "
                             "duration as 90s or 1h30m")
    if len(body) > 1 and body[0] == "0" and body[1].isdigit() and "." not in body and "e" not in body.lower():
        try:
            shown = f" as the octal number {sign}{int(body, 8)}"
        except ValueError:
            shown = " as an octal number"
        plain = sign + (body.lstrip("0") or "0")
        raise _refused(node, f"YAML 1.1 reads {node.value}{shown}; write {plain} (without the leading zero), "
                             "or quote it if it is text")


class _Checks:
    """Scalars PyYAML would turn into a ValueError traceback (2024-13-45, ``!!int x``,
    ``!!bool maybe``), or a number too long to print, refused as a YAML error at the
    scalar's mark (the SLO file and ``slotui import`` alike)."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        _yaml11_number(node)
        text = str(node.value).lower().lstrip("+-")
        digits = sum(ch.isalnum() for ch in text.removeprefix("0x").removeprefix("0o").removeprefix("0b"))
        if digits > MAX_NUMBER_DIGITS:
            raise _refused(node, f"a number of {digits:,} digits; expected at most {MAX_NUMBER_DIGITS}")
        return self._checked(SafeConstructor.construct_yaml_int, node, "an integer")

    def construct_yaml_float(self, node: ScalarNode) -> float:
        _yaml11_number(node)
        return self._checked(SafeConstructor.construct_yaml_float, node, "a number")

    def construct_yaml_bool(self, node: ScalarNode) -> bool:
        return self._checked(SafeConstructor.construct_yaml_bool, node, "true or false")

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        return self._checked(SafeConstructor.construct_yaml_timestamp, node, "a date or time")

    def _checked(self, construct: Any, node: ScalarNode, kind: str) -> Any:
        try:
            return construct(self, node)
        except (ValueError, KeyError, TypeError, OverflowError, AttributeError) as exc:  # !!timestamp foo: no match
            detail = f" ({exc})" if not isinstance(exc, AttributeError) else ""
            raise _refused(node, f"not {kind}{detail}; quote it if it is text") from None


class _CheckedConstructor(_Checks, SafeConstructor):
    pass


class CheckedLoader(_Checks, yaml.SafeLoader):
    """``yaml.SafeLoader`` with the checks of :class:`_Checks` (for ``slotui import``)."""


for _cls in (_CheckedConstructor, CheckedLoader):
    _cls.add_constructor("tag:yaml.org,2002:int", _Checks.construct_yaml_int)
    _cls.add_constructor("tag:yaml.org,2002:float", _Checks.construct_yaml_float)
    _cls.add_constructor("tag:yaml.org,2002:bool", _Checks.construct_yaml_bool)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _Checks.construct_yaml_timestamp)


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _as_key(key_node: ScalarNode, key: Any) -> Any:
    """A key as a name: YAML 1.1 turns ``on:``/``yes:`` into booleans; keys are names here."""
    if key is None:
        return ""
    if not isinstance(key, (str, int, float, bool)) or isinstance(key, (bool, float)):
        return str(key_node.value)
    return key


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


class _Builder:
    def __init__(self, env: Mapping[str, str], doc: YamlDocument) -> None:
        self.env = env
        self.doc = doc
        self.constructor = _CheckedConstructor()

    def build(self, node: Node, path: Path_, key_mark: Mark | None) -> Any:
        offset = None
        if isinstance(node, ScalarNode) and node.start_mark.line == node.end_mark.line:
            if node.style in (None, ""):
                offset = 0
            elif node.style in ("'", '"'):
                offset = 1
        self.doc.locations[path] = Located(_mark(node.start_mark), key_mark, offset)
        if isinstance(node, (MappingNode, SequenceNode)):
            expected = _MAP_TAG if isinstance(node, MappingNode) else _SEQ_TAG
            if node.tag != expected:
                # a tag on a scalar is refused by the constructor; one on a list or mapping was dropped
                # without a word (!!python/object:os.system {target: 1} read as the mapping)
                m = _mark(node.start_mark)
                kind = "mapping" if isinstance(node, MappingNode) else "list"
                self.doc.issues.append(ConfigIssue(
                    f"unknown tag {_shown_tag(node.tag)!r} on a {kind}; slotui reads plain YAML: remove the tag",
                    path, m.line, m.column))
                return {} if isinstance(node, MappingNode) else []
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,), None) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        value = self._scalar(node, path)
        if isinstance(value, str) and "${" in value:
            value = self._interpolate(node, value, path)
        return value

    def _scalar(self, node: ScalarNode, path: Path_) -> Any:
        """The value of a scalar, or None with an issue at its line when YAML cannot make one:
        a date that does not exist (2024-13-45), an integer of thousands of digits."""
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            m = _mark(node.start_mark)
            self.doc.issues.append(ConfigIssue(str(exc.problem), path, m.line, m.column))
            return None

    def _mapping(self, node: MappingNode, path: Path_) -> dict[Any, Any]:
        """The mapping's data. Keys merged in by ``<<: *anchor`` yield to keys written in the mapping,
        and for ``<<: [*a, *b]`` those of ``*a`` to those of ``*b`` (YAML merge keys); two keys written
        in the same mapping are a duplicate. (PyYAML's own flatten_mapping let *b win, and its pairs
        could not be told from written ones: an override was refused as a duplicate key.)"""
        merged: list[tuple[Node, Node]] = []
        written: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                written.append((key_node, value_node))
                continue
            found = self._merge_sources(path + ("<<",), value_node)
            if found is None:
                return {}
            merged.extend(found)
        out: dict[Any, Any] = {}
        first_seen: dict[Any, Mark] = {}
        for key_node, value_node in written:
            km = _mark(key_node.start_mark)
            if not isinstance(key_node, ScalarNode):
                self.doc.issues.append(
                    ConfigIssue("a key must be a plain name, not a list or mapping", path, km.line, km.column)
                )
                continue
            key = _as_key(key_node, self._scalar(key_node, path + (str(key_node.value),)))
            if isinstance(key, str) and "${" in key:
                self.doc.issues.append(ConfigIssue(
                    "${...} is not interpolated in a key; write the key's name itself (only values take ${VAR})",
                    path + (key,), km.line, km.column))
                continue
            if key in first_seen:
                self.doc.issues.append(
                    ConfigIssue(
                        f"duplicate key {key!r} (first at line {first_seen[key].line})",
                        path + (key,),
                        km.line,
                        km.column,
                    )
                )
                continue
            first_seen[key] = km
            out[key] = self.build(value_node, path + (key,), km)
        for key_node, value_node in merged:
            if not isinstance(key_node, ScalarNode):
                continue  # said where the anchored mapping is written
            key = _as_key(key_node, self._quiet_key(key_node))
            if key in out or (isinstance(key, str) and "${" in key):
                continue
            out[key] = self.build(value_node, path + (key,), _mark(key_node.start_mark))
        return out

    def _merge_sources(self, path: Path_, value_node: Node) -> list[tuple[Node, Node]] | None:
        """The pairs ``<<: value`` brings in, the first source's first; None after an issue."""
        sources = [value_node] if isinstance(value_node, MappingNode) else (
            value_node.value if isinstance(value_node, SequenceNode) else None)
        if sources is None or not all(isinstance(n, MappingNode) for n in sources):
            m = _mark(value_node.start_mark)
            self.doc.issues.append(ConfigIssue(
                "expected a mapping or a list of mappings after <<: (a merge key)", path, m.line, m.column))
            return None
        out: list[tuple[Node, Node]] = []
        for source in sources:
            inner: list[tuple[Node, Node]] = []
            for key_node, sub_value in source.value:
                if key_node.tag == _MERGE_TAG:
                    found = self._merge_sources(path, sub_value)
                    if found is None:
                        return None
                    inner.extend(found)
                else:
                    out.append((key_node, sub_value))
            out.extend(inner)  # a source's own keys before the ones it merges in
        return out

    def _quiet_key(self, key_node: ScalarNode) -> Any:
        """A merged key (its problems are said where the anchored mapping is written)."""
        try:
            return self.constructor.construct_object(key_node, deep=True)
        except yaml.YAMLError:
            return None

    def _interpolate(self, node: ScalarNode, value: str, path: Path_) -> str:
        try:
            result, used = interpolate(value, self.env)
        except InterpolationError as exc:
            start = _mark(node.start_mark)
            column = start.column
            single_line = node.start_mark.line == node.end_mark.line
            if single_line and node.style in (None, "", "'", '"'):
                column += exc.offset + (1 if node.style in ("'", '"') else 0)
            self.doc.issues.append(ConfigIssue(exc.message, path, start.line, column))
            return value
        if used:
            self.doc.interpolated.add(path)
            self.doc.env_names[path] = tuple(used)
            for name in used:
                v = self.env.get(name)
                if v and v.strip():
                    self.doc.env_values.add(v)
                elif v is not None:
                    self.doc.blank_env.setdefault(path, name)
        return result


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: deepest nesting of mappings and lists accepted (a real SLO file nests < 10 levels)
MAX_DEPTH = 64
#: the longest integer read (a count, a port, a seed): more digits is an error, not a 4,300-digit int
MAX_NUMBER_DIGITS = 100
#: most nodes that aliases (``*name``, ``<<: *name``) may add to the document
MAX_ALIAS_NODES = 10_000
#: most values (scalars, lists and mappings) in a document: a file of 1,000 SLOs holds ~30,000. A 4 MiB
#: file of two million took a minute and gigabytes to refuse after being built whole
MAX_NODES = 100_000


def check_structure(text: str) -> ConfigIssue | None:
    """See :func:`_walk_events`; LibYAML first, the pure-Python parser when LibYAML gives up.

    LibYAML stops at 1,000 levels of flow nesting with its own error; the
    pure-Python parser (iterative, like LibYAML) then finds where our limit was crossed.
    """
    try:
        return _walk_events(text, _FAST_LOADER)
    except yaml.YAMLError:
        pass
    # The pure-Python scanner keeps one possible simple key per open flow level and
    # looks at all of them for every token: quadratic in the nesting (0.9 s at 1,000
    # levels). Walk only the text up to where the brackets first nest too deep; the
    # events up to there are the same, so is the location.
    prefix = _deep_bracket_prefix(text)
    for candidate in ([prefix] if prefix is not None else []) + [text]:
        try:
            issue = _walk_events(candidate, yaml.SafeLoader)
        except yaml.YAMLError:
            continue
        if issue is not None or candidate is text:
            return issue
    return None


def _deep_bracket_prefix(text: str) -> str | None:
    """The text up to the first ``[``/``{`` that opens more than MAX_DEPTH levels (None if none does)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text[: i + 1]
        elif ch in "]}":
            depth -= 1
    return None


def _walk_events(text: str, loader: Any) -> ConfigIssue | None:
    """Walk the parser's events (no recursion, no node built) and stop at hostile structure.

    Reports, at the line:col where the limit is crossed: nesting deeper than
    :data:`MAX_DEPTH` (also through an alias to a deep anchor), aliases that
    would expand to more than :data:`MAX_ALIAS_NODES` nodes (billion laughs), more than
    :data:`MAX_NODES` values in all,
    and an alias used inside its own anchor (a recursive structure). Syntax
    errors are left to the composer, whose messages are explained elsewhere.
    """
    # each frame: [anchor, nodes in the subtree, height of the subtree]
    stack: list[list[Any]] = []
    anchors: dict[str, tuple[int, int] | None] = {}
    expanded = 0

    def add(size: int, height: int) -> None:
        if stack:
            stack[-1][1] += size
            stack[-1][2] = max(stack[-1][2], height + 1)

    nodes = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.ScalarEvent)):
            nodes += 1
            if nodes > MAX_NODES:
                m = _mark(event.start_mark)
                return ConfigIssue(
                    f"more than {MAX_NODES:,} values (lists, mappings and scalars); an SLO file of 1,000 SLOs "
                    "holds about 30,000: is this the right file?",
                    (), m.line, m.column,
                )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([event.anchor, 1, 0])
            if event.anchor is not None:
                anchors[event.anchor] = None  # open: an alias to it now is recursive
            if len(stack) > MAX_DEPTH:
                m = _mark(event.start_mark)
                return ConfigIssue(
                    f"lists and mappings nest deeper than {MAX_DEPTH} levels; an SLO file needs far fewer",
                    (), m.line, m.column,
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, size, height = stack.pop()
            if anchor is not None:
                anchors[anchor] = (size, height)
            add(size, height)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
            add(1, 0)
        elif isinstance(event, yaml.AliasEvent):
            m = _mark(event.start_mark)
            if event.anchor not in anchors:
                continue  # undefined: the composer says so, located
            known = anchors[event.anchor]
            if known is None:
                return ConfigIssue(
                    f"alias *{event.anchor} is used inside its own anchor &{event.anchor} "
                    "(a recursive structure); expected plain data",
                    (), m.line, m.column,
                )
            size, height = known
            expanded += size
            if expanded > MAX_ALIAS_NODES:
                return ConfigIssue(
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?); "
                    "write the values out or use fewer nested aliases",
                    (), m.line, m.column,
                )
            if len(stack) + height > MAX_DEPTH:
                return ConfigIssue(
                    f"alias *{event.anchor} makes lists and mappings nest deeper than {MAX_DEPTH} levels",
                    (), m.line, m.column,
                )
            add(size, height)
    return None


def _reader_issue(exc: yaml.reader.ReaderError, text: str) -> ConfigIssue:
    """An invalid character, located by line:col (PyYAML only gives a character index)."""
    position = max(0, min(exc.position, len(text)))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    char = exc.character
    if isinstance(char, int):
        code = f"U+{char:04X}"
    else:
        code = f"U+{ord(char):04X}" if isinstance(char, str) and len(char) == 1 else repr(char)
    name = "a NUL byte" if code == "U+0000" else f"control character {code}"
    return ConfigIssue(f"{name} is not allowed in a YAML file; remove it", (), line, column)


def load_yaml(text: str, env: Mapping[str, str]) -> YamlDocument:
    """Parse one YAML document with locations. Syntax problems land in ``.issues``.

    ``data`` is ``None`` for an empty document (or one holding only comments).
    """
    doc = YamlDocument(data=None)
    hostile = check_structure(text)
    if hostile is not None:
        doc.issues.append(hostile)
        return doc
    try:
        # LibYAML's parser when the wheel has it (5x faster; nodes carry the same
        # marks); a broken file is parsed again by the pure-Python parser, whose
        # messages the explanations in _syntax_issue are written for.
        nodes = list(yaml.compose_all(text, Loader=_FAST_LOADER))
    except yaml.YAMLError:
        try:
            nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        except yaml.reader.ReaderError as exc:
            doc.issues.append(_reader_issue(exc, text))
            return doc
        except yaml.YAMLError as exc:
            doc.issues.append(_syntax_issue(exc))
            return doc
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return doc
    if len(nodes) > 1:
        m = _mark(nodes[1].start_mark)
        doc.issues.append(
            ConfigIssue("expected one YAML document, found several (a second '---')", (), m.line, m.column)
        )
        return doc
    builder = _Builder(env, doc)
    try:
        doc.data = builder.build(nodes[0], (), None)
    except yaml.MarkedYAMLError as exc:
        doc.issues.append(_syntax_issue(exc))
    except RecursionError:  # pragma: no cover - check_structure bounds the depth first
        doc.issues.append(ConfigIssue(f"lists and mappings nest deeper than {MAX_DEPTH} levels"))
    # a problem inside an anchored mapping is met again wherever an alias or merge key uses it: said once
    seen: set[tuple[Any, Any, str]] = set()
    unique = []
    for issue in doc.issues:
        mark = (issue.line, issue.column, issue.message)
        if issue.line is None or mark not in seen:
            seen.add(mark)
            unique.append(issue)
    doc.issues = unique
    return doc
