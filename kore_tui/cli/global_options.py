"""``--env`` and ``--read-only`` mean the same before and after a subcommand.

argparse copies a subparser's namespace over the parent's, defaults included:
an option given before the subcommand is silently overwritten by the
subparser's default for the same dest (that bug once sent an undeploy meant for
a read-only environment to the default one). So the two positions use distinct
dests and are merged here, explicitly: a conflict is an error, an option that
does not apply is an error, nothing is dropped.
"""

from __future__ import annotations

import argparse

from kore_tui.cli.failure import CliError

_HIDDEN = argparse.SUPPRESS


class _OneEnvironment(argparse.Action):
    """``--env a --env b`` in one position is a conflict too, not "the last one wins"."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        previous = getattr(namespace, self.dest, None)
        if previous is not None and previous != values:
            raise argparse.ArgumentError(
                self, f"conflicting environments: {previous!r} and {values!r}"
            )
        setattr(namespace, self.dest, values)


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options as given before any subcommand."""
    parser.add_argument(
        "--env",
        dest="env_before",
        metavar="NAME",
        action=_OneEnvironment,
        help="environment (default: config's default, then KORE_HOST + "
        "KORE_API_KEY); may also follow the subcommand",
    )
    parser.add_argument(
        "--read-only",
        dest="read_only_before",
        action="store_true",
        # Every action that changes the platform, not only undeploy: the engine refuses
        # deploy, bounce and retry too, for models and tools alike.
        help="watch only: undeploy, deploy, bounce and retry (models and tools) are "
        "refused (exit 2) and the engine sends none of them; may also follow the subcommand",
    )


def add_subcommand_options(parser: argparse.ArgumentParser, *, read_only_help: str) -> None:
    """The same options given after a subcommand they apply to."""
    parser.add_argument(
        "--env",
        dest="env_after",
        metavar="NAME",
        action=_OneEnvironment,
        help="environment (default: config's default, then KORE_HOST + KORE_API_KEY)",
    )
    parser.add_argument(
        "--read-only", dest="read_only_after", action="store_true", help=read_only_help
    )


def reject_global_options(parser: argparse.ArgumentParser, *, read_only: bool = True) -> None:
    """Accept the options after a subcommand they do not apply to, so that the error says
    exactly that rather than 'unrecognized arguments'."""
    # SUPPRESS, not None: ``env --env x list`` nests parsers, and the inner one's default
    # would overwrite the outer one's value.
    parser.add_argument(
        "--env", dest="env_after", metavar="NAME", help=_HIDDEN, default=argparse.SUPPRESS
    )
    if read_only:
        parser.add_argument(
            "--read-only",
            dest="read_only_after",
            action="store_true",
            help=_HIDDEN,
            default=argparse.SUPPRESS,
        )


def apply_global_options(args: argparse.Namespace) -> None:
    """Merge both positions into ``args.env`` and ``args.read_only``; CliError if they clash.

    ``args.command_name`` is None for the console; ``args.takes_globals`` says whether the
    subcommand has any use for an environment.
    """
    command = getattr(args, "command_name", None)
    before_env: str | None = args.env_before
    after_env: str | None = getattr(args, "env_after", None)
    read_only = bool(args.read_only_before or getattr(args, "read_only_after", False))
    if not getattr(args, "takes_globals", True):
        given = (
            [f"--env {after_env or before_env!r}"]
            if before_env is not None or after_env is not None
            else []
        )
        if read_only:
            given.append("--read-only")
        if given:
            hint = (
                " (to make an environment read-only: kore-tui env add NAME --host URL --read-only)"
                if command == "env" and read_only
                else ""
            )
            verb = "does" if len(given) == 1 else "do"
            raise CliError(f"{' and '.join(given)} {verb} not apply to 'kore-tui {command}'{hint}")
    elif before_env is not None and after_env is not None and before_env != after_env:
        raise CliError(
            f"conflicting environments: --env {before_env!r} before "
            f"'{command}' and --env {after_env!r} after it"
        )
    env = after_env if after_env is not None else before_env
    if env is not None and not env.strip():
        raise CliError("--env needs an environment name")
    if getattr(args, "demo", False):
        if command == "serve":
            raise CliError(
                "--demo before 'serve' would open the terminal console; to serve "
                "the demo in a browser, put it after: kore-tui serve --demo"
            )
        if command is not None:
            raise CliError(f"--demo opens the console; it does not apply to 'kore-tui {command}'")
        if env is not None:
            raise CliError("--demo uses its own demo environment; --env does not apply")
    if getattr(args, "takes_globals", True):
        args.env = env
        args.read_only = read_only
