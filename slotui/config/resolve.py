"""Turn a validated :class:`~slotui.config.model.Config` into resolved :class:`SLOSpec` objects.

Everything the typed model cannot check alone happens here, each problem with
the key path it concerns (the loader maps paths to file:line:col):

- defaults applied: window, period (``calendar_month`` included), slice,
  interval (the source's, else ``defaults.interval``), compliance,
  at_risk_below, burn-rate tiers (the SLO's, else ``defaults.burn_rate``, else
  the SRE workbook default), ``min_events`` (1);
- kind: ``ratio`` when ``ratio:`` is set, else ``threshold`` (which needs
  ``sli:`` or ``query:``);
- direction (SPEC section 3, :func:`slotui.core.direction.infer_direction`);
- source references, duplicate names, route channels, expressions
  (``fields``, ``sli.where``, ratio ``good``/``total`` on record sources);
- the seed forms (``quality_slos:``, ``alert_rules:`` / ``alerts.rules:``);
- a warning for each burn-rate tier whose factor ``F < 1`` for its SLO's period.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slotui.formatting import format_window
from slotui.config.errors import ConfigIssue
from slotui.config.model import AlertRule, BurnTierConfig, Config, SLOConfig
from slotui.config.seed import ConditionError, normalize_agg, parse_condition
from slotui.core.direction import DirectionError, infer_direction
from slotui.core.types import DAY, DEFAULT_PERIOD_TIERS, DEFAULT_TIERS, BurnTier, SLOSpec, default_tiers

KeyPath = tuple[Any, ...]
#: (path, index into the string or None) -> (line, column) or None
Locator = Callable[[KeyPath, "int | None", bool], "tuple[int, int] | None"]

#: Source types whose SLIs are computed by slotui from records (expressions apply).
RECORD_SOURCES = frozenset({"file", "demo"})
#: Source name of SLOs in a file without sources: only ``check --results`` evaluates them.
RESULTS_SOURCE = "results"
#: Labels slotui sets on every alert (slotui.alerting.context.alert_labels): an SLO's own value was
#: silently replaced. ``alertname`` and ``service`` are honoured, so not reserved.
RESERVED_LABELS = {"slo": "the SLO's name", "severity": "the alert's severity", "source": "the SLO's source"}
#: the ``type`` of every notification channel (a rule's ``notification.type`` names one)
CHANNEL_TYPES = ("slack", "pagerduty", "email", "webhook", "alertmanager", "file")
#: Most slices a period may hold: every slice with data is kept in memory (``slice: 1ms`` over 30d
#: took 2.4 GB). 366d of 5m slices (105,408), 1d of 1s slices (86,400) fit.
MAX_SLICES_PER_PERIOD = 150_000
#: Nominal length of a calendar month, for config-time checks (F < 1 warnings).
CALENDAR_MONTH_NOMINAL = 30 * DAY

_SEVERITY = {"page": "critical", "critical": "critical", "ticket": "warning", "warning": "warning"}


def _no_location(path: KeyPath, index: int | None, prefer_key: bool) -> tuple[int, int] | None:
    return None


@dataclass
class Resolution:
    specs: list[SLOSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    issues: list[ConfigIssue] = field(default_factory=list)


def _compiler() -> Callable[[str], Any] | None:
    from slotui.config.expressions import compile_expression

    return compile_expression


class _Resolver:
    def __init__(self, config: Config, locate: Locator) -> None:
        self.config = config
        self.locate = locate
        self.out = Resolution()
        #: NFC name -> (where, the name as written)
        self.names: dict[str, tuple[KeyPath, str]] = {}
        self.compile = _compiler()
        #: defaults.burn_rate when the file sets it; else the policy follows the period
        self.default_tiers: tuple[BurnTier, ...] | None = None
        # (severity, long, short, F, period) -> SLO names, for grouped warnings
        self.low_factor: dict[tuple[str, float, float, float, float], list[str]] = {}
        self.said: set[tuple[KeyPath, str]] = set()

    # ------------------------------------------------------------------ helpers

    def issue(self, path: KeyPath, message: str, *, index: int | None = None, key: bool = False) -> None:
        if (tuple(path), message) in self.said:
            return  # a default at fault is named once, not once per SLO that inherits it
        self.said.add((tuple(path), message))
        where = self.locate(path, index, key)
        line, column = where if where else (None, None)
        self.out.issues.append(ConfigIssue(message, tuple(path), line, column))

    def expression(self, path: KeyPath, text: str) -> None:
        if self.compile is None:
            return
        from slotui.config.expressions import ExpressionError

        try:
            self.compile(text)
        except ExpressionError as exc:
            column = getattr(exc, "column", 1) or 1
            message = getattr(exc, "message", str(exc))
            self.issue(path, f"invalid expression: {message}", index=column - 1)

    def promql(self, path: KeyPath, slo: SLOConfig) -> bool:
        """Parse every PromQL expression of a prometheus SLO (templates substituted); report the parser's message."""
        from slotui.peers.promql import parse_error

        exprs: list[tuple[KeyPath, str]] = []
        if slo.ratio is not None:
            exprs.append((("ratio", "good"), slo.ratio.good))
            if slo.ratio.total is not None and slo.ratio.total.strip():
                exprs.append((("ratio", "total"), slo.ratio.total))
        if slo.query is not None:
            exprs.append((("query",), slo.query))
        ok = True
        for key, text in exprs:
            message = parse_error(text)
            if message is not None:
                self.issue(path + key, f"PromQL does not parse: {message} (in {text!r})")
                ok = False
        return ok

    def claim_name(self, name: str, path: KeyPath) -> bool:
        """An SLO name that reads as what it is, and no other SLO's: no blank at either end, no
        invisible (format) character, and unique after NFC normalization (``lat\u200b_ms``,
        ``'lat_ms '`` and a decomposed ``café`` were second SLOs that looked like the first)."""
        if not name.strip():
            self.issue(path, "an SLO name cannot be empty")
            return False
        if name != name.strip():
            end = name[-1] if name[-1].isspace() else name[0]
            where = "end" if name[-1].isspace() else "start"
            self.issue(path, f"an SLO name cannot {where} with a blank ({_char_name(end)}): it would look like "
                       "another name; remove it")
            return False
        for i, ch in enumerate(name):
            if unicodedata.category(ch) == "Cf":
                self.issue(path, f"contains the invisible character {_char_name(ch)} at character {i + 1}; an SLO "
                           "name must read as what it is (remove it)")
                return False
        key = unicodedata.normalize("NFC", name)
        if key in self.names:
            first = self.locate(self.names[key][0], None, False)
            at = f"first defined at line {first[0]}" if first else ""
            if self.names[key][1] != name:
                at += ("; " if at else "") + "the two differ only in how accents are encoded, NFC or NFD"
            self.issue(path, f"duplicate SLO name {name!r}" + (f" ({at})" if at else ""))
            return False
        self.names[key] = (path, name)
        return True

    def source_for(self, ref: str | None, path: KeyPath) -> str | None:
        """The source name an SLO uses, or None after reporting a problem."""
        sources = self.config.sources
        if ref is not None:
            if ref not in sources:
                known = ", ".join(sorted(sources)) or "none defined"
                self.issue(path + ("source",), f"unknown source {ref!r}; sources: {known}")
                return None
            return ref
        if len(sources) == 1:
            return next(iter(sources))
        if not sources:
            return RESULTS_SOURCE
        self.issue(
            path,
            "source not set and there are several sources (" + ", ".join(sorted(sources)) + "); "
            "add source: NAME",
            key=True,
        )
        return None

    def source_type(self, name: str | None) -> str | None:
        if not name:
            return None
        cfg = self.config.sources.get(name)
        return getattr(cfg, "type", None)

    def known_fields(self, source: str | None) -> frozenset[str] | None:
        """The record fields of a source when they are known statically (the demo), else None."""
        if self.source_type(source) != "demo":
            return None
        from slotui.sources.demo_schema import FIELDS

        return FIELDS

    def check_fields(self, path: KeyPath, text: str, source: str | None) -> bool:
        """Every field an expression reads exists on a source whose fields are known."""
        known = self.known_fields(source)
        if known is None or self.compile is None:
            return True
        from slotui.config.expressions import ExpressionError

        try:
            names = self.compile(text).names
        except ExpressionError:
            return True  # reported by expression()
        for name in sorted(names):
            if name not in known:
                hint = _closest_field(name, known)
                self.issue(
                    path,
                    f"unknown field {name!r}: the {self.source_type(source)} source {source!r} has "
                    + ", ".join(sorted(known)) + (f"; did you mean {hint!r}?" if hint else ""),
                    index=max(text.find(name), 0),
                )
                return False
        return True

    def seed_metric(self, path: KeyPath, metric: str, source: str | None, *, strict: bool = True) -> str | None:
        """The record field a seed-form metric names on ``source`` (None after an error).

        The seed writes LangSmith feedback keys: ``helpfulness_score`` is the
        evaluation ``helpfulness``, i.e. the field ``evaluations.helpfulness``;
        a bare ``accuracy`` is ``evaluations.accuracy`` when the record has no
        field of that name. Sources whose fields are not known statically get
        the name as written (they answer or report it when fetching).
        """
        known = self.known_fields(source)
        if known is None or metric == "*":
            return metric
        for candidate in _metric_candidates(metric):
            if candidate in known:
                return candidate
        if not strict:
            return metric
        hint = _closest_field(metric, known)
        self.issue(
            path,
            f"unknown metric {metric!r}: the {self.source_type(source)} source {source!r} has "
            + ", ".join(sorted(known)) + (f"; did you mean {hint!r}?" if hint else ""),
        )
        return None

    def interval_for(self, source: str | None) -> float:
        cfg = self.config.sources.get(source or "")
        interval = getattr(cfg, "interval", None) if cfg is not None else None
        return float(interval if interval is not None else self.config.defaults.interval)

    def tiers(self, configs: Sequence[BurnTierConfig] | None, path: KeyPath) -> tuple[BurnTier, ...] | None:
        if configs is None:
            return None
        tiers: list[BurnTier] = []
        ok = True
        for j, t in enumerate(configs):
            tpath = path + (j,)
            if (t.budget is None) == (t.factor is None):
                self.issue(tpath, "set exactly one of budget (share of the budget spent at trigger) or factor", key=True)
                ok = False
                continue
            if t.long <= 0 or t.short <= 0:
                self.issue(tpath + ("long" if t.long <= 0 else "short",), "expected a window longer than 0")
                ok = False
                continue
            if t.short >= t.long:
                self.issue(
                    tpath + ("short",),
                    f"the short window ({format_window(t.short)}) must be shorter than the long window "
                    f"({format_window(t.long)})",
                )
                ok = False
                continue
            tiers.append(
                BurnTier(_SEVERITY[t.severity], t.long, t.short, budget_fraction=t.budget, factor=t.factor)  # type: ignore[arg-type]
            )
        return tuple(tiers) if ok else None

    def nonnegative_thresholds(
        self,
        name: str,
        kind: str,
        objective_path: KeyPath,
        target: float,
        warning: float | None,
        critical: float | None,
        rest: dict[str, Any],
    ) -> bool:
        """A latency, duration, cost, token count or event count cannot be below 0."""
        if kind != "threshold":
            return True
        what = _nonnegative_quantity(name, rest.get("sli_field"), rest.get("sli_agg"), rest.get("unit") or "")
        if what is None:
            return True
        ok = True
        keys = ("condition",) if objective_path[-1:] == ("condition",) else None
        for key, value in (("target", target), ("warning", warning), ("critical", critical)):
            if value is not None and value < 0:
                path = objective_path if keys else objective_path + (key,)
                self.issue(path, f"{what} cannot be negative (got {key} {value:g}); expected a value of 0 or more")
                ok = False
                if keys:
                    break
        return ok

    def origin(self, path: KeyPath, key: str, own: bool) -> KeyPath | None:
        """Where an SLO's window, slice or period is written: the SLO's key, ``defaults.<key>``, or
        None for slotui's own default."""
        if own:
            return path + (key,)
        if key in self.config.defaults.model_fields_set:
            return ("defaults", key)
        return None

    def conflict(self, path: KeyPath, origins: dict[str, KeyPath | None], values: dict[str, float],
                 small: str, big: str, small_message: str, big_message: str) -> None:
        """Report two values that do not fit together at the one the file wrote most specifically:
        the SLO's own key before a ``defaults:`` key before slotui's default (the smaller on a tie)."""
        def rank(o: KeyPath | None) -> int:
            return 0 if o is None else 1 if o[0] == "defaults" else 2

        if rank(origins[big]) > rank(origins[small]):
            self.issue(origins[big] or path + (big,), big_message)
        else:
            self.issue(origins[small] or path + (small,), small_message)

    def tiers_fit(self, name: str, path: KeyPath, kind: str, tiers: Sequence[BurnTier], tiers_path: KeyPath | None,
                  origins: dict[str, KeyPath | None], values: dict[str, float]) -> bool:
        """Burn-rate tiers that can fire: a long window within the period, and (threshold SLOs and spend
        budgets, which count whole slices) a short window at least one slice long. Tiers the file
        writes are refused; slotui's default tiers that a written slice starves are a warning."""
        period_s, slice_s = values["period"], values["slice"]
        ok = True
        whose = f" (SLO {name!r})" if tiers_path is not None and tiers_path[0] == "defaults" else ""
        starved: list[BurnTier] = []
        for j, t in enumerate(tiers):
            if tiers_path is not None and t.long_window > period_s:
                self.issue(tiers_path + (j, "long"), f"the long window ({format_window(t.long_window)}) is longer "
                           f"than the period ({format_window(period_s)}{_from(origins['period'])}){whose}: a burn "
                           f"rate is measured within one period; expected at most {format_window(period_s)}")
                ok = False
            elif kind == "threshold" and t.short_window < slice_s:
                if tiers_path is None:
                    starved.append(t)
                    continue
                self.issue(tiers_path + (j, "short"), f"the short window ({format_window(t.short_window)}) is "
                           f"shorter than the slice ({format_window(slice_s)}{_from(origins['slice'])}){whose}: a "
                           "window that holds no whole slice never fires; expected at least "
                           f"{format_window(slice_s)}")
                ok = False
        if starved and origins["slice"] is not None:
            where = self.locate(origins["slice"], None, False)
            at = f" (line {where[0]})" if where else ""
            shown = ", ".join(f"{format_window(t.long_window)}/{format_window(t.short_window)}" for t in starved)
            self.out.warnings.append(
                f"{_dotted(origins['slice'])}{at}: the slice ({format_window(slice_s)}) is longer than the short "
                f"window of slotui's default burn-rate tier{'s' if len(starved) > 1 else ''} {shown} of SLO "
                f"{name!r}: a window that holds no whole slice never fires (use a shorter slice, or set burn_rate: "
                f"with short windows of at least {format_window(slice_s)})")
        return ok

    def runbook(self, path: KeyPath, link: str | None) -> str | None:
        """The runbook link, with a warning when it holds a credential (a URL password, a query parameter
        named like a token): a link must work where it lands, so it goes into every notification and
        output as written, unmasked; the warning says so without repeating it."""
        if not link:
            return link
        from slotui.config.secrets import url_password, url_query_secrets

        what = []
        if url_password(link):
            what.append("a password")
        if url_query_secrets(link):
            what.append("a credential query parameter")
        if what:
            where = self.locate(path + ("runbook",), None, False)
            at = f" (line {where[0]})" if where else ""
            self.out.warnings.append(
                f"{_dotted(path + ('runbook',))}{at}: the link holds {' and '.join(what)}; it is sent as written "
                "in every notification and check output (a link must work where it lands): link to a page that "
                "needs no credential in its URL")
        return link

    def note_low_factors(self, name: str, tiers: Sequence[BurnTier], period: float) -> None:
        for tier in tiers:
            f = tier.effective_factor(period)
            if f < 1:
                key = (tier.severity, tier.long_window, tier.short_window, round(f, 4), period)
                self.low_factor.setdefault(key, []).append(name)

    # ------------------------------------------------------------------ parts

    def check_sources(self) -> None:
        for name, src in self.config.sources.items():
            fields = getattr(src, "fields", None) or {}
            for fname, text in fields.items():
                self.expression(("sources", name, "fields", fname), text)
            self.source_identity(name, src)

    def source_identity(self, name: str, src: Any) -> None:
        """Keys that only work together or apart (an mlflow source without its experiment answered
        NO DATA at every fetch; a langfuse source with one key of its pair crashed when built)."""
        if src.type == "mlflow":
            if src.experiment is None and src.experiment_id is None:
                self.issue(("sources", name), "an mlflow source needs experiment (a name) or experiment_id",
                           key=True)
            elif src.experiment is not None and src.experiment_id is not None:
                self.issue(("sources", name, "experiment_id"),
                           "set experiment (a name) or experiment_id, not both: they could name two experiments",
                           key=True)
        elif src.type == "langfuse" and (src.public_key is None) != (src.secret_key is None):
            have, missing = ("public_key", "secret_key") if src.secret_key is None else ("secret_key", "public_key")
            self.issue(("sources", name, have), f"{have} is set without {missing}: Langfuse authenticates with "
                       "the pair (public key as user name, secret key as password)", key=True)
        own = {"mlflow": ("token",), "langfuse": ("public_key",), "weave": ("api_key",)}.get(src.type, ())
        self.one_authorization(("sources", name), src, own)

    def one_authorization(self, path: KeyPath, obj: Any, own: tuple[str, ...] = ()) -> None:
        """A request carries one ``Authorization`` header: a source or channel given two ways to send
        it (its own credential -- mlflow's token, langfuse's key pair, weave's api_key --,
        ``bearer_token``, ``basic_auth``, an ``Authorization`` header, ``user:password@`` in its
        url) had all but one dropped without a word, and the 401s pointed at a credential never sent.
        An error naming the second, as Prometheus refuses the same ("at most one of basic_auth,
        bearer_token ... must be configured")."""
        from urllib.parse import urlsplit

        given: list[tuple[tuple[str, ...], str]] = [((k,), k) for k in own if getattr(obj, k, None) is not None]
        url = getattr(obj, "url", None)
        try:
            if isinstance(url, str) and urlsplit(url).username is not None:
                given.append((("url",), "user:password@ in url"))
        except ValueError:
            pass
        for key in ("bearer_token", "basic_auth"):
            if getattr(obj, key, None):
                given.append(((key,), key))
        for header in getattr(obj, "headers", None) or {}:
            if header.lower() == "authorization":
                given.append((("headers", header), f"headers.{header}"))
        if len(given) > 1:
            (_, first), (where, second) = given[0], given[1]
            self.issue((*path, *where), f"set one credential: {first} and {second} both set the Authorization "
                       "header, and a request carries one", key=True)

    def rule_target(self, path: KeyPath, notification: Any) -> bool:
        """A rule's ``notification.type`` is a channel type; one the file has no channel of is said
        (its alerts then go by the routes, as documented; with no channels at all nothing notifies)."""
        kind = notification.type
        if kind not in CHANNEL_TYPES:
            self.issue(path + ("type",), f"unknown notification type {kind!r}; expected one of: "
                       + ", ".join(CHANNEL_TYPES))
            return False
        channels = self.config.alerts.channels
        if channels and not any(c.type == kind for c in channels.values()):
            where = self.locate(path + ("type",), None, False)
            at = f" (line {where[0]})" if where else ""
            self.out.warnings.append(
                f"{_dotted(path + ('type',))}{at}: no {kind} channel under alerts.channels: this rule's alerts go "
                f"by alerts.routes instead (add a channel of type {kind}, or change the type)")
        return True

    def check_routes(self) -> None:
        channels = self.config.alerts.channels
        for name, channel in channels.items():
            self.one_authorization(("alerts", "channels", name), channel)
        for i, route in enumerate(self.config.alerts.routes):
            if not route.channels and route.continue_:
                self.issue(("alerts", "routes", i, "channels"), "a route with no channels that lets alerts go on "
                           "(continue: true, the default) does nothing; list channels, or write continue: false "
                           "to drop the alerts it matches", key=True)
            for j, ch in enumerate(route.channels):
                if ch not in channels:
                    known = ", ".join(sorted(channels)) or "none defined"
                    self.issue(("alerts", "routes", i, "channels", j), f"unknown channel {ch!r}; channels: {known}")
        for name, cfg in channels.items():
            if cfg.type == "alertmanager" and not cfg.send_resolved:
                self.out.warnings.append(
                    f"alerts.channels.{name}.send_resolved: false is ignored for an Alertmanager channel: the "
                    "resolve is what ends the alert there (without it Alertmanager keeps it firing, and its "
                    "receivers keep repeating it, until alert_ttl); set send_resolved on Alertmanager's receivers"
                )

    def common(
        self,
        *,
        path: KeyPath,
        name: str,
        source: str,
        kind: str,
        target: float,
        warning: float | None,
        critical: float | None,
        direction: str | None,
        objective_path: KeyPath,
        window: float | None = None,
        period: float | str | None = None,
        slice_: float | None = None,
        compliance: float | None = None,
        tiers: tuple[BurnTier, ...] | None = None,
        min_events: int | None = None,
        at_risk_below: float | None = None,
        significant: bool | None = None,
        min_samples: int | None = None,
        confidence: float | None = None,
        own: frozenset[str] = frozenset(),
        period_origin: KeyPath | None = None,
        tiers_path: KeyPath | None = None,
        **rest: Any,
    ) -> SLOSpec | None:
        """One resolved spec. ``own``: which of window, slice and period the SLO writes itself (the
        others come from ``defaults:`` or slotui); ``period_origin``: the key a derived period comes
        from (a spend window's); ``tiers_path``: where ``tiers`` are written (the SLO's burn_rate)."""
        d = self.config.defaults
        if not self.nonnegative_thresholds(name, kind, objective_path, target, warning, critical, rest):
            return None
        ok = True
        resolved_direction = self.direction(
            name, kind, target, warning, critical, direction, objective_path
        )
        if resolved_direction is None:
            ok = False
        if kind == "ratio" and not 0 < target < 1:
            self.issue(objective_path + ("target",), f"a ratio target is a share between 0 and 1 (got {target:g})")
            ok = False
        period_value = period if period is not None else d.period
        calendar_month = period_value == "calendar_month"
        period_s = CALENDAR_MONTH_NOMINAL if calendar_month else float(period_value)  # type: ignore[arg-type]
        window_s = float(window if window is not None else d.window)
        slice_s = float(slice_ if slice_ is not None else d.slice)
        origins = {
            "window": self.origin(path, "window", window is not None and "window" in own),
            "slice": self.origin(path, "slice", slice_ is not None and "slice" in own),
            "period": period_origin if period_origin is not None else self.origin(
                path, "period", period is not None and "period" in own),
        }
        values = {"window": window_s, "slice": slice_s, "period": period_s}
        for key, value in values.items():
            if value <= 0:
                self.issue(origins[key] or path + (key,), f"expected a duration longer than 0 (got {format_window(value)})")
                ok = False
        for small in ("slice", "window"):
            if ok and values[small] > period_s:
                self.conflict(path, origins, values, small, "period",
                              f"the {small} ({format_window(values[small])}) is longer than the period "
                              f"({format_window(period_s)}{_from(origins['period'])})",
                              f"the period ({format_window(period_s)}) is shorter than the {small} "
                              f"({format_window(values[small])}{_from(origins[small])})")
                ok = False
        if ok and period_s / slice_s > MAX_SLICES_PER_PERIOD:
            count = f"{period_s / slice_s:,.0f}"
            least = _nice_at_least(period_s / MAX_SLICES_PER_PERIOD)
            self.conflict(path, origins, values, "slice", "period",
                          f"the period ({format_window(period_s)}{_from(origins['period'])}) would hold {count} "
                          f"slices of {format_window(slice_s)}; expected at most {MAX_SLICES_PER_PERIOD:,} (each "
                          f"slice is kept in memory): use a slice of at least {least}",
                          f"the period ({format_window(period_s)}) would hold {count} slices of "
                          f"{format_window(slice_s)}{_from(origins['slice'], paren=True)}; expected at most "
                          f"{MAX_SLICES_PER_PERIOD:,} (each slice is kept in memory): use a shorter period or a "
                          f"slice of at least {least}")
            ok = False
        if not ok:
            return None
        if tiers is None:
            if self.default_tiers is not None:
                tiers, tiers_path = self.default_tiers, ("defaults", "burn_rate")
            elif origins["period"] is None or origins["period"][-1] != "period":
                # a period the file does not write (slotui's default, or derived from a spend window):
                # the workbook's burn speeds as absolute factors, only the tiers whose long window fits
                # in it, so a file without period: never warns about slotui's own tiers
                tiers = tuple(t for t in DEFAULT_PERIOD_TIERS if t.long_window <= period_s)
            else:
                tiers = default_tiers(period_s)
        if not self.tiers_fit(name, path, kind, tiers, tiers_path, origins, values):
            return None
        self.note_low_factors(name, tiers, period_s)
        return SLOSpec(
            name=name,
            kind=kind,  # type: ignore[arg-type]
            target=target,
            direction=resolved_direction,  # type: ignore[arg-type]
            source=source,
            warning=warning,
            critical=critical,
            compliance=float(compliance if compliance is not None else d.compliance),
            window=window_s,
            period=period_s,
            calendar_month=calendar_month,
            slice=slice_s,
            interval=self.interval_for(source),
            tiers=tuple(tiers),
            min_events=1 if min_events is None else int(min_events),
            at_risk_below=float(at_risk_below if at_risk_below is not None else d.at_risk_below),
            significant=bool(significant if significant is not None else d.significant),
            min_samples=int(min_samples if min_samples is not None else d.min_samples),
            confidence=float(confidence if confidence is not None else d.confidence),
            **rest,
        )

    def direction(
        self,
        name: str,
        kind: str,
        target: float,
        warning: float | None,
        critical: float | None,
        direction: str | None,
        objective_path: KeyPath,
    ) -> str | None:
        if kind == "ratio" and direction == "lower_is_better":
            self.issue(
                objective_path + ("direction",),
                "a ratio SLO measures good/total events, so higher is better; remove direction",
            )
            return None
        try:
            return infer_direction(name, target, warning, critical, direction, kind)  # type: ignore[arg-type]
        except DirectionError as exc:
            message = str(exc)
            message = re.sub(r"^SLO '[^']*': ", "", message)
            if direction is not None:
                try:
                    infer_direction(name, target, warning, critical, None, kind)  # type: ignore[arg-type]
                    self.issue(objective_path + ("direction",), message)
                    return None
                except DirectionError:
                    pass
            if warning is not None or critical is not None:
                self.issue(objective_path + ("warning" if warning is not None else "critical",), message)
            else:
                self.issue(objective_path, message, key=True)
            return None

    def slo(self, path: KeyPath, slo: SLOConfig, *, seed: bool = False) -> None:
        """Resolve one SLO into a spec. ``seed``: it is a ``quality_slos`` entry turned into an
        :class:`SLOConfig` (:meth:`QualitySLO.as_slo`): its name is the key at ``path``, its
        objective's fields sit at ``path``, and its field is a seed metric, resolved on a source
        whose fields are known and never rejected (results files look it up by name)."""
        named = self.claim_name(slo.name, path if seed else path + ("name",))
        source = self.source_for(slo.source, path)
        stype = self.source_type(source)
        ok = named and source is not None
        if slo.sli is not None and slo.ratio is not None:
            self.issue(path + ("ratio",), "set either sli: (threshold SLO) or ratio: (ratio SLO), not both")
            ok = False
        if slo.sli is not None and slo.query is not None:
            self.issue(path + ("query",), "set either sli: or query:, not both")
            ok = False
        if slo.ratio is not None and slo.query is not None:
            # (the query was ignored, even when it did not parse)
            self.issue(path + ("query",), "set either query: (a threshold SLO's SLI) or ratio: (ratio SLO), not both")
            ok = False
        elif slo.query is not None and stype in RECORD_SOURCES:
            # (validate said OK; check then reported NO DATA with a note)
            self.issue(path + ("query",), f"query: asks a metrics or tracing API; source {slo.source or ''!r} is "
                       f"{stype}, which reads records: give sli: {{field, agg}} (e.g. {{field: duration_s, agg: p95}})"
                       .replace(" '' ", " "))
            ok = False
        kind = "ratio" if slo.ratio is not None else "threshold"
        if kind == "threshold" and slo.sli is None and slo.query is None:
            self.issue(path, "a threshold SLO needs sli: {field, agg} or query:; a ratio SLO needs ratio: {good}",
                       key=True)
            ok = False
        agg = None
        sli_field = slo.sli.field if slo.sli else None
        if slo.sli is not None:
            try:
                agg = normalize_agg(slo.sli.agg)
            except ValueError as exc:
                self.issue(path + ("sli", "agg"), str(exc))
                ok = False
            if not slo.sli.field.strip():
                self.issue(path + ("sli", "field"), "expected a field name")
                ok = False
            if slo.sli.where is not None and (stype in RECORD_SOURCES or stype is None):
                self.expression(path + ("sli", "where"), slo.sli.where)
            if seed:
                sli_field = self.seed_metric(path, slo.sli.field, source, strict=False) if ok else None
            elif slo.sli.field.strip() and not self.check_fields(path + ("sli", "field"), slo.sli.field, source):
                ok = False
            if slo.sli.where is not None and not self.check_fields(path + ("sli", "where"), slo.sli.where, source):
                ok = False
        if slo.ratio is not None and (stype in RECORD_SOURCES or stype is None):
            self.expression(path + ("ratio", "good"), slo.ratio.good)
            if slo.ratio.total is not None:
                self.expression(path + ("ratio", "total"), slo.ratio.total)
            for key in ("good", "total"):
                text = getattr(slo.ratio, key)
                if text is not None and not self.check_fields(path + ("ratio", key), text, source):
                    ok = False
        if slo.ratio is not None and stype == "prometheus" and not (slo.ratio.total or "").strip():
            self.issue(path + ("ratio",), "a prometheus ratio SLO needs both good: and total: PromQL queries")
            ok = False
        if stype == "prometheus":
            ok = self.promql(path, slo) and ok
        tiers = self.tiers(slo.burn_rate, path + ("burn_rate",))
        if slo.burn_rate is not None and tiers is None:
            ok = False
        if slo.objective.compliance is not None and kind == "ratio":
            self.out.warnings.append(
                f"SLO {slo.name!r}: objective.compliance applies to threshold SLOs only; ignored for a ratio SLO"
            )
        spend = self.spend_window(path, slo, kind, agg, stype)
        if spend is None:
            ok = False
            spend = {}
        labels = dict(slo.labels)
        for label in labels:
            if label in RESERVED_LABELS:
                self.issue(path + ("labels", label), f"label {label!r} is reserved: slotui sets it on every alert "
                           f"({RESERVED_LABELS[label]}), so this value would be replaced; use another name", key=True)
                ok = False
        if slo.service:
            labels.setdefault("service", slo.service)
        n_issues = len(self.out.issues)
        spec = self.common(
            path=path,
            name=slo.name,
            source=source or "",
            kind=kind,
            target=slo.objective.target,
            warning=slo.objective.warning,
            critical=slo.objective.critical,
            direction=slo.objective.direction or ("lower_is_better" if spend.get("calendar_window") else None),
            objective_path=path if seed else path + ("objective",),
            strict=slo.objective.strict,
            significant=slo.objective.significant,
            min_samples=slo.objective.min_samples,
            confidence=slo.objective.confidence,
            period_anchor=spend.pop("period_anchor", _anchor(slo, path, self)),
            window=spend.pop("window", None if isinstance(slo.window, str) else slo.window),
            period=spend.pop("period", slo.period),
            slice_=slo.slice,
            compliance=slo.objective.compliance,
            tiers=tiers,
            min_events=slo.min_events,
            at_risk_below=slo.at_risk_below,
            unit=slo.unit,
            description=slo.description,
            runbook=self.runbook(path, slo.runbook),
            labels=labels,
            for_=slo.for_,
            sli_field=sli_field,
            sli_agg=agg if slo.sli else None,
            sli_where=slo.sli.where if slo.sli else None,
            good=slo.ratio.good if slo.ratio else None,
            total=slo.ratio.total if slo.ratio else None,
            query=slo.query,
            params=dict(slo.params),
            breakdown=tuple(slo.breakdown if slo.breakdown is not None else self.config.defaults.breakdown),
            own=frozenset(k for k in ("window", "period", "slice") if getattr(slo, k) is not None),
            tiers_path=path + ("burn_rate",) if slo.burn_rate is not None else None,
            **spend,
        )
        if spec is not None and ok and len(self.out.issues) == n_issues:
            self.out.specs.append(spec)

    def spend_window(
        self, path: KeyPath, slo: SLOConfig, kind: str, agg: str | None, stype: str | None
    ) -> dict[str, Any] | None:
        """The SLOSpec fields of a calendar window / forecast (SPEC 10.4); None after an issue.

        ``window: month|week|day`` and ``forecast: true`` need a ``sum`` SLI on
        a source that keeps records (file, demo); ``forecast_basis`` needs
        ``forecast: true``. A calendar window with no ``period`` gets the same
        calendar period (month: calendar_month; week/day: anchored periods),
        a forecast over a duration window blocks of that length from the epoch.
        """
        word = slo.window if isinstance(slo.window, str) else None
        if word is None and not slo.forecast:
            if slo.forecast_basis is not None:
                self.issue(path + ("forecast_basis",), "forecast_basis sets the basis of a forecast; "
                           "it needs forecast: true")
                return None
            return {}
        key = "window" if word is not None else "forecast"
        what = f"window: {word}" if word is not None else "forecast: true"
        if kind != "threshold" or slo.sli is None:
            got = "a ratio SLO" if kind == "ratio" else "a query: SLI"
            self.issue(path + (key,), f"{what} needs a sum SLI (sli: {{field: gen_ai.usage.cost, agg: sum}}); "
                       f"this is {got}")
            return None
        if agg != "sum":
            self.issue(path + (key,), f"{what} needs a sum SLI (sli: {{agg: sum}}); this SLI's agg is "
                       f"{slo.sli.agg}")
            return None
        if stype is not None and stype not in RECORD_SOURCES:
            self.issue(path + (key,), f"{what} needs a source that keeps records (file or demo); "
                       f"source {slo.source or ''!r} is {stype}".replace(" '' ", " "))
            return None
        if slo.objective.direction == "higher_is_better":
            # SPEC 10.4: a spend budget's target is the most the window may spend (its budget, its
            # budget-gone date and its burn rates read that way): lower is better, always
            self.issue(path + ("objective", "direction"), f"{what} makes a spend budget, which is lower is "
                       "better (the target is the most the window may spend); direction: higher_is_better "
                       "is not supported here")
            return None
        out: dict[str, Any] = {"forecast": slo.forecast}
        if slo.forecast_basis is not None:
            if not slo.forecast:
                self.issue(path + ("forecast_basis",), "forecast_basis sets the basis of a forecast; "
                           "it needs forecast: true")
                return None
            out["forecast_basis"] = float(slo.forecast_basis)
        from slotui.core.forecast import MONDAY

        if word is not None:
            out["calendar_window"] = word
            out["window"] = {"month": CALENDAR_MONTH_NOMINAL, "week": 7 * DAY, "day": DAY}[word]
            if slo.period is None and slo.period_start is None:
                out["period_origin"] = path + ("window",)
                if word == "month":
                    out["period"] = "calendar_month"
                else:
                    out["period"] = out["window"]
                    out["period_anchor"] = MONDAY if word == "week" else 0.0
        else:
            out["calendar_window"] = "fixed"
            if slo.period is None and slo.period_start is None and slo.window is not None:
                out["period"] = float(slo.window)
                out["period_anchor"] = 0.0
                out["period_origin"] = path + ("window",)
        return out

    def quality(self, metric: str, q: Any) -> None:
        path: KeyPath = ("quality_slos", metric)
        named = self.claim_name(metric, path)
        source = self.source_for(q.source, path)
        if not named or source is None:
            return
        # quality_slos are mostly read from results files (check --results), which look the
        # metric up by name: resolve it on a source whose fields are known, never reject it
        field_name = self.seed_metric(path, metric, source, strict=False)
        spec = self.common(
            path=path,
            name=metric,
            source=source,
            kind="threshold",
            target=q.target,
            warning=q.warning,
            critical=q.critical,
            direction=q.direction,
            objective_path=path,
            unit=q.unit,
            sli_field=field_name,
            sli_agg="mean",
        )
        if spec is not None:
            self.out.specs.append(spec)

    def rule(self, path: KeyPath, rule: AlertRule) -> None:
        named = self.claim_name(rule.name, path + ("name",))
        source = self.source_for(rule.source, path)
        try:
            cond = parse_condition(rule.condition)
        except ConditionError as exc:
            self.issue(path + ("condition",), exc.message + f" (got {rule.condition!r})", index=exc.column - 1)
            return
        if not named or source is None:
            return
        if rule.notification is not None and not self.rule_target(path + ("notification",), rule.notification):
            return
        field_name = self.seed_metric(path + ("condition",), cond.field, source)
        if field_name is None:
            return
        warning = critical = None
        if rule.severity == "warning":
            warning = cond.value
        else:
            critical = cond.value
        params: dict[str, Any] = {"condition": rule.condition, "severity": rule.severity}
        if rule.notification is not None:
            params["notification"] = rule.notification.model_dump(exclude_none=True)
        spec = self.common(
            path=path,
            name=rule.name,
            source=source,
            kind="threshold",
            target=cond.value,
            warning=warning,
            critical=critical,
            direction=cond.direction,
            objective_path=path + ("condition",),
            window=rule.window,
            own=frozenset({"window"}),  # a rule's window is its own (1 hour unless written), not defaults.window
            labels={"rule": rule.name},
            params=params,
            sli_field=field_name,
            sli_agg=cond.agg,
        )
        if spec is not None:
            self.out.specs.append(spec)

    # ------------------------------------------------------------------ all

    def run(self) -> Resolution:
        c = self.config
        self.check_sources()
        self.check_routes()
        if c.defaults.burn_rate is not None:
            self.default_tiers = self.tiers(c.defaults.burn_rate, ("defaults", "burn_rate")) or DEFAULT_TIERS
        for i, slo in enumerate(c.slos):
            self.slo(("slos", i), slo)
        for metric, q in c.quality_slos.items():
            self.slo(("quality_slos", metric), q.as_slo(metric), seed=True)
        for i, rule in enumerate(c.alert_rules):
            self.rule(("alert_rules", i), rule)
        for i, rule in enumerate(c.alerts.rules):
            self.rule(("alerts", "rules", i), rule)
        if not c.slos and not c.quality_slos and not c.alert_rules and not c.alerts.rules:
            self.issue((), "no SLOs: add slos:, quality_slos: or alert_rules: (see slotui schema)")
        if not c.sources and self.out.specs:
            self.out.warnings.append(
                "no sources: the SLOs can only be evaluated from results (slotui check --results FILE)"
            )
        for (severity, long, short, f, period), names in self.low_factor.items():
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            self.out.warnings.append(
                f"burn-rate tier {format_window(long)}/{format_window(short)} ({severity}) has factor "
                f"F={f:.4g} < 1 at period {_period_text(period)} for {shown}: it fires while the budget is "
                "still on track (use a shorter long window, a longer period, or an absolute factor)"
            )
        return self.out


