"""The simulated platform's models, tools and jobs. Time is read through a clock function
so that screenshots and tests can freeze or scale it.

A resource (model or tool) is in one of three phases: deployed, ready to deploy (after
a successful undeploy), or never deployed (a model whose first deployment must be made
in the platform's web UI: the API refuses to deploy it). A job in progress shows as
"undeploying" or "deploying"; a FAILED job leaves the phase it found.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_MODELS = 100_000
MAX_JOBS = 200_000
ACTIONS = ("UNDEPLOY", "DEPLOY")
JOB_TYPES = {"model": "MODELS", "tool": "TOOLS"}


class Phase(StrEnum):
    DEPLOYED = "deployed"
    READY = "ready_to_deploy"
    NEVER_DEPLOYED = "never_deployed"


@dataclass
class SimResource:
    resource_id: str
    kind: str  # "model" | "tool"
    phase: Phase = Phase.DEPLOYED
    pending_job: str | None = None
    pending_action: str | None = None

    @property
    def deployed(self) -> bool:
        return self.phase is Phase.DEPLOYED

    @property
    def shown_state(self) -> str:
        if self.pending_job:
            return "undeploying" if self.pending_action == "UNDEPLOY" else "deploying"
        return str(self.phase)

    def admin_row(self, id_key: str) -> dict[str, Any]:
        return {
            id_key: self.resource_id,
            "state": self.shown_state,
            "deployed": self.deployed,
            "pendingJob": self.pending_job,
        }


@dataclass
class SimJob:
    dock_status_id: str
    resource_id: str
    kind: str
    action: str
    created: float
    ends_at: float
    outcome: str
    weird_status: str | None = None
    not_found_until: float = 0.0
    settled: bool = False

    @property
    def job_type(self) -> str:
        return JOB_TYPES[self.kind]

    def status(self, now: float) -> str:
        if now >= self.ends_at:
            return self.outcome
        return self.weird_status or "IN_PROGRESS"


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _per_action() -> dict[str, Counter[str]]:
    return {action: Counter() for action in ACTIONS}


@dataclass
class SimState:
    clock: Callable[[], float]
    rng: random.Random
    job_seconds: tuple[float, float]
    fail_rate: float
    resources: dict[str, SimResource] = field(default_factory=dict)
    jobs: dict[str, SimJob] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    # POSTs per action and resource ID: "received" counts every POST that arrived (faults
    # included), "accepted" those the platform looked at (key valid, resource known).
    received: dict[str, Counter[str]] = field(default_factory=_per_action)
    accepted: dict[str, Counter[str]] = field(default_factory=_per_action)
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=50_000))
    # Queued outcomes for the next jobs that match them (POST /_sim/outcomes): each is
    # {"status": "SUCCESS"|"FAILED", "resource": id or absent, "action": name or absent}.
    forced_outcomes: deque[dict[str, str]] = field(default_factory=deque)

    def seed(
        self, kind: str, count: int, phase: Phase = Phase.DEPLOYED, rng: random.Random | None = None
    ) -> list[str]:
        """Add ``count`` resources; the deployed models use the job RNG (their IDs predate
        the other kinds), everything else ``rng`` so job IDs stay what they were."""
        prefix = "cm-" if kind == "model" else "a-"
        source = rng or self.rng
        created = []
        for _ in range(min(count, MAX_MODELS - len(self.resources))):
            resource_id = prefix + seeded_uuid(source)
            self.resources[resource_id] = SimResource(resource_id, kind, phase)
            created.append(resource_id)
        return created

    def of_kind(self, kind: str) -> list[SimResource]:
        found = (self.resource(r) for r in list(self.resources))
        return [r for r in found if r is not None and r.kind == kind]

    def settle(self, job: SimJob) -> None:
        if job.settled or self.clock() < job.ends_at:
            return
        job.settled = True
        resource = self.resources.get(job.resource_id)
        if resource is None:
            return
        if resource.pending_job == job.dock_status_id:
            resource.pending_job = resource.pending_action = None
        if job.outcome == "SUCCESS":
            resource.phase = Phase.DEPLOYED if job.action == "DEPLOY" else Phase.READY

    def resource(self, resource_id: str) -> SimResource | None:
        resource = self.resources.get(resource_id)
        if resource is not None and resource.pending_job:
            pending = self.jobs.get(resource.pending_job)
            if pending is None:
                resource.pending_job = resource.pending_action = None
            else:
                self.settle(pending)
        return resource

    def start_job(
        self, resource: SimResource, action: str, *, fresh_not_found: float, unknown_status: float
    ) -> SimJob:
        low, high = self.job_seconds
        now = self.clock()
        duration = self.rng.uniform(low, high) if high > 0 else 0.0
        outcome = "FAILED" if self.rng.random() < self.fail_rate else "SUCCESS"
        # Drawn above all the same, so a forced outcome leaves every later ID unchanged.
        outcome = self._take_outcome(resource.resource_id, action) or outcome
        job = SimJob(
            dock_status_id="ds-" + seeded_uuid(self.rng),
            resource_id=resource.resource_id,
            kind=resource.kind,
            action=action,
            created=now,
            ends_at=now + duration,
            outcome=outcome,
        )
        if duration > 0 and self.rng.random() < unknown_status:
            job.weird_status = self.rng.choice(["QUEUED", "PENDING_APPROVAL", "in_progress"])
        if self.rng.random() < fresh_not_found:
            job.not_found_until = now + min(0.5, duration or 0.5)
        self._evict_if_full()
        self.jobs[job.dock_status_id] = job
        resource.pending_job = job.dock_status_id
        resource.pending_action = action
        self.settle(job)
        return job

    def _take_outcome(self, resource_id: str, action: str) -> str | None:
        for index, item in enumerate(self.forced_outcomes):
            if (
                item.get("resource", resource_id) == resource_id
                and item.get("action", action) == action
            ):
                del self.forced_outcomes[index]
                return item["status"]
        return None

    def _evict_if_full(self) -> None:
        while len(self.jobs) >= MAX_JOBS:
            oldest = next(iter(self.jobs))
            self.settle(self.jobs[oldest])
            del self.jobs[oldest]

    def reset_counters(self) -> None:
        self.requests.clear()
        for counters in (*self.received.values(), *self.accepted.values()):
            counters.clear()
        self.request_log.clear()
