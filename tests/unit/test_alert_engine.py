"""The pure alert engine driven by a fake clock: group_wait / group_interval / repeat_interval,
``for:``, escalation, inhibition, flapping, silences (exact expiry), acknowledge, send_resolved."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from slotui.alerting.lifecycle import AlertPolicy, acknowledge, flush_due, next_flush, step
from slotui.alerting.routes import Router
from slotui.alerting.silence import Matcher, snooze
from slotui.config.model import Route
from slotui.core.types import Budget, BurnRate, Report, SLOResult, SLOSpec, Status

T0 = 1_780_000_000.0
C, W, OK, STALE, NODATA = Status.CRITICAL, Status.WARNING, Status.OK, Status.STALE, Status.NO_DATA


def spec(name: str = "helpfulness", *, for_: float = 0.0, labels=None, params=None, runbook=None) -> SLOSpec:
    return SLOSpec(
        name=name, kind="threshold", target=0.85, direction="higher_is_better", warning=0.80, critical=0.70,
        for_=for_, labels=labels or {"service": "support-bot"}, params=params or {}, runbook=runbook,
    )


def result(s: SLOSpec, status: Status, now: float, value: float = 0.5) -> SLOResult:
    return SLOResult(
        spec=s, status=status, evaluated_at=now, value=value,
        budget=Budget(budget=0.01, consumed=1.2, remaining=-0.2),
        burn_rates=(BurnRate("critical", 3600, 300, 14.4, 20.0, 30.0, 100, 10, True, False),),
    )


def policy(channels=("hook",), routes=(), **kw) -> AlertPolicy:
    return AlertPolicy(router=Router(list(routes), {c: "webhook" for c in channels}), **kw)


@dataclass
class Sim:
    """Feeds reports to the engine, keeping its state like the store would."""

    policy: AlertPolicy
    states: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    silences: list = field(default_factory=list)
    sent: list = field(default_factory=list)
    events: list = field(default_factory=list)

    def tick(self, now: float, statuses: list[tuple[SLOSpec, Status]], *, flush_now: bool = False):
        report = Report(now, tuple(result(s, st, now) for s, st in statuses))
        res = step(report, self.states, self.groups, self.silences, self.policy, now, flush_now=flush_now)
        self.states, self.groups = res.states, res.groups
        self.sent.extend(res.notifications)
        self.events.extend(res.events)
        return res.notifications

    def run(self, start: float, end: float, statuses, every: float = 10.0):
        out = []
        t = start
        while t <= end:
            out.extend((t, n) for n in self.tick(t, statuses))
            t += every
        return out

    def ack(self, slo: str, now: float, by: str = "alice"):
        res = acknowledge(self.states, self.groups, slo, by, self.policy, now)
        self.states, self.groups = res.states, res.groups
        self.sent.extend(res.notifications)
        return res


S = spec()


def test_group_wait_delays_the_first_notification_by_30s():
    sim = Sim(policy())
    assert sim.tick(T0, [(S, C)]) == []
    assert sim.states["helpfulness:critical"].state == "firing"
    assert sim.tick(T0 + 29.999, [(S, C)]) == []
    sent = sim.tick(T0 + 30, [(S, C)])
    assert [n.kind for n in sent] == ["trigger"]
    n = sent[0]
    assert n.channel == "hook" and n.status == "firing"
    assert [a.fingerprint for a in n.alerts] == ["helpfulness:critical"]  # warning is inhibited
    assert n.group_labels == {"severity": "critical"}


def test_group_interval_batches_later_alerts_and_repeat_interval_resends():
    other = spec("latency")
    sim = Sim(policy())
    sim.tick(T0, [(S, C), (other, OK)])
    assert len(sim.tick(T0 + 30, [(S, C), (other, OK)])) == 1
    # a second SLO joins the flushed group: it waits for the group_interval tick, not group_wait
    got = sim.run(T0 + 40, T0 + 329, [(S, C), (other, C)])
    assert got == []
    got = sim.tick(T0 + 330, [(S, C), (other, C)])
    assert len(got) == 1 and sorted(a.slo for a in got[0].alerts) == ["helpfulness", "latency"]
    assert got[0].title == "[FIRING:2] critical: helpfulness, latency"
    # nothing changes: flushes every 5m send nothing until 4h after the last notification
    got = sim.run(T0 + 340, T0 + 330 + 4 * 3600 - 10, [(S, C), (other, C)])
    assert got == []
    got = sim.tick(T0 + 330 + 4 * 3600, [(S, C), (other, C)])
    assert len(got) == 1 and got[0].kind == "trigger" and len(got[0].alerts) == 2


def test_for_keeps_an_alert_pending_and_a_short_blip_sends_nothing():
    s = spec(for_=120)
    sim = Sim(policy())
    sim.tick(T0, [(s, C)])
    assert sim.states["helpfulness:critical"].state == "pending"
    assert sim.run(T0 + 10, T0 + 110, [(s, C)]) == []
    assert sim.states["helpfulness:critical"].state == "pending"
    sim.tick(T0 + 120, [(s, C)])
    rec = sim.states["helpfulness:critical"]
    assert rec.state == "firing" and rec.fired_at == T0 + 120 and rec.active_since == T0
    assert sim.tick(T0 + 149, [(s, C)]) == []
    sent = sim.tick(T0 + 150, [(s, C)])
    assert len(sent) == 1 and sent[0].alerts[0].starts_at == T0

    blip = Sim(policy())
    blip.tick(T0, [(s, C)])
    blip.tick(T0 + 60, [(s, OK)])
    assert "helpfulness:critical" not in blip.states
    assert blip.run(T0 + 70, T0 + 1000, [(s, OK)]) == []
    assert [e.kind for e in blip.events if e.fingerprint == "helpfulness:critical"] == ["pending", "forgotten"]


def test_resolve_is_sent_at_the_next_flush_and_only_to_channels_that_want_it():
    p = policy(channels=("hook", "quiet"), send_resolved={"hook": True, "quiet": False})
    sim = Sim(p)
    sim.tick(T0, [(S, C)])
    assert sorted(n.channel for n in sim.tick(T0 + 30, [(S, C)])) == ["hook", "quiet"]
    sim.tick(T0 + 100, [(S, OK)])
    assert sim.states["helpfulness:critical"].state == "resolved"
    assert sim.run(T0 + 110, T0 + 320, [(S, OK)]) == []
    sent = sim.tick(T0 + 330, [(S, OK)])
    assert [(n.channel, n.kind, n.status) for n in sent] == [("hook", "resolve", "resolved")]
    a = sent[0].alerts[0]
    assert a.state == "resolved" and a.ends_at == T0 + 100
    assert sim.groups['{severity="critical"}'].members == []
    assert sim.run(T0 + 340, T0 + 5 * 3600, [(S, OK)]) == []


def test_an_alertmanager_channel_gets_the_resolve_even_with_send_resolved_false():
    # Without the resolve, Alertmanager keeps the alert firing (and its receivers repeat it) until alert_ttl.
    from slotui.config.loader import load_text

    text = (
        "version: 1\nsources: {d: {type: demo}}\n"
        "slos:\n  - {name: helpfulness, sli: {field: evaluations.helpfulness, agg: mean},"
        " objective: {target: 0.85, warning: 0.8, critical: 0.7}}\n"
        "alerts:\n  channels:\n"
        "    am: {type: alertmanager, url: 'http://127.0.0.1:9093', send_resolved: false}\n"
        "    quiet: {type: webhook, url: 'http://127.0.0.1:1/h', send_resolved: false}\n"
    )
    loaded = load_text(text, name="slos.yaml")
    assert any("alerts.channels.am.send_resolved: false is ignored" in w for w in loaded.warnings)
    assert not any("quiet" in w for w in loaded.warnings)
    p = AlertPolicy.from_config(loaded.config.alerts)
    assert (p.sends_resolved("am"), p.sends_resolved("quiet")) == (True, False)
    sim = Sim(p)
    sim.tick(T0, [(S, C)])
    assert sorted(n.channel for n in sim.tick(T0 + 30, [(S, C)])) == ["am", "quiet"]
    sim.tick(T0 + 100, [(S, OK)])
    sent = sim.tick(T0 + 330, [(S, OK)])
    assert [(n.channel, n.kind, [a.state for a in n.alerts]) for n in sent] == [("am", "resolve", ["resolved"])]


def test_flapping_within_group_interval_sends_nothing_extra():
    sim = Sim(policy())
    sim.tick(T0, [(S, C)])
    assert len(sim.tick(T0 + 30, [(S, C)])) == 1
    # fire / resolve / fire / resolve / fire, all between two flushes
    for i, st in enumerate([OK, C, OK, C]):
        assert sim.tick(T0 + 60 + 60 * i, [(S, st)]) == []
    assert sim.tick(T0 + 330, [(S, C)]) == []
    rec = sim.states["helpfulness:critical"]
    assert rec.state == "firing" and rec.transition_id == 5
    # flapping that ends resolved at a flush sends one resolve
    sim.tick(T0 + 400, [(S, OK)])
    sent = sim.tick(T0 + 630, [(S, OK)])
    assert [n.kind for n in sent] == ["resolve"]
    assert len(sim.sent) == 2


def test_inhibition_critical_suppresses_warning_and_releases_it_when_critical_clears():
    sim = Sim(policy())
    sim.tick(T0, [(S, W)])
    sent = sim.tick(T0 + 30, [(S, W)])
    assert [(n.group_labels["severity"], [a.severity for a in n.alerts]) for n in sent] == [("warning", ["warning"])]
    sim.tick(T0 + 60, [(S, C)])
    assert sim.states["helpfulness:warning"].inhibited
    assert sim.states["helpfulness:warning"].state == "firing"  # still recorded as firing
    sent = sim.tick(T0 + 90, [(S, C)])  # new critical group flushes after group_wait
    assert [(n.group_labels["severity"], [a.severity for a in n.alerts]) for n in sent] == [("critical", ["critical"])]
    # the inhibited warning group stays quiet; the critical group repeats 4h after its first notification
    got = sim.run(T0 + 100, T0 + 4 * 3600 + 200, [(S, C)])
    assert [(t - T0, n.group_labels["severity"]) for t, n in got] == [(90 + 4 * 3600, "critical")]
    assert len([n for n in sim.sent if n.group_labels["severity"] == "warning"]) == 1
    # back to WARNING: critical resolves (sent), warning is uninhibited
    t = T0 + 5 * 3600
    sim.tick(t, [(S, W)])
    assert not sim.states["helpfulness:warning"].inhibited
    assert sim.states["helpfulness:critical"].state == "resolved"


def test_escalation_critical_to_page_after_15m_and_warning_to_critical():
    routes = [
        Route(severity="warning", channels=["slack"]),
        Route(severity="critical", channels=["slack"]),
        Route(severity="page", channels=["pager"]),
    ]
    p = policy(channels=("slack", "pager"), routes=routes, critical_to_page_after=900.0)
    sim = Sim(p)
    sim.tick(T0, [(S, C)])
    assert [n.channel for n in sim.tick(T0 + 30, [(S, C)])] == ["slack"]
    sim.tick(T0 + 899, [(S, C)])
    assert "helpfulness:page" not in sim.states
    sim.tick(T0 + 900, [(S, C)])
    page = sim.states["helpfulness:page"]
    assert page.state == "firing" and page.escalated
    assert sim.states["helpfulness:critical"].inhibited
    sent = sim.tick(T0 + 930, [(S, C)])
    assert [(n.channel, n.alerts[0].severity) for n in sent] == [("pager", "page")]
    assert "escalated to page" in sent[0].alerts[0].summary
    # recovery resolves the page too
    sim.tick(T0 + 1000, [(S, OK)])
    assert sim.states["helpfulness:page"].state == "resolved"

    w2c = Sim(policy(warning_to_critical_after=600.0))
    w2c.tick(T0, [(S, W)])
    w2c.tick(T0 + 599, [(S, W)])
    assert "helpfulness:critical" not in w2c.states
    w2c.tick(T0 + 600, [(S, W)])
    assert w2c.states["helpfulness:critical"].state == "firing"
    assert w2c.states["helpfulness:critical"].escalated
    assert w2c.states["helpfulness:warning"].inhibited


def test_silenced_alert_is_recorded_not_sent_and_expiry_is_exact_to_the_second():
    sim = Sim(policy())
    sil = snooze([Matcher("slo", "=", "helpfulness")], 330.0, T0, "alice", "deploy")
    sim.silences = [sil]
    sim.tick(T0, [(S, C)])
    rec = sim.states["helpfulness:critical"]
    assert rec.state == "firing" and rec.silenced_by == (sil.id,)
    assert sim.run(T0 + 10, T0 + 329.5, [(S, C)], every=0.5) == []
    assert sim.states["helpfulness:critical"].silenced
    # the silence ends at T0 + 330 exactly (half-open); that is also the group's flush tick
    sent = sim.tick(T0 + 330, [(S, C)])
    assert not sim.states["helpfulness:critical"].silenced
    assert [n.kind for n in sent] == ["trigger"]
    assert any(e.kind == "unsilenced" and e.at == T0 + 330 for e in sim.events)


def test_a_silence_one_millisecond_longer_still_holds_at_that_tick():
    sim = Sim(policy())
    sim.silences = [snooze([Matcher("slo", "=", "helpfulness")], 330.001, T0, "alice")]
    sim.tick(T0, [(S, C)])
    assert sim.run(T0 + 30, T0 + 330, [(S, C)], every=30) == []
    assert len(sim.tick(T0 + 630, [(S, C)])) == 1


def test_resolve_of_a_notified_alert_is_sent_even_when_silenced_later():
    sim = Sim(policy())
    sim.tick(T0, [(S, C)])
    assert len(sim.tick(T0 + 30, [(S, C)])) == 1
    sim.silences = [snooze([Matcher("slo", "=", "helpfulness")], 3600, T0 + 40, "alice")]
    sim.tick(T0 + 50, [(S, C)])
    assert sim.tick(T0 + 330, [(S, C)]) == []  # no repeat / no new trigger while silenced
    sim.tick(T0 + 400, [(S, OK)])
    sent = sim.tick(T0 + 630, [(S, OK)])
    assert [n.kind for n in sent] == ["resolve"]  # the receiver was told it fires, so it learns it ended


def test_acknowledge_sends_ack_stops_repeats_until_resolve_and_escalation_still_notifies():
    routes = [Route(severity="critical", channels=["pd"]), Route(severity="page", channels=["pd"])]
    p = policy(channels=("pd",), routes=routes, critical_to_page_after=3 * 3600.0)
    sim = Sim(p)
    sim.tick(T0, [(S, C)])
    sim.tick(T0 + 30, [(S, C)])
    res = sim.ack("helpfulness", T0 + 60)
    assert [(n.kind, n.channel, [a.fingerprint for a in n.alerts]) for n in res.notifications] == [
        ("acknowledge", "pd", ["helpfulness:critical"])
    ]
    assert sim.states["helpfulness:critical"].acked_by == "alice"
    assert sim.ack("helpfulness", T0 + 70).notifications == []  # already acked
    # no repeat at 4h (acked) but the page escalation at 3h notifies
    got = sim.run(T0 + 90, T0 + 5 * 3600, [(S, C)], every=30)
    assert [(n.kind, n.alerts[0].severity) for _, n in got] == [("trigger", "page")]
    # resolve clears the ack; a new firing is notified again
    sim.tick(T0 + 6 * 3600, [(S, OK)])
    assert sim.states["helpfulness:critical"].acked_at is None
    sim.tick(T0 + 7 * 3600, [(S, C)])
    sent = sim.run(T0 + 7 * 3600 + 10, T0 + 7 * 3600 + 400, [(S, C)])
    assert any(n.kind == "trigger" and n.alerts[0].severity == "critical" for _, n in sent)


def test_stale_holds_alerts_and_no_data_resolves():
    sim = Sim(policy())
    sim.tick(T0, [(S, C)])
    sim.tick(T0 + 30, [(S, C)])
    sim.tick(T0 + 60, [(S, STALE)])
    assert sim.states["helpfulness:critical"].state == "firing"
    sim.tick(T0 + 90, [(S, NODATA)])
    assert sim.states["helpfulness:critical"].state == "resolved"


def test_no_data_from_a_source_error_holds_alerts_like_stale():
    """A process that never got a good answer from a failing source (``check --notify`` from cron,
    a daemon restarted during the outage) sees NO DATA with the error, not STALE: it resolved the
    firing alert and sent a resolve while the service was still broken."""
    from dataclasses import replace

    sim = Sim(policy())
    sim.tick(T0, [(S, C)])
    assert [n.kind for n in sim.tick(T0 + 30, [(S, C)])] == ["trigger"]
    outage = replace(result(S, NODATA, T0 + 60, value=None), error="file not found: requests.jsonl")
    res = step(Report(T0 + 60, (outage,)), sim.states, sim.groups, [], sim.policy, T0 + 60)
    sim.states, sim.groups = res.states, res.groups
    assert sim.states["helpfulness:critical"].state == "firing" and res.notifications == []
    # nothing is sent through the outage, however long; nothing new fires either
    for t in range(90, 4 * 3600, 300):
        res = step(Report(T0 + t, (replace(outage, evaluated_at=T0 + t),)), sim.states, sim.groups, [],
                   sim.policy, T0 + t)
        sim.states, sim.groups = res.states, res.groups
        assert all(n.kind != "resolve" for n in res.notifications)
    assert sim.states["helpfulness:critical"].state == "firing"
    # a NO DATA without an error (the source answered: nothing in the window) still resolves
    sim.tick(T0 + 5 * 3600, [(S, NODATA)])
    assert sim.states["helpfulness:critical"].state == "resolved"


def test_group_by_slo_gives_one_notification_per_slo_and_flush_now_skips_group_wait():
    other = spec("latency")
    sim = Sim(policy(group_by=("slo",)))
    sent = sim.tick(T0, [(S, C), (other, C)], flush_now=True)
    assert sorted(n.group_key for n in sent) == ['{slo="helpfulness"}', '{slo="latency"}']
    # each group holds both severities of its SLO; the inhibited warning is left out of the notification
    assert sorted(sim.groups['{slo="latency"}'].members) == ["latency:critical", "latency:warning"]
    assert all([a.severity for a in n.alerts] == ["critical"] for n in sent)


def test_group_by_dots_makes_each_alert_its_own_group_with_all_its_labels():
    # Alertmanager's group_by: ['...'] groups by every label. It was read as a label named "...",
    # absent from every alert, so all alerts shared one group {...=""} and one notification.
    other = spec("latency", labels={"service": "search", "team": "llm"})
    sim = Sim(policy(group_by=("...",)))
    sent = sim.tick(T0, [(S, C), (other, W)], flush_now=True)
    assert len(sent) == 2
    by_slo = {n.alerts[0].slo: n for n in sent}
    assert sorted(by_slo) == ["helpfulness", "latency"]
    for n in sent:
        assert len(n.alerts) == 1
        assert n.group_labels == n.alerts[0].labels  # every label names the group
    assert by_slo["latency"].group_labels["team"] == "llm"
    assert by_slo["latency"].group_key.startswith('{alertname="')
    assert 'severity="warning"' in by_slo["latency"].group_key and 'slo="latency"' in by_slo["latency"].group_key
    # the inhibited warning of helpfulness is a group of its own, with nothing to send
    assert sorted(len(g.members) for g in sim.groups.values()) == [1, 1, 1]


def test_group_labels_name_only_the_group_by_labels_the_alerts_carry():
    # Alertmanager's webhook groupLabels leave out a group_by label the alerts do not have;
    # slotui sent {"team": ""}.
    with_team = spec("latency", labels={"service": "search", "team": "llm"})
    sim = Sim(policy(group_by=("team", "severity")))
    sent = sim.tick(T0, [(S, C), (with_team, C)], flush_now=True)
    by_slo = {n.alerts[0].slo: n for n in sent}
    assert by_slo["helpfulness"].group_labels == {"severity": "critical"}
    assert by_slo["helpfulness"].webhook_v4()["groupLabels"] == {"severity": "critical"}
    assert by_slo["latency"].group_labels == {"team": "llm", "severity": "critical"}
    assert by_slo["helpfulness"].group_key == '{team="",severity="critical"}'


def test_group_key_quotes_values_so_different_label_sets_never_share_a_group():
    from slotui.alerting.lifecycle import group_key

    forged = group_key({"a": 'x",b="y'}, ["a", "b"])
    plain = group_key({"a": "x", "b": "y"}, ["a", "b"])
    assert plain == '{a="x",b="y"}'
    assert forged == '{a="x\\",b=\\"y",b=""}'
    assert group_key({"a": "back\\slash"}, ["a"]) == '{a="back\\\\slash"}'


@pytest.mark.parametrize("by", [["...", "slo"], ["slo", "..."]])
def test_group_by_dots_with_other_labels_is_a_config_error(by):
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_text

    text = "version: 1\nsources: {d: {type: demo}}\nalerts:\n  group: {by: %s}\n" % by
    with pytest.raises(ConfigError) as err:
        load_text(text.replace("'", '"'), name="slos.yaml")
    message = str(err.value)
    assert "slos.yaml" in message and "group.by" in message.replace("alerts.", "") and "'...'" in message


def test_an_slo_removed_from_the_config_resolves():
    other = spec("latency")
    sim = Sim(policy())
    sim.tick(T0, [(S, C), (other, C)])
    sim.tick(T0 + 30, [(S, C), (other, C)])
    sim.tick(T0 + 60, [(S, C)])
    assert sim.states["latency:critical"].state == "resolved"
    assert sim.states["helpfulness:critical"].state == "firing"


def test_notification_context_labels_and_annotations():
    s = spec(runbook="https://runbooks.example/helpfulness", labels={"service": "support-bot", "team": "llm"})
    sim = Sim(policy())
    sent = sim.tick(T0, [(s, C)], flush_now=True)
    a = sent[0].alerts[0]
    assert a.fingerprint == "helpfulness:critical"
    assert {k: a.labels[k] for k in ("alertname", "slo", "service", "severity", "source", "team")} == {
        "alertname": "SLOThreshold", "slo": "helpfulness", "service": "support-bot",
        "severity": "critical", "source": "demo", "team": "llm",
    }
    ann = a.annotations
    assert ann["summary"] == "helpfulness is CRITICAL: 0.5 (target >= 0.85, warning < 0.8, critical < 0.7)"
    assert ann["runbook_url"] == "https://runbooks.example/helpfulness"
    assert ann["budget_remaining"] == "-20.0%"
    assert "1h/5m 20.0x/30.0x (>14.4x FIRING)" in ann["burn_rates"]
    assert ann["silence_command"].startswith("slotui silence add slo=helpfulness -d 1h")
    assert ann["firing_for"] == "0s" and ann["window"] == "1h"
    assert a.context["value"] == 0.5 and a.context["budget_remaining"] == -0.2
    body = sent[0].webhook_v4()
    assert body["version"] == "4" and body["status"] == "firing"
    assert body["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert body["commonLabels"]["slo"] == "helpfulness"


def test_step_does_not_mutate_its_inputs():
    sim = Sim(policy())
    sim.tick(T0, [(S, C)])
    before = {fp: r.to_dict() for fp, r in sim.states.items()}
    groups_before = {k: g.to_dict() for k, g in sim.groups.items()}
    step(Report(T0 + 30, (result(S, OK, T0 + 30),)), sim.states, sim.groups, [], sim.policy, T0 + 30)
    assert {fp: r.to_dict() for fp, r in sim.states.items()} == before
    assert {k: g.to_dict() for k, g in sim.groups.items()} == groups_before


def test_flush_due_runs_the_group_timers_between_evaluations_and_changes_no_alert():
    """A daemon tick without a new evaluation (replay between two steps): the due group flushes
    as :func:`step` with the same statuses would (group wait, then repeat), the silences in force
    at that moment apply, and a pending alert stays pending though its ``for:`` has elapsed."""
    slow = spec("slow", for_=60.0)
    sim = Sim(policy(group_interval=300.0, repeat_interval=3600.0))
    sim.tick(T0, [(S, C), (slow, C)])
    assert next_flush(sim.groups) == T0 + 30
    twin = Sim(sim.policy, dict(sim.states), dict(sim.groups))
    before = ({fp: r.to_dict() for fp, r in sim.states.items()}, {k: g.to_dict() for k, g in sim.groups.items()})
    assert flush_due(sim.states, sim.groups, [], sim.policy, T0 + 29.5).notifications == []
    res = flush_due(sim.states, sim.groups, [], sim.policy, T0 + 90)
    assert (({fp: r.to_dict() for fp, r in sim.states.items()}, {k: g.to_dict() for k, g in sim.groups.items()})
            == before)  # inputs untouched
    assert [(n.kind, [a.fingerprint for a in n.alerts]) for n in res.notifications] == [
        ("trigger", ["helpfulness:critical"])]
    assert res.states["slow:critical"].state == "pending" and not res.events  # only a step fires it
    # a step at that moment also sends the group, with ``slow`` fired by it
    by_step = twin.tick(T0 + 90, [(S, C), (slow, C)])
    assert [(n.kind, [a.fingerprint for a in n.alerts]) for n in by_step] == [
        ("trigger", ["helpfulness:critical", "slow:critical"])]
    assert next_flush(res.groups) == T0 + 390
    # silenced from T0 + 3000 to T0 + 3700: the repeat due at T0 + 3690 is muted, then goes out
    sil = snooze([Matcher("slo", "=", "helpfulness")], 700.0, T0 + 3000, "alice")
    muted = flush_due(res.states, res.groups, [sil], sim.policy, T0 + 3690)
    assert muted.notifications == [] and muted.states["helpfulness:critical"].silenced
    later = flush_due(muted.states, muted.groups, [sil], sim.policy, T0 + 3990)
    assert [n.kind for n in later.notifications] == ["trigger"] and not later.states["helpfulness:critical"].silenced
    # a group whose alerts all resolved and were flushed is no longer due
    gone = step(Report(T0 + 4000, ()), later.states, later.groups, [], sim.policy, T0 + 4000)
    assert next_flush(gone.groups) == T0 + 4290
    done = flush_due(gone.states, gone.groups, [], sim.policy, T0 + 4290)
    assert [n.kind for n in done.notifications] == ["resolve"] and next_flush(done.groups) is None


@pytest.mark.parametrize("restart_after", [45.0, 4000.0])
def test_alert_older_than_group_wait_flushes_at_once_after_state_reload(restart_after):
    """A state round-tripped through to_dict/from_dict (a restart) keeps the timers."""
    from slotui.alerting.state import AlertRecord, GroupRecord

    sim = Sim(policy())
    sim.tick(T0, [(S, C)])
    sim.tick(T0 + 30, [(S, C)])
    sim.states = {k: AlertRecord.from_dict(v.to_dict()) for k, v in sim.states.items()}
    sim.groups = {k: GroupRecord.from_dict(v.to_dict()) for k, v in sim.groups.items()}
    got = sim.tick(T0 + 30 + restart_after, [(S, C)])
    assert got == []  # already notified: no duplicate after a restart


def test_a_channel_told_an_alert_fires_gets_its_resolve_after_a_route_moved_it():
    """The warning route moved from pd to chat while the alert fired (a config reload): pd was told
    the alert fires and never heard it resolved, so its incident stayed open."""
    before = policy(channels=("pd", "chat"), routes=[Route(severity="warning", channels=["pd"])])
    after = policy(channels=("pd", "chat"), routes=[Route(severity="warning", channels=["chat"])])
    sim = Sim(before)
    sim.tick(T0, [(S, W)])
    (trigger,) = sim.tick(T0 + 30, [(S, W)])
    assert (trigger.kind, trigger.channel) == ("trigger", "pd")
    sim.policy = after
    # still firing: chat is told now; pd hears nothing more until the alert ends
    sent = sim.run(T0 + 60, T0 + 600, [(S, W)], every=30)
    assert [(n.kind, n.channel) for _, n in sent] == [("trigger", "chat")]
    sent = sim.run(T0 + 630, T0 + 1200, [(S, OK)], every=30)
    assert sorted((n.kind, n.channel) for _, n in sent) == [("resolve", "chat"), ("resolve", "pd")]
    assert all([a.fingerprint for a in n.alerts] == ["helpfulness:warning"] for _, n in sent)
    # a channel no longer configured at all is not sent to
    gone = Sim(before)
    gone.tick(T0, [(S, W)])
    gone.tick(T0 + 30, [(S, W)])
    gone.policy = policy(channels=("chat",), routes=[Route(severity="warning", channels=["chat"])])
    gone.tick(T0 + 60, [(S, OK)])
    sent = gone.run(T0 + 90, T0 + 700, [(S, OK)], every=30)
    assert all(n.channel != "pd" for _, n in sent)
