"""Silences: Alertmanager-style objects that keep matching alerts from being sent.

A :class:`Silence` holds label :class:`Matcher` s, a start, an optional end,
an author and a comment. A *snooze* ends at a fixed time; a *mute* has no end
(``ends_at is None``) and lasts until someone expires it. Silenced alerts are
still evaluated and shown; only their notifications are held back.

Semantics follow Alertmanager and amtool:

- matchers are ``name=value``, ``name!=value``, ``name=~regex``, ``name!~regex``;
  values may be double-quoted (``comment="a b"``, with ``\\"`` and ``\\\\``
  escapes); a bare word ``helpfulness`` is shorthand for ``slo=helpfulness``
  (amtool's bare word means ``alertname``; in slotui the SLO is what people
  name);
- regular expressions are anchored at both ends (``slo=~help`` does not match
  ``helpfulness``; write ``slo=~help.*``);
- a label the alert does not carry has the value ``""``, so ``team!=core``
  matches an alert without a ``team`` label;
- a silence must have at least one matcher that does not match the empty
  string, so that it cannot silence every alert by accident;
- a silence is active when ``starts_at <= now < ends_at`` (half-open, exact to
  the float; ``ends_at=None`` never ends). Before ``starts_at`` it is
  *pending*, from ``ends_at`` on it is *expired*.

Everything here is pure: no I/O, and ``now`` is always a parameter. Ids are
UUID4 strings (the one source of randomness, in :func:`new_silence_id`).
Storing, editing, expiring and forgetting silences is the job of the one
service, :class:`slotui.alerting.silences.Silences`.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from slotui.clock import EARLIEST, LATEST, TIME_RANGE
from slotui.config.text import check_name, check_text

MatchOp = Literal["=", "!=", "=~", "!~"]
SilenceState = Literal["pending", "active", "expired"]

_OPS: tuple[MatchOp, ...] = ("=~", "!~", "!=", "=")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]*")
_BARE_VALUE = re.compile(r"[A-Za-z0-9_.:/@+-]+")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def _compile_anchored(value: str, name: str) -> Any:
    """``value`` as a fully anchored RE2 regex, as Alertmanager matches (Go's regexp is RE2).

    RE2 runs in time linear in the label value: with Python's backtracking ``re``, a silence
    ``slo=~(a|aa)*c`` took 3 s per alert on a 36-character SLO name and doubled per character,
    so one typo could stall every tick. RE2 also refuses what Alertmanager refuses (lookarounds,
    backreferences), and ``$`` is the end of the value (Python's also matched before a final newline).
    """
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 writes parse errors to stderr by default: over the TUI's screen
    try:
        return re2.compile(f"^(?:{value})$", options=options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"invalid regular expression {value!r} for {name}: {reason} (RE2 syntax, as Alertmanager)") \
            from None


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher. ``op`` is ``=``, ``!=``, ``=~`` or ``!~``; regexes are fully anchored."""

    name: str
    op: MatchOp
    value: str
    _regex: Any = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"unknown matcher operator {self.op!r}; expected =, !=, =~ or !~")
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"invalid label name {self.name!r}; expected letters, digits, _ . : or - (not starting with a digit)")
        try:  # newlines and tabs are written as \n and \t (see __str__); other control characters never
            check_text(self.value)
        except ValueError as exc:
            raise ValueError(f"the value of matcher {self.name} {exc}") from None
        if self.op in ("=~", "!~"):
            object.__setattr__(self, "_regex", _compile_anchored(self.value, self.name))

    def matches_value(self, value: str) -> bool:
        """Whether a label value (``""`` for an absent label) satisfies this matcher."""
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self._regex is not None
        hit = self._regex.match(value) is not None
        return hit if self.op == "=~" else not hit

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an alert with these labels satisfies this matcher (absent label = ``""``)."""
        return self.matches_value(str(labels.get(self.name, "")))

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "op": self.op, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Matcher:
        """Raises KeyError for a missing key, ValueError for a value that is not a string (a null
        value must not turn into the text ``None``) or an invalid matcher."""
        name, op, value = data["name"], data["op"], data["value"]
        for key, item in (("name", name), ("op", op), ("value", value)):
            if not isinstance(item, str):
                raise ValueError(f"matcher {key} must be a string")
        return cls(name, op, value)

    def __str__(self) -> str:
        """amtool form: ``slo=helpfulness``; the value is quoted when it needs to be."""
        return matcher_text(self.name, self.op, self.value)


def matcher_text(name: str, op: str, value: str) -> str:
    """A matcher as the matcher grammar (amtool's) reads it back: ``slo=helpfulness``, or the value
    quoted with ``\\``, ``\"``, ``\n`` and ``\t`` escaped when it needs to be (``slo="~api latency"``: a
    bare ``slo=~api`` is a regex matcher)."""
    if _BARE_VALUE.fullmatch(value):
        return f"{name}{op}{value}"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'{name}{op}"{escaped}"'


def _unquote(text: str, original: str) -> str:
    """The value of a matcher as Alertmanager's parser reads it: ``\\"``, ``\\\\``, ``\\n`` (and ``\\t``)
    are escapes in a quoted value, any other backslash is kept as written (``"gpt-4\\d"`` is the regex
    ``gpt-4\\d``, as amtool takes it); a double quote in an unquoted value is refused (a shell-quoting
    slip: ``slo=abc"`` made a silence that matched nothing)."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        if text.startswith('"'):
            raise ValueError(f"unterminated quoted value in matcher {original!r}")
        if '"' in text:
            raise ValueError(f"unescaped quote in the value of matcher {original!r}; quote the whole value "
                             'and write \\" for a quote in it')
        return text
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body):  # the closing quote was escaped: no closing quote
                raise ValueError(f"unterminated quoted value in matcher {original!r} (its last quote is escaped)")
            escaped = body[i + 1]
            out.append(_ESCAPES.get(escaped, "\\" + escaped))
            i += 2
            continue
        if ch == '"':
            raise ValueError(f"unescaped quote inside the value of matcher {original!r}")
        out.append(ch)
        i += 1
    return "".join(out)


