"""Run an engine on its own thread and event loop, for the console.

The console's event loop then never parses HTTP, JSON or touches SQLite: the
engine thread writes immutable job snapshots into the shared
:class:`JobStore`, and the UI reads them on a timer. Commands go the other
way through :meth:`EngineHost.call`, which runs a function on the engine's
loop and returns a ``concurrent.futures.Future``.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kore_tui.core.clients import client_for
from kore_tui.core.config import Environment
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.job import TIMED_OUT_HORIZON, Job, utc_now
from kore_tui.core.journal import Journal
from kore_tui.core.loop_thread import LoopThread
from kore_tui.core.secret import Secret
from kore_tui.core.store import JobStore

T = TypeVar("T")

# Finished jobs shown again when an environment is reopened: the panel starts with what
# the operator saw last time, not empty. History (F3) has the rest.
RECENT_JOBS = 200


class EngineHost(LoopThread):
    def __init__(
        self,
        env: Environment,
        key: Secret,
        settings: EngineSettings,
        *,
        read_only: bool = False,
        journal_path: Path | None = None,
        use_journal: bool = True,
    ) -> None:
        super().__init__(name=f"engine-{env.name}")
        self.env = env
        self.store = JobStore()
        self.read_only = read_only or env.read_only
        self._key = key
        self._settings = settings
        self._journal_path = journal_path
        self._use_journal = use_journal
        self._engine: Engine | None = None
        self.resumed: list[Job] = []
        self.followed = 0

    def __repr__(self) -> str:
        return f"EngineHost(env={self.env.name!r}, host={self.env.host!r})"

    @property
    def owner_id(self) -> str | None:
        """The lease id this engine writes (or, once closed, wrote) its jobs under; None
        before its first job, or without a journal. A job with another owner is another
        process's (or another session's)."""
        return self._engine.writes_as if self._engine is not None else None

    def start(self, timeout: float = 15.0) -> EngineHost:
        """Start the thread; returns once the journal is open and unfinished jobs resumed."""
        super().start(timeout)
        return self

    async def setup(self) -> None:
        journal = Journal(self._journal_path) if self._use_journal else None
        client = client_for(self.env, self._key, self._settings)
        self._engine = Engine(
            self.env, client, self.store, journal, self._settings, read_only=self.read_only
        )
        self._engine.start()
        # A refused key is known before the operator pastes anything (core/key_check.py).
        self._engine.start_key_check()
        self._engine.show_other_runs()  # a CLI run in another terminal shows here too
        if journal is not None:
            # Oldest first, so the panel's creation order matches the journal's.
            recent = [
                j
                for j in reversed(journal.history(self.env.name, RECENT_JOBS, host=self.env.host))
                if j.is_final or not j.tracking
            ]
            self.store.put_many(recent)
        # Timed-out jobs too, as `status --wait` does: a CLI run's --timeout left TIMED_OUT
        # rows that every console then showed stale, never checked again (a break-it run:
        # 'r' on one turned it SUCCESS at once).
        self.resumed = self._engine.resume_unfinished(timed_out_since=utc_now(TIMED_OUT_HORIZON))
        # Of those, the jobs another live process tracks: followed here, not resumed.
        self.followed = sum(self._engine.follows(j.key) for j in self.resumed)

    async def teardown(self) -> None:
        engine = self._engine
        if engine is None:
            return
        await engine.aclose(grace=3.0)
        await engine.client.aclose()
        if engine.journal is not None:
            engine.journal.close()

    def call(self, fn: Callable[[Engine], T]) -> concurrent.futures.Future[T]:
        """Run ``fn(engine)`` on the engine's loop."""

        def run() -> T:
            assert self._engine is not None
            return fn(self._engine)

        return self.submit(run)

    def call_wait(self, fn: Callable[[Engine], T], timeout: float = 10.0) -> T:
        return self.call(fn).result(timeout)


def stop_all(hosts: list[EngineHost], timeout: float = 10.0) -> None:
    """Stop several hosts at once: each gets its grace period in parallel, not in turn."""
    for host in hosts:
        host.request_stop()
    for host in hosts:
        host.wait_stopped(timeout)
