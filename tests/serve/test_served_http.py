"""A real ``kore-tui serve --env NAME --read-only`` against the test's simulator: the
token, Host and Origin checks on the page, static files and websocket, and a served
console that cannot undeploy (its command line makes the engine refuse)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from kore_tui.core.config import load_config, resolve_environment
from kore_tui.core.engine import EngineSettings, ReadOnlyError
from kore_tui.core.engine_host import EngineHost
from kore_tui.core.secret import Secret
from kore_tui.serve.console import parse_args
from kore_tui.simulator import SimulatorThread
from tests.conftest import SENTINEL_KEY
from tests.serve.helpers import Served, children, serving


@pytest.fixture
def watch_env(sim_thread: SimulatorThread, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An environment that CAN undeploy (not read_only in the config)."""
    config = isolated / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[environments.watch]\nhost = "{sim_thread.url}"\n'
        'key_env = "KORE_WATCH_KEY"\ncolour = "green"\n'
    )
    monkeypatch.setenv("KORE_WATCH_KEY", SENTINEL_KEY)
    return "watch"


@pytest.fixture
def served(watch_env: str) -> Iterator[Served]:
    with serving("--env", watch_env, "--read-only") as s:
        yield s


def get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers=headers, trust_env=False, timeout=10)


def test_the_page_needs_the_token(served: Served) -> None:
    page = get(served.url)
    assert page.status_code == 200
    assert "textual-terminal" in page.text
    assert f"ws://127.0.0.1:{served.port}/{served.token}/ws" in page.text
    assert SENTINEL_KEY not in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "https://" not in page.text  # nothing loaded from elsewhere (no font CDN)
    for path in [
        "/",
        "/ws",
        "/static/js/textual.js",
        f"/{served.token}",
        f"/{served.token[:-1]}/",
        f"/{served.token}x/",
    ]:
        answer = get(served.base + path)
        assert answer.status_code == 403, path
        assert "access token" in answer.text
    assert get(f"{served.url}static/js/textual.js").status_code == 200


def test_a_foreign_host_header_is_refused_even_with_the_token(served: Served) -> None:
    """DNS rebinding: the attacker's name points at 127.0.0.1; the Host header gives it away."""
    for host in [f"attacker.example:{served.port}", f"127.0.0.1:{served.port + 1}", "127.0.0.1"]:
        answer = get(served.url, Host=host)
        assert answer.status_code == 403, host
        assert "Host header" in answer.text
    assert get(served.url, Host=f"localhost:{served.port}").status_code == 200


async def handshake_status(url: str, **headers: str) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_the_websocket_needs_the_token_our_host_and_our_origin(served: Served) -> None:
    ws = f"ws://127.0.0.1:{served.port}"
    assert await handshake_status(f"{ws}/ws") == 403
    assert await handshake_status(f"{ws}/{served.token[::-1]}/ws") == 403
    assert (
        await handshake_status(f"{ws}/{served.token}/ws", Host=f"attacker.example:{served.port}")
        == 403
    )
    assert (
        await handshake_status(f"{ws}/{served.token}/ws", Origin="http://attacker.example") == 403
    )
    assert not children(served.process.pid), "a refused handshake started no console"


async def read_until(ws: aiohttp.ClientWebSocketResponse, needle: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        try:
            message = await asyncio.wait_for(ws.receive(), max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            raise AssertionError(f"no {needle!r} in {timeout} s: {seen[-2000:]!r}") from None
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data.decode("utf-8", "replace")
        elif message.type == aiohttp.WSMsgType.TEXT:
            seen += message.data
        else:
            raise AssertionError(f"websocket ended before {needle!r}: {seen[-300:]!r}")
    return seen


async def test_a_served_read_only_console_cannot_undeploy(
    served: Served, sim_thread: SimulatorThread
) -> None:
    url = f"ws://127.0.0.1:{served.port}/{served.token}/ws?width=120&height=36"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers={"Origin": f"http://127.0.0.1:{served.port}"}) as ws,
    ):
        await read_until(ws, "watch", 30)  # the console drew its banner
        ((pid, argv),) = children(served.process.pid).items()
        assert argv[1:] == ["-m", "kore_tui.serve.console", "--read-only", "--env=watch"]
        assert SENTINEL_KEY not in Path(f"/proc/{pid}/cmdline").read_text()
        assert SENTINEL_KEY not in Path(f"/proc/{served.process.pid}/cmdline").read_text()

        # A visitor pastes IDs and asks to undeploy, confirming with Enter.
        ids = "\n".join(sim_thread.model_ids[:3])
        await ws.send_str(json.dumps(["stdin", f"\x1b[200~{ids}\x1b[201~"]))
        for keys in ["\x15", "\t", "\r", "\r"]:  # ctrl+u, tab, enter
            await ws.send_str(json.dumps(["stdin", keys]))
        await asyncio.sleep(1.5)  # deliberate: time for an undeploy that must not happen

        # What the console's engine does with that command line: refuse.
        args = parse_args(argv[3:])
        env = resolve_environment(load_config(), args.env)
        host = EngineHost(
            env, Secret(SENTINEL_KEY), EngineSettings(), read_only=args.read_only, use_journal=False
        ).start()
        try:
            with pytest.raises(ReadOnlyError, match="undeploy refused"):
                host.call_wait(lambda engine: engine.undeploy(sim_thread.model_ids[:3]))
        finally:
            host.stop()
    counters = httpx.get(
        f"{sim_thread.url}/_sim/counters", trust_env=False, headers={"x-api-key": SENTINEL_KEY}
    ).json()
    assert counters["undeployReceived"] == {}
    assert not any(route.startswith("POST") for route in counters["requests"])
