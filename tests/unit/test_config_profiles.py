"""[deploy_profiles.NAME] and an environment's deploy_profile: validated on load,
every error named by file:line, kept by the writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from kore_tui.core import paths
from kore_tui.core.config import ConfigError, Environment, load_config
from kore_tui.core.config_writer import put_environment

PROFILES = """\
default = "prod"

# GPU profile the on-call uses for llama.
[deploy_profiles.gpu]
model_type = "openSource"
name = "llama-prod"
device_type = "g5.xlarge"

[deploy_profiles.gpu.hyper_parameters]
temperature = 0.7
max_tokens = 256
top_p = 0.9
top_k = 50

[deploy_profiles.gpu.scaling_parameters]
min_replicas = 1
max_replicas = 3

[deploy_profiles.small]
model_type = "fineTune"
name = "small"
device_type = "g4dn.xlarge"
hyper_parameters = { temperature = 0.1, max_tokens = 64, top_p = 1, top_k = 1 }

[environments.prod]
host = "https://agent-platform.kore.ai"
deploy_profile = "gpu"   # undo uses this when the journal has nothing
"""


def write(text: str) -> Path:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_profiles_load_as_validated_params() -> None:
    write(PROFILES)
    config = load_config()
    assert set(config.deploy_profiles) == {"gpu", "small"}
    gpu = config.deploy_profiles["gpu"]
    assert gpu.cost_summary() == "g5.xlarge, 1-3 replicas"
    assert gpu.body()["hyperParameters"] == {
        "temperature": 0.7,
        "maxTokens": 256,
        "topP": 0.9,
        "topK": 50,
    }
    assert config.deploy_profiles["small"].model_type == "fineTune"
    assert config.environments["prod"].deploy_profile == "gpu"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "reason"),
    [
        (
            "temperature = 0.7",
            "temperature = 3.5",
            "temperature = 3.5",
            "deploy profile 'gpu': hyper_parameters.temperature must be a number from 0 to 2 "
            "(got 3.5)",
        ),
        (
            "max_replicas = 3",
            "max_replicas = 60",
            "max_replicas = 60",
            "scaling_parameters.max_replicas must be a whole number from 1 to 50",
        ),
        (
            "min_replicas = 1",
            "min_replicas = 5",
            "min_replicas = 5",
            "min_replicas must not exceed max_replicas",
        ),
        (
            'device_type = "g5.xlarge"',
            'device_type = "p5.huge"',
            'device_type = "p5.huge"',
            "device_type must be one of g4dn.xlarge",
        ),
        (
            'model_type = "openSource"',
            'model_type = "closed"',
            'model_type = "closed"',
            "model_type must be one of openSource, fineTune",
        ),
        (
            "top_k = 1 }",
            "top_k = 0 }",
            "top_k = 0 }",
            "deploy profile 'small': hyper_parameters.top_k must be a whole number from 1 to 100",
        ),
        (
            'deploy_profile = "gpu"',
            'deploy_profile = "gpu2"',
            'deploy_profile = "gpu2"',
            "environment 'prod': deploy_profile 'gpu2' is not defined under [deploy_profiles] "
            "(gpu, small)",
        ),
        (
            'name = "small"\n',
            "",
            "[deploy_profiles.small]",
            "deploy profile 'small': name is required",
        ),
        (
            "[deploy_profiles.small]",
            "[deploy_profiles.'bad name']",
            "[deploy_profiles.'bad name']",
            "deploy profile name 'bad name' must be",
        ),
    ],
)
def test_bad_profile_names_file_line_and_field(
    old: str, new: str, needle: str, reason: str
) -> None:
    assert old in PROFILES
    text = PROFILES.replace(old, new, 1)
    path = write(text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert reason in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{_line_of(text, needle)}: ")


def test_deploy_profiles_must_be_a_table() -> None:
    write('deploy_profiles = "gpu"\n')
    with pytest.raises(ConfigError, match=r":1: 'deploy_profiles' must be a table"):
        load_config()


def test_writer_keeps_profiles_and_the_environment_s_profile() -> None:
    path = write(PROFILES)
    prod = load_config().environments["prod"]
    # The console's editor has no field for deploy_profile: it must survive an edit.
    put_environment(Environment("prod", prod.host, colour="red"), expected=prod)
    text = path.read_text()
    assert "# GPU profile the on-call uses for llama." in text
    assert 'deploy_profile = "gpu"   # undo uses this' in text
    config = load_config()
    assert config.environments["prod"].colour == "red"
    assert config.environments["prod"].deploy_profile == "gpu"
    assert set(config.deploy_profiles) == {"gpu", "small"}
