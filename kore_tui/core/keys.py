"""Where an environment's API key comes from, in order of precedence.

1. the environment variable named by ``key_env``;
2. ``key_command``: a program whose stdout's first line is the key, run without
   a shell in its own process group (killed whole on timeout), its output read
   with a bound, its stderr (never its stdout, and with the key masked) quoted
   on failure;
3. the 0600 credentials file, written only when the operator asks;
4. a prompt, held in memory only (the caller supplies it).

Whatever the source, a key is checked by :func:`check_key` before anything is
sent: a 10 MB "key" must not become a header, and a key with a line break must
not be able to smuggle in a second one.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import stat
import subprocess
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kore_tui.core import paths
from kore_tui.core.config import Environment
from kore_tui.core.errors import KoreError
from kore_tui.core.secret import Secret, mask_key
from kore_tui.core.text import inert

# tomlkit (~0.03 s to import) only where the credentials file is written: reading a key,
# which every command that talks to the platform does, needs only tomllib.
if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

KEY_COMMAND_TIMEOUT = 15.0
MAX_KEY_LENGTH = 4096
# A key_command's stdout beyond this is refused unread; its stderr beyond this is dropped.
_STDOUT_LIMIT = 64 * 1024
_STDERR_LIMIT = 4 * 1024


class KeyUnavailableError(KoreError):
    pass


class InvalidKeyError(KeyUnavailableError):
    """The key is not one line of printable ASCII of a sane length; never quotes it."""


def check_key(key: Secret, source: str = "the API key") -> Secret:
    """``key`` if it can travel as an ``x-api-key`` header; InvalidKeyError otherwise."""
    value = key.reveal()
    if not value:
        raise InvalidKeyError(f"{source} is empty")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidKeyError(
            f"{source} is {len(value)} characters long; a key is at most {MAX_KEY_LENGTH}"
        )
    if "\n" in value or "\r" in value:
        raise InvalidKeyError(f"{source} spans more than one line; a key is one line")
    for position, char in enumerate(value, 1):
        if not (char.isascii() and char.isprintable()):
            raise InvalidKeyError(
                f"{source} has a character that is not printable ASCII at position {position} "
                f"(U+{ord(char):04X}); a key is printable ASCII"
            )
    return key


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
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise CredentialsFileError(f"{path}: not valid TOML: nested too deeply") from None
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise CredentialsFileError(f"{path}: [keys] must be a table")
    return {name: Secret(value) for name, value in keys.items() if isinstance(value, str)}


def _verify_credentials(path: Path) -> Callable[[str, dict[str, Secret]], None]:
    def verify(text: str, wanted: dict[str, Secret]) -> None:
        got = tomllib.loads(text).get("keys", {})
        if {n: v for n, v in got.items() if isinstance(v, str)} != {
            n: s.reveal() for n, s in wanted.items()
        }:
            # The message names no key: it never quotes the file's values.
            raise CredentialsFileError(
                f"{path}: the edited file would not load as intended; nothing was written"
            )

    return verify


def remember_key(env_name: str, key: Secret, path: Path | None = None) -> Path:
    """Store one key; other keys, comments and layout of the file stay as they are."""
    import tomlkit

    from kore_tui.core.toml_edit import edit_toml_file

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
    from kore_tui.core.toml_edit import edit_toml_file

    def change(doc: TOMLDocument, existing: dict[str, Secret]) -> dict[str, Secret]:
        keys = doc.get("keys")
        if keys is not None and env_name in keys:
            del keys[env_name]
        return {n: s for n, s in existing.items() if n != env_name}

    edit_toml_file(path, _credentials_from_bytes, change, _verify_credentials(path))
    return True


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # The command runs in its own session, so its pid is its process group id: this
    # reaches the grandchildren a timeout would otherwise leave running.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _read_bounded(proc: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes]:
    """(stdout, first bytes of stderr) once both pipes close; raises on timeout or overflow."""
    assert proc.stdout is not None and proc.stderr is not None
    deadline = time.monotonic() + timeout
    out = bytearray()
    err = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ, out)
        selector.register(proc.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            for item, _ in selector.select(left):
                data = os.read(item.fd, 65536)
                if not data:
                    selector.unregister(item.fileobj)
                elif item.data is out:
                    out += data
                    if len(out) > _STDOUT_LIMIT:
                        raise OverflowError
                elif len(err) < _STDERR_LIMIT:
                    err += data[: _STDERR_LIMIT - len(err)]
    left = max(0.0, deadline - time.monotonic())
    proc.wait(left)
    return bytes(out), bytes(err)


def run_key_command(command: tuple[str, ...], timeout: float = KEY_COMMAND_TIMEOUT) -> Secret:
    shown = inert(command[0], 60)
    try:
        proc = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise KeyUnavailableError(f"key_command {shown!r} not found") from None
    except OSError as exc:
        raise KeyUnavailableError(f"key_command {shown!r} failed: {exc.strerror}") from None
    with proc:
        try:
            out, err = _read_bounded(proc, timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise KeyUnavailableError(
                f"key_command {shown!r} took longer than {timeout:g}s"
            ) from None
        except OverflowError:
            _kill_group(proc)
            raise KeyUnavailableError(
                f"key_command {shown!r} printed more than {_STDOUT_LIMIT // 1024} KiB; "
                "a key is one short line"
            ) from None
        except BaseException:
            # Ctrl-C here must not leave a command (in its own session, so it did not get
            # the SIGINT) running, nor block the exit of `with proc` waiting for it.
            _kill_group(proc)
            raise
    lines = out.decode("utf-8", "replace").strip().splitlines()
    candidate = lines[0].strip() if lines else ""
    if proc.returncode != 0:
        raise KeyUnavailableError(
            f"key_command {shown!r} exited with {proc.returncode}: {_stderr_text(err, candidate)}"
        )
    if not candidate:
        raise KeyUnavailableError(f"key_command {shown!r} printed nothing")
    return check_key(Secret(candidate), f"the key printed by key_command {shown!r}")


def _stderr_text(err: bytes, key: str) -> str:
    """The command's stderr for a message: bounded, inert, any copy of the key masked."""
    text = err.decode("utf-8", "replace").strip()
    if key:
        text = text.replace(key, mask_key(key))
    return inert(text, 160) or "no stderr"


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
            return check_key(Secret(value), f"the key in ${env.key_env}"), f"${env.key_env}"
        tried.append(f"${env.key_env} is {'empty' if value is not None else 'not set'}")
    if env.key_command:
        return run_key_command(env.key_command), "key_command"
    if not env.ephemeral:
        stored = read_credentials(credentials).get(env.name)
        if stored:
            return check_key(
                stored, f"the key for {env.name!r} in the credentials file"
            ), "credentials file"
        tried.append("no key in the credentials file")
    if prompt is not None:
        entered = prompt(env)
        if entered:
            return check_key(entered, "the key entered"), "prompt"
        tried.append("no key entered")
    raise KeyUnavailableError(f"no API key for {env.name!r}: " + "; ".join(tried))
