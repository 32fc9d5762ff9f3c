"""Alertmanager keep-alive, driven by a fake clock: Alertmanager forgets a firing
alert at its ``endsAt`` (send time + ``alert_ttl``), so the engine re-sends a
still-firing group to an Alertmanager channel at least every ``alert_ttl / 2``,
even when ``group.repeat`` is longer and even when the alert is acknowledged;
other channels keep ``group.repeat`` and the ack."""

from __future__ import annotations

from slotui.alerting.lifecycle import AlertPolicy, acknowledge, step
from slotui.config.model import AlertsConfig
from slotui.core.types import Budget, Report, SLOResult, SLOSpec, Status

T0 = 1_780_000_000.0
H = 3600.0
SPEC = SLOSpec(
    name="helpfulness", kind="threshold", target=0.85, direction="higher_is_better", warning=0.80, critical=0.70,
    labels={"service": "support-bot"},
)


def alerts_config(**am: object) -> AlertsConfig:
    return AlertsConfig.model_validate({
        "channels": {
            "am": {"type": "alertmanager", "url": "http://127.0.0.1:9093", **am},
            "hook": {"type": "webhook", "url": "http://127.0.0.1:9/hook"},
        },
        "group": {"wait": "30s", "interval": "5m", "repeat": "24h"},
    })


def report(status: Status, now: float) -> Report:
    return Report(now, (SLOResult(spec=SPEC, status=status, evaluated_at=now, value=0.5,
                                  budget=Budget(budget=0.01, consumed=1.2, remaining=-0.2)),))


def simulate(policy: AlertPolicy, until: float, *, every: float = 30.0, ack_at: float | None = None):
    """Tick every ``every`` seconds from T0 with a CRITICAL SLO; returns {channel: [send times]}."""
    states: dict = {}
    groups: dict = {}
    sent: dict[str, list[float]] = {}
    t = T0
    while t <= until:
        res = step(report(Status.CRITICAL, t), states, groups, [], policy, t)
        states, groups = res.states, res.groups
        for n in res.notifications:
            sent.setdefault(n.channel, []).append(t)
            assert n.kind == "trigger"
        if ack_at is not None and t >= ack_at:
            res = acknowledge(states, groups, "helpfulness", "alice", policy, t)
            states, groups = res.states, res.groups
            ack_at = None
        t += every
    return sent


def test_policy_gets_half_the_alert_ttl_for_alertmanager_channels_only():
    policy = AlertPolicy.from_config(alerts_config())
    assert policy.keepalive == {"am": 3 * H}  # default alert_ttl 6h
    assert AlertPolicy.from_config(alerts_config(alert_ttl="2h")).keepalive == {"am": H}


def test_alertmanager_gets_the_firing_alert_again_before_its_ends_at_lapses():
    ttl = 6 * H
    policy = AlertPolicy.from_config(alerts_config())
    sent = simulate(policy, T0 + 25 * H)
    # the webhook keeps group.repeat: first flush, then 24h later
    assert sent["hook"] == [T0 + 30, T0 + 30 + 24 * H]
    am = sent["am"]
    assert am[0] == T0 + 30
    gaps = [b - a for a, b in zip(am, am[1:])]
    # every send extends endsAt to send + ttl: the next one always comes before that
    assert all(3 * H <= g < ttl for g in gaps), gaps
    # re-sent at the first group flush after alert_ttl / 2 (flushes every group.interval)
    assert all(g <= 3 * H + 5 * 60 for g in gaps), gaps
    assert am[-1] + ttl > T0 + 25 * H  # still alive at the end


def test_acknowledged_alert_stays_alive_in_alertmanager_but_repeats_stop_elsewhere():
    policy = AlertPolicy.from_config(alerts_config(alert_ttl="1h"))
    sent = simulate(policy, T0 + 30 * H, ack_at=T0 + 120)
    assert sent["hook"] == [T0 + 30]  # acked: no repeat at 24h
    am = sent["am"]
    assert len(am) > 30
    assert all(b - a < H for a, b in zip(am, am[1:]))


def test_an_alert_ttl_shorter_than_two_group_intervals_never_lapses():
    # alert_ttl 5m with group.interval 5m: keep-alive re-sends waited for the next group flush (5m and a
    # tick later), after endsAt = send + 5m had passed, so Alertmanager resolved the alert and fired it
    # again at every re-send. Flushes for the keep-alive now come every alert_ttl / 2 (2.5m, on a tick).
    ttl = 5 * 60.0
    policy = AlertPolicy.from_config(alerts_config(alert_ttl="5m"))
    assert policy.keepalive == {"am": ttl / 2}
    sent = simulate(policy, T0 + 2 * H)
    am = sent["am"]
    assert am[0] == T0 + 30
    gaps = [b - a for a, b in zip(am, am[1:])]
    assert gaps and all(g == 150.0 for g in gaps), gaps  # 150 s is a multiple of the 30 s tick
    assert all(b < a + ttl for a, b in zip(am, am[1:]))
    # other channels keep group.interval / group.repeat: the webhook got the first flush only
    assert sent["hook"] == [T0 + 30]
