"""How jobs are stored in SQLite: the schema, its migrations, and row conversion.

The journal (journal.py) decides what to write and when; this file only says
what a row looks like.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from kore_tui.core.hosts import same_platform
from kore_tui.core.job import Job, JobState, Transition

SCHEMA_VERSION = 3

# Version 1 is the first release's schema (it set no user_version, so it reads as 0).
SCHEMA_V1 = """
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

# Version 2: owner leases (one live job per resource across processes).
MIGRATE_TO_V2 = """
ALTER TABLE jobs ADD COLUMN owner TEXT;
CREATE INDEX IF NOT EXISTS jobs_resource ON jobs(host, model_id, state);
CREATE TABLE IF NOT EXISTS owners (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    proc_start TEXT NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat REAL NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0
);
"""

# Version 3: deploy, tools and bounce. ``kind`` ("undeploy"/"watch", how a job started)
# becomes ``origin`` ("sent"/"watch"); the resource (model/tool), the deploy parameters and
# a bounce's link between its halves are new. Rows of older releases are models or, for a
# watched job, whatever its dock status said.
MIGRATE_TO_V3 = """
ALTER TABLE jobs RENAME COLUMN kind TO origin;
UPDATE jobs SET origin = 'sent' WHERE origin = 'undeploy';
ALTER TABLE jobs ADD COLUMN resource TEXT;
ALTER TABLE jobs ADD COLUMN params TEXT;
ALTER TABLE jobs ADD COLUMN then_action TEXT;
ALTER TABLE jobs ADD COLUMN parent TEXT;
UPDATE jobs SET resource = CASE
    WHEN model_id LIKE 'cm-%' OR job_type = 'MODELS' THEN 'model'
    WHEN model_id LIKE 'a-%' OR job_type = 'TOOLS' THEN 'tool'
    ELSE NULL END;
CREATE INDEX IF NOT EXISTS jobs_parent ON jobs(parent);
"""

COLUMNS = (
    "key",
    "environment",
    "host",
    "origin",
    "model_id",
    "dock_status_id",
    "action",
    "job_type",
    "state",
    "server_status",
    "error",
    "error_kind",
    "http_status",
    "attempts",
    "polls",
    "tracking",
    "created_at",
    "submitted_at",
    "updated_at",
    "last_checked_at",
    "last_response",
    "owner",
    "resource",
    "params",
    "then_action",
    "parent",
)
UPSERT = (
    f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT(key) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in COLUMNS if c != "key")
)
INSERT_TRANSITION = (
    "INSERT INTO transitions (job_key, at, state, http_status, detail) VALUES (?, ?, ?, ?, ?)"
)
MAX_RESPONSE_CHARS = 16_384


def job_row(job: Job) -> tuple[Any, ...]:
    response = None
    if job.last_response is not None:
        response = json.dumps(job.last_response, ensure_ascii=True)[:MAX_RESPONSE_CHARS]
    params = json.dumps(job.params, ensure_ascii=True) if job.params is not None else None
    return (
        job.key,
        job.environment,
        job.host,
        job.origin,
        job.model_id,
        job.dock_status_id,
        job.action,
        job.job_type,
        job.state.value,
        job.server_status,
        job.error,
        job.error_kind,
        job.http_status,
        job.attempts,
        job.polls,
        int(job.tracking),
        job.created_at,
        job.submitted_at,
        job.updated_at,
        job.last_checked_at,
        response,
        job.owner,
        job.resource,
        params,
        job.then,
        job.parent,
    )


def job_from_row(row: sqlite3.Row, timeline: tuple[Transition, ...] = ()) -> Job:
    response = None
    if row["last_response"]:
        try:
            response = json.loads(row["last_response"])
        except ValueError:
            response = {"unreadable": row["last_response"][:200]}
    params = None
    if row["params"]:
        try:
            loaded = json.loads(row["params"])
        except ValueError:
            loaded = None  # unreadable: as if none were recorded (a redeploy asks again)
        params = loaded if isinstance(loaded, dict) else None
    state = state_of(row["state"])
    return Job(
        key=row["key"],
        environment=row["environment"],
        host=row["host"],
        origin=row["origin"],
        model_id=row["model_id"],
        dock_status_id=row["dock_status_id"],
        action=row["action"] or "UNDEPLOY",
        job_type=row["job_type"],
        state=state,
        server_status=row["server_status"],
        error=row["error"],
        error_kind=row["error_kind"],
        http_status=row["http_status"],
        attempts=row["attempts"],
        polls=row["polls"],
        tracking=bool(row["tracking"]),
        created_at=row["created_at"],
        submitted_at=row["submitted_at"],
        updated_at=row["updated_at"],
        last_checked_at=row["last_checked_at"],
        last_response=response,
        timeline=timeline,
        owner=row["owner"],
        resource=row["resource"],
        params=params,
        then=row["then_action"],
        parent=row["parent"],
    )


def transition_row(job: Job, detail: str | None) -> tuple[Any, ...]:
    return (
        job.key,
        job.updated_at,
        job.state.value,
        job.http_status,
        detail if detail is not None else job.error,
    )


def state_of(text: str) -> JobState:
    try:
        return JobState(text)
    except ValueError:
        return JobState.UNKNOWN


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# SQLite's default limit on host parameters is 999 on older builds.
CHUNK = 500


def chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def marks(values: Sequence[str]) -> str:
    """``(?, ?, ?)``: one placeholder per value of an ``IN`` list."""
    return f"({', '.join('?' * len(values))})"


def of_platform(environment: str, host: str) -> tuple[str, tuple[str, ...]]:
    """A WHERE condition and its arguments: the jobs of ``environment`` sent to ``host``'s
    platform. A name alone is not enough: an environment re-pointed at another host, and
    every ad-hoc KORE_HOST run (all named "KORE_HOST"), resumed, re-checked and retried
    another platform's jobs on this one (a break-it run: a SUCCESS read as ERROR "not
    found", then a retry POSTed the undeploy to the wrong host)."""
    hosts = same_platform(host)
    return f"environment = ? AND host IN {marks(hosts)}", (environment, *hosts)
