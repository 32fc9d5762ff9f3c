"""Hypothesis mutates whole SLO files structurally; every broken result is one clear error.

Two base files: the embedded example (slos.example.yaml) and one using every source and channel
type with every secret field set. Each example takes one key path of the file (any depth: sources of
every type, slos, objectives, burn-rate tiers, breakdown, alerts, channels, routes, defaults) and
gives it a value of the wrong kind, out of range, empty, null, huge, a list for a mapping or a
mapping for a list, a secret-looking string, or removes it, or adds an unknown key beside it; the
file is written back as YAML and run through ``slotui validate -c FILE`` (the CLI's own main).

A file that still loads is fine (many replacements are valid). Otherwise: exit 3; stderr starts
with the file; an issue line names the file, a line number and the key path of (or around) the
mutated key; nothing on stdout; no traceback; no secret of the file in any form.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotui.cli import main
from slotui.config.errors import format_key_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "slos.example.yaml").read_text(encoding="utf-8")

SECRETS = ["PrOmPaSsWoRd7c1e", "QuErYtOkEn93jd72", "HdRaPiKeY5501kq", "HtTpBeArEr88zz11", "MlFlOwToK3n55aaq",
           "WeAvEaPiK3y2b8mm", "LaNgFuSeSeC9q0pp", "LaNgSmItHk3y77ww", "SlAcKhOoKpAtH4422", "PaGeRdUtYrOuTe99",
           "HoOkBeArEr00aa77", "HoOkHeAdErK3y333", "AlErTmGrPw661177", "SmTpPaSsW0rd8181", "UsErInFoPw44x9q2"]
EVERY_TYPE = f"""\
version: 1
defaults:
  interval: 30s
  window: 1h
  period: 7d
  slice: 5m
  timeout: 5s
  compliance: 0.99
  at_risk_below: 0.25
  breakdown: [route]
  significant: false
  min_samples: 1
  confidence: 0.95
  burn_rate:
    - {{severity: page, long: 1h, short: 5m, factor: 14.4}}
    - {{severity: ticket, long: 1d, short: 2h, factor: 1}}
sources:
  demo: {{type: demo, seed: 7, rate: 2}}
  logs: {{type: file, path: requests.jsonl, format: jsonl, time_field: time, columns: {{route: path}}}}
  prom:
    type: prometheus
    url: "http://127.0.0.1:9/prom?token={SECRETS[1]}"
    basic_auth: {{username: bob, password: "{SECRETS[0]}"}}
    headers: {{X-Api-Key: "{SECRETS[2]}"}}
    step: 1m
  web: {{type: http, url: "http://127.0.0.1:9/data", bearer_token: "{SECRETS[3]}", method: GET}}
  web2: {{type: http, url: "http://ui:{SECRETS[14]}@127.0.0.1:9/data"}}
  ml: {{type: mlflow, url: "http://127.0.0.1:9", experiment: e1, token: "{SECRETS[4]}"}}
  wv: {{type: weave, url: "http://127.0.0.1:9", api_key: "{SECRETS[5]}", project: acme/bot}}
  lf: {{type: langfuse, url: "http://127.0.0.1:9", public_key: pk-lf-pub, secret_key: "{SECRETS[6]}"}}
  ls: {{type: langsmith, api_url: "http://127.0.0.1:9", api_key: "{SECRETS[7]}", project: bot}}
slos:
  - name: latency
    source: demo
    sli: {{field: duration_ms, agg: p95}}
    objective: {{target: 2000, warning: 3000, critical: 5000, compliance: 0.99, significant: true, min_samples: 5,
                confidence: 0.9}}
    window: 1h
    breakdown: [route]
    min_events: 10
    for: 5m
    labels: {{team: ml}}
  - name: availability
    source: logs
    ratio: {{good: "error.type == null"}}
    objective: {{target: 0.995}}
    burn_rate:
      - {{severity: page, long: 1h, short: 5m, factor: 14.4}}
  - {{name: cost, source: demo, sli: {{field: gen_ai.usage.cost, agg: sum}}, objective: {{target: 100, warning: 150}},
     window: 1d, forecast: true}}
  - {{name: up, source: prom, query: up, objective: {{target: 1, direction: higher_is_better}}}}
  - {{name: value, source: web, query: data.value, objective: {{target: 2, warning: 3}}}}
  - {{name: acc, source: ml, query: "metric:accuracy", objective: {{target: 0.9, warning: 0.8}}}}
  - {{name: wlat, source: wv, sli: {{field: latency_ms, agg: p95}}, objective: {{target: 2000, warning: 3000}}}}
  - {{name: flat, source: lf, query: "latency:p95", objective: {{target: 2000, warning: 3000}}}}
  - {{name: lsok, source: ls, ratio: {{good: success}}, objective: {{target: 0.99}}}}
alerts:
  channels:
    slack: {{type: slack, webhook_url: "https://hooks.slack.com/services/T0/B0/{SECRETS[8]}", channel: "#llm"}}
    pd: {{type: pagerduty, routing_key: "{SECRETS[9]}"}}
    hook: {{type: webhook, url: "http://127.0.0.1:9/hook", bearer_token: "{SECRETS[10]}", headers: {{X-Api-Key: "{SECRETS[11]}"}}}}
    am: {{type: alertmanager, url: "http://127.0.0.1:9", basic_auth: {{username: amu, password: "{SECRETS[12]}"}}}}
    mail: {{type: email, host: 127.0.0.1, port: 25, username: smu, password: "{SECRETS[13]}", from: a@example.com, to: [b@example.com]}}
    out: {{type: file, path: alerts.jsonl}}
  routes:
    - {{severity: page, channels: [pd, slack], match: {{team: ml}}}}
    - {{channels: [hook, am, mail, out]}}
  group: {{by: [severity], wait: 30s, interval: 5m, repeat: 4h}}
  escalate: {{warning_to_critical_after: 30m, critical_to_page_after: 15m}}
