"""What the panel (the store) and the journal say of a resource's or an ID's past: the
questions the console asks before an undo, a redeploy or a watch. The journal is asked when
there is one (it holds every process's jobs); the store otherwise."""

from __future__ import annotations

from collections.abc import Iterable

from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams
from kore_tui.core.engine_setup import EngineSetup
from kore_tui.core.ids import DOCK_STATUS_PREFIX, MODEL_PREFIX, path_segment
from kore_tui.core.job import Job, JobState
from kore_tui.core.resources import Action


class EngineLookups(EngineSetup):
    def redeployed_since(self, undeploy: Job) -> Job | None:
        """A deploy of ``undeploy``'s resource created after it that has not failed (an
        undo, a deploy, a bounce's second half; this process's or another's): undoing
        ``undeploy`` again would deploy the resource twice. None: nothing since."""
        if not undeploy.model_id:
            return None
        if self.journal is not None:
            return self.journal.deploy_since(
                self.client.host, undeploy.model_id, undeploy.created_at
            )
        later = [
            j
            for j in self.store.snapshot()
            if j.model_id == undeploy.model_id
            and j.action == Action.DEPLOY
            and j.created_at > undeploy.created_at
            and j.state not in (JobState.FAILED, JobState.ERROR)
        ]
        return max(later, key=lambda j: j.created_at, default=None)

    def recorded_deploy_params(self, model_id: str) -> ModelDeployParams | None:
        """The parameters of the last deploy of this model on this host made through
        kore-tui (the journal's record), or None."""
        normalized = path_segment(model_id, MODEL_PREFIX)
        if self.journal is not None:
            job = self.journal.last_deploy(self.client.host, normalized)
        else:
            deploys = [
                j
                for j in self.store.snapshot()
                if j.model_id == normalized
                and j.params  # a DEPLOY's, or a bounce's first half's (see last_deploy)
                and j.origin == "sent"
            ]
            job = max(
                deploys, key=lambda j: (j.state is JobState.SUCCESS, j.created_at), default=None
            )
        if job is None or job.params is None:
            return None
        try:
            return ModelDeployParams.from_json(job.params)
        except DeployParamsError:
            return None  # a record that no longer passes the checks is not reused

    def earlier_attempts(self, dock_status_ids: Iterable[str]) -> list[tuple[str, Job]]:
        """(ID, its job) for each ID, not shown as a row, of an attempt a retry replaced
        (an alert names the ID it saw), in any environment on this platform: a row of its
        own read FAILED for a resource whose retry had succeeded. A job of this environment
        found in the journal only is shown (show_found); another environment's is named,
        and shown only if the caller asks (status reports it)."""
        wanted = [path_segment(d, DOCK_STATUS_PREFIX) for d in dock_status_ids]
        jobs = self.store.snapshot()
        shown = {j.dock_status_id for j in jobs}
        replaced = {d: j for j in jobs for d in j.earlier_dock_status_ids}
        rest = [d for d in wanted if d not in shown and d not in replaced]
        if rest and self.journal is not None:
            found = self.journal.replaced_attempts(self.env.host, rest)
            for job in {j.key: j for j in found.values()}.values():
                if job.environment == self.env.name:
                    self.show_found(job)
            replaced.update(found)
        return [(d, replaced[d]) for d in dict.fromkeys(wanted) if d not in shown and d in replaced]

    def show_found(self, job: Job) -> Job:
        """Show a job found in the journal: as it is when final or stopped, else followed
        while its process tracks it, or taken over once that process is gone (as on
        resume); the job as shown."""
        if job.is_final or not job.tracking:
            self.store.put(job)
            return job
        self._ensure_owner()
        resumed = self._following.resume([job])
        return resumed[0] if resumed else self.store.get(job.key) or job
