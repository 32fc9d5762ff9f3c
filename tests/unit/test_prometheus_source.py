"""Pure parts of the Prometheus source: durations, placeholders, answer parsing, range planning."""

from __future__ import annotations

import math
import re

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
    on_grid,
    parse_grouped,
    parse_grouped_range,
    parse_instant,
    parse_range,
)
from slotui.sources.kit.http_client import MalformedResponse
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


# A native histogram sample as Prometheus' API writes it (``histogram`` in a vector, ``histograms`` in a matrix).
HIST = {"count": "10", "sum": "5.5", "buckets": [[0, "0.5", "1", "10"]]}


def test_native_histogram_results_are_a_clear_error_in_every_parser() -> None:
    # Read as floats they were "unexpected sample None" (instant) or silently no data (range).
    native = "native histogram samples, not numbers; wrap it in histogram_quantile()"
    instant = ok("vector", [{"metric": {"route": "/chat"}, "histogram": [1, HIST]}])
    ranged = ok("matrix", [{"metric": {"route": "/chat"}, "histograms": [[300, HIST], [600, HIST]]}])
    mixed = ok("matrix", [{"metric": {"route": "/chat"}, "values": [[300, "1"]], "histograms": [[600, HIST]]}])
    for parse, payload in ((parse_instant, instant), (parse_range, ranged), (parse_range, mixed)):
        with pytest.raises(QueryError, match=native.replace("(", r"\(").replace(")", r"\)")):
            parse(payload)
    with pytest.raises(QueryError, match="native histogram"):
        parse_grouped(instant, "route")
    for payload in (ranged, mixed):
        with pytest.raises(QueryError, match="native histogram"):
            parse_grouped_range(payload, "route")


@pytest.mark.parametrize("series", [["x"], "x", None, 3])
def test_a_series_that_is_not_an_object_is_a_malformed_answer_in_every_parser(series: object) -> None:
    # It was "'list' object has no attribute 'get'" (a Python error shown as the reason).
    for parse, kind in ((parse_instant, "vector"), (parse_range, "matrix")):
        with pytest.raises(MalformedResponse, match=f"a series of the {kind} result is not an object"):
            parse(ok(kind, [series]))
    with pytest.raises(MalformedResponse, match="a series of the vector result is not an object"):
        parse_grouped(ok("vector", [series]), "route")
    with pytest.raises(MalformedResponse, match="a series of the matrix result is not an object"):
        parse_grouped_range(ok("matrix", [series]), "route")


def test_series_labels_that_are_not_an_object_are_a_malformed_answer() -> None:
    # parse_grouped read them with .get(): "'list' object has no attribute 'get'"
    for metric in (["model", "a"], "model=a", 3):
        with pytest.raises(MalformedResponse, match=r"the labels \('metric'\) of a series of the vector result"):
            parse_grouped(ok("vector", [{"metric": metric, "value": [1, "2"]}]), "model")
        with pytest.raises(MalformedResponse, match=r"the labels \('metric'\) of a series of the matrix result"):
            parse_grouped_range(ok("matrix", [{"metric": metric, "values": [[300, "2"]]}]), "model")
    assert parse_grouped(ok("vector", [{"metric": None, "value": [1, "2"]}]), "model") == {"(none)": 2.0}


def test_a_series_without_its_samples_is_a_malformed_answer() -> None:
    # A range series without "values" was silently no data.
    with pytest.raises(MalformedResponse, match="has no 'value'"):
        parse_instant(ok("vector", [{"metric": {}}]))
    with pytest.raises(MalformedResponse, match="has no 'value'"):
        parse_grouped(ok("vector", [{"metric": {"route": "a"}}]), "route")
    for values in ({}, {"values": None}, {"values": "1"}):
        with pytest.raises(MalformedResponse, match="has no 'values'"):
            parse_range(ok("matrix", [{"metric": {}, **values}]))
        with pytest.raises(MalformedResponse, match="has no 'values'"):
            parse_grouped_range(ok("matrix", [{"metric": {"route": "a"}, **values}]), "route")


def test_range_samples_out_of_order_come_back_in_time_order() -> None:
    # The point cache and the slice views take points in ascending time: a proxy answering newest
    # first gave slices newest first.
    payload = ok("matrix", [{"metric": {}, "values": [[900, "3"], [300, "1"], [600, "NaN"], [1200, "4"]]}])
    got = parse_range(payload)
    assert list(got.items()) == [(300.0, 1.0), (900.0, 3.0), (1200.0, 4.0)]
    grouped = parse_grouped_range(ok("matrix", [
        {"metric": {"route": "a"}, "values": [[600, "2"], [300, "1"]]},
        {"metric": {"route": "b"}, "values": [[300, "5"]]},
    ]), "route")
    assert list(grouped.items()) == [(300.0, {"a": 1.0, "b": 5.0}), (600.0, {"a": 2.0})]


