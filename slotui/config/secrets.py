"""Masking secrets whenever a config is shown (``slotui validate --show``, the TUI, logs).

- :func:`mask` hides a secret value: a URL keeps its scheme and host
  (``https://hooks.slack.com/…/****``); anything else becomes ``****``.
- :func:`masked_dump` dumps a config model as plain data with every field
  marked ``json_schema_extra={"secret": True}`` masked, passwords in URLs
  (``https://user:****@host``) masked, and credential headers (Authorization,
  API keys, tokens, cookies) masked.
- :func:`mask_url` keeps a URL readable but hides its user-info password and
  the value of every query parameter named like a credential (``api_key``,
  ``token``, ``sig`` ...); :func:`mask_urls_in_text` does it to every URL in a
  message.
- :class:`Redactor` masks the configured secret values of a config in any text
  (error messages, logs, stored delivery errors), in every form they leak in:
  as is, percent-encoded, base64 with and without padding, and the
  ``user:password`` of a basic auth as its Basic credential; and the start of
  one cut short by :func:`clip` (a quoted answer ending ``routing_key":"R0UT…``).
- :func:`clip` is the one way text is shortened for display: it marks the cut
  with ``…``, which is how a Redactor applied afterwards knows to mask a
  secret's beginning left in front of it.

Masking is by value of real secrets and by the names of secret-looking
parameters, never by substrings of ordinary words: ``type: webhook`` stays
``webhook``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

from pydantic import BaseModel

MASK = "****"
#: The mark :func:`clip` leaves where it cut text short.
CUT = "…"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_CREDENTIAL_HEADER_WORDS = ("auth", "api-key", "api_key", "apikey", "token", "secret", "password",
                            "signature", "cookie", "key")
#: credential headers whose names hold none of those words (Honeycomb's API key)
_CREDENTIAL_HEADERS = frozenset({"x-honeycomb-team"})


def _host(value: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of a URL, without any userinfo; None if not a URL."""
    if not _URL.match(value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return parts.scheme, host + (f":{port}" if port else "")


def mask(value: Any) -> str:
    """Hide a secret: ``https://hooks.slack.com/services/T0/B0/xyz`` -> ``https://hooks.slack.com/…/****``.

    Non-URLs become ``****``; the empty string and ``None`` stay empty (nothing to hide).
    """
    if value is None or value == "":
        return ""
    text = str(value)
    parsed = _host(text)
    if parsed is None:
        return MASK
    scheme, host = parsed
    return f"{scheme}://{host}/…/{MASK}"


def url_password(value: str) -> str | None:
    """The password in ``scheme://user:password@host``, or None."""
    if not isinstance(value, str) or not _URL.match(value) or "@" not in value:
        return None
    try:
        return urlsplit(value).password or None
    except ValueError:
        return None


def url_query_secrets(value: str) -> list[str]:
    """The values of the secret-looking query parameters of a URL (``?api_key=...``), decoded."""
    if not isinstance(value, str) or "?" not in value or not _URL.match(value):
        return []
    try:
        query = urlsplit(value).query
    except ValueError:
        return []
    return [v for k, v in parse_qsl(query, keep_blank_values=False) if v and is_secret_param(k)]


def mask_url_password(value: str) -> str:
    """``https://user:pw@host/x`` -> ``https://user:****@host/x``; other strings unchanged."""
    pw = url_password(value)
    if not pw:
        return value
    scheme, _, rest = value.partition("://")
    userinfo, _, after = rest.partition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:{MASK}@{after}"


def is_credential_header(name: str) -> bool:
    """True when a header named ``name`` carries a credential: its name contains one of
    :data:`_CREDENTIAL_HEADER_WORDS` (``X-Api-Key``, ``X-Auth-Token``, ``Proxy-Authorization``) or
    one of its words is a credential word of :data:`SECRET_PARAM_WORDS` (``X-Auth``,
    ``X-Hub-Signature-256``, ``X-JWT-Assertion``, ``X-Session``). The one rule for sources and
    channels: such a header is masked when shown, scrubbed from messages, dropped on a redirect."""
    lowered = name.lower()
    return (any(word in lowered for word in _CREDENTIAL_HEADER_WORDS) or lowered in _CREDENTIAL_HEADERS
            or is_secret_param(name))


def _is_secret_field(model: type[BaseModel], name: str) -> bool:
    fi = model.model_fields.get(name)
    extra = getattr(fi, "json_schema_extra", None)
    return isinstance(extra, dict) and bool(extra.get("secret"))


def _is_duration_field(model: type[BaseModel], name: str) -> bool:
    fi = model.model_fields.get(name)
    return fi is not None and "parse_duration" in repr(fi.annotation) + repr(fi.metadata)


def _masked_value(value: Any) -> Any:
    """A value under a credential-named key, masked: strings (an empty one stays empty), every
    string of a list, numbers; a mapping keeps its keys (its own credential-named ones masked)."""
    if isinstance(value, str):
        return mask(value) if value else value
    if isinstance(value, (list, tuple)):
        return [_masked_value(v) for v in value]
    if isinstance(value, dict):
        return _plain(value, free_form=True)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return MASK
    return value


def _plain(value: Any, *, headers: bool = False, free_form: bool = False, durations: bool = False) -> Any:
    """``value`` as plain data, secrets masked. ``headers``: a mapping of HTTP headers (their rule,
    :func:`is_credential_header`); ``free_form``: a mapping of the user's own keys sent as they are
    (an http source's ``body``, an SLO's ``params``), whose credential-named keys
    (:func:`is_secret_param`) are masked at any depth. Other mappings (sources and channels by name,
    derived fields) keep their values: their models mask their own secret fields."""
    if isinstance(value, BaseModel):
        return masked_dump(value, durations_as_text=durations)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if (headers and is_credential_header(str(k))) or (free_form and is_secret_param(str(k))):
                out[k] = _masked_value(v)
            else:
                out[k] = _plain(v, free_form=free_form, durations=durations)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, free_form=free_form, durations=durations) for v in value]
    if isinstance(value, str):
        return mask_url(value)
    return value


