"""The simulator's HTTP server (aiohttp.web): configuration, wiring, lifetime.

The platform's routes live in ``routes_models`` / ``routes_tools`` /
``routes_dock_status`` (sharing ``lifecycle``), the admin routes in
``routes_admin``, and the fault pipeline every request crosses in ``pipeline``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kore_tui.core.hosts import is_loopback_host
from kore_tui.core.loop_thread import LoopThread
from kore_tui.simulator.faults import FaultProfile
from kore_tui.simulator.pipeline import FaultPipeline
from kore_tui.simulator.routes_admin import AdminRoutes
from kore_tui.simulator.routes_dock_status import DockStatusRoutes
from kore_tui.simulator.routes_models import ModelRoutes
from kore_tui.simulator.routes_tools import ToolRoutes
from kore_tui.simulator.state import Phase, SimState

# "documented": each call answers with its documented sample's spelling (the tool undeploy
# sample says "dockStatusId", every other "dock-statusId"); the others force one for all.
SPELLINGS = ("documented", "dock-statusId", "dockStatusId")


@dataclass
class SimConfig:
    api_key: str = "kg-demo"
    models: int = 20  # deployed models (their IDs are what ``model_ids`` lists)
    seed: int = 1
    faults: FaultProfile = field(default_factory=FaultProfile)
    job_seconds: tuple[float, float] = (3.0, 12.0)
    fail_rate: float = 0.1
    spelling: str = "documented"
    clock: Callable[[], float] = time.monotonic
    tools: int = 0  # deployed tools
    ready_models: int = 0  # undeployed models in the "Ready to Deploy" state
    never_deployed_models: int = 0  # models the API may not deploy (web UI first)


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


class Simulator:
    def __init__(self, config: SimConfig) -> None:
        if config.spelling not in SPELLINGS:
            raise ValueError(
                f"unknown dock status spelling {config.spelling!r} (choose {', '.join(SPELLINGS)})"
            )
        self.config = config
        self.faults = config.faults
        self.fault_rng = random.Random(config.seed * 7919 + 1)
        self.state = SimState(
            clock=config.clock,
            rng=random.Random(config.seed),
            job_seconds=config.job_seconds,
            fail_rate=config.fail_rate,
        )
        # Deployed models come from the job RNG, as they always have; the other kinds from
        # their own, so adding tools changes neither the model IDs nor the job IDs.
        self.model_ids = self.state.seed("model", config.models)
        extra = random.Random(f"kore-sim-extra:{config.seed}")
        self.tool_ids = self.state.seed("tool", config.tools, rng=extra)
        self.ready_model_ids = self.state.seed("model", config.ready_models, Phase.READY, rng=extra)
        self.never_deployed_model_ids = self.state.seed(
            "model", config.never_deployed_models, Phase.NEVER_DEPLOYED, rng=extra
        )
        self.forced: deque[dict[str, Any]] = deque()
        self.stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        pipeline = FaultPipeline(self)
        self.app = web.Application(middlewares=[pipeline.middleware], client_max_size=64 * 1024)
        for routes in (
            ModelRoutes(self),
            ToolRoutes(self),
            DockStatusRoutes(self),
            AdminRoutes(self),
        ):
            routes.register(self.app.router)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def simple_envelope(self) -> bool:
        """Whether this error answer uses the simplified ``{"error": "…"}`` envelope."""
        return self.faults.alternate_envelopes and self.fault_rng.random() < 0.5

    def dock_status_key(self, kind: str, action: str) -> str:
        if self.config.spelling != "documented":
            return self.config.spelling
        return "dockStatusId" if (kind, action) == ("tool", "UNDEPLOY") else "dock-statusId"

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, allow_non_loopback: bool = False
    ) -> int:
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
        self.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


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

    @property
    def tool_ids(self) -> list[str]:
        return self.simulator.tool_ids

    @property
    def ready_model_ids(self) -> list[str]:
        return self.simulator.ready_model_ids

    @property
    def never_deployed_model_ids(self) -> list[str]:
        return self.simulator.never_deployed_model_ids

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
