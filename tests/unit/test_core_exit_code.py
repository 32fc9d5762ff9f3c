"""Exit codes of ``slotui check``: the Nagios convention (SPEC section 6)."""

from __future__ import annotations

import pytest

from slotui.core.exit_code import CRITICAL, OK, UNKNOWN, WARNING, exit_code
from slotui.core.types import Report, SLOResult, SLOSpec, Status

C, W, N, S, R, O = (Status.CRITICAL, Status.WARNING, Status.NO_DATA, Status.STALE, Status.AT_RISK, Status.OK)


def report(*statuses: Status, source_errors: dict[str, str] | None = None) -> Report:
    results = tuple(
        SLOResult(spec=SLOSpec(name=f"s{i}", kind="threshold", target=1, direction="higher_is_better"),
                  status=s, evaluated_at=0.0)
        for i, s in enumerate(statuses)
    )
    return Report(0.0, results, source_errors=source_errors or {})


@pytest.mark.parametrize(
    ("statuses", "errors", "fail_on", "no_data_ok", "expected"),
    [
        ((O, O), False, "warning", False, 0),
        ((), False, "warning", False, 0),
        ((R,), False, "warning", False, 0),  # AT RISK alone exits 0
        ((O, R), False, "critical", False, 0),
        ((W, O), False, "warning", False, 1),
        ((W, R), False, "warning", False, 1),
        ((W,), False, "critical", False, 0),  # --fail-on critical ignores warnings
        ((W, N), False, "critical", False, 3),  # ...but not missing data
        ((W, N), False, "critical", True, 0),
        ((W, N), False, "warning", False, 1),  # WARNING beats UNKNOWN
        ((C,), False, "warning", False, 2),
        ((C, W, N), False, "warning", False, 2),
        ((C,), False, "critical", False, 2),
        ((C, S), True, "critical", True, 2),
        ((N,), False, "warning", False, 3),
        ((S,), False, "warning", False, 3),  # STALE is UNKNOWN too
        ((O, S), False, "warning", True, 0),  # --no-data ok
        ((N,), False, "warning", True, 0),
        ((O,), True, "warning", False, 3),  # a source failed
        ((O,), True, "warning", True, 0),
        ((R, N), False, "warning", False, 3),
        ((R, N), False, "warning", True, 0),
        ((W, S), True, "warning", True, 1),
    ],
)
def test_exit_code(statuses: tuple, errors: bool, fail_on: str, no_data_ok: bool, expected: int) -> None:
    rep = report(*statuses, source_errors={"prom": "down"} if errors else None)
    assert exit_code(rep, fail_on=fail_on, no_data_ok=no_data_ok) == expected  # type: ignore[arg-type]


def test_constants_follow_nagios() -> None:
    assert (OK, WARNING, CRITICAL, UNKNOWN) == (0, 1, 2, 3)


def test_defaults_are_fail_on_warning_and_no_data_unknown() -> None:
    assert exit_code(report(W)) == 1
    assert exit_code(report(N)) == 3


def test_unknown_fail_on_is_rejected() -> None:
    with pytest.raises(ValueError, match="fail_on"):
        exit_code(report(O), fail_on="page")  # type: ignore[arg-type]
