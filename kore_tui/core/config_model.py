"""The config's model: environments, settings and their validation, one table at a time.

config.py reads the file and puts these together (and re-exports every public name
here, so ``kore_tui.core.config`` stays the import path). Each parser raises ValueError
(or EnvKeyError, naming the key) for config.py to turn into ``file:line: reason``.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kore_tui.core.config_lines import NAME_PATTERN
from kore_tui.core.deploy_params import ModelDeployParams
from kore_tui.core.errors import KoreError
from kore_tui.core.hosts import normalize_host, same_platform
from kore_tui.core.text import inert

COLOURS = ("blue", "green", "yellow", "red", "magenta", "cyan", "white", "orange", "purple")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class EnvKeyError(ValueError):
    """A bad value whose own line can be named (not only its table's): an environment's
    or a setting's."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(reason)


def validate_ca_bundle(value: object) -> str:
    """An absolute path to a readable PEM file of CA certificates, or ValueError saying why."""
    if not isinstance(value, str) or not value.strip():
        raise EnvKeyError("ca_bundle", "'ca_bundle' must be a path to a PEM file")
    path = Path(value).expanduser()
    shown = inert(value, 120)
    if not path.is_absolute():
        raise EnvKeyError("ca_bundle", f"'ca_bundle' must be an absolute path (got {shown!r})")
    if not path.is_file():
        raise EnvKeyError("ca_bundle", f"'ca_bundle' file {shown!r} does not exist")
    try:
        ssl.create_default_context(cafile=str(path))
    except PermissionError:
        raise EnvKeyError("ca_bundle", f"'ca_bundle' file {shown!r} is not readable") from None
    except (OSError, ssl.SSLError, ValueError):
        raise EnvKeyError(
            "ca_bundle", f"'ca_bundle' file {shown!r} holds no PEM CA certificate"
        ) from None
    return str(path)


class ConfigError(KoreError):
    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Environment:
    name: str
    host: str
    protected: bool = False
    read_only: bool = False
    colour: str = "blue"
    key_env: str | None = None
    key_command: tuple[str, ...] | None = None
    ephemeral: bool = False
    # PEM file of the CAs to trust for this host (a corporate TLS-inspecting proxy's CA);
    # None: the default trust store.
    ca_bundle: str | None = None
    # The [deploy_profiles.NAME] an undo or redeploy here uses when the journal has no
    # parameters of its own for the model (it must exist).
    deploy_profile: str | None = None

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"host": self.host, "protected": self.protected}
        if self.read_only:
            out["read_only"] = True
        out["colour"] = self.colour
        if self.key_env:
            out["key_env"] = self.key_env
        if self.key_command:
            out["key_command"] = list(self.key_command)
        if self.ca_bundle:
            out["ca_bundle"] = self.ca_bundle
        if self.deploy_profile:
            out["deploy_profile"] = self.deploy_profile
        return out


def _setting(default: float, low: float, high: float) -> Any:
    """A numeric setting's default and its bounds, declared together."""
    return field(default=default, metadata={"bounds": (low, high)})


@dataclass(frozen=True)
class Settings:
    concurrency: int = _setting(16, 1, 256)
    requests_per_second: float = _setting(20.0, 0.0, 10_000.0)
    poll_initial: float = _setting(2.0, 0.01, 600.0)
    poll_growth: float = _setting(0.2, 0.0, 5.0)
    poll_max: float = _setting(30.0, 0.01, 3600.0)
    job_timeout: float = _setting(1800.0, 0.1, 7 * 86400.0)
    not_found_grace: float = _setting(15.0, 0.0, 3600.0)
    theme: str = "textual-dark"


