"""``slotui import`` refuses a value of the wrong shape naming its key and what was expected, per SLO.

Each family was found by a probe (a traceback, one bad field dropping every SLO of its
document, a string iterated as a list, a wrong shape silently read as the default, a
duplicate key whose last value won, a nested label written as a Python repr):

- NaN and infinities as targets and every other number (``share``/``number``);
- a string, list or number where a mapping, list, text or boolean belongs, in Sloth, OpenSLO
  and Pyrra; only the SLO (Sloth's ``slos:`` entry, OpenSLO's objective) that holds it is
  refused, and its siblings are imported (exit 1);
- Pyrra's ``grouping`` and ``metric``, OpenSLO's ``timeWindow``/``timeWindows``;
- duplicate keys; nested label values; PromQL parse errors from a rewrite; objectives whose
  names slug alike.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.cli import main
from slotui.commands.import_ import import_files
from slotui.peers.common import Refused, labels_of, number, share

GOOD_SLOTH_SLO = """\
  - name: good-one
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
"""


def _file(tmp: Path, text: str, name: str = "in.yaml") -> str:
    f = tmp / name
    f.write_text(textwrap.dedent(text))
    return str(f)


def _cli(capsys: pytest.CaptureFixture[str], *files: str) -> tuple[int, str, str]:
    code = main(["import", *files])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


#: a refusal's key position, after its file and document: ``FILE: document N ...: line L, column C: REASON``
_KEY_AT = re.compile(r"^(?P<head>.*?: )line (?P<line>\d+), column (?P<column>\d+): (?P<reason>.*)$")


def _skipped(err: str) -> list[str]:
    """The refusals printed, each without the position of the key its reason starts with, once that
    position is checked: the file's text there is that key (``alerting.page_alert must be ...``: the
    line holds ``page_alert:`` at that column)."""
    out = []
    for line in err.splitlines():
        if not line.startswith("skipped: "):
            continue
        text = line.removeprefix("skipped: ")
        m = _KEY_AT.match(text)
        if m and not m["reason"].startswith("duplicate key"):  # (that one is its own reason's line)
            _assert_key_at(m["head"].split(": ")[0], int(m["line"]), int(m["column"]), m["reason"])
            text = m["head"] + m["reason"]
        out.append(text)
    return out


def _assert_key_at(file: str, line: int, column: int, reason: str) -> None:
    """The key ``reason`` starts with (its last name, or a list item for ``[i]``) is at ``line``,
    ``column`` (both 1-based) of ``file``."""
    path = reason.split(" ", 1)[0].rstrip(":")
    last = re.findall(r"\[\d+\]|[^.\[\]]+", path)[-1]
    text = Path(file).read_text().splitlines()[line - 1]
    at = text[column - 1:]
    if last.startswith("["):  # an item: right after its "- ", or after "[" or "," in a flow list
        assert at.strip() and text[:column - 1].rstrip().endswith(("-", "[", ",")), (file, line, column, reason)
    else:
        assert re.match(rf"""["']?{re.escape(last)}["']?\s*:""", at), (file, line, column, reason, at)


# ---------------------------------------------------------------------------------------------- 3: NaN


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "'NaN'", "'sNaN'", "'Infinity'", "'-inf'",
                                   "'inf'"])
def test_a_nan_or_infinite_objective_is_refused_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 value: str) -> None:
    """Decimal('NaN') compared with 0 raised decimal.InvalidOperation: a traceback, exit 1."""
    sloth = _file(tmp_path, "version: prometheus/v1\nservice: svc\nslos:\n" + GOOD_SLOTH_SLO
                  + f"  - name: bad\n    objective: {value}\n"
                  + "    sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 't'}}\n", "s.yaml")
    code, out, err = _cli(capsys, sloth)
    assert code == 1
    [reason] = _skipped(err)
    assert reason.startswith(f"{sloth}: document 1 at line 1 (Sloth spec 'svc') SLO 'bad': objective ")
    assert reason.endswith(" is not a number (a finite number is expected)")
    assert "name: svc-good-one" in out


@pytest.mark.parametrize(("doc", "reason"), [
    ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\n"
     "spec: {target: 'NaN', indicator: {ratio: {errors: {metric: e}, total: {metric: t}}}}\n",
     "target 'NaN' is not a number (a finite number is expected)"),
    ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\n"
     "spec: {target: .inf, indicator: {ratio: {errors: {metric: e}, total: {metric: t}}}}\n",
     "target inf is not a number (a finite number is expected)"),
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  indicator: {metadata: {name: i}, spec: "
     "{ratioMetric: {counter: true, good: {metricSource: {type: Prometheus, spec: {query: g}}}, "
     "total: {metricSource: {type: Prometheus, spec: {query: t}}}}}}\n  objectives: [{targetPercent: sNaN}]\n",
     "targetPercent 'sNaN' is not a number (a finite number is expected)"),
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  indicator: {metadata: {name: i}, spec: "
     "{ratioMetric: {counter: true, good: {metricSource: {type: Prometheus, spec: {query: g}}}, "
     "total: {metricSource: {type: Prometheus, spec: {query: t}}}}}}\n  objectives: [{target: -.inf}]\n",
     "target -inf is not a number (a finite number is expected)"),
    # a threshold's value and a Timeslices slice target are numbers too
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  indicator: {metadata: {name: i}, spec: "
     "{thresholdMetric: {metricSource: {type: Prometheus, spec: {query: latency_seconds}}}}}\n"
     "  objectives: [{op: lt, value: .nan, target: 0.99}]\n",
     "value nan is not a number (a finite number is expected)"),
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  indicator: {metadata: {name: i}, spec: "
     "{thresholdMetric: {metricSource: {type: Prometheus, spec: {query: latency_seconds}}}}}\n"
     "  objectives: [{op: lt, value: 'Infinity', target: 0.99}]\n",
     "value 'Infinity' is not a number (a finite number is expected)"),
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  budgetingMethod: Timeslices\n"
     "  indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true, "
     "good: {metricSource: {type: Prometheus, spec: {query: g}}}, total: {metricSource: {type: Prometheus, "
     "spec: {query: t}}}}}}\n  objectives: [{target: 0.9, timeSliceTarget: .nan, timeSliceWindow: 1m}]\n",
     "timeSliceTarget nan is not a number (a finite number is expected)"),
])
def test_nan_and_infinity_are_refused_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: str,
                                                      reason: str) -> None:
    f = _file(tmp_path, doc)
    code, _out, err = _cli(capsys, f)
    assert code == 3
    assert [r.split("): ", 1)[1] for r in _skipped(err)] == [reason]


