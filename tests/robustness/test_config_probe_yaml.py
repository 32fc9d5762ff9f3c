"""Config probe (bugs 6, 7, 11, 16): YAML and ${VAR} forms that silently changed what the file said.

Same format as configs_cases.py: each case is a file and the exact
``file:line:col: key: message`` line ``slotui validate`` prints for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from configs_cases import HEAD, LAT, Case, check_reported, slo

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text

CASES: list[Case] = [
    # ---------------------------------------------------------------- 6: nested defaults, keys
    Case("nested_default_secret",
         slo() + 'alerts:\n  channels:\n    pd: {type: pagerduty, routing_key: "${SLOTUI_T_UNSET:-${SLOTUI_T_FB}}"}\n',
         "{f}:7:{at:${SLOTUI_T_FB}: alerts.channels.pd.routing_key: nested ${...} in a default is not supported "
         "(in the default of SLOTUI_T_UNSET); write the default as plain text", env={"SLOTUI_T_FB": "realkey"}),
    Case("nested_default_name",
         HEAD + 'slos:\n  - {name: "${SLOTUI_T_UNSET:-${SLOTUI_T_UNSET2:-z}}", sli: {field: duration_ms, agg: p95}, '
         "objective: {target: 2000, warning: 3000}}\n",
         "{f}:4:{at:${SLOTUI_T_UNSET2}: slos[0].name: nested ${...} in a default is not supported "
         "(in the default of SLOTUI_T_UNSET); write the default as plain text"),
    Case("env_in_a_key", slo(extra=', labels: {"${SLOTUI_T_KEY:-team}": x}'),
         '{f}:4:{at:"${}: slos[0].labels.${SLOTUI_T_KEY:-team}: ${...} is not interpolated in a key; write the '
         "key's name itself (only values take ${VAR})"),
    # ---------------------------------------------------------------- 7: merge keys
    Case("merge_key_written_twice",
         HEAD + "slos:\n  - &a {name: a, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, warning: 3000}}\n"
         "  - {<<: *a, name: b, name: c}\n",
         "{f}:5:{at:name: c}: slos[1].name: duplicate key 'name' (first at line 5)"),
    Case("merge_key_not_a_mapping", HEAD + "slos:\n  - {<<: [1], name: b}\n",
         "{f}:4:{at:[1]}: slos[0].<<: expected a mapping or a list of mappings after <<: (a merge key)"),
    # ---------------------------------------------------------------- 11: YAML 1.1 numbers
    Case("sexagesimal_window", slo(extra=", window: 1:30"),
         "{f}:4:{at:1:30}: slos[0].window: YAML 1.1 reads 1:30 as the base-60 number 90; quote it if it is text, "
         "or write a duration as 90s or 1h30m"),
    Case("sexagesimal_target", slo("{target: 33:20, warning: 3000}"),
         "{f}:4:{at:33:20}: slos[0].objective.target: YAML 1.1 reads 33:20 as the base-60 number 2000; quote it "
         "if it is text, or write a duration as 90s or 1h30m"),
    Case("sexagesimal_float", slo("{target: 1:30.5, warning: 3000}"),
         "{f}:4:{at:1:30.5}: slos[0].objective.target: YAML 1.1 reads 1:30.5 as the base-60 number 90.5; quote "
         "it if it is text, or write a duration as 90s or 1h30m"),
    Case("octal_port",
         slo() + "alerts:\n  channels:\n    mail: {type: email, host: smtp.example.com, from: a@b.c, to: [x@y.z], "
         "port: 0465}\n",
         "{f}:7:{at:0465}: alerts.channels.mail.port: YAML 1.1 reads 0465 as the octal number 309; write 465 "
         "(without the leading zero), or quote it if it is text"),
    Case("octal_seed", "sources:\n  demo: {type: demo, seed: 010}\nslos:\n" + LAT,
         "{f}:2:{at:010}: sources.demo.seed: YAML 1.1 reads 010 as the octal number 8; write 10 "
         "(without the leading zero), or quote it if it is text"),
    # ---------------------------------------------------------------- 16: tags on lists and mappings
    Case("python_tag_on_mapping", slo("!!python/object:os.system {target: 1}"),
         "{f}:4:{at:!!python}: slos[0].objective: unknown tag '!!python/object:os.system' on a mapping; slotui "
         "reads plain YAML: remove the tag"),
    Case("seq_tag_on_mapping", slo("!!seq {target: 1}"),
         "{f}:4:{at:!!seq}: slos[0].objective: unknown tag '!!seq' on a mapping; slotui reads plain YAML: "
         "remove the tag"),
    Case("local_tag_on_list", "sources:\n  demo: {type: demo}\nslos: !vault\n" + LAT,
         "{f}:3:{at:!vault}: slos: unknown tag '!vault' on a list; slotui reads plain YAML: remove the tag"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_config_names_file_line_col_key_and_expectation(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    err = check_reported(case, tmp_path, capsys, monkeypatch, unset=("SLOTUI_T_UNSET", "SLOTUI_T_UNSET2", "SLOTUI_T_KEY"))
    assert "realkey" not in err


def _load(text: str, **env: str):  # type: ignore[no-untyped-def]
    return load_text(text, name="t.yaml", env=env)


def test_a_key_written_next_to_a_merge_key_overrides_the_merged_one() -> None:
    lc = _load(HEAD + """slos:
  - &first
    name: lat_ms
    sli: {field: duration_ms, agg: p95}
    objective: {target: 2000, warning: 3000}
  - <<: *first
    name: lat2_ms
    objective: {target: 2000, warning: 2500}
""")
    a, b = lc.specs
    assert (a.name, a.warning, a.sli_field) == ("lat_ms", 3000, "duration_ms")
    assert (b.name, b.warning, b.sli_field) == ("lat2_ms", 2500, "duration_ms")


def test_in_a_list_of_merged_mappings_the_earlier_wins_and_nested_merges_resolve() -> None:
    lc = _load(HEAD + """slos:
  - &base {name: base, sli: {field: duration_ms, agg: p95}, unit: ms, objective: {target: 1, warning: 2}}
  - <<: [{name: a, <<: *base}, {name: b, unit: s, objective: {target: 9, warning: 10}}]
""")
    base, a = lc.specs
    assert (a.name, a.unit, a.target, a.warning, a.sli_field) == ("a", "ms", 1, 2, "duration_ms")


def test_quoted_sexagesimal_and_leading_zero_text_is_kept_as_text() -> None:
    lc = _load(HEAD + "slos:\n  - {name: '1:30', sli: {field: duration_ms, agg: p95}, service: '0465', "
               "objective: {target: 2000, warning: 3000}}\n")
    (spec,) = lc.specs
    assert spec.name == "1:30" and spec.labels["service"] == "0465"


def test_a_plain_nested_looking_default_escaped_is_still_text() -> None:
    lc = _load(slo() + 'alerts:\n  channels:\n    f: {type: file, path: "${SLOTUI_T_UNSET:-alerts.jsonl}"}\n')
    assert lc.config.alerts.channels["f"].path == "alerts.jsonl"


def test_an_error_in_a_merged_mapping_is_reported_once() -> None:
    with pytest.raises(ConfigError) as info:
        _load(HEAD + "slos:\n  - &a {name: a, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, "
              "warning: 3000, warning: 1}}\n  - {<<: *a, name: b}\n")
    assert [(i.path, i.line) for i in info.value.issues] == [(("slos", 0, "objective", "warning"), 4)]
