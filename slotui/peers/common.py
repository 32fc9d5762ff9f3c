"""What the peers' formats share: the refusal of one document, targets and durations as slotui writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

#: where an imported SLO file looks for Prometheus unless a data source says otherwise
DEFAULT_PROM_URL = "${PROMETHEUS_URL:-http://127.0.0.1:9090}"
DEFAULT_SOURCE = "prometheus"
#: the compliance period when a document gives none (Sloth's and OpenSLO's usual window)
DEFAULT_PERIOD = "30d"

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d|w|M|Q|Y)\s*$")


class Refused(ValueError):
    """One document that cannot be imported; the message is the reason."""


@dataclass
class Converted:
    """What one document gave: slotui SLO entries, the sources they use, notes on what was not carried over."""

    slos: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def share(value: Any, *, percent: bool, what: str = "target") -> float:
    """A target as a share in (0, 1), computed in decimal: ``99.99`` percent is ``0.9999`` exactly."""
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Refused(f"{what} {value!r} is not a number") from None
    if percent:
        d = d / 100
    if not 0 < d < 1:
        raise Refused(f"{what} {value!r} is not a share between 0 and 1" + (" (as a percentage)" if percent else ""))
    return float(d)


def number(value: Any, what: str) -> float:
    try:
        return float(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        raise Refused(f"{what} {value!r} is not a number") from None


def duration(text: Any, *, what: str = "duration") -> str:
    """A peer duration (``5m``, ``2w``, ``1M``) as an slotui duration; a month is 30 days."""
    m = _DURATION.match(str(text))
    if m is None:
        raise Refused(f"{what} {text!r} is not a duration (expected e.g. 5m, 1h, 28d, 4w)")
    n, unit = int(m.group(1)), m.group(2)
    if n <= 0:
        raise Refused(f"{what} {text!r} must be longer than 0")
    if unit == "M":
        return f"{30 * n}d"
    if unit in "QY":
        raise Refused(f"{what} {text!r}: quarters and years are not supported")
    return f"{n}{unit}"


def slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text).strip()).strip("-").lower()
    return s or "objective"


def labels_of(value: Any) -> dict[str, str]:
    """A peer's labels mapping as slotui labels (strings).

    OpenSLO v1 allows a list of values per label (``team: [team-a, team-b]``):
    the values are joined with commas (``team-a,team-b``), not written as a
    Python list."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, list):
            v = ",".join(str(x) for x in v if x is not None) or None
        if v is not None:
            out[str(k)] = str(v)
    return out


def prometheus_source(url: str = DEFAULT_PROM_URL) -> dict[str, Any]:
    return {"type": "prometheus", "url": url}


def check_promql(*queries: str) -> None:
    """Refuse the document when a generated query does not parse."""
    from slotui.peers.promql import parse_error

    for q in queries:
        message = parse_error(q)
        if message is not None:
            raise Refused(f"PromQL does not parse: {message} (in {q!r})")


WINDOW = "{{window}}"


def fixed_window_note(slo: str, *queries: str) -> str | None:
    """A note when none of a ratio SLO's queries uses ``{{window}}``: every window then reads the same
    ratio (the long burn-rate windows smooth nothing, the period budget is the last few minutes')."""
    if any(WINDOW in q for q in queries):
        return None
    return (f"SLO {slo!r}: its ratio queries do not use {WINDOW} (they look back a fixed range or not at all): "
            "every window (the SLO window, each burn-rate window, the period) reads the same ratio; write "
            f"{WINDOW} (Sloth's {{{{.window}}}}) as their range")


def sloth_tiers(page: bool = True, ticket: bool = True) -> list[dict[str, Any]]:
    """Sloth's default alert windows as budget shares.

    For 30 days: page 14.4 (1h/5m) and 6 (6h/30m), ticket 3 (1d/2h) and 1 (3d/6h).
    """
    tiers: list[dict[str, Any]] = []
    if page:
        tiers += [{"severity": "critical", "long": "1h", "short": "5m", "budget": 0.02},
                  {"severity": "critical", "long": "6h", "short": "30m", "budget": 0.05}]
    if ticket:
        tiers += [{"severity": "warning", "long": "1d", "short": "2h", "budget": 0.1},
                  {"severity": "warning", "long": "3d", "short": "6h", "budget": 0.1}]
    return tiers
