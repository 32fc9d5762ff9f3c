"""The typed model of ``slos.yaml`` (SPEC section 5.1).

Every field has a description that becomes the JSON Schema description.
Unknown keys are rejected (``extra="forbid"``). Durations are stored as
seconds (float) and accept ``30s``, ``5m``, ``1h``, ``7d``, ``4w``, ``1 hour``
or a number of seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from slotui.config.durations import check_bounded, check_interval, check_positive, check_slice, parse_duration
from slotui.config.text import (
    check_header_value,
    check_headers,
    check_host_name,
    check_http_url,
    check_name,
    check_non_blank,
    check_plain_base_url,
    check_smtp_login,
    check_text,
)
from slotui.core.forecast import CALENDAR_WINDOWS
from slotui.core.types import DEFAULT_PERIOD

#: Default cap on an HTTP source's answer (``max_body_bytes``): 8 MiB.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024

#: a duration longer than 0 (``interval: 0s`` would busy-loop the daemon)
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    AfterValidator(check_positive),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w|[a-z ]+)?\s*$"},
                {"type": "number", "minimum": 0},
            ],
            "description": "A duration: 30s, 5m, 1h, 7d, 4w, '1 hour', or seconds.",
        }
    ),
]

#: a poll interval: at least 1s (``interval: 1ms`` busy-looped the daemon as ``0s`` would)
Interval = Annotated[float, BeforeValidator(parse_duration), AfterValidator(check_interval),
                     WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number", "minimum": 1}],
                                     "description": "A duration of at least 1s: 30s, 5m, 1h."})]
#: a budget slice: at least 1s (and the period holds at most MAX_SLICES_PER_PERIOD of them, see resolve)
Slice = Annotated[float, BeforeValidator(parse_duration), AfterValidator(check_slice),
                  WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number", "minimum": 1}],
                                  "description": "A duration of at least 1s: 1m, 5m, 1h."})]


#: calendar window words of an SLO's ``window:`` (SPEC 10.4)
WINDOW_WORDS = CALENDAR_WINDOWS


def _window_or_word(value: object) -> object:
    """``month``/``week``/``day`` (any case) as the word; anything else as a duration."""
    if isinstance(value, str) and value.strip().isalpha():
        word = value.strip().lower()
        if word in WINDOW_WORDS:
            return word
        raise ValueError("expected a duration such as 30s, 5m, 1h, 7d, or a calendar window: month, week, day")
    try:
        return check_positive(parse_duration(value))  # type: ignore[arg-type]
    except ValueError as exc:
        # a malformed word or unit may have meant a calendar window; a negative or huge duration did not
        if isinstance(value, str) and not value.strip().startswith("-") and str(exc).startswith(
                "expected a duration such as"):
            raise ValueError(f"{exc}; or a calendar window: month, week, day") from None
        raise


#: an SLO's window: a duration, or a calendar window word (UTC) for ``sum`` SLIs
SLIWindow = Annotated[
    Union[float, str],
    BeforeValidator(_window_or_word),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w|[a-z ]+)?\s*$"},
                {"type": "string", "enum": list(WINDOW_WORDS)},
                {"type": "number", "minimum": 0},
            ],
            "description": "A duration (30s, 5m, 1h, 7d) or, for sum SLIs, a UTC calendar window: month, week, day.",
        }
    ),
]


#: a duration that may be 0 (``for: 0s``: fire at once)
DurationOrZero = Annotated[
    float,
    BeforeValidator(parse_duration),
    AfterValidator(check_bounded),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w|[a-z ]+)?\s*$"},
                {"type": "number", "minimum": 0},
            ],
            "description": "A duration: 0s, 30s, 5m, 1h, 7d, 4w, '1 hour', or seconds.",
        }
    ),
]
#: a name or label shown in logs, the TUI and notifications: no control or bidi characters
Name = Annotated[str, AfterValidator(check_name)]
#: free text (description): newlines and tabs allowed, no other control or bidi characters
Text = Annotated[str, AfterValidator(check_text)]
#: a path, URL, host, project or credential: not empty or only blanks (an empty ${VAR})
Required = Annotated[str, AfterValidator(check_non_blank)]
#: an http:// or https:// URL with a host (and a port from 1 to 65535)
HttpURL = Annotated[str, AfterValidator(check_non_blank), AfterValidator(check_http_url)]
#: a required name: both of the above
RequiredName = Annotated[str, AfterValidator(check_non_blank), AfterValidator(check_name)]
#: extra HTTP headers (RFC 9110 names, printable ASCII values)
Headers = Annotated[dict[RequiredName, Name], AfterValidator(check_headers)]
#: a credential sent in an HTTP header (a bearer token): printable ASCII
HeaderSecret = Annotated[str, AfterValidator(check_header_value)]
#: an SMTP AUTH user name or password: printable ASCII
SMTPLogin = Annotated[str, AfterValidator(check_smtp_login)]


def check_time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Paris``) or UTC, checked now rather than at the first fetch."""
    if name.strip().upper() in ("UTC", "Z", "GMT"):
        return name
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name such as UTC or Europe/Paris") from None
    return name


