"""Which parameters a redeploy (undo, bounce, ``kore-tui deploy``) uses, and why. Pure.

In order:

1. a profile the operator named for this action (``--profile``): their word wins;
2. what the journal recorded for the model's last deploy through kore-tui;
3. the environment's default profile (``deploy_profile = "NAME"``);
4. none: the console shows its form, the CLI says which flag or profile is missing.

``overrides`` (the CLI's --model-type / --name) apply on top of whichever was found,
and the result is validated again as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kore_tui.core.config import Config, Environment
from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams, with_overrides
from kore_tui.core.errors import KoreError
from kore_tui.core.text import inert


class UnknownProfileError(KoreError, ValueError):
    pass


def profile_named(config: Config, name: str) -> ModelDeployParams:
    try:
        return config.deploy_profiles[name]
    except KeyError:
        known = ", ".join(sorted(config.deploy_profiles)) or "none defined"
        raise UnknownProfileError(
            f"no deploy profile named {inert(name, 40)!r} in {config.path} ({known})"
        ) from None


def no_params_reason(model_ids: Sequence[str], env: Environment, named: int = 3) -> str:
    """Why ``model_ids`` have no parameters: every one is named (up to ``named``, then a
    count), so a form or an error for several models does not speak of one only."""
    if len(model_ids) == 1:
        which, them = model_ids[0], "it"
    else:
        shown = ", ".join(model_ids[:named])
        more = f" and {len(model_ids) - named} more" if len(model_ids) > named else ""
        which, them = f"{len(model_ids)} models ({shown}{more})", "them"
    return (
        f"no parameters for {which}: the journal has no deploy of {them} through "
        f"kore-tui, no deploy profile was chosen and environment {env.name!r} names "
        "no deploy_profile"
    )


def resolve_model_params(
    model_id: str,
    recorded: ModelDeployParams | None,
    config: Config,
    env: Environment,
    profile_name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[ModelDeployParams | None, str]:
    """(parameters or None, where they came from or what is missing).

    Raises UnknownProfileError for a profile name the config does not define and
    DeployParamsError when an override breaks a rule.
    """
    found: ModelDeployParams | None
    if profile_name is not None:
        found, source = profile_named(config, profile_name), f"deploy profile {profile_name!r}"
    elif recorded is not None:
        found, source = recorded, "the journal (its last deploy or bounce through kore-tui)"
    elif env.deploy_profile is not None:
        found = profile_named(config, env.deploy_profile)
        source = f"deploy profile {env.deploy_profile!r} (environment {env.name!r} default)"
    else:
        return None, no_params_reason([model_id], env)
    if overrides and any(v is not None for v in overrides.values()):
        given = ", ".join(f"{k}" for k, v in overrides.items() if v is not None)
        try:
            found = with_overrides(found.to_json(), overrides, source=source)
        except DeployParamsError as exc:
            raise DeployParamsError(f"{source} with {given} given", exc.field, exc.reason) from None
        source = f"{source}, {given} given"
    return found, source
