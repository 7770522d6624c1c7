"""What a console deploy, undo or bounce will send, worked out before it is confirmed.

Plain Python (no Textual): the main screen asks the engine what the journal recorded
for each model, then :func:`plan_deploy` applies the shared resolve order
(core/deploy_plan: journal, then the environment's default profile) and says which
models still need parameters (the form supplies them). The confirmation shows
:meth:`DeployPlan.cost_lines` and the engine receives :meth:`DeployPlan.batches`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from kore_tui.core.config import Config, Environment
from kore_tui.core.deploy_params import DeployParams, ModelDeployParams, ToolDeployParams
from kore_tui.core.deploy_plan import no_params_reason, resolve_model_params
from kore_tui.core.resources import TOOL_PREFIX


def split_kinds(ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """(model IDs, tool IDs), each in the given order."""
    models: list[str] = []
    tools: list[str] = []
    for value in ids:
        (tools if value.lower().startswith(TOOL_PREFIX) else models).append(value)
    return models, tools


def kind_counts(ids: Iterable[str]) -> str:
    """ "3 model(s) and 2 tool(s)", "1 tool(s)": each kind's count, as every
    confirmation and toast says it."""
    models, tools = split_kinds(ids)
    parts = [f"{len(models)} model(s)"] if models or not tools else []
    if tools:
        parts.append(f"{len(tools)} tool(s)")
    return " and ".join(parts)


@dataclass(frozen=True)
class ParamGroup:
    """Models that deploy with the same parameters, and where those came from."""

    model_ids: tuple[str, ...]
    params: ModelDeployParams
    source: str


@dataclass(frozen=True)
class DeployPlan:
    models: tuple[str, ...]
    tools: tuple[str, ...]
    groups: tuple[ParamGroup, ...] = ()
    # Models with no parameters in the journal or a profile: the form's to fill.
    missing: tuple[str, ...] = ()
    missing_reason: str = ""
    tool: ToolDeployParams = field(default_factory=ToolDeployParams)

    @property
    def ids(self) -> list[str]:
        return [*self.models, *self.tools]

    def with_params(self, params: ModelDeployParams, source: str) -> DeployPlan:
        """The missing models get ``params`` (the form's, or a picked profile's)."""
        if not self.missing:
            return self
        groups = _grouped(
            [
                *((g.model_ids, g.params, g.source) for g in self.groups),
                (self.missing, params, source),
            ]
        )
        return replace(self, groups=groups, missing=(), missing_reason="")

    def cost_lines(self) -> list[str]:
        """What the deployment costs, per parameter set: the confirmation's money lines."""
        lines = [
            f"{len(g.model_ids)} model(s): {g.params.cost_summary()} "
            f"({g.params.model_type}, name {g.params.name!r}; from {g.source})"
            for g in self.groups
        ]
        if self.tools:
            mode = "asynchronous" if self.tool.is_async else "synchronous"
            lines.append(f"{len(self.tools)} tool(s): {mode} deploy")
        return lines

    def batches(self) -> list[tuple[list[str], DeployParams]]:
        """One engine call per parameter set (and one for the tools)."""
        assert not self.missing, "every model needs parameters before it is sent"
        out = [
            (list(g.model_ids), DeployParams(model=g.params, tool=self.tool)) for g in self.groups
        ]
        if self.tools:
            out.append((list(self.tools), DeployParams(tool=self.tool)))
        return out


def _grouped(
    rows: Iterable[tuple[Iterable[str], ModelDeployParams, str]],
) -> tuple[ParamGroup, ...]:
    by_params: dict[tuple[ModelDeployParams, str], list[str]] = {}
    for ids, params, source in rows:
        by_params.setdefault((params, source), []).extend(ids)
    return tuple(
        ParamGroup(tuple(ids), params, source) for (params, source), ids in by_params.items()
    )


def plan_deploy(
    ids: Iterable[str],
    recorded: Mapping[str, ModelDeployParams | None],
    config: Config,
    env: Environment,
    profile_name: str | None = None,
) -> DeployPlan:
    """Parameters for each model: the journal's record, else the environment's default
    profile (``profile_name``: one the operator picked, which wins); the rest are
    ``missing``. Raises UnknownProfileError for a profile the config lacks."""
    models, tools = split_kinds(ids)
    rows: list[tuple[list[str], ModelDeployParams, str]] = []
    missing: list[str] = []
    for model_id in models:
        params, source = resolve_model_params(
            model_id, recorded.get(model_id), config, env, profile_name
        )
        if params is None:
            missing.append(model_id)
        else:
            rows.append(([model_id], params, source))
    reason = no_params_reason(missing, env) if missing else ""
    return DeployPlan(tuple(models), tuple(tools), _grouped(rows), tuple(missing), reason)
