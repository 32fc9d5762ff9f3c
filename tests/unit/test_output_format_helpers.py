"""How values, targets, durations, rates and times are written (shared by outputs and the TUI)."""

from __future__ import annotations

import pytest

from slotui.core.types import Status
from slotui.formatting import (
    ASCII_STATUS_ICONS,
    STATUS_ICONS,
    align_columns,
    display_width,
    format_burn,
    format_duration,
    format_percent,
    format_rate,
    format_target,
    format_time,
    format_value,
    overall_line,
    rfc3339,
    status_label,
)


@pytest.mark.parametrize(
    ("value", "unit", "kind", "expected"),
    [
        (1834.2, "ms", "threshold", "1,834 ms"),
        (56.78, "ms", "threshold", "56.8 ms"),
        (1.84, "s", "threshold", "1.84 s"),
        (0.0362, "usd", "threshold", "$0.0362"),
        (0.05, "usd", "threshold", "$0.05"),
        (12.5, "usd", "threshold", "$12.50"),
        (0.852, "", "threshold", "0.852"),
        (1234567.0, "", "threshold", "1,234,567"),
        (0.9971, "", "ratio", "99.71%"),
        (0.5, "%", "threshold", "50.00%"),
        (3.0, "tokens", "threshold", "3 tokens"),
        (None, "ms", "threshold", "—"),
        (float("nan"), "ms", "threshold", "—"),
        (float("inf"), "", "ratio", "—"),
    ],
)
def test_format_value(value: float | None, unit: str, kind: str, expected: str) -> None:
    assert format_value(value, unit, kind=kind) == expected


def test_targets_carry_direction_and_needed_digits() -> None:
    assert format_target(2000, "lower_is_better", "ms") == "≤ 2,000 ms"
    assert format_target(0.85, "higher_is_better") == "≥ 0.85"
    assert format_target(0.995, "higher_is_better", kind="ratio") == "≥ 99.50%"
    assert format_target(0.99995, "higher_is_better", kind="ratio") == "≥ 99.995%"
    assert format_target(2000, "lower_is_better", "ms", ascii=True) == "<= 2,000 ms"


def test_durations_rates_and_times() -> None:
    assert format_duration(2 * 86400 + 4 * 3600 + 5) == "2d4h"
    assert format_duration(45 * 60) == "45m"
    assert format_duration(-90) == "-1m30s"
    assert format_duration(None) == "—"
    assert [format_rate(r) for r in (0.0, 0.314, 2.5, 14.4, 120.3)] == ["0.0x", "0.31x", "2.5x", "14.4x", "120x"]
    assert format_burn(14.4, 3600) == "14.4x/1h"
    assert format_burn(None, 3600) == "—"
    assert format_time(1_780_315_200.0) == "2026-06-01T12:00:00Z"
    assert rfc3339(1_780_315_200.5) == "2026-06-01T12:00:00.500Z"
    assert rfc3339(float("nan")) is None


def test_percent_and_overall_line() -> None:
    assert format_percent(0.823) == "82.3%"
    assert format_percent(-0.4) == "-40.0%"
    assert format_percent(None, ascii=True) == "-"
    assert overall_line(4, 5) == "4/5 SLOs meeting target (80%)"
    assert overall_line(1, 1) == "1/1 SLO meeting target (100%)"
    assert overall_line(0, 0) == "no SLOs"


def test_status_icons_cover_every_status_and_are_single_cell() -> None:
    for status in Status:
        assert display_width(STATUS_ICONS[status]) == 1
        assert ASCII_STATUS_ICONS[status].isascii()
    assert status_label(Status.CRITICAL) == "✖ CRITICAL"
    assert status_label(Status.NO_DATA, ascii=True) == "? NO DATA"


def test_align_columns_counts_wide_characters() -> None:
    lines = align_columns(("A", "B"), [("✅", "x"), ("ab", "y"), ("漢字", "z")], right=())
    # Each second cell starts at terminal column 6 (the widest first cell is 4 cells wide, plus the gap).
    assert [display_width(line[: line.index(ch)]) for line, ch in zip(lines[1:], "xyz")] == [6, 6, 6]


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(1.0, "100.00%"), (0.99996, "99.996%"), (0.999996, "99.9996%"), (0.9999999, "99.9999%"),
     (0.0, "0.00%"), (0.00001, "0.001%"), (1e-9, "0.0001%")],
)
def test_a_ratio_below_100_percent_never_reads_100(fraction: float, expected: str) -> None:
    assert format_value(fraction, kind="ratio") == expected
