"""Polling economy: detection lag and requests per job for several schedules.

Two measurements, one JSON document:

* ``model``: exact arithmetic over the schedules' own ``next_delay`` functions
  (the engine's PollSchedule, with its jitter) for 300 jobs lasting 5-300 s.
* ``live``: the engine itself against the simulator, time-scaled by
  ``--scale`` (default 1/10: a 300 s job lasts 30 s, a 2 s wait lasts 200 ms),
  lag measured from the simulator's job end to the engine's SUCCESS.

Target: median lag <= max(1 s, 10% of the job's duration) using <= 1/4 of the
requests of fixed 1 s polling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sim_process import KEY, simulator

from kore_tui.core.api_client import KoreClient
from kore_tui.core.config import Environment
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.job import JobState
from kore_tui.core.schedule import PollSchedule
from kore_tui.core.secret import Secret

Delay = Callable[[float, int, random.Random], float]


def geometric(initial: float = 2.0, factor: float = 1.5, cap: float = 30.0) -> Delay:
    """The textbook alternative: 2 s, x1.5, cap 30 s (the k-th wait after the verify)."""
    return lambda age, k, rng: min(cap, initial * factor**k)


def simulate(durations: list[float], next_delay: Delay, rng: random.Random) -> dict[str, float]:
    lags, requests, ratios = [], [], []
    for d in durations:
        t, polls = 0.0, 1  # the verify request right after the POST
        while t < d:
            t += next_delay(t, polls - 1, rng)
            polls += 1
        lag = t - d
        lags.append(lag)
        requests.append(polls)
        ratios.append(lag / max(1.0, 0.1 * d))
    return {
        "median_lag_s": round(statistics.median(lags), 2),
        "p90_lag_s": round(sorted(lags)[int(len(lags) * 0.9)], 2),
        "median_lag_over_allowed": round(statistics.median(ratios), 3),
        "requests_per_job": round(statistics.mean(requests), 2),
    }


def model(n: int, seed: int) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    durations = [rng.uniform(5, 300) for _ in range(n)]
    ours = PollSchedule()
    out: dict[str, dict[str, float]] = {
        "ours_age_proportional": simulate(
            durations, lambda age, k, r: ours.next_delay(age, r), random.Random(seed)
        ),
        "geometric_x1.5": simulate(durations, geometric(), rng),
        "fixed_1s": simulate(durations, lambda age, k, r: 1.0, rng),
        "fixed_3s": simulate(durations, lambda age, k, r: 3.0, rng),
    }
    base = out["fixed_1s"]["requests_per_job"]
    for row in out.values():
        row["requests_vs_fixed_1s"] = round(row["requests_per_job"] / base, 3)
    return out


async def live(n: int, scale: float, seed: int) -> dict[str, float]:
    """The real engine against a simulator in a child process (own CPU, same clock)."""
    rng = random.Random(seed)
    with simulator(
        "--models",
        str(n),
        "--seed",
        str(seed),
        "--fail-rate",
        "0",
        "--job-seconds",
        f"{5 * scale}:{300 * scale}",
    ) as (url, models):
        sched = PollSchedule(initial=2.0 * scale, cap=30.0 * scale)
        settings = EngineSettings(
            concurrency=16, requests_per_second=0.0, schedule=sched, job_timeout=600 * scale
        )
        client = KoreClient(url, Secret(KEY), max_connections=20)
        engine = Engine(Environment("bench", url), client, settings=settings, rng=rng)
        detected: dict[str, float] = {}
        engine.start()
        keys = {j.key for j in engine.undeploy(models)}
        while len(detected) < len(keys):
            changed, _ = engine.store.drain_changed()
            now = time.monotonic()
            for job in changed:
                if job.state is JobState.SUCCESS:
                    detected.setdefault(job.key, now)
            await asyncio.sleep(0.002)
        await engine.aclose()
        await client.aclose()
        async with httpx.AsyncClient(base_url=url, headers={"x-api-key": KEY}) as http:
            sim_jobs = {j["dockStatusId"]: j for j in (await http.get("/_sim/jobs")).json()["jobs"]}
    lags, ratios, polls = [], [], []
    for job in engine.store.snapshot():
        sim_job = sim_jobs[job.dock_status_id or ""]
        duration = (sim_job["endsMonotonic"] - sim_job["createdMonotonic"]) / scale
        lag = max(0.0, detected[job.key] - sim_job["endsMonotonic"]) / scale
        lags.append(lag)
        ratios.append(lag / max(1.0, 0.1 * duration))
        polls.append(job.polls)
    return {
        "jobs": n,
        "scale": scale,
        "median_lag_s": round(statistics.median(lags), 2),
        "median_lag_over_allowed": round(statistics.median(ratios), 3),
        "requests_per_job": round(statistics.mean(polls) + 1, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    modelled = model(args.jobs, args.seed)
    measured = asyncio.run(live(args.jobs, args.scale, args.seed))
    fixed = modelled["fixed_1s"]["requests_per_job"]
    print(
        json.dumps(
            {
                "benchmark": "polling_economy",
                "durations_s": [5, 300],
                "model": modelled,
                "live_ours": {
                    **measured,
                    "requests_vs_fixed_1s": round(measured["requests_per_job"] / fixed, 3),
                },
                "target": {"median_lag_over_allowed": 1.0, "requests_vs_fixed_1s": 0.25},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
