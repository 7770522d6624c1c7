"""A fuzzed or corrupted config or credentials file never crashes anything and is never
overwritten.

The console's refusal runs as a real ``python -m kore_tui`` (the console's entry, kept as
a process); the env commands run in this process (tests/cli_runner.py).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kore_tui.core import paths
from kore_tui.core.config import ConfigError, load_config
from kore_tui.core.keys import CredentialsFileError, read_credentials
from tests.cli_runner import run_cli

FIXTURES = HealthCheck.function_scoped_fixture  # the isolated paths are the same per example
VALID = b'default = "p"\n[environments.p]\nhost = "https://a.kore.ai"\nprotected = true\n'


def mutate(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for pos, value in flips:
        if out:
            out[pos % len(out)] = value
    return bytes(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[FIXTURES])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6).map(
            lambda flips: mutate(VALID, flips)
        ),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_fuzzed_config_is_reported_or_loaded_never_crashes_never_written(data: bytes) -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(path) in str(exc)
    assert path.read_bytes() == data


@settings(max_examples=200, deadline=None, suppress_health_check=[FIXTURES])
@given(st.binary(max_size=300))
def test_fuzzed_credentials_file_is_reported_or_read(data: bytes) -> None:
    path = paths.credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    with contextlib.suppress(CredentialsFileError):
        read_credentials(path)
    assert path.read_bytes() == data


def test_console_with_corrupt_config_exits_2_and_leaves_it() -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"[environments.p\nhost = 1\n")
    path.chmod(0o600)
    done = subprocess.run(
        [sys.executable, "-m", "kore_tui"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert f"{path}:1" in done.stderr and "was not changed" in done.stderr
    assert path.read_bytes() == b"[environments.p\nhost = 1\n"


def test_env_add_never_replaces_a_corrupt_config() -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not = [valid\n")
    path.chmod(0o600)
    done = run_cli("env", "add", "x", "--host", "https://a.kore.ai")
    assert done.returncode == 2
    assert path.read_bytes() == b"not = [valid\n"


def test_group_writable_and_symlinked_configs() -> None:
    real = paths.config_path().parent / "real.toml"
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_bytes(VALID)
    real.chmod(0o666)
    paths.config_path().symlink_to(real)
    try:
        load_config()
    except ConfigError as exc:
        assert "chmod go-w" in str(exc)
    else:
        raise AssertionError("a world-writable config was accepted")
    real.chmod(0o600)
    config = load_config()
    assert config.default == "p"
    done = run_cli("env", "remove", "p")
    assert done.returncode == 2 and "symbolic link" in done.stderr
    assert real.read_bytes() == VALID and paths.config_path().is_symlink()
