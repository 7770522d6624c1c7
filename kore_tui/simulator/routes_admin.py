"""Admin routes under ``/_sim/`` (behind the same key): counters, state, forced answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from kore_tui.simulator import shapes
from kore_tui.simulator.envelopes import envelope

if TYPE_CHECKING:
    from kore_tui.simulator.server import Simulator


class AdminRoutes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/_sim/counters", self.counters)
        router.add_get("/_sim/models", self.models)
        router.add_get("/_sim/tools", self.tools)
        router.add_get("/_sim/jobs", self.jobs)
        router.add_get("/_sim/requests", self.requests)
        router.add_post("/_sim/reset", self.reset)
        router.add_post("/_sim/force", self.force)
        router.add_post("/_sim/outcomes", self.outcomes)
        router.add_post("/_sim/key", self.rotate_key)

    async def counters(self, request: web.Request) -> web.StreamResponse:
        """Per action and resource: "received", every POST that arrived (faults included);
        "accepted", every POST that reached an existing resource, whatever it answered (a
        409 too): what "was this model POSTed twice?" counts, not only the 200s."""
        state = self.sim.state
        received = {action: dict(c) for action, c in state.received.items()}
        accepted = {action: dict(c) for action, c in state.accepted.items()}
        return web.json_response(
            {
                "requests": dict(state.requests),
                "received": received,
                "accepted": accepted,
                # The names tests used before deploys existed: undeploys of models and tools.
                "undeployReceived": received["UNDEPLOY"],
                "undeployAccepted": accepted["UNDEPLOY"],
            }
        )

    async def models(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"models": [m.admin_row("modelId") for m in self.sim.state.of_kind("model")]}
        )

    async def tools(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"tools": [t.admin_row("toolId") for t in self.sim.state.of_kind("tool")]}
        )

    async def jobs(self, request: web.Request) -> web.StreamResponse:
        now = self.sim.state.clock()
        return web.json_response(
            {
                "jobs": [
                    {
                        "dockStatusId": j.dock_status_id,
                        "resourceId": j.resource_id,
                        "jobType": j.job_type,
                        "action": j.action,
                        "status": j.status(now),
                        "createdMonotonic": j.created,
                        "endsMonotonic": j.ends_at,
                    }
                    for j in self.sim.state.jobs.values()
                ]
            }
        )

    async def rotate_key(self, request: web.Request) -> web.StreamResponse:
        """The platform's key changes (revoked, rotated): from now on only ``apiKey`` is
        accepted, on every route (this one too)."""
        body = await request.json()
        key = body.get("apiKey") if isinstance(body, dict) else None
        if not isinstance(key, str) or not key:
            return web.json_response({"error": "apiKey: a non-empty string"}, status=400)
        self.sim.config.api_key = key
        return web.json_response({"ok": True})

    async def requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": list(self.sim.state.request_log)})

    async def reset(self, request: web.Request) -> web.StreamResponse:
        self.sim.state.reset_counters()
        self.sim.state.forced_outcomes.clear()
        self.sim.forced.clear()
        return web.json_response({"reset": True})

    async def force(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            items = body["responses"]
            assert isinstance(items, list)
        except (ValueError, KeyError, TypeError, AssertionError, json.JSONDecodeError):
            return envelope(400, "BAD_REQUEST", 'expected {"responses": [{"status": N}]}', False)
        queued = [item for item in items if isinstance(item, dict)]
        for item in queued:
            mode = item.get("mode")
            if mode is not None and mode not in shapes.SHAPES:
                return envelope(
                    400, "BAD_REQUEST", f"mode must be one of {', '.join(shapes.SHAPES)}", False
                )
            try:
                shapes.validate(item)
            except ValueError as exc:
                return envelope(400, "BAD_REQUEST", str(exc), False)
        self.sim.forced.extend(queued)
        return web.json_response({"queued": len(self.sim.forced)})

    async def outcomes(self, request: web.Request) -> web.StreamResponse:
        """Queue how the next matching jobs end, e.g. a bounce whose redeploy FAILS:
        ``{"outcomes": [{"status": "FAILED", "action": "DEPLOY", "resource": "cm-…"}]}``
        (``resource`` and ``action`` optional: absent matches any)."""
        usage = (
            'expected {"outcomes": [{"status": "SUCCESS"|"FAILED", '
            '"resource": ID?, "action": "UNDEPLOY"|"DEPLOY"?}]}'
        )
        try:
            items = (await request.json())["outcomes"]
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            return envelope(400, "BAD_REQUEST", usage, False)
        if not isinstance(items, list) or not all(_valid_outcome(i) for i in items):
            return envelope(400, "BAD_REQUEST", usage, False)
        self.sim.state.forced_outcomes.extend(items)
        return web.json_response({"queued": len(self.sim.state.forced_outcomes)})


def _valid_outcome(item: object) -> bool:
    return (
        isinstance(item, dict)
        and item.get("status") in ("SUCCESS", "FAILED")
        and set(item) <= {"status", "resource", "action"}
        and item.get("action", "DEPLOY") in ("UNDEPLOY", "DEPLOY")
        and isinstance(item.get("resource", ""), str)
    )
