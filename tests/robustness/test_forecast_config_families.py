"""Spend-budget keys misused, by family: every member is a located error, exit 3, no traceback.

Families generated here (SPEC 10.4: ``window: month|week|day|DURATION`` and
``forecast`` for ``sum`` SLIs on sources that keep records):

- a window word that is not one (typos, plurals, "1 month", "calendar_month");
- a calendar window or ``forecast: true`` on every aggregate but ``sum``;
- on every SLI shape that is not ``sli:`` (ratio, query);
- on every source type that does not keep records;
- ``forecast_basis`` without ``forecast: true``, zero or negative.
"""

from __future__ import annotations

import itertools

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text

SOURCES = """sources:
  demo: {type: demo}
  prom: {type: prometheus, url: "http://127.0.0.1:9"}
  ls: {type: langsmith, api_key: "k", project: p}
  api: {type: http, url: "http://127.0.0.1:9/x"}
slos:
"""
SUM = "sli: {field: gen_ai.usage.cost, agg: sum}"
OBJ = "objective: {target: 3, direction: lower_is_better}"


def one_issue(slo: str) -> tuple[str, int | None, str]:
    text = SOURCES + f"  - {{name: s, {slo}}}\n"
    with pytest.raises(ConfigError) as info:
        load_text(text, name="spend.yaml", env={})
    issues = info.value.issues
    assert len(issues) == 1, [i.message for i in issues]
    return issues[0].key, issues[0].line, issues[0].message


@pytest.mark.parametrize("word", ["monthly", "months", "Mon", "weekly", "daily", "fortnight", "calendar_month",
                                  "1 month", "1mo", "quarter", "''"])
def test_not_a_window_word(word: str) -> None:
    key, line, message = one_issue(f"source: demo, {SUM}, window: {word}, {OBJ}")
    assert (key, line) == ("slos[0].window", 7)
    assert "month, week, day" in message and "30s" in message


@pytest.mark.parametrize("word", ["month", "Month", " WEEK ", "day"])
def test_window_words_any_case(word: str) -> None:
    (spec,) = load_text(SOURCES + f"  - {{name: s, source: demo, {SUM}, window: '{word}', {OBJ}}}\n",
                        name="spend.yaml", env={}).specs
    assert spec.calendar_window == word.strip().lower()


@pytest.mark.parametrize(("agg", "key"), list(itertools.product(
    ["mean", "count", "min", "max", "p50", "p95", "p99.9", "median"],
    ["window: month", "window: week", "window: day", "forecast: true"])))
def test_every_aggregate_but_sum(agg: str, key: str) -> None:
    got, line, message = one_issue(f"source: demo, sli: {{field: gen_ai.usage.cost, agg: {agg}}}, {key}, {OBJ}")
    assert (got, line) == ("slos[0]." + key.split(":")[0], 7)
    assert "needs a sum SLI" in message and agg in message


@pytest.mark.parametrize(("shape", "what"), [
    ("source: demo, ratio: {good: 'error.type == null'}, objective: {target: 0.99}", "a ratio SLO"),
    ("source: prom, query: 'sum(x)', " + OBJ, "a query: SLI"),
    ("source: api, query: 'a.b', " + OBJ, "a query: SLI"),
])
@pytest.mark.parametrize("key", ["window: month", "forecast: true"])
def test_every_sli_shape_but_sli(shape: str, what: str, key: str) -> None:
    got, line, message = one_issue(f"{shape}, {key}")
    assert (got, line) == ("slos[0]." + key.split(":")[0], 7)
    assert what in message


@pytest.mark.parametrize("source", ["ls"])
@pytest.mark.parametrize("key", ["window: week", "forecast: true"])
def test_sources_without_records(source: str, key: str) -> None:
    got, line, message = one_issue(f"source: {source}, {SUM}, {key}, {OBJ}")
    assert (got, line) == ("slos[0]." + key.split(":")[0], 7)
    assert "file or demo" in message and "langsmith" in message


@pytest.mark.parametrize(("extra", "needle"), [
    ("forecast_basis: 6h", "it needs forecast: true"),
    ("window: month, forecast_basis: 6h", "it needs forecast: true"),
    ("forecast: false, forecast_basis: 6h", "it needs forecast: true"),
    ("forecast: true, forecast_basis: 0s", "longer than 0"),
    ("forecast: true, forecast_basis: -1h", "duration"),
    ("forecast: true, forecast_basis: month", "duration"),
])
def test_forecast_basis_misuse(extra: str, needle: str) -> None:
    got, line, message = one_issue(f"source: demo, {SUM}, {extra}, {OBJ}")
    assert (got, line) == ("slos[0].forecast_basis", 7)
    assert needle in message
