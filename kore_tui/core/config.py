"""The TOML config: named environments, a default, and settings.

Loading validates everything and reports problems as ``file:line: reason``.
Writing is :mod:`kore_tui.core.config_writer`'s job alone: it re-reads the
file, changes one thing, keeps comments, and never writes a file that fails
to load. The tables' model and parsers are in :mod:`kore_tui.core.config_model`;
this module reads the file and assembles them.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

from kore_tui.core import paths
from kore_tui.core.config_lines import ProfileError, key_line, line_of, parse_profiles, table_line
from kore_tui.core.config_model import (
    COLOURS,
    Config,
    ConfigError,
    Environment,
    EnvKeyError,
    Settings,
    parse_environment,
    parse_settings,
    protected_platform,
    validate_ca_bundle,
    validate_colour,
    validate_name,
)
from kore_tui.core.errors import InsecureHostError
from kore_tui.core.hosts import normalize_host
from kore_tui.core.text import inert

# The model's names are re-exported: kore_tui.core.config is the import path everyone uses.
__all__ = [
    "COLOURS",
    "Config",
    "ConfigError",
    "EnvKeyError",
    "Environment",
    "Settings",
    "adhoc_environment",
    "check_file_safety",
    "config_from_bytes",
    "load_config",
    "parse_config",
    "parse_environment",
    "parse_settings",
    "protected_platform",
    "resolve_environment",
    "validate_ca_bundle",
    "validate_colour",
    "validate_name",
]


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
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ConfigError(path, "not valid TOML: nested too deeply") from None
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
            config.environments[name] = parse_environment(name, raw)
        except (ValueError, InsecureHostError) as exc:
            header = rf"^[ \t]*\[[ \t]*environments\.\"?{re.escape(name)}\"?[ \t]*\]"
            line = line_of(text, header)
            if isinstance(exc, EnvKeyError) and line:
                # The key's own line: the first one of that name after the table's header.
                own = line_of("\n".join(text.splitlines()[line:]), rf"^[ \t]*{exc.key}[ \t]*=")
                line = line + own if own else line
            raise ConfigError(path, f"environment {inert(name, 40)!r}: {exc}", line) from None
    if "settings" in data:
        try:
            config.settings = parse_settings(data["settings"])
        except ValueError as exc:
            line = line_of(text, r"^[ \t]*\[settings\]")
            if isinstance(exc, EnvKeyError):
                line = key_line(text, line, exc.key)
            raise ConfigError(path, f"[settings]: {exc}", line) from None
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
    if not stat.S_ISREG(path.stat().st_mode):
        # /dev/null read as an empty file, then "writable by others … chmod go-w /dev/null".
        raise ConfigError(path, "not a regular file (a device, a FIFO or a socket)")
    check_file_safety(path)
    if raw.startswith(b"\xef\xbb\xbf"):  # a BOM (Windows editors): TOML does not allow it
        raw = raw[3:]
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
    why = ""
    if os.environ.get("KORE_HOST"):  # one of the two: say which one is missing
        key = os.environ.get("KORE_API_KEY")
        why = f" (KORE_HOST is set but KORE_API_KEY {'is empty' if key == '' else 'is not'})"
    raise ConfigError(
        config.path,
        "no environment: pass --env NAME, set a default in the config, "
        f"or set KORE_HOST and KORE_API_KEY{why}",
    )
