from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from kore_tui.core import paths
from kore_tui.core.config import (
    Config,
    ConfigError,
    Environment,
    Settings,
    load_config,
    resolve_environment,
)
from kore_tui.core.config_writer import put_environment
from kore_tui.core.keys import (
    CredentialsFileError,
    KeyUnavailableError,
    read_credentials,
    remember_key,
    resolve_key,
)
from kore_tui.core.secret import Secret
from tests.conftest import SENTINEL_KEY

GOOD = """\
default = "prod"

[settings]
concurrency = 8
poll_initial = 1.5

[environments.prod]
host = "https://agent-platform.kore.ai"
protected = true
colour = "red"
key_env = "KORE_PROD_KEY"

[environments.dev]
host = "https://dev-agent-platform.kore.ai/"
key_command = ["pass", "show", "kore/dev"]

[environments.sim]
host = "http://127.0.0.1:8765"
read_only = true
"""


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_load_validates_and_normalizes() -> None:
    config = load_config(write(paths.config_path(), GOOD))
    assert config.default == "prod"
    assert config.settings.concurrency == 8 and config.settings.poll_initial == 1.5
    prod = config.environments["prod"]
    assert prod.protected and prod.colour == "red" and prod.key_env == "KORE_PROD_KEY"
    assert config.environments["dev"].host == "https://dev-agent-platform.kore.ai"
    assert config.environments["dev"].key_command == ("pass", "show", "kore/dev")
    assert config.environments["sim"].read_only


def test_rewriting_every_environment_is_lossless_and_private() -> None:
    path = write(paths.config_path(), GOOD, 0o644)
    config = load_config(path)
    for env in config.environments.values():
        put_environment(env, expected=env)
    assert path.read_text() == GOOD, "unchanged values leave the file as it was"
    put_environment(Environment("qa", "https://qa.kore.ai"))
    again = load_config(path)
    assert again.environments == {**config.environments, "qa": again.environments["qa"]}
    assert again.default == config.default and again.settings == config.settings
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_missing_file_is_an_empty_config() -> None:
    config = load_config()
    assert config.environments == {} and config.default is None


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('default = "prod"\n[environments.prod\nhost = "x"\n', 2, "not valid TOML"),
        ('[environments.prod]\nhost = "http://agent-platform.kore.ai"\n', 1, "must use https"),
        ('[environments.prod]\nhost = "https://a.kore.ai"\ncolour = "plaid"\n', 1, "colour"),
        (
            '\n\n[environments.p]\nhost = "https://a.kore.ai"\nkey_command = "pass x"\n',
            3,
            "no shell",
        ),
        (
            'default = "nope"\n[environments.p]\nhost = "https://a.kore.ai"\n',
            1,
            "default environment 'nope'",
        ),
        # The key's own line, not its table's (an operator's run: ":3: [settings]" for a
        # bad value on line 5).
        ("[settings]\nconcurrency = 0\n", 2, "'concurrency' must be between"),
        ("\n\n[settings]\n# why\njob_timeout = true\n", 5, "'job_timeout' must be a number"),
        ("colour = 1\n", 1, "unknown top-level key"),
        # RecursionError from tomllib: a traceback and exit 1 (a break-it run).
        ("key = " + "[" * 2000 + "]" * 2000 + "\n", None, "nested too deeply"),
    ],
)
def test_bad_config_names_file_line_and_reason_and_is_untouched(
    text: str, line: int, reason: str
) -> None:
    path = write(paths.config_path(), text)
    before = path.read_bytes()
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == line
    assert reason in str(info.value)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


def test_binary_garbage_is_reported_not_crashed() -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xfe\x00garbage\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path)
    assert path.read_bytes() == b"\xff\xfe\x00garbage\n"


def test_group_writable_config_is_refused() -> None:
    path = write(paths.config_path(), GOOD, 0o664)
    with pytest.raises(ConfigError, match=f"chmod go-w {path}"):
        load_config(path)


def test_symlinked_config_is_read_but_never_replaced(tmp_path: Path) -> None:
    real = write(tmp_path / "dotfiles" / "config.toml", GOOD)
    link = paths.config_path()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(real)
    config = load_config()
    assert "prod" in config.environments
    with pytest.raises(OSError, match="symbolic link"):
        put_environment(Environment("qa", "https://qa.kore.ai"))
    assert link.is_symlink() and real.read_text() == GOOD