TimeZone = Annotated[str, AfterValidator(check_non_blank), AfterValidator(check_time_zone)]


def _check_confidence(value: float) -> float:
    from slotui.core.intervals import check_confidence

    check_confidence(value)
    return value


#: a two-sided confidence with room for an interval (0 < c < 1, and 1 - (1 - c) / 2 below 1)
Confidence = Annotated[float, Field(gt=0, lt=1), AfterValidator(_check_confidence)]


class Model(BaseModel):
    # NaN and infinities are rejected in every number field (``target: .nan``).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    def __repr_args__(self) -> Any:
        # repr() and str() of any config show its secrets masked, as validate --show does
        from slotui.config.secrets import repr_value

        for name, value in super().__repr_args__():
            yield name, (repr_value(type(self), name, value) if name else value)


# --------------------------------------------------------------------------- defaults


class Defaults(Model):
    """Values every SLO and source inherits unless it sets its own."""

    interval: Interval = Field(30.0, description="How often sources are polled (at least 1s).")
    window: Duration = Field(3600.0, description="How far back the current SLI value looks.")
    period: Duration | Literal["calendar_month"] = Field(
        DEFAULT_PERIOD, description="Compliance period of the error budget (rolling), or calendar_month."
    )
    slice: Slice = Field(300.0, description="Time-slice length for threshold SLO budgets (at least 1s).")
    timeout: Duration = Field(10.0, description="Per-source fetch timeout.")
    compliance: float = Field(
        0.99, gt=0, lt=1, description="Share of slices that must meet the target (threshold SLOs)."
    )
    at_risk_below: float = Field(
        0.25, ge=0, le=1, description="A ratio SLO is AT RISK when budget remaining falls below this share."
    )
    breakdown: list[RequiredName] = Field(
        default_factory=list,
        description="Record fields or labels every SLO that sets none is broken down by "
        "(which model, route or prompt version burns the budget).",
    )
    significant: bool = Field(
        False,
        description="Every SLO: WARNING/CRITICAL only when the whole confidence interval of the SLI is past "
        "the threshold, else AT RISK with a 'not significant' note (objective.significant overrides).",
    )
    min_samples: int = Field(
        1, ge=1, description="Every SLO: windows with fewer samples are 'low samples' and never alert."
    )
    confidence: Confidence = Field(
        0.95, description="Every SLO: two-sided confidence of the SLI's interval (0.95 = 95%)."
    )
    burn_rate: list[BurnTierConfig] | None = Field(
        None,
        description="Burn-rate tiers for every SLO that sets none. Unset: at a 7d period 1h/5m x14.4, "
        "6h/30m x6, 1d/2h x1; at other periods the SRE workbook tiers (2%, 5%, 10% of the budget "
        "over 1h/5m, 6h/30m, 3d/6h).",
    )


