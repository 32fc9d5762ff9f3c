"""The backoff rule of the source runtime, with exact numbers (pure: no servers, no clock)."""

from __future__ import annotations

import pytest

from slotui.sources.kit.base import SourceError
from slotui.sources.kit.runtime import BACKOFF_MAX, MAX_RETRY_AFTER, backoff_after

NOW = 1_780_000_000.0


def error(**attrs: float) -> SourceError:
    exc = SourceError("rate limited")
    for key, value in attrs.items():
        setattr(exc, key, value)
    return exc


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(1, None), (2, 15.0), (3, 30.0), (4, 60.0), (5, 120.0), (6, 240.0), (7, 300.0), (30, 300.0)],
)
def test_exponential_backoff_from_the_second_failure(failures: int, wait: float | None) -> None:
    got = backoff_after(error(), NOW, failures)
    if wait is None:
        assert got is None
    else:
        assert got == (NOW + wait, f"{failures} failures in a row")
    assert BACKOFF_MAX == 300.0


def test_retry_after_seconds_wins_even_on_the_first_failure() -> None:
    assert backoff_after(error(retry_after=120.0), NOW, 1) == (NOW + 120.0, "Retry-After")
    assert backoff_after(error(retry_after=7.0), NOW, 5) == (NOW + 7.0, "Retry-After")


def test_retry_after_as_a_date_is_an_absolute_time() -> None:
    assert backoff_after(error(retry_after=0.0, retry_at=NOW + 90.0), NOW, 1) == (NOW + 90.0, "Retry-After")


def test_retry_after_is_capped_at_an_hour() -> None:
    assert MAX_RETRY_AFTER == 3600.0
    assert backoff_after(error(retry_after=86_400.0), NOW, 1) == (NOW + 3600.0, "Retry-After")


def test_a_retry_after_in_the_past_falls_back_to_the_failure_count() -> None:
    assert backoff_after(error(retry_at=NOW - 5.0), NOW, 1) is None
    assert backoff_after(error(retry_at=NOW - 5.0), NOW, 3) == (NOW + 30.0, "3 failures in a row")
