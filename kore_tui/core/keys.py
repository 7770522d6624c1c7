"""Where an environment's API key comes from, in order of precedence.

1. the environment variable named by ``key_env``;
2. ``key_command``: a program whose stdout is the key, run without a shell,
   with a timeout, its stderr (never its stdout) quoted on failure;
3. the 0600 credentials file, written only when the operator asks;
4. a prompt, held in memory only (the caller supplies it).
"""

from __future__ import annotations

import os
import stat
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import tomlkit
from tomlkit.toml_document import TOMLDocument

from kore_tui.core import paths
from kore_tui.core.config import Environment
from kore_tui.core.errors import KoreError
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.core.toml_edit import edit_toml_file

KEY_COMMAND_TIMEOUT = 15.0


class KeyUnavailableError(KoreError):
    pass


class CredentialsFileError(KoreError):
    pass


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CredentialsFileError(
            f"{path} is readable or writable by group or others (mode {mode:04o}); "
            f"it holds API keys. Fix: chmod 600 {path}"
        )


def read_credentials(path: Path | None = None) -> dict[str, Secret]:
    path = path or paths.credentials_path()
    if not path.exists():
        return {}
    return _credentials_from_bytes(path, path.read_bytes())


def _credentials_from_bytes(path: Path, raw: bytes | None) -> dict[str, Secret]:
    if raw is None:
        return {}
    _check_private(path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CredentialsFileError(f"{path}: not valid TOML: {inert(str(exc), 120)}") from None
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise CredentialsFileError(f"{path}: [keys] must be a table")
    return {name: Secret(value) for name, value in keys.items() if isinstance(value, str)}


def _verify_credentials(path: Path) -> Callable[[str, dict[str, Secret]], None]:
    def verify(text: str, wanted: dict[str, Secret]) -> None:
        got = tomllib.loads(text).get("keys", {})
        if {n: v for n, v in got.items() if isinstance(v, str)} != {
                n: s.reveal() for n, s in wanted.items()}:
            # The message names no key: it never quotes the file's values.
            raise CredentialsFileError(f"{path}: the edited file would not load as intended; "
                                       "nothing was written")
    return verify


def remember_key(env_name: str, key: Secret, path: Path | None = None) -> Path:
    """Store one key; other keys, comments and layout of the file stay as they are."""
    path = path or paths.credentials_path()

    def change(doc: TOMLDocument, existing: dict[str, Secret]) -> dict[str, Secret]:
        if "keys" not in doc:
            doc["keys"] = tomlkit.table()
        doc["keys"][env_name] = key.reveal()
        return {**existing, env_name: key}

    edit_toml_file(path, _credentials_from_bytes, change, _verify_credentials(path))
    return path


def forget_key(env_name: str, path: Path | None = None) -> bool:
    path = path or paths.credentials_path()
    if env_name not in read_credentials(path):
        return False

    def change(doc: TOMLDocument, existing: dict[str, Secret]) -> dict[str, Secret]:
        keys = doc.get("keys")
        if keys is not None and env_name in keys:
            del keys[env_name]
        return {n: s for n, s in existing.items() if n != env_name}

    edit_toml_file(path, _credentials_from_bytes, change, _verify_credentials(path))
    return True


def run_key_command(command: tuple[str, ...], timeout: float = KEY_COMMAND_TIMEOUT) -> Secret:
    shown = inert(command[0], 60)
    try:
        done = subprocess.run(
            list(command), capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise KeyUnavailableError(f"key_command {shown!r} not found") from None
    except subprocess.TimeoutExpired:
        raise KeyUnavailableError(f"key_command {shown!r} took longer than {timeout:g}s") from None
    except OSError as exc:
        raise KeyUnavailableError(f"key_command {shown!r} failed: {exc.strerror}") from None
    if done.returncode != 0:
        detail = inert(done.stderr.decode("utf-8", "replace").strip(), 160) or "no stderr"
        raise KeyUnavailableError(
            f"key_command {shown!r} exited with {done.returncode}: {detail}"
        )
    key = done.stdout.decode("utf-8", "replace").strip()
    if not key:
        raise KeyUnavailableError(f"key_command {shown!r} printed nothing")
    return Secret(key.splitlines()[0])


def resolve_key(
    env: Environment,
    prompt: Callable[[Environment], Secret | None] | None = None,
    credentials: Path | None = None,
) -> tuple[Secret, str]:
    """(key, where it came from) or KeyUnavailableError naming what was tried."""
    tried: list[str] = []
    if env.key_env:
        value = os.environ.get(env.key_env)
        if value and value.strip():
            return Secret(value), f"${env.key_env}"
        tried.append(f"${env.key_env} is not set")
    if env.key_command:
        return run_key_command(env.key_command), "key_command"
    if not env.ephemeral:
        stored = read_credentials(credentials).get(env.name)
        if stored:
            return stored, "credentials file"
        tried.append("no key in the credentials file")
    if prompt is not None:
        entered = prompt(env)
        if entered:
            return entered, "prompt"
        tried.append("no key entered")
    raise KeyUnavailableError(f"no API key for {env.name!r}: " + "; ".join(tried))
