"""Config probe (bugs 8, 13, 15, 17, 18): look-alike SLO names, silent no-ops, hints that misled.

Same format as configs_cases.py: each case is a file and the exact
``file:line:col: key: message`` line ``slotui validate`` prints for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from configs_cases import HEAD, LAT, Case, check_reported, slo

from slotui.cli import main
from slotui.config.loader import load_text

RULES = HEAD + "alert_rules:\n"
SECOND = "  - {name: @N@, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, warning: 3000}}\n"


def _two(name: str) -> str:
    return HEAD + "slos:\n" + LAT + SECOND.replace("@N@", name)


CASES: list[Case] = [
    # ---------------------------------------------------------------- 8: an infinite rule threshold
    Case("rule_threshold_1e999", RULES + "  - {name: r, condition: 'avg(helpfulness_score) < 1e999'}\n",
         "{f}:4:{at:1e999}: alert_rules[0].condition: expected a finite number (got inf) "
         "(got 'avg(helpfulness_score) < 1e999')"),
    Case("rule_threshold_minus_1e400", RULES + "  - {name: r, condition: 'p95(duration_ms) > -1e400'}\n",
         "{f}:4:{at:-1e400}: alert_rules[0].condition: expected a finite number (got -inf) "
         "(got 'p95(duration_ms) > -1e400')"),
    # ---------------------------------------------------------------- 13: names that look alike
    Case("name_zero_width_space", _two('"lat\\u200b"'),
         "{f}:5:{at:\"lat}: slos[1].name: contains the invisible character U+200B ZERO WIDTH SPACE at character 4; "
         "an SLO name must read as what it is (remove it)"),
    Case("name_trailing_space", _two("'lat '"),
         "{f}:5:{at:'lat }: slos[1].name: an SLO name cannot end with a blank (a space): it would look like "
         "another name; remove it"),
    Case("name_trailing_nbsp", _two('"lat\\u00a0"'),
         "{f}:5:{at:\"lat}: slos[1].name: an SLO name cannot end with a blank (U+00A0 NO-BREAK SPACE): it would "
         "look like another name; remove it"),
    Case("name_leading_space", _two("' lat'"),
         "{f}:5:{at:' lat}: slos[1].name: an SLO name cannot start with a blank (a space): it would look like "
         "another name; remove it"),
    Case("name_nfd_of_an_nfc_name",
         HEAD + "slos:\n" + SECOND.replace("@N@", '"caf\\u00e9"') + SECOND.replace("@N@", '"cafe\\u0301"'),
         "{f}:5:{at:\"cafe}: slos[1].name: duplicate SLO name 'cafe\u0301' (first defined at line 4; the two differ only "
         "in how accents are encoded, NFC or NFD)"),
    Case("rule_name_zero_width_joiner", RULES + "  - {name: \"r\\u200d\", condition: 'avg(helpfulness_score) < 0.8'}\n",
         "{f}:4:{at:\"r}: alert_rules[0].name: contains the invisible character U+200D ZERO WIDTH JOINER at "
         "character 2; an SLO name must read as what it is (remove it)"),
    # ---------------------------------------------------------------- 15: non-ASCII percentile digits
    Case("fullwidth_percentile", HEAD + "slos:\n  - {name: lat, sli: {field: duration_ms, agg: p９５}, "
         "objective: {target: 2000, warning: 3000}}\n",
         "{f}:4:{at:p９５}: slos[0].sli.agg: unknown aggregation 'p９５': percentile digits must be ASCII 0-9 "
         "(non-ASCII digits are not accepted); expected mean (avg), sum, count, min, max, median or a quantile "
         "p0..p100 (p95, p99.9)"),
    # ---------------------------------------------------------------- 17: silent no-ops
    Case("rule_unknown_notification_type",
         RULES + "  - {name: r, condition: 'avg(helpfulness_score) < 0.8', notification: {type: carrier_pigeon}}\n",
         "{f}:4:{at:carrier_pigeon}: alert_rules[0].notification.type: unknown notification type 'carrier_pigeon'; "
         "expected one of: slack, pagerduty, email, webhook, alertmanager, file"),
    Case("label_severity", slo(extra=", labels: {severity: page}"),
         "{f}:4:{at:severity}: slos[0].labels.severity: label 'severity' is reserved: slotui sets it on every "
         "alert (the alert's severity), so this value would be replaced; use another name"),
    Case("label_slo", slo(extra=", labels: {slo: other}"),
         "{f}:4:{at:slo: other}: slos[0].labels.slo: label 'slo' is reserved: slotui sets it on every alert "
         "(the SLO's name), so this value would be replaced; use another name"),
    Case("label_source", slo(extra=", labels: {source: x}"),
         "{f}:4:{at:source: x}: slos[0].labels.source: label 'source' is reserved: slotui sets it on every alert "
         "(the SLO's source), so this value would be replaced; use another name"),
    Case("route_without_channels",
         slo() + "alerts:\n  channels: {f: {type: file, path: a.jsonl}}\n  routes:\n    - {severity: page, channels: []}\n",
         "{f}:8:{at:channels}: alerts.routes[0].channels: a route with no channels that lets alerts go on "
         "(continue: true, the default) does nothing; list channels, or write continue: false to drop the alerts "
         "it matches"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_config_names_file_line_col_key_and_expectation(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    check_reported(case, tmp_path, capsys, monkeypatch)


def _load(text: str):  # type: ignore[no-untyped-def]
    return load_text(text, name="t.yaml", env={})


def test_names_that_differ_visibly_and_honoured_labels_are_fine() -> None:
    lc = _load(HEAD + "slos:\n" + LAT + SECOND.replace("@N@", "'Lat'") + SECOND.replace("@N@", "'lat ms'")
               .replace("}}\n", "}, labels: {alertname: Slow, service: bot, team: ml}}\n"))
    assert [s.name for s in lc.specs] == ["lat", "Lat", "lat ms"]
    assert dict(lc.specs[2].labels) == {"alertname": "Slow", "service": "bot", "team": "ml"}


def test_a_route_that_drops_alerts_on_purpose_is_fine() -> None:
    lc = _load(slo() + "alerts:\n  channels: {f: {type: file, path: a.jsonl}}\n  routes:\n"
               "    - {severity: warning, channels: [], continue: false}\n    - {channels: [f]}\n")
    assert len(lc.config.alerts.routes) == 2


def test_a_rule_notifying_a_type_without_a_channel_is_a_located_warning() -> None:
    text = (RULES + "  - {name: r, condition: 'avg(helpfulness_score) < 0.8', notification: {type: slack, "
            "channel: '#x'}}\nalerts:\n  channels: {f: {type: file, path: a.jsonl}}\n")
    lc = _load(text)
    (warning,) = lc.warnings
    assert warning.startswith("alert_rules[0].notification.type (line 4): no slack channel under alerts.channels: "
                              "this rule's alerts go by alerts.routes instead")


def test_the_seed_rule_without_any_channel_still_loads_without_warnings() -> None:
    lc = _load(RULES + "  - {name: r, condition: 'avg(helpfulness_score) < 0.8', notification: {type: slack, "
               "channel: '#llm-alerts'}}\n")
    assert lc.warnings == [] and lc.specs[0].params["notification"]["type"] == "slack"


def test_state_check_refuses_an_invalid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(slo(extra=", slice: 1ms"))
    rc = main(["state", "check", "-c", str(path), "--state", str(tmp_path / "none.db")])
    _, err = capsys.readouterr()
    assert rc == 3
    assert f"{path}:4:" in err and "slos[0].slice: expected a slice of at least 1s" in err