def test_a_nan_burn_rate_threshold_is_a_note_not_a_tier(tmp_path: Path) -> None:
    f = _file(tmp_path, """\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: s}
        spec:
          indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true,
            good: {metricSource: {type: Prometheus, spec: {query: g}}},
            total: {metricSource: {type: Prometheus, spec: {query: t}}}}}}
          objectives: [{target: 0.99}]
          alertPolicies:
            - kind: AlertPolicy
              metadata: {name: p}
              spec:
                conditions:
                  - kind: AlertCondition
                    metadata: {name: c}
                    spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: .nan, lookbackWindow: 1h}}
        """)
    report = import_files([f])
    assert report.skipped == []
    assert f"{f}: SLO 's': burn-rate threshold nan is not a number (a finite number is expected)" in report.notes
    assert "burn_rate" not in report.config["slos"][0]


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-inf", float("nan"), float("inf"), "1e999999"])
def test_share_and_number_refuse_what_is_not_a_finite_number(value: object) -> None:
    with pytest.raises(Refused, match="is not a number|too large a number"):
        number(value, "x")
    with pytest.raises(Refused, match="is not a (number|share)"):
        share(value, percent=True)


@pytest.mark.parametrize(("value", "reason"), [
    (True, "x must be a number, not true (true/false)"),
    ({"a": 1}, "x must be a number, not a mapping"),
    ([1], "x must be a number, not a list"),
])
def test_number_names_what_it_got(value: object, reason: str) -> None:
    with pytest.raises(Refused) as err:
        number(value, "x")
    assert str(err.value) == reason


# ---------------------------------------------------------------------------------------------- 4: Sloth


@pytest.mark.parametrize(("bad", "reason"), [
    ("alerting: {page_alert: disabled}", "alerting.page_alert must be a mapping, not a string ('disabled')"),
    ("alerting: {pageAlert: [1]}", "alerting.pageAlert must be a mapping, not a list"),
    ("alerting: {ticket_alert: 5}", "alerting.ticket_alert must be a mapping, not a number (5)"),
    ("alerting: nope", "alerting must be a mapping, not a string ('nope')"),
    ("alerting: {page_alert: {disable: 'yes'}}",
     "alerting.page_alert.disable must be true or false, not a string ('yes')"),
    ("alerting: {name: [a, b]}", "alerting.name must be text, not a list"),
    ("sli: oops", "sli must be a mapping, not a string ('oops')"),
    ("sli: {events: oops}", "sli.events must be a mapping, not a string ('oops')"),
    ("sli: {raw: oops}", "sli.raw must be a mapping, not a string ('oops')"),
    ("sli: {raw: {error_ratio_query: {a: 1}}}", "sli.raw.error_ratio_query must be text, not a mapping"),
    ("sli: {events: {errorQuery: [e], totalQuery: t}}", "sli.events.errorQuery must be text, not a list"),
    ("sli: {plugin: x}", "sli.plugin must be a mapping, not a string ('x')"),
    ("description: [a]", "description must be text, not a list"),
])
def test_one_wrong_field_refuses_that_sloth_slo_only(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str,
                                                     reason: str) -> None:
    """It raised AttributeError, caught for the whole document: every SLO of it was dropped with
    'unexpected document structure (AttributeError: 'str' object has no attribute 'get')'."""
    body = {"alerting": "", "sli": "", "description": ""}
    key = bad.split(":", 1)[0]
    body[key] = bad
    sli = body["sli"] or ("sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', "
                          "total_query: 'sum(rate(t[{{.window}}]))'}}")
    f = tmp_path / "s.yaml"
    f.write_text("version: prometheus/v1\nservice: svc\nslos:\n" + GOOD_SLOTH_SLO
                 + "  - name: bad-one\n    objective: 99\n    " + sli + "\n"
                 + "".join(f"    {v}\n" for k, v in body.items() if v and k != "sli"))
    code, out, err = _cli(capsys, str(f))
    assert code == 1
    assert _skipped(err) == [f"{f}: document 1 at line 1 (Sloth spec 'svc') SLO 'bad-one': {reason}"]
    assert "name: svc-good-one" in out
    assert "bad-one" not in out


def test_a_sloth_slo_named_by_a_mapping_is_named_by_its_index(tmp_path: Path) -> None:
    f = _file(tmp_path, "version: prometheus/v1\nservice: svc\nslos:\n" + GOOD_SLOTH_SLO
              + "  - name: {a: 1}\n    objective: 99\n")
    report = import_files([f])
    assert [(s.document, s.reason) for s in report.skipped] == [
        ("document 1 at line 1 (Sloth spec 'svc') SLO 'slos[1]'", "name must be text, not a mapping")]
    assert [s["name"] for s in report.config["slos"]] == ["svc-good-one"]


@pytest.mark.parametrize(("doc", "reason"), [
    ("version: prometheus/v1\nservice: svc\nslos: oops\n", "slos must be a list of SLOs, not a string ('oops')"),
    ("version: prometheus/v1\nservice: svc\nslos: {name: a}\n", "slos must be a list of SLOs, not a mapping"),
    ("version: prometheus/v1\nservice: [a]\nslos: []\n", "service must be text, not a list"),
    ("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: x}\nspec: [1]\n",
     "spec must be a mapping, not a list"),
    ("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: x}\n"
     "spec: {service: svc, slos: x}\n", "spec.slos must be a list of SLOs, not a string ('x')"),
])
def test_sloth_document_shapes(tmp_path: Path, doc: str, reason: str) -> None:
    report = import_files([_file(tmp_path, doc)])
    assert [s.reason for s in report.skipped] == [reason]


# ---------------------------------------------------------------------------------------------- 4: OpenSLO