# --------------------------------------------------------------------------- sources


class SourceBase(Model):
    timeout: Duration | None = Field(None, description="Fetch timeout; defaults.timeout when unset.")
    interval: Interval | None = Field(None, description="Poll interval (at least 1s); defaults.interval when unset.")
    max_concurrency: int = Field(4, ge=1, le=256, description="Concurrent requests this source may make.")


class DemoSourceConfig(SourceBase):
    """Deterministic synthetic support-bot traffic with scripted incidents."""

    type: Literal["demo"] = Field(description="demo: the embedded traffic generator (no credentials, no network)")
    seed: int = Field(7, description="Random seed; the same seed gives the same traffic.")
    rate: float = Field(2.0, gt=0, le=1000, description="Mean requests per second.")


class FileSourceConfig(SourceBase):
    """Request logs: JSONL records, OTLP/JSON lines, CSV (or Parquet) with a column mapping."""

    type: Literal["file"] = Field(description="file: a request log read like tail -f (JSONL, OTLP JSON lines, CSV/TSV, Parquet)")
    path: Required = Field(description="Path of the log file (relative to the SLO file).")
    format: Literal["auto", "jsonl", "otlp", "csv", "parquet"] = Field(
        "auto", description="File format; auto picks by extension and first line."
    )
    time_field: Required = Field("time", description="Field or column holding the record time (end of request).")
    time_format: str | None = Field(
        None, description="strptime format of the time column; RFC 3339 / ISO 8601 when unset."
    )
    timezone: TimeZone = Field("UTC", description="Zone of naive timestamps (an IANA name).")
    columns: dict[str, str] = Field(
        default_factory=dict, description="Rename columns: record field -> column name."
    )
    fields: dict[str, str] = Field(
        default_factory=dict, description="Derived fields: name -> safe expression over other fields."
    )
    follow: bool = Field(True, description="Follow appends like tail -f; false: read the whole file again "
                                           "whenever it changes (a file an export rewrites).")


class BasicAuth(Model):
    """HTTP basic authentication."""

    username: Required = Field(description="User name.")
    password: Required = Field(description="Password (use ${ENV_VAR}; never shown).", json_schema_extra={"secret": True})


class TLSOptions(Model):
    """TLS client options."""

    ca_file: str | None = Field(None, description="CA bundle (PEM) to verify the server.")
    cert_file: str | None = Field(None, description="Client certificate (PEM).")
    key_file: str | None = Field(None, description="Client private key (PEM).")
    insecure_skip_verify: bool = Field(False, description="Do not verify the server certificate.")


class HTTPSourceBase(SourceBase):
    url: HttpURL = Field(description="Base URL of the API.")
    headers: Headers = Field(
        default_factory=dict, description="Extra request headers (Authorization and API keys are never shown)."
    )
    basic_auth: BasicAuth | None = Field(None, description="HTTP basic authentication.")
    bearer_token: HeaderSecret | None = Field(
        None, description="Bearer token (use ${ENV_VAR}; never shown).", json_schema_extra={"secret": True}
    )
    tls: TLSOptions | None = Field(None, description="TLS client options.")
    max_body_bytes: int | None = Field(
        DEFAULT_MAX_BODY_BYTES,
        ge=1,
        description="Largest answer read, in bytes (default 8 MiB): a bigger one is an error naming the source, "
        "read no further than the cap.",
    )


class PrometheusSourceConfig(HTTPSourceBase):
    """Any Prometheus-compatible query API (Prometheus, Thanos, Mimir, VictoriaMetrics)."""

    type: Literal["prometheus"] = Field(description="prometheus: PromQL instant and range queries against a Prometheus-compatible API")
    step: Duration | None = Field(None, description="query_range step; the SLO slice when unset.")
    rules: Literal["auto", "recorded", "raw"] = Field(
        "auto",
        description="Ratio SLOs: read the recorded slo:sli_error:ratio_rate<window> series of slotui export "
        "prometheus-rules (or Sloth) instead of the raw queries: recorded, raw, or auto (recorded when every "
        "window the SLO needs is recorded).",
    )


