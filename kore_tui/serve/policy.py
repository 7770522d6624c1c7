"""What may be served, and the command line of the console each visit gets.

Every visitor's console runs as the serving user, so it must not be able to change the
platform: the demo (its own simulator) or a watch-only console. The read-only mode goes
on the console process's command line, so the engine itself refuses undeploy, deploy,
bounce and retry whatever a visitor does in the page. The key is never on a command line:
the console reads it from the environment or the config as it always does.
"""

from __future__ import annotations

from dataclasses import dataclass

from kore_tui.core.config import Environment
from kore_tui.core.text import inert

CONSOLE_MODULE = "kore_tui.serve.console"  # the terminal console, locked for a visitor


class ServeRefused(Exception):
    """The console asked for must not be served; the message says why and what to do."""


@dataclass(frozen=True)
class ServedConsole:
    argv: tuple[str, ...]  # the command each visit runs (no shell)
    description: str  # one line for the operator and the page title
    demo: bool


def served_console(
    *, python: str, demo: bool, read_only: bool, env: Environment | None
) -> ServedConsole:
    """The console to serve, or :class:`ServeRefused`. ``env`` is the resolved
    environment (ignored with ``demo``: the demo has its own)."""
    if demo:
        argv = [python, "-m", CONSOLE_MODULE, "--demo"]
        if read_only:
            argv.append("--read-only")
        what = "demo console (read-only)" if read_only else "demo console"
        return ServedConsole(tuple(argv), what, demo=True)
    if env is None:
        raise ServeRefused("nothing to serve: pass --demo, or --env NAME --read-only")
    name = inert(env.name, 40)
    if not (read_only or env.read_only):
        raise ServeRefused(
            f"refusing to serve environment {name!r}: it can undeploy, and every visitor "
            "would act with your API key. Serve it watch-only with --read-only (or set "
            "read_only = true on it), or serve the demo with --demo"
        )
    argv = [python, "-m", CONSOLE_MODULE, "--read-only"]
    if not env.ephemeral:
        # "--env=NAME" in one word: a name starting with "-" stays a value.
        argv.append(f"--env={env.name}")
    return ServedConsole(tuple(argv), f"read-only console of {name!r}", demo=False)
