"""PromQL text shared by the Prometheus source and the rules exporter (pure, no httpx).

``{{window}}`` in a query is replaced by a Prometheus duration (``5m``, ``1h``,
``3d``) and ``{{by}}`` by a label list (empty for the total: ``sum by () (x)`` is
``sum(x)``, so one template serves the total and the breakdown groups, SPEC 10.1); :func:`ratio_windows` lists the windows a ratio SLO is answered for,
which are also the windows the exported rules record.
"""

from __future__ import annotations

import re


WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*window\s*\}\}")
BY_PLACEHOLDER = re.compile(r"\{\{\s*by\s*\}\}")


def prom_duration(seconds: float) -> str:
    """A Prometheus duration for ``seconds``: 300 -> ``5m``, 5400 -> ``1h30m``, 259200 -> ``3d``."""
    if seconds <= 0:
        raise ValueError("a PromQL window must be positive")
    millis = round(seconds * 1000)
    if millis % 1000:
        return f"{millis}ms"
    rest = millis // 1000
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)


def render(query: str, window: float, by: tuple[str, ...] = ()) -> str:
    """``query`` with every ``{{window}}`` replaced by ``window`` as a Prometheus duration and
    every ``{{by}}`` by the labels ``by`` (``gen_ai_request_model, route``; none for the total)."""
    text = WINDOW_PLACEHOLDER.sub(prom_duration(window), query)
    return BY_PLACEHOLDER.sub(", ".join(by).replace("\\", ""), text)


def groups_by(query: str) -> bool:
    """True when ``query`` has a ``{{by}}`` placeholder (it can be broken down by label)."""
    return BY_PLACEHOLDER.search(query) is not None


