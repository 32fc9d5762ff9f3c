"""Reading the recorded SLO series (``slotui export prometheus-rules``, Sloth) instead of raw PromQL.

A Prometheus source with ``rules: recorded`` (or ``auto``, the default, when
the series exist) answers a ratio SLO from
``slo:sli_error:ratio_rate<w>{sloth_slo="<name>"[, sloth_service="<service>"]}``
(Sloth's names, :mod:`slotui.sources.kit.sloth_ids`; ``<w>`` as Sloth writes it, ``4w`` for
28 days, or as slotui wrote it before, ``28d``):
one instant query per window (the SLO window, every tier window, the period)
and, for the period's history, one range query of the window equal to the
step when it is recorded. The rules run where the data is (Prometheus, Thanos
or Mimir rulers); slotui reads a few small series.

The recorded series are error *ratios*, not event counts: each window is
answered as ``(good, total) = (1 - ratio, 1)``, so the SLI value, burn rates,
status and budget (consumed = ratio / B) are the raw path's; the event counts
shown are shares (total 1). An SLO with ``min_events`` above 1 needs counts,
so it stays on the raw queries. A window with no recorded sample (no traffic)
is no data, as on the raw path.

Pure text and parsing here; the queries are sent by
:class:`slotui.sources.prometheus.PrometheusSource`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from slotui.core.types import SLOSpec
from slotui.core.periods import ratio_windows
from slotui.sources.kit.promql import prom_duration
from slotui.sources.kit.sloth_ids import service_of, sloth_slo, window_name

#: Sloth's names of the source's SLOs (:func:`slotui.sources.kit.sloth_ids.sloth_names`)
Naming = Mapping[str, str] | None

RECORD_PREFIX = "slo:sli_error:ratio_rate"
#: Re-detect which SLOs have recorded series after this long (seconds of evaluation time).
DETECT_EVERY = 300.0


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def names(spec: SLOSpec, naming: Naming = None) -> list[str]:
    """The ``sloth_slo`` values ``spec``'s series may carry: Sloth's name for it
    (:func:`~slotui.sources.kit.sloth_ids.sloth_slo`, what Sloth and ``slotui export`` write), then its
    whole name (what ``slotui export`` wrote before 2026-12 for an SLO named ``<service>-...``)."""
    first = sloth_slo(spec, naming)
    return [first] if first == spec.name else [first, spec.name]


def recorded_name(spec: SLOSpec, found: Mapping[tuple[str, str], set[str]] | None = None,
                  naming: Naming = None) -> str:
    """The ``sloth_slo`` value to read: the first of :func:`names` with recorded windows in ``found``."""
    candidates = names(spec, naming)
    for name in candidates:
        if found is not None and _windows_of(spec, name, found):
            return name
    return candidates[0]


def selector(spec: SLOSpec, found: Mapping[tuple[str, str], set[str]] | None = None, naming: Naming = None) -> str:
    """The label matchers naming ``spec``'s recorded series."""
    parts = [f"sloth_slo={_quote(recorded_name(spec, found, naming))}"]
    service = service_of(spec)
    if service:
        parts.append(f"sloth_service={_quote(service)}")
    return "{" + ", ".join(parts) + "}"


def suffixes(window: float) -> list[str]:
    """The record-name suffixes of ``window``: Sloth's (:func:`~slotui.sources.kit.sloth_ids.window_name`,
    ``4w``), then the one ``slotui export`` wrote before 2026-12 (``28d``) when it differs."""
    return list(dict.fromkeys([window_name(window), prom_duration(window)]))


def suffix(spec: SLOSpec, window: float, found: Mapping[tuple[str, str], set[str]] | None = None,
           naming: Naming = None) -> str:
    """The suffix under which ``window`` is recorded for ``spec`` (Sloth's when neither is)."""
    have = recorded_windows(spec, found, naming) if found is not None else set()
    return next((s for s in suffixes(window) if s in have), window_name(window))


def record_query(spec: SLOSpec, window: float, found: Mapping[tuple[str, str], set[str]] | None = None,
                 naming: Naming = None) -> str:
    return f"{RECORD_PREFIX}{suffix(spec, window, found, naming)}{selector(spec, found, naming)}"


#: Characters with a meaning in an RE2 regular expression (Prometheus' regex engine).
_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def re2_literal(text: str) -> str:
    """``text`` as an RE2 pattern matching exactly it (only the characters with a meaning are escaped)."""
    return _RE2_SPECIAL.sub(r"\\\1", text)


def detection_query(specs: Iterable[SLOSpec], naming: Naming = None) -> str:
    """One instant query listing which error-ratio windows are recorded for ``specs``."""
    wanted = sorted({n for s in specs for n in names(s, naming)})
    pattern = "|".join(re2_literal(n) for n in wanted)
    return (
        f"group by (__name__, sloth_slo, sloth_service) "
        f"({{__name__=~{_quote(re2_literal(RECORD_PREFIX) + '.+')}, sloth_slo=~{_quote(pattern)}}})"
    )


def parse_detection(payload_result: Any) -> dict[tuple[str, str], set[str]]:
    """``{(sloth_slo, sloth_service): {window suffix, ...}}`` from a detection answer's ``data.result``."""
    found: dict[tuple[str, str], set[str]] = {}
    if not isinstance(payload_result, list):
        return found
    for item in payload_result:
        metric = item.get("metric") if isinstance(item, dict) else None
        if not isinstance(metric, dict):
            continue
        name = str(metric.get("__name__", ""))
        if not name.startswith(RECORD_PREFIX):
            continue
        key = (str(metric.get("sloth_slo", "")), str(metric.get("sloth_service", "")))
        found.setdefault(key, set()).add(name[len(RECORD_PREFIX):])
    return found


def needed_windows(spec: SLOSpec) -> list[float]:
    return ratio_windows(spec)


def recorded_windows(spec: SLOSpec, found: Mapping[tuple[str, str], set[str]], naming: Naming = None) -> set[str]:
    """Window suffixes recorded for ``spec`` (under :func:`recorded_name`, and its service when it has one)."""
    return _windows_of(spec, recorded_name(spec, found, naming), found)


def _windows_of(spec: SLOSpec, name: str, found: Mapping[tuple[str, str], set[str]]) -> set[str]:
    service = service_of(spec)
    have: set[str] = set()
    for (slo, svc), windows in found.items():
        if slo == name and (not service or svc == service):
            have |= windows
    return have


def missing_windows(spec: SLOSpec, found: Mapping[tuple[str, str], set[str]], naming: Naming = None) -> list[str]:
    """The window suffixes ``spec`` needs that are not recorded (all of them when none is)."""
    have = recorded_windows(spec, found, naming)
    return [window_name(w) for w in needed_windows(spec) if not have.intersection(suffixes(w))]


def is_recorded(spec: SLOSpec, window: float, found: Mapping[tuple[str, str], set[str]], naming: Naming = None) -> bool:
    return bool(recorded_windows(spec, found, naming).intersection(suffixes(window)))


def ratio_pair(error_ratio: float | None) -> tuple[float, float]:
    """``(good, total)`` of a window answered by its recorded error ratio: ``(1 - r, 1)``; no sample: ``(0, 0)``."""
    if error_ratio is None or not math.isfinite(error_ratio):
        return (0.0, 0.0)
    r = min(max(error_ratio, 0.0), 1.0)
    return (1.0 - r, 1.0)
