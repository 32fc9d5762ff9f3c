"""Routes (severity, label matchers, continue), the no-routes default, and the seed's
LangSmith-style rule ``notification: {type: slack, channel: "#llm-alerts"}`` end to end."""

from __future__ import annotations

from slotui.alerting.lifecycle import AlertPolicy, group_key, step
from slotui.alerting.routes import OPTION_NOTIFY_TYPE, Router, notification_options
from slotui.config.loader import load_text
from slotui.config.model import Route
from slotui.core.types import Report, SLOResult, Status

T0 = 1_780_000_000.0
TYPES = {"team-slack": "slack", "team-email": "email", "oncall": "pagerduty", "am": "alertmanager"}


def test_severity_routes_collect_channels_in_order_with_continue_by_default():
    r = Router(
        [
            Route(severity="warning", channels=["team-slack"]),
            Route(severity="critical", channels=["team-slack", "team-email"]),
            Route(severity="page", channels=["oncall", "am"]),
            Route(match={"team": "llm"}, channels=["team-email"]),
        ],
        TYPES,
    )
    assert r.route({"severity": "warning"}) == ["team-slack"]
    assert r.route({"severity": "warning", "team": "llm"}) == ["team-slack", "team-email"]
    assert r.route({"severity": "critical", "team": "llm"}) == ["team-slack", "team-email"]
    assert r.route({"severity": "page"}) == ["oncall", "am"]
    assert r.route({"severity": "info"}) == []


def test_continue_false_stops_at_the_first_match_and_unknown_channels_are_ignored():
    r = Router(
        [
            Route.model_validate({"match": {"service": "billing"}, "channels": ["oncall"], "continue": False}),
            Route(severity="critical", channels=["team-slack", "nowhere"]),
        ],
        TYPES,
    )
    assert r.route({"severity": "critical", "service": "billing"}) == ["oncall"]
    assert r.route({"severity": "critical", "service": "search"}) == ["team-slack"]


def test_without_routes_every_channel_gets_every_alert():
    r = Router([], {"audit": "file", "hook": "webhook"})
    assert r.route({"severity": "warning"}) == ["audit", "hook"]


def test_rule_notification_picks_channels_of_that_type_and_sets_the_slack_channel():
    opts = notification_options({"notification": {"type": "slack", "channel": "#llm-alerts"}})
    assert opts == {OPTION_NOTIFY_TYPE: "slack", "slack_channel": "#llm-alerts"}
    r = Router([Route(severity="warning", channels=["oncall"])], TYPES)
    assert r.route({"severity": "warning"}, opts) == ["team-slack"]
    assert r.channel_options("team-slack", opts) == {"slack_channel": "#llm-alerts"}
    assert r.channel_options("oncall", opts) == {}
    # no channel of that type configured: the routes apply
    r2 = Router([Route(severity="warning", channels=["oncall"])], {"oncall": "pagerduty"})
    assert r2.route({"severity": "warning"}, opts) == ["oncall"]
    assert group_key({"severity": "warning"}, ["severity"], opts) == '{severity="warning"}/slack:#llm-alerts'


SEED = """
version: 1
sources:
  demo: {type: demo}
slos:
  - name: latency_p95_ms
    source: demo
    sli: {field: duration_s, agg: p95}
    objective: {target: 2.0, warning: 3.0, critical: 5.0}
alert_rules:
  - name: low_helpfulness
    condition: "avg(helpfulness_score) < 0.8"
    window: "1 hour"
    notification: {type: slack, channel: "#llm-alerts"}
alerts:
  channels:
    team-slack: {type: slack, webhook_url: "https://hooks.slack.com/services/T0/B0/secret"}
    oncall: {type: pagerduty, routing_key: "rk-secret"}
  routes:
    - {severity: warning, channels: [oncall]}
  group: {wait: 10s}
"""


def test_the_seed_langsmith_rule_works_as_written():
    loaded = load_text(SEED, name="slos.yaml")
    rule = loaded.spec("low_helpfulness")
    latency = loaded.spec("latency_p95_ms")
    policy = AlertPolicy.from_config(loaded.config.alerts)
    assert policy.group_wait == 10.0
    report = Report(
        T0,
        (
            SLOResult(rule, Status.WARNING, T0, value=0.72),
            SLOResult(latency, Status.WARNING, T0, value=3.5),
        ),
    )
    res = step(report, {}, {}, [], policy, T0)
    assert res.notifications == []
    res = step(report, res.states, res.groups, [], policy, T0 + 10)
    by_channel = {n.channel: n for n in res.notifications}
    assert sorted(by_channel) == ["oncall", "team-slack"]
    slack = by_channel["team-slack"]
    assert [a.slo for a in slack.alerts] == ["low_helpfulness"]
    assert slack.options == {"slack_channel": "#llm-alerts"}
    assert slack.alerts[0].labels["alertname"] == "low_helpfulness"
    assert "0.72" in slack.alerts[0].summary
    assert [a.slo for a in by_channel["oncall"].alerts] == ["latency_p95_ms"]
    assert by_channel["oncall"].options == {}


def test_route_matchers_have_alertmanager_semantics():
    # Routes only knew `match` (equality): an Alertmanager user's `matchers` was an unknown key.
    r = Router(
        [
            Route(matchers=['slo=~"help.*"', "team!=core"], channels=["team-email"]),
            Route(matchers=['slo!~"help.*|latency"'], channels=["oncall"]),
            Route(matchers=['env=""'], channels=["am"]),
        ],
        TYPES,
    )
    assert r.route({"slo": "helpfulness", "team": "llm", "env": "prod"}) == ["team-email"]
    # regexes are anchored at both ends: "help" alone is not "helpfulness", and "xhelp" is no match
    assert r.route({"slo": "xhelpfulness", "env": "prod"}) == ["oncall"]
    assert r.route({"slo": "help", "env": "prod"}) == ["team-email"]
    # a label the alert lacks is "": team!=core holds, env="" holds
    assert r.route({"slo": "helpfulness"}) == ["team-email", "am"]
    assert r.route({"slo": "helpfulness", "team": "core", "env": "prod"}) == []
    assert r.route({"slo": "latency", "env": "prod"}) == []


def test_route_match_treats_a_missing_label_as_empty():
    r = Router([Route(match={"team": ""}, channels=["oncall"])], TYPES)
    assert r.route({"severity": "page"}) == ["oncall"]
    assert r.route({"severity": "page", "team": "llm"}) == []


def test_route_matchers_from_the_file_are_checked_with_file_line_and_key():
    import pytest

    from slotui.config.errors import ConfigError

    base = "version: 1\nsources: {d: {type: demo}}\nslos:\n  - {name: helpfulness, sli: {field: evaluations.helpfulness, agg: mean}, objective: {target: 0.85, warning: 0.8}}\nalerts:\n  channels: {f: {type: file, path: x.jsonl}}\n  routes:\n"
    good = load_text(base + "    - {matchers: ['slo=~\"help.*\"'], channels: [f]}\n", name="slos.yaml")
    assert Router(good.config.alerts.routes, {"f": "file"}).route({"slo": "helpfulness"}) == ["f"]
    for bad, expected in (("slo=~(help", "invalid regular expression"), ("=x", "invalid matcher")):
        with pytest.raises(ConfigError) as err:
            load_text(base + f"    - {{matchers: ['{bad}'], channels: [f]}}\n", name="slos.yaml")
        message = str(err.value)
        assert "slos.yaml:8:" in message and "alerts.routes[0].matchers[0]" in message and expected in message
