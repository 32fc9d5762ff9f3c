"""The one "ask only for new slices" rule (kit.backfill.due) and both caches built on it."""

from __future__ import annotations

import pytest

from slotui.sources.kit.backfill import PointCache, SpanBook, due


@pytest.mark.parametrize(
    ("held", "first", "last", "expected"),
    [
        (None, 300, 3000, None),  # nothing held: ask everything
        ((300, 3000), 300, 3000, []),  # nothing new
        ((300, 3000), 600, 3600, [(3000, 3600)]),  # two slices completed: re-ask 3000, then 3300, 3600
        ((600, 3000), 300, 3000, [(300, 300)]),  # longer period: only the older point
        ((600, 3000), 300, 3300, [(300, 300), (3000, 3300)]),
        ((300, 3000), 3300, 6000, None),  # everything held left the period
        ((300, 3000), 3000, 6000, [(3000, 6000)]),  # only the newest held point is still wanted: re-ask it
        ((300, 3000), 300, 2700, None),  # the clock went back
    ],
)
def test_due_table(held, first, last, expected) -> None:
    assert due(held, first, last, 300) == expected


def test_point_cache_follows_the_rule() -> None:
    cache = PointCache()
    assert cache.missing(300, 3000, 300) == [(300, 3000)]
    cache.merge({float(t): 1.0 for t in range(300, 3001, 300)}, [(300, 3000)], 300, 3000)
    assert cache.missing(600, 3600, 300) == [(3000, 3600)]
    cache.merge({3000.0: 2.0, 3300.0: 3.0, 3600.0: 4.0}, [(3000, 3600)], 600, 3600)
    assert list(cache.points) == [float(t) for t in range(600, 3601, 300)]
    assert cache.points[3000.0] == 2.0  # the re-asked newest point was replaced
    assert cache.missing(300, 1200, 300) == [(300, 1200)] and cache.points == {}  # clock went back


def test_span_book_follows_the_rule() -> None:
    # step 300, no coarse spans (coarse == step): a 1200 s period at now=3000 has slices 1800..3000
    book = SpanBook(step=300.0, coarse=300.0)
    book.plan(3000.0, 1200.0)
    assert sorted(book.pending) == [(1800.0, 2100.0), (2100.0, 2400.0), (2400.0, 2700.0), (2700.0, 3000.0)]
    for span in list(book.pending):
        book.record(span, 1.0)
    book.plan(3600.0, 1200.0)  # two slices completed: re-ask 2700 (late data), then 3000 and 3300
    assert sorted(book.pending) == [(2700.0, 3000.0), (3000.0, 3300.0), (3300.0, 3600.0)]
    assert sorted(book.points) == [2400.0, 2700.0]  # 1800 and 2100 left the period
    book.plan(3600.0, 1200.0)  # same tick: nothing new
    assert sorted(book.pending) == [(2700.0, 3000.0), (3000.0, 3300.0), (3300.0, 3600.0)]
    book.plan(1200.0, 1200.0)  # the clock went back: start over
    assert book.points == {} and sorted(book.pending) == [(0.0, 300.0), (300.0, 600.0), (600.0, 900.0), (900.0, 1200.0)]
