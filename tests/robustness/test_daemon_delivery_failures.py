"""A headless daemon whose channel refuses every notification says so where a headless deployment
looks: each failed attempt is a line of its log (the receiver's words, no secret), and
``/metrics`` counts the attempts per channel and outcome (``slotui_notification_attempts_total``,
a counter). A revoked webhook or a wrong routing key left the log, ``/metrics`` and ``/healthz``
quiet: only the TUI's alert log, which a daemon has none of, showed it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from daemon_harness import Daemon, wait_for  # noqa: E402
from receivers import HTTPReceiver, Reply  # noqa: E402

pytestmark = pytest.mark.integration

SECRET = "T0-SeCrEt-ToKeN-9f8e7d"


def test_failed_deliveries_are_logged_and_counted_in_metrics(tmp_path: Path) -> None:
    with HTTPReceiver(default=Reply(400, "invalid_token")) as rx:
        config = tmp_path / "slos.yaml"
        config.write_text(f"""version: 1
defaults: {{interval: 1s}}
sources:
  demo: {{type: demo, seed: 7}}
slos:
  - name: availability
    ratio: {{good: "error.type == null"}}
    objective: {{target: 0.99999, warning: 0.9999, critical: 0.9999}}
alerts:
  channels:
    hook: {{type: webhook, url: "{rx.url}/hooks/{SECRET}", timeout: 5s}}
  group: {{by: [slo], wait: 0s}}
""")
        daemon = Daemon(tmp_path, config).started()
        try:
            line = daemon.wait_log(r"delivery to hook failed for good \(trigger, attempt 1\): .*invalid_token", 60)
            assert line is not None

            def counted() -> str | None:
                status, body = daemon.get("/metrics")
                return body if status == 200 and re.search(
                    r'^slotui_notification_attempts_total\{channel="hook",outcome="failed"\} [1-9]', body, re.M) else None

            body = wait_for(counted, 30, "the failed attempt in /metrics")
            assert "# TYPE slotui_notification_attempts_total counter" in body
            assert SECRET not in daemon.log and SECRET not in body
        finally:
            assert daemon.stop() == 0
        assert len(rx.requests) >= 1
