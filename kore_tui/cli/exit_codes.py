"""Exit codes of the command line (the product contract), in one place.

A module of its own so that ``cli.main`` (stdlib only at import time) and the
subcommand modules can share them without importing each other.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_DEADLINE = 4
EXIT_UNKNOWN = 5
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `… | head`
