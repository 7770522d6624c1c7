"""The simulator's state machine for models and tools, over real HTTP on loopback.

Time is a manual clock the test moves, so every transition is exact and nothing sleeps,
except the synchronous tool deploy, which really waits for its job.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kore_tui.core.ids import parse_ids
from kore_tui.simulator import Simulator
from kore_tui.simulator.faults import FaultProfile
from kore_tui.simulator.state import Phase
from tests.conftest import SENTINEL_KEY, sim_config
from tests.helpers import until

H = {"x-api-key": SENTINEL_KEY}
MODEL_BODY: dict[str, Any] = {
    "name": "m",
    "deviceType": "g5.xlarge",
    "hyperParameters": {"temperature": 0.5, "maxTokens": 128, "topP": 1, "topK": 50},
}
OPEN = {"modelType": "openSource"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def started(**overrides: Any) -> Simulator:
    sim = Simulator(sim_config(**overrides))
    await sim.start()
    return sim


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def life(clock: Clock) -> AsyncIterator[Simulator]:
    sim = await started(
        clock=clock,
        job_seconds=(10.0, 10.0),
        tools=3,
        ready_models=2,
        never_deployed_models=1,
        models=3,
    )
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def http(life: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(verify=False, base_url=life.url, headers=H) as client:
        yield client


async def state_of(http: httpx.AsyncClient, resource_id: str) -> str:
    kind = "tools" if resource_id.startswith("a-") else "models"
    rows = (await http.get(f"/_sim/{kind}")).json()[kind]
    key = "toolId" if kind == "tools" else "modelId"
    return str(next(r for r in rows if r[key] == resource_id)["state"])


async def post(http: httpx.AsyncClient, resource_id: str, action: str, **kw: Any) -> httpx.Response:
    kind = "tools" if resource_id.startswith("a-") else "models"
    if action == "deploy" and kind == "models":
        kw.setdefault("params", OPEN)
        kw.setdefault("json", MODEL_BODY)
    if action == "deploy" and kind == "tools":
        kw.setdefault("json", {"isAsync": True})
    return await http.post(f"/api/public/{kind}/{resource_id}/{action}", **kw)


def message(response: httpx.Response) -> str:
    error = response.json()["error"]
    return str(error["message"] if isinstance(error, dict) else error)


async def test_a_model_goes_round_the_whole_cycle(
    life: Simulator, http: httpx.AsyncClient, clock: Clock
) -> None:
    model = life.model_ids[0]
    assert await state_of(http, model) == "deployed"
    undeploy = await post(http, model, "undeploy")
    assert undeploy.status_code == 200 and undeploy.json()["status"] == "IN_PROGRESS"
    assert await state_of(http, model) == "undeploying"
    clock.now += 10
    ds = undeploy.json()["dock-statusId"]
    assert (await http.get(f"/api/public/dock-status/{ds}")).json()["status"] == "SUCCESS"
    assert await state_of(http, model) == "ready_to_deploy"
    deploy = await post(http, model, "deploy")
    assert deploy.status_code == 200
    body = deploy.json()
    assert body["action"] == "DEPLOY" and body["modelId"] == model
    assert body["jobType"] == "MODELS" and body["status"] == "IN_PROGRESS"
    assert await state_of(http, model) == "deploying"
    status = (await http.get(f"/api/public/dock-status/{body['dock-statusId']}")).json()
    assert status == {
        "_id": body["dock-statusId"],
        "toolId": model,
        "jobType": "MODELS",
        "action": "DEPLOY",
        "status": "IN_PROGRESS",
    }
    clock.now += 10
    assert await state_of(http, model) == "deployed"


async def test_a_tool_goes_round_the_whole_cycle(
    life: Simulator, http: httpx.AsyncClient, clock: Clock
) -> None:
    tool = life.tool_ids[0]
    assert await state_of(http, tool) == "deployed"
    undeploy = await post(http, tool, "undeploy")
    # The documented sample spells the tool undeploy's key in camelCase.
    assert set(undeploy.json()) == {"dockStatusId", "toolId", "jobType", "action", "status"}
    assert undeploy.json()["jobType"] == "TOOLS" and undeploy.json()["toolId"] == tool
    assert await state_of(http, tool) == "undeploying"
    ds = undeploy.json()["dockStatusId"]
    status = (await http.get(f"/api/public/dock-status/{ds}")).json()
    assert status == {
        "_id": ds,
        "toolId": tool,
        "jobType": "TOOLS",
        "action": "UNDEPLOY",
        "status": "IN_PROGRESS",
    }
    clock.now += 10
    assert await state_of(http, tool) == "ready_to_deploy"
    deploy = await post(http, tool, "deploy", json={"isAsync": True})
    assert deploy.json()["status"] == "IN_PROGRESS" and "dock-statusId" in deploy.json()
    assert await state_of(http, tool) == "deploying"
    clock.now += 10
    assert await state_of(http, tool) == "deployed"


@pytest.mark.parametrize("kind", ["model", "tool"])
async def test_a_failed_job_leaves_the_state_it_found(kind: str, clock: Clock) -> None:
    sim = await started(clock=clock, job_seconds=(5.0, 5.0), fail_rate=1.0, tools=2)
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            first, second = sim.model_ids[:2] if kind == "model" else sim.tool_ids
            await post(http, first, "undeploy")
            clock.now += 5
            assert await state_of(http, first) == "deployed"
            sim.state.resources[second].phase = Phase.READY
            answer = await post(http, second, "deploy")
            clock.now += 5
            ds = answer.json()["dock-statusId"]
            assert (await http.get(f"/api/public/dock-status/{ds}")).json()["status"] == "FAILED"
            assert await state_of(http, second) == "ready_to_deploy"
    finally:
        await sim.stop()


async def test_conflicts_for_models(life: Simulator, http: httpx.AsyncClient, clock: Clock) -> None:
    deployed, ready = life.model_ids[0], life.ready_model_ids[0]
    again = await post(http, deployed, "deploy")
    assert again.status_code == 409 and message(again) == "Model is already deployed"
    not_deployed = await post(http, ready, "undeploy")
    assert not_deployed.status_code == 409 and message(not_deployed) == "Model is not deployed"
    await post(http, deployed, "undeploy")
    during = await post(http, deployed, "deploy")
    assert during.status_code == 409 and message(during) == "Model has a job in progress"
    twice = await post(http, deployed, "undeploy")
    assert twice.status_code == 409
    assert message(twice) == "Model is already being undeployed or deployed"
    await post(http, ready, "deploy")
    undeploy_during_deploy = await post(http, ready, "undeploy")
    assert undeploy_during_deploy.status_code == 409
    assert "already being undeployed or deployed" in message(undeploy_during_deploy)
    assert len((await http.get("/_sim/jobs")).json()["jobs"]) == 2


async def test_a_model_never_deployed_must_go_through_the_web_ui_first(
    life: Simulator, http: httpx.AsyncClient
) -> None:
    (model,) = life.never_deployed_model_ids
    assert await state_of(http, model) == "never_deployed"
    deploy = await post(http, model, "deploy")
    assert deploy.status_code == 400 and deploy.json()["error"]["code"] == "BAD_REQUEST"
    assert "first deployment must be made in the platform's web UI" in message(deploy)
    undeploy = await post(http, model, "undeploy")
    assert undeploy.status_code == 409 and message(undeploy) == "Model is not deployed"
    assert (await http.get("/_sim/jobs")).json()["jobs"] == []


async def test_conflicts_for_tools(life: Simulator, http: httpx.AsyncClient, clock: Clock) -> None:
    tool = life.tool_ids[1]
    again = await post(http, tool, "deploy")
    assert again.status_code == 409 and message(again) == "Tool is already deployed"
    await post(http, tool, "undeploy")
    during = await post(http, tool, "deploy")
    assert during.status_code == 409 and message(during) == "Tool has a job in progress"
    clock.now += 10
    gone = await post(http, tool, "undeploy")
    assert gone.status_code == 409 and message(gone) == "Tool is not deployed"


async def test_unknown_resources_and_wrong_kinds_are_not_found(
    life: Simulator, http: httpx.AsyncClient
) -> None:
    tool, model = life.tool_ids[0], life.model_ids[0]
    cases = [
        (f"/api/public/models/{tool}/undeploy", "Model"),
        (f"/api/public/tools/{model}/undeploy", "Tool"),
        (f"/api/public/tools/{tool.upper()}/undeploy", "Tool"),
        ("/api/public/tools/a-00000000-0000-4000-8000-000000000000/deploy", "Tool"),
        ("/api/public/models/cm-00000000-0000-4000-8000-000000000000/deploy", "Model"),
    ]
    for path, noun in cases:
        r = await http.post(path, json={"isAsync": True}, params=OPEN if "models" in path else None)
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND", path
        assert message(r).startswith(f"{noun} ") and message(r).endswith(" not found")
    counters = (await http.get("/_sim/counters")).json()
    assert counters["accepted"] == {"UNDEPLOY": {}, "DEPLOY": {}}
    assert sum(counters["received"]["UNDEPLOY"].values()) == 3


async def test_sync_tool_deploy_answers_only_when_the_job_is_done() -> None:
    sim = await started(job_seconds=(0.4, 0.4), tools=2)
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H, timeout=10) as http:
            tools = sim.tool_ids
            for tool in tools:
                await post(http, tool, "undeploy")
            await asyncio.sleep(0.45)  # deliberate: the 0.4 s undeploys end
            begun = time.monotonic()
            sync = await post(http, tools[0], "deploy", json={"isAsync": False})
            took = time.monotonic() - begun
            assert sync.status_code == 200 and sync.json()["status"] == "SUCCESS"
            assert 0.35 <= took < 2, took
            assert await state_of(http, tools[0]) == "deployed"
            begun = time.monotonic()
            asynchronous = await post(http, tools[1], "deploy", json={"isAsync": True})
            assert time.monotonic() - begun < 0.3
            assert asynchronous.json()["status"] == "IN_PROGRESS"
    finally:
        await sim.stop()


async def test_a_failed_sync_tool_deploy_says_failed_in_its_answer(clock: Clock) -> None:
    sim = await started(job_seconds=(0.2, 0.2), tools=1, fail_rate=0.0)
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H, timeout=10) as http:
            (tool,) = sim.tool_ids
            await post(http, tool, "undeploy")
            await asyncio.sleep(0.25)  # deliberate: the 0.2 s undeploy ends
            sim.state.fail_rate = 1.0
            sync = await post(http, tool, "deploy", json={"isAsync": False})
            assert sync.json()["status"] == "FAILED"
            assert await state_of(http, tool) == "ready_to_deploy"
    finally:
        await sim.stop()


async def test_stop_does_not_wait_for_a_sync_deploy() -> None:
    sim = await started(job_seconds=(60.0, 60.0), tools=1)
    sim.state.resources[sim.tool_ids[0]].phase = Phase.READY

    async def slow_call() -> None:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            with contextlib.suppress(httpx.HTTPError):
                await post(http, sim.tool_ids[0], "deploy", json={"isAsync": False})

    task = asyncio.create_task(slow_call())
    await until(lambda: sim.state.received["DEPLOY"][sim.tool_ids[0]] >= 1)  # in flight
    begun = time.monotonic()
    await sim.stop()
    assert time.monotonic() - begun < 5
    await asyncio.wait_for(task, 5)


@pytest.mark.parametrize(
    ("spelling", "model_key", "tool_undeploy_key", "tool_deploy_key"),
    [
        ("documented", "dock-statusId", "dockStatusId", "dock-statusId"),
        ("dock-statusId", "dock-statusId", "dock-statusId", "dock-statusId"),
        ("dockStatusId", "dockStatusId", "dockStatusId", "dockStatusId"),
    ],
)
async def test_dock_status_spelling_per_call_or_forced(
    spelling: str, model_key: str, tool_undeploy_key: str, tool_deploy_key: str
) -> None:
    sim = await started(spelling=spelling, job_seconds=(0.0, 0.0), tools=1, ready_models=1)
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            assert model_key in (await post(http, sim.model_ids[0], "undeploy")).json()
            assert model_key in (await post(http, sim.ready_model_ids[0], "deploy")).json()
            assert tool_undeploy_key in (await post(http, sim.tool_ids[0], "undeploy")).json()
            assert tool_deploy_key in (await post(http, sim.tool_ids[0], "deploy")).json()
    finally:
        await sim.stop()
    with pytest.raises(ValueError, match="unknown dock status spelling 'dock_status_id'"):
        Simulator(sim_config(spelling="dock_status_id"))


async def test_counters_per_action_for_models_and_tools(
    life: Simulator, http: httpx.AsyncClient, clock: Clock
) -> None:
    model, tool = life.model_ids[0], life.tool_ids[0]
    await http.post("/_sim/force", json={"responses": [{"status": 503, "match": "/tools/"}]})
    assert (await post(http, tool, "undeploy")).status_code == 503
    assert (await post(http, tool, "undeploy")).status_code == 200
    await post(http, model, "undeploy")
    await post(http, model, "deploy")  # 409: a job is running
    clock.now += 10
    await post(http, model, "deploy")
    counters = (await http.get("/_sim/counters")).json()
    assert counters["received"] == {"UNDEPLOY": {tool: 2, model: 1}, "DEPLOY": {model: 2}}
    assert counters["accepted"] == {"UNDEPLOY": {tool: 1, model: 1}, "DEPLOY": {model: 2}}
    assert counters["undeployReceived"] == {tool: 2, model: 1}
    assert counters["undeployAccepted"] == {tool: 1, model: 1}
    await http.post("/_sim/reset")
    counters = (await http.get("/_sim/counters")).json()
    assert counters["received"] == counters["accepted"] == {"UNDEPLOY": {}, "DEPLOY": {}}


async def test_fault_profiles_apply_to_deploys_and_tools(clock: Clock) -> None:
    faults = FaultProfile(name="t", drop_after=1.0, fresh_not_found=1.0, unknown_status=1.0)
    sim = await started(clock=clock, job_seconds=(2.0, 2.0), tools=1, ready_models=1, faults=faults)
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            for resource in (sim.ready_model_ids[0], sim.tool_ids[0]):
                action = "deploy" if resource.startswith("cm-") else "undeploy"
                with pytest.raises(httpx.TransportError):
                    await post(http, resource, action)
                # The answer was lost, yet the platform acted: the engine's UNKNOWN case.
                assert await state_of(http, resource) in {"deploying", "undeploying"}
            sim.faults = FaultProfile()  # answers intact from here on; the jobs keep theirs
            jobs = (await http.get("/_sim/jobs")).json()["jobs"]
            assert {j["jobType"] for j in jobs} == {"MODELS", "TOOLS"}
            paths = [f"/api/public/dock-status/{job['dockStatusId']}" for job in jobs]
            for path in paths:
                assert (await http.get(path)).status_code == 404  # fresh ID not visible yet
            clock.now += 0.6
            for path in paths:
                status = (await http.get(path)).json()["status"]
                assert status not in {"IN_PROGRESS", "SUCCESS", "FAILED"}
    finally:
        await sim.stop()


async def test_forced_answers_and_shapes_reach_the_new_calls(
    life: Simulator, http: httpx.AsyncClient
) -> None:
    tool, ready = life.tool_ids[2], life.ready_model_ids[1]
    await http.post(
        "/_sim/force",
        json={
            "responses": [
                {"status": 429, "retry_after": 2, "match": "/deploy"},
                {"mode": "drip", "interval": 0.001, "match": "/tools/"},
            ]
        },
    )
    limited = await post(http, ready, "deploy")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert await state_of(http, ready) == "ready_to_deploy"
    dripped = await post(http, tool, "undeploy")
    assert dripped.status_code == 200 and dripped.json()["toolId"] == tool


async def test_admin_lists_show_each_resource_state(
    life: Simulator, http: httpx.AsyncClient
) -> None:
    models = (await http.get("/_sim/models")).json()["models"]
    assert [m["state"] for m in models] == ["deployed"] * 3 + ["ready_to_deploy"] * 2 + [
        "never_deployed"
    ]
    assert set(models[0]) == {"modelId", "state", "deployed", "pendingJob"}
    tools = (await http.get("/_sim/tools")).json()["tools"]
    assert [t["toolId"] for t in tools] == life.tool_ids
    assert all(t["state"] == "deployed" and t["deployed"] is True for t in tools)


def test_seeding_tools_changes_neither_model_ids_nor_job_ids() -> None:
    plain = Simulator(sim_config(models=5, seed=11))
    with_tools = Simulator(sim_config(models=5, seed=11, tools=4, ready_models=2))
    again = Simulator(sim_config(models=5, seed=11, tools=4, ready_models=2))
    assert plain.model_ids == with_tools.model_ids
    assert with_tools.tool_ids == again.tool_ids and len(set(with_tools.tool_ids)) == 4
    parsed = parse_ids("\n".join(with_tools.tool_ids + with_tools.ready_model_ids))
    assert parsed.tool_ids == with_tools.tool_ids and parsed.invalid == []
    assert parsed.model_ids == with_tools.ready_model_ids
    jobs = [
        sim.state.start_job(
            sim.state.resources[sim.model_ids[0]], "UNDEPLOY", fresh_not_found=0, unknown_status=0
        ).dock_status_id
        for sim in (plain, with_tools)
    ]
    assert jobs[0] == jobs[1]


async def test_queued_outcomes_decide_the_next_matching_jobs(
    life: Simulator, http: httpx.AsyncClient, clock: Clock
) -> None:
    model, other = life.model_ids[:2]
    queued = await http.post(
        "/_sim/outcomes",
        json={
            "outcomes": [
                {"status": "FAILED", "action": "DEPLOY", "resource": model},
                {"status": "FAILED", "resource": other},
            ]
        },
    )
    assert queued.json() == {"queued": 2}
    for bad in (
        {"status": "MAYBE"},
        {"status": "FAILED", "action": "RESTART"},
        {"status": "FAILED", "when": "now"},
        {"status": "FAILED", "resource": 3},
    ):
        r = await http.post("/_sim/outcomes", json={"outcomes": [bad]})
        assert r.status_code == 400 and "expected" in message(r), bad
    # The undeploy does not match the queued DEPLOY outcome: it succeeds (fail_rate 0).
    first = (await post(http, model, "undeploy")).json()["dock-statusId"]
    clock.now += 10
    second = (await post(http, model, "deploy")).json()["dock-statusId"]
    third = (await post(http, other, "undeploy")).json()["dock-statusId"]
    clock.now += 10
    statuses = [
        (await http.get(f"/api/public/dock-status/{ds}")).json()["status"]
        for ds in (first, second, third)
    ]
    assert statuses == ["SUCCESS", "FAILED", "FAILED"]
    assert await state_of(http, model) == "ready_to_deploy"
    assert await state_of(http, other) == "deployed"
    assert len(life.state.forced_outcomes) == 0
