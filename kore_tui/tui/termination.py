"""SIGTERM ends the console as a quit does: the terminal restored, the unfinished named.

Textual restores the terminal (alternate screen, mouse tracking, echo) when the app
exits, not when the process is killed: a runbook's `kill` or `timeout` left the operator's
terminal needing `reset`, and the jobs in flight unmentioned. Jobs lose nothing either
way (each is journaled before it is sent, and resumes); the handler only makes the end
orderly. Installed for a real terminal only: a headless app (tests, screenshots) leaves
the process's signals alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from typing import Any

from textual.app import App

TERMINATED = 128 + signal.SIGTERM  # what a shell reports for a process killed by SIGTERM


def install(app: App[Any]) -> bool:
    """Exit ``app`` with TERMINATED on SIGTERM; False where that cannot be done."""
    if app.is_headless:
        return False
    try:
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, functools.partial(app.exit, return_code=TERMINATED)
        )
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
        return False
    return True


def uninstall() -> None:
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
