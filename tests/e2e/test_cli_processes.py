"""Safety across processes, as operators cause it: the same command twice, two runs at once,
a refused key mid-run, `status --wait` after a deadline and with nothing left to resume;
and each command family answering as a real process, through ``python -m kore_tui`` and
the ``kore-tui`` script.

Real processes where the process is the point:

- two runs at once: two processes racing on one journal and one platform;
- a key refused mid-run: the server is changed while the command runs, so the command
  must run beside the test, not inside its call;
- the entry points: ``python -m kore_tui`` and the installed ``kore-tui`` console script
  are wired for each command family (undeploy, deploy, bounce, status, history, env;
  simulator, serve and the console have theirs in test_simulator.py, test_serve_cli.py
  and test_config_fuzz.py).

The same command twice and the `status --wait` runs are in this process
(tests/cli_runner.py): they are sequential, and what the second run reads is the
journal on disk, as it would be from another process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kore_tui.core import paths
from kore_tui.simulator import SimulatorThread
from tests.cli_runner import run_cli
from tests.conftest import SENTINEL_KEY, sim_config
from tests.e2e.test_cli import FAST_SETTINGS, _journal_counts, kore, write_config
from tests.helpers import admin_sync, until_sync


def received(url: str) -> Counter[str]:
    return Counter(admin_sync(url, "/_sim/counters")["undeployReceived"])


def platform_requests(url: str) -> int:
    counts = admin_sync(url, "/_sim/counters")["requests"]
    return sum(n for route, n in counts.items() if "/_sim/" not in route)


def test_the_same_undeploy_twice_posts_each_model_once() -> None:
    # Jobs of 3 s: the second run must find the first one's jobs still in flight. With
    # 1-1.5 s jobs, a loaded machine (a full suite at 2 runs at once) had the first run
    # take longer than some jobs: those were SUCCESS, so undeploying them again was a new
    # request (the platform's 409, ERROR), and the test failed for the wrong reason.
    with SimulatorThread(sim_config(models=20, job_seconds=(3.0, 3.5))) as s:
        write_config(s.url)
        first = kore("undeploy", "--yes", *s.model_ids)
        assert first.returncode == 0, first.stderr[-400:]
        assert _journal_counts() == {"IN_PROGRESS": 20}, "the first run's jobs are in flight"
        again = kore("undeploy", "--yes", "--wait", "--json", *s.model_ids)
        assert again.returncode == 0, again.stderr[-400:]
        assert again.stderr.count("tracking it") == 20
        jobs = json.loads(again.stdout)["jobs"]
        assert {j["status"] for j in jobs} == {"SUCCESS"}
        counts = received(s.url)
        assert len(counts) == 20 and max(counts.values()) == 1


def test_two_spellings_of_one_host_are_one_platform() -> None:
    """Environment a at 127.0.0.1, b at localhost, same port: the second run did not see
    the first one's jobs (the journal knew them by the host as written) and POSTed every
    model again (a break-it run: 40 POSTs for 20 models, and 20 ERROR)."""
    with SimulatorThread(sim_config(models=5, job_seconds=(3.0, 3.5))) as s:
        port = s.url.rsplit(":", 1)[1]
        write_config(s.url)
        with paths.config_path().open("a") as config:
            config.write(
                f'[environments.b]\nhost = "http://localhost:{port}"\nkey_env = "SIM_KEY"\n'
            )
        first = kore("undeploy", "--yes", *s.model_ids)
        assert first.returncode == 0, first.stderr[-400:]
        again = kore("undeploy", "--env", "b", "--yes", "--wait", "--json", *s.model_ids)
        assert again.returncode == 0, again.stderr[-600:]
        assert again.stderr.count("tracking it") == 5
        counts = received(s.url)
        assert len(counts) == 5 and max(counts.values()) == 1


def test_two_runs_at_once_on_the_same_200_models_post_each_once() -> None:
    # Jobs of about 1 s: "at once" means the second run starts while the first one's jobs
    # are in flight. With 0.2-0.6 s jobs, a second process started late on a loaded
    # machine found some verified SUCCESS and rightly sent them again (a new request).
    with SimulatorThread(sim_config(models=200, job_seconds=(0.8, 1.2))) as s:
        write_config(s.url)
        env = {**os.environ, "SIM_KEY": SENTINEL_KEY}
        runs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kore_tui",
                    "undeploy",
                    "--yes",
                    "--wait",
                    "--json",
                    *s.model_ids,
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], [e[-300:] for _, e in outputs]
        for out, _ in outputs:
            assert {j["status"] for j in json.loads(out)["jobs"]} == {"SUCCESS"}
        counts = received(s.url)
        assert len(counts) == 200 and max(counts.values()) == 1


def test_a_key_refused_mid_run_stops_sending_and_exits_3() -> None:
    with SimulatorThread(sim_config(models=30, job_seconds=(0.1, 0.2))) as s:
        write_config(
            s.url,
            settings=FAST_SETTINGS.replace("requests_per_second = 0", "requests_per_second = 20"),
        )
        env = {**os.environ, "SIM_KEY": SENTINEL_KEY}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kore_tui",
                "undeploy",
                "--yes",
                "--wait",
                "--json",
                "--concurrency",
                "1",
                *s.model_ids,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        until_sync(lambda: sum(received(s.url).values()) >= 5 or proc.poll() is not None, 30)
        assert proc.poll() is None, "the run ended before the key was refused"
        admin_sync(
            s.url,
            "/_sim/force",
            "POST",
            json={
                "responses": [{"status": 401, "code": "UNAUTHORIZED", "message": "API key revoked"}]
            },
        )
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 3, err[-400:]
        assert "not sending anything more" in err
        jobs = json.loads(out)["jobs"]
        not_sent = [j for j in jobs if j["status"] == "ERROR"]
        assert not_sent and all(
            j["error"].startswith("not sent: the platform refused the API key") for j in not_sent
        )
        assert all("API key revoked" in j["error"] for j in not_sent)
        # What was accepted before is tracked to the end (if reads still work) or says why not.
        for job in jobs:
            if job["status"] != "ERROR":
                assert job["status"] == "SUCCESS" or "not tracked further" in job["error"]
        # Nothing was sent after the refusal: each model was either accepted once or not sent.
        accepted = admin_sync(s.url, "/_sim/counters")["undeployAccepted"]
        assert not set(accepted) & {j["modelId"] for j in not_sent}
        assert len(accepted) + len(not_sent) == 30 and max(accepted.values()) == 1


def test_status_wait_rechecks_jobs_that_timed_out() -> None:
    with SimulatorThread(sim_config(models=3, job_seconds=(1.5, 1.5))) as s:
        write_config(s.url)
        short = kore("undeploy", "--yes", "--wait", "--timeout", "0.5", *s.model_ids)
        assert short.returncode == 4, short.stderr[-400:]
        done = kore("status", "--wait", "--json")
        assert done.returncode == 0, done.stderr[-400:]
        assert "3 of them timed out" in done.stderr
        assert {j["status"] for j in json.loads(done.stdout)["jobs"]} == {"SUCCESS"}
        assert max(received(s.url).values()) == 1


def test_status_wait_run_again_with_nothing_left_is_a_successful_no_op() -> None:
    # The resume step of a runbook, re-run once every job is final: "nothing to do" is
    # exit 0 with an empty job list, not a usage error.
    with SimulatorThread(sim_config(models=2, job_seconds=(0.0, 0.1))) as s:
        write_config(s.url)
        assert kore("undeploy", "--yes", "--wait", *s.model_ids).returncode == 0
        requests = platform_requests(s.url)
        note = "kore-tui: nothing to resume in 'sim': no unfinished jobs\n"
        done = kore("status", "--env", "sim", "--wait", "--json")
        assert (done.returncode, json.loads(done.stdout)) == (0, {"jobs": []}), done.stderr
        assert done.stderr == note
        plain = kore("status", "--env", "sim")
        assert (plain.returncode, plain.stdout, plain.stderr) == (0, "", note)
        assert platform_requests(s.url) == requests, "nothing was sent or polled"
        # Still a refusal: no environment to resume in.
        unknown = kore("status", "--env", "NOSUCH", "--wait", "--json")
        assert unknown.returncode == 2
        assert json.loads(unknown.stdout)["error"]["code"] == "config"


MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DS = "ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41"
SCRIPT = Path(sys.executable).parent / "kore-tui"


# Each family's cheapest real answer: it parses, loads config and journal, and reports,
# without a platform (the runs against the simulator are the tests above and test_cli.py).
@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["undeploy", "--json", MODEL], 2, '"code": "usage"'),
        (["deploy", "--yes", "--json", MODEL], 2, '"code": "deploy_params"'),
        (["bounce", "--yes", "--json", MODEL], 2, '"code": "deploy_params"'),
        (["status", "--json", "ds-nope"], 2, '"code": "invalid_ids"'),
        (["history", "--json"], 0, '"jobs": []'),
        (["env", "list"], 0, "no environments in"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
def test_python_m_kore_tui_runs_each_command_family(argv: list[str], code: int, says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kore_tui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "KORE_HOST": "https://agent-platform.kore.ai", "KORE_API_KEY": "kg-x"},
    )
    assert done.returncode == code, done.stderr
    assert says in done.stdout and "Traceback" not in done.stderr


def test_the_installed_kore_tui_script_runs_the_cli() -> None:
    assert SCRIPT.exists(), f"no kore-tui console script beside {sys.executable} (pip install -e .)"
    done = subprocess.run(
        [str(SCRIPT), "history", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert (done.returncode, json.loads(done.stdout)) == (0, {"jobs": []}), done.stderr


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """`kore-tui history --json | head -5` printed a BrokenPipeError traceback (exit 1)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kore_tui", "history", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the command writes a byte
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=30) == 141, stderr  # what a shell shows for SIGPIPE
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


