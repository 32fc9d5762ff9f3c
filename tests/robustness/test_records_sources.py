"""Issue 8, items 2-3 in the other sources: a NaN, huge or boolean number in one point must not
take down the source or the other SLOs.

The HTTP source is fetched from a real local server (bytes as a Python-served API writes them:
a UTF-8 BOM, ``NaN``, ``Infinity``, ``1e308``); the MLflow and Weave client-side aggregations
are pure functions, tested with hand-worked numbers.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest

from slotui.config.model import HttpSourceConfig
from slotui.core.types import HOUR, SLOSpec
from slotui.sources.http import HttpSource
from slotui.sources.mlflow import _aggregate, _percentile
from slotui.sources.weave import _feedback, _tokens

try:
    from tests.integration.saas_servers import FakeServer, Request
except ImportError:  # tests/ is not a package
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
    from saas_servers import FakeServer, Request  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0
BODY = (b'\xef\xbb\xbf{"nan": NaN, "inf": Infinity, "ninf": -Infinity, "huge": 1e308, "beyond": 1e400,'
        b' "ok": 0.5, "text": "12"}')


def _slo(name: str, query: str) -> SLOSpec:
    return SLOSpec(name=name, kind="threshold", target=1.0, direction="lower_is_better", source="status",
                   query=query, window=HOUR, interval=30.0)


async def test_http_body_with_bom_and_non_finite_numbers_answers_every_slo() -> None:
    def route(req: Request):
        return 200, BODY, {"Content-Type": "application/json"}

    with FakeServer(route) as fake:
        src = HttpSource("status", HttpSourceConfig.model_validate({"type": "http", "url": fake.url + "/s", "timeout": 5}),
                         base_dir=Path("."))
        try:
            got = await src.fetch([_slo(n, f"$.{n}") for n in ("nan", "inf", "ninf", "huge", "beyond", "ok", "text")],
                                  NOW)
        finally:
            await src.aclose()
    assert got["ok"].value == 0.5 and got["ok"].error is None  # the BOM did not make the body unreadable
    assert got["huge"].value == 1e308
    for name in ("nan", "inf", "ninf", "beyond"):
        assert got[name].value is None and got[name].error is None  # no data, not a broken source
    assert got["text"].value == 12.0  # a numeric string is how some APIs send decimals


def test_mlflow_client_side_aggregates_of_huge_values() -> None:
    values = [1e308, 1e308, 4.0]
    assert _aggregate(values, "AVG", None) == float((2 * Fraction(1e308) + 4) / 3)
    with pytest.raises(Exception, match="beyond the float range"):
        _aggregate(values, "SUM", None)
    assert _aggregate([1e308, -1e308, 2.0], "SUM", None) == 2.0
    assert _percentile([-1e308, 1e308], 0.5) == 0.0  # (b - a) would overflow
    assert _aggregate(values, "MAX", None) == 1e308


def test_weave_feedback_mean_and_token_total_of_huge_values() -> None:
    items = [{"feedback_type": "wandb.runnable.judge", "payload": {"output": v}} for v in (1e308, 1e308, 1.0)]
    assert _feedback(items) == {"judge": float((2 * Fraction(1e308) + 1) / 3)}
    usage = {"m1": {"total_tokens": 1e308}, "m2": {"total_tokens": 1e308}, "m3": {"total_tokens": 7}}
    total = _tokens(usage)
    assert total is not None and math.isfinite(total)
    assert _tokens({"m": {"total_tokens": float("nan")}, "n": {"total_tokens": 5}}) == 5.0
