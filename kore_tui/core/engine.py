"""The tracking engine: model IDs in, tracked undeploy jobs out.

It runs on one asyncio loop (the CLI's, or a dedicated thread's for the
console) and writes immutable job snapshots into a :class:`JobStore`. This
file holds the operations the interfaces call; each of the engine's other
jobs has its own file:

* outcomes.py: what an answer means for a job (the safety model, pure);
* protocol.py: one turn of one job (send the POST, check the dock status);
* job_commands.py: the operator's re-check, retry and stop of shown jobs;
* scheduler.py: when each job's next request goes out (heap, caps, pauses);
* job_writer.py: every change to a job (store, journal group commit);
* host_health.py: the host's health, 429 pauses, a refused key;
* following.py: jobs of other processes sharing the journal.

Safety rules, in the order they matter at 3 a.m.:

* The intent (state SUBMITTING) is committed to the journal *before* the
  POST is sent; if the journal cannot be written, nothing is sent.
* The POST is re-sent only when it certainly never reached the server
  (connection refused, connect timeout, 429). Any other doubt (read timeout,
  reset after send, 5xx, an unreadable 200) ends in UNKNOWN with the reason.
* A model with an active job is never submitted again by this engine.
* Read-only mode refuses undeploy here, whatever the interface does.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace

from kore_tui.core.api_client import KoreClient
from kore_tui.core.config import Environment
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.following import ALREADY_HERE, Following
from kore_tui.core.host_health import AuthHold, HostMonitor
from kore_tui.core.ids import DOCK_STATUS_PREFIX, MODEL_PREFIX, path_segment
from kore_tui.core.job import ACTIVE_STATES, Job, JobState, Transition, utc_now
from kore_tui.core.job_commands import JobCommands, ReadOnlyError
from kore_tui.core.job_writer import JobWriter
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.lease import Owner
from kore_tui.core.protocol import JobRunner
from kore_tui.core.scheduler import Scheduler
from kore_tui.core.secret import Secret
from kore_tui.core.store import JobStore

__all__ = ["Engine", "EngineSettings", "ReadOnlyError"]


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
        self.settings = settings = settings or EngineSettings()
        self.read_only = read_only or env.read_only
        self._clock = clock
        rng = rng or random.Random()
        self._host = HostMonitor(self.store, rng, default_pause=settings.default_rate_pause,
                                 max_pause=settings.schedule.cap)
        self._auth = AuthHold()
        self._scheduler = Scheduler(clock, concurrency=settings.concurrency,
                                    requests_per_second=settings.requests_per_second,
                                    on_host_pause=self._host.host_paused)
        self._writer = JobWriter(self.store, journal, self._journal_failed)
        self._runner = JobRunner(client, self.store, self._writer, self._scheduler, self._host,
                                 self._auth, settings, clock, rng, read_only=self.read_only)
        # Why a job the operator asked for was not (re-)sent: joined, or needs a retry.
        self.notes: dict[str, str] = {}
        self._following = Following(journal, self.store, self._writer, self._scheduler,
                                    settings, clock, lambda: self.owner_id, self.notes)
        self._commands = JobCommands(
            self.store, journal, self._writer, self._scheduler, self._following, self._auth,
            settings, clock, owner_id=lambda: self.owner_id, ensure_owner=self._ensure_owner,
            refuse_if_read_only=self._refuse_if_read_only, notes=self.notes)
        self._owner: Owner | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._housekeeping_task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._ensure_owner()
            loop = asyncio.get_running_loop()
            self._loop_task = loop.create_task(self._scheduler.run(self._runner.work),
                                               name="engine")
            self._housekeeping_task = loop.create_task(
                self._following.housekeeping(lambda: self._owner is not None,
                                             self._journal_failed),
                name="engine-housekeeping")

    def _ensure_owner(self) -> None:
        if self.journal is not None and self._owner is None:
            owner = Owner.new()
            self.journal.register(owner)
            self._owner = owner

    @property
    def owner_id(self) -> str | None:
        return self._owner.id if self._owner else None

    @property
    def unexpected_errors(self) -> int:
        return self._runner.unexpected_errors

    @property
    def _tasks(self) -> set[asyncio.Task[None]]:
        """Requests in flight (tests check that none outlive aclose)."""
        return self._scheduler.tasks

    async def aclose(self, grace: float = 5.0) -> None:
        """Stop scheduling; give requests in flight ``grace`` seconds, then cancel them."""
        for attr in ("_loop_task", "_housekeeping_task"):
            task = getattr(self, attr)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                setattr(self, attr, None)
        await self._scheduler.drain(grace)
        self._writer.close()
        if self.journal is not None and self._owner is not None:
            # Our unfinished jobs may be taken over at once by the next process.
            with contextlib.suppress(JournalError):
                self.journal.release()
            self._owner = None

    def _refuse_if_read_only(self, action: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"environment {self.env.name!r} is read-only: {action} refused")

    def _journal_failed(self, reason: str) -> None:
        self._host.update(journal_error=reason)

    # -- operations (call on the engine's loop) -----------------------------------------

    def undeploy(self, model_ids: Iterable[str]) -> list[Job]:
        """Queue an undeploy per model, once per model across processes.

        A model that already has a live job (here or in another process, per the
        journal) is joined: its job is tracked, nothing is sent. One whose last job is
        UNKNOWN is shown and left for an explicit retry. Returns one job per model.
        """
        self._refuse_if_read_only("undeploy")
        self._ensure_owner()
        mine: dict[str | None, Job] = {
            j.model_id: j for j in self.store.snapshot()
            if j.state in ACTIVE_STATES and j.origin == "sent"}
        order: dict[str, None] = {}  # an ordered set
        fresh: list[Job] = []
        for model_id in model_ids:
            normalized = path_segment(model_id, MODEL_PREFIX)
            if normalized not in order:
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
                by_model[job.model_id] = self._following.join(blocked[job.key])
        for known, job in mine.items():
            if known in order:
                self.notes[job.key] = ALREADY_HERE
                by_model[known] = job
        return [by_model[m] for m in order if m in by_model]

    def watch(self, dock_status_ids: Iterable[str]) -> list[Job]:
        # Any row already showing this dock status (say, resumed from the journal) is enough;
        # a second row for the same job would only confuse. Re-check refreshes a final one.
        watched = {j.dock_status_id for j in self.store.snapshot()}
        jobs = []
        for dock_status_id in dock_status_ids:
            normalized = path_segment(dock_status_id, DOCK_STATUS_PREFIX)
            if normalized in watched:
                continue
            watched.add(normalized)
            jobs.append(replace(self._new_job("watch", None, normalized, JobState.IN_PROGRESS),
                                action="?", job_type=None, submitted_at=utc_now()))
        if jobs:
            if self.journal is not None:
                self._ensure_owner()
                # raises JournalError: nothing is queued then
                self.journal.record(jobs, "watching an existing dock status ID")
            self._track_new(jobs)
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
        return self._following.resume(candidates)

    def recheck(self, keys: Iterable[str]) -> int:
        """Check ended jobs that have a dock status ID again, with a fresh deadline."""
        return sum(self._commands.recheck(key) for key in keys)

    def retry(self, keys: Iterable[str]) -> int:
        """Re-send the undeploy for FAILED/UNKNOWN/ERROR jobs (and timed-out ones that were
        never sent): only on the operator's word, and never while the same model has a
        live job anywhere (the journal is checked in the same transaction)."""
        return sum(self._commands.retry(key) for key in keys)

    def stop_tracking(self, keys: Iterable[str]) -> int:
        """Stop any job that is not final, saying honestly where it stands."""
        return sum(self._commands.stop(key) for key in keys)

    # -- authentication -----------------------------------------------------------------

    @property
    def auth_blocked(self) -> bool:
        return self._host.health.auth_error is not None

    @property
    def held_keys(self) -> frozenset[str]:
        return frozenset(self._auth.keys)

    def replace_key(self, key: Secret) -> int:
        """A new key from the operator: clear the refusal and send what was held."""
        self.client.replace_key(key)
        held = self._auth.release()
        self._host.update(auth_error=None)
        for job_key in held:
            self._scheduler.schedule(job_key, 0.0)
        return len(held)

    def abandon_held(self) -> None:
        """The key was refused and no new one will come (the CLI): end what was held."""
        self._commands.abandon_held(self._host.health.auth_error or "the API key was refused")

    # -- pause and settle ---------------------------------------------------------------

    def pause(self) -> None:
        self._scheduler.pause()
        self._host.update(user_paused=True)

    def resume(self) -> None:
        self._scheduler.resume()
        self._host.update(user_paused=False)

    @property
    def paused(self) -> bool:
        return self._scheduler.paused

    def all_settled(self) -> bool:
        return self._writer.all_settled()

    async def wait_settled(self) -> None:
        await self._writer.wait_settled()

    # -- internals ----------------------------------------------------------------------

    def _new_job(self, kind: str, model_id: str | None, dock_status_id: str | None,
                 state: JobState) -> Job:
        now = utc_now()
        return Job(key=uuid.uuid4().hex, environment=self.env.name, host=self.client.host,
                   kind=kind, model_id=model_id, dock_status_id=dock_status_id, state=state,
                   created_at=now, updated_at=now, owner=self.owner_id,
                   timeline=(Transition(now, state, None),))

    def _track_new(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        now = self._clock()
        for job in jobs:
            self._scheduler.add(job.key, now, now + self.settings.job_timeout)
        self._writer.put_many(jobs)
        for job in jobs:
            self._scheduler.schedule(job.key, 0.0)
