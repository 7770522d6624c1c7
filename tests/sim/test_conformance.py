"""Conformance: every documented sample request of api-contract.md, replayed against the
simulator over real HTTP, answers with exactly the documented keys and value types; and
the client reads each answer. A sample value written "cm-…" means "an ID of that kind";
a set means "one of"; any other value must match exactly."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kore_tui.core.api_client import KoreClient
from kore_tui.core.secret import Secret
from kore_tui.simulator import Simulator
from kore_tui.simulator.faults import FaultProfile
from tests.conftest import SENTINEL_KEY, sim_config

H = {"x-api-key": SENTINEL_KEY}
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
STATUSES = {"SUCCESS", "IN_PROGRESS", "FAILED"}

# The documented samples, verbatim but for the elided IDs.
UNDEPLOY_MODEL = {
    "dock-statusId": "ds-…",
    "modelId": "cm-…",
    "jobType": "MODELS",
    "action": "UNDEPLOY",
    "status": STATUSES,
}
DOCK_STATUS = {
    "_id": "ds-…",
    "toolId": "…",
    "jobType": {"TOOLS", "MODELS", "GUARDRAILS"},
    "action": {"IMPORT", "EXPORT", "DEPLOY", "UNDEPLOY"},
    "status": STATUSES,
}
DEPLOY_MODEL = {
    "dock-statusId": "ds-…",
    "modelId": "cm-…",
    "jobType": "MODELS",
    "action": "DEPLOY",
    "status": STATUSES,
}
UNDEPLOY_TOOL = {
    "dockStatusId": "ds-…",
    "toolId": "a-…",
    "jobType": "TOOLS",
    "action": "UNDEPLOY",
    "status": STATUSES,
}
DEPLOY_TOOL = {
    "dock-statusId": "ds-…",
    "toolId": "a-…",
    "jobType": "TOOLS",
    "action": "DEPLOY",
    "status": {"SUCCESS", "FAILED"},
}
ERROR_ENVELOPE = {"success": False, "error": {"code": "NOT_FOUND", "message": "…"}}
SIMPLE_ERROR = {"error": "…"}
# The Deploy a Model request as documented (optimization values: the samples' empty strings).
DEPLOY_MODEL_BODY = {
    "name": "my-deployment",
    "hyperParameters": {
        "temperature": 0.5,
        "maxTokens": 256,
        "topP": 0.9,
        "topK": 50,
        "stopSequence": [],
    },
    "scalingParameters": {
        "maxBatchSize": 16,
        "minReplicas": 1,
        "maxReplicas": 2,
        "scaleUpDelay": 60,
        "scaleDownDelay": 300,
    },
    "deviceType": "g5.xlarge",
    "optimizationInfo": {"optimizationType": "", "quantizationType": ""},
    "isDeployedPreviously": True,
}


def assert_shape(body: Any, sample: dict[str, Any], where: str = "") -> None:
    assert isinstance(body, dict), f"{where}: {body!r}"
    assert set(body) == set(sample), f"{where}: keys {sorted(body)} != {sorted(sample)}"
    for key, want in sample.items():
        got, at = body[key], f"{where}.{key}"
        if isinstance(want, dict):
            assert_shape(got, want, at)
        elif isinstance(want, set):
            assert got in want, f"{at}: {got!r} not in {sorted(want)}"
        elif isinstance(want, str) and want.endswith("…"):
            assert isinstance(got, str) and got, f"{at}: {got!r}"
            if want != "…":
                assert re.fullmatch(re.escape(want[:-1]) + _UUID, got), f"{at}: {got!r}"
        else:
            assert type(got) is type(want) and got == want, f"{at}: {got!r} != {want!r}"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    # Instant jobs, as in the samples that already answer SUCCESS.
    simulator = Simulator(sim_config(models=1, tools=1, job_seconds=(0.0, 0.0)))
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def test_every_documented_call_answers_in_its_documented_shape(sim: Simulator) -> None:
    model, tool = sim.model_ids[0], sim.tool_ids[0]
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        # curl --location --request POST '{host}/api/public/models/{id}/undeploy'
        #   --header 'x-api-key: …'  (no body)
        r = await http.post(f"/api/public/models/{model}/undeploy")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert_shape(r.json(), UNDEPLOY_MODEL, "undeploy model")
        assert r.json()["modelId"] == model
        jobs = [(r.json()["dock-statusId"], model, "MODELS", "UNDEPLOY")]

        r = await http.post(
            f"/api/public/models/{model}/deploy",
            params={"modelType": "openSource"},
            json=DEPLOY_MODEL_BODY,
        )
        assert r.status_code == 200, r.text
        assert_shape(r.json(), DEPLOY_MODEL, "deploy model")
        jobs.append((r.json()["dock-statusId"], model, "MODELS", "DEPLOY"))

        r = await http.post(f"/api/public/tools/{tool}/undeploy")
        assert_shape(r.json(), UNDEPLOY_TOOL, "undeploy tool")
        assert r.json()["toolId"] == tool
        jobs.append((r.json()["dockStatusId"], tool, "TOOLS", "UNDEPLOY"))

        r = await http.post(f"/api/public/tools/{tool}/deploy", json={"isAsync": False})
        assert_shape(r.json(), DEPLOY_TOOL, "deploy tool")
        jobs.append((r.json()["dock-statusId"], tool, "TOOLS", "DEPLOY"))

        for ds, resource, job_type, action in jobs:
            r = await http.get(f"/api/public/dock-status/{ds}")
            assert_shape(r.json(), DOCK_STATUS, f"dock status of {action} {job_type}")
            assert r.json() == {
                "_id": ds,
                "toolId": resource,
                "jobType": job_type,
                "action": action,
                "status": "SUCCESS",
            }

        r = await http.get("/api/public/dock-status/ds-00000000-0000-4000-8000-000000000000")
        assert r.status_code == 404
        assert_shape(r.json(), ERROR_ENVELOPE, "error envelope")


async def test_the_client_reads_every_documented_answer(sim: Simulator) -> None:
    model, tool = sim.model_ids[0], sim.tool_ids[0]
    calls: list[tuple[str, str, str, dict[str, Any] | None, dict[str, str] | None]] = [
        ("model", "UNDEPLOY", model, None, None),
        ("model", "DEPLOY", model, DEPLOY_MODEL_BODY, {"modelType": "openSource"}),
        ("tool", "UNDEPLOY", tool, None, None),
        ("tool", "DEPLOY", tool, {"isAsync": False}, None),
    ]
    async with KoreClient(sim.url, Secret(SENTINEL_KEY)) as client:
        for resource, action, resource_id, body, query in calls:
            job = await client.start_job(resource, action, resource_id, body=body, query=query)
            assert (job.resource_id, job.action, job.status) == (resource_id, action, "SUCCESS")
            assert job.job_type == ("MODELS" if resource == "model" else "TOOLS")
            status = await client.dock_status(job.dock_status_id)
            assert (status.tool_id, status.action, status.is_final) == (resource_id, action, True)


async def test_both_error_envelopes_are_documented_shapes() -> None:
    sim = Simulator(sim_config(models=1, faults=FaultProfile(name="t", alternate_envelopes=True)))
    await sim.start()
    seen: set[str] = set()
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            for _ in range(30):
                r = await http.post(
                    "/api/public/tools/a-00000000-0000-4000-8000-000000000000/undeploy"
                )
                assert r.status_code == 404
                if "success" in r.json():
                    assert_shape(r.json(), ERROR_ENVELOPE, "envelope")
                    seen.add("envelope")
                else:
                    assert_shape(r.json(), SIMPLE_ERROR, "simple")
                    seen.add("simple")
    finally:
        await sim.stop()
    assert seen == {"envelope", "simple"}


@pytest.mark.parametrize(
    "body",
    [
        {
            "dockStatusId": "ds-00000000-0000-4000-8000-000000000000",
            "modelId": "cm-x",
            "jobType": "MODELS",
            "action": "UNDEPLOY",
            "status": "SUCCESS",
        },
        {
            "dock-statusId": "ds-00000000-0000-4000-8000-000000000000",
            "modelId": "a-00000000-0000-4000-8000-000000000000",
            "jobType": "MODELS",
            "action": "UNDEPLOY",
            "status": "SUCCESS",
        },
        {
            "dock-statusId": "ds-00000000-0000-4000-8000-000000000000",
            "modelId": "cm-00000000-0000-4000-8000-000000000000",
            "jobType": "MODELS",
            "action": "UNDEPLOY",
            "status": "DONE",
        },
    ],
)
def test_the_shape_check_itself_catches_a_wrong_key_id_or_value(body: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        assert_shape(body, UNDEPLOY_MODEL)
