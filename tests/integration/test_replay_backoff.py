"""A replay asks a failing source at every step: the live engine's backoff (seconds of real time after
a failure) had the steps after a failed one skipped in simulated time, each reading "backing off
until <a simulated clock time>" instead of the source's own error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

try:
    from tests.integration.prometheus_server import FakePrometheus, Request
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from prometheus_server import FakePrometheus, Request  # type: ignore[no-redef]

from slotui.config.loader import load_config
from slotui.replay.run import replay_config

pytestmark = pytest.mark.integration

T0 = 1_780_315_200.0
MIN = 60.0


def test_a_failing_source_is_asked_at_every_replay_step(tmp_path: Path) -> None:
    def down(req: Request):
        return 503, {"status": "error", "errorType": "unavailable", "error": "overloaded"}

    with FakePrometheus(down) as prom:
        cfg = tmp_path / "slos.yaml"
        cfg.write_text(f"""version: 1
defaults: {{window: 10m, period: 1d, interval: 1m}}
sources:
  prom: {{type: prometheus, url: "{prom.url}", timeout: 2s}}
slos:
  - name: ok
    source: prom
    ratio: {{good: 'sum(rate(ok_total[{{{{window}}}}]))', total: 'sum(rate(all_total[{{{{window}}}}]))'}}
    objective: {{target: 0.99}}
""")
        replay = asyncio.run(replay_config(load_config(cfg), T0, T0 + 10 * MIN, MIN))
        asked = {float(r.params["time"]) for r in prom.requests if r.path.endswith("/api/v1/query")}
    (slo,) = replay.slos
    assert (slo.steps, slo.error_steps) == (11, 11)
    assert "overloaded" in (slo.last_error or "") and "backing off" not in (slo.last_error or ""), slo.last_error
    assert asked == {T0 + k * MIN for k in range(11)}  # every step reached the server