OPENSLO_OK = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: ok}
spec:
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'ok_total'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'all_total'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  objectives: [{target: 0.99}]
"""

RATIO = ("{counter: true, good: {metricSource: {type: Prometheus, spec: {query: g}}}, "
         "total: {metricSource: {type: Prometheus, spec: {query: t}}}}")


def _openslo_bad(spec: str) -> str:
    return "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: bad}\nspec:\n" + textwrap.indent(spec, "  ")


@pytest.mark.parametrize(("spec", "reason"), [
    ("indicator: {metadata: {name: i}, spec: {ratioMetric: foo}}\nobjectives: [{target: 0.9}]\n",
     "spec.indicator.spec.ratioMetric must be a mapping, not a string ('foo')"),
    ("indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true, good: foo, total: foo}}}\n"
     "objectives: [{target: 0.9}]\n",
     "spec.indicator.spec.ratioMetric.good must be a mapping, not a string ('foo')"),
    ("indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: x}, total: {metricSource: x}}}}\n"
     "objectives: [{target: 0.9}]\n",
     "spec.indicator.spec.ratioMetric.good.metricSource must be a mapping, not a string ('x')"),
    ("indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {spec: [q]}}, "
     "total: {metricSource: {spec: [q]}}}}}\nobjectives: [{target: 0.9}]\n",
     "spec.indicator.spec.ratioMetric.good.metricSource.spec must be a mapping, not a list"),
    ("indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {spec: {query: {a: 1}}}}, "
     "total: {metricSource: {spec: {query: t}}}}}}\nobjectives: [{target: 0.9}]\n",
     "spec.indicator.spec.ratioMetric.good.metricSource.spec.query must be text, not a mapping"),
    ("indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: 'yes', good: {metricSource: {spec: "
     "{query: g}}}, total: {metricSource: {spec: {query: t}}}}}}\nobjectives: [{target: 0.9}]\n",
     "spec.indicator.spec.ratioMetric.counter must be true or false, not a string ('yes')"),
    ("indicator: {metadata: {name: i}, spec: {ratioMetric: {raw: foo, rawType: success}}}\n"
     "objectives: [{target: 0.9}]\n", "spec.indicator.spec.ratioMetric.raw must be a mapping, not a string ('foo')"),
    ("indicator: {metadata: {name: i}, spec: {thresholdMetric: foo}}\nobjectives: [{target: 0.9, op: lt, value: 1}]\n",
     "spec.indicator.spec.thresholdMetric must be a mapping, not a string ('foo')"),
    ("indicator: {metadata: {name: i}, spec: {thresholdMetric: {metricSource: [1]}}}\n"
     "objectives: [{target: 0.9, op: lt, value: 1}]\n",
     "spec.indicator.spec.thresholdMetric.metricSource must be a mapping, not a list"),
    ("indicator: foo\nobjectives: [{target: 0.9}]\n", "spec.indicator must be a mapping, not a string ('foo')"),
    ("indicator: {metadata: {name: i}, spec: [1]}\nobjectives: [{target: 0.9}]\n",
     "spec.indicator.spec must be a mapping, not a list"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: foo\n",
     "spec.objectives must be a list of objectives, not a string ('foo')"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: {{target: 0.9}}\n",
     "spec.objectives must be a list of objectives, not a mapping"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: [0.9]\n",
     "spec.objectives[0] must be a mapping, not a number (0.9)"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: [{{target: 0.9}}]\n"
     "alertPolicies: foo\n", "spec.alertPolicies must be a list of alert policies, not a string ('foo')"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: [{{target: 0.9}}]\n"
     "alertPolicies: [{kind: AlertPolicy, metadata: {name: p}, spec: {conditions: foo}}]\n",
     "AlertPolicy 'p': spec.conditions must be a list of alert conditions, not a string ('foo')"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: [{{target: 0.9}}]\n"
     "alertPolicies: [{kind: AlertPolicy, metadata: {name: p}, spec: [1]}]\n",
     "AlertPolicy 'p': spec must be a mapping, not a list"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: [{{target: 0.9}}]\n"
     "description: {a: 1}\n", "spec.description must be text, not a mapping"),
    (f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\nobjectives: [{{target: 0.9}}]\n"
     "budgetingMethod: [Occurrences]\n", "spec.budgetingMethod must be text, not a list"),
])
def test_openslo_wrong_shapes_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str,
                                           reason: str) -> None:
    """They were 'unexpected document structure (AttributeError: ...)', or silently read as absent."""
    f = _file(tmp_path, OPENSLO_OK + "---\n" + _openslo_bad(spec))
    code, out, err = _cli(capsys, f)
    assert code == 1
    assert _skipped(err) == [f"{f}: document 2 at line 15 (SLO 'bad'): {reason}"]
    assert "name: ok" in out


@pytest.mark.parametrize(("doc", "reason"), [
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: x\nspec: {}\n", "metadata must be a mapping, not a string ('x')"),
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: [a]}\nspec: {}\n", "metadata.name must be text, not a list"),
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: [1]\n", "spec must be a mapping, not a list"),
])
def test_openslo_document_shapes(tmp_path: Path, doc: str, reason: str) -> None:
    report = import_files([_file(tmp_path, doc)])
    assert [s.reason for s in report.skipped] == [reason]


def test_a_data_source_of_the_wrong_shape_is_named(tmp_path: Path) -> None:
    f = _file(tmp_path, """\
        apiVersion: openslo/v1
        kind: DataSource
        metadata: {name: prom}
        spec: {type: Prometheus, connectionDetails: 'http://p:9090'}
        ---
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: s}
        spec:
          indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true,
            good: {metricSource: {metricSourceRef: prom, spec: {query: g}}},
            total: {metricSource: {metricSourceRef: prom, spec: {query: t}}}}}}
          objectives: [{target: 0.99}]
        """)
    report = import_files([f])
    assert [s.reason for s in report.skipped] == [
        "DataSource 'prom': spec.connectionDetails must be a mapping (url: ...) or a list of mappings, not a string "
        "('http://p:9090')"]


def test_a_bad_objective_refuses_that_objective_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(tmp_path, f"""\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {{name: x}}
        spec:
          indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}
          objectives:
            - {{displayName: fine, target: 0.99}}
            - nope
            - {{displayName: bad-op, target: 0.9, op: [gt]}}
            - {{displayName: bad-target, target: .nan}}
            - {{displayName: {{a: 1}}, target: 0.9}}
        """)
    code, out, err = _cli(capsys, f)
    assert code == 1
    assert _skipped(err) == [
        f"{f}: document 1 at line 1 (SLO 'x') SLO 'spec.objectives[1]': spec.objectives[1] must be a mapping, not a string "
        "('nope')",
        f"{f}: document 1 at line 1 (SLO 'x') SLO 'x-bad-op': spec.objectives[2].op must be text, not a list",
        f"{f}: document 1 at line 1 (SLO 'x') SLO 'x-bad-target': target nan is not a number (a finite number is expected)",
        f"{f}: document 1 at line 1 (SLO 'x') SLO 'spec.objectives[4]': spec.objectives[4].displayName must be text, "
        "not a mapping",
    ]
    assert "name: x-fine" in out


def test_a_bad_alert_condition_is_a_note(tmp_path: Path) -> None:
    f = _file(tmp_path, f"""\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {{name: s}}
        spec:
          indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}
          objectives: [{{target: 0.99}}]
          alertPolicies:
            - kind: AlertPolicy
              metadata: {{name: p}}
              spec:
                conditions:
                  - {{kind: AlertCondition, metadata: {{name: c}}, spec: {{condition: burnrate}}}}
                  - {{kind: AlertCondition, metadata: {{name: d}}, spec: {{severity: page,
                      condition: {{kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}}}}}}
        """)
    report = import_files([f])
    assert report.skipped == []
    assert (f"{f}: SLO 's': alert condition not imported: AlertCondition 'c': spec.condition must be a mapping, "
            "not a string ('burnrate')") in report.notes
    assert [t["factor"] for t in report.config["slos"][0]["burn_rate"]] == [14.4]


# ---------------------------------------------------------------------------------------------- 6: windows


@pytest.mark.parametrize(("window", "reason"), [
    ("timeWindow: 7d", "spec.timeWindow must be a list of {duration, isRolling} (or one such mapping), "
                       "not a string ('7d')"),
    ("timeWindow: 30", "spec.timeWindow must be a list of {duration, isRolling} (or one such mapping), "
                       "not a number (30)"),
    ("timeWindow: [7d]", "spec.timeWindow[0] must be a mapping (a list of {duration, isRolling} (or one such "
                         "mapping)), not a string ('7d')"),
    ("timeWindow: [{isRolling: true}]", "spec.timeWindow.duration is missing (expected e.g. 28d, 1M)"),
    ("timeWindow: [{duration: [7d]}]", "spec.timeWindow.duration must be text, not a list"),
    ("timeWindow: [{duration: 7d, isRolling: 'no'}]",
     "spec.timeWindow.isRolling must be true or false, not a string ('no')"),
    ("timeWindow: [{duration: 1M, calendar: x}]", "spec.timeWindow.calendar must be a mapping, not a string ('x')"),
])
def test_a_time_window_of_the_wrong_shape_is_not_the_default(tmp_path: Path, window: str, reason: str) -> None:
    """``timeWindow: 7d`` was read as no window: a 30-day period, exit 0."""
    f = _file(tmp_path, _openslo_bad(f"indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}\n"
                                     f"objectives: [{{target: 0.9}}]\n{window}\n"))
    report = import_files([f])
    assert [s.reason for s in report.skipped] == [reason]


def test_a_v1alpha_time_window_of_the_wrong_shape_is_not_the_default(tmp_path: Path) -> None:
    f = _file(tmp_path, """\
        apiVersion: openslo/v1alpha
        kind: SLO
        metadata: {name: a}
        spec:
          timeWindows: 7d
          objectives:
            - target: 0.99
              ratioMetrics:
                incremental: true
                good: {source: prometheus, queryType: promql, query: g}
                total: {source: prometheus, queryType: promql, query: t}
        """)
    report = import_files([f])
    assert [s.reason for s in report.skipped] == [
        "spec.timeWindows must be a list of {count, unit, isRolling}, not a string ('7d')"]


# ---------------------------------------------------------------------------------------------- 5, 8: Pyrra


def _pyrra(indicator: str, extra: str = "") -> str:
    return ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: bad, namespace: mon}\n"
            f"spec:\n  target: '99.5'\n  window: 28d\n  indicator: {indicator}\n{extra}")


PYRRA_OK = ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: ok}\nspec:\n"
            "  target: '99'\n"
            "  indicator: {ratio: {errors: {metric: 'e_total{code=\"5\"}'}, total: {metric: e_total}}}\n")


@pytest.mark.parametrize(("doc", "reason"), [
    (_pyrra("{ratio: {errors: {metric: e}, total: {metric: t}, grouping: job}}"),
     "indicator.ratio.grouping must be a list of label names, not a string ('job')"),
    (_pyrra("{latency: {success: {metric: 'b{le=\"1\"}'}, total: {metric: c}, grouping: job}}"),
     "indicator.latency.grouping must be a list of label names, not a string ('job')"),
    (_pyrra("{bool_gauge: {metric: up, grouping: {a: 1}}}"),
     "indicator.bool_gauge.grouping must be a list of label names, not a mapping"),
    (_pyrra("{ratio: {errors: {metric: e}, total: {metric: t}, grouping: [job, 1]}}"),
     "indicator.ratio.grouping must be a list of label names (indicator.ratio.grouping[1] is a number (1))"),
    (_pyrra("{ratio: x}"), "indicator.ratio must be a mapping, not a string ('x')"),
    (_pyrra("{latency: [1]}"), "indicator.latency must be a mapping, not a list"),
    (_pyrra("{bool_gauge: up}"), "indicator.bool_gauge must be a mapping, not a string ('up')"),
    (_pyrra("{ratio: {errors: x, total: {metric: t}}}"),
     "indicator.ratio.errors must be a mapping, not a string ('x')"),
    (_pyrra("{ratio: {errors: {metric: e}, total: [t]}}"), "indicator.ratio.total must be a mapping, not a list"),
    (_pyrra("{ratio: {errors: {metric: {a: 1}}, total: {metric: t}}}"),
     "indicator.ratio.errors.metric must be text, not a mapping"),
    (_pyrra("{latencyNative: {total: {metric: h}, latency: [1s]}}"),
     "indicator.latencyNative.latency must be text, not a list"),
    (_pyrra("x"), "spec.indicator must be a mapping, not a string ('x')"),
    (_pyrra("{ratio: {errors: {metric: e}, total: {metric: t}}}", "  alerting: off\n"),
     "spec.alerting must be a mapping, not false (true/false)"),
    (_pyrra("{ratio: {errors: {metric: e}, total: {metric: t}}}", "  alerting: {burnrates: 'no'}\n"),
     "spec.alerting.burnrates must be true or false, not a string ('no')"),
    (_pyrra("{ratio: {errors: {metric: e}, total: {metric: t}}}", "  alerting: {name: [a]}\n"),
     "spec.alerting.name must be text, not a list"),
    (_pyrra("{ratio: {errors: {metric: e}, total: {metric: t}}}", "  description: [a]\n"),
     "spec.description must be text, not a list"),
    # Pyrra's metric is a series selector (its Internal(): "ratio error metric is not a VectorSelector")
    (_pyrra("{ratio: {errors: {metric: 'rate(x[5m])'}, total: {metric: http_requests_total}}}"),
     "indicator.ratio.errors.metric 'rate(x[5m])' is not a series selector (Pyrra's metric is one, such as "
     "http_requests_total{job=\"api\"}; Pyrra adds the rate and the sum)"),
    (_pyrra("{latency: {success: {metric: 'b{le=\"1\"}'}, total: {metric: 'sum(c)'}}}"),
     "indicator.latency.total.metric 'sum(c)' is not a series selector (Pyrra's metric is one, such as "
     "http_requests_total{job=\"api\"}; Pyrra adds the rate and the sum)"),
    (_pyrra("{bool_gauge: {metric: 'up == 1'}}"),
     "indicator.bool_gauge.metric 'up == 1' is not a series selector (Pyrra's metric is one, such as "
     "http_requests_total{job=\"api\"}; Pyrra adds the rate and the sum)"),
    (_pyrra("{ratio: {errors: {metric: 'x{'}, total: {metric: t}}}"),
     "PromQL does not parse: "),
])
def test_pyrra_wrong_shapes_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: str,
                                         reason: str) -> None:
    f = _file(tmp_path, PYRRA_OK + "---\n" + doc)
    code, out, err = _cli(capsys, f)
    assert code == 1
    [line] = _skipped(err)
    assert line.startswith(f"{f}: document 2 at line 8 (ServiceLevelObjective 'bad'): {reason}")
    assert "name: ok" in out


def test_pyrra_grouping_as_a_list_is_still_the_breakdown(tmp_path: Path) -> None:
    f = _file(tmp_path, _pyrra("{ratio: {errors: {metric: 'e{code=\"5\"}'}, total: {metric: e}, grouping: [job]}}"))
    [slo] = import_files([f]).config["slos"]
    assert slo["breakdown"] == ["job"]


# ---------------------------------------------------------------------------------------------- 7: duplicate keys


def test_a_duplicate_key_refuses_its_document_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``objective: 99.9`` then ``objective: 90`` imported 0.9 silently (the last one won)."""
    f = _file(tmp_path, """\
        version: prometheus/v1
        service: svc
        slos:
          - name: a
            objective: 99.9
            objective: 90
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
        ---
        version: prometheus/v1
        service: other
        slos:
          - name: b
            objective: 99
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
        """)
    code, out, err = _cli(capsys, f)
    assert code == 1
    assert _skipped(err) == [
        f"{f}: document 1 at line 1 (Sloth spec 'svc'): line 6, column 5: duplicate key 'objective' (first at line 5)"]
    assert "name: other-b" in out and "svc-a" not in out


