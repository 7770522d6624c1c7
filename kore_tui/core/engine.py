"""The tracking engine: resource IDs in, tracked jobs out.

It runs on one asyncio loop (the CLI's, or a dedicated thread's for the
console) and writes immutable job snapshots into a :class:`JobStore`. This
file holds the operations the interfaces call; each of the engine's other
jobs has its own file:

* admission.py: IDs to admitted jobs (one live job per resource, any action);
* bounce.py: a bounce's redeploy, admitted only after a verified undeploy;
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
* A POST (undeploy or deploy) is re-sent only when it certainly never reached
  the server (connection refused, connect timeout, 429). Any other doubt
  (read timeout, reset after send, 5xx, an unreadable 200) ends in UNKNOWN.
* A resource with an active job is never submitted again by this engine,
  whatever the action; deploy parameters are validated before anything is queued.
* Read-only mode refuses undeploy, deploy, bounce and retry here, whatever the
  interface does.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from kore_tui.core.admission import Admission
from kore_tui.core.api_client import KoreClient
from kore_tui.core.bounce import Bounces
from kore_tui.core.config import Environment
from kore_tui.core.deploy_params import DeployParams, DeployParamsError, ModelDeployParams
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.following import Following
from kore_tui.core.host_health import AuthHold, HostMonitor
from kore_tui.core.ids import DOCK_STATUS_PREFIX, MODEL_PREFIX, path_segment
from kore_tui.core.job import Job, JobState, utc_now
from kore_tui.core.job_commands import JobCommands, ReadOnlyError
from kore_tui.core.job_writer import JobWriter
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.lease import Owner, is_alive
from kore_tui.core.protocol import JobRunner
from kore_tui.core.resources import Action
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
        self._host = HostMonitor(
            self.store,
            rng,
            default_pause=settings.default_rate_pause,
            max_pause=settings.schedule.cap,
        )
        self._auth = AuthHold()
        self._scheduler = Scheduler(
            clock,
            concurrency=settings.concurrency,
            requests_per_second=settings.requests_per_second,
            on_host_pause=self._host.host_paused,
        )
        self._writer = JobWriter(self.store, journal, self._journal_failed)
        self._runner = JobRunner(
            client,
            self.store,
            self._writer,
            self._scheduler,
            self._host,
            self._auth,
            settings,
            clock,
            rng,
            read_only=self.read_only,
        )
        # Why a job the operator asked for was not (re-)sent: joined, or needs a retry.
        self.notes: dict[str, str] = {}
        self._following = Following(
            journal,
            self.store,
            self._writer,
            self._scheduler,
            settings,
            clock,
            lambda: self.owner_id,
            self.notes,
        )
        self._admission = Admission(
            env.name,
            client.host,
            self.store,
            journal,
            self._following,
            self.notes,
            lambda: self.owner_id,
            self._track_new,
        )
        self._bounces = Bounces(self.store, journal, self._writer, self._admission, self._track_new)
        self._writer.on_final = self._bounces.on_final
        self._commands = JobCommands(
            self.store,
            journal,
            self._writer,
            self._scheduler,
            self._following,
            self._auth,
            settings,
            clock,
            owner_id=lambda: self.owner_id,
            ensure_owner=self._ensure_owner,
            refuse_if_read_only=self._refuse_if_read_only,
            notes=self.notes,
        )
        self._owner: Owner | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._housekeeping_task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._ensure_owner()
            loop = asyncio.get_running_loop()
            self._loop_task = loop.create_task(
                self._scheduler.run(self._runner.work), name="engine"
            )
            self._housekeeping_task = loop.create_task(
                self._following.housekeeping(lambda: self._owner is not None, self._journal_failed),
                name="engine-housekeeping",
            )

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

    def undeploy(self, ids: Iterable[str]) -> list[Job]:
        """Queue an undeploy per model or tool (mixed), once per resource across processes.

        A resource that already has a live job (here or in another process, per the
        journal), whatever its action, is joined: its job is tracked, nothing is sent.
        One whose last job is UNKNOWN is shown and left for an explicit retry. Returns
        one job per resource, in the given order.
        """
        self._refuse_if_read_only("undeploy")
        self._ensure_owner()
        return self._admission.start(Action.UNDEPLOY, ids, DeployParams())

    def deploy(self, ids: Iterable[str], params: DeployParams) -> list[Job]:
        """Queue a deploy per model or tool, under the same rules as :meth:`undeploy`.
        Models need ``params.model`` (ValueError otherwise, nothing queued); tools use
        ``params.tool``. Parameters are validated before anything is queued."""
        self._refuse_if_read_only("deploy")
        self._ensure_owner()
        return self._admission.start(Action.DEPLOY, ids, params)

    def bounce(self, ids: Iterable[str], params: DeployParams) -> list[Job]:
        """Undeploy, then deploy with ``params`` once the undeploy is verified SUCCESS
        (see bounce.py). Returns the first halves; each redeploy is a job of its own."""
        self._refuse_if_read_only("bounce")
        self._ensure_owner()
        jobs = self._admission.start(Action.UNDEPLOY, ids, params, then=Action.DEPLOY)
        self._bounces.mine.update(j.key for j in jobs if j.then == Action.DEPLOY)
        return jobs

    def recorded_deploy_params(self, model_id: str) -> ModelDeployParams | None:
        """The parameters of the last deploy of this model on this host made through
        kore-tui (the journal's record), or None."""
        normalized = path_segment(model_id, MODEL_PREFIX)
        if self.journal is not None:
            job = self.journal.last_deploy(self.client.host, normalized)
        else:
            deploys = [
                j
                for j in self.store.snapshot()
                if j.model_id == normalized
                and j.action == Action.DEPLOY
                and j.params
                and j.origin == "sent"
            ]
            job = max(
                deploys, key=lambda j: (j.state is JobState.SUCCESS, j.created_at), default=None
            )
        if job is None or job.params is None:
            return None
        try:
            return ModelDeployParams.from_json(job.params)
        except DeployParamsError:
            return None  # a record that no longer passes the checks is not reused

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
            jobs.append(
                replace(
                    self._admission.new_job(
                        "watch", None, normalized, JobState.IN_PROGRESS, resource=None
                    ),
                    action="?",
                    submitted_at=utc_now(),
                )
            )
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
        resumed = self._following.resume(candidates)
        stranded = self.journal.stranded_bounces(self.env.name)
        owners = self.journal.owner_records(j.owner for j in stranded if j.owner)
        gone = [j for j in stranded if not is_alive(owners.get(j.owner or ""))]
        return resumed + self._bounces.report_stranded(gone)

    def recheck(self, keys: Iterable[str]) -> int:
        """Check ended jobs that have a dock status ID again, with a fresh deadline."""
        return sum(self._commands.recheck(key) for key in keys)

    def retry(self, keys: Iterable[str]) -> int:
        """Re-send the job's own action, with its recorded parameters, for FAILED/UNKNOWN/
        ERROR jobs (and timed-out ones that were never sent): only on the operator's word,
        and never while the same resource has a live job anywhere (the journal is checked
        in the same transaction). Refused in read-only mode."""
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

    def _track_new(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        now = self._clock()
        for job in jobs:
            self._scheduler.add(job.key, now, now + self.settings.job_timeout)
        self._writer.put_many(jobs)
        for job in jobs:
            self._scheduler.schedule(job.key, 0.0)
