"""How the host is doing, as the interfaces show it: successes, errors, 429
pauses, a refused key. The engine reports here; the store carries it out."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from typing import Any

from kore_tui.core.errors import BadRequestError, ConflictError, NotFoundError
from kore_tui.core.job import JobState
from kore_tui.core.store import HostHealth, JobStore
from kore_tui.core.text import inert

ANSWERS_ABOUT_ONE_JOB = (BadRequestError, NotFoundError, ConflictError)


class HostMonitor:
    def __init__(
        self, store: JobStore, rng: random.Random, *, default_pause: float, max_pause: float
    ) -> None:
        self._store = store
        self._rng = rng
        self._default_pause = default_pause
        self._max_pause = max_pause
        self._health = HostHealth()
        self._consecutive_429 = 0

    @property
    def health(self) -> HostHealth:
        return self._health

    def update(self, **changes: Any) -> None:
        self._health = replace(self._health, **changes)
        self._store.set_health(self._health)

    def record_success(self) -> None:
        self._consecutive_429 = 0
        self.update(last_success_wall=time.time())

    def record_error(self, exc: BaseException) -> None:
        """A request failed. A refusal about the one model or job asked for (400, 404, 409)
        is the host answering, and answering well: the job's row says why it was refused.
        What counts as the host's errors is its trouble: no answer, a timeout, a 5xx, a
        refused key, a reply that cannot be read."""
        if isinstance(exc, ANSWERS_ABOUT_ONE_JOB):
            self.record_success()
            return
        self.update(
            errors=self._health.errors + 1,
            last_error=inert(str(exc), 160),
            last_error_wall=time.time(),
        )

    def rate_limit_pause(self, retry_after: float | None) -> float:
        """How long the whole host waits after this 429: Retry-After when given, else a
        pause that doubles with each 429 in a row."""
        self._consecutive_429 += 1
        if retry_after is None:
            retry_after = min(
                self._max_pause, self._default_pause * 2 ** (self._consecutive_429 - 1)
            )
        # Retry-After is a minimum; jitter only ever adds, so clients do not return in step.
        return retry_after * (1 + self._rng.uniform(0.0, 0.1)) + self._rng.uniform(0.0, 0.1)

    def host_paused(self, seconds: float | None) -> None:
        """The scheduler paused the host for ``seconds`` (None: the pause is over)."""
        self.update(paused_until_wall=None if seconds is None else time.time() + seconds)


class AuthHold:
    """While the platform refuses our key (401/403), nothing is sent: jobs wait here
    until a new key comes (or the CLI, which cannot ask for one, ends them)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        # A refused POST may be a missing scope (reads still work); a refused read means
        # the key itself is refused, so nothing is sent at all.
        self._blocks_posts = False
        self._blocks_polls = False

    def blocks(self, state: JobState) -> bool:
        """Would a job in this state send with a refused key?"""
        return (state is JobState.QUEUED and self._blocks_posts) or (
            state is JobState.IN_PROGRESS and self._blocks_polls
        )

    def hold(self, key: str, state: JobState) -> None:
        self._blocks_posts = True
        if state is JobState.IN_PROGRESS:
            self._blocks_polls = True
        self.keys.add(key)

    def refuse_all(self) -> None:
        """The key was refused before any job (the console's check at connect)."""
        self._blocks_posts = self._blocks_polls = True

    def release(self) -> set[str]:
        """A new key: nothing is blocked any more; returns the keys that were held."""
        held, self.keys = self.keys, set()
        self._blocks_posts = self._blocks_polls = False
        return held
