"""The tracking engine: resource IDs in, tracked jobs out.

It runs on one asyncio loop (the CLI's, or a dedicated thread's for the
console) and writes immutable job snapshots into a :class:`JobStore`. This
file holds the operations the interfaces call; each of the engine's other
jobs has its own file:

* engine_setup.py: the engine's parts wired together, started and closed;
* engine_lookups.py: what the panel and the journal say of a resource's or an ID's past;
* admission.py: IDs to admitted jobs (one live job per resource, any action);
* bounce.py: a bounce's redeploy, admitted only after a verified undeploy;
* outcomes.py: what an answer means for a job (the safety model, pure);
* protocol.py: one turn of one job (send the POST, check the dock status);
* job_commands.py: the operator's re-check, retry and stop of shown jobs;
* scheduler.py: when each job's next request goes out (heap, caps, pauses);
* job_writer.py: every change to a job (store, journal group commit);
* host_health.py: the host's health, 429 pauses, a refused key;
* following.py: jobs of other processes sharing the journal.

Safety rules, in the order they matter at 3 a.m.:

* The intent (state SUBMITTING) is committed to the journal *before* the
  POST is sent; if the journal cannot be written, nothing is sent.
* A POST (undeploy or deploy) is re-sent only when it certainly never reached
  the server (connection refused, connect timeout, 429). Any other doubt
  (read timeout, reset after send, 5xx, an unreadable 200) ends in UNKNOWN.
* A resource with an active job is never submitted again by this engine,
  whatever the action; deploy parameters are validated before anything is queued.
* Read-only mode refuses undeploy, deploy, bounce and retry here, whatever the
  interface does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace

from kore_tui.core.deploy_params import DeployParams
from kore_tui.core.engine_lookups import EngineLookups
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.ids import DOCK_STATUS_PREFIX, path_segment
from kore_tui.core.job import Job, JobState, utc_now
from kore_tui.core.job_commands import ReadOnlyError
from kore_tui.core.key_check import probe_key
from kore_tui.core.lease import is_alive
from kore_tui.core.resources import Action
from kore_tui.core.secret import Secret
from kore_tui.core.watch_outcome import WatchOutcome

__all__ = ["Engine", "EngineSettings", "ReadOnlyError", "WatchOutcome"]


class Engine(EngineLookups):
    """Operations (call on the engine's loop); wiring and lifecycle in engine_setup.py."""

    # -- operations (call on the engine's loop) -----------------------------------------

    def undeploy(self, ids: Iterable[str]) -> list[Job]:
        """Queue an undeploy per model or tool (mixed), once per resource across processes.

        A resource that already has a live job (here or in another process, per the
        journal), whatever its action, is joined: its job is tracked, nothing is sent.
        One whose last job is UNKNOWN is shown and left for an explicit retry. Returns
        one job per resource, in the given order.
        """
        self._refuse_if_read_only("undeploy")
        self._ensure_owner()
        jobs = self._admission.start(Action.UNDEPLOY, ids, DeployParams()).jobs
        # A live DEPLOY of the resource was joined: the undeploy asked for was not sent (a
        # break-it run's "undeploy --wait" read the deploy's SUCCESS and exited 0).
        self._not_started(
            [j for j in jobs if j.action != Action.UNDEPLOY], "undeploy not sent", "undeploy"
        )
        return jobs

    def deploy(self, ids: Iterable[str], params: DeployParams) -> list[Job]:
        """Queue a deploy per model or tool, under the same rules as :meth:`undeploy`.
        Models need ``params.model`` (ValueError otherwise, nothing queued); tools use
        ``params.tool``. Parameters are validated before anything is queued."""
        self._refuse_if_read_only("deploy")
        self._ensure_owner()
        jobs = self._admission.start(Action.DEPLOY, ids, params).jobs
        # A live UNDEPLOY of the resource was joined: tracking it is right, but the deploy
        # asked for was not sent (a runbook's "undeploy, then deploy --wait" read its
        # SUCCESS as the model being back, exit 0).
        self._not_started(
            [j for j in jobs if j.action != Action.DEPLOY], "deploy not sent", "deploy"
        )
        return jobs

    def bounce(self, ids: Iterable[str], params: DeployParams) -> list[Job]:
        """Undeploy, then deploy with ``params`` once the undeploy is verified SUCCESS
        (see bounce.py). Returns the first halves; each redeploy is a job of its own."""
        self._refuse_if_read_only("bounce")
        self._ensure_owner()
        jobs, created = self._admission.start(Action.UNDEPLOY, ids, params, then=Action.DEPLOY)
        self._bounces.mine.update(created)
        # A live job of the resource was joined (an undeploy of another run, say): it is
        # not this bounce's undeploy, so no redeploy follows it. As a bounce of an already
        # undeployed model stops at its 409, this one does not start. Another process's
        # bounce too: its redeploy is that process's (a joined first half of a bounce was
        # taken for this run's own, and a CLI bounce exited 0 having started nothing).
        self._not_started(  # (a bounce of its own still live here goes on: not joined)
            [j for j in jobs if j.key not in self._bounces.mine],
            "bounce not started: its redeploy will not be sent",
            "deploy",
        )
        return jobs

    def _not_started(self, joined: list[Job], what: str, again: str) -> None:
        for job in joined:
            self.not_started.add(job.key)
            live = self.notes.get(job.key, f"a {job.action} job of it is live")
            # An UNKNOWN job has ended: what it waits for is its outcome, not its end.
            when = "'s outcome is known" if job.state is JobState.UNKNOWN else " has ended"
            self.notes[job.key] = f"{live}; {what} ({again} it once that job{when})"

    def follows(self, key: str) -> bool:
        """Whether the job is another live process's, shown here from the journal: that
        process sends and checks it, not this one."""
        return key in self._following

    def watch(self, dock_status_ids: Iterable[str]) -> list[Job]:
        # Any row already showing this dock status (say, resumed from the journal) is enough;
        # a second row for the same job would only confuse. Re-check refreshes a final one.
        watched = {j.dock_status_id for j in self.store.snapshot()}
        jobs = []
        for dock_status_id in dock_status_ids:
            normalized = path_segment(dock_status_id, DOCK_STATUS_PREFIX)
            if normalized in watched:
                continue
            watched.add(normalized)
            jobs.append(
                replace(
                    self._admission.new_job(
                        "watch", None, normalized, JobState.IN_PROGRESS, resource=None
                    ),
                    action="?",
                    submitted_at=utc_now(),
                )
            )
        if jobs:
            if self.journal is not None:
                self._ensure_owner()
                # raises JournalError: nothing is queued then
                self.journal.record(jobs, "watching an existing dock status ID")
            self._track_new(jobs)
        return jobs

    def watch_or_recheck(self, dock_status_ids: Iterable[str]) -> WatchOutcome:
        """What "watch these IDs" means to an operator: a new row per ID not shown yet; an
        ID already shown is checked again (a stopped one is tracked again, as re-check
        does) unless it is verified final (SUCCESS, FAILED); the ID of an attempt a retry
        replaced names its job (see earlier_attempts). Never a second row."""
        wanted = list(dict.fromkeys(path_segment(d, DOCK_STATUS_PREFIX) for d in dock_status_ids))
        earlier = self.earlier_attempts(wanted)
        shown = {j.dock_status_id: j for j in self.store.snapshot()}
        again = [shown[d] for d in wanted if d in shown]
        replaced = {d for d, _ in earlier}
        new = self.watch([d for d in wanted if d not in shown and d not in replaced])
        rechecked = [j for j in again if self._commands.recheck(j.key)]
        final = [j for j in again if j not in rechecked]
        return WatchOutcome(new, rechecked, final, earlier)

    def resume_unfinished(self, *, timed_out_since: str | None = None) -> list[Job]:
        """Pick up the journal's unfinished jobs for this environment; never re-POST.

        Jobs of another live process are followed (shown, not touched); the jobs of a
        process that is gone are taken over. With ``timed_out_since`` (an ISO time),
        jobs that timed out since then are re-checked too.
        """
        if self.journal is None:
            return []
        self._ensure_owner()
        candidates = [
            j for j in self.journal.unfinished(self.env.name, self.env.host) if j.tracking
        ]
        if timed_out_since is not None:
            candidates += self.journal.timed_out_since(
                self.env.name, self.env.host, timed_out_since
            )
        resumed = self._following.resume(candidates)
        stranded = self.journal.stranded_bounces(self.env.name, self.env.host)
        owners = self.journal.owner_records(j.owner for j in stranded if j.owner)
        gone = [j for j in stranded if not is_alive(owners.get(j.owner or ""))]
        return resumed + self._bounces.report_stranded(gone)

    def show_other_runs(self) -> None:
        """The console's: jobs other processes start on this environment from now on are
        shown too (followed while their process tracks them); see Following.show_new_jobs."""
        journal = self.journal
        if journal is None:
            return
        since = [utc_now(), utc_now()]  # created since, changed since

        def found() -> list[Job]:
            jobs = journal.created_since(self.env.name, self.env.host, since[0])
            if jobs:  # ">=": a job stamped in the same millisecond is found next time too
                since[0] = jobs[-1].created_at
            return jobs

        def changed() -> list[Job]:
            jobs = journal.changed_since(self.env.name, self.env.host, since[1])
            if jobs:
                since[1] = jobs[-1].updated_at
            return jobs

        self._following.show_new_jobs(found, changed)

    def stopped_unfinished(self) -> list[Job]:
        """The journal's jobs of this environment that are not final and whose tracking
        was stopped (x): never resumed on their own (the operator's word), but not to be
        forgotten either."""
        if self.journal is None:
            return []
        return [j for j in self.journal.unfinished(self.env.name, self.env.host) if not j.tracking]

    def track_again(self, dock_status_ids: Iterable[str]) -> list[Job]:
        """The journal's stopped jobs (x) asked for by dock status ID, tracked again:
        ``status ds-…`` on one made a second row for the same job, and the first stayed
        'tracking stopped' for good."""
        wanted = {path_segment(d, DOCK_STATUS_PREFIX) for d in dock_status_ids}
        if not wanted:  # no journal read for a status run that names no ID
            return []
        again = [
            replace(j, tracking=True)
            for j in self.stopped_unfinished()
            if j.dock_status_id in wanted
        ]
        return self._following.resume(again) if again else []

    def recheck(self, keys: Iterable[str]) -> int:
        """Check ended jobs that have a dock status ID again, with a fresh deadline."""
        return sum(self._commands.recheck(key) for key in keys)

    def retry(self, keys: Iterable[str]) -> int:
        """Re-send the job's own action, with its recorded parameters, for FAILED/UNKNOWN/
        ERROR jobs (and timed-out ones that were never sent): only on the operator's word,
        and never while the same resource has a live job anywhere (the journal is checked
        in the same transaction). Refused in read-only mode."""
        return sum(self._commands.retry(key) for key in keys)

    def stop_tracking(self, keys: Iterable[str]) -> int:
        """Stop any job that is not final, saying honestly where it stands."""
        return sum(self._commands.stop(key) for key in keys)

    # -- authentication -----------------------------------------------------------------

    @property
    def auth_blocked(self) -> bool:
        return self._host.health.auth_error is not None

    def start_key_check(self) -> None:
        """Ask the platform, in the background, whether the key is accepted (the console
        does when it opens an environment; core/key_check.py). On the engine's loop."""
        if self._key_check is not None:
            self._key_check.cancel()
        self._key_check = asyncio.get_running_loop().create_task(
            probe_key(self.client, self._host, self._auth)
        )

    @property
    def held_keys(self) -> frozenset[str]:
        return frozenset(self._auth.keys)

    def replace_key(self, key: Secret) -> int:
        """A new key from the operator: clear the refusal and send what was held."""
        self.client.replace_key(key)
        held = self._auth.release()
        self._host.update(auth_error=None)
        for job_key in held:
            self._scheduler.schedule(job_key, 0.0)
        if not held:
            # Nothing to send: ask about the new key now. An idle environment said "AUTH
            # FAILED, no OK answer yet" after a good key until a request happened to go
            # out; a new key that is refused too is found at once.
            self.start_key_check()
        return len(held)

    def abandon_held(self) -> None:
        """The key was refused and no new one will come (the CLI): end what was held."""
        self._commands.abandon_held(self._host.health.auth_error or "the API key was refused")

    # -- pause and settle ---------------------------------------------------------------

    def pause(self) -> None:
        self._scheduler.pause()
        self._host.update(user_paused=True)

    def resume(self) -> None:
        self._scheduler.resume()
        self._host.update(user_paused=False)

    @property
    def paused(self) -> bool:
        return self._scheduler.paused

    def all_settled(self) -> bool:
        return self._writer.all_settled()

    async def wait_settled(self) -> None:
        await self._writer.wait_settled()
