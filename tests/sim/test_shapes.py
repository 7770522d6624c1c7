"""Forced answer shapes (drip, gzip bomb) over real HTTP, with a plain httpx client."""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib

import httpx

from kore_tui.simulator import Simulator
from tests.conftest import SENTINEL_KEY, sim_config
from tests.helpers import until

H = {"x-api-key": SENTINEL_KEY}


async def test_drip_sends_the_real_answer_one_byte_at_a_time(sim: Simulator) -> None:
    model = sim.model_ids[0]
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        queued = await http.post(
            "/_sim/force",
            json={"responses": [{"mode": "drip", "interval": 0.01, "match": "/undeploy"}]},
        )
        assert queued.status_code == 200
        # The GET is not matched by the forced entry: it is answered at once.
        assert (await http.get("/api/public/dock-status/ds-x")).status_code == 404
        chunks: list[bytes] = []
        started = time.monotonic()
        async with http.stream("POST", f"/api/public/models/{model}/undeploy") as r:
            async for chunk in r.aiter_raw():
                chunks.append(chunk)
        elapsed = time.monotonic() - started
        body = b"".join(chunks)
        assert r.status_code == 200 and body.startswith(b'{"dock-statusId": "ds-')
        assert elapsed >= 0.01 * (len(body) - 1) * 0.8, "the body was not paced"
        assert len(chunks) > len(body) // 2, "bytes arrived in a few large chunks"
        counters = (await http.get("/_sim/counters")).json()
    assert counters["undeployAccepted"][model] == 1, "the undeploy really happened"


async def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(sim: Simulator) -> None:
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        await http.post(
            "/_sim/force", json={"responses": [{"mode": "gzip_bomb", "inflated": 50 * 1024 * 1024}]}
        )
        async with http.stream("GET", "/api/public/dock-status/ds-x") as r:
            raw = b"".join([c async for c in r.aiter_raw()])
    assert r.headers["content-encoding"] == "gzip" and r.status_code == 404
    assert len(raw) < 200 * 1024
    inflated = zlib.decompress(raw, 16 + zlib.MAX_WBITS)
    assert len(inflated) > 50 * 1024 * 1024
    assert inflated.strip().startswith(b'{"success": false')


async def test_unknown_or_bad_shapes_are_refused_when_queued(sim: Simulator) -> None:
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        for item in (
            {"mode": "teleport"},
            {"mode": "drip", "interval": -1},
            {"mode": "gzip_bomb", "inflated": "big"},
        ):
            r = await http.post("/_sim/force", json={"responses": [item]})
            assert r.status_code == 400, item
        assert len(sim.forced) == 0


async def test_stop_does_not_wait_for_a_slow_drip() -> None:
    sim = Simulator(sim_config())
    await sim.start()
    sim.forced.append({"mode": "drip", "interval": 60})

    async def slow_call() -> None:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            with contextlib.suppress(httpx.HTTPError):
                await http.post(f"/api/public/models/{sim.model_ids[0]}/undeploy")

    task = asyncio.create_task(slow_call())
    await until(lambda: not sim.forced)  # the drip has the request
    started = time.monotonic()
    await sim.stop()
    assert time.monotonic() - started < 5
    await asyncio.wait_for(task, 5)
