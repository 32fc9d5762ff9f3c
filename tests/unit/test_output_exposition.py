"""Prometheus text format 0.0.4: a strict line parser checks every line; missing values are omitted."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pytest

from slotui.core.types import Budget, BurnRate, Report, SLOResult, SLOSpec, Status
from slotui.output.exposition import CONTENT_TYPE, escape_label_value, render

NOW = 1_780_315_200.0
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
_LABEL_VALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
_SAMPLE = re.compile(
    rf"^(?P<name>{_NAME})(?:\{{(?P<labels>{_LABEL_NAME}={_LABEL_VALUE}(?:,{_LABEL_NAME}={_LABEL_VALUE})*)?\}})?"
    r" (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|NaN|[+-]?Inf))$"
)
_PAIR = re.compile(rf"({_LABEL_NAME})=({_LABEL_VALUE})")


def _unescape(quoted: str) -> str:
    body, out, i = quoted[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            out.append({"\\": "\\", '"': '"', "n": "\n"}[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


@dataclass
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_exposition(text: str) -> tuple[dict[str, str], list[Sample]]:
    """Parse text format 0.0.4 strictly: HELP/TYPE before samples, no duplicates, valid syntax."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    helps: dict[str, str] = {}
    samples: list[Sample] = []
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for line in text.splitlines():
        assert line, "no blank lines"
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert re.fullmatch(_NAME, name) and name not in helps
            helps[name] = help_text
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in ("gauge", "counter", "histogram", "summary", "untyped") and name not in types
            assert name in helps, "HELP comes before TYPE"
            types[name] = kind
            continue
        assert not line.startswith("#"), line
        m = _SAMPLE.match(line)
        assert m, f"malformed sample line: {line!r}"
        name = m.group("name")
        assert name in types, f"sample {name} before its TYPE line"
        labels = {k: _unescape(v) for k, v in _PAIR.findall(m.group("labels") or "")}
        key = (name, tuple(sorted(labels.items())))
        assert key not in seen, f"duplicate series {key}"
        seen.add(key)
        samples.append(Sample(name, labels, float(m.group("value"))))
    return types, samples


def _spec(name: str, **kw: object) -> SLOSpec:
    base = dict(kind="threshold", target=2000.0, direction="lower_is_better", source="prom", unit="ms")
    base.update(kw)
    return SLOSpec(name=name, **base)  # type: ignore[arg-type]


def _tiers(long_rate: float | None, short_rate: float | None) -> tuple[BurnRate, ...]:
    return (
        BurnRate("critical", 3600, 300, 14.4, long_rate, short_rate, 100, 9, True, False),
        BurnRate("critical", 6 * 3600, 1800, 6.0, 2.0, 3.0, 600, 50, False, False),
        BurnRate("warning", 3 * 86400, 6 * 3600, 1.0, 1.5, 2.5, 7000, 600, False, False),
    )


def make_report() -> Report:
    weird = 'we"ird\\name\nline2'
    return Report(
        NOW,
        (
            SLOResult(_spec("latency", warning=3000.0, critical=5000.0), Status.CRITICAL, NOW, value=6000.0,
                      budget=Budget(0.01, 1.4, -0.4), burn_rates=_tiers(20.0, 30.0), meets_target=False),
            SLOResult(_spec("availability", kind="ratio", target=0.995, direction="higher_is_better", source="logs",
                            unit=""), Status.OK, NOW, value=0.997, good=997, total=1000,
                      budget=Budget(0.005, 0.2, 0.8), burn_rates=_tiers(0.5, 0.1), meets_target=True),
            SLOResult(_spec(weird, source="logs"), Status.NO_DATA, NOW, value=float("nan"),
                      budget=Budget(0.01, None, float("nan")), burn_rates=_tiers(None, float("inf")),
                      meets_target=None),
        ),
        source_errors={"prom": "timeout"},
    )