@pytest.mark.parametrize("text", [
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x, name: y}\nspec: {}\n",
    "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec:\n  target: '99'\n"
    "  target: '90'\n",
    "- apiVersion: pyrra.dev/v1alpha1\n  kind: ServiceLevelObjective\n  metadata: {labels: {a: 1, a: 2}}\n",
])
def test_duplicate_keys_anywhere_are_refused(tmp_path: Path, text: str) -> None:
    report = import_files([_file(tmp_path, text)])
    [skip] = report.skipped
    assert "duplicate key" in skip.reason and "(first at line " in skip.reason
    assert skip.reason.startswith("line ")


def test_merge_keys_and_aliases_are_not_duplicates(tmp_path: Path) -> None:
    f = _file(tmp_path, """\
        version: prometheus/v1
        service: svc
        slos:
          - &base
            name: a
            objective: 99
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
          - <<: *base
            name: b
            objective: 99.5
        """)
    report = import_files([f])
    assert report.skipped == []
    assert [(s["name"], s["objective"]["target"]) for s in report.config["slos"]] == [("svc-a", 0.99),
                                                                                       ("svc-b", 0.995)]


# ---------------------------------------------------------------------------------------------- 9: labels


def test_a_nested_label_value_is_left_out_with_a_note(tmp_path: Path) -> None:
    """``team: {a: 1}`` was the label value "{'a': 1}" (a Python repr)."""
    f = _file(tmp_path, """\
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: s
          labels: {team: {a: 1}, env: prod, owners: [a, b], mixed: [a, {b: 1}], flag: true}
        spec:
          indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true,
            good: {metricSource: {type: Prometheus, spec: {query: g}}},
            total: {metricSource: {type: Prometheus, spec: {query: t}}}}}}
          objectives: [{target: 0.99}]
        """)
    report = import_files([f])
    assert report.config["slos"][0]["labels"] == {"env": "prod", "owners": "a,b", "flag": "true"}
    assert [n for n in report.notes if "label" in n] == [
        f"{f}: SLO 's': metadata.labels: label 'team' not imported (its value is a mapping, expected text or a "
        "list of texts)",
        f"{f}: SLO 's': metadata.labels: label 'mixed' not imported (its value is a list, expected text or a "
        "list of texts)",
    ]


