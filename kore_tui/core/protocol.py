"""One turn of one job: send its POST (undeploy or deploy), or check its dock status.

The scheduler calls :meth:`JobRunner.work` when a job is due. Every answer is
turned into an :class:`~kore_tui.core.outcomes.Outcome` by the pure functions
in outcomes.py and applied here; this file holds the order of things the
safety model depends on (the intent committed before the POST is sent, every
request bounded by the job's deadline) and nothing that decides an outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from kore_tui.core import errors, outcomes
from kore_tui.core.api_client import KoreClient
from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams, ToolDeployParams
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.host_health import AuthHold, HostMonitor
from kore_tui.core.ids import DOCK_STATUS_PREFIX, path_segment
from kore_tui.core.job import Job, JobState, utc_now
from kore_tui.core.job_writer import JobWriter
from kore_tui.core.journal import JournalError
from kore_tui.core.models import AcceptedJob, DockStatus
from kore_tui.core.outcomes import REQUEST_ERRORS, Outcome, RequestError
from kore_tui.core.resources import Action, ResourceKind
from kore_tui.core.scheduler import Scheduler
from kore_tui.core.store import JobStore
from kore_tui.core.text import inert
from kore_tui.core.track import Track

log = logging.getLogger("kore_tui.engine")

RequestParts = tuple[dict[str, Any] | None, dict[str, str] | None]


def request_parts(job: Job) -> RequestParts:
    """The POST's JSON body and query for this job, from its recorded parameters, checked
    again here (DeployParamsError): what is sent is always what passed the checks."""
    if job.action != Action.DEPLOY:
        return None, None
    if job.resource == ResourceKind.TOOL:
        return ToolDeployParams.from_json(job.params or {}).body(), None
    if job.params is None:
        raise DeployParamsError("recorded deploy", "", "no deploy parameters were recorded")
    params = ModelDeployParams.from_json(job.params, source="recorded deploy parameters")
    return params.body(), params.query()


_RESOURCE_OF_JOB_TYPE = {"MODELS": "model", "TOOLS": "tool"}
# The engine's own timeout only backs up the client's budget, which fires first and says
# whether the request was written (a re-send is safe only if it was not).
_BACKSTOP = 0.5


class JobRunner:
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

    async def work(self, key: str, gen: int) -> None:
        job = self._store.get(key)
        track = self._scheduler.tracks.get(key)
        if job is None or track is None or track.gen != gen or not job.tracking:
            return
        if self._auth.blocks(job.state):
            self._auth.keys.add(key)  # sent again by replace_key(), or ended by abandon_held()
            return
        try:
            if job.state is JobState.QUEUED:
                await self._submit(job, track)
            elif job.state is JobState.IN_PROGRESS and job.dock_status_id:
                await self._poll(job, track)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must cost one row, never the run
            self.unexpected_errors += 1
            log.exception("unexpected error while working on job %s", key)
            current = self._store.get(key) or job
            self._writer.set(
                current,
                state=JobState.ERROR,
                error_kind="internal",
                error=f"internal error: {type(exc).__name__}: {inert(str(exc), 160)}",
            )

    # -- the POST that starts the job ---------------------------------------------------

    async def _submit(self, job: Job, track: Track) -> None:
        if self._clock() >= track.deadline:
            self._apply(job, track, outcomes.not_sent_by_deadline(job, track.tries, self._settings))
            return
        if self._read_only:
            self._writer.set(
                job,
                state=JobState.ERROR,
                error_kind="read_only",
                error="read-only environment: not sent",
            )
            return
        try:
            parts = request_parts(job)
        except DeployParamsError as exc:
            self._writer.set(
                job, state=JobState.ERROR, error_kind="params", error=f"not sent: {exc}"
            )
            return
        job = self._writer.set(
            job,
            state=JobState.SUBMITTING,
            attempts=job.attempts + 1,
            submitted_at=utc_now(),
            error=None,
            http_status=None,
            detail=f"intent recorded; sending the {job.action.lower()} request",
        )
        try:
            await self._writer.intent_committed()
        except JournalError as exc:
            self._writer.set(
                job,
                state=JobState.ERROR,
                error_kind="journal",
                journal=False,
                error=f"not sent: {exc}",
            )
            return
        reply = await self._send(job, track, parts)
        if reply is not None:
            await self._accepted(job, track, reply)

    async def _send(self, job: Job, track: Track, parts: RequestParts) -> AcceptedJob | None:
        """The POST itself; None when it was not accepted (its outcome is applied)."""
        assert job.model_id is not None and job.resource is not None
        body, query = parts
        try:
            with self._in_flight():
                async with asyncio.timeout(self._time_left(track) + _BACKSTOP):
                    return await self.client.start_job(
                        job.resource,
                        job.action,
                        job.model_id,
                        body=body,
                        query=query,
                        budget=self._budget(track),
                    )
        except TimeoutError:
            self._apply(job, track, outcomes.post_cut_by_deadline(job, track.tries, self._settings))
        except REQUEST_ERRORS as exc:
            self._host.record_error(exc)
            self._apply(
                job,
                track,
                outcomes.after_post_error(
                    exc,
                    job,
                    track.tries,
                    settings=self._settings,
                    time_left=self._left(track),
                    wait=self._wait_after(exc, track.tries.connect_failures),
                ),
                exc,
            )
        return None

    async def _accepted(self, job: Job, track: Track, reply: AcceptedJob) -> None:
        self._host.record_success()
        try:
            dock_status_id = path_segment(reply.dock_status_id, DOCK_STATUS_PREFIX)
        except errors.InvalidIdError:
            self._apply(
                job,
                track,
                outcomes.unknown(
                    errors.ResponseFormatError(
                        f"the server answered with an unusable dock status ID "
                        f"{inert(reply.dock_status_id, 60)!r}"
                    ),
                    200,
                    track.tries,
                ),
            )
            return
        now = self._clock()
        track.started, track.deadline = now, now + self._settings.job_timeout
        track.tries = replace(track.tries, check_failures=0)
        self._writer.set(
            job,
            state=JobState.IN_PROGRESS,
            dock_status_id=dock_status_id,
            http_status=200,
            server_status=reply.status,
            last_response=reply.raw,
            action=inert(reply.action or job.action, 30),
            job_type=inert(reply.job_type, 30) if reply.job_type else job.job_type,
            detail=f"accepted: server says {reply.status}; verifying with Get Dock Status",
        )
        # Verify at once in this task and slot (the docs ask for it even after SUCCESS),
        # still honouring the host's rate cap and any 429 pause.
        accepted = self._store.get(job.key)
        await self._scheduler.rate_slot()
        if accepted is None or self._scheduler.held_back():
            self._scheduler.schedule(job.key, self._scheduler.host_pause_left())
            return
        await self._poll(accepted, track)

    # -- the dock-status GET ------------------------------------------------------------

    async def _poll(self, job: Job, track: Track) -> None:
        assert job.dock_status_id is not None
        try:
            with self._in_flight():
                async with asyncio.timeout(self._time_left(track) + _BACKSTOP):
                    status_reply = await self.client.dock_status(
                        job.dock_status_id, budget=self._budget(track)
                    )
        except TimeoutError:
            self._apply(
                job,
                track,
                outcomes.check_failed(
                    errors.RequestTimeoutError("no answer before the job's deadline"),
                    job,
                    track.tries,
                    wait=self._wait_after(None, track.tries.check_failures),
                    time_left=self._left(track),
                    settings=self._settings,
                ),
            )
            return
        except REQUEST_ERRORS as exc:
            self._host.record_error(exc)
            self._apply(
                job,
                track,
                outcomes.after_status_error(
                    exc,
                    job,
                    track.tries,
                    wait=self._wait_after(exc, track.tries.check_failures),
                    age=self._clock() - track.started,
                    time_left=self._left(track),
                    settings=self._settings,
                ),
                exc=exc,
            )
            return
        self._host.record_success()
        age = self._clock() - track.started
        self._apply(
            job,
            track,
            outcomes.after_status(
                status_reply.status,
                job,
                track.tries,
                next_poll=self._settings.schedule.next_delay(age, self._rng),
                time_left=self._left(track),
                settings=self._settings,
            ),
            **self._reply_fields(job, status_reply),
        )

    @staticmethod
    def _reply_fields(job: Job, status_reply: DockStatus) -> dict[str, Any]:
        """What the platform said about the job, as shown (sanitized, bounded)."""
        fields: dict[str, Any] = dict(
            last_response=status_reply.raw, server_status=status_reply.status
        )
        if job.origin == "watch":
            fields["action"] = inert(status_reply.action or "?", 30)
            fields["job_type"] = inert(status_reply.job_type, 30) if status_reply.job_type else None
            fields["resource"] = _RESOURCE_OF_JOB_TYPE.get(status_reply.job_type or "")
        if not job.model_id and status_reply.tool_id:
            fields["model_id"] = inert(status_reply.tool_id, 80)
        return fields

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
