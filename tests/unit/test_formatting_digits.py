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


# A value that misses a threshold but was written like it: ``0.85`` next to ``≥ 0.85`` and AT RISK.

from slotui.core.status import value_status  # noqa: E402
from slotui.core.types import SLOSpec, Status  # noqa: E402
from slotui.formatting import spec_target, spec_value  # noqa: E402

HELP = SLOSpec(name="helpfulness", kind="threshold", target=0.85, warning=0.8, critical=0.7,
               direction="higher_is_better")
LAT = SLOSpec(name="latency_p95_ms", kind="threshold", target=2000, warning=3000, critical=5000,
              direction="lower_is_better", unit="ms")
AVAIL = SLOSpec(name="availability", kind="ratio", target=0.995, direction="higher_is_better")
COST = SLOSpec(name="cost", kind="threshold", target=0.05, direction="lower_is_better", unit="usd")


@pytest.mark.parametrize(
    ("spec", "value", "shown", "status"),
    [
        (HELP, 0.84996, "0.84996", Status.AT_RISK),
        (HELP, 0.79999, "0.79999", Status.WARNING),
        (HELP, 0.85, "0.85", Status.OK),  # equality meets: written as the target
        (HELP, 0.85004, "0.85", Status.OK),  # better than the target: rounding is harmless
        (LAT, 2000.4, "2,000.4 ms", Status.AT_RISK),
        (LAT, 1999.6, "2,000 ms", Status.OK),
        (LAT, 5000.2, "5,000.2 ms", Status.CRITICAL),
        (LAT, 3000.49, "3,000.5 ms", Status.WARNING),
        (COST, 0.050001, "$0.050001", Status.AT_RISK),
    ],
)
def test_a_value_that_misses_a_threshold_never_reads_as_it(spec: SLOSpec, value: float, shown: str,
                                                          status: Status) -> None:
    assert value_status(value, spec) is status
    assert spec_value(value, spec) == shown


def test_a_ratio_below_its_target_never_reads_as_the_target() -> None:
    assert spec_target(AVAIL) == "≥ 99.50%"
    assert spec_value(0.99496, AVAIL) == "99.496%"
    assert spec_value(0.99504, AVAIL) == "99.50%"


@given(st.floats(min_value=0.0, max_value=10_000.0, allow_nan=False), st.sampled_from([HELP, LAT, COST]))
@settings(max_examples=400, deadline=None)
def test_shown_value_equals_a_threshold_text_only_when_it_meets_it(value: float, spec: SLOSpec) -> None:
    shown = spec_value(value, spec)
    for threshold in (spec.target, spec.warning, spec.critical):
        if threshold is None or value == threshold:
            continue
        if shown == format_value(threshold, spec.unit, kind=spec.kind, precise=True):
            worse = value > threshold if spec.direction == "lower_is_better" else value < threshold
            assert not worse, (value, threshold, shown)