def test_nested_labels_in_sloth_and_pyrra_are_notes(tmp_path: Path) -> None:
    sloth = _file(tmp_path, "version: prometheus/v1\nservice: svc\nlabels: {team: {a: 1}}\nslos:\n" + GOOD_SLOTH_SLO
                  + "    labels: {tier: [x, [y]]}\n    alerting: {labels: {sev: {a: 1}}}\n", "s.yaml")
    pyrra = _file(tmp_path, PYRRA_OK.replace("metadata: {name: ok}", "metadata: {name: ok, labels: {t: {a: 1}}}"),
                  "p.yaml")
    report = import_files([sloth, pyrra])
    assert report.skipped == []
    assert all("labels" not in s for s in report.config["slos"])
    assert [n for n in report.notes if "not imported (its value" in n] == [
        f"{sloth}: svc: labels: label 'team' not imported (its value is a mapping, expected text or a list of texts)",
        f"{sloth}: svc-good-one: labels: label 'tier' not imported (its value is a list, expected text or a list "
        "of texts)",
        f"{sloth}: svc-good-one: alerting.labels: label 'sev' not imported (its value is a mapping, expected text "
        "or a list of texts)",
        f"{pyrra}: ok: metadata.labels: label 't' not imported (its value is a mapping, expected text or a list "
        "of texts)",
    ]


