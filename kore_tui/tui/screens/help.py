"""F1 / ?: what every key does, derived from the bindings themselves (kore_tui.tui.keys)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from kore_tui.tui.keys import KeyHelp
from kore_tui.tui.screens.dialog import Dialog
from kore_tui.tui.write_access import is_write

# Textual's own keys, which kore-tui does not declare.
_BUILT_IN = [
    ("ctrl+p", "anywhere", "Command palette: every action above, and themes"),
    ("tab", "anywhere", "Move between the ID box and the jobs panel"),
    ("ctrl+q", "anywhere", "Quit (asks while jobs are not final)"),
]

STATES = (
    "Actions apply to the marked jobs, or to the job under the cursor when none is marked. "
    "Marks are cleared when you switch environments, and once a retry, undo or bounce of "
    "them is confirmed. A paste goes to the ID box wherever "
    "the focus is.\n\n"
    "States: QUEUED, SUBMITTING, IN_PROGRESS, SUCCESS, FAILED, TIMED_OUT (deadline passed, "
    "re-checkable), UNKNOWN (the request may have reached the server: check before you "
    'retry), ERROR (rejected or unreachable, with the reason). A ⚠ next to "checked" '
    "means the last checks failed and the row is stale.\n\n"
    "Action: UNDEPLOY or DEPLOY; ↻ marks the two halves of a bounce (its redeploy is sent "
    "only after the undeploy is verified SUCCESS). Resource: cm- is a model, a- a tool. "
    "In history (F3), u undoes the undeploy under the cursor."
)


def help_renderable(keys: list[KeyHelp], refused: str | None = None) -> Group:
    """Every key; ``refused``: why the writes do nothing here (a read-only console or
    environment), said on top, and each write's row greyed and marked "refused here"."""
    table = Table(box=None, expand=True, show_edge=False, pad_edge=False, padding=(0, 1))
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Where", style="dim", no_wrap=True)
    table.add_column("What", ratio=1)
    for row in keys:
        if refused and is_write(row.action):
            table.add_row(
                Text(row.key, style="dim"),
                row.where,
                Text(f"{row.text} — refused here: read-only", style="dim"),
            )
        else:
            table.add_row(row.key, row.where, row.text)
    for key, where, text in _BUILT_IN:
        table.add_row(key, where, text)
    head = [Text("kore-tui keys", style="bold underline"), Text("")]
    if refused:
        head += [Text(refused, style="bold yellow"), Text("")]
    return Group(*head, table, Text(""), Text(STATES))


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "*"  # its scroll container: the arrows and PageUp/PageDown scroll it
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close")]

    def __init__(self, keys: list[KeyHelp], refused: str | None = None) -> None:
        super().__init__()
        self._keys = keys
        self._refused = refused

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog tall") as body:
            body.border_title = "Help: Esc, q or F1 closes; ↑ ↓ PgUp PgDn scroll"
            yield Static(help_renderable(self._keys, self._refused), id="help")

    def action_close(self) -> None:
        self.dismiss(None)
