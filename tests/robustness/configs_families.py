"""One valid SLO file with a placeholder in every numeric, duration, name and required field.

``render(field=value)`` gives the file with one field replaced (every other
placeholder gets its valid default); ``FIELDS`` says, per placeholder, the
key path slotui must name and the family it belongs to. The generators in
test_config_hostile_families.py combine these with the bad values of each family.
"""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATE = """\
defaults: {interval: @d.interval@, window: @d.window@, period: @d.period@, slice: @d.slice@, timeout: @d.timeout@, compliance: @d.compliance@, at_risk_below: @d.at_risk@}
sources:
  demo: {type: demo, rate: @src.rate@, max_concurrency: @src.maxc@, interval: @src.interval@, timeout: @src.timeout@}
  logs: {type: file, path: @file.path@, time_field: @file.time@}
  prom: {type: prometheus, url: @prom.url@, step: @prom.step@, bearer_token: @prom.token@}
slos:
  - name: @slo.name@
    source: demo
    sli: {field: duration_ms, agg: p95}
    objective: {target: @obj.target@, warning: @obj.warning@, critical: @obj.critical@, compliance: @obj.compliance@}
    window: @slo.window@
    period: @slo.period@
    slice: @slo.slice@
    min_events: @slo.min_events@
    at_risk_below: @slo.at_risk@
    for: @slo.for@
    service: @slo.service@
    unit: ms
    labels: {team: @slo.label@}
    burn_rate:
      - {severity: page, long: @br.long@, short: @br.short@, factor: @br.factor@}
      - {severity: ticket, long: 1d, short: 2h, budget: @br.budget@}
alerts:
  channels:
    mail: {type: email, host: @mail.host@, port: @mail.port@, from: @mail.from@, to: [b@example.com], timeout: @mail.timeout@}
    am: {type: alertmanager, url: @am.url@, alert_ttl: @am.ttl@, timeout: @am.timeout@}
    hook: {type: webhook, url: @hook.url@, timeout: @hook.timeout@}
    slack: {type: slack, webhook_url: @slack.url@, channel: @slack.channel@}
    pd: {type: pagerduty, routing_key: @pd.key@}
  routes:
    - {severity: page, channels: [am], match: {team: @route.match@}}
  group: {wait: @g.wait@, interval: @g.interval@, repeat: @g.repeat@}
  escalate: {warning_to_critical_after: @esc.w@, critical_to_page_after: @esc.c@}
alert_rules:
  - {name: @rule.name@, source: demo, condition: "avg(helpfulness_score) < 0.8", window: @rule.window@}
"""


@dataclass(frozen=True)
class Field:
    key: str        #: the key path slotui names
    default: str    #: a valid value (YAML)
    family: str     #: number, integer, duration, duration0, name, required, secret