def test_every_line_parses_and_values_are_right() -> None:
    types, samples = parse_exposition(render(make_report()))
    assert set(types.values()) == {"gauge"}
    by = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in samples}
    assert by[("slotui_sli_value", (("slo", "latency"),))] == 6000
    assert by[("slotui_sli_value", (("slo", "availability"),))] == 0.997
    assert by[("slotui_slo_target", (("slo", "availability"),))] == 0.995
    assert by[("slotui_error_budget_remaining_ratio", (("slo", "latency"),))] == -0.4
    assert by[("slotui_burn_rate", (("slo", "latency"), ("window", "1h")))] == 20
    assert by[("slotui_burn_rate", (("slo", "latency"), ("window", "5m")))] == 30
    assert by[("slotui_burn_rate", (("slo", "latency"), ("window", "3d")))] == 1.5
    # 6h is both a long window (tier 2) and a short one (tier 3): one series, the first value.
    assert by[("slotui_burn_rate", (("slo", "latency"), ("window", "6h")))] == 2.0
    assert by[("slotui_slo_status_code", (("slo", "latency"),))] == 5
    assert by[("slotui_source_up", (("source", "prom"),))] == 0
    assert by[("slotui_source_up", (("source", "logs"),))] == 1
    assert by[("slotui_slos_meeting_target", ())] == 1
    assert by[("slotui_slos", ())] == 3
    assert by[("slotui_last_evaluation_timestamp_seconds", ())] == NOW
    status = {s.labels["status"]: s.value for s in samples if s.name == "slotui_slo_status" and s.labels["slo"] == "latency"}
    assert status == {"OK": 0, "AT RISK": 0, "NO DATA": 0, "STALE": 0, "WARNING": 0, "CRITICAL": 1}


def test_missing_values_are_omitted_never_nan() -> None:
    text = render(make_report())
    assert "NaN" not in text and "Inf" not in text
    _, samples = parse_exposition(text)
    assert all(math.isfinite(s.value) for s in samples)
    weird = 'we"ird\\name\nline2'
    mine = {s.name for s in samples if s.labels.get("slo") == weird}
    assert "slotui_sli_value" not in mine
    assert "slotui_error_budget_remaining_ratio" not in mine
    assert "slotui_slo_meets_target" not in mine
    assert "slotui_slo_target" in mine and "slotui_slo_status" in mine
    windows = {s.labels["window"] for s in samples if s.name == "slotui_burn_rate" and s.labels["slo"] == weird}
    assert windows == {"6h", "30m", "3d"}  # 1h was None and 5m was inf: omitted


def test_label_values_are_escaped_and_parse_back() -> None:
    weird = 'we"ird\\name\nline2'
    text = render(make_report())
    assert 'slo="we\\"ird\\\\name\\nline2"' in text
    _, samples = parse_exposition(text)
    assert any(s.labels.get("slo") == weird for s in samples)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("plain", "plain"), ('a"b', 'a\\"b'), ("a\\b", "a\\\\b"), ("a\nb", "a\\nb"), ("\\n", "\\\\n")],
)
def test_escape_label_value(raw: str, escaped: str) -> None:
    assert escape_label_value(raw) == escaped


def test_empty_report_and_health() -> None:
    class Health:
        ok = False
        latency = 0.25

    text = render(Report(NOW, ()), health={"prom": Health()})
    _, samples = parse_exposition(text)
    by = {(s.name, tuple(s.labels.items())): s.value for s in samples}
    assert by[("slotui_source_up", (("source", "prom"),))] == 0
    assert by[("slotui_source_latency_seconds", (("source", "prom"),))] == 0.25
    assert by[("slotui_slos", ())] == 0
    assert ("slotui_overall_compliance_ratio", ()) not in by  # undefined with no SLOs
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")


