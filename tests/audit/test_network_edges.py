"""Network edges over real loopback HTTP: slow drips, gzip bombs, proxies, corporate CAs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import subprocess
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from kore_tui.core import errors, paths
from kore_tui.core.api_client import KoreClient
from kore_tui.core.clients import client_for
from kore_tui.core.config import Environment
from kore_tui.core.engine import Engine
from kore_tui.core.job import JobState
from kore_tui.core.secret import Secret
from kore_tui.simulator import Simulator, SimulatorThread
from tests.cli_runner import run_cli
from tests.conftest import SENTINEL_KEY, sim_config
from tests.helpers import FAST, admin, admin_sync, until

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DS = "ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def key() -> Secret:
    return Secret(SENTINEL_KEY)


async def force(url: str, *responses: dict[str, object]) -> None:
    await admin(url, "/_sim/force", "POST", json={"responses": list(responses)})


# -- 1. total time budget ------------------------------------------------------------


async def test_dripped_post_ends_at_the_budget_as_maybe_sent(sim: Simulator) -> None:
    model = sim.model_ids[0]
    await force(sim.url, {"mode": "drip", "interval": 1.0, "match": "/undeploy"})
    started = time.monotonic()
    async with KoreClient(sim.url, key(), budget=1.5) as client:
        with pytest.raises(errors.RequestTimeoutError, match=r"1\.5s budget") as info:
            await client.start_job("model", "UNDEPLOY", model)
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 3.0, elapsed
    assert not info.value.certainly_not_sent
    counters = await admin(sim.url, "/_sim/counters")
    assert counters["undeployAccepted"][model] == 1, "it was acted on: UNKNOWN is honest"


async def test_dripped_dock_status_ends_at_the_per_call_budget(sim: Simulator) -> None:
    await force(sim.url, {"mode": "drip", "interval": 1.0})
    started = time.monotonic()
    async with KoreClient(sim.url, key()) as client:  # the default 30 s budget
        with pytest.raises(errors.RequestTimeoutError):
            await client.dock_status(DS, budget=1.0)
    assert time.monotonic() - started < 2.5


async def test_waiting_for_a_pool_connection_is_certainly_not_sent(sim: Simulator) -> None:
    model = sim.model_ids[1]
    await force(sim.url, {"mode": "drip", "interval": 1.0, "match": "/dock-status/"})
    async with KoreClient(sim.url, key(), max_connections=1) as client:
        hog = asyncio.create_task(client.dock_status(DS, budget=10.0))
        await until(lambda: not sim.forced)  # the drip took it: the only connection is busy
        with pytest.raises(errors.ConnectFailedError, match="nothing was sent") as info:
            await client.start_job("model", "UNDEPLOY", model, budget=0.5)
        hog.cancel()
        with contextlib.suppress(asyncio.CancelledError, errors.KoreError):
            await hog
    assert info.value.certainly_not_sent
    counters = await admin(sim.url, "/_sim/counters")
    assert model not in counters["undeployReceived"]


def write_config(url: str, extra: str = "") -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'default = "sim"\n[settings]\npoll_initial = 0.05\npoll_max = 0.3\n'
        f'requests_per_second = 0\n\n[environments.sim]\nhost = "{url}"\n'
        f'key_env = "SIM_KEY"\n{extra}'
    )
    path.chmod(0o600)


def kore_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The command in this process (tests/cli_runner.py) and how long it took: what is
    proven is the command's deadline, not a process's."""
    started = time.monotonic()
    done = run_cli(*args, env={"SIM_KEY": SENTINEL_KEY})
    return done, time.monotonic() - started


@pytest.mark.parametrize(
    ("match", "status"), [("/undeploy", "UNKNOWN"), ("/dock-status/", "TIMED_OUT")]
)
def test_cli_wait_timeout_holds_against_a_drip(match: str, status: str) -> None:
    with SimulatorThread(sim_config(job_seconds=(60.0, 60.0))) as s:
        write_config(s.url)
        admin_sync(
            s.url,
            "/_sim/force",
            "POST",
            json={"responses": [{"mode": "drip", "interval": 5.0, "match": match}]},
        )
        done, elapsed = kore_cli(
            "undeploy", "--yes", "--wait", "--timeout", "2", "--json", s.model_ids[0]
        )
    (job,) = json.loads(done.stdout)["jobs"]
    assert job["status"] == status, done.stderr[-400:]
    assert elapsed < 6.0, f"--timeout 2 took {elapsed:.1f}s against a drip"


# -- 2. gzip bomb --------------------------------------------------------------------


