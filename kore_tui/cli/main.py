"""The ``kore-tui`` command line.

This module imports only the standard library at import time: ``--version``
and ``--help`` must answer without paying for Textual (~0.2 s) or httpx
(~0.1 s). Each subcommand's module is imported when it runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from kore_tui import __version__
from kore_tui.cli.exit_codes import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
)
from kore_tui.cli.failure import CliError, report, wants_json
from kore_tui.cli.global_options import add_global_options, apply_global_options
from kore_tui.cli.parsers import (
    EPILOG,
    Handler,
    add_change_commands,
    add_env_command,
    add_read_commands,
    add_serve_command,
    add_simulator_command,
)


class _Parser(argparse.ArgumentParser):
    """Argument errors raise instead of exiting, so that ``--json`` can still answer with
    one JSON document (subparsers inherit the class)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see: {self.prog} --help)", usage=self.format_usage())


def _version_alone(arguments: list[str], args: argparse.Namespace) -> int:
    """``--version`` alone prints the version; with any other option or a command it is a
    usage error naming them (product contract: nothing is silently ignored). argparse's
    own version action printed and exited on the spot, so ``--version --env prod``
    answered 0. ``--help`` is not covered: argparse answers it while parsing."""
    # --version as typed: argparse also accepts an abbreviation (--vers).
    others = [a for a in arguments if not (len(a) > 2 and "--version".startswith(a))]
    if others:
        # Named: the options (not their values) and the command, each one argparse knows;
        # values and IDs are left out.
        named = [
            a.split("=", 1)[0] if a.startswith("--") else a
            for a in others
            if (a.startswith("--") and a != "--") or a == args.command_name
        ]
        got = ", ".join(dict.fromkeys(named)) or others[0]
        raise CliError(f"--version takes no other option or command (got {got})")
    print(f"kore-tui {__version__}")
    return 0


# Each handler imports its module only when it runs: --version and --help stay cheap.
def _console(args: argparse.Namespace) -> int:
    from kore_tui.cli.console_cmd import run_console

    return run_console(args)


def _undeploy(args: argparse.Namespace) -> int:
    from kore_tui.cli.undeploy_cmd import run_undeploy

    return run_undeploy(args)


def _deploy(args: argparse.Namespace) -> int:
    from kore_tui.cli.deploy_cmd import run_deploy

    return run_deploy(args)


def _bounce(args: argparse.Namespace) -> int:
    from kore_tui.cli.deploy_cmd import run_bounce

    return run_bounce(args)


def _status(args: argparse.Namespace) -> int:
    from kore_tui.cli.status_cmd import run_status

    return run_status(args)


def _history(args: argparse.Namespace) -> int:
    from kore_tui.cli.history_cmd import run_history

    return run_history(args)


def _serve(args: argparse.Namespace) -> int:
    from kore_tui.cli.serve_cmd import run_serve

    return run_serve(args)


def _env(args: argparse.Namespace) -> int:
    from kore_tui.cli.env_cmd import run_env

    return run_env(args)


def _simulator(args: argparse.Namespace) -> int:
    from kore_tui.cli.simulator_cmd import run_simulator

    return run_simulator(args)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kore-tui",
        description="Undeploy Kore.ai Agent Platform models and watch their dock-status jobs. "
        "Without a command, opens the console.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=_console, command_name=None, takes_globals=True)
    parser.add_argument(
        "--version",
        dest="version_asked",
        action="store_true",
        help="print the version and exit (alone: with anything else, exit 2)",
    )
    add_global_options(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a local simulator with demo models and open the console",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    def command(name: str, handler: Handler, **kw: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, **kw)
        p.set_defaults(handler=handler, command_name=name, takes_globals=True)
        return p

    add_change_commands(command, undeploy=_undeploy, deploy=_deploy, bounce=_bounce)
    add_read_commands(command, status=_status, history=_history)
    add_serve_command(command, _serve)
    add_env_command(command, _env)
    add_simulator_command(command, _simulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = wants_json(arguments)
    try:
        args = build_parser().parse_args(arguments)
        if args.version_asked:
            return _version_alone(arguments, args)
        apply_global_options(args)
    except CliError as exc:
        report(exc.code, exc.message, as_json=as_json, usage=exc.usage)
        return EXIT_USAGE
    handler: Handler = args.handler
    terminated = _sigterm_as_ctrl_c(args.command_name)
    try:
        code = handler(args)
        sys.stdout.flush()  # here, where a reader gone away is handled, not at exit
        return EXIT_TERMINATED if terminated() else code
    except KeyboardInterrupt:
        print("terminated" if terminated() else "interrupted", file=sys.stderr)
        return EXIT_TERMINATED if terminated() else EXIT_INTERRUPTED
    except BrokenPipeError:
        return _reader_gone()
    finally:
        terminated.restore()


class _Termination:
    """SIGTERM (a runbook's `timeout`, `kill`) during a command that runs an engine ends it
    as Ctrl-C does: requests in flight finish, the resume (and owed redeploy) commands are
    printed, exit 143. Python's default ended the process at once, silently (exit 124 under
    `timeout`), a bounce's models left down. The signal is turned into a SIGINT, which
    asyncio's runner answers by cancelling the run gracefully."""

    def __init__(self, active: bool) -> None:
        self.fired = False
        self._previous: object = None
        if active:
            try:
                self._previous = signal.signal(signal.SIGTERM, self._fire)
            except ValueError:  # not the main thread (embedded): Python's default stays
                self._previous = None

    def _fire(self, signum: int, frame: object) -> None:
        self.fired = True
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            # Started in the background (nohup, `cmd &`): SIGINT is ignored, so the run
            # ends from here; asyncio still cancels its tasks, which finish as on Ctrl-C.
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGINT)

    def __call__(self) -> bool:
        return self.fired

    def restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)  # type: ignore[arg-type]


def _sigterm_as_ctrl_c(command: str | None) -> _Termination:
    return _Termination(command in ("undeploy", "deploy", "bounce", "status"))


def _reader_gone() -> int:
    """stdout's reader went away (``kore-tui history --json | head -5``): end quietly, as
    a tool killed by SIGPIPE does (exit 141), instead of a traceback. Whatever the command
    sent is journaled already; only its report was not read. stdout is pointed at
    /dev/null so that the interpreter's own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # a stdout without a file descriptor (tests, embedding)
        pass
    return EXIT_BROKEN_PIPE
