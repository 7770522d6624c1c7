"""--env and --read-only mean the same before and after a subcommand, end to end.

Two simulators play two platforms: ``prod`` (the default) and ``staging``; ``ro`` is a
read-only environment on prod's simulator. Counters on each simulator prove where requests
went, and that a refused undeploy sent no POST anywhere.

Every run is in this process (tests/cli_runner.py): these tests prove how arguments are
read and where requests go, not that a process starts (test_cli_processes.py does).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kore_tui.core import paths
from kore_tui.simulator import SimulatorThread
from tests.cli_runner import run_cli
from tests.conftest import sim_config
from tests.e2e.test_cli import FAST_SETTINGS, kore
from tests.helpers import admin_sync


@dataclass
class Platforms:
    prod: SimulatorThread
    staging: SimulatorThread

    def posts(self) -> int:
        return sum(
            sum(admin_sync(s.url, "/_sim/counters")["undeployReceived"].values())
            for s in (self.prod, self.staging)
        )

    def requests(self, sim: SimulatorThread) -> int:
        counts = admin_sync(sim.url, "/_sim/counters")["requests"]
        return sum(n for route, n in counts.items() if "/_sim/" not in route)


def environments(prod_url: str, staging_url: str) -> str:
    return (
        f'default = "prod"\n{FAST_SETTINGS}\n'
        f'[environments.prod]\nhost = "{prod_url}"\nkey_env = "SIM_KEY"\n\n'
        f'[environments.ro]\nhost = "{prod_url}"\nkey_env = "SIM_KEY"\nread_only = true\n\n'
        f'[environments.staging]\nhost = "{staging_url}"\nkey_env = "SIM_KEY"\n'
    )


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    settings = sim_config(models=4, job_seconds=(0.0, 0.1))
    with SimulatorThread(settings) as prod, SimulatorThread(settings) as staging:
        path = paths.config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(environments(prod.url, staging.url))
        path.chmod(0o600)
        yield Platforms(prod, staging)


def placed(before: bool, command: list[str], option: list[str]) -> list[str]:
    """``option`` before the subcommand or right after it."""
    return [*option, *command] if before else [command[0], *option, *command[1:]]


POSITIONS = pytest.mark.parametrize("before", [True, False], ids=["before", "after"])


@POSITIONS
def test_undeploy_in_a_read_only_environment_sends_nothing(
    platforms: Platforms, before: bool
) -> None:
    model = platforms.prod.model_ids[0]
    done = kore(*placed(before, ["undeploy", "--yes", "--wait", model], ["--env", "ro"]))
    assert done.returncode == 2, done.stderr
    assert "read-only: undeploy refused" in done.stderr and "'ro'" in done.stderr
    assert platforms.posts() == 0


@POSITIONS
def test_read_only_flag_refuses_undeploy(platforms: Platforms, before: bool) -> None:
    model = platforms.prod.model_ids[0]
    done = kore(*placed(before, ["undeploy", "--yes", "--json", model], ["--read-only"]))
    assert done.returncode == 2, done.stderr
    assert "read-only: undeploy refused" in done.stderr
    assert json.loads(done.stdout)["error"]["code"] == "read_only"
    assert platforms.posts() == 0


@POSITIONS
def test_dry_run_plans_for_the_environment_given(platforms: Platforms, before: bool) -> None:
    model = platforms.staging.model_ids[0]
    done = kore(*placed(before, ["undeploy", "--dry-run", "--json", model], ["--env", "staging"]))
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert (plan["environment"], plan["host"]) == ("staging", platforms.staging.url)
    assert platforms.posts() == 0


@POSITIONS
def test_dry_run_with_read_only_prints_the_plan_and_exits_like_the_real_run(
    platforms: Platforms, before: bool
) -> None:
    model = platforms.prod.model_ids[0]
    done = kore(*placed(before, ["undeploy", "--dry-run", model], ["--read-only"]))
    assert done.returncode == 2
    assert model in done.stdout and "would undeploy 1 model" in done.stdout
    assert "read-only: undeploy refused" in done.stderr
    assert platforms.posts() == 0


def test_undeploy_goes_to_the_environment_given_after_the_subcommand_too(
    platforms: Platforms,
) -> None:
    model = platforms.staging.model_ids[0]
    done = kore("undeploy", "--env", "staging", "--yes", "--json", model)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["jobs"][0]["environment"] == "staging"
    counters = admin_sync(platforms.staging.url, "/_sim/counters")
    assert counters["undeployAccepted"] == {model: 1}
    assert admin_sync(platforms.prod.url, "/_sim/counters")["undeployReceived"] == {}


@POSITIONS
def test_status_and_history_use_the_environment_and_accept_read_only(
    platforms: Platforms, before: bool
) -> None:
    model = platforms.staging.model_ids[0]
    started = kore("--env", "staging", "undeploy", "--yes", "--json", model)
    assert started.returncode == 0, started.stderr
    ds = json.loads(started.stdout)["jobs"][0]["dockStatusId"]
    prod_requests = platforms.requests(platforms.prod)
    status = kore(
        *placed(before, ["status", "--wait", "--json", ds], ["--env", "staging", "--read-only"])
    )
    assert status.returncode == 0, status.stderr
    job = json.loads(status.stdout)["jobs"][0]
    assert (job["environment"], job["status"]) == ("staging", "SUCCESS")
    assert platforms.requests(platforms.prod) == prod_requests, "nothing went to prod"
    history = kore(*placed(before, ["history", "--json"], ["--env", "staging", "--read-only"]))
    assert history.returncode == 0, history.stderr
    # The undeploy, and (if it was already final) the watch that status started.
    assert {j["environment"] for j in json.loads(history.stdout)["jobs"]} == {"staging"}
    assert (
        kore(*placed(before, ["history", "--json"], ["--env", "prod"])).stdout.count(
            '"environment"'
        )
        == 0
    )


@POSITIONS
def test_history_of_an_unknown_environment_is_a_usage_error(
    platforms: Platforms, before: bool
) -> None:
    done = kore(*placed(before, ["history", "--json"], ["--env", "NOSUCH"]))
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "config" and "no environment named 'NOSUCH'" in error["message"]
    assert "prod, ro, staging" in done.stderr


@pytest.mark.parametrize("command", [["undeploy", "--dry-run"], ["status"], ["history"]])
def test_conflicting_environments_name_both(platforms: Platforms, command: list[str]) -> None:
    done = kore("--env", "prod", *command, "--env", "staging", "--json")
    assert done.returncode == 2
    assert "'prod'" in done.stderr and "'staging'" in done.stderr
    assert json.loads(done.stdout)["error"]["code"] == "usage"
    assert platforms.posts() == 0


def test_the_same_environment_in_both_positions_is_fine(platforms: Platforms) -> None:
    model = platforms.staging.model_ids[0]
    done = kore("--env", "staging", "undeploy", "--env", "staging", "--dry-run", "--json", model)
    assert done.returncode == 0 and json.loads(done.stdout)["environment"] == "staging"


@pytest.mark.parametrize(
    "argv",
    [
        ["--env", "prod", "env", "list"],
        ["env", "--env", "prod", "list"],
        ["env", "list", "--env", "prod"],
        ["--read-only", "env", "list"],
        ["env", "show", "prod", "--read-only"],
        ["--read-only", "env", "add", "x", "--host", "https://x.kore.ai"],
        ["--env", "prod", "env", "remove", "staging"],
        ["--env", "prod", "simulator", "--port", "0"],
        ["simulator", "--port", "0", "--read-only"],
        ["--demo", "status"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_options_that_do_not_apply_are_refused_saying_so(
    platforms: Platforms, argv: list[str]
) -> None:
    before = paths.config_path().read_bytes()
    done = kore(*argv)
    assert done.returncode == 2
    assert "does not apply" in done.stderr, done.stderr
    assert paths.config_path().read_bytes() == before, "nothing was changed"


def test_env_add_keeps_its_own_read_only_flag(platforms: Platforms) -> None:
    done = kore("env", "add", "ro2", "--host", platforms.prod.url, "--read-only")
    assert done.returncode == 0, done.stderr
    refused = kore("undeploy", "--env", "ro2", "--yes", platforms.prod.model_ids[0])
    assert refused.returncode == 2 and "read-only" in refused.stderr
    assert platforms.posts() == 0


@pytest.mark.parametrize("host", ["https://[::1", "https://host:99999", "https://a b"])
def test_the_console_entry_reports_a_malformed_host_without_a_traceback(host: str) -> None:
    done = run_cli(env={"KORE_HOST": host, "KORE_API_KEY": "kg-x"})
    assert done.returncode == 2
    assert "KORE_HOST: host " in done.stderr and "Traceback" not in done.stderr
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[environments.x]\nhost = "{host}"\n')
    path.chmod(0o600)
    done = kore("--env", "x")
    assert done.returncode == 2
    assert f"{path}:1" in done.stderr and "Traceback" not in done.stderr


def test_demo_with_an_environment_is_refused() -> None:
    done = kore("--demo", "--env", "prod")
    assert done.returncode == 2 and "--demo" in done.stderr


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--version", "--env", "prod"], "--env"),
        (["--env", "prod", "--version"], "--env"),
        (["--version", "--env=prod", "--read-only"], "--env, --read-only"),
        (["--vers", "--demo"], "--demo"),
        (["--version", "history", "--limit", "5"], "history, --limit"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_version_with_anything_else_is_a_usage_error(argv: list[str], named: str) -> None:
    # It printed the version and exit 0, dropping the rest: nothing is silently ignored.
    done = run_cli(*argv)
    assert (done.returncode, done.stdout) == (2, ""), done.stdout
    assert f"--version takes no other option or command (got {named})" in done.stderr


def test_version_with_json_still_answers_one_error_document() -> None:
    done = run_cli("--version", "status", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "usage" and "(got status, --json)" in error["message"]
    assert run_cli("--version").stdout.startswith("kore-tui ")
