"""The TOML config: named environments, a default, and settings.

Loading validates everything and reports problems as ``file:line: reason``.
Writing is :mod:`kore_tui.core.config_writer`'s job alone: it re-reads the
file, changes one thing, keeps comments, and never writes a file that fails
to load.
"""

from __future__ import annotations

import os
import re
import ssl
import stat
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kore_tui.core import paths
from kore_tui.core.config_lines import (
    NAME_PATTERN,
    ProfileError,
    key_line,
    line_of,
    parse_profiles,
    table_line,
)
from kore_tui.core.deploy_params import ModelDeployParams
from kore_tui.core.errors import InsecureHostError, KoreError
from kore_tui.core.hosts import normalize_host
from kore_tui.core.text import inert

COLOURS = ("blue", "green", "yellow", "red", "magenta", "cyan", "white", "orange", "purple")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class _KeyError(ValueError):
    """A bad value whose own line can be named (not only its table's)."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(reason)


def validate_ca_bundle(value: object) -> str:
    """An absolute path to a readable PEM file of CA certificates, or ValueError saying why."""
    if not isinstance(value, str) or not value.strip():
        raise _KeyError("ca_bundle", "'ca_bundle' must be a path to a PEM file")
    path = Path(value).expanduser()
    shown = inert(value, 120)
    if not path.is_absolute():
        raise _KeyError("ca_bundle", f"'ca_bundle' must be an absolute path (got {shown!r})")
    if not path.is_file():
        raise _KeyError("ca_bundle", f"'ca_bundle' file {shown!r} does not exist")
    try:
        ssl.create_default_context(cafile=str(path))
    except PermissionError:
        raise _KeyError("ca_bundle", f"'ca_bundle' file {shown!r} is not readable") from None
    except (OSError, ssl.SSLError, ValueError):
        raise _KeyError(
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

    def without_environment(self, name: str) -> Config:
        envs = {n: e for n, e in self.environments.items() if n != name}
        default = None if self.default == name else self.default
        return replace(self, environments=envs, default=default)


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


def _parse_environment(name: str, raw: Any) -> Environment:
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
        raise _KeyError(
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


def _parse_settings(raw: Any) -> Settings:
    if not isinstance(raw, dict):
        raise ValueError("must be a table")
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields(Settings)}
    for key, value in raw.items():
        if key not in known:
            raise ValueError(f"unknown setting {inert(key, 40)!r}")
        if key == "theme":
            if not isinstance(value, str):
                raise ValueError("'theme' must be a string")
            values[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key!r} must be a number")
        low, high = known[key].metadata["bounds"]
        if not low <= value <= high:
            raise ValueError(f"{key!r} must be between {low} and {high}")
        values[key] = int(value) if key == "concurrency" else float(value)
    return Settings(**values)


def check_file_safety(path: Path) -> None:
    """A config that others can write could make us run any key_command."""
    info = path.stat()
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            path,
            f"writable by group or others (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"anyone who can write it could make kore-tui run a command. Fix: chmod go-w {path}",
        )


def parse_config(path: Path, text: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(path, f"not valid TOML: {reason}", line) from None
    config = Config(path=path)
    unknown = set(data) - {"default", "environments", "settings", "deploy_profiles"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            path,
            f"unknown top-level key {inert(key, 40)!r}",
            line_of(text, rf"^[ \t]*\[?{re.escape(key)}"),
        )
    envs = data.get("environments", {})
    if not isinstance(envs, dict):
        raise ConfigError(path, "'environments' must be a table", line_of(text, r"environments"))
    for name, raw in envs.items():
        try:
            config.environments[name] = _parse_environment(name, raw)
        except (ValueError, InsecureHostError) as exc:
            header = rf"^[ \t]*\[[ \t]*environments\.\"?{re.escape(name)}\"?[ \t]*\]"
            line = line_of(text, header)
            if isinstance(exc, _KeyError) and line:
                # The key's own line: the first one of that name after the table's header.
                own = line_of("\n".join(text.splitlines()[line:]), rf"^[ \t]*{exc.key}[ \t]*=")
                line = line + own if own else line
            raise ConfigError(path, f"environment {inert(name, 40)!r}: {exc}", line) from None
    if "settings" in data:
        try:
            config.settings = _parse_settings(data["settings"])
        except ValueError as exc:
            raise ConfigError(
                path, f"[settings]: {exc}", line_of(text, r"^[ \t]*\[settings\]")
            ) from None
    try:
        config.deploy_profiles = parse_profiles(text, data.get("deploy_profiles", {}))
    except ProfileError as exc:
        raise ConfigError(path, str(exc), exc.line) from None
    for name, env in config.environments.items():
        if env.deploy_profile is not None and env.deploy_profile not in config.deploy_profiles:
            known = ", ".join(sorted(config.deploy_profiles)) or "none defined"
            env_line = table_line(text, "environments", name)
            raise ConfigError(
                path,
                f"environment {inert(name, 40)!r}: deploy_profile "
                f"{inert(env.deploy_profile, 40)!r} is not defined under "
                f"[deploy_profiles] ({known})",
                key_line(text, env_line, "deploy_profile"),
            )
    default = data.get("default")
    if default is not None:
        if not isinstance(default, str) or default not in config.environments:
            raise ConfigError(
                path,
                f"default environment {inert(str(default), 40)!r} is not "
                "defined under [environments]",
                line_of(text, r"^[ \t]*default[ \t]*="),
            )
        config.default = default
    return config


def load_config(path: Path | None = None) -> Config:
    """The config at ``path`` (default location if None); an empty Config if it does not exist."""
    path = path or paths.config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    return config_from_bytes(path, raw)


def config_from_bytes(path: Path, raw: bytes | None) -> Config:
    """Validate the file's bytes (None: there is no file, an empty Config)."""
    if raw is None:
        return Config(path=path)
    check_file_safety(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(path, "not valid UTF-8", line) from None
    return parse_config(path, text)


def adhoc_environment() -> Environment | None:
    """The KORE_HOST + KORE_API_KEY environment, if both are set."""
    host = os.environ.get("KORE_HOST")
    if not host or not os.environ.get("KORE_API_KEY"):
        return None
    try:
        url = normalize_host(host)
    except InsecureHostError as exc:
        raise InsecureHostError(f"KORE_HOST: {exc}") from None
    return Environment(
        name="KORE_HOST", host=url, key_env="KORE_API_KEY", colour="cyan", ephemeral=True
    )


def resolve_environment(config: Config, name: str | None) -> Environment:
    if name:
        if name in config.environments:
            return config.environments[name]
        known = ", ".join(sorted(config.environments)) or "none configured"
        raise ConfigError(config.path, f"no environment named {inert(name, 40)!r} ({known})")
    if config.default:
        return config.environments[config.default]
    adhoc = adhoc_environment()
    if adhoc:
        return adhoc
    raise ConfigError(
        config.path,
        "no environment: pass --env NAME, set a default in the config, "
        "or set KORE_HOST and KORE_API_KEY",
    )
