"""The main screen's job actions: what the operator does to the jobs in the panel
(re-check, retry, undo, bounce, stop, marks, copy, export, pause, detail, history).
The ones that send go through the engine (``_send``) or the deploy flow (lifecycle)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text
from textual import work

from kore_tui.core.engine import Engine
from kore_tui.core.export import ExportError, export_jobs
from kore_tui.core.hosts import same_platform
from kore_tui.core.job import ACTIVE_STATES, RETRYABLE_STATES, Job, JobState
from kore_tui.core.text import inert
from kore_tui.tui.clipboard import clipboard_told
from kore_tui.tui.deploy_plan_view import kind_counts
from kore_tui.tui.jobs_model import left_out_of_bounce
from kore_tui.tui.lifecycle import BOUNCE, UNDO, Kind, bounceable, undoable
from kore_tui.tui.screens.detail import JobDetail
from kore_tui.tui.screens.history import HistoryScreen
from kore_tui.tui.screens.panel import PanelScreen, action_words, count_states
from kore_tui.tui.screens.prompts import PathPrompt
from kore_tui.tui.screens.retry_dialog import nothing_to_recheck, retry_dialog, retry_told
from kore_tui.tui.widgets.jobs_table import JobsTable
from kore_tui.tui.write_access import refusal


class JobActions(PanelScreen):
    def action_mark_failed(self) -> None:
        keys = self._problems()
        if not keys:
            self.notify("No FAILED, UNKNOWN, ERROR or TIMED_OUT jobs to mark.")
            return
        self.model.marks.clear()
        self.model.marks.update(keys)
        table = self.query_one(JobsTable)
        table.refresh()
        table.focus()
        self._update_summary()
        self.notify(f"Marked the {len(keys)} job(s) that did not succeed; R retries them.")

    def action_copy_failed_models(self) -> None:
        # model_id holds the resource's ID: a model's or a tool's.
        ids = [m for k in self._problems() if (m := self.model.jobs[k].model_id)]
        if not ids:
            self.notify("No model or tool IDs of failed jobs to copy.")
            return
        self.app.copy_to_clipboard("\n".join(ids))
        self.notify(clipboard_told(f"the IDs of {kind_counts(ids)} that did not succeed"))

    def marks_used(self) -> str:
        """A confirmed write (retry, undo, bounce) on the marked jobs clears the marks: kept,
        the next b or u acted on them again, rows a filter hid included. Returns the words
        that end the action's toast."""
        if not self.model.marks:
            return ""
        self.model.marks.clear()
        self.query_one(JobsTable).refresh()
        self._update_summary()
        return " Marks cleared."

    def on_jobs_table_marks_changed(self) -> None:
        self._update_summary()

    def on_jobs_table_open_detail(self, event: JobsTable.OpenDetail) -> None:
        job = self.model.jobs.get(event.key)
        if job is not None:
            self.app.push_screen(JobDetail(job, lambda: self.model.jobs.get(event.key)))

    def action_recheck(self) -> None:
        jobs = self._selected_jobs(here=True)
        if jobs is None or not self._require_host():
            return
        checkable = [
            j.key
            for j in jobs
            if j.dock_status_id and j.state not in {JobState.SUCCESS, JobState.FAILED}
        ]
        if not checkable:
            self.notify(nothing_to_recheck(jobs), severity="warning")
            return
        host = self.kore.host
        paused = host is not None and host.store.health.user_paused
        self._send(
            lambda e: e.recheck(checkable),
            # Paused, the re-check is queued but nothing is sent: "now" was not true.
            "Re-check of {n} job(s) queued: paused, nothing is sent until p resumes."
            if paused
            else "Re-checking {n} job(s) now.",
            none_done="Nothing re-checked: the job(s) changed state meanwhile.",
        )

    def action_retry(self) -> None:
        if not self._require_host():
            return
        env = self.kore.env
        assert env is not None
        here = self._here(self._selection())
        if here is None:
            return
        # Read-only first: "Retry applies to FAILED…" sent the operator looking for a job
        # that could then not be retried anyway.
        if self.kore.read_only or env.read_only:
            self.notify(refusal(self.kore.read_only, env.name, "retry"), severity="error")
            return
        jobs = [self.model.jobs[k] for k in here if k in self.model.jobs]
        retryable = [j for j in jobs if j.state in RETRYABLE_STATES]
        if not retryable:
            self.notify("Retry applies to FAILED, UNKNOWN or ERROR jobs.", severity="warning")
            return
        # A job started elsewhere (watched) has no action of ours to send again: the engine
        # checks it again instead. That needs no confirmation ("Retry ? 1 model(s)… They
        # stop serving" described a send that never happens), and is said as what it is.
        watched = [j.key for j in retryable if j.origin != "sent" or not j.model_id]
        if watched:
            self._send(
                lambda e: e.recheck(watched),
                "Re-checking {n} watched job(s): a job started elsewhere is never re-sent.",
            )
            retryable = [j for j in retryable if j.key not in watched]
            if not retryable:
                return
        keys = [j.key for j in retryable]
        skipped = len(jobs) - len(retryable) - len(watched)
        dialog = retry_dialog(env, retryable, skipped=skipped, watched=len(watched))
        from_marks = bool(self.model.marks)

        def confirmed(ok: bool | None) -> None:
            if ok:
                tail = self.marks_used() if from_marks else ""
                self._send(lambda e: retry_told(e, keys) + tail, "")
            else:
                self.notify("Cancelled: nothing was sent.")

        self.app.push_screen(dialog, confirmed)

    def action_undo(self) -> None:
        """Redeploy what the selected finished UNDEPLOY SUCCESS jobs took down."""
        if self.lifecycle.refused(UNDO):  # read-only says so first: no dead key
            return
        jobs = self._selected_jobs(here=True)
        if jobs is not None:
            self.undo(jobs, from_marks=bool(self.model.marks))

    def undo(self, jobs: list[Job], from_marks: bool = False) -> None:
        """Undo from the panel or from history: the same flow as a deploy. ``from_marks``:
        the jobs are the panel's marks, cleared once the undo is sent."""
        if self.lifecycle.refused(UNDO):
            return
        if not any(undoable(j) for j in jobs):
            self.notify(
                f"Undo applies to a finished UNDEPLOY that is SUCCESS; selected: "
                f"{count_states(jobs)} "
                f"({', '.join(sorted({action_words(j.action) for j in jobs}))}).",
                severity="warning",
            )
            return
        self._start_lifecycle(
            jobs, undoable, UNDO, "that are not a successful undeploy", from_marks=from_marks
        )

    def action_bounce(self) -> None:
        """Bounce the selected jobs' models and tools (undeploy, then redeploy)."""
        if self.lifecycle.refused(BOUNCE):
            return
        jobs = self._selected_jobs(here=True)
        if jobs is None:
            return
        if not any(bounceable(j) for j in jobs):
            self.notify(
                f"Nothing to bounce: {count_states(jobs)} (a job must be final and "
                "name a model or tool).",
                severity="warning",
            )
            return
        self._start_lifecycle(
            jobs,
            bounceable,
            BOUNCE,
            "still running or without a model or tool",
            from_marks=bool(self.model.marks),
        )

    def _start_lifecycle(
        self,
        jobs: list[Job],
        eligible: Callable[[Job], bool],
        flow: Kind,
        skipped: str,
        from_marks: bool,
    ) -> None:
        """Undo and bounce alike: act on the eligible jobs' resources, say what was skipped.
        ``from_marks``: the marks are cleared once the operator has confirmed."""
        chosen = [j for j in jobs if eligible(j)]
        ids = list(dict.fromkeys(j.model_id for j in chosen if j.model_id))
        note = None
        if len(chosen) < len(jobs):
            note = Text(
                f"{len(jobs) - len(chosen)} selected job(s) {skipped} are left alone.",
                style="bold",
            )
        said = None
        if flow is BOUNCE:
            # An operator's run: the dialog warned, yet still counted them and offered
            # "Bounce 2".
            ids, said = left_out_of_bounce(self.model.jobs.values(), ids)
        if said:
            if not ids:
                self.notify(f"Nothing to bounce: {said}", severity="warning", timeout=10)
                return
            line = Text(said, style="bold yellow")
            note = Text.assemble(note, "\n", line) if note is not None else line
        self.lifecycle.start(
            ids,
            flow,
            note,
            undoing=chosen if flow is UNDO else None,
            after_confirm=self.marks_used if from_marks else None,
        )

    def action_stop_tracking(self) -> None:
        jobs = self._selected_jobs(here=True)
        if jobs is None or not self._require_host():
            return
        stopping = [j for j in jobs if j.state in ACTIVE_STATES and j.tracking]
        keys = [j.key for j in stopping]
        # A bounce's redeploy goes out once its undeploy is verified SUCCESS: stopped, that
        # check never comes, and the resource stays down with nothing saying why.
        held = sum(1 for j in stopping if j.then)
        waits = (
            f" {held} bounce(s) will not redeploy until r re-checks the undeploy (the "
            "redeploy is sent once the undeploy is verified SUCCESS)."
            if held
            else ""
        )
        if not keys:
            self.notify(
                f"Nothing to stop: {count_states(jobs)} (only QUEUED, SUBMITTING "
                "or IN_PROGRESS jobs are tracked).",
                severity="warning",
            )
            return
        self._send(
            lambda e: e.stop_tracking(keys),
            "Stopped tracking {n} job(s)." + waits,
            none_done="Nothing stopped: a SUBMITTING job's request is on the wire; "
            "its outcome is always recorded.",
        )

    def action_copy_ids(self) -> None:
        jobs = self._selected_jobs()
        if jobs is None:
            return
        dock = [j.dock_status_id for j in jobs if j.dock_status_id]
        models = [j.model_id for j in jobs if not j.dock_status_id and j.model_id]
        self.app.copy_to_clipboard("\n".join(dock + models))
        parts = [f"{len(dock)} dock status ID(s)"] if dock else []
        if models:
            parts.append(f"{len(models)} model ID(s) (no dock status yet)")
        self.notify(clipboard_told(" and ".join(parts)))

    def action_export(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        env = self.kore.env.name if self.kore.env else "jobs"
        default = f"kore-jobs-{env}-{stamp}.csv"
        keys = self._selection() if self.model.marks else list(self.model.visible)
        self._ask_export_path(keys, default)

    def _ask_export_path(self, keys: list[str], value: str, refused: str = "") -> None:
        def chosen(path: str | None) -> None:
            if path:
                self._export(keys, path)

        title = f"Export {len(keys)} job(s) to (.csv or .json)"
        self.app.push_screen(PathPrompt(title, value=value, error=refused), chosen)

    @work(thread=True, group="files", exit_on_error=False)
    def _export(self, keys: list[str], path: str) -> None:
        jobs = [self.model.jobs[k] for k in keys if k in self.model.jobs]
        try:
            written = export_jobs(jobs, Path(path))
        except ExportError as exc:
            # The message names the absolute path and says nothing was written.
            self.app.call_from_thread(self._export_refused, keys, path, inert(str(exc), 300))
            return
        self.app.call_from_thread(
            self.notify, f"Exported {len(jobs)} job(s) to {inert(str(written), 300)}"
        )

    def _export_refused(self, keys: list[str], path: str, why: str) -> None:
        """Say why, and ask again with the path as typed: a name that exists, or a folder
        mistyped, is fixed with a few keys, not typed again over a fresh default name."""
        if self.app.screen is self:  # not over whatever the operator opened meanwhile
            self._ask_export_path(keys, path, why)  # the prompt says why: no toast over it
        else:
            self.notify(why, severity="error")

    def action_toggle_pause(self) -> None:
        host = self.kore.host
        if host is None:
            return
        paused = host.store.health.user_paused

        def flip(engine: Engine) -> int:
            (engine.resume if paused else engine.pause)()
            return 0

        self._send(flip, "Polling resumed." if paused else "Paused: no requests are sent.")
        self.set_timer(0.2, self.refresh_banner)

    def action_history(self) -> None:
        env = self.kore.env
        self.app.push_screen(
            HistoryScreen(
                env.name if env else None,
                journal_path=self.kore.journal_path,
                undo=self._undo_from_history,
                refused_undo="" if self.writable else self._undo_refusal(),
            )
        )

    def _undo_refusal(self) -> str:
        env = self.kore.env
        return refusal(self.kore.read_only, env.name if env else None, "undo (redeploy)")

    def _undo_from_history(self, job: Job) -> None:
        """History rows are read from the journal: undo acts on the environment on screen,
        so a row of another environment is refused with the way to get there."""
        env = self.kore.env
        if env is None or job.environment != env.name:
            self.notify(
                f"This job belongs to {inert(job.environment, 40)}: switch to it (F2) to undo it.",
                severity="warning",
            )
            return
        if job.host not in same_platform(env.host):  # the environment was re-pointed since
            self.notify(
                f"This job was sent to {inert(job.host, 60)}; {inert(env.name, 40)} now "
                f"points at {inert(env.host, 60)}. Nothing was sent.",
                severity="warning",
            )
            return
        self.undo([job])
