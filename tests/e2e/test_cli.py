"""The headless commands as an operator runs them, against the simulator.

Most runs are in this process (tests/cli_runner.py: the console script's own entry, with
its environment, stdin and argv): what they prove is what a command answers. Real
processes are kept where the process is the point:

- kill -9 mid-run, then resume: only a killed process leaves the journal half-written;
- Ctrl-C: SIGINT delivered to a process, the exit code 130 and the resume hint.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kore_tui.core import paths
from kore_tui.simulator import SimulatorThread
from tests.cli_runner import run_cli
from tests.conftest import SENTINEL_KEY, sim_config
from tests.helpers import admin_sync, until_sync

FAST_SETTINGS = """
[settings]
poll_initial = 0.05
poll_max = 0.3
requests_per_second = 0
not_found_grace = 2
"""


def write_config(url: str, extra: str = "", settings: str = FAST_SETTINGS) -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'default = "sim"\n{settings}\n[environments.sim]\nhost = "{url}"\n'
        f'key_env = "SIM_KEY"\n{extra}'
    )
    path.chmod(0o600)


def kore(
    *args: str, stdin: str | None = None, key: str = SENTINEL_KEY
) -> subprocess.CompletedProcess[str]:
    """``kore-tui ARGS`` (in this process) with the simulator's key in ``$SIM_KEY``."""
    return run_cli(*args, env={"SIM_KEY": key}, stdin=stdin)


@pytest.fixture
def sim200() -> Iterator[SimulatorThread]:
    with SimulatorThread(sim_config(models=200, fail_rate=0.2, job_seconds=(0.0, 0.5))) as s:
        write_config(s.url)
        yield s


def test_200_undeploys_wait_json_and_exit_code(sim200: SimulatorThread) -> None:
    done = kore(
        "undeploy", "--yes", "--wait", "--json", "--file", "-", stdin="\n".join(sim200.model_ids)
    )
    assert done.returncode == 1, done.stderr[-500:]
    body = json.loads(done.stdout)
    assert set(body) == {"jobs"} and len(body["jobs"]) == 200
    statuses = {j["status"] for j in body["jobs"]}
    assert statuses == {"SUCCESS", "FAILED"}
    job = body["jobs"][0]
    for field in (
        "modelId",
        "dockStatusId",
        "environment",
        "status",
        "error",
        "submittedAt",
        "updatedAt",
    ):
        assert field in job
    assert job["environment"] == "sim" and job["submittedAt"].endswith("Z")
    assert "final" in done.stderr  # progress went to stderr
    counters = admin_sync(sim200.url, "/_sim/counters")
    assert max(counters["undeployAccepted"].values()) == 1
    history = json.loads(kore("history", "--json", "--limit", "500").stdout)
    assert len(history["jobs"]) == 200
    # Each job's timeline comes along (a retried job's earlier attempt is only there).
    steps = [step["state"] for step in history["jobs"][0]["timeline"]]
    assert steps[0] == "QUEUED" and steps[-1] == history["jobs"][0]["status"], steps


def test_all_success_exits_0_and_second_run_reports_server_rejection() -> None:
    with SimulatorThread(sim_config(models=3, fail_rate=0.0, job_seconds=(0.0, 0.1))) as s:
        write_config(s.url)
        first = kore("undeploy", "--yes", "--wait", *s.model_ids)
        assert first.returncode == 0, first.stderr
        assert first.stdout.count("SUCCESS") == 3
        again = kore("undeploy", "--yes", "--wait", "--json", s.model_ids[0])
        assert again.returncode == 1
        job = json.loads(again.stdout)["jobs"][0]
        assert job["status"] == "ERROR" and "Model is not deployed" in job["error"]


def test_dry_run_json_sends_nothing(sim_thread: SimulatorThread) -> None:
    write_config(sim_thread.url)
    text = f"modelId\n{sim_thread.model_ids[0]}\n{sim_thread.model_ids[0]}\ncm-123\n"
    done = kore("undeploy", "--dry-run", "--json", "--file", "-", stdin=text)
    # The real run would refuse the mangled token: so does the plan's exit code.
    assert done.returncode == 2
    plan = json.loads(done.stdout)
    assert plan.pop("error")["code"] == "invalid_ids"
    assert plan == {
        "environment": "sim",
        "host": sim_thread.url,
        "protected": False,
        "protectedPlatform": None,
        "modelIds": [sim_thread.model_ids[0]],
        "toolIds": [],
        "invalid": [
            {"token": "cm-123", "reason": "too short: 3 of 36 characters after the prefix"}
        ],
        "duplicates": 1,
    }
    skipped = kore("undeploy", "--dry-run", "--json", "--skip-invalid", "--file", "-", stdin=text)
    assert skipped.returncode == 0 and "error" not in json.loads(skipped.stdout)
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}


