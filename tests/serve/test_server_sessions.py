"""The server itself, in process: the cap on consoles, and no console outliving it."""

from __future__ import annotations

import sys

import aiohttp

from kore_tui.serve.server import ConsoleServer
from tests.helpers import until

# A console that never answers textual-serve's protocol nor its "quit": the worst case.
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)",
]


async def test_at_most_max_sessions_consoles_and_none_outlives_the_server() -> None:
    server = ConsoleServer(STUBBORN, title="test", max_sessions=1)
    await server.start()
    try:
        assert server.url.startswith(f"http://127.0.0.1:{server.port}/{server.token}/")
        ws_url = f"ws://127.0.0.1:{server.port}/{server.token}/ws"
        async with aiohttp.ClientSession() as session:
            first = await session.ws_connect(ws_url)
            await until(
                lambda: bool(server.consoles) and next(iter(server.consoles)).process is not None, 5
            )
            (console,) = server.consoles
            process = console.process
            assert process is not None and process.returncode is None
            try:
                await session.ws_connect(ws_url)
                raise AssertionError("a second console was started")
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 503
            await first.close()
    finally:
        await server.stop()
    assert process.returncode is not None, "the console was left running"
    assert not server.consoles
