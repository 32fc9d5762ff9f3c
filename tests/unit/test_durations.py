"""Durations as written in SLO files."""

from __future__ import annotations

import math

import pytest

from slotui.config.durations import parse_duration
from slotui.formatting import format_window as format_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("7d", 604800.0), ("4w", 2419200.0),
        ("250ms", 0.25), ("1h30m", 5400.0), ("1 hour", 3600.0), ("2 hours", 7200.0),
        ("30 minutes", 1800.0), ("1.5h", 5400.0), (" 10s ", 10.0), ("90", 90.0), ("1D", 86400.0),
        (90, 90.0), (2.5, 2.5), (0, 0.0),
    ],
)
def test_parse(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "h", "5x", "7 fortnights", "1h 2", "-5m", "1h-", "ten minutes", "5m30"])
def test_malformed_strings_name_the_accepted_forms(bad: str) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 30s, 5m, 1h, 7d, 4w"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", [-1, -0.5, math.nan, math.inf, True, [1], {"h": 1}, None])
def test_other_bad_values(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_error_never_echoes_the_input() -> None:
    with pytest.raises(ValueError) as info:
        parse_duration("hunter2-secret")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (30, "30s"), (90, "1m30s"), (3600, "1h"), (5400, "1h30m"), (86400, "1d"),
     (259200, "3d"), (604800, "1w"), (2592000, "30d"), (0.25, "250ms"), (-60, "-1m")],
)
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [30, 90, 3600, 5400, 86400, 259200, 604800, 2592000, 93784])
def test_format_round_trips(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
