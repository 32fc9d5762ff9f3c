"""Digits of values and thresholds as people read them (one formatting module for every output).

- Seconds from 999.5 to 999.99 were written ``1e+03 s`` (``.3g``): now ``1,000 s``.
- A bare number that rounds up to 1000 (999.95) was ``1000`` next to ``1,001``: now ``1,000``.
- Thresholds (``precise``) kept their digits only for percentages: a 1.255 s target read
  ``≤ 1.25 s``, 2,000.5 ms ``≤ 2,000 ms``, 0.99995 ``≥ 1``. A target is now written with every digit
  it has whenever the usual rounding would drop one; round figures read as before.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotui.formatting import format_number, format_target, format_value


@pytest.mark.parametrize(("value", "shown"), [(999.5, "1,000 s"), (999.99, "1,000 s"), (999.4, "999 s"),
                                              (1234.5, "1,234 s"), (1.84, "1.84 s")])
def test_seconds_never_in_scientific_notation(value: float, shown: str) -> None:
    assert format_value(value, "s") == shown


@pytest.mark.parametrize(("value", "shown"), [(999.95, "1,000"), (-999.96, "-1,000"), (999.94, "999.9"),
                                              (1000.4, "1,000")])
def test_numbers_rounding_to_a_thousand_are_grouped(value: float, shown: str) -> None:
    assert format_number(value) == shown


@pytest.mark.parametrize(
    ("target", "unit", "direction", "shown"),
    [
        (1.255, "s", "lower_is_better", "≤ 1.255 s"),
        (2000.5, "ms", "lower_is_better", "≤ 2,000.5 ms"),
        (99.95, "ms", "lower_is_better", "≤ 99.95 ms"),
        (0.99995, "", "higher_is_better", "≥ 0.99995"),
        (0.99995, "score", "higher_is_better", "≥ 0.99995"),
        (1.255, "usd", "lower_is_better", "≤ $1.255"),
        (12345.678, "tokens", "lower_is_better", "≤ 12,345.678 tokens"),
        # round figures as before
        (2000, "ms", "lower_is_better", "≤ 2,000 ms"),
        (0.85, "", "higher_is_better", "≥ 0.85"),
        (0.05, "usd", "lower_is_better", "≤ $0.05"),
        (300, "usd", "lower_is_better", "≤ $300.00"),
        (180000, "usd", "lower_is_better", "≤ $180,000"),
        (1.5, "s", "lower_is_better", "≤ 1.5 s"),
    ],
)
def test_thresholds_keep_their_digits(target: float, unit: str, direction: str, shown: str) -> None:
    assert format_target(target, direction, unit) == shown


@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
       st.sampled_from(["", "ms", "s", "score", "tokens"]))
@settings(max_examples=300, deadline=None)
def test_a_threshold_reads_back_as_itself(number, unit: str) -> None:  # type: ignore[no-untyped-def]
    value = float(number)
    shown = format_value(value, unit, precise=True)
    digits = shown.removesuffix(f" {unit}" if unit else "").replace(",", "")
    assert float(digits) == value
    assert "e" not in digits or 0 < abs(value) < 0.001  # tiny values keep their 1.00e-04 form
