"""slotui: a terminal monitor for the service level objectives of production LLM systems.

``from slotui import check`` evaluates a mapping of metric values (an evaluation
run's results) against SLOs and returns a :class:`slotui.core.types.Report`.
Heavy modules load lazily: ``import slotui`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from slotui.results import check as check


def __getattr__(name: str) -> Any:
    if name == "check":
        from slotui.results import check

        return check
    raise AttributeError(name)