def test_labels_of_keeps_lists_of_scalars_and_names_what_it_drops() -> None:
    notes: list[str] = []
    assert labels_of({"a": [1, None, "x"], "b": None, "c": False}, notes) == {"a": "1,x", "c": "false"}
    assert notes == []
    assert labels_of("team=a", notes, "where") == {}
    assert notes == ["where not imported: expected a mapping of label names to values, not a string ('team=a')"]


# ---------------------------------------------------------------------------------------------- 10: PromQL


@pytest.mark.parametrize("counter", ["true", "false"])
def test_a_promql_error_in_a_rewritten_query_is_a_parse_error(tmp_path: Path, counter: str) -> None:
    """over_window()'s ValueError read 'unexpected document structure (ValueError: unclosed left parenthesis)'."""
    f = _file(tmp_path, f"""\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {{name: x}}
        spec:
          indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {{counter: {counter},
            good: {{metricSource: {{type: Prometheus, spec: {{query: 'sum(rate(x[5m])'}}}}}},
            total: {{metricSource: {{type: Prometheus, spec: {{query: t}}}}}}}}}}}}
          objectives: [{{target: 0.99}}]
        """)
    report = import_files([f])
    assert [s.reason for s in report.skipped] == [
        "PromQL does not parse: unclosed left parenthesis (in 'sum(rate(x[5m])')"]


def test_a_promql_error_in_a_v1alpha_query_is_a_parse_error(tmp_path: Path) -> None:
    f = _file(tmp_path, """\
        apiVersion: openslo/v1alpha
        kind: SLO
        metadata: {name: a}
        spec:
          objectives:
            - target: 0.99
              ratioMetrics:
                incremental: true
                good: {source: prometheus, query: 'sum(g'}
                total: {source: prometheus, query: t}
        """)
    report = import_files([f])
    assert [s.reason for s in report.skipped] == ["PromQL does not parse: unclosed left parenthesis (in 'sum(g')"]


# ---------------------------------------------------------------------------------------------- 11: names


def test_objectives_whose_names_differ_by_case_get_distinct_names(tmp_path: Path) -> None:
    """The second became a 'duplicate SLO name x-a' and was dropped."""
    f = _file(tmp_path, f"""\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {{name: x}}
        spec:
          indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}
          objectives: [{{displayName: A, target: 0.99}}, {{displayName: a, target: 0.95}}, {{displayName: 'a!',
                        target: 0.9}}]
        """)
    report = import_files([f])
    assert report.skipped == []
    assert [(s["name"], s["objective"]["target"]) for s in report.config["slos"]] == [
        ("x-a", 0.99), ("x-a-2", 0.95), ("x-a-3", 0.9)]
    assert [n for n in report.notes if "is named" in n] == [
        f"{f}: SLO 'x': objective 'a' (spec.objectives[1]) is named x-a-2 (x-a is another objective's name)",
        f"{f}: SLO 'x': objective 'a!' (spec.objectives[2]) is named x-a-3 (x-a is another objective's name)",
    ]


def test_the_same_slo_name_in_two_documents_is_still_a_skip(tmp_path: Path) -> None:
    f = _file(tmp_path, OPENSLO_OK + "---\n" + OPENSLO_OK)
    report = import_files([f])
    assert [s.reason for s in report.skipped] == [f"duplicate SLO name 'ok' (first imported from {f})"]
    assert report.imported == 1


# ---------------------------------------------------------------------------------------------- the family

PEERS = Path(__file__).resolve().parents[1] / "data" / "peers"
SEEDS = [PEERS / "slok+sloth/examples/getting-started.yml",
         PEERS / "pyrra-dev+pyrra/examples/pyrra-connect-errors.yaml",
         PEERS / "OpenSLO+go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo.yaml",
         PEERS / "OpenSLO+oslo/test/inputs/validate/v1alpha.yaml",
         PEERS / "slok+sloth/examples/k8s-multifile.yml"]
WRONG = st.sampled_from([None, 0, 1.5, "", "x", "7d", [], [1], ["a"], {}, {"a": 1}, True, float("nan"),
                         float("inf")])


def _paths(node, prefix=()):  # type: ignore[no-untyped-def]
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([s for s in SEEDS if s.exists()]), st.integers(min_value=0), WRONG)
def test_every_wrong_shape_is_named_never_an_unexpected_structure(tmp_path_factory: pytest.TempPathFactory,
                                                                  seed: Path, pick: int, wrong: object) -> None:
    """No value anywhere in a real peer file, replaced by a value of another shape, reaches the
    last-resort 'unexpected (document) structure' reason, nor becomes a Python repr in the output."""
    import copy
    import json

    import yaml

    docs = list(yaml.safe_load_all(seed.read_text()))
    paths = [p for p in _paths(docs) if p]
    path = paths[pick % len(paths)]
    mutated = copy.deepcopy(docs)
    cur = mutated
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = wrong
    f = tmp_path_factory.mktemp("m") / "m.yaml"
    f.write_text(yaml.safe_dump_all(mutated))
    report = import_files([str(f)])
    assert not [s for s in report.skipped if "unexpected" in s.reason]
    out = json.dumps(report.config)
    assert "{'a'" not in out and "['a']" not in out and "True" not in out


