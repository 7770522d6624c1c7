"""deploy, bounce and tool IDs on the command line against the simulator, whose
per-action counters prove what was (never) sent.

Every run is in this process (tests/cli_runner.py): what is proven is what each command
sends and answers; test_cli_processes.py runs deploy and bounce as real processes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from kore_tui.cli.deploy_cmd import cost_lines
from kore_tui.cli.undeploy_cmd import confirm
from kore_tui.core.config import Environment
from kore_tui.core.deploy_params import parse_model_params
from kore_tui.core.ids import for_undeploy, parse_ids
from kore_tui.simulator import SimulatorThread
from tests.conftest import sim_config
from tests.e2e.test_cli import kore, write_config
from tests.helpers import admin_sync

PROFILE = """
[deploy_profiles.gpu]
model_type = "openSource"
name = "llama-prod"
device_type = "g5.xlarge"

[deploy_profiles.gpu.hyper_parameters]
temperature = 0.7
max_tokens = 256
top_p = 0.9
top_k = 50

[deploy_profiles.gpu.scaling_parameters]
min_replicas = 1
max_replicas = 3
"""


def counters(sim: SimulatorThread, action: str) -> dict[str, int]:
    return dict(admin_sync(sim.url, "/_sim/counters")["received"][action])


@pytest.fixture
def life() -> Iterator[SimulatorThread]:
    config = sim_config(models=2, tools=2, ready_models=2, job_seconds=(0.1, 0.3))
    with SimulatorThread(config) as sim:
        write_config(sim.url, settings=PROFILE + FAST)
        yield sim


FAST = """
[settings]
poll_initial = 0.05
poll_max = 0.3
requests_per_second = 0
not_found_grace = 2
"""


def jobs_of(done: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    jobs: list[dict[str, object]] = json.loads(done.stdout)["jobs"]
    return jobs


def test_a_mixed_undeploy_reports_kind_action_and_origin(life: SimulatorThread) -> None:
    model, tool = life.model_ids[0], life.tool_ids[0]
    done = kore("undeploy", "--yes", "--wait", "--json", f"{model}, {tool}")
    assert done.returncode == 0, done.stderr[-400:]
    jobs = jobs_of(done)
    assert [(j["kind"], j["action"], j["origin"]) for j in jobs] == [
        ("model", "UNDEPLOY", "sent"),
        ("tool", "UNDEPLOY", "sent"),
    ]
    assert jobs[0]["modelId"] == model and jobs[1]["toolId"] == tool
    assert counters(life, "UNDEPLOY") == {model: 1, tool: 1}
    history = kore("history", "--json")
    assert {j["kind"] for j in jobs_of(history)} == {"model", "tool"}


def test_deploy_with_a_profile_then_again_from_the_journal(life: SimulatorThread) -> None:
    model = life.ready_model_ids[0]
    done = kore("deploy", "--yes", "--wait", "--json", "--profile", "gpu", model)
    assert done.returncode == 0, done.stderr[-400:]
    (job,) = jobs_of(done)
    assert (job["kind"], job["action"], job["status"]) == ("model", "DEPLOY", "SUCCESS")
    assert counters(life, "DEPLOY") == {model: 1}
    # No --profile now: the journal's record of its last deploy is what a redeploy uses.
    plan = kore("deploy", "--dry-run", "--json", model)
    assert plan.returncode == 0, plan.stderr
    (group,) = json.loads(plan.stdout)["deploy"]
    assert group["source"].startswith("the journal")
    assert group["cost"] == "g5.xlarge, 1-3 replicas"
    assert group["body"]["hyperParameters"]["temperature"] == 0.7
    assert counters(life, "DEPLOY") == {model: 1}, "a plan sends nothing"


def test_deploy_without_parameters_says_what_is_missing_and_sends_nothing(
    life: SimulatorThread,
) -> None:
    first, second = life.ready_model_ids
    done = kore("deploy", "--yes", "--json", first, second)
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "deploy_params"
    assert (
        "no deploy profile was chosen" in error["message"] and "--profile NAME" in error["message"]
    )
    # Every model without parameters is named (it stopped at the first).
    assert f"no parameters for 2 models ({first}, {second})" in error["message"]
    assert counters(life, "DEPLOY") == {}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--profile", "gpu", "--model-type", "closedSource"], "model_type must be one of"),
        (["--profile", "nope"], "no deploy profile named 'nope'"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_sent(
    life: SimulatorThread, args: list[str], says: str
) -> None:
    done = kore("deploy", "--yes", "--json", *args, life.ready_model_ids[1])
    assert done.returncode == 2
    assert says in json.loads(done.stdout)["error"]["message"]
    assert json.loads(done.stdout)["error"]["code"] == "deploy_params"
    assert counters(life, "DEPLOY") == {}


def test_a_profile_that_breaks_a_range_is_a_config_error_naming_the_line(
    life: SimulatorThread,
) -> None:
    write_config(
        life.url, settings=PROFILE.replace("temperature = 0.7", "temperature = 3.5") + FAST
    )
    done = kore("deploy", "--yes", "--json", "--profile", "gpu", life.ready_model_ids[1])
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "config"
    assert (
        ":9: deploy profile 'gpu': hyper_parameters.temperature must be a number from 0 "
        "to 2 (got 3.5)" in error["message"]
    )
    assert counters(life, "DEPLOY") == {}


def test_a_tool_deploy_and_a_model_bounce(life: SimulatorThread) -> None:
    tool, model = life.tool_ids[1], life.model_ids[1]
    assert kore("undeploy", "--yes", "--wait", tool).returncode == 0
    done = kore("deploy", "--yes", "--wait", "--json", "--sync", tool)
    assert done.returncode == 0, done.stderr[-400:]
    assert [(j["kind"], j["action"]) for j in jobs_of(done)] == [("tool", "DEPLOY")]
    bounced = kore("bounce", "--yes", "--json", "--profile", "gpu", model)
    assert bounced.returncode == 0, bounced.stderr[-400:]
    first, second = jobs_of(bounced)
    assert (first["action"], first["status"]) == ("UNDEPLOY", "SUCCESS")
    assert second["action"] == "DEPLOY" and second["parent"] is not None
    assert counters(life, "UNDEPLOY")[model] == 1 and counters(life, "DEPLOY")[model] == 1


def test_a_failed_bounce_never_sends_its_redeploy() -> None:
    with SimulatorThread(sim_config(models=1, fail_rate=1.0, job_seconds=(0.1, 0.2))) as sim:
        write_config(sim.url, settings=PROFILE + FAST)
        done = kore("bounce", "--yes", "--json", "--profile", "gpu", sim.model_ids[0])
        assert done.returncode == 1, done.stderr[-400:]
        (job,) = jobs_of(done)
        assert job["status"] == "FAILED"
        assert "bounce stopped" in str(job["error"]) and "redeploy was not sent" in str(
            job["error"]
        )
        assert counters(sim, "DEPLOY") == {}


@pytest.mark.parametrize("command", ["deploy", "bounce", "undeploy"])
@pytest.mark.parametrize("before", [True, False])
def test_read_only_refuses_each_action_in_either_position(
    life: SimulatorThread, command: str, before: bool
) -> None:
    argv = ["--read-only", command] if before else [command, "--read-only"]
    done = (
        kore(*argv, "--yes", "--json", "--profile", "gpu", life.ready_model_ids[0])
        if command != "undeploy"
        else kore(*argv, "--yes", "--json", life.model_ids[0])
    )
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "read_only" and f"{command} refused" in error["message"]
    assert counters(life, "DEPLOY") == {} and counters(life, "UNDEPLOY") == {}


def test_the_confirmation_shows_the_cost_and_each_kind_s_count(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    tool = "a-1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    parsed = for_undeploy(parse_ids(f"{model} {tool}"))
    params = parse_model_params(
        {
            "model_type": "openSource",
            "name": "llama",
            "device_type": "g5.2xlarge",
            "hyper_parameters": {"temperature": 0.7, "max_tokens": 256, "top_p": 0.9, "top_k": 50},
            "scaling_parameters": {"min_replicas": 2, "max_replicas": 4},
        },
        source="t",
    )
    monkeypatch.setattr("builtins.input", lambda: "prod")
    env = Environment("prod", "https://agent-platform.kore.ai", protected=True)
    assert confirm(
        env,
        parsed,
        verb="Deploy",
        details=cost_lines([([model], params, "deploy profile 'gpu'")], parsed, False),
    )
    shown = capsys.readouterr().err
    assert "Deploy 1 model and 1 tool in environment prod [PROTECTED]" in shown
    assert "cost: g5.2xlarge, 2-4 replicas for 1 model(s)" in shown
    assert "tools: asynchronous deploy" in shown
    assert model in shown and tool in shown and "Type 'prod' to deploy" in shown


@pytest.mark.parametrize("command", ["deploy", "bounce"])
def test_yes_in_a_protected_environment_needs_confirm_env(command: str) -> None:
    with SimulatorThread(sim_config(models=1, ready_models=1, job_seconds=(0.0, 0.1))) as sim:
        write_config(sim.url, 'protected = true\ndeploy_profile = "gpu"\n' + PROFILE)
        model = (sim.ready_model_ids if command == "deploy" else sim.model_ids)[0]
        refused = kore(command, "--yes", model)
        assert refused.returncode == 2 and "--confirm-env sim" in refused.stderr
        received = admin_sync(sim.url, "/_sim/counters")["received"]
        assert not any(received.values()), "nothing was sent"
        done = kore(command, "--yes", "--confirm-env", "sim", "--wait", model)
        assert done.returncode == 0, done.stderr[-400:]


def test_a_bounce_that_joins_a_live_undeploy_says_it_did_not_start_and_exits_1() -> None:
    """A break-it run: 'undeploy' (no --wait) then 'bounce --wait' on the same models.
    The bounce joined the live undeploys ('already IN_PROGRESS …, tracking it'), printed
    SUCCESS UNDEPLOY rows, sent no deploy and exited 0: the models were left down."""
    with SimulatorThread(sim_config(models=2, job_seconds=(1.0, 1.0))) as sim:
        write_config(sim.url, 'deploy_profile = "gpu"\n' + PROFILE)
        first = kore("undeploy", "--yes", *sim.model_ids)
        assert first.returncode == 0, first.stderr[-400:]
        done = kore("bounce", "--yes", "--wait", "--json", *sim.model_ids)
        assert done.returncode == 1, done.stderr[-600:]
        for model in sim.model_ids:
            assert f"{model}: " in done.stderr and "bounce not started" in done.stderr
        assert "its redeploy will not be sent" in done.stderr
        assert counters(sim, "DEPLOY") == {}
        assert set(counters(sim, "UNDEPLOY").values()) == {1}


def test_status_of_a_bounce_left_down_answers_from_the_journal_and_exits_1() -> None:
    """'kore-tui status ds-…' of a bounce whose redeploy was never sent printed a plain
    SUCCESS (exit 0) from a second row it made for the same dock status."""
    import asyncio

    from kore_tui.core.deploy_params import DeployParams, ModelDeployParams
    from kore_tui.core.journal import Journal
    from tests.helpers import make_engine, until

    with SimulatorThread(sim_config(models=1, job_seconds=(0.2, 0.2))) as sim:
        write_config(sim.url, 'deploy_profile = "gpu"\n' + PROFILE)

        async def strand() -> str:
            journal = Journal()
            engine = make_engine(sim.url, journal=journal)
            engine._bounces.on_final = lambda job: None  # type: ignore[method-assign]  # dies
            engine._writer.on_final = None
            engine.start()
            try:
                params = ModelDeployParams.from_json(
                    {
                        "model_type": "openSource",
                        "name": "x",
                        "device_type": "g5.xlarge",
                        "hyper_parameters": {
                            "temperature": 0.5,
                            "max_tokens": 256,
                            "top_p": 0.9,
                            "top_k": 40,
                        },
                        "scaling_parameters": {"min_replicas": 1, "max_replicas": 3},
                    }
                )
                (job,) = engine.bounce(sim.model_ids, DeployParams(model=params))
                await until(lambda: (engine.store.get(job.key) or job).state.value == "SUCCESS")
                engine._writer.flush()
                return str((engine.store.get(job.key) or job).dock_status_id)
            finally:
                await engine.aclose()
                await engine.client.aclose()
                journal.close()

        dock_status_id = asyncio.run(strand())
        first = kore("status", "--env", "sim")  # reports the stranded bounce (marks it)
        assert "bounce incomplete" in first.stdout + first.stderr, first
        done = kore("status", "--env", "sim", "--json", dock_status_id)
        assert done.returncode == 1, done.stderr
        (job,) = json.loads(done.stdout)["jobs"]
        assert job["status"] == "SUCCESS" and "bounce incomplete" in str(job["error"])
        history = json.loads(kore("history", "--json").stdout)["jobs"]
        assert [j["dockStatusId"] for j in history] == [dock_status_id], "one row"


def test_status_of_an_earlier_attempt_reports_its_retried_job() -> None:
    """'kore-tui status --wait ds-…' of a failed attempt that a retry replaced (the ID an
    alert named) watched it as a job of its own: FAILED, exit 1, for a model the retry had
    undeployed."""
    import asyncio

    from kore_tui.core.journal import Journal
    from tests.helpers import make_engine

    with SimulatorThread(sim_config(models=1, job_seconds=(0.1, 0.1), fail_rate=1.0)) as sim:
        write_config(sim.url)

        async def fail_then_retry() -> tuple[str, str]:
            engine = make_engine(sim.url, journal=Journal())
            engine.start()
            try:
                (job,) = engine.undeploy(sim.model_ids)
                await asyncio.wait_for(engine.wait_settled(), 20)
                failed = engine.store.get(job.key)
                assert failed is not None and failed.state.value == "FAILED"
                sim.simulator.state.fail_rate = 0.0
                assert engine.retry([job.key]) == 1
                await asyncio.wait_for(engine.wait_settled(), 20)
                now = engine.store.get(job.key)
                assert now is not None and now.state.value == "SUCCESS"
                return str(failed.dock_status_id), str(now.dock_status_id)
            finally:
                await engine.aclose()
                await engine.client.aclose()

        old, new = asyncio.run(fail_then_retry())
        # From another environment name on the same platform too (an operator's run: it
        # printed the note, then '0/0 final', nothing on stdout, exit 0).
        ro = sim.url.replace("127.0.0.1", "localhost")
        write_config(sim.url, f'[environments.ro]\nhost = "{ro}"\nkey_env = "SIM_KEY"\n')
        there = kore("status", "--env", "ro", "--json", old)
        assert there.returncode == 0, there.stderr
        (job,) = json.loads(there.stdout)["jobs"]
        assert (job["dockStatusId"], job["status"], job["environment"]) == (new, "SUCCESS", "sim")
        assert f"{old}: an earlier attempt of {sim.model_ids[0]}'s UNDEPLOY in sim," in there.stderr
        done = kore("status", "--env", "sim", "--wait", "--json", old)
        assert done.returncode == 0, done.stderr
        (job,) = json.loads(done.stdout)["jobs"]
        assert (job["dockStatusId"], job["status"]) == (new, "SUCCESS")
        assert f"{old}: an earlier attempt of {sim.model_ids[0]}'s UNDEPLOY" in done.stderr
        history = json.loads(kore("history", "--json").stdout)["jobs"]
        assert [j["dockStatusId"] for j in history] == [new], "no row of its own"


def _sigint_ignored() -> None:
    """As a process started with nohup or `cmd &` has it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_sigterm_ends_a_bounce_like_ctrl_c_and_names_the_redeploys_not_sent(
    sigint: str,
) -> None:
    """'timeout 2 kore-tui bounce …' ended with exit 124 and nothing printed, the models
    left down; Ctrl-C printed the resume command but not the deploys the bounce owed."""
    import os
    import signal
    import sys

    from tests.conftest import SENTINEL_KEY
    from tests.e2e.test_cli import _ctrl_c_as_in_a_terminal, _journal_counts
    from tests.helpers import until_sync

    with SimulatorThread(sim_config(models=2, job_seconds=(30.0, 30.0))) as sim:
        write_config(sim.url, 'deploy_profile = "gpu"\n' + PROFILE)
        proc = subprocess.Popen(
            [sys.executable, "-m", "kore_tui", "bounce", "--yes", *sim.model_ids],
            env={**os.environ, "SIM_KEY": SENTINEL_KEY},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ctrl_c_as_in_a_terminal if sigint == "default" else _sigint_ignored,
        )
        until_sync(lambda: _journal_counts().get("IN_PROGRESS", 0) >= 2, 20)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert "Traceback" not in err
        assert "kore-tui status --env sim --wait" in err
        for model in sim.model_ids:
            assert f"kore-tui deploy --env sim {model}" in err, err


