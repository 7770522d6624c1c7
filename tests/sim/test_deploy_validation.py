"""Every documented rule of a deploy request, over real HTTP: a body that breaks one is
answered 400 VALIDATION_ERROR naming the field and what it allows, and starts nothing."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kore_tui.simulator import Simulator
from kore_tui.simulator.faults import FaultProfile
from kore_tui.simulator.state import Phase
from tests.conftest import SENTINEL_KEY, sim_config

H = {"x-api-key": SENTINEL_KEY}
VALID: dict[str, Any] = {
    "name": "llama-prod",
    "hyperParameters": {
        "temperature": 0.7,
        "maxTokens": 256,
        "topP": 0.9,
        "topK": 40,
        "stopSequence": ["</s>"],
    },
    "scalingParameters": {
        "maxBatchSize": 8,
        "minReplicas": 1,
        "maxReplicas": 3,
        "scaleUpDelay": 30,
        "scaleDownDelay": 600,
    },
    "deviceType": "g5.xlarge",
    "optimizationInfo": {"optimizationType": "", "quantizationType": ""},
    "isDeployedPreviously": True,
}


class _Missing:
    """The field is left out. A stable repr, so xdist workers collect the same test IDs."""

    def __repr__(self) -> str:
        return "<missing>"


_DROP = _Missing()


def body_with(path: str, value: object) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    target = body
    for key in parents:
        target = target[key]
    if value is _DROP:
        del target[leaf]
    else:
        target[leaf] = value
    return body


# (field path, bad value, words the message must contain)
BAD_FIELDS = [
    ("name", _DROP, "name is required and must be a non-empty string"),
    ("name", "", "name is required"),
    ("name", 7, "name is required and must be a non-empty string (got 7)"),
    ("hyperParameters", _DROP, "hyperParameters is required and must be an object"),
    ("hyperParameters", [1], "hyperParameters is required and must be an object"),
    (
        "hyperParameters.temperature",
        3.5,
        "hyperParameters.temperature must be a number from 0 to 2 (got 3.5)",
    ),
    ("hyperParameters.temperature", -0.1, "hyperParameters.temperature must be a number"),
    ("hyperParameters.temperature", "0.5", "hyperParameters.temperature must be a number"),
    ("hyperParameters.temperature", True, "hyperParameters.temperature must be a number"),
    (
        "hyperParameters.temperature",
        _DROP,
        "hyperParameters.temperature is required: a number from 0 to 2",
    ),
    (
        "hyperParameters.maxTokens",
        513,
        "hyperParameters.maxTokens must be an integer from 0 to 512 (got 513)",
    ),
    ("hyperParameters.maxTokens", 1.5, "hyperParameters.maxTokens must be an integer"),
    ("hyperParameters.maxTokens", -1, "hyperParameters.maxTokens must be an integer"),
    ("hyperParameters.topP", 1.01, "hyperParameters.topP must be a number from 0 to 1"),
    ("hyperParameters.topK", 0, "hyperParameters.topK must be an integer from 1 to 100"),
    ("hyperParameters.topK", 101, "hyperParameters.topK must be an integer from 1 to 100"),
    ("hyperParameters.topK", _DROP, "hyperParameters.topK is required"),
    (
        "hyperParameters.stopSequence",
        "stop",
        "hyperParameters.stopSequence must be an array of strings",
    ),
    ("hyperParameters.stopSequence", [1], "hyperParameters.stopSequence must be an array"),
    ("scalingParameters", "auto", "scalingParameters must be an object"),
    (
        "scalingParameters.maxBatchSize",
        0,
        "scalingParameters.maxBatchSize must be an integer from 1 to 256",
    ),
    ("scalingParameters.maxBatchSize", 257, "scalingParameters.maxBatchSize"),
    (
        "scalingParameters.minReplicas",
        0,
        "scalingParameters.minReplicas must be an integer from 1 to 10",
    ),
    ("scalingParameters.minReplicas", 11, "scalingParameters.minReplicas"),
    (
        "scalingParameters.maxReplicas",
        51,
        "scalingParameters.maxReplicas must be an integer from 1 to 50",
    ),
    (
        "scalingParameters.scaleUpDelay",
        0,
        "scalingParameters.scaleUpDelay must be an integer from 1 to 1000",
    ),
    ("scalingParameters.scaleUpDelay", 1001, "scalingParameters.scaleUpDelay"),
    (
        "scalingParameters.scaleDownDelay",
        49,
        "scalingParameters.scaleDownDelay must be an integer from 50 to 2000",
    ),
    ("scalingParameters.scaleDownDelay", 2001, "scalingParameters.scaleDownDelay"),
    ("deviceType", _DROP, "deviceType must be one of g4dn.xlarge, g5.xlarge"),
    (
        "deviceType",
        "p4d.24xlarge",
        "deviceType must be one of g4dn.xlarge, g5.xlarge, "
        "g5.2xlarge, g6e.xlarge, g4dn.12xlarge, g5.12xlarge, g5.48xlarge, g4dn.metal "
        "(got 'p4d.24xlarge')",
    ),
    ("optimizationInfo", 3, "optimizationInfo must be an object"),
    (
        "optimizationInfo.optimizationType",
        "tensorrt",
        "optimizationInfo.optimizationType must be one of '', ctranslate2, vllm",
    ),
    (
        "optimizationInfo.quantizationType",
        "int4",
        "optimizationInfo.quantizationType must be one of '', no_quantization, int8_float16",
    ),
    ("isDeployedPreviously", "yes", "isDeployedPreviously must be a boolean"),
]

# Bodies that must pass: the documented bounds themselves, empty strings, nulls, extras.
GOOD_BODIES = {
    "lower bounds": {
        **VALID,
        "hyperParameters": {"temperature": 0, "maxTokens": 0, "topP": 0, "topK": 1},
        "scalingParameters": {
            "maxBatchSize": 1,
            "minReplicas": 1,
            "maxReplicas": 1,
            "scaleUpDelay": 1,
            "scaleDownDelay": 50,
        },
    },
    "upper bounds": {
        **VALID,
        "hyperParameters": {"temperature": 2, "maxTokens": 512, "topP": 1.0, "topK": 100},
        "scalingParameters": {
            "maxBatchSize": 256,
            "minReplicas": 10,
            "maxReplicas": 50,
            "scaleUpDelay": 1000,
            "scaleDownDelay": 2000,
        },
    },
    "required fields only": {
        "name": "n",
        "deviceType": "g4dn.metal",
        "hyperParameters": {"temperature": 1, "maxTokens": 1, "topP": 0.5, "topK": 5},
    },
    "nulls for optional fields and unknown keys": {
        **VALID,
        "scalingParameters": None,
        "optimizationInfo": {"optimizationType": "vllm", "quantizationType": None},
        "isDeployedPreviously": None,
        "comment": "ignored",
    },
}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(
        sim_config(models=0, ready_models=len(GOOD_BODIES), tools=1, job_seconds=(30.0, 30.0))
    )
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def refused(sim: Simulator, path: str, **kw: Any) -> str:
    """POST, check the 400 VALIDATION_ERROR and that nothing started; the message."""
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        r = await http.post(path, **kw)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert (await http.get("/_sim/jobs")).json()["jobs"] == []
        counters = (await http.get("/_sim/counters")).json()
    assert sum(counters["accepted"]["DEPLOY"].values()) == 1, "the platform looked at it"
    return str(error["message"])


@pytest.mark.parametrize(
    ("path", "value", "words"), BAD_FIELDS, ids=[f"{p}={v!r}" for p, v, _ in BAD_FIELDS]
)
async def test_a_model_body_that_breaks_a_rule_is_refused_naming_the_field(
    sim: Simulator, path: str, value: object, words: str
) -> None:
    model = sim.ready_model_ids[0]
    text = await refused(
        sim,
        f"/api/public/models/{model}/deploy",
        params={"modelType": "fineTune"},
        json=body_with(path, value),
    )
    assert words in text, text


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({}, "query parameter modelType is required: one of openSource, fineTune"),
        (
            {"modelType": "opensource"},
            "query parameter modelType must be one of openSource, fineTune (got 'opensource')",
        ),
        ({"modelType": ""}, "query parameter modelType must be one of"),
    ],
)
async def test_model_type_is_required_and_must_be_documented(
    sim: Simulator, query: dict[str, str], words: str
) -> None:
    text = await refused(
        sim, f"/api/public/models/{sim.ready_model_ids[0]}/deploy", params=query, json=VALID
    )
    assert words in text, text


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "the request body must be a JSON object"),
        (b"[1, 2]", "the request body must be a JSON object"),
        (b'{"name": ', "The request body is not valid JSON"),
    ],
)
async def test_a_body_that_is_no_json_object_is_refused(
    sim: Simulator, content: bytes, words: str
) -> None:
    text = await refused(
        sim,
        f"/api/public/models/{sim.ready_model_ids[0]}/deploy",
        params={"modelType": "openSource"},
        content=content,
        headers={"content-type": "application/json"},
    )
    assert text == words


async def test_every_problem_is_named_at_once(sim: Simulator) -> None:
    body = body_with("hyperParameters.topK", 0)
    body["deviceType"] = "cpu"
    text = await refused(
        sim,
        f"/api/public/models/{sim.ready_model_ids[0]}/deploy",
        params={"modelType": "openSource"},
        json=body,
    )
    assert "hyperParameters.topK" in text and "; deviceType must be one of" in text


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "isAsync is required and must be a boolean (got None)"),
        ({"isAsync": "false"}, "isAsync is required and must be a boolean (got 'false')"),
        ({"isAsync": 0}, "isAsync is required and must be a boolean (got 0)"),
        ([True], "the request body must be a JSON object"),
    ],
)
async def test_a_tool_deploy_needs_a_boolean_is_async(
    sim: Simulator, body: object, words: str
) -> None:
    sim.state.resources[sim.tool_ids[0]].phase = Phase.READY
    text = await refused(sim, f"/api/public/tools/{sim.tool_ids[0]}/deploy", json=body)
    assert text == words


async def test_documented_bounds_nulls_and_extras_are_accepted(sim: Simulator) -> None:
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        for model, (name, body) in zip(sim.ready_model_ids, GOOD_BODIES.items(), strict=True):
            r = await http.post(
                f"/api/public/models/{model}/deploy", params={"modelType": "openSource"}, json=body
            )
            assert r.status_code == 200, (name, r.text)
            assert r.json()["status"] == "IN_PROGRESS"


async def test_validation_errors_come_in_both_envelopes() -> None:
    sim = Simulator(
        sim_config(
            models=0, ready_models=1, faults=FaultProfile(name="t", alternate_envelopes=True)
        )
    )
    await sim.start()
    shapes: set[str] = set()
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            for _ in range(30):
                r = await http.post(
                    f"/api/public/models/{sim.ready_model_ids[0]}/deploy",
                    params={"modelType": "openSource"},
                    json=body_with("hyperParameters.topP", 2),
                )
                assert r.status_code == 400
                error = r.json()["error"]
                if isinstance(error, str):
                    shapes.add("simple")
                    assert set(r.json()) == {"error"}
                    assert error.startswith("hyperParameters.topP must be a number from 0 to 1")
                else:
                    shapes.add("envelope")
                    assert r.json()["success"] is False
                    assert error["code"] == "VALIDATION_ERROR"
                    assert "hyperParameters.topP" in error["message"]
    finally:
        await sim.stop()
    assert shapes == {"simple", "envelope"}


async def test_an_oversized_body_gets_a_413_in_the_platform_envelope(sim: Simulator) -> None:
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        r = await http.post(
            f"/api/public/models/{sim.ready_model_ids[0]}/deploy",
            params={"modelType": "openSource"},
            json={**VALID, "name": "x" * 100_000},
        )
    assert r.status_code == 413
    assert r.json() == {
        "success": False,
        "error": {"code": "PAYLOAD_TOO_LARGE", "message": "The request body is too large"},
    }
