"""Broken SLO files for tests/robustness/test_broken_configs_*.py: (id, text, env, expected line).

Each expected line is the exact ``file:line:col: key: message`` that
``slotui validate`` prints for the file (``{f}`` stands for the file's path).
The texts start from a valid demo file and break one thing.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEAD = "sources:\n  demo: {type: demo}\n"
#: a valid SLO (lower is better: p95 latency)
LAT = "  - {name: lat, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, warning: 3000}}\n"
LAT_ONLY = "slos:\n" + LAT


@dataclass(frozen=True)
class Case:
    """``expected`` is ``file:line:col: message``; ``{f}`` is the file, ``{at:NEEDLE}`` the column
    where NEEDLE starts on that line (worked out from the text, not from slotui's output)."""

    id: str
    text: str | bytes
    expected: str
    env: dict[str, str] = field(default_factory=dict)

    def expected_for(self, path: str) -> str:
        """The exact line slotui must print for this case's file at ``path``."""
        out = self.expected.replace("{f}", path)
        m = re.search(r"\{at:(.*?)\}: ", out)
        if m is not None:
            line = int(re.search(r":(\d+):\{at:", out).group(1))  # type: ignore[union-attr]
            raw = self.text if isinstance(self.text, str) else self.text.decode("utf-8", "replace")
            needle = m.group(1)
            after = needle.startswith("after:")
            needle = needle.removeprefix("after:")
            column = raw.splitlines()[line - 1].index(needle) + 1 + (len(needle) if after else 0)
            out = out[: m.start()] + str(column) + ": " + out[m.end():]
        return out


def write_case(tmp_path: Path, case: Case) -> Path:
    """The case's file, written as its bytes."""
    path = tmp_path / f"{case.id}.yaml"
    path.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode("utf-8"))
    return path


def check_reported(case: Case, tmp_path: Path, capsys: Any, monkeypatch: Any, *, unset: tuple[str, ...] = ()) -> str:
    """``slotui validate -c`` on the case's file, in process: exit 3, nothing on stdout, the header
    line, the case's exact located line, no traceback, within 5 s (a bound, not a benchmark: the
    billion-laughs file ran ~50 s, deep nesting ~10 s). ``unset`` environment variables are removed
    first and the case's own are set. Returns stderr for a test's own further checks."""
    from slotui.cli import main

    for name in unset:
        monkeypatch.delenv(name, raising=False)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    path = write_case(tmp_path, case)
    started = time.perf_counter()
    rc = main(["validate", "-c", str(path)])
    elapsed = time.perf_counter() - started
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert rc == 3, err
    assert out == "", out
    assert lines and lines[0].startswith(f"{path}: invalid SLO file ("), err
    assert case.expected_for(str(path)) in lines, err
    assert "Traceback" not in err, err
    assert elapsed < 5.0, f"{case.id} took {elapsed:.2f}s"
    return err


def slo(objective: str = "{target: 2000, warning: 3000}", extra: str = "") -> str:
    return HEAD + "slos:\n  - {name: lat, sli: {field: duration_ms, agg: p95}, objective: " + objective + extra + "}\n"


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


