"""The TUI adapter edits silences only through the one Silences service (real state file, pinned times)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slotui.alerting.silence import Matcher, Silence
from slotui.alerting.silences import InvalidSilence, Silences
from slotui.store import Store
from slotui.tui.engine_backend import EngineBackend
from tui_fakes import NOW, FakeEngine


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "state.db")
    yield s
    s.close()


def _rows(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT id, starts_at, ends_at, created_by, comment FROM silences ORDER BY starts_at, id"
    ).fetchall()


async def test_editing_an_active_silence_expires_it_and_starts_a_new_one_now(store: Store) -> None:
    backend = EngineBackend(FakeEngine(), store=store, dispatch=False)
    snoozed = await backend.snooze("accuracy", 900, author="tester", comment="deploy", now=NOW)
    edited = await backend.edit_silence(snoozed.id, ends_at=NOW + 86400, comment="longer", author="bob", now=NOW + 60)
    assert edited.id != snoozed.id and edited.covers == ("accuracy",)
    assert _rows(store) == [
        (snoozed.id, NOW, NOW + 60, "tester", "deploy"),
        (edited.id, NOW + 60, NOW + 86400, "bob", "longer"),
    ]
    views = await backend.silences(NOW + 60, include_expired=True)
    assert [(v.id, v.expired) for v in views] == [(edited.id, False), (snoozed.id, True)]


async def test_editing_a_pending_silence_keeps_its_id_and_start(store: Store) -> None:
    backend = EngineBackend(FakeEngine(), store=store, dispatch=False)
    pending = Silence(id="pend-1", matchers=(Matcher("slo", "=", "accuracy"),), starts_at=NOW + 3600,
                      ends_at=NOW + 7200, created_by="tester", comment="later", updated_at=NOW)
    Silences(store).set(pending, now=NOW)
    edited = await backend.edit_silence("pend-1", ends_at=None, comment="mute instead", author="bob", now=NOW + 10)
    assert edited.id == "pend-1" and edited.ends_at is None
    assert _rows(store) == [("pend-1", NOW + 3600, None, "bob", "mute instead")]


async def test_an_edit_the_service_refuses_changes_nothing(store: Store) -> None:
    backend = EngineBackend(FakeEngine(), store=store, dispatch=False)
    muted = await backend.mute("helpfulness", author="tester", comment="muted", now=NOW)
    with pytest.raises(InvalidSilence, match="would end in the past"):
        await backend.edit_silence(muted.id, ends_at=NOW + 5, comment="", author="tester", now=NOW + 5)
    assert _rows(store) == [(muted.id, NOW, None, "tester", "muted")]


async def test_expiring_twice_and_unsilence(store: Store) -> None:
    backend = EngineBackend(FakeEngine(), store=store, dispatch=False)
    muted = await backend.mute("helpfulness", author="tester", comment="muted", now=NOW)
    await backend.expire_silence(muted.id, now=NOW + 30)
    await backend.expire_silence(muted.id, now=NOW + 40)  # already expired: nothing to do, no error
    assert _rows(store) == [(muted.id, NOW, NOW + 30, "tester", "muted")]
    again = await backend.mute("helpfulness", author="tester", comment="again", now=NOW + 50)
    assert await backend.unsilence("helpfulness", now=NOW + 60) == [again.id]
    assert await backend.silences(NOW + 60) == []


async def test_without_a_store_silences_live_in_a_scratch_file_removed_on_close() -> None:
    backend = EngineBackend(FakeEngine(), dispatch=False)
    scratch = Path(backend.store.path)
    muted = await backend.mute("accuracy", author="tester", comment="", now=NOW)
    assert [v.id for v in await backend.silences(NOW)] == [muted.id]
    assert scratch.exists()
    await backend.aclose()
    assert not scratch.exists()
