"""Request records: parsing JSONL, OTLP/JSON and CSV lines into flat dicts.

A record is a ``dict`` with ``"time"`` (epoch seconds, float: the END of the
request) and the fields of the line. SPEC section 8 is the schema: dotted
names such as ``gen_ai.usage.cost`` are plain keys; a list ``evaluations`` of
``{"gen_ai.evaluation.name", "gen_ai.evaluation.score.value"}`` objects adds one
key ``evaluations.<name>`` per evaluation; a request succeeded when
``error.type`` is null or absent.

Line kinds understood by :class:`JsonLineParser` (auto-detected per line):

- a request record ``{"time": ..., ...}``;
- an evaluation result ``{"time", "trace_id", "event": "gen_ai.evaluation.result",
  "gen_ai.evaluation.name", "gen_ai.evaluation.score.value"}`` (returned apart,
  to be joined on ``trace_id`` by the caller);
- an OTLP/JSON export line ``{"resourceSpans": [...]}`` (the OpenTelemetry
  collector's file exporter): one record per span, ``time`` = end,
  ``duration_s`` = end - start, resource and span attributes as flat keys,
  ``error.type`` from the span's ``error.type`` attribute, else from an ERROR
  status (code 2) as its message or ``"error"``; span events named
  ``gen_ai.evaluation.result`` become ``evaluations.<name>``.

Times: RFC 3339 / ISO 8601 strings with any number of fractional digits
(``2023-11-16 18:15:46.6805900`` included), ``Z`` or ``+HH:MM`` offsets;
naive times are in the configured zone (UTC by default). Numbers are epoch
seconds (values above 1e11 are taken as ms, above 1e14 as µs, above 1e17 as ns).
With an explicit strptime ``time_format``, fractional digits beyond the six
``%f`` accepts are dropped (sub-microsecond precision is not kept).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timezone, tzinfo
from typing import Any

from slotui.config.expressions import nested_value

try:  # orjson is an optional speed-up; the stdlib parser gives the same records
    import orjson as _orjson

    #: strict and fast: standard JSON only (no NaN/Infinity, no BOM, no numbers beyond the double range)
    fast_loads = _orjson.loads
    JSON_ERRORS: tuple[type[Exception], ...] = (_orjson.JSONDecodeError, ValueError)
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None
    fast_loads = json.loads
    JSON_ERRORS = (ValueError,)

_BOM = b"\xef\xbb\xbf"


#: what DuckDB's JSON reader (yyjson: ALLOW_INF_AND_NAN, ALLOW_TRAILING_COMMAS) reads and the stdlib
#: parser does not, outside strings: ``nan``/``inf``/``infinity`` in any case with an optional ``-``,
#: and one comma after the last value of an object or list
_YYJSON_EXTRAS = re.compile(
    r'"(?:[^"\\]|\\.)*"'
    r"|(?<![A-Za-z0-9_.+-])(-?)(nan|inf(?:inity)?)(?![A-Za-z0-9_.+-])"
    r"|,(?=[ \t\r\n]*[\]}])",
    re.IGNORECASE,
)


def _standard_token(m: re.Match[str]) -> str:
    text = m.group(0)
    if text[0] == '"':
        return text
    if text == ",":  # a trailing comma, after a value only (yyjson refuses "[,]", "{,}", "[1,,]")
        before = m.string[: m.start()].rstrip(" \t\r\n")
        return text if before[-1:] in ("", "[", "{", ",", ":") else ""
    return "NaN" if m.group(2).lower() == "nan" else m.group(1) + "Infinity"


def lenient_loads(data: bytes | str) -> Any:
    """The stdlib parser, which also reads what writers produce beyond standard JSON:
    ``NaN``, ``Infinity``, ``-Infinity`` (Python's ``json.dumps`` default), numbers beyond
    the double range (``1e400`` is infinity) and a leading UTF-8 BOM; and what DuckDB's JSON
    reader reads too (:data:`_YYJSON_EXTRAS`: ``nan``, ``-inf``, ``INFINITY``, ``[1, 2,]``), so a
    log reads the same by either (``-nan`` is NaN). Raises ValueError."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data.startswith(_BOM):
            data = data[3:]
        data = data.decode("utf-8")
    elif data.startswith("\ufeff"):
        data = data[1:]
    try:
        try:
            return json.loads(data)
        except ValueError:
            standard = _YYJSON_EXTRAS.sub(_standard_token, data)
            if standard == data:
                raise
            return json.loads(standard)
    except RecursionError:  # nested deeper than the interpreter's recursion limit
        raise ValueError("nested too deeply") from None


def loads_json(data: bytes | str) -> Any:
    """A JSON document: :data:`fast_loads` first, :func:`lenient_loads` for what it refuses.

    Non-finite numbers come back as float NaN/inf; the SLIs decide what they mean
    (a non-finite value is missing for the SLIs that use its field). Raises one of
    :data:`JSON_ERRORS`.
    """
    try:
        return fast_loads(data)
    except JSON_ERRORS:
        return lenient_loads(data)

__all__ = [
    "EVALUATION_EVENT",
    "Malformed",
    "TimeParser",
    "JsonLineParser",
    "CsvParser",
    "normalize_record",
    "add_evaluations",
    "otlp_records",
    "coerce_number",
    "join_key",
]

EVALUATION_EVENT = "gen_ai.evaluation.result"
_EVAL_NAME = "gen_ai.evaluation.name"
_EVAL_SCORE = "gen_ai.evaluation.score.value"
_UTC = timezone.utc


class Malformed(ValueError):
    """A line that cannot become a record; the message says why (never fatal to the source)."""


# --------------------------------------------------------------------------- time


def _zone(name: str | None) -> tzinfo:
    if not name or name.upper() in ("UTC", "Z", "GMT"):
        return _UTC
    from zoneinfo import ZoneInfo  # imported only for a non-UTC zone

    return ZoneInfo(name)


class TimeParser:
    """Turns time values into epoch seconds (float), fast for RFC 3339 strings.

    The epoch second of each ``YYYY-MM-DD HH:MM`` prefix is cached, so a line
    costs a dictionary lookup and two number conversions.
    """

    __slots__ = ("zone", "time_format", "_minutes", "_utc_minutes", "_strip_frac")

    def __init__(self, zone: str | None = "UTC", time_format: str | None = None) -> None:
        self.zone = _zone(zone)
        self.time_format = time_format
        self._minutes: dict[str, float] = {}  # naive minute prefix -> epoch (in self.zone)
        self._utc_minutes: dict[str, float] = {}  # minute prefix of a zoned time -> epoch (UTC)
        self._strip_frac = time_format is not None and "%f" in time_format

    def __call__(self, value: Any) -> float:
        """Epoch seconds for ``value``; raises :class:`Malformed`."""
        if isinstance(value, str):
            if self.time_format is not None:
                return self._strptime(value)
            return self._iso(value)
        if isinstance(value, datetime):
            return (value if value.tzinfo is not None else value.replace(tzinfo=self.zone)).timestamp()
        if isinstance(value, date):  # a Parquet date column: its midnight, as a "2026-06-01" string is read
            return datetime(value.year, value.month, value.day, tzinfo=self.zone).timestamp()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Malformed(f"time is {type(value).__name__}, expected an RFC 3339 string or epoch seconds")
        t = float(value)
        if t != t or t in (float("inf"), float("-inf")):
            raise Malformed("time is not a finite number")
        if abs(t) >= 1e17:
            return t / 1e9
        if abs(t) >= 1e14:
            return t / 1e6
        if abs(t) >= 1e11:
            return t / 1e3
        return t

    def _minute(self, prefix: str, naive: bool) -> float:
        cache = self._minutes if naive else self._utc_minutes
        base = cache.get(prefix)
        if base is None:
            if not prefix.isascii():  # int() reads other scripts' digits ("２０２６"); RFC 3339 has ASCII ones
                raise Malformed(f"invalid time {prefix!r}: digits other than 0-9")
            try:
                dt = datetime(int(prefix[0:4]), int(prefix[5:7]), int(prefix[8:10]),
                              int(prefix[11:13]), int(prefix[14:16]),
                              tzinfo=self.zone if naive else _UTC)
            except ValueError as exc:
                raise Malformed(f"invalid time {prefix!r}: {exc}") from None
            base = dt.timestamp()
            if len(cache) > 100_000:
                cache.clear()
            cache[prefix] = base
        return base

    def _iso(self, s: str) -> float:
        # fast path: "YYYY-MM-DDTHH:MM:SS[.fff]Z" whose minute was seen (and validated) before
        if s[-1:] == "Z":
            base = self._utc_minutes.get(s[:16])
            if base is not None:
                sec = s[17:-1]
                # ":" then two ASCII digits (float() refuses others isdigit() accepts), 60 at most (a leap
                # second), then nothing or a fraction: anything else (one digit, another separator) is
                # for the full parser, as when its minute was not seen yet
                if (s[16:17] == ":" and len(sec) >= 2 and sec.isascii() and sec[:2].isdigit() and sec[:2] <= "60"
                        and (len(sec) == 2 or (sec[2] == "." and sec[3:].isdigit()))):
                    return base + float(sec)
        n = len(s)
        if n < 19 or s[4] != "-" or s[7] != "-" or s[13] != ":" or s[16] != ":" or s[10] not in "Tt ":
            if n == 10 and s[4] == "-" and s[7] == "-":
                return self._iso(s + "T00:00:00")
            raise Malformed(f"invalid time {s[:40]!r}: expected RFC 3339 (2026-06-01T12:00:03.120Z)")
        if not (s[17:19].isascii() and s[17:19].isdigit()) or s[17:19] > "60":  # 60: a leap second
            raise Malformed(f"invalid time {s[:40]!r}: bad seconds")
        j = 19
        if j < n and s[j] in ".,":
            j += 1
            while j < n and "0" <= s[j] <= "9":
                j += 1
            if j == 20:
                raise Malformed(f"invalid time {s[:40]!r}: empty fraction")
        seconds = float(s[17:j].replace(",", "."))
        rest = s[j:]
        if not rest:
            return self._minute(s[:16], naive=True) + seconds
        if rest in ("Z", "z"):
            offset = 0.0
        else:
            m = _OFFSET.match(rest)
            if m is None or m.group(2) > "23" or m.group(3) > "59":
                raise Malformed(f"invalid time {s[:40]!r}: bad zone offset {rest!r}")
            sign = -1.0 if m.group(1) == "-" else 1.0
            offset = sign * (int(m.group(2)) * 3600 + int(m.group(3)) * 60)
        return self._minute(s[:16], naive=False) + seconds - offset

    def _strptime(self, s: str) -> float:
        assert self.time_format is not None
        text = s.strip()
        if self._strip_frac:
            text = _LONG_FRACTION.sub(r"\1", text)
        try:
            dt = datetime.strptime(text, self.time_format)
        except ValueError as exc:
            raise Malformed(f"time {s[:40]!r} does not match {self.time_format!r}: {exc}") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.zone)
        return dt.timestamp()


