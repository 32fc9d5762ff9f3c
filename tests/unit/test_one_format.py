"""One way to write each value: slotui.formatting's table, and the same strings in every output.

The same SLO results go to the TUI's cells, ``check``'s table, Markdown and
JSON reports, and every channel's payload (Slack, email, PagerDuty, webhook,
Alertmanager); each must show the value, target and budget exactly as
slotui.formatting writes them (0.99996 is ``99.996%`` everywhere, never
``100.00%`` in one place and ``99.996%`` in another).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pytest

from slotui import formatting as fmt
from slotui.core.evaluate import evaluate_all
from slotui.core.types import DAY, HOUR, SLIData, SLOSpec

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()

# ------------------------------------------------------------------ the table of values -> strings

VALUES = [
    # (value, unit, kind, expected)
    (0.99996, "", "ratio", "99.996%"),
    (0.999996, "", "ratio", "99.9996%"),
    (0.9999996, "", "ratio", "99.9999%"),  # closer than 0.0001 points: never rounds up to 100
    (1.0, "", "ratio", "100.00%"),
    (0.0, "", "ratio", "0.00%"),
    (0.00004, "", "ratio", "0.004%"),
    (0.995, "", "ratio", "99.50%"),
    (2450.0, "ms", "threshold", "2,450 ms"),
    (12.5, "ms", "threshold", "12.5 ms"),
    (1.84, "s", "threshold", "1.84 s"),
    (0.0362, "usd", "threshold", "$0.0362"),
    (12.5, "usd", "threshold", "$12.50"),
    (0.9371, "score", "threshold", "0.9371 score"),
    (0.852, "", "threshold", "0.852"),
    (123456.0, "", "threshold", "123,456"),
    (math.nan, "ms", "threshold", "—"),
    (None, "", "ratio", "—"),
    # huge finite values (a 1e308 cost in a log) stay a few cells wide in every unit
    (1e308, "usd", "threshold", "$1.00e+308"),
    (-2.5e17, "usd", "threshold", "-$2.50e+17"),
    (1e308, "ms", "threshold", "1.00e+308 ms"),
    (1e300, "s", "threshold", "1.00e+300 s"),
    (1e20, "score", "threshold", "1.00e+20 score"),
    (1e20, "", "threshold", "1.00e+20"),
    (999_999_999_999_999.0, "", "threshold", "999,999,999,999,999"),
    (1e15, "", "threshold", "1.00e+15"),
    (1e300, "", "ratio", "1.00e+302%"),
]


@pytest.mark.parametrize(("value", "unit", "kind", "expected"), VALUES)
def test_values(value, unit, kind, expected):
    assert fmt.format_value(value, unit, kind=kind) == expected


@pytest.mark.parametrize(("fraction", "expected"), [
    (0.42, "42.0%"), (-0.25, "-25.0%"), (0.9996, "99.96%"), (0.99999, "99.999%"),
    (-0.0004, "-0.04%"), (0.0, "0.0%"), (1.0, "100.0%"), (-99.0, "-9,900%"), (None, "—"),
])
def test_percentages_never_round_to_a_misleading_100_or_0(fraction, expected):
    assert fmt.format_percent(fraction) == expected


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: fmt.format_percent(-1e306), "-1.00e+308%"),
    (lambda: fmt.format_rate(1e300), "1.00e+300x"),
    (lambda: fmt.format_rate(250.0), "250x"),
    (lambda: fmt.format_compact(1e308, "usd"), "$1.0e+308"),
    (lambda: fmt.format_compact(2.5e12), "2.5e+12"),
    (lambda: fmt.format_compact(999e9), "999G"),
    (lambda: fmt.format_number(-1e200), "-1.00e+200"),
])
def test_huge_magnitudes_are_written_in_scientific_notation(call, expected):
    assert call() == expected


@pytest.mark.parametrize(("seconds", "human", "window"), [
    (45, "45s", "45s"), (90, "1m30s", "1m30s"), (3600, "1h", "1h"), (5400, "1h30m", "1h30m"),
    (86400 + 300, "1d", "1d5m"), (259200, "3d", "3d"), (604800, "7d", "1w"), (0.5, "0s", "500ms"),
    (-300, "-5m", "-5m"), (0, "0s", "0s"),
])
def test_durations(seconds, human, window):
    assert fmt.format_duration(seconds) == human
    assert fmt.format_window(seconds) == window


@pytest.mark.parametrize(("rate", "expected"), [
    (0.31, "0.31x"), (0.0, "0.0x"), (1.0, "1.0x"), (14.4, "14.4x"), (20.0, "20.0x"), (120.4, "120x"), (None, "—"),
])
def test_rates(rate, expected):
    assert fmt.format_rate(rate) == expected


@pytest.mark.parametrize(("rate", "expected"), [
    (14.4, "14.4x"), (9999.0, "9999x"), (10_000.0, "10kx"), (99_999.0, "100kx"), (999_400.0, "999kx"),
    (999_600.0, "1.0Mx"), (9_960_000.0, "10Mx"), (2.5e9, "2.5Gx"), (999.6e9, "1e12x"), (1e15, "1e15x"),
    (1e300, "1e300x"), (-20_000.0, "-20kx"), (None, "—"),
])
def test_compact_rates_fit_the_burn_column_with_their_window(rate, expected):
    """The table's burn cell is 9 cells: a rate and a window such as ``3d`` both fit."""
    assert fmt.format_rate(rate, compact=True) == expected
    if rate is not None and abs(rate) < 1e100:
        assert len(f"{expected} 30d") <= 9 + (rate < 0)


