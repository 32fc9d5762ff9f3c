"""Sources: one module per kind, the shared machinery in :mod:`slotui.sources.kit`.

The sources themselves live here, each behind the
:class:`slotui.sources.kit.base.Source` protocol and built from its pydantic
config model: ``demo`` (+ ``demo_schema``, its fields), ``file`` (request
logs), ``prometheus``, ``langsmith``, ``mlflow``, ``weave``, ``langfuse`` and
``http`` (any JSON endpoint). The HTTP ones share one constructor
(:class:`slotui.sources.kit.http_source.HTTPSource`); the range ones
(langsmith, mlflow, langfuse) share the backfill cache
(:class:`slotui.sources.kit.backfill.RangeSource`), which prometheus's point
cache plans with too.

``build_source`` imports only the module of the kind asked for, so the
headless path pays for httpx or langsmith only when a config uses them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slotui.config.model import Defaults, SourceConfig
    from slotui.sources.kit.base import Source

#: source ``type`` -> "module:factory"; each factory is ``(name, config, *, base_dir) -> Source``
REGISTRY = {
    "demo": "slotui.sources.demo:DemoSource",
    "file": "slotui.sources.file:FileSource",
    "prometheus": "slotui.sources.prometheus:PrometheusSource",
    "langsmith": "slotui.sources.langsmith:LangSmithSource",
    "mlflow": "slotui.sources.mlflow:MLflowSource",
    "weave": "slotui.sources.weave:WeaveSource",
    "langfuse": "slotui.sources.langfuse:LangfuseSource",
    "http": "slotui.sources.http:HttpSource",
}


def build_source(name: str, config: "SourceConfig", *, base_dir: Path, defaults: "Defaults | None" = None) -> "Source":
    """Instantiate the source ``name`` from its config model."""
    module_name, _, attr = REGISTRY[config.type].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(name, config, base_dir=base_dir, defaults=defaults)
