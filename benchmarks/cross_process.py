"""Two CLI runs and one console on the same models at once: how many models are POSTed twice?

A fresh simulator with N deployed models; at the same moment, in three processes sharing one
journal: ``kore-tui undeploy --yes --wait --file ids.txt`` twice, and the console (a real
``kore-tui`` on a pseudo-terminal: ctrl+o to load the same file, ctrl+u, confirm). When both
CLI runs have ended, the console is given a moment and quit. Prints one JSON document: models
whose undeploy the simulator *received* more than once (the promise: 0), POSTs received in
all, the CLI exit codes and the journal's final states.

    python benchmarks/cross_process.py --models 1000
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from kore_tui.simulator import SimConfig, SimulatorThread

KEY = "kg-cross-0000000000000000"


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KORE_TUI_CONFIG": str(folder / "config.toml"),
        "XDG_STATE_HOME": str(folder / "state"),
        "CROSS_KEY": KEY,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "36",
    }


def _drain(fd: int, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                os.read(fd, 65536)
        except OSError:
            return


def _start_console(folder: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "kore_tui"], _env(folder))
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    return pid, fd


def _console_undeploy(fd: int, ids_file: Path) -> None:
    _drain(fd, 2.0)
    os.write(fd, b"\x0f")  # ctrl+o: load file
    _drain(fd, 0.5)
    os.write(fd, str(ids_file).encode() + b"\r")
    _drain(fd, 1.5)
    os.write(fd, b"\x15")  # ctrl+u: undeploy
    _drain(fd, 0.5)
    os.write(fd, b"\t\r")  # Cancel has the focus: tab to Undeploy, enter


def run(models: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="kore-cross-") as tmp,
        SimulatorThread(
            SimConfig(api_key=KEY, models=models, seed=11, job_seconds=(1.0, 3.0), fail_rate=0.0)
        ) as sim,
    ):
        folder = Path(tmp)
        (folder / "config.toml").write_text(
            f'default = "cross"\n[settings]\nrequests_per_second = 0\npoll_initial = 0.3\n'
            f'poll_max = 1.0\n[environments.cross]\nhost = "{sim.url}"\nkey_env = "CROSS_KEY"\n'
        )
        (folder / "config.toml").chmod(0o600)
        ids = folder / "ids.txt"
        ids.write_text("\n".join(sim.model_ids))
        started = time.monotonic()
        pid, fd = _start_console(folder)
        clis = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kore_tui",
                    "undeploy",
                    "--yes",
                    "--wait",
                    "--file",
                    str(ids),
                ],
                env=_env(folder),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        _console_undeploy(fd, ids)
        errors = [cli.communicate(timeout=600)[1] for cli in clis]
        _drain(fd, 3.0)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
        wall = time.monotonic() - started
        with httpx.Client(base_url=sim.url, headers={"x-api-key": KEY}) as http:
            counters = http.get("/_sim/counters").json()
        db = sqlite3.connect(folder / "state" / "kore-tui" / "journal.sqlite3")
        states = Counter(s for (s,) in db.execute("SELECT state FROM jobs"))
        db.close()
    received = Counter(counters["undeployReceived"])
    return {
        "models": models,
        "processes": ["cli", "cli", "console"],
        "models_posted_more_than_once": sum(1 for n in received.values() if n > 1),
        "posts_received": sum(received.values()),
        "models_posted": len(received),
        "cli_exit_codes": [cli.returncode for cli in clis],
        "joined_lines_per_cli": [e.count("tracking it") for e in errors],
        "journal_jobs": sum(states.values()),
        "journal_states": dict(states),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    print(json.dumps(run(parser.parse_args().models), indent=2))


if __name__ == "__main__":
    main()