def test_samples_and_interval_of_a_sampled_sli() -> None:
    # SPEC 10.2: mean helpfulness 0.78 over 12 judge scores, 95% CI 0.71-0.85, not significant
    spec = _spec("helpfulness", target=0.85, warning=0.8, direction="higher_is_better", unit="score", confidence=0.95)
    r = SLOResult(spec, Status.AT_RISK, NOW, value=0.78, n=12, interval=(0.71, 0.85), significant=False)
    plain = SLOResult(_spec("latency"), Status.OK, NOW, value=900.0)
    _, samples = parse_exposition(render(Report(NOW, (r, plain))))
    by = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in samples}
    assert by[("slotui_sli_samples", (("slo", "helpfulness"),))] == 12
    assert by[("slotui_sli_interval_lower", (("confidence", "0.95"), ("slo", "helpfulness")))] == 0.71
    assert by[("slotui_sli_interval_upper", (("confidence", "0.95"), ("slo", "helpfulness")))] == 0.85
    assert by[("slotui_sli_significant", (("slo", "helpfulness"),))] == 0
    # no count from the source: no samples series at all
    assert not [s for s in samples if s.name.startswith("slotui_sli_") and s.name != "slotui_sli_value"
                and s.labels["slo"] == "latency"]


def test_a_source_never_asked_has_no_up_series() -> None:
    """A source in the config that no SLO uses is never fetched: the daemon said
    ``slotui_source_up{source="unused"} 1`` for it (SourceHealth() has no error yet)."""
    from slotui.sources.kit.base import SourceHealth

    asked = SourceHealth(last_success=NOW - 1, latency=0.5)
    failed = SourceHealth(last_error="boom", last_error_at=NOW - 1)
    text = render(Report(NOW, ()), health={"unused": SourceHealth(), "asked": asked, "failed": failed})
    _, samples = parse_exposition(text)
    up = {s.labels["source"]: s.value for s in samples if s.name == "slotui_source_up"}
    assert up == {"asked": 1, "failed": 0}
    # a never-asked source that the report says failed (it timed out on its first fetch) is down, not hidden
    text = render(Report(NOW, (), source_errors={"unused": "timed out"}), health={"unused": SourceHealth()})
    _, samples = parse_exposition(text)
    assert [(s.labels["source"], s.value) for s in samples if s.name == "slotui_source_up"] == [("unused", 0)]


def test_each_tier_has_its_firing_series_even_when_two_share_severity_and_windows() -> None:
    # two page tiers over 1h/5m (factors 100 and 10) had one label set: the second, firing, was dropped
    # and an alert rule on the metric missed the page /metrics' own status code showed
    tiers = (
        BurnRate("critical", 3600, 300, 100.0, 20.0, 30.0, 100, 9, False, False),
        BurnRate("critical", 3600, 300, 10.0, 20.0, 30.0, 100, 9, True, False),
        BurnRate("warning", 3 * 86400, 6 * 3600, 1.0, 1.5, 2.5, 7000, 600, False, False),
    )
    report = Report(NOW, (SLOResult(_spec("latency"), Status.CRITICAL, NOW, value=6000.0, burn_rates=tiers),))
    _types, samples = parse_exposition(render(report))
    firing = {(s.labels["severity"], s.labels["long_window"], s.labels["short_window"], s.labels["factor"]): s.value
              for s in samples if s.name == "slotui_burn_rate_alert_firing"}
    assert firing == {("critical", "1h", "5m", "100"): 0, ("critical", "1h", "5m", "10"): 1,
                      ("warning", "3d", "6h", "1"): 0}
    # the burn rate itself is one per window
    assert len([s for s in samples if s.name == "slotui_burn_rate" and s.labels["window"] == "1h"]) == 1


def test_a_fractional_factor_is_written_as_prometheus_writes_numbers() -> None:
    report = Report(NOW, (SLOResult(_spec("latency"), Status.OK, NOW, value=1.0, burn_rates=_tiers(1.0, 1.0)),))
    _types, samples = parse_exposition(render(report))
    factors = [s.labels["factor"] for s in samples if s.name == "slotui_burn_rate_alert_firing"]
    assert factors == ["14.4", "6", "1"]