def test_environment_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(path=paths.config_path())
    with pytest.raises(ConfigError, match="no environment"):
        resolve_environment(config, None)
    monkeypatch.setenv("KORE_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("KORE_API_KEY", SENTINEL_KEY)
    adhoc = resolve_environment(config, None)
    assert adhoc.name == "KORE_HOST" and adhoc.host == "http://127.0.0.1:9"
    config = config.with_environment(Environment("prod", "https://a.kore.ai"))
    config.default = "prod"
    assert resolve_environment(config, None).name == "prod"
    with pytest.raises(ConfigError, match="no environment named 'qa'"):
        resolve_environment(config, "qa")


def test_key_sources_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = Environment("prod", "https://a.kore.ai", key_env="KORE_PROD_KEY")
    remember_key("prod", Secret("kg-from-file-0000000000"))
    key, source = resolve_key(env)
    assert source == "credentials file" and key.reveal() == "kg-from-file-0000000000"
    monkeypatch.setenv("KORE_PROD_KEY", SENTINEL_KEY)
    key, source = resolve_key(env)
    assert source == "$KORE_PROD_KEY" and key.reveal() == SENTINEL_KEY
    script = tmp_path / "print-key"
    script.write_text(f"#!{sys.executable}\nprint('kg-from-command-1111111111')\n")
    script.chmod(0o700)
    by_command = Environment("dev", "https://a.kore.ai", key_command=(str(script),))
    key, source = resolve_key(by_command)
    assert source == "key_command" and key.reveal() == "kg-from-command-1111111111"
    nothing = Environment("qa", "https://a.kore.ai")
    key, source = resolve_key(nothing, prompt=lambda e: Secret("kg-typed-2222222222222"))
    assert source == "prompt"
    with pytest.raises(KeyUnavailableError, match="no API key for 'qa'"):
        resolve_key(nothing)
    empty = Environment("stage", "https://a.kore.ai", key_env="KORE_STAGE_KEY")
    monkeypatch.setenv("KORE_STAGE_KEY", "")  # set, to nothing: "is not set" sent people looking
    with pytest.raises(KeyUnavailableError, match=r"\$KORE_STAGE_KEY is empty"):
        resolve_key(empty)
    monkeypatch.delenv("KORE_STAGE_KEY")
    with pytest.raises(KeyUnavailableError, match=r"\$KORE_STAGE_KEY is not set"):
        resolve_key(empty)


def test_failing_key_command_reports_stderr_not_stdout(tmp_path: Path) -> None:
    script = tmp_path / "bad"
    # The script builds the key at run time so that no file on disk holds it (the session
    # scan in conftest.py checks every file the tests write).
    half = len(SENTINEL_KEY) // 2
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"print({SENTINEL_KEY[:half]!r} + {SENTINEL_KEY[half:]!r})\n"
        "print('vault locked', file=sys.stderr)\nsys.exit(3)\n"
    )
    script.chmod(0o700)
    with pytest.raises(KeyUnavailableError) as info:
        resolve_key(Environment("x", "https://a.kore.ai", key_command=(str(script),)))
    assert "exited with 3: vault locked" in str(info.value)
    assert SENTINEL_KEY not in str(info.value)


def test_key_command_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kore_tui.core import keys

    script = tmp_path / "slow"
    script.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(5)\n")
    script.chmod(0o700)
    with pytest.raises(KeyUnavailableError, match=r"longer than 0\.2s"):
        keys.run_key_command((str(script),), timeout=0.2)


def test_credentials_file_is_0600_and_a_readable_one_is_refused() -> None:
    path = remember_key("prod", Secret(SENTINEL_KEY))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_credentials()["prod"].reveal() == SENTINEL_KEY
    os.chmod(path, 0o640)
    with pytest.raises(CredentialsFileError) as info:
        read_credentials()
    assert f"chmod 600 {path}" in str(info.value)
    assert SENTINEL_KEY not in str(info.value)


def test_a_credentials_file_nested_too_deeply_is_reported_not_a_traceback() -> None:
    path = remember_key("prod", Secret(SENTINEL_KEY))
    path.write_text("a = " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(CredentialsFileError, match="nested too deeply"):
        read_credentials()


def test_settings_defaults_match_documented_values() -> None:
    s = Settings()
    assert (s.poll_initial, s.poll_max) == (2.0, 30.0)


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """Windows Notepad saves UTF-8 with a BOM: 'config.toml:1: not valid TOML: Invalid
    statement' for a file that is fine."""
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xef\xbb\xbfdefault = "x"\n[environments.x]\nhost = "https://a.kore.ai"\n')
    path.chmod(0o600)
    config = load_config(path)
    assert config.default == "x" and config.environments["x"].host == "https://a.kore.ai"


def test_a_config_path_that_is_not_a_file_is_named_as_such() -> None:
    """KORE_TUI_CONFIG=/dev/null answered 'writable by group or others … Fix: chmod go-w
    /dev/null': run as root, that advice breaks the machine."""
    with pytest.raises(ConfigError) as info:
        load_config(Path("/dev/null"))
    assert "not a regular file" in str(info.value) and "chmod" not in str(info.value)


def test_kore_host_without_its_key_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'no environment: pass --env NAME, … or set KORE_HOST and KORE_API_KEY' with KORE_HOST
    set: the operator had set one of the two and was not told which was missing."""
    monkeypatch.setenv("KORE_HOST", "https://a.kore.ai")
    monkeypatch.delenv("KORE_API_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        resolve_environment(load_config(), None)
    assert "KORE_HOST is set but KORE_API_KEY is not" in str(info.value)
    monkeypatch.setenv("KORE_API_KEY", "")
    with pytest.raises(ConfigError) as info:
        resolve_environment(load_config(), None)
    assert "KORE_API_KEY is empty" in str(info.value)