def test_no_traceback_from_the_command(tmp_path: Path) -> None:
    """The probe's files, through the real command line: refused with reasons, exit 3, no traceback."""
    files = [
        _file(tmp_path, "version: prometheus/v1\nservice: svc\nslos:\n  - name: e\n    objective: .nan\n"
                        "    sli: {events: {error_query: e, total_query: t}}\n", "nan.yaml"),
        _file(tmp_path, _pyrra("{ratio: {errors: {metric: e}, total: {metric: t}, grouping: job}}"), "g.yaml"),
    ]
    proc = subprocess.run([sys.executable, "-m", "slotui", "import", *files], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "objective nan is not a number (a finite number is expected)" in proc.stderr
    assert "indicator.ratio.grouping must be a list of label names" in proc.stderr


def _condition_slo(tmp_path: Path, conditions: str, name: str = "in.yaml") -> str:
    return _file(tmp_path, f"""\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {{name: s}}
        spec:
          indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}
          objectives: [{{target: 0.99}}]
          alertPolicies:
            - kind: AlertPolicy
              metadata: {{name: p}}
              spec:
                conditions:
{conditions}
        """, name)


@pytest.mark.parametrize("missing", ["op", "threshold", "lookbackWindow"])
def test_an_alert_condition_without_a_required_field_is_a_note_not_a_default(tmp_path: Path, missing: str) -> None:
    """OpenSLO requires op, threshold and lookbackWindow: a missing threshold became a page at burn rate 1,
    a missing lookbackWindow 1h and a missing op gt, without a word."""
    fields = {"op": "gt", "threshold": "6", "lookbackWindow": "2h"}
    del fields[missing]
    cond = ", ".join(f"{k}: {v}" for k, v in fields.items())
    f = _condition_slo(tmp_path, f"                  - {{kind: AlertCondition, metadata: {{name: c}}, spec: "
                                 f"{{severity: page, condition: {{kind: burnrate, {cond}}}}}}}")
    report = import_files([f])
    assert report.skipped == []
    assert (f"{f}: SLO 's': burn-rate condition 'c' not imported: AlertCondition 'c': spec.condition has no "
            f"{missing} (OpenSLO requires them)") in report.notes
    assert "burn_rate" not in report.config["slos"][0]


@pytest.mark.parametrize(("severity", "level", "noted"), [
    ("sev1", "critical", False), ("P1", "critical", False), ("page", "critical", False), ("ticket", "warning", False),
    ("sev2", "warning", False), ("whenever", "warning", True)])
def test_alert_condition_severities_map_to_levels_and_an_unknown_one_is_noted(
        tmp_path: Path, severity: str, level: str, noted: bool) -> None:
    f = _condition_slo(tmp_path, f"                  - {{kind: AlertCondition, metadata: {{name: c}}, spec: "
                                 f"{{severity: {severity}, condition: {{kind: burnrate, op: gt, threshold: 6, "
                                 f"lookbackWindow: 2h}}}}}}")
    report = import_files([f])
    assert [t["severity"] for t in report.config["slos"][0]["burn_rate"]] == [level]
    assert any(f"severity {severity.lower()!r} read as warning" in n for n in report.notes) is noted


def test_more_than_one_time_window_is_refused(tmp_path: Path) -> None:
    """OpenSLO: timeWindow "is a list but accepting only exactly one"; the second was dropped silently."""
    f = _file(tmp_path, f"""\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {{name: s}}
        spec:
          indicator: {{metadata: {{name: i}}, spec: {{ratioMetric: {RATIO}}}}}
          objectives: [{{target: 0.99}}]
          timeWindow: [{{duration: 28d, isRolling: true}}, {{duration: 7d, isRolling: true}}]
        """)
    report = import_files([f])
    assert not report.config.get("slos")
    assert [s.reason for s in report.skipped] == ["spec.timeWindow must hold exactly one window, not 2"]


def test_a_name_defined_twice_uses_the_slos_own_file_whatever_the_order(tmp_path: Path) -> None:
    """Two SLIs named lat: the one beside the SLO is meant; the last file read used to win. Elsewhere,
    the first read is used, with a note naming the files."""
    def sli(job: str) -> str:
        return (f"apiVersion: openslo/v1\nkind: SLI\nmetadata: {{name: lat}}\nspec:\n  ratioMetric:\n"
                f"    counter: true\n    good: {{metricSource: {{type: Prometheus, spec: {{query: 'ok{{job=\"{job}\"}}'}}}}}}\n"
                f"    total: {{metricSource: {{type: Prometheus, spec: {{query: 'all{{job=\"{job}\"}}'}}}}}}\n")
    slo = ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: s}\nspec:\n  indicatorRef: lat\n"
           "  objectives: [{target: 0.99}]\n")
    own = tmp_path / "sli-and-slo.yaml"
    own.write_text(sli("A") + "---\n" + slo)
    other = tmp_path / "other-sli.yaml"
    other.write_text(sli("B"))
    for files in ([own, other], [other, own]):
        report = import_files([str(p) for p in files])
        (entry,) = report.config["slos"]
        assert 'job="A"' in entry["ratio"]["good"] and 'job="B"' not in entry["ratio"]["good"]
        assert not any("defined 2 times" in n for n in report.notes)
    alone = tmp_path / "slo.yaml"
    alone.write_text(slo)
    report = import_files([str(own), str(other), str(alone)])
    assert any(f"SLI 'lat' is defined 2 times with different content ({own}, {other}): the first read, from "
               f"{own}, is used" in n for n in report.notes)


def test_a_data_source_not_in_the_given_files_is_noted(tmp_path: Path) -> None:
    f = _file(tmp_path, """\
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: s}
        spec:
          indicator:
            metadata: {name: i}
            spec:
              ratioMetric:
                counter: true
                good: {metricSource: {metricSourceRef: prom-prod, type: Prometheus, spec: {query: g}}}
                total: {metricSource: {metricSourceRef: prom-prod, type: Prometheus, spec: {query: t}}}
          objectives: [{target: 0.99}]
        """)
    report = import_files([f])
    assert report.config["slos"][0]["source"] == "prom-prod"
    assert any("data source 'prom-prod' is not in the given files" in n and "set its url" in n for n in report.notes)


# ---------------------------------------------------------------------------------------------- 8: where a document starts


