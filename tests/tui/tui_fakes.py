"""A small engine stand-in for Pilot tests: deterministic reports built directly from core types.

It has the Engine's surface the TUI uses (``specs``, ``health``, ``tick(now)``,
``aclose``); the store and the alerting facade around it are the real ones.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from slotui.core.types import Budget, BurnRate, Report, SLOResult, SLOSpec, Status
from slotui.sources.kit.base import SourceHealth

NOW = 1_780_000_000.0  # 2026-05-28T20:26:40Z, pinned


def spec(name: str, *, kind: str = "threshold", target: float = 0.85, direction: str = "higher_is_better",
         warning: float | None = None, critical: float | None = None, unit: str = "", source: str = "demo",
         labels: dict[str, str] | None = None, runbook: str | None = None) -> SLOSpec:
    return SLOSpec(name=name, kind=kind, target=target, direction=direction, warning=warning, critical=critical,
                   unit=unit, source=source, labels=labels or {}, runbook=runbook,
                   sli_field="evaluations.helpfulness" if kind == "threshold" else None,
                   sli_agg="mean" if kind == "threshold" else None,
                   good="error.type == null" if kind == "ratio" else None)


def result(s: SLOSpec, status: Status, value: float | None, remaining: float | None, now: float, *,
           burn: float | None = None, firing: bool = False, error: str | None = None,
           history_len: int = 48, phase: float = 0.0) -> SLOResult:
    history = tuple(
        (now - (history_len - i) * 300.0, (value if value is not None else s.target) * (1 + 0.05 * math.sin(i / 4 + phase)))
        for i in range(history_len)
    ) if history_len else ()
    budget = None if remaining is None else Budget(budget=s.budget, consumed=1 - remaining, remaining=remaining,
                                                   good_slices=90, slices=100, compliance=0.9)
    burns = ()
    if burn is not None:
        burns = (
            BurnRate("critical", 3600.0, 300.0, 14.4, burn, burn * 1.1, 100, 10, firing, False),
            BurnRate("warning", 86400.0, 7200.0, 1.0, burn / 2, burn / 3, 1000, 100, False, False),
        )
    return SLOResult(spec=s, status=status, evaluated_at=now, value=value, budget=budget, burn_rates=burns,
                     meets_target=status in (Status.OK, Status.AT_RISK), history=history,
                     stale=status == Status.STALE, error=error)


def demo_specs() -> list[SLOSpec]:
    return [
        spec("accuracy", target=0.90, warning=0.85, critical=0.75, unit="score", labels={"team": "quality"}),
        spec("helpfulness", target=0.85, warning=0.80, critical=0.70, unit="score", labels={"team": "quality"},
             runbook="https://runbooks.example/helpfulness"),
        spec("response_time_p95_ms", target=2000, warning=3000, critical=5000, direction="lower_is_better",
             unit="ms", labels={"team": "platform"}),
        spec("availability", kind="ratio", target=0.995, unit="%", labels={"team": "platform"}),
        spec("cost_per_query", target=0.05, warning=0.06, critical=0.08, direction="lower_is_better", unit="usd",
             source="billing", labels={"team": "finance"}),
    ]


class FakeEngine:
    """Deterministic engine. ``statuses`` maps SLO name -> (status, value, remaining, burn)."""

    def __init__(self, specs: Sequence[SLOSpec] | None = None, *, statuses: dict | None = None,
                 hang: Sequence[str] = (), timeout: float = 0.3, alerting=None) -> None:
        self.specs = list(specs if specs is not None else demo_specs())
        self.statuses = statuses if statuses is not None else {
            "accuracy": (Status.OK, 0.93, 0.8, 0.4),
            "helpfulness": (Status.CRITICAL, 0.66, -0.35, 20.0),
            "response_time_p95_ms": (Status.WARNING, 3400.0, 0.12, 3.2),
            "availability": (Status.AT_RISK, 0.9962, 0.2, 0.9),
            "cost_per_query": (Status.OK, 0.041, 0.95, 0.1),
        }
        self.health = {s.source: SourceHealth() for s in self.specs}
        self.hang = set(hang)  # sources that never answer
        self.timeout = timeout
        self.ticks = 0
        self.closed = False
        self.alerting = alerting  # the real Alerting facade, advanced after each tick as the Engine does
        self.on_tick: Callable[[FakeEngine], None] | None = None
        self.tick_started = asyncio.Event()

    async def _fetch(self, source: str, now: float) -> str | None:
        if source not in self.hang:
            return None
        never = asyncio.Event()  # a source that never answers, bounded by its timeout like the engine's
        try:
            await asyncio.wait_for(never.wait(), self.timeout)
        except asyncio.TimeoutError:
            return f"timed out after {self.timeout:g}s"
        return None

    async def tick(self, now: float) -> Report:
        self.tick_started.set()
        if self.on_tick is not None:
            self.on_tick(self)
        sources = sorted({s.source for s in self.specs})
        errors_list = await asyncio.gather(*(self._fetch(src, now) for src in sources))
        errors = {src: e for src, e in zip(sources, errors_list) if e}
        results = []
        for i, s in enumerate(self.specs):
            status, value, remaining, burn = self.statuses.get(s.name, (Status.OK, s.target, 0.9, 0.1))
            err = errors.get(s.source)
            if err:
                status = Status.STALE if value is not None else Status.NO_DATA
                self.health[s.source] = SourceHealth(last_error=err, last_error_at=now, consecutive_failures=1)
            else:
                self.health[s.source] = SourceHealth(last_success=now, latency=0.012)
            results.append(result(s, status, value, remaining, now, burn=burn,
                                  firing=status in (Status.CRITICAL,), error=err, phase=self.ticks * 0.3 + i))
        self.ticks += 1
        report = Report(evaluated_at=now, results=tuple(results), source_errors=errors)
        if self.alerting is not None:
            self.alerting.process(report, now)
        return report

    async def aclose(self) -> None:
        self.closed = True


def many_specs(n: int) -> list[SLOSpec]:
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append(spec(f"slo_{i:03d}_latency_ms", target=2000, warning=3000, critical=5000,
                            direction="lower_is_better", unit="ms", source=f"src{i % 4}"))
        elif i % 3 == 1:
            out.append(spec(f"slo_{i:03d}_quality", target=0.85, warning=0.8, critical=0.7, unit="score",
                            source=f"src{i % 4}"))
        else:
            out.append(spec(f"slo_{i:03d}_availability", kind="ratio", target=0.995, source=f"src{i % 4}"))
    return out


def with_status(engine: FakeEngine, name: str, status: Status, value: float | None, remaining: float | None,
                burn: float | None = None) -> None:
    engine.statuses[name] = (status, value, remaining, burn)


__all__ = ["FakeEngine", "NOW", "demo_specs", "many_specs", "replace", "spec", "result", "with_status"]