@pytest.mark.parametrize(("live", "asked"), [("undeploy", "deploy"), ("deploy", "undeploy")])
def test_an_action_that_joins_a_live_job_of_the_other_says_it_was_not_sent_and_exits_1(
    live: str, asked: str
) -> None:
    """Break-it runs: 'undeploy' then 'deploy --wait' of the same model printed 'already
    IN_PROGRESS … tracking it', then SUCCESS UNDEPLOY, and exited 0 without sending the
    deploy: a runbook's "undeploy then deploy" believed the model was back. The other way
    round, 'deploy' then 'undeploy --wait' read SUCCESS DEPLOY as the undeploy's: both
    models ended up deployed, and a script read 0 as "every undeploy SUCCESS"."""
    config = sim_config(models=1, ready_models=1, job_seconds=(1.0, 1.0))
    with SimulatorThread(config) as sim:
        write_config(sim.url, 'deploy_profile = "gpu"\n' + PROFILE)
        model = (sim.model_ids if live == "undeploy" else sim.ready_model_ids)[0]
        first = kore(live, "--yes", model)
        assert first.returncode == 0, first.stderr[-400:]
        done = kore(asked, "--yes", "--wait", model)
        assert done.returncode == 1, done.stderr[-600:]
        assert f"{model}: " in done.stderr and f"{asked} not sent" in done.stderr
        assert counters(sim, asked.upper()) == {}