def test_a_refused_document_is_named_with_the_line_it_starts_at(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each refusal names the line its document starts at: after comments and ``---``, in a
    ``kubectl get -o yaml`` list (``kind: List``, ``items:``) and in a plain YAML list, for a document
    that is no mapping as well (a file of many documents was searched by counting them)."""
    f = _file(tmp_path, """\
        # Sloth's spec, then a list of Pyrra objects as kubectl prints them
        version: prometheus/v1
        service: svc
        slos:
          - name: bad
            objective: lots
            sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
        ---
        apiVersion: v1
        kind: List
        items:
          - apiVersion: pyrra.dev/v1alpha1
            kind: ServiceLevelObjective
            metadata: {name: ok}
            spec:
              target: "99"
              window: 2w
              indicator: {ratio: {errors: {metric: 'e{code="5"}'}, total: {metric: t}}}
          - apiVersion: pyrra.dev/v1alpha1
            kind: ServiceLevelObjective
            metadata: {name: broken}
            spec: {target: lots, window: 2w}
          - 5
        ---

        - apiVersion: openslo/v1
          kind: SLO
          metadata: {name: no-indicator}
          spec: {service: x, objectives: [{target: 0.9}]}
        """)
    code, out, err = _cli(capsys, f)
    assert code == 1
    assert sorted(_skipped(err)) == sorted([
        f"{f}: document 1 at line 2 (Sloth spec 'svc') SLO 'bad': objective 'lots' is not a number",
        f"{f}: document 3 at line 19 (ServiceLevelObjective 'broken'): target 'lots' is not a number",
        f"{f}: document 4 at line 23: expected a mapping (got int)",
        f"{f}: document 5 at line 26 (SLO 'no-indicator'): no indicator or indicatorRef",
    ])
    assert "- name: ok\n" in out  # (the list's good object is imported)
    lines = Path(f).read_text().splitlines()
    assert lines[1].startswith("version:") and lines[18].lstrip().startswith("- apiVersion")
    assert lines[22].strip() == "- 5" and lines[25].startswith("- apiVersion: openslo")


# ------------------------------------------------------------------ the line of the key a refusal names


def _at(tmp_path: Path, text: str) -> list[tuple[str, tuple[int, int] | None, str]]:
    report = import_files([_file(tmp_path, text)])
    return [(s.document, s.at, s.reason.split(" ", 1)[0]) for s in report.skipped]


def test_a_refusal_gives_the_line_and_column_of_the_key_its_reason_names(tmp_path: Path) -> None:
    """Found at the last stops: a refusal named the document's first line, not the key's. The key is
    looked up where the converter named it from: a Sloth SLO (plain and as a Kubernetes resource), an
    OpenSLO objective (one of several, and the only one: then the document's reason), the document,
    Pyrra's spec."""
    sloth = ("version: prometheus/v1\nservice: svc\nslos:\n" + GOOD_SLOTH_SLO
             + "  - name: bad\n    objective: 99\n    sli: {raw: {error_ratio_query: 'x'}}\n"
             + "    alerting:\n      page_alert: disabled\n")
    assert _at(tmp_path, sloth) == [("document 1 at line 1 (Sloth spec 'svc') SLO 'bad'", (14, 7), "alerting.page_alert")]
    crd = ("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: x}\nspec:\n"
           "  service: svc\n  slos:\n    - name: a\n      objective: .nan\n      sli: {raw: {error_ratio_query: 'x'}}\n")
    assert _at(tmp_path, crd) == [("document 1 at line 1 (PrometheusServiceLevel 'x') SLO 'a'", (8, 7), "objective")]
    openslo = _openslo_bad("indicator: {metadata: {name: i}, spec: {thresholdMetric: {metricSource: "
                           "{type: Prometheus, spec: {query: q}}}}}\n"
                           "objectives:\n  - {displayName: a, op: lte, value: 1, target: 0.9}\n"
                           "  - displayName: b\n    op: about\n    value: 1\n    target: 0.9\n")
    [(document, at, key)] = _at(tmp_path, openslo)
    assert (document.endswith("SLO 'bad-b'"), key) == (True, "op")
    assert at is not None and textwrap.dedent(openslo).splitlines()[at[0] - 1][at[1] - 1:] == "op: about"
    only = _openslo_bad("indicator: {metadata: {name: i}, spec: {thresholdMetric: {metricSource: "
                        "{type: Prometheus, spec: {query: q}}}}}\n"
                        "objectives: [{op: about, value: 1, target: 0.9}]\n")
    [(_, at, key)] = _at(tmp_path, only)
    assert key == "op" and at is not None
    assert textwrap.dedent(only).splitlines()[at[0] - 1][at[1] - 1:].startswith("op: about")
    pyrra = ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec:\n"
             "  target: '99'\n  window: 2w\n  indicator:\n    ratio:\n      errors: {metric: e}\n"
             "      total: {metric: t}\n      grouping: job\n")
    assert _at(tmp_path, pyrra) == [("document 1 at line 1 (ServiceLevelObjective 'x')", (11, 7), "indicator.ratio.grouping")]
    listed = "apiVersion: v1\nkind: List\nitems:\n" + textwrap.indent(pyrra, "  ").replace("  apiVersion", "- apiVersion", 1)
    assert _at(tmp_path, listed) == [("document 1 at line 4 (ServiceLevelObjective 'x')", (14, 9), "indicator.ratio.grouping")]


def test_a_merged_key_is_found_where_it_is_written_and_an_overridden_one_not_at_all(tmp_path: Path) -> None:
    """A key a merge ``<<`` brings is at the anchor's line (where the bad value is written); a key both
    merged and written again (the written one wins) gives no line rather than maybe the wrong one."""
    base = ("version: prometheus/v1\nservice: svc\nx-defaults: &d\n  alerting: nope\n  objective: 99\nslos:\n"
            "  - <<: *d\n    name: merged\n    sli: {raw: {error_ratio_query: 'x'}}\n")
    assert _at(tmp_path, base) == [("document 1 at line 1 (Sloth spec 'svc') SLO 'merged'", (4, 3), "alerting")]
    again = base + "    alerting: {page_alert: 5}\n"
    assert _at(tmp_path, again) == [("document 1 at line 1 (Sloth spec 'svc') SLO 'merged'", None, "alerting.page_alert")]


@pytest.mark.parametrize(("text", "reason"), [
    # no key path first: no line (the document's line says where)
    ("version: prometheus/v1\nservice: svc\nslos: []\n", "no slos"),
    # the key named is missing
    ("version: prometheus/v1\nservice: svc\nslos:\n  - objective: 99\n", "name is missing"),
    # a reason about the whole spec
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {objectives: []}\n", "no objectives"),
])
def test_a_reason_naming_no_key_of_the_document_gives_no_line(tmp_path: Path, text: str, reason: str) -> None:
    report = import_files([_file(tmp_path, text)])
    assert [(s.reason, s.at) for s in report.skipped] == [(reason, None)]
