"""What both halves of a job's turn share: the runner's parts, applying an outcome,
the deadline arithmetic and the in-flight count.

protocol.py (the POST) and protocol_poll.py (the dock-status check) build on it; the
order of things the safety model depends on is theirs, not this file's.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from typing import Any

from kore_tui.core import errors
from kore_tui.core.api_client import KoreClient
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.host_health import AuthHold, HostMonitor
from kore_tui.core.job import Job, utc_now
from kore_tui.core.job_writer import JobWriter
from kore_tui.core.outcomes import Outcome, RequestError
from kore_tui.core.scheduler import Scheduler
from kore_tui.core.store import JobStore
from kore_tui.core.text import inert
from kore_tui.core.track import Track

# The engine's own timeout only backs up the client's budget, which fires first and says
# whether the request was written (a re-send is safe only if it was not).
BACKSTOP = 0.5


class RunnerBase:
    def __init__(
        self,
        client: KoreClient,
        store: JobStore,
        writer: JobWriter,
        scheduler: Scheduler,
        host: HostMonitor,
        auth: AuthHold,
        settings: EngineSettings,
        clock: Callable[[], float],
        rng: random.Random,
        *,
        read_only: bool,
    ) -> None:
        self.client = client
        self._store = store
        self._writer = writer
        self._scheduler = scheduler
        self._host = host
        self._auth = auth
        self._settings = settings
        self._clock = clock
        self._rng = rng
        self._read_only = read_only
        self.unexpected_errors = 0

    # -- applying outcomes --------------------------------------------------------------

    def _apply(
        self,
        job: Job,
        track: Track,
        outcome: Outcome,
        exc: RequestError | None = None,
        **reply: Any,
    ) -> Job:
        track.tries = outcome.tries
        changes: dict[str, Any] = dict(
            state=outcome.state,
            error=outcome.error,
            error_kind=outcome.error_kind,
            http_status=outcome.http_status,
            **reply,
        )
        if outcome.stale is not None:
            changes["stale"] = outcome.stale
        if outcome.polled:
            changes["polls"] = job.polls + 1
        if outcome.checked:
            changes["last_checked_at"] = utc_now()
        if any(getattr(job, name) != value for name, value in changes.items()):
            job = self._writer.set(job, detail=outcome.detail, **changes)
        if outcome.hold and isinstance(exc, errors.ApiError):
            self._hold_for_auth(job, exc)
        if outcome.again_in is not None:
            self._scheduler.schedule(job.key, outcome.again_in)
        return job

    def _hold_for_auth(self, job: Job, exc: errors.ApiError) -> None:
        self._auth.hold(job.key, job.state)
        if self._host.health.auth_error is None:
            self._host.update(auth_error=inert(f"the platform refused the API key ({exc})", 200))
        self._writer.set(job, error=f"waiting for a valid API key: {exc}", http_status=exc.status)

    def _wait_after(self, exc: RequestError | None, failures: int) -> float:
        """The wait before the next try, if the outcome allows one: after a 429 the whole
        host pauses (whatever becomes of this job), otherwise a backoff for ``failures``."""
        if isinstance(exc, errors.RateLimitedError):
            return self._scheduler.pause_host(self._host.rate_limit_pause(exc.retry_after))
        return self._settings.schedule.failure_delay(failures, self._rng)

    def _left(self, track: Track) -> float:
        return track.deadline - self._clock()

    def _budget(self, track: Track) -> float:
        """The client's own budget (it knows whether a cut-off request was sent), never more
        than what is left of the job's deadline."""
        return min(self.client.budget, self._time_left(track))

    def _time_left(self, track: Track) -> float:
        """The request's budget: what is left of the job's deadline (a small floor so a
        request due exactly at the deadline still gets one honest try)."""
        return max(self._left(track), 1.0)

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        # A plain counter on the store, not a HostHealth copy: this runs twice per request.
        self._store.in_flight += 1
        try:
            yield
        finally:
            self._store.in_flight -= 1