def parse_matcher(text: str) -> Matcher:
    """Parse one matcher written as amtool does: ``slo=helpfulness``, ``severity!=warning``,
    ``slo=~"help.*"``, ``service!~"^a b$"``. A bare word means ``slo=<word>``.

    Raises ValueError with what was expected.
    """
    original = text
    text = text.strip()
    if not text:
        raise ValueError("empty matcher; expected name=value, name!=value, name=~regex or name!~regex")
    m = _NAME.match(text)
    if m is None:
        raise ValueError(f"invalid matcher {original!r}; expected name=value, name!=value, name=~regex or name!~regex")
    name = m.group(0)
    rest = text[m.end():].lstrip()
    if not rest:
        # A bare word: the SLO name.
        return Matcher("slo", "=", name)
    for op in _OPS:
        if rest.startswith(op):
            value = _unquote(rest[len(op):].strip(), original)
            return Matcher(name, op, value)
    raise ValueError(f"invalid matcher {original!r}; expected name=value, name!=value, name=~regex or name!~regex")


def parse_matchers(texts: Iterable[str]) -> tuple[Matcher, ...]:
    """Parse several matchers; also accepts one ``{a="b", c=~"d"}`` selector string per item."""
    out: list[Matcher] = []
    for text in texts:
        stripped = text.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            out.extend(parse_matcher(part) for part in _split_selector(stripped[1:-1]) if part.strip())
        else:
            out.append(parse_matcher(text))
    return tuple(out)


def _split_selector(body: str) -> list[str]:
    parts, current, quoted, escaped = [], [], False, False
    for ch in body:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def representable(starts_at: float, ends_at: float | None) -> bool:
    """Whether a silence's start and end (None: a mute) are finite times in :data:`TIME_RANGE`."""
    return all(
        math.isfinite(t) and EARLIEST <= t <= LATEST for t in (starts_at, ends_at) if t is not None
    )