@pytest.mark.parametrize(("value", "expected"), [
    (9_960.0, "$10k"), (999_400.0, "$999k"), (999_600.0, "$1.0M"), (999_600_000.0, "$1.0G"),
])
def test_compact_values_round_into_the_next_unit(value, expected):
    """999.6k is $1.0M, not $1000k; 9.96k is $10k, not $10.0k."""
    assert fmt.format_compact(value, "usd") == expected


@pytest.mark.parametrize(("target", "direction", "unit", "kind", "expected"), [
    (2000, "lower_is_better", "ms", "threshold", "≤ 2,000 ms"),
    (0.85, "higher_is_better", "score", "threshold", "≥ 0.85"),
    (0.995, "higher_is_better", "", "ratio", "≥ 99.50%"),
    (0.99995, "higher_is_better", "", "ratio", "≥ 99.995%"),
    (0.05, "lower_is_better", "usd", "threshold", "≤ $0.05"),
])
def test_targets(target, direction, unit, kind, expected):
    assert fmt.format_target(target, direction, unit, kind=kind) == expected


# ------------------------------------------------------------------ the same strings in every output

SPECS = (
    SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better", source="prom",
            period=30 * DAY),
    SLOSpec(name="response_time_p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
            direction="lower_is_better", source="prom", unit="ms"),
    SLOSpec(name="cost_per_query", kind="threshold", target=0.05, warning=0.06, critical=0.08,
            direction="lower_is_better", source="logs", unit="usd"),
    SLOSpec(name="helpfulness", kind="threshold", target=0.85, warning=0.8, critical=0.7,
            direction="higher_is_better", source="logs", unit="score"),
)
DATA = {
    "availability": SLIData(buckets=((NOW - 600, 99_996.0, 100_000.0),)),
    "response_time_p95_ms": SLIData(value=2450.0, slices=((NOW - 600, 2450.0), (NOW - 2 * HOUR, 1200.0))),
    "cost_per_query": SLIData(value=0.0362, slices=((NOW - 600, 0.0362),)),
    "helpfulness": SLIData(value=0.78, slices=((NOW - 600, 0.78), (NOW - 3 * HOUR, 0.9))),
}


def _report():
    return evaluate_all(SPECS, DATA, NOW)


def _expected(result):
    spec = result.spec
    return {
        "value": fmt.spec_value(result.value, spec),
        "target": fmt.spec_target(spec),
        "budget": fmt.format_percent(result.budget.remaining if result.budget else None),
        "threshold": fmt.spec_value(spec.target, spec, precise=True),
    }


