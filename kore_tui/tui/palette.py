"""The command palette's console commands: every described key of the console, from
the same bindings as the footer and F1 help (kore_tui.tui.keys)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from textual.app import SystemCommand

from kore_tui.tui.screens.main import MainScreen, console_keys


def console_commands(main: Callable[[], MainScreen]) -> Iterable[SystemCommand]:
    """One command per key; ``main`` finds the main screen when a command runs."""
    for row in console_keys():
        if row.action.startswith("app."):
            continue  # Textual lists quit itself
        yield SystemCommand(
            row.text, f"key: {row.key} ({row.where})", partial(run_console_action, main, row.action)
        )


async def run_console_action(main: Callable[[], MainScreen], action: str) -> None:
    """A palette command: the action of its binding, on the widget that declares it."""
    name = action.split(".", 1)[-1]
    screen = main()
    target = screen if hasattr(screen, f"action_{name}") else screen.query_one("#jobs")
    await target.run_action(name)
