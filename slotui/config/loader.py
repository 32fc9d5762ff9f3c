"""Load an SLO file: YAML with line numbers, env interpolation, typed validation, resolution.

``load_config(path)`` returns a :class:`LoadedConfig` or raises
:class:`~slotui.config.errors.ConfigError` listing every problem found, each as
``file:line:col: key.path: what was expected (got X)``. Values that are
secrets (fields marked ``secret`` in the model, anything taken from the
environment) are never echoed. ``path=None`` loads the embedded demo
(``slotui/slos.example.yaml``).

Import cost: pyyaml + pydantic only (no httpx, no textual).
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import stat
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from inspect import isclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from slotui.config.errors import ConfigError, ConfigIssue, format_key_path
from slotui.config.locations import EXAMPLE_CONFIG
from slotui.config.model import ChannelConfig, Config, SourceConfig
from slotui.config.resolve import resolve
from slotui.config.secrets import clip
from slotui.config.yamlmap import YamlDocument, load_yaml
from slotui.core.types import SLOSpec

__all__ = ["ConfigError", "LoadedConfig", "load_config", "load_text"]


@dataclass
class LoadedConfig:
    """A valid SLO file, resolved.

    ``path`` is ``None`` for the embedded example; ``base_dir`` is the directory
    relative paths in the file (log files, alert files) are resolved against:
    the file's directory, or the current directory for the embedded example.
    """

    config: Config
    path: Path | None
    base_dir: Path
    specs: list[SLOSpec]
    warnings: list[str] = field(default_factory=list)
    #: strings that must never be shown (secret fields, values from the environment)
    secrets: set[str] = field(default_factory=set, repr=False)

    @property
    def display_name(self) -> str:
        return str(self.path) if self.path is not None else "slos.example.yaml (embedded demo)"

    def spec(self, name: str) -> SLOSpec:
        """The resolved SLO called ``name`` (KeyError if none)."""
        for s in self.specs:
            if s.name == name:
                return s
        raise KeyError(name)


# --------------------------------------------------------------------------- reading

#: the largest SLO file read (a file with hundreds of SLOs is a few hundred KiB)
MAX_FILE_BYTES = 4 * 1024 * 1024


def _too_large(size: int) -> str:
    return (f"the file is too large ({size:,} bytes); an SLO file is at most "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MiB")


def _read_fifo(path: Path) -> bytes:
    """What a named pipe holds: opened without waiting for a writer (a plain open of a FIFO nobody
    writes to waited forever: every command hung), then read until its writers close it (``-c
    <(generate-slos)`` has its writer from the start; none at all reads as empty)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)


