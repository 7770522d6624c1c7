"""The interactive confirmation, on a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import sys
import time

from kore_tui.simulator import SimulatorThread
from tests.conftest import SENTINEL_KEY, sim_config
from tests.e2e.test_cli import write_config
from tests.helpers import admin_sync


def run_in_pty(args: list[str], answer: bytes, timeout: float = 60) -> tuple[int, str]:
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["SIM_KEY"] = SENTINEL_KEY
        os.execv(sys.executable, [sys.executable, "-m", "kore_tui", *args])
    output = b""
    answered = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"to undeploy, anything else cancels" in output:
            os.write(fd, answer)
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_protected_environment_needs_its_name_typed_on_a_terminal() -> None:
    with SimulatorThread(sim_config(models=3, job_seconds=(0.0, 0.1))) as sim:
        write_config(sim.url, "protected = true\n")
        code, out = run_in_pty(["undeploy", sim.model_ids[0]], b"yes\r")
        assert code == 2 and "cancelled; nothing was sent" in out
        assert "[PROTECTED]" in out and sim.url in out and sim.model_ids[0] in out
        assert admin_sync(sim.url, "/_sim/counters")["undeployReceived"] == {}
        code, out = run_in_pty(["undeploy", "--wait", sim.model_ids[0]], b"sim\r")
        assert code == 0, out
        assert "SUCCESS" in out
        assert set(admin_sync(sim.url, "/_sim/counters")["undeployAccepted"].values()) == {1}