FIELDS: dict[str, Field] = {
    # numbers
    "d.compliance": Field("defaults.compliance", "0.99", "number"),
    "d.at_risk": Field("defaults.at_risk_below", "0.25", "number"),
    "src.rate": Field("sources.demo.rate", "2", "number"),
    "obj.target": Field("slos[0].objective.target", "2000", "number"),
    "obj.warning": Field("slos[0].objective.warning", "3000", "number"),
    "obj.critical": Field("slos[0].objective.critical", "5000", "number"),
    "obj.compliance": Field("slos[0].objective.compliance", "0.99", "number"),
    "slo.at_risk": Field("slos[0].at_risk_below", "0.25", "number"),
    "br.factor": Field("slos[0].burn_rate[0].factor", "14.4", "number"),
    "br.budget": Field("slos[0].burn_rate[1].budget", "0.2", "number"),
    # integers
    "src.maxc": Field("sources.demo.max_concurrency", "4", "integer"),
    "slo.min_events": Field("slos[0].min_events", "1", "integer"),
    "mail.port": Field("alerts.channels.mail.port", "587", "integer"),
    # durations that must be longer than 0
    "d.interval": Field("defaults.interval", "30s", "duration"),
    "d.window": Field("defaults.window", "1h", "duration"),
    "d.period": Field("defaults.period", "7d", "duration"),
    "d.slice": Field("defaults.slice", "5m", "duration"),
    "d.timeout": Field("defaults.timeout", "10s", "duration"),
    "src.interval": Field("sources.demo.interval", "30s", "duration"),
    "src.timeout": Field("sources.demo.timeout", "5s", "duration"),
    "prom.step": Field("sources.prom.step", "1m", "duration"),
    "slo.window": Field("slos[0].window", "1h", "duration"),
    "slo.period": Field("slos[0].period", "7d", "duration"),
    "slo.slice": Field("slos[0].slice", "5m", "duration"),
    "br.long": Field("slos[0].burn_rate[0].long", "1h", "duration"),
    "br.short": Field("slos[0].burn_rate[0].short", "5m", "duration"),
    "mail.timeout": Field("alerts.channels.mail.timeout", "10s", "duration"),
    "am.ttl": Field("alerts.channels.am.alert_ttl", "6h", "duration"),
    "am.timeout": Field("alerts.channels.am.timeout", "10s", "duration"),
    "hook.timeout": Field("alerts.channels.hook.timeout", "5s", "duration"),
    "g.wait": Field("alerts.group.wait", "30s", "duration0"),
    "g.interval": Field("alerts.group.interval", "5m", "duration"),
    "g.repeat": Field("alerts.group.repeat", "4h", "duration"),
    "esc.w": Field("alerts.escalate.warning_to_critical_after", "30m", "duration"),
    "esc.c": Field("alerts.escalate.critical_to_page_after", "15m", "duration"),
    "rule.window": Field("alert_rules[0].window", "1 hour", "duration"),
    # a duration where 0 means "at once"
    "slo.for": Field("slos[0].for", "0s", "duration0"),
    # names and labels (logs, the TUI, notifications)
    "slo.name": Field("slos[0].name", "lat", "name"),
    "slo.service": Field("slos[0].service", "support-bot", "name"),
    "slo.label": Field("slos[0].labels.team", "ml", "name"),
    "slack.channel": Field("alerts.channels.slack.channel", "'#llm-alerts'", "name"),
    "route.match": Field("alerts.routes[0].match.team", "ml", "name"),
    "rule.name": Field("alert_rules[0].name", "Low Helpfulness Alert", "name"),
    # paths, URLs, hosts: required, never blank
    "file.path": Field("sources.logs.path", "requests.jsonl", "required"),
    "file.time": Field("sources.logs.time_field", "time", "required"),
    "prom.url": Field("sources.prom.url", "'http://127.0.0.1:9090'", "required"),
    "mail.host": Field("alerts.channels.mail.host", "smtp.example.com", "required"),
    "mail.from": Field("alerts.channels.mail.from", "a@example.com", "required"),
    "am.url": Field("alerts.channels.am.url", "'http://127.0.0.1:9093'", "required"),
    # secrets: required and never shown
    "hook.url": Field("alerts.channels.hook.url", "'https://hooks.example/slo'", "secret"),
    "slack.url": Field("alerts.channels.slack.webhook_url", "'https://hooks.slack.com/services/T/B/x'", "secret"),
    "pd.key": Field("alerts.channels.pd.routing_key", "R0UT1NGKEY000", "secret"),
}

#: optional secrets (unset means "no credential"): in the template, but no family
OPTIONAL = {"prom.token": "'tok-abcdef'"}


def render(**values: str) -> str:
    """The template with ``values`` for the named placeholders (dots as underscores) and defaults elsewhere."""
    text = TEMPLATE
    wanted = {k.replace("_", ".", 1) if k not in FIELDS else k: v for k, v in values.items()}
    for name, f in FIELDS.items():
        text = text.replace(f"@{name}@", wanted.get(name, f.default))
    for name, default in OPTIONAL.items():
        text = text.replace(f"@{name}@", default)
    assert "@" not in text.replace("b@example.com", "").replace("a@example.com", ""), text
    return text


def line_of(name: str) -> int:
    """1-based line of placeholder ``name`` in the template."""
    for i, line in enumerate(TEMPLATE.splitlines(), 1):
        if f"@{name}@" in line:
            return i
    raise KeyError(name)
