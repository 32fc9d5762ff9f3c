"""Silences and matchers: Alertmanager semantics, exact expiry, amtool parsing."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotui.config.text import BIDI
from slotui.alerting.silence import (
    Matcher,
    Silence,
    filter_silences,
    mute,
    parse_matcher,
    parse_matchers,
    silenced_by,
    snooze,
)

LABELS = {"alertname": "SLOBurn", "slo": "helpfulness", "severity": "warning", "service": "support-bot"}


# ---------------------------------------------------------------------- matchers


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        (Matcher("slo", "=", "helpfulness"), True),
        (Matcher("slo", "=", "help"), False),
        (Matcher("slo", "!=", "helpfulness"), False),
        (Matcher("slo", "!=", "availability"), True),
        (Matcher("slo", "=~", "help.*"), True),
        (Matcher("slo", "=~", "help"), False),  # anchored at the end
        (Matcher("slo", "=~", "fulness"), False),  # anchored at the start
        (Matcher("slo", "=~", "helpfulness|availability"), True),  # alternation inside the anchors
        (Matcher("slo", "=~", "x|helpfulness"), True),
        (Matcher("slo", "!~", "help.*"), False),
        (Matcher("slo", "!~", "help"), True),
        (Matcher("severity", "!~", "crit.*"), True),
    ],
)
def test_matcher_ops_and_anchoring(matcher: Matcher, expected: bool) -> None:
    assert matcher.matches(LABELS) is expected


def test_absent_label_is_the_empty_string() -> None:
    assert Matcher("team", "!=", "core").matches(LABELS)
    assert not Matcher("team", "=", "core").matches(LABELS)
    assert Matcher("team", "=", "").matches(LABELS)
    assert Matcher("team", "=~", ".*").matches(LABELS)
    assert not Matcher("team", "=~", ".+").matches(LABELS)


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ("slo=helpfulness", "slo", "=", "helpfulness"),
        ("severity!=warning", "severity", "!=", "warning"),
        ('slo=~"help.*"', "slo", "=~", "help.*"),
        ("slo=~help.*", "slo", "=~", "help.*"),
        ('service!~"^a b$"', "service", "!~", "^a b$"),
        ('comment="say \\"hi\\" \\\\ ok"', "comment", "=", 'say "hi" \\ ok'),
        (" slo = helpfulness ", "slo", "=", "helpfulness"),
        ("helpfulness", "slo", "=", "helpfulness"),  # bare word = the SLO
        ("slo=", "slo", "=", ""),
        ('slo=""', "slo", "=", ""),
    ],
)
def test_parse_matcher(text: str, name: str, op: str, value: str) -> None:
    assert parse_matcher(text) == Matcher(name, op, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty matcher"),
        ("=x", "invalid matcher"),
        ("slo<x", "invalid matcher"),
        ('slo="open', "unterminated"),
        ('slo="a"b"', "unescaped quote"),
        ('slo=abc"', "unescaped quote"),  # a shell-quoting slip: amtool refuses it too
        ('slo=a"b', "unescaped quote"),
        ('slo="abc\\"', "unterminated"),  # its closing quote is escaped
        ("slo=~(", "invalid regular expression"),
        ("1slo=x", "invalid matcher"),
    ],
)
def test_parse_matcher_errors_say_what_was_expected(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_matcher(text)


@pytest.mark.parametrize(("text", "value"), [
    ('slo=~"gpt-4\\d"', "gpt-4\\d"),  # an unknown escape is kept as written, as Alertmanager's parser does
    ('slo=~"a\\.b\\w+"', "a\\.b\\w+"),
    ('slo="a\\"b"', 'a"b'),
    ('slo="a\\\\b"', "a\\b"),
    ('slo="a\\nb"', "a\nb"),
])
def test_quoted_values_read_as_amtool_reads_them(text: str, value: str) -> None:
    matcher = parse_matcher(text)
    assert matcher.value == value
    assert parse_matcher(str(matcher)) == matcher  # what is shown parses back to the same matcher


def test_a_regex_escape_matches_as_in_alertmanager() -> None:
    matcher = parse_matcher('slo=~"gpt-4\\d"')
    assert matcher.matches({"slo": "gpt-41"}) and not matcher.matches({"slo": "gpt-4o"})


def test_parse_matchers_accepts_a_selector() -> None:
    got = parse_matchers(['{slo="a,b", severity!=warning}', "service=bot"])
    assert got == (
        Matcher("slo", "=", "a,b"),
        Matcher("severity", "!=", "warning"),
        Matcher("service", "=", "bot"),
    )


#: what a matcher value may hold: printable text, newlines and tabs (as a description in the SLO file)
_VALUE_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=sorted(BIDI)) | \
    st.sampled_from(["\n", "\t"])


@given(
    name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
    op=st.sampled_from(["=", "!="]),
    value=st.text(_VALUE_CHARS, max_size=20),
)
def test_str_round_trips_through_parse(name: str, op: str, value: str) -> None:
    m = Matcher(name, op, value)  # type: ignore[arg-type]
    assert parse_matcher(str(m)) == m


@given(
    before=st.text(_VALUE_CHARS, max_size=5),
    bad=st.characters(whitelist_categories=("Cc", "Zl", "Zp"), blacklist_characters="\n\t") | st.sampled_from(sorted(BIDI)),
    after=st.text(_VALUE_CHARS, max_size=5),
)
def test_a_control_or_bidi_character_in_a_value_is_refused(before: str, bad: str, after: str) -> None:
    with pytest.raises(ValueError, match=f"contains .* at character {len(before) + 1}"):
        Matcher("slo", "=", before + bad + after)


# ---------------------------------------------------------------------- silences

START, END = 1_000_000.0, 1_003_600.0


def _silence(ends_at: float | None = END, starts_at: float = START, **kw: object) -> Silence:
    return Silence(
        id=str(uuid.uuid4()),
        matchers=(Matcher("slo", "=", "helpfulness"),),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by="alice",
        comment="deploy",
        updated_at=starts_at,
        **kw,  # type: ignore[arg-type]
    )


def test_expiry_is_exact_to_the_second() -> None:
    s = _silence()
    assert not s.is_active(START - 1)
    assert s.is_active(START)
    assert s.is_active(END - 1)
    assert s.is_active(END - 1e-6)
    assert not s.is_active(END)
    assert not s.is_active(END + 1)
    assert [s.state(t) for t in (START - 1, START, END - 1, END)] == ["pending", "active", "active", "expired"]


def test_mute_never_ends_until_expired() -> None:
    s = _silence(ends_at=None)
    assert s.kind == "mute"
    assert s.is_active(START + 10 * 365 * 86400)
    assert not s.is_expired(START + 10 * 365 * 86400)
    ended = s.expired_at(START + 50)
    assert ended.ends_at == START + 50
    assert ended.kind == "mute" and ended.open_ended  # expiring gave it its end: it was a mute
    assert ended.is_active(START + 49) and not ended.is_active(START + 50)
    timed = _silence(ends_at=START + 3600).expired_at(START + 50)
    assert timed.kind == "snooze" and timed.open_ended is False


def test_expiring_a_pending_silence_moves_its_start() -> None:
    s = _silence(starts_at=START + 100, ends_at=START + 200)
    ended = s.expired_at(START)
    assert (ended.starts_at, ended.ends_at, ended.updated_at) == (START, START, START)
    assert ended.state(START) == "expired"
    assert ended.expired_at(START + 10) is ended  # already expired: unchanged


def test_silenced_by_needs_active_and_all_matchers() -> None:
    both = Silence(
        id="a",
        matchers=(Matcher("slo", "=", "helpfulness"), Matcher("severity", "=", "critical")),
        starts_at=START,
        ends_at=END,
        created_by="alice",
    )
    warn = _silence()
    assert silenced_by(LABELS, [both, warn], START + 1) == [warn]
    assert silenced_by({**LABELS, "severity": "critical"}, [both, warn], START + 1) == [both, warn]
    assert silenced_by(LABELS, [both, warn], END) == []
    assert silenced_by({**LABELS, "slo": "availability"}, [both, warn], START + 1) == []


def test_factories() -> None:
    m = (parse_matcher("slo=helpfulness"),)
    s = snooze(m, 3600, START, "alice", "deploy")
    assert (s.starts_at, s.ends_at, s.kind, s.created_by, s.comment) == (START, START + 3600, "snooze", "alice", "deploy")
    assert str(uuid.UUID(s.id)) == s.id and uuid.UUID(s.id).version == 4
    u = mute(m, START, "bob")
    assert (u.ends_at, u.kind, u.created_by) == (None, "mute", "bob")
    assert u.id != s.id
    with pytest.raises(ValueError, match="positive duration"):
        snooze(m, 0, START, "alice")


@pytest.mark.parametrize(
    ("matchers", "fragment"),
    [
        ((), "at least one matcher"),
        ((Matcher("slo", "=~", ".*"),), "silence every alert"),
        ((Matcher("slo", "!=", "x"),), "silence every alert"),
    ],
)
def test_a_silence_cannot_silence_everything(matchers: tuple[Matcher, ...], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Silence(id="x", matchers=matchers, starts_at=START, ends_at=END, created_by="a")


def test_a_silence_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="end before it starts"):
        _silence(ends_at=START - 1)


def test_dict_round_trip() -> None:
    s = Silence(
        id="x",
        matchers=(Matcher("slo", "=~", "a|b"), Matcher("severity", "!=", "warning")),
        starts_at=START,
        ends_at=None,
        created_by="alice",
        comment="c",
        updated_at=START + 1,
    )
    assert Silence.from_dict(s.to_dict()) == s


def test_filter_silences_like_amtool_query() -> None:
    a = _silence()
    b = Silence(id="b", matchers=(Matcher("slo", "=", "availability"),), starts_at=START, ends_at=END, created_by="x")
    assert filter_silences([a, b], [Matcher("slo", "=", "helpfulness")]) == [a]
    assert filter_silences([a, b], [Matcher("slo", "=~", "help.*|avail.*")]) == [a, b]
    assert filter_silences([a, b], [Matcher("severity", "=", "warning")]) == []
    assert filter_silences([a, b], []) == [a, b]
