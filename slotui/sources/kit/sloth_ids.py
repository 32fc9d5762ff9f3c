"""How Sloth names an SLO's series: ``sloth_service``, ``sloth_slo`` and ``sloth_id``.

Sloth labels every recording with the service, the SLO's own name and the id
``<service>-<slo>``. ``slotui import`` names a Sloth SLO by that id (SLO names
are unique across the file, Sloth's names only within a service), so an SLO
named ``<service>-<rest>`` is Sloth's ``<rest>``: the exporter writes the labels
Sloth would write for it and the recorded-series reader asks for the series
Sloth's own rules record. One place, so writing and reading cannot disagree.

Unless that would give two SLOs the same labels: ``latency`` and
``checkout-latency`` of service ``checkout`` (on one source: the SLOs one
Prometheus answers) would both be ``latency``, so the one whose prefix was
taken off keeps its whole name (:func:`sloth_names`). Exporter and reader pass
the same naming (``sloth_names`` of the source's SLOs).
Windows are named as Sloth names them (:func:`window_name`, Prometheus' own duration text):
a 28-day period is ``slo:sli_error:ratio_rate4w`` with ``sloth_window="4w"``, not ``28d``.
Pure text; no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from slotui.core.types import SLOSpec

#: What ``sloth_service`` says when an SLO has no service.
DEFAULT_SERVICE = "slotui"

#: Prometheus' duration units as ``model.Duration.String`` prints them: (unit, milliseconds, only when whole)
_UNITS = (("y", 365 * 86_400_000, True), ("w", 7 * 86_400_000, True), ("d", 86_400_000, False),
          ("h", 3_600_000, False), ("m", 60_000, False), ("s", 1000, False), ("ms", 1, False))


def window_name(seconds: float) -> str:
    """A window as Sloth writes it in a record name and in ``sloth_window``: Prometheus' own duration
    text (``model.Duration.String``, which Sloth uses), years and weeks only when whole:
    28d -> ``4w``, 7d -> ``1w``, 30d -> ``30d``, 90m -> ``1h30m``."""
    ms = round(seconds * 1000)
    if ms <= 0:
        raise ValueError("a PromQL window must be positive")
    parts = []
    for unit, size, whole in _UNITS:
        if whole and ms % size:
            continue
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(parts)


def service_of(spec: SLOSpec) -> str:
    """The SLO's service (its ``service`` key or label), or ``""``."""
    return str(spec.labels.get("service") or spec.params.get("service") or "")


def _stripped(spec: SLOSpec) -> str:
    service = service_of(spec)
    prefix = service + "-"
    if service and spec.name.startswith(prefix) and len(spec.name) > len(prefix):
        return spec.name[len(prefix):]
    return spec.name


def sloth_names(specs: Iterable[SLOSpec]) -> dict[str, str]:
    """Sloth's name of each SLO (by its name): ``<service>-`` taken off, except where that gives
    two SLOs the same ``(sloth_service, sloth_slo)``; then the stripped one keeps its whole name
    (repeated until no two clash: whole names are unique, so it ends)."""
    specs = list(specs)
    out = {s.name: _stripped(s) for s in specs}
    while True:
        seen = Counter((service_of(s) or DEFAULT_SERVICE, out[s.name]) for s in specs)
        clashing = [s.name for s in specs
                    if out[s.name] != s.name and seen[(service_of(s) or DEFAULT_SERVICE, out[s.name])] > 1]
        if not clashing:
            return out
        for name in clashing:
            out[name] = name


def sloth_slo(spec: SLOSpec, naming: Mapping[str, str] | None = None) -> str:
    """Sloth's SLO name: the SLO's name without its ``<service>-`` prefix (as ``slotui import`` adds
    it); ``naming`` (:func:`sloth_names` of the SLOs around it) settles clashes."""
    if naming is not None and spec.name in naming:
        return naming[spec.name]
    return _stripped(spec)


def sloth_id(spec: SLOSpec, naming: Mapping[str, str] | None = None) -> str:
    """``<service>-<slo>`` as Sloth builds it (``slotui-<name>`` for an SLO with no service)."""
    return f"{service_of(spec) or DEFAULT_SERVICE}-{sloth_slo(spec, naming)}"


def sloth_labels(spec: SLOSpec, naming: Mapping[str, str] | None = None) -> dict[str, str]:
    """The label set that names an SLO's recordings (Sloth's)."""
    return {
        "sloth_id": sloth_id(spec, naming),
        "sloth_service": service_of(spec) or DEFAULT_SERVICE,
        "sloth_slo": sloth_slo(spec, naming),
    }
