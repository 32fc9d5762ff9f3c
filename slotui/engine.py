"""One tick: fetch -> evaluate -> persist -> alert. Used by the TUI, the daemon and ``check``.

The engine owns the sources built from a loaded config, their health, the last
good answer of each SLO, and (when a store is given) the sample history and the
alerting state. Evaluation itself is the pure core
(:func:`slotui.core.evaluate.evaluate_all`); the engine only gathers its inputs.
Delivery of notifications runs elsewhere (the dispatcher task): a tick only
enqueues, so a slow receiver never slows evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slotui.core.types import Report, SLIData, SLOSpec
from slotui.sources.kit.base import Source, SourceHealth, resolve_timeout

if TYPE_CHECKING:
    from slotui.config.loader import LoadedConfig
    from slotui.store import Store
    from slotui.alerting.service import Alerting


class Engine:
    """Evaluates every SLO of a loaded config on demand.

    ``sources`` may be given to inject sources (tests, benches); otherwise they
    are built from the config the first time they are needed.
    """

    def __init__(
        self,
        loaded: "LoadedConfig",
        *,
        store: "Store | None" = None,
        sources: Mapping[str, Source] | None = None,
        alerting: "Alerting | None" = None,
    ) -> None:
        self.loaded = loaded
        self.specs: list[SLOSpec] = list(loaded.specs)
        self.store = store
        self.alerting = alerting
        self._sources: dict[str, Source] | None = dict(sources) if sources is not None else None
        self.health: dict[str, SourceHealth] = {name: SourceHealth() for name in loaded.config.sources}
        self.last_data: dict[str, SLIData] = {}
        self.last_report: Report | None = None
        self.ticks = 0
        # Sample history per SLO (slice start -> point), read from the store once.
        self._history: dict[str, dict[float, tuple[float, ...]]] = {}
        # Per SLO, the newest slice start written to the store.
        self._written: dict[str, float] = {}
        self._redact: Any = None
        #: a failing source backs off (False for a replay: its ``now`` is simulated, every step is asked)
        self.backoff = True

    # ------------------------------------------------------------------ sources

    @property
    def sources(self) -> dict[str, Source]:
        if self._sources is None:
            from slotui.sources import build_source

            self._sources = {
                name: build_source(name, cfg, base_dir=self.loaded.base_dir, defaults=self.loaded.config.defaults)
                for name, cfg in self.loaded.config.sources.items()
                if any(s.source == name for s in self.specs)
            }
        return self._sources

    @property
    def redact(self) -> Any:
        """Masks this config's secrets (values, their encodings, secret URL parts) in a message."""
        if self._redact is None:
            from slotui.config.secrets import Redactor, mask_url

            # ${VAR} values count as secrets; a source's own URL taken from the environment (or a port
            # number) is not masked whole in its errors: mask_url hides what is secret in a URL.
            secrets = [
                v for v in self.loaded.secrets
                if not (isinstance(v, str) and ("://" in v and mask_url(v) == v or v.isdigit()))
            ]
            self._redact = Redactor.for_config(self.loaded.config, secrets)
        return self._redact

    def source_timeout(self, name: str) -> float:
        return resolve_timeout(self.loaded.config.sources.get(name), self.loaded.config.defaults)

    def specs_by_source(self) -> dict[str, list[SLOSpec]]:
        out: dict[str, list[SLOSpec]] = {}
        for spec in self.specs:
            out.setdefault(spec.source, []).append(spec)
        return out

    async def fetch(self, now: float, progress: Any = None) -> tuple[dict[str, SLIData], dict[str, str]]:
        """Fetch every source concurrently, each bounded by its timeout.

        Returns the data per SLO (a failed source's SLOs keep their last good
        answer, flagged with the error) and the error message per failed source.
        ``progress``: see :func:`~slotui.sources.kit.runtime.fetch_all`.
        """
        from slotui.sources.kit.runtime import fetch_all

        by_source = self.specs_by_source()
        data, errors = await fetch_all(
            self.sources,
            by_source,
            now,
            timeouts={name: self.source_timeout(name) for name in by_source},
            health=self.health,
            redact=self.redact,
            progress=progress,
            backoff=self.backoff,
        )
        merged = self._merged(data, errors)
        for name, item in merged.items():
            if item.error is None:
                self.last_data[name] = item
        return merged, errors

    def _merged(self, data: Mapping[str, SLIData], errors: Mapping[str, str],
                skip: frozenset[str] = frozenset()) -> dict[str, SLIData]:
        """Per SLO (but those of the sources in ``skip``): its fresh answer, or its last good one
        flagged with the error."""
        merged: dict[str, SLIData] = {}
        for spec in self.specs:
            if spec.source in skip:
                continue
            fresh = data.get(spec.name)
            err = errors.get(spec.source)
            if fresh is not None and fresh.error is None and err is None:
                merged[spec.name] = fresh
                continue
            message = (fresh.error if fresh is not None else None) or err or "no answer"
            last = self.last_data.get(spec.name)
            if last is not None:
                merged[spec.name] = replace(last, error=message)
            elif fresh is not None:
                merged[spec.name] = replace(fresh, error=message)
            else:
                merged[spec.name] = SLIData(error=message)
        return merged

    # ------------------------------------------------------------------ history

    def _with_history(self, data: dict[str, SLIData], now: float) -> dict[str, SLIData]:
        """Persist this tick's new slices and fill older ones from the store.

        Sources that cannot answer for the past (a generic JSON endpoint) build
        their history here, so sparklines and budgets survive restarts. The
        stored history of an SLO is read once, then kept in memory; each tick
        writes only the slices from the last one written onwards (that one is
        written again: it may have been partial), not the whole period.
        """
        store = self.store
        if store is None:
            return data
        out = dict(data)
        for spec in self.specs:
            item = data.get(spec.name)
            if item is None or item.error is not None:
                continue
            ratio = spec.kind == "ratio"
            points: tuple[tuple[float, ...], ...] = item.buckets if ratio else item.slices
            if not ratio and item.current_only and item.value is not None and item.fetched_at is not None:
                # A source with only a current value: record it in its slice. (Not a source that has
                # no slice in the period: just after a calendar month began, its 1h window's value
                # was last month's, and it was stored as the new month's first slice.)
                points = (((now // spec.slice) * spec.slice, item.value),)
            since = now - spec.period
            history = self._history.get(spec.name)
            if history is None:
                stored = (store.load_buckets if ratio else store.load_slices)(spec.name, since, now)
                history = self._history[spec.name] = {p[0]: p for p in stored}
            mark = self._written.get(spec.name, float("-inf"))
            # A slice still open at ``now`` is stored only for a source that answers nothing else:
            # ``check --at`` an hour back would overwrite the complete slice a later run stored.
            fresh = [p for p in points if p[0] >= mark and (item.current_only or p[0] + spec.slice <= now)]
            if fresh:
                (store.record_buckets if ratio else store.record_slices)(spec.name, fresh)  # type: ignore[operator]
                self._written[spec.name] = max(p[0] for p in fresh)
            for p in points:
                history[p[0]] = p
            # Nothing from after ``now``: a stored slice that ends after it was completed later (a
            # run at a later time; ``check --at`` goes back), and only this tick's answer may hold
            # the slice still open at ``now``. It counted another run's future events.
            answered = {p[0] for p in points}
            for ts in [ts for ts in history
                       if ts < since or ts >= now or (ts + spec.slice > now and ts not in answered)]:
                del history[ts]
            in_period = sum(1 for p in points if since <= p[0] < now)
            if len(history) != in_period:
                merged = tuple(history[ts] for ts in sorted(history))
                out[spec.name] = replace(item, buckets=merged) if ratio else replace(item, slices=merged)
            elif points is not (item.buckets if ratio else item.slices):
                out[spec.name] = replace(item, slices=points)
        return out

    # ------------------------------------------------------------------ tick

    def evaluate(self, data: Mapping[str, SLIData], errors: Mapping[str, str], now: float) -> Report:
        from slotui.core.evaluate import evaluate_all

        return evaluate_all(self.specs, data, now, source_errors=dict(errors), warnings=tuple(self.loaded.warnings))

    async def tick(self, now: float, partial: Any = None) -> Report:
        """Fetch, evaluate as of ``now``, persist samples and update alert states.

        ``partial``, when given, is called with a :class:`Report` of what has come while a source
        is still fetching (after :data:`~slotui.sources.kit.runtime.PROGRESS_AFTER`, then at each
        answer): the SLOs of the sources that answered evaluated as of ``now``, the others as the
        last tick left them (or NO DATA, "waiting for ..."). Only the whole tick's report updates
        alert states."""
        progress = None
        if partial is not None:
            def progress(data: dict[str, SLIData], errors: dict[str, str], out: frozenset[str]) -> None:
                partial(self._partial_report(data, errors, out, now))

        data, errors = await self.fetch(now, progress)
        data = self._with_history(data, now)
        report = self.evaluate(data, errors, now)
        if self.alerting is not None:
            self.alerting.process(report, now)
        self.last_report = report
        self.ticks += 1
        return report

    def _partial_report(self, data: Mapping[str, SLIData], errors: Mapping[str, str], out: frozenset[str],
                        now: float) -> Report:
        """The report shown while the sources ``out`` are still fetching (see :meth:`tick`)."""
        from slotui.formatting import format_duration

        fresh = self._with_history(self._merged(data, errors, skip=out), now)
        last = {r.spec.name: r for r in self.last_report.results} if self.last_report is not None else {}
        for spec in self.specs:
            if spec.source in out and spec.name not in last:
                since = self.health.get(spec.source, SourceHealth()).fetching_since
                waited = f" for {format_duration(max(0.0, now - since))}" if since is not None else ""
                fresh[spec.name] = SLIData(note=f"waiting for source {spec.source!r}, fetching{waited}")
        report = self.evaluate(fresh, {k: v for k, v in errors.items() if k not in out}, now)
        return replace(report, results=tuple(
            last[r.spec.name] if r.spec.source in out and r.spec.name in last else r for r in report.results))

    # ------------------------------------------------------------------ reload

    def adopt(self, previous: "Engine") -> list[Source]:
        """Take over what still holds from the engine this one replaces (a config reload).

        A source whose config (and the defaults and base directory) did not
        change is reused as it is, with its health; the others are built now,
        so a source that cannot be built fails the reload rather than a later
        tick. An SLO whose definition and source are unchanged keeps its last
        good answer and sample history. The last report stays until the next
        tick. Returns the previous sources that are no longer used: the
        caller closes them once the swap is done.
        """
        from slotui.sources import build_source

        old_cfg, new_cfg = previous.loaded.config, self.loaded.config
        same_ground = old_cfg.defaults == new_cfg.defaults and previous.loaded.base_dir == self.loaded.base_dir
        kept: dict[str, Source] = {}
        if self._sources is None:
            built: dict[str, Source] = {}
            for name, cfg in new_cfg.sources.items():
                if not any(s.source == name for s in self.specs):
                    continue
                old = (previous._sources or {}).get(name)
                if old is not None and same_ground and old_cfg.sources.get(name) == cfg:
                    built[name] = kept[name] = old
                else:
                    built[name] = build_source(name, cfg, base_dir=self.loaded.base_dir, defaults=new_cfg.defaults)
            self._sources = built
        for name in kept:
            if name in previous.health:
                self.health[name] = previous.health[name]
        old_specs = {s.name: s for s in previous.specs}
        for spec in self.specs:
            if old_specs.get(spec.name) != spec or spec.source not in kept:
                continue
            for mine, theirs in (
                (self.last_data, previous.last_data),
                (self._history, previous._history),
                (self._written, previous._written),
            ):
                if spec.name in theirs:
                    mine[spec.name] = theirs[spec.name]  # type: ignore[index]
        self.last_report = previous.last_report
        self.ticks = previous.ticks
        reused = {id(s) for s in kept.values()}
        return [s for s in (previous._sources or {}).values() if id(s) not in reused]

    async def aclose(self) -> None:
        for source in (self._sources or {}).values():
            try:
                await source.aclose()
            except Exception:  # closing must not mask the real outcome
                pass
