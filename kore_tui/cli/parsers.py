"""The ``kore-tui`` argument parsers, one builder per group of subcommands.

Standard library only, like main.py: ``--help`` must not pay for Textual or httpx. Each
builder takes ``command`` (main.py's factory that adds a subparser with its handler) and
the handlers, so the lazy imports of the subcommand modules stay in main.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, Protocol

from kore_tui.cli.global_options import add_subcommand_options, reject_global_options

Handler = Callable[[argparse.Namespace], int]


class Command(Protocol):
    """Adds subcommand ``name``, run by ``handler``; ``kw`` as for ``add_parser``."""

    def __call__(self, name: str, handler: Handler, **kw: Any) -> argparse.ArgumentParser: ...


EPILOG = """\
exit codes (undeploy, deploy, bounce, status; the most severe that applies):
  3  authentication or permission error (HTTP 401/403)
  2  usage or configuration error
  5  outcome UNKNOWN for at least one job (the request may have reached the server)
  4  deadline reached with a job still not final
  1  at least one job FAILED or was rejected by the server (ERROR)
  0  every job SUCCESS

environment: KORE_HOST + KORE_API_KEY give an ad-hoc environment when no --env
is given and no default is configured. KORE_TUI_CONFIG overrides the config path.
"""


def positive_int(text: str, most: int = 1_000_000) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    if value > most:  # --limit 99999999999999999999 overflowed SQLite: a traceback
        raise argparse.ArgumentTypeError(f"must be at most {most}: {text!r}")
    return value


def setting_flag(name: str) -> Callable[[str], float]:
    """A flag that overrides a [settings] value, held to the same bounds (one place:
    Settings' fields). --concurrency 100000 and --timeout inf went past them."""

    def parse(text: str) -> float:
        # Imported here: the parser is built at every start, --version and --help included.
        from dataclasses import fields

        from kore_tui.core.config_model import Settings

        low, high = next(f.metadata["bounds"] for f in fields(Settings) if f.name == name)
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:  # NaN fails this too
            raise argparse.ArgumentTypeError(
                f"must be between {low:g} and {high:g} (the config's bounds): {text!r}"
            )
        return value

    return parse


def concurrency_flag(text: str) -> int:
    value = setting_flag("concurrency")(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(value)


def tracking(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", action="store_true", help="track every job until it is final")
    p.add_argument(
        "--timeout",
        type=setting_flag("job_timeout"),
        metavar="S",
        help="per-job deadline in seconds (default: config, 1800)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on stdout (progress goes to stderr)",
    )


def acting(p: argparse.ArgumentParser, verb: str) -> None:
    """The options of every command that changes the platform."""
    add_subcommand_options(p, read_only_help=f"refuse to {verb} (exit 2, nothing sent)")
    p.add_argument(
        "--file",
        metavar="PATH",
        action="append",
        help="read IDs from a file ('-' for stdin; may be repeated); any format: lines, "
        "CSV, JSON, URLs",
    )
    p.add_argument(
        "--confirm-env",
        metavar="NAME",
        help="the environment's name, as a terminal asks it: needed with --yes in a "
        "protected environment; a run whose environment is another sends nothing (exit 2)",
    )
    tracking(p)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan; send nothing (exit code as the real run's)",
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="go ahead even if some ID-like tokens are invalid",
    )
    p.add_argument(
        "--concurrency",
        type=concurrency_flag,
        metavar="N",
        help="requests in flight at once (default: config, 16)",
    )


def deploying(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="model parameters from [deploy_profiles.NAME] (default: the "
        "journal's record of the model's last deploy, then the environment's "
        "deploy_profile)",
    )
    p.add_argument(
        "--model-type",
        metavar="T",
        help="openSource or fineTune (overrides the profile's or the journal's)",
    )
    p.add_argument("--name", metavar="N", help="deployment name (overrides)")
    p.add_argument(
        "--sync", action="store_true", help='tools: deploy synchronously ({"isAsync": false})'
    )
    p.add_argument("ids", nargs="*", metavar="ID")


def add_change_commands(
    command: Command, *, undeploy: Handler, deploy: Handler, bounce: Handler
) -> None:
    """undeploy, deploy and bounce: the commands that change the platform."""
    und = command(
        "undeploy",
        undeploy,
        help="undeploy models and tools and (with --wait) track the jobs",
        description="Undeploy the given models (cm-) and tools (a-). Without --wait, each POST "
        "is sent and its dock status verified once. IDs may come as arguments, from --file, "
        "or both.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    acting(und, "undeploy")
    und.add_argument("ids", nargs="*", metavar="ID")

    dep = command(
        "deploy",
        deploy,
        help="deploy (redeploy) models and tools",
        description="Deploy the given models (Ready to Deploy) and tools. A deployment runs on "
        "paid GPU machines: the confirmation shows the device type and replicas.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    acting(dep, "deploy")
    deploying(dep)

    bnc = command(
        "bounce",
        bounce,
        help="undeploy, then redeploy with the same parameters",
        description="The on-call restart: undeploy each resource, and deploy it again once the "
        "undeploy is verified SUCCESS. A failed or UNKNOWN undeploy stops its redeploy. The "
        "command waits for every undeploy (the redeploy is sent by this process).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    acting(bnc, "bounce")
    deploying(bnc)


def add_read_commands(command: Command, *, status: Handler, history: Handler) -> None:
    """status and history: the commands that only read jobs."""
    st = command(
        "status",
        status,
        help="watch existing dock-status jobs",
        description="Check dock status IDs (jobs started here or elsewhere); resumes any "
        "unfinished jobs from the journal when no ID is given (none left: exit 0).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_subcommand_options(st, read_only_help="accepted: status changes nothing")
    tracking(st)
    st.add_argument("ids", nargs="*", metavar="DOCK_STATUS_ID")

    hist = command("history", history, help="list past jobs from the journal")
    add_subcommand_options(hist, read_only_help="accepted: history changes nothing")
    hist.add_argument(
        "--limit",
        type=positive_int,
        default=50,
        metavar="N",
        help="at most N jobs, newest first (default 50)",
    )
    hist.add_argument("--json", action="store_true", help="print one JSON document")


def add_serve_command(command: Command, handler: Handler) -> None:
    """serve: the console in a browser."""
    srv = command(
        "serve",
        handler,
        help="serve the console in a browser (demo or read-only)",
        description="Serve the console on 127.0.0.1 through textual-serve: each browser visit "
        "gets its own console process. Only a console that cannot change the platform is "
        "served: the demo, or a read-only environment. The printed URL holds a random access "
        "token. Needs the 'serve' extra: pip install 'kore-tui[serve]'.",
    )
    add_subcommand_options(
        srv,
        read_only_help="serve a watch-only console: the engine refuses undeploy, deploy, "
        "bounce and retry (needed unless the environment has read_only = true)",
    )
    # dest serve_demo, not demo: the subparser's default would overwrite the top-level --demo.
    srv.add_argument(
        "--demo",
        dest="serve_demo",
        action="store_true",
        help="serve the demo console against a local simulator (undeploy works)",
    )
    srv.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")


def add_env_command(command: Command, handler: Handler) -> None:
    """env: list, show, add or remove environments."""
    env = command("env", handler, help="list, show, add or remove environments")
    env.set_defaults(takes_globals=False)
    reject_global_options(env)
    env_sub = env.add_subparsers(dest="env_command", metavar="ACTION", required=True)
    listing = env_sub.add_parser("list", help="list environments")
    reject_global_options(listing)
    show = env_sub.add_parser("show", help="show one environment (the key is masked)")
    reject_global_options(show)
    show.add_argument("name")
    add = env_sub.add_parser("add", help="add or replace an environment")
    # --read-only here is the environment's own flag, written to the config.
    reject_global_options(add, read_only=False)
    add.add_argument("name")
    add.add_argument("--host", required=True, help="base URL, https:// (http only for loopback)")
    add.add_argument("--key-env", metavar="VAR", help="read the key from this variable")
    add.add_argument(
        "--key-command",
        metavar="CMD",
        nargs="+",
        help="program (and arguments) that prints the key; run without a shell",
    )
    add.add_argument(
        "--remember-key",
        action="store_true",
        help="prompt for the key and store it in the 0600 credentials file",
    )
    add.add_argument(
        "--protected",
        action="store_true",
        help="undeploy, deploy and bounce need the environment's name typed to confirm",
    )
    add.add_argument(
        "--read-only",
        action="store_true",
        help="refuse undeploy, deploy, bounce and retry here (saved in the environment)",
    )
    add.add_argument(
        "--colour",
        "--color",
        dest="colour",
        default="blue",
        help="banner colour (blue, green, yellow, red, magenta, cyan, ... or #rrggbb)",
    )
    add.add_argument("--default", action="store_true", help="make it the default environment")
    remove = env_sub.add_parser("remove", help="remove an environment and its stored key")
    reject_global_options(remove)
    remove.add_argument("name")


def add_simulator_command(command: Command, handler: Handler) -> None:
    """simulator: the platform simulator on loopback."""
    sim = command("simulator", handler, help="run the platform simulator on loopback")
    sim.set_defaults(takes_globals=False)
    reject_global_options(sim)
    sim.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    sim.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="bind a non-loopback address anyway (you should not need this)",
    )
    sim.add_argument(
        "--api-key",
        metavar="KEY",
        help="key the simulator accepts (default: $KORE_SIM_API_KEY or 'kg-demo')",
    )
    sim.add_argument("--models", type=int, default=20, help="deployed models to seed")
    sim.add_argument(
        "--tools",
        type=int,
        default=0,
        help="deployed tools to seed (their IDs are printed after the models')",
    )
    sim.add_argument("--seed", type=int, default=1, help="random seed (deterministic runs)")
    sim.add_argument("--faults", default="none", help="fault profile: none, flaky or chaos")
    sim.add_argument(
        "--fault-rate",
        type=float,
        metavar="SCALE",
        help="multiply the profile's fault rates by this factor",
    )
    sim.add_argument(
        "--job-seconds",
        default="3:12",
        metavar="MIN:MAX",
        help="how long a job stays IN_PROGRESS (default 3:12)",
    )
    sim.add_argument("--fail-rate", type=float, default=0.1, help="share of jobs that FAIL")
    sim.add_argument(
        "--dock-status-spelling",
        choices=["documented", "dock-statusId", "dockStatusId"],
        default="documented",
        help="dock status key spelling in job answers (default: each call's "
        "documented sample: dockStatusId for tool undeploy, else dock-statusId)",
    )
