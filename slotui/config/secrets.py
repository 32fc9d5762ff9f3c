"""Masking secrets whenever a config is shown (``slotui validate --show``, the TUI, logs).

- :func:`mask` hides a secret value: a URL keeps its scheme and host
  (``https://hooks.slack.com/…/****``); anything else becomes ``****``.
- :func:`masked_dump` dumps a config model as plain data with every field
  marked ``json_schema_extra={"secret": True}`` masked, passwords in URLs
  (``https://user:****@host``) masked, and credential headers (Authorization,
  API keys, tokens, cookies) masked.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

MASK = "****"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_CREDENTIAL_HEADER_WORDS = ("authorization", "api-key", "api_key", "apikey", "token", "secret", "password",
                            "cookie", "key")


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
    lowered = name.lower()
    return any(word in lowered for word in _CREDENTIAL_HEADER_WORDS)


def _is_secret_field(model: type[BaseModel], name: str) -> bool:
    fi = model.model_fields.get(name)
    extra = getattr(fi, "json_schema_extra", None)
    return isinstance(extra, dict) and bool(extra.get("secret"))


def _is_duration_field(model: type[BaseModel], name: str) -> bool:
    fi = model.model_fields.get(name)
    return fi is not None and "parse_duration" in repr(fi.annotation) + repr(fi.metadata)


def _plain(value: Any, *, headers: bool = False, durations: bool = False) -> Any:
    if isinstance(value, BaseModel):
        return masked_dump(value, durations_as_text=durations)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if headers and isinstance(v, str) and is_credential_header(str(k)):
                out[k] = mask(v) if v else v
            else:
                out[k] = _plain(v, durations=durations)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, durations=durations) for v in value]
    if isinstance(value, str):
        return mask_url_password(value)
    return value


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
        elif durations_as_text and isinstance(value, float) and _is_duration_field(model, name):
            from slotui.formatting import format_window

            out[key] = format_window(value)
        else:
            out[key] = _plain(value, durations=durations_as_text)
    return out
