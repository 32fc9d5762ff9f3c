"""What the peers' formats share: the refusal of one document, targets and durations as slotui writes them."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

#: where an imported SLO file looks for Prometheus unless a data source says otherwise
DEFAULT_PROM_URL = "${PROMETHEUS_URL:-http://127.0.0.1:9090}"
DEFAULT_SOURCE = "prometheus"
#: the compliance period when a document gives none (Sloth's and OpenSLO's usual window)
DEFAULT_PERIOD = "30d"

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d|w|M|Q|Y)\s*$")


class Refused(ValueError):
    """One document (or SLO of it) that cannot be imported; the message is the reason. A reason that
    starts with a key path (``alerting.page_alert must be ...``) names it from ``scope``: the path, in
    the document, of the mapping it is relative to (an SLO of a Sloth document, an OpenSLO objective;
    the document itself when empty), so ``slotui import`` can give the key's line."""

    def __init__(self, message: str, *, scope: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.scope = scope


@dataclass
class Converted:
    """What one document gave: slotui SLO entries, the sources they use, notes on what was not carried over."""

    slos: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def described(value: Any) -> str:
    """What a YAML value is, for a refusal: ``a string ('x')``, ``a list``, ``a mapping``, ``a number (5)``."""
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})" if shown.strip() else "an empty string"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, (date, datetime)):
        return f"a date ({value})"
    return type(value).__name__


def as_mapping(value: Any, where: str) -> dict[str, Any]:
    """``value`` (the value of the dotted key ``where``) as a mapping: ``{}`` when absent (null),
    :class:`Refused` naming the key and what it holds otherwise."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Refused(f"{where} must be a mapping, not {described(value)}")
    return value


def as_list(value: Any, where: str, of: str = "a list") -> list[Any]:
    """``value`` as a list (``[]`` when absent); a string is refused, never iterated as characters."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Refused(f"{where} must be {of}, not {described(value)}")
    return value


def as_mappings(value: Any, where: str, of: str = "a list of mappings") -> list[dict[str, Any]]:
    """A list whose every element is a mapping (``where[i]`` named when one is not)."""
    items = as_list(value, where, of)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise Refused(f"{where}[{i}] must be a mapping, not {described(item)}")
    return items


def as_text(value: Any, where: str) -> str:
    """A scalar as stripped text (``""`` when absent); a mapping or list is refused (its Python repr
    would become a name, a query or a URL)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise Refused(f"{where} must be text, not {described(value)}")
    return str(value).strip()


def as_bool(value: Any, where: str, default: bool = False) -> bool:
    """``true``/``false`` (absent: ``default``); the string ``"false"`` is refused rather than read as true."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Refused(f"{where} must be true or false, not {described(value)}")
    return value


@contextmanager
def promql_parsed(query: str) -> Iterator[None]:
    """A parse error of ``query`` raised by a PromQL rewrite (``over_window``, ``is_selector``) as the
    document's refusal, as :func:`check_promql` words it (not "unexpected document structure")."""
    try:
        yield
    except Refused:
        raise
    except ValueError as exc:
        raise Refused(f"PromQL does not parse: {str(exc) or 'invalid PromQL'} (in {query!r})") from None


def _decimal(value: Any, what: str) -> Decimal:
    """A finite decimal; NaN, infinities, booleans, mappings and lists are refused."""
    if isinstance(value, (bool, dict, list)):
        raise Refused(f"{what} must be a number, not {described(value)}")
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Refused(f"{what} {value!r} is not a number") from None
    if not d.is_finite():
        raise Refused(f"{what} {value!r} is not a number (a finite number is expected)")
    return d


def share(value: Any, *, percent: bool, what: str = "target") -> float:
    """A target as a share in (0, 1), computed in decimal: ``99.99`` percent is ``0.9999`` exactly."""
    d = _decimal(value, what)
    if percent:
        d = d / 100
    if not 0 < d < 1:
        raise Refused(f"{what} {value!r} is not a share between 0 and 1" + (" (as a percentage)" if percent else ""))
    return float(d)


def number(value: Any, what: str) -> float:
    """A finite number (NaN and infinities refused: no comparison with them means anything)."""
    f = float(_decimal(value, what))
    if not math.isfinite(f):
        raise Refused(f"{what} {value!r} is too large a number")
    return f


def duration(text: Any, *, what: str = "duration") -> str:
    """A peer duration (``5m``, ``2w``, ``1M``) as an slotui duration; a month is 30 days."""
    if isinstance(text, (bool, dict, list)) or text is None:
        raise Refused(f"{what} must be a duration (e.g. 5m, 1h, 28d, 4w), not "
                      f"{described(text) if text is not None else 'empty'}")
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


def labels_of(value: Any, notes: list[str] | None = None, where: str = "labels") -> dict[str, str]:
    """A peer's labels mapping as slotui labels (strings).

    OpenSLO v1 allows a list of values per label (``team: [team-a, team-b]``):
    the values are joined with commas (``team-a,team-b``), not written as a
    Python list. A label whose value is a mapping (or a list holding one) has no
    text form: it is left out, and named in ``notes`` (labels are not essential
    to an SLO), as is a ``labels`` that is not a mapping at all."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        if notes is not None:
            notes.append(f"{where} not imported: expected a mapping of label names to values, not {described(value)}")
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
            v = ",".join(_label_text(x) for x in v if x is not None) or None
        if isinstance(v, (dict, list)):
            if notes is not None:
                notes.append(f"{where}: label {str(k)!r} not imported (its value is {described(v)}, "
                             "expected text or a list of texts)")
            continue
        if v is not None:
            out[str(k)] = _label_text(v)
    return out


def _label_text(value: Any) -> str:
    """A label value as written in YAML: ``true``, not Python's ``True``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
