"""The simulator's HTTP server (aiohttp.web).

Request flow: faults that happen *before* the platform processes a request
(429, 5xx, gateway HTML, dropped connection, slowness), then the key check,
then the handler, then faults that damage the answer *after* the work was
done (dropped mid-response, malformed JSON, empty body). The second group is
what makes a blind re-send of a POST dangerous, and what the engine's
UNKNOWN state exists for. Forced answers may instead carry a ``mode`` (see
:mod:`kore_tui.simulator.shapes`): the handler runs and its answer is dripped
or gzip-bombed; ``match`` limits a forced answer to paths containing it.
Admin routes live under ``/_sim/``, which cannot
collide with the platform's ``/api/public/`` paths, behind the same key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kore_tui.core.hosts import is_loopback_host
from kore_tui.core.loop_thread import LoopThread
from kore_tui.simulator import shapes
from kore_tui.simulator.faults import FaultProfile
from kore_tui.simulator.state import SimModel, SimState

_ID = r"[^/]+"
_UUID_ID = re.compile(r"(cm|ds)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHAPE = web.RequestKey("sim_shape", dict[str, Any])
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class SimConfig:
    api_key: str = "kg-demo"
    models: int = 20
    seed: int = 1
    faults: FaultProfile = field(default_factory=FaultProfile)
    job_seconds: tuple[float, float] = (3.0, 12.0)
    fail_rate: float = 0.1
    spelling: str = "dock-statusId"
    clock: Callable[[], float] = time.monotonic


def parse_job_seconds(text: str) -> tuple[float, float]:
    try:
        low_text, _, high_text = text.partition(":")
        low = float(low_text)
        high = float(high_text) if high_text else low
    except ValueError:
        raise ValueError(f"--job-seconds wants MIN:MAX in seconds, got {text!r}") from None
    if low < 0 or high < low:
        raise ValueError(f"--job-seconds wants 0 <= MIN <= MAX, got {text!r}")
    return low, high


def _envelope(status: int, code: str, message: str, simple: bool) -> web.Response:
    body: dict[str, Any] = (
        {"error": message} if simple else
        {"success": False, "error": {"code": code, "message": message}}
    )
    return web.json_response(body, status=status)


class Simulator:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.faults = config.faults
        self._fault_rng = random.Random(config.seed * 7919 + 1)
        self.state = SimState(
            clock=config.clock,
            rng=random.Random(config.seed),
            job_seconds=config.job_seconds,
            fail_rate=config.fail_rate,
        )
        self.model_ids = self.state.seed_models(config.models)
        self.forced: deque[dict[str, Any]] = deque()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024)
        self.app.router.add_post(f"/api/public/models/{{model_id:{_ID}}}/undeploy", self._undeploy)
        self.app.router.add_post(f"/api/public/models/{{model_id:{_ID}}}/deploy", self._deploy)
        self.app.router.add_get(f"/api/public/dock-status/{{ds_id:{_ID}}}", self._dock_status)
        self.app.router.add_get("/_sim/counters", self._counters)
        self.app.router.add_get("/_sim/models", self._models)
        self.app.router.add_get("/_sim/jobs", self._jobs)
        self.app.router.add_get("/_sim/requests", self._requests)
        self.app.router.add_post("/_sim/reset", self._reset)
        self.app.router.add_post("/_sim/force", self._force)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0,
                    allow_non_loopback: bool = False) -> int:
        if not is_loopback_host(host) and not allow_non_loopback:
            raise ValueError(
                f"refusing to bind {host!r}: the simulator serves loopback only "
                "(use --allow-non-loopback if you really mean it)"
            )
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, backlog=1024, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- request pipeline -------------------------------------------------------------

    def _route_name(self, request: web.Request) -> str:
        info = request.match_info.route.resource
        canonical = info.canonical if info is not None else "unmatched"
        return f"{request.method} {canonical}"

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._fault_rng.random() < rate

    def _authorized(self, request: web.Request) -> bool:
        given = request.headers.get("x-api-key", "")
        return hmac.compare_digest(given.encode(), self.config.api_key.encode())

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = self._route_name(request)
        is_admin = request.path.startswith("/_sim/")
        response: web.StreamResponse | None = None
        if not is_admin:
            if request.method == "POST" and request.path.endswith("/undeploy"):
                self.state.undeploy_received[request.match_info.get("model_id", "?")] += 1
            response = await self._before(request)
        if response is None:
            if not self._authorized(request):
                response = _envelope(401, "UNAUTHORIZED", "Invalid or missing API key",
                                     simple=False)
            else:
                response = await handler(request)
                shape = request.get(_SHAPE)
                if shape is not None:
                    response = await shapes.apply(request, response, shape, self._stopping)
                elif not is_admin:
                    response = await self._after(request, response)
        status = response.status if not getattr(response, "_sim_dropped", False) else 0
        self.state.requests[f"{route} {status}"] += 1
        if not is_admin:
            self.state.request_log.append(
                {"t": time.time(), "method": request.method, "path": request.path,
                 "status": status}
            )
        return response

    def _dropped(self, request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        response = web.Response(status=499)
        response._sim_dropped = True  # type: ignore[attr-defined]
        return response

    def _take_forced(self, request: web.Request) -> dict[str, Any] | None:
        """The first queued forced answer whose ``match`` (a path substring) fits, if any."""
        for index, item in enumerate(self.forced):
            match = item.get("match")
            if match is None or str(match) in request.path:
                del self.forced[index]
                return item
        return None

    async def _before(self, request: web.Request) -> web.StreamResponse | None:
        f = self.faults
        forced = self._take_forced(request) if self.forced else None
        if forced is not None and forced.get("mode") in shapes.SHAPES:
            # Shapes change how the real answer travels: the handler still runs.
            request[_SHAPE] = forced
            return None
        if forced is not None:
            status = int(forced.get("status", 503))
            if status == 429:
                retry = float(forced.get("retry_after", f.retry_after_seconds))
                return self._rate_limited(retry)
            if status == 0:
                return self._dropped(request)
            if "body" in forced:
                return web.Response(status=status, text=str(forced["body"]),
                                    content_type=str(forced.get("content_type", "text/plain")))
            return _envelope(status, str(forced.get("code", "FORCED")),
                             str(forced.get("message", "forced by the test")), simple=False)
        if self._roll(f.slow):
            await asyncio.sleep(self._fault_rng.uniform(*f.slow_seconds))
        if self._roll(f.rate_limited):
            return self._rate_limited(f.retry_after_seconds)
        if self._roll(f.drop_before):
            return self._dropped(request)
        if self._roll(f.gateway_html):
            return web.Response(
                status=502, content_type="text/html",
                text="<html><head><title>502 Bad Gateway</title></head>"
                "<body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>",
            )
        if self._roll(f.server_error):
            status = self._fault_rng.choice([500, 503])
            code = "INTERNAL_ERROR" if status == 500 else "SERVICE_UNAVAILABLE"
            simple = f.alternate_envelopes and self._fault_rng.random() < 0.5
            return _envelope(status, code, "The service is temporarily unavailable", simple)
        return None

    def _rate_limited(self, seconds: float) -> web.Response:
        body = {"success": False, "error": {"code": "RATE_LIMIT_EXCEEDED",
                "message": "Too many requests", "retryAfterMs": int(seconds * 1000)}}
        # Retry-After carries whole seconds; a sub-second pause is only in retryAfterMs.
        headers = {"Retry-After": str(round(seconds))} if seconds >= 1 else {}
        return web.json_response(body, status=429, headers=headers)

    async def _after(self, request: web.Request, response: web.StreamResponse) -> \
            web.StreamResponse:
        f = self.faults
        if response.status >= 300:
            return response
        if self._roll(f.drop_after):
            body = getattr(response, "body", b"") or b""
            stream = web.StreamResponse(status=200, headers={
                "Content-Type": "application/json", "Content-Length": str(len(body) + 50)})
            await stream.prepare(request)
            await stream.write(bytes(body)[: len(body) // 2])
            if request.transport is not None:
                request.transport.abort()
            stream._sim_dropped = True  # type: ignore[attr-defined]
            return stream
        if self._roll(f.malformed_json):
            return web.Response(status=200, content_type="application/json",
                                text='{"status": "IN_PROG')
        if self._roll(f.empty_body):
            return web.Response(status=200, content_type="application/json", body=b"")
        return response

    # -- platform API -----------------------------------------------------------------

    def _simple(self) -> bool:
        return self.faults.alternate_envelopes and self._fault_rng.random() < 0.5

    def _lookup_model(self, request: web.Request) -> SimModel | web.Response:
        model_id = request.match_info["model_id"]
        model = self.state.model(model_id) if _UUID_ID.fullmatch(model_id) else None
        if model is None:
            return _envelope(404, "NOT_FOUND", f"Model {model_id[:80]} not found", self._simple())
        return model

    def _job_body(self, job_id: str, model_id: str, action: str, status: str) -> dict[str, Any]:
        return {self.config.spelling: job_id, "modelId": model_id, "jobType": "MODELS",
                "action": action, "status": status}

    async def _undeploy(self, request: web.Request) -> web.StreamResponse:
        model = self._lookup_model(request)
        if isinstance(model, web.Response):
            return model
        self.state.undeploy_accepted[model.model_id] += 1
        if model.pending_job:
            return _envelope(409, "CONFLICT", "Model is already being undeployed or deployed",
                             self._simple())
        if not model.deployed:
            return _envelope(409, "CONFLICT", "Model is not deployed", self._simple())
        job = self.state.start_job(model, "UNDEPLOY", fresh_not_found=self.faults.fresh_not_found,
                                   unknown_status=self.faults.unknown_status)
        status = job.status(self.state.clock())
        if status not in {"SUCCESS", "FAILED"}:
            status = "IN_PROGRESS"
        return web.json_response(self._job_body(job.dock_status_id, model.model_id,
                                                "UNDEPLOY", status))

    async def _deploy(self, request: web.Request) -> web.StreamResponse:
        model = self._lookup_model(request)
        if isinstance(model, web.Response):
            return model
        if model.pending_job:
            return _envelope(409, "CONFLICT", "Model has a job in progress", self._simple())
        if model.deployed:
            return _envelope(409, "CONFLICT", "Model is already deployed", self._simple())
        job = self.state.start_job(model, "DEPLOY", fresh_not_found=0.0, unknown_status=0.0)
        return web.json_response(self._job_body(job.dock_status_id, model.model_id, "DEPLOY",
                                                job.status(self.state.clock())))

    async def _dock_status(self, request: web.Request) -> web.StreamResponse:
        ds_id = request.match_info["ds_id"]
        job = self.state.jobs.get(ds_id)
        now = self.state.clock()
        if job is None or now < job.not_found_until:
            return _envelope(404, "NOT_FOUND", f"Dock status {ds_id[:80]} not found",
                             self._simple())
        self.state.settle(job)
        return web.json_response({"_id": job.dock_status_id, "toolId": job.model_id,
                                  "jobType": "MODELS", "action": job.action,
                                  "status": job.status(now)})

    # -- admin ------------------------------------------------------------------------

    async def _counters(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({
            "requests": dict(self.state.requests),
            "undeployReceived": dict(self.state.undeploy_received),
            "undeployAccepted": dict(self.state.undeploy_accepted),
        })

    async def _models(self, request: web.Request) -> web.StreamResponse:
        models = [self.state.model(m) for m in list(self.state.models)]
        return web.json_response({"models": [
            {"modelId": m.model_id, "deployed": m.deployed, "pendingJob": m.pending_job}
            for m in models if m is not None]})

    async def _jobs(self, request: web.Request) -> web.StreamResponse:
        now = self.state.clock()
        return web.json_response({"jobs": [
            {"dockStatusId": j.dock_status_id, "modelId": j.model_id, "action": j.action,
             "status": j.status(now), "createdMonotonic": j.created,
             "endsMonotonic": j.ends_at} for j in self.state.jobs.values()]})

    async def _requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": list(self.state.request_log)})

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        self.state.reset_counters()
        self.forced.clear()
        return web.json_response({"reset": True})

    async def _force(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            items = body["responses"]
            assert isinstance(items, list)
        except (ValueError, KeyError, AssertionError, json.JSONDecodeError):
            return _envelope(400, "BAD_REQUEST", 'expected {"responses": [{"status": N}]}', False)
        queued = [item for item in items if isinstance(item, dict)]
        for item in queued:
            mode = item.get("mode")
            if mode is not None and mode not in shapes.SHAPES:
                return _envelope(400, "BAD_REQUEST",
                                 f"mode must be one of {', '.join(shapes.SHAPES)}", False)
            try:
                shapes.validate(item)
            except ValueError as exc:
                return _envelope(400, "BAD_REQUEST", str(exc), False)
        self.forced.extend(queued)
        return web.json_response({"queued": len(self.forced)})


class SimulatorThread(LoopThread):
    """Runs a :class:`Simulator` on its own event loop in a daemon thread.

    Demo mode and synchronous tests use this, so the console's event loop
    never serves HTTP.
    """

    def __init__(self, config: SimConfig, port: int = 0) -> None:
        super().__init__(name="kore-sim")
        self.simulator = Simulator(config)
        self._port = port

    @property
    def url(self) -> str:
        return self.simulator.url

    @property
    def model_ids(self) -> list[str]:
        return self.simulator.model_ids

    async def setup(self) -> None:
        await self.simulator.start(port=self._port)

    async def teardown(self) -> None:
        await self.simulator.stop()

    def start(self, timeout: float = 10.0) -> SimulatorThread:
        super().start(timeout)
        return self

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the simulator's loop (its state is not thread-safe)."""
        return self.submit(fn).result(10)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.stop()
