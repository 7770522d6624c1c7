"""Past jobs from the journal, read on a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label

from kore_tui.core.job import Job
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.text import inert
from kore_tui.tui.lifecycle import undoable
from kore_tui.tui.screens.detail import JobDetail
from kore_tui.tui.screens.panel import action_words
from kore_tui.tui.widgets.history_columns import history_cells, history_columns
from kore_tui.tui.widgets.job_columns import Column
from kore_tui.tui.widgets.quiet_footer import QuietFooter
from kore_tui.tui.widgets.safe_text import SafeInput
from kore_tui.tui.write_access import shown_disabled


def matches_filter(job: Job, needle: str) -> bool:
    """Does the job hold ``needle`` (lower case) in its IDs, state, error, environment or
    action, or is it a dock status ID of an earlier attempt (named in its timeline: an
    operator searched for the ID an alert gave, and found nothing)? Only the IDs of the
    timeline: its words ("attempt 1 ended FAILED") made "FAILED" list retried jobs."""
    fields = (job.model_id, job.dock_status_id, job.state.value, job.error, job.environment)
    earlier = job.earlier_dock_status_ids
    return needle in " ".join(filter(None, (*fields, job.action, *earlier))).lower()


class HistoryTable(DataTable[object]):
    """History's rows. Home and End move the row cursor, as they do in the jobs panel:
    DataTable binds them to horizontal scrolling, which left the cursor (and so what u
    undoes) on a row the operator no longer saw."""

    BINDINGS = [
        # The table's own Enter (select, shown nowhere) hid the screen's from the footer.
        Binding("enter", "screen.detail", "Detail"),
        Binding("home", "scroll_top", "Top", show=False),
        Binding("end", "scroll_bottom", "Bottom", show=False),
    ]


class HistoryScreen(Screen[None]):
    # In the footer's order: what history is for first (at 80 columns the footer shows
    # what fits whole, and "esc Back / clear filter  q Back" left out u and Enter).
    BINDINGS = [
        Binding("u", "undo", "Undo", tooltip="Undo (redeploy) the job under the cursor"),
        # Priority: the keys typed after '/' reach the filter (tui/widgets/jobs_bindings.py).
        Binding("slash", "filter", "Filter", priority=True),
        Binding("t", "toggle_scope", "This env / all"),
        Binding("escape", "back", "Back", tooltip="Clear the filter; pressed again, go back"),
        Binding("q", "close", "Back", show=False),
    ]
    DEFAULT_CSS = """
    HistoryScreen DataTable { height: 1fr; }
    HistoryScreen #history-filter { display: none; height: 1; border: none; padding: 0 1; }
    HistoryScreen #history-filter.visible { display: block; }
    """
    REFRESH_SECONDS = 2.0  # the journal changes while jobs run: history follows it
    NEWEST = 500  # jobs loaded (the newest), by default

    def __init__(
        self,
        environment: str | None,
        limit: int | None = None,
        journal_path: Path | None = None,
        undo: Callable[[Job], None] | None = None,
        refused_undo: str = "",
    ) -> None:
        super().__init__()
        self._undo = undo  # the main screen's undo: confirmed like any deploy
        # Read-only: why undo is refused; undo is then shown disabled and, pressed, says it.
        self.refused_undo = refused_undo
        self.journal_path = journal_path
        self.environment = environment
        self.limit = self.NEWEST if limit is None else limit
        self.all_envs = environment is None
        self.jobs: list[Job] = []
        self._loaded: list[Job] = []
        self._scope = ""
        self._title = ""
        self._columns: tuple[Column, ...] = ()
        self._last_error = ""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        return shown_disabled(bindings) if self.refused_undo else bindings

    def compose(self) -> ComposeResult:
        yield Label("", id="title")
        yield SafeInput(
            placeholder="filter history: model, dock status, status, error (esc clears)",
            id="history-filter",
        )
        yield HistoryTable(id="history", cursor_type="row", zebra_stripes=True)
        yield QuietFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # The hidden filter box took the focus otherwise: q, t and u typed into it.
        table.focus()
        self.load()
        self.set_interval(self.REFRESH_SECONDS, self.load)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        env = None if self.all_envs else self.environment
        try:
            journal = Journal(self.journal_path)
            try:
                # Timelines in one query per 500 jobs, not one per job.
                jobs = journal.history(env, self.limit, with_timelines=True)
            finally:
                journal.close()
        except JournalError as exc:
            if str(exc) != self._last_error:  # refreshes repeat it: say it once
                self._last_error = str(exc)
                self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, jobs, env)

    def _show(self, jobs: list[Job], env: str | None) -> None:
        self._loaded = jobs
        self._scope = f"environment {inert(env, 40)}" if env else "all environments"
        self._render_rows()

    def _render_rows(self) -> None:
        needle = self.query_one("#history-filter", Input).value.strip().lower()
        jobs = [j for j in self._loaded if not needle or matches_filter(j, needle)]
        # Written whatever the rows: an empty first load, or t over the same jobs, changes
        # no row but does change what the title says (it stayed blank).
        if not jobs:
            shown = "no jobs match the filter" if needle else "no jobs yet"
            if needle and len(self._loaded) >= self.limit:
                # Only the newest are loaded: 'no jobs match' read as 'none in the journal'
                # for a model whose jobs were older than a big batch's.
                where = f" --env {inert(self.environment, 40)}" if not self.all_envs else ""
                shown += (
                    f" among the {self.limit} most recent (older ones: kore-tui history"
                    f"{where} --limit {self.limit * 20})"
                )
        elif needle:
            shown = f"{len(jobs)} of {len(self._loaded)} most recent job(s)"
        else:
            shown = f"{len(jobs)} most recent job(s)"
        # The keys (t: scope, /: filter) are in the footer: at 80 columns the title cut them.
        title = f"History: {shown} in {self._scope}"
        if title != self._title:  # the 2 s refresh: no re-layout for the same words
            self._title = title
            self.query_one("#title", Label).update(Text(title))
        columns = history_columns(self.size.width, self.all_envs)
        if (
            columns == self._columns
            and [j.key for j in jobs] == [j.key for j in self.jobs]
            and jobs == self.jobs
        ):
            return  # a refresh with nothing new keeps the cursor where it is
        table = self.query_one(DataTable)
        # The cursor follows its job, not its row number: a refresh puts new jobs on top,
        # and a row number kept would put u (undo: a redeploy) on another resource.
        under = self.jobs[table.cursor_row].key if 0 <= table.cursor_row < len(self.jobs) else None
        row = next((i for i, j in enumerate(jobs) if j.key == under), table.cursor_row)
        self.jobs = jobs
        if columns != self._columns:  # a new width or scope: columns and rows again
            self._columns = columns
            table.clear(columns=True)
            for column in columns:
                table.add_column(column.title, width=column.width)
        else:
            table.clear()
        parents = {j.parent for j in self._loaded if j.parent}
        for job in jobs:
            table.add_row(*history_cells(job, columns, job.key in parents), key=job.key)
        if jobs:
            table.move_cursor(row=min(row, len(jobs) - 1))

    @property
    def scope(self) -> str:
        """What the rows on screen are from ("environment X", "all environments"); empty
        until the first read of the journal is shown."""
        return self._scope

    def action_filter(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction()  # a '/' typed into the filter is the filter's
        box = self.query_one("#history-filter", Input)
        box.add_class("visible")
        self.set_focus(box)  # at once: the keys typed after / are the filter's (panel too)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._render_rows()

    def on_input_submitted(self) -> None:
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#history-filter", Input)
        if box.value or box.has_class("visible"):
            box.value = ""
            box.remove_class("visible")
            self.query_one(DataTable).focus()
            return
        self.dismiss(None)

    def action_detail(self) -> None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.jobs):
            self.app.push_screen(JobDetail(self.jobs[table.cursor_row]))

    def action_undo(self) -> None:
        if self.refused_undo:
            self.notify(self.refused_undo, severity="error")
            return
        table = self.query_one(DataTable)
        if not 0 <= table.cursor_row < len(self.jobs) or self._undo is None:
            self.notify("No job selected.", severity="warning")
            return
        job = self.jobs[table.cursor_row]
        if not undoable(job):
            self.notify(
                f"Undo applies to a finished UNDEPLOY that is SUCCESS; this one is "
                f"{job.state.value} {action_words(job.action)}.",
                severity="warning",
            )
            return
        self._undo(job)
        self.load()  # the redeploy's row, at once rather than at the next 2 s refresh

    def on_data_table_row_selected(self) -> None:
        self.action_detail()  # a click on a row

    def on_resize(self) -> None:
        if self._loaded or self._scope:
            self._render_rows()

    def action_toggle_scope(self) -> None:
        self.all_envs = not self.all_envs
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