_OFFSET = re.compile(r"^([+-])([0-9]{2}):?([0-9]{2})$")

_API_TIME = TimeParser("UTC")


def api_time(raw: Any, *, per_second: float | None = None) -> float | None:
    """Epoch seconds of a time in an API answer, or None when it is missing or unreadable.

    The one reading of API times for the HTTP sources (MLflow, Weave, Langfuse): RFC 3339 / ISO
    8601 strings with ``Z``, an offset (``+05:30``, ``+0530``) or none (UTC), ``T`` or a space,
    any number of fractional digits; numbers (and numeric strings) as epoch seconds, ms, µs or ns
    by magnitude, or ``per_second`` units a second when the API says which (MLflow: 1000, ms).
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        try:
            if not text.isascii() or "_" in text:  # float() also reads "1_700" and non-ASCII digits
                raise ValueError(text)
            raw = float(text)
        except ValueError:
            try:
                return _API_TIME(text)
            except (Malformed, ValueError, OverflowError):
                return None
    if not isinstance(raw, (int, float)):
        return None
    try:
        value = float(raw)
    except (OverflowError, ValueError):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if per_second is not None:
        return value / per_second
    try:
        return _API_TIME(value)
    except Malformed:
        return None


_LONG_FRACTION = re.compile(r"(\.\d{6})\d+", re.ASCII)


# --------------------------------------------------------------------------- values


def coerce_number(text: str) -> Any:
    """A CSV cell as a value: ``""`` is null, integers and decimals become numbers, else the text.

    ``nan``, ``inf``, ``Infinity`` become the non-finite floats they name (missing for the SLIs
    that read the column, and counted there); ``null``, ``none``, ``na``, ``n/a`` are null.
    Spaces around a number or word are padding (``1.5, 2.0`` written with ``", "``, as pandas and
    DuckDB read it); a text keeps them.
    """
    if not text:
        return None
    c = text[0]
    if c.isdigit() or c in "+-.":
        if "." in text or "e" in text or "E" in text:
            # int() refuses every text with these: go to float() without paying for its exception
            try:
                return float(text)
            except ValueError:
                return text
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    low = text.lower()
    if low in ("null", "none", "na", "n/a"):
        return None
    if low in ("nan", "inf", "infinity"):
        return float(low)
    if low in ("true", "false"):
        return low == "true"
    if c.isspace() or text[-1].isspace():  # (int() and float() already read "12 " and "1.5 ")
        padded = text.strip()
        value = coerce_number(padded) if padded else text
        return text if type(value) is str else value
    return text


def add_evaluations(record: dict[str, Any], evaluations: Any) -> None:
    """Flatten ``evaluations`` (a list of evaluation objects, or a name -> score mapping) into
    ``evaluations.<name>`` keys of ``record``."""
    if type(evaluations) is list:
        for item in evaluations:
            try:  # the SPEC shape, the common case
                record["evaluations." + item[_EVAL_NAME]] = item[_EVAL_SCORE]
                continue
            except (KeyError, TypeError):
                pass
            if isinstance(item, Mapping):
                name = item.get(_EVAL_NAME, item.get("name"))
                if isinstance(name, str):
                    score = item.get(_EVAL_SCORE)
                    if score is None:
                        score = item.get("score", item.get("value"))
                        if isinstance(score, Mapping):
                            score = score.get("value")
                    record["evaluations." + name] = score
    elif isinstance(evaluations, Mapping):
        for name, score in evaluations.items():
            if isinstance(score, Mapping):
                score = score.get("value", score.get("score"))
            record["evaluations." + str(name)] = score


def time_value(obj: Mapping[str, Any], time_field: str) -> Any:
    """The raw time of a record: ``time_field`` as every field is read (the flat key first, then the
    path through nested objects: ``time_field: meta.ts`` for ``{"meta": {"ts": ...}}``)."""
    raw = obj.get(time_field)
    if raw is None and "." in time_field:
        raw = nested_value(obj, time_field)
    return raw


def normalize_record(obj: dict[str, Any], time_of: TimeParser, time_field: str = "time") -> dict[str, Any]:
    """A JSON object as a record (in place): parsed ``time``, flat ``evaluations.<name>`` keys.

    Raises :class:`Malformed` when the time is missing or unreadable.
    """
    raw = time_value(obj, time_field)
    if raw is None:
        raise Malformed(f"no {time_field!r} field")
    obj["time"] = time_of(raw)
    evaluations = obj.get("evaluations")
    if evaluations is not None:
        add_evaluations(obj, evaluations)
    return obj


# --------------------------------------------------------------------------- OTLP


def join_key(trace_id: Any) -> Any:
    """``trace_id`` as the key evaluation results are joined on: None (the record is not joined)
    for an object or a list, which no key can be."""
    return None if isinstance(trace_id, (list, dict)) else trace_id


def _any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` as a plain value; None for one of another shape (a value, never an error)."""
    if not isinstance(value, Mapping):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])  # int64 is a JSON string in OTLP/JSON
        except (TypeError, ValueError):
            return None
    if "doubleValue" in value:
        v = value["doubleValue"]  # a number, or "NaN"/"Infinity"/"-Infinity" (proto3 JSON)
        try:
            return float(v) if isinstance(v, (int, float, str)) and not isinstance(v, bool) else None
        except (ValueError, OverflowError):
            return None
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [_any_value(v) for v in _list(_object(value["arrayValue"]).get("values"))]
    if "kvlistValue" in value:
        into: dict[str, Any] = {}
        _attributes(_object(value["kvlistValue"]).get("values"), into)
        return into
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` when it is an object, else an empty one (an OTLP field of another shape)."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one (an OTLP field of another shape)."""
    return value if isinstance(value, list) else []


def _attributes(items: Any, into: dict[str, Any]) -> None:
    for kv in _list(items):
        if isinstance(kv, Mapping) and isinstance(kv.get("key"), str):
            into[kv["key"]] = _any_value(kv.get("value"))


#: span times beyond this many nanoseconds (year 9999) are no times
_MAX_NANOS = 253_402_300_800 * 10**9


def _nanos(value: Any) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        nanos = int(value)
    except (TypeError, ValueError, OverflowError):  # (OverflowError: a float infinity)
        raise Malformed(f"span time {_short(repr(value))} is not a number of nanoseconds") from None
    if not 0 <= nanos <= _MAX_NANOS:
        raise Malformed(f"span time {_short(repr(value))} is out of range")
    return nanos


def _spans_of(obj: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], Mapping[str, Any]]]:
    """``(resource attributes, span)`` of an OTLP/JSON export line; raises :class:`Malformed` for a
    ``resourceSpans``, ``scopeSpans`` or ``spans`` that is not a list or an item not an object."""
    for rs in _items(obj.get("resourceSpans"), "resourceSpans"):
        resource: dict[str, Any] = {}
        _attributes(_object(rs.get("resource")).get("attributes"), resource)
        scopes = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans")
        for ss in _items(scopes, "scopeSpans"):
            for span in _items(ss.get("spans"), "spans"):
                yield resource, span


def _items(value: Any, name: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{name} is a JSON {type(value).__name__}, expected a list")
    for item in value:
        if not isinstance(item, Mapping):
            raise Malformed(f"an item of {name} is a JSON {type(item).__name__}, expected an object")
    return value


def otlp_records(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One record per span of an OTLP/JSON ``{"resourceSpans": [...]}`` export line; raises
    :class:`Malformed` for a line of another shape (the line is counted, the source goes on)."""
    out: list[dict[str, Any]] = []
    for resource, span in _spans_of(obj):
        start = _nanos(span.get("startTimeUnixNano"))
        end = _nanos(span.get("endTimeUnixNano", start))
        record: dict[str, Any] = dict(resource)
        _attributes(span.get("attributes"), record)
        record["name"] = span.get("name")
        if span.get("traceId"):
            record["trace_id"] = span.get("traceId")
        if span.get("spanId"):
            record["span_id"] = span.get("spanId")
        record["time"] = end / 1e9
        record["duration_s"] = (end - start) / 1e9
        record.setdefault("duration_ms", (end - start) / 1e6)
        status = _object(span.get("status"))
        code = status.get("code")
        if record.get("error.type") is None and code in (2, "2", "STATUS_CODE_ERROR", "ERROR"):
            record["error.type"] = status.get("message") or "error"
        else:
            record.setdefault("error.type", None)
        for event in _list(span.get("events")):
            if isinstance(event, Mapping) and event.get("name") == EVALUATION_EVENT:
                attrs: dict[str, Any] = {}
                _attributes(event.get("attributes"), attrs)
                name = attrs.get(_EVAL_NAME)
                if isinstance(name, str):
                    record["evaluations." + name] = attrs.get(_EVAL_SCORE)
        out.append(record)
    return out


# --------------------------------------------------------------------------- JSON lines


class JsonLineParser:
    """Parses JSON lines (request records, evaluation events, OTLP exports) into records."""

    def __init__(self, time_of: TimeParser, time_field: str = "time", columns: Mapping[str, str] | None = None) -> None:
        self.time_of = time_of
        self.time_field = time_field
        self.renames = [(column, field) for field, column in (columns or {}).items() if column != field]

    def parse(self, line: bytes | str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """``(records, evaluation_event)`` of one line; raises :class:`Malformed`."""
        try:
            obj = loads_json(line)
        except JSON_ERRORS as exc:
            raise Malformed(f"not JSON ({_short(exc)})") from None
        return self.parse_object(obj)

    def parse_object(self, obj: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """:meth:`parse` of an already decoded JSON value."""
        if not isinstance(obj, dict):
            raise Malformed(f"a JSON {type(obj).__name__}, expected an object")
        if "resourceSpans" in obj:
            return otlp_records(obj), None
        if OTHER_SIGNALS.intersection(obj) and "time" not in obj:
            return [], None  # an OTLP logs or metrics export line beside the spans: no request in it
        for column, field in self.renames:
            if column in obj:
                obj[field] = obj.pop(column)
        if obj.get("event") == EVALUATION_EVENT:
            raw = time_value(obj, self.time_field)
            obj["time"] = self.time_of(raw) if raw is not None else None
            name = obj.get(_EVAL_NAME)
            if not isinstance(name, str):
                raise Malformed(f"evaluation event without a {_EVAL_NAME!r}")
            if obj.get(_EVAL_SCORE) is None:  # {"gen_ai": {"evaluation": {"score": {"value": ...}}}}
                obj[_EVAL_SCORE] = _object(_object(_object(obj.get("gen_ai")).get("evaluation")).get("score")).get("value")
            return [], obj
        return [normalize_record(obj, self.time_of, self.time_field)], None


#: the keys of OTLP/JSON export lines of the other signals (a collector's file exporter writes them to
#: the same file when one pipeline holds all three): lines without requests, not malformed ones
OTHER_SIGNALS = frozenset({"resourceLogs", "resourceMetrics", "resourceProfiles"})


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 80 else text[:77] + "..."


# --------------------------------------------------------------------------- CSV


#: the longest CSV field read (the file source's longest line; the csv module's default is 128 KiB)
CSV_FIELD_LIMIT = 64 * 1024 * 1024


#: the delimiters a CSV header is tried with, in this order: the first that finds the time column
#: is the file's (``.tsv`` files try the tab first)
CSV_DELIMITERS = (",", "\t", ";", "|")
#: the most lines one CSV row may span (quoted fields with newlines): a quote left open longer is
#: read as the csv module reads it (then usually a row with the wrong number of fields)
CSV_ROW_LINES = 1000


def quote_left_open(text: str, delimiter: str) -> bool:
    """Whether the csv module's default dialect, having read ``text`` (the lines of one row, joined
    by newlines), is still inside a quoted field: the row goes on in the next line.

    A field is quoted when it starts with ``"``; inside it ``""`` is a quote and a lone ``"``
    ends the quoting (what follows up to the delimiter is kept, as the csv module does)."""
    if '"' not in text:
        return False
    i, n = 0, len(text)
    at_start = True
    while i < n:
        if at_start and text[i] == '"':
            while True:  # inside the quoted field
                j = text.find('"', i + 1)
                if j < 0:
                    return True
                if j + 1 < n and text[j + 1] == '"':
                    i = j + 1  # "" is a quote
                    continue
                i = j + 1
                break
            at_start = False
            continue
        j = text.find(delimiter, i)
        if j < 0:
            return False
        i, at_start = j + 1, True
    return False


def unique_names(names: list[str]) -> list[str]:
    """Header names made unique, like DuckDB's ``read_csv``: the first ``duration_s`` keeps its
    name, later ones become ``duration_s_1``, ``duration_s_2``... (the last one no longer wins
    silently); an empty name is ``column<i>`` (0-based position)."""
    seen = set(names)
    out: list[str] = []
    taken: set[str] = set()
    for i, name in enumerate(names):
        if not name:
            name = f"column{i}"
        if name in taken:
            k = 1
            while f"{name}_{k}" in taken or f"{name}_{k}" in seen:
                k += 1
            name = f"{name}_{k}"
        taken.add(name)
        out.append(name)
    return out


class CsvParser:
    """CSV rows as records: the first row is the header; numbers become numbers.

    ``columns`` renames (record field -> column name). ``time_field`` names the
    column (or renamed field) holding the time. The delimiter is the first of
    ``delimiters`` with which the header has the time column (``,`` tab ``;`` ``|``;
    the one giving the most columns when none does). A quoted field may hold
    newlines: its row spans lines, and a row whose quote is still open at the end
    of the lines given waits for the next lines (an append, the next chunk).
    """

    def __init__(self, time_of: TimeParser, time_field: str = "time", columns: Mapping[str, str] | None = None,
                 delimiters: tuple[str, ...] = CSV_DELIMITERS) -> None:
        self.time_of = time_of
        self.rename = {column: field for field, column in (columns or {}).items()}
        # time_field may name the column or the field it is renamed to
        self.time_field = self.rename.get(time_field, time_field)
        self.delimiters = delimiters
        self.header: list[str] | None = None
        #: the file's delimiter, found from its header row
        self.delimiter: str | None = None
        #: the lines of a row whose quoted field goes on past the lines read so far
        self.open_row: list[str] = []
        # the csv module refuses fields over 128 KiB (a prompt or response column): as long as a line may be
        if csv.field_size_limit() < CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)

    def reset(self) -> None:
        self.header = None
        self.delimiter = None
        self.open_row = []

    def _header_names(self, line: str, delimiter: str) -> list[str]:
        try:
            row = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            return []
        return [self.rename.get(c.strip(), c.strip()) for c in row]

    def _find_delimiter(self, line: str) -> str:
        widest = self.delimiters[0]
        most = 0
        for delimiter in self.delimiters:
            names = self._header_names(line, delimiter)
            if self.time_field in names:
                return delimiter
            if len(names) > most:
                widest, most = delimiter, len(names)
        return widest

    def parse_rows(self, lines: Iterable[str], *, hold: bool = True
                   ) -> Iterable[tuple[int, list[dict[str, Any]] | Malformed]]:
        """Yield ``(line_index, [record] or Malformed)`` per data row (the header row yields nothing).

        ``lines`` come without their newline. ``line_index`` is the row's first line in
        ``lines`` (negative for a row that began in lines given before). With ``hold``, a last
        row whose quoted field is still open is kept for the next call; without it (a last line
        that may still grow), that row is Malformed and nothing is kept or consumed.
        """
        before = self.open_row if hold else list(self.open_row)
        feed = before + list(lines)
        if hold:
            self.open_row = []
        first = len(before)
        if self.header is None and self.delimiter is None and feed:
            self.delimiter = self._find_delimiter(feed[0])
        delimiter = self.delimiter or ","
        reader = csv.reader(feed, delimiter=delimiter)
        time_of, time_field = self.time_of, self.time_field
        header: list[str] | None = None
        time_index = -1
        last = len(feed)
        while True:
            at = reader.line_num
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # one bad row is malformed, not the whole file (the source went down)
                yield at - first, Malformed(f"not a CSV row ({exc})")
                continue
            end = reader.line_num
            if end - at > 1 or end == last:  # a row over several lines (a quoted field with newlines)
                text = "\n".join(feed[at:end])
                if end == last and quote_left_open(text, delimiter):
                    if not hold:
                        yield at - first, Malformed("a quoted field is not closed yet")
                        break
                    if last - at < CSV_ROW_LINES:
                        self.open_row = feed[at:last]
                        break
                if end - at > 1:  # read again with its newlines (the lines came without them)
                    try:
                        row = next(csv.reader([text], delimiter=delimiter))
                    except csv.Error as exc:
                        yield at - first, Malformed(f"not a CSV row ({exc})")
                        continue
            index = at - first
            if self.header is None:
                self.header = unique_names([self.rename.get(c.strip(), c.strip()) for c in row])
                if self.time_field not in self.header:
                    yield index, Malformed(
                        f"the CSV header has no {self.time_field!r} column (columns: {', '.join(self.header)[:200]})"
                    )
                continue
            if header is not self.header:
                header = self.header
                time_index = header.index(time_field) if time_field in header else -1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(self.header):
                yield index, Malformed(f"{len(row)} fields, the header has {len(self.header)}")
                continue
            record = dict(zip(header, map(coerce_number, row)))
            raw = record.get(time_field)
            try:
                if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                    record["time"] = time_of(raw)
                elif time_index < 0:
                    raise Malformed(f"no {time_field!r} value: the CSV header has no such column")
                else:
                    record["time"] = time_of(row[time_index])
            except Malformed as exc:
                yield index, exc
                continue
            yield index, [record]


def parse_csv_text(text: str, parser: CsvParser) -> list[dict[str, Any]]:
    """All records of a CSV text (tests and one-shot use); malformed rows are skipped."""
    out: list[dict[str, Any]] = []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for _, result in parser.parse_rows(lines):
        if isinstance(result, list):
            out.extend(result)
    return out
