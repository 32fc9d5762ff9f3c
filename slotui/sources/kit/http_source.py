"""The one constructor of the HTTP sources (prometheus, mlflow, weave, langfuse, http).

:class:`HTTPSource` holds what they all set up the same way: ``name``,
``config``, the fetch ``timeout`` (the source's own, else the defaults'),
and one :class:`~slotui.sources.kit.http_client.SourceHTTPClient` (base URL,
auth, headers, TLS, ``max_body_bytes``, retries, redaction) with the request
count and ``aclose``. A source changes what differs through three hooks:
:meth:`client_config` (auth derived from its own keys, another base URL),
:meth:`extra_headers` and :meth:`client_secrets` (values to mask that are not
in a credential field).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from slotui.sources.kit.base import resolve_timeout
from slotui.sources.kit.http_client import SourceHTTPClient

if TYPE_CHECKING:
    import httpx

    from slotui.config.model import Defaults, HTTPSourceBase

ConfigT = TypeVar("ConfigT", bound="HTTPSourceBase")


class HTTPSource(Generic[ConfigT]):
    """Base of the sources that talk HTTP through :class:`SourceHTTPClient`."""

    def __init__(
        self,
        name: str,
        config: ConfigT,
        *,
        base_dir: Path | None = None,
        defaults: "Defaults | None" = None,
        transport: "httpx.AsyncBaseTransport | None" = None,
    ) -> None:
        self.name = name
        self.config: ConfigT = config
        self.timeout = resolve_timeout(config, defaults)
        self._client = SourceHTTPClient(
            self.client_config(config),
            base_dir=base_dir,
            timeout=self.timeout,
            extra_headers=self.extra_headers(config),
            transport=transport,
            name=name,
            secrets=self.client_secrets(config),
        )

    def client_config(self, config: ConfigT) -> "HTTPSourceBase":
        """The config the client is built from (the source's own unless overridden)."""
        return config

    def extra_headers(self, config: ConfigT) -> dict[str, str] | None:
        """Headers every request carries besides the configured ones."""
        return None

    def client_secrets(self, config: ConfigT) -> tuple[str, ...]:
        """Values the client masks in messages besides the credential fields."""
        return ()

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (benches and tests read it)."""
        return self._client.requests_made

    async def aclose(self) -> None:
        await self._client.aclose()