def test_status_without_wait_checks_a_taken_over_job_once() -> None:
    """An operator's run: 'kore-tui status ds-…' (no --wait) of a job whose console had
    quit printed IN_PROGRESS from the journal and never asked the platform (the job was
    SUCCESS there): the owner's polls, journaled, read as this run's first check."""
    import asyncio

    from kore_tui.core.journal import Journal
    from tests.helpers import make_engine, until

    with SimulatorThread(sim_config(models=1, job_seconds=(4.0, 4.0))) as sim:
        write_config(sim.url)

        async def checked_then_gone() -> tuple[str, str]:
            engine = make_engine(sim.url, journal=Journal())
            engine.start()
            try:
                (job,) = engine.undeploy(sim.model_ids)

                def seen() -> int:
                    return (engine.store.get(job.key) or job).polls

                await until(lambda: seen() >= 2, 5)
                await asyncio.sleep(1.2)  # the checks reach the journal once a second
                now = engine.store.get(job.key)
                assert now is not None and now.last_checked_at
                return str(now.dock_status_id), now.last_checked_at
            finally:
                await engine.aclose()
                await engine.client.aclose()

        dock_status_id, last = asyncio.run(checked_then_gone())
        done = kore("status", "--env", "sim", "--json", dock_status_id)
        assert done.returncode == 0, done.stderr
        (job,) = json.loads(done.stdout)["jobs"]
        assert job["lastCheckedAt"] > last, (job, last)
