"""``GET /api/public/dock-status/{dockStatusId}``: every job, whatever started it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from kore_tui.simulator.envelopes import envelope

if TYPE_CHECKING:
    from kore_tui.simulator.server import Simulator


class DockStatusRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/public/dock-status/{ds_id:[^/]+}", self.dock_status)

    async def dock_status(self, request: web.Request) -> web.StreamResponse:
        state = self.sim.state
        ds_id = request.match_info["ds_id"]
        job = state.jobs.get(ds_id)
        now = state.clock()
        if job is None or now < job.not_found_until:
            return envelope(
                404, "NOT_FOUND", f"Dock status {ds_id[:80]} not found", self.sim.simple_envelope()
            )
        state.settle(job)
        # The documented shape: "toolId" carries the resource's ID for models too.
        return web.json_response(
            {
                "_id": job.dock_status_id,
                "toolId": job.resource_id,
                "jobType": job.job_type,
                "action": job.action,
                "status": job.status(now),
            }
        )