def test_a_file_over_16_mib_is_read_to_its_end(sim_thread: SimulatorThread, tmp_path: Path) -> None:
    """--file read 16 MiB and dropped the rest, silently: an ID on the last line of a
    17 MB export was never planned (exit 0). stdin (--file -) was read whole."""
    write_config(sim_thread.url)
    first, last = sim_thread.model_ids[:2]
    big = tmp_path / "export.csv"
    big.write_text(f"modelId\n{first}\n" + " " * (16 * 2**20 + 1024) + f"\n{last}\n")
    done = kore("undeploy", "--dry-run", "--json", "--file", str(big))
    assert done.returncode == 0, done.stderr[-300:]
    assert json.loads(done.stdout)["modelIds"] == [first, last]


def test_a_word_among_the_id_arguments_is_refused_not_ignored(
    sim_thread: SimulatorThread,
) -> None:
    """`undeploy -- --env other cm-…` planned the undeploy in the default environment:
    "--env" and "other" were read as words and dropped (a break-it run)."""
    write_config(sim_thread.url)
    model = sim_thread.model_ids[0]
    done = kore("undeploy", "--dry-run", "--json", "--", "--env", "other", model)
    assert done.returncode == 2
    plan = json.loads(done.stdout)
    assert plan["error"]["code"] == "invalid_ids"
    assert [i["token"] for i in plan["invalid"]] == ["--env", "other"]
    assert "options go before --" in plan["invalid"][0]["reason"]
    status = kore("status", "--json", "sim", "ds-00000000-0000-4000-8000-000000000001")
    assert status.returncode == 2 and "'sim'" in status.stderr
    csv = kore("undeploy", "--dry-run", "--json", "--file", "-", stdin=f"modelId,env\n{model},x\n")
    assert csv.returncode == 0, "a file's words (a CSV header) are still ignored"


def test_kore_host_beside_a_default_environment_is_named_as_unused(
    sim_thread: SimulatorThread,
) -> None:
    """KORE_HOST set to reach another platform went, as documented, to the config's
    default environment instead, without a word: at 3 a.m. that default is prod."""
    write_config(sim_thread.url)
    model = sim_thread.model_ids[0]
    env = {"SIM_KEY": SENTINEL_KEY, "KORE_HOST": "https://staging.example.invalid"}
    done = run_cli("undeploy", "--dry-run", model, env=env)
    assert done.returncode == 0
    assert "KORE_HOST is set but not used: the default environment 'sim'" in done.stderr
    named = run_cli("undeploy", "--dry-run", "--env", "sim", model, env=env)
    assert "KORE_HOST" not in named.stderr, "--env chose: nothing to point out"


def test_invalid_tokens_refuse_unless_skip_invalid(sim_thread: SimulatorThread) -> None:
    write_config(sim_thread.url)
    args = ["undeploy", "--yes", sim_thread.model_ids[0], "cm-20xxxxxf-0xx9-5xx0-8xx1-81xxxxxxxx80"]
    refused = kore(*args)
    assert refused.returncode == 2 and "not hex" in refused.stderr
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}
    assert kore(*args, "--skip-invalid").returncode == 0


def test_no_tty_without_yes_refuses(sim_thread: SimulatorThread) -> None:
    write_config(sim_thread.url)
    done = kore("undeploy", sim_thread.model_ids[0])
    assert done.returncode == 2 and "--yes" in done.stderr
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}


def test_read_only_environment_refuses(sim_thread: SimulatorThread) -> None:
    write_config(sim_thread.url, "read_only = true\n")
    done = kore("undeploy", "--yes", sim_thread.model_ids[0])
    assert done.returncode == 2 and "read-only" in done.stderr
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}


