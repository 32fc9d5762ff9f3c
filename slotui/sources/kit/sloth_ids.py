"""How Sloth names an SLO's series: ``sloth_service``, ``sloth_slo`` and ``sloth_id``.

Sloth labels every recording with the service, the SLO's own name and the id
``<service>-<slo>``. ``slotui import`` names a Sloth SLO by that id (SLO names
are unique across the file, Sloth's names only within a service), so an SLO
named ``<service>-<rest>`` is Sloth's ``<rest>``: the exporter writes the labels
Sloth would write for it and the recorded-series reader asks for the series
Sloth's own rules record. One place, so writing and reading cannot disagree.
Pure text; no I/O.
"""

from __future__ import annotations

from slotui.core.types import SLOSpec

#: What ``sloth_service`` says when an SLO has no service.
DEFAULT_SERVICE = "slotui"


def service_of(spec: SLOSpec) -> str:
    """The SLO's service (its ``service`` key or label), or ``""``."""
    return str(spec.labels.get("service") or spec.params.get("service") or "")


def sloth_slo(spec: SLOSpec) -> str:
    """Sloth's SLO name: the SLO's name without its ``<service>-`` prefix (as ``slotui import`` adds it)."""
    service = service_of(spec)
    prefix = service + "-"
    if service and spec.name.startswith(prefix) and len(spec.name) > len(prefix):
        return spec.name[len(prefix):]
    return spec.name


def sloth_id(spec: SLOSpec) -> str:
    """``<service>-<slo>`` as Sloth builds it (``slotui-<name>`` for an SLO with no service)."""
    return f"{service_of(spec) or DEFAULT_SERVICE}-{sloth_slo(spec)}"


def sloth_labels(spec: SLOSpec) -> dict[str, str]:
    """The label set that names an SLO's recordings (Sloth's)."""
    return {
        "sloth_id": sloth_id(spec),
        "sloth_service": service_of(spec) or DEFAULT_SERVICE,
        "sloth_slo": sloth_slo(spec),
    }
