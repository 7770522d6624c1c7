"""The dock-status GET of one job's turn: ask, and apply what the answer means.

Every answer becomes an Outcome in outcomes.py; this file only asks and applies.
"""

from __future__ import annotations

import asyncio
from typing import Any

from kore_tui.core import errors, outcomes
from kore_tui.core.answer_match import about_another_job, mismatch
from kore_tui.core.job import Job
from kore_tui.core.models import DockStatus
from kore_tui.core.outcomes import REQUEST_ERRORS
from kore_tui.core.protocol_base import BACKSTOP, RunnerBase
from kore_tui.core.text import inert
from kore_tui.core.track import Track

_RESOURCE_OF_JOB_TYPE = {"MODELS": "model", "TOOLS": "tool"}


class PollPath(RunnerBase):
    async def _poll(self, job: Job, track: Track) -> None:
        assert job.dock_status_id is not None
        try:
            with self._in_flight():
                async with asyncio.timeout(self._time_left(track) + BACKSTOP):
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
        reply = status_reply
        if reason := mismatch(job, reply.tool_id, reply.action, reply.dock_status_id):
            self._apply(
                job,
                track,
                about_another_job(reason, track.tries),
                **self._reply_fields(job, status_reply),
            )
            return
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
