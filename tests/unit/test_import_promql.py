"""PromQL is parsed before it runs (``slotui validate``), and strict operators keep equality out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from slotui.core.evaluate import evaluate_slo
from slotui.core.status import meets, value_status
from slotui.core.types import SLIData, SLOSpec, Status
from slotui.peers import promql
from slotui.peers.promql import over_window, parse_error

CONFIG = """\
version: 1
sources:
  prom: {{type: prometheus, url: "http://127.0.0.1:9090"}}
slos:
  - name: availability
    ratio:
      good: 'sum(increase(llm_requests_total{{status="ok"}}[{{{{window}}}}]))'
      total: '{total}'
    objective: {{target: 0.995}}
  - name: p95
    query: '{query}'
    objective: {{target: 2, direction: lower_is_better}}
"""


def _validate(tmp_path: Path, total: str, query: str) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "slos.yaml"
    f.write_text(CONFIG.format(total=total, query=query))
    return subprocess.run([sys.executable, "-m", "slotui", "validate", "-c", str(f)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("field", "total", "query", "where", "message"), [
    ("total", "sum(increase(sum(llm_requests_total)[{{window}}]))", "max(x)", ":8:14: slos[0].ratio.total",
     "ranges only allowed for vector selectors"),
    ("query", "sum(increase(x[{{window}}]))", "histogram_quantile(0.95, sum by (le) (rate(b[5m]))", ":11:12: slos[1].query",
     "unclosed left parenthesis"),
    ("query", "sum(increase(x[{{window}}]))", "sum by ({{by}}) (rate(x[{{window}}])) +", ":11:12: slos[1].query",
     "PromQL does not parse"),
])
def test_validate_reports_the_parse_error_at_file_line_col(tmp_path: Path, field: str, total: str, query: str,
                                                          where: str, message: str) -> None:
    proc = _validate(tmp_path, total, query)
    assert proc.returncode == 3
    assert f"{tmp_path / 'slos.yaml'}{where}: PromQL does not parse" in proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_validate_accepts_templates_that_parse(tmp_path: Path) -> None:
    proc = _validate(tmp_path, "sum by ({{by}}) (increase(x[{{window}}]))", "max(lat)")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("query", "message"), [
    ("sum(rate(x[{{window}}]))", None), ("sum by ({{by}}) (x)", None),
    ("sum(increase(sum(x)[{{window}}]))", "ranges only allowed for vector selectors"),
    ("rate(x[5m]", "unclosed left parenthesis"), ("", "empty expression"),
])
def test_parse_error(query: str, message: str | None) -> None:
    assert parse_error(query) == message


@pytest.mark.parametrize(("query", "function", "want"), [
    ("x", "increase", "sum(increase(x[{{window}}]))"),
    ('x{a="b"}', "increase", 'sum(increase(x{a="b"}[{{window}}]))'),
    ("sum(x)", "increase", "sum(increase(x[{{window}}]))"),
    ("sum by (a) (x)", "increase", "sum by (a)(increase(x[{{window}}]))"),
    ("sum(x) / sum(y)", "increase", "sum(increase(x[{{window}}])) / sum(increase(y[{{window}}]))"),
    ("sum(rate(x[5m]))", "increase", "sum(rate(x[5m]))"),
    ("probe_success", "sum_over_time", "sum(sum_over_time(probe_success[{{window}}]))"),
    # the range goes before @/offset ("x offset 1h[5m]" is not PromQL; sum(x offset 5m) was refused)
    ("x offset 1h", "increase", "sum(increase(x[{{window}}] offset 1h))"),
    ("sum(x offset 5m)", "increase", "sum(increase(x[{{window}}] offset 5m))"),
    ('sum by (a) (x{b="c"} offset -5m)', "increase", 'sum by (a)(increase(x{b="c"}[{{window}}] offset -5m))'),
    ("sum(x @ 1609746000)", "increase", "sum(increase(x[{{window}}] @ 1609746000.000))"),
    # empty braces after a bare name are dropped, never inside a matcher's value ("a{}" became "a")
    ('sum(x{l="a{}"})', "increase", 'sum(increase(x{l="a{}"}[{{window}}]))'),
    ("sum(y) + sum(x{m='w{}'})", "increase", 'sum(increase(y[{{window}}])) + sum(increase(x{m="w{}"}[{{window}}]))'),
])
def test_over_window_wraps_selectors_never_aggregations(query: str, function: str, want: str) -> None:
    got = over_window(query, function)
    assert got == want
    assert parse_error(got) is None


def _spec(direction: str, strict: bool, **kw: object) -> SLOSpec:
    return SLOSpec(name="s", kind="threshold", target=2.0, direction=direction, strict=strict,  # type: ignore[arg-type]
                   **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "direction", "strict", "want"), [
    (2.0, "higher_is_better", False, True), (2.0, "higher_is_better", True, False),
    (2.5, "higher_is_better", True, True), (2.0, "lower_is_better", False, True),
    (2.0, "lower_is_better", True, False), (1.5, "lower_is_better", True, True),
])
def test_meets_strict(value: float, direction: str, strict: bool, want: bool) -> None:
    assert meets(value, 2.0, direction, strict) is want  # type: ignore[arg-type]


def test_strict_status_thresholds() -> None:
    spec = _spec("lower_is_better", True, warning=3.0, critical=5.0)
    assert value_status(2.0, spec) is Status.AT_RISK      # equal to target: misses "< 2"
    assert value_status(1.999, spec) is Status.OK
    assert value_status(3.0, spec) is Status.WARNING      # equal to warning: misses "< 3"
    assert value_status(5.0, spec) is Status.CRITICAL
    loose = _spec("lower_is_better", False, warning=3.0, critical=5.0)
    assert [value_status(v, loose) for v in (2.0, 3.0, 5.0)] == [Status.OK, Status.AT_RISK, Status.WARNING]


def test_strict_slices_budget() -> None:
    # 4 slices of 5m with values 1, 2, 2, 3 against "> 2" (gt): only the last is good.
    # compliance = 1/4; budget B = 1 - 0.5 = 0.5; remaining = 1 - (1 - 0.25) / 0.5 = -0.5
    now = 1200.0
    slices = ((0.0, 1.0), (300.0, 2.0), (600.0, 2.0), (900.0, 3.0))
    spec = _spec("higher_is_better", True, compliance=0.5, period=1200.0, slice=300.0, window=300.0)
    result = evaluate_slo(spec, SLIData(value=3.0, slices=slices), now)
    assert result.budget.compliance == 0.25
    assert result.budget.remaining == -0.5
    loose = _spec("higher_is_better", False, compliance=0.5, period=1200.0, slice=300.0, window=300.0)
    # gte: 3 of 4 good -> compliance 0.75, remaining 1 - 0.25 / 0.5 = 0.5
    assert evaluate_slo(loose, SLIData(value=3.0, slices=slices), now).budget.compliance == 0.75


def test_the_parser_is_imported_only_for_prometheus_slos(tmp_path: Path) -> None:
    f = tmp_path / "slos.yaml"
    f.write_text(CONFIG.format(total="sum(increase(x[{{window}}]))", query="max(x)"))
    probe = (
        "import sys\nfrom slotui.config.loader import load_config\n"
        "load_config(None)\nprint('promql_parser' in sys.modules)\n"
        f"load_config({str(f)!r})\nprint('promql_parser' in sys.modules, 'textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "True", "False"]


@pytest.mark.parametrize(("query", "expected"), [
    ("sum(rate(x[{{window}}]))", "sum(increase(x[{{window}}]))"),
    ('sum by (job) (rate(x{code=~"5.."}[{{window}}]))', 'sum by (job) (increase(x{code=~"5.."}[{{window}}]))'),
    ("rate(x[{{window}}] offset 1h)", "increase(x[{{window}}] offset 1h)"),
    ('sum(rate(x{a="rate(b[{{window}}])"}[{{window}}]))', 'sum(increase(x{a="rate(b[{{window}}])"}[{{window}}]))'),
    # as written: another range, irate, no window, a breakdown template, a query that does not parse
    ("sum(rate(x[5m]))", "sum(rate(x[5m]))"),
    ("sum(irate(x[{{window}}]))", "sum(irate(x[{{window}}]))"),
    ("sum(x)", "sum(x)"),
    ("sum by ({{by}}) (rate(x[{{window}}]))", "sum by ({{by}}) (rate(x[{{window}}]))"),
    ("sum(rate(x[{{window}}])", "sum(rate(x[{{window}}])"),
    # every rate( over the window: renamed in the text, quoting and layout kept (the parser prints "a\"b"
    # as "a"b", which no longer parses: such an SLO was refused)
    ('sum(rate(x{path="/a\\"b"}[{{window}}]))', 'sum(increase(x{path="/a\\"b"}[{{window}}]))'),
    ('sum(rate (x{a="rate(", b=~"x_rate(y)"}[ {{window}} ]))',
     'sum(increase(x{a="rate(", b=~"x_rate(y)"}[ {{window}} ]))'),
    ("sum(irate(x[{{window}}])) + sum(rate(x[{{window}}]))", "sum(irate(x[{{window}}])) + sum(increase(x[{{window}}]))"),
    # some rate( over another range: printed from the tree, or as written when that would not parse
    ("sum(rate(x[{{window}}])) / sum(rate(y[5m]))", "sum(increase(x[{{window}}])) / sum(rate(y[5m]))"),
    ('sum(rate(x{p="/a\\"b"}[{{window}}])) / sum(rate(y[5m]))', 'sum(rate(x{p="/a\\"b"}[{{window}}])) / sum(rate(y[5m]))'),
])
def test_rates_over_the_window_as_increases(query: str, expected: str) -> None:
    assert promql.rates_as_increases(query).replace("sum by (job)(", "sum by (job) (") == expected


def test_a_raw_ratio_is_one_event_per_series() -> None:
    assert promql.ratio_as_events("r", errors=True) == ("1 - (r)", "(r) * 0 + 1")
    assert promql.ratio_as_events("r", errors=False) == ("r", "(r) * 0 + 1")
