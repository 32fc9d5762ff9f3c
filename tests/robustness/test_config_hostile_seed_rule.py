"""Issue 8 item 16 and the "warnings once" part of item 15.

The seed's LangSmith rule ``avg(helpfulness_score) < 0.8`` works as written on
the demo source (``helpfulness_score`` is the evaluation ``helpfulness``), a
metric the demo does not have is an error naming the ones it has, and a file
that sets no period gets no warning about slotui's own default policy.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from slotui.cli import main
from slotui.clock import parse_time
from slotui.config.loader import load_config, load_text
from slotui.core.types import DAY, DEFAULT_PERIOD, DEFAULT_PERIOD_TIERS, DEFAULT_TIERS, HOUR
from slotui.sources.demo import DemoTraffic
from slotui.sources.demo_schema import FIELDS

SEED = """\
sources:
  demo: {type: demo, seed: 7}
alert_rules:
  - name: Low Helpfulness Alert
    condition: "avg(helpfulness_score) < 0.8"
    window: "1 hour"
    notification: {type: slack, channel: "#llm-alerts"}
slos:
  - name: helpfulness
    sli: {field: evaluations.helpfulness, agg: mean}
    objective: {target: 0.8, direction: higher_is_better}
"""
AT = "2026-06-01T12:00:00Z"


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    """``slotui check`` run in-process applies gc_policy (freeze, a higher threshold): undo it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_demo_schema_lists_exactly_the_fields_of_a_demo_record() -> None:
    traffic = DemoTraffic(seed=7)
    for index in (0, 5_000_000, 5_000_123):
        for record in traffic.records(index)[:3]:
            assert set(record) == FIELDS


def test_the_seed_rule_resolves_to_the_demo_evaluation_without_warnings() -> None:
    lc = load_text(SEED, name="seed.yaml", env={})
    rule = lc.spec("Low Helpfulness Alert")
    assert (rule.sli_field, rule.sli_agg, rule.window, rule.direction, rule.target) == (
        "evaluations.helpfulness", "mean", HOUR, "higher_is_better", 0.8)
    assert lc.warnings == []


