"""F1 / ?: what every key does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# kore-tui keys

| Key | Where | What |
|---|---|---|
| `ctrl+u` | anywhere | Undeploy the pasted model IDs (asks to confirm) |
| `ctrl+w` | anywhere | Watch the pasted dock status IDs |
| `ctrl+o` | anywhere | Load IDs from a file |
| `F2` | anywhere | Environments: switch, add, edit, remove |
| `F3` / `h` | anywhere / jobs | History from the journal |
| `F1` / `?` | anywhere / jobs | This help |
| `ctrl+p` | anywhere | Command palette (every action, themes) |
| `tab` | anywhere | Move between the ID box and the jobs panel |
| `ctrl+q` | anywhere | Quit (asks while jobs are not final; they resume next time) |
| `/` | jobs | Filter by text (model, dock status, status, error) |
| `f` | jobs | Status filter: all, active, problems, success |
| `s` | jobs | Sort: created, status, elapsed, model |
| `space` / `a` / `esc` | jobs | Mark row / mark all shown / clear marks |
| `enter` | jobs | Job detail: raw last response and timeline |
| `r` | jobs | Re-check the marked (or current) jobs now |
| `R` | jobs | Retry FAILED / UNKNOWN / ERROR jobs (sends the undeploy again) |
| `x` | jobs | Stop tracking |
| `c` | jobs | Copy the IDs to the clipboard |
| `e` | jobs | Export CSV or JSON (by the file name you give) |
| `p` | jobs | Pause / resume all requests |

Actions apply to the marked jobs, or to the job under the cursor when none is marked.
Marks are cleared when you switch environments.

**States**: QUEUED, SUBMITTING, IN_PROGRESS, SUCCESS, FAILED, TIMED_OUT (deadline passed,
re-checkable), UNKNOWN (the request may have reached the server: check before you retry),
ERROR (rejected or unreachable, with the reason). A ⚠ next to "checked" means the last
checks failed and the row is stale.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog tall") as body:
            body.border_title = "Help: Esc, q or F1 closes; ↑ ↓ PgUp PgDn scroll"
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
