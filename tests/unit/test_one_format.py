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
    (123456.0, "usd", "threshold", "$123,456.00"),
    (0.9371, "score", "threshold", "0.9371 score"),
    (0.852, "", "threshold", "0.852"),
    (123456.0, "", "threshold", "123,456"),
    (math.nan, "ms", "threshold", "—"),
    (None, "", "ratio", "—"),
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


@pytest.mark.parametrize(("target", "direction", "unit", "kind", "expected"), [
    (2000, "lower_is_better", "ms", "threshold", "≤ 2,000 ms"),
    (0.85, "higher_is_better", "score", "threshold", "≥ 0.85"),
    (0.995, "higher_is_better", "", "ratio", "≥ 99.50%"),
    (0.99995, "higher_is_better", "", "ratio", "≥ 99.995%"),
    (0.05, "lower_is_better", "usd", "threshold", "≤ $0.05"),
    (180000, "lower_is_better", "usd", "threshold", "≤ $180,000"),  # a spend budget fits the target column
    (1234.5, "lower_is_better", "usd", "threshold", "≤ $1,234.50"),
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
