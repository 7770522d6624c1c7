"""Deploy parameters: validated against the documented types, ranges and enums.

No I/O. Everything a deploy sends is checked here *before* anything is sent:
a value outside a documented range never reaches the platform (a deployment
runs on paid GPU machines; a rejected or half-accepted deploy costs money and
time). Messages name the field and what is allowed, e.g.
``deploy profile 'gpu': hyper_parameters.temperature must be a number from 0
to 2 (got 3.5)``.

The mapping read here is the config's snake_case shape (a ``[deploy_profiles.
NAME]`` table); :meth:`ModelDeployParams.body` is the documented camelCase JSON.
The same snake_case shape is what the journal stores (``to_json``/``from_json``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kore_tui.core.errors import KoreError
from kore_tui.core.text import inert

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
# The documented samples send empty strings for these: "" means "not chosen".
OPTIMIZATION_TYPES = ("ctranslate2", "vllm", "")
QUANTIZATION_TYPES = ("no_quantization", "int8_float16", "")

# (field, kind, low, high, required), one row per documented number; the JSON name is
# the camelCase of the field.
_Row = tuple[str, type, int, int, bool]
_HYPER: tuple[_Row, ...] = (
    ("temperature", float, 0, 2, True),
    ("max_tokens", int, 0, 512, True),
    ("top_p", float, 0, 1, True),
    ("top_k", int, 1, 100, True),
)
_SCALING: tuple[_Row, ...] = (
    ("max_batch_size", int, 1, 256, False),
    ("min_replicas", int, 1, 10, False),
    ("max_replicas", int, 1, 50, False),
    ("scale_up_delay", int, 1, 1000, False),
    ("scale_down_delay", int, 50, 2000, False),
)
_TOP_KEYS = (
    "model_type",
    "name",
    "device_type",
    "hyper_parameters",
    "scaling_parameters",
    "optimization_info",
    "is_deployed_previously",
)
_OPTIMIZATION_KEYS = ("optimization_type", "quantization_type")


class DeployParamsError(KoreError, ValueError):
    """A parameter breaks a documented rule. ``field`` is its dotted snake_case path."""

    def __init__(self, source: str, field_path: str, reason: str) -> None:
        self.source = source
        self.field = field_path
        self.reason = reason
        super().__init__(
            f"{source}: {field_path} {reason}" if field_path else f"{source}: {reason}"
        )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class ModelDeployParams:
    model_type: str
    name: str
    device_type: str
    temperature: float
    max_tokens: int
    top_p: float
    top_k: int
    stop_sequence: tuple[str, ...] | None = None
    max_batch_size: int | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    scale_up_delay: int | None = None
    scale_down_delay: int | None = None
    optimization_type: str | None = None
    quantization_type: str | None = None
    is_deployed_previously: bool | None = None

    def query(self) -> dict[str, str]:
        return {"modelType": self.model_type}

    def body(self) -> dict[str, Any]:
        """The documented JSON body (camelCase; optional parts only when set)."""
        hyper: dict[str, Any] = {camel(n): getattr(self, n) for n, *_ in _HYPER}
        if self.stop_sequence is not None:
            hyper["stopSequence"] = list(self.stop_sequence)
        body: dict[str, Any] = {"name": self.name, "hyperParameters": hyper}
        scaling = {camel(n): getattr(self, n) for n, *_ in _SCALING if getattr(self, n) is not None}
        if scaling:
            body["scalingParameters"] = scaling
        body["deviceType"] = self.device_type
        optimization = {
            camel(n): getattr(self, n) for n in _OPTIMIZATION_KEYS if getattr(self, n) is not None
        }
        if optimization:
            body["optimizationInfo"] = optimization
        if self.is_deployed_previously is not None:
            body["isDeployedPreviously"] = self.is_deployed_previously
        return body

    def to_json(self) -> dict[str, Any]:
        """The config's snake_case shape (what the journal stores; from_json reads it)."""
        out: dict[str, Any] = {
            "model_type": self.model_type,
            "name": self.name,
            "device_type": self.device_type,
        }
        hyper: dict[str, Any] = {n: getattr(self, n) for n, *_ in _HYPER}
        if self.stop_sequence is not None:
            hyper["stop_sequence"] = list(self.stop_sequence)
        out["hyper_parameters"] = hyper
        scaling = {n: getattr(self, n) for n, *_ in _SCALING if getattr(self, n) is not None}
        if scaling:
            out["scaling_parameters"] = scaling
        optimization = {
            n: getattr(self, n) for n in _OPTIMIZATION_KEYS if getattr(self, n) is not None
        }
        if optimization:
            out["optimization_info"] = optimization
        if self.is_deployed_previously is not None:
            out["is_deployed_previously"] = self.is_deployed_previously
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str = "journal") -> ModelDeployParams:
        return parse_model_params(data, source=source)

    def replicas(self) -> str:
        low, high = self.min_replicas, self.max_replicas
        if low is not None and high is not None:
            return (
                f"{low} replica"
                if low == high == 1
                else (f"{low} replicas" if low == high else f"{low}-{high} replicas")
            )
        if low is not None:
            return f"at least {low} replica{'s' if low > 1 else ''}"
        if high is not None:
            return f"up to {high} replica{'s' if high > 1 else ''}"
        return "replicas: platform default"

    def cost_summary(self) -> str:
        """What the deployment costs, in a few words: its machine type and replicas."""
        return f"{self.device_type}, {self.replicas()}"


