"""The SQLite journal: every job and every transition, crash-safe.

WAL mode with ``synchronous=NORMAL``: a committed transaction survives the
process being killed (kill -9), which is the failure we design for; only an
OS crash or power loss can drop the last few commits, and then a job shows
an older state, never a corrupt one. The key is never written here.

One connection per thread (sqlite3's rule); the engine owns the writer. Rows (schema,
migrations, conversion) are in journal_schema.py."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from kore_tui.core import paths
from kore_tui.core.errors import KoreError
from kore_tui.core.hosts import same_platform
from kore_tui.core.job import Job, utc_now
from kore_tui.core.journal_open import not_a_file, open_database
from kore_tui.core.journal_queries import JournalQueries
from kore_tui.core.journal_schema import (
    INSERT_TRANSITION,
    MIGRATE_TO_V2,
    MIGRATE_TO_V3,
    SCHEMA_V1,
    SCHEMA_VERSION,
    UPSERT,
    chunks,
    job_from_row,
    job_row,
    marks,
    statements,
    transition_row,
)
from kore_tui.core.lease import Owner, OwnerRecord

_BLOCKING = "('QUEUED', 'SUBMITTING', 'IN_PROGRESS', 'UNKNOWN')"
_LIVE = frozenset({"QUEUED", "SUBMITTING", "IN_PROGRESS"})


class JournalError(KoreError):
    pass


class Journal(JournalQueries):
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.journal_path()
        self._pending: list[tuple[Job, str | None]] = []
        self.owner: Owner | None = None
        try:
            if (why := not_a_file(self.path)) is not None:  # before SQLite or chmod
                raise JournalError(f"cannot open the journal at {self.path}: {why}")
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = open_database(self.path, self._migrate_on)  # retried on a lock
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the journal at {self.path}: {exc}") from None
        with contextlib.suppress(OSError):
            self.path.chmod(0o600)

    def _migrate_on(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._migrate()

    def _migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION, in one transaction per step."""
        with self._transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"the journal at {self.path} was written by a newer kore-tui (schema "
                    f"{version}, this one knows {SCHEMA_VERSION}); upgrade kore-tui"
                )
            if version < 1:
                for statement in statements(SCHEMA_V1):
                    self._db.execute(statement)
            if version < 2:
                for statement in statements(MIGRATE_TO_V2):
                    self._db.execute(statement)
            if version < 3:
                for statement in statements(MIGRATE_TO_V3):
                    self._db.execute(statement)
            if version != SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE: the write lock is taken up front, so a
        check made inside it still holds at COMMIT, whatever other processes do)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (disk full does): a second ROLLBACK
                # would raise "no transaction is active" and hide the real cause.
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise JournalError(f"journal write failed ({self.path}): {exc}") from None

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._db.close()

    # -- writes ------------------------------------------------------------------------

    def record(
        self, jobs: Iterable[Job], detail: str | None = None, *, defer: bool = False
    ) -> None:
        """Upsert jobs and append one transition each. ``defer=True`` buffers the write
        until the next :meth:`flush` or immediate write (one transaction for all): only for
        transitions whose loss in a crash is harmless (a final state a resume re-verifies)."""
        items = [(j, detail) for j in jobs]
        self._pending.extend(items)
        if not defer:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        with self._transaction():
            self._write_pending()

    def _write_pending(self) -> None:
        # Taken off the queue before writing: if the write fails (disk full), the engine
        # is told and stops sending; re-queueing a row that cannot be written would make
        # every later write fail with it.
        items, self._pending = self._pending, []
        self._db.executemany(UPSERT, [job_row(j) for j, _ in items])
        self._db.executemany(INSERT_TRANSITION, [transition_row(j, d) for j, d in items])

    def checked(self, jobs: Iterable[Job]) -> None:
        """The polls and last check of jobs whose state has not changed since (no
        transition: only the check is new). Another process following them shows these
        ('Checked -, Polls 0' read as if nobody watched them); a row whose state moved on
        meanwhile is left alone."""
        rows = [
            (j.polls, j.last_checked_at, j.updated_at, j.server_status, j.key, j.state.value)
            for j in jobs
        ]
        with self._transaction():
            self._write_pending()
            self._db.executemany(
                "UPDATE jobs SET polls = ?, last_checked_at = ?, updated_at = ?, "
                "server_status = ? WHERE key = ? AND state = ?",
                rows,
            )

    def admit(self, jobs: list[Job], detail: str) -> tuple[list[Job], dict[str, Job]]:
        """Insert new jobs unless their resource already has a blocking job, whatever its
        action (one live job per resource), or, for a bounce's second half, unless that
        bounce already has one.

        Returns (admitted jobs, {new job key: the existing blocking job}). The check and
        the inserts are one BEGIN IMMEDIATE transaction, so two processes admitting the
        same resource at once cannot both succeed.
        """
        admitted: list[Job] = []
        blocked: dict[str, Job] = {}
        with self._transaction():
            self._write_pending()
            for job in jobs:
                existing = self._second_half(job.parent) if job.parent else None
                if existing is None and job.model_id:
                    existing = self._blocking_job(job)
                if existing is not None:
                    blocked[job.key] = existing
                    continue
                self._db.execute(UPSERT, job_row(job))
                self._db.execute(INSERT_TRANSITION, transition_row(job, detail))
                admitted.append(job)
        return admitted, blocked

    def claim_retry(self, job: Job, detail: str, seen: Job) -> Job | None:
        """Write ``job`` (back to QUEUED, owned by us) unless another job of the same
        resource is live, or the job is no longer the attempt ``seen`` (the caller's view
        of it before the retry); returns that job instead (nothing is written then).

        Another process may have retried the job meanwhile, to its end: a second console
        that still showed it FAILED sent the undeploy again (409) and wrote ERROR over
        the SUCCESS. The attempt is the state, the attempt count and the dock status ID."""
        with self._transaction():
            self._write_pending()
            current = self._db.execute("SELECT * FROM jobs WHERE key = ?", (job.key,)).fetchone()
            if current is not None and (
                current["state"] in _LIVE
                or (current["state"], current["attempts"], current["dock_status_id"])
                != (seen.state.value, seen.attempts, seen.dock_status_id)
            ):
                return job_from_row(current)  # another process retried this very job first
            existing = self._blocking_job(job, live_only=True)
            if existing is not None:
                return existing
            self._db.execute(UPSERT, job_row(job))
            self._db.execute(INSERT_TRANSITION, transition_row(job, detail))
        return None

    def _blocking_job(self, job: Job, *, live_only: bool = False) -> Job | None:
        states = "('QUEUED', 'SUBMITTING', 'IN_PROGRESS')" if live_only else _BLOCKING
        # Jobs this tool sent, any action: a deploy waits for an undeploy and the reverse.
        # A watched job is someone else's; it never blocks.
        row = self._db.execute(
            f"SELECT * FROM jobs WHERE host IN {marks(hosts := same_platform(job.host))} "
            f"AND model_id = ? AND origin = 'sent' "
            f"AND key != ? AND state IN {states} ORDER BY created_at DESC LIMIT 1",
            (*hosts, job.model_id, job.key),
        ).fetchone()
        return job_from_row(row) if row is not None else None

    def _second_half(self, parent: str) -> Job | None:
        row = self._db.execute("SELECT * FROM jobs WHERE parent = ? LIMIT 1", (parent,)).fetchone()
        return job_from_row(row) if row is not None else None

    def take_over(self, key: str, expected_owner: str | None) -> bool:
        """Compare-and-set the owner of one job; False if someone else got there first."""
        if self.owner is None:
            raise JournalError("take_over needs a registered owner")
        with self._transaction():
            self._write_pending()
            cursor = self._db.execute(
                "UPDATE jobs SET owner = ? WHERE key = ? AND owner IS ?",
                (self.owner.id, key, expected_owner),
            )
            return cursor.rowcount == 1

    # -- owners ------------------------------------------------------------------------

    def register(self, owner: Owner) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO owners (id, pid, hostname, proc_start, started_at, "
                "heartbeat, ended) VALUES (?, ?, ?, ?, ?, ?, 0)",
                (owner.id, owner.pid, owner.hostname, owner.proc_start, utc_now(), time.time()),
            )
        self.owner = owner

    def heartbeat(self) -> None:
        if self.owner is None:
            return
        with self._transaction():
            self._db.execute(
                "UPDATE owners SET heartbeat = ? WHERE id = ?", (time.time(), self.owner.id)
            )

    def release(self) -> None:
        """Mark our lease ended: our unfinished jobs may be taken over at once."""
        if self.owner is None:
            return
        with self._transaction():
            self._write_pending()
            self._db.execute(
                "UPDATE owners SET ended = 1, heartbeat = ? WHERE id = ?",
                (time.time(), self.owner.id),
            )
        self.owner = None

    def owner_records(self, ids: Iterable[str]) -> dict[str, OwnerRecord]:
        wanted = list({i for i in ids if i})
        out: dict[str, OwnerRecord] = {}
        for chunk in chunks(wanted):
            rows = self._db.execute(f"SELECT * FROM owners WHERE id IN {marks(chunk)}", chunk)
            for r in rows:
                owner = Owner(r["id"], r["pid"], r["hostname"], r["proc_start"])
                out[r["id"]] = OwnerRecord(owner, r["heartbeat"], bool(r["ended"]))
        return out

    # -- reads -------------------------------------------------------------------------