async def test_concurrent_gzip_bombs_are_refused_in_bounded_memory(sim: Simulator) -> None:
    count = 32
    await force(sim.url, *[{"mode": "gzip_bomb", "inflated": 64 * 1024 * 1024}] * count)
    async with KoreClient(sim.url, key(), max_connections=count) as client:
        # The simulator shares this process: building its 200 KB bomb counts too.
        tracemalloc.start()
        try:
            results = await asyncio.gather(
                *(client.dock_status(DS) for _ in range(count)), return_exceptions=True
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert all(
        isinstance(r, errors.ResponseFormatError) and "larger than" in str(r) for r in results
    ), results[:2]
    # 32 x 1 MiB cap, plus buffers; inflating each 64 KB read in one go was 32 x ~64 MB.
    assert peak < 96 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


# -- 3. proxies and corporate CAs ----------------------------------------------------


class Proxy:
    """A tiny HTTP proxy that records every byte clients send it.

    CONNECT is either refused with 502 or tunnelled to ``tunnel_port`` on loopback
    whatever the host asked for; a plain forward-proxy request is recorded and refused.
    """

    def __init__(self, refuse: bool = False, tunnel_port: int | None = None) -> None:
        self.refuse = refuse
        self.tunnel_port = tunnel_port
        self.received = bytearray()
        self.connections = 0
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if record:
                    self.received += data
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        self.received += head
        if not head.startswith(b"CONNECT ") or self.refuse or self.tunnel_port is None:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.tunnel_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(
            self._pipe(reader, up_writer, True), self._pipe(up_reader, writer, False)
        )

    async def __aenter__(self) -> Proxy:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


def set_proxies(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name in PROXY_VARS:
        monkeypatch.setenv(name, url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


async def test_loopback_is_never_proxied_so_no_proxy_sees_the_key(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Proxy() as proxy:
        set_proxies(monkeypatch, proxy.url)
        env = Environment("sim", sim.url)
        async with client_for(env, key(), FAST) as client:
            result = await client.start_job("model", "UNDEPLOY", sim.model_ids[2])
    assert result.status in {"IN_PROGRESS", "SUCCESS"}
    assert proxy.connections == 0 and bytes(proxy.received) == b""


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


class TlsPlatform:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request.headers.get("x-api-key", ""))
        return web.json_response({"dock-statusId": DS, "modelId": MODEL, "status": "SUCCESS"})

    async def start(self, context: ssl.SSLContext) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.port = self.runner.addresses[0][1]


@pytest.fixture
async def platform(ca: trustme.CA) -> AsyncIterator[TlsPlatform]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("agent-platform.kore.test", "localhost").configure_cert(context)
    server = TlsPlatform()
    await server.start(context)
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "corp-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    yield str(path)


async def test_https_goes_through_https_proxy_in_a_tunnel_with_the_ca_bundle(
    platform: TlsPlatform, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Proxy(tunnel_port=platform.port) as proxy:
        set_proxies(monkeypatch, proxy.url)
        env = Environment("corp", "https://agent-platform.kore.test", ca_bundle=ca_file)
        async with client_for(env, key(), FAST) as client:
            result = await client.start_job("model", "UNDEPLOY", MODEL)
    assert result.status == "SUCCESS" and platform.seen == [SENTINEL_KEY]
    assert bytes(proxy.received).startswith(b"CONNECT agent-platform.kore.test:443 ")
    assert SENTINEL_KEY.encode() not in bytes(proxy.received), "the proxy read the key"


async def test_without_the_ca_bundle_the_corporate_ca_is_not_trusted(
    platform: TlsPlatform, ca_file: str
) -> None:
    env = Environment("corp", f"https://localhost:{platform.port}")
    async with client_for(env, key(), FAST) as client:
        with pytest.raises(errors.TlsError):
            await client.start_job("model", "UNDEPLOY", MODEL)
    trusted = replace(env, ca_bundle=ca_file)
    async with client_for(trusted, key(), FAST) as client:
        assert (await client.start_job("model", "UNDEPLOY", MODEL)).status == "SUCCESS"
    assert platform.seen == [SENTINEL_KEY]


async def test_no_proxy_is_honoured_for_https_hosts(
    platform: TlsPlatform, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Proxy(refuse=True) as proxy:
        set_proxies(monkeypatch, proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost")
        env = Environment("corp", f"https://localhost:{platform.port}", ca_bundle=ca_file)
        async with client_for(env, key(), FAST) as client:
            assert (await client.start_job("model", "UNDEPLOY", MODEL)).status == "SUCCESS"
    assert proxy.connections == 0


async def test_refused_connect_is_certainly_not_sent_and_the_job_is_not_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Proxy(refuse=True) as proxy:
        set_proxies(monkeypatch, proxy.url)
        async with KoreClient("https://agent-platform.kore.test", key()) as client:
            with pytest.raises(errors.ConnectFailedError, match="proxy refused") as info:
                await client.start_job("model", "UNDEPLOY", MODEL)
        assert info.value.certainly_not_sent
        env = Environment("corp", "https://agent-platform.kore.test")
        settings = replace(FAST, max_connect_retries=1)
        engine = Engine(env, client_for(env, key(), settings), settings=settings)
        engine.start()
        engine.undeploy([MODEL])
        await asyncio.wait_for(engine.wait_settled(), 20)
        await engine.aclose()
        await engine.client.aclose()
    (job,) = engine.store.snapshot()
    assert job.state is JobState.ERROR and job.error_kind == "connect", job
    assert "not sent" in (job.error or "")
    assert SENTINEL_KEY.encode() not in bytes(proxy.received)
