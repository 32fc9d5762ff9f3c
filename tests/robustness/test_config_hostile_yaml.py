"""Issue 8 item 10: hostile YAML is refused fast and located; legitimate YAML features still work."""

from __future__ import annotations

import os

import time
from pathlib import Path

import pytest

from slotui.cli import main
from slotui.config.errors import ConfigError
from slotui.config.loader import MAX_FILE_BYTES, load_config, load_text
from slotui.config.yamlmap import MAX_ALIAS_NODES, MAX_DEPTH

VALID = ("sources:\n  demo: {type: demo}\nslos:\n"
         "  - {name: lat, sli: {field: duration_ms, agg: p95}, objective: {target: 2000, warning: 3000}}\n")


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_text(text, name="t.yaml", env={})
    return info.value


def test_a_utf8_bom_is_accepted_in_a_file_and_in_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert [s.name for s in load_config(path).specs] == ["lat"]
    assert [s.name for s in load_text("\ufeff" + VALID, name="t.yaml", env={}).specs] == ["lat"]


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.yaml"
    size = MAX_FILE_BYTES + 10
    path.write_bytes(VALID.encode() + b"#" * (size - len(VALID)) + b"\n")
    started = time.perf_counter()
    rc = main(["validate", "-c", str(path)])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert rc == 3
    assert f"{path}: the file is too large ({size + 1:,} bytes); an SLO file is at most 4 MiB" in err.splitlines()
    assert elapsed < 1.0


def test_anchors_aliases_and_merge_keys_within_the_limits_still_work() -> None:
    text = ("sources:\n  demo: {type: demo}\nslos:\n"
            "  - {name: a, sli: &sli {field: duration_ms, agg: p95}, objective: &obj {target: 2000, warning: 3000}}\n"
            "  - {name: b, sli: *sli, objective: {<<: *obj, critical: 5000}}\n")
    lc = load_text(text, name="t.yaml", env={})
    a, b = lc.specs
    assert (a.sli_field, a.sli_agg, a.target, a.warning) == ("duration_ms", "p95", 2000, 3000)
    assert (b.sli_field, b.target, b.warning, b.critical) == ("duration_ms", 2000, 3000, 5000)


def test_nesting_at_the_limit_is_parsed_and_one_more_level_is_refused() -> None:
    # depth counts the root mapping: slos: [[...]] with MAX_DEPTH - 1 lists is exactly MAX_DEPTH
    ok = "slos: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert not any("nest deeper" in i.message for i in _error(ok).issues)
    deep = "slos: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    (issue,) = _error(deep).issues
    assert (issue.line, issue.column) == (1, 7 + MAX_DEPTH - 1)
    assert issue.message.startswith(f"lists and mappings nest deeper than {MAX_DEPTH} levels")


def test_an_alias_to_a_deep_anchor_is_refused_where_it_is_used() -> None:
    anchor = "[" * 40 + "]" * 40
    text = f"a: &deep {anchor}\nb: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*deep]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
    (issue,) = _error(text).issues
    assert issue.line == 2 and issue.column == text.splitlines()[1].index("*deep") + 1
    assert issue.message.startswith("alias *deep makes lists and mappings nest deeper than")