"""

BASES = {"example": EXAMPLE, "every_type": EVERY_TYPE}

#: values given to a key: wrong kinds, out of range, empty, null, huge, list <-> mapping, a secret-looking string
VALUES: list[Any] = [
    None, "", "   ", "not-a-value", -1, 0, 10**30, 1e308, -1e308, 1.5, True, [], {}, ["a", 1], {"a": 1},
    {"nested": {"deeper": [None]}}, [[{}]], "x" * 5000, "30 parsecs", "${SLOTUI_TEST_UNSET_VAR}",
    "tOkEnLiKeSeCrEt9988",
]
MUTATIONS = ["replace", "remove", "unknown_key", "wrap_in_list", "wrap_in_mapping"]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, prefix + (i,))
    return out


def _mutate(data: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "replace":
        parent[last] = value
    elif how == "remove":
        del parent[last]
    elif how == "unknown_key":
        target = parent[last]
        if isinstance(target, dict):
            target["colour_of_the_sky"] = value
        else:
            parent[last] = {"colour_of_the_sky": value}
    elif how == "wrap_in_list":
        parent[last] = [parent[last]]
    else:
        parent[last] = {"value": parent[last]}
    return data


def _validate(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", "-c", str(path)])
    return code, out.getvalue(), err.getvalue()


def _related(issue_key: str, mutated: tuple[Any, ...]) -> bool:
    """The issue's key is the mutated key, inside it, or one of its containers below the top level."""
    full = format_key_path(mutated)
    shared = format_key_path(mutated[:2]) if len(mutated) >= 2 else full
    return issue_key.startswith(shared) or full.startswith(issue_key) and issue_key != ""


@pytest.mark.parametrize("base", sorted(BASES))
def test_the_base_files_are_valid(base: str, tmp_path: Path) -> None:
    file = tmp_path / "slos.yaml"
    file.write_text(BASES[base], encoding="utf-8")
    assert _validate(file)[0] == 0, _validate(file)[2]


SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.data())
@pytest.mark.parametrize("base", sorted(BASES))
def test_a_mutated_file_is_valid_or_one_clear_error(tmp_path: Path, base: str, data: st.DataObject,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLOTUI_TEST_UNSET_VAR", raising=False)
    doc = yaml.safe_load(BASES[base])
    path = data.draw(st.sampled_from(_paths(doc)), label="path")
    how = data.draw(st.sampled_from(MUTATIONS), label="how")
    value = data.draw(st.sampled_from(VALUES), label="value")
    original = doc
    for key in path:
        original = original[key]
    mutated = _mutate(doc, path, how, value)
    file = tmp_path / "slos.yaml"
    file.write_text(yaml.safe_dump(mutated, sort_keys=False, allow_unicode=True), encoding="utf-8")
    code, out, err = _validate(file)
    assert "Traceback" not in out + err
    for secret in SECRETS:
        assert secret[:8] not in out + err, (secret, err)
    if how == "replace" and isinstance(value, bool) and type(original) in (int, float):
        # YAML's true where a number was: never read as 1
        assert code == 3 and f"{format_key_path(path)}: expected a number (got true" in err, (path, err)
    if code == 0:
        return
    assert code == 3, (code, out, err)
    assert out == ""
    lines = err.rstrip("\n").splitlines()
    assert lines[0].startswith(f"{file}: invalid SLO file"), err
    assert len(lines) <= 24
    located = [m for m in (re.match(rf"{re.escape(str(file))}:(\d+):(\d+): (.*)", ln) for ln in lines) if m]
    assert located, err  # every issue of a parsed file has a line and a column
    keys = [m.group(3).split(": ", 1)[0] for m in located]
    assert any(_related(k, path) for k in keys) or how == "remove" or any(
        k.startswith(("slos", "alerts.routes", "alert_rules")) for k in keys
    ), (path, how, value, err)


#: numbers a user may write that pass every range check yet sit at a float's edge
EDGE_NUMBERS: list[Any] = [0.9999999999999999, 1e-300, 5e-324, 1 - 1e-16, 1e15, 2**53 + 1, 1e-9, 0.5]


def _numeric_paths(data: Any) -> list[tuple[Any, ...]]:
    out = []
    for p in _paths(data):
        v = data
        for k in p:
            v = v[k]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(p)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_an_example_with_an_edge_number_that_loads_also_checks(tmp_path: Path, data: st.DataObject) -> None:
    """A file validate accepts must not crash check: every number of the example at a float's edge."""
    doc = yaml.safe_load(EXAMPLE)
    doc.setdefault("defaults", {})["significant"] = True  # intervals are computed for every SLO
    extra = [("defaults", "confidence"), ("defaults", "compliance"), ("defaults", "at_risk_below")]
    path = data.draw(st.sampled_from(_numeric_paths(doc) + extra), label="path")
    value = data.draw(st.sampled_from(EDGE_NUMBERS), label="value")
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    file = tmp_path / "slos.yaml"
    file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    code, out, err = _validate(file)
    assert "Traceback" not in out + err
    if code != 0:
        # the key, or a sibling it contradicts (critical above warning): named inside the same mapping
        assert code == 3 and f"{file}:" in err and format_key_path(path[:-1]) in err, (path, value, err)
        return
    out_, err_ = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out_), contextlib.redirect_stderr(err_):
        code = main(["check", "-c", str(file), "--state", str(tmp_path / "state.db"), "-o", "json"])
    assert code in (0, 1, 2, 3), (path, value, code)
    assert "Traceback" not in out_.getvalue() + err_.getvalue()