class LangSmithSourceConfig(SourceBase):
    """LangSmith through its SDK client."""

    type: Literal["langsmith"] = Field(description="langsmith: LangSmith run statistics of a project")
    api_url: Annotated[HttpURL, AfterValidator(check_plain_base_url)] = Field(
        "https://api.smith.langchain.com", description="LangSmith API endpoint (no query string: the SDK adds its paths)."
    )
    api_key: HeaderSecret | None = Field(
        None, description="LangSmith API key (use ${LANGSMITH_API_KEY}; never shown).", json_schema_extra={"secret": True}
    )
    project: RequiredName = Field(description="Tracing project (session) name.")
    max_body_bytes: int | None = Field(
        DEFAULT_MAX_BODY_BYTES,
        ge=1,
        description="Largest answer read, in bytes (default 8 MiB): a bigger one is an error naming the source.",
    )


def _id_text(value: Any) -> Any:
    """An id written as a YAML integer (``experiment_id: 42``, as MLflow shows it) is that id's text."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


class MLflowSourceConfig(HTTPSourceBase):
    """MLflow tracking server REST API."""

    type: Literal["mlflow"] = Field(description="mlflow: MLflow evaluation runs and traces of an experiment")
    experiment: RequiredName | None = Field(
        None, description="Experiment name, matched exactly (set this or experiment_id, not both)."
    )
    experiment_id: Annotated[Required, BeforeValidator(_id_text)] | None = Field(
        None, description="Experiment id (instead of experiment), e.g. 42 or \"42\"."
    )
    token: HeaderSecret | None = Field(
        None, description="MLflow access token (never shown).", json_schema_extra={"secret": True}
    )


class WeaveSourceConfig(HTTPSourceBase):
    """W&B Weave trace server."""

    type: Literal["weave"] = Field(description="weave: W&B Weave calls and their feedback")
    url: HttpURL = Field("https://trace.wandb.ai", description="Weave trace server URL.")
    api_key: Required | None = Field(
        None, description="W&B API key (use ${WANDB_API_KEY}; never shown).", json_schema_extra={"secret": True}
    )
    project: RequiredName = Field(description="entity/project")
    max_body_bytes: int | None = Field(
        DEFAULT_MAX_BODY_BYTES,
        ge=1,
        description="Largest page read, in bytes (default 8 MiB): a bigger page is asked again in halves, down to "
        "one call; a call bigger than the cap is an error naming the source.",
    )


class LangfuseSourceConfig(HTTPSourceBase):
    """Langfuse public metrics API."""

    type: Literal["langfuse"] = Field(description="langfuse: the Langfuse metrics API (observations, scores)")
    url: HttpURL = Field("https://cloud.langfuse.com", description="Langfuse host.")
    public_key: Required | None = Field(None, description="Langfuse public key (set with secret_key).")
    secret_key: Required | None = Field(
        None, description="Langfuse secret key (set with public_key; never shown).", json_schema_extra={"secret": True}
    )


class HttpSourceConfig(HTTPSourceBase):
    """Any JSON endpoint; each SLO selects a value by a path expression (its ``query``)."""

    type: Literal["http"] = Field(description="http: any JSON API, a value picked from its answer")
    method: Literal["GET", "POST"] = Field("GET", description="HTTP method.")
    body: Any = Field(None, description="JSON body sent with POST.")


SourceConfig = Annotated[
    Union[
        DemoSourceConfig,
        FileSourceConfig,
        PrometheusSourceConfig,
        LangSmithSourceConfig,
        MLflowSourceConfig,
        WeaveSourceConfig,
        LangfuseSourceConfig,
        HttpSourceConfig,
    ],
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- SLOs


class Objective(Model):
    """Target and optional thresholds. Direction is inferred from their order when possible."""

    target: float = Field(description="The objective the SLI must meet.")
    warning: float | None = Field(None, description="Worse than this is WARNING.")
    critical: float | None = Field(None, description="Worse than this is CRITICAL.")
    direction: Literal["higher_is_better", "lower_is_better"] | None = Field(
        None, description="Must agree with the thresholds' order when both are given."
    )
    compliance: float | None = Field(
        None, gt=0, lt=1, description="Threshold SLOs: share of slices in the period that must meet the target."
    )
    strict: bool = Field(
        False,
        description="Equality with target, warning or critical misses them (OpenSLO lt/gt); "
        "by default equality meets (lte/gte).",
    )
    significant: bool | None = Field(
        None,
        description="WARNING/CRITICAL only when the whole confidence interval of the SLI is past the threshold, "
        "else AT RISK with a 'not significant' note; defaults.significant when unset.",
    )
    min_samples: int | None = Field(
        None, ge=1, description="Windows with fewer samples are 'low samples' and never alert; defaults.min_samples when unset."
    )
    confidence: Confidence | None = Field(
        None, description="Two-sided confidence of the SLI's interval; defaults.confidence (0.95) when unset."
    )


class SLISpecConfig(Model):
    """Aggregate of a record field over the window."""

    field: Required = Field(description="Dotted field name; evaluations.<name> is an evaluation score.")
    agg: str = Field("mean", description="mean, sum, count, min, max, median, or a percentile p0..p100 (p95, p99.9).")
    where: str | None = Field(None, description="Only records matching this condition.")


class RatioSpecConfig(Model):
    """good/total events. For request logs, conditions over records; for Prometheus, PromQL."""

    good: Required = Field(description="Condition (file) or query (prometheus) for good events.")
    total: str | None = Field(None, description="Condition or query for all events; all records when unset.")


class BurnTierConfig(Model):
    """One multi-window burn-rate tier: fires when both windows burn faster than the factor."""

    severity: Literal["critical", "warning", "page", "ticket"] = Field(
        description="critical (page) or warning (ticket)."
    )
    long: Duration = Field(description="Long window.")
    short: Duration = Field(description="Short window.")
    budget: float | None = Field(None, gt=0, le=1, description="Share of the budget spent at trigger.")
    factor: float | None = Field(None, gt=0, description="Absolute burn-rate factor (instead of budget).")


class SLOConfig(Model):
    """One service level objective."""

    name: RequiredName = Field(description="Unique name; the alert fingerprint uses it.")
    source: Name | None = Field(None, description="Name of a source under sources:; the only source when unset.")
    description: Text = Field("", description="Free text shown in the detail pane and alerts.")
    service: Name | None = Field(None, description="Service label in alerts.")
    sli: SLISpecConfig | None = Field(None, description="Threshold SLO: an aggregate of a record field.")
    ratio: RatioSpecConfig | None = Field(None, description="Ratio SLO: good/total events.")
    query: str | None = Field(None, description="Source-specific query (PromQL, metric name, JSON path).")
    params: dict[str, Any] = Field(default_factory=dict, description="Source-specific options.")
    objective: Objective = Field(description="Target, thresholds and direction.")
    window: SLIWindow | None = Field(
        None,
        description="How far back the current SLI looks; defaults.window when unset. Sum SLIs also take a UTC "
        "calendar window: month, week (from Monday) or day (to date).",
    )
    forecast: bool = Field(
        False,
        description="Sum SLIs: judge the projected end-of-window value so_far + rate x time_left (spend budgets).",
    )
    forecast_basis: Duration | None = Field(
        None, description="With forecast: the rate is measured over this much before now (default 24h; the window "
        "so far if shorter).",
    )
    period: Duration | Literal["calendar_month"] | None = Field(
        None, description="Compliance period (rolling) or calendar_month; defaults.period when unset."
    )
    slice: Slice | None = Field(None, description="Time-slice length for the budget (at least 1s); defaults.slice when unset.")
    period_start: datetime | None = Field(
        None,
        description="Calendar periods instead of a rolling one: consecutive periods of the period's length "
        "starting at this moment (RFC 3339; UTC when no offset), e.g. calendar weeks.",
    )
    unit: Name = Field("", description="Unit shown after values: ms, s, usd, %, ...")
    labels: dict[RequiredName, Name] = Field(default_factory=dict, description="Extra alert labels (for routes and silences).")
    runbook: Name | None = Field(None, description="Runbook URL linked from alerts and the detail pane.")
    min_events: int | None = Field(
        None, ge=0, description="Windows with fewer events do not fire alerts (low traffic); default 1."
    )
    at_risk_below: float | None = Field(
        None, ge=0, le=1, description="Ratio SLOs: AT RISK below this budget remaining; defaults.at_risk_below when unset."
    )
    for_: DurationOrZero = Field(0.0, alias="for", description="Pending duration before an alert fires.")
    burn_rate: list[BurnTierConfig] | None = Field(
        None, description="Multi-window burn-rate tiers; the SRE workbook default when unset."
    )
    breakdown: list[RequiredName] | None = Field(
        None,
        description="Record fields (file, demo) or labels (Prometheus) to break the SLI down by, "
        "e.g. [gen_ai.request.model, route]; defaults.breakdown when unset; [] for none.",
    )


# --------------------------------------------------------------------------- alerts


class ChannelBase(Model):
    """Common options of notification channels."""

    send_resolved: bool = Field(
        True, description="Also notify when an alert resolves (an Alertmanager channel always posts the resolve)."
    )

    @property
    def posts_resolved(self) -> bool:
        """Whether resolves go to this channel: ``send_resolved``, except that an Alertmanager channel
        always posts them (the resolve ends the alert there; its receivers decide who hears of it)."""
        return self.send_resolved or self.type == "alertmanager"  # type: ignore[attr-defined]


class SlackChannel(ChannelBase):
    """Slack incoming webhook."""

    type: Literal["slack"] = Field(description="slack: an incoming webhook (Block Kit message)")
    webhook_url: HttpURL = Field(
        description="Incoming webhook URL (use ${SLACK_WEBHOOK_URL}; shown masked).", json_schema_extra={"secret": True}
    )
    channel: Name | None = Field(None, description="Channel override, e.g. #llm-alerts.")
    username: Name | None = Field(None, description="Sender name override.")
    timeout: Duration = Field(10.0, description="Request timeout.")


class PagerDutyChannel(ChannelBase):
    """PagerDuty Events API v2."""

    type: Literal["pagerduty"] = Field(description="pagerduty: Events API v2 (trigger, acknowledge, resolve)")
    routing_key: Required = Field(
        description="Integration routing key (use ${PAGERDUTY_ROUTING_KEY}; never shown).",
        json_schema_extra={"secret": True},
    )
    timeout: Duration = Field(10.0, description="Request timeout (each event).")
    url: HttpURL = Field("https://events.pagerduty.com/v2/enqueue", description="Events API endpoint.")


class EmailChannel(ChannelBase):
    """SMTP email."""

    type: Literal["email"] = Field(description="email: SMTP (STARTTLS or TLS), plain text and HTML")
    host: Annotated[Required, AfterValidator(check_host_name)] = Field(description="SMTP server host.")
    port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS.")
    tls: bool = Field(False, description="Connect with implicit TLS (port 465).")
    username: SMTPLogin | None = Field(None, description="SMTP user name.")
    password: SMTPLogin | None = Field(
        None, description="SMTP password (use ${SMTP_PASSWORD}; never shown).", json_schema_extra={"secret": True}
    )
    from_: RequiredName = Field(alias="from", description="Sender address.")
    to: list[RequiredName] = Field(min_length=1, description="Recipient addresses.")
    timeout: Duration = Field(10.0, description="Connection timeout.")
    ca_file: str | None = Field(
        None, description="PEM CA bundle that signs the SMTP server's certificate (relative to the SLO file); system CAs when unset."
    )


class WebhookChannel(ChannelBase):
    """Generic JSON webhook (POST)."""

    type: Literal["webhook"] = Field(description="webhook: a JSON POST (Alertmanager's webhook payload)")
    url: HttpURL = Field(description="Endpoint URL (shown masked).", json_schema_extra={"secret": True})
    bearer_token: HeaderSecret | None = Field(
        None, description="Bearer token (never shown).", json_schema_extra={"secret": True}
    )
    basic_auth: BasicAuth | None = Field(None, description="HTTP basic authentication.")
    headers: Headers = Field(
        default_factory=dict, description="Extra headers (Authorization and API keys are never shown)."
    )
    timeout: Duration = Field(10.0, description="Request timeout.")


class AlertmanagerChannel(ChannelBase):
    """Prometheus Alertmanager API v2."""

    type: Literal["alertmanager"] = Field(description="alertmanager: alerts posted to Alertmanager's /api/v2/alerts")
    url: HttpURL = Field(description="Alertmanager base URL, e.g. http://127.0.0.1:9093.")
    mirror_silences: bool = Field(True, description="Mirror slotui silences to /api/v2/silences.")
    alert_ttl: Duration = Field(
        6 * 3600.0,
        description="endsAt of a posted firing alert is now + this; slotui must re-send sooner (it lapses otherwise).",
    )
    basic_auth: BasicAuth | None = Field(None, description="HTTP basic authentication.")
    bearer_token: HeaderSecret | None = Field(
        None, description="Bearer token (never shown).", json_schema_extra={"secret": True}
    )
    timeout: Duration = Field(10.0, description="Request timeout.")


class FileChannel(ChannelBase):
    """JSON lines appended to a local file (works offline; the demo's channel)."""

    type: Literal["file"] = Field(description="file: each notification appended to a JSON-lines file (audits, tests)")
    path: Required = Field(description="JSON lines are appended here (relative to the SLO file).")


ChannelConfig = Annotated[
    Union[SlackChannel, PagerDutyChannel, EmailChannel, WebhookChannel, AlertmanagerChannel, FileChannel],
    Field(discriminator="type"),
]


def _check_route_matcher(text: str) -> str:
    """An Alertmanager matcher (``team="llm"``, ``slo=~"help.*"``, ``env!~"dev|test"``)."""
    from slotui.alerting.silence import parse_matcher

    parse_matcher(text)
    return text


class Route(Model):
    """Send alerts matching a severity and labels to channels."""

    severity: Literal["warning", "critical", "page"] | None = Field(None, description="Match this severity.")
    match: dict[RequiredName, Name] = Field(
        default_factory=dict, description="Label equality matchers (a label the alert lacks is \"\")."
    )
    matchers: list[Annotated[str, AfterValidator(_check_route_matcher)]] = Field(
        default_factory=list,
        description="Alertmanager matchers, all must hold: name=value, name!=value, name=~regex, name!~regex "
        "(regexes fully anchored, RE2).",
    )
    channels: list[RequiredName] = Field(description="Names of channels under alerts.channels.")
    continue_: bool = Field(True, alias="continue", description="Keep matching later routes.")


def _check_group_by(names: list[str]) -> list[str]:
    """``...`` (every label) stands alone, as Alertmanager requires."""
    if "..." in names and len(names) > 1:
        raise ValueError("'...' groups by every label and cannot be listed with other labels; expected ['...'] alone")
    return names


class GroupConfig(Model):
    """Alert grouping and repeat timing (Alertmanager semantics)."""

    by: Annotated[list[RequiredName], AfterValidator(_check_group_by)] = Field(
        default_factory=lambda: ["severity"],
        description="Labels that form a group; ['...'] groups by every label (one group per alert).",
    )
    wait: DurationOrZero = Field(
        30.0, description="Wait before the first notification of a new group (0s: notify at once)."
    )
    interval: Duration = Field(300.0, description="Wait before notifying about new alerts in a group.")
    repeat: Duration = Field(4 * 3600.0, description="Re-send a still-firing group after this long.")


class EscalateConfig(Model):
    """Raise the severity of an unacknowledged alert after a while."""

    warning_to_critical_after: Duration | None = Field(None, description="WARNING becomes CRITICAL after this long.")
    critical_to_page_after: Duration | None = Field(None, description="CRITICAL pages after this long.")


class RuleNotification(Model):
    """Where a LangSmith-style rule notifies (kept as alert parameters)."""

    type: RequiredName = Field(description="slack, email, pagerduty, webhook ...")
    channel: Name | None = Field(None, description="Destination, e.g. #llm-alerts.")


class AlertRule(Model):
    """LangSmith-style rule: ``condition: "avg(helpfulness_score) < 0.8"``, ``window: "1 hour"``."""

    name: RequiredName = Field(description="Rule name; becomes the SLO name.")
    condition: Required = Field(description="agg(field) OP number, e.g. avg(helpfulness_score) < 0.8.")
    window: Duration = Field(3600.0, description="Window the aggregate looks back over.")
    source: Name | None = Field(None, description="Source name; the only source when unset.")
    severity: Literal["warning", "critical", "page"] = Field(
        "warning", description="Status when the condition holds."
    )
    notification: RuleNotification | None = Field(None, description="Where the rule notifies.")


class AlertsConfig(Model):
    """Notification channels, routes, grouping and escalation."""

    channels: dict[RequiredName, ChannelConfig] = Field(default_factory=dict, description="Named notification channels.")
    routes: list[Route] = Field(default_factory=list, description="Routes, matched in order.")
    group: GroupConfig = Field(default_factory=GroupConfig, description="Grouping and repeat timing.")
    escalate: EscalateConfig = Field(default_factory=EscalateConfig, description="Escalation of unacked alerts.")
    rules: list[AlertRule] = Field(default_factory=list, description="LangSmith-style alert rules (seed form).")


class QualitySLO(Model):
    """The seed's ``quality_slos:`` form: ``accuracy: {target: 0.90, warning: 0.85, critical: 0.75}``."""

    target: float = Field(description="The objective.")
    warning: float | None = Field(None, description="Worse than this is WARNING.")
    critical: float | None = Field(None, description="Worse than this is CRITICAL.")
    direction: Literal["higher_is_better", "lower_is_better"] | None = Field(
        None, description="Inferred from the thresholds' order when unset."
    )
    source: Name | None = Field(None, description="Source name; the only source when unset.")
    unit: Name = Field("", description="Unit shown after values.")

    def as_slo(self, metric: str) -> "SLOConfig":
        """The same SLO in the model every SLO goes through: a threshold SLO on the mean of ``metric``."""
        objective = Objective(target=self.target, warning=self.warning, critical=self.critical,
                              direction=self.direction)
        return SLOConfig(name=metric, source=self.source, unit=self.unit,
                         sli=SLISpecConfig(field=metric, agg="mean"), objective=objective)


class Config(Model):
    """A whole SLO file."""

    version: Literal[1] = Field(1, description="File format version.")
    defaults: Defaults = Field(default_factory=Defaults, description="Values SLOs and sources inherit.")
    sources: dict[RequiredName, SourceConfig] = Field(default_factory=dict, description="Named metric sources.")
    slos: list[SLOConfig] = Field(default_factory=list, description="Service level objectives.")
    quality_slos: dict[RequiredName, QualitySLO] = Field(
        default_factory=dict, description="Seed form: metric -> {target, warning, critical} (threshold SLOs)."
    )
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, description="Notification channels and routes.")
    alert_rules: list[AlertRule] = Field(default_factory=list, description="LangSmith-style alert rules (seed form).")