def test_the_ratio_value_is_the_one_the_issue_names():
    r = {x.spec.name: x for x in _report().results}["availability"]
    assert fmt.spec_value(r.value, r.spec) == "99.996%"


def test_tui_check_and_json_show_the_same_strings():
    from slotui.output import json_report, markdown, table
    from slotui.tui import cells

    report = _report()
    text = table.render(report)
    md = markdown.render(report)
    js = json.loads(json_report.render(report))
    by_name = {s["name"]: s for s in js["slos"]}
    palette = cells.Palette({})
    for r in report.results:
        e = _expected(r)
        tui_value = cells.value_cell(r, palette).plain
        assert tui_value.removesuffix(" (low)") == e["value"], r.spec.name
        assert cells.budget_cell(cells.budget_remaining(r), bar_width=4, palette=palette,
                                 ascii_bar=True).plain.strip().endswith(e["budget"])
        row = next(line for line in text.splitlines() if f" {r.spec.name} " in f" {line} ")
        for key in ("value", "target", "budget"):
            assert e[key] in row, (r.spec.name, key, row)
            assert e[key] in md, (r.spec.name, key)
        d = by_name[r.spec.name]["display"]
        assert (d["value"], d["target"], d["budget_remaining"]) == (e["value"], e["target"], e["budget"])


def _alerts(report):
    from slotui.alerting.context import describe
    from slotui.alerting.notification import Alert, Notification

    alerts = []
    for r in report.results:
        labels, annotations, context = describe(r, "critical")
        alerts.append(Alert(fingerprint=r.spec.name, slo=r.spec.name, severity="critical", labels=labels,
                            annotations=annotations, context=context, starts_at=NOW - 600))
    n = Notification(id="n-1", channel="team", group_key="{}", kind="trigger", status="firing", alerts=alerts,
                     created_at=NOW, group_labels={}, common_labels={})
    return alerts, n


def test_every_channel_shows_the_same_strings():
    from slotui.channels import alertmanager, email, pagerduty, render, slack, webhook

    report = _report()
    alerts, n = _alerts(report)
    payloads = {
        "slack": json.dumps(slack.build_payload(n), ensure_ascii=False),
        "pagerduty": json.dumps(pagerduty.build_events(n, "rk"), ensure_ascii=False),
        "webhook": json.dumps(webhook.build_payload(n, "hook"), ensure_ascii=False),
        "email": email.text_body(n),
    }
    for r, alert in zip(report.results, alerts, strict=True):
        e = _expected(r)
        assert render.value_text(alert) == e["value"]
        assert render.budget_text(alert) == f"{e['budget']} left"
        assert f"target {'>=' if r.spec.direction == 'higher_is_better' else '<='} {e['threshold']}" in \
            render.target_text(alert)
        am = alertmanager.postable_alert(alert, NOW, ttl=3600)
        assert am["annotations"]["value"] == e["value"]
        for name, body in payloads.items():
            assert e["value"] in body, (name, r.spec.name)
            assert e["budget"] in body, (name, r.spec.name)
            assert e["threshold"] in body, (name, r.spec.name)
    # the value the issue names reads the same in every channel (never 100.00%)
    for body in payloads.values():
        assert "99.996%" in body and "100.00%" not in body


# ------------------------------------------------------------------ breakdown (SPEC 10.1): one line everywhere


def _breakdown_report():
    from dataclasses import replace

    from slotui.core.types import GroupData

    specs = (
        replace(SPECS[0], breakdown=("gen_ai.request.model",)),
        replace(SPECS[1], breakdown=("route",), sli_agg="p95"),
    )
    data = {
        # 1,000 events per model; gpt-4o-mini 90 bad, gpt-4o 10: the 1h window burns
        "availability": SLIData(buckets=((NOW - 600, 1900.0, 2000.0),), groups=(GroupData(
            "gen_ai.request.model", 3600.0, counts={"gpt-4o": (990.0, 1000.0), "gpt-4o-mini": (910.0, 1000.0)}),)),
        "response_time_p95_ms": SLIData(value=7300.0, slices=((NOW - 600, 7300.0),), groups=(GroupData(
            "route", 3600.0, values={"/chat": [1000.0, 1250.0, 1500.0, 1750.0, 2000.0],
                                     "/search": [4000.0, 6000.0, 8000.0]}),)),
    }
    return evaluate_all(specs, data, NOW)


