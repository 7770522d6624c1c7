"""The request pipeline every simulated call goes through (an aiohttp middleware).

Request flow: faults that happen *before* the platform processes a request
(429, 5xx, gateway HTML, dropped connection, slowness), then the key check,
then the handler, then faults that damage the answer *after* the work was
done (dropped mid-response, malformed JSON, empty body). The second group is
what makes a blind re-send of a POST dangerous, and what the engine's
UNKNOWN state exists for. Forced answers may instead carry a ``mode`` (see
:mod:`kore_tui.simulator.shapes`): the handler runs and its answer is dripped
or gzip-bombed; ``match`` limits a forced answer to paths containing it.
Admin routes live under ``/_sim/``, which cannot collide with the platform's
``/api/public/`` paths, behind the same key.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kore_tui.simulator import shapes
from kore_tui.simulator.envelopes import envelope, rate_limited

if TYPE_CHECKING:
    from kore_tui.simulator.server import Simulator

SHAPE_KEY = web.RequestKey("sim_shape", dict[str, Any])
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The POSTs that start a job, for the per-action "received" counters.
_JOB_POST = re.compile(r"/api/public/(?:models|tools)/([^/]+)/(undeploy|deploy)")


def _route_name(request: web.Request) -> str:
    info = request.match_info.route.resource
    canonical = info.canonical if info is not None else "unmatched"
    return f"{request.method} {canonical}"


def _dropped(request: web.Request) -> web.StreamResponse:
    if request.transport is not None:
        request.transport.abort()
    response = web.Response(status=499)
    response._sim_dropped = True  # type: ignore[attr-defined]
    return response


class FaultPipeline:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self.sim.fault_rng.random() < rate

    def _authorized(self, request: web.Request) -> bool:
        given = request.headers.get("x-api-key", "")
        return hmac.compare_digest(given.encode(), self.sim.config.api_key.encode())

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        state = self.sim.state
        route = _route_name(request)
        is_admin = request.path.startswith("/_sim/")
        response: web.StreamResponse | None = None
        if not is_admin:
            job_post = _JOB_POST.fullmatch(request.path)
            if request.method == "POST" and job_post:
                state.received[job_post.group(2).upper()][job_post.group(1)] += 1
            response = await self._before(request)
        if response is None:
            if not self._authorized(request):
                response = envelope(401, "UNAUTHORIZED", "Invalid or missing API key", simple=False)
            else:
                response = await handler(request)
                shape = request.get(SHAPE_KEY)
                if shape is not None:
                    response = await shapes.apply(request, response, shape, self.sim.stopping)
                elif not is_admin:
                    response = await self._after(request, response)
        status = response.status if not getattr(response, "_sim_dropped", False) else 0
        state.requests[f"{route} {status}"] += 1
        if not is_admin:
            state.request_log.append(
                {"t": time.time(), "method": request.method, "path": request.path, "status": status}
            )
        return response

    def _take_forced(self, request: web.Request) -> dict[str, Any] | None:
        """The first queued forced answer whose ``match`` (a path substring) fits, if any."""
        for index, item in enumerate(self.sim.forced):
            match = item.get("match")
            if match is None or str(match) in request.path:
                del self.sim.forced[index]
                return item
        return None

    async def _before(self, request: web.Request) -> web.StreamResponse | None:
        f = self.sim.faults
        forced = self._take_forced(request) if self.sim.forced else None
        if forced is not None and forced.get("mode") in shapes.SHAPES:
            # Shapes change how the real answer travels: the handler still runs.
            request[SHAPE_KEY] = forced
            return None
        if forced is not None:
            status = int(forced.get("status", 503))
            if status == 429:
                return rate_limited(float(forced.get("retry_after", f.retry_after_seconds)))
            if status == 0:
                return _dropped(request)
            if "body" in forced:
                return web.Response(
                    status=status,
                    text=str(forced["body"]),
                    content_type=str(forced.get("content_type", "text/plain")),
                )
            return envelope(
                status,
                str(forced.get("code", "FORCED")),
                str(forced.get("message", "forced by the test")),
                simple=False,
            )
        if self._roll(f.slow):
            await asyncio.sleep(self.sim.fault_rng.uniform(*f.slow_seconds))
        if self._roll(f.rate_limited):
            return rate_limited(f.retry_after_seconds)
        if self._roll(f.drop_before):
            return _dropped(request)
        if self._roll(f.gateway_html):
            return web.Response(
                status=502,
                content_type="text/html",
                text="<html><head><title>502 Bad Gateway</title></head>"
                "<body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>",
            )
        if self._roll(f.server_error):
            status = self.sim.fault_rng.choice([500, 503])
            code = "INTERNAL_ERROR" if status == 500 else "SERVICE_UNAVAILABLE"
            return envelope(
                status, code, "The service is temporarily unavailable", self.sim.simple_envelope()
            )
        return None

    async def _after(
        self, request: web.Request, response: web.StreamResponse
    ) -> web.StreamResponse:
        f = self.sim.faults
        if response.status >= 300:
            return response
        if self._roll(f.drop_after):
            body = getattr(response, "body", b"") or b""
            stream = web.StreamResponse(
                status=200,
                headers={"Content-Type": "application/json", "Content-Length": str(len(body) + 50)},
            )
            await stream.prepare(request)
            await stream.write(bytes(body)[: len(body) // 2])
            if request.transport is not None:
                request.transport.abort()
            stream._sim_dropped = True  # type: ignore[attr-defined]
            return stream
        if self._roll(f.malformed_json):
            return web.Response(
                status=200, content_type="application/json", text='{"status": "IN_PROG'
            )
        if self._roll(f.empty_body):
            return web.Response(status=200, content_type="application/json", body=b"")
        return response
