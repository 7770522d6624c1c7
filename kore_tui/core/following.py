"""Jobs of other processes sharing the journal: follow, join, take over.

A job whose owner (see core/lease.py) is alive is *followed*: shown from the
journal, never written or sent here. A job whose owner is gone is *taken
over* (compare-and-set of its owner in the journal) and *adopted*: polled if
it was accepted, reported honestly if it was in flight or never sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace

from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.job import ACTIVE_STATES, Job, JobState
from kore_tui.core.job_writer import JobWriter
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.lease import HEARTBEAT_EVERY, OwnerRecord, is_alive
from kore_tui.core.scheduler import Scheduler
from kore_tui.core.store import JobStore
from kore_tui.core.wall_time import age_from_wall, clock_time

# A followed job stopped here (x) whose process then ended before it did.
OWNER_GONE = "stopped here; its process has ended: nobody tracks it now (r checks it)"
FOLLOW_EVERY = 0.5  # seconds between journal reads of jobs another process tracks
DISCOVER_EVERY = 1.0  # seconds between looks for jobs another process started (console)
ALREADY_HERE = "already queued or in progress in this session"


@dataclass(frozen=True)
class _Followed:
    deadline: float  # our own deadline for it, on the engine's clock
    asked: bool  # the operator asked for this model here: we may send it if its owner dies


class Following:
    def __init__(
        self,
        journal: Journal | None,
        store: JobStore,
        writer: JobWriter,
        scheduler: Scheduler,
        settings: EngineSettings,
        clock: Callable[[], float],
        owner_id: Callable[[], str | None],
        notes: dict[str, str],
        can_check: Callable[[], bool] = lambda: True,
    ) -> None:
        self._journal = journal
        self._store = store
        self._writer = writer
        self._scheduler = scheduler
        self._settings = settings
        self._clock = clock
        self._owner_id = owner_id
        self._notes = notes  # the engine's: why a job the operator asked for was not sent
        # False while the platform refuses our key: a job whose owner is gone is left for
        # a process that can check it (followed here until then), not taken and held.
        self._can_check = can_check
        # Jobs another live process owns and tracks: shown from the journal, never written.
        self._followed: dict[str, _Followed] = {}
        # The console's: jobs other processes started since (see show_new_jobs).
        self._new_jobs: Callable[[], list[Job]] | None = None
        self._changed_jobs: Callable[[], list[Job]] | None = None
        # Followed jobs the operator stopped (x): no longer followed, but the end their
        # owner writes is still shown (the row read 'IN_PROGRESS ⏸' for good, counted
        # stopped, while the journal had SUCCESS).
        self._stopped: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self._followed

    def unfollow(self, key: str) -> bool:
        if self._followed.pop(key, None) is None:
            return False
        self._stopped.add(key)
        return True

    def resume(self, candidates: list[Job]) -> list[Job]:
        """Follow the unfinished jobs of live owners; take over and adopt the others."""
        assert self._journal is not None
        owners = self._journal.owner_records(j.owner for j in candidates if j.owner)
        timelines = self._journal.timelines([j.key for j in candidates])
        resumed: list[Job] = []
        for job in candidates:
            if job.key in self._scheduler.tracks or job.key in self._followed:
                continue
            job = replace(job, timeline=timelines.get(job.key, ()))
            if (
                job.state in ACTIVE_STATES
                and job.owner != self._owner_id()
                and (is_alive(owners.get(job.owner or "")) or not self._can_check())
            ):
                resumed.append(self.follow(job, asked=False))
                continue
            taken = self.take_over(job)
            if taken is not None:
                resumed.append(self.adopt(taken, asked=False))
        return resumed

    def take_over(self, job: Job) -> Job | None:
        """Become the owner of a job whose owner is gone (compare-and-set in the journal)."""
        assert self._journal is not None
        if job.owner == self._owner_id():
            return job
        if not self._journal.take_over(job.key, job.owner):
            fresh = self._journal.jobs([job.key]).get(job.key)
            if fresh is not None and not fresh.is_final:
                self.follow(replace(fresh, timeline=job.timeline), asked=False)
            return None
        return replace(job, owner=self._owner_id())

    def adopt(self, job: Job, *, asked: bool) -> Job:
        """Track a job we just took over. ``asked``: the operator asked for this model now,
        so a job that was never sent may be sent; otherwise it is reported as not sent."""
        track = self._scheduler.add(job.key, 0.0, float("inf"))
        job_timeout = self._settings.job_timeout
        if job.state is JobState.IN_PROGRESS or (
            job.state is JobState.TIMED_OUT and job.dock_status_id
        ):
            track.started = self._clock() - age_from_wall(job.submitted_at)
            fresh_deadline = job.state is JobState.TIMED_OUT or not job.tracking
            track.deadline = (self._clock() if fresh_deadline else track.started) + job_timeout
            job = self._writer.set(
                job,
                state=JobState.IN_PROGRESS,
                error=None,
                error_kind=None,
                tracking=True,
                stale=False,
                force_transition=True,
                detail="re-check of a timed-out job"
                if fresh_deadline
                else "resumed: its previous process is gone",
            )
            self._scheduler.schedule(job.key, 0.0)
        elif job.state is JobState.SUBMITTING:
            job = self._writer.set(
                job,
                state=JobState.UNKNOWN,
                error_kind="interrupted",
                error=f"the previous run stopped while the {job.action.lower()} request was in "
                "flight; it may have reached the server. Check the resource before retrying.",
            )
        elif job.state is JobState.QUEUED and asked:
            track.started, track.deadline = self._clock(), self._clock() + job_timeout
            job = self._writer.set(
                job,
                tracking=True,
                force_transition=True,
                detail="taken over from a process that is gone; never sent before",
            )
            self._scheduler.schedule(job.key, 0.0)
        else:
            job = self._writer.set(
                job,
                state=JobState.ERROR,
                error_kind="not_sent",
                error="never sent: the previous run stopped before sending it (retry to send)",
            )
        self._writer.note_open(job)
        return job

    def join(self, existing: Job) -> Job:
        """The operator asked to act on a resource that already has a blocking job."""
        shown = self._store.get(existing.key)
        if shown is not None and shown.state is not JobState.UNKNOWN:
            self._notes[existing.key] = ALREADY_HERE
            return shown
        assert self._journal is not None
        job = replace(existing, timeline=self._journal.timeline(existing.key))
        since = clock_time(existing.submitted_at or existing.created_at)
        if job.state is JobState.UNKNOWN:
            self._store.put(job)
            self._notes[job.key] = (
                f"not sent: its {job.action.lower()} of {since} has an "
                "UNKNOWN outcome "
                "(it may have reached the server); check the resource, then retry that "
                "job in the console (R on its row): the command line has no retry"
            )
            return job
        record = self._journal.owner_records([job.owner or ""]).get(job.owner or "")
        if job.tracking and is_alive(record):
            assert record is not None
            self._notes[job.key] = (
                f"already {job.state.value} since {since} ({record.owner.describe()}), tracking it"
            )
            return self.follow(job, asked=True)
        taken = self.take_over(job)
        if taken is None:
            self._notes[job.key] = f"already {job.state.value} since {since}, tracking it"
            return self._store.get(job.key) or job
        self._notes[job.key] = (
            f"already {job.state.value} since {since} (its process is gone), tracking it"
        )
        return self.adopt(taken, asked=True)

    def show_new_jobs(
        self, found: Callable[[], list[Job]], changed: Callable[[], list[Job]] | None = None
    ) -> None:
        """Show the jobs ``found`` returns that are not shown yet, every DISCOVER_EVERY:
        an operator's run had `kore-tui undeploy` in another terminal while the console
        was open on the same environment, and its jobs never appeared in the panel (only
        F3 had them). Live ones are followed, or taken over once their process is gone;
        ended ones are shown as they ended. Only the console asks for this: a CLI run's
        report and exit code are about the jobs it was given.

        ``changed``: jobs written since the last look. A job shown here as ended that
        another process retried is shown as it is now (followed while it runs): a second
        console kept FAILED for minutes what the first had retried to SUCCESS."""
        self._new_jobs = found
        self._changed_jobs = changed

    def _show_new(self) -> None:
        assert self._new_jobs is not None
        new = [j for j in self._new_jobs() if self._store.get(j.key) is None]
        live = [j for j in new if not j.is_final and j.tracking]
        for job in new:
            if job not in live:
                self._writer.put(job)
        if live:
            self.resume(live)
        for row in self._changed_jobs() if self._changed_jobs is not None else []:
            shown = self._store.get(row.key)
            if (
                shown is None
                or not shown.is_final
                # Our own write (the journal may lag the store): never taken back. A job
                # this engine sent and saw end that another process then retried has that
                # process as its owner: shown (the console that sent a job kept FAILED what
                # another one had retried to SUCCESS).
                or (row.key in self._scheduler.tracks and row.owner == self._owner_id())
                or (row.state, row.attempts, row.dock_status_id)
                == (shown.state, shown.attempts, shown.dock_status_id)
            ):
                continue
            assert self._journal is not None
            row = replace(row, timeline=self._journal.timeline(row.key))
            if row.is_final or not row.tracking:
                self._writer.put(row)
            else:
                self.resume([row])

    def follow(self, job: Job, *, asked: bool) -> Job:
        self._followed[job.key] = _Followed(self._clock() + self._settings.job_timeout, asked)
        self._writer.put(job)
        return job

    async def housekeeping(
        self, has_owner: Callable[[], bool], on_journal_error: Callable[[str], None]
    ) -> None:
        """Heartbeat our owner lease; refresh followed jobs from the journal."""
        next_beat = self._clock() + HEARTBEAT_EVERY
        next_look = self._clock() + DISCOVER_EVERY
        while True:
            await asyncio.sleep(FOLLOW_EVERY)
            if self._journal is None:
                continue
            try:
                if self._clock() >= next_beat and has_owner():
                    next_beat = self._clock() + HEARTBEAT_EVERY
                    self._journal.heartbeat()
                if self._new_jobs is not None and self._clock() >= next_look:
                    next_look = self._clock() + DISCOVER_EVERY
                    self._show_new()
                if self._followed or self._stopped:
                    self._refresh()
            except JournalError as exc:
                on_journal_error(str(exc))

    def _refresh(self) -> None:
        assert self._journal is not None
        rows = self._journal.jobs([*self._followed, *self._stopped])
        self._show_ends_of_stopped(rows)
        owners = self._journal.owner_records(j.owner for j in rows.values() if j.owner)
        now = self._clock()
        for key, followed in list(self._followed.items()):
            row, shown = rows.get(key), self._store.get(key)
            if row is None or shown is None:
                del self._followed[key]
                continue
            if row.updated_at != shown.updated_at:
                timeline = (
                    shown.timeline if row.state is shown.state else self._journal.timeline(key)
                )
                shown = replace(row, timeline=timeline)
                self._writer.put(shown)
            if row.is_final or not row.tracking:
                # Final, or stopped by its owner (x): shown as it is, never taken over (a
                # second console adopted and polled the jobs the operator had stopped).
                del self._followed[key]
            elif not is_alive(owners.get(row.owner or "")) and self._can_check():
                del self._followed[key]
                taken = self.take_over(row)
                if taken is not None:
                    self.adopt(replace(taken, timeline=shown.timeline), asked=followed.asked)
            elif now >= followed.deadline:
                del self._followed[key]
                self._give_up(shown, row, owners.get(row.owner or ""))
            self._writer.note_open(self._store.get(key) or row)

    def _show_ends_of_stopped(self, rows: dict[str, Job]) -> None:
        assert self._journal is not None
        owners = self._journal.owner_records(
            row.owner for key in self._stopped if (row := rows.get(key)) and row.owner
        )
        for key in list(self._stopped):
            row, shown = rows.get(key), self._store.get(key)
            if row is None or shown is None or shown.is_final or shown.tracking:
                self._stopped.discard(key)  # gone, or tracked again here (r)
            elif row.is_final:
                self._stopped.discard(key)
                self._writer.put(replace(row, timeline=self._journal.timeline(key)))
            elif not is_alive(owners.get(row.owner or "")):
                # Its process ended without an end: 'its own process still tracks it' stayed
                # on the row for good (an operator's run), while nobody did.
                self._stopped.discard(key)
                self._writer.put(replace(shown, error=OWNER_GONE))

    def _give_up(self, shown: Job, row: Job, record: OwnerRecord | None) -> None:
        """Our own deadline passed while the owner still tracks the job."""
        who = record.owner.describe() if record else "another process"
        self._writer.put(
            replace(
                shown,
                state=JobState.TIMED_OUT,
                error_kind="deadline",
                error=f"deadline of {self._settings.job_timeout:g}s reached while {who} "
                f"tracks it (still {row.state.value} there)",
            )
        )