def test_breakdown_top_contributor_reads_the_same_in_every_output():
    from slotui.channels import alertmanager, email, pagerduty, render, slack, webhook
    from slotui.output import json_report, junit, markdown, table

    report = _breakdown_report()
    avail, p95 = report.results
    assert avail.breakdowns[0].top.labels == {"gen_ai.request.model": "gpt-4o-mini"}
    assert p95.breakdowns[0].top.labels == {"route": "/search"}
    lines = {r.spec.name: fmt.format_contributor(r.breakdowns[0].top, r.spec) for r in report.results}
    # budget 0.005: its burn is (90 / 1000) / 0.005 = 18; without it 990 / 1000 = 99% misses 99.5%
    assert lines["availability"] == ("gen_ai.request.model=gpt-4o-mini: 90.0% of bad, 18.0x burn, "
                                     "91.00% good of 1,000; without it 99.00% (AT RISK)")
    assert lines["response_time_p95_ms"] == "route=/search: 7,800 ms of 3; without it 1,950 ms (OK)"
    assert fmt.breakdown_hint(p95.breakdowns, p95.spec, p95.status) == "without route=/search: 1,950 ms (OK)"

    text, md, xml = table.render(report), markdown.render(report), junit.render(report)
    js = {s["name"]: s for s in json.loads(json_report.render(report))["slos"]}
    alerts, n = _alerts(report)
    payloads = {
        "slack": json.dumps(slack.build_payload(n), ensure_ascii=False),
        "pagerduty": json.dumps(pagerduty.build_events(n, "rk"), ensure_ascii=False),
        "webhook": json.dumps(webhook.build_payload(n, "hook"), ensure_ascii=False),
        "email": email.text_body(n),
    }
    for r, alert in zip(report.results, alerts, strict=True):
        line = lines[r.spec.name]
        assert f"{r.spec.name}: {line}" in text
        assert markdown.escape_text(line) in md
        assert line.replace(">", "&gt;") in xml or line in xml
        assert js[r.spec.name]["breakdown"]["groups"][0]["display"] == line
        assert alert.annotations["top_contributors"] == line
        assert alertmanager.postable_alert(alert, NOW, ttl=3600)["annotations"]["top_contributors"] == line
        assert render.Fact("Top contributors", line) in render.facts(alert)
        for name, body in payloads.items():
            assert line in body, (name, r.spec.name)


def test_a_label_value_from_data_is_cut_where_people_read_it_and_whole_in_json():
    """A prompt used as a breakdown label by mistake gave a 100,000-character line in check's table,
    the main table's hint cell and the detail view; shown values are cut to 80 characters."""
    from dataclasses import replace

    from slotui.core.types import GroupData
    from slotui.output import json_report, table

    long = "q" * 100_000
    spec = replace(SPECS[0], breakdown=("prompt",))
    data = {"availability": SLIData(buckets=((NOW - 600, 1900.0, 2000.0),), groups=(GroupData(
        "prompt", 3600.0, counts={"short": (990.0, 1000.0), long: (910.0, 1000.0)}),))}
    report = evaluate_all((spec,), data, NOW)
    top = report.results[0].breakdowns[0].top
    assert top.labels == {"prompt": long}
    assert fmt.format_label_value(long) == "q" * 79 + "…" and fmt.format_label_value(long, ascii=True) == "q" * 77 + "..."
    assert fmt.format_label_value("q" * 80) == "q" * 80
    line = fmt.format_contributor(top, spec)
    assert line.startswith("prompt=" + "q" * 79 + "…: 90.0% of bad") and len(line) < 200
    assert fmt.breakdown_hint(report.results[0].breakdowns, spec, report.results[0].status, compact=True) == "← " + "q" * 79 + "…"
    assert max(len(x) for x in table.render(report).splitlines()) < 250
    group = json.loads(json_report.render(report))["slos"][0]["breakdown"]["groups"][0]
    assert group["labels"] == {"prompt": long} and group["display"] == line


