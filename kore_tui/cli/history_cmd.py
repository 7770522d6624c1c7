"""``kore-tui history``: past jobs from the journal, newest first."""

from __future__ import annotations

import argparse

from kore_tui.cli.common import handle_errors, print_jobs
from kore_tui.cli.exit_codes import EXIT_OK
from kore_tui.core.config import load_config, resolve_environment
from kore_tui.core.journal import Journal


def _run(args: argparse.Namespace) -> int:
    journal = Journal()
    try:
        jobs = journal.history(args.env, args.limit)
    finally:
        journal.close()
    if args.env and not jobs:
        # A name in neither the config nor the journal is a typo, not an empty history:
        # resolve it like the other commands do (ConfigError, exit 2, naming the known ones).
        resolve_environment(load_config(), args.env)
    print_jobs(jobs, args.json, with_time=True)
    return EXIT_OK


def run_history(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args), as_json=args.json)