CASES: list[Case] = [
    # ---------------------------------------------------------------- URLs and hosts that fail only at delivery
    Case("webhook_url_space",
         HEAD + LAT_ONLY + 'alerts:\n  channels:\n    hook: {type: webhook, url: "https://h.example/a b"}\n',
         "{f}:7:{at:\"https}: alerts.channels.hook.url: expected an http:// or https:// URL without spaces or control "
         "characters (character 20 is a space; percent-encode it, e.g. %20 for a space) (got a string, value hidden)"),
    Case("webhook_host_space",
         HEAD + LAT_ONLY + 'alerts:\n  channels:\n    hook: {type: webhook, url: "https://h ex.example/x"}\n',
         "{f}:7:{at:\"https}: alerts.channels.hook.url: expected an http:// or https:// URL without spaces or control "
         "characters (character 10 is a space; percent-encode it, e.g. %20 for a space) (got a string, value hidden)"),
    Case("slack_url_control_character",
         HEAD + LAT_ONLY + 'alerts:\n  channels:\n    s: {type: slack, webhook_url: "https://hooks.example/T0/B0\\x01"}\n',
         "{f}:7:{at:\"https}: alerts.channels.s.webhook_url: expected an http:// or https:// URL without spaces or "
         "control characters (character 28 is U+0001; percent-encode it, e.g. %20 for a space) (got a string, value hidden)"),
    Case("email_host_with_credentials",
         HEAD + LAT_ONLY + 'alerts:\n  channels:\n    m: {type: email, host: "u:Pa55w0rd-x@smtp.example", '
         "from: a@b.example, to: [c@d.example]}\n",
         "{f}:7:{at:\"u:}: alerts.channels.m.host: expected a host name only, e.g. smtp.example.com: put the user and "
         "password in username/password and the port in port (got 'u:****@smtp.example')"),
    # ---------------------------------------------------------------- query: where it cannot be read
    Case("query_beside_ratio",  # the query was ignored (even garbage) and the ratio evaluated
         HEAD + 'slos:\n  - {name: ok, ratio: {good: "error.type == null"}, query: "not valid {{{", '
                "objective: {target: 0.99}}\n",
         "{f}:4:{at:\"not valid}: slos[0].query: set either query: (a threshold SLO's SLI) or ratio: (ratio SLO), "
         "not both"),
    Case("query_on_a_record_source",  # validate said OK; check reported NO DATA with a note
         HEAD + "slos:\n  - {name: lat, query: 'latency:p95', objective: {target: 2000, warning: 3000}}\n",
         "{f}:4:{at:'latency}: slos[0].query: query: asks a metrics or tracing API; source is demo, "
         "which reads records: give sli: {field, agg} (e.g. {field: duration_s, agg: p95})"),
    # ---------------------------------------------------------------- item 5: numbers
    Case("target_nan", slo("{target: .nan, warning: 3000}"),
         "{f}:4:{at:.nan}: slos[0].objective.target: expected a finite number (got nan)"),
    Case("target_inf", slo("{target: .inf, warning: 3000}"),
         "{f}:4:{at:.inf}: slos[0].objective.target: expected a finite number (got inf)"),
    Case("warning_minus_inf", slo("{target: 2000, warning: -.inf}"),
         "{f}:4:{at:-.inf}: slos[0].objective.warning: expected a finite number (got -inf)"),
    Case("critical_huge", slo("{target: 2000, critical: 1.0e+999}"),
         "{f}:4:{at:1.0e+999}: slos[0].objective.critical: expected a finite number (got inf)"),
    Case("compliance_nan", slo("{target: 2000, warning: 3000, compliance: .NaN}"),
         "{f}:4:{at:.NaN}: slos[0].objective.compliance: expected a finite number (got nan)"),
    Case("compliance_one", slo("{target: 2000, warning: 3000, compliance: 1}"),
         "{f}:4:{at:after:compliance: }: slos[0].objective.compliance: expected less than 1 (got 1)"),
    Case("negative_latency_target", slo("{target: -100, warning: 3000}"),
         "{f}:4:{at:-100}: slos[0].objective.target: a latency cannot be negative (got target -100); "
         "expected a value of 0 or more"),
    Case("negative_cost_critical",
         HEAD + "slos:\n  - {name: cost, sli: {field: gen_ai.usage.cost}, objective: {target: 0.05, critical: -1}}\n",
         "{f}:4:87: slos[0].objective.critical: a cost cannot be negative (got critical -1); "
         "expected a value of 0 or more"),
    Case("min_events_negative", slo(extra=", min_events: -1"),
         "{f}:4:{at:-1}: slos[0].min_events: expected greater than or equal to 0 (got -1)"),
    Case("burn_factor_inf", slo(extra=", burn_rate: [{severity: page, long: 1h, short: 5m, factor: .inf}]"),
         "{f}:4:{at:.inf}: slos[0].burn_rate[0].factor: expected a finite number (got inf)"),
    Case("burn_budget_zero", slo(extra=", burn_rate: [{severity: page, long: 1h, short: 5m, budget: 0}]"),
         "{f}:4:{at:after:budget: }: slos[0].burn_rate[0].budget: expected greater than 0 (got 0)"),
    Case("demo_rate_nan", "sources:\n  demo: {type: demo, rate: .nan}\nslos:\n" + LAT,
         "{f}:2:28: sources.demo.rate: expected a finite number (got nan)"),
    Case("email_port_huge",
         slo() + "alerts:\n  channels:\n    mail: {type: email, host: h, from: a@b, to: [c@d], port: 70000}\n",
         "{f}:7:{at:70000}: alerts.channels.mail.port: expected less than or equal to 65535 (got 70000)"),
    Case("defaults_at_risk_nan", "defaults: {at_risk_below: .nan}\n" + slo(),
         "{f}:1:27: defaults.at_risk_below: expected a finite number (got nan)"),
    # ---------------------------------------------------------------- item 5: durations
    Case("file_timezone_unknown",
         "sources:\n  logs: {type: file, path: r.jsonl, timezone: Mars/Olympus}\nslos:\n"
         "  - {name: lat, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, warning: 3000}}\n",
         "{f}:2:{at:Mars}: sources.logs.timezone: unknown time zone 'Mars/Olympus': expected an IANA name such as "
         "UTC or Europe/Paris (got 'Mars/Olympus')"),
    Case("interval_zero", "defaults: {interval: 0s}\n" + slo(),
         "{f}:1:22: defaults.interval: expected a duration longer than 0, such as 30s, 5m, 1h (got '0s')"),
    Case("source_interval_zero_number", "sources:\n  demo: {type: demo, interval: 0}\nslos:\n" + LAT,
         "{f}:2:32: sources.demo.interval: expected a duration longer than 0, such as 30s, 5m, 1h (got 0)"),
    Case("timeout_negative", "defaults: {timeout: -5}\n" + slo(),
         "{f}:1:21: defaults.timeout: a duration cannot be negative (got -5)"),
    Case("period_zero", slo(extra=", period: 0d"),
         "{f}:4:{at:0d}: slos[0].period: expected a duration longer than 0, such as 30s, 5m, 1h "
         "or 'calendar_month' (got '0d')"),
    Case("window_negative_string", slo(extra=", window: -1h"),
         "{f}:4:{at:-1h}: slos[0].window: expected a duration such as 30s, 5m, 1h, 7d, 4w (got '-1h')"),
    Case("duration_huge", slo(extra=", window: 99999999d"),
         "{f}:4:{at:99999999d}: slos[0].window: expected a duration of at most 366d (got '99999999d')"),
    Case("for_negative", slo(extra=", for: -1"),
         "{f}:4:{at:-1}: slos[0].for: a duration cannot be negative (got -1)"),
    Case("burn_long_zero", slo(extra=", burn_rate: [{severity: page, long: 0s, short: 5m, factor: 2}]"),
         "{f}:4:{at:0s,}: slos[0].burn_rate[0].long: expected a duration longer than 0, such as 30s, 5m, 1h (got '0s')"),
    Case("group_repeat_zero", slo() + "alerts:\n  group: {repeat: 0s}\n",
         "{f}:6:{at:0s}: alerts.group.repeat: expected a duration longer than 0, such as 30s, 5m, 1h (got '0s')"),
    Case("alert_ttl_zero",
         slo() + "alerts:\n  channels:\n    am: {type: alertmanager, url: 'http://127.0.0.1:9093', alert_ttl: 0}\n",
         "{f}:7:{at:after:alert_ttl: }: alerts.channels.am.alert_ttl: expected a duration longer than 0, such as 30s, 5m, 1h (got 0)"),
    Case("escalate_zero", slo() + "alerts:\n  escalate: {critical_to_page_after: 0m}\n",
         "{f}:6:{at:0m}: alerts.escalate.critical_to_page_after: expected a duration longer than 0, such as 30s, 5m, 1h "
         "(got '0m')"),
    # ---------------------------------------------------------------- item 5: ${VAR}
    Case("empty_var_path", 'sources:\n  logs: {type: file, path: "${SLOTUI_T_EMPTY}"}\nslos:\n' + LAT,
         "{f}:2:{at:${SLOTUI_T_EMPTY}}: sources.logs.path: environment variable SLOTUI_T_EMPTY is empty; expected a value "
         "(write ${SLOTUI_T_EMPTY:-} to allow an empty one)",
         env={"SLOTUI_T_EMPTY": ""}),
    Case("blank_var_url", 'sources:\n  prom: {type: prometheus, url: "${SLOTUI_T_BLANK}"}\nslos:\n'
         "  - {name: up, query: up, objective: {target: 0.9, direction: higher_is_better}}\n",
         "{f}:2:{at:${SLOTUI_T_BLANK}}: sources.prom.url: environment variable SLOTUI_T_BLANK is empty; expected a value "
         "(write ${SLOTUI_T_BLANK:-} to allow an empty one)",
         env={"SLOTUI_T_BLANK": "   "}),
    Case("empty_var_secret", slo() + 'alerts:\n  channels:\n    pd: {type: pagerduty, routing_key: "${SLOTUI_T_EMPTY}"}\n',
         "{f}:7:{at:${SLOTUI_T_EMPTY}}: alerts.channels.pd.routing_key: environment variable SLOTUI_T_EMPTY is empty; "
         "expected a value (write ${SLOTUI_T_EMPTY:-} to allow an empty one)",
         env={"SLOTUI_T_EMPTY": ""}),
    Case("empty_default_name", 'sources:\n  demo: {type: demo}\nslos:\n'
         '  - {name: "${SLOTUI_T_UNSET:-}", sli: {field: duration_ms}, objective: {target: 1, warning: 2}}\n',
         "{f}:4:12: slos[0].name: cannot be empty or blank; expected a value (from an empty ${VAR}?) (got a string, value hidden)"),
    Case("unset_var", 'sources:\n  logs: {type: file, path: "${SLOTUI_T_UNSET}"}\nslos:\n' + LAT,
         "{f}:2:29: sources.logs.path: environment variable SLOTUI_T_UNSET is not set "
         "(use ${SLOTUI_T_UNSET:-default} for a default)"),
    # ---------------------------------------------------------------- item 15: control characters
    Case("name_newline", HEAD + 'slos:\n  - {name: "lat\\nFAKE LOG LINE", sli: {field: duration_ms}, '
         "objective: {target: 1, warning: 2}}\n",
         "{f}:4:12: slos[0].name: contains a newline at character 4; names and labels must be printable "
         "(no control or bidi characters) (got 'lat\\nFAKE LOG LINE')"),
    Case("name_esc", HEAD + 'slos:\n  - {name: "\\e[31mred", sli: {field: duration_ms}, objective: {target: 1, warning: 2}}\n',
         "{f}:4:12: slos[0].name: contains ESC at character 1; names and labels must be printable "
         "(no control or bidi characters) (got '\\x1b[31mred')"),
    Case("label_bidi", slo(extra=', labels: {team: "ab\\u202Ecd"}'),
         '{f}:4:{at:"ab}: slos[0].labels.team: '
         "contains U+202E at character 3; names and labels must be printable "
         "(no control or bidi characters) (got 'ab\\u202ecd')"),
    Case("rule_name_tab", HEAD + 'alert_rules:\n  - {name: "a\\tb", condition: "avg(helpfulness_score) < 0.8"}\n',
         "{f}:4:12: alert_rules[0].name: contains a tab at character 2; names and labels must be printable "
         "(no control or bidi characters) (got 'a\\tb')"),
    Case("source_name_newline", 'sources:\n  "de\\nmo": {type: demo}\nslos:\n' + LAT,
         "{f}:2:3: sources['de\\nmo']: contains a newline at character 3; names and labels must be printable "
         "(no control or bidi characters) (got 'de\\nmo')"),
    Case("email_from_header_injection",
         slo() + 'alerts:\n  channels:\n    mail: {type: email, host: h, from: "a@b\\nBcc: x@evil", to: [c@d]}\n',
         "{f}:7:{at:\"a@b}: alerts.channels.mail.from: contains a newline at character 4; names and labels must be "
         "printable (no control or bidi characters) (got 'a@b\\nBcc: x@evil')"),
    Case("header_value_crlf",
         'sources:\n  prom: {type: prometheus, url: "http://127.0.0.1:9090", headers: {X-Team: "ml\\r\\nX-Evil: 1"}}\n'
         "slos:\n  - {name: up, query: up, objective: {target: 0.9, direction: higher_is_better}}\n",
         "{f}:2:{at:\"ml}: sources.prom.headers.X-Team: contains a carriage return at character 3; names and labels "
         "must be printable (no control or bidi characters) (got 'ml\\r\\nX-Evil: 1')"),
    Case("langsmith_api_url_query",  # the SDK joins its paths after the URL: a query there would swallow them
         "sources:\n  ls: {type: langsmith, api_key: k, project: p, api_url: 'https://ls.example/api?key=s3cr3t-ls'}\n"
         "slos:\n  - {name: up, query: 'feedback:helpfulness', source: ls, objective: {target: 0.9, direction: higher_is_better}}\n",
         "{f}:2:{at:'https}: sources.ls.api_url: expected the API's base URL without '?...' or '#...': the client "
         "adds its paths after it (put the key in api_key) (got 'https://ls.example/api?key=****')"),
    Case("runbook_esc", slo(extra=', runbook: "https://r.example/\\e]8;;x"'),
         "{f}:4:{at:\"https}: slos[0].runbook: contains ESC at character 19; names and labels must be printable "
         "(no control or bidi characters) (got 'https://r.example/\\x1b]8;;x')"),
    # ---------------------------------------------------------------- items 10, 15: hostile YAML
    Case("billion_laughs", _bomb(),
         "{f}:5:8: aliases expand to more than 10,000 nodes (an alias bomb?); "
         "write the values out or use fewer nested aliases"),
    Case("recursive_alias", "a: &x [1, *x]\n",
         "{f}:1:11: alias *x is used inside its own anchor &x (a recursive structure); expected plain data"),
    Case("flow_nesting_1001", "slos: " + "[" * 1001 + "]" * 1001 + "\n",
         "{f}:1:70: lists and mappings nest deeper than 64 levels; an SLO file needs far fewer"),
    Case("flow_nesting_700", "slos: " + "[" * 700 + "]" * 700 + "\n",
         "{f}:1:70: lists and mappings nest deeper than 64 levels; an SLO file needs far fewer"),
    Case("block_nesting", "slos:\n" + "".join("  " * i + "a:\n" for i in range(1, 120)),
         "{f}:65:129: lists and mappings nest deeper than 64 levels; an SLO file needs far fewer"),
    Case("nul_byte", b"sou\x00rces: {}\n",
         "{f}:1:4: a NUL byte is not allowed in a YAML file; remove it"),
    Case("control_char", b"sources:\n  demo: {type: de\x07mo}\n",
         "{f}:2:{at:\x07}: control character U+0007 is not allowed in a YAML file; remove it"),
    Case("invalid_utf8", b"sources:\n  demo: {type: d\xe9mo}\n",
         "{f}:2:17: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    Case("duplicate_key", "sources:\n  demo: {type: demo}\n  demo: {type: demo}\nslos:\n" + LAT,
         "{f}:3:3: sources.demo: duplicate key 'demo' (first at line 2)"),
    Case("tab_indent", "sources:\n\tdemo: {type: demo}\n",
         "{f}:2:1: tab character: YAML indentation must use spaces, not tabs"),
    Case("root_list", "- a\n- b\n",
         "{f}:1:1: expected a mapping of keys (version, defaults, sources, slos, alerts) at the top level "
         "(got a list)"),
    Case("root_scalar", "hello\n",
         "{f}:1:1: expected a mapping of keys (version, defaults, sources, slos, alerts) at the top level "
         "(got a string)"),
    Case("merge_key_unknown", "base: &b {target: 1}\n" + HEAD + "slos:\n  - {name: a, sli: {field: duration_ms}, "
         "objective: {<<: *b, warning: 2, extra: 1}}\n",
         "{f}:1:1: base: unknown key 'base'; expected one of: version, defaults, sources, slos, quality_slos, "
         "alerts, alert_rules"),
    # ---------------------------------------------------------------- item 16: metrics
    Case("rule_unknown_metric", HEAD + 'alert_rules:\n  - {name: r, condition: "avg(toxicity_score) < 0.8"}\n',
         "{f}:4:26: alert_rules[0].condition: unknown metric 'toxicity_score': the demo source 'demo' has "
         "duration_ms, duration_s, error.type, evaluations, evaluations.accuracy, evaluations.helpfulness, "
         "gen_ai.request.model, gen_ai.usage.cost, gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, "
         "prompt.version, route, service.name, time, trace_id"),
    Case("slo_unknown_field", HEAD + "slos:\n  - {name: lat, sli: {field: latency_ms, agg: p95}, "
         "objective: {target: 2000, warning: 3000}}\n",
         "{f}:4:30: slos[0].sli.field: unknown field 'latency_ms': the demo source 'demo' has "
         "duration_ms, duration_s, error.type, evaluations, evaluations.accuracy, evaluations.helpfulness, "
         "gen_ai.request.model, gen_ai.usage.cost, gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, "
         "prompt.version, route, service.name, time, trace_id"),
    Case("ratio_unknown_field", HEAD + 'slos:\n  - {name: av, ratio: {good: "status == 200"}, objective: {target: 0.99}}\n',
         "{f}:4:31: slos[0].ratio.good: unknown field 'status': the demo source 'demo' has "
         "duration_ms, duration_s, error.type, evaluations, evaluations.accuracy, evaluations.helpfulness, "
         "gen_ai.request.model, gen_ai.usage.cost, gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, "
         "prompt.version, route, service.name, time, trace_id"),
]
