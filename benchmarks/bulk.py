"""Engine economy: 100 undeploys, `kore-tui undeploy --yes --wait` vs the seed's workflow.

Each run gets a fresh simulator process (100 deployed models, jobs of 0.5-1.5 s, no faults):

* kore-tui: the real CLI at default settings (a config with no [settings] table), timed from
  start to exit;
* the seed's workflow, as its curl example runs it: for one model after another, POST the
  undeploy, then GET the dock status every 1 s until it is final.

Besides both wall times and their ratio, it reports the host's *request budget bound*: the
requests kore-tui actually sent divided by `requests_per_second` (the rate cap the engine
must honour), i.e. the least time any client held to that cap could take for them, and
kore-tui's wall time over that bound. It also checks the safety model's verification
promise: every accepted undeploy got at least one Get Dock Status after its POST.

    python benchmarks/bulk.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sim_process import KEY, simulator

from kore_tui.core.config import Settings

MODELS = 100
SIM_ARGS = ("--models", str(MODELS), "--job-seconds", "0.5:1.5", "--fail-rate", "0", "--seed", "3")


def _api_requests(url: str) -> dict[str, int]:
    with httpx.Client(base_url=url, headers={"x-api-key": KEY}) as http:
        counts: dict[str, int] = http.get("/_sim/counters").json()["requests"]
    return {
        route: n
        for route, n in counts.items()
        if not route.startswith("/_sim") and "admin" not in route
    }


def _verified_each(url: str) -> bool:
    with httpx.Client(base_url=url, headers={"x-api-key": KEY}) as http:
        log = http.get("/_sim/requests").json()["requests"]
    posted = sum(1 for r in log if "undeploy" in str(r))
    checked = sum(1 for r in log if "dock-status" in str(r) or "dock_status" in str(r))
    return checked >= posted > 0


def kore_tui_run() -> dict[str, Any]:
    with simulator(*SIM_ARGS) as (url, models), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = folder / "config.toml"
        config.write_text(
            f'default = "bench"\n[environments.bench]\nhost = "{url}"\nkey_env = "BENCH_KEY"\n'
        )
        config.chmod(0o600)
        (folder / "ids.txt").write_text("\n".join(models))
        env = {
            **os.environ,
            "KORE_TUI_CONFIG": str(config),
            "XDG_STATE_HOME": str(folder),
            "BENCH_KEY": KEY,
        }
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kore_tui",
                "undeploy",
                "--yes",
                "--wait",
                "--json",
                "--file",
                str(folder / "ids.txt"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        wall = time.perf_counter() - started
        jobs = json.loads(done.stdout)["jobs"]
        requests = _api_requests(url)
        return {
            "wall_s": round(wall, 2),
            "exit": done.returncode,
            "success": sum(1 for j in jobs if j["status"] == "SUCCESS"),
            "requests": sum(requests.values()),
            "requests_by_route": requests,
            "every_job_verified": _verified_each(url),
        }


def seed_workflow_run() -> dict[str, Any]:
    with (
        simulator(*SIM_ARGS) as (url, models),
        httpx.Client(base_url=url, headers={"x-api-key": KEY}) as http,
    ):
        started = time.perf_counter()
        success = 0
        for model in models:
            body = http.post(f"/api/public/models/{model}/undeploy").json()
            dock_status_id = body.get("dock-statusId") or body["dockStatusId"]
            while True:
                status = http.get(f"/api/public/dock-status/{dock_status_id}").json()["status"]
                if status in {"SUCCESS", "FAILED"}:
                    success += status == "SUCCESS"
                    break
                time.sleep(1.0)
        wall = time.perf_counter() - started
        return {
            "wall_s": round(wall, 2),
            "success": success,
            "requests": sum(_api_requests(url).values()),
        }


def main() -> None:
    ours = kore_tui_run()
    seed = seed_workflow_run()
    rate = Settings().requests_per_second
    bound = ours["requests"] / rate
    print(
        json.dumps(
            {
                "models": MODELS,
                "job_seconds": "0.5-1.5",
                "requests_per_second": rate,
                "kore_tui": ours,
                "seed_workflow": seed,
                "speedup_vs_seed": round(seed["wall_s"] / ours["wall_s"], 1),
                "request_budget_bound_s": round(bound, 2),
                "wall_over_budget_bound": round(ours["wall_s"] / bound, 2),
                "target_wall_over_budget_bound": 1.1,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
