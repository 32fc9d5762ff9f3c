"""slotui.sources.kit.prometheus_recorded: the text and parsing of the recorded-series path (pure)."""

from __future__ import annotations

import math

from slotui.core.types import DAY, HOUR, MINUTE, SLOSpec
from slotui.sources.kit.prometheus_recorded import (
    detection_query, is_recorded, missing_windows, parse_detection, ratio_pair, re2_literal, record_query, selector,
)
from slotui.sources.kit.sloth_ids import sloth_labels, sloth_slo, window_name


def spec(**kw: object) -> SLOSpec:
    base: dict[str, object] = dict(name="availability", kind="ratio", target=0.99, direction="higher_is_better",
                                   window=HOUR, period=30 * DAY, labels={"service": "api"})
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def test_selector_and_record_query_name_the_slo_and_its_service() -> None:
    assert selector(spec()) == '{sloth_slo="availability", sloth_service="api"}'
    assert selector(spec(labels={})) == '{sloth_slo="availability"}'
    assert record_query(spec(), 5 * MINUTE) == 'slo:sli_error:ratio_rate5m{sloth_slo="availability", sloth_service="api"}'
    assert selector(spec(name='a"b\\c', labels={})) == '{sloth_slo="a\\"b\\\\c"}'


def test_an_slo_named_service_dash_name_is_sloths_name_and_the_older_export_name_is_a_fallback() -> None:
    imported = spec(name="api-availability")  # what slotui import calls Sloth's "availability" of service "api"
    assert sloth_labels(imported) == {"sloth_id": "api-availability", "sloth_service": "api",
                                      "sloth_slo": "availability"}
    assert sloth_labels(spec()) == {"sloth_id": "api-availability", "sloth_service": "api", "sloth_slo": "availability"}
    assert sloth_labels(spec(labels={})) == {"sloth_id": "slotui-availability", "sloth_service": "slotui",
                                             "sloth_slo": "availability"}
    # "api-" alone, or another service's prefix, is the name itself
    assert sloth_slo(spec(name="api-")) == "api-" and sloth_slo(spec(name="web-availability")) == "web-availability"
    assert selector(imported) == '{sloth_slo="availability", sloth_service="api"}'
    assert 'sloth_slo=~"api-availability|availability"' in detection_query([imported])
    older = {("api-availability", "api"): {"5m", "1h"}}
    assert selector(imported, older) == '{sloth_slo="api-availability", sloth_service="api"}'
    assert record_query(imported, HOUR, older).endswith('{sloth_slo="api-availability", sloth_service="api"}')
    both = {**older, ("availability", "api"): {"5m"}}
    assert selector(imported, both) == '{sloth_slo="availability", sloth_service="api"}'
    assert missing_windows(imported, both) == ["30m", "1h", "6h", "3d", "30d"]


def test_detection_query_matches_the_names_literally() -> None:
    q = detection_query([spec(name="b.x"), spec(name="a|z"), spec(name="b.x")])
    assert q == ('group by (__name__, sloth_slo, sloth_service) '
                 '({__name__=~"slo:sli_error:ratio_rate.+", sloth_slo=~"a\\\\|z|b\\\\.x"})')
    assert re2_literal("p(95)*[x]{2}^$+?") == "p\\(95\\)\\*\\[x\\]\\{2\\}\\^\\$\\+\\?"


def test_parse_detection_keeps_only_error_ratio_records_and_survives_garbage() -> None:
    result = [
        {"metric": {"__name__": "slo:sli_error:ratio_rate5m", "sloth_slo": "a", "sloth_service": "api"}},
        {"metric": {"__name__": "slo:sli_error:ratio_rate1h", "sloth_slo": "a", "sloth_service": "api"}},
        {"metric": {"__name__": "slo:sli_error:ratio_rate1h", "sloth_slo": "a", "sloth_service": "other"}},
        {"metric": {"__name__": "slo:objective:ratio", "sloth_slo": "a"}},
        {"metric": "garbage"}, "garbage", {},
    ]
    assert parse_detection(result) == {("a", "api"): {"5m", "1h"}, ("a", "other"): {"1h"}}
    assert parse_detection(None) == {} and parse_detection({"x": 1}) == {}


def test_missing_windows_per_service() -> None:
    found = {("availability", "api"): {"5m", "30m", "1h", "6h", "3d"}, ("availability", "web"): {"30d"}}
    assert missing_windows(spec(), found) == ["30d"]  # the web service's 30d is not this SLO's
    assert missing_windows(spec(labels={}), found) == []  # no service: any service's series
    assert missing_windows(spec(name="other"), found) == ["5m", "30m", "1h", "6h", "3d", "30d"]


def test_windows_are_named_as_prometheus_and_sloth_write_them() -> None:
    """Sloth names windows with Prometheus' ``model.Duration.String``: whole weeks and years as such."""
    assert [window_name(s) for s in (5 * MINUTE, 30 * MINUTE, 90 * MINUTE, 6 * HOUR, DAY, 3 * DAY)] == [
        "5m", "30m", "1h30m", "6h", "1d", "3d"]
    assert [window_name(d * DAY) for d in (7, 14, 28, 30, 35, 90, 365)] == [
        "1w", "2w", "4w", "30d", "5w", "90d", "1y"]
    assert window_name(35 * DAY + HOUR) == "35d1h" and window_name(1.5) == "1s500ms"


def test_a_28_day_slo_reads_sloths_4w_series_and_the_older_28d_ones() -> None:
    """Sloth records a 28-day period as ``ratio_rate4w``: slotui reads that name, and still reads the
    ``ratio_rate28d`` that slotui export wrote before."""
    s = spec(period=28 * DAY)
    sloths = {("availability", "api"): {"5m", "30m", "1h", "6h", "3d", "4w"}}
    assert missing_windows(s, sloths) == []
    assert is_recorded(s, 28 * DAY, sloths)
    assert record_query(s, 28 * DAY, sloths).startswith("slo:sli_error:ratio_rate4w{")
    older = {("availability", "api"): {"5m", "30m", "1h", "6h", "3d", "28d"}}
    assert missing_windows(s, older) == []
    assert record_query(s, 28 * DAY, older).startswith("slo:sli_error:ratio_rate28d{")
    assert missing_windows(s, {("availability", "api"): {"5m"}}) == ["30m", "1h", "6h", "3d", "4w"]
    assert record_query(s, 28 * DAY).startswith("slo:sli_error:ratio_rate4w{")  # nothing detected: Sloth's name


def test_ratio_pair_no_sample_is_no_data_and_ratios_are_clamped() -> None:
    assert ratio_pair(None) == (0.0, 0.0)
    assert ratio_pair(math.nan) == (0.0, 0.0)
    assert ratio_pair(0.25) == (0.75, 1.0)
    assert ratio_pair(1.5) == (0.0, 1.0)
    assert ratio_pair(-0.1) == (1.0, 1.0)


def test_a_wrong_rules_value_names_file_line_key_and_the_choices() -> None:
    import pytest

    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    text = (
        "version: 1\nsources:\n  prom: {type: prometheus, url: 'http://x', rules: recordd}\n"
        "slos:\n  - name: a\n    ratio: {good: 'sum(x)', total: 'sum(y)'}\n    objective: {target: 0.9}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_text(text, name="slos.yaml")
    rendered = err.value.render()
    assert "slos.yaml:3:" in rendered and "sources.prom.rules" in rendered
    assert "'auto', 'recorded' or 'raw'" in rendered and "recordd" in rendered
