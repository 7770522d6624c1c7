"""KoreClient.start_job: the four job-starting POSTs, byte for byte, and their answers."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from kore_tui import __version__
from kore_tui.core import errors
from kore_tui.core.api_client import KoreClient
from kore_tui.core.models import AcceptedJob
from kore_tui.core.resources import Action, ResourceKind
from kore_tui.core.secret import Secret
from tests.conftest import SENTINEL_KEY
from tests.unit.test_api_client import DS, MODEL, assert_no_key, client_for

TOOL = "a-5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b"
MODEL_BODY: dict[str, Any] = {
    "name": "llama-prod",
    "hyperParameters": {
        "temperature": 0.7,
        "maxTokens": 256,
        "topP": 0.9,
        "topK": 40,
        "stopSequence": ["</s>"],
    },
    "scalingParameters": {"minReplicas": 1, "maxReplicas": 3},
    "deviceType": "g5.xlarge",
    "optimizationInfo": {"optimizationType": "", "quantizationType": ""},
    "isDeployedPreviously": True,
}

# (resource, action, id, body, query, expected path, expected query, answer)
CALLS = {
    "model undeploy": (
        "model",
        "UNDEPLOY",
        MODEL.upper(),
        None,
        None,
        f"/api/public/models/{MODEL}/undeploy",
        {},
        {
            "dock-statusId": DS,
            "modelId": MODEL,
            "jobType": "MODELS",
            "action": "UNDEPLOY",
            "status": "SUCCESS",
        },
    ),
    "model deploy": (
        "model",
        "DEPLOY",
        MODEL,
        MODEL_BODY,
        {"modelType": "openSource"},
        f"/api/public/models/{MODEL}/deploy",
        {"modelType": "openSource"},
        {
            "dock-statusId": DS,
            "modelId": MODEL,
            "jobType": "MODELS",
            "action": "DEPLOY",
            "status": "IN_PROGRESS",
        },
    ),
    "tool undeploy": (
        ResourceKind.TOOL,
        Action.UNDEPLOY,
        TOOL,
        None,
        None,
        f"/api/public/tools/{TOOL}/undeploy",
        {},
        {
            "dockStatusId": DS,
            "toolId": TOOL,
            "jobType": "TOOLS",
            "action": "UNDEPLOY",
            "status": "SUCCESS",
        },
    ),
    "tool deploy": (
        "tool",
        "DEPLOY",
        TOOL,
        {"isAsync": False},
        None,
        f"/api/public/tools/{TOOL}/deploy",
        {},
        {
            "dock-statusId": DS,
            "toolId": TOOL,
            "jobType": "TOOLS",
            "action": "DEPLOY",
            "status": "SUCCESS",
        },
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_each_call_sends_exactly_the_documented_request(name: str) -> None:
    resource, action, resource_id, body, query, path, want_query, answer = CALLS[name]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    async with client_for(handler) as client:
        job = await client.start_job(resource, action, resource_id, body=body, query=query)
        assert_no_key(client, job)
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == path and dict(request.url.params) == want_query
    assert request.url.host == "agent-platform.kore.ai" and request.url.scheme == "https"
    assert request.headers["x-api-key"] == SENTINEL_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == f"kore-tui/{__version__}"
    assert SENTINEL_KEY not in str(request.url)
    if body is None:
        assert request.content == b""
    else:
        assert json.loads(request.content) == body
    assert job == AcceptedJob(
        dock_status_id=DS,
        resource_id=answer.get("modelId") or TOOL,
        job_type=answer["jobType"],
        action=answer["action"],
        status=answer["status"],
        raw=answer,
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"dock-statusId": DS, "status": "SUCCESS"}, (DS, None, None, None, "SUCCESS")),
        (
            {
                "dockStatusId": DS,
                "toolId": TOOL,
                "status": "IN_PROGRESS",
                "percent": 3,
                "nested": {"x": [1]},
            },
            (DS, TOOL, None, None, "IN_PROGRESS"),
        ),
        (
            {
                "dockStatusId": DS,
                "dock-statusId": DS,
                "modelId": MODEL,
                "jobType": "MODELS",
                "action": "DEPLOY",
                "status": "QUEUED",
            },
            (DS, MODEL, "MODELS", "DEPLOY", "QUEUED"),
        ),
        # A type-confused echo is dropped, not trusted and not fatal.
        (
            {"dock-statusId": DS, "toolId": 7, "jobType": ["TOOLS"], "status": "SUCCESS"},
            (DS, None, None, None, "SUCCESS"),
        ),
    ],
)
async def test_answers_are_read_tolerantly(
    answer: dict[str, Any], expected: tuple[object, ...]
) -> None:
    async with client_for(lambda r: httpx.Response(200, json=answer)) as client:
        job = await client.start_job("tool", "DEPLOY", TOOL, body={"isAsync": True})
    assert (job.dock_status_id, job.resource_id, job.job_type, job.action, job.status) == expected
    assert job.raw == answer


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"toolId": TOOL, "status": "SUCCESS"}, "missing the required field 'dock-statusId'"),
        ({"dockStatusId": "", "status": "SUCCESS"}, "is not a non-empty string"),
        ({"dockStatusId": DS}, "missing the required field 'status'"),
        ([DS], "expected a JSON object, got list"),
    ],
)
async def test_an_unusable_answer_is_a_format_error_with_its_status(
    answer: object, message: str
) -> None:
    async with client_for(lambda r: httpx.Response(201, json=answer)) as client:
        with pytest.raises(errors.ResponseFormatError, match=message) as info:
            await client.start_job("tool", "UNDEPLOY", TOOL)
    assert info.value.status == 201


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "message"),
    [
        (("guardrail", "DEPLOY", TOOL), {}, ValueError, "unknown job 'guardrail'/'DEPLOY'"),
        (("model", "RESTART", MODEL), {}, ValueError, "action one of UNDEPLOY, DEPLOY"),
        (("model", "UNDEPLOY", MODEL), {"body": {}}, ValueError, "models undeploy takes no body"),
        (("tool", "DEPLOY", TOOL), {}, ValueError, "tools deploy needs a JSON body"),
        (
            ("model", "DEPLOY", MODEL),
            {"body": MODEL_BODY},
            ValueError,
            "models deploy takes modelType, got none",
        ),
        (
            ("model", "DEPLOY", MODEL),
            {"body": MODEL_BODY, "query": {"modelType": "openSource", "x": "1"}},
            ValueError,
            "takes modelType, got modelType, x",
        ),
        (
            ("model", "DEPLOY", MODEL),
            {"body": MODEL_BODY, "query": {"modelType": ""}},
            ValueError,
            "query modelType must be a non-empty string",
        ),
        (
            ("tool", "UNDEPLOY", TOOL),
            {"query": {"modelType": "openSource"}},
            ValueError,
            "tools undeploy takes no query",
        ),
        (
            ("model", "DEPLOY", MODEL),
            {
                "body": {"hyperParameters": {"temperature": float("nan")}},
                "query": {"modelType": "fineTune"},
            },
            ValueError,
            "body is not JSON",
        ),
        (("tool", "DEPLOY", TOOL), {"body": {"isAsync": object()}}, ValueError, "body is not JSON"),
        (("tool", "UNDEPLOY", MODEL), {}, errors.InvalidIdError, "not a valid a- ID"),
        (("model", "UNDEPLOY", TOOL), {}, errors.InvalidIdError, "not a valid cm- ID"),
        (
            ("tool", "DEPLOY", f"{TOOL}/../../x"),
            {"body": {"isAsync": True}},
            errors.InvalidIdError,
            "not a valid a- ID",
        ),
    ],
)
async def test_a_request_the_route_cannot_take_is_refused_and_nothing_is_sent(
    args: tuple[str, str, str], kwargs: dict[str, Any], exc: type[Exception], message: str
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"dockStatusId": DS, "status": "SUCCESS"})

    async with client_for(handler) as client:
        with pytest.raises(exc, match=re.escape(message)):
            await client.start_job(*args, **kwargs)
    assert sent == []


@pytest.mark.parametrize(
    ("response", "cls"),
    [
        (httpx.Response(409, json={"error": "Model is already deployed"}), errors.ConflictError),
        (
            httpx.Response(
                400,
                json={
                    "success": False,
                    "error": {
                        "code": "VALIDATION_ERROR",
                        "message": "hyperParameters.topK must be 1-100",
                    },
                },
            ),
            errors.BadRequestError,
        ),
        (
            httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "slow"}),
            errors.RateLimitedError,
        ),
        (httpx.Response(503, content=b""), errors.ServerError),
    ],
)
async def test_deploy_failures_map_to_the_same_typed_errors(
    response: httpx.Response, cls: type[errors.ApiError]
) -> None:
    async with client_for(lambda r: response) as client:
        with pytest.raises(cls) as info:
            await client.start_job(
                "model", "DEPLOY", MODEL, body=MODEL_BODY, query={"modelType": "openSource"}
            )
    assert info.value.status == response.status_code
    assert_no_key(info.value)


async def test_the_per_call_budget_applies_to_start_job() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={"dockStatusId": DS, "status": "SUCCESS"})

    transport = httpx.MockTransport(slow)
    async with KoreClient(
        "https://gale.kore.ai", Secret(SENTINEL_KEY), transport=transport
    ) as client:
        with pytest.raises(errors.RequestTimeoutError, match=r"0\.2s budget"):
            await client.start_job("tool", "DEPLOY", TOOL, body={"isAsync": False}, budget=0.2)