def test_a_repeated_timestamp_counts_once_and_two_values_at_one_time_are_an_error() -> None:
    same = ok("matrix", [{"metric": {}, "values": [[300, "1"], [600, "2"], [600, "2"], [900, "3"]]}])
    assert parse_range(same) == {300.0: 1.0, 600.0: 2.0, 900.0: 3.0}
    # grouped: the repeated sample was added twice into its group (2 + 2 = 4 at 600)
    assert parse_grouped_range({**same, "data": {"resultType": "matrix", "result": [
        {"metric": {"route": "a"}, "values": [[300, "1"], [600, "2"], [600, "2"]]}]}}, "route") == {
        300.0: {"a": 1.0}, 600.0: {"a": 2.0}}
    # a NaN repeat beside a number is no data, not a conflict
    assert parse_range(ok("matrix", [{"metric": {}, "values": [[600, "NaN"], [600, "2"]]}])) == {600.0: 2.0}
    clash = ok("matrix", [{"metric": {}, "values": [[300, "1"], [600, "2"], [600, "7"]]}])
    with pytest.raises(QueryError, match=r"two different samples \(2 and 7\) at 600 in one series"):
        parse_range(clash)
    with pytest.raises(QueryError, match=r"two different samples \(2 and 7\) at 600"):
        parse_grouped_range(ok("matrix", [{"metric": {"route": "a"}, "values": [[600, "2"], [600, "7"]]}]), "route")


@pytest.mark.parametrize("status", [None, "ok", 200, "SUCCESS"])
def test_an_answer_without_a_known_status_is_malformed_not_a_failed_query(status: object) -> None:
    # It read "query failed", as if the server had said why.
    payload = {"data": {"resultType": "vector", "result": []}}
    if status is not None:
        payload["status"] = status
    with pytest.raises(MalformedResponse, match=f"malformed answer: status {re.escape(repr(status))}; "
                                                "expected 'success' or 'error'"):
        parse_instant(payload)
    with pytest.raises(MalformedResponse, match="malformed answer: status"):
        parse_range({**payload, "data": {"resultType": "matrix", "result": []}})


def test_a_boolean_sample_value_is_not_one() -> None:
    # float(True) is 1.0: a JSON true was read as the value 1
    with pytest.raises(QueryError, match=r"unexpected sample \[1, True\] in the answer"):
        parse_instant(ok("vector", [{"metric": {}, "value": [1, True]}]))
    with pytest.raises(QueryError, match="unexpected sample in the range answer"):
        parse_range(ok("matrix", [{"metric": {}, "values": [[300, "1"], [600, False]]}]))
    with pytest.raises(QueryError, match="unexpected sample"):
        parse_grouped(ok("vector", [{"metric": {"route": "a"}, "value": [1, True]}]), "route")
    with pytest.raises(QueryError, match="unexpected sample in the range answer"):
        parse_grouped_range(ok("matrix", [{"metric": {"route": "a"}, "values": [[300, True]]}]), "route")


def test_range_points_are_kept_on_the_grid_asked() -> None:
    # exactly on the grid: the same dict back
    exact = {300.0: 1.0, 600.0: 2.0, 1200.0: 4.0}
    assert on_grid(exact, 300.0, 1200.0, 300.0) is exact
    # written with a millisecond off (a float timestamp with a fraction): moved onto the grid point
    # (1200.001 was a slice beyond the asked end that the ratio view left out and the threshold one kept)
    assert on_grid({300.001: 1.0, 599.9995: 2.0, 1200.001: 4.0}, 300.0, 1200.0, 300.0) == exact
    # samples beyond the asked range were not asked for
    assert on_grid({0.0: 9.0, 300.0: 1.0, 1500.0: 5.0}, 300.0, 1200.0, 300.0) == {300.0: 1.0}
    # off the grid: which slice it belongs to cannot be told
    with pytest.raises(QueryError, match=r"sample at 450, off the grid asked \(start 300, step 300s\)"):
        on_grid({300.0: 1.0, 450.0: 2.0}, 300.0, 1200.0, 300.0)
    with pytest.raises(QueryError, match=r"sample at 600.500, off the grid"):
        on_grid({600.5: 2.0}, 300.0, 1200.0, 300.0)


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
    # NaN/Inf is no data, not 0 good events (which counted every request as bad)
    for nan in (math.nan, math.inf, -math.inf):
        assert _good_total(nan, 10) == (0.0, 0.0)
        assert _good_total(5, nan) == (0.0, 0.0)


def test_keep_nan_tells_no_value_from_no_series() -> None:
    nan_vector = ok("vector", [{"metric": {}, "value": [1, "NaN"]}])
    assert parse_instant(nan_vector) is None
    assert math.isnan(parse_instant(nan_vector, keep_nan=True))
    assert parse_instant(ok("vector", []), keep_nan=True) is None
    assert math.isnan(parse_instant(ok("vector", [{"metric": {}, "value": [1, "+Inf"]}]), keep_nan=True))
    got = parse_range(ok("matrix", [{"metric": {}, "values": [[300, "1"], [600, "NaN"], [900, "-Inf"]]}]), keep_nan=True)
    assert list(got) == [300.0, 600.0, 900.0] and got[300.0] == 1.0 and math.isnan(got[600.0]) and math.isnan(got[900.0])
    grouped = parse_grouped(ok("vector", [{"metric": {"m": "a"}, "value": [1, "NaN"]}, {"metric": {"m": "b"}, "value": [1, "2"]}]),
                            "m", keep_nan=True)
    assert math.isnan(grouped["a"]) and grouped["b"] == 2.0
    ranged = parse_grouped_range(ok("matrix", [{"metric": {"m": "a"}, "values": [[300, "NaN"], [600, "3"]]}]), "m",
                                 keep_nan=True)
    assert math.isnan(ranged[300.0]["a"]) and ranged[600.0] == {"a": 3.0}


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
