"""The main screen's view actions: what the panel shows and in which order (text filter,
status view, sort, every environment at once). None of them sends a request."""

from __future__ import annotations

from textual import on
from textual.widgets import Input, Static

from kore_tui.tui.jobs_model import SORTS, STATUS_FILTERS, JobsModel
from kore_tui.tui.screens.panel import PanelScreen
from kore_tui.tui.widgets.jobs_table import JobsHeader, JobsTable


class ViewActions(PanelScreen):
    def show_session(self) -> None:
        """The environment on screen changed (or got its engine): show its own jobs."""
        if not self.is_mounted:
            return  # on_mount shows whatever is current then
        self._all = None
        self._show_model(self.model)

    def _show_model(self, model: JobsModel, same_environment: bool = False) -> None:
        """``same_environment``: the all-environments view (E) or back, around the same
        environment in the banner; its batch line stays (E twice lost "Batch done")."""
        table = self.query_one(JobsTable)
        if table.model is not model:
            # The sort is the operator's; the view and the text filter come along only to
            # the all-environments view (E) and back. Another environment shows all its
            # jobs: "view: success" carried over hid its FAILED rows (an operator's run).
            old = table.model
            model.sort = old.sort
            if same_environment:
                model.text_filter, model.status_filter = old.text_filter, old.status_filter
            else:
                model.text_filter, model.status_filter = "", "all"
                self._clear_filter_box()
            old.marks.clear()
            table.model = model
            table.cursor = 0
            if not same_environment:
                # The batch line tells how this environment's jobs ended; another
                # environment's batch is not this one's ("Batch done: 0 SUCCESS").
                self._batch_active = False
                self._batch_keys.clear()
                self.query_one("#batch", Static).display = False
                # What an operator does first in an environment, as at start: paste. The
                # focus stayed on the jobs panel, where a typed ID ran as keys.
                self.focus_id_box()
        table.show_environment = self._all is not None
        self.query_one(JobsHeader).set_sort(model.sort, table.show_environment)
        table.rebuild()
        self._update_summary()
        self.refresh_banner()

    def action_toggle_all_environments(self) -> None:
        """Every open environment's jobs in one panel (read-only), or back to one."""
        if self._all is not None:
            self._all = None
            self._show_model(self.model, same_environment=True)
            return
        everything = JobsModel()
        for session in self.kore.sessions:
            everything.apply(session.model.jobs.values())
        self._all = everything
        self._show_model(everything, same_environment=True)
        self.notify(
            "Showing every environment's jobs (E to go back). Re-check, retry and "
            "stop act only on the environment in the banner."
        )

    def action_focus_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        # At once, not by focus() (a callback queued behind the keys already typed): a
        # burst '/ p r o d' ran p (pause every request) on the jobs table, then the rest.
        self.set_focus(box)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.model.text_filter = event.value.strip()
        self.query_one(JobsTable).rebuild()
        self._update_summary()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.value:
            box.remove_class("visible")
        self.query_one(JobsTable).focus()

    def _clear_filter_box(self) -> None:
        """Empty and hide the filter box without filtering again (the caller rebuilds)."""
        box = self.query_one("#filter", Input)
        with box.prevent(Input.Changed):
            box.value = ""
        box.remove_class("visible")

    def action_escape(self) -> None:
        """esc: clear the filter first (k9s, htop); pressed again, clear the marks."""
        box = self.query_one("#filter", Input)
        table = self.query_one(JobsTable)
        if box.value or box.has_class("visible"):
            box.value = ""
            box.remove_class("visible")
            table.focus()
            self.notify("Filter cleared.")
        elif self.model.marks:
            count = len(self.model.marks)
            table.action_clear_marks()
            self.notify(f"Cleared {count} mark(s).")

    @on(JobsTable.SentRowsHidden)
    def _show_what_was_sent(self, event: JobsTable.SentRowsHidden) -> None:
        """The operator just sent: the panel shows what the send brought, whatever view or
        filter was on (sent, then nothing new on screen, read as "it did nothing")."""
        table = self.query_one(JobsTable)
        model = table.model
        narrowed = []
        if model.status_filter != "all":
            narrowed.append(f"view {model.status_filter!r}")
            model.status_filter = "all"
        if model.text_filter:
            narrowed.append("filter")
            self._clear_filter_box()
            model.text_filter = ""
        table.rebuild()
        table.show_first_of(event.keys)
        self._update_summary()
        if narrowed:
            self.notify(f"Showing all jobs: the {' and '.join(narrowed)} hid the ones just sent.")

    def action_cycle_status_filter(self) -> None:
        names = list(STATUS_FILTERS)
        self.model.status_filter = names[(names.index(self.model.status_filter) + 1) % len(names)]
        self.query_one(JobsTable).rebuild()
        self._update_summary()

    def action_cycle_sort(self) -> None:
        self.model.sort = SORTS[(SORTS.index(self.model.sort) + 1) % len(SORTS)]
        self.query_one(JobsHeader).set_sort(
            self.model.sort, self.query_one(JobsTable).show_environment
        )
        self.query_one(JobsTable).rebuild()
        self._update_summary()
