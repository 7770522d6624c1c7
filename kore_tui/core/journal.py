"""The SQLite journal: every job and every transition, crash-safe.

WAL mode with ``synchronous=NORMAL``: a committed transaction survives the
process being killed (kill -9), which is the failure we design for; only an
OS crash or power loss can drop the last few commits, and then a job shows
an older state, never a corrupt one. The key is never written here.

One connection per thread (sqlite3's rule); the engine owns the writer.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kore_tui.core import paths
from kore_tui.core.errors import KoreError
from kore_tui.core.job import Job, JobState, Transition

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    host TEXT NOT NULL,
    kind TEXT NOT NULL,
    model_id TEXT,
    dock_status_id TEXT,
    action TEXT,
    job_type TEXT,
    state TEXT NOT NULL,
    server_status TEXT,
    error TEXT,
    error_kind TEXT,
    http_status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0,
    tracking INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    updated_at TEXT NOT NULL,
    last_checked_at TEXT,
    last_response TEXT
);
CREATE INDEX IF NOT EXISTS jobs_env_created ON jobs(environment, created_at);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_key TEXT NOT NULL,
    at TEXT NOT NULL,
    state TEXT NOT NULL,
    http_status INTEGER,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS transitions_job ON transitions(job_key, id);
"""

_COLUMNS = (
    "key", "environment", "host", "kind", "model_id", "dock_status_id", "action", "job_type",
    "state", "server_status", "error", "error_kind", "http_status", "attempts", "polls",
    "tracking", "created_at", "submitted_at", "updated_at", "last_checked_at", "last_response",
)
_UPSERT = (
    f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT(key) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in _COLUMNS if c != "key")
)
_MAX_RESPONSE_CHARS = 16_384


class JournalError(KoreError):
    pass


def _row(job: Job) -> tuple[Any, ...]:
    response = None
    if job.last_response is not None:
        response = json.dumps(job.last_response, ensure_ascii=True)[:_MAX_RESPONSE_CHARS]
    return (
        job.key, job.environment, job.host, job.kind, job.model_id, job.dock_status_id,
        job.action, job.job_type, job.state.value, job.server_status, job.error, job.error_kind,
        job.http_status, job.attempts, job.polls, int(job.tracking), job.created_at,
        job.submitted_at, job.updated_at, job.last_checked_at, response,
    )


def _job(row: sqlite3.Row, timeline: tuple[Transition, ...] = ()) -> Job:
    response = None
    if row["last_response"]:
        try:
            response = json.loads(row["last_response"])
        except ValueError:
            response = {"unreadable": row["last_response"][:200]}
    try:
        state = JobState(row["state"])
    except ValueError:
        state = JobState.UNKNOWN
    return Job(
        key=row["key"], environment=row["environment"], host=row["host"], kind=row["kind"],
        model_id=row["model_id"], dock_status_id=row["dock_status_id"],
        action=row["action"] or "UNDEPLOY", job_type=row["job_type"], state=state,
        server_status=row["server_status"], error=row["error"], error_kind=row["error_kind"],
        http_status=row["http_status"], attempts=row["attempts"], polls=row["polls"],
        tracking=bool(row["tracking"]), created_at=row["created_at"],
        submitted_at=row["submitted_at"], updated_at=row["updated_at"],
        last_checked_at=row["last_checked_at"], last_response=response, timeline=timeline,
    )


class Journal:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.journal_path()
        self._pending: list[tuple[Job, str | None]] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the journal at {self.path}: {exc}") from None
        with contextlib.suppress(OSError):
            self.path.chmod(0o600)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._db.close()

    def record(self, jobs: Iterable[Job], detail: str | None = None, *,
               defer: bool = False) -> None:
        """Upsert jobs and append one transition each.

        ``defer=True`` buffers the write until the next :meth:`flush` or the next
        immediate write (one transaction for all). Use it only for transitions whose
        loss in a crash is harmless: a final state that a resumed run re-verifies.
        """
        items = [(j, detail) for j in jobs]
        self._pending.extend(items)
        if not defer:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        items, self._pending = self._pending, []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(_UPSERT, [_row(j) for j, _ in items])
                self._db.executemany(
                    "INSERT INTO transitions (job_key, at, state, http_status, detail) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(j.key, j.updated_at, j.state.value, j.http_status,
                      d if d is not None else j.error) for j, d in items],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise JournalError(f"journal write failed ({self.path}): {exc}") from None

    def unfinished(self, environment: str) -> list[Job]:
        rows = self._db.execute(
            "SELECT * FROM jobs WHERE environment = ? AND tracking = 1 AND state IN "
            "('QUEUED', 'SUBMITTING', 'IN_PROGRESS') ORDER BY created_at",
            (environment,),
        ).fetchall()
        return [_job(r) for r in rows]

    def history(self, environment: str | None = None, limit: int = 50) -> list[Job]:
        if environment:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE environment = ? ORDER BY created_at DESC, rowid DESC "
                "LIMIT ?", (environment, limit)).fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_job(r) for r in rows]

    def timeline(self, key: str) -> tuple[Transition, ...]:
        rows = self._db.execute(
            "SELECT at, state, http_status, detail FROM transitions WHERE job_key = ? "
            "ORDER BY id", (key,)).fetchall()
        out = []
        for r in rows:
            try:
                state = JobState(r["state"])
            except ValueError:
                state = JobState.UNKNOWN
            out.append(Transition(r["at"], state, r["detail"], r["http_status"]))
        return tuple(out)
