"""What may be served and the console's command line: one row per rule."""

from __future__ import annotations

import argparse

import pytest

from kore_tui.core.config import Environment
from kore_tui.serve.console import parse_args
from kore_tui.serve.policy import ServeRefused, served_console

PY = "/usr/bin/python3"
C = "kore_tui.serve.console"
PROD = Environment("prod", "https://agent-platform.kore.ai", protected=True)
WATCH = Environment("watch", "https://agent-platform.kore.ai", read_only=True)
ADHOC = Environment(
    "KORE_HOST", "https://agent-platform.kore.ai", key_env="KORE_API_KEY", ephemeral=True
)
DASHED = Environment("-x", "https://agent-platform.kore.ai")

ROWS = [
    # demo, --read-only, environment, the console's argv or a word of the refusal
    (True, False, None, [PY, "-m", C, "--demo"]),
    (True, True, None, [PY, "-m", C, "--demo", "--read-only"]),
    (False, False, PROD, "refusing to serve environment 'prod'"),
    (False, True, PROD, [PY, "-m", C, "--read-only", "--env=prod"]),
    (False, False, WATCH, [PY, "-m", C, "--read-only", "--env=watch"]),
    (False, True, WATCH, [PY, "-m", C, "--read-only", "--env=watch"]),
    (False, False, ADHOC, "refusing to serve environment 'KORE_HOST'"),
    (False, True, ADHOC, [PY, "-m", C, "--read-only"]),
    (False, True, DASHED, [PY, "-m", C, "--read-only", "--env=-x"]),
    (False, True, None, "nothing to serve"),
]


@pytest.mark.parametrize(("demo", "read_only", "env", "expected"), ROWS)
def test_served_console(
    demo: bool, read_only: bool, env: Environment | None, expected: list[str] | str
) -> None:
    if isinstance(expected, str):
        with pytest.raises(ServeRefused, match=expected) as info:
            served_console(python=PY, demo=demo, read_only=read_only, env=env)
        if env is not None:
            assert "--read-only" in str(info.value) and "--demo" in str(info.value)
    else:
        console = served_console(python=PY, demo=demo, read_only=read_only, env=env)
        assert list(console.argv) == expected
        assert console.demo is demo


@pytest.mark.parametrize("env", [PROD, WATCH, DASHED])
def test_the_console_command_line_parses_as_read_only_for_that_environment(
    env: Environment,
) -> None:
    """What the served console's own parser makes of its argv: read-only, that env."""
    argv = served_console(python=PY, demo=False, read_only=True, env=env).argv
    args: argparse.Namespace = parse_args(argv[3:])
    assert (args.read_only, args.env, args.demo) == (True, env.name, False)


@pytest.mark.parametrize("argv", [[], ["--env=prod"], ["--demo", "--env=prod"]])
def test_the_served_console_starts_only_as_demo_or_read_only(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse_args(argv)
    assert info.value.code == 2