def test_alias_expansion_is_counted_exactly() -> None:
    # an anchor of 1 list + 99 scalars = 100 nodes; the limit allows MAX_ALIAS_NODES / 100 uses
    items = ", ".join(["1"] * 99)
    uses = MAX_ALIAS_NODES // 100
    ok = f"a: &x [{items}]\nb: [" + ", ".join(["*x"] * uses) + "]\n"
    assert not any("alias" in i.message for i in _error(ok).issues)
    bomb = f"a: &x [{items}]\nb: [" + ", ".join(["*x"] * (uses + 1)) + "]\n"
    (issue,) = _error(bomb).issues
    assert issue.line == 2 and issue.column == 5 + 4 * uses
    assert issue.message.startswith(f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes")


@pytest.mark.parametrize("depth", [600, 999, 1001, 5000])
def test_deep_flow_nesting_is_fast_and_never_a_recursion_error(depth: int) -> None:
    text = "slos: " + "[" * depth + "]" * depth + "\n"
    started = time.perf_counter()
    err = _error(text)
    elapsed = time.perf_counter() - started
    (issue,) = err.issues
    assert (issue.line, issue.column) == (1, 7 + MAX_DEPTH - 1)
    assert "alias" not in issue.message and "Recursion" not in err.render()
    assert elapsed < 1.0


def test_a_fifo_nobody_writes_to_is_refused_at_once_not_waited_on(tmp_path) -> None:
    """``-c`` naming a named pipe with no writer hung every command forever (open() waits for a writer)."""
    import subprocess
    import sys

    fifo = tmp_path / "slos.yaml"
    os.mkfifo(fifo)
    for command in ("validate", "check"):
        proc = subprocess.run([sys.executable, "-m", "slotui", command, "-c", str(fifo)], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 3
        assert "a FIFO (named pipe) that nothing writes to" in proc.stderr and "Traceback" not in proc.stderr


def test_a_pipe_with_its_config_written_is_read() -> None:
    """``-c <(generate-slos)``: a pipe whose writer wrote the SLO file and closed is read as a file."""
    from slotui.config.loader import load_config

    read, write = os.pipe()
    try:
        os.write(write, b"version: 1\nsources: {demo: {type: demo}}\nslos:\n"
                        b"  - {name: ok, ratio: {good: 'error.type == null'}, objective: {target: 0.99}}\n")
        os.close(write)
        loaded = load_config(f"/dev/fd/{read}")
    finally:
        os.close(read)
    assert [s.name for s in loaded.specs] == ["ok"]


@pytest.mark.parametrize("shape", ["list under an unknown key", "many empty SLOs", "one flow mapping of keys",
                                   "many top-level keys"])
def test_a_file_of_too_many_values_is_refused_early_and_located(shape: str) -> None:
    """A file under the 4 MiB cap holding millions of values took 40-67 s and up to 4 GB to refuse
    (built whole, then one error per value; a fuzzy secret-key match per key of a flow mapping)."""
    from slotui.config.yamlmap import MAX_NODES

    n = MAX_NODES + 10
    text = {
        "list under an unknown key": "version: 1\nx: [" + ",".join("0" for _ in range(n)) + "]\n",
        "many empty SLOs": "version: 1\nslos: [" + ",".join("{}" for _ in range(n)) + "]\n",
        "one flow mapping of keys": "version: 1\ndefaults: {" + ",".join(f"k{i}: 0" for i in range(n // 2 + 10)) + "}\n",
        "many top-level keys": "version: 1\n" + "".join(f"k{i}: 0\n" for i in range(n // 2 + 10)),
    }[shape]
    with pytest.raises(ConfigError) as info:
        load_text(text, name="big.yaml", env={})
    (issue,) = info.value.issues  # (one: refused while parsing, before a tree or an error per value)
    assert f"more than {MAX_NODES:,} values" in issue.message and issue.line is not None


def test_a_file_of_a_thousand_slos_is_under_the_value_limit() -> None:
    from slotui.config.yamlmap import MAX_NODES

    slos = "".join(f"  - name: s{i}\n    source: demo\n    sli: {{field: duration_s, agg: p95}}\n"
                   f"    objective: {{target: 2, warning: 3, critical: 4}}\n    labels: {{team: t{i}, tier: '1'}}\n"
                   for i in range(1000))
    loaded = load_text(f"version: 1\nsources: {{demo: {{type: demo}}}}\nslos:\n{slos}", name="many.yaml", env={})
    assert len(loaded.specs) == 1000 and MAX_NODES >= 100_000


def test_the_excerpt_line_is_escaped_and_its_caret_follows() -> None:
    """The message escaped a bidi override in a name, but the excerpt line under it printed it raw,
    and the terminal reordered the line (the Trojan Source display the name check is there for)."""
    text = 'version: 1\nsources: {demo: {type: demo}}\nslos:\n  - name: "abc\\u202eevil"\n    ratio: {good: ok}\n' \
           "    objective: {target: 0.99}\n"
    with pytest.raises(ConfigError) as info:
        load_text(text, name="b.yaml", env={})
    lines = info.value.render().splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("    ") and "name:" in line]
    assert "\u202e" not in info.value.render() and lines[at] == '      - name: "abc\\u202eevil"'
    assert lines[at + 1].index("^") == lines[at].index('"')
