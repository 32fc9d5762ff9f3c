"""``slotui validate``: check an SLO file without fetching anything.

Prints ``OK: N SLOs, M sources, K channels`` (and any configuration warnings on
stderr) and exits 0; ``--show`` also prints the file as slotui resolved it, as
YAML with every secret masked. An invalid file prints one screen of
``file:line:col: key: expectation`` lines on stderr and exits 3.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from slotui.core.exit_code import OK, UNKNOWN



def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def resolved_view(loaded: Any) -> dict[str, Any]:
    """The resolved file as plain data, secrets masked (what ``--show`` prints)."""
    from slotui.formatting import format_window
    from slotui.config.secrets import mask_url, masked_dump, masked_mapping

    slos = []
    for s in loaded.specs:
        entry: dict[str, Any] = {
            "name": s.name,
            "kind": s.kind,
            "source": s.source,
            "direction": s.direction,
            "target": s.target,
        }
        if s.warning is not None:
            entry["warning"] = s.warning
        if s.critical is not None:
            entry["critical"] = s.critical
        if s.kind == "threshold":
            entry["compliance"] = s.compliance
        entry["window"] = s.calendar_window if s.calendar_window in ("month", "week", "day") else format_window(s.window)
        if s.forecast:
            entry["forecast"] = True
            entry["forecast_basis"] = format_window(s.forecast_basis)
        entry["period"] = "calendar_month" if s.calendar_month else format_window(s.period)
        if s.period_anchor is not None:
            from datetime import datetime, timezone

            start = datetime.fromtimestamp(s.period_anchor, tz=timezone.utc)
            entry["period_start"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        if s.strict:
            entry["strict"] = True
        entry["slice"] = format_window(s.slice)
        entry["interval"] = format_window(s.interval)
        entry["min_events"] = s.min_events
        entry["significant"] = s.significant
        entry["min_samples"] = s.min_samples
        entry["confidence"] = s.confidence
        if s.kind == "ratio":
            entry["at_risk_below"] = s.at_risk_below
        entry["burn_rate"] = [
            {
                "severity": t.severity,
                "long": format_window(t.long_window),
                "short": format_window(t.short_window),
                "factor": round(t.effective_factor(s.period), 4),
            }
            for t in s.tiers
        ]
        for key in ("sli_field", "sli_agg", "sli_where", "good", "total", "query", "unit", "runbook"):
            value = getattr(s, key)
            if value:
                entry[key] = mask_url(value) if isinstance(value, str) else value
        if s.labels:
            entry["labels"] = dict(s.labels)
        if s.params:
            entry["params"] = masked_mapping(dict(s.params))
        slos.append(entry)
    data = masked_dump(loaded.config, durations_as_text=True)
    for seed_key in ("slos", "quality_slos", "alert_rules"):
        data.pop(seed_key, None)
    if isinstance(data.get("alerts"), dict):
        data["alerts"].pop("rules", None)
    # every SLO, whichever form it was written in, as resolved
    data["slos"] = slos
    return data


def _scrub(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 6:
            text = text.replace(secret, "****")
    return text


def _scrub_data(value: Any, secrets: set[str]) -> Any:
    """``value`` (plain data) with every secret in its strings (keys too) replaced by ``****``, before
    it is dumped: the dumper then quotes ``'****'`` (a bare ``****`` is a YAML alias: the ``--show``
    output did not parse back)."""
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, dict):
        return {_scrub_data(k, secrets): _scrub_data(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub_data(v, secrets) for v in value]
    return value


def run(args: argparse.Namespace) -> int:
    from slotui.config.errors import ConfigError
    from slotui.config.loader import load_config
    from slotui.config.locations import resolve_config_path

    path = resolve_config_path(getattr(args, "config", None))
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return UNKNOWN
    c = loaded.config
    if getattr(args, "show", False):
        import yaml

        text = yaml.safe_dump(_scrub_data(resolved_view(loaded), loaded.secrets), sort_keys=False,
                              allow_unicode=True, width=120)
        print(f"# {loaded.display_name}, as slotui resolved it (secrets masked)")
        print(_scrub(text, loaded.secrets), end="")
    print(
        f"OK: {_plural(len(loaded.specs), 'SLO')}, {_plural(len(c.sources), 'source')}, "
        f"{_plural(len(c.alerts.channels), 'channel')} in {loaded.display_name}"
    )
    for warning in loaded.warnings:
        print(f"{loaded.display_name}: warning: {_scrub(warning, loaded.secrets)}", file=sys.stderr)
    return OK
