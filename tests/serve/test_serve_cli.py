"""``kore-tui serve`` refusals: each exits 2 with the reason, before anything listens.

Refusals run in this process (tests/cli_runner.py); Ctrl-C on a serving process is a
real process (a signal, and the serve family's ``python -m kore_tui`` wiring).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kore_tui.cli.main import main
from kore_tui.serve.console import HOST_VARIABLE, KEY_VARIABLE, ServedConsoleError, demo_target
from tests.cli_runner import run_cli
from tests.conftest import SENTINEL_KEY


def write_config(isolated: Path, body: str) -> None:
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


PROD = '[environments.prod]\nhost = "https://agent-platform.kore.ai"\nprotected = true\n'


def test_an_environment_that_can_undeploy_is_not_served(isolated: Path) -> None:
    write_config(isolated, PROD)
    result = run_cli("serve", "--env", "prod")
    assert result.returncode == 2
    assert "refusing to serve environment 'prod': it can undeploy" in result.stderr
    assert "--read-only" in result.stderr and "--demo" in result.stderr
    assert "open:" not in result.stdout


def test_the_default_environment_is_refused_too(isolated: Path) -> None:
    write_config(isolated, 'default = "prod"\n' + PROD)
    result = run_cli("serve")
    assert result.returncode == 2
    assert "refusing to serve environment 'prod'" in result.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--env", "nope", "--read-only"], "no environment named 'nope'"),
        (["--read-only"], "no environment: pass --env NAME"),
        (["--demo", "--env", "prod"], "--demo serves its own demo simulator; --env does not apply"),
        (["--demo", "--port", "70000"], "--port must be 0 to 65535"),
        (["--demo", "--port", "x"], "invalid int value"),
    ],
)
def test_usage_errors(
    isolated: Path, capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    write_config(isolated, PROD)
    assert main(["serve", *args]) == 2
    assert reason in capsys.readouterr().err


def test_without_the_serve_extra_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    monkeypatch.delitem(sys.modules, "kore_tui.serve.server", raising=False)
    assert main(["serve", "--demo", "--port", "0"]) == 2
    assert "pip install 'kore-tui[serve]'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({}, "must be set"),
        ({HOST_VARIABLE: "http://127.0.0.1:9"}, "must be set"),
        (
            {HOST_VARIABLE: "https://agent-platform.kore.ai", KEY_VARIABLE: SENTINEL_KEY},
            "must be on loopback",
        ),
        ({HOST_VARIABLE: "http://10.0.0.1:80", KEY_VARIABLE: SENTINEL_KEY}, "http"),
    ],
)
def test_the_demo_console_talks_only_to_a_loopback_simulator(
    environ: dict[str, str], reason: str
) -> None:
    with pytest.raises(ServedConsoleError, match=reason) as info:
        demo_target(dict(environ))
    assert SENTINEL_KEY not in str(info.value)


def test_the_demo_console_takes_its_key_out_of_the_environment() -> None:
    environ = {HOST_VARIABLE: "http://127.0.0.1:9", KEY_VARIABLE: SENTINEL_KEY, "HOME": "/x"}
    host, key = demo_target(environ)
    assert (host, key.reveal()) == ("http://127.0.0.1:9", SENTINEL_KEY)
    assert environ == {"HOME": "/x"}  # nothing this console starts inherits the key


def test_ctrl_c_as_soon_as_the_url_shows_stops_cleanly() -> None:
    from tests.serve.helpers import serving

    with serving("--demo") as served:
        pass  # leaving sends SIGINT at once
    assert served.process.returncode == 0, "".join(served.output)


def test_demo_before_serve_says_where_it_belongs(capsys: pytest.CaptureFixture[str]) -> None:
    # Before, the message only said --demo "does not apply" to serve, which has a --demo.
    assert main(["--demo", "serve"]) == 2
    assert "kore-tui serve --demo" in capsys.readouterr().err


@pytest.mark.parametrize("inherited", [signal.default_int_handler, signal.SIG_IGN])
def test_a_port_in_use_is_named_with_what_to_do(
    isolated: Path, inherited: signal.Handlers | Callable[..., object]
) -> None:
    """An operator's run: '[Errno 98] error while attempting to bind on address …'.

    Started with SIGINT ignored (what a shell script's background job inherits), serve
    left it at Python's default: asyncio's loop puts the default back when it removes a
    handler, whatever was there before (run_cli fails on a handler left changed; the
    full suite, started from such a job, failed here in 5 of 6 runs)."""
    import socket

    write_config(isolated, PROD)
    before = signal.signal(signal.SIGINT, inherited)
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = run_cli("serve", "--env", "prod", "--read-only", "--port", str(port))
    finally:
        signal.signal(signal.SIGINT, before)
    assert result.returncode == 2, result.stderr
    assert f"port {port} is already in use" in result.stderr, result.stderr
    assert "--port 0" in result.stderr and "Errno" not in result.stderr
