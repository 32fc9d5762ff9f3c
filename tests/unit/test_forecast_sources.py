"""Spend forecasts end to end from request records: the file and demo sources, every ``check`` format.

The file source reads a JSONL log this test writes; ``slotui check`` runs in
process (``slotui.cli.main``). Numbers are worked out by hand.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from slotui.cli import main
from slotui.core.evaluate import evaluate_slo
from slotui.core.forecast import window_span
from slotui.core.types import DAY, SLIData, SLOSpec
from slotui.sources.demo import DemoSource

NOW = "2026-11-11T00:00:00Z"


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def write_log(path: Path, rows: list[tuple[str, float]]) -> None:
    path.write_text("".join(json.dumps({"time": t, "gen_ai.usage.cost": c, "error.type": None}) + "\n" for t, c in rows))


def config(tmp_path: Path, window: str = "month", extra: str = "") -> Path:
    cfg = tmp_path / "spend.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        sources:
          logs: {{type: file, path: requests.jsonl}}
        slos:
          - name: monthly_spend
            source: logs
            sli: {{field: gen_ai.usage.cost, agg: sum}}
            window: {window}
            forecast: true
            objective: {{target: 3000, warning: 4000, critical: 5000}}
            unit: usd
        {extra}"""))
    return cfg


def month_log(tmp_path: Path) -> None:
    rows = [("2026-10-31T23:59:59Z", 999.0)]  # last month: never counts
    rows += [(f"2026-11-{d:02d}T12:00:00Z", 100.0) for d in range(1, 10)]  # Nov 1-9: $900
    rows += [("2026-11-10T03:00:00Z", 50.0), ("2026-11-10T20:00:00Z", 100.0)]  # the 24h basis: $150
    rows += [("2026-11-11T00:00:00Z", 777.0)]  # at now: not yet
    write_log(tmp_path / "requests.jsonl", rows)


def run(capsys: pytest.CaptureFixture[str], cfg: Path, *args: str) -> tuple[int, str]:
    code = main(["check", "-c", str(cfg), "--at", NOW, *args])
    return code, capsys.readouterr().out


