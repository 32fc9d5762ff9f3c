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
    # a part that is no number makes the total unknown (NaN: skipped and noted), not 5 short of it
    assert math.isnan(_tokens({"m": {"total_tokens": float("nan")}, "n": {"total_tokens": 5}}))


async def test_weave_json_lines_with_a_bom_and_nan_keep_the_first_call() -> None:
    from slotui.config.model import WeaveSourceConfig
    from slotui.sources.weave import WeaveSource

    try:
        from tests.integration.saas_servers import WeaveAPI, weave_call
    except ImportError:  # tests/ is not a package
        from saas_servers import WeaveAPI, weave_call  # type: ignore[no-redef]

    class BomWeave(WeaveAPI):
        def _route(self, req: Request):
            answer = super()._route(req)
            if answer[0] == 200 and isinstance(answer[1], bytes) and answer[1]:
                return 200, b"\xef\xbb\xbf" + answer[1], answer[2]  # type: ignore[misc]
            return answer

    now = 1_780_000_000.0
    calls = [weave_call(now - 600 + 60 * i, 100.0 * (i + 1), exception="Boom()" if i == 0 else None)
             for i in range(4)]
    calls[1]["summary"]["weave"]["latency_ms"] = float("nan")  # written as NaN: falls back to ended - started
    calls[2]["summary"]["weave"]["latency_ms"] = 1e308
    specs = [SLOSpec(name="availability", kind="ratio", target=0.9, good="success", direction="higher_is_better",
                     source="weave", window=HOUR, period=86400.0, slice=300.0, interval=30.0),
             SLOSpec(name="lat_max", kind="threshold", target=2000.0, direction="lower_is_better", source="weave",
                     sli_field="latency_ms", sli_agg="max", window=HOUR, period=86400.0, slice=300.0, interval=30.0),
             SLOSpec(name="lat_mean", kind="threshold", target=2000.0, direction="lower_is_better", source="weave",
                     sli_field="latency_ms", sli_agg="mean", window=HOUR, period=86400.0, slice=300.0, interval=30.0)]
    with BomWeave(calls, api_key="k") as fake:
        cfg = WeaveSourceConfig.model_validate({"type": "weave", "url": fake.url, "api_key": "k",
                                                "project": "acme/support-bot", "timeout": 5})
        src = WeaveSource("weave", cfg, base_dir=Path("."))
        try:
            got = await src.fetch(specs, now)
        finally:
            await src.aclose()
    # the first call (the only failure) was on the BOM line: it counts
    assert got["availability"].windows[HOUR] == (3.0, 4.0)
    assert got["lat_max"].value == 1e308
    assert got["lat_mean"].value == float((Fraction(100) + Fraction(200) + Fraction(1e308) + Fraction(400)) / 4)


def test_weave_non_numeric_feedback_keeps_its_kind_not_its_text() -> None:
    """A feedback that is no number is kept so the SLO can name it, but only its kind: a judge's long
    text (or a scorer's dict of reasons) held for every call of a 30-day period would grow memory
    without bound. A dict output's text keys are not feedback at all; its numeric ones are."""
    items = [{"feedback_type": "wandb.runnable.judge", "payload": {"output": {"score": 0.8, "reason": "x" * 5000}}},
             {"feedback_type": "wandb.runnable.verdict", "payload": {"output": "pass " * 1000}},
             {"feedback_type": "wandb.runnable.labels", "payload": {"output": ["a"] * 1000}}]
    assert _feedback(items) == {"judge": 0.8, "judge.score": 0.8, "verdict": "pass pass pass p", "labels": []}
