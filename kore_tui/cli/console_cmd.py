"""Open the console (the only command that imports Textual)."""

from __future__ import annotations

import argparse

from kore_tui.cli.common import handle_errors


def run_console(args: argparse.Namespace) -> int:
    def go() -> int:
        from kore_tui.tui.launch import launch

        return launch(env_name=args.env, read_only=args.read_only, demo=args.demo)

    return handle_errors(go)
