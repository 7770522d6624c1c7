"""Which actions change a deployment, and how a read-only screen shows them.

In a read-only console or environment the write actions stay bound: pressed, each says
why nothing happens (a binding disabled through ``check_action`` would do nothing,
silently). What changes is what the screen offers: the footer shows them disabled.
"""

from __future__ import annotations

from textual.binding import ActiveBinding

from kore_tui.core.text import inert

# By action name without its namespace ("screen.retry" is "retry").
WRITE_ACTIONS = frozenset({"undeploy", "deploy", "bounce_ids", "bounce", "retry", "undo"})


def is_write(action: str) -> bool:
    return action.removeprefix("screen.") in WRITE_ACTIONS


def shown_disabled(bindings: dict[str, ActiveBinding]) -> dict[str, ActiveBinding]:
    """``bindings`` (a screen's ``active_bindings``) with every write shown disabled.
    Only the footer and the key panel read ``active_bindings``; key dispatch does not."""
    return {
        key: shown._replace(enabled=False) if is_write(shown.binding.action) else shown
        for key, shown in bindings.items()
    }


def refusal(console_read_only: bool, environment: str | None, what: str) -> str:
    """Why a write is refused, naming what is read-only: with --read-only it is the
    console, whatever the environment ("demo is read-only" blamed the environment)."""
    if console_read_only:
        return f"This console is read-only: {what} is disabled (opened with --read-only)."
    who = f"{inert(environment, 40)} is read-only" if environment else "Read-only"
    return f"{who}: {what} is disabled."


def read_only_note(console_read_only: bool, environment: str | None) -> str:
    """Help's line on top, in a read-only console or environment: why the greyed keys
    do nothing here (each, pressed, says so too)."""
    if console_read_only:
        return "This console is read-only (opened with --read-only): the greyed keys are refused."
    who = f"{inert(environment, 40)} is read-only" if environment else "Read-only"
    return f"{who}: the greyed keys are refused in this environment."
