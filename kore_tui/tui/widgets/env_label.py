"""One environment as a row of the picker: its colour, name, host and tags."""

from __future__ import annotations

from rich.text import Text

from kore_tui.core.config import Environment
from kore_tui.core.text import inert
from kore_tui.tui.widgets.banner import rich_colour


def env_label(
    env: Environment,
    default: bool,
    name_width: int = 20,
    host_width: int = 44,
    current: bool = False,
    active: int = 0,
    guard: str | None = None,
) -> Text:
    """One row of the picker; columns only as wide as the longest name and host, so the
    flags (PROTECTED above all) stay on screen at 80 columns. ``current``: the one on
    screen; ``active``: jobs its engine still tracks in the background (another one is on
    screen: "open" on one row only read as if the others had stopped). ``guard``: the
    protected environment whose platform this one shares under another name (its actions
    are asked as protected: the tag says so, as the console's banner does)."""
    protected = f"PROTECTED: {inert(guard, 20)}'s platform" if guard else "PROTECTED"
    text = Text()
    text.append(" ● ", style=f"bold {rich_colour(env.colour)}")
    text.append(f"{inert(env.name, 40):<{name_width}}", style="bold")
    text.append(f" {inert(env.host, 50):<{host_width}}")
    # Tags carry their own foreground and background: legible on any theme and on the
    # highlighted row (a bare colour on the highlight was grey on bright green).
    # The safety tags first: on a narrow terminal a row wraps, and what wraps is the rest.
    for flag, on, style in (
        (protected, env.protected or guard is not None, "white on red"),
        ("READ-ONLY", env.read_only, "black on yellow"),
        ("on screen", current, "black on white"),
        (f"{active} active", active > 0 and not current, "black on green"),
        ("default", default, "black on cyan"),
    ):
        if on:
            text.append(" ")
            text.append(f" {flag} ", style=f"bold {style}")
    return text
