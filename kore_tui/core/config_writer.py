"""The one writer of ``config.toml``: re-read, change one thing, keep the rest.

Every change starts from the file as it is on disk *now* (not from a copy
loaded minutes ago by the console), edits only the part it is about with
tomlkit (so comments, key order and the operator's formatting survive), checks
that the result loads and says what was meant, and replaces the file
atomically with mode 0600.

- A file that fails to load is reported (ConfigError) and never written.
- A caller that edits something it loaded earlier passes what it loaded as
  ``expected``; if the file now says otherwise (the environment was changed or
  removed by ``kore-tui env`` or by hand meanwhile), the change is refused with
  ConfigConflictError rather than silently undoing someone else's edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Literal

import tomlkit
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from kore_tui.core import paths
from kore_tui.core.config import (
    Config,
    ConfigError,
    Environment,
    Settings,
    config_from_bytes,
    parse_config,
)
from kore_tui.core.errors import InsecureHostError
from kore_tui.core.hosts import normalize_host
from kore_tui.core.text import inert
from kore_tui.core.toml_edit import edit_toml_file

DefaultChange = Literal["keep", "set", "clear", "if_unset"]

# "missing": the caller expects the environment not to exist (adding a new one).
MISSING: Literal["missing"] = "missing"
Expected = Environment | Literal["missing"] | None


class ConfigConflictError(ConfigError):
    """The file changed on disk, since the caller loaded it, in a way that clashes."""


def _check_expected(config: Config, name: str, expected: Expected) -> None:
    if expected is None:
        return
    on_disk = config.environments.get(name)
    shown = inert(name, 40)
    if expected == MISSING:
        if on_disk is not None:
            raise ConfigConflictError(
                config.path,
                f"environment {shown!r} was added to the file meanwhile; "
                "reopen the environment list and edit it instead",
            )
        return
    if on_disk is None:
        raise ConfigConflictError(
            config.path,
            f"environment {shown!r} was removed from the file meanwhile; nothing was saved",
        )
    if on_disk != expected:
        raise ConfigConflictError(
            config.path,
            f"environment {shown!r} was changed in the file meanwhile; "
            "nothing was saved (reopen it to see the new values)",
        )


def _environments(doc: TOMLDocument) -> Any:
    if "environments" not in doc:
        doc["environments"] = tomlkit.table(is_super_table=True)
    return doc["environments"]


# Values a missing key already means: writing them would only add noise to the file.
_IMPLIED = {"protected": False, "read_only": False, "colour": "blue", "color": "blue"}


def _same(key: str, current: Any, value: Any) -> bool:
    if key == "host" and isinstance(current, str):
        try:
            return bool(normalize_host(current) == value)
        except InsecureHostError:
            return False
    return bool(current == value)


def _write_environment(table: Any, env: Environment) -> None:
    """Update ``table`` in place: keys whose meaning does not change (and their comments)
    stay exactly as written."""
    wanted = env.to_toml()
    wanted.setdefault("read_only", False)
    colour_key = "color" if "color" in table and "colour" not in table else "colour"
    wanted[colour_key] = wanted.pop("colour")
    for key in ("key_env", "key_command", "ca_bundle", "deploy_profile"):
        if key not in wanted and key in table:
            del table[key]
    for key, value in wanted.items():
        if key in table:
            if not _same(key, table[key], value):
                table[key] = value
        elif _IMPLIED.get(key, object()) != value:
            table[key] = value


def _set_default(doc: TOMLDocument, config: Config, name: str, change: DefaultChange) -> None:
    if change == "set" or (change == "if_unset" and config.default is None):
        doc["default"] = name
    elif change == "clear" and config.default == name and "default" in doc:
        del doc["default"]


def _edit(path: Path | None, change: Callable[[TOMLDocument, Config], Config]) -> Config:
    """Apply ``change`` (which returns the Config it means to produce) and write the file
    only if it loads back as exactly that."""
    target = path or paths.config_path()

    def verify(text: str, wanted: Config) -> None:
        got = parse_config(target, text)
        if (got.environments, got.default, got.settings) != (
            wanted.environments,
            wanted.default,
            wanted.settings,
        ):
            raise ConfigError(
                target,
                "internal error: the edited file would not load as intended; nothing was written",
            )

    return edit_toml_file(target, config_from_bytes, change, verify)


def put_environment(
    env: Environment,
    *,
    default: DefaultChange = "keep",
    expected: Expected = None,
    path: Path | None = None,
    keep_deploy_profile: bool = True,
) -> Config:
    """Add or replace one environment. ``expected``: what the caller loaded (an
    Environment), ``MISSING`` for a new one, or None for "add or replace" (``env add``).
    ``keep_deploy_profile``: an environment without one keeps the file's (``env add`` has
    no option for it); the console's editor has a field, and its "none" clears it."""

    def change(doc: TOMLDocument, config: Config) -> Config:
        nonlocal env
        _check_expected(config, env.name, expected)
        on_disk = config.environments.get(env.name)
        if keep_deploy_profile and env.deploy_profile is None and on_disk is not None:
            env = replace(env, deploy_profile=on_disk.deploy_profile)
        envs = _environments(doc)
        if env.name in envs and isinstance(envs[env.name], dict):
            _write_environment(envs[env.name], env)
        else:
            table = tomlkit.table()
            _write_environment(table, env)
            if list(doc)[-1] != "environments":
                # A table follows the environments: set the new one apart from it (it was
                # written right against "[deploy_profiles.gpu]").
                table.add(tomlkit.nl())
            envs[env.name] = table
        _set_default(doc, config, env.name, default)
        result = config.with_environment(env)
        if default == "set" or (default == "if_unset" and config.default is None):
            result.default = env.name
        elif default == "clear" and config.default == env.name:
            result.default = None
        return result

    return _edit(path, change)


def remove_environment(
    name: str, *, expected: Expected = None, path: Path | None = None
) -> tuple[Config, bool]:
    """Remove one environment (and the default, if it was that one).
    Returns (config, whether it was there)."""
    removed = False

    def change(doc: TOMLDocument, config: Config) -> Config:
        nonlocal removed
        if name not in config.environments:
            return config  # already gone: nothing to write
        _check_expected(config, name, expected)
        del _environments(doc)[name]
        if config.default == name and "default" in doc:
            del doc["default"]
        removed = True
        return config.without_environment(name)

    config = _edit(path, change)
    return config, removed


def set_setting(name: str, value: str | float, *, path: Path | None = None) -> Config:
    """Set one ``[settings]`` value (the console persists its theme this way)."""

    def change(doc: TOMLDocument, config: Config) -> Config:
        if "settings" not in doc:
            doc["settings"] = tomlkit.table()
        settings = doc["settings"]
        if not isinstance(settings, Table | dict):
            raise ConfigError(config.path, "[settings] is not a table")
        settings[name] = value
        changes: dict[str, Any] = {name: value}
        return replace(config, settings=replace(config.settings, **changes))

    if name not in {f.name for f in fields(Settings)}:
        raise ValueError(f"unknown setting {name!r}")
    return _edit(path, change)