def test_wrong_key_exits_3_without_showing_it(sim_thread: SimulatorThread) -> None:
    write_config(sim_thread.url)
    wrong = "kg-WRONG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    done = kore("undeploy", "--yes", "--json", sim_thread.model_ids[0], key=wrong)
    assert done.returncode == 3
    assert "HTTP 401" in json.loads(done.stdout)["jobs"][0]["error"]
    assert wrong not in done.stdout + done.stderr


def test_server_error_on_post_exits_5(sim_thread: SimulatorThread) -> None:
    write_config(sim_thread.url)
    admin_sync(sim_thread.url, "/_sim/force", "POST", json={"responses": [{"status": 500}]})
    done = kore("undeploy", "--yes", "--json", sim_thread.model_ids[0])
    assert done.returncode == 5
    assert json.loads(done.stdout)["jobs"][0]["status"] == "UNKNOWN"


def test_deadline_exits_4() -> None:
    with SimulatorThread(sim_config(models=2, job_seconds=(30.0, 30.0))) as s:
        write_config(s.url)
        done = kore("undeploy", "--yes", "--wait", "--timeout", "0.5", "--json", *s.model_ids)
        assert done.returncode == 4
        assert {j["status"] for j in json.loads(done.stdout)["jobs"]} == {"TIMED_OUT"}


def test_status_watches_ids_started_elsewhere(sim_thread: SimulatorThread) -> None:
    write_config(sim_thread.url)
    first = json.loads(kore("undeploy", "--yes", "--json", *sim_thread.model_ids[:2]).stdout)
    ds_ids = [j["dockStatusId"] for j in first["jobs"]]
    done = kore("status", "--wait", "--json", *ds_ids)
    assert done.returncode == 0, done.stderr
    assert {j["status"] for j in json.loads(done.stdout)["jobs"]} == {"SUCCESS"}
    bad = kore("status", sim_thread.model_ids[0])
    assert bad.returncode == 2 and "model ID, not a dock status ID" in bad.stderr


def _journal_counts() -> dict[str, int]:
    path = paths.journal_path()
    if not path.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        db.close()
    except sqlite3.Error:
        return {}
    return dict(rows)