def test_breakdown_top_group_in_the_metrics_exposition():
    from slotui.output import exposition

    text = exposition.render(_breakdown_report())
    # hand-worked: gpt-4o-mini 910 good of 1,000 (90 of 100 bad); without it 990 / 1,000
    assert 'slotui_breakdown_top_share_of_bad{slo="availability",by="gen_ai.request.model",group="gpt-4o-mini"} 0.9' in text
    assert 'slotui_breakdown_top_without{slo="availability",by="gen_ai.request.model",group="gpt-4o-mini"} 0.99' in text
    assert 'slotui_breakdown_top_events{slo="availability",by="gen_ai.request.model",group="gpt-4o-mini"} 1000' in text
    assert 'slotui_breakdown_top_value{slo="response_time_p95_ms",by="route",group="/search"} 7800' in text
    assert 'slotui_breakdown_top_without{slo="response_time_p95_ms",by="route",group="/search"} 1950' in text
    assert "slotui_breakdown_top_share_of_bad{slo=\"response_time_p95_ms\"" not in text  # threshold: no bad events


# ------------------------------------------------------------------ sample-aware SLIs (SPEC 10.2): one spread everywhere

SAMPLED_SPECS = (
    SLOSpec(name="judge_helpfulness", kind="threshold", target=0.85, warning=0.8, critical=0.7,
            direction="higher_is_better", source="logs", sli_field="evaluations.helpfulness", sli_agg="mean"),
    SLOSpec(name="judge_significant", kind="threshold", target=0.85, warning=0.8, critical=0.7,
            direction="higher_is_better", source="logs", sli_field="evaluations.helpfulness", sli_agg="mean",
            significant=True),
)
SAMPLED_DATA = {
    "judge_helpfulness": SLIData(value=0.78, n=12, stddev=0.11, slices=((NOW - 600, 0.78),)),
    "judge_significant": SLIData(value=0.78, n=12, stddev=0.11, slices=((NOW - 600, 0.78),)),
}


@pytest.mark.parametrize(("value", "n", "interval", "expected"), [
    (0.78, 12, (0.7101, 0.8499), "0.78 ± 0.0699, n=12"),
    (0.78, 1, None, "0.78, n=1"),
    (0.78, None, None, "0.78"),
    (1834.0, 1200, (1800.0, 1870.0), "1,834 ms ± 35 ms, n=1,200"),
])
def test_spreads(value, n, interval, expected):
    spec = SLOSpec(name="x", kind="threshold", target=1.0, direction="lower_is_better",
                   unit="ms" if value > 100 else "")
    assert fmt.format_spread(value, n, interval, spec) == expected


@pytest.mark.parametrize(("interval", "unit", "expected"), [
    ((0.71, 0.91), "", "0.71-0.91"),
    ((1200.0, 1500.0), "ms", "1,200-1,500 ms"),
    ((-1.841, 3.241), "", "-1.841 to 3.241"),  # "-1.841-3.241" reads as a range from -1.841 to -3.241
    ((-3.0, -1.0), "", "-3 to -1"),
    ((-20.0, 40.0), "ms", "-20 to 40 ms"),
])
def test_an_interval_with_a_negative_bound_is_written_with_to(interval, unit, expected):
    spec = SLOSpec(name="x", kind="threshold", target=1.0, direction="lower_is_better", unit=unit)
    assert fmt.format_interval(interval, spec) == expected


