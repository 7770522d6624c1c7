"""The in-process CLI runner answers like a process would and cleans up after itself."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading

import pytest

from kore_tui import __version__
from tests import cli_runner
from tests.cli_runner import run_cli

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
HOST = {"KORE_HOST": "https://agent-platform.kore.ai", "KORE_API_KEY": "kg-x"}


def test_exit_code_of_system_exit_and_of_a_return() -> None:
    version = run_cli("--version")
    assert (version.returncode, version.stdout) == (0, f"kore-tui {__version__}\n")
    bad = run_cli("undeploy", "--json", "--no-such-option")
    assert bad.returncode == 2
    assert json.loads(bad.stdout)["error"]["code"] == "usage"
    assert "--no-such-option" in bad.stderr


def test_stdin_and_environment_reach_the_command_and_are_put_back() -> None:
    streams = (sys.stdin, sys.stdout, sys.stderr)
    environ = dict(os.environ)
    done = run_cli(
        "undeploy", "--dry-run", "--json", "--file", "-", env=HOST, stdin=f"modelId\n{MODEL}\n"
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert (plan["host"], plan["modelIds"]) == (HOST["KORE_HOST"], [MODEL])
    assert (sys.stdin, sys.stdout, sys.stderr) == streams
    assert dict(os.environ) == environ


def test_a_variable_can_be_unset_for_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in HOST.items():
        monkeypatch.setenv(name, value)
    done = run_cli("undeploy", "--dry-run", MODEL, env={"KORE_HOST": None})
    assert done.returncode == 2 and "KORE_HOST" in done.stderr
    assert os.environ["KORE_HOST"] == HOST["KORE_HOST"]


def test_no_stdin_is_empty_and_not_a_terminal() -> None:
    done = run_cli("undeploy", MODEL, env=HOST)
    assert done.returncode == 2 and "not on a terminal" in done.stderr


def test_an_uncaught_exception_is_exit_1_with_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(argv: list[str]) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_runner, "main", boom)
    done = run_cli("history")
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError: boom" in done.stderr


def test_a_thread_left_running_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()

    def leaks(argv: list[str]) -> int:
        threading.Thread(target=stop.wait, name="leaked-engine", daemon=True).start()
        return 0

    monkeypatch.setattr(cli_runner, "main", leaks)
    monkeypatch.setattr(cli_runner, "_THREAD_GRACE", 0.1)
    try:
        with pytest.raises(AssertionError, match="left threads running: \\['leaked-engine'\\]"):
            run_cli("history")
    finally:
        stop.set()


def test_a_signal_handler_left_behind_fails_and_is_put_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = signal.getsignal(signal.SIGUSR1)

    def installs(argv: list[str]) -> int:
        signal.signal(signal.SIGUSR1, lambda *_: None)
        return 0

    monkeypatch.setattr(cli_runner, "main", installs)
    with pytest.raises(AssertionError, match="SIGUSR1"):
        run_cli("history")
    assert signal.getsignal(signal.SIGUSR1) == before


def test_logging_and_working_directory_are_put_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    root = logging.getLogger()
    handlers, level, cwd = list(root.handlers), root.level, os.getcwd()

    def meddles(argv: list[str]) -> int:
        logging.basicConfig(level=logging.CRITICAL, force=True)
        os.chdir(tmp_path)
        return 0

    monkeypatch.setattr(cli_runner, "main", meddles)
    assert run_cli("history").returncode == 0
    assert (root.handlers, root.level, os.getcwd()) == (handlers, level, cwd)