@dataclass(frozen=True)
class ToolDeployParams:
    is_async: bool = True

    def body(self) -> dict[str, Any]:
        return {"isAsync": self.is_async}

    def to_json(self) -> dict[str, Any]:
        return {"is_async": self.is_async}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToolDeployParams:
        value = data.get("is_async", True)
        if not isinstance(value, bool):
            raise DeployParamsError("tool deploy", "is_async", "must be true or false")
        return cls(is_async=value)


@dataclass(frozen=True)
class DeployParams:
    model: ModelDeployParams | None = None
    tool: ToolDeployParams = field(default_factory=ToolDeployParams)


# -- validation ---------------------------------------------------------------------------


def _got(value: Any) -> str:
    return f"(got {inert(repr(value), 60)})"


def _number(source: str, path: str, value: Any, kind: type, low: float, high: float) -> Any:
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DeployParamsError(
                source, path, f"must be a whole number from {low} to {high} {_got(value)}"
            )
        return value
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )
    if not ok:
        raise DeployParamsError(
            source, path, f"must be a number from {low} to {high} {_got(value)}"
        )
    return float(value)


def _choice(source: str, path: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = ", ".join(a for a in allowed if a)
        empty = " (or empty)" if "" in allowed else ""
        raise DeployParamsError(source, path, f"must be one of {shown}{empty} {_got(value)}")
    return value


def _table(source: str, path: str, value: Any, known: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DeployParamsError(source, path, f"must be a table {_got(value)}")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise DeployParamsError(
            source,
            f"{path}.{unknown[0]}" if path else str(unknown[0]),
            f"is not a known key (known: {', '.join(known)})",
        )
    return value


def _text(source: str, path: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DeployParamsError(source, path, f"must be a non-empty string {_got(value)}")
    if inert(value, len(value) + 1) != value:
        raise DeployParamsError(source, path, "must not contain control or format characters")
    return value


def _stop_sequence(source: str, value: Any) -> tuple[str, ...]:
    path = "hyper_parameters.stop_sequence"
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise DeployParamsError(source, path, f"must be a list of strings {_got(value)}")
    return tuple(value)


def parse_model_params(mapping: Mapping[str, Any], *, source: str) -> ModelDeployParams:
    """Validate a snake_case mapping (a deploy profile, the journal's copy, a form).

    Raises DeployParamsError naming the first field that breaks a rule and what is
    allowed. ``source`` says where the mapping came from (``deploy profile 'gpu'``).
    """
    top = _table(source, "", mapping, _TOP_KEYS)
    for required in ("model_type", "name", "device_type", "hyper_parameters"):
        if required not in top:
            raise DeployParamsError(source, required, "is required")
    values: dict[str, Any] = {
        "model_type": _choice(source, "model_type", top["model_type"], MODEL_TYPES),
        "name": _text(source, "name", top["name"]),
        "device_type": _choice(source, "device_type", top["device_type"], DEVICE_TYPES),
    }
    hyper = _table(
        source,
        "hyper_parameters",
        top["hyper_parameters"],
        (*(n for n, *_ in _HYPER), "stop_sequence"),
    )
    scaling = _table(
        source,
        "scaling_parameters",
        top.get("scaling_parameters", {}),
        tuple(n for n, *_ in _SCALING),
    )
    for group, table, rows in (
        ("hyper_parameters", hyper, _HYPER),
        ("scaling_parameters", scaling, _SCALING),
    ):
        for name, kind, bottom, top_value, needed in rows:
            if name in table:
                values[name] = _number(
                    source, f"{group}.{name}", table[name], kind, bottom, top_value
                )
            elif needed:
                raise DeployParamsError(source, f"{group}.{name}", "is required")
    if "stop_sequence" in hyper:
        values["stop_sequence"] = _stop_sequence(source, hyper["stop_sequence"])
    low, high = values.get("min_replicas"), values.get("max_replicas")
    if low is not None and high is not None and low > high:
        raise DeployParamsError(
            source,
            "scaling_parameters.min_replicas",
            f"must not exceed max_replicas ({low} > {high})",
        )
    optimization = _table(
        source, "optimization_info", top.get("optimization_info", {}), _OPTIMIZATION_KEYS
    )
    for name, allowed in (
        ("optimization_type", OPTIMIZATION_TYPES),
        ("quantization_type", QUANTIZATION_TYPES),
    ):
        if name in optimization:
            values[name] = _choice(source, f"optimization_info.{name}", optimization[name], allowed)
    if "is_deployed_previously" in top:
        previously = top["is_deployed_previously"]
        if not isinstance(previously, bool):
            raise DeployParamsError(
                source, "is_deployed_previously", f"must be true or false {_got(previously)}"
            )
        values["is_deployed_previously"] = previously
    return ModelDeployParams(**values)


def with_overrides(
    params: Mapping[str, Any], overrides: Mapping[str, Any] | None, *, source: str
) -> ModelDeployParams:
    """``params`` (snake_case) with top-level ``overrides`` (--model-type, --name) on top,
    validated as a whole."""
    merged = dict(params)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return parse_model_params(merged, source=source)
