"""Every change to a job goes through here: the store, the journal, the open set.

A change of state (a transition) is journaled; other changes (a poll count, a
message) only reach the store. Transitions are group-committed: all those made
in one loop iteration share one transaction at its end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kore_tui.core.job import Job, JobState, Transition, utc_now
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.store import JobStore

FINAL_FLUSH_DELAY = 0.05  # seconds a final state may wait for its journal write
# Seconds between journal writes of the checks (polls, last check) that changed no state:
# what another process following the jobs shows. One transaction for all the jobs.
CHECKS_JOURNAL_EVERY = 1.0


def transitioned(job: Job, detail: str | None, **changes: Any) -> Job:
    """The job with ``changes`` and one more timeline entry."""
    new = replace(job, updated_at=utc_now(), **changes)
    return replace(
        new,
        timeline=(
            *job.timeline,
            Transition(new.updated_at, new.state, detail or new.error, new.http_status),
        ),
    )


class JobWriter:
    def __init__(
        self, store: JobStore, journal: Journal | None, on_journal_error: Callable[[str], None]
    ) -> None:
        self._store = store
        self._journal = journal
        self._on_journal_error = on_journal_error
        self._open: set[str] = set()  # keys of jobs still tracked and not final
        self._changed = asyncio.Event()  # set on every transition and every new job
        self._flush_timer: asyncio.TimerHandle | None = None
        self._group: asyncio.Future[None] | None = None
        self._checked: dict[str, Job] = {}  # checks not journaled yet (see CHECKS_...)
        self._checks_timer: asyncio.TimerHandle | None = None
        # Told of every job this engine moves to a final state (a bounce's next step).
        self.on_final: Callable[[Job], None] | None = None

    def set(
        self,
        job: Job,
        *,
        detail: str | None = None,
        force_transition: bool = False,
        journal: bool = True,
        **changes: Any,
    ) -> Job:
        transition = force_transition or changes.get("state", job.state) is not job.state
        if not transition:
            new = replace(job, updated_at=utc_now(), **changes)
            self._store.put(new)
            if journal and self._journal is not None and "polls" in changes:
                self._note_check(new)
            return new
        self._checked.pop(job.key, None)  # the transition's row has it all
        new = transitioned(job, detail, **changes)
        if journal and self._journal is not None:
            # Group commit: every transition made in this loop iteration shares one
            # transaction at its end (an intent's sender awaits it: intent_committed).
            # Final states may wait up to 50 ms more: if a crash loses one, the resumed
            # run re-verifies the job.
            self._journal.record([new], detail, defer=True)
            if new.is_final and new.state is not JobState.UNKNOWN:
                self._arm_flush()
            else:
                self._arm_group_commit()
        self.put(new)
        if new.is_final and self.on_final is not None:
            self.on_final(new)
        return new

    def put(self, job: Job) -> None:
        """Show ``job`` as it is (a row another process writes, say); never journaled."""
        self._store.put(job)
        self.note_open(job)
        self._changed.set()

    def put_many(self, jobs: list[Job]) -> None:
        self._store.put_many(jobs)
        for job in jobs:
            self.note_open(job)
        self._changed.set()

    def note_open(self, job: Job) -> None:
        # A bounce's first half stays open once final until its redeploy is decided
        # (bounce.py clears ``then``): nobody may think the work is done before that.
        if job.then is not None and job.is_final:
            self._open.add(job.key)
        elif job.is_final or not job.tracking:
            self._open.discard(job.key)
        else:
            self._open.add(job.key)

    def all_settled(self) -> bool:
        return not self._open

    async def wait_settled(self) -> None:
        while not self.all_settled():
            self._changed.clear()
            await self._changed.wait()

    # -- the journal --------------------------------------------------------------------

    def _note_check(self, job: Job) -> None:
        self._checked[job.key] = job
        if self._checks_timer is None:
            loop = asyncio.get_running_loop()
            self._checks_timer = loop.call_later(CHECKS_JOURNAL_EVERY, self._journal_checks)

    def _journal_checks(self) -> None:
        self._checks_timer = None
        checked, self._checked = list(self._checked.values()), {}
        if not checked or self._journal is None:
            return
        try:
            self._journal.checked(checked)
        except JournalError as exc:
            self._on_journal_error(str(exc))

    async def intent_committed(self) -> None:
        """Wait until the transaction holding this iteration's intents is committed."""
        if self._journal is not None:
            await asyncio.shield(self._arm_group_commit())

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
            self.flush(raise_errors=True)
        except JournalError as exc:
            group.set_exception(exc)
            group.exception()  # retrieved here: senders may have stopped waiting
        else:
            group.set_result(None)

    def _arm_flush(self) -> None:
        if self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(FINAL_FLUSH_DELAY, self.flush)

    def flush(self, raise_errors: bool = False) -> None:
        if self._flush_timer is not None and raise_errors:
            self._flush_timer.cancel()
        self._flush_timer = None
        if self._journal is None:
            return
        try:
            self._journal.flush()
        except JournalError as exc:
            self._on_journal_error(str(exc))
            if raise_errors:
                raise

    def close(self) -> None:
        """Write everything still buffered (on the way out)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
        if self._checks_timer is not None:
            self._checks_timer.cancel()
        self._group_commit()
        self.flush()
        self._journal_checks()
