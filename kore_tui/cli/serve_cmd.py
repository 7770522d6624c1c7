"""``kore-tui serve``: the console in a browser (see kore_tui.serve for the safety rules)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import secrets
import signal
import sys
from typing import TYPE_CHECKING

from kore_tui.cli.common import handle_errors, load_target
from kore_tui.cli.failure import CONFIG, USAGE, CliError
from kore_tui.serve.policy import ServedConsole, ServeRefused, served_console

if TYPE_CHECKING:
    from kore_tui.serve.server import ConsoleServer

_EXTRA_HINT = "kore-tui serve needs the 'serve' extra: pip install 'kore-tui[serve]'"
_SERVE_PACKAGES = {"textual_serve", "aiohttp_jinja2", "jinja2", "markupsafe"}


def run_serve(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _port_named(args))


def _port_named(args: argparse.Namespace) -> int:
    """A port in use said "[Errno 98] error while attempting to bind on address …"."""
    try:
        return _serve(args)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise CliError(
            f"port {args.port} is already in use on 127.0.0.1 (another kore-tui serve?): "
            "pick another with --port N, or --port 0 for a free one"
        ) from None


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0 to 65535 (0 picks a free port), got {args.port}")
    if args.serve_demo and args.env is not None:
        raise CliError("--demo serves its own demo simulator; --env does not apply")
    env = None if args.serve_demo else load_target(args.env).env
    try:
        console = served_console(
            python=sys.executable, demo=args.serve_demo, read_only=args.read_only, env=env
        )
    except ServeRefused as exc:
        raise CliError(str(exc), CONFIG if env is not None else USAGE) from None
    try:
        from kore_tui.serve.server import ConsoleServer
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in _SERVE_PACKAGES:
            raise CliError(_EXTRA_HINT) from None
        raise
    if not console.demo:
        asyncio.run(
            _serve_until_stopped(
                ConsoleServer(console.argv, title=console.description, port=args.port), console
            )
        )
        return 0

    from kore_tui.serve.console import HOST_VARIABLE, KEY_VARIABLE
    from kore_tui.simulator import SimulatorThread
    from kore_tui.simulator.demo import demo_sim_config

    # KORE_SIM_API_KEY, as for 'kore-tui simulator': lets a script (the browser test) read
    # the simulator's admin counters.
    key = os.environ.get("KORE_SIM_API_KEY") or "kg-demo-" + secrets.token_hex(16)
    sim = SimulatorThread(demo_sim_config(key)).start()
    try:
        print(f"demo simulator: {sim.url}", flush=True)
        server = ConsoleServer(
            console.argv,
            title=console.description,
            port=args.port,
            extra_env={HOST_VARIABLE: sim.url, KEY_VARIABLE: key},
        )
        asyncio.run(_serve_until_stopped(server, console))
    finally:
        sim.stop()
    return 0


async def _serve_until_stopped(server: ConsoleServer, console: ServedConsole) -> None:
    # Handlers first: a Ctrl+C as soon as the URL shows must stop the server cleanly.
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    # asyncio puts Python's default back when it drops a handler, not what was there: a
    # SIGINT ignored by whoever started us (a script's background job) came back live.
    found = {sig: signal.getsignal(sig) for sig in signals}
    try:
        for sig in signals:
            loop.add_signal_handler(sig, stopped.set)
        await server.start()
        print(
            f"serving: {console.description}, one console process per visit\n"
            f"open: {server.url}\n"
            "(the URL holds the access token: whoever has it gets a console; Ctrl+C stops)",
            flush=True,
        )
        await stopped.wait()
    finally:
        await server.stop()
        for sig, handler in found.items():
            loop.remove_signal_handler(sig)
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(sig, handler)
