"""``POST /api/public/models/{modelId}/undeploy`` and ``.../deploy?modelType=T``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from kore_tui.simulator.lifecycle import Lifecycle
from kore_tui.simulator.validation import model_deploy_problems, model_type_problems

if TYPE_CHECKING:
    from kore_tui.simulator.server import Simulator

_ID = r"[^/]+"


class ModelRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.life = Lifecycle(sim)

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post(f"/api/public/models/{{model_id:{_ID}}}/undeploy", self.undeploy)
        router.add_post(f"/api/public/models/{{model_id:{_ID}}}/deploy", self.deploy)

    async def undeploy(self, request: web.Request) -> web.StreamResponse:
        model = self.life.lookup("model", request.match_info["model_id"], "UNDEPLOY")
        if isinstance(model, web.Response):
            return model
        conflict = self.life.undeploy_conflict(model)
        if conflict is not None:
            return conflict
        job = self.life.start(model, "UNDEPLOY")
        return self.life.answer(job, "modelId", self.sim.dock_status_key("model", "UNDEPLOY"))

    async def deploy(self, request: web.Request) -> web.StreamResponse:
        model = self.life.lookup("model", request.match_info["model_id"], "DEPLOY")
        if isinstance(model, web.Response):
            return model
        problems = model_type_problems(request.query.get("modelType"))
        if problems:
            return self.life.invalid(problems)
        body = await self.life.json_body(request)
        if isinstance(body, web.Response):
            return body
        problems = model_deploy_problems(body)
        if problems:
            return self.life.invalid(problems)
        conflict = self.life.deploy_conflict(model)
        if conflict is not None:
            return conflict
        job = self.life.start(model, "DEPLOY")
        return self.life.answer(job, "modelId", self.sim.dock_status_key("model", "DEPLOY"))
