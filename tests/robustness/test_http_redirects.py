"""Issue 8 items 6 and 15: no credential, header or query secret crosses an origin on a redirect;
loops and endless chains are source errors naming the masked URL, and mark the source down.

Family: every credential kind (bearer, basic, X-API-Key, custom header, cookie, raw Authorization
header, URL user-info, query secret) x every redirect kind (301, 302, 303, 307, 308; to another port,
another host name, https -> http; a loop; too many hops). Real loopback servers record what reached
them.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from hostile_http import (  # noqa: E402
    REDIRECT_STATUSES,
    Credential,
    Recorder,
    Redirector,
    Router,
    Seen,
    credentials,
    with_url_credentials,
)

from slotui.config.model import HttpSourceConfig  # noqa: E402
from slotui.core.types import HOUR, SLOSpec  # noqa: E402
from slotui.sources.kit.base import SourceHealth  # noqa: E402
from slotui.sources.http import HttpSource  # noqa: E402
from slotui.sources.kit.runtime import fetch_all  # noqa: E402

pytestmark = pytest.mark.integration

NOW = 1_780_000_000.0
CREDENTIALS = list(credentials())


def spec(name: str = "value") -> SLOSpec:
    return SLOSpec(name=name, kind="threshold", target=2.0, warning=3.0, direction="lower_is_better",
                   source="src", query="value", window=HOUR, interval=30.0)


async def fetch(url: str, extra: dict, *, method: str = "GET") -> tuple[dict, dict, SourceHealth]:
    cfg = {"type": "http", "url": url, "timeout": 5, **extra}
    if method == "POST":
        cfg.update(method="POST", body={"project": "support-bot"})
    src = HttpSource("src", HttpSourceConfig.model_validate(cfg))
    health: dict[str, SourceHealth] = {}
    try:
        data, errors = await fetch_all({"src": src}, {"src": [spec()]}, NOW, {"src": 5.0}, health)
    finally:
        await src.aclose()
    return data, errors, health["src"]


def leaks_in(seen: list[Seen], cred: Credential) -> list[str]:
    return [secret for s in seen for secret in cred.leaks if secret in s.text()]


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
@pytest.mark.parametrize("cred", CREDENTIALS, ids=[c.kind for c in CREDENTIALS])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_redirect_to_another_port_carries_no_credential(status: int, cred: Credential, method: str) -> None:
    with Recorder({"value": 1.5}) as other:
        with Redirector(status, lambda seen: other.url + seen.target) as origin:
            url, extra = with_url_credentials(origin.url + "/data", cred)
            data, errors, _ = await fetch(url, extra, method=method)
            assert len(origin.seen) == 1
            # the credential did reach the configured origin (else the test proves nothing) ...
            if cred.kind != "url-query":
                assert any(secret in origin.seen[0].text() for secret in cred.leaks), cred.kind
    # ... and nothing of it reached the other one
    assert leaks_in(other.seen, cred) == []
    if cred.kind == "url-query":
        # the Location itself carries the key: slotui refuses to take it elsewhere
        assert other.seen == []
        assert "refused redirect" in errors["src"]
        assert "queryKEY-1357" not in errors["src"]
        assert "api_key=****" in errors["src"]
        return
    assert errors == {}
    assert data["value"].value == 1.5
    assert len(other.seen) == 1
    hop = other.seen[0]
    assert "cookie" not in hop.headers and "authorization" not in hop.headers
    assert "x-api-key" not in hop.headers and "x-scope-orgid" not in hop.headers
    if method == "POST" and status in (307, 308):
        assert hop.method == "POST" and json.loads(hop.body) == {"project": "support-bot"}
    elif method == "POST":
        assert hop.method == "GET" and hop.body == b""


@pytest.mark.parametrize("cred", [c for c in CREDENTIALS if c.kind != "url-query"], ids=lambda c: c.kind)
async def test_a_redirect_to_another_host_name_carries_no_credential(cred: Credential) -> None:
    with Recorder({"value": 2.5}) as other:
        # same address, another host name: another origin all the same
        with Redirector(302, lambda seen: f"http://localhost:{other.port}{seen.target}") as origin:
            url, extra = with_url_credentials(origin.url + "/data", cred)
            data, errors, _ = await fetch(url, extra)
    assert errors == {}
    assert data["value"].value == 2.5
    assert leaks_in(other.seen, cred) == []


@pytest.mark.parametrize("cred", [c for c in CREDENTIALS if c.kind not in ("url-query",)], ids=lambda c: c.kind)
async def test_a_redirect_within_the_origin_keeps_the_credentials(cred: Credential) -> None:
    """The control: on the same origin, credentials do follow (so the checks above can fail)."""

    def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        if seen.target.startswith("/final"):
            return 200, b'{"value": 3.5}', {}
        return 307, b"", {"Location": "/final"}

    with Router(route) as origin:
        url, extra = with_url_credentials(origin.url + "/data", cred)
        data, errors, _ = await fetch(url, extra)
        assert [s.target.split("?")[0] for s in origin.seen] == ["/data", "/final"]
        final = origin.seen[1]
    assert errors == {}
    assert data["value"].value == 3.5
    assert any(secret in final.text() for secret in cred.leaks), cred.kind


async def test_a_cookie_set_by_the_origin_does_not_follow_to_another_port() -> None:
    with Recorder({"value": 1.0}) as other:
        def route(seen: Seen) -> tuple[int, bytes, dict[str, str]]:
            return 302, b"", {"Location": other.url + "/data", "Set-Cookie": "sid=jarSESSION-123; Path=/"}

        with Router(route) as origin:
            _, errors, _ = await fetch(origin.url + "/data", {"bearer_token": "bearerTOKEN-0a1b2c3d"})
    assert errors == {}
    assert "jarSESSION-123" not in other.seen[0].text()


async def test_an_https_to_http_downgrade_is_refused(tmp_path: Path) -> None:
    from receivers import self_signed_cert

    cert, key = self_signed_cert(tmp_path)
    with Recorder({"value": 1.0}) as plain:
        with Redirector(301, lambda seen: plain.url + seen.target, tls=(cert, key)) as secure:
            assert secure.url.startswith("https://")
            _, errors, health = await fetch(secure.url + "/data?token=downgradeTOK-1",
                                            {"bearer_token": "bearerTOKEN-0a1b2c3d", "tls": {"ca_file": str(cert)}})
            assert len(secure.seen) == 1
    assert plain.seen == []
    assert "https -> http" in errors["src"]
    assert "downgradeTOK-1" not in errors["src"] and "bearerTOKEN" not in errors["src"]
    assert not health.ok


async def test_a_redirect_loop_names_the_masked_url_and_is_a_source_error() -> None:
    with Redirector(302, lambda seen: seen.target) as loop:
        data, errors, health = await fetch(loop.url + "/loop?api_key=loopKEY-2468&page=2", {})
        assert len(loop.seen) == 1  # the Location is the URL just asked: not asked again
    message = errors["src"]
    assert message.startswith("redirect loop: ")
    assert f"{loop.url}/loop?api_key=****&page=2" in message
    assert "loopKEY-2468" not in message
    assert data["value"].error == message
    assert not health.ok and health.consecutive_failures == 1


async def test_too_many_redirects_names_the_masked_url() -> None:
    def next_hop(seen: Seen) -> str:
        n = int(seen.target.split("/")[2].split("?")[0])
        return f"/hop/{n + 1}?sig=chainSIG-777"

    with Redirector(307, next_hop) as chain:
        _, errors, _ = await fetch(chain.url + "/hop/0?sig=chainSIG-777", {})
        hops = len(chain.seen)
    assert hops == 6  # the request and five followed hops
    assert errors["src"].startswith("too many redirects (more than 5) starting at ")
    assert f"{chain.url}/hop/0?sig=****" in errors["src"]
    assert "chainSIG-777" not in errors["src"]


def test_a_redirect_loop_shows_source_up_0_in_metrics(tmp_path: Path) -> None:
    import asyncio

    from slotui.config.loader import load_config
    from slotui.engine import Engine
    from slotui.output.exposition import render

    with Redirector(302, lambda seen: seen.target) as loop, Recorder({"value": 1.0}) as fine:
        path = tmp_path / "slos.yaml"
        path.write_text(textwrap.dedent(f"""\
            version: 1
            sources:
              loop: {{type: http, url: "{loop.url}/v?token=metricsTOK-55", timeout: 5}}
              fine: {{type: http, url: "{fine.url}/v", timeout: 5}}
            slos:
              - {{name: a, source: loop, query: value, objective: {{target: 2, warning: 3}}}}
              - {{name: b, source: fine, query: value, objective: {{target: 2, warning: 3}}}}
            """))
        engine = Engine(load_config(path))

        async def tick():  # type: ignore[no-untyped-def]
            try:
                return await engine.tick(NOW)
            finally:
                await engine.aclose()

        report = asyncio.run(tick())
    text = render(report, health=engine.health)
    assert 'slotui_source_up{source="loop"} 0' in text
    assert 'slotui_source_up{source="fine"} 1' in text
    assert "metricsTOK-55" not in text
    assert "redirect loop" in report.source_errors["loop"]


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_the_langsmith_sdk_does_not_forward_its_api_key_to_another_origin(status: int) -> None:
    from slotui.config.model import LangSmithSourceConfig
    from slotui.sources.langsmith import LangSmithSource

    key = "lsv2_pt_redirectKEY-9911"
    with Recorder({"id": "x", "name": "support-bot"}) as other:
        with Redirector(status, lambda seen: other.url + seen.target) as origin:
            cfg = LangSmithSourceConfig.model_validate(
                {"type": "langsmith", "api_url": origin.url, "api_key": key, "project": "support-bot", "timeout": 10})
            src = LangSmithSource("ls", cfg)
            health: dict[str, SourceHealth] = {}
            try:
                await fetch_all({"ls": src}, {"ls": [spec()]}, NOW, {"ls": 10.0}, health)
            finally:
                await src.aclose()
            assert origin.seen and key in origin.seen[0].text()  # the key went to its own origin
    assert other.seen  # the redirect was followed ...
    assert all(key not in s.text() for s in other.seen)  # ... without the key
