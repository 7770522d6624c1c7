"""``kore-tui env list|show|add|remove``."""

from __future__ import annotations

import argparse
import getpass
import sys

from kore_tui.cli import failure
from kore_tui.cli.common import err, handle_errors
from kore_tui.cli.exit_codes import EXIT_OK
from kore_tui.cli.failure import CliError
from kore_tui.core.config import Environment, load_config, validate_colour, validate_name
from kore_tui.core.hosts import normalize_host
from kore_tui.core.keys import KeyUnavailableError, forget_key, remember_key, resolve_key
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert


def key_source(env: Environment) -> str:
    if env.key_env:
        return f"env ${env.key_env}"
    if env.key_command:
        return f"command {env.key_command[0]}"
    return "credentials file or prompt"


def _list() -> int:
    config = load_config()
    if not config.environments:
        print(f"no environments in {config.path} (add one with: kore-tui env add NAME --host URL)")
        return EXIT_OK
    for name, env in sorted(config.environments.items()):
        guard = config.protected_platform(env)
        marks = [
            m
            for m, on in (
                ("default", name == config.default),
                ("protected", env.protected),
                (f"protected ({inert(guard or '', 40)}'s platform)", guard is not None),
                ("read-only", env.read_only),
            )
            if on
        ]
        print(f"{name:<20} {env.host:<40} {','.join(marks)}")
    return EXIT_OK


def _protected(env: Environment, guard: str | None) -> str:
    if guard is not None:  # another name for a protected environment's host
        return f"no; asked as protected: same platform as {inert(guard, 40)!r}"
    return "yes" if env.protected else "no"


def _show(name: str) -> int:
    config = load_config()
    env = config.environments.get(name)
    if env is None:
        raise CliError(f"no environment named {inert(name, 40)!r} in {config.path}", failure.CONFIG)
    try:
        key, source = resolve_key(env, prompt=None)
        key_line = f"{key.masked} (from {source})"
    except (KeyUnavailableError, OSError) as exc:
        key_line = f"unavailable: {exc}"
    fields = [
        ("name", f"{env.name}{'  (default)' if config.default == name else ''}"),
        ("host", env.host),
        ("protected", _protected(env, config.protected_platform(env))),
        ("read-only", "yes" if env.read_only else "no"),
        ("colour", env.colour),
        ("key source", key_source(env)),
        ("ca bundle", str(env.ca_bundle or "default trust store")),
        ("deploy profile", env.deploy_profile or "-"),
        ("key", key_line),
    ]
    width = max(len(label) for label, _ in fields) + 2  # values in one column
    for label, value in fields:
        print(f"{label + ':':<{width}}{inert(value, 400)}")
    return EXIT_OK


# config_writer brings tomlkit: imported by the two subcommands that write the config only.
def _add(args: argparse.Namespace) -> int:
    from kore_tui.core.config_writer import put_environment

    try:
        env = Environment(
            name=validate_name(args.name),
            host=normalize_host(args.host),
            protected=args.protected,
            read_only=args.read_only,
            colour=validate_colour(args.colour),
            key_env=args.key_env,
            key_command=tuple(args.key_command) if args.key_command else None,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    load_config()  # a broken config is reported before the key prompt, not after
    key: Secret | None = None
    if args.remember_key:
        if not sys.stdin.isatty():
            raise CliError("--remember-key needs a terminal to prompt for the key")
        key = Secret(getpass.getpass(f"API key for {env.name} (stored 0600): "))
        if not key:
            raise CliError("no key entered")
    config = put_environment(env, default="set" if args.default else "if_unset")
    if key is not None:
        path = remember_key(env.name, key)
        print(f"key {key.masked} stored in {path}")
    print(f"environment {env.name} saved to {config.path}")
    guard = config.protected_platform(env)
    if guard is not None:
        err(
            f"note: same platform as protected {inert(guard, 40)!r}: runs in {env.name} are "
            "asked as protected (its name typed, or --yes --confirm-env NAME)"
        )
    return EXIT_OK


def _remove(name: str) -> int:
    from kore_tui.core.config_writer import remove_environment

    config, removed = remove_environment(name)
    if not removed:
        raise CliError(f"no environment named {inert(name, 40)!r} in {config.path}", failure.CONFIG)
    forgot = forget_key(name)
    print(f"environment {name} removed" + (" (and its stored key)" if forgot else ""))
    return EXIT_OK


def run_env(args: argparse.Namespace) -> int:
    def go() -> int:
        if args.env_command == "list":
            return _list()
        if args.env_command == "show":
            return _show(args.name)
        if args.env_command == "add":
            return _add(args)
        return _remove(args.name)

    return handle_errors(go)
