"""``window: month|week|day|DURATION``, ``forecast`` and ``forecast_basis`` in slos.yaml (SPEC 10.4)."""

from __future__ import annotations

import textwrap

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text
from slotui.core.types import DAY, HOUR

HEAD = "sources:\n  demo: {type: demo}\n  prom: {type: prometheus, url: 'http://127.0.0.1:9'}\nslos:\n"
SUM = "sli: {field: gen_ai.usage.cost, agg: sum}"


def slo(body: str) -> str:
    return HEAD + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n"


def issue_of(text: str) -> tuple[str, int | None, str]:
    with pytest.raises(ConfigError) as info:
        load_text(text, name="spend.yaml", env={})
    (issue,) = info.value.issues
    return issue.key, issue.line, issue.message


def test_month_window_with_forecast_resolves() -> None:
    text = slo(f"""
        - name: spend
          source: demo
          {SUM}
          window: month
          forecast: true
          forecast_basis: 12h
          objective: {{target: 3000}}
          unit: usd
        """)
    (spec,) = load_text(text, name="spend.yaml", env={}).specs
    assert (spec.calendar_window, spec.forecast, spec.forecast_basis) == ("month", True, 12 * HOUR)
    # spend: lower is better without saying so (SPEC 10.4)
    assert spec.calendar_month and spec.direction == "lower_is_better"


@pytest.mark.parametrize(("word", "anchor"), [("week", 4 * DAY), ("Day", 0.0)])
def test_week_and_day_windows_get_calendar_periods(word: str, anchor: float) -> None:
    text = slo(f"""
        - name: spend
          source: demo
          {SUM}
          window: {word}
          objective: {{target: 300, direction: lower_is_better}}
        """)
    (spec,) = load_text(text, name="spend.yaml", env={}).specs
    length = 7 * DAY if word == "week" else DAY
    assert (spec.calendar_window, spec.forecast, spec.window, spec.period, spec.period_anchor) == (
        word.lower(), False, length, length, anchor)
    assert spec.forecast_basis == DAY  # the default basis


def test_forecast_over_a_duration_window_uses_epoch_blocks() -> None:
    text = slo(f"""
        - name: spend
          source: demo
          {SUM}
          window: 10d
          forecast: true
          objective: {{target: 300, direction: lower_is_better}}
        """)
    (spec,) = load_text(text, name="spend.yaml", env={}).specs
    assert (spec.calendar_window, spec.window, spec.period, spec.period_anchor) == ("fixed", 10 * DAY, 10 * DAY, 0.0)


@pytest.mark.parametrize(
    ("body", "key", "line", "needle"),
    [
        # an unknown window word: what is expected, at the value's line
        (f"- {{name: s, source: demo, {SUM}, window: monthly, objective: {{target: 3, direction: lower_is_better}}}}",
         "slos[0].window", 5, "calendar window: month, week, day"),
        # forecast on a mean SLI
        ("- {name: s, source: demo, sli: {field: gen_ai.usage.cost, agg: mean}, forecast: true, objective: {target: 3, direction: lower_is_better}}",
         "slos[0].forecast", 5, "needs a sum SLI (sli: {agg: sum}); this SLI's agg is mean"),
        # a calendar window on a p95 SLI
        ("- {name: s, source: demo, sli: {field: duration_ms, agg: p95}, window: week, objective: {target: 3, direction: lower_is_better}}",
         "slos[0].window", 5, "window: week needs a sum SLI"),
        # a calendar window on a ratio SLO
        ("- {name: s, source: demo, ratio: {good: 'error.type == null'}, window: day, objective: {target: 0.99}}",
         "slos[0].window", 5, "this is a ratio SLO"),
        # forecast on a query SLI
        ("- {name: s, source: prom, query: 'sum(x)', forecast: true, objective: {target: 3, direction: lower_is_better}}",
         "slos[0].forecast", 5, "this is a query: SLI"),
        # forecast_basis without forecast
        (f"- {{name: s, source: demo, {SUM}, forecast_basis: 6h, objective: {{target: 3, direction: lower_is_better}}}}",
         "slos[0].forecast_basis", 5, "it needs forecast: true"),
        (f"- {{name: s, source: demo, {SUM}, window: month, forecast_basis: 6h, objective: {{target: 3, direction: lower_is_better}}}}",
         "slos[0].forecast_basis", 5, "it needs forecast: true"),
        # a non-boolean forecast
        (f"- {{name: s, source: demo, {SUM}, forecast: sometimes, objective: {{target: 3, direction: lower_is_better}}}}",
         "slos[0].forecast", 5, "expected true or false"),
        # a zero basis
        (f"- {{name: s, source: demo, {SUM}, forecast: true, forecast_basis: 0s, objective: {{target: 3, direction: lower_is_better}}}}",
         "slos[0].forecast_basis", 5, "longer than 0"),
    ],
)
def test_misuse_is_a_located_error(body: str, key: str, line: int, needle: str) -> None:
    got_key, got_line, message = issue_of(slo(body))
    assert (got_key, got_line) == (key, line)
    assert needle in message, message


def test_misuse_exits_3_without_a_traceback(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from slotui.cli import main

    cfg = tmp_path / "spend.yaml"
    cfg.write_text(slo(f"- {{name: s, source: demo, {SUM}, window: fortnight, objective: {{target: 3, direction: lower_is_better}}}}"))
    assert main(["check", "-c", str(cfg)]) == 3
    err = capsys.readouterr().err
    assert "spend.yaml:5:" in err and "slos[0].window" in err and "month, week, day" in err
    assert "Traceback" not in err
