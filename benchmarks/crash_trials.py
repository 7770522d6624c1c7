"""Crash safety: kill -9 at a random moment during 500 undeploys, then resume.

Each trial starts a fresh simulator with 500 deployed models, runs either the
CLI (``kore-tui undeploy --yes --wait``) or the console (driven through a
pseudo-terminal: load the IDs from a file, ctrl+u, confirm), kills it with
SIGKILL after a random delay, then runs ``kore-tui status --wait --json`` to
resume. It checks, from the journal and the simulator's counters:

* lost: jobs dispatched (POST attempted) that are not in the journal after resume;
* unfinished: dispatched jobs not in a final state after resume;
* re-POSTed: models whose undeploy the simulator accepted more than once.

Prints one JSON document. ``tests/soak/test_crash_trials.py`` runs it as a test.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from kore_tui.simulator import SimConfig, SimulatorThread

KEY = "kg-crash-0000000000000000"
FINAL = {"SUCCESS", "FAILED", "TIMED_OUT", "UNKNOWN", "ERROR"}


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KORE_TUI_CONFIG": str(folder / "config.toml"),
        "XDG_STATE_HOME": str(folder / "state"),
        "CRASH_KEY": KEY,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "36",
    }


def _journal(folder: Path) -> dict[str, str]:
    path = folder / "state" / "kore-tui" / "journal.sqlite3"
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return dict(db.execute("SELECT model_id, state FROM jobs").fetchall())
    finally:
        db.close()


def _run_cli(folder: Path, models: list[str], delay: float) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kore_tui",
            "undeploy",
            "--yes",
            "--wait",
            "--file",
            str(folder / "ids.txt"),
        ],
        env=_env(folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _run_console(folder: Path, models: list[str], delay: float) -> None:
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "kore_tui"], _env(folder))
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))

    def drain(seconds: float) -> bytes:
        end = time.monotonic() + seconds
        seen = b""
        while time.monotonic() < end:
            try:
                import select

                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    seen += os.read(fd, 65536)
            except OSError:
                break
        return seen

    drain(2.0)
    os.write(fd, b"\x0f")  # ctrl+o: load file
    drain(0.5)
    os.write(fd, str(folder / "ids.txt").encode() + b"\r")
    drain(1.0)
    os.write(fd, b"\x15")  # ctrl+u: undeploy
    drain(0.5)
    os.write(fd, b"\t\r")  # Cancel has focus: tab to Undeploy, enter
    drain(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)


def trial(mode: str, seed: int, models_count: int = 500) -> dict[str, Any]:
    rng = random.Random(seed)
    delay = rng.uniform(0.3, 4.0)
    with (
        tempfile.TemporaryDirectory(prefix="kore-crash-") as tmp,
        SimulatorThread(
            SimConfig(
                api_key=KEY, models=models_count, seed=seed, job_seconds=(1.0, 4.0), fail_rate=0.1
            )
        ) as sim,
    ):
        folder = Path(tmp)
        (folder / "config.toml").write_text(
            f'default = "crash"\n[settings]\nrequests_per_second = 0\npoll_initial = 0.3\n'
            f'poll_max = 1.0\n[environments.crash]\nhost = "{sim.url}"\nkey_env = "CRASH_KEY"\n'
        )
        (folder / "config.toml").chmod(0o600)
        (folder / "ids.txt").write_text("\n".join(sim.model_ids))
        (_run_cli if mode == "cli" else _run_console)(folder, sim.model_ids, delay)
        before = _journal(folder)
        dispatched = {m for m, s in before.items() if s != "QUEUED"}
        resume = subprocess.run(
            [sys.executable, "-m", "kore_tui", "status", "--wait", "--json"],
            env=_env(folder),
            capture_output=True,
            text=True,
            timeout=300,
        )
        after = _journal(folder)
        with httpx.Client(base_url=sim.url, headers={"x-api-key": KEY}) as http:
            accepted = http.get("/_sim/counters").json()["undeployAccepted"]
    return {
        "mode": mode,
        "seed": seed,
        "kill_after_s": round(delay, 2),
        "journaled": len(before),
        "dispatched": len(dispatched),
        "resume_exit": resume.returncode,
        "lost": len(dispatched - set(after)),
        "unfinished": sum(1 for m in dispatched if after.get(m) not in FINAL),
        "re_posted": sum(1 for n in accepted.values() if n > 1),
        "posted_without_journal": len(set(accepted) - set(after)),
    }


def run(trials: int) -> dict[str, Any]:
    rows = [trial(mode, seed) for mode in ("cli", "console") for seed in range(1, trials + 1)]
    return {
        "benchmark": "crash_trials",
        "trials": rows,
        "total_dispatched": sum(r["dispatched"] for r in rows),
        "total_lost": sum(r["lost"] for r in rows),
        "total_unfinished": sum(r["unfinished"] for r in rows),
        "total_re_posted": sum(r["re_posted"] for r in rows),
        "total_posted_without_journal": sum(r["posted_without_journal"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10, help="per mode (cli, console)")
    args = parser.parse_args()
    print(json.dumps(run(args.trials), indent=1))


if __name__ == "__main__":
    main()
