"""What deploy and undeploy share, for models and tools alike: lookup, conflicts, the job.

The state rules (see :mod:`kore_tui.simulator.state`): undeploy needs a deployed resource
with no job running, deploy a resource that is not deployed, has no job running, and (for
a model) has been deployed once in the web UI. The checks run in the platform's order:
unknown resource (404), bad request (400), then conflicts (409).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kore_tui.simulator.envelopes import envelope
from kore_tui.simulator.state import Phase, SimJob, SimResource

if TYPE_CHECKING:
    from kore_tui.simulator.server import Simulator

_IDS = {
    "model": re.compile(r"cm-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "tool": re.compile(r"a-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
}
_FINAL = frozenset({"SUCCESS", "FAILED"})
# How often a synchronous deploy looks at the clock while it waits for its job.
_SYNC_STEP = 0.05


class Lifecycle:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def error(self, status: int, code: str, message: str) -> web.Response:
        return envelope(status, code, message, self.sim.simple_envelope())

    def lookup(self, kind: str, resource_id: str, action: str) -> SimResource | web.Response:
        """The resource, counted as accepted for ``action``; or the 404 answer."""
        found = self.sim.state.resource(resource_id) if _IDS[kind].fullmatch(resource_id) else None
        if found is None or found.kind != kind:
            return self.error(404, "NOT_FOUND", f"{kind.capitalize()} {resource_id[:80]} not found")
        self.sim.state.accepted[action][found.resource_id] += 1
        return found

    async def json_body(self, request: web.Request) -> Any:
        """The parsed body (None when empty), or an error answer to send instead."""
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self.error(413, "PAYLOAD_TOO_LARGE", "The request body is too large")
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self.error(400, "VALIDATION_ERROR", "The request body is not valid JSON")

    def invalid(self, problems: list[str]) -> web.Response:
        return self.error(400, "VALIDATION_ERROR", "; ".join(problems))

    def undeploy_conflict(self, resource: SimResource) -> web.Response | None:
        noun = resource.kind.capitalize()
        if resource.pending_job:
            return self.error(409, "CONFLICT", f"{noun} is already being undeployed or deployed")
        if not resource.deployed:
            return self.error(409, "CONFLICT", f"{noun} is not deployed")
        return None

    def deploy_conflict(self, resource: SimResource) -> web.Response | None:
        noun = resource.kind.capitalize()
        if resource.pending_job:
            return self.error(409, "CONFLICT", f"{noun} has a job in progress")
        if resource.deployed:
            return self.error(409, "CONFLICT", f"{noun} is already deployed")
        if resource.phase is Phase.NEVER_DEPLOYED:
            return self.error(
                400,
                "BAD_REQUEST",
                f"{noun} has never been deployed: its first deployment must be made in the "
                "platform's web UI (only a model in the Ready to Deploy state can be deployed "
                "by API)",
            )
        return None

    def start(self, resource: SimResource, action: str) -> SimJob:
        faults = self.sim.faults
        return self.sim.state.start_job(
            resource,
            action,
            fresh_not_found=faults.fresh_not_found,
            unknown_status=faults.unknown_status,
        )

    async def wait_until_final(self, job: SimJob) -> None:
        """Hold a synchronous answer until its job ends (or the simulator stops)."""
        state, stopping = self.sim.state, self.sim.stopping
        while not stopping.is_set() and state.clock() < job.ends_at:
            # Waiting on the stop event, not a bare sleep, so shutdown never waits for a job.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_SYNC_STEP):
                    await stopping.wait()
        state.settle(job)

    def answer(self, job: SimJob, id_key: str, spelling_key: str) -> web.Response:
        status = job.status(self.sim.state.clock())
        # A POST's answer never carries an odd in-between value: only Get Dock Status does.
        if status not in _FINAL:
            status = "IN_PROGRESS"
        return web.json_response(
            {
                spelling_key: job.dock_status_id,
                id_key: job.resource_id,
                "jobType": job.job_type,
                "action": job.action,
                "status": status,
            }
        )
