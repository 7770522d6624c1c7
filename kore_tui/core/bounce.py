"""A bounce's second half: the redeploy, admitted only once the undeploy is verified.

The first half is an UNDEPLOY job with ``then="DEPLOY"`` and the deploy parameters.
When it ends, this decides, once, and clears ``then`` (until then the job counts as
open work, see JobWriter.note_open):

* SUCCESS (verified with Get Dock Status) -> a DEPLOY job of its own is admitted
  through the journal, ``parent`` set to the first half's key (the admission refuses
  a second one for the same parent, across processes);
* anything else (FAILED, UNKNOWN, ERROR, TIMED_OUT) -> the redeploy is never sent,
  and the first half says why ("bounce stopped: ... the redeploy was not sent").

A bounce this process did not start (its first half taken over from a process that
is gone, or found SUCCESS with no second half after a restart) is reported, never
sent on its own: nobody here asked for that deploy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kore_tui.core.admission import Admission
from kore_tui.core.job import (
    BOUNCE_INCOMPLETE,
    BOUNCE_REDEPLOYED,
    BOUNCE_STOPPED,
    Job,
    JobState,
)
from kore_tui.core.job_writer import JobWriter, transitioned
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.resources import Action
from kore_tui.core.store import JobStore
from kore_tui.core.text import inert

STRANDED = (
    "bounce incomplete: the undeploy is SUCCESS but the redeploy was never sent (the "
    "bounce began in a process that stopped); deploy it explicitly if it is still wanted"
)


class Bounces:
    def __init__(
        self,
        store: JobStore,
        journal: Journal | None,
        writer: JobWriter,
        admission: Admission,
        track_new: Callable[[list[Job]], None],
    ) -> None:
        self._store = store
        self._journal = journal
        self._writer = writer
        self._admission = admission
        self._track_new = track_new
        self.mine: set[str] = set()  # first halves this engine admitted: it may continue them
        self._decided: set[str] = set()

    def on_final(self, job: Job) -> None:
        """The writer saw ``job`` reach a final state (called inside JobWriter.set: the
        decision runs next on the loop, outside the writer)."""
        if job.then is not None and job.key not in self._decided:
            self._decided.add(job.key)
            asyncio.get_running_loop().call_soon(self._decide, job.key)
        elif job.action == Action.DEPLOY and job.state is JobState.SUCCESS and job.model_id:
            asyncio.get_running_loop().call_soon(self._redeployed, job)

    def _redeployed(self, deploy: Job) -> None:
        """A verified deploy of a resource that a bounce left down: that bounce no longer
        leaves it down (its row read NO REDEPLOY for good, counted among the problems).
        Rows only in the journal too (a bounce this run never loaded: history and every
        later run read NO REDEPLOY after a CLI `deploy` had brought the model back)."""
        assert deploy.model_id is not None
        shown = [j for j in self._store.snapshot() if j.model_id == deploy.model_id]
        for job in shown:
            if job.redeploy_missing:
                self._writer.set(
                    job,
                    detail=REDEPLOYED_SINCE,
                    force_transition=True,
                    **_redeployed_by(job, deploy),
                )
        if self._journal is None:
            return
        keys = {j.key for j in shown}
        only_journaled = [
            transitioned(job, REDEPLOYED_SINCE, **_redeployed_by(job, deploy))
            for job in self._journal.left_down_resource(deploy.host, deploy.model_id)
            if job.key not in keys
        ]
        if only_journaled:
            # Through the writer's flush: a failed write shows as the banner's JOURNAL ERROR.
            self._journal.record(only_journaled, REDEPLOYED_SINCE, defer=True)
            self._writer.flush()

    def _decide(self, key: str) -> None:
        job = self._store.get(key)
        if job is None or job.then is None or not job.is_final:
            self._decided.discard(key)
            return
        if job.state is not JobState.SUCCESS:
            why = f" ({inert(job.error, 200)})" if job.error else ""
            self._stop(
                job,
                f"{BOUNCE_STOPPED}the undeploy ended {job.state.value}{why}; "
                "the redeploy was not sent",
            )
            return
        if key not in self.mine:
            self._stop(job, STRANDED)
            return
        second = self._admission.new_job(
            "sent",
            job.model_id,
            None,
            JobState.QUEUED,
            resource=job.resource,
            action=Action.DEPLOY,
            params=job.params,
            parent=job.key,
        )
        admitted: list[Job] = [second]
        blocked: dict[str, Job] = {}
        if self._journal is not None:
            try:
                admitted, blocked = self._journal.admit(
                    [second], "bounce: the undeploy is verified SUCCESS; queued for deploy"
                )
            except JournalError as exc:
                self._stop(
                    job,
                    f"{BOUNCE_STOPPED}the redeploy could not be recorded ({exc}); it was not sent",
                )
                return
        if blocked:
            existing = blocked[second.key]
            if existing.parent != job.key:
                self._stop(
                    job,
                    f"{BOUNCE_STOPPED}{job.model_id} already has a "
                    f"{existing.state.value} {existing.action} job; the redeploy was "
                    "not sent",
                )
            else:
                self._writer.set(job, then=None)  # another process continued it already
            return
        self._track_new(admitted)
        self._writer.set(
            job,
            then=None,
            force_transition=True,
            detail="bounce: undeploy verified SUCCESS; redeploy queued",
        )

    def _stop(self, job: Job, message: str) -> None:
        # A stop after a verified undeploy leaves the resource down under a SUCCESS row:
        # its own kind, so that every interface counts it as a problem (Job.redeploy_missing).
        kind = BOUNCE_INCOMPLETE if job.state is JobState.SUCCESS else job.error_kind
        self._writer.set(
            job,
            then=None,
            error=message,
            error_kind=kind,
            force_transition=True,
            detail=message,
        )

    def report_stranded(self, jobs: list[Job]) -> list[Job]:
        """First halves found SUCCESS with no second half (their process stopped). One
        whose resource a verified deploy has brought back since is reported as such: it
        read NO REDEPLOY (and `status` exited 1) after a CLI `deploy` had redeployed it."""
        reported = []
        for job in jobs:
            if self._store.get(job.key) is None:
                self._decided.add(job.key)
                self._stop(job, STRANDED)
                deploy = self._deploy_since(job)
                if deploy is not None:
                    self._redeployed(deploy)
                reported.append(self._store.get(job.key) or job)
        return reported

    def _deploy_since(self, job: Job) -> Job | None:
        if self._journal is None or not job.model_id:
            return None
        deploy = self._journal.deploy_since(job.host, job.model_id, job.created_at)
        return deploy if deploy is not None and deploy.state is JobState.SUCCESS else None


REDEPLOYED_SINCE = "bounce incomplete, redeployed since by a later deploy"


def _redeployed_by(job: Job, deploy: Job) -> dict[str, Any]:
    """The changes that say a bounce's resource is back (its row stays SUCCESS)."""
    return {
        "error_kind": BOUNCE_REDEPLOYED,
        "error": f"{job.error}; redeployed since ({deploy.updated_at})",
    }
