"""The key never reaches output, tracebacks, exports or process arguments.

The undeploy runs as a real process: its /proc/PID/cmdline is what is checked. The
commands after it run in this process (tests/cli_runner.py), where the autouse
``no_key_in_logs`` fixture also sees every log record they make.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from kore_tui.core import paths
from kore_tui.simulator import SimulatorThread
from tests.cli_runner import run_cli
from tests.conftest import SENTINEL_KEY, LogCollector, sim_config
from tests.helpers import until_sync


def _config(url: str) -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'default = "sim"\n[settings]\npoll_initial = 0.05\npoll_max = 0.2\n'
        f'requests_per_second = 0\n[environments.sim]\nhost = "{url}"\n'
        f'key_env = "SIM_KEY"\n'
    )
    path.chmod(0o600)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SIM_KEY": SENTINEL_KEY})


def test_cli_output_journal_and_arguments_hold_no_key(tmp_path: Path) -> None:
    with SimulatorThread(sim_config(models=30, job_seconds=(0.5, 1.0), fail_rate=0.3)) as sim:
        _config(sim.url)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kore_tui",
                "undeploy",
                "--yes",
                "--wait",
                "--json",
                *sim.model_ids[:20],
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SIM_KEY": SENTINEL_KEY},
        )
        # Until the child has exec'd: before that, /proc shows the forked pytest's argv.
        until_sync(lambda: b"kore_tui" in Path(f"/proc/{proc.pid}/cmdline").read_bytes(), 30)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        out, err = proc.communicate(timeout=120)
        assert SENTINEL_KEY.encode() not in cmdline
        outputs = [out, err]
        ds = [j["dockStatusId"] for j in json.loads(out)["jobs"]]
        for args in (
            ["status", "--wait", "--json", *ds[:5]],
            ["history", "--json"],
            ["history"],
            ["env", "show", "sim"],
            ["env", "list"],
            ["undeploy", "--dry-run", "--json", *sim.model_ids[20:]],
        ):
            done = _run(*args)
            outputs += [done.stdout, done.stderr]
        assert "kg-…4b5c" in "".join(outputs), "env show printed the masked key"
    sim_dead = _run("undeploy", "--yes", "--json", sim.model_ids[25])  # the server is gone now
    outputs += [sim_dead.stdout, sim_dead.stderr]
    assert sim_dead.returncode in {1, 2}
    for text in outputs:
        assert SENTINEL_KEY not in text
        assert "Traceback" not in text
    journal = paths.journal_path().read_bytes()
    assert SENTINEL_KEY.encode() not in journal
    for sidecar in paths.journal_path().parent.glob("*"):
        assert SENTINEL_KEY.encode() not in sidecar.read_bytes()


def test_console_export_holds_no_key(tmp_path: Path) -> None:
    from kore_tui.core.export import export_jobs
    from kore_tui.core.job import Job, JobState

    jobs = [
        Job(
            key="k",
            environment="sim",
            host="http://127.0.0.1:1",
            origin="sent",
            model_id="cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            dock_status_id=None,
            state=JobState.ERROR,
            error="HTTP 401 UNAUTHORIZED: Invalid or missing API key",
        )
    ]
    for name in ("out.csv", "out.json"):
        path = export_jobs(jobs, tmp_path / name)
        assert SENTINEL_KEY.encode() not in path.read_bytes()


def test_the_log_check_sees_the_debug_records_of_every_library(
    sim_thread: SimulatorThread, no_key_in_logs: LogCollector
) -> None:
    # The fixture's promise ("no record, at DEBUG, from any library, holds the key") holds
    # only if DEBUG records reach it during the test body: pytest's logging plugin used to
    # put the root level back to WARNING before the body ran.
    with httpx.Client(verify=False, headers={"x-api-key": SENTINEL_KEY}) as http:
        http.get(sim_thread.url + "/")
    assert any("send_request_headers" in text for text in no_key_in_logs.texts)
