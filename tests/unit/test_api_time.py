"""api_time: the one reading of times in API answers (MLflow, Weave, Langfuse)."""

from __future__ import annotations

import pytest

from slotui.sources.kit.records import api_time

T = 1_780_315_203.0  # 2026-06-01T12:00:03Z


@pytest.mark.parametrize("raw, expected", [
    ("2026-06-01T12:00:03Z", T),
    ("2026-06-01T12:00:03.120Z", T + 0.12),
    ("2026-06-01T12:00:03", T),                      # no zone: UTC
    ("2026-06-01 12:00:03.000", T),                  # ClickHouse, a space for the T
    ("2026-06-01T17:30:03+05:30", T),                # an offset
    ("2026-06-01T17:30:03+0530", T),                 # an offset without its colon
    ("2026-06-01T07:00:03-05:00", T),
    ("2026-06-01T12:00:03.500000000Z", T + 0.5),     # nanosecond digits
    (1_780_315_203, T),                              # epoch seconds
    (1_780_315_203_000, T),                          # milliseconds
    ("1780315203000", T),                            # milliseconds as a string
    (1_780_315_203_000_000, T),                      # microseconds
    (1_780_315_203_000_000_000, T),                  # nanoseconds
])
def test_times_in_every_form_the_apis_write(raw: object, expected: float) -> None:
    assert api_time(raw) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("raw", [None, "", "  ", "yesterday", "2026-13-01T00:00:00Z", True, float("nan"),
                                 float("inf"), [], {}])
def test_missing_or_unreadable_times_are_none(raw: object) -> None:
    assert api_time(raw) is None


def test_a_unit_given_by_the_api_wins_over_the_magnitude() -> None:
    """MLflow timestamps are milliseconds whatever their size: 86,400,000 ms is 1970-01-02, not 1972."""
    assert api_time(86_400_000, per_second=1000.0) == 86_400.0
    assert api_time("1780315203120", per_second=1000.0) == T + 0.12
    assert api_time("2026-06-01T12:00:03Z", per_second=1000.0) == T
