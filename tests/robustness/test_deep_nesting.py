"""Input nested deeper than the stack, wherever slotui parses JSON or YAML it did not write.

The SLO file had limits (64 levels, 10,000 alias nodes, 4 MiB); the other readers did not:
``slotui import`` (PyYAML's recursive constructor: a RecursionError traceback on 5,000 brackets),
``check --results`` (``json.loads`` on 100,000 brackets), an HTTP source's answer and a channel's
error body (the stdlib fallback after orjson's own depth error), the TUI settings file and user
themes. Each now gives its usual "bad input" answer. Real subprocesses and real loopback servers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import shutil
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_http import Router, Seen  # noqa: E402

from slotui.config.model import HttpSourceConfig  # noqa: E402
from slotui.core.types import HOUR, SLOSpec  # noqa: E402
from slotui.sources.http import HttpSource  # noqa: E402
from slotui.sources.kit.runtime import fetch_all  # noqa: E402

SLOTH_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "sloth" / "upstream" / "examples" / "getting-started.yml"
DEPTH = 100_000
DEEP_JSON = "[" * DEPTH + "]" * DEPTH
DEEP_YAML = "spec: " + "[" * 5_000 + "]" * 5_000 + "\n"
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdef", "bcdefg"))


def slotui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SLOTUI_NOW"}
    env["SLOTUI_STATE"] = str(cwd / "state.db")
    return subprocess.run([sys.executable, "-m", "slotui", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (DEEP_YAML, "line 1, column 70: lists and mappings nest deeper than 64 levels"),
        (ALIAS_BOMB, "aliases expand to more than 10,000 nodes"),
        ("apiVersion: openslo/v1\nkind: SLO\n# " + "x" * (4 * 1024 * 1024) + "\n", "larger than 4 MiB"),
        # the 4 MiB cut falls inside a 2-byte character: still "too large", not "not UTF-8"
        ("apiVersion: openslo/v1\nkind: SLO\n## " + "\u00e9" * (3 * 1024 * 1024) + "\n", "larger than 4 MiB"),
    ],
    ids=["deep", "alias-bomb", "too-large", "too-large-utf8"],
)
@pytest.mark.parametrize("fmt", ["openslo", "sloth", "pyrra"])
def test_import_refuses_hostile_yaml(body: str, fragment: str, fmt: str, tmp_path: Path) -> None:
    (tmp_path / "peer.yaml").write_text(body)
    shutil.copy(SLOTH_EXAMPLE, tmp_path / "good.yaml")  # Sloth's own getting-started example
    out = slotui("import", fmt, "peer.yaml", cwd=tmp_path)
    assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr
    assert "skipped: peer.yaml: file: " in out.stderr and fragment in out.stderr, out.stderr
    if fmt == "sloth":  # the rest is still imported, and the skip is reported: exit 1
        both = slotui("import", fmt, "peer.yaml", "good.yaml", cwd=tmp_path)
        assert both.returncode == 1 and "Traceback" not in both.stderr, both.stderr
        assert "name: myservice-requests-availability" in both.stdout and fragment in both.stderr


def test_check_results_nested_too_deeply(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text('{"metrics": ' + DEEP_JSON + "}")
    out = slotui("check", "--results", "results.json", cwd=tmp_path)
    assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr
    assert "results.json: invalid JSON: arrays and objects nested too deeply" in out.stderr


@pytest.mark.integration
async def test_an_http_source_answering_deep_json_is_a_source_error() -> None:
    """orjson stops at 1,024 levels; the stdlib fallback (for NaN and other charsets) then overflowed."""

    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        return 200, ('{"value": ' + DEEP_JSON + "}").encode(), {"content-type": "application/json"}

    spec = SLOSpec(name="value", kind="threshold", target=2.0, warning=3.0, direction="lower_is_better",
                   source="src", query="value", window=HOUR, interval=30.0)
    with Router(route) as server:
        src = HttpSource("src", HttpSourceConfig.model_validate({"type": "http", "url": server.url, "timeout": 10}))
        try:
            data, errors = await fetch_all({"src": src}, {"src": [spec]}, 1_780_000_000.0, {"src": 10.0}, {})
        finally:
            await src.aclose()
    assert "malformed JSON" in errors["src"] and "RecursionError" in errors["src"], errors


@pytest.mark.integration
def test_a_channel_error_body_nested_too_deeply(tmp_path: Path) -> None:
    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        return 400, DEEP_JSON.encode(), {"content-type": "application/json"}

    with Router(route) as hook:
        (tmp_path / "slos.yaml").write_text(textwrap.dedent(f"""\
            version: 1
            sources:
              demo: {{type: demo}}
            alerts:
              channels:
                hook: {{type: webhook, url: "{hook.url}/hook"}}
              routes:
                - {{channels: [hook]}}
            slos:
              - {{name: availability, source: demo, ratio: {{good: "error.type == null"}}, objective: {{target: 0.995}}}}
            """))
        out = slotui("test-alert", "-c", "slos.yaml", "--channel", "hook", cwd=tmp_path)
        assert len(hook.seen) >= 1  # it was sent; the answer is what is hostile
    assert out.returncode == 1 and "Traceback" not in out.stderr + out.stdout, out.stderr
    assert "HTTP 400" in out.stdout + out.stderr


def test_tui_settings_nested_too_deeply_or_not_utf8(tmp_path: Path) -> None:
    from slotui.tui.settings import load_settings

    deep = tmp_path / "deep.yaml"
    deep.write_text("theme: " + "[" * 5_000 + "]" * 5_000 + "\n")
    settings = load_settings(deep)
    assert settings.problems == [f"{deep}: lists and mappings nested too deeply"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("theme: caf\u00e9\n".encode("latin-1"))
    settings = load_settings(latin)
    assert len(settings.problems) == 1 and "utf-8" in settings.problems[0]


def test_a_user_theme_nested_too_deeply(tmp_path: Path) -> None:
    from slotui.tui.themes import load_catalog

    (tmp_path / "deep.yaml").write_text("colors: " + "[" * 5_000 + "]" * 5_000 + "\n")
    catalog = load_catalog([tmp_path])
    assert any(str(tmp_path / "deep.yaml") in p and "recursion" in p for p in catalog.problems), catalog.problems
