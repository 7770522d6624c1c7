"""A tracked job as the interfaces see it: an immutable snapshot.

The engine replaces a job in the store with a new :class:`Job` on every
change (``dataclasses.replace``), so a reader on another thread always sees
a consistent row, never a half-updated one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    QUEUED = "QUEUED"
    SUBMITTING = "SUBMITTING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    UNKNOWN = "UNKNOWN"
    ERROR = "ERROR"


FINAL_STATES = frozenset(
    {JobState.SUCCESS, JobState.FAILED, JobState.TIMED_OUT, JobState.UNKNOWN, JobState.ERROR}
)
RETRYABLE_STATES = frozenset({JobState.FAILED, JobState.UNKNOWN, JobState.ERROR})
ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.SUBMITTING, JobState.IN_PROGRESS})
# A resource with a job in one of these states gets no new POST: a live job is joined, an
# UNKNOWN one waits for the operator's explicit retry (it may already have been acted on).
BLOCKING_STATES = ACTIVE_STATES | {JobState.UNKNOWN}


def utc_now(ago: float = 0.0) -> str:
    """Now (or ``ago`` seconds before), as the journal writes times."""
    when = datetime.now(UTC) - timedelta(seconds=ago)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# How far back a resume (status --wait, a console opening) re-checks jobs that timed out:
# a deadline ends the tracking, not the job on the platform.
TIMED_OUT_HORIZON = 24 * 3600.0


def _resource_of(job_type: str | None, resource_id: str | None) -> str | None:
    by_type = {"MODELS": "model", "TOOLS": "tool"}
    if job_type in by_type:
        return by_type[job_type]
    for prefix, kind in (("cm-", "model"), ("a-", "tool")):
        if resource_id and resource_id.startswith(prefix):
            return kind
    return None


@dataclass(frozen=True)
class Transition:
    at: str
    state: JobState
    detail: str | None = None
    http_status: int | None = None


# How a retry's transition names the attempt it replaces (ended_attempt writes it): the
# only place an earlier attempt's dock status ID is kept.
_ENDED_ATTEMPT_ID = re.compile(r"attempt \d+ ended [A-Z_]+ \((ds-[0-9a-f-]+)\)")


def ended_attempt(job: Job) -> str:
    """What the attempt a retry replaces ended as, kept in the retry's transition (the
    timeline, journaled): its dock status ID and error are overwritten by the new attempt,
    and an operator's run found them gone from history and the JSON after a retry."""
    said = f"attempt {job.attempts} ended {job.state.value}"
    if job.dock_status_id:
        said += f" ({job.dock_status_id})"
    return f"{said}: {job.error}" if job.error else said


def replaced_attempt_ids(detail: str | None) -> list[str]:
    """The dock status IDs a transition's detail names as attempts a retry replaced."""
    return _ENDED_ATTEMPT_ID.findall(detail or "")


# error_kind of a bounce whose undeploy is SUCCESS and whose redeploy was never sent.
BOUNCE_INCOMPLETE = "bounce_incomplete"
BOUNCE_REDEPLOYED = "bounce_redeployed"  # ... and a later deploy of its resource succeeded
# How the error of a bounce's first half that ended without its redeploy begins (bounce.py
# writes it): once decided, its ``then`` is cleared, and this is what still says "bounce".
BOUNCE_STOPPED = "bounce stopped: "


@dataclass(frozen=True)
class Job:
    key: str
    environment: str
    host: str
    origin: str  # "sent" (this tool POSTed it) or "watch" (a ds- ID started elsewhere)
    # The resource's ID: a model's (cm-) or a tool's (a-), whatever the name says.
    model_id: str | None
    dock_status_id: str | None
    state: JobState
    action: str = "UNDEPLOY"  # UNDEPLOY or DEPLOY; a watched job: the server's word
    job_type: str | None = "MODELS"
    # "model", "tool", or None (a watched job of a kind not known yet); when not given, it
    # is read from the job type or the ID's prefix.
    resource: str | None = None
    server_status: str | None = None
    error: str | None = None
    error_kind: str | None = None
    http_status: int | None = None
    attempts: int = 0
    polls: int = 0
    stale: bool = False
    tracking: bool = True
    created_at: str = field(default_factory=utc_now)
    submitted_at: str | None = None
    updated_at: str = field(default_factory=utc_now)
    last_checked_at: str | None = None
    last_response: dict[str, Any] | None = None
    timeline: tuple[Transition, ...] = ()
    # The engine (see core/lease.py) that writes this job; None for rows of older releases.
    owner: str | None = None
    # Deploy parameters (snake_case, deploy_params' to_json): a DEPLOY's own, or on a
    # bounce's first half the ones its redeploy will use. None for a plain undeploy.
    params: dict[str, Any] | None = None
    then: str | None = None  # "DEPLOY" on a bounce's first half until its redeploy is decided
    parent: str | None = None  # a bounce's second half: the first half's key

    def __post_init__(self) -> None:
        if self.resource is None:
            object.__setattr__(self, "resource", _resource_of(self.job_type, self.model_id))

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def redeploy_missing(self) -> bool:
        """A bounce's first half that is SUCCESS but whose redeploy was never sent (its
        process stopped, or the redeploy could not be admitted): the resource is down
        although the row reads SUCCESS."""
        return self.error_kind == BOUNCE_INCOMPLETE and self.state is JobState.SUCCESS

    @property
    def bounce_stopped(self) -> bool:
        """A bounce's first half that ended without its redeploy: stopped by its own end,
        or by a live job of its resource, or stranded when its process stopped."""
        return self.error_kind in (BOUNCE_INCOMPLETE, BOUNCE_REDEPLOYED) or (
            self.error or ""
        ).startswith(BOUNCE_STOPPED)

    @property
    def earlier_dock_status_ids(self) -> tuple[str, ...]:
        """The dock status IDs of the attempts retries replaced, oldest first."""
        return tuple(found for step in self.timeline for found in replaced_attempt_ids(step.detail))

    @property
    def status_label(self) -> str:
        """The state, with a server status we do not know shown as is."""
        if self.redeploy_missing:
            return "SUCCESS (no redeploy)"
        if (
            self.state is JobState.IN_PROGRESS
            and self.server_status
            and self.server_status not in {"IN_PROGRESS", "SUCCESS", "FAILED"}
        ):
            return f"IN_PROGRESS ({self.server_status})"
        return self.state.value

    def to_json(self) -> dict[str, Any]:
        """The product contract's job object: ``kind`` is model/tool, ``action``
        UNDEPLOY/DEPLOY, ``origin`` sent/watch; the ID is ``modelId`` or ``toolId``."""
        id_key = "toolId" if self.resource == "tool" else "modelId"
        return {
            id_key: self.model_id,
            "dockStatusId": self.dock_status_id,
            "environment": self.environment,
            "status": self.state.value,
            "error": self.error,
            "submittedAt": self.submitted_at,
            "updatedAt": self.updated_at,
            "serverStatus": self.server_status,
            "httpStatus": self.http_status,
            "action": self.action,
            "kind": self.resource,
            "origin": self.origin,
            "parent": self.parent,
            "polls": self.polls,
            "attempts": self.attempts,
            "lastCheckedAt": self.last_checked_at,
            "createdAt": self.created_at,
            # Every state it went through, with why: a retried job's earlier attempt too.
            "timeline": [
                {
                    "at": t.at,
                    "state": t.state.value,
                    "detail": t.detail,
                    "httpStatus": t.http_status,
                }
                for t in self.timeline
            ],
        }
