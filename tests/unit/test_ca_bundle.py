"""The per-environment ca_bundle: validated on load with file:line, shown by `env show`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trustme

from kore_tui.core import paths
from kore_tui.core.config import ConfigError, load_config
from tests.cli_runner import run_cli


def write(text: str) -> Path:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


CONFIG = """default = "corp"

[environments.other]
host = "https://b.kore.ai"

[environments.corp]
host = "https://a.kore.ai"
key_env = "CORP_KEY"
ca_bundle = "{bundle}"
"""


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "corp-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def test_ca_bundle_is_loaded_and_shown(bundle: Path) -> None:
    write(CONFIG.format(bundle=bundle))
    assert load_config().environments["corp"].ca_bundle == str(bundle)
    assert load_config().environments["other"].ca_bundle is None
    done = run_cli("env", "show", "corp", env={"CORP_KEY": "kg-corp-0000000000000000"})
    assert f"ca bundle:      {bundle}" in done.stdout, done.stderr


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("/nonexistent/ca.pem", "'ca_bundle' file '/nonexistent/ca.pem' does not exist"),
        ("relative/ca.pem", "'ca_bundle' must be an absolute path"),
        ("NOT_PEM", "holds no PEM CA certificate"),
    ],
)
def test_bad_ca_bundle_is_a_file_line_error(value: str, reason: str, tmp_path: Path) -> None:
    if value == "NOT_PEM":
        value = str(tmp_path / "junk.pem")
        Path(value).write_text("this is not a certificate\n")
    path = write(CONFIG.format(bundle=value))
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert message.startswith(f"{path}:9: environment 'corp': 'ca_bundle' ") and reason in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_ca_bundle_is_named(bundle: Path) -> None:
    bundle.chmod(0)
    write(CONFIG.format(bundle=bundle))
    with pytest.raises(ConfigError, match="is not readable"):
        load_config()


def test_ca_bundle_must_be_a_string() -> None:
    write(CONFIG.replace('"{bundle}"', "true"))
    with pytest.raises(ConfigError, match=r":9: .*must be a path to a PEM file"):
        load_config()
