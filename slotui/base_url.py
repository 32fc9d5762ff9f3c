"""A configured base URL and the API paths under it.

Prometheus, Alertmanager, MLflow, Langfuse and Weave are often reached through a path
prefix (``https://gw.example/prometheus``) and, behind some proxies and hosted back ends,
with a query parameter every request must carry (``?token=...``, VictoriaMetrics'
``?extra_label=team=a``). Joining by text (``url + "/api/v1/query"``) would put the API
path into the query -- the token becomes ``...token=X/api/v1/query`` and the request goes
to the prefix. These keep the prefix as the path and the query on every request.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def split(url: str) -> tuple[str, str]:
    """(the base: scheme, host and path ending in ``/``, no query or fragment; the raw query)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/", "", "")), parts.query


def with_query(path: str, query: str) -> str:
    """``path`` (which may hold its own query) with the base's raw ``query`` added."""
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{query}"


def join(url: str, path: str) -> str:
    """``path`` under the base ``url``, the base's query kept:
    ``http://h/am?t=1`` + ``api/v2/alerts`` -> ``http://h/am/api/v2/alerts?t=1``."""
    base, query = split(url)
    return with_query(base + path.lstrip("/"), query)
