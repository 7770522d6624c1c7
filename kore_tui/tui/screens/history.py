"""Past jobs from the journal, read on a worker thread."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from kore_tui.core.job import Job
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.text import inert
from kore_tui.tui.screens.detail import JobDetail
from kore_tui.tui.widgets.jobs_table import STATE_STYLES, short_id


class HistoryScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "close", "Back"), Binding("enter", "detail", "Detail"),
                Binding("t", "toggle_scope", "This env / all")]
    DEFAULT_CSS = """
    HistoryScreen DataTable { height: 1fr; }
    """

    def __init__(self, environment: str | None, limit: int = 500,
                 journal_path: Path | None = None) -> None:
        super().__init__()
        self.journal_path = journal_path
        self.environment = environment
        self.limit = limit
        self.all_envs = environment is None
        self.jobs: list[Job] = []

    def compose(self) -> ComposeResult:
        yield Label("", id="title")
        table: DataTable[object] = DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("Created", 24), ("Env", 12), ("Status", 12), ("Model", 17),
                             ("Dock status", 17), ("Error", 40)):
            table.add_column(title, width=width)
        self.load()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        env = None if self.all_envs else self.environment
        try:
            journal = Journal(self.journal_path)
            try:
                jobs = journal.history(env, self.limit)
                jobs = [j.__class__(**{**j.__dict__, "timeline": journal.timeline(j.key)})
                        for j in jobs]
            finally:
                journal.close()
        except JournalError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, jobs, env)

    def _show(self, jobs: list[Job], env: str | None) -> None:
        from rich.text import Text

        self.jobs = jobs
        scope = f"environment {inert(env, 40)}" if env else "all environments"
        self.query_one("#title", Label).update(
            Text(f"History: {len(jobs)} most recent job(s) in {scope}  (t: toggle scope)"))
        table = self.query_one(DataTable)
        table.clear()
        for job in jobs:
            table.add_row(Text(inert(job.created_at, 30)), Text(inert(job.environment, 12)),
                          Text(job.state.value, style=STATE_STYLES.get(job.state) or ""),
                          Text(short_id(job.model_id)), Text(short_id(job.dock_status_id)),
                          Text(inert(job.error or "", 200)), key=job.key)

    def action_detail(self) -> None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.jobs):
            self.app.push_screen(JobDetail(self.jobs[table.cursor_row]))

    def on_data_table_row_selected(self) -> None:
        self.action_detail()

    def action_toggle_scope(self) -> None:
        self.all_envs = not self.all_envs
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
