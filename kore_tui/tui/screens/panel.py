"""What every group of the main screen's actions stands on: which jobs are on screen,
the store -> model -> table drain, the summary and batch lines, the selection, and
the one way an action reaches the engine (``_send``).

The main screen is this plus its action groups (view_actions, job_actions,
entry_actions), each a subclass of this one, composed in screens/main.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import cast

from rich.text import Text
from textual import work
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from kore_tui.core.engine import Engine, ReadOnlyError
from kore_tui.core.job import ACTIVE_STATES, Job, JobState, utc_now
from kore_tui.core.text import inert
from kore_tui.tui.console import Console
from kore_tui.tui.jobs_model import JobsModel, is_stopped, newest_by_resource
from kore_tui.tui.lifecycle import LIFECYCLE_GROUP, Lifecycle
from kore_tui.tui.sessions import live_own
from kore_tui.tui.summary_items import summary_items
from kore_tui.tui.widgets.banner import EnvBanner
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.items_line import ItemsLine
from kore_tui.tui.widgets.jobs_table import JobsTable

PROBLEMS = frozenset({JobState.FAILED, JobState.UNKNOWN, JobState.ERROR, JobState.TIMED_OUT})


def action_words(action: str) -> str:
    """A job's action in a sentence: a watched job whose ID the server did not know has
    no action ("?" in the table), which read as "this is ? ERROR"."""
    return "of unknown action" if action == "?" else inert(action, 12)


def count_states(jobs: list[Job]) -> str:
    """ "2 SUCCESS, 1 FAILED": what the selected jobs are, in words for a toast."""
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.state.value] = counts.get(job.state.value, 0) + 1
    return ", ".join(f"{n} {state}" for state, n in counts.items())


class PanelScreen(Screen[None]):
    def __init__(self, prefill: str = "") -> None:
        super().__init__()
        self._no_env = JobsModel()  # what the panel holds while no environment is open
        # The all-environments view (E): every open environment's jobs, read-only.
        self._all: JobsModel | None = None
        self._prefill = prefill
        self._batch_active = False  # jobs were being tracked: their end gets a summary
        # The jobs of the batch under way (every job that changed since the last summary):
        # the summary counts them, not the whole panel ("Batch done: 24 SUCCESS" for a
        # retry of 3).
        self._batch_keys: set[str] = set()
        self._last_batch: set[str] = set()  # the jobs the batch line counts
        self._batch_shown: Text | None = None
        self._opened = utc_now()  # a job's steps before this belong to an earlier run
        self.lifecycle = Lifecycle(self)
        self._preparing = 0  # actions awaiting something before their dialog

    @property
    def kore(self) -> Console:
        return cast(Console, self.app)

    @property
    def dialog_on_its_way(self) -> bool:
        """An action is working out the dialog it opens (parsing the box, asking the
        engine, between the deploy form and its confirmation). Keys typed meanwhile went
        to the panel ("u Enter" opened a job detail under the confirmation): the app
        drops them (app.py), the dialog is up a moment later."""
        workers = self.app.workers
        return self._preparing > 0 or any(
            worker.group == LIFECYCLE_GROUP and not worker.is_finished for worker in workers
        )

    @contextmanager
    def preparing_dialog(self) -> Iterator[None]:
        self._preparing += 1
        try:
            yield
        finally:
            self._preparing -= 1

    @property
    def writable(self) -> bool:
        """Neither the console (--read-only) nor the environment on screen is read-only."""
        env = self.kore.env
        return not (self.kore.read_only or (env is not None and env.read_only))

    @property
    def model(self) -> JobsModel:
        """The jobs of the environment on screen; each environment keeps its own."""
        if self._all is not None:
            return self._all
        current = self.kore.sessions.current
        return current.model if current is not None else self._no_env

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
                # Every job that changed, final ones too: a POST answered 409 or cut off is
                # final before any drain sees it live, and is what the summary must count.
                # Not the rows a reopened console loads (written before it opened).
                self._batch_keys.update(j.key for j in changed if j.updated_at >= self._opened)
                if not self._batch_active and any(self._went_live(j) for j in changed):
                    self._batch_active = True
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
        if tracking and host is not None:
            # Only the jobs this console's engine checks: a silence from the host is a
            # warning when we ask and get no answer. Jobs another process owns are checked
            # by it (followed here from the journal): 'last OK 45s ago' turned bold yellow
            # on a console that made no request while the owner's were all answered.
            tracking = bool(live_own(self.model.jobs.values(), host.owner_id))
        self.query_one(EnvBanner).show(
            self.kore.env,
            host.store if host else None,
            self.kore.read_only,
            self.kore.clock(),
            tracking,
            self.kore.sessions.active_elsewhere(),
            self.kore.sessions.paused(),
            self.kore.platform_guard(self.kore.env) if self.kore.env is not None else None,
        )

    def focus_id_box(self) -> None:
        """The focus to the ID box now (not by the deferred focus(), which a rebuild of a
        focused jobs panel, queued before, would undo)."""
        self.query_one(JobsTable).let_go()
        self.set_focus(self.query_one(IdEntry).text_area)

    def _went_live(self, job: Job) -> bool:
        """The job was queued, sent or polled since the panel last saw it, this session.

        A batch can start and end between two drains (jobs quicker than the 0.1 s drain,
        or a busy machine): the summary then only sees final jobs, so "was it live" is
        read from the timeline, not from the states a drain happened to see. Journal rows
        of an earlier run (loaded final at start) were live before ``_opened``: no batch."""
        before = self.model.jobs.get(job.key)
        seen = len(before.timeline) if before is not None else 0
        return any(
            step.state in ACTIVE_STATES and step.at >= self._opened for step in job.timeline[seen:]
        )

    def _update_summary(self) -> None:
        model = self.model
        items = summary_items(model, one_row=self.has_class("-short"))
        # Most drains bring polls that change no count: the same items are not shown again
        # (a Static's update re-lays out the whole screen, 10 times a second).
        self.query_one("#summary", ItemsLine).show_items(items)
        self._update_batch()
        total = len(model.jobs)
        self.query_one(ProgressBar).update(total=max(total, 1), progress=model.progress_shown)

    def _update_batch(self) -> None:
        """When the last tracked job turns final: one line with the outcome and what to do
        about the ones that did not succeed. It stays until new work starts."""
        if self._all is not None:
            # The all-environments view (E): another environment's live jobs opened a batch
            # of their own, and back here the line counted the whole panel (an operator's
            # run: "38 SUCCESS, 8 FAILED, 7 ERROR" for a batch of 6). The line is left as it is.
            return
        counts, stopped = self.model.counts, self.model.stopped
        # A stopped job (x) is polled by no one: waiting for it kept the batch open for good.
        active = sum(counts.get(state, 0) - stopped.get(state, 0) for state in ACTIVE_STATES)
        line = self.query_one("#batch", Static)
        if active:
            self._batch_active = True
            line.display = False
            return
        if self._batch_active:
            self._batch_active = False
            self._last_batch = set(self._batch_keys)
            self._batch_keys.clear()
        elif not line.display:
            return
        # Shown, the line follows its jobs: a stopped one tracked again (r) can end before a
        # drain sees it live, and "1 stopped ⏸" stayed under a summary that had none.
        text = self._batch_text()
        if text != self._batch_shown:
            self._batch_shown = text
            line.update(text)
        if not line.display:
            line.display = True
            # The line takes a row from the panel: the cursor's row stays in sight (it fell
            # below the view at 80x24, and the next x or u acted on a row out of sight).
            self.call_after_refresh(self.query_one(JobsTable).scroll_to_cursor)

    def _batch_text(self) -> Text:
        """The last batch's outcome (its jobs, else the whole panel's) and the keys for
        what did not succeed."""
        counts, stopped = self.model.counts, self.model.stopped
        jobs = self.model.jobs
        mine = [jobs[k] for k in self._last_batch if k in jobs]
        batch = [j.state for j in mine if not is_stopped(j)]
        held = sum(1 for j in mine if is_stopped(j)) if mine else stopped.total()
        counts = Counter(batch) if mine else counts - stopped
        states = (JobState.SUCCESS, JobState.FAILED, JobState.UNKNOWN, JobState.ERROR)
        # SUCCESS always, the others when there are any: "0 UNKNOWN, 0 ERROR" pushed the
        # keys for what to do next onto a second row at 80 columns.
        shown = [s for s in (*states, JobState.TIMED_OUT) if s is JobState.SUCCESS or counts.get(s)]
        text = Text(" Batch done: ", style="bold")
        text.append(", ".join(f"{counts.get(state, 0)} {state.value}" for state in shown))
        if held:
            text.append(f", {held} stopped ⏸")
        if any(state in PROBLEMS for state in batch) or (not mine and self._problems()):
            # "F mark failed · R retry" read as two keys for the same rows: R on the cursor's
            # SUCCESS row said "Retry applies to FAILED…". F first, then R.
            # Short: with a stopped job the line wrapped at 80 columns ("their IDs" alone).
            keys = "F then R: retry" if self.writable else "F mark failed"
            text.append(f"  {keys} · C copy IDs", style="bold yellow")
        return text

    def _problems(self) -> list[str]:
        """Jobs that did not succeed, each resource's newest only (F then R retried old
        FAILED rows beside a later SUCCESS: 409s; and a resource twice)."""
        newest = newest_by_resource(self.model.jobs.values())
        return [j.key for j in newest.values() if j.state in PROBLEMS]

    # -- what an action applies to ---------------------------------------------------

    def _here(self, keys: list[str]) -> list[str] | None:
        """``keys`` if they all belong to the environment in the banner; else say so."""
        env = self.kore.env
        elsewhere = {
            self.model.jobs[k].environment
            for k in keys
            if k in self.model.jobs and (env is None or self.model.jobs[k].environment != env.name)
        }
        if elsewhere:
            names = ", ".join(sorted(inert(name, 20) for name in elsewhere))
            self.notify(
                f"Selected jobs belong to {names}: switch to it (F2) to act on them.",
                severity="warning",
            )
            return None
        return keys

    def _selection(self) -> list[str]:
        return self.model.selection(self.query_one(JobsTable).cursor_key)

    def _selected_jobs(self, here: bool = False) -> list[Job] | None:
        """The jobs an action applies to, or None (after saying why) when there are none.
        ``here``: the action sends requests, so every job must be the banner's environment's."""
        jobs = [self.model.jobs[k] for k in self._selection() if k in self.model.jobs]
        if not jobs:
            self.notify(
                "No job selected: move the cursor to a job or mark some with space.",
                severity="warning",
            )
            return None
        if here and self._here([j.key for j in jobs]) is None:
            return None
        return jobs

    # -- the engine ------------------------------------------------------------------

    def _require_host(self) -> bool:
        if self.kore.host is not None:
            return True
        session = self.kore.sessions.current
        if session is not None and session.connecting:
            # Its engine is still starting (the console's first second, or just after F2):
            # "No environment connected: press F2" sent an operator to a picker that showed
            # it connected, unsure whether the undeploy had gone anywhere.
            name = inert(session.env.name, 40)
            self.notify(f"Still connecting to {name}: nothing was sent; try again in a moment.")
        else:
            self.notify("No environment connected: press F2.", severity="warning")
        return False

    @work(exclusive=False, group="engine-calls", exit_on_error=False)
    async def _send(
        self, fn: Callable[[Engine], object], message: str, none_done: str | None = None
    ) -> None:
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
        elif isinstance(result, str):
            message = result  # the engine call said what it did in its own words
        self.notify(message)
