"""The engine's output: a thread-safe table of job snapshots plus host health.

Readers (the console's refresh timer, the CLI's progress line) take what
they need at their own pace: ``drain_changed`` hands over the keys changed
since the last call, in one batch; nothing is pushed per HTTP response.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from kore_tui.core.job import Job, JobState


@dataclass(frozen=True)
class HostHealth:
    last_success_wall: float | None = None
    errors: int = 0
    paused_until_wall: float | None = None
    user_paused: bool = False
    journal_error: str | None = None
    last_error: str | None = None
    last_error_wall: float | None = None  # when last_error happened: is it still news?
    # Set while the platform refuses the key (401/403): nothing is sent until a new key.
    auth_error: str | None = None


class JobStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        # An ordered set (dict keys): readers see new jobs in the order they were created.
        self._changed: dict[str, None] = {}
        self._health = HostHealth()
        self.in_flight = 0  # requests on the wire right now (engine thread writes, UI reads)

    def put(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.key] = job
            self._changed[job.key] = None

    def put_many(self, jobs: list[Job]) -> None:
        with self._lock:
            for job in jobs:
                self._jobs[job.key] = job
                self._changed[job.key] = None

    def remove(self, key: str) -> None:
        with self._lock:
            if self._jobs.pop(key, None) is not None:
                self._changed[key] = None

    def get(self, key: str) -> Job | None:
        return self._jobs.get(key)

    def snapshot(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def drain_changed(self) -> tuple[list[Job], list[str]]:
        """(changed jobs, removed keys) since the previous drain."""
        with self._lock:
            keys, self._changed = self._changed, {}
            jobs = [self._jobs[k] for k in keys if k in self._jobs]
            removed = [k for k in keys if k not in self._jobs]
            return jobs, removed

    def counts(self) -> Counter[JobState]:
        with self._lock:
            return Counter(job.state for job in self._jobs.values())

    @property
    def health(self) -> HostHealth:
        return self._health

    def set_health(self, health: HostHealth) -> None:
        self._health = health

    def __len__(self) -> int:
        return len(self._jobs)