def test_file_source_month_forecast_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    month_log(tmp_path)
    code, out = run(capsys, config(tmp_path), "--format", "json", "--state", str(tmp_path / "s.db"))
    (slo,) = json.loads(out)["slos"]
    # so far 900 + 150 = 1050; rate $150/day; 20 days left: 1050 + 3000 = 4050 (worse than warning 4000)
    assert slo["value"] == pytest.approx(1050.0)
    f = slo["forecast"]
    assert f["so_far"] == pytest.approx(1050.0) and f["rate_per_day"] == pytest.approx(150.0)
    assert f["basis_s"] == 86400.0 and f["value_at_end"] == pytest.approx(4050.0)
    # (3000 - 1050) / 150 = 13 days after Nov 11: Nov 24 00:00
    assert f["exhausted_at"] == "2026-11-24T00:00:00Z"
    assert (f["window_start"], f["window_end"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert slo["status"] == "WARNING" and code == 1
    assert slo["display"]["forecast"] == "$1,050 so far, $4,050 by Nov 30, budget gone Nov 24"


@pytest.mark.parametrize("fmt", ["table", "markdown", "junit"])
def test_every_check_format_carries_the_forecast(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    month_log(tmp_path)
    code, out = run(capsys, config(tmp_path), "--format", fmt, "--state", str(tmp_path / "s.db"))
    assert code == 1
    assert "$1,050 so far, $4,050 by Nov 30, budget gone Nov 24" in out
    if fmt == "junit":
        ET.fromstring(out)  # still well-formed XML


def test_no_spend_in_the_month_is_no_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_log(tmp_path / "requests.jsonl", [("2026-10-20T12:00:00Z", 500.0)])
    code, out = run(capsys, config(tmp_path), "--format", "json", "--state", str(tmp_path / "s.db"))
    (slo,) = json.loads(out)["slos"]
    assert (slo["status"], slo["value"], slo["forecast"], code) == ("NO DATA", None, None, 3)


def test_day_window_from_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Nov 10 18:00: the day holds $30 (01:00) + $60 (17:00) = $90 in 18h, the whole day so far is the
    # basis: $120/day; 6h left: 90 + 30 = 120; a $100 budget is gone (100 - 90) / 120 days = 2h later
    write_log(tmp_path / "requests.jsonl", [("2026-11-09T23:00:00Z", 1000.0), ("2026-11-10T01:00:00Z", 30.0),
                                            ("2026-11-10T17:00:00Z", 60.0)])
    cfg = config(tmp_path, window="day")
    cfg.write_text(cfg.read_text().replace("target: 3000, warning: 4000, critical: 5000", "target: 100"))
    code = main(["check", "-c", str(cfg), "--at", "2026-11-10T18:00:00Z", "--format", "json",
                 "--state", str(tmp_path / "s.db")])
    (slo,) = json.loads(capsys.readouterr().out)["slos"]
    f = slo["forecast"]
    assert f["basis_s"] == 18 * 3600.0 and f["rate_per_day"] == pytest.approx(120.0)
    assert f["value_at_end"] == pytest.approx(120.0) and f["exhausted_at"] == "2026-11-10T20:00:00Z"
    assert slo["display"]["forecast"] == "$90.00 so far, $120 by 24:00 UTC, budget gone 20:00 UTC"
    assert slo["status"] == "AT RISK" and code == 0


DEMO_SPEC = SLOSpec(
    name="daily_spend", kind="threshold", target=1000.0, direction="lower_is_better", source="demo", unit="usd",
    sli_field="gen_ai.usage.cost", sli_agg="sum", window=DAY, period=DAY, period_anchor=0.0,
    calendar_window="day", forecast=True, forecast_basis=3600.0,
)


def test_demo_answers_a_calendar_sum_the_same_on_both_paths() -> None:
    # the O(1) cell path (5m slice) and the materialised-records path (10m slice) agree on the
    # day so far and on the 1h basis, and the day so far is the sum of the demo's records
    now = ts("2026-11-10T02:07:30Z")
    demo = DemoSource("demo")
    fast, slow = DEMO_SPEC, replace(DEMO_SPEC, name="slow", slice=600.0)
    data = demo.fetch_sync([fast, slow], now)
    start, _ = window_span(fast, now)
    records = demo.traffic.records_between(start, now)
    spent = sum(r["gen_ai.usage.cost"] for r in records)
    basis = sum(r["gen_ai.usage.cost"] for r in records if r["time"] >= now - 3600.0)
    assert data["daily_spend"].value == pytest.approx(spent, rel=1e-9)
    assert data["slow"].value == pytest.approx(spent, rel=1e-9)
    assert data["daily_spend"].basis_value == pytest.approx(basis, rel=1e-9)
    assert data["slow"].basis_value == pytest.approx(basis, rel=1e-9)
    result = evaluate_slo(fast, data["daily_spend"], now)
    assert result.forecast is not None
    # 21h52m30s left at the last hour's rate (spend in the basis / 3600 s)
    left = start + DAY - now
    assert left == 21 * 3600 + 52 * 60 + 30
    assert result.forecast.value_at_end == pytest.approx(spent + basis / 3600.0 * left, rel=1e-9)
    assert result.forecast.basis_s == 3600.0 and result.value == data["daily_spend"].value


def test_metrics_and_validate_show_the_forecast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from slotui.config.loader import load_config
    from slotui.core.evaluate import evaluate_all
    from slotui.output import exposition

    month_log(tmp_path)
    cfg = config(tmp_path)
    assert main(["validate", "-c", str(cfg), "--show"]) == 0
    shown = capsys.readouterr().out
    assert "window: month" in shown and "forecast: true" in shown and "forecast_basis: 1d" in shown
    loaded = load_config(cfg)
    (spec,) = loaded.specs

    report = evaluate_all([spec], {spec.name: SLIData(value=1050.0, basis_value=150.0)}, ts(NOW))
    text = exposition.render(report)
    assert 'slotui_slo_forecast_value{slo="monthly_spend"} 4050' in text
    assert 'slotui_slo_forecast_rate_per_day{slo="monthly_spend"} 150' in text
    assert f'slotui_slo_forecast_exhausted_timestamp_seconds{{slo="monthly_spend"}} {ts("2026-11-24T00:00:00Z"):.0f}' in text


def test_breakdown_of_a_forecast_judges_each_group_on_its_projection(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """SPEC 10.1 and 10.4: ``status_without`` is the status the rest would give, and a forecast SLO
    is judged on its projection. It judged the rest's sum so far: every model was "OK without it"
    while the month was on course to breach without either of two of them."""
    rows = [{"time": f"2026-06-{d:02d}T12:00:00Z", "gen_ai.request.model": "A", "gen_ai.usage.cost": 10}
            for d in range(1, 11)]
    rows += [{"time": "2026-06-01T12:00:00Z", "gen_ai.request.model": "B", "gen_ai.usage.cost": 1},
             {"time": "2026-06-10T12:00:00Z", "gen_ai.request.model": "C", "gen_ai.usage.cost": 2}]
    (tmp_path / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = config(tmp_path).read_text().replace("target: 3000, warning: 4000, critical: 5000",
                                                "target: 250, warning: 280, critical: 400")
    (tmp_path / "spend.yaml").write_text(cfg + "    breakdown: [gen_ai.request.model]\n")
    code = main(["check", "-c", str(tmp_path / "spend.yaml"), "--at", "2026-06-11T00:00:00Z", "-o", "json",
                 "--state", str(tmp_path / "s.db")])
    (slo,) = json.loads(capsys.readouterr().out)["slos"]
    # so far 103; the last 24h (June 10) spent 12: 103 + 12 x 20 days = 343, WARNING
    assert (slo["value"], slo["forecast"]["value_at_end"], slo["status"], code) == (103.0, 343.0, "WARNING", 1)
    groups = {g["labels"]["gen_ai.request.model"]: g for g in slo["breakdown"]["groups"]}
    # without A: 3 so far, 2 in the basis: 3 + 2 x 20 = 43 (OK); without C: 101 + 10 x 20 = 301 (WARNING);
    # without B: 102 + 12 x 20 = 342 (WARNING)
    got = {k: (g["without"], g["without_at_end"], g["status_without"]) for k, g in groups.items()}
    assert got == {"A": (3.0, 43.0, "OK"), "B": (102.0, 342.0, "WARNING"), "C": (101.0, 301.0, "WARNING")}
    # ranked by how far removing each moves the projection toward the target: A (300), C (42), B (1)
    assert [g["labels"]["gen_ai.request.model"] for g in slo["breakdown"]["groups"]] == ["A", "C", "B"]
    assert groups["C"]["display"].endswith("without it $101.00 so far, $301.00 by the window's end (WARNING)")
    assert slo["breakdown"]["notes"] == []


def test_demo_breakdown_of_a_forecast_projects_each_group_as_the_slo_without_it() -> None:
    """The demo's groups carry their spend over the basis: each group's projection without it is
    the forecast of the same SLO over the other models' records (a ``where`` filter)."""
    now = ts("2026-11-10T02:07:30Z")
    spec = replace(DEMO_SPEC, breakdown=("gen_ai.request.model",))
    demo = DemoSource("demo")
    result = evaluate_slo(spec, demo.fetch_sync([spec], now)[spec.name], now)
    (breakdown,) = result.breakdowns
    models = [g.labels["gen_ai.request.model"] for g in breakdown.groups if not g.other]
    assert len(models) >= 2
    for g in breakdown.groups:
        model = g.labels["gen_ai.request.model"]
        rest = replace(spec, name=f"without-{model}", breakdown=(), sli_where=f"gen_ai.request.model != '{model}'")
        alone = evaluate_slo(rest, DemoSource("demo").fetch_sync([rest], now)[rest.name], now)
        assert alone.forecast is not None
        assert g.without == pytest.approx(alone.value, rel=1e-9)
        assert g.without_at_end == pytest.approx(alone.forecast.value_at_end, rel=1e-9)
        assert g.status_without is alone.status
