"""textual-serve with kore-tui's rules: loopback only, every path behind the token, one
console process per visit started without a shell, and none left behind on exit.

textual-serve's ``Server`` is kept for what it does well (the page, the websocket
protocol to the console process, downloads); what it does not do is added here:
- its routes are moved under ``/<token>/`` and a middleware (``guard``) checks the
  token, the Host and the Origin before any of them;
- the console process is started from an argv (``create_subprocess_exec``), not a shell
  string, in its own session, with extra environment variables (the demo simulator);
- at most ``max_sessions`` consoles run at once (each one is a Python process);
- it is run with an ``AppRunner`` rather than ``run_app``, so ``--port 0`` works and the
  caller learns the real port before printing the URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from kore_tui.serve.guard import add_security_headers, guard_middleware, new_token

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
LOOPBACK = "127.0.0.1"
MAX_SESSIONS = 8
_STOP_GRACE = 3.0  # seconds a console gets to quit before it is killed


class _ConsoleProcess(AppService):
    """One visit's console: an argv, no shell (nothing to quote, nothing to inject), its
    own session (a Ctrl+C in the server's terminal is for the server, which then stops
    the consoles itself), and the server's extra environment variables."""

    def __init__(self, argv: Sequence[str], extra_env: Mapping[str, str], **kwargs: object) -> None:
        super().__init__(shlex.join(argv), **kwargs)  # type: ignore[arg-type]
        self._argv = list(argv)
        self._extra_env = dict(extra_env)

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment.update(self._extra_env)
        return environment

    async def _open_app_process(
        self, width: int = 80, height: int = 24
    ) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        return self._process


class ConsoleServer(Server):
    """Serves ``argv`` (one process per browser visit) on 127.0.0.1 behind a token."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        title: str,
        port: int = 0,
        extra_env: Mapping[str, str] | None = None,
        max_sessions: int = MAX_SESSIONS,
        token: str | None = None,
    ) -> None:
        super().__init__(
            shlex.join(argv), host=LOOPBACK, port=port, title=title, templates_path=TEMPLATES
        )
        self.argv = tuple(argv)
        self.token = token or new_token()
        self.extra_env = dict(extra_env or {})
        self.max_sessions = max_sessions
        self.consoles: set[_ConsoleProcess] = set()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The URL to open: it carries the token."""
        return f"{self.public_url}/{self.token}/"

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[guard_middleware(self.token, lambda: self.port)])
        app.on_response_prepare.append(add_security_headers)
        aiohttp_jinja2.setup(
            app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True
        )
        prefix = f"/{self.token}"
        app.add_routes(
            [
                web.get(f"{prefix}/", self.handle_index, name="index"),
                web.get(f"{prefix}/ws", self.handle_websocket, name="websocket"),
                web.get(prefix + "/download/{key}", self.handle_download, name="download"),
                web.static(f"{prefix}/static", self.statics_path, name="static"),
            ]
        )
        return app

    async def start(self) -> None:
        """Bind 127.0.0.1 (only) and start serving; ``port`` and ``url`` are then real."""
        app = await self._make_app()
        # No access log: every line would carry the token.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.public_url = f"http://{LOOPBACK}:{self.port}"

    async def stop(self) -> None:
        """Close the websockets, then make sure no console process outlives the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for console in list(self.consoles):
            await _end(console)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, with our console process and the session cap."""
        if len(self.consoles) >= self.max_sessions:
            raise web.HTTPServiceUnavailable(
                text=f"{self.max_sessions} consoles are open already; close one and reload\n"
            )
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        console: _ConsoleProcess | None = None
        try:
            await websocket.prepare(request)
            console = _ConsoleProcess(
                self.argv,
                self.extra_env,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=False,
            )
            self.consoles.add(console)
            await console.start(width, height)
            await self._process_messages(websocket, console)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:
            log.exception("console session failed")
        finally:
            if console is not None:
                await _end(console)
                self.consoles.discard(console)
        return websocket


async def _end(console: _ConsoleProcess) -> None:
    """Ask the console to quit (what textual-serve does), then insist."""
    process = console.process
    with contextlib.suppress(Exception):
        await asyncio.wait_for(console.stop(), _STOP_GRACE)
    if process is None or process.returncode is not None:
        return
    for kill in (process.terminate, process.kill):
        with contextlib.suppress(ProcessLookupError):
            kill()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), _STOP_GRACE)
            return
