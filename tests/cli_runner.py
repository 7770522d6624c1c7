"""Run the ``kore-tui`` command line inside the test process.

A subprocess costs 0.3-0.45 s of CPU before the command does anything (interpreter,
imports): most CLI tests prove what a command answers, not that it ran in its own
process. :func:`run_cli` calls the console script's own entry (``kore_tui.cli.main:main``,
the function ``python -m kore_tui`` calls too) with the given argv, environment
variables and stdin, and returns a ``subprocess.CompletedProcess`` as
``subprocess.run(..., capture_output=True, text=True)`` would.

What a process would have isolated is put back afterwards, and what the command leaves
behind fails the test:

- ``os.environ``, ``sys.argv``, ``sys.stdin/stdout/stderr``, the working directory,
  the root logger's handlers and level and ``logging.disable``: restored;
- signal handlers: restored, and a command that left one changed fails the test;
- threads: any thread the command started and left running (an engine's loop, a
  journal writer, an executor) fails the test.

An exception that escapes ``main`` becomes what the interpreter would make of it: its
traceback on stderr and exit code 1 (so ``"Traceback" not in stderr`` still means
something).
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kore_tui.cli.main import main

# A thread that is being joined can outlive the command by a moment (an executor's worker
# between its last task and its exit); a leak is one still there after this.
_THREAD_GRACE = 5.0

Handler = Callable[[int, Any], Any] | int | signal.Handlers | None


def run_cli(
    *argv: str,
    env: Mapping[str, str | None] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``kore-tui ARGV`` in this process. ``env``: variables to set (None: unset) on top of
    the current environment; ``stdin``: its whole text (None: empty and not a terminal,
    like ``stdin=DEVNULL``)."""
    args = list(argv)
    threads_before = set(threading.enumerate())
    with _isolated(args, env, stdin) as (out, err):
        code = _call_main(args)
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = _text(out), _text(err)
    _fail_on_thread_leak(threads_before, args)
    return subprocess.CompletedProcess(["kore-tui", *args], code, stdout, stderr)


def _call_main(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:
        return _exit_code(exc.code)
    except Exception:  # what an uncaught exception does to a process
        traceback.print_exc(file=sys.stderr)
        return 1


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _stream(data: str = "") -> io.TextIOWrapper:
    # A real text stream over bytes (it has .buffer and .fileno() raises), not a StringIO.
    return io.TextIOWrapper(io.BytesIO(data.encode()), encoding="utf-8", newline=None)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode("utf-8", errors="replace")


def _signal_handlers() -> dict[signal.Signals, Handler]:
    handlers: dict[signal.Signals, Handler] = {}
    for sig in signal.valid_signals():
        if isinstance(sig, signal.Signals) and sig not in (signal.SIGKILL, signal.SIGSTOP):
            handlers[sig] = signal.getsignal(sig)
    return handlers


@contextmanager
def _isolated(
    args: list[str], env: Mapping[str, str | None] | None, stdin: str | None
) -> Iterator[tuple[io.TextIOWrapper, io.TextIOWrapper]]:
    saved_environ = dict(os.environ)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_argv = sys.argv
    saved_cwd = os.getcwd()
    saved_handlers = _signal_handlers()
    root = logging.getLogger()
    saved_logging = (list(root.handlers), root.level, logging.root.manager.disable)
    out, err = _stream(), _stream()
    for name, value in (env or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    sys.stdin, sys.stdout, sys.stderr = _stream(stdin or ""), out, err
    sys.argv = ["kore-tui", *args]
    try:
        yield out, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environ)
        root.handlers[:] = saved_logging[0]
        root.setLevel(saved_logging[1])
        logging.disable(saved_logging[2])
        now = _signal_handlers()
        changed = {
            sig: f"{saved_handlers[sig]!r} -> {handler!r}"
            for sig, handler in now.items()
            if handler != saved_handlers[sig]
        }
        for sig in changed:
            handler = saved_handlers[sig]
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(sig, handler)
    assert not changed, f"kore-tui {' '.join(args)} left signal handlers changed: {changed}"


def _fail_on_thread_leak(before: set[threading.Thread], args: list[str]) -> None:
    deadline = time.monotonic() + _THREAD_GRACE
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.01)
    assert not left, f"kore-tui {' '.join(args)} left threads running: {[t.name for t in left]}"
