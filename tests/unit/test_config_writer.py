"""The one config writer: targeted edits that keep what the operator wrote."""

from __future__ import annotations

import stat
from dataclasses import replace as dataclass_replace
from pathlib import Path

import pytest

from kore_tui.core import paths
from kore_tui.core.config import ConfigError, Environment, load_config
from kore_tui.core.config_writer import (
    MISSING,
    ConfigConflictError,
    put_environment,
    remove_environment,
    set_setting,
)
from kore_tui.core.keys import forget_key, read_credentials, remember_key
from kore_tui.core.secret import Secret

HAND_WRITTEN = """\
# kore-tui config, kept in git by the ops team
default = "prod"   # never change without a ticket

[settings]
concurrency = 8    # the platform team asked for 8

# The real thing.
[environments.prod]
host = "https://agent-platform.kore.ai"  # EU region
protected = true
color = "red"      # american spelling on purpose
key_env = "KORE_PROD_KEY"

[environments.dev]
host = "https://dev-agent-platform.kore.ai"
"""

COMMENTS = [
    "# kore-tui config, kept in git by the ops team",
    "# never change without a ticket",
    "# the platform team asked for 8",
    "# The real thing.",
    "# EU region",
    "# american spelling on purpose",
]


def write(text: str) -> Path:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_adding_an_environment_keeps_every_comment_and_the_order() -> None:
    path = write(HAND_WRITTEN)
    config = put_environment(
        Environment("qa", "https://qa.kore.ai", colour="green"), expected=MISSING
    )
    text = path.read_text()
    assert text.startswith(HAND_WRITTEN), "the new environment is appended, nothing else moves"
    assert config.environments["qa"].colour == "green"
    assert load_config().environments == config.environments
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_new_environment_is_set_apart_from_the_tables_around_it() -> None:
    """An operator's run: the new [environments.qa] was written right against the next
    table ("protected = true\n[deploy_profiles.gpu]"): valid, untidy in a file people read."""
    profiles = (
        '\n[deploy_profiles.gpu]\nmodel_type = "openSource"\nname = "x"\n'
        'device_type = "g5.xlarge"\n[deploy_profiles.gpu.hyper_parameters]\n'
        "temperature = 0.5\nmax_tokens = 64\ntop_p = 1\ntop_k = 5\n"
    )
    path = write(HAND_WRITTEN + profiles)
    put_environment(Environment("qa", "https://qa.kore.ai", protected=True), expected=MISSING)
    text = path.read_text()
    assert "\n\n[environments.qa]\n" in text and "true\n\n[deploy_profiles.gpu]" in text, text
    assert text.startswith(HAND_WRITTEN) and text.endswith(profiles)


def test_editing_one_environment_changes_only_its_changed_keys() -> None:
    path = write(HAND_WRITTEN)
    prod = load_config().environments["prod"]
    put_environment(
        Environment(
            "prod",
            "https://agent-platform.kore.ai",
            protected=True,
            colour="magenta",
            key_env="KORE_PROD_KEY",
        ),
        expected=prod,
    )
    text = path.read_text()
    assert 'color = "magenta"      # american spelling on purpose' in text
    assert "colour" not in text, "the spelling the operator chose is kept"
    assert text.replace('"magenta"', '"red"') == HAND_WRITTEN


def test_removing_an_environment_and_setting_the_theme_keep_comments() -> None:
    path = write(HAND_WRITTEN)
    config, removed = remove_environment("dev")
    assert removed and "dev" not in config.environments
    set_setting("theme", "nord")
    text = path.read_text()
    for comment in COMMENTS:
        assert comment in text
    loaded = load_config()
    assert loaded.settings.theme == "nord" and loaded.settings.concurrency == 8
    assert set(loaded.environments) == {"prod"} and loaded.default == "prod"


def test_removing_the_default_environment_removes_the_default() -> None:
    write(HAND_WRITTEN)
    config, _ = remove_environment("prod")
    assert config.default is None and load_config().default is None


def test_default_changes() -> None:
    write(HAND_WRITTEN)
    dev = load_config().environments["dev"]
    assert put_environment(dev, default="if_unset").default == "prod"
    assert put_environment(dev, default="set").default == "dev"
    assert put_environment(dev, default="clear").default is None
    assert load_config().default is None
    assert put_environment(dev, default="if_unset").default == "dev"


