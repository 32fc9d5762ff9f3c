"""Every broken SLO file gives one screen naming file, line and key; exit 3; no traceback.

Each file under tests/data/configs/broken/ is run through the real CLI in a
subprocess (``python -m slotui validate -c FILE``), as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BROKEN = Path(__file__).resolve().parents[1] / "data" / "configs" / "broken"
GOOD = Path(__file__).resolve().parents[1] / "data" / "configs" / "good"
ROOT = Path(__file__).resolve().parents[2]

# file -> (line, text that names the key, text that says what is wrong)
CASES: dict[str, tuple[int, str, str]] = {
    "bad_indentation.yaml": (9, "warning", "indentation"),
    "tab_indentation.yaml": (8, "target", "tab"),
    "unknown_key.yaml": (9, "slos[0].objective.warnng", "did you mean 'warning'"),
    "wrong_type.yaml": (8, "slos[0].objective.target", "expected a number (got 'high')"),
    "inconsistent_thresholds.yaml": (9, "slos[0].objective.warning", "inconsistent order"),
    "missing_env_var.yaml": (10, "alerts.channels.team-slack.webhook_url", "SLOTUI_TEST_UNSET_WEBHOOK is not set"),
    "unknown_source.yaml": (11, "slos[1].source", "unknown source 'prom'"),
    "bad_duration.yaml": (11, "slos[0].period", "expected a duration"),
    "duplicate_slo_name.yaml": (11, "slos[2].name", "duplicate SLO name 'accuracy' (first defined at line 5)"),
    "unknown_channel_in_route.yaml": (14, "alerts.routes[1].channels[1]", "unknown channel 'oncall'"),
    "bad_expression.yaml": (6, "slos[0].ratio.good", "invalid expression"),
    "direction_disagrees.yaml": (11, "slos[0].objective.direction", "disagrees"),
    "unknown_source_type.yaml": (4, "sources.metrics.type", "unknown type 'graphite'"),
    "empty.yaml": (1, "", "empty"),
    "lone_target_no_direction.yaml": (7, "slos[0].objective", "set direction"),
    "secret_wrong_type.yaml": (12, "alerts.channels.oncall.routing_key", "expected a string"),
    "bad_rule_condition.yaml": (5, "alert_rules[0].condition", "expected a condition like avg("),
    "missing_required_key.yaml": (5, "slos[0]", "missing required key 'objective'"),
    "several_sources_no_reference.yaml": (6, "slos[0]", "several sources"),
    "ratio_target_out_of_range.yaml": (7, "slos[0].objective.target", "between 0 and 1"),
    "top_level_list.yaml": (1, "", "top level"),
    "not_utf8.yaml": (2, "", "not UTF-8 text (byte 0xe9)"),
    "missing_tls_file.yaml": (7, "sources.prom.tls.ca_file", "no such file"),
    "missing_email_ca_file.yaml": (13, "alerts.channels.mail.ca_file", "no such file"),
    "confidence_rounds_to_one.yaml": (10, "slos[0].objective.confidence", "rounds to 1"),
    # YAML 1.1 reads `no` as false and 2024-01-01 as a date: said in YAML's words, not Python's repr
    "yaml_word_as_name.yaml": (5, "slos[0].name", "expected a string (got false: YAML reads yes, no, on, off as true or false)"),
    "date_as_duration.yaml": (3, "defaults.window", "(got a date 2024-01-01)"),
    # pydantic reads true as 1 in a number field: this file loaded with a target of 1, silently
    "yes_as_a_number.yaml": (8, "slos[0].objective.target", "expected a number (got true: YAML reads yes"),
    # PyYAML raised ValueError on these: a Python traceback instead of an error
    "impossible_date.yaml": (9, "slos[0].period_start", "not a date or time (day is out of range for month)"),
    "huge_integer.yaml": (3, "sources.demo.seed", "a number of 5,000 digits; expected at most 100"),
    "bad_explicit_tag.yaml": (3, "sources.demo.seed", "not an integer (invalid literal for int()"),
    # keys of the SaaS sources that only work together or apart
    "mlflow_without_experiment.yaml": (3, "sources.ml", "needs experiment (a name) or experiment_id"),
    "mlflow_experiment_and_id.yaml": (7, "sources.ml.experiment_id", "set experiment (a name) or experiment_id, not both"),
    "langfuse_half_key_pair.yaml": (6, "sources.lf.public_key", "public_key is set without secret_key"),
    "weave_blank_api_key.yaml": (6, "sources.w.api_key", "cannot be empty or blank"),
    "mlflow_token_and_basic_auth.yaml": (8, "sources.ml.basic_auth", "token and basic_auth both set the Authorization"),
    "weave_api_key_and_bearer.yaml": (7, "sources.w.bearer_token", "api_key and bearer_token both set"),
    "langfuse_keys_and_basic_auth.yaml": (8, "sources.lf.basic_auth", "public_key and basic_auth both set"),
}


def _validate(path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLOTUI_TEST_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "slotui", "validate", "-c", str(path), *extra],
        capture_output=True, text=True, env=environ, cwd=ROOT, timeout=60,
    )


@pytest.fixture(scope="module")
def broken_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """All broken files validated once, a few at a time (each is its own interpreter)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(CASES, pool.map(lambda n: _validate(BROKEN / n), CASES)))
    return runs