def new_silence_id() -> str:
    """A fresh UUID4 string."""
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class Silence:
    """A silence: alerts whose labels match *all* matchers are not sent while it is active.

    Times are UTC epoch seconds. ``ends_at=None`` is a mute (until expired).
    """

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float | None
    created_by: str
    comment: str = ""
    updated_at: float = 0.0
    #: whether it was set without an end (a mute), kept once it is expired (expiring gives it an end):
    #: worked out from ``ends_at`` for a silence made here, read from the state file's ``open_ended``
    #: column for a stored one; None for a row stored before slotui recorded it (it cannot be told)
    open_ended: bool | None = field(default=False, init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matchers", tuple(self.matchers))
        object.__setattr__(self, "open_ended", self.ends_at is None)
        self.validate()

    def validate(self) -> None:
        """Raise ValueError for a silence Alertmanager would refuse."""
        if not self.matchers:
            raise ValueError("a silence needs at least one matcher, e.g. slo=helpfulness")
        if all(m.matches_value("") for m in self.matchers):
            raise ValueError(
                "every matcher of this silence matches an empty label, so it would silence every alert; "
                "add one such as slo=NAME (or slo=~.+ to mean all SLOs)"
            )
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError("a silence cannot end before it starts")
        if not representable(self.starts_at, self.ends_at):
            raise ValueError(f"a silence must start and end {TIME_RANGE} (a mute has no end)")
        # printed by `silence list`, the TUI and notifications: ESC would drive the reader's terminal
        for what, value, check in (("author", self.created_by, check_name), ("comment", self.comment, check_text)):
            try:
                check(value)
            except ValueError as exc:
                raise ValueError(f"the silence's {what} {exc}") from None

    @property
    def kind(self) -> Literal["mute", "snooze"]:
        """``mute`` (no end; an expired one too: expiring gave it its end) or ``snooze`` (ends at a
        fixed time)."""
        return "mute" if self.ends_at is None or self.open_ended else "snooze"

    def stored_as(self, open_ended: bool | None) -> Silence:
        """This silence with ``open_ended`` as its stored row says (the store's decoder)."""
        if self.ends_at is not None:
            object.__setattr__(self, "open_ended", open_ended)
        return self

    def is_active(self, now: float) -> bool:
        """True when ``starts_at <= now < ends_at`` (``ends_at=None`` never ends)."""
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)

    def is_expired(self, now: float) -> bool:
        """True from ``ends_at`` on; a mute is never expired until it gets an end."""
        return self.ends_at is not None and now >= self.ends_at

    def state(self, now: float) -> SilenceState:
        """``pending`` (not started), ``active`` or ``expired``, as Alertmanager reports it."""
        if self.is_expired(now):
            return "expired"
        return "active" if self.starts_at <= now else "pending"

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every matcher holds for these labels (regardless of time)."""
        return all(m.matches(labels) for m in self.matchers)

    def expired_at(self, now: float) -> Silence:
        """This silence ended at ``now`` (a pending one also starts at ``now``), as amtool's expire does.

        An already expired silence is returned unchanged.
        """
        if self.is_expired(now):
            return self
        ended = replace(self, starts_at=min(self.starts_at, now), ends_at=now, updated_at=now)
        return ended.stored_as(self.open_ended)  # (a mute stays one: the end is the expiry's)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with epoch-second times (the store's and the JSON output's base)."""
        return {
            "id": self.id,
            "matchers": [m.to_dict() for m in self.matchers],
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "created_by": self.created_by,
            "comment": self.comment,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Silence:
        ends = data.get("ends_at")
        return cls(
            id=str(data["id"]),
            matchers=tuple(Matcher.from_dict(m) for m in data["matchers"]),
            starts_at=float(data["starts_at"]),
            ends_at=None if ends is None else float(ends),
            created_by=str(data.get("created_by") or ""),
            comment=str(data.get("comment") or ""),
            updated_at=float(data.get("updated_at") or 0.0),
        )


def silenced_by(labels: Mapping[str, str], silences: Iterable[Silence], now: float) -> list[Silence]:
    """The silences active at ``now`` whose matchers all hold for ``labels`` (empty: not silenced)."""
    return [s for s in silences if s.is_active(now) and s.matches(labels)]


def snooze(
    matchers: Sequence[Matcher],
    duration: float,
    now: float,
    author: str,
    comment: str = "",
    *,
    silence_id: str | None = None,
) -> Silence:
    """A silence from ``now`` to ``now + duration`` seconds (``duration`` must be > 0)."""
    if not duration > 0:
        raise ValueError("a snooze needs a positive duration, e.g. 1h")
    return Silence(
        id=silence_id or new_silence_id(),
        matchers=tuple(matchers),
        starts_at=now,
        ends_at=now + duration,
        created_by=author,
        comment=comment,
        updated_at=now,
    )


def mute(
    matchers: Sequence[Matcher],
    now: float,
    author: str,
    comment: str = "",
    *,
    silence_id: str | None = None,
) -> Silence:
    """An open-ended silence from ``now`` until someone expires it."""
    return Silence(
        id=silence_id or new_silence_id(),
        matchers=tuple(matchers),
        starts_at=now,
        ends_at=None,
        created_by=author,
        comment=comment,
        updated_at=now,
    )


def filter_silences(silences: Iterable[Silence], wanted: Sequence[Matcher]) -> list[Silence]:
    """Silences that fit a query (``slotui silence list slo=helpfulness``).

    A silence fits when, for each query matcher, it has a matcher on the same
    label whose value satisfies the query matcher (``slo=~help.*`` finds a
    silence with ``slo=helpfulness``), the way ``amtool silence query`` filters.
    """
    out = []
    for s in silences:
        if all(any(own.name == q.name and q.matches_value(own.value) for own in s.matchers) for q in wanted):
            out.append(s)
    return out