def test_status_resumes_only_the_jobs_of_the_platform_it_points_at() -> None:
    """A break-it run: every ad-hoc KORE_HOST run is the environment "KORE_HOST", so
    `status --wait` pointed at platform B resumed an undeploy sent to platform A, polled B
    for A's dock status ID and ended it ERROR "not found" (it had succeeded on A)."""
    slow = sim_config(models=2, job_seconds=(4.0, 4.0))
    with SimulatorThread(slow) as first, SimulatorThread(slow) as second:
        model = first.model_ids[0]

        def on(sim: SimulatorThread, *args: str) -> subprocess.CompletedProcess[str]:
            return run_cli(*args, env={"KORE_HOST": sim.url, "KORE_API_KEY": SENTINEL_KEY})

        sent = on(first, "undeploy", "--yes", model)
        assert sent.returncode == 0, sent.stderr
        elsewhere = on(second, "status", "--wait")
        assert "resuming" not in elsewhere.stderr, elsewhere.stderr
        asked = admin_sync(second.url, "/_sim/counters")["requests"]
        assert not [route for route in asked if "/_sim/" not in route], asked
        back = on(first, "status", "--wait", "--json")
        assert back.returncode == 0, back.stderr
        (job,) = json.loads(back.stdout)["jobs"]
        assert (job["modelId"], job["status"]) == (model, "SUCCESS")
