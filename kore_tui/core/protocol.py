"""One turn of one job: send its POST (undeploy or deploy), or check its dock status.

The scheduler calls :meth:`JobRunner.work` when a job is due. Every answer is
turned into an :class:`~kore_tui.core.outcomes.Outcome` by the pure functions
in outcomes.py and applied here; this file holds the order of things the
safety model depends on (the intent committed before the POST is sent, every
request bounded by the job's deadline) and nothing that decides an outcome.
The POST path is here; the dock-status check is protocol_poll.py's, and what
both share (applying an outcome, deadlines) is protocol_base.py's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from kore_tui.core import errors, outcomes
from kore_tui.core.answer_match import about_another_job, mismatch
from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams, ToolDeployParams
from kore_tui.core.ids import DOCK_STATUS_PREFIX, path_segment
from kore_tui.core.job import Job, JobState, utc_now
from kore_tui.core.journal import JournalError
from kore_tui.core.models import AcceptedJob
from kore_tui.core.outcomes import REQUEST_ERRORS
from kore_tui.core.protocol_base import BACKSTOP
from kore_tui.core.protocol_poll import PollPath
from kore_tui.core.resources import Action, ResourceKind
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


class JobRunner(PollPath):
    """One turn of one job; the dock-status check is protocol_poll.py's, the shared parts
    protocol_base.py's."""

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
                async with asyncio.timeout(self._time_left(track) + BACKSTOP):
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
        if reason := mismatch(job, reply.resource_id, reply.action):
            outcome = about_another_job(reason, track.tries)
            self._apply(job, track, outcome, dock_status_id=dock_status_id, last_response=reply.raw)
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
            action=job.action,  # ours: an answer naming another was refused above
            job_type=inert(reply.job_type, 30) if reply.job_type else job.job_type,
            detail=f"accepted: server says {reply.status}; verifying with Get Dock Status",
        )
        first_check = outcomes.first_check_delay(
            reply.status, self._settings.schedule.next_delay(0.0, self._rng)
        )
        if first_check > 0:
            self._scheduler.schedule(job.key, first_check)
            return
        # A final answer is verified at once in this task and slot, still honouring the
        # host's rate cap and any 429 pause.
        accepted = self._store.get(job.key)
        await self._scheduler.rate_slot()
        if accepted is None or self._scheduler.held_back():
            self._scheduler.schedule(job.key, self._scheduler.host_pause_left())
            return
        await self._poll(accepted, track)

    # -- the dock-status GET ------------------------------------------------------------
