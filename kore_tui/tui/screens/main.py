"""The console's one working screen: banner, ID entry, summary, live jobs panel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, ProgressBar, Static

from kore_tui.core.engine import Engine, ReadOnlyError
from kore_tui.core.export import export_jobs
from kore_tui.core.idfile import IdFileError, read_id_file
from kore_tui.core.ids import for_undeploy
from kore_tui.core.job import ACTIVE_STATES, RETRYABLE_STATES, Job, JobState
from kore_tui.core.text import inert
from kore_tui.tui.console import Console
from kore_tui.tui.deploy_plan_view import kind_counts
from kore_tui.tui.jobs_model import SORTS, STATUS_FILTERS, JobsModel
from kore_tui.tui.keys import KeyHelp, all_keys, key_label
from kore_tui.tui.lifecycle import BOUNCE, DEPLOY, UNDO, Kind, Lifecycle, bounceable, undoable
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.detail import JobDetail
from kore_tui.tui.screens.help import HelpScreen
from kore_tui.tui.screens.history import HistoryScreen
from kore_tui.tui.screens.prompts import PathPrompt
from kore_tui.tui.widgets.banner import EnvBanner
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import STATE_STYLES, JobsHeader, JobsTable
from kore_tui.tui.widgets.safe_text import SafeInput

_ORDER = [JobState.QUEUED, JobState.SUBMITTING, JobState.IN_PROGRESS, JobState.SUCCESS,
          JobState.FAILED, JobState.TIMED_OUT, JobState.UNKNOWN, JobState.ERROR]


def _count_states(jobs: list[Job]) -> str:
    """ "2 SUCCESS, 1 FAILED": what the selected jobs are, in words for a toast."""
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.state.value] = counts.get(job.state.value, 0) + 1
    return ", ".join(f"{n} {state}" for state, n in counts.items())


_PROBLEMS = frozenset({JobState.FAILED, JobState.UNKNOWN, JobState.ERROR, JobState.TIMED_OUT})


class FilterInput(SafeInput):
    BINDINGS = [Binding("escape", "screen.escape", "Clear filter",
                        tooltip="Clear the filter and close it")]


class MainScreen(Screen[None]):
    # Every key is declared once, here or on the ID box / jobs panel; footer, F1 help and
    # the command palette are derived from these (kore_tui.tui.keys). Priority: a
    # TextArea's own ctrl+u/ctrl+w/ctrl+l (line editing) must not win in the ID box.
    BINDINGS = [
        Binding("ctrl+u", "undeploy", "Undeploy", show=False, priority=True,
                tooltip="Undeploy the pasted model and tool IDs (asks to confirm)"),
        Binding("ctrl+d", "deploy", "Deploy", show=False, priority=True,
                tooltip="Deploy the pasted model and tool IDs (parameters: journal, profile "
                "or form; asks to confirm)"),
        Binding("ctrl+r", "bounce_ids", "Bounce", show=False, priority=True,
                tooltip="Bounce the pasted IDs: undeploy, then redeploy with the same "
                "parameters once the undeploy is SUCCESS (asks to confirm)"),
        Binding("ctrl+w", "watch", "Watch", show=False, priority=True,
                tooltip="Watch the pasted dock status IDs (jobs started elsewhere)"),
        Binding("ctrl+o", "load_file", "Load", show=False, priority=True,
                tooltip="Load IDs from a file into the ID box"),
        Binding("ctrl+l", "clear_ids", "Clear", show=False, priority=True,
                tooltip="Clear the ID box"),
        Binding("f2", "environments", "Envs",
                tooltip="Environments: switch, add, edit or remove"),
        Binding("f3", "history", "History", tooltip="History of past jobs from the journal"),
        Binding("f1", "help", "Help", tooltip="Help: every key and what the states mean"),
        Binding("E", "toggle_all_environments", "All envs", show=False,
                tooltip="Every open environment's jobs in one panel (Env column), or back"),
        Binding("ctrl+k", "replace_key", "New key", show=False,
                tooltip="Enter a new API key for this environment (after a 401/403)"),
    ]
    DEFAULT_CSS = """
    MainScreen { layout: vertical; }
    #summary-row { height: auto; }
    #summary { width: 1fr; height: auto; }
    #progress { width: 16; }
    #progress Bar { width: 1fr; }
    #batch { display: none; height: auto; background: $boost; }
    #filter { display: none; height: 1; border: none; padding: 0 1; }
    #filter.visible { display: block; }
    JobsHeader { height: 1; background: $boost; text-style: bold; padding: 0 0 0 0; }
    """

    def __init__(self, prefill: str = "") -> None:
        super().__init__()
        self._no_env = JobsModel()  # what the panel holds while no environment is open
        # The all-environments view (E): every open environment's jobs, read-only.
        self._all: JobsModel | None = None
        self._prefill = prefill
        self._batch_active = False  # jobs were being tracked: their end gets a summary
        self.lifecycle = Lifecycle(self)

    @property
    def kore(self) -> Console:
        return cast(Console, self.app)

    @property
    def model(self) -> JobsModel:
        """The jobs of the environment on screen; each environment keeps its own."""
        if self._all is not None:
            return self._all
        current = self.kore.sessions.current
        return current.model if current is not None else self._no_env

    def compose(self) -> ComposeResult:
        yield EnvBanner(id="banner")
        yield IdEntry(id="entry")
        with Horizontal(id="summary-row"):
            yield Static("", id="summary")
            yield ProgressBar(id="progress", show_eta=False, total=1)
        yield Static("", id="batch")
        yield FilterInput(placeholder="filter: text in model, dock status, status or error "
                          "(enter: to the jobs · esc: clear)", id="filter")
        yield JobsHeader(id="jobs-header")
        yield JobsTable(self.model, id="jobs", clock=self.kore.clock)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.model.clock = self.kore.clock
        self.query_one(JobsHeader).set_sort(self.model.sort)
        entry = self.query_one(IdEntry)
        entry.border_title = "IDs (" + " · ".join(
            f"{key_label(b.key)} {b.description.lower()}" for b in self.BINDINGS
            if isinstance(b, Binding) and b.priority) + ")"
        if self._prefill:
            entry.set_text(self._prefill)
        self.query_one(IdEntry).text_area.focus()  # the first thing an operator does: paste
        self.set_interval(0.1, self._drain)
        self.set_interval(1.0, self._second)
        self._update_summary()
        self.refresh_banner()

    # -- data flow: store -> model -> table ------------------------------------------

    def _drain(self) -> None:
        # Every environment's store is drained, so one we come back to is up to date;
        # only the one on screen touches the table.
        current = self.kore.sessions.current
        shown_all = self._all is not None
        for session in self.kore.sessions:
            changed, removed = session.take()
            if not changed and not removed:
                continue
            if session is current and not shown_all:
                self.query_one(JobsTable).apply(changed, removed)
                self._update_summary()
                continue
            session.model.apply(changed, removed)
            if shown_all:
                self.query_one(JobsTable).apply(changed, removed)
                self._update_summary()

    def _second(self) -> None:
        self.query_one(JobsTable).tick()
        self.refresh_banner()

    def refresh_banner(self) -> None:
        host = self.kore.host
        tracking = any(self.model.counts.get(state) for state in ACTIVE_STATES)
        self.query_one(EnvBanner).show(self.kore.env, host.store if host else None,
                                       self.kore.read_only, self.kore.clock(), tracking,
                                       self.kore.sessions.active_elsewhere())

    def show_session(self) -> None:
        """The environment on screen changed (or got its engine): show its own jobs."""
        if not self.is_mounted:
            return  # on_mount shows whatever is current then
        self._all = None
        self._show_model(self.model)

    def _show_model(self, model: JobsModel) -> None:
        table = self.query_one(JobsTable)
        if table.model is not model:
            # The view (filter, status view, sort) is the operator's, not the environment's.
            old = table.model
            model.text_filter, model.status_filter = old.text_filter, old.status_filter
            model.sort = old.sort
            old.marks.clear()
            table.model = model
            table.cursor = 0
            # The batch line tells how the jobs on screen ended; another environment's
            # batch is not this one's ("Batch done: 0 SUCCESS").
            self._batch_active = False
            self.query_one("#batch", Static).display = False
        table.show_environment = self._all is not None
        self.query_one(JobsHeader).set_sort(model.sort, table.show_environment)
        table.rebuild()
        self._update_summary()
        self.refresh_banner()

    def action_toggle_all_environments(self) -> None:
        """Every open environment's jobs in one panel (read-only), or back to one."""
        if self._all is not None:
            self._all = None
            self._show_model(self.model)
            return
        everything = JobsModel()
        for session in self.kore.sessions:
            everything.apply(session.model.jobs.values())
        self._all = everything
        self._show_model(everything)
        self.notify("Showing every environment's jobs (E to go back). Re-check, retry and "
                    "stop act only on the environment in the banner.")

    def _here(self, keys: list[str]) -> list[str] | None:
        """``keys`` if they all belong to the environment in the banner; else say so."""
        env = self.kore.env
        elsewhere = {self.model.jobs[k].environment for k in keys if k in self.model.jobs
                     and (env is None or self.model.jobs[k].environment != env.name)}
        if elsewhere:
            names = ", ".join(sorted(inert(name, 20) for name in elsewhere))
            self.notify(f"Selected jobs belong to {names}: switch to it (F2) to act on them.",
                        severity="warning")
            return None
        return keys

    def _update_summary(self) -> None:
        model = self.model
        total = len(model.jobs)
        text = Text()
        text.append(f" {total} job(s)", style="bold")
        for state in _ORDER:
            if model.counts.get(state):
                text.append(f" · {model.counts[state]} {state.value}",
                            style=STATE_STYLES.get(state))
        text.append(f"   view: {model.status_filter} · sort: {model.sort}", style="dim")
        if model.text_filter:
            text.append(f" · filter: {inert(model.text_filter, 30)!r}", style="dim")
        if model.marks:
            text.append(f" · {len(model.marks)} marked", style="bold yellow")
            hidden = model.hidden_marks
            if hidden:
                text.append(f" ({hidden} hidden by the filter!)", style="bold red")
        self.query_one("#summary", Static).update(text)
        self._update_batch()
        bar = self.query_one(ProgressBar)
        bar.update(total=max(total, 1), progress=model.final_count if total else 0)

    def _update_batch(self) -> None:
        """When the last tracked job turns final: one line with the outcome and what to do
        about the ones that did not succeed. It stays until new work starts."""
        counts = self.model.counts
        active = sum(counts.get(state, 0) for state in ACTIVE_STATES)
        line = self.query_one("#batch", Static)
        if active:
            self._batch_active = True
            line.display = False
            return
        if not self._batch_active:
            return
        self._batch_active = False
        states = (JobState.SUCCESS, JobState.FAILED, JobState.UNKNOWN, JobState.ERROR)
        text = Text(" Batch done: ", style="bold")
        text.append(", ".join(f"{counts.get(state, 0)} {state.value}" for state in states))
        if counts.get(JobState.TIMED_OUT):
            text.append(f", {counts[JobState.TIMED_OUT]} TIMED_OUT")
        if self._problems():
            text.append("  F mark failed · R retry · C copy model IDs", style="bold yellow")
        line.update(text)
        line.display = True

    def _problems(self) -> list[str]:
        return [k for k, j in self.model.jobs.items() if j.state in _PROBLEMS]

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
        models = [m for k in self._problems() if (m := self.model.jobs[k].model_id)]
        if not models:
            self.notify("No model IDs of failed jobs to copy.")
            return
        self.app.copy_to_clipboard("\n".join(models))
        self.notify(f"Copied {len(models)} model ID(s) of the jobs that did not succeed.")

    def on_jobs_table_marks_changed(self) -> None:
        self._update_summary()

    def on_jobs_table_open_detail(self, event: JobsTable.OpenDetail) -> None:
        job = self.model.jobs.get(event.key)
        if job is not None:
            self.app.push_screen(JobDetail(job, lambda: self.model.jobs.get(event.key)))

    # -- entry actions -----------------------------------------------------------------

    def _require_host(self) -> bool:
        if self.kore.host is None:
            self.notify("No environment connected: press F2.", severity="warning")
            return False
        return True

    async def action_undeploy(self) -> None:
        if not self._require_host():
            return
        env = self.kore.env
        assert env is not None
        if self.kore.read_only or env.read_only:
            self.notify(f"{env.name} is read-only: undeploy is disabled.", severity="error")
            return
        ids = await self._pasted_resources("undeploy")
        if ids is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._send(lambda e: e.undeploy(ids),
                           f"Queued {len(ids)} undeploy(s): {kind_counts(ids)}.")
                self.query_one(IdEntry).set_text("")
                self.query_one(JobsTable).focus()
            else:
                self.notify("Cancelled: nothing was sent.")

        self.app.push_screen(ConfirmUndeploy(env, ids), confirmed)

    async def _pasted_resources(self, verb: str) -> list[str] | None:
        """The model and tool IDs in the box, in paste order; None (after saying why) when
        there are none or the paste holds mangled ID-like tokens."""
        parsed = for_undeploy(await self.query_one(IdEntry).current())
        real_invalid = [i for i in parsed.invalid if i.kind == "malformed"]
        if real_invalid:
            self.notify(f"{len(real_invalid)} invalid ID-like token(s): fix or remove them "
                        "first (a mangled paste is a warning sign).", severity="error")
            return None
        if not parsed.resource_ids:
            self.notify(f"No model or tool IDs to {verb}.", severity="warning")
            return None
        return parsed.resource_ids

    async def action_deploy(self) -> None:
        await self._from_box(DEPLOY)

    async def action_bounce_ids(self) -> None:
        await self._from_box(BOUNCE)

    async def _from_box(self, kind: Kind) -> None:
        if self.lifecycle.refused(kind):
            return
        ids = await self._pasted_resources(kind.name)
        if ids is not None:
            self.lifecycle.start(ids, kind)

    async def action_watch(self) -> None:
        if not self._require_host():
            return
        ds_ids = (await self.query_one(IdEntry).current()).dock_status_ids
        if not ds_ids:
            self.notify("No dock status IDs (ds-…) to watch.", severity="warning")
            return
        self._send(lambda e: e.watch(ds_ids), f"Watching {len(ds_ids)} job(s).")
        self.query_one(IdEntry).set_text("")
        self.query_one(JobsTable).focus()

    @on(Button.Pressed, "#entry Button")
    async def _entry_button(self, event: Button.Pressed) -> None:
        # run_action awaits the async ones (undeploy and watch wait for a fresh parse).
        actions = {"undeploy": "undeploy", "deploy": "deploy", "bounce": "bounce_ids",
                   "watch": "watch", "load": "load_file", "clear": "clear_ids"}
        if event.button.id in actions:
            await self.run_action(actions[event.button.id])

    def action_clear_ids(self) -> None:
        entry = self.query_one(IdEntry)
        entry.text_area.focus()
        if not entry.text_area.text:
            self.notify("The ID box is already empty.")
            return
        entry.set_text("")
        self.notify("ID box cleared.")

    def on_paste(self, event: events.Paste) -> None:
        """A paste reaches here when no input took it (the jobs panel or a button had the
        focus): it belongs in the ID box, after what is already there, never lost."""
        event.stop()
        if not event.text:
            return
        area = self.query_one(IdEntry).text_area
        text = area.text
        area.insert(("\n" if text and not text.endswith("\n") else "") + event.text,
                    area.document.end)
        area.move_cursor(area.document.end)
        area.focus()
        self.notify("Pasted into the ID box.")

    @work(exclusive=False, group="engine-calls", exit_on_error=False)
    async def _send(self, fn: Callable[[Engine], object], message: str,
                    none_done: str | None = None) -> None:
        """Run ``fn`` on the engine; ``message`` (``{n}`` = the count it returns), or
        ``none_done`` when it did nothing: every action says what it did or why not."""
        host = self.kore.host
        if host is None:
            return
        try:
            result: object = await asyncio.wrap_future(host.call(fn))
        except ReadOnlyError as exc:
            self.notify(str(exc), severity="error")
            return
        except Exception as exc:
            self.notify(f"Failed: {inert(str(exc), 200)}", severity="error")
            return
        if isinstance(result, int):
            if result == 0 and none_done:
                self.notify(none_done, severity="warning")
                return
            message = message.format(n=result)
        self.notify(message)

    def action_load_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self._load(path)

        self.app.push_screen(PathPrompt("Load IDs from file", "path/to/ids.csv"), chosen)

    @work(thread=True, group="files", exit_on_error=False)
    def _load(self, path: str) -> None:
        """On a thread: a slow disk or a huge file never stalls the UI loop."""
        try:
            text = read_id_file(path)
        except IdFileError as exc:
            self.app.call_from_thread(self.notify, f"Not loaded: {inert(path, 100)}: {exc}",
                                      severity="error", timeout=8)
            return
        self.app.call_from_thread(self.query_one(IdEntry).set_text, text)
        self.app.call_from_thread(self.notify, f"Loaded {inert(path, 100)}")

    # -- panel actions -----------------------------------------------------------------

    def _selection(self) -> list[str]:
        return self.model.selection(self.query_one(JobsTable).cursor_key)

    def action_focus_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.focus()

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

    def action_cycle_status_filter(self) -> None:
        names = list(STATUS_FILTERS)
        self.model.status_filter = names[(names.index(self.model.status_filter) + 1)
                                         % len(names)]
        self.query_one(JobsTable).rebuild()
        self._update_summary()

    def action_cycle_sort(self) -> None:
        self.model.sort = SORTS[(SORTS.index(self.model.sort) + 1) % len(SORTS)]
        self.query_one(JobsHeader).set_sort(self.model.sort,
                                            self.query_one(JobsTable).show_environment)
        self.query_one(JobsTable).rebuild()
        self._update_summary()

    def _selected_jobs(self, here: bool = False) -> list[Job] | None:
        """The jobs an action applies to, or None (after saying why) when there are none.
        ``here``: the action sends requests, so every job must be the banner's environment's."""
        jobs = [self.model.jobs[k] for k in self._selection() if k in self.model.jobs]
        if not jobs:
            self.notify("No job selected: move the cursor to a job or mark some with space.",
                        severity="warning")
            return None
        if here and self._here([j.key for j in jobs]) is None:
            return None
        return jobs

    def action_recheck(self) -> None:
        jobs = self._selected_jobs(here=True)
        if jobs is None or not self._require_host():
            return
        checkable = [j.key for j in jobs if j.dock_status_id
                     and j.state not in {JobState.SUCCESS, JobState.FAILED}]
        if not checkable:
            self.notify(f"Nothing to re-check: {_count_states(jobs)} "
                        "(SUCCESS and FAILED are final; R retries FAILED).", severity="warning")
            return
        self._send(lambda e: e.recheck(checkable), "Re-checking {n} job(s) now.",
                   none_done="Nothing re-checked: the job(s) changed state meanwhile.")

    def action_retry(self) -> None:
        if not self._require_host():
            return
        env = self.kore.env
        assert env is not None
        here = self._here(self._selection())
        if here is None:
            return
        jobs = [self.model.jobs[k] for k in here if k in self.model.jobs]
        retryable = [j for j in jobs if j.state in RETRYABLE_STATES]
        if not retryable:
            self.notify("Retry applies to FAILED, UNKNOWN or ERROR jobs.", severity="warning")
            return
        if self.kore.read_only or env.read_only:
            self.notify(f"{env.name} is read-only: retry is disabled.", severity="error")
            return
        keys = [j.key for j in retryable]
        models = [j.model_id or j.dock_status_id or "?" for j in retryable]
        actions = sorted({j.action for j in retryable})
        note = Text(f"Retrying {_count_states(retryable)}: each sends its own action again "
                    f"({', '.join(inert(a, 12) for a in actions)}), a deploy with its recorded "
                    "parameters", style="bold")
        skipped = len(jobs) - len(retryable)
        if skipped:
            note.append(f" ({skipped} selected job(s) not FAILED, UNKNOWN or ERROR are left "
                        "alone)")
        unknown = sum(1 for j in retryable if j.state is JobState.UNKNOWN)
        if unknown:
            note.append(f"\n{unknown} UNKNOWN job(s) may already have succeeded: the first "
                        "request may have reached the server. If it did, the retry comes "
                        "back 409 Model is not deployed.", style="bold yellow")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._send(lambda e: e.retry(keys), "Retrying {n} job(s).")
            else:
                self.notify("Cancelled: nothing was sent.")

        verb = f"Retry {actions[0].lower()}" if len(actions) == 1 else "Retry"
        self.app.push_screen(ConfirmUndeploy(env, models, verb=verb, note=note), confirmed)

    def action_undo(self) -> None:
        """Redeploy what the selected finished UNDEPLOY SUCCESS jobs took down."""
        if self.lifecycle.refused(UNDO):  # read-only says so first: no dead key
            return
        jobs = self._selected_jobs(here=True)
        if jobs is not None:
            self.undo(jobs)

    def undo(self, jobs: list[Job]) -> None:
        """Undo from the panel or from history: the same flow as a deploy."""
        if self.lifecycle.refused(UNDO):
            return
        done = [j for j in jobs if undoable(j)]
        if not done:
            self.notify(f"Undo applies to a finished UNDEPLOY that is SUCCESS; selected: "
                        f"{_count_states(jobs)} ({', '.join(sorted({j.action for j in jobs}))})."
                        , severity="warning")
            return
        ids = list(dict.fromkeys(j.model_id for j in done if j.model_id))
        note = None
        if len(done) < len(jobs):
            note = Text(f"{len(jobs) - len(done)} selected job(s) that are not a successful "
                        "undeploy are left alone.", style="bold")
        self.lifecycle.start(ids, UNDO, note)

    def action_bounce(self) -> None:
        """Bounce the selected jobs' models and tools (undeploy, then redeploy)."""
        if self.lifecycle.refused(BOUNCE):
            return
        jobs = self._selected_jobs(here=True)
        if jobs is None:
            return
        chosen = [j for j in jobs if bounceable(j)]
        if not chosen:
            self.notify(f"Nothing to bounce: {_count_states(jobs)} (a job must be final and "
                        "name a model or tool).", severity="warning")
            return
        ids = list(dict.fromkeys(j.model_id for j in chosen if j.model_id))
        note = None
        if len(chosen) < len(jobs):
            note = Text(f"{len(jobs) - len(chosen)} selected job(s) still running or without "
                        "a model or tool are left alone.", style="bold")
        self.lifecycle.start(ids, BOUNCE, note)

    def action_stop_tracking(self) -> None:
        jobs = self._selected_jobs(here=True)
        if jobs is None or not self._require_host():
            return
        keys = [j.key for j in jobs if j.state in ACTIVE_STATES and j.tracking]
        if not keys:
            self.notify(f"Nothing to stop: {_count_states(jobs)} (only QUEUED, SUBMITTING "
                        "or IN_PROGRESS jobs are tracked).", severity="warning")
            return
        self._send(lambda e: e.stop_tracking(keys), "Stopped tracking {n} job(s).",
                   none_done="Nothing stopped: a SUBMITTING job's request is on the wire; "
                   "its outcome is always recorded.")

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
        self.notify(f"Copied {' and '.join(parts)} to the clipboard.")

    def action_export(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        env = self.kore.env.name if self.kore.env else "jobs"
        default = f"kore-jobs-{env}-{stamp}.csv"
        keys = self._selection() if self.model.marks else list(self.model.visible)

        def chosen(path: str | None) -> None:
            if path:
                self._export(keys, path)

        self.app.push_screen(PathPrompt(f"Export {len(keys)} job(s) to (.csv or .json)",
                                        value=default), chosen)

    @work(thread=True, group="files", exit_on_error=False)
    def _export(self, keys: list[str], path: str) -> None:
        jobs = [self.model.jobs[k] for k in keys if k in self.model.jobs]
        try:
            written = export_jobs(jobs, Path(path))
        except (OSError, ValueError) as exc:
            self.app.call_from_thread(self.notify, f"Export failed: {inert(str(exc), 200)}",
                                      severity="error")
            return
        self.app.call_from_thread(self.notify, f"Exported {len(jobs)} job(s) to {written}")

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

    def action_environments(self) -> None:
        self.kore.action_environments()

    def action_replace_key(self) -> None:
        self.kore.action_replace_key()

    def action_history(self) -> None:
        env = self.kore.env
        self.app.push_screen(HistoryScreen(env.name if env else None,
                                           journal_path=self.kore.journal_path,
                                           undo=self._undo_from_history))

    def _undo_from_history(self, job: Job) -> None:
        """History rows are read from the journal: undo acts on the environment on screen,
        so a row of another environment is refused with the way to get there."""
        env = self.kore.env
        if env is None or job.environment != env.name:
            self.notify(f"This job belongs to {inert(job.environment, 40)}: switch to it "
                        "(F2) to undo it.", severity="warning")
            return
        self.undo([job])

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(console_keys()))


def console_keys() -> list[KeyHelp]:
    """The console's described keys, for help and the command palette (one place)."""
    return all_keys(MainScreen.BINDINGS, JobsTable.BINDINGS, FilterInput.BINDINGS)
