"""Where a redeploy's parameters come from: explicit profile, journal, environment default."""

from __future__ import annotations

from pathlib import Path

import pytest

from kore_tui.core.config import Config, Environment
from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams, parse_model_params
from kore_tui.core.deploy_plan import UnknownProfileError, resolve_model_params

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def params(name: str, device: str = "g5.xlarge") -> ModelDeployParams:
    return parse_model_params(
        {
            "model_type": "openSource",
            "name": name,
            "device_type": device,
            "hyper_parameters": {"temperature": 0.5, "max_tokens": 64, "top_p": 1, "top_k": 5},
        },
        source="test",
    )


GPU, SMALL, RECORDED = params("gpu"), params("small", "g4dn.xlarge"), params("recorded")
CONFIG = Config(path=Path("/cfg.toml"), deploy_profiles={"gpu": GPU, "small": SMALL})
PLAIN = Environment("prod", "https://a.kore.ai")
WITH_DEFAULT = Environment("prod", "https://a.kore.ai", deploy_profile="small")


@pytest.mark.parametrize(
    ("recorded", "env", "profile", "expected", "source"),
    [
        (RECORDED, WITH_DEFAULT, None, RECORDED, "the journal"),
        (None, WITH_DEFAULT, None, SMALL, "deploy profile 'small' (environment 'prod' default)"),
        (RECORDED, WITH_DEFAULT, "gpu", GPU, "deploy profile 'gpu'"),
        (None, PLAIN, "gpu", GPU, "deploy profile 'gpu'"),
        (
            None,
            PLAIN,
            None,
            None,
            "no deploy profile was chosen and environment 'prod' names no deploy_profile",
        ),
    ],
)
def test_resolution_order(
    recorded: ModelDeployParams | None,
    env: Environment,
    profile: str | None,
    expected: ModelDeployParams | None,
    source: str,
) -> None:
    found, said = resolve_model_params(MODEL, recorded, CONFIG, env, profile)
    assert found == expected
    assert source in said


def test_overrides_apply_on_top_and_are_validated() -> None:
    found, said = resolve_model_params(
        MODEL, RECORDED, CONFIG, PLAIN, overrides={"model_type": "fineTune", "name": None}
    )
    assert found is not None and (found.model_type, found.name) == ("fineTune", "recorded")
    assert said.endswith("model_type given")
    with pytest.raises(DeployParamsError, match="model_type must be one of openSource"):
        resolve_model_params(MODEL, RECORDED, CONFIG, PLAIN, overrides={"model_type": "closed"})


def test_an_unknown_profile_is_named_with_the_known_ones() -> None:
    with pytest.raises(
        UnknownProfileError,
        match=r"no deploy profile named 'gpu2' .*\(gpu, "
        r"small\)",
    ):
        resolve_model_params(MODEL, None, CONFIG, PLAIN, "gpu2")
