"""Check the metrics of an evaluation run against SLOs: ``slotui.check(results, slos)``.

The "check after each evaluation" pattern (MLflow, W&B Weave): an evaluation
script ends with ::

    from slotui import check
    report = check(eval_results.metrics, {"accuracy": {"target": 0.90, "warning": 0.85, "critical": 0.75}})

and ``slotui check --results results.json -c slos.yaml`` does the same from a
file (:func:`load_results_file`). Each SLO becomes a threshold evaluation of
one value: status from the value (CRITICAL / WARNING / AT RISK / OK, or NO DATA
when the metric is missing, NaN or not a number); there is no period, so no
budget and no burn rates; ``meets_target`` says whether the value meets the
target.

Metric lookup
    ``results`` may be flat (MLflow ``{"accuracy": 0.91, "helpfulness/mean":
    0.8}``) or nested (Weave ``{"helpfulness": {"mean": 0.82}}``); nested keys
    are flattened with both ``.`` and ``/`` (``helpfulness.mean`` and
    ``helpfulness/mean``; a key written flat wins over a flattened one). For an
    SLO the candidates are tried in this order, first exact, then ignoring
    case: for each base in (SLO name, its ``sli.field``, that field without an
    ``evaluations.`` prefix): ``base``, ``base/AGG``, ``base.AGG``,
    ``base/mean``, ``base.mean`` (AGG = the SLO's ``sli.agg`` when set). As a
    last resort a single key ``base/<anything>/AGG`` (MLflow judges'
    ``name/v1/mean``) matches.

Samples (SPEC 10.2)
    Next to the matched key, ``n`` (also ``count``, ``num_samples``,
    ``sample_count``) and ``stddev`` (also ``std``, ``std_dev``,
    ``standard_deviation``, or ``variance`` whose square root is taken) of the
    same metric are read when the run reports them: for ``helpfulness/mean``
    the keys ``helpfulness/n`` and ``helpfulness/stddev`` (or with ``.``);
    Weave's nested ``{"helpfulness": {"mean", "n", "stddev"}}`` flattens to
    the same. The value then gets the t interval at the SLO's confidence and
    the ``significant``/``min_samples`` rule of :mod:`slotui.core.significance`.
    A count that is not a whole number >= 0, or a negative or non-finite
    spread, is ignored with a note naming its key.
"""

from __future__ import annotations

import json
import sys
import math
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from slotui.config.text import check_name, check_non_blank, check_text, printable
from slotui.core.direction import infer_direction
from slotui.core.intervals import check_confidence
from slotui.core.status import finite, meets, value_status
from slotui.core.significance import estimates, judge, threshold_interval
from slotui.core.types import Report, SLIData, SLOResult, SLOSpec, Status

__all__ = ["ResultsError", "check", "flatten_metrics", "load_results_file", "lookup_metric", "specs_from_quality"]


class ResultsError(ValueError):
    """A results file or an SLO mapping that cannot be used; the message says why (one line)."""


# --------------------------------------------------------------------------- results


def unwrap_results(results: Any) -> Mapping[str, Any]:
    """The metrics mapping inside ``results``.

    Accepts a mapping, an object with a ``metrics`` mapping attribute (MLflow
    ``EvaluationResult``), ``{"metrics": {...}}`` (MLflow JSON) and
    ``{"summary": {...}}`` (Weave output). Raises :class:`ResultsError` otherwise.
    """
    if not isinstance(results, Mapping):
        metrics = getattr(results, "metrics", None)
        if isinstance(metrics, Mapping):
            return metrics
        raise ResultsError(f"results must be a mapping of metric values, not {type(results).__name__}")
    for wrapper in ("metrics", "summary"):
        inner = results.get(wrapper)
        if isinstance(inner, Mapping):
            return inner
    return results


def flatten_metrics(results: Mapping[str, Any]) -> dict[str, Any]:
    """Leaves of a nested mapping keyed by their path joined with ``.`` and with ``/``.

    Top-level keys are kept as they are; keys written flat win over flattened
    ones that collide with them.
    """
    flat: dict[str, Any] = {}
    nested: list[tuple[tuple[str, ...], Any]] = []

    def walk(path: tuple[str, ...], value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk((*path, str(k)), v)
        elif len(path) == 1:
            flat[path[0]] = value
        else:
            nested.append((path, value))

    for key, value in results.items():
        walk((str(key),), value)
    for path, value in nested:
        flat.setdefault(".".join(path), value)
        flat.setdefault("/".join(path), value)
    return flat


def metric_value(raw: Any) -> float | None:
    """A metric as a float: numbers, booleans (1/0) and numeric strings (``"0.91"``, ``"NaN"``).

    NaN and infinities are returned as they are (the evaluation makes them NO
    DATA); anything else (None, lists, text) is ``None``.
    """
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, (int, float)):
        try:
            return float(raw)
        except OverflowError:
            return math.inf
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def _candidates(spec: SLOSpec) -> list[str]:
    bases = [spec.name]
    if spec.sli_field:
        bases.append(spec.sli_field)
        if spec.sli_field.startswith("evaluations."):
            bases.append(spec.sli_field[len("evaluations."):])
    aggs = [a for a in dict.fromkeys([spec.sli_agg or "mean", "mean"])]
    out: list[str] = []
    for base in dict.fromkeys(bases):
        out.append(base)
        for agg in aggs:
            out.extend((f"{base}/{agg}", f"{base}.{agg}"))
    return list(dict.fromkeys(out))


