"""Config probe (bugs 4-18): nonsense that was accepted silently, or refused at the wrong key.

Each case is a broken file and the exact ``file:line:col: key: message`` line
``slotui validate`` prints for it (same format as configs_cases.py), plus a few
checks of what the valid neighbours of those files still do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from configs_cases import HEAD, LAT, Case, check_reported, slo

from slotui.config.loader import load_text
from slotui.core.types import DAY, DEFAULT_PERIOD_TIERS

SPEND_DAY = (
    "sources:\n  logs: {type: file, path: requests.jsonl}\nslos:\n"
    "  - name: daily_spend\n    source: logs\n    sli: {field: gen_ai.usage.cost, agg: sum}\n"
    "    window: @W@\n    forecast: true\n    objective: {target: 100, warning: 110, critical: 120}\n    unit: usd\n"
)

CASES: list[Case] = [
    # ---------------------------------------------------------------- 4: slices per period
    Case("slice_1ms", slo(extra=", slice: 1ms, period: 30d"),
         "{f}:4:{at:1ms}: slos[0].slice: expected a slice of at least 1s (the default is 5m) (got '1ms')"),
    Case("defaults_slice_half_second", "defaults: {slice: 0.5}\n" + slo(),
         "{f}:1:{at:0.5}: defaults.slice: expected a slice of at least 1s (the default is 5m) (got 0.5)"),
    Case("slice_1s_period_30d", slo(extra=", slice: 1s, period: 30d"),
         "{f}:4:{at:1s}: slos[0].slice: the period (30d) would hold 2,592,000 slices of 1s; expected at most "
         "150,000 (each slice is kept in memory): use a slice of at least 30s"),
    Case("defaults_slice_1s_period_30d", "defaults: {slice: 1s, period: 30d}\n" + slo(),
         "{f}:1:{at:1s}: defaults.slice: the period (30d, defaults.period) would hold 2,592,000 slices of 1s; "
         "expected at most 150,000 (each slice is kept in memory): use a slice of at least 30s"),
    Case("period_366d_slice_default_1m", "defaults: {slice: 1m}\n" + slo(extra=", period: 366d"),
         "{f}:5:{at:366d}: slos[0].period: the period (366d) would hold 527,040 slices of 1m (defaults.slice); "
         "expected at most 150,000 (each slice is kept in memory): use a shorter period or a slice of at least 5m"),
    # ---------------------------------------------------------------- 5: poll interval
    Case("interval_1ms", "defaults: {interval: 1ms}\n" + slo(),
         "{f}:1:{at:1ms}: defaults.interval: expected a poll interval of at least 1s: a shorter one keeps the "
         "daemon busy polling (got '1ms')"),
    Case("interval_float", "defaults: {interval: 0.001}\n" + slo(),
         "{f}:1:{at:0.001}: defaults.interval: expected a poll interval of at least 1s: a shorter one keeps the "
         "daemon busy polling (got 0.001)"),
    Case("interval_env", 'defaults: {interval: "${SLOTUI_T_IV}"}\n' + slo(),
         '{f}:1:{at:"${}: defaults.interval: expected a poll interval of at least 1s: a shorter one keeps the '
         "daemon busy polling (got a string, value hidden)", env={"SLOTUI_T_IV": "0.001"}),
    Case("source_interval", "sources:\n  demo: {type: demo, interval: 500ms}\nslos:\n" + LAT,
         "{f}:2:{at:500ms}: sources.demo.interval: expected a poll interval of at least 1s: a shorter one keeps "
         "the daemon busy polling (got '500ms')"),
    # ---------------------------------------------------------------- 9: the key the user wrote
    Case("defaults_period_shorter_than_default_window", "defaults: {period: 30m}\n" + slo(),
         "{f}:1:{at:30m}: defaults.period: the period (30m) is shorter than the window (1h, slotui's default)"),
    Case("defaults_slice_longer_than_defaults_period", "defaults: {period: 2h, slice: 3h, window: 1h}\n" + slo(),
         "{f}:1:{at:3h}: defaults.slice: the slice (3h) is longer than the period (2h, defaults.period)"),
    Case("slo_period_shorter_than_default_slice", slo(extra=", window: 1s, period: 1s"),
         "{f}:4:{at:after:period: }: slos[0].period: the period (1s) is shorter than the slice (5m, slotui's default)"),
    Case("slo_period_shorter_than_defaults_window", "defaults: {window: 2h}\n" + slo(extra=", period: 1h"),
         "{f}:5:{at:after:period: }: slos[0].period: the period (1h) is shorter than the window (2h, defaults.window)"),
    Case("slo_window_longer_than_defaults_period", "defaults: {period: 1d}\n" + slo(extra=", window: 2d"),
         "{f}:5:{at:2d}: slos[0].window: the window (2d) is longer than the period (1d, defaults.period)"),
    # ---------------------------------------------------------------- 12: tiers that cannot fire
    Case("tier_long_longer_than_period",
         slo(extra=", period: 1d, burn_rate: [{severity: page, long: 3d, short: 5m, factor: 2}]"),
         "{f}:4:{at:3d}: slos[0].burn_rate[0].long: the long window (3d) is longer than the period (1d): "
         "a burn rate is measured within one period; expected at most 1d"),
    Case("tier_short_shorter_than_slice",
         slo(extra=", slice: 10m, burn_rate: [{severity: page, long: 1h, short: 5m, factor: 14.4}]"),
         "{f}:4:{at:after:short: }: slos[0].burn_rate[0].short: the short window (5m) is shorter than the slice "
         "(10m): a window that holds no whole slice never fires; expected at least 10m"),
    Case("defaults_tier_long_longer_than_slo_period",
         "defaults:\n  burn_rate: [{severity: ticket, long: 2d, short: 2h, factor: 1}]\n" + slo(extra=", period: 1d"),
         "{f}:2:{at:2d}: defaults.burn_rate[0].long: the long window (2d) is longer than the period (1d) "
         "(SLO 'lat'): a burn rate is measured within one period; expected at most 1d"),
    # ---------------------------------------------------------------- 14: 1M
    Case("window_1M", slo(extra=", window: 1M"),
         "{f}:4:{at:1M}: slos[0].window: expected a duration such as 30s, 5m, 1h, 7d, 4w ('M' is ambiguous: write "
         "m for minutes, 30d for 30 days, or calendar_month for a calendar month); or a calendar window: month, "
         "week, day (got '1M')"),
    Case("period_1M", slo(extra=", period: 1M"),
         "{f}:4:{at:1M}: slos[0].period: expected a duration such as 30s, 5m, 1h, 7d, 4w ('M' is ambiguous: write "
         "m for minutes, 30d for 30 days, or calendar_month for a calendar month) or 'calendar_month' (got '1M')"),
]


def test_case_ids_are_distinct() -> None:
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_config_names_file_line_col_key_and_expectation(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    check_reported(case, tmp_path, capsys, monkeypatch)


def _load(text: str, **env: str):  # type: ignore[no-untyped-def]
    return load_text(text, name="t.yaml", env=env)


# ---------------------------------------------------------------- 4, 5: the limits themselves are fine


def test_a_1s_slice_over_a_day_and_a_1s_interval_are_accepted() -> None:
    lc = _load("defaults: {interval: 1s}\n" + slo(extra=", slice: 1s, period: 1d, window: 1h"))
    (spec,) = lc.specs
    assert (spec.slice, spec.interval, spec.period) == (1.0, 1.0, DAY)


def test_a_year_of_default_5m_slices_is_accepted() -> None:
    (spec,) = _load(slo(extra=", period: 366d")).specs
    assert spec.period / spec.slice == 105_408


def test_a_default_at_fault_is_named_once_for_every_slo() -> None:
    from slotui.config.errors import ConfigError

    text = "defaults: {period: 30m}\n" + HEAD + "slos:\n" + LAT + LAT.replace("name: lat", "name: lat2")
    with pytest.raises(ConfigError) as info:
        _load(text)
    assert [(i.path, i.line) for i in info.value.issues] == [(("defaults", "period"), 1)]


# ---------------------------------------------------------------- 10: a spend budget's own period


@pytest.mark.parametrize("window", ["day", "1d"])
def test_a_daily_spend_budget_without_period_gives_no_warning(window: str, tmp_path: Path) -> None:
    (tmp_path / "requests.jsonl").write_text("")
    lc = load_text(SPEND_DAY.replace("@W@", window), name="t.yaml", env={}, base_dir=tmp_path)
    (spec,) = lc.specs
    assert lc.warnings == []
    assert spec.period == DAY
    # slotui's default policy with absolute factors: each tier fits in the derived day
    assert spec.tiers == DEFAULT_PERIOD_TIERS


def test_an_hourly_spend_budget_keeps_only_the_default_tiers_that_fit(tmp_path: Path) -> None:
    lc = load_text(SPEND_DAY.replace("@W@", "1h"), name="t.yaml", env={}, base_dir=tmp_path)
    (spec,) = lc.specs
    assert lc.warnings == []
    assert [(t.long_window, t.short_window, t.factor) for t in spec.tiers] == [(3600.0, 300.0, 14.4)]


def test_a_written_short_period_still_warns_about_the_workbook_tiers() -> None:
    lc = _load(slo(extra=", period: 1d"))
    assert len(lc.warnings) == 3 and all("< 1 at period 1d" in w for w in lc.warnings)


# ---------------------------------------------------------------- 12: default tiers a written slice starves


def test_a_slice_longer_than_the_default_short_windows_is_a_located_warning() -> None:
    lc = _load(slo(extra=", window: 5m, slice: 1h"))
    (warning,) = lc.warnings
    assert warning.startswith("slos[0].slice (line 4): the slice (1h) is longer than the short window of slotui's "
                              "default burn-rate tiers 1h/5m, 6h/30m of SLO 'lat': a window that holds no whole "
                              "slice never fires")


def test_a_ratio_slo_may_have_a_short_window_below_the_slice() -> None:
    # events carry their own times: a 5m window over 10m slices counts the events in it
    lc = _load(HEAD + "slos:\n  - {name: ok, ratio: {good: 'error.type == null'}, objective: {target: 0.99}, "
               "slice: 10m, burn_rate: [{severity: page, long: 1h, short: 5m, factor: 14.4}]}\n")
    assert lc.specs[0].slice == 600 and lc.warnings == []