def test_sample_figures_are_the_same_in_every_output():
    from slotui.channels import alertmanager, email, pagerduty, render, slack, webhook
    from slotui.output import json_report, junit, markdown, table
    from slotui.tui import cells

    report = evaluate_all(SAMPLED_SPECS, SAMPLED_DATA, NOW)
    plain, judged = report.results
    assert plain.significant is False and judged.significant is False
    spread = fmt.result_spread(plain)
    assert spread == "0.78 ± 0.06989, n=12" and fmt.result_spread(judged) == spread
    note = "not significant (n=12, 95% CI 0.7101-0.8499)"
    assert note in judged.notes and note not in plain.notes

    text, md = table.render(report), markdown.render(report)
    js = {s["name"]: s for s in json.loads(json_report.render(report))["slos"]}
    xml = junit.render(report)
    for r in report.results:
        assert cells.value_cell(r, cells.Palette({})).plain.removesuffix(" (low)") == "~0.78"
        row = next(line for line in text.splitlines() if f" {r.spec.name} " in f" {line} ")
        assert " ~0.78 " in f" {row} "
        assert "| \\~0.78 |" in md  # the tilde escaped: GitHub reads ~x~ as strike-through
        d = js[r.spec.name]
        assert (d["n"], d["confidence"], d["significant"]) == (12, 0.95, False)
        assert d["display"]["spread"] == spread and d["display"]["value_cell"] == "~0.78"
        assert d["display"]["samples"] == "n=12, 95% CI 0.7101-0.8499, not significant"
        assert f"samples: {spread} (n=12, 95% CI 0.7101-0.8499, not significant)" in xml
    assert f"{judged.spec.name}: {note}" in text and note in md

    alerts, n = _alerts(report)
    payloads = {
        "slack": json.dumps(slack.build_payload(n), ensure_ascii=False),
        "pagerduty": json.dumps(pagerduty.build_events(n, "rk"), ensure_ascii=False),
        "webhook": json.dumps(webhook.build_payload(n, "hook"), ensure_ascii=False),
        "email": email.text_body(n),
    }
    for alert in alerts:
        assert render.Fact("Samples", spread) in render.facts(alert)
        assert alertmanager.postable_alert(alert, NOW, ttl=3600)["annotations"]["samples"] == spread
        assert alert.context["n"] == 12 and alert.context["significant"] is False
    for name, body in payloads.items():
        assert spread in body, name


# ------------------------------------------------------------------ spend forecasts (SPEC 10.4)

SPEND = SLOSpec(name="monthly_spend", kind="threshold", target=3000, warning=4000, critical=5000,
                direction="lower_is_better", source="logs", unit="usd", sli_field="gen_ai.usage.cost",
                sli_agg="sum", window=30 * DAY, period=30 * DAY, calendar_month=True, calendar_window="month",
                forecast=True)


def test_forecast_reads_the_same_in_every_output():
    from slotui.channels import alertmanager, email, pagerduty, render, slack, webhook
    from slotui.output import json_report, junit, markdown, table
    from slotui.tui import cells

    # June 1 12:00: the month is 12h old (the basis is cut to it): $150 in 12h is $300/day;
    # 29.5 days left: 1050 + 300 x 29.5 = 9900; $3,000 is gone (3000 - 1050) / 300 = 6.5 days later: Jun 8 00:00
    report = evaluate_all((SPEND,), {"monthly_spend": SLIData(value=1050.0, basis_value=150.0)}, NOW)
    (r,) = report.results
    expected = "$1,050 so far, $9,900 by Jun 30, budget gone Jun 8"
    assert fmt.forecast_text(r.forecast, SPEND) == expected
    assert cells.value_cell(r, cells.Palette({})).plain == "$1.1k→9.9k✖8" == fmt.forecast_cell(r.forecast, SPEND)
    assert fmt.forecast_cell(r.forecast, SPEND, ascii=True) == "$1.1k->9.9kx8"
    for text in (table.render(report), markdown.render(report), junit.render(report)):
        assert expected in text
    js = json.loads(json_report.render(report))["slos"][0]
    assert js["display"]["forecast"] == expected and js["forecast"]["exhausted_at"] == "2026-06-08T00:00:00Z"
    alerts, n = _alerts(report)
    (alert,) = alerts
    assert ("Forecast", expected) in [(f.label, f.value) for f in render.facts(alert)]
    assert alertmanager.postable_alert(alert, NOW, ttl=3600)["annotations"]["forecast"] == expected
    for body in (json.dumps(slack.build_payload(n), ensure_ascii=False),
                 json.dumps(pagerduty.build_events(n, "rk"), ensure_ascii=False),
                 json.dumps(webhook.build_payload(n, "hook"), ensure_ascii=False), email.text_body(n)):
        assert expected in body
        assert "SLI over the month so far: $1,050.00" in body
