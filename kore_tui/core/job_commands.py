"""The operator's commands on jobs already shown: re-check, retry, stop, give up held.

Each is the operator's word, never the engine's own idea: a retry is the only
way a POST (undeploy or deploy) is ever sent twice, and it is refused while the same
resource has a live job anywhere, whatever its action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kore_tui.core import errors
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.following import Following
from kore_tui.core.host_health import AuthHold
from kore_tui.core.job import ACTIVE_STATES, RETRYABLE_STATES, JobState, ended_attempt, utc_now
from kore_tui.core.job_writer import JobWriter, transitioned
from kore_tui.core.journal import Journal
from kore_tui.core.scheduler import Scheduler
from kore_tui.core.store import JobStore
from kore_tui.core.track import Tries
from kore_tui.core.wall_time import age_from_wall, clock_time


class ReadOnlyError(errors.KoreError):
    pass


class JobCommands:
    def __init__(
        self,
        store: JobStore,
        journal: Journal | None,
        writer: JobWriter,
        scheduler: Scheduler,
        following: Following,
        auth: AuthHold,
        settings: EngineSettings,
        clock: Callable[[], float],
        *,
        owner_id: Callable[[], str | None],
        ensure_owner: Callable[[], None],
        refuse_if_read_only: Callable[[str], None],
        notes: dict[str, str],
    ) -> None:
        self._store = store
        self._journal = journal
        self._writer = writer
        self._scheduler = scheduler
        self._following = following
        self._auth = auth
        self._settings = settings
        self._clock = clock
        self._owner_id = owner_id
        self._ensure_owner = ensure_owner
        self._refuse_if_read_only = refuse_if_read_only
        self._notes = notes

    def recheck(self, key: str) -> bool:
        job = self._store.get(key)
        if job is None or not job.dock_status_id:
            return False
        if key in self._following:
            return True  # its owner polls it; we show each change it writes
        if job.state in ACTIVE_STATES and job.tracking:
            self._scheduler.schedule(key, 0.0)
            return True
        if job.state in {JobState.SUCCESS, JobState.FAILED}:
            return False
        if self._journal is not None and job.owner != self._owner_id():
            taken = self._following.take_over(job)
            if taken is None:
                return False
            job = taken
        track = self._scheduler.restart(key)
        track.tries = replace(track.tries, check_failures=0)
        track.started = self._clock() - age_from_wall(job.submitted_at)
        track.deadline = self._clock() + self._settings.job_timeout
        self._writer.set(
            job,
            state=JobState.IN_PROGRESS,
            error=None,
            error_kind=None,
            stale=False,
            tracking=True,
            detail="re-check requested",
        )
        self._scheduler.schedule(key, 0.0)
        return True

    def retry(self, key: str) -> bool:
        """Send an ended job's own action again, with its recorded parameters (a watched
        job is re-checked instead)."""
        job = self._store.get(key)
        never_sent = job is not None and job.state is JobState.TIMED_OUT and not job.dock_status_id
        if job is None or (job.state not in RETRYABLE_STATES and not never_sent):
            return False
        if job.origin != "sent" or not job.model_id:
            return self.recheck(key)
        self._refuse_if_read_only("retry")
        self._ensure_owner()
        detail = f"retry requested by the operator; {ended_attempt(job)}"
        queued = transitioned(
            job,
            detail,
            state=JobState.QUEUED,
            error=None,
            error_kind=None,
            stale=False,
            tracking=True,
            dock_status_id=None,
            server_status=None,
            http_status=None,
            # A new attempt's checks start afresh: the old ones showed as this attempt's
            # ("Checked 1m08s" on a row never checked, Polls going on 5 -> 7).
            polls=0,
            last_checked_at=None,
            last_response=None,
            submitted_at=None,
            owner=self._owner_id(),
        )
        if self._journal is not None:
            found = self._journal.claim_retry(queued, detail, seen=job)
            if found is not None and found.key == key:
                # Retried by another process meanwhile: its row now, followed if live.
                found = replace(found, timeline=self._journal.timeline(key))
                self._notes[key] = (
                    f"not re-sent: retried in another process meanwhile (attempt "
                    f"{found.attempts}, now {found.state.value}); its row shows it"
                )
                if found.is_final or not found.tracking:
                    self._writer.put(found)
                else:
                    self._following.resume([found])
                return False
            if found is not None:
                since = clock_time(found.submitted_at or found.created_at)
                self._notes[key] = (
                    f"not re-sent: {job.model_id} already has a "
                    f"{found.state.value} job since {since}"
                )
                return False
        track = self._scheduler.restart(key)
        track.tries = Tries()
        track.started, track.deadline = self._clock(), self._clock() + self._settings.job_timeout
        self._writer.put(queued)
        self._scheduler.schedule(key, 0.0)
        return True

    def stop(self, key: str) -> bool:
        """Stop a job that is not final, saying honestly where it stands."""
        job = self._store.get(key)
        if job is None or job.is_final or not job.tracking:
            return False
        if self._following.unfollow(key):
            self._writer.put(
                replace(
                    job,
                    tracking=False,
                    error="no longer followed here; its own process still tracks it",
                    updated_at=utc_now(),  # its Elapsed stops now, not at the row's last write
                )
            )
            return True
        self._scheduler.stop(key)
        self._auth.keys.discard(key)
        if job.state is JobState.SUBMITTING:
            self._writer.set(
                job,
                state=JobState.UNKNOWN,
                error_kind="interrupted",
                error=f"stopped by the operator while the {job.action.lower()} "
                "request was in flight: it may have reached the server; check "
                "the resource before retrying",
            )
        elif job.state is JobState.QUEUED:
            self._writer.set(
                job,
                state=JobState.ERROR,
                error_kind="not_sent",
                error="not sent: stopped by the operator before sending (retry to send)",
            )
        else:
            self._writer.set(
                job,
                tracking=False,
                force_transition=True,
                detail="tracking stopped",
                error="tracking stopped by the operator; the job may still "
                "finish on the platform (re-check to follow it again)",
            )
        return True

    def abandon_held(self, reason: str) -> None:
        """End every job held for a new key (none will come)."""
        for key in sorted(self._auth.keys):
            job = self._store.get(key)
            if job is None or job.is_final:
                continue
            if job.state is JobState.QUEUED:
                self._writer.set(
                    job, state=JobState.ERROR, error_kind="auth", error=f"not sent: {reason}"
                )
            else:
                self._writer.set(
                    job,
                    tracking=False,
                    error_kind="auth",
                    force_transition=True,
                    error=f"not tracked further: {reason}",
                )
        self._auth.keys.clear()
