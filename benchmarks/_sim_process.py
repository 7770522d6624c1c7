"""Start `kore-tui simulator` in a child process (so it does not share our CPU loop)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

KEY = "kg-bench-0000000000000000"


@contextmanager
def simulator(*args: str) -> Iterator[tuple[str, list[str]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kore_tui", "simulator", "--port", "0", "--api-key", KEY, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        models: list[str] = []
        while True:
            line = proc.stdout.readline().strip()
            if not line:
                raise RuntimeError("simulator exited")
            if line.startswith("listening on "):
                yield line.removeprefix("listening on "), models
                return
            models.append(line)
    finally:
        proc.terminate()
        proc.wait(10)