@dataclass
class Config:
    path: Path
    environments: dict[str, Environment] = field(default_factory=dict)
    default: str | None = None
    settings: Settings = field(default_factory=Settings)
    # Named model deploy parameters ([deploy_profiles.NAME]), validated on load.
    deploy_profiles: dict[str, ModelDeployParams] = field(default_factory=dict)

    def with_environment(self, env: Environment) -> Config:
        envs = dict(self.environments)
        envs[env.name] = env
        return replace(self, environments=envs)

    def protected_platform(self, env: Environment) -> str | None:
        return protected_platform(env, self.environments)

    def without_environment(self, name: str) -> Config:
        envs = {n: e for n, e in self.environments.items() if n != name}
        default = None if self.default == name else self.default
        return replace(self, environments=envs, default=default)


def protected_platform(env: Environment, environments: Mapping[str, Environment]) -> str | None:
    """The name of a protected environment other than ``env`` on the same platform
    (another name, another spelling of the host): an action there is asked like one
    in that environment (an operator's 'stage' was prod's host as localhost)."""
    if env.protected:
        return None
    here = set(same_platform(env.host))
    for other in environments.values():
        if other.protected and other.name != env.name and here & set(same_platform(other.host)):
            return other.name
    return None


def validate_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"environment name {inert(name, 50)!r} must be 1-40 letters, digits, '.', '_' or '-'"
        )
    return name


def validate_colour(colour: str) -> str:
    if colour in COLOURS or _HEX_COLOUR.fullmatch(colour):
        return colour
    raise ValueError(f"colour {inert(colour, 30)!r} must be one of {', '.join(COLOURS)} or #rrggbb")


def parse_environment(name: str, raw: Any) -> Environment:
    validate_name(name)
    if not isinstance(raw, dict):
        raise ValueError("must be a table")
    unknown = set(raw) - {
        "host",
        "protected",
        "read_only",
        "colour",
        "color",
        "key_env",
        "key_command",
        "ca_bundle",
        "deploy_profile",
    }
    if unknown:
        raise ValueError(f"unknown key {inert(sorted(unknown)[0], 40)!r}")
    profile = raw.get("deploy_profile")
    if profile is not None and not (isinstance(profile, str) and NAME_PATTERN.fullmatch(profile)):
        raise EnvKeyError(
            "deploy_profile", "'deploy_profile' must be the name of a [deploy_profiles.NAME] table"
        )
    host = raw.get("host")
    if not isinstance(host, str):
        raise ValueError("'host' is required and must be a string")
    for flag in ("protected", "read_only"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise ValueError(f"{flag!r} must be true or false")
    colour = raw.get("colour", raw.get("color", "blue"))
    if not isinstance(colour, str):
        raise ValueError("'colour' must be a string")
    key_env = raw.get("key_env")
    if key_env is not None and (not isinstance(key_env, str) or not _ENV_VAR.fullmatch(key_env)):
        raise ValueError("'key_env' must be an environment variable name")
    command = raw.get("key_command")
    if command is not None:
        if isinstance(command, str):
            raise ValueError("'key_command' must be a list of strings (no shell is used)")
        if not (isinstance(command, list) and command and all(isinstance(c, str) for c in command)):
            raise ValueError("'key_command' must be a non-empty list of strings")
    return Environment(
        name=name,
        host=normalize_host(host),
        protected=bool(raw.get("protected", False)),
        read_only=bool(raw.get("read_only", False)),
        colour=validate_colour(colour),
        key_env=key_env,
        key_command=tuple(command) if command else None,
        ca_bundle=validate_ca_bundle(raw["ca_bundle"]) if "ca_bundle" in raw else None,
        deploy_profile=profile,
    )


def parse_settings(raw: Any) -> Settings:
    if not isinstance(raw, dict):
        raise ValueError("must be a table")
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields(Settings)}
    for key, value in raw.items():
        if key not in known:
            raise EnvKeyError(key, f"unknown setting {inert(key, 40)!r}")
        if key == "theme":
            if not isinstance(value, str):
                raise EnvKeyError(key, "'theme' must be a string")
            values[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EnvKeyError(key, f"{key!r} must be a number")
        low, high = known[key].metadata["bounds"]
        if not low <= value <= high:
            raise EnvKeyError(key, f"{key!r} must be between {low} and {high}")
        values[key] = int(value) if key == "concurrency" else float(value)
    return Settings(**values)
