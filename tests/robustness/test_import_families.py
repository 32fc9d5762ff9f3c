"""Issue 12 faults as families: each case failed before the fix; generators try the siblings.

- a mapping written as a list (``connectionDetails``, ``timeWindow``,
  ``timeWindows``) or a list written as a mapping no longer crashes;
- targets in percent are exact decimals for every spelling (number, string,
  OpenSLO ``targetPercent``, Sloth ``objective``, Pyrra ``target``);
- a counter is wrapped inside the aggregation for every aggregation and selector;
- camelCase (CRD) and snake_case (spec) Sloth keys mean the same;
- a broken document among good ones never aborts the import nor prints a traceback.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.commands.import_ import import_files
from slotui.peers.promql import over_window, parse_error

PERCENT = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2).map(str)


def _write(tmp: Path, name: str, text: str) -> str:
    f = tmp / name
    f.write_text(textwrap.dedent(text))
    return str(f)


def _openslo(tmp: Path, conn: str, window: str, objective: str) -> str:
    return _write(tmp, "o.yaml", f"""\
        apiVersion: openslo/v1
        kind: DataSource
        metadata: {{name: prom}}
        spec: {{type: Prometheus, connectionDetails: {conn}}}
        ---
        apiVersion: openslo/v1
        kind: SLO
        metadata: {{name: s}}
        spec:
          indicator:
            metadata: {{name: i}}
            spec:
              ratioMetric:
                counter: true
                good: {{metricSource: {{metricSourceRef: prom, spec: {{query: 'ok_total'}}}}}}
                total: {{metricSource: {{metricSourceRef: prom, spec: {{query: 'all_total'}}}}}}
          timeWindow: {window}
          objectives: [{objective}]
        """)


@pytest.mark.parametrize("conn", ["{url: 'http://p:9090'}", "[{url: 'http://p:9090'}]",
                                  "[{url: 'http://p:9090'}, {timeout: 5s}]"])
@pytest.mark.parametrize("window", ["[{duration: 2w, isRolling: true}]", "{duration: 2w, isRolling: true}",
                                    "{duration: 2w}"])
def test_openslo_lists_and_mappings(tmp_path: Path, conn: str, window: str) -> None:
    report = import_files([_openslo(tmp_path, conn, window, "{target: 0.99}")])
    assert report.skipped == []
    assert report.config["sources"]["prom"]["url"] == "http://p:9090"
    assert report.config["slos"][0]["period"] == "2w"


@settings(max_examples=40, deadline=None)
@given(PERCENT)
def test_percent_targets_are_exact_in_every_format(tmp_path_factory: pytest.TempPathFactory, pct: str) -> None:
    tmp = tmp_path_factory.mktemp("pct")
    want = float(Decimal(pct) / 100)
    o = import_files([_openslo(tmp, "{url: 'http://p'}", "{duration: 1d}", f"{{targetPercent: {pct}}}")])
    s = import_files([_write(tmp, "s.yaml", f"""\
        version: prometheus/v1
        service: svc
        slos:
          - name: a
            objective: {pct}
            sli: {{raw: {{error_ratio_query: 'sum(rate(e[{{{{.window}}}}]))'}}}}
        """)])
    p = import_files([_write(tmp, "p.yaml", f"""\
        apiVersion: pyrra.dev/v1alpha1
        kind: ServiceLevelObjective
        metadata: {{name: p}}
        spec: {{target: '{pct}', window: 1d, indicator: {{bool_gauge: {{metric: up}}}}}}
        """)])
    for report in (o, s, p):
        assert report.skipped == []
        assert report.config["slos"][0]["objective"]["target"] == want


SELECTOR = st.sampled_from(["x", 'x{a="b"}', "x_total{job=~\"api|web\"}", "ns:x:rate"])
AGG = st.sampled_from(["{}", "sum({})", "sum by (a) ({})", "sum without (b) ({})", "max({})", "sum({}) by (c)"])


@settings(max_examples=60, deadline=None)
@given(SELECTOR, AGG)
def test_counters_are_wrapped_inside_every_aggregation(selector: str, agg: str) -> None:
    got = over_window(agg.format(selector), "increase")
    assert parse_error(got) is None
    assert "[{{window}}]))" in got or got.endswith("[{{window}}]))")
    assert ")[{{window}}]" not in got  # never a range on an aggregation or a call


@pytest.mark.parametrize(("error", "total", "page", "ticket"), [
    ("error_query", "total_query", "page_alert", "ticket_alert"),
    ("errorQuery", "totalQuery", "pageAlert", "ticketAlert"),
])
def test_sloth_snake_and_camel_keys(tmp_path: Path, error: str, total: str, page: str, ticket: str) -> None:
    f = _write(tmp_path, "s.yaml", f"""\
        version: prometheus/v1
        service: svc
        slos:
          - name: a
            objective: 99
            sli: {{events: {{{error}: 'sum(rate(e[{{{{.window}}}}]))', {total}: 'sum(rate(t[{{{{.window}}}}]))'}}}}
            alerting: {{{page}: {{disable: true}}, {ticket}: {{disable: false}}}}
        """)
    report = import_files([f])
    slo = report.config["slos"][0]
    assert slo["ratio"]["total"] == "sum(increase(t[{{window}}]))"
    assert [t["severity"] for t in slo["burn_rate"]] == ["warning", "warning"]


@pytest.mark.parametrize("bad", [
    "a: [\n", "- 1\n- 2\n", "apiVersion: openslo/v2alpha\nkind: SLO\nmetadata: {name: x}\n",
    "version: prometheus/v1\nservice: s\nslos: [{name: a, objective: x, sli: {}}]\n",
    "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: p}\nspec: {target: 99}\n",
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: s}\nspec: {timeWindow: 5, objectives: [{}]}\n",
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: s}\nspec: {objectives: 3}\n",
    "\xff\xfe",
    # scalars PyYAML raised ValueError on (a traceback): a date that does not exist, a 5,000-digit integer
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {created: 2024-13-45}\n",
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {objectives: [{target: " + "9" * 5000 + "}]}\n",
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {objectives: [{target: !!float abc}]}\n",
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {objectives: [{target: !!timestamp foo}]}\n",
])
def test_a_broken_document_never_aborts_nor_tracebacks(tmp_path: Path, bad: str) -> None:
    good = _openslo(tmp_path, "{url: 'http://p'}", "{duration: 1d}", "{target: 0.9}")
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(bad.encode("latin-1"))
    proc = subprocess.run([sys.executable, "-m", "slotui", "import", good, str(broken)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"skipped: {broken}: " in proc.stderr
    assert "name: s" in proc.stdout


def _paths(node, prefix=()):  # type: ignore[no-untyped-def]
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _replace(node, path, value):  # type: ignore[no-untyped-def]
    if not path:
        return value
    import copy

    node = copy.deepcopy(node)
    cur = node
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return node


PEERS = Path(__file__).resolve().parents[1] / "data" / "peers"
SEEDS = [PEERS / "slok+sloth/examples/getting-started.yml", PEERS / "pyrra-dev+pyrra/examples/pyrra-connect-errors.yaml",
         PEERS / "OpenSLO+go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo.yaml",
         PEERS / "OpenSLO+oslo/test/inputs/validate/v1alpha.yaml"]
WRONG = st.sampled_from([None, 0, 1.5, -3, "", "x", [], [1], {}, {"a": 1}, True])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SEEDS), st.integers(min_value=0), WRONG)
def test_any_value_of_the_wrong_shape_is_refused_not_raised(tmp_path_factory: pytest.TempPathFactory,
                                                            seed: Path, pick: int, wrong: object) -> None:
    import yaml

    docs = list(yaml.safe_load_all(seed.read_text()))
    paths = [p for p in _paths(docs) if p]
    path = paths[pick % len(paths)]
    mutated = _replace(docs, path, wrong)
    f = tmp_path_factory.mktemp("m") / "m.yaml"
    f.write_text(yaml.safe_dump_all(mutated))
    report = import_files([str(f)])  # never raises
    assert report.imported + len(report.skipped) >= 1
