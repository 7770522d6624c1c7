"""The console under signals, on a real pseudo-terminal: what a runbook's `kill` or
`timeout` leaves behind."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

from kore_tui.simulator import SimulatorThread
from tests.conftest import SENTINEL_KEY, sim_config
from tests.e2e.test_cli import write_config
from tests.helpers import admin_sync

LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"


def read_until(fd: int, output: bytearray, wanted: bytes, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while wanted not in output and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return wanted in output
            if not chunk:
                break
            output += chunk
    return wanted in output


def test_sigterm_restores_the_terminal_and_names_what_is_unfinished() -> None:
    """`kill -TERM` left the terminal in the alternate screen with mouse tracking on and
    echo off (the operator had to type `reset`), and said nothing of the jobs in flight."""
    with SimulatorThread(sim_config(models=2, job_seconds=(60.0, 60.0))) as sim:
        write_config(sim.url)
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["SIM_KEY"] = SENTINEL_KEY
            os.environ["TERM"] = "xterm-256color"
            os.execv(sys.executable, [sys.executable, "-m", "kore_tui", "--env", "sim"])
        output = bytearray()
        try:
            assert read_until(fd, output, b"Undeploy", 30), output[-400:]
            os.write(fd, ("\x1b[200~" + sim.model_ids[0] + "\x1b[201~").encode())
            time.sleep(0.5)
            os.write(fd, b"\x15")  # ctrl+u
            assert read_until(fd, output, b"Cancel", 15)
            os.write(fd, b"\t\r")  # Tab to the confirm button, Enter
            deadline = time.monotonic() + 15
            while not admin_sync(sim.url, "/_sim/counters")["undeployAccepted"]:
                assert time.monotonic() < deadline, "the undeploy was not sent"
                time.sleep(0.1)
            os.kill(pid, signal.SIGTERM)
            read_until(fd, output, b"--wait", 15)
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        after = bytes(output[output.rfind(LEAVE_ALTERNATE_SCREEN) :])
        assert LEAVE_ALTERNATE_SCREEN in output, "the alternate screen was never left"
        assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGTERM
        text = after.decode(errors="replace")
        assert "kore-tui status --env sim --wait" in text, text[-600:]