def _shown(value: Any) -> Any:
    """``value`` for a repr: URLs masked (:func:`mask_url`) inside strings, dicts and lists; models kept
    (their own repr masks their fields)."""
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_shown(v) for v in value)
    return value


def repr_value(model: type[BaseModel], name: str, value: Any) -> Any:
    """The field ``name`` of a config model as its ``repr`` shows it: a secret field masked
    (:func:`mask`), credential headers masked, URL passwords and query tokens masked.
    ``repr(config)`` and ``str(config)`` (an exception, a debugger, a log) then show no secret."""
    if value is None:
        return None
    if _is_secret_field(model, name):
        return mask(value)
    if name == "headers" and isinstance(value, dict):
        return {k: mask(v) if isinstance(v, str) and v and is_credential_header(str(k)) else _shown(v)
                for k, v in value.items()}
    return _shown(value)


def masked_mapping(value: Any) -> Any:
    """A free-form mapping (an SLO's ``params``) as plain data, values under credential-named keys
    masked and URLs' passwords and tokens too (what :func:`masked_dump` does to a model's)."""
    return _plain(value, free_form=True)


def masked_dump(config: BaseModel, *, exclude_none: bool = True, durations_as_text: bool = False) -> dict[str, Any]:
    """``config`` as plain data (keys by alias), with every secret masked.

    Secret fields, URL passwords and credential headers are masked; ``None``
    values are left out when ``exclude_none``; durations are written ``1h``,
    ``7d`` when ``durations_as_text`` (else seconds). Nothing in the result is
    a secret in clear.
    """
    out: dict[str, Any] = {}
    model = type(config)
    for name, fi in model.model_fields.items():
        value = getattr(config, name)
        if value is None and exclude_none:
            continue
        key = fi.alias or name
        if _is_secret_field(model, name):
            out[key] = mask(value) if value is not None else None
        elif name == "headers" and isinstance(value, dict):
            out[key] = _plain(value, headers=True)
        elif name in ("body", "params") and isinstance(value, (dict, list)):
            out[key] = _plain(value, free_form=True)
        elif durations_as_text and isinstance(value, float) and _is_duration_field(model, name):
            from slotui.formatting import format_window

            out[key] = format_window(value)
        else:
            out[key] = _plain(value, durations=durations_as_text)
    return out


# --------------------------------------------------------------------------- URLs and free text