_NONNEGATIVE_UNITS = {"ms": "a latency", "s": "a duration", "sec": "a duration", "seconds": "a duration",
                      "usd": "a cost", "$": "a cost", "eur": "a cost", "tokens": "a token count"}
_NONNEGATIVE_NAME = re.compile(
    r"(?P<latency>latency|duration|_ms$|_s$|_seconds$|response_time|ttft)|(?P<cost>cost|spend|price)|(?P<tokens>tokens?$)",
    re.IGNORECASE,
)


def _nonnegative_quantity(name: str, field: str | None, agg: str | None, unit: str) -> str | None:
    """What the SLI measures when it cannot be negative ("a latency", "a count"), else None."""
    if agg == "count":
        return "a count"
    by_unit = _NONNEGATIVE_UNITS.get(unit.strip().lower())
    if by_unit:
        return by_unit
    for text in (field or "", name):
        m = _NONNEGATIVE_NAME.search(text)
        if m:
            return {"latency": "a latency", "cost": "a cost", "tokens": "a token count"}[m.lastgroup or "latency"]
    return None


def _metric_candidates(metric: str) -> list[str]:
    """``helpfulness_score`` -> itself, evaluations.helpfulness_score, evaluations.helpfulness, helpfulness."""
    out = [metric, f"evaluations.{metric}"]
    if metric.endswith("_score") and len(metric) > len("_score"):
        base = metric[: -len("_score")]
        out += [f"evaluations.{base}", base]
    return out


