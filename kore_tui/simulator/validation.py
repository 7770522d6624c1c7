"""The platform's checks on deploy requests, per the documented types, ranges and enums.

Pure functions: each returns the problems found, as the messages the simulator sends in
a 400 VALIDATION_ERROR, naming the field and what it allows. An optional field sent as
``null`` counts as absent. Keys the docs do not list are ignored, as most APIs do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MODEL_TYPES = ("openSource", "fineTune")
DEVICE_TYPES = (
    "g4dn.xlarge",
    "g5.xlarge",
    "g5.2xlarge",
    "g6e.xlarge",
    "g4dn.12xlarge",
    "g5.12xlarge",
    "g5.48xlarge",
    "g4dn.metal",
)
# The samples send empty strings for "no choice".
OPTIMIZATION_TYPES = ("", "ctranslate2", "vllm")
QUANTIZATION_TYPES = ("", "no_quantization", "int8_float16")


@dataclass(frozen=True)
class Number:
    low: float
    high: float
    integer: bool = False
    required: bool = True

    def describe(self) -> str:
        what = "an integer" if self.integer else "a number"
        return f"{what} from {self.low:g} to {self.high:g}"

    def problem(self, name: str, value: Any) -> str | None:
        ok_type = isinstance(value, int) if self.integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type or not self.low <= value <= self.high:
            return f"{name} must be {self.describe()} (got {_shown(value)})"
        return None


HYPER_PARAMETERS = {
    "temperature": Number(0, 2),
    "maxTokens": Number(0, 512, integer=True),
    "topP": Number(0, 1),
    "topK": Number(1, 100, integer=True),
}
SCALING_PARAMETERS = {
    "maxBatchSize": Number(1, 256, integer=True, required=False),
    "minReplicas": Number(1, 10, integer=True, required=False),
    "maxReplicas": Number(1, 50, integer=True, required=False),
    "scaleUpDelay": Number(1, 1000, integer=True, required=False),
    "scaleDownDelay": Number(50, 2000, integer=True, required=False),
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str | None:
    if isinstance(value, str) and value in allowed:
        return None
    shown = ", ".join(repr(a) if a == "" else a for a in allowed)
    return f"{name} must be one of {shown} (got {_shown(value)})"


def model_type_problems(value: str | None) -> list[str]:
    if value is None:
        return [f"query parameter modelType is required: one of {', '.join(MODEL_TYPES)}"]
    if value not in MODEL_TYPES:
        return [
            f"query parameter modelType must be one of {', '.join(MODEL_TYPES)} "
            f"(got {_shown(value)})"
        ]
    return []


def _object(body: dict[str, Any], name: str, required: bool) -> dict[str, Any] | str | None:
    """The nested object, None when absent and optional, or the problem."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        need = "is required and must" if required else "must"
        return f"{name} {need} be an object (got {_shown(value)})"
    return value


def _numbers(prefix: str, values: dict[str, Any], rules: dict[str, Number]) -> list[str]:
    problems = []
    for key, rule in rules.items():
        value = values.get(key)
        if value is None and not rule.required:
            continue
        if value is None:
            problems.append(f"{prefix}.{key} is required: {rule.describe()}")
            continue
        problem = rule.problem(f"{prefix}.{key}", value)
        if problem:
            problems.append(problem)
    return problems


def model_deploy_problems(body: Any) -> list[str]:
    """Every way ``body`` breaks the documented Deploy a Model body, in document order."""
    if not isinstance(body, dict):
        return ["the request body must be a JSON object"]
    problems: list[str] = []
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"name is required and must be a non-empty string (got {_shown(name)})")
    hyper = _object(body, "hyperParameters", required=True)
    if isinstance(hyper, str):
        problems.append(hyper)
    elif hyper is not None:
        problems += _numbers("hyperParameters", hyper, HYPER_PARAMETERS)
        stop = hyper.get("stopSequence")
        if stop is not None and not (
            isinstance(stop, list) and all(isinstance(s, str) for s in stop)
        ):
            problems.append(
                f"hyperParameters.stopSequence must be an array of strings (got {_shown(stop)})"
            )
    scaling = _object(body, "scalingParameters", required=False)
    if isinstance(scaling, str):
        problems.append(scaling)
    elif scaling is not None:
        problems += _numbers("scalingParameters", scaling, SCALING_PARAMETERS)
    device = _choice("deviceType", body.get("deviceType"), DEVICE_TYPES)
    if device:
        problems.append(device)
    optimization = _object(body, "optimizationInfo", required=False)
    if isinstance(optimization, str):
        problems.append(optimization)
    elif optimization is not None:
        for key, allowed in (
            ("optimizationType", OPTIMIZATION_TYPES),
            ("quantizationType", QUANTIZATION_TYPES),
        ):
            if optimization.get(key) is not None:
                problem = _choice(f"optimizationInfo.{key}", optimization[key], allowed)
                if problem:
                    problems.append(problem)
    previously = body.get("isDeployedPreviously")
    if previously is not None and not isinstance(previously, bool):
        problems.append(f"isDeployedPreviously must be a boolean (got {_shown(previously)})")
    return problems


def tool_deploy_problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["the request body must be a JSON object"]
    if not isinstance(body.get("isAsync"), bool):
        return [f"isAsync is required and must be a boolean (got {_shown(body.get('isAsync'))})"]
    return []