def _read(path: Path) -> str:
    shown = str(path)
    if not path.exists():
        where = path if path.is_absolute() else Path.cwd() / path
        raise ConfigError.single(f"no such file ({where})", file=shown)
    if path.is_dir():
        raise ConfigError.single("is a directory; expected an SLO file (YAML)", file=shown)
    try:
        if stat.S_ISFIFO(path.stat().st_mode):
            raw = _read_fifo(path)
            if not raw:
                raise ConfigError.single("a FIFO (named pipe) that nothing writes to; expected an SLO file (YAML)",
                                         file=shown)
        else:
            with path.open("rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise ConfigError.single("cannot read the file: permission denied", file=shown) from None
    except OSError as exc:
        raise ConfigError.single(f"cannot read the file: {exc.strerror or exc}", file=shown) from None
    if len(raw) > MAX_FILE_BYTES:
        try:
            size = path.stat().st_size
        except OSError:
            size = len(raw)
        raise ConfigError.single(_too_large(max(size, len(raw))), file=shown)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError.single(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            file=shown, line=line, column=column,
        ) from None


def load_config(path: Path | str | None, *, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Load, validate and resolve an SLO file (``None``: the embedded example).

    ``env`` replaces ``os.environ`` for ``${VAR}`` interpolation (tests).
    Raises :class:`ConfigError`; never returns a partially valid config.
    """
    if path is None:
        text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
        return load_text(text, name=str(EXAMPLE_CONFIG), env=env, path=None, base_dir=Path.cwd())
    p = Path(path)
    text = _read(p)
    return load_text(text, name=str(p), env=env, path=p, base_dir=p.resolve().parent)


def load_text(
    text: str,
    *,
    name: str = "<string>",
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    base_dir: Path | None = None,
) -> LoadedConfig:
    """Like :func:`load_config` for text already in memory; ``name`` is used in messages."""
    environ = os.environ if env is None else env
    if len(text) > MAX_FILE_BYTES:
        raise ConfigError.single(_too_large(len(text.encode("utf-8", "surrogatepass"))), file=name)
    text = text.removeprefix("\ufeff")
    doc = load_yaml(text, environ)

    def fail(issues: list[ConfigIssue], secrets: set[str] = frozenset()) -> ConfigError:  # type: ignore[assignment]
        return ConfigError(issues, file=name, text=text, secrets=set(doc.env_values) | set(secrets))

    if doc.issues:  # the YAML itself is broken: no tree to find the secret fields in, so the text is read
        raise fail(doc.issues, _text_secrets(_around(text, doc.issues)))
    if doc.data is None:
        raise fail([ConfigIssue(
            "the file is empty; expected a mapping with sources: and slos: (run 'slotui schema' for the shape)",
            (), 1, 1,
        )])
    if not isinstance(doc.data, dict):
        raise fail([ConfigIssue(
            f"expected a mapping of keys (version, defaults, sources, slos, alerts) at the top level "
            f"(got {_kind(doc.data)})",
            (), 1, 1,
        )])
    secrets = _collect_secrets(doc)
    booleans = _booleans_for_numbers(doc)
    try:
        config = Config.model_validate(doc.data)
    except ValidationError as exc:
        # pydantic's word on a boolean is about the 1 it read it as ("expected less than 1"): ours wins
        flagged = {i.path for i in booleans}
        raise fail([i for i in _translate(exc, doc, secrets) if i.path not in flagged] + booleans, secrets) from None
    if booleans:
        raise fail(booleans, secrets)

    def locate(p: tuple[Any, ...], index: int | None, prefer_key: bool) -> tuple[int, int] | None:
        mark = doc.mark_in_text(p, index) if index is not None else doc.mark_for(p, prefer_key=prefer_key)
        return (mark.line, mark.column) if mark else None

    resolution = resolve(config, locate)
    issues = resolution.issues + _missing_files(config, base_dir if base_dir is not None else Path.cwd(), doc)
    issues += _secret_variables_shown(doc)
    if issues:
        raise fail(issues, secrets)
    return LoadedConfig(
        config=config,
        path=path,
        base_dir=base_dir if base_dir is not None else Path.cwd(),
        specs=resolution.specs,
        warnings=resolution.warnings,
        secrets=set(doc.env_values) | secrets,
    )


def _secret_variables_shown(doc: YamlDocument) -> list[ConfigIssue]:
    """An SLO's name, label or description taking a ``${VAR}`` that also feeds a secret (a webhook
    URL, an API key): every output shows it, so the secret was printed in the table, JSON and
    notifications while masked everywhere else."""
    secret_vars: dict[str, tuple[Any, ...]] = {}
    for path, names in doc.env_names.items():
        if path in doc.secret_paths:
            for name in names:
                secret_vars.setdefault(name, path)
    issues: list[ConfigIssue] = []
    for path, names in sorted(doc.env_names.items(), key=lambda item: str(item[0])):
        shown = len(path) >= 3 and path[0] == "slos" and (path[2] in ("name", "description") or (
            len(path) >= 4 and path[2] == "labels"))
        if not shown or path in doc.secret_paths:
            continue
        for name in names:
            if name in secret_vars:
                mark = doc.mark_for(path)
                issues.append(ConfigIssue(
                    f"${{{name}}} also feeds {format_key_path(secret_vars[name])}, a secret: shown here, its value would be "
                    "printed in every output; use a variable of its own", path,
                    mark.line if mark else None, mark.column if mark else None))
                break
    return issues


# --------------------------------------------------------------------------- booleans for numbers


def _takes_number_not_bool(annotation: Any) -> bool:
    """A field whose type admits an int or a float but neither a bool nor Any."""
    def kinds(tp: Any) -> None:
        args = get_args(tp)
        origin = get_origin(tp)
        if origin is typing.Annotated:
            kinds(args[0])
        elif origin is typing.Literal:
            found.update(type(a) for a in args)
        elif origin in (Union, types.UnionType):
            for a in args:
                kinds(a)
        else:
            found.add(tp)

    found: set[Any] = set()
    kinds(annotation)
    return bool(found & {int, float}) and not found & {bool, Any, object}


def _booleans_for_numbers(doc: YamlDocument) -> list[ConfigIssue]:
    """``target: yes``, ``rate: true``: YAML's true and false where a number is expected. pydantic
    reads them as 1 and 0, so the file loaded with a target of 1, silently."""
    issues: list[ConfigIssue] = []
    for path in doc.locations:
        if not path or not isinstance(_value_at(doc.data, path), bool):
            continue
        tp, _, _ = _at(path, doc.data)
        if tp is not None and _takes_number_not_bool(tp):
            mark = doc.mark_for(path)
            value = _value_at(doc.data, path)
            issues.append(ConfigIssue(f"expected a number ({_got(value, False)})", path,
                                      mark.line if mark else None, mark.column if mark else None))
    return issues


# --------------------------------------------------------------------------- files the config names


def _missing_files(config: Config, base_dir: Path, doc: YamlDocument) -> list[ConfigIssue]:
    """A TLS certificate, key or CA bundle the file names (``tls.ca_file``, an email channel's
    ``ca_file``) that is not there: an error at load time naming its key and line, not a
    ``TLS setup failed: [Errno 2]`` at the first fetch. (Log files may appear later: not checked.)"""
    named: list[tuple[tuple[Any, ...], str]] = []
    for name, source in config.sources.items():
        tls = getattr(source, "tls", None)
        for key in ("ca_file", "cert_file", "key_file"):
            value = getattr(tls, key, None) if tls is not None else None
            if value:
                named.append((("sources", name, "tls", key), value))
    for name, channel in config.alerts.channels.items():
        value = getattr(channel, "ca_file", None)
        if value:
            named.append((("alerts", "channels", name, "ca_file"), value))
    issues: list[ConfigIssue] = []
    for path, value in named:
        where = Path(value).expanduser()
        if not where.is_absolute():
            where = base_dir / where
        if where.is_file():
            continue
        what = "is a directory" if where.is_dir() else "no such file"
        mark = doc.mark_for(path)
        issues.append(ConfigIssue(f"{what} ({where}); expected a PEM file", path,
                                  mark.line if mark else None, mark.column if mark else None))
    return issues


# --------------------------------------------------------------------------- model walking

_NONE = type(None)
_LABEL_PREFIXES = ("function-", "literal[", "nullable[", "lax-", "json-", "tagged-union[", "union[", "list[",
                   "dict[", "str", "int", "float", "bool", "none", "is-instance[", "chain[")


def _tags() -> set[str]:
    tags: set[str] = set()
    for union in (SourceConfig, ChannelConfig):
        for member in get_args(get_args(union)[0]):
            fi = member.model_fields.get("type")
            if fi is not None:
                tags.update(str(a) for a in get_args(fi.annotation))
    return tags


_TAGS = _tags()


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(tp):
            out.extend(_members(arg))
        return out
    return [tp]


def _field(model: type[BaseModel], key: Any) -> Any:
    for fname, fi in model.model_fields.items():
        if fi.alias == key or fname == key:
            return fi
    return None


def _type_tag(model: type[BaseModel]) -> set[str]:
    fi = model.model_fields.get("type")
    if fi is None or get_origin(fi.annotation) is not typing.Literal:
        return set()
    return {str(a) for a in get_args(fi.annotation)}


def _step(tp: Any, key: Any, data: Any) -> tuple[Any, Any]:
    """The type one key further down, and the FieldInfo when the key is a model field."""
    members = [m for m in _members(tp) if m is not _NONE]
    tag = data.get("type") if isinstance(data, dict) else None
    models = [m for m in members if isclass(m) and issubclass(m, BaseModel)]
    if tag is not None:
        preferred = [m for m in models if str(tag) in _type_tag(m)]
        models = preferred + [m for m in models if m not in preferred]
    for m in models:
        fi = _field(m, key)
        if fi is not None:
            return fi.annotation, fi
    for m in members:
        origin = get_origin(m)
        if origin is list and isinstance(key, int):
            return get_args(m)[0], None
        if origin is dict and not isinstance(key, int):
            return get_args(m)[1], None
    return None, None


def _at(path: tuple[Any, ...], data: Any) -> tuple[Any, Any, Any]:
    """(type, FieldInfo, container type) at a data path; Nones past what is known."""
    tp: Any = Config
    fi = None
    container: Any = None
    cur = data
    for key in path:
        container = tp
        tp, fi = _step(tp, key, cur)
        if tp is None:
            return None, None, container
        if isinstance(cur, dict):
            cur = cur.get(key)
        elif isinstance(cur, list) and isinstance(key, int) and 0 <= key < len(cur):
            cur = cur[key]
        else:
            cur = None
    return tp, fi, container


def _is_secret(fi: Any) -> bool:
    extra = getattr(fi, "json_schema_extra", None)
    return isinstance(extra, dict) and bool(extra.get("secret"))


_SECRET_KEY_WORDS = ("password", "passwd", "token", "secret", "api_key", "apikey", "routing_key", "webhook",
                     "private_key", "credential")


def _secret_field_names() -> set[str]:
    names: set[str] = set()
    seen: set[type] = set()

    def visit(tp: Any) -> None:
        for m in _members(tp):
            origin = get_origin(m)
            if origin in (list, dict):
                for arg in get_args(m):
                    visit(arg)
            elif isclass(m) and issubclass(m, BaseModel) and m not in seen:
                seen.add(m)
                for fname, fi in m.model_fields.items():
                    if _is_secret(fi):
                        names.add(fi.alias or fname)
                    visit(fi.annotation)

    visit(Config)
    return names


_SECRET_FIELDS = _secret_field_names()


def _looks_secret_key(key: Any) -> bool:
    """A credential-like key (the words of a credential query parameter or header too: ``bearer``,
    ``auth``, ``integration_key``, ``pwd``), or a misspelling of a secret field (``routng_key``)."""
    k = str(key).lower()
    if any(w in k for w in _SECRET_KEY_WORDS):
        return True
    return bool(difflib.get_close_matches(k, _SECRET_FIELDS, n=1, cutoff=0.75))


#: an HTTP header name (RFC 9110 token)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _credential_container(path: tuple[Any, ...], value: Any, fi: Any) -> bool:
    """Whether the value at ``path`` holds credentials however it is written: ``basic_auth`` in any
    shape (``"user:pass"``, ``[user, pass]``), ``headers`` written as one string or a list
    (``"Authorization: Bearer x"``), and the value of a header whose name is not a header name
    (``"Bad Name": ...``: which header it meant cannot be told). These were quoted in the error and on
    its excerpt line; a plain header such as ``X-Scope-OrgID`` stays readable."""
    if not path:
        return False
    if fi is not None and path[-1] == "basic_auth":
        return True
    if fi is not None and path[-1] == "headers" and not isinstance(value, dict):
        return True
    return len(path) >= 2 and path[-2] == "headers" and not _HEADER_NAME.fullmatch(str(path[-1]))


def _collect_secrets(doc: YamlDocument) -> set[str]:
    """Every scalar in the file that sits in (or under) a secret field or a credential header.

    Also values under keys that look like credentials (even unknown or misspelt
    keys: an error message quoting the line must not leak them), passwords in
    URLs, and Slack webhook URLs wherever they appear.
    """
    from slotui.config.secrets import is_credential_header, url_password, url_query_secrets

    secret_paths: list[tuple[Any, ...]] = []
    out: set[str] = set()
    for path in sorted(doc.locations, key=len):
        value = _value_at(doc.data, path)
        is_secret = any(path[: len(sp)] == sp for sp in secret_paths)
        if not is_secret and path:
            tp, fi, _ = _at(path, doc.data)
            # A key that names a thing (a channel called "webhook", a source called "token-api")
            # holds a mapping: only a key holding a value is judged by its name. A key the schema
            # does not know (a typo, another tool's name: bearer, auth, integration_key) is also
            # judged by the credential words of headers and query parameters; a label's is not.
            # a source's derived fields are named by the user (token_cost) and hold expressions
            named_value = not isinstance(value, (dict, list)) and not (len(path) >= 2 and path[-2] == "fields")
            unknown_credential = tp is None and named_value and is_credential_header(str(path[-1]))
            if _is_secret(fi) or (fi is None and named_value and _looks_secret_key(path[-1])) or unknown_credential or (
                len(path) >= 2 and path[-2] == "headers" and is_credential_header(str(path[-1]))
            ) or _credential_container(path, value, fi):
                is_secret = True
        if is_secret:
            secret_paths.append(path)
            doc.secret_paths.add(path)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
                out.add(str(value))
            continue
        if isinstance(value, str):
            pw = url_password(value)
            if pw:
                out.add(pw)
            elif "@" in value and "://" not in value:  # a host written user:password@host (no scheme)
                pw = url_password("smtp://" + value.strip())
                if pw:
                    out.add(pw)
            if "hooks.slack.com/" in value:
                out.add(value)
            out.update(url_query_secrets(value))
    # a secret written with YAML escapes ("...T0KEN\x01") reads as its raw text on the excerpt line,
    # not as its value: every run of printable characters of it is masked too
    for value in list(out):
        if not value.isprintable():
            runs = "".join(ch if ch.isprintable() else "\0" for ch in value).split("\0")
            out.update(run for run in runs if len(run) >= 4)
    return out


#: ``key: value`` in block or flow style: the key (quoted or not) and its value up to the end of the
#: line, a comma or a closing brace (a quoted value whole)
_KEY_VALUE = re.compile(
    r"""(?:^|[\s{,\[-])(?P<q>["']?)(?P<key>[^\s"':{},\[\]#]+)(?P=q)\s*:[ \t]+"""
    r"""(?:!\S*\s+)?(?P<value>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\n]|'')*'?|[^\s,{}\[\]#][^,{}\[\]#\n]*)""",
    re.M,
)


#: lines read for secrets around each located YAML error (a value may continue or be keyed nearby)
_AROUND = 5
#: characters of a long line read for secrets on each side of the error's column
_AROUND_CHARS = 4096


def _around(text: str, issues: list[ConfigIssue]) -> str:
    """The lines near the YAML errors' lines (what their excerpts and messages can quote): a 4 MiB
    file of 380,000 keys was read whole for credential-like keys (a fuzzy match per key: 25 s).
    All of it when an error has no line."""
    if any(issue.line is None for issue in issues) or not issues:
        return text
    lines = text.splitlines()
    parts: dict[int, str] = {}
    for issue in issues:
        column = (issue.column or 1) - 1
        for n in range(max(0, issue.line - 1 - _AROUND), min(len(lines), issue.line + _AROUND)):
            line = lines[n]
            # of a long line, what is near the error's column (an excerpt shows a cut of it)
            start = max(0, column - _AROUND_CHARS) if n == issue.line - 1 else 0
            parts[n] = line[start:start + 2 * _AROUND_CHARS]
    return "\n".join(parts[n] for n in sorted(parts))


def _text_secrets(text: str) -> set[str]:
    """The values of credential-like keys, URL passwords and secret query parameters, read from the
    text of a file whose YAML does not parse (an unterminated quote, a tab, a duplicate key): the
    error quotes the line, and a literal routing key or webhook URL on it was printed as it was."""
    from slotui.config.secrets import is_credential_header, url_password, url_query_secrets

    out: set[str] = set()
    for m in _KEY_VALUE.finditer(text):
        value = m.group("value").strip()
        bare = value.strip("\"'")
        if not bare:
            continue
        if _looks_secret_key(m.group("key")) or is_credential_header(m.group("key")):
            out.update(v for v in {value, bare, value.rstrip("\"'"), value.lstrip("\"'")} if v)
    for word in re.findall(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+", text):
        pw = url_password(word)
        if pw:
            out.add(pw)
        if "hooks.slack.com/" in word:
            out.add(word)
        out.update(url_query_secrets(word))
    return out


def _value_at(data: Any, path: tuple[Any, ...]) -> Any:
    cur = data
    for key in path:
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        elif isinstance(cur, list) and isinstance(key, int) and 0 <= key < len(cur):
            cur = cur[key]
        else:
            return None
    return cur


# --------------------------------------------------------------------------- pydantic errors


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[tuple[Any, ...], bool]:
    """Strip union tags from a pydantic ``loc``; return the path and whether it exists in the data."""
    out: list[Any] = []
    cur = data
    exists = True
    for i, comp in enumerate(loc):
        if exists and isinstance(cur, dict) and comp in cur:
            out.append(comp)
            cur = cur[comp]
            continue
        if exists and isinstance(cur, list) and isinstance(comp, int) and 0 <= comp < len(cur):
            out.append(comp)
            cur = cur[comp]
            continue
        if isinstance(comp, str) and (comp in _TAGS or comp.startswith(_LABEL_PREFIXES) or "[" in comp):
            if i < len(loc) - 1 or not exists or comp not in (cur if isinstance(cur, dict) else {}):
                continue
        out.append(comp)
        exists = False
        cur = None
    return tuple(out), exists


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _got(value: Any, secret: bool) -> str:
    if secret:
        return f"got {_kind(value)}, value hidden"
    if isinstance(value, (dict, list)) or value is None:
        return f"got {_kind(value)}"
    if isinstance(value, str):
        shown = clip(value, 40)
        return f"got {shown!r}"
    if isinstance(value, bool):  # YAML's words: `name: no` reads as false
        return f"got {str(value).lower()}: YAML reads yes, no, on, off as true or false"
    if isinstance(value, (datetime.date, datetime.time)):  # `window: 2024-01-01` reads as a date
        return f"got a date {value.isoformat()}"
    if isinstance(value, (bytes, bytearray)):
        return "got binary data (!!binary)"
    if isinstance(value, (int, float)):
        return f"got {clip(repr(value), 40)}"
    return f"got {_kind(value)}"


_TYPE_MESSAGES = {
    "string_type": "expected a string",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "int_parsing_size": "expected an integer of a sensible size",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "finite_number": "expected a finite number",
}


def _message(err: Mapping[str, Any], allowed: list[str]) -> tuple[str, bool]:
    """(message, whether to add 'got ...')."""
    typ = err["type"]
    loc = err["loc"]
    ctx = err.get("ctx") or {}
    if typ == "missing":
        return f"missing required key {loc[-1]!r}", False
    if typ == "extra_forbidden":
        key = loc[-1]
        hint = ""
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        elif allowed:
            shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
            hint = f"; expected one of: {shown}"
        return f"unknown key {key!r}{hint}", False
    if typ == "union_tag_invalid":
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown type {ctx.get('tag')!r}; expected one of: {expected}", False
    if typ == "union_tag_not_found":
        tags = ", ".join(allowed)
        return "missing required key 'type'" + (f" (one of: {tags})" if tags else ""), False
    if typ == "literal_error":
        return f"expected {ctx.get('expected', '')}", True
    if typ in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[typ], True
    if typ == "value_error":
        error = ctx.get("error")
        text = str(error) if error is not None else str(err.get("msg", ""))
        return text.removeprefix("Value error, "), True
    msg = str(err.get("msg", typ))
    msg = msg.replace("Input should be", "expected").replace("Value error, ", "")
    if msg and msg[0].isupper():
        msg = msg[0].lower() + msg[1:]
    return msg, True


def _translate(exc: ValidationError, doc: YamlDocument, secrets: set[str]) -> list[ConfigIssue]:
    grouped: dict[tuple[Any, ...], tuple[list[str], str, ConfigIssue]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        typ = err["type"]
        path, _exists = _data_path(loc, doc.data)
        if typ == "missing":
            path = path[:-1]
            mark = doc.mark_for(path, prefer_key=True)
        elif typ == "union_tag_not_found":
            mark = doc.mark_for(path, prefer_key=True)
        elif typ == "union_tag_invalid":
            path = path + ("type",)
            mark = doc.mark_for(path)
        elif typ == "extra_forbidden" or (loc and loc[-1] == "[key]"):
            mark = doc.mark_for(path, prefer_key=True)
        else:
            mark = doc.mark_for(path)
        allowed: list[str] = []
        if typ == "union_tag_not_found":
            tp, _, _ = _at(path, doc.data)
            for m in _members(tp):
                if isclass(m) and issubclass(m, BaseModel):
                    allowed.extend(sorted(_type_tag(m)))
        if typ == "extra_forbidden":
            _, _, container = _at(path, doc.data)
            parent_value = _value_at(doc.data, path[:-1])
            for m in _members(container):
                if isclass(m) and issubclass(m, BaseModel):
                    tag = parent_value.get("type") if isinstance(parent_value, dict) else None
                    if tag is not None and _type_tag(m) and str(tag) not in _type_tag(m):
                        continue
                    allowed = [fi.alias or name for name, fi in m.model_fields.items()]
                    break
        message, add_got = _message(err, allowed)
        if path in doc.blank_env and message.startswith("cannot be empty"):
            message = f"environment variable {doc.blank_env[path]} is empty; expected a value"
            add_got = False
        _, fi, _ = _at(path, doc.data)
        secret = _is_secret(fi) or path in doc.interpolated or (
            isinstance(err.get("input"), str) and err.get("input") in secrets
        )
        got = _got(err.get("input"), secret) if add_got else ""
        if path in grouped:
            messages, old_got, issue = grouped[path]
            if message not in messages:
                messages.append(message)
            continue
        issue = ConfigIssue("", path, mark.line if mark else None, mark.column if mark else None)
        grouped[path] = ([message], got, issue)
    issues: list[ConfigIssue] = []
    for messages, got, issue in grouped.values():
        first, rest = messages[0], messages[1:]
        text = first
        for m in rest:
            text += " or " + m.removeprefix("expected ") if first.startswith("expected") else "; " + m
        issue.message = text + (f" ({got})" if got else "")
        issues.append(issue)
    return issues
