"""The tracking engine: model IDs in, tracked undeploy jobs out.

It runs on one asyncio loop (the CLI's, or a dedicated thread's for the
console) and writes immutable job snapshots into a :class:`JobStore`.

Safety rules, in the order they matter at 3 a.m.:

* The intent (state SUBMITTING) is committed to the journal *before* the
  POST is sent; if the journal cannot be written, nothing is sent.
* The POST is re-sent only when it certainly never reached the server
  (connection refused, connect timeout, 429). Any other doubt (read timeout,
  reset after send, 5xx, an unreadable 200) ends in UNKNOWN with the reason.
* A model with an active job is never submitted again by this engine.
* Read-only mode refuses undeploy here, whatever the interface does.

Scheduling is one loop over a heap of due times (not a task per job), with
a concurrency cap (semaphore), a per-host requests-per-second cap and a
host-wide pause after a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import logging
import math
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kore_tui.core import errors
from kore_tui.core.api_client import KoreClient
from kore_tui.core.config import Environment, Settings
from kore_tui.core.ids import DOCK_STATUS_PREFIX, MODEL_PREFIX, path_segment
from kore_tui.core.job import (
    ACTIVE_STATES,
    RETRYABLE_STATES,
    Job,
    JobState,
    Transition,
    utc_now,
)
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.lease import HEARTBEAT_EVERY, Owner, is_alive
from kore_tui.core.schedule import PollSchedule, RateLimiter
from kore_tui.core.secret import Secret
from kore_tui.core.store import HostHealth, JobStore
from kore_tui.core.text import inert

log = logging.getLogger("kore_tui.engine")


class ReadOnlyError(errors.KoreError):
    pass


@dataclass(frozen=True)
class EngineSettings:
    concurrency: int = 16
    requests_per_second: float = 20.0
    schedule: PollSchedule = field(default_factory=PollSchedule)
    job_timeout: float = 1800.0
    not_found_grace: float = 15.0
    max_connect_retries: int = 5
    max_rate_limited: int = 100
    stale_after: int = 3
    default_rate_pause: float = 2.0

    @classmethod
    def from_settings(cls, s: Settings, **overrides: Any) -> EngineSettings:
        base = cls(
            concurrency=s.concurrency,
            requests_per_second=s.requests_per_second,
            schedule=PollSchedule(initial=s.poll_initial, growth=s.poll_growth, cap=s.poll_max),
            job_timeout=s.job_timeout,
            not_found_grace=s.not_found_grace,
        )
        return replace(base, **overrides)


@dataclass
class _Track:
    gen: int = 0
    started: float = 0.0
    deadline: float = math.inf
    failures: int = 0
    connect_retries: int = 0
    rate_limited: int = 0


FOLLOW_EVERY = 0.5  # seconds between journal reads of jobs another process tracks


def _clock_time(stamp: str) -> str:
    """``2026-11-29T16:05:03.120Z`` -> ``2026-11-29 16:05:03 UTC`` for messages."""
    return stamp[:19].replace("T", " ") + " UTC" if len(stamp) >= 19 else stamp


@dataclass(frozen=True)
class _Followed:
    deadline: float  # our own deadline for it, on the engine's clock
    asked: bool  # the operator asked for this model here: we may send it if its owner dies


def _age_from_wall(stamp: str | None) -> float:
    if not stamp:
        return 0.0
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
    return max(0.0, time.time() - then)


class Engine:
    def __init__(
        self,
        env: Environment,
        client: KoreClient,
        store: JobStore | None = None,
        journal: Journal | None = None,
        settings: EngineSettings | None = None,
        *,
        read_only: bool = False,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.env = env
        self.client = client
        self.store = store if store is not None else JobStore()  # an empty store is falsy
        self.journal = journal
        self.settings = settings or EngineSettings()
        self.read_only = read_only or env.read_only
        self._clock = clock
        self._rng = rng or random.Random()
        self._tracks: dict[str, _Track] = {}
        self._heap: list[tuple[float, int, str, int]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._limiter = RateLimiter(self.settings.requests_per_second)
        self._paused_until = 0.0
        self._consecutive_429 = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._health = HostHealth()
        self._open: set[str] = set()  # keys of jobs still tracked and not final
        self._flush_timer: asyncio.TimerHandle | None = None
        self._group: asyncio.Future[None] | None = None
        self.unexpected_errors = 0
        # Jobs another live process owns and tracks: shown from the journal, never written.
        self._followed: dict[str, _Followed] = {}
        self._owner: Owner | None = None
        self._housekeeping_task: asyncio.Task[None] | None = None
        self._inflight: dict[str, asyncio.Task[None]] = {}
        # While the platform refuses our key (401/403), nothing is sent: jobs wait here.
        self._held: set[str] = set()
        # A refused POST may be a missing scope (reads still work); a refused read means the
        # key itself is refused, so nothing is sent at all.
        self._auth_blocks_posts = False
        self._auth_blocks_polls = False
        # Why a job the operator asked for was not (re-)sent: joined, or needs a retry.
        self.notes: dict[str, str] = {}

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._ensure_owner()
            loop = asyncio.get_running_loop()
            self._loop_task = loop.create_task(self._run(), name="engine")
            self._housekeeping_task = loop.create_task(self._housekeeping(),
                                                       name="engine-housekeeping")

    def _ensure_owner(self) -> None:
        if self.journal is not None and self._owner is None:
            owner = Owner.new()
            self.journal.register(owner)
            self._owner = owner

    @property
    def owner_id(self) -> str | None:
        return self._owner.id if self._owner else None

    async def aclose(self, grace: float = 5.0) -> None:
        """Stop scheduling; give requests in flight ``grace`` seconds, then cancel them."""
        for attr in ("_loop_task", "_housekeeping_task"):
            task = getattr(self, attr)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                setattr(self, attr, None)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        if self._flush_timer is not None:
            self._flush_timer.cancel()
        self._group_commit()
        self._flush()
        if self.journal is not None and self._owner is not None:
            # Our unfinished jobs may be taken over at once by the next process.
            with contextlib.suppress(JournalError):
                self.journal.release()
            self._owner = None

    # -- operations (call on the engine's loop) -----------------------------------------

    def undeploy(self, model_ids: Iterable[str]) -> list[Job]:
        """Queue an undeploy per model, once per model across processes.

        A model that already has a live job (here or in another process, per the
        journal) is joined: its job is tracked, nothing is sent. One whose last job is
        UNKNOWN is shown and left for an explicit retry. Returns one job per model.
        """
        if self.read_only:
            raise ReadOnlyError(f"environment {self.env.name!r} is read-only: undeploy refused")
        self._ensure_owner()
        mine: dict[str | None, Job] = {
            j.model_id: j for j in self.store.snapshot()
            if j.state in ACTIVE_STATES and j.kind == "undeploy"}
        order: dict[str, None] = {}  # an ordered set
        fresh: list[Job] = []
        for model_id in model_ids:
            normalized = path_segment(model_id, MODEL_PREFIX)
            if normalized in order:
                continue
            order[normalized] = None
            if normalized not in mine:
                fresh.append(self._new_job("undeploy", normalized, None, JobState.QUEUED))
        admitted: list[Job] = fresh
        blocked: dict[str, Job] = {}
        if self.journal is not None and fresh:
            # raises JournalError: nothing is queued then
            admitted, blocked = self.journal.admit(fresh, "queued for undeploy")
        self._track_new(admitted)
        by_model: dict[str | None, Job] = {j.model_id: j for j in admitted}
        for job in fresh:
            if job.key in blocked:
                by_model[job.model_id] = self._join(blocked[job.key])
        for known, job in mine.items():
            if known in order:
                self.notes[job.key] = "already queued or in progress in this session"
                by_model[known] = job
        return [by_model[m] for m in order if m in by_model]

    def watch(self, dock_status_ids: Iterable[str]) -> list[Job]:
        # Any row already showing this dock status (say, resumed from the journal) is enough;
        # a second row for the same job would only confuse. Re-check refreshes a final one.
        watched = {j.dock_status_id for j in self.store.snapshot()}
        jobs = []
        for ds in dock_status_ids:
            normalized = path_segment(ds, DOCK_STATUS_PREFIX)
            if normalized in watched:
                continue
            watched.add(normalized)
            jobs.append(replace(self._new_job("watch", None, normalized, JobState.IN_PROGRESS),
                                action="?", job_type=None, submitted_at=utc_now()))
        self._admit(jobs, "watching an existing dock status ID")
        return jobs

    def resume_unfinished(self, *, timed_out_since: str | None = None) -> list[Job]:
        """Pick up the journal's unfinished jobs for this environment; never re-POST.

        Jobs of another live process are followed (shown, not touched); the jobs of a
        process that is gone are taken over. With ``timed_out_since`` (an ISO time),
        jobs that timed out since then are re-checked too.
        """
        if self.journal is None:
            return []
        self._ensure_owner()
        candidates = [j for j in self.journal.unfinished(self.env.name) if j.tracking]
        if timed_out_since is not None:
            candidates += self.journal.timed_out_since(self.env.name, timed_out_since)
        owners = self.journal.owner_records(j.owner for j in candidates if j.owner)
        timelines = self.journal.timelines([j.key for j in candidates])
        resumed: list[Job] = []
        for job in candidates:
            if job.key in self._tracks or job.key in self._followed:
                continue
            job = replace(job, timeline=timelines.get(job.key, ()))
            if job.state in ACTIVE_STATES and job.owner != self.owner_id \
                    and is_alive(owners.get(job.owner or "")):
                resumed.append(self._follow(job, asked=False))
                continue
            taken = self._take_over(job)
            if taken is None:
                continue
            resumed.append(self._adopt(taken, asked=False))
        return resumed

    def _take_over(self, job: Job) -> Job | None:
        """Become the owner of a job whose owner is gone (compare-and-set in the journal)."""
        assert self.journal is not None
        if job.owner == self.owner_id:
            return job
        if not self.journal.take_over(job.key, job.owner):
            fresh = self.journal.jobs([job.key]).get(job.key)
            if fresh is not None and not fresh.is_final:
                self._follow(replace(fresh, timeline=job.timeline), asked=False)
            return None
        return replace(job, owner=self.owner_id)

    def _adopt(self, job: Job, *, asked: bool) -> Job:
        """Track a job we just took over. ``asked``: the operator asked for this model now,
        so a job that was never sent may be sent; otherwise it is reported as not sent."""
        track = _Track()
        self._tracks[job.key] = track
        if job.state is JobState.IN_PROGRESS or (job.state is JobState.TIMED_OUT
                                                and job.dock_status_id):
            age = _age_from_wall(job.submitted_at)
            track.started = self._clock() - age
            fresh_deadline = job.state is JobState.TIMED_OUT or not job.tracking
            track.deadline = (self._clock() if fresh_deadline else track.started) \
                + self.settings.job_timeout
            job = self._set(job, state=JobState.IN_PROGRESS, error=None, error_kind=None,
                            tracking=True, stale=False,
                            detail="re-check of a timed-out job" if fresh_deadline
                            else "resumed: its previous process is gone",
                            force_transition=True)
            self._schedule(job.key, 0.0)
        elif job.state is JobState.SUBMITTING:
            job = self._set(
                job, state=JobState.UNKNOWN, error_kind="interrupted",
                error="the previous run stopped while the undeploy request was in flight; "
                "it may have reached the server. Check the model before retrying.",
            )
        elif job.state is JobState.QUEUED and asked:
            now = self._clock()
            track.started, track.deadline = now, now + self.settings.job_timeout
            job = self._set(job, tracking=True, force_transition=True,
                            detail="taken over from a process that is gone; never sent before")
            self._schedule(job.key, 0.0)
        else:
            job = self._set(
                job, state=JobState.ERROR, error_kind="not_sent",
                error="never sent: the previous run stopped before sending it (retry to send)",
            )
        self._note_open(job)
        return job

    def _join(self, existing: Job) -> Job:
        """The operator asked to undeploy a model that already has a blocking job."""
        shown = self.store.get(existing.key)
        if shown is not None:
            self.notes[existing.key] = "already queued or in progress in this session"
            return shown
        assert self.journal is not None
        job = replace(existing, timeline=self.journal.timeline(existing.key))
        since = _clock_time(existing.submitted_at or existing.created_at)
        if job.state is JobState.UNKNOWN:
            self.store.put(job)
            self.notes[job.key] = (f"not sent: its undeploy of {since} has an UNKNOWN outcome "
                                   "(it may have reached the server); retry that job explicitly")
            return job
        record = self.journal.owner_records([job.owner or ""]).get(job.owner or "")
        if job.tracking and is_alive(record):
            assert record is not None
            self.notes[job.key] = (f"already {job.state.value} since {since} "
                                   f"({record.owner.describe()}), tracking it")
            return self._follow(job, asked=True)
        taken = self._take_over(job)
        if taken is None:
            self.notes[job.key] = f"already {job.state.value} since {since}, tracking it"
            return self.store.get(job.key) or job
        self.notes[job.key] = (f"already {job.state.value} since {since} (its process is "
                               "gone), tracking it")
        return self._adopt(taken, asked=True)

    def _follow(self, job: Job, *, asked: bool) -> Job:
        self._followed[job.key] = _Followed(self._clock() + self.settings.job_timeout, asked)
        self.store.put(job)
        self._note_open(job)
        self._changed.set()
        return job

    async def _housekeeping(self) -> None:
        """Heartbeat our owner lease; refresh followed jobs from the journal."""
        next_beat = self._clock() + HEARTBEAT_EVERY
        while True:
            await asyncio.sleep(FOLLOW_EVERY)
            if self.journal is None:
                continue
            try:
                if self._clock() >= next_beat and self._owner is not None:
                    next_beat = self._clock() + HEARTBEAT_EVERY
                    self.journal.heartbeat()
                if self._followed:
                    self._refresh_followed()
            except JournalError as exc:
                self._update_health(journal_error=str(exc))

    def _refresh_followed(self) -> None:
        assert self.journal is not None
        rows = self.journal.jobs(self._followed)
        owners = self.journal.owner_records(j.owner for j in rows.values() if j.owner)
        now = self._clock()
        for key, followed in list(self._followed.items()):
            row, shown = rows.get(key), self.store.get(key)
            if row is None or shown is None:
                del self._followed[key]
                continue
            if row.updated_at != shown.updated_at:
                timeline = shown.timeline if row.state is shown.state \
                    else self.journal.timeline(key)
                shown = replace(row, timeline=timeline)
                self.store.put(shown)
                self._changed.set()
            if row.is_final:
                del self._followed[key]
            elif not row.tracking or not is_alive(owners.get(row.owner or "")):
                del self._followed[key]
                taken = self._take_over(row)
                if taken is not None:
                    self._adopt(replace(taken, timeline=shown.timeline), asked=followed.asked)
            elif now >= followed.deadline:
                del self._followed[key]
                record = owners.get(row.owner or "")
                who = record.owner.describe() if record else "another process"
                self.store.put(replace(
                    shown, state=JobState.TIMED_OUT, error_kind="deadline",
                    error=f"deadline of {self.settings.job_timeout:g}s reached while {who} "
                    f"tracks it (still {row.state.value} there)"))
                self._changed.set()
            self._note_open(self.store.get(key) or row)

    def recheck(self, keys: Iterable[str]) -> int:
        count = 0
        for key in keys:
            job = self.store.get(key)
            if job is None or not job.dock_status_id:
                continue
            if key in self._followed:
                count += 1  # its owner polls it; we show each change it writes
                continue
            if job.state in ACTIVE_STATES and job.tracking:
                self._schedule(key, 0.0)
                count += 1
                continue
            if job.state in {JobState.SUCCESS, JobState.FAILED}:
                continue
            if self.journal is not None and job.owner != self.owner_id:
                taken = self._take_over(job)
                if taken is None:
                    continue
                job = taken
            track = self._tracks.setdefault(key, _Track())
            track.gen += 1
            track.failures = 0
            track.started = self._clock() - _age_from_wall(job.submitted_at)
            track.deadline = self._clock() + self.settings.job_timeout
            self._set(job, state=JobState.IN_PROGRESS, error=None, error_kind=None, stale=False,
                      tracking=True, detail="re-check requested")
            self._schedule(key, 0.0)
            count += 1
        return count

    def retry(self, keys: Iterable[str]) -> int:
        """Re-send the undeploy for FAILED/UNKNOWN/ERROR jobs (and timed-out ones that were
        never sent): only on the operator's word, and never while the same model has a
        live job anywhere (the journal is checked in the same transaction)."""
        count = 0
        for key in keys:
            job = self.store.get(key)
            never_sent = job is not None and job.state is JobState.TIMED_OUT \
                and not job.dock_status_id
            if job is None or (job.state not in RETRYABLE_STATES and not never_sent):
                continue
            if job.kind != "undeploy" or not job.model_id:
                count += self.recheck([key])
                continue
            if self.read_only:
                raise ReadOnlyError(f"environment {self.env.name!r} is read-only: retry refused")
            self._ensure_owner()
            detail = "retry requested by the operator"
            queued = self._transitioned(
                job, detail, state=JobState.QUEUED, error=None, error_kind=None, stale=False,
                tracking=True, dock_status_id=None, server_status=None, http_status=None,
                owner=self.owner_id)
            if self.journal is not None:
                live = self.journal.claim_retry(queued, detail)
                if live is not None:
                    since = _clock_time(live.submitted_at or live.created_at)
                    self.notes[key] = (f"not re-sent: {job.model_id} already has a "
                                       f"{live.state.value} job since {since}")
                    continue
            self.store.put(queued)
            track = self._tracks.setdefault(key, _Track())
            track.gen += 1
            track.failures = track.connect_retries = track.rate_limited = 0
            now = self._clock()
            track.started, track.deadline = now, now + self.settings.job_timeout
            self._note_open(queued)
            self._changed.set()
            self._schedule(key, 0.0)
            count += 1
        return count

    def stop_tracking(self, keys: Iterable[str]) -> int:
        """Stop any job that is not final, saying honestly where it stands."""
        count = 0
        for key in keys:
            job = self.store.get(key)
            if job is None or job.is_final or not job.tracking:
                continue
            count += 1
            if self._followed.pop(key, None) is not None:
                self.store.put(replace(job, tracking=False,
                                       error="no longer followed here; its own process still "
                                       "tracks it"))
                self._note_open(self.store.get(key) or job)
                self._changed.set()
                continue
            track = self._tracks.get(key)
            if track:
                track.gen += 1
            self._held.discard(key)
            task = self._inflight.pop(key, None)
            if task is not None:
                task.cancel()
            if job.state is JobState.SUBMITTING:
                self._set(job, state=JobState.UNKNOWN, error_kind="interrupted",
                          error="stopped by the operator while the undeploy request was in "
                          "flight: it may have reached the server; check the model before "
                          "retrying")
            elif job.state is JobState.QUEUED:
                self._set(job, state=JobState.ERROR, error_kind="not_sent",
                          error="not sent: stopped by the operator before sending "
                          "(retry to send)")
            else:
                self._set(job, tracking=False, force_transition=True,
                          detail="tracking stopped",
                          error="tracking stopped by the operator; the job may still finish "
                          "on the platform (re-check to follow it again)")
        return count

    # -- authentication --------------------------------------------------------------------

    @property
    def auth_blocked(self) -> bool:
        return self._health.auth_error is not None

    @property
    def held_keys(self) -> frozenset[str]:
        return frozenset(self._held)

    def replace_key(self, key: Secret) -> int:
        """A new key from the operator: clear the refusal and send what was held."""
        self.client.replace_key(key)
        held, self._held = self._held, set()
        self._auth_blocks_posts = self._auth_blocks_polls = False
        self._update_health(auth_error=None)
        for job_key in held:
            self._schedule(job_key, 0.0)
        return len(held)

    def abandon_held(self) -> None:
        """The key was refused and no new one will come (the CLI): end what was held."""
        reason = self._health.auth_error or "the API key was refused"
        for key in sorted(self._held):
            job = self.store.get(key)
            if job is None or job.is_final:
                continue
            if job.state is JobState.QUEUED:
                self._set(job, state=JobState.ERROR, error_kind="auth",
                          error=f"not sent: {reason}")
            else:
                self._set(job, tracking=False, error_kind="auth", force_transition=True,
                          error=f"not tracked further: {reason}")
        self._held.clear()

    def _hold_for_auth(self, job: Job, exc: errors.ApiError) -> None:
        self._auth_blocks_posts = True
        if job.state is JobState.IN_PROGRESS:
            self._auth_blocks_polls = True
        self._held.add(job.key)
        reason = f"the platform refused the API key ({exc})"
        if self._health.auth_error is None:
            self._update_health(auth_error=inert(reason, 200))
        self._set(job, error=f"waiting for a valid API key: {exc}", http_status=exc.status)

    def pause(self) -> None:
        self._running.clear()
        self._update_health(user_paused=True)

    def resume(self) -> None:
        self._running.set()
        self._update_health(user_paused=False)
        self._wake.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def all_settled(self) -> bool:
        return not self._open

    async def wait_settled(self) -> None:
        while not self.all_settled():
            self._changed.clear()
            await self._changed.wait()

    # -- internals ----------------------------------------------------------------------

    def _new_job(self, kind: str, model_id: str | None, ds: str | None, state: JobState) -> Job:
        now = utc_now()
        return Job(key=uuid.uuid4().hex, environment=self.env.name, host=self.client.host,
                   kind=kind, model_id=model_id, dock_status_id=ds, state=state,
                   created_at=now, updated_at=now, owner=self.owner_id,
                   timeline=(Transition(now, state, None),))

    def _admit(self, jobs: list[Job], detail: str) -> None:
        if not jobs:
            return
        if self.journal is not None:
            self._ensure_owner()
            self.journal.record(jobs, detail)  # raises JournalError: nothing is queued then
        self._track_new(jobs)

    def _track_new(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        now = self._clock()
        for job in jobs:
            track = _Track(started=now, deadline=now + self.settings.job_timeout)
            self._tracks[job.key] = track
        self.store.put_many(jobs)
        for job in jobs:
            self._note_open(job)
            self._schedule(job.key, 0.0)
        self._changed.set()

    def _schedule(self, key: str, delay: float) -> None:
        track = self._tracks.get(key)
        if track is None:
            return
        heapq.heappush(self._heap, (self._clock() + delay, next(self._seq), key, track.gen))
        self._wake.set()

    @staticmethod
    def _transitioned(job: Job, detail: str | None, **changes: Any) -> Job:
        new = replace(job, updated_at=utc_now(), **changes)
        return replace(new, timeline=(*job.timeline, Transition(
            new.updated_at, new.state, detail or new.error, new.http_status)))

    def _set(self, job: Job, *, detail: str | None = None, force_transition: bool = False,
             journal: bool = True, **changes: Any) -> Job:
        transition = force_transition or changes.get("state", job.state) is not job.state
        if transition:
            new = self._transitioned(job, detail, **changes)
            if journal and self.journal is not None:
                # Group commit: every transition made in this loop iteration shares one
                # transaction at its end (an intent's sender awaits it: _intent_committed).
                # Final states may wait up to 50 ms more: if a crash loses one, the resumed
                # run re-verifies the job.
                self.journal.record([new], detail, defer=True)
                if new.is_final and new.state is not JobState.UNKNOWN:
                    self._arm_flush()
                else:
                    self._arm_group_commit()
        else:
            new = replace(job, updated_at=utc_now(), **changes)
        self.store.put(new)
        if transition:
            self._note_open(new)
            self._changed.set()
        return new

    def _arm_group_commit(self) -> asyncio.Future[None]:
        if self._group is None:
            loop = asyncio.get_running_loop()
            self._group = loop.create_future()
            loop.call_soon(self._group_commit)
        return self._group

    def _group_commit(self) -> None:
        group, self._group = self._group, None
        if group is None:
            return
        try:
            self._flush(raise_errors=True)
        except JournalError as exc:
            group.set_exception(exc)
            group.exception()  # retrieved here: senders may have stopped waiting
        else:
            group.set_result(None)

    async def _intent_committed(self) -> None:
        """Wait until the transaction holding this iteration's intents is committed."""
        if self.journal is not None:
            await asyncio.shield(self._arm_group_commit())

    def _arm_flush(self) -> None:
        if self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(0.05, self._flush)

    def _flush(self, raise_errors: bool = False) -> None:
        if self._flush_timer is not None and raise_errors:
            self._flush_timer.cancel()
        self._flush_timer = None
        if self.journal is None:
            return
        try:
            self.journal.flush()
        except JournalError as exc:
            self._update_health(journal_error=str(exc))
            if raise_errors:
                raise

    def _note_open(self, job: Job) -> None:
        if job.is_final or not job.tracking:
            self._open.discard(job.key)
        else:
            self._open.add(job.key)

    def _update_health(self, **changes: Any) -> None:
        self._health = replace(self._health, **changes)
        self.store.set_health(self._health)

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        # A plain counter on the store, not a HostHealth copy: this runs twice per request.
        self.store.in_flight += 1
        try:
            yield
        finally:
            self.store.in_flight -= 1

    def _record_success(self) -> None:
        self._consecutive_429 = 0
        self._update_health(last_success_wall=time.time())

    def _record_error(self, exc: BaseException) -> None:
        self._update_health(errors=self._health.errors + 1, last_error=inert(str(exc), 160))

    def _pause_host(self, retry_after: float | None) -> float:
        self._consecutive_429 += 1
        if retry_after is None:
            retry_after = min(self.settings.schedule.cap,
                              self.settings.default_rate_pause * 2 ** (self._consecutive_429 - 1))
        # Retry-After is a minimum; jitter only ever adds, so clients do not return in step.
        pause = retry_after * (1 + self._rng.uniform(0.0, 0.1)) + self._rng.uniform(0.0, 0.1)
        until = self._clock() + pause
        if until > self._paused_until:
            self._paused_until = until
            self._update_health(paused_until_wall=time.time() + pause)
        return self._paused_until - self._clock()

    async def _sleep_or_wake(self, seconds: float) -> None:
        # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that races
        # with the timeout, which left aclose() waiting forever for this loop to stop.
        self._wake.clear()
        timer = asyncio.get_running_loop().call_later(max(seconds, 0.0), self._wake.set)
        try:
            await self._wake.wait()
        finally:
            timer.cancel()

    async def _run(self) -> None:
        while True:
            await self._running.wait()
            now = self._clock()
            if self._paused_until > now:
                await asyncio.sleep(self._paused_until - now)
                self._update_health(paused_until_wall=None)
                continue
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            due, _, key, gen = self._heap[0]
            if due > now:
                await self._sleep_or_wake(due - now)
                continue
            heapq.heappop(self._heap)
            track = self._tracks.get(key)
            if track is None or track.gen != gen:
                continue
            await self._slots.acquire()
            wait = self._limiter.reserve(self._clock())
            if wait > 0:
                await asyncio.sleep(wait)
            if self._paused_until > self._clock() or not self._running.is_set() \
                    or track.gen != gen:
                self._slots.release()
                if track.gen == gen:
                    heapq.heappush(self._heap, (self._paused_until, next(self._seq), key, gen))
                continue
            task = asyncio.get_running_loop().create_task(self._work(key, gen))
            self._tasks.add(task)
            self._inflight[key] = task
            task.add_done_callback(functools.partial(self._work_done, key))

    def _work_done(self, key: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._inflight.get(key) is task:
            del self._inflight[key]
        self._slots.release()

    async def _work(self, key: str, gen: int) -> None:
        job = self.store.get(key)
        track = self._tracks.get(key)
        if job is None or track is None or track.gen != gen or not job.tracking:
            return
        if (job.state is JobState.QUEUED and self._auth_blocks_posts) or \
                (job.state is JobState.IN_PROGRESS and self._auth_blocks_polls):
            self._held.add(key)  # sent again by replace_key(), or ended by abandon_held()
            return
        try:
            if job.state is JobState.QUEUED:
                if self._clock() >= track.deadline:
                    self._set(job, state=JobState.TIMED_OUT, error_kind="deadline_not_sent",
                              error=f"not sent: the deadline of {self.settings.job_timeout:g}s "
                              f"was reached first ({job.error or 'waiting for its turn'})")
                    return
                await self._submit(job, track)
            elif job.state is JobState.IN_PROGRESS and job.dock_status_id:
                await self._poll(job, track)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must cost one row, never the run
            self.unexpected_errors += 1
            log.exception("unexpected error while working on job %s", key)
            current = self.store.get(key) or job
            self._set(current, state=JobState.ERROR, error_kind="internal",
                      error=f"internal error: {type(exc).__name__}: {inert(str(exc), 160)}")

    async def _submit(self, job: Job, track: _Track) -> None:
        model_id = job.model_id
        assert model_id is not None
        if self.read_only:
            self._set(job, state=JobState.ERROR, error_kind="read_only",
                      error="read-only environment: not sent")
            return
        job = self._set(job, state=JobState.SUBMITTING, attempts=job.attempts + 1,
                        submitted_at=utc_now(), error=None, http_status=None,
                        detail="intent recorded; sending the undeploy request")
        try:
            await self._intent_committed()
        except JournalError as exc:
            self._set(job, state=JobState.ERROR, error_kind="journal", journal=False,
                      error=f"not sent: {exc}")
            return
        try:
            with self._in_flight():
                async with asyncio.timeout(self._time_left(track)):
                    result = await self.client.undeploy(model_id)
        except TimeoutError:
            self._unknown(job, errors.RequestTimeoutError(
                f"the job's deadline of {self.settings.job_timeout:g}s was reached while the "
                "undeploy request was in flight"), None)
            return
        except errors.RateLimitedError as exc:
            self._record_error(exc)
            track.rate_limited += 1
            pause = self._pause_host(exc.retry_after)
            if track.rate_limited > self.settings.max_rate_limited:
                self._set(job, state=JobState.ERROR, error_kind="rate_limited", http_status=429,
                          error=f"rate limited {track.rate_limited} times; not sent")
                return
            if self._clock() + pause >= track.deadline:
                self._set(job, state=JobState.TIMED_OUT, error_kind="deadline_not_sent",
                          http_status=429,
                          error=f"not sent: the deadline of {self.settings.job_timeout:g}s "
                          "would pass while the host is rate limiting (429)")
                return
            self._set(job, state=JobState.QUEUED, http_status=429,
                      error=f"rate limited (429); re-sending after {pause:.1f}s",
                      detail="429: the request was refused before processing; safe to re-send")
            self._schedule(job.key, pause)
            return
        except errors.TlsError as exc:
            self._record_error(exc)
            self._set(job, state=JobState.ERROR, error_kind="tls", error=str(exc))
            return
        except errors.ConnectFailedError as exc:
            self._record_error(exc)
            track.connect_retries += 1
            if track.connect_retries > self.settings.max_connect_retries:
                self._set(job, state=JobState.ERROR, error_kind="connect",
                          error=f"not sent after {track.connect_retries} tries: {exc}")
                return
            delay = self.settings.schedule.failure_delay(track.connect_retries - 1, self._rng)
            if self._clock() + delay >= track.deadline:
                self._set(job, state=JobState.TIMED_OUT, error_kind="deadline_not_sent",
                          error=f"not sent: the deadline of {self.settings.job_timeout:g}s "
                          f"would pass before the next try ({exc})")
                return
            self._set(job, state=JobState.QUEUED, error=f"{exc}; re-sending in {delay:.1f}s",
                      detail="connection failed before sending; safe to re-send")
            self._schedule(job.key, delay)
            return
        except errors.AuthError as exc:
            # A 401/403 is a definite refusal before any processing: the model is untouched,
            # and every other POST with this key would be refused the same way.
            self._record_error(exc)
            self._set(job, state=JobState.QUEUED, detail="refused: the API key was rejected")
            self._hold_for_auth(self.store.get(job.key) or job, exc)
            return
        except errors.ApiError as exc:
            self._record_error(exc)
            if exc.definite:
                self._set(job, state=JobState.ERROR, error_kind=exc.kind, http_status=exc.status,
                          error=str(exc))
            else:
                self._unknown(job, exc, exc.status)
            return
        except (errors.TransportError, errors.ResponseFormatError) as exc:
            self._record_error(exc)
            self._unknown(job, exc, exc.status)
            return
        self._record_success()
        try:
            ds = path_segment(result.dock_status_id, DOCK_STATUS_PREFIX)
        except errors.InvalidIdError:
            self._unknown(job, errors.ResponseFormatError(
                f"the server answered with an unusable dock status ID "
                f"{inert(result.dock_status_id, 60)!r}"), 200)
            return
        now = self._clock()
        track.started = now
        track.deadline = now + self.settings.job_timeout
        track.failures = 0
        self._set(job, state=JobState.IN_PROGRESS, dock_status_id=ds, http_status=200,
                  server_status=result.status, last_response=result.raw,
                  action=inert(result.action or job.action, 30),
                  job_type=inert(result.job_type, 30) if result.job_type else job.job_type,
                  detail=f"accepted: server says {result.status}; verifying with Get Dock Status")
        # Verify at once in this task and slot (the docs ask for it even after SUCCESS),
        # still honouring the host's rate cap and any 429 pause.
        accepted = self.store.get(job.key)
        wait = self._limiter.reserve(self._clock())
        if wait > 0:
            await asyncio.sleep(wait)
        if accepted is None or self._paused_until > self._clock() or not self._running.is_set():
            self._schedule(job.key, max(0.0, self._paused_until - self._clock()))
            return
        await self._poll(accepted, track)

    def _unknown(self, job: Job, exc: BaseException, status: int | None) -> None:
        self._set(job, state=JobState.UNKNOWN, error_kind="unknown", http_status=status,
                  error=f"{exc} (outcome unknown: the request may have reached the server; "
                  "check the model before retrying)")

    async def _poll(self, job: Job, track: _Track) -> None:
        assert job.dock_status_id is not None
        try:
            with self._in_flight():
                async with asyncio.timeout(self._time_left(track)):
                    ds = await self.client.dock_status(job.dock_status_id)
        except TimeoutError:
            self._poll_failed(job, track, errors.RequestTimeoutError(
                "no answer before the job's deadline"))
            return
        except errors.RateLimitedError as exc:
            self._record_error(exc)
            # A 429 pause counts against the deadline like any other wait.
            self._schedule_or_time_out(job, track, self._pause_host(exc.retry_after))
            return
        except errors.AuthError as exc:
            self._record_error(exc)
            self._hold_for_auth(job, exc)
            return
        except errors.NotFoundError as exc:
            self._record_error(exc)
            age = self._clock() - track.started
            if job.kind == "undeploy" and age < self.settings.not_found_grace:
                self._set(job, polls=job.polls + 1, last_checked_at=utc_now(),
                          error=f"not found yet ({age:.1f}s old); retrying", http_status=404)
                self._schedule(job.key, min(1.0, self.settings.schedule.initial))
                return
            self._set(job, state=JobState.ERROR, error_kind="not_found", http_status=404,
                      polls=job.polls + 1, last_checked_at=utc_now(),
                      error=f"dock status ID not found: {exc}")
            return
        except errors.ApiError as exc:
            self._record_error(exc)
            if exc.definite:
                self._set(job, state=JobState.ERROR, error_kind=exc.kind, http_status=exc.status,
                          error=str(exc), last_checked_at=utc_now())
                return
            self._poll_failed(job, track, exc)
            return
        except (errors.TransportError, errors.ResponseFormatError) as exc:
            self._record_error(exc)
            self._poll_failed(job, track, exc)
            return
        self._record_success()
        track.failures = 0
        changes: dict[str, Any] = dict(
            polls=job.polls + 1, last_checked_at=utc_now(), last_response=ds.raw,
            server_status=ds.status, stale=False, error=None, http_status=200,
        )
        if job.kind == "watch":
            changes["action"] = inert(ds.action or "?", 30)
            changes["job_type"] = inert(ds.job_type, 30) if ds.job_type else None
        if not job.model_id and ds.tool_id:
            changes["model_id"] = inert(ds.tool_id, 80)
        if ds.status == "SUCCESS":
            self._set(job, state=JobState.SUCCESS, detail="verified with Get Dock Status",
                      **changes)
        elif ds.status == "FAILED":
            self._set(job, state=JobState.FAILED, detail="the platform reported FAILED",
                      error_kind="failed", **{**changes, "error": "the platform reported FAILED"})
        else:
            job = self._set(job, **changes)
            age = self._clock() - track.started
            self._schedule_or_time_out(job, track,
                                       self.settings.schedule.next_delay(age, self._rng))

    def _time_left(self, track: _Track) -> float:
        """The request's budget: what is left of the job's deadline (a small floor so a
        request due exactly at the deadline still gets one honest try)."""
        return max(track.deadline - self._clock(), 1.0)

    def _poll_failed(self, job: Job, track: _Track, exc: BaseException) -> None:
        track.failures += 1
        stale = track.failures >= self.settings.stale_after
        job = self._set(job, stale=stale, last_checked_at=utc_now(),
                        http_status=getattr(exc, "status", None),
                        error=f"check failed ({track.failures} in a row): {exc}")
        delay = self.settings.schedule.failure_delay(track.failures - 1, self._rng)
        self._schedule_or_time_out(job, track, delay)

    def _schedule_or_time_out(self, job: Job, track: _Track, delay: float) -> None:
        now = self._clock()
        if now >= track.deadline:
            shown = job.server_status or "not final"
            reason = job.error or f"still {shown}"
            self._set(job, state=JobState.TIMED_OUT, error_kind="deadline",
                      error=f"deadline of {self.settings.job_timeout:g}s reached: {reason}")
            return
        self._schedule(job.key, min(delay, track.deadline - now))
