"""Keys from every source are checked before use; key_command is bounded and contained."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from kore_tui.core import keys
from kore_tui.core.api_client import KoreClient
from kore_tui.core.config import Environment
from kore_tui.core.keys import InvalidKeyError, KeyUnavailableError, check_key, resolve_key
from kore_tui.core.secret import Secret
from tests.conftest import SENTINEL_KEY
from tests.helpers import until_sync

HOST = "https://a.kore.ai"
HALF = len(SENTINEL_KEY) // 2
# Scripts build the key at run time so no file the tests write holds it (conftest scans them).
KEY_EXPR = f"({SENTINEL_KEY[:HALF]!r} + {SENTINEL_KEY[HALF:]!r})"


def script(tmp_path: Path, body: str, name: str = "cmd") -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport os, subprocess, sys, time\n{body}\n")
    path.chmod(0o700)
    return str(path)


BAD_KEYS = [
    ("kg-" + "a" * 5000, "5003 characters long; a key is at most 4096"),
    ("kg-abc\nx-evil: 1", "more than one line"),
    ("kg-abc\rdef", "more than one line"),
    ("kg-abc\x1b[31mdef", "not printable ASCII at position 7 (U+001B)"),
    ("kg-clé-123", "not printable ASCII at position 6 (U+00E9)"),
    ("kg-abc\tdef", "not printable ASCII at position 7 (U+0009)"),
]


@pytest.mark.parametrize(("value", "reason"), BAD_KEYS)
def test_check_key_names_the_problem_never_the_key(value: str, reason: str) -> None:
    with pytest.raises(InvalidKeyError, match="the API key") as info:
        check_key(Secret(value))
    assert reason in str(info.value)
    assert "kg-abc" not in str(info.value) and "kg-cl" not in str(info.value)


def test_a_good_key_passes_unchanged() -> None:
    assert check_key(Secret(SENTINEL_KEY)).reveal() == SENTINEL_KEY
    assert check_key(Secret("x" * 4096))


@pytest.mark.parametrize(("value", "reason"), BAD_KEYS[:3])
def test_every_source_is_checked(
    value: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KORE_X_KEY", value)
    with pytest.raises(InvalidKeyError, match=r"the key in \$KORE_X_KEY"):
        resolve_key(Environment("x", HOST, key_env="KORE_X_KEY"))
    prompted = Environment("p", HOST, ephemeral=True)
    with pytest.raises(InvalidKeyError, match="the key entered"):
        resolve_key(prompted, prompt=lambda e: Secret(value))
    credentials = tmp_path / "credentials.toml"
    credentials.write_text(f"[keys]\nstored = {json.dumps(value)}\n")
    credentials.chmod(0o600)
    with pytest.raises(InvalidKeyError, match="in the credentials file"):
        resolve_key(Environment("stored", HOST), credentials=credentials)


def test_client_refuses_a_bad_key_before_sending() -> None:
    with pytest.raises(InvalidKeyError, match="at most 4096"):
        KoreClient(HOST, Secret("kg-" + "a" * 10_000))
    with pytest.raises(InvalidKeyError, match="empty"):
        KoreClient(HOST, Secret("   "))


def test_key_command_printing_10_mb_is_refused_without_buffering_it(tmp_path: Path) -> None:
    cmd = script(tmp_path, "sys.stdout.write('k' * (10 * 1024 * 1024))")
    started = time.monotonic()
    with pytest.raises(KeyUnavailableError, match="printed more than 64 KiB"):
        keys.run_key_command((cmd,), timeout=10)
    assert time.monotonic() - started < 5


def test_key_command_one_long_line_is_invalid(tmp_path: Path) -> None:
    cmd = script(tmp_path, "print('k' * 5000)")
    with pytest.raises(InvalidKeyError, match="at most 4096"):
        keys.run_key_command((cmd,))


def test_key_command_first_line_is_the_key(tmp_path: Path) -> None:
    # `pass show` prints the secret first, then metadata lines.
    cmd = script(tmp_path, f"print({KEY_EXPR}); print('login: ops')")
    assert keys.run_key_command((cmd,)).reveal() == SENTINEL_KEY


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie nobody reaped yet (PID 1 in a container may not) is gone too
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def test_key_command_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    cmd = script(
        tmp_path,
        f"""
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open({str(pid_file)!r}, "w").write(str(child.pid))
time.sleep(60)
""",
    )
    with pytest.raises(KeyUnavailableError, match=r"longer than 1s"):
        keys.run_key_command((cmd,), timeout=1.0)
    grandchild = int(pid_file.read_text())
    until_sync(
        lambda: _gone(grandchild), 3, what="the key_command's grandchild is gone after the timeout"
    )


def test_key_command_stderr_is_bounded_inert_and_masks_the_key(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        f"""
key = {KEY_EXPR}
print(key)
sys.stderr.write("vault said: \\x1b[31mexpired\\x1b[0m for " + key + " " + "x" * 100000)
sys.exit(2)
""",
    )
    with pytest.raises(KeyUnavailableError) as info:
        keys.run_key_command((cmd,))
    message = str(info.value)
    assert "exited with 2: vault said:" in message
    assert SENTINEL_KEY not in message and "kg-…4b5c" in message
    assert "\x1b" not in message
    assert len(message) < 400


async def test_a_replacement_key_is_checked_too() -> None:
    async with KoreClient(HOST, Secret(SENTINEL_KEY)) as client:
        with pytest.raises(InvalidKeyError, match="more than one line"):
            client.replace_key(Secret("kg-new\nx-evil: 1"))
        client.replace_key(Secret("kg-new-0000000000000000"))