#: Words that make a query parameter (or a ``name=value`` pair) a credential: ``api_key``,
#: ``X-Amz-Signature``, ``accessToken``, ``sig``. A name is split into words at ``_ - .`` and
#: lower-to-upper case changes; it is secret when one of its words, or all of them joined,
#: is listed here. Ordinary words that merely contain one (``monkey``, ``author``) are not.
SECRET_PARAM_WORDS = frozenset({
    "key", "apikey", "token", "accesstoken", "refreshtoken", "idtoken", "secret", "clientsecret",
    "password", "passwd", "pwd", "pass", "passphrase", "sig", "signature", "auth", "authorization",
    "credential", "credentials", "session", "sessionid", "sid", "jwt", "bearer", "privatekey", "otp",
    "hmac", "cookie",
})
_WORD_SPLIT = re.compile(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])")
#: A URL inside free text (an error message, a log line).
_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()\[\]{}]+")
#: ``name=value`` pairs of a query string or a form body inside free text.
_PAIR_IN_TEXT = re.compile(r"(?P<lead>[?&;\s]|^)(?P<name>[A-Za-z][\w.\-]*)=(?P<value>[^&#\s'\"]+)")


def is_secret_param(name: str) -> bool:
    """True when a query parameter named ``name`` carries a credential (see :data:`SECRET_PARAM_WORDS`)."""
    words = [w.lower() for w in _WORD_SPLIT.split(name.strip()) if w]
    if not words:
        return False
    return "".join(words) in SECRET_PARAM_WORDS or any(w in SECRET_PARAM_WORDS for w in words)


def mask_query(query: str) -> str:
    """A query string with the value of every secret-looking parameter replaced by ``****``.

    The rest of the query is kept byte for byte (order, encoding, blank values).
    """
    if not query:
        return query
    out = []
    for piece in query.split("&"):
        name, eq, _value = piece.partition("=")
        if eq and is_secret_param(unquote_plus(name)):
            out.append(f"{name}={MASK}")
        else:
            out.append(piece)
    return "&".join(out)


def mask_url(url: str) -> str:
    """``url`` safe to print or store, still useful to read.

    Scheme, host, port and path stay; a password in the user-info becomes
    ``****`` (``https://bob:****@host``), a user-info without a password (a
    token used as user name) becomes ``****@``; the value of every query
    parameter named like a credential (``api_key``, ``token``, ``sig`` ...)
    becomes ``****``. Strings that are not URLs come back unchanged.
    """
    if not isinstance(url, str) or not _URL.match(url):
        return url
    scheme, _, rest = url.partition("://")
    end = len(rest)
    for sep in "/?#":
        i = rest.find(sep)
        if i != -1:
            end = min(end, i)
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        userinfo, _, hostport = authority.rpartition("@")
        user, colon, _pw = userinfo.partition(":")
        authority = f"{user}:{MASK}@{hostport}" if colon else f"{MASK}@{hostport}"
    path, qmark, query = tail.partition("?")
    if qmark:
        query, hash_, fragment = query.partition("#")
        tail = f"{path}?{mask_query(query)}{hash_}{fragment}"
    return f"{scheme}://{authority}{tail}"