def test_an_environment_added_on_disk_meanwhile_survives_an_edit() -> None:
    write(HAND_WRITTEN)
    console_view = load_config()  # the console loads the file at start...
    put_environment(Environment("qa", "https://qa.kore.ai"))  # ...`env add` runs meanwhile...
    dev = console_view.environments["dev"]
    put_environment(Environment("dev", dev.host, protected=True), expected=dev)  # ...console saves
    after = load_config()
    assert set(after.environments) == {"prod", "dev", "qa"}
    assert after.environments["dev"].protected


@pytest.mark.parametrize("meanwhile", ["changed", "removed", "added"])
def test_a_conflicting_change_on_disk_is_refused_and_nothing_is_written(meanwhile: str) -> None:
    path = write(HAND_WRITTEN)
    console_view = load_config()
    if meanwhile == "changed":
        path.write_text(HAND_WRITTEN.replace("dev-agent", "dev2-agent"))
    elif meanwhile == "removed":
        remove_environment("dev")
    else:
        put_environment(Environment("qa", "https://qa-by-someone-else.kore.ai"))
    before = path.read_bytes()
    target = "qa" if meanwhile == "added" else "dev"
    expected = console_view.environments.get(target, MISSING)
    assert expected == MISSING or isinstance(expected, Environment)
    with pytest.raises(ConfigConflictError, match=f"'{target}' was {meanwhile}"):
        put_environment(Environment(target, "https://mine.kore.ai"), expected=expected)
    assert path.read_bytes() == before
    if meanwhile == "changed":
        with pytest.raises(ConfigConflictError, match="changed"):
            remove_environment("dev", expected=console_view.environments["dev"])
        assert path.read_bytes() == before


@pytest.mark.parametrize("raw", [b"[[broken\n", b'default = "nope"\n', b"\xff\xfe\x00"])
def test_a_corrupt_file_is_reported_and_not_touched(raw: bytes) -> None:
    path = write("")
    path.write_bytes(raw)
    before = path.read_bytes()
    for change in (
        lambda: put_environment(Environment("qa", "https://qa.kore.ai")),
        lambda: remove_environment("qa"),
        lambda: set_setting("theme", "nord"),
    ):
        with pytest.raises(ConfigError):
            change()
        assert path.read_bytes() == before


def test_a_value_that_would_not_load_is_never_written() -> None:
    path = write(HAND_WRITTEN)
    with pytest.raises(ConfigError, match="concurrency"):
        set_setting("concurrency", 10_000)
    assert path.read_text() == HAND_WRITTEN


def test_no_file_yet() -> None:
    config = put_environment(Environment("qa", "https://qa.kore.ai"), default="if_unset")
    assert config.default == "qa"
    loaded = load_config()
    assert loaded.default == "qa" and set(loaded.environments) == {"qa"}
    assert remove_environment("nope")[1] is False


def test_credentials_writers_keep_other_keys_and_comments() -> None:
    path = paths.credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '# written by kore-tui; mode 0600\n[keys]\nprod = "kg-prod-0000000000"  # rotated monthly\n'
    )
    path.chmod(0o600)
    remember_key("dev.eu", Secret("kg-dev-1111111111"))
    assert {n: s.reveal() for n, s in read_credentials().items()} == {
        "prod": "kg-prod-0000000000",
        "dev.eu": "kg-dev-1111111111",
    }
    assert forget_key("prod") and not forget_key("prod")
    text = path.read_text()
    assert "# written by kore-tui; mode 0600" in text and "kg-prod" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_setting_the_editor_does_not_show_survives_its_save(tmp_path: Path) -> None:
    import trustme

    ca = tmp_path / "corp-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    path = write(
        HAND_WRITTEN.replace(
            'key_env = "KORE_PROD_KEY"\n',
            f'key_env = "KORE_PROD_KEY"\nca_bundle = "{ca}"  # proxy\n',
        )
    )
    prod = load_config().environments["prod"]
    assert prod.ca_bundle == str(ca)
    put_environment(dataclass_replace(prod, protected=False), expected=prod)
    assert f'ca_bundle = "{ca}"  # proxy' in path.read_text()
    assert load_config().environments["prod"].ca_bundle == str(ca)
    put_environment(dataclass_replace(prod, ca_bundle=None))  # `env add` replaces it whole
    assert "ca_bundle" not in path.read_text()
