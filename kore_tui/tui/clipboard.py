"""What the console says after putting IDs on the clipboard.

The terminal puts them there (OSC 52), or not: tmux, screen and some terminals drop the
sequence, and nothing tells the console. "Copied … to the clipboard" claimed what it could
not know (a break-it run in tmux), so the words say where they were sent and what to do
when they did not arrive.
"""

from __future__ import annotations


def clipboard_told(what: str) -> str:
    """'Sent 2 dock status ID(s) to the terminal's clipboard (…)' for ``what`` sent."""
    return (
        f"Sent {what} to the terminal's clipboard (OSC 52: tmux and some terminals drop "
        "it; e exports them to a file)."
    )
