"""Exit-2 errors of the command line and how they are reported.

Standard library only: ``cli.main`` reports argument errors with it before any
subcommand module is imported. Under ``--json`` an error still prints exactly
one JSON document on stdout, ``{"error": {"code": ..., "message": ...}}``;
the human message always goes to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TextIO

# The stable set of error codes (documented in the README's command-line section).
USAGE = "usage"  # bad arguments, no IDs, no confirmation possible
CONFIG = "config"  # config file, unknown environment, bad host
KEY = "key"  # no API key available, unsafe credentials file
READ_ONLY = "read_only"  # undeploy/deploy/bounce asked read-only (environment or flag)
INVALID_IDS = "invalid_ids"  # ID-like tokens failed validation (without --skip-invalid)
CANCELLED = "cancelled"  # the operator did not confirm
IO = "io"  # a file could not be read or written
PARAMS = "deploy_params"  # deploy parameters missing, unknown profile, or breaking a rule
ERROR_CODES = (USAGE, CONFIG, KEY, READ_ONLY, INVALID_IDS, CANCELLED, IO, PARAMS)


class CliError(Exception):
    """Exit 2 with this message and error code."""

    def __init__(self, message: str, code: str = USAGE, *, usage: str | None = None) -> None:
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.message = message
        self.code = code
        self.usage = usage  # the parser's usage line, shown before an argument error


def error_document(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def wants_json(argv: Sequence[str]) -> bool:
    """Whether ``--json`` was asked for, read from the raw arguments: an argument error
    happens before there is a namespace to ask."""
    for arg in argv:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def report(
    code: str,
    message: str,
    *,
    as_json: bool,
    usage: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> None:
    err = err or sys.stderr
    if usage:
        err.write(usage)
    err.write(f"kore-tui: {message}\n")
    err.flush()
    if as_json:
        out = out or sys.stdout
        json.dump(error_document(code, message), out, indent=2)
        out.write("\n")
        out.flush()
