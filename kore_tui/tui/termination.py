"""SIGTERM, SIGHUP or a closed terminal end the console as a quit does: the terminal
restored (where there still is one), the unfinished named.

Textual restores the terminal (alternate screen, mouse tracking, echo) when the app
exits, not when the process is killed: a runbook's `kill` or `timeout` left the operator's
terminal needing `reset`, and the jobs in flight unmentioned. SIGHUP (an ssh session or a
tmux window closed) killed the console mid-request. And under a wrapper that ignores
SIGHUP (`nohup`, `trap '' HUP`), a closed terminal left the console running for good at
~80% of a core: Textual's input thread reads the dead terminal, gets nothing at once, and
reads again. A console without its terminal has no one to show anything to, so it ends;
its jobs lose nothing either way (each is journaled before it is sent, and
`kore-tui status --wait` resumes them). Installed for a real terminal only: a headless app
(tests, screenshots) leaves the process's signals alone, and a served console (its input
is a pipe, not a terminal) is not watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from textual.app import App

TERMINATED = 128 + signal.SIGTERM  # what a shell reports for a process killed by SIGTERM
HANGUP = 128 + signal.SIGHUP
TERMINAL_CHECK_SECONDS = 1.0
EXIT_GRACE_SECONDS = 5.0  # after the engines stopped: Textual's exit, or the process's end

# Run before the backstop's os._exit, which skips `with` exits and atexit (not run there:
# concurrent.futures' atexit hook joins threads, the very ones that may be stuck).
_forced_exit_cleanups: list[Callable[[], None]] = []


@contextlib.contextmanager
def cleaned_up_on_forced_exit(cleanup: Callable[[], None]) -> Iterator[None]:
    """Within the block, ``cleanup`` also runs if the process has to be ended by force
    (the demo's temporary folder was left behind in /tmp by every closed terminal)."""
    _forced_exit_cleanups.append(cleanup)
    try:
        yield
    finally:
        _forced_exit_cleanups.remove(cleanup)


def install(app: App[Any], stop_work: Callable[[], None]) -> bool:
    """Exit ``app`` with TERMINATED on SIGTERM and HANGUP on SIGHUP or when its terminal
    goes away; False where that cannot be done. ``stop_work`` ends the engines in order
    (in-flight requests answered and journaled) when Textual's own exit cannot be relied
    on."""
    if app.is_headless:
        return False
    loop = asyncio.get_running_loop()
    fd = _terminal_fd()
    hang_up = functools.partial(_hang_up, app, fd, stop_work)
    try:
        loop.add_signal_handler(signal.SIGTERM, functools.partial(app.exit, return_code=TERMINATED))
        # Left ignored when the console was started so: the wrapper's choice. The terminal
        # check below still ends the console once the terminal is really gone.
        if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
            loop.add_signal_handler(signal.SIGHUP, hang_up)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
        return False
    if fd is not None:

        def check() -> None:
            if not _is_terminal(fd):
                hang_up()

        app.set_interval(TERMINAL_CHECK_SECONDS, check)
    return True


def _terminal_fd() -> int | None:
    """The console's input when it is a terminal; None for a pipe (a served console)."""
    try:
        fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
    except (OSError, ValueError):  # stdin closed, or an object without a file
        return None
    return fd if fd >= 0 and _is_terminal(fd) else None


def _is_terminal(fd: int) -> bool:
    # A hung-up terminal fails tcgetattr (EIO), so isatty turns False.
    return os.isatty(fd)


def _hang_up(app: App[Any], fd: int | None, stop_work: Callable[[], None]) -> None:
    if fd is None or _is_terminal(fd):
        app.exit(return_code=HANGUP)  # still a terminal to restore and to print the hints on
        return
    # The terminal is gone. Textual's output thread dies on its first write to it (EIO), and
    # Textual's exit then blocks for good on the full queue of that thread: measured, a
    # console stuck in its shutdown. So: every write from now on goes nowhere, the engines
    # stop in order here, and if Textual's exit still hangs, the process ends anyway.
    _write_nowhere()
    stop_work()
    app.exit(return_code=HANGUP)
    ender = threading.Timer(EXIT_GRACE_SECONDS, _end_by_force)
    ender.daemon = True
    ender.start()


def _end_by_force() -> None:
    for cleanup in list(_forced_exit_cleanups):
        with contextlib.suppress(Exception):
            cleanup()
    os._exit(HANGUP)


def _write_nowhere() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            with contextlib.suppress(OSError):
                os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def uninstall() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signum)
