"""The one silences service (slotui.alerting.silences.Silences) over a real state file:
validate, set (Alertmanager's create/update rules), expire, query and GC, with exact times."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from slotui.clock import LATEST
from slotui.alerting.silence import Matcher, Silence
from slotui.alerting.silences import (
    SILENCE_RETENTION,
    InvalidSilence,
    SilenceAlreadyExpired,
    Silences,
    can_update,
    check_times,
)
from slotui.bad_rows import UnreadableRow
from slotui.store import AmbiguousSilenceId, SilenceNotFound, Store, UnreadableSilence

T0 = 1_780_000_000.0
DAY = 86400.0
HELP = (Matcher("slo", "=", "helpfulness"),)
AVAIL = (Matcher("slo", "=", "availability"),)


def sil(sid: str, start: float, end: float | None, matchers: tuple[Matcher, ...] = HELP, *,
        by: str = "alice", comment: str = "") -> Silence:
    return Silence(id=sid, matchers=matchers, starts_at=start, ends_at=end, created_by=by, comment=comment,
                   updated_at=min(start, T0))


@pytest.fixture()
def store(tmp_path: Path):
    s = Store.open(tmp_path / "state.db")
    yield s
    s.close()


@pytest.fixture()
def service(store: Store) -> Silences:
    return Silences(store)


def _rows(store: Store) -> list[tuple]:
    """Every silences row as stored: (id, starts_at, ends_at, created_by, comment, created_at, updated_at)."""
    return store.conn.execute(
        "SELECT id, starts_at, ends_at, created_by, comment, created_at, updated_at FROM silences ORDER BY id"
    ).fetchall()


# ---------------------------------------------------------------------- validate


def test_validate_accepts_a_snooze_a_mute_and_an_empty_comment() -> None:
    Silences.validate(sil("a", T0, T0 + 0.001), T0)  # ends the smallest step after now
    Silences.validate(sil("b", T0 + 60, None), T0)  # a pending mute
    Silences.validate(sil("c", T0 - 600, T0 + 1, comment=""), T0)


@pytest.mark.parametrize(
    ("silence", "fragment"),
    [
        (sil("a", T0 - 60, T0), "would end in the past"),  # ends exactly now: already over
        (sil("a", T0 - 60, T0 - 1), "would end in the past"),
        (sil("a", T0 + 100, T0 + 100), "must end after it starts"),  # zero length
        (sil("a", T0, T0 + 60, by=""), "needs an author"),
        (sil("a", T0, T0 + 60, by="   "), "needs an author"),
    ],
)
def test_validate_refuses(silence: Silence, fragment: str) -> None:
    with pytest.raises(InvalidSilence, match=fragment):
        Silences.validate(silence, T0)


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        (T0 + 100, T0 - 1, "would end in the past"),  # the past is named first, even when it also precedes the start
        (T0 + 7200, T0 + 3600, "must end after it starts"),
        (T0, math.inf, "finite"),
        (T0, 1e20, "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"),  # `silence add -d 99999999999d`
        (-1.0, T0 + 60, "between 1970"),
    ],
)
def test_check_times_before_a_silence_exists(start: float, end: float, fragment: str) -> None:
    with pytest.raises(InvalidSilence, match=fragment):
        check_times(start, end, T0)
    check_times(T0 + 7200, None, T0)  # a pending mute is fine


@pytest.mark.parametrize(
    ("start", "end"),
    [(T0, math.nan), (math.inf, None), (-math.inf, None), (math.nan, None), (T0, 1e20), (T0, LATEST + 1), (-1.0, None)],
)
def test_a_silence_outside_the_time_range_cannot_exist(start: float, end: float | None) -> None:
    """No datetime (so no table, JSON or Alertmanager mirror) can show a time past 9999-12-31T23:59:59Z, and a
    NaN compares false with every moment: the type refuses both, so a state file row holding one reads as
    unreadable (named, expirable) instead of crashing `silence list`."""
    with pytest.raises(ValueError, match="between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"):
        sil("a", start, end)
    assert sil("a", T0, LATEST).ends_at == LATEST  # the last representable second is fine


def test_set_validates_and_stores_nothing_it_refuses(store: Store, service: Silences) -> None:
    with pytest.raises(InvalidSilence, match="would end in the past"):
        service.set(sil("a", T0 - 600, T0 - 1), now=T0)
    with pytest.raises(InvalidSilence, match="needs an author"):
        service.set(sil("a", T0, None, by=""), now=T0)
    assert _rows(store) == []


# ---------------------------------------------------------------------- set: create


def test_create_moves_a_past_start_up_to_now(store: Store, service: Silences) -> None:
    result = service.set(sil("new-1", T0 - 600, T0 + 3600), now=T0)
    assert not result.created and result.replaced is None
    assert (result.silence.id, result.silence.starts_at, result.silence.ends_at) == ("new-1", T0, T0 + 3600)
    assert _rows(store) == [("new-1", T0, T0 + 3600, "alice", "", T0, T0)]


def test_create_with_an_id_that_prefixes_stored_ones(store: Store, service: Silences) -> None:
    service.set(sil("abc-1", T0, None), now=T0)
    service.set(sil("abc-2", T0, None), now=T0)
    assert service.set(sil("abc", T0, None), now=T0).replaced is None  # a prefix match is not the same silence
    assert service.set(sil("ab", T0, None), now=T0).replaced is None
    assert [r[0] for r in _rows(store)] == ["ab", "abc", "abc-1", "abc-2"]


def test_create_keeps_a_future_start(store: Store, service: Silences) -> None:
    service.set(sil("later", T0 + 900, None), now=T0)
    assert _rows(store) == [("later", T0 + 900, None, "alice", "", T0, T0)]
    assert service.get("later").state(T0) == "pending"


# ---------------------------------------------------------------------- set: update


def test_an_active_silence_with_the_same_matchers_and_start_is_updated_in_place(
    store: Store, service: Silences
) -> None:
    service.set(sil("s1", T0, T0 + 3600), now=T0)
    old = service.get("s1")
    result = service.set(replace(old, ends_at=T0 + 7200, comment="longer", created_by="bob"), now=T0 + 60)
    assert result.replaced is None and result.silence.id == "s1"
    assert _rows(store) == [("s1", T0, T0 + 7200, "bob", "longer", T0, T0 + 60)]


def test_an_active_silence_whose_start_moves_is_expired_and_replaced(store: Store, service: Silences) -> None:
    service.set(sil("s1", T0, T0 + 3600), now=T0)
    old = service.get("s1")
    result = service.set(replace(old, starts_at=T0 + 60, ends_at=T0 + 600), now=T0 + 60)
    assert result.created and result.replaced is not None
    assert (result.replaced.id, result.replaced.starts_at, result.replaced.ends_at) == ("s1", T0, T0 + 60)
    new = result.silence
    assert new.id != "s1" and (new.starts_at, new.ends_at, new.matchers) == (T0 + 60, T0 + 600, HELP)
    assert sorted(_rows(store)) == sorted([
        ("s1", T0, T0 + 60, "alice", "", T0, T0 + 60),
        (new.id, T0 + 60, T0 + 600, "alice", "", T0 + 60, T0 + 60),
    ])
    assert [s.id for s in service.query(T0 + 60, states=["active"])] == [new.id]


def test_changed_matchers_replace_even_a_pending_silence(store: Store, service: Silences) -> None:
    service.set(sil("p1", T0 + 600, T0 + 1200), now=T0)
    result = service.set(replace(service.get("p1"), matchers=AVAIL), now=T0 + 10)
    assert result.replaced is not None
    # The pending one is expired the Alertmanager way: it starts and ends at now.
    assert (result.replaced.starts_at, result.replaced.ends_at) == (T0 + 10, T0 + 10)
    assert (result.silence.starts_at, result.silence.ends_at, result.silence.matchers) == (T0 + 600, T0 + 1200, AVAIL)
    assert [s.id for s in service.query(T0 + 10, states=["pending"])] == [result.silence.id]


def test_a_pending_silence_is_updated_in_place_unless_its_start_moves_into_the_past(
    store: Store, service: Silences
) -> None:
    service.set(sil("p1", T0 + 600, T0 + 1200), now=T0)
    moved = service.set(replace(service.get("p1"), starts_at=T0 + 300, ends_at=T0 + 900), now=T0 + 10)
    assert moved.replaced is None and _rows(store) == [("p1", T0 + 300, T0 + 900, "alice", "", T0, T0 + 10)]
    past = service.set(replace(service.get("p1"), starts_at=T0 + 5), now=T0 + 10)
    assert past.replaced is not None and past.silence.id != "p1"
    assert past.silence.starts_at == T0 + 10  # a new silence never starts before now


def test_setting_an_expired_silence_creates_a_new_one_and_leaves_the_old(store: Store, service: Silences) -> None:
    service.set(sil("e1", T0, T0 + 60), now=T0)
    later = T0 + 120
    result = service.set(replace(service.get("e1"), ends_at=later + 600), now=later)
    assert result.replaced is not None and result.replaced.ends_at == T0 + 60  # untouched
    assert (result.silence.starts_at, result.silence.ends_at) == (later, later + 600)
    assert ("e1", T0, T0 + 60, "alice", "", T0, T0) in _rows(store)


def test_an_unreadable_silence_cannot_be_updated_but_can_be_expired(store: Store, service: Silences) -> None:
    service.set(sil("bad", T0, None), now=T0)
    store.conn.execute("UPDATE silences SET matchers = 'not json' WHERE id = 'bad'")
    with pytest.raises(UnreadableSilence, match="slotui silence expire bad"):
        service.set(sil("bad", T0, T0 + 60), now=T0 + 1)
    ended = service.expire("bad", now=T0 + 2)
    assert isinstance(ended, UnreadableRow) and ended.id == "bad"
    assert store.conn.execute("SELECT starts_at, ends_at FROM silences").fetchall() == [(T0, T0 + 2)]


@pytest.mark.parametrize(
    ("previous", "new", "now", "expected"),
    [
        (sil("a", T0, T0 + 60), sil("a", T0, T0 + 120), T0 + 10, True),  # active: same start, later end
        (sil("a", T0, T0 + 60), sil("a", T0, T0 + 10), T0 + 10, True),  # active: end exactly now is allowed
        (sil("a", T0, T0 + 60), sil("a", T0, None), T0 + 10, True),  # active -> mute
        (sil("a", T0, T0 + 60), sil("a", T0 + 1, T0 + 60), T0 + 10, False),  # active: start moved
        (sil("a", T0, T0 + 60), sil("a", T0, T0 + 60, AVAIL), T0 + 10, False),  # other matchers
        (sil("a", T0 + 100, None), sil("a", T0 + 10, None), T0 + 10, True),  # pending: start at now
        (sil("a", T0 + 100, None), sil("a", T0 + 9, None), T0 + 10, False),  # pending: start in the past
        (sil("a", T0, T0 + 10), sil("a", T0, T0 + 60), T0 + 10, False),  # expired at now: never
    ],
)
def test_can_update(previous: Silence, new: Silence, now: float, expected: bool) -> None:
    assert can_update(previous, new, now) is expected


# ---------------------------------------------------------------------- expire


def test_expire_active_pending_and_already_expired(store: Store, service: Silences) -> None:
    service.set(sil("aaaa-1", T0, None), now=T0)
    service.set(sil("bbbb-1", T0 + 500, T0 + 900), now=T0)
    active = service.expire("aaaa", now=T0 + 30)  # by id prefix
    assert (active.id, active.starts_at, active.ends_at, active.updated_at) == ("aaaa-1", T0, T0 + 30, T0 + 30)
    pending = service.expire("bbbb-1", now=T0 + 40)
    assert (pending.starts_at, pending.ends_at) == (T0 + 40, T0 + 40)
    with pytest.raises(SilenceAlreadyExpired, match="aaaa-1 had already expired") as info:
        service.expire("aaaa-1", now=T0 + 50)
    assert info.value.silence.ends_at == T0 + 30  # unchanged
    assert service.get("aaaa-1").ends_at == T0 + 30


def test_expire_unknown_and_ambiguous_ids(service: Silences) -> None:
    service.set(sil("abc-1", T0, None), now=T0)
    service.set(sil("abc-2", T0, None), now=T0)
    with pytest.raises(SilenceNotFound):
        service.expire("zzz", now=T0)
    with pytest.raises(AmbiguousSilenceId, match="abc-1, abc-2"):
        service.expire("abc", now=T0)


def test_a_prefix_shared_with_ended_silences_means_the_one_still_in_force(service: Silences) -> None:
    """Ended silences are kept for weeks and `silence list` does not show them: a prefix copied from the
    list was 'ambiguous' with them. It now means the one not ended; two in force stay ambiguous."""
    service.set(sil("abc-1", T0 - 100, T0 - 10), now=T0 - 100)  # ended
    service.set(sil("abc-2", T0, None), now=T0)  # a mute in force
    assert service.expire("abc", now=T0 + 1).id == "abc-2"
    with pytest.raises(AmbiguousSilenceId):  # both have ended now: which one, the prefix cannot tell
        service.expire("abc", now=T0 + 2)
    service.set(sil("abc-3", T0, None), now=T0)
    service.set(sil("abc-4", T0, None), now=T0)
    with pytest.raises(AmbiguousSilenceId, match="abc-1, abc-2, abc-3, abc-4"):
        service.expire("abc", now=T0 + 3)


# ---------------------------------------------------------------------- query


@pytest.fixture()
def four(service: Silences) -> Silences:
    """d: mute since T0-1000; a: active [T0-100, T0+100); b: pending from T0+50; c: expired at T0-10."""
    for s in (
        sil("d", T0 - 1000, None, AVAIL),
        sil("a", T0 - 100, T0 + 100),
        sil("b", T0 + 50, T0 + 500, (Matcher("slo", "=", "help-v2"),)),
        sil("c", T0 - 500, T0 + 1000),
    ):
        service.store.add_silence(s, now=T0 - 1000)
    service.store.expire_silence("c", T0 - 10)
    return service


def test_query_by_state(four: Silences) -> None:
    ids = lambda **kw: [s.id for s in four.query(T0, **kw)]  # noqa: E731
    assert ids(states=["active"]) == ["d", "a"]
    assert ids(states=["pending"]) == ["b"]
    assert ids(states=["expired"]) == ["c"]
    assert ids() == ["d", "a", "b", "c"]
    assert [s.id for s in four.in_force(T0)] == ["d", "a", "b"]
    # Half-open: at T0+100 'a' has ended; at T0+50 'b' has started.
    assert [s.id for s in four.query(T0 + 100, states=["expired"])] == ["c", "a"]
    assert [s.id for s in four.query(T0 + 50, states=["active"])] == ["d", "a", "b"]
    assert four.known_ids(T0) == {"a", "b", "c", "d"}
    with pytest.raises(ValueError, match="unknown silence state 'firing'"):
        four.query(T0, states=["firing"])


def test_query_by_matchers_and_id_prefix(four: Silences) -> None:
    assert [s.id for s in four.query(T0, matchers=(Matcher("slo", "=~", "help.*"),))] == ["a", "b", "c"]
    assert [s.id for s in four.query(T0, matchers=(Matcher("slo", "=", "availability"),))] == ["d"]
    assert [s.id for s in four.query(T0, states=["active"], matchers=(Matcher("slo", "=~", "help.*"),))] == ["a"]
    assert [s.id for s in four.query(T0, id_prefix="C")] == ["c"]
    assert four.query(T0, matchers=(Matcher("team", "=", "core"),)) == []


def test_scan_returns_unreadable_rows_apart(store: Store, four: Silences) -> None:
    store.conn.execute("UPDATE silences SET matchers = '{}' WHERE id = 'a'")
    scan = four.scan(T0)
    assert [s.id for s in scan.silences] == ["d", "b"]
    assert [(r.table, r.id) for r in scan.unreadable] == [("silences", "a")]
    assert [s.id for s in four.query(T0)] == ["d", "b", "c"]  # query skips it


# ---------------------------------------------------------------------- GC


def test_gc_drops_what_ended_longer_ago_than_the_retention(store: Store, service: Silences) -> None:
    assert SILENCE_RETENTION == 35 * DAY
    now = T0 + 100 * DAY
    cut = now - 35 * DAY
    for sid, start, end in (
        ("old", T0, cut - 1),  # ended one second too long ago
        ("edge", T0, cut),  # ended exactly a retention ago: kept
        ("recent", T0, now - 60),
        ("mute", T0, None),
        ("pending", now + 60, now + 120),
    ):
        store.add_silence(sil(sid, start, end), now=T0)
    store.add_silence(sil("bad", T0, cut - 10), now=T0)
    store.conn.execute("UPDATE silences SET matchers = '[' WHERE id = 'bad'")
    assert [r.id for r in service.scan(now, expired=True).unreadable] == ["bad"]
    assert store.bad_rows.counts()["silences"] == 1
    assert service.gc(now) == ["bad", "old"]
    assert [r[0] for r in _rows(store)] == ["edge", "mute", "pending", "recent"]
    assert store.bad_rows.counts()["silences"] == 0  # the deleted row no longer counts
    assert service.gc(now) == []  # idempotent


def test_gc_with_a_shorter_retention(store: Store) -> None:
    short = Silences(store, retention=3600)
    store.add_silence(sil("x", T0, T0 + 60), now=T0)
    assert short.gc(T0 + 60 + 3600) == []
    assert short.gc(T0 + 60 + 3600.5) == ["x"]


def test_external_ids_go_through_the_service(service: Silences) -> None:
    service.set(sil("m1", T0, None), now=T0)
    service.set_external_id("m1", "am", "remote-1")
    assert service.external_ids("m1") == {"am": "remote-1"}
    service.set_external_id("m1", "am", None)
    assert service.external_ids("m1") == {}


def test_a_second_process_sees_what_the_service_set(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store.open(path) as one, Store.open(path) as two:
        Silences(one).set(sil("x", T0, T0 + 60), now=T0)
        assert [s.id for s in Silences(two).query(T0, states=["active"])] == ["x"]
        Silences(two).expire("x", now=T0 + 1)
        assert Silences(one).query(T0 + 1, states=["active"]) == []
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT ends_at FROM silences").fetchall() == [(T0 + 1,)]
    finally:
        raw.close()


# ---------------------------------------------------------------------- edit (the TUI's)


def test_edit_restarts_an_active_silence_now(store: Store, service: Silences) -> None:
    service.set(sil("s1", T0, T0 + 900, comment="deploy"), now=T0)
    result = service.edit("s1", ends_at=T0 + 86400, comment="longer", author="bob", now=T0 + 60)
    assert result.replaced is not None and result.replaced.ends_at == T0 + 60
    assert (result.silence.starts_at, result.silence.ends_at, result.silence.created_by) == (T0 + 60, T0 + 86400, "bob")
    assert result.silence.matchers == HELP and result.silence.id != "s1"


def test_edit_of_a_silence_that_started_exactly_now_and_of_a_pending_one_keeps_the_id(
    store: Store, service: Silences
) -> None:
    service.set(sil("now", T0, T0 + 900), now=T0)
    same = service.edit("now", ends_at=None, comment="mute", author="bob", now=T0)
    assert same.replaced is None and _rows(store)[0] == ("now", T0, None, "bob", "mute", T0, T0)
    service.set(sil("pend", T0 + 600, T0 + 900), now=T0)
    kept = service.edit("pend", ends_at=T0 + 1800, comment="", author="bob", now=T0 + 10)
    assert kept.replaced is None and (kept.silence.id, kept.silence.starts_at) == ("pend", T0 + 600)


def test_edit_refuses_an_end_before_a_pending_start(store: Store, service: Silences) -> None:
    service.set(sil("pend", T0 + 600, T0 + 900), now=T0)
    with pytest.raises(InvalidSilence, match="must end after it starts"):
        service.edit("pend", ends_at=T0 + 300, comment="", author="bob", now=T0 + 10)
    assert _rows(store) == [("pend", T0 + 600, T0 + 900, "alice", "", T0, T0)]