def lookup_metric(spec: SLOSpec, flat: Mapping[str, Any]) -> tuple[str, Any] | None:
    """``(key, raw value)`` of the metric for ``spec`` in flattened results, or ``None``.

    See the module docstring for the order in which keys are tried.
    """
    candidates = _candidates(spec)
    for key in candidates:
        if key in flat:
            return key, flat[key]
    folded = {k.lower(): k for k in reversed(list(flat))}
    for key in candidates:
        original = folded.get(key.lower())
        if original is not None:
            return original, flat[original]
    agg = spec.sli_agg or "mean"
    bases = dict.fromkeys(c for c in candidates if "/" not in c and not c.endswith("." + agg))
    for base in bases:
        hits = [k for k in flat if k.startswith(base + "/") and k.endswith("/" + agg) and k.count("/") == 2]
        if len(hits) == 1:
            return hits[0], flat[hits[0]]
    return None


def _normalise(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, str):
        number = metric_value(value)
        return value if number is None else number
    return value


#: the largest results file read (a pipe such as ``--results <(python eval.py)`` works; /dev/zero ends here)
MAX_RESULTS_BYTES = 16 * 1024 * 1024


def load_results_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a results JSON file for ``slotui check --results``.

    Accepts a flat mapping of metric values, MLflow's ``{"metrics": {...}}``,
    Weave's ``{"summary": {...}}`` or a nested summary. ``NaN``/``Infinity``
    literals and numeric strings (``"NaN"``, ``"0.91"``) become floats (NaN and
    inf evaluate to NO DATA). Raises :class:`ResultsError` naming the file
    (and line:column for invalid JSON).
    """
    p = Path(path)
    try:
        if str(path) == "-":  # `evaluate | slotui check --results -`: standard input, as --output - is stdout
            p = Path("<stdin>")
            raw = sys.stdin.buffer.read(MAX_RESULTS_BYTES + 1)
        else:
            with p.open("rb") as fh:  # at most MAX_RESULTS_BYTES + 1: `--results /dev/zero` never ended
                raw = fh.read(MAX_RESULTS_BYTES + 1)
    except FileNotFoundError:
        raise ResultsError(f"{p}: results file not found") from None
    except OSError as exc:
        raise ResultsError(f"{p}: cannot read results file: {exc}") from None
    if len(raw) > MAX_RESULTS_BYTES:  # (before decoding: the cut may split a UTF-8 sequence)
        raise ResultsError(f"{p}: results file larger than {MAX_RESULTS_BYTES // (1024 * 1024)} MiB; "
                           "a metrics mapping is a few KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResultsError(f"{p}: cannot read results file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{p}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:  # json has no depth limit of its own: 100,000 '[' overflow its stack
        raise ResultsError(f"{p}: invalid JSON: arrays and objects nested too deeply") from None
    if not isinstance(data, Mapping):
        raise ResultsError(
            f"{p}: expected a JSON object of metric values (or {{\"metrics\": {{...}}}}), got {type(data).__name__}"
        )
    return _normalise(dict(unwrap_results(data)))


# --------------------------------------------------------------------------- SLOs

_QUALITY_KEYS = {"target", "warning", "critical", "direction", "unit", "description", "runbook", "compliance",
                 "significant", "min_samples", "confidence"}


def _sample_options(name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """``significant``, ``min_samples`` and ``confidence`` of a quality entry, checked (SPEC 10.2)."""
    out: dict[str, Any] = {}
    if entry.get("significant") is not None:
        if not isinstance(entry["significant"], bool):
            raise ResultsError(f"SLO {name!r}: significant must be true or false, got {entry['significant']!r}")
        out["significant"] = entry["significant"]
    if entry.get("min_samples") is not None:
        raw = entry["min_samples"]
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise ResultsError(f"SLO {name!r}: min_samples must be a whole number >= 1, got {raw!r}")
        out["min_samples"] = raw
    if entry.get("confidence") is not None:
        raw = entry["confidence"]
        number = None if isinstance(raw, (bool, str)) else finite(raw)
        if number is None or not 0 < number < 1:
            raise ResultsError(f"SLO {name!r}: confidence must be a number between 0 and 1 (exclusive), got {raw!r}")
        try:
            check_confidence(number)
        except ValueError as exc:
            raise ResultsError(f"SLO {name!r}: confidence: {exc}, got {raw!r}") from None
        out["confidence"] = number
    return out


def specs_from_quality(quality: Mapping[str, Any]) -> list[SLOSpec]:
    """SLOSpecs from the seed's ``quality_slos`` form ``{metric: {target, warning, critical}}``.

    A bare number is a lone target. The direction is inferred from the
    thresholds' order (SPEC section 3) or from the name (``_ms``, ``_s``,
    ``latency``, ``cost``, ``error*`` are lower-is-better); raises
    :class:`ResultsError` when it cannot be told or the order is inconsistent.
    """
    specs = []
    for name, entry in quality.items():
        for what, text, checks in (("SLO name", name, (check_non_blank, check_name)),
                                   ("unit", entry.get("unit") if isinstance(entry, Mapping) else None, (check_name,)),
                                   ("description", entry.get("description") if isinstance(entry, Mapping) else None,
                                    (check_text,))):
            if text is None:
                continue
            try:
                for check in checks:
                    check(str(text))
            except ValueError as exc:  # an ESC in a name reached terminals and JUnit files as it was
                shown = f"SLO {printable(str(name))!r}: {what}" if what != "SLO name" else f"SLO name {printable(str(name))!r}"
                raise ResultsError(f"{shown} {exc}") from None
        if isinstance(entry, (int, float)) and not isinstance(entry, bool):
            entry = {"target": entry}
        if not isinstance(entry, Mapping):
            raise ResultsError(f"SLO {name!r}: expected {{target, warning, critical}}, got {entry!r}")
        unknown = set(entry) - _QUALITY_KEYS
        if unknown:
            raise ResultsError(
                f"SLO {name!r}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                f"expected {', '.join(sorted(_QUALITY_KEYS))}"
            )
        if "target" not in entry:
            raise ResultsError(f"SLO {name!r}: a target is required")
        nums: dict[str, float | None] = {}
        for key in ("target", "warning", "critical"):
            raw = entry.get(key)
            if raw is None:
                nums[key] = None
                continue
            number = finite(raw) if not isinstance(raw, str) else finite(metric_value(raw))
            if number is None:
                raise ResultsError(f"SLO {name!r}: {key} must be a finite number, got {raw!r}")
            nums[key] = number
        target = nums["target"]
        assert target is not None
        if entry.get("direction") not in (None, "higher_is_better", "lower_is_better"):
            raise ResultsError(
                f"SLO {name!r}: direction must be higher_is_better or lower_is_better, got {entry['direction']!r}"
            )
        try:
            direction = infer_direction(str(name), target, nums["warning"], nums["critical"], entry.get("direction"))
        except ValueError as exc:
            raise ResultsError(str(exc)) from None
        extra: dict[str, Any] = {}
        if entry.get("compliance") is not None:
            extra["compliance"] = float(entry["compliance"])
        extra.update(_sample_options(str(name), entry))
        specs.append(
            SLOSpec(
                name=str(name),
                kind="threshold",
                target=target,
                direction=direction,
                source="results",
                warning=nums["warning"],
                critical=nums["critical"],
                unit=str(entry.get("unit") or ""),
                description=str(entry.get("description") or ""),
                runbook=entry.get("runbook"),
                **extra,
            )
        )
    return specs


def _resolve_specs(slos: Any) -> list[SLOSpec]:
    if isinstance(slos, (str, os.PathLike)):
        from slotui.config.loader import load_config  # written by the config owner; loaded lazily

        return list(load_config(Path(slos)).specs)
    if isinstance(slos, Mapping):
        quality = slos.get("quality_slos")
        return specs_from_quality(quality if isinstance(quality, Mapping) else slos)
    if isinstance(slos, SLOSpec):
        return [slos]
    if isinstance(slos, Iterable):
        specs = list(slos)
        bad = [s for s in specs if not isinstance(s, SLOSpec)]
        if bad:
            raise ResultsError(f"slos must be SLOSpec objects, got {type(bad[0]).__name__}")
        return specs
    raise ResultsError(
        f"slos must be a list of SLOSpec, a path to an SLO file or a {{metric: {{target, ...}}}} mapping, "
        f"not {type(slos).__name__}"
    )


# --------------------------------------------------------------------------- check


_COUNT_KEYS = ("n", "count", "num_samples", "sample_count")
_SPREAD_KEYS = ("stddev", "std", "std_dev", "standard_deviation")


def _sibling(flat: Mapping[str, Any], key: str, names: Iterable[str]) -> tuple[str, Any] | None:
    """The first ``base/NAME`` or ``base.NAME`` for ``key`` = ``base/AGG`` (or ``base`` itself)."""
    bases = [key]
    for sep in ("/", "."):
        if sep in key:
            bases.insert(0, key.rsplit(sep, 1)[0])
    folded = {k.lower(): k for k in reversed(list(flat))}
    for base in bases:
        for name in names:
            for sep in ("/", "."):
                candidate = folded.get(f"{base}{sep}{name}".lower())
                if candidate is not None and candidate != key:
                    return candidate, flat[candidate]
    return None


def metric_samples(flat: Mapping[str, Any], key: str) -> tuple[int | None, float | None, list[str]]:
    """``(n, stddev, notes)`` reported next to the metric ``key`` (see the module docstring)."""
    notes: list[str] = []
    n: int | None = None
    stddev: float | None = None
    found = _sibling(flat, key, _COUNT_KEYS)
    if found is not None:
        count = finite(metric_value(found[1]))
        if count is None or count < 0 or count != int(count):
            notes.append(f"results key {found[0]!r}: expected a whole number of samples >= 0, got {found[1]!r}; ignored")
        else:  # a JSON integer as written (10**23 through a float is 99999999999999991611392)
            n = found[1] if type(found[1]) is int else int(count)
    found = _sibling(flat, key, _SPREAD_KEYS)
    squared = False
    if found is None:
        found, squared = _sibling(flat, key, ("variance", "var")), True
    if found is not None:
        spread = finite(metric_value(found[1]))
        if spread is None or spread < 0:
            what = "variance" if squared else "standard deviation"
            notes.append(f"results key {found[0]!r}: expected a {what} >= 0, got {found[1]!r}; ignored")
        else:
            stddev = math.sqrt(spread) if squared else spread
    return n, stddev, notes


def evaluate_value(
    spec: SLOSpec, raw: Any, key: str | None, now: float, flat: Mapping[str, Any] | None = None
) -> SLOResult:
    """A value-only threshold evaluation of ``spec`` (no budget, no burn rates).

    With ``flat`` (the run's flattened metrics), the metric's ``n`` and
    ``stddev`` are read next to ``key`` and used as SPEC 10.2 says.
    """
    if key is None:
        tried = ", ".join(_candidates(spec))
        return SLOResult(
            spec=spec, status=Status.NO_DATA, evaluated_at=now,
            error=f"metric not found in results (tried {tried})",
        )
    number = metric_value(raw)
    value = finite(number)
    notes = [f"results key {key!r}"]
    if value is None:
        notes.append(f"value {raw!r} is not a finite number: no data")
    n, stddev, sample_notes = metric_samples(flat, key) if flat is not None else (None, None, [])
    notes.extend(sample_notes)
    data = SLIData(value=value, n=n, stddev=stddev)
    verdict = judge(spec, value_status(value, spec), value, n, threshold_interval(spec, data, value),
                    estimate=estimates(spec, data))
    if verdict.note:
        notes.append(verdict.note)
    return SLOResult(
        spec=spec,
        status=verdict.status,
        evaluated_at=now,
        value=value,
        meets_target=None if value is None else meets(value, spec.target, spec.direction, spec.strict),
        notes=tuple(notes),
        n=verdict.n,
        interval=verdict.interval,
        significant=verdict.significant,
        low_samples=verdict.low_samples,
    )


def check(results: Any, slos: Any, now: float | None = None, *, only_matched: bool = False) -> Report:
    """Evaluate the metric values of an evaluation run against SLOs.

    ``results``: a mapping of metric values (flat or nested, see the module
    docstring), an MLflow ``EvaluationResult`` (its ``.metrics``), or a path to
    a results JSON file. ``slos``: a list of :class:`SLOSpec`, a path to an SLO
    file (loaded with :func:`slotui.config.loader.load_config`), or a
    ``quality_slos``-style mapping ``{metric: {target, warning, critical}}``.
    ``now``: evaluation time in epoch seconds (default: the current time).

    An SLO whose metric is not in ``results`` is NO DATA (exit code 3 under
    the Nagios convention), unless ``only_matched`` is set: then it is left out
    of the report and named in ``report.warnings``.
    """
    if now is None:
        now = time.time()
    if isinstance(results, (str, os.PathLike)):
        metrics: Mapping[str, Any] = load_results_file(results)
    else:
        metrics = unwrap_results(results)
    flat = flatten_metrics(metrics)
    out: list[SLOResult] = []
    warnings: list[str] = []
    for spec in _resolve_specs(slos):
        found = lookup_metric(spec, flat)
        if found is None and only_matched:
            warnings.append(f"SLO {spec.name!r}: no metric in the results; left out")
            continue
        key, raw = found if found is not None else (None, None)
        out.append(evaluate_value(spec, raw, key, now, flat))
    return Report(evaluated_at=now, results=tuple(out), warnings=tuple(warnings))