def test_the_seed_rule_has_data_on_the_demo_and_its_value_is_the_mean_helpfulness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(SEED)
    rc = main(["check", "-c", str(path), "--at", AT, "-o", "json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    by = {s["name"]: s for s in report["slos"]}
    rule = by["Low Helpfulness Alert"]
    assert rule["status"] != "NO DATA" and rule["low_traffic"] is False, rule
    assert not any("low traffic" in n for n in rule["notes"])
    assert report["warnings"] == [] and "warning" not in err
    # the same number as the explicit SLO, and as the mean over the demo's records in [now - 1h, now)
    now = parse_time(AT)
    records = DemoTraffic(seed=7).records_between(now - HOUR, now)
    expected = sum(r["evaluations.helpfulness"] for r in records) / len(records)
    assert rule["value"] == pytest.approx(expected, rel=1e-9)
    assert rule["value"] == pytest.approx(by["helpfulness"]["value"], rel=1e-12)
    assert rc in (0, 1, 2)


@pytest.mark.parametrize(
    ("condition", "field"),
    [("avg(helpfulness_score) < 0.8", "evaluations.helpfulness"),
     ("avg(accuracy_score) < 0.9", "evaluations.accuracy"),
     ("avg(accuracy) < 0.9", "evaluations.accuracy"),
     ("avg(evaluations.accuracy) < 0.9", "evaluations.accuracy"),
     ("p95(duration_ms) > 3000", "duration_ms")],
)
def test_seed_metric_names_resolve_on_the_demo(condition: str, field: str) -> None:
    text = f'sources: {{demo: {{type: demo}}}}\nalert_rules: [{{name: r, condition: "{condition}"}}]\n'
    assert load_text(text, name="t.yaml", env={}).specs[0].sli_field == field


def test_a_metric_on_a_source_without_a_static_field_list_is_kept_as_written() -> None:
    good = Path(__file__).resolve().parents[1] / "data" / "configs" / "good" / "seed_alert_rules.yaml"
    lc = load_config(good, env={"SLOTUI_TEST_LANGSMITH_KEY": "k-123456"})
    assert lc.spec("Low Helpfulness Alert").sli_field == "helpfulness_score"


def test_quality_slos_resolve_on_the_demo_but_are_never_rejected() -> None:
    text = ("sources: {demo: {type: demo}}\nquality_slos:\n  accuracy: {target: 0.9, warning: 0.85}\n"
            "  response_time_p95_ms: {target: 2000, warning: 3000}\n")
    lc = load_text(text, name="t.yaml", env={})
    assert lc.spec("accuracy").sli_field == "evaluations.accuracy"
    assert lc.spec("response_time_p95_ms").sli_field == "response_time_p95_ms"  # looked up in --results files


# --------------------------------------------------------------------------- defaults agree


def test_no_period_and_no_policy_gives_no_warning_and_the_7d_policy() -> None:
    text = "sources: {demo: {type: demo}}\nslos: [{name: lat, sli: {field: duration_ms, agg: p95}, " \
           "objective: {target: 2000, warning: 3000}}]\n"
    lc = load_text(text, name="t.yaml", env={})
    (spec,) = lc.specs
    assert lc.warnings == []
    assert spec.period == DEFAULT_PERIOD == 7 * DAY
    assert spec.tiers == DEFAULT_PERIOD_TIERS
    assert [(t.long_window, t.short_window, t.effective_factor(spec.period)) for t in spec.tiers] == [
        (HOUR, 300.0, 14.4), (6 * HOUR, 1800.0, 6.0), (DAY, 2 * HOUR, 1.0)]


def test_the_embedded_example_writes_out_the_default_policy() -> None:
    lc = load_config(None)
    acc = lc.spec("accuracy")
    assert [(t.severity, t.long_window, t.short_window, t.factor) for t in acc.tiers] == [
        (t.severity, t.long_window, t.short_window, t.factor) for t in DEFAULT_PERIOD_TIERS]


def test_a_30d_period_gets_the_workbook_tiers_without_warning() -> None:
    text = "sources: {demo: {type: demo}}\nslos: [{name: lat, sli: {field: duration_ms, agg: p95}, " \
           "objective: {target: 2000, warning: 3000}, period: 30d}]\n"
    lc = load_text(text, name="t.yaml", env={})
    assert lc.specs[0].tiers == DEFAULT_TIERS and lc.warnings == []
    assert [t.effective_factor(30 * DAY) for t in DEFAULT_TIERS] == pytest.approx([14.4, 6.0, 1.0])


WARNS = "sources: {demo: {type: demo}}\ndefaults: {period: 28d}\nslos:\n" + "".join(
    f"  - {{name: s{i}, sli: {{field: duration_ms, agg: p95}}, objective: {{target: 2000, warning: 3000}}}}\n"
    for i in range(3)
)


def test_a_chosen_period_that_weakens_the_workbook_tier_warns_once(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WARNS)
    assert main(["validate", "-c", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err.count("F=0.9333") == 1 and err.count("warning:") == 1
    assert "for s0, s1, s2" in err
    main(["check", "-c", str(path), "--at", AT])
    out, err = capsys.readouterr()
    assert out.count("F=0.9333") == 1 and "F=0.9333" not in err
    main(["check", "-c", str(path), "--at", AT, "-o", "json"])
    out, _ = capsys.readouterr()
    assert len(json.loads(out)["warnings"]) == 1


def test_a_field_no_record_has_is_an_error_at_fetch_time_naming_the_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file source's fields are known only from its records: the SLO's answer names them."""
    now = parse_time(AT)
    lines = [json.dumps({"time": now - 600 + 10 * i, "duration_ms": 100 + i,
                         "evaluations": [{"gen_ai.evaluation.name": "helpfulness",
                                          "gen_ai.evaluation.score.value": 0.9}]}) for i in range(50)]
    (tmp_path / "req.jsonl").write_text("\n".join(lines) + "\n")
    path = tmp_path / "slos.yaml"
    path.write_text("sources:\n  logs: {type: file, path: req.jsonl}\n"
                    'alert_rules:\n  - {name: help, condition: "avg(helpfulness_score) < 0.8"}\n'
                    "slos:\n  - {name: lat, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, warning: 3000}}\n")
    rc = main(["check", "-c", str(path), "--at", AT, "-o", "json"])
    report = json.loads(capsys.readouterr()[0])
    by = {s["name"]: s for s in report["slos"]}
    assert by["help"]["status"] == "NO DATA"
    assert by["help"]["error"] == ("unknown field 'helpfulness_score': no record has it; the records have "
                                   "duration_ms, evaluations, evaluations.helpfulness; "
                                   "did you mean 'evaluations.helpfulness'?")
    # the other SLO is unaffected: p95 of 100..149 interpolated = 100 + 0.95 x 49 = 146.55
    assert by["lat"]["error"] is None and by["lat"]["value"] == pytest.approx(146.55)
    assert rc == 3
