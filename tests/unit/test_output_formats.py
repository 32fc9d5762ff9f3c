"""Report renderers: JSON (stable, no NaN), JUnit (fail_on), table and Markdown.

Reports are built by hand here (not by the evaluator) so each renderer is
checked against known inputs.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import pytest

from slotui.core.types import DAY, Budget, BurnRate, Report, SLOResult, SLOSpec, Status
from slotui.output import json_report, junit, markdown, table

NOW = 1_780_315_200.0  # 2026-06-01T12:00:00Z

LAT = SLOSpec(
    name="response_time_p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
    direction="lower_is_better", unit="ms", source="prom",
)
AV = SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better", source="logs", period=30 * DAY)
HELP = SLOSpec(
    name="helpfulness", kind="threshold", target=0.85, warning=0.80, critical=0.70,
    direction="higher_is_better", source="logs",
)
COST = SLOSpec(
    name="cost_per_query", kind="threshold", target=0.05, warning=0.06, critical=0.08,
    direction="lower_is_better", unit="usd", source="trace",
)
ACC = SLOSpec(name="accuracy", kind="threshold", target=0.9, warning=0.85, critical=0.75, direction="higher_is_better")


def _burn(long_rate: float | None, short_rate: float | None, *, firing: bool = False, severity: str = "critical",
          long_window: float = 3600, short_window: float = 300, factor: float = 14.4) -> BurnRate:
    return BurnRate(severity, long_window, short_window, factor, long_rate, short_rate, 1000, 100, firing, False)  # type: ignore[arg-type]


def make_report() -> Report:
    results = (
        SLOResult(
            LAT, Status.CRITICAL, NOW, value=6000.0,
            budget=Budget(0.01, 1.4, -0.4, compliance=0.986, good_slices=1988, slices=2016, time_left=0.0),
            burn_rates=(_burn(20.0, 31.0, firing=True), _burn(7.0, 6.5, long_window=6 * 3600, short_window=1800, factor=6)),
            meets_target=False,
        ),
        SLOResult(
            AV, Status.OK, NOW, value=0.9971, good=997, total=1000,
            budget=Budget(0.005, 0.2, 0.8, good=99_000, total=99_400, bad=400, allowed_bad=497),
            burn_rates=(_burn(0.58, 0.2),), meets_target=True,
        ),
        SLOResult(
            HELP, Status.NO_DATA, NOW, value=None,
            budget=Budget(0.01, None, None), burn_rates=(_burn(None, None),), meets_target=None,
            error="no samples in window",
        ),
        SLOResult(COST, Status.WARNING, NOW, value=0.065, budget=Budget(0.01, 0.5, 0.5, time_left=3024.0),
                  meets_target=True),
        SLOResult(ACC, Status.AT_RISK, NOW, value=0.88, budget=Budget(0.01, 0.9, 0.1), meets_target=True),
    )
    return Report(NOW, results, source_errors={"prom": 'timeout after 5s "x"'}, warnings=("tier 3d has factor 0.2 < 1",))


def nan_report() -> Report:
    """Every optional number missing or NaN/inf."""
    nan, inf = float("nan"), float("inf")
    r = SLOResult(
        HELP, Status.NO_DATA, NOW, value=nan, good=nan, total=inf,
        budget=Budget(nan, nan, -inf, good=None, total=nan, allowed_bad=inf, compliance=nan, time_left=nan),
        burn_rates=(_burn(nan, inf),), meets_target=None,
    )
    return Report(NOW, (r,))


# ---------------------------------------------------------------------- JSON


def test_json_round_trips_with_the_documented_shape() -> None:
    data = json.loads(json_report.render(make_report()))
    assert data["schema_version"] == 1
    assert data["evaluated_at"] == "2026-06-01T12:00:00Z"
    assert data["overall"] == {
        "meeting": 3, "total": 5, "compliance": 0.6, "worst_status": "CRITICAL",
        "counts": {"OK": 1, "AT RISK": 1, "WARNING": 1, "CRITICAL": 1, "NO DATA": 1, "STALE": 0},
    }
    assert [s["name"] for s in data["slos"]] == ["response_time_p95_ms", "availability", "helpfulness",
                                                 "cost_per_query", "accuracy"]  # config order
    lat = data["slos"][0]
    assert lat["status"] == "CRITICAL" and lat["value"] == 6000.0 and lat["unit"] == "ms"
    assert (lat["target"], lat["warning"], lat["critical"], lat["direction"]) == (2000, 3000, 5000, "lower_is_better")
    assert lat["budget"]["remaining"] == -0.4 and lat["budget"]["consumed"] == 1.4
    assert lat["budget"]["good_slices"] == 1988 and lat["budget"]["time_left_s"] == 0.0
    assert lat["burn_rates"][0] == {
        "severity": "critical", "long_window": 3600, "short_window": 300, "factor": 14.4,
        "long_rate": 20.0, "short_rate": 31.0, "long_events": 1000, "short_events": 100,
        "firing": True, "low_traffic": False,
    }
    assert lat["fastest_burn"] == {"rate": 20.0, "window": 3600}
    av = data["slos"][1]
    assert (av["good"], av["total"], av["kind"], av["period"]) == (997, 1000, "ratio", 30 * DAY)
    assert av["budget"]["allowed_bad"] == 497
    assert av["compliance_target"] is None
    helpfulness = data["slos"][2]
    assert helpfulness["value"] is None and helpfulness["error"] == "no samples in window"
    assert helpfulness["meets_target"] is None and helpfulness["fastest_burn"] is None
    assert data["source_errors"] == {"prom": 'timeout after 5s "x"'}
    assert data["warnings"] == ["tier 3d has factor 0.2 < 1"]


def _walk_numbers(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk_numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_numbers(v)
    elif isinstance(value, float):
        yield value


def test_json_never_contains_nan_or_infinity() -> None:
    text = json_report.render(nan_report())
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)  # strict parse
    slo = data["slos"][0]
    assert slo["value"] is None and slo["good"] is None and slo["total"] is None
    assert slo["budget"]["remaining"] is None and slo["budget"]["allowed_bad"] is None
    assert slo["burn_rates"][0]["long_rate"] is None and slo["burn_rates"][0]["short_rate"] is None
    assert data["overall"]["compliance"] == 0.0
    assert all(math.isfinite(x) for x in _walk_numbers(data))
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))


def test_json_of_an_empty_report() -> None:
    data = json.loads(json_report.render(Report(NOW, ())))
    assert data["overall"]["compliance"] is None and data["overall"]["total"] == 0
    assert data["overall"]["worst_status"] is None and data["slos"] == []


# ---------------------------------------------------------------------- JUnit


def _cases(xml_text: str) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.fromstring(xml_text.encode("utf-8"))
    suites = root.findall("testsuite")
    assert len(suites) == 1 and suites[0].get("name") == "slotui"
    return suites[0], {c.get("name"): c for c in suites[0].findall("testcase")}  # type: ignore[misc]


def test_junit_fail_on_warning() -> None:
    suite, cases = _cases(junit.render(make_report(), fail_on="warning"))
    assert len(cases) == 5
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("5", "2", "1", "0")
    failure = cases["response_time_p95_ms"].find("failure")
    assert failure is not None and failure.get("type") == "CRITICAL"
    assert failure.get("message") == "CRITICAL: 6,000 ms vs target ≤ 2,000 ms (warning 3,000 ms, critical 5,000 ms)"
    cost = cases["cost_per_query"].find("failure")
    assert cost is not None and cost.get("type") == "WARNING"
    assert "$0.065 vs target ≤ $0.05" in (cost.get("message") or "")
    error = cases["helpfulness"].find("error")
    assert error is not None and "no samples in window" in (error.get("message") or "")
    for ok in ("availability", "accuracy"):
        assert cases[ok].find("failure") is None and cases[ok].find("error") is None
        assert "status:" in (cases[ok].findtext("system-out") or "")
    assert "prom" in (suite.findtext("system-err") or "")


def test_junit_fail_on_critical_lets_warnings_pass() -> None:
    suite, cases = _cases(junit.render(make_report(), fail_on="critical"))
    assert suite.get("failures") == "1"
    assert cases["response_time_p95_ms"].find("failure") is not None
    assert cases["cost_per_query"].find("failure") is None
    assert "WARNING" in (cases["cost_per_query"].findtext("system-out") or "")


def test_junit_no_data_is_skipped_when_allowed() -> None:
    suite, cases = _cases(junit.render(make_report(), no_data_ok=True))
    assert (suite.get("errors"), suite.get("skipped")) == ("0", "1")
    assert cases["helpfulness"].find("skipped") is not None


def test_junit_escapes_names_and_messages() -> None:
    spec = SLOSpec(name='a<b>&"c"', kind="threshold", target=1, direction="lower_is_better")
    report = Report(NOW, (SLOResult(spec, Status.CRITICAL, NOW, value=2.0, error="bad <xml> & stuff"),))
    _, cases = _cases(junit.render(report))
    assert list(cases) == ['a<b>&"c"']
    assert "bad <xml> & stuff" in (cases['a<b>&"c"'].find("failure").get("message") or "")  # type: ignore[union-attr]


# ---------------------------------------------------------------------- table and Markdown


def test_table_rows_worst_first_with_units_and_overall_line() -> None:
    text = table.render(make_report())
    lines = text.splitlines()
    assert lines[0].split() == ["STATUS", "SLO", "VALUE", "TARGET", "BUDGET", "LEFT", "BURN"]
    all_names = ("response_time_p95_ms", "availability", "helpfulness", "cost_per_query", "accuracy")
    names = [next(n for n in all_names if f"  {n}  " in line) for line in lines[1:6]]
    assert names == ["response_time_p95_ms", "cost_per_query", "helpfulness", "accuracy", "availability"]
    assert "✖ CRITICAL" in lines[1] and "6,000 ms" in lines[1] and "≤ 2,000 ms" in lines[1]
    assert "-40.0%" in lines[1] and "20.0x/1h" in lines[1]
    assert "99.71%" in lines[5] and "≥ 99.50%" in lines[5] and "80.0%" in lines[5] and "0.58x/1h" in lines[5]
    assert "$0.065" in lines[2] and "≤ $0.05" in lines[2]
    assert "3/5 SLOs meeting target (60%)" in text
    assert "evaluated 2026-06-01T12:00:00Z" in text
    assert "helpfulness: no samples in window" in text
    assert 'prom: timeout after 5s "x"' in text
    assert "tier 3d has factor 0.2 < 1" in text
    # Columns are aligned: every row has the SLO name at the same offset.
    offsets = {line.index(n) for line, n in zip(lines[1:6], names)}
    assert len(offsets) == 1


def test_table_ascii_has_no_non_ascii_characters() -> None:
    text = table.render(make_report(), ascii=True)
    assert text.isascii()
    assert "x CRITICAL" in text and "<= 2,000 ms" in text and "3/5 SLOs meeting target (60%)" in text


def test_table_with_missing_values_prints_dashes_not_nan() -> None:
    text = table.render(nan_report())
    assert "nan" not in text.lower() and "inf" not in text.lower()
    assert "0/1 SLO meeting target (0%)" in text


def test_markdown_is_one_table_with_emoji() -> None:
    text = markdown.render(make_report())
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 5
    assert all(line.count(" | ") == 5 for line in rows if not line.startswith("|---"))
    assert rows[2].startswith("| 🔴 CRITICAL | `response_time_p95_ms` |")
    assert "✅ OK" in text and "❔ NO DATA" in text and "⚠️ WARNING" in text
    assert "**3/5 SLOs meeting target (60%)**" in text
    assert text.startswith("## 🔴 slotui SLO report")


def test_markdown_escapes_pipes() -> None:
    spec = SLOSpec(name="a|b", kind="threshold", target=1, direction="lower_is_better", unit="x|y")
    report = Report(NOW, (SLOResult(spec, Status.OK, NOW, value=0.5, meets_target=True),),
                    source_errors={"s": "bad | thing\nsecond line"})
    text = markdown.render(report)
    row = [line for line in text.splitlines() if line.startswith("| ✅")][0]
    assert row.count(" | ") == 5  # the pipes in the name and unit did not add cells
    assert "bad \\| thing second line" in text


def test_junit_suite_timestamp_is_the_ant_schema_form() -> None:
    """Ant's JUnit XSD (strict report parsers validate against it) takes ``timestamp`` as
    ``YYYY-MM-DDTHH:MM:SS`` with no zone and no fraction: UTC; the evaluated_at property keeps the Z."""
    import re
    from dataclasses import replace

    report = replace(make_report(), evaluated_at=1_780_000_000.25)
    suite, _ = _cases(junit.render(report))
    assert suite.get("timestamp") == "2026-05-28T20:26:40"
    assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}", suite.get("timestamp") or "")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["evaluated_at"].startswith("2026-05-28T20:26:40") and props["evaluated_at"].endswith("Z")
