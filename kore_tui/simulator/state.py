"""The simulated platform's models and jobs. Time is read through a clock function
so that screenshots and tests can freeze or scale it."""

from __future__ import annotations

import random
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_MODELS = 100_000
MAX_JOBS = 200_000


@dataclass
class SimModel:
    model_id: str
    deployed: bool = True
    pending_job: str | None = None


@dataclass
class SimJob:
    dock_status_id: str
    model_id: str
    action: str
    created: float
    ends_at: float
    outcome: str
    weird_status: str | None = None
    not_found_until: float = 0.0
    settled: bool = False

    def status(self, now: float) -> str:
        if now >= self.ends_at:
            return self.outcome
        return self.weird_status or "IN_PROGRESS"


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class SimState:
    clock: Callable[[], float]
    rng: random.Random
    job_seconds: tuple[float, float]
    fail_rate: float
    models: dict[str, SimModel] = field(default_factory=dict)
    jobs: dict[str, SimJob] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    undeploy_received: Counter[str] = field(default_factory=Counter)
    undeploy_accepted: Counter[str] = field(default_factory=Counter)
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=50_000))

    def seed_models(self, count: int) -> list[str]:
        created = []
        for _ in range(min(count, MAX_MODELS - len(self.models))):
            model_id = "cm-" + seeded_uuid(self.rng)
            self.models[model_id] = SimModel(model_id)
            created.append(model_id)
        return created

    def settle(self, job: SimJob) -> None:
        if job.settled or self.clock() < job.ends_at:
            return
        job.settled = True
        model = self.models.get(job.model_id)
        if model is None:
            return
        if model.pending_job == job.dock_status_id:
            model.pending_job = None
        if job.outcome == "SUCCESS":
            model.deployed = job.action == "DEPLOY"

    def model(self, model_id: str) -> SimModel | None:
        model = self.models.get(model_id)
        if model is not None and model.pending_job:
            pending = self.jobs.get(model.pending_job)
            if pending is None:
                model.pending_job = None
            else:
                self.settle(pending)
        return model

    def start_job(
        self, model: SimModel, action: str, *, fresh_not_found: float, unknown_status: float
    ) -> SimJob:
        low, high = self.job_seconds
        now = self.clock()
        duration = self.rng.uniform(low, high) if high > 0 else 0.0
        outcome = "FAILED" if self.rng.random() < self.fail_rate else "SUCCESS"
        job = SimJob(
            dock_status_id="ds-" + seeded_uuid(self.rng),
            model_id=model.model_id,
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
        model.pending_job = job.dock_status_id
        self.settle(job)
        return job

    def _evict_if_full(self) -> None:
        while len(self.jobs) >= MAX_JOBS:
            oldest = next(iter(self.jobs))
            self.settle(self.jobs[oldest])
            del self.jobs[oldest]

    def reset_counters(self) -> None:
        self.requests.clear()
        self.undeploy_received.clear()
        self.undeploy_accepted.clear()
        self.request_log.clear()