def _closest_field(name: str, known: frozenset[str]) -> str | None:
    import difflib

    for candidate in _metric_candidates(name):
        if candidate in known:
            return candidate
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if not close:
        tail = {k.rsplit(".", 1)[-1]: k for k in known}
        close = [tail[c] for c in difflib.get_close_matches(name.rsplit(".", 1)[-1], sorted(tail), n=1, cutoff=0.6)]
    return close[0] if close else None


def _anchor(slo: SLOConfig, path: KeyPath, resolver: _Resolver) -> float | None:
    """``period_start`` as epoch seconds (UTC when naive); an error with ``period: calendar_month``."""
    if slo.period_start is None:
        return None
    if slo.period == "calendar_month":
        resolver.issue(path + ("period_start",), "period_start sets calendar periods of the period's length; "
                       "it cannot be combined with period: calendar_month")
        return None
    moment = slo.period_start
    if moment.tzinfo is None:
        from datetime import timezone

        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _char_name(ch: str) -> str:
    """``U+200B ZERO WIDTH SPACE``, ``a space``."""
    if ch == " ":
        return "a space"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()


def _from(origin: KeyPath | None, *, paren: bool = False) -> str:
    """``, defaults.period`` / ``, slotui's default`` after a value the SLO does not write itself
    (`` (defaults.period)`` with ``paren``)."""
    if origin is not None and origin[0] != "defaults":
        return ""
    what = "slotui's default" if origin is None else _dotted(origin)
    return f" ({what})" if paren else f", {what}"


def _dotted(path: KeyPath) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else ("." if i else "") + str(k) for i, k in enumerate(path))


_NICE = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 4 * 3600, 6 * 3600, 12 * 3600, DAY)


def _nice_at_least(seconds: float) -> str:
    for n in _NICE:
        if n >= seconds:
            return format_window(n)
    return format_window(seconds)


def _period_text(seconds: float) -> str:
    if seconds >= DAY and seconds % DAY == 0:
        return f"{int(seconds // DAY)}d"
    return format_window(seconds)


def resolve(config: Config, locate: Locator | None = None) -> Resolution:
    """Resolve every SLO of ``config``; problems are collected, never raised."""
    return _Resolver(config, locate or _no_location).run()
