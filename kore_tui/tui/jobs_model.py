"""What the jobs panel shows: filtered, sorted rows, marks and counts.

Plain Python (no Textual) so it can be tested and benchmarked alone. It is
fed batches of changed jobs from the store; work per batch is proportional
to the batch, except a re-filter/re-sort, which the widget throttles.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime

from kore_tui.core.job import ACTIVE_STATES, Job, JobState

STATUS_FILTERS: dict[str, frozenset[JobState] | None] = {
    "all": None,
    "active": ACTIVE_STATES,
    "problems": frozenset({JobState.FAILED, JobState.UNKNOWN, JobState.ERROR, JobState.TIMED_OUT}),
    "success": frozenset({JobState.SUCCESS}),
}
SORTS = ("created", "status", "elapsed", "model")
_STATUS_ORDER = {
    s: i
    for i, s in enumerate(
        [
            JobState.ERROR,
            JobState.UNKNOWN,
            JobState.FAILED,
            JobState.TIMED_OUT,
            JobState.SUBMITTING,
            JobState.IN_PROGRESS,
            JobState.QUEUED,
            JobState.SUCCESS,
        ]
    )
}


def in_view(job: Job, status_filter: str) -> bool:
    """Is the job in this status view? A bounce that left its resource undeployed (SUCCESS,
    redeploy never sent) is a problem, not a success: the model is down."""
    states = STATUS_FILTERS[status_filter]
    if states is None:
        return True
    if job.redeploy_missing:
        return status_filter == "problems"
    return job.state in states


def newest_by_resource(jobs: Iterable[Job]) -> dict[str, Job]:
    """Each resource's newest job (a job without a resource ID stands for itself): what
    the panel's older rows of a resource no longer say about it."""
    newest: dict[str, Job] = {}
    for job in jobs:
        resource = job.model_id or job.dock_status_id or job.key
        if resource not in newest or job.created_at > newest[resource].created_at:
            newest[resource] = job
    return newest


def undeployed(jobs: Iterable[Job], ids: Iterable[str]) -> list[str]:
    """The IDs whose newest job here is a verified UNDEPLOY SUCCESS (not a bounce's first
    half): as far as this panel knows, the resource is not deployed now."""
    wanted = set(ids)
    return [
        m
        for m, j in newest_by_resource(j for j in jobs if j.model_id in wanted).items()
        if j.action == "UNDEPLOY" and j.state is JobState.SUCCESS and not j.then
    ]


def live_here(jobs: Iterable[Job], ids: list[str]) -> tuple[list[str], str | None]:
    """The IDs whose newest job here is not final, and what to say of them: a deploy or
    bounce of them is joined to that job, not sent (an operator filled a whole deploy form
    for a model whose undeploy was running)."""
    wanted = set(ids)
    live = {
        m: j
        for m, j in newest_by_resource(j for j in jobs if j.model_id in wanted).items()
        if not j.is_final
    }
    if not live:
        return [], None
    counts = Counter(f"{j.state.value} {j.action}" for j in live.values())
    states = ", ".join(f"{n} {what}" for what, n in counts.items())
    said = (
        f"{len(live)} with a live job here ({states}): joined, not sent; "
        "act again once it has ended."
    )
    return list(live), said


def left_out_of_bounce(jobs: Iterable[Job], ids: list[str]) -> tuple[list[str], str | None]:
    """A bounce's IDs without the undeployed ones (their undeploy would come back 409 and
    the bounce stop there, the resource still down), and what to say of those."""
    down = undeployed(jobs, ids)
    if not down:
        return ids, None
    said = (
        f"{len(down)} undeployed (last job here: UNDEPLOY SUCCESS) left out of the "
        "bounce; u (undo) redeploys them."
    )
    return [i for i in ids if i not in down], said


def is_stopped(job: Job) -> bool:
    """Its tracking was stopped (x) before it was final: shown "⏸", polled by no one."""
    return not job.tracking and not job.is_final


