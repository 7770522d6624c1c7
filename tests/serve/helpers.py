"""Run ``kore-tui serve`` as a real process and read what it prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_OPEN = re.compile(r"^open: (http://127\.0\.0\.1:(\d+)/([A-Za-z0-9_-]+)/)$")
_SIM = re.compile(r"^demo simulator: (http://127\.0\.0\.1:\d+)$")
_REPO = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    port: int
    token: str
    sim_url: str | None
    output: list[str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(_REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


@contextmanager
def serving(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30.0
) -> Iterator[Served]:
    """``kore-tui serve ARGS --port 0`` until its URL is printed; stopped (SIGINT) after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kore_tui", "serve", *args, "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(env),
        start_new_session=True,
    )
    output: list[str] = []
    sim_url = None
    deadline = time.monotonic() + timeout
    try:
        assert process.stdout is not None
        while True:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"serve ended without a URL: {''.join(output)}")
            output.append(line)
            if m := _SIM.match(line.strip()):
                sim_url = m.group(1)
            if m := _OPEN.match(line.strip()):
                served = Served(process, m.group(1), int(m.group(2)), m.group(3), sim_url, output)
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"no URL after {timeout} s: {''.join(output)}")
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def cmdlines() -> dict[int, list[str]]:
    """Every process's argv, from /proc."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if raw:
                out[int(entry.name)] = raw.decode("utf-8", "replace").split("\0")[:-1]
    return out


def consoles_of(module: str) -> dict[int, list[str]]:
    return {pid: argv for pid, argv in cmdlines().items() if module in argv}


def children(pid: int) -> dict[int, list[str]]:
    """The argv of each direct child of ``pid``."""
    out = {}
    for child, argv in cmdlines().items():
        try:
            stat = Path(f"/proc/{child}/stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) is in parentheses and may hold spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out[child] = argv
    return out
