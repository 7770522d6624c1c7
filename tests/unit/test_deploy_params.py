"""Every documented rule of the deploy parameters, one row each (api-contract.md,
"Deploy a model"): the message names the field and what is allowed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kore_tui.core.deploy_params import (
    DEVICE_TYPES,
    DeployParamsError,
    ModelDeployParams,
    ToolDeployParams,
    parse_model_params,
    with_overrides,
)

VALID: dict[str, Any] = {
    "model_type": "openSource",
    "name": "llama-prod",
    "device_type": "g5.xlarge",
    "hyper_parameters": {"temperature": 0.7, "max_tokens": 256, "top_p": 0.9, "top_k": 50},
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target.setdefault(part, {})
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return data


class _Missing:
    """The field left out (a stable repr: xdist workers must collect the same test IDs)."""

    def __repr__(self) -> str:
        return "<missing>"


_DELETE = _Missing()

# (field path, bad value, words the message must hold)
RULES = [
    ("model_type", "closedSource", "must be one of openSource, fineTune"),
    ("model_type", _DELETE, "model_type is required"),
    ("name", "", "must be a non-empty string"),
    ("name", 7, "must be a non-empty string"),
    ("name", "bad\x1b[31mname", "control or format characters"),
    ("name", _DELETE, "name is required"),
    ("device_type", "p4d.24xlarge", "must be one of g4dn.xlarge"),
    ("device_type", _DELETE, "device_type is required"),
    ("hyper_parameters", _DELETE, "hyper_parameters is required"),
    ("hyper_parameters", "hot", "must be a table"),
    ("hyper_parameters.temperature", 3.5, "must be a number from 0 to 2 (got 3.5)"),
    ("hyper_parameters.temperature", -0.1, "must be a number from 0 to 2"),
    ("hyper_parameters.temperature", "0.5", "must be a number from 0 to 2"),
    ("hyper_parameters.temperature", True, "must be a number from 0 to 2"),
    ("hyper_parameters.temperature", float("nan"), "must be a number from 0 to 2"),
    ("hyper_parameters.temperature", _DELETE, "hyper_parameters.temperature is required"),
    ("hyper_parameters.max_tokens", 513, "must be a whole number from 0 to 512 (got 513)"),
    ("hyper_parameters.max_tokens", -1, "must be a whole number from 0 to 512"),
    ("hyper_parameters.max_tokens", 100.5, "must be a whole number from 0 to 512"),
    ("hyper_parameters.max_tokens", _DELETE, "is required"),
    ("hyper_parameters.top_p", 1.01, "must be a number from 0 to 1"),
    ("hyper_parameters.top_p", _DELETE, "is required"),
    ("hyper_parameters.top_k", 0, "must be a whole number from 1 to 100"),
    ("hyper_parameters.top_k", 101, "must be a whole number from 1 to 100"),
    ("hyper_parameters.top_k", _DELETE, "is required"),
    ("hyper_parameters.stop_sequence", "END", "must be a list of strings"),
    ("hyper_parameters.stop_sequence", ["END", 3], "must be a list of strings"),
    ("hyper_parameters.top_q", 1, "is not a known key"),
    ("scaling_parameters.max_batch_size", 0, "must be a whole number from 1 to 256"),
    ("scaling_parameters.max_batch_size", 257, "must be a whole number from 1 to 256"),
    ("scaling_parameters.min_replicas", 0, "must be a whole number from 1 to 10"),
    ("scaling_parameters.min_replicas", 11, "must be a whole number from 1 to 10"),
    ("scaling_parameters.max_replicas", 51, "must be a whole number from 1 to 50"),
    ("scaling_parameters.scale_up_delay", 0, "must be a whole number from 1 to 1000"),
    ("scaling_parameters.scale_up_delay", 1001, "must be a whole number from 1 to 1000"),
    ("scaling_parameters.scale_down_delay", 49, "must be a whole number from 50 to 2000"),
    ("scaling_parameters.scale_down_delay", 2001, "must be a whole number from 50 to 2000"),
    ("scaling_parameters.replicas", 2, "is not a known key"),
    (
        "optimization_info.optimization_type",
        "tensorrt",
        "must be one of ctranslate2, vllm (or empty)",
    ),
    (
        "optimization_info.quantization_type",
        "int4",
        "must be one of no_quantization, int8_float16 (or empty)",
    ),
    ("is_deployed_previously", "yes", "must be true or false"),
    ("colour", "red", "is not a known key"),
]


@pytest.mark.parametrize(("path", "value", "words"), RULES, ids=[f"{p}={v!r}" for p, v, _ in RULES])
def test_each_rule_names_the_field_and_what_is_allowed(path: str, value: Any, words: str) -> None:
    with pytest.raises(DeployParamsError) as caught:
        parse_model_params(_with(path, value), source="deploy profile 'gpu'")
    message = str(caught.value)
    assert message.startswith("deploy profile 'gpu': ")
    assert words in message
    if value is not _DELETE and "known key" not in words:
        assert caught.value.field == path


def test_the_documented_example_message() -> None:
    with pytest.raises(
        DeployParamsError,
        match=r"^deploy profile 'gpu': hyper_parameters\."
        r"temperature must be a number from 0 to 2 \(got 3\.5\)$",
    ):
        parse_model_params(
            _with("hyper_parameters.temperature", 3.5), source="deploy profile 'gpu'"
        )


def test_min_replicas_may_not_exceed_max_replicas() -> None:
    data = _with("scaling_parameters", {"min_replicas": 4, "max_replicas": 3})
    with pytest.raises(DeployParamsError, match=r"min_replicas must not exceed max_replicas"):
        parse_model_params(data, source="form")
    ok = parse_model_params(
        _with("scaling_parameters", {"min_replicas": 3, "max_replicas": 3}), source="form"
    )
    assert ok.cost_summary() == "g5.xlarge, 3 replicas"


@pytest.mark.parametrize(
    "edge",
    [
        ("hyper_parameters.temperature", 0),
        ("hyper_parameters.temperature", 2),
        ("hyper_parameters.max_tokens", 0),
        ("hyper_parameters.max_tokens", 512),
        ("hyper_parameters.top_p", 0),
        ("hyper_parameters.top_p", 1),
        ("hyper_parameters.top_k", 1),
        ("hyper_parameters.top_k", 100),
        ("scaling_parameters.scale_down_delay", 50),
        ("scaling_parameters.scale_down_delay", 2000),
        ("optimization_info.optimization_type", ""),
    ],
)
def test_documented_bounds_are_inclusive(edge: tuple[str, Any]) -> None:
    parse_model_params(_with(*edge), source="form")


@pytest.mark.parametrize("device", DEVICE_TYPES)
def test_every_documented_device_type_is_accepted(device: str) -> None:
    assert parse_model_params(_with("device_type", device), source="form").device_type == device


def test_body_and_query_are_the_documented_camel_case_shape() -> None:
    data = copy.deepcopy(VALID)
    data["hyper_parameters"]["stop_sequence"] = ["</s>"]
    data["scaling_parameters"] = {
        "max_batch_size": 8,
        "min_replicas": 1,
        "max_replicas": 3,
        "scale_up_delay": 30,
        "scale_down_delay": 600,
    }
    data["optimization_info"] = {
        "optimization_type": "vllm",
        "quantization_type": "no_quantization",
    }
    data["is_deployed_previously"] = True
    params = parse_model_params(data, source="form")
    assert params.query() == {"modelType": "openSource"}
    assert params.body() == {
        "name": "llama-prod",
        "hyperParameters": {
            "temperature": 0.7,
            "maxTokens": 256,
            "topP": 0.9,
            "topK": 50,
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
        "optimizationInfo": {"optimizationType": "vllm", "quantizationType": "no_quantization"},
        "isDeployedPreviously": True,
    }
    assert params.cost_summary() == "g5.xlarge, 1-3 replicas"
    assert ModelDeployParams.from_json(params.to_json()) == params


def test_optional_parts_are_left_out_of_the_body() -> None:
    params = parse_model_params(VALID, source="form")
    assert set(params.body()) == {"name", "hyperParameters", "deviceType"}
    assert params.cost_summary() == "g5.xlarge, replicas: platform default"
    assert ModelDeployParams.from_json(params.to_json()) == params


def test_overrides_apply_on_top_and_are_validated() -> None:
    params = with_overrides(VALID, {"model_type": "fineTune", "name": "other"}, source="cli")
    assert (params.model_type, params.name) == ("fineTune", "other")
    with pytest.raises(DeployParamsError, match="model_type must be one of"):
        with_overrides(VALID, {"model_type": "weird"}, source="--model-type")


def test_tool_params() -> None:
    assert ToolDeployParams().body() == {"isAsync": True}
    assert ToolDeployParams(is_async=False).body() == {"isAsync": False}
    assert ToolDeployParams.from_json({"is_async": False}) == ToolDeployParams(False)