def epoch(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def elapsed_seconds(job: Job, now: float) -> float | None:
    """Submit to final state (or to now, while tracked): what "Elapsed" shows and sorts by."""
    submitted = epoch(job.submitted_at)
    if submitted is None:
        return None
    if job.is_final or not job.tracking:
        # A stopped job's clock stops with its tracking: nothing is known after that.
        return (epoch(job.updated_at) or now) - submitted
    return now - submitted


class JobsModel:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # for the elapsed sort; screenshots freeze it
        self.jobs: dict[str, Job] = {}
        self._created: dict[str, int] = {}
        self.visible: list[str] = []
        self._index: dict[str, int] = {}
        self.marks: set[str] = set()
        self.counts: Counter[JobState] = Counter()
        # Of those, the jobs no one tracks any more (x): not final, yet nothing will tell
        # when they are. The summary counts them apart from the state they were left in.
        self.stopped: Counter[JobState] = Counter()
        # Of the SUCCESS ones, bounces that left their resource down (Job.redeploy_missing).
        self.down = 0
        # Keys of bounce first halves whose redeploy is shown: they keep their ↻.
        self.parents: set[str] = set()
        self.dirty = False
        self._seq = 0
        self.text_filter = ""
        self.status_filter = "all"
        self.sort = "created"

    def clear(self) -> None:
        """Forget every job and mark (a new environment); the view settings stay."""
        self.jobs.clear()
        self._created.clear()
        self.visible = []
        self._index = {}
        self.marks.clear()
        self.counts.clear()
        self.stopped.clear()
        self.down = 0
        self.parents.clear()
        self.dirty = False

    # -- feeding -----------------------------------------------------------------------

    def apply(self, changed: Iterable[Job], removed: Iterable[str] = ()) -> list[int]:
        """Take a batch; return visible row indexes whose content changed."""
        rows: list[int] = []
        for job in changed:
            old = self.jobs.get(job.key)
            if old is None:
                self._created[job.key] = self._seq
                self._seq += 1
                self.dirty = True
            else:
                self._uncount(old)
                # Rebuilt when the change moves the job in or out of the view (not only a
                # new state: a bounce found stranded keeps SUCCESS and leaves "success";
                # an error can come to match the text filter), or in the status order.
                if (self.sort == "status" and old.state is not job.state) or (
                    self._filtered and self._matches(old) != self._matches(job)
                ):
                    self.dirty = True
            self.counts[job.state] += 1
            if job.parent and job.parent not in self.parents:
                self.parents.add(job.parent)
                self.dirty = True  # the parent's row changes (its ↻)
            if is_stopped(job):
                self.stopped[job.state] += 1
            self.down += job.redeploy_missing
            self.jobs[job.key] = job
            index = self._index.get(job.key)
            if index is not None:
                rows.append(index)
        for key in removed:
            old = self.jobs.pop(key, None)
            if old is not None:
                self._uncount(old)
                self.marks.discard(key)
                self.dirty = True
        return rows

    def _uncount(self, job: Job) -> None:
        self.counts[job.state] -= 1
        self.down -= job.redeploy_missing
        if is_stopped(job):
            self.stopped[job.state] -= 1

    # -- view --------------------------------------------------------------------------

    @property
    def _filtered(self) -> bool:
        return self.status_filter != "all" or bool(self.text_filter)

    def _matches(self, job: Job) -> bool:
        if not in_view(job, self.status_filter):
            return False
        if self.text_filter:
            needle = self.text_filter.lower()
            hay = " ".join(
                filter(
                    None,
                    (job.model_id, job.dock_status_id, job.status_label, job.error, job.action),
                )
            ).lower()
            return needle in hay
        return True

    def _sort_key(self, key: str) -> tuple[object, ...]:
        job = self.jobs[key]
        created = self._created[key]
        if self.sort == "status":
            return (_STATUS_ORDER.get(job.state, 99), created)
        if self.sort == "elapsed":  # longest first; never sent (no elapsed) last
            elapsed = elapsed_seconds(job, self.clock())
            return (-elapsed if elapsed is not None else float("inf"), created)
        if self.sort == "model":
            return (job.model_id or "~", created)
        return (created,)

    def rebuild(self) -> None:
        keys = [k for k, j in self.jobs.items() if self._matches(j)]
        if self.status_filter == "problems":
            # What is wrong now: an old FAILED row of a model whose later undeploy succeeded
            # is history, not a problem (an operator's run: the problems view listed fixed
            # failures twice, and F then R started from it).
            newest = {j.key for j in newest_by_resource(self.jobs.values()).values()}
            keys = [k for k in keys if k in newest]
        if self.sort != "created":
            keys.sort(key=self._sort_key)
        else:
            keys.sort(key=self._created.__getitem__)
        self.visible = keys
        self._index = {k: i for i, k in enumerate(keys)}
        self.dirty = False

    def index_of(self, key: str) -> int | None:
        return self._index.get(key)

    @property
    def final_count(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in ACTIVE_STATES)

    @property
    def progress_shown(self) -> float:
        """The final jobs, as the progress bar is given them: Textual rounds, and 201 of
        202 read "100%" while a job still ran."""
        total, final = len(self.jobs), self.final_count
        return final if final >= total else min(final, total * 0.99)

    @property
    def hidden_marks(self) -> int:
        return sum(1 for k in self.marks if k not in self._index)

    def toggle_mark(self, key: str) -> None:
        if key in self.marks:
            self.marks.remove(key)
        else:
            self.marks.add(key)

    def mark_visible(self) -> None:
        self.marks.update(self.visible)

    def selection(self, cursor_key: str | None) -> list[str]:
        """Marked jobs, or the job under the cursor when nothing is marked."""
        if self.marks:
            return [k for k in self.jobs if k in self.marks]
        return [cursor_key] if cursor_key else []
