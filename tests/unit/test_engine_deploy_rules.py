"""Deploy rules that need a scripted platform (httpx.MockTransport): what was recorded
is checked again right before the POST, and a job without a resource kind is refused."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx

from kore_tui.core.deploy_params import DeployParams, ToolDeployParams, parse_model_params
from kore_tui.core.job import JobState
from kore_tui.core.journal import Journal
from tests.helpers import job_of, make_engine
from tests.unit.test_engine_rules import DS, MODEL, URL, Platform, status

TOOL = "a-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PARAMS = parse_model_params(
    {
        "model_type": "fineTune",
        "name": "n",
        "device_type": "g6e.xlarge",
        "hyper_parameters": {"temperature": 1, "max_tokens": 0, "top_p": 0, "top_k": 100},
    },
    source="test",
)


async def test_tampered_recorded_params_are_refused_before_the_post() -> None:
    platform = Platform(
        [httpx.Response(200, json={"dock-statusId": DS, "status": "SUCCESS"})], [status("SUCCESS")]
    )
    engine = make_engine(URL, transport=httpx.MockTransport(platform), journal=Journal())
    try:
        engine.pause()  # queued, not sent yet
        engine.start()
        (job,) = engine.deploy([MODEL], DeployParams(model=PARAMS))
        tampered = dict(
            job.params or {},
            hyper_parameters={"temperature": 9, "max_tokens": 1, "top_p": 1, "top_k": 1},
        )
        engine.store.put(replace(job, params=tampered))
        engine.resume()
        await asyncio.wait_for(engine.wait_settled(), 5)
        ended = engine.store.get(job.key)
        assert ended is not None and ended.state is JobState.ERROR
        assert ended.error_kind == "params"
        assert ended.error is not None and ended.error.startswith("not sent: ")
        assert "temperature must be a number from 0 to 2" in ended.error
        assert platform.post_count == 0
    finally:
        await engine.aclose()
        await engine.client.aclose()


async def test_a_sync_tool_deploy_sends_is_async_false() -> None:
    seen: list[httpx.Request] = []

    def platform(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(
                200,
                json={
                    "dock-statusId": DS,
                    "toolId": TOOL,
                    "jobType": "TOOLS",
                    "action": "DEPLOY",
                    "status": "SUCCESS",
                },
            )
        return httpx.Response(
            200,
            json={
                "_id": DS,
                "toolId": TOOL,
                "jobType": "TOOLS",
                "action": "DEPLOY",
                "status": "SUCCESS",
            },
        )

    engine = make_engine(URL, transport=httpx.MockTransport(platform))
    try:
        engine.start()
        (job,) = engine.deploy([TOOL], DeployParams(tool=ToolDeployParams(is_async=False)))
        await asyncio.wait_for(engine.wait_settled(), 5)
        assert job_of(engine, job.key).state is JobState.SUCCESS
        post = seen[0]
        assert post.url.path == f"/api/public/tools/{TOOL}/deploy"
        assert post.content == b'{"isAsync":false}' or post.content == b'{"isAsync": false}'
    finally:
        await engine.aclose()
        await engine.client.aclose()
