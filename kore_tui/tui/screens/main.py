"""The console's one working screen: banner, ID entry, summary, live jobs panel.

This file holds what the screen is (its keys, layout and start); what it does is in
one file per group of actions: entry_actions (the ID box), job_actions (the jobs
panel) and view_actions (filter, sort, views), each on panel.py (state, drain, sending).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from kore_tui.tui.keys import KeyHelp, all_keys, fit_keys, key_label
from kore_tui.tui.screens.entry_actions import EntryActions
from kore_tui.tui.screens.help import HelpScreen
from kore_tui.tui.screens.job_actions import JobActions
from kore_tui.tui.screens.view_actions import ViewActions
from kore_tui.tui.widgets.banner import EnvBanner
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.items_line import ItemsLine
from kore_tui.tui.widgets.jobs_table import JobsHeader, JobsTable
from kore_tui.tui.widgets.quiet_footer import QuietFooter
from kore_tui.tui.widgets.safe_text import SafeInput
from kore_tui.tui.write_access import is_write, read_only_note, shown_disabled


class FilterInput(SafeInput):
    BINDINGS = [
        Binding("escape", "screen.escape", "Clear filter", tooltip="Clear the filter and close it")
    ]


class MainScreen(EntryActions, JobActions, ViewActions):
    _shown_writable: bool | None = None
    _entry_keys = "IDs"  # the ID box's title with its keys (show_write_access)
    # Every key is declared once, here or on the ID box / jobs panel; footer, F1 help and
    # the command palette are derived from these (kore_tui.tui.keys). Priority: a
    # TextArea's own ctrl+u/ctrl+w/ctrl+l (line editing) must not win in the ID box.
    BINDINGS = [
        Binding(
            "ctrl+u",
            "undeploy",
            "Undeploy",
            show=False,
            priority=True,
            tooltip="Undeploy the pasted model and tool IDs (asks to confirm)",
        ),
        Binding(
            "ctrl+d",
            "deploy",
            "Deploy",
            show=False,
            priority=True,
            tooltip="Deploy the pasted model and tool IDs (parameters: journal, profile "
            "or form; asks to confirm)",
        ),
        Binding(
            "ctrl+r",
            "bounce_ids",
            "Bounce",
            show=False,
            priority=True,
            tooltip="Bounce the pasted IDs: undeploy, then redeploy with the same "
            "parameters once the undeploy is SUCCESS (asks to confirm)",
        ),
        Binding(
            "ctrl+w",
            "watch",
            "Watch",
            show=False,
            priority=True,
            tooltip="Watch the pasted dock status IDs (jobs started elsewhere)",
        ),
        Binding(
            "ctrl+o",
            "load_file",
            "Load",
            show=False,
            priority=True,
            tooltip="Load IDs from a file into the ID box",
        ),
        Binding(
            "ctrl+l", "clear_ids", "Clear", show=False, priority=True, tooltip="Clear the ID box"
        ),
        # Not priority: the ID box does not bind it, and its title keeps to the actions.
        Binding(
            "ctrl+t",
            "drop_invalid",
            "Drop invalid",
            show=False,
            tooltip="Drop the invalid ID-like tokens from the ID box (every valid ID stays)",
        ),
        # Priority: run as the key arrives, so that the keys typed after it are held for the
        # picker (tui/typed_ahead.py); routed first, F2 acted after them.
        Binding(
            "f2",
            "environments",
            "Envs",
            priority=True,
            tooltip="Environments: switch, add, edit or remove",
        ),
        Binding("f3", "history", "History", tooltip="History of past jobs from the journal"),
        Binding("f1", "help", "Help", tooltip="Help: every key and what the states mean"),
        Binding(
            "E",
            "toggle_all_environments",
            "All envs",
            show=False,
            tooltip="Every open environment's jobs in one panel (Env column), or back",
        ),
        Binding(
            "ctrl+k",
            "replace_key",
            "New key",
            show=False,
            tooltip="Enter a new API key for this environment (after a 401/403)",
        ),
    ]
    DEFAULT_CSS = """
    MainScreen { layout: vertical; }
    #summary-row { height: auto; }
    #summary { width: 1fr; height: auto; }
    /* A terminal under 16 rows: the ID box gives rows to the jobs panel (at 40x12 one row
       of jobs was left, none once the summary wrapped, while the panel's keys acted). */
    MainScreen.-short IdEntry { min-height: 5; }
    /* ... and the summary keeps one row (at 40 columns it wrapped to 3, and the panel
       showed its header and no job at all). */
    MainScreen.-short #summary-row { max-height: 1; }
    /* Its one row is the counts': the bar's 16 columns hid 8 FAILED at 40x12. */
    MainScreen.-short #progress { display: none; }
    /* 1 column apart from the summary ("5 SUCCESS━━━" read as one word), in the width
       the bar had: the summary keeps its 104 columns at 120. */
    #progress { width: 15; margin-left: 1; }
    #progress Bar { width: 1fr; }
    #batch { display: none; height: auto; background: $boost; }
    #filter { display: none; height: 1; border: none; padding: 0 1; }
    #filter.visible { display: block; }
    JobsHeader { height: 1; background: $boost; text-style: bold; padding: 0 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        yield EnvBanner(id="banner")
        yield IdEntry(id="entry")
        with Horizontal(id="summary-row"):
            yield ItemsLine(id="summary")
            yield ProgressBar(id="progress", show_eta=False, total=1)
        yield Static("", id="batch")
        yield FilterInput(
            placeholder="filter: text in model, dock status, status or error "
            "(enter: to the jobs · esc: clear)",
            id="filter",
        )
        yield JobsHeader(id="jobs-header")
        yield JobsTable(self.model, id="jobs", clock=self.kore.clock)
        yield QuietFooter(compact=True)

    def on_resize(self) -> None:
        short = self.size.height < 16
        if short != self.has_class("-short"):
            self.set_class(short, "-short")
            self._update_summary()  # its one row puts the problems first
        self._title_entry()

    def _title_entry(self) -> None:
        """The ID box's keys in its title, whole at any width they can be (keys.fit_keys)."""
        self.query_one(IdEntry).border_title = fit_keys(self._entry_keys, self.size.width - 6)

    def on_mount(self) -> None:
        self.model.clock = self.kore.clock
        self.query_one(JobsHeader).set_sort(self.model.sort)
        entry = self.query_one(IdEntry)
        if self._prefill:
            entry.set_text(self._prefill)
        self.query_one(IdEntry).text_area.focus()  # the first thing an operator does: paste
        self.set_interval(0.1, self._drain)
        self.set_interval(1.0, self._second)
        self._update_summary()
        self.refresh_banner()

    # -- read-only: the writes are shown disabled ------------------------------------------

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The footer's keys: a write is shown disabled where it cannot run."""
        bindings = super().active_bindings
        return bindings if self.writable else shown_disabled(bindings)

    def refresh_banner(self) -> None:
        super().refresh_banner()
        self.show_write_access()  # the environment, or its read-only setting, may have changed

    def show_write_access(self) -> None:
        writable = self.writable
        if writable == self._shown_writable:
            return
        self._shown_writable = writable
        entry = self.query_one(IdEntry)
        keys = [  # the box's own keys: its priority bindings but F2 (in the footer)
            f"{key_label(b.key)} {b.description.lower()}"
            for b in self.BINDINGS
            if isinstance(b, Binding)
            and b.priority
            and b.show is False
            and (writable or not is_write(b.action))
        ]
        self._entry_keys = f"IDs ({'' if writable else 'read-only: '}{' · '.join(keys)})"
        self._title_entry()
        entry.set_writable(writable)
        table = self.query_one(JobsTable)
        table.writable = writable
        table.refresh()
        self.refresh_bindings()

    def action_environments(self) -> None:
        self.kore.action_environments()

    def action_replace_key(self) -> None:
        self.kore.action_replace_key()

    def action_help(self) -> None:
        env = self.kore.env
        name = env.name if env is not None else None
        note = None if self.writable else read_only_note(self.kore.read_only, name)
        self.app.push_screen(HelpScreen(console_keys(), note))


def console_keys() -> list[KeyHelp]:
    """The console's described keys, for help and the command palette (one place)."""
    return all_keys(MainScreen.BINDINGS, JobsTable.BINDINGS, FilterInput.BINDINGS)