def mask_urls_in_text(text: str) -> str:
    """Every URL in ``text`` passed through :func:`mask_url`, and every secret-looking
    ``name=value`` pair (a query string or form body quoted without its URL) masked."""
    if "=" not in text and "@" not in text:
        return text
    text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
    if "=" not in text:
        return text

    def pair(m: re.Match[str]) -> str:
        if m.group("value") == MASK or not is_secret_param(m.group("name")):
            return m.group(0)
        return f"{m.group('lead')}{m.group('name')}={MASK}"

    return _PAIR_IN_TEXT.sub(pair, text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when cut.

    Every place that shortens a message, a quoted answer or a config value for
    display uses this, so the cut is always marked: a secret cut in the middle
    (``"routing_key":"R0UT…``) is no longer the whole secret, but a
    :class:`Redactor` still masks what is left of it in front of the mark.
    """
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + CUT


def mask_cut(text: str, secrets: Iterable[str], min_prefix: int = 3) -> str:
    """Mask the beginning of a secret that runs into a cut mark (``R0UT…`` -> ``****…``):
    what :func:`clip` left of a secret it cut. Every masker applies this after masking whole values."""
    if CUT not in text:
        return text
    forms = [s for s in secrets if s and len(s) > min_prefix]
    out: list[str] = []
    pos = 0
    at = text.find(CUT)
    while at != -1:
        longest = 0
        for form in forms:
            for k in range(min(len(form) - 1, at - pos), max(longest, min_prefix - 1), -1):
                if text.startswith(form[:k], at - k):
                    longest = k
                    break
        if longest:
            out.append(text[pos : at - longest] + MASK)
            pos = at
        at = text.find(CUT, at + 1)
    out.append(text[pos:])
    return "".join(out)


def secret_forms(value: str) -> set[str]:
    """The ways a secret value can be written where it leaks: as is, percent-encoded
    (``quote`` and ``quote_plus``), base64 (standard and URL-safe, with and
    without ``=`` padding), and as a JSON string holds it (``\"``, ``\\``, ``\u00e9``),
    so an echoed ``Authorization: Basic ...``, a URL-encoded token or a receiver's raw
    JSON quoting the request is caught too."""
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value)}
    forms |= {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    raw = value.encode("utf-8", "surrogatepass")
    for enc in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = enc.decode("ascii")
        forms.add(text)
        forms.add(text.rstrip("="))
    return {f for f in forms if f}


class Redactor:
    """Masks configured secrets, their encodings and secret-looking URL parts in any text.

    Built from the secret values of a config (``LoadedConfig.secrets``) and the
    ``(user, password)`` pairs of its basic auths: each value is masked in every
    form :func:`secret_forms` lists, and ``user:password`` (the Basic
    credential) also base64-encoded. Only real secrets are masked by value
    (never fragments under :data:`MIN_SECRET` characters, so ordinary words such
    as a channel type stay readable); URLs are masked by :func:`mask_url`.
    """

    MIN_SECRET = 4
    #: the shortest beginning of a secret masked in front of a cut (:func:`clip`)
    MIN_CUT_PREFIX = 3

    def __init__(self, secrets: Iterable[str] = (), pairs: Iterable[tuple[str, str]] = ()) -> None:
        forms: set[str] = set()
        for value in secrets:
            if isinstance(value, str) and len(value) >= self.MIN_SECRET:
                forms |= secret_forms(value)
                pw = url_password(value)
                if pw:
                    forms |= secret_forms(pw)
        for user, password in pairs:
            if password:
                forms |= secret_forms(f"{user}:{password}")
                forms |= secret_forms(f"\0{user}\0{password}")  # SMTP AUTH PLAIN
                if len(password) >= self.MIN_SECRET:
                    forms |= secret_forms(password)
        self.forms: tuple[str, ...] = tuple(sorted((f for f in forms if len(f) >= self.MIN_SECRET), key=len,
                                                   reverse=True))
        self._pattern = re.compile("|".join(re.escape(f) for f in self.forms)) if self.forms else None

    @classmethod
    def for_config(cls, config: Any, secrets: Iterable[str] = ()) -> "Redactor":
        """The redactor of a loaded config: ``secrets`` plus the basic-auth pairs found in ``config``."""
        return cls(secrets, credential_pairs(config))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
            if CUT in text:
                text = self._mask_cut(text)
        return mask_urls_in_text(text)

    def _mask_cut(self, text: str) -> str:
        return mask_cut(text, self.forms, self.MIN_CUT_PREFIX)

    def __bool__(self) -> bool:  # a redactor always masks URLs, even without values
        return True


def credential_pairs(config: Any) -> list[tuple[str, str]]:
    """Every ``(user, password)`` in ``config``: ``basic_auth`` blocks, URL user-info,
    and ``username``/``password`` fields side by side (SMTP)."""
    found: list[tuple[str, str]] = []
    seen: set[int] = set()

    def visit(value: Any) -> None:
        if id(value) in seen:
            return
        if isinstance(value, BaseModel):
            seen.add(id(value))
            fields = type(value).model_fields
            user = getattr(value, "username", None) if "username" in fields else None
            password = getattr(value, "password", None) if "password" in fields else None
            if isinstance(password, str) and password:
                found.append((user if isinstance(user, str) else "", password))
            for name in fields:
                visit(getattr(value, name))
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)
        elif isinstance(value, str) and "@" in value and _URL.match(value):
            try:
                parts = urlsplit(value)
            except ValueError:
                return
            if parts.password:
                found.append((unquote(parts.username or ""), unquote(parts.password)))

    visit(config)
    return found
