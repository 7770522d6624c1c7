"""``POST /api/public/tools/{toolId}/undeploy`` and ``.../deploy`` with ``{"isAsync": …}``.

A synchronous deploy (``isAsync: false``) answers only once its job has ended, with
SUCCESS or FAILED in the answer; an asynchronous one answers IN_PROGRESS at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from kore_tui.simulator.lifecycle import Lifecycle
from kore_tui.simulator.validation import tool_deploy_problems

if TYPE_CHECKING:
    from kore_tui.simulator.server import Simulator

_ID = r"[^/]+"


class ToolRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.life = Lifecycle(sim)

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post(f"/api/public/tools/{{tool_id:{_ID}}}/undeploy", self.undeploy)
        router.add_post(f"/api/public/tools/{{tool_id:{_ID}}}/deploy", self.deploy)

    async def undeploy(self, request: web.Request) -> web.StreamResponse:
        tool = self.life.lookup("tool", request.match_info["tool_id"], "UNDEPLOY")
        if isinstance(tool, web.Response):
            return tool
        conflict = self.life.undeploy_conflict(tool)
        if conflict is not None:
            return conflict
        job = self.life.start(tool, "UNDEPLOY")
        return self.life.answer(job, "toolId", self.sim.dock_status_key("tool", "UNDEPLOY"))

    async def deploy(self, request: web.Request) -> web.StreamResponse:
        tool = self.life.lookup("tool", request.match_info["tool_id"], "DEPLOY")
        if isinstance(tool, web.Response):
            return tool
        body = await self.life.json_body(request)
        if isinstance(body, web.Response):
            return body
        problems = tool_deploy_problems(body)
        if problems:
            return self.life.invalid(problems)
        conflict = self.life.deploy_conflict(tool)
        if conflict is not None:
            return conflict
        job = self.life.start(tool, "DEPLOY")
        if body["isAsync"] is False:
            await self.life.wait_until_final(job)
        return self.life.answer(job, "toolId", self.sim.dock_status_key("tool", "DEPLOY"))