def test_every_broken_fixture_has_an_expectation() -> None:
    files = {p.name for p in BROKEN.glob("*.yaml")}
    assert files == set(CASES), "add the new fixture to CASES (or remove the stale entry)"
    assert len(files) >= 12


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_gives_one_screen_with_file_line_and_key(
    name: str, broken_runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    line, key, what = CASES[name]
    path = BROKEN / name
    proc = broken_runs[name]
    err = proc.stderr
    assert proc.returncode == 3, (proc.returncode, err)
    assert "Traceback" not in err and "Traceback" not in proc.stdout
    assert len(err.rstrip("\n").splitlines()) <= 24
    assert f"{path}:{line}:" in err, err
    located = [ln for ln in err.splitlines() if ln.startswith(f"{path}:{line}:")]
    assert any(key in ln and what in ln for ln in located) or (key in err and what in err), err
    assert proc.stdout == ""


def test_every_yes_in_a_number_field_is_named(broken_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    err = broken_runs["yes_as_a_number.yaml"].stderr
    path = BROKEN / "yes_as_a_number.yaml"
    assert "invalid SLO file (3 errors)" in err  # rate, target and at_risk_below; significant: yes is a boolean
    assert f"{path}:3:" in err and "sources.demo.rate: expected a number (got true" in err
    assert f"{path}:9:" in err and "slos[0].at_risk_below: expected a number (got true" in err


def test_secret_in_broken_file_is_never_echoed(broken_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    proc = broken_runs["secret_wrong_type.yaml"]
    assert proc.returncode == 3
    assert "R0UT1NGKEY-SECRET-42" not in proc.stderr
    assert "value hidden" in proc.stderr


def test_missing_env_var_is_fine_once_set_and_its_value_is_masked() -> None:
    secret = "https://hooks.slack.com/services/T0001/B0002/Zz9sEcReT"
    proc = _validate(BROKEN / "missing_env_var.yaml", "--show", env={"SLOTUI_TEST_UNSET_WEBHOOK": secret})
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    assert "Zz9sEcReT" not in proc.stdout + proc.stderr
    assert "https://hooks.slack.com/…/****" in proc.stdout


def test_many_errors_still_fit_one_screen(tmp_path: Path) -> None:
    lines = ["version: 1", "sources:", "  demo: {type: demo}", "slos:"]
    for i in range(40):
        lines += [f"  - name: slo{i}", "    sli: {field: x}", f"    objective: {{target: 1, warnin: {i}}}"]
    path = tmp_path / "many.yaml"
    path.write_text("\n".join(lines) + "\n")
    proc = _validate(path)
    assert proc.returncode == 3
    out = proc.stderr.rstrip("\n").splitlines()
    assert len(out) <= 24
    assert "40 errors" in out[0]
    assert out[-1].startswith("... and ") and "more error" in out[-1]
    assert f"{path}:7:" in proc.stderr  # the first one, with its line


@pytest.mark.parametrize("name", ["missing.yaml", "a-directory"])
def test_missing_file_and_directory_are_clear(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "a-directory":
        path.mkdir()
    proc = _validate(path)
    assert proc.returncode == 3
    assert str(path) in proc.stderr
    assert ("no such file" if name == "missing.yaml" else "is a directory") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_example_and_good_configs_validate() -> None:
    env = {
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/goodconfigsecret",
        "PAGERDUTY_ROUTING_KEY": "pd-routing-key-0123456789",
        "SMTP_USER": "bot",
        "SMTP_PASSWORD": "smtp-password-0123",
        "LANGSMITH_API_KEY": "lsv2_pt_0123456789abcdef",
    }
    for path in [ROOT / "slos.example.yaml", *sorted(GOOD.glob("*.yaml"))]:
        proc = _validate(path, env=env)
        assert proc.returncode == 0, (path, proc.stderr)
        assert proc.stdout.startswith("OK: "), proc.stdout
        assert "Traceback" not in proc.stderr


def test_embedded_example_is_the_default(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "validate"], capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: 6 SLOs, 1 source, 1 channel")
    assert proc.stderr == ""  # the example has no warnings


def test_local_slos_yaml_wins_over_the_example(tmp_path: Path) -> None:
    (tmp_path / "slos.yaml").write_text((GOOD / "seed_quality_slos.yaml").read_text())
    proc = subprocess.run(
        [sys.executable, "-m", "slotui", "validate"], capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: 4 SLOs, 0 sources")
