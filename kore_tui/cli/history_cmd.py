"""``kore-tui history``: past jobs from the journal, newest first."""

from __future__ import annotations

import argparse

from kore_tui.cli.common import err, handle_errors, print_jobs
from kore_tui.cli.exit_codes import EXIT_OK
from kore_tui.core import paths
from kore_tui.core.config import ConfigError, load_config, resolve_environment
from kore_tui.core.journal import Journal


def _run(args: argparse.Namespace) -> int:
    journal = Journal()
    try:
        jobs = journal.history(args.env, args.limit, with_timelines=True)
    finally:
        journal.close()
    if args.env and not jobs:
        # A name in neither the config nor the journal is a typo, not an empty history:
        # resolve it like the other commands do (ConfigError, exit 2, naming the known ones).
        resolve_environment(load_config(), args.env)
    else:
        _warn_of_a_broken_config()
    print_jobs(jobs, args.json, with_time=True)
    if not jobs and not args.json:
        # Silence read as "the command did nothing"; stdout stays empty for scripts.
        where = f" for {args.env}" if args.env else ""
        err(f"no jobs{where} in the journal {paths.journal_path()}")
    return EXIT_OK


def _warn_of_a_broken_config() -> None:
    """History needs only the journal, so a config that does not load does not stop it;
    but the operator learns now, not from the next command, that it is broken."""
    try:
        load_config()
    except ConfigError as exc:
        err(f"warning: {exc} (history reads only the journal)")


def run_history(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args), as_json=args.json)
