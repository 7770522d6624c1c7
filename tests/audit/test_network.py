"""TLS verified by default, no redirect followed with the key, http refused off loopback."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from aiohttp import web

from kore_tui.core import errors
from kore_tui.core.api_client import KoreClient
from kore_tui.core.job import JobState
from kore_tui.core.secret import Secret
from tests.conftest import SENTINEL_KEY
from tests.helpers import make_engine

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DS = "ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41"


class Server:
    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.redirect_to: str | None = None
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(dict(request.headers))
        if self.redirect_to:
            raise web.HTTPFound(self.redirect_to + request.path)
        return web.json_response({"dock-statusId": DS, "modelId": MODEL, "status": "SUCCESS"})

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_server(ca: trustme.CA) -> AsyncIterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    server = Server()
    await server.start(context)
    yield server
    await server.stop()


async def test_untrusted_certificate_is_a_clear_tls_error(tls_server: Server) -> None:
    async with KoreClient(f"https://localhost:{tls_server.port}", Secret(SENTINEL_KEY)) as c:
        with pytest.raises(errors.TlsError, match="TLS verification failed") as info:
            await c.start_job("model", "UNDEPLOY", MODEL)
    assert SENTINEL_KEY not in str(info.value)
    assert tls_server.seen == [], "no request may reach a server we do not trust"


async def test_trusted_certificate_works(tls_server: Server, ca: trustme.CA) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with KoreClient(
        f"https://localhost:{tls_server.port}", Secret(SENTINEL_KEY), verify=context
    ) as c:
        result = await c.start_job("model", "UNDEPLOY", MODEL)
    assert result.status == "SUCCESS"


async def test_engine_marks_tls_failure_as_error_not_sent(tls_server: Server) -> None:
    import asyncio

    engine = make_engine(f"https://localhost:{tls_server.port}")
    engine.start()
    engine.undeploy([MODEL])
    await asyncio.wait_for(engine.wait_settled(), 10)
    await engine.aclose()
    await engine.client.aclose()
    (job,) = engine.store.snapshot()
    assert job.state is JobState.ERROR and job.error_kind == "tls"


async def test_redirect_to_another_host_is_not_followed() -> None:
    other = Server()
    await other.start()
    first = Server()
    first.redirect_to = f"http://127.0.0.2:{other.port}"
    await first.start()
    try:
        async with KoreClient(f"http://127.0.0.1:{first.port}", Secret(SENTINEL_KEY)) as c:
            with pytest.raises(errors.UnexpectedStatusError, match="not followed"):
                await c.start_job("model", "UNDEPLOY", MODEL)
        assert len(first.seen) == 1 and other.seen == []
    finally:
        await first.stop()
        await other.stop()


@pytest.mark.parametrize(
    "host",
    [
        "http://agent-platform.kore.ai",
        "http://192.168.1.10",
        "http://[2001:db8::1]:80",
        "http://127.0.0.1.nip.io",
    ],
)
def test_plain_http_off_loopback_is_refused(host: str) -> None:
    with pytest.raises(errors.InsecureHostError, match="https"):
        KoreClient(host, Secret(SENTINEL_KEY))
