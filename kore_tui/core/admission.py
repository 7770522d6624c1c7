"""From the operator's IDs to admitted jobs: one live job per resource, whatever the action.

Every action that changes the platform (undeploy, deploy, the first half of a
bounce) starts here, so a tool and a deploy never take a second code path. A
resource with a live job in this session is shown, not sent again; one with a
live or UNKNOWN job in the journal (this process or another) is joined or left
for an explicit retry; the check and the insert are one journal transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from kore_tui.core.deploy_params import DeployParams, parse_model_params
from kore_tui.core.following import ALREADY_HERE, Following
from kore_tui.core.ids import path_segment
from kore_tui.core.job import ACTIVE_STATES, Job, JobState, Transition, utc_now
from kore_tui.core.journal import Journal
from kore_tui.core.resources import JOB_TYPES, PREFIXES, Action, ResourceKind, resource_kind
from kore_tui.core.store import JobStore

_QUEUED_FOR = {
    (Action.UNDEPLOY, None): "queued for undeploy",
    (Action.DEPLOY, None): "queued for deploy",
    (Action.UNDEPLOY, Action.DEPLOY): "queued for bounce: undeploy, then deploy",
}


def params_for(kind: ResourceKind, params: DeployParams) -> dict[str, Any]:
    """The parameters a job of this kind records (and its deploy sends)."""
    if kind is ResourceKind.TOOL:
        return params.tool.to_json()
    assert params.model is not None
    return params.model.to_json()


class Started(NamedTuple):
    """What :meth:`Admission.start` queued: one job per resource, in the order given, and
    the keys of those this call created (the others were joined: live here or in another
    process)."""

    jobs: list[Job]
    created: set[str]


class Admission:
    def __init__(
        self,
        environment: str,
        host: str,
        store: JobStore,
        journal: Journal | None,
        following: Following,
        notes: dict[str, str],
        owner_id: Callable[[], str | None],
        track_new: Callable[[list[Job]], None],
    ) -> None:
        self._environment = environment
        self._host = host
        self._store = store
        self._journal = journal
        self._following = following
        self._notes = notes
        self._owner_id = owner_id
        self._track_new = track_new

    def new_job(
        self,
        origin: str,
        resource_id: str | None,
        dock_status_id: str | None,
        state: JobState,
        *,
        resource: str | None,
        action: str = Action.UNDEPLOY,
        params: dict[str, Any] | None = None,
        then: str | None = None,
        parent: str | None = None,
    ) -> Job:
        now = utc_now()
        job_type = JOB_TYPES[ResourceKind(resource)] if resource else None
        return Job(
            key=uuid.uuid4().hex,
            environment=self._environment,
            host=self._host,
            origin=origin,
            model_id=resource_id,
            dock_status_id=dock_status_id,
            state=state,
            action=str(action),
            job_type=job_type,
            resource=resource,
            created_at=now,
            updated_at=now,
            owner=self._owner_id(),
            params=params,
            then=then,
            parent=parent,
            timeline=(Transition(now, state, None),),
        )

    def start(
        self,
        action: Action,
        ids: Iterable[str],
        params: DeployParams,
        *,
        then: Action | None = None,
    ) -> Started:
        """Queue ``action`` once per resource (models and tools, in the given order).

        Raises InvalidIdError for a bad ID, ValueError (DeployParamsError included) when a
        model deploy has no or invalid parameters, JournalError when the journal cannot
        record the intents: nothing is queued then.
        """
        wanted: dict[str, ResourceKind] = {}
        for raw in ids:
            kind = resource_kind(raw)
            wanted.setdefault(path_segment(raw, PREFIXES[kind]), kind)
        deploys = action is Action.DEPLOY or then is Action.DEPLOY
        if deploys:
            self._check_params(wanted, params)
        mine = {
            j.model_id: j
            for j in self._store.snapshot()
            if j.state in ACTIVE_STATES and j.origin == "sent"
        }
        fresh = [
            self.new_job(
                "sent",
                resource_id,
                None,
                JobState.QUEUED,
                resource=kind,
                action=action,
                then=then,
                params=params_for(kind, params) if deploys else None,
            )
            for resource_id, kind in wanted.items()
            if resource_id not in mine
        ]
        admitted: list[Job] = fresh
        blocked: dict[str, Job] = {}
        if self._journal is not None and fresh:
            admitted, blocked = self._journal.admit(fresh, _QUEUED_FOR[(action, then)])
        self._track_new(admitted)
        by_id: dict[str | None, Job] = {j.model_id: j for j in admitted}
        for job in fresh:
            if job.key in blocked:
                by_id[job.model_id] = self._following.join(blocked[job.key])
        for known, job in mine.items():
            if known in wanted:
                self._notes[job.key] = ALREADY_HERE
                by_id[known] = job
        return Started([by_id[r] for r in wanted if r in by_id], {j.key for j in admitted})

    @staticmethod
    def _check_params(wanted: dict[str, ResourceKind], params: DeployParams) -> None:
        models = [r for r, kind in wanted.items() if kind is ResourceKind.MODEL]
        if not models:
            return
        if params.model is None:
            more = f" and {len(models) - 1} more" if len(models) > 1 else ""
            raise ValueError(
                f"deploying a model needs its parameters (model type, name, device type, "
                f"hyper-parameters); none were given for {models[0]}{more}"
            )
        # A ModelDeployParams built by hand skipped the checks: nothing unchecked is sent.
        parse_model_params(params.model.to_json(), source="deploy parameters")
