"""The core never imports Textual; commands that do not talk to the platform stay off
Textual, httpx, asyncio and tomlkit."""

from __future__ import annotations

import json
import subprocess
import sys

CORE_MODULES = [
    "kore_tui.core.api_client",
    "kore_tui.core.ids",
    "kore_tui.core.config",
    "kore_tui.core.keys",
    "kore_tui.core.engine",
    "kore_tui.core.journal",
    "kore_tui.core.store",
    "kore_tui.simulator",
    "kore_tui.cli.undeploy_cmd",
    "kore_tui.cli.status_cmd",
    "kore_tui.cli.history_cmd",
    "kore_tui.cli.env_cmd",
]


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_core_and_headless_cli_do_not_import_textual() -> None:
    modules = loaded_after("\n".join(f"import {m}" for m in CORE_MODULES))
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}


# What a command that neither talks to the platform nor writes TOML has no use for:
# Textual (~0.2 s), httpx (~0.1 s), aiohttp, Rich, asyncio (+ssl, ~0.03 s) and tomlkit
# (~0.03 s; only writing a config or credentials file needs it).
UNNEEDED = ("textual", "httpx", "aiohttp", "rich", "asyncio", "tomlkit")
LIGHT_COMMANDS = [
    ["--version"],
    ["--help"],
    ["undeploy", "--help"],
    ["history", "--json"],
    ["history"],
    ["env", "list"],
]


def test_light_commands_import_nothing_they_do_not_use() -> None:
    # One interpreter runs them in turn: what is loaded only grows, so a module absent after
    # the last one was absent after each.
    code = (
        "import contextlib, io, json, sys\n"
        "from kore_tui.cli.main import main\n"
        f"bad = {{}}\n"
        f"for argv in {LIGHT_COMMANDS!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            assert main(argv) == 0, argv\n"
        "        except SystemExit as exc:\n"
        "            assert exc.code == 0, argv\n"
        f"    loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({UNNEEDED!r}))\n"
        "    bad.setdefault(' '.join(argv), loaded)\n"
        "print(json.dumps(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded == {" ".join(argv): [] for argv in LIGHT_COMMANDS}