def test_kill_9_then_resume_finishes_every_job_without_a_second_post() -> None:
    with SimulatorThread(sim_config(models=100, job_seconds=(1.0, 2.0))) as s:
        # 50 requests/s: the 100 POSTs (plus their verify GETs) take seconds, so the kill
        # lands mid-run on any machine.
        write_config(
            s.url,
            settings=FAST_SETTINGS.replace("requests_per_second = 0", "requests_per_second = 50"),
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
                "--concurrency",
                "4",
                *s.model_ids,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        until_sync(
            lambda: _journal_counts().get("IN_PROGRESS", 0) >= 30 or proc.poll() is not None, 30
        )
        assert proc.poll() is None, "the run ended before the kill"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = _journal_counts()
        assert before.get("QUEUED", 0) > 0, "killed mid-run"
        done = kore("status", "--wait", "--json")
        jobs = json.loads(done.stdout)["jobs"]
        assert len(jobs) == 100 - before.get("SUCCESS", 0) - before.get("FAILED", 0)
        assert all(j["status"] in {"SUCCESS", "FAILED", "UNKNOWN", "ERROR"} for j in jobs)
        counters = admin_sync(s.url, "/_sim/counters")
        assert max(counters["undeployAccepted"].values()) == 1
        posted = set(counters["undeployAccepted"])
        for job in jobs:
            if job["status"] == "ERROR":
                assert job["modelId"] not in posted and "never sent" in job["error"]
        assert "resuming" in done.stderr


def _ctrl_c_as_in_a_terminal() -> None:
    """A process started in the background of a script (``cmd &``, ``nohup``, some CI
    runners) inherits SIGINT ignored, and Python then leaves it ignored: kore-tui would
    rightly sit through the signal. Measured: every full run launched that way timed out
    here (the child's SigIgn had SIGINT set). The test is about a terminal's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_stops_cleanly_and_says_how_to_resume() -> None:
    with SimulatorThread(sim_config(models=20, job_seconds=(30.0, 30.0))) as s:
        write_config(s.url)
        env = {**os.environ, "SIM_KEY": SENTINEL_KEY}
        proc = subprocess.Popen(
            [sys.executable, "-m", "kore_tui", "undeploy", "--yes", "--wait", *s.model_ids],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ctrl_c_as_in_a_terminal,
        )
        until_sync(lambda: _journal_counts().get("IN_PROGRESS", 0) >= 20, 20)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 130
        assert "kore-tui status --env sim --wait" in err
        assert "Traceback" not in err
        assert _journal_counts() == {"IN_PROGRESS": 20}


def test_sigint_under_json_still_prints_one_document_and_tells_sent_from_never_sent() -> None:
    """An operator's run: Ctrl-C on a --json undeploy of 6,848 IDs printed nothing on
    stdout (the contract: exactly one JSON document), and the hint sent all 6,848 to
    `status --wait`, which can only follow the 178 that were sent (the rest end ERROR
    "never sent")."""
    slow = FAST_SETTINGS.replace("requests_per_second = 0", "requests_per_second = 4")
    with SimulatorThread(sim_config(models=20, job_seconds=(30.0, 30.0))) as s:
        write_config(s.url, settings=slow)
        env = {**os.environ, "SIM_KEY": SENTINEL_KEY}
        ids = s.model_ids
        proc = subprocess.Popen(
            [sys.executable, "-m", "kore_tui", "undeploy", "--yes", "--wait", "--json", *ids],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ctrl_c_as_in_a_terminal,
        )
        until_sync(lambda: _journal_counts().get("IN_PROGRESS", 0) >= 2, 20)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 130, err
        jobs = json.loads(out)["jobs"]
        assert len(jobs) == 20 and {j["modelId"] for j in jobs} == set(s.model_ids)
        sent = [j for j in jobs if j["dockStatusId"]]
        never = [j for j in jobs if not j["dockStatusId"] and j["status"] == "QUEUED"]
        assert sent and never and len(sent) + len(never) == 20, jobs
        assert f"{len(sent)} job(s) sent and not final" in err, err
        assert "kore-tui status --env sim --wait" in err
        assert f"{len(never)} job(s) never sent" in err, err
        assert "Traceback" not in err
        # What the hint says works: the same command again sends the rest, once each.
        write_config(s.url)
        again = kore("undeploy", "--yes", "--json", *s.model_ids)
        assert again.returncode == 0, again.stderr
        received = admin_sync(s.url, "/_sim/counters")["undeployReceived"]
        assert received == {model: 1 for model in s.model_ids}, received


def test_env_commands_mask_the_key(tmp_path: Path) -> None:
    added = kore(
        "env",
        "add",
        "prod",
        "--host",
        "https://agent-platform.kore.ai",
        "--protected",
        "--key-env",
        "SIM_KEY",
        "--colour",
        "red",
    )
    assert added.returncode == 0, added.stderr
    listed = kore("env", "list")
    assert "prod" in listed.stdout and "protected" in listed.stdout and "default" in listed.stdout
    shown = kore("env", "show", "prod")
    assert "kg-…4b5c" in shown.stdout and SENTINEL_KEY not in shown.stdout
    # One column of values ("deploy profile:" was one label out of line).
    starts = {len(line) - len(line.split(":", 1)[1].lstrip()) for line in shown.stdout.splitlines()}
    assert len(starts) == 1, shown.stdout
    insecure = kore("env", "add", "bad", "--host", "http://agent-platform.kore.ai")
    assert insecure.returncode == 2 and "https" in insecure.stderr
    assert kore("env", "remove", "prod").returncode == 0
    assert "no environments" in kore("env", "list").stdout


def test_corrupt_config_is_reported_with_line_and_left_alone() -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[environments.x]\nhost = "https://a.kore.ai"\n[[broken\n')
    path.chmod(0o600)
    before = path.read_bytes()
    for args in (["env", "list"], ["env", "add", "y", "--host", "https://b.kore.ai"]):
        done = kore(*args)
        assert done.returncode == 2 and f"{path}:3" in done.stderr, done.stderr
    # History reads only the journal, so it still answers; it says the config is broken
    # (it was silent: the next command failed without warning), and that it is empty.
    done = kore("history")
    assert done.returncode == 0 and done.stdout == "", done
    assert f"warning: {path}:3" in done.stderr and "history reads only the journal" in done.stderr
    assert f"no jobs in the journal {paths.journal_path()}" in done.stderr, done.stderr
    assert path.read_bytes() == before


def test_an_empty_history_says_so_on_stderr_and_stays_empty_on_stdout() -> None:
    done = kore("history", "--env", "nosuch-yet")  # no config: the name is unknown
    assert done.returncode == 2 and "nosuch-yet" in done.stderr
    write_config("http://127.0.0.1:9")
    done = kore("history", "--env", "sim")
    assert done.returncode == 0 and done.stdout == ""
    assert "no jobs for sim in the journal" in done.stderr
    as_json = kore("history", "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == {"jobs": []}
    assert as_json.stderr == ""


def test_each_run_shows_its_progress_on_its_own_stderr(sim_thread: SimulatorThread) -> None:
    # The progress meter once bound sys.stderr when its module was imported: a second run
    # in the same process wrote its progress to the first run's stream.
    write_config(sim_thread.url)
    for model in sim_thread.model_ids[:2]:
        done = kore("undeploy", "--yes", "--wait", model)
        assert done.returncode == 0, done.stderr
        assert "1/1 final: 1 SUCCESS" in done.stderr


def test_status_names_the_unfinished_jobs_whose_tracking_was_stopped() -> None:
    """An operator stopped a job (x), quit, and ran the resume command the console prints:
    'nothing to resume in 'prod': no unfinished jobs', while the journal held it IN_PROGRESS.
    Stopped stays stopped (the operator's word), but it is named, with the command that
    checks it."""
    with SimulatorThread(sim_config(models=1, job_seconds=(30.0, 30.0))) as sim:
        write_config(sim.url)
        dock_status_id = stopped_undeploy(sim)
        done = kore("status", "--env", "sim")
        assert done.returncode == 0 and done.stdout == "", done.stderr
        assert "1 unfinished job(s) not resumed: their tracking was stopped" in done.stderr
        assert f"kore-tui status --env sim {dock_status_id}" in done.stderr
        assert "no unfinished jobs" not in done.stderr


def test_another_name_for_a_protected_platform_needs_its_name_given_too(
    sim_thread: SimulatorThread,
) -> None:
    """An operator's run: 'stage', written as localhost, was the host of protected 'prod':
    its undeploys asked for no name (and --yes sent them)."""
    prod = f'[environments.prod]\nhost = "{sim_thread.url}"\nprotected = true\n'
    stage = sim_thread.url.replace("127.0.0.1", "localhost")
    write_config(stage, prod)  # the default 'sim' is written as localhost
    model = sim_thread.model_ids[0]
    refused = kore("undeploy", "--yes", "--json", model)
    assert refused.returncode == 2, refused.stderr
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "cancelled", error
    assert "on the platform of protected 'prod'" in error["message"], error
    assert "--confirm-env sim" in error["message"]
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}
    done = kore("undeploy", "--yes", "--confirm-env", "sim", model)
    assert done.returncode == 0, done.stderr


def test_yes_in_a_protected_environment_needs_its_name_given_too(
    sim_thread: SimulatorThread,
) -> None:
    """A script's --yes skipped the typed name that a protected environment asks for on a
    terminal: --confirm-env NAME is that name, given non-interactively (Heroku's --confirm)."""
    write_config(sim_thread.url, "protected = true\n")
    model = sim_thread.model_ids[0]
    refused = kore("undeploy", "--yes", "--json", model)
    assert refused.returncode == 2, refused.stderr
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "cancelled" and "--confirm-env sim" in error["message"]
    wrong = kore("undeploy", "--yes", "--confirm-env", "Sim", model)
    assert wrong.returncode == 2, wrong.stderr
    assert "this run's environment is 'sim', not 'Sim'" in wrong.stderr
    counters = admin_sync(sim_thread.url, "/_sim/counters")
    assert counters["undeployReceived"] == {}, "nothing was sent"


def test_confirm_env_names_the_environment_a_run_must_go_to(sim_thread: SimulatorThread) -> None:
    """--confirm-env is also an assertion any script can make: a run whose environment
    resolves to another one (a default changed, KORE_HOST) sends nothing, dry run included."""
    write_config(sim_thread.url)  # environment "sim", not protected
    model = sim_thread.model_ids[0]
    for extra in ([], ["--dry-run"]):
        refused = kore("undeploy", "--yes", "--confirm-env", "prod", *extra, model)
        assert refused.returncode == 2, refused.stderr
        assert "this run's environment is 'sim', not 'prod'" in refused.stderr
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}
    done = kore("undeploy", "--yes", "--confirm-env", "sim", "--json", model)
    assert done.returncode == 0, done.stderr


def test_a_refused_dry_run_says_refused_on_stdout_not_just_would() -> None:
    """'would undeploy 1 model' on stdout, exit 2, the refusal on stderr only: a dry run
    piped into a review read as an approval."""
    write_config("http://127.0.0.1:9")
    model = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    for command in ("undeploy", "deploy"):
        done = kore(command, "--dry-run", model, "cm-123")
        assert done.returncode == 2, done.stderr
        head = done.stdout.splitlines()[0]
        assert "REFUSED (exit 2: 1 invalid ID-like token(s)" in head, head
        assert f"with that fixed it would {command} 1 model" in head, head
    fine = kore("undeploy", "--dry-run", model)
    assert fine.returncode == 0 and "REFUSED" not in fine.stdout
    assert "would undeploy 1 model" in fine.stdout


def test_file_refuses_devices_and_oversized_input_and_reads_every_file_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'--file /dev/zero' grew to 7.6 GB of memory in 12 s; a second --file was silently
    ignored (argparse keeps the last), against 'nothing is silently ignored'."""
    write_config("http://127.0.0.1:9")
    device = kore("undeploy", "--dry-run", "--file", "/dev/zero")
    assert device.returncode == 2 and "a device or socket, not a file" in device.stderr
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    models = [f"cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4{i}" for i in range(3)]
    first.write_text(models[0] + "\n")
    second.write_text("\n".join(models[1:]) + "\n")
    both = kore("undeploy", "--dry-run", "--json", "--file", str(first), "--file", str(second))
    assert both.returncode == 0, both.stderr
    assert json.loads(both.stdout)["modelIds"] == models
    twice = kore("undeploy", "--dry-run", "--file", "-", "--file", "-", stdin=models[0])
    assert twice.returncode == 2 and "'-' (stdin) given twice" in twice.stderr
    monkeypatch.setattr("kore_tui.cli.undeploy_cmd.MAX_INPUT_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_text("\n".join(models * 3))
    for args, stdin in ((["--file", str(big)], None), (["--file", "-"], big.read_text())):
        over = kore("undeploy", "--dry-run", *args, stdin=stdin)
        assert over.returncode == 2 and "over the 0 MiB limit" not in over.stderr
        assert "is over 100 bytes" in over.stderr, over.stderr


def test_status_of_a_stopped_job_s_id_tracks_that_job_not_a_second_row() -> None:
    """The hint for a stopped job ('kore-tui status --env sim ds-…') made a second journal
    row for the same dock status, and the first stayed 'tracking stopped' for good: every
    later exit printed the same hint again."""
    with SimulatorThread(sim_config(models=1, job_seconds=(2.0, 2.0))) as sim:
        write_config(sim.url)
        dock_status_id = stopped_undeploy(sim)
        done = kore("status", "--env", "sim", "--wait", "--json", dock_status_id)
        assert done.returncode == 0, done.stderr
        assert [j["status"] for j in json.loads(done.stdout)["jobs"]] == ["SUCCESS"]
        history = json.loads(kore("history", "--json").stdout)["jobs"]
        assert [j["dockStatusId"] for j in history] == [dock_status_id], "one row"
        again = kore("status", "--env", "sim")
        assert "not resumed" not in again.stderr, again.stderr


def stopped_undeploy(sim: SimulatorThread) -> str:
    """An undeploy of the simulator's first model whose tracking an engine stopped (x),
    left so in the journal; its dock status ID."""
    import asyncio

    from kore_tui.core.journal import Journal
    from tests.helpers import make_engine, until

    async def stop_one() -> str:
        journal = Journal()
        engine = make_engine(sim.url, journal=journal)
        engine.start()
        try:
            (job,) = engine.undeploy(sim.model_ids[:1])
            await until(lambda: bool((engine.store.get(job.key) or job).dock_status_id))
            assert engine.stop_tracking([job.key]) == 1
            stopped = engine.store.get(job.key)
            assert stopped is not None and stopped.dock_status_id is not None
            return stopped.dock_status_id
        finally:
            await engine.aclose()
            await engine.client.aclose()
            journal.close()

    return asyncio.run(stop_one())


def test_a_dry_run_says_that_the_real_run_is_guarded_as_protected(
    sim_thread: SimulatorThread,
) -> None:
    """A dry run piped into a review said 'environment sim (...): would undeploy 1 model'
    for an environment whose real run asks for its typed name (protected, or on the
    platform of protected 'prod'): the plan did not show what guards it."""
    model = sim_thread.model_ids[0]
    prod = f'[environments.prod]\nhost = "{sim_thread.url}"\nprotected = true\n'
    write_config(sim_thread.url.replace("127.0.0.1", "localhost"), prod)
    for command in ("undeploy", "deploy", "bounce"):  # a deploy here has no parameters:
        text = kore(command, "--dry-run", model)  # its plan says REFUSED, after the badge
        assert text.stdout.startswith("environment sim [PROTECTED: prod's platform] ("), text.stdout
        plan = json.loads(kore(command, "--dry-run", "--json", model).stdout)
        assert plan["protected"] is True and plan["protectedPlatform"] == "prod", plan
        guarded = kore(command, "--env", "prod", "--dry-run", model).stdout
        assert guarded.startswith("environment prod [PROTECTED] ("), guarded
        plan = json.loads(kore(command, "--env", "prod", "--dry-run", "--json", model).stdout)
        assert plan["protected"] is True and plan["protectedPlatform"] is None, plan
    write_config(sim_thread.url)
    plain = json.loads(kore("undeploy", "--dry-run", "--json", model).stdout)
    assert plain["protected"] is False and plain["protectedPlatform"] is None, plain
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}


def test_env_commands_name_a_protected_platform_under_another_name() -> None:
    """An operator added 'stage' on prod's host: env add, list and show said nothing,
    while every run there is asked as protected (Config.protected_platform)."""
    prod = ("env", "add", "prod", "--host", "https://agent-platform.kore.ai", "--protected")
    assert kore(*prod).returncode == 0
    added = kore("env", "add", "stage", "--host", "https://AGENT-platform.kore.ai:443/")
    assert added.returncode == 0, added.stderr
    assert "same platform as protected 'prod'" in added.stderr, added.stderr
    listed = {line.split()[0]: line for line in kore("env", "list").stdout.splitlines()}
    assert listed["stage"].endswith("protected (prod's platform)"), listed
    assert listed["prod"].split()[-1] == "default,protected", listed
    shown = kore("env", "show", "stage").stdout
    assert "protected:      no; asked as protected: same platform as 'prod'" in shown, shown
    elsewhere = kore("env", "add", "dev", "--host", "https://dev.kore.ai")
    assert "protected" not in elsewhere.stderr + kore("env", "show", "dev").stdout.replace(
        "protected:      no\n", ""
    )


def test_a_dry_run_with_yes_exits_as_the_real_run_in_a_protected_environment(
    sim_thread: SimulatorThread,
) -> None:
    """A preflight 'undeploy --env prod --yes --dry-run' said 'would undeploy 1 model',
    exit 0; the same command without --dry-run is refused (exit 2: --yes needs
    --confirm-env). A dry run exits with the real run's code."""
    model = sim_thread.model_ids[0]
    prod = f'[environments.prod]\nhost = "{sim_thread.url}"\nprotected = true\n'
    write_config(sim_thread.url.replace("127.0.0.1", "localhost"), prod)
    for command in ("undeploy", "deploy", "bounce"):
        for env in ("prod", "sim"):
            extra = () if command == "undeploy" else ("--profile", "x")  # x: not defined
            dry = kore(command, "--env", env, "--yes", "--dry-run", *extra, model)
            assert dry.returncode == 2, (command, env, dry.stdout)
            assert "REFUSED (exit 2" in dry.stdout and "--confirm-env" in dry.stdout, dry.stdout
    dry = kore("undeploy", "--yes", "--dry-run", "--json", model)
    assert dry.returncode == 2 and json.loads(dry.stdout)["error"]["code"] == "cancelled"
    named = kore("undeploy", "--yes", "--confirm-env", "sim", "--dry-run", model)
    assert named.returncode == 0 and "would undeploy 1 model" in named.stdout, named.stdout
    assert kore("undeploy", "--dry-run", model).returncode == 0  # no --yes: a terminal asks
    assert admin_sync(sim_thread.url, "/_sim/counters")["undeployReceived"] == {}
