"""The command palette's console commands: every described key of the console, from
the same bindings as the footer and F1 help (kore_tui.tui.keys)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from textual.app import SystemCommand

from kore_tui.tui.screens.main import MainScreen, console_keys
from kore_tui.tui.write_access import is_write


def console_commands(main: Callable[[], MainScreen]) -> Iterable[SystemCommand]:
    """One command per key; ``main`` finds the main screen when a command runs. In a
    read-only console or environment a write says so before it is picked."""
    refused = not main().writable
    for row in console_keys():
        if row.action.startswith("app."):
            continue  # Textual lists quit itself
        where = f"key: {row.key} ({row.where})"
        if refused and is_write(row.action):
            where += " · refused here: read-only"
        yield SystemCommand(row.text, where, partial(run_console_action, main, row.action))


async def run_console_action(main: Callable[[], MainScreen], action: str) -> None:
    """A palette command: the action of its binding, on the widget that declares it."""
    name = action.split(".", 1)[-1]
    screen = main()
    target = screen if hasattr(screen, f"action_{name}") else screen.query_one("#jobs")
    await target.run_action(name)
