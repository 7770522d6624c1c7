"""The engine's wiring and lifecycle: its parts built and connected, started, closed.

engine.py's :class:`Engine` adds the operations the interfaces call; the split keeps
each file to one job. Nothing here is public API beyond what Engine inherits.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable

from kore_tui.core.admission import Admission
from kore_tui.core.api_client import KoreClient
from kore_tui.core.bounce import Bounces
from kore_tui.core.config import Environment
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.following import Following
from kore_tui.core.host_health import AuthHold, HostMonitor
from kore_tui.core.job import Job, JobState
from kore_tui.core.job_commands import JobCommands, ReadOnlyError
from kore_tui.core.job_writer import JobWriter
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.lease import Owner
from kore_tui.core.protocol import JobRunner
from kore_tui.core.scheduler import Scheduler
from kore_tui.core.store import JobStore


class EngineSetup:
    """The parts of an engine and their lifecycle (see engine.py for the operations)."""

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
        self._key_check: asyncio.Task[None] | None = None  # the console's (key_check.py)
        self._scheduler = Scheduler(
            clock,
            concurrency=settings.concurrency,
            requests_per_second=settings.requests_per_second,
            on_host_pause=self._host.host_paused,
            sends=self._sends_next,
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
        # Bounces that joined a live job of their resource instead of starting (its own
        # undeploy, not theirs): their redeploy is never sent (see Engine.bounce).
        self.not_started: set[str] = set()
        self._following = Following(
            journal,
            self.store,
            self._writer,
            self._scheduler,
            settings,
            clock,
            lambda: self.owner_id,
            self.notes,
            lambda: self._host.health.auth_error is None,
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
        # The id this engine writes (or last wrote) its jobs under: kept once the lease is
        # released at close, so the jobs it tracked are still known as its own then.
        self.writes_as: str | None = None
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
            self.writes_as = owner.id

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
        for attr in ("_loop_task", "_housekeeping_task", "_key_check"):
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

    # -- internals ----------------------------------------------------------------------

    def _sends_next(self, key: str) -> bool:
        """The scheduler's question: is this job's next request its POST (else a check)?"""
        job = self.store.get(key)
        return job is None or job.state is JobState.QUEUED

    def _track_new(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        now = self._clock()
        for job in jobs:
            self._scheduler.add(job.key, now, now + self.settings.job_timeout)
        self._writer.put_many(jobs)
        for job in jobs:
            self._scheduler.schedule(job.key, 0.0)
