"""The alert engine and sample-aware SLIs (SPEC 10.2): a breach that is not significant (AT RISK) or a
window with low samples (NO DATA) never pages; a significant one does, with the spread in its text."""

from __future__ import annotations

from dataclasses import replace

from slotui.alerting.lifecycle import AlertPolicy, step
from slotui.alerting.routes import Router
from slotui.core.evaluate import evaluate_all
from slotui.core.types import SLIData, SLOSpec, Status

T0 = 1_780_000_000.0
SPEC = SLOSpec(name="helpfulness", kind="threshold", target=0.85, warning=0.80, critical=0.70,
               direction="higher_is_better", source="logs", sli_field="evaluations.helpfulness", sli_agg="mean",
               significant=True, min_samples=5)


def _notifications(spec: SLOSpec, data: SLIData) -> tuple[Status, list]:
    policy = AlertPolicy(router=Router([], {"hook": "webhook"}))
    states: dict = {}
    groups: dict = {}
    sent = []
    status = None
    for i in range(12):  # two minutes of ticks: past group_wait
        now = T0 + 10 * i
        report = evaluate_all([spec], {spec.name: replace(data, fetched_at=now)}, now)
        status = report.results[0].status
        res = step(report, states, groups, [], policy, now)
        states, groups = res.states, res.groups
        sent.extend(res.notifications)
    return status, sent


def test_not_significant_breach_never_pages():
    status, sent = _notifications(SPEC, SLIData(value=0.66, n=6, stddev=0.15))
    # t(0.975, 5) = 2.570582; hi = 0.66 + 2.570582 * 0.15 / sqrt(6) = 0.8174 > 0.80: not past warning
    assert status is Status.AT_RISK and sent == []


def test_low_samples_never_page():
    status, sent = _notifications(SPEC, SLIData(value=0.10, n=4, stddev=0.01))
    assert status is Status.NO_DATA and sent == []


def test_significant_breach_pages_with_the_spread():
    status, sent = _notifications(SPEC, SLIData(value=0.60, n=50, stddev=0.05))
    assert status is Status.CRITICAL and len(sent) == 1
    alert = sent[0].alerts[0]
    assert alert.severity == "critical"
    assert alert.annotations["samples"] == "0.6 ± 0.01421, n=50"
    assert "Samples: 0.6 ± 0.01421, n=50 (n=50, 95% CI 0.5858-0.6142, significant)." in alert.annotations["description"]
