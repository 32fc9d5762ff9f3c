"""The daemon runs the silences GC beside compaction: once at start, then every COMPACT_EVERY."""

from __future__ import annotations

from pathlib import Path

import pytest

from slotui.alerting.silence import Matcher, Silence
from slotui.commands.run import COMPACT_EVERY, Daemon
from slotui.config.loader import load_config
from slotui.store import Store
from slotui.wiring import assemble

NOW = 1_780_000_000.0
DAY = 86400.0


def _ended(sid: str, end: float) -> Silence:
    return Silence(id=sid, matchers=(Matcher("slo", "=", "accuracy"),), starts_at=end - 3600, ends_at=end,
                   created_by="tester", updated_at=end - 3600)


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "state.db")
    yield s
    s.close()


async def test_the_daemon_drops_silences_that_ended_over_35_days_ago(store: Store, capsys) -> None:
    parts = assemble(load_config(None), store=store)  # the embedded demo: no network
    daemon = Daemon(parts.engine, 30.0, None, parts.alerting)
    store.add_silence(_ended("old", NOW - 35 * DAY - 1))
    store.add_silence(_ended("edge", NOW - 35 * DAY))
    store.add_silence(_ended("recent", NOW - DAY))
    try:
        await daemon.step(NOW)
        assert daemon.last_error is None
        assert sorted(s.id for s in store.list_silences(NOW, expired=True)) == ["edge", "recent"]
        assert "silences: dropped 1 that ended over 35d ago" in capsys.readouterr().err

        # Not again before the next compaction is due.
        later = NOW + COMPACT_EVERY - 1
        await daemon.step(later)
        assert sorted(s.id for s in store.list_silences(later, expired=True)) == ["edge", "recent"]
        await daemon.step(NOW + COMPACT_EVERY)
        assert [s.id for s in store.list_silences(NOW + COMPACT_EVERY, expired=True)] == ["recent"]
    finally:
        await parts.aclose()


async def test_a_clock_set_back_does_not_postpone_the_gc_by_the_jump(store: Store, capsys) -> None:
    """A host that booted a year ahead (a bad RTC) and was corrected by NTP: the next compaction
    was armed for a year + 1h ahead, so retention and the silences GC stopped for a year."""
    parts = assemble(load_config(None), store=store)
    daemon = Daemon(parts.engine, 30.0, None, parts.alerting)
    try:
        await daemon.step(NOW + 365 * DAY)  # the wrong clock
        store.add_silence(_ended("old", NOW - 35 * DAY - 1))
        store.add_silence(_ended("recent", NOW - DAY))
        await daemon.step(NOW)  # corrected: more than COMPACT_EVERY before the armed time
        assert daemon.last_error is None
        assert [s.id for s in store.list_silences(NOW, expired=True)] == ["recent"]
        assert "silences: dropped 1 that ended over 35d ago" in capsys.readouterr().err
        # and the schedule is re-armed from the corrected clock: not again within the hour
        store.add_silence(_ended("old2", NOW - 35 * DAY - 1))
        await daemon.step(NOW + COMPACT_EVERY - 1)
        assert sorted(s.id for s in store.list_silences(NOW, expired=True)) == ["old2", "recent"]
        await daemon.step(NOW + COMPACT_EVERY)
        assert [s.id for s in store.list_silences(NOW, expired=True)] == ["recent"]
    finally:
        await parts.aclose()
