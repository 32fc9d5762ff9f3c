"""The one place that builds a running slotui from a loaded config: Store, Engine and Alerting.

``tui``, ``run --headless``, ``check`` (with ``--state`` or ``--notify``),
``check --notify`` and ``test-alert`` all call :func:`assemble`, so they agree
on what exists: alerting (alert states, silences, the outbox) exists whenever
there is a state store, with or without channels (the TUI shows firing alerts
and silences either way; channels are only built when something is sent).
Nothing heavy is imported here: the engine's sources and the channels load
lazily, on first use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slotui.alerting.service import Alerting
    from slotui.channels.base import Channel
    from slotui.config.loader import LoadedConfig
    from slotui.engine import Engine
    from slotui.store import Store


@dataclass
class Parts:
    """What :func:`assemble` built. ``aclose`` closes the engine's sources and the channels;
    the store is closed too when ``owns_store``."""

    loaded: LoadedConfig
    engine: Engine
    store: Store | None = None
    alerting: Alerting | None = None
    owns_store: bool = False

    async def aclose(self) -> None:
        try:
            await self.engine.aclose()
            if self.alerting is not None:
                await self.alerting.aclose()
        finally:
            if self.owns_store and self.store is not None:
                self.store.close()


def open_store(state: str | Path | None) -> Store:
    """The state file at ``state`` (the platform default when None or empty); raises StoreError."""
    from slotui.store import Store

    return Store.open(Path(state) if state else None)


def assemble(
    loaded: LoadedConfig,
    *,
    store: Store | None = None,
    owns_store: bool = False,
    alerts_on_tick: bool = True,
    specs: Sequence[str] | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> Parts:
    """Engine and (with a ``store``) Alerting for ``loaded``.

    ``alerts_on_tick``: every engine tick advances the alert states (TUI,
    daemon); ``check --notify`` passes False and advances them once itself.
    ``specs`` keeps only the SLOs with these names (``test-alert --slo``).
    ``channels`` injects channels (tests); by default they are built from the
    config when first needed.
    """
    from slotui.engine import Engine

    if specs is not None:
        wanted = set(specs)
        loaded = replace(loaded, specs=[s for s in loaded.specs if s.name in wanted])
    alerting = None
    if store is not None:
        from slotui.alerting.service import Alerting

        alerting = Alerting.from_config(loaded, store, channels=channels)
    engine = Engine(loaded, store=store, alerting=alerting if alerts_on_tick else None)
    return Parts(loaded=loaded, engine=engine, store=store, alerting=alerting, owns_store=owns_store)
