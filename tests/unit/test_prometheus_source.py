"""Pure parts of the Prometheus source: durations, placeholders, answer parsing, range planning."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.core.types import DAY, HOUR, MINUTE, BurnTier, SLOSpec
from slotui.sources.kit.backfill import PointCache
from slotui.sources.prometheus import (
    MAX_POINTS,
    QueryError,
    _chunks,
    _floats,
    _good_total,
    parse_instant,
    parse_range,
)
from slotui.core.periods import ratio_windows
from slotui.sources.kit.promql import prom_duration, render


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(300, "5m"), (3600, "1h"), (5400, "1h30m"), (259200, "3d"), (604800, "7d"), (90061, "1d1h1m1s"), (0.25, "250ms")],
)
def test_prom_duration(seconds: float, text: str) -> None:
    assert prom_duration(seconds) == text


def test_render_replaces_every_placeholder_spelling() -> None:
    q = "sum(increase(a[{{window}}])) / sum(increase(b[{{ window }}]))"
    assert render(q, 1800) == "sum(increase(a[30m])) / sum(increase(b[30m]))"
    assert render("up", 60) == "up"


def ok(kind: str, result: object) -> dict:
    return {"status": "success", "data": {"resultType": kind, "result": result}}


def test_parse_instant_shapes() -> None:
    assert parse_instant(ok("vector", [{"metric": {}, "value": [1, "0.5"]}])) == 0.5
    assert parse_instant(ok("scalar", [1, "2"])) == 2.0
    assert parse_instant(ok("vector", [])) is None
    for text in ("NaN", "+Inf", "-Inf"):
        assert parse_instant(ok("vector", [{"metric": {}, "value": [1, text]}])) is None
    with pytest.raises(QueryError, match="query returned 2 series; aggregate with sum"):
        parse_instant(ok("vector", [{"value": [1, "1"]}, {"value": [1, "2"]}]))
    with pytest.raises(QueryError, match="range vector"):
        parse_instant(ok("matrix", []))
    with pytest.raises(QueryError, match="bad_data: parse error"):
        parse_instant({"status": "error", "errorType": "bad_data", "error": "parse error"})


def test_parse_range_drops_non_finite_points() -> None:
    payload = ok("matrix", [{"metric": {}, "values": [[300, "1"], [600, "NaN"], [900, "+Inf"], [1000, "-Inf"], [1200, "4"]]}])
    assert parse_range(payload) == {300.0: 1.0, 1200.0: 4.0}
    assert parse_range(ok("matrix", [])) == {}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40))
def test_bulk_value_parsing_gives_exactly_float_of_each_string(values: list[float]) -> None:
    # Prometheus formats samples like Go's FormatFloat: plain digits, or NaN/+Inf/-Inf
    texts = [("+Inf" if v > 0 else "-Inf") if math.isinf(v) else "NaN" if math.isnan(v) else repr(v) for v in values]
    got = _floats(texts)
    assert len(got) == len(texts)
    for text, g in zip(texts, got):
        assert type(g) is float
        assert (math.isnan(g) and text == "NaN") or g == float(text)


def test_bulk_value_parsing_refuses_what_float_refuses() -> None:
    assert _floats(["1", "2.5e-3", "007"]) == [1.0, 0.0025, 7.0]  # "007" is not JSON: float() path
    for bad in (["0.5", "true"], ["1,2"], ["[1]"], ["abc"], ['"1"']):
        with pytest.raises(ValueError):
            _floats(bad)
    with pytest.raises(TypeError):
        _floats(["0.5", None])
    with pytest.raises(QueryError, match="unexpected sample"):
        parse_range(ok("matrix", [{"metric": {}, "values": [[300, "1"], [600, "true"]]}]))


def test_chunks_stay_under_the_point_limit_and_cover_everything() -> None:
    step = 60.0
    first, last = 60.0, 60.0 * 43200
    chunks = _chunks(first, last, step)
    assert chunks[0][0] == first and chunks[-1][1] == last
    covered = 0
    for (a, b), nxt in zip(chunks, chunks[1:] + [None]):
        n = round((b - a) / step) + 1
        assert n <= MAX_POINTS
        covered += n
        if nxt is not None:
            assert nxt[0] == b + step
    assert covered == 43200


def test_range_series_asks_only_for_what_is_new() -> None:
    s = PointCache()
    assert s.missing(300, 3000, 300) == [(300, 3000)]
    s.merge({float(t): 1.0 for t in range(300, 3001, 300)}, [(300, 3000)], 300, 3000)
    assert s.missing(300, 3000, 300) == []
    assert s.missing(600, 3600, 300) == [(3000, 3600)]  # re-ask the newest cached end
    s.merge({3000.0: 2.0, 3300.0: 3.0, 3600.0: 4.0}, [(3000, 3600)], 600, 3600)
    assert list(s.points) == [float(t) for t in range(600, 3601, 300)]
    assert s.points[3000.0] == 2.0
    # Time going backwards (another --at) starts over.
    assert s.missing(300, 1200, 300) == [(300, 1200)] and s.points == {}


def test_good_total_rules() -> None:
    assert _good_total(None, None) == (0.0, 0.0)
    assert _good_total(5, None) == (0.0, 0.0)
    assert _good_total(None, 10) == (0.0, 10)
    assert _good_total(10.4, 10) == (10, 10)
    assert _good_total(-1, 10) == (0.0, 10)


def test_ratio_windows_cover_tiers_window_and_period() -> None:
    spec = SLOSpec(
        name="a", kind="ratio", target=0.99, direction="higher_is_better", window=HOUR, period=28 * DAY,
        tiers=(BurnTier("critical", 2 * HOUR, 10 * MINUTE, factor=10),),
    )
    assert ratio_windows(spec) == [10 * MINUTE, HOUR, 2 * HOUR, 28 * DAY]


def test_range_series_fills_in_older_slices_in_order() -> None:
    s = PointCache()
    s.merge({float(t): 1.0 for t in range(1200, 3001, 300)}, s.missing(1200, 3000, 300), 1200, 3000)
    todo = s.missing(300, 3000, 300)  # a longer period: only the older ends are asked
    assert todo == [(300, 900)]
    s.merge({300.0: 0.5, 600.0: 0.5, 900.0: 0.5}, todo, 300, 3000)
    assert list(s.points) == [float(t) for t in range(300, 3001, 300)]
    version = s.version
    s.merge({}, [], 300, 3000)  # nothing new: nothing changes
    assert s.version == version
