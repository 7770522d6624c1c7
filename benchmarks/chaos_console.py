"""The console and its engine under the simulator's ``chaos`` profile.

The real app (headless, ``run_test``) undeploys N models through the real
engine thread against a chaos simulator on loopback, while a probe on the UI
loop measures event-loop lag. Reports, as JSON: final states, duplicate
undeploy POSTs (simulator counters), unexpected engine errors, threads left
after exit, and lag p50/p99. ``tests/audit/test_chaos_console.py`` runs the
same harness with fewer jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from kore_tui.core.config import Config, Environment, Settings
from kore_tui.core.journal import Journal
from kore_tui.simulator import SimConfig, SimulatorThread, profile_named
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.widgets.id_entry import IdEntry

KEY = "kg-chaos-0000000000000000"


async def _probe(samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append((time.perf_counter() - started - 0.01) * 1000)


async def run(
    jobs: int, seed: int = 1, timeout: float = 600.0, time_scale: float = 1.0
) -> dict[str, Any]:
    """``time_scale`` shrinks how long jobs run and, with them, the poll intervals and the
    not-found grace: each job is polled as many times as at 1.0 and meets as many faults
    (the chaos profile's own delays stay as they are), in less wall time. The test uses it."""
    faults = replace(
        profile_named("chaos"), slow_seconds=(0.05, 0.3), retry_after_seconds=0.2, rate_limited=0.02
    )
    sim = SimulatorThread(
        SimConfig(
            api_key=KEY,
            models=jobs,
            seed=seed,
            faults=faults,
            job_seconds=(0.0, 3.0 * time_scale),
            fail_rate=0.1,
        )
    ).start()
    folder = Path(tempfile.mkdtemp(prefix="kore-chaos-"))
    os.environ["KORE_SIM_KEY_CHAOS"] = KEY
    env = Environment("chaos", sim.url, key_env="KORE_SIM_KEY_CHAOS")
    config = Config(path=folder / "config.toml", environments={"chaos": env}, default="chaos")
    settings = Settings(
        concurrency=32,
        requests_per_second=0.0,
        poll_initial=0.2 * time_scale,
        poll_max=1.0 * time_scale,
        job_timeout=30.0,
        not_found_grace=3.0 * time_scale,
    )
    app = KoreApp(
        config=config, env=env, settings=settings, journal_path=folder / "journal.sqlite3"
    )
    samples: list[float] = []
    stop = asyncio.Event()
    started = time.monotonic()
    engine = None
    async with app.run_test(size=(120, 36)) as pilot:
        while app.host is None:
            await pilot.pause(0.05)
        engine = app.host._engine
        probe = asyncio.create_task(_probe(samples, stop))
        app.main.query_one(IdEntry).set_text("\n".join(sim.model_ids))
        await pilot.press("ctrl+u")
        assert isinstance(app.screen, ConfirmUndeploy)
        await pilot.click("#confirm")
        while not (
            len(app.main.model.jobs) == jobs
            and all(j.is_final for j in app.main.model.jobs.values())
        ):
            if time.monotonic() - started > timeout:
                break
            await pilot.pause(0.1)
        elapsed = time.monotonic() - started
        stop.set()
        await probe
        states = Counter(j.state.value for j in app.main.model.jobs.values())
        all_final = all(j.is_final for j in app.main.model.jobs.values())
        without_reason = sum(
            1
            for j in app.main.model.jobs.values()
            if j.state.value in {"UNKNOWN", "ERROR", "TIMED_OUT"} and not j.error
        )
    # Engine threads get 0.5 s to finish after the app exits; most are gone well before.
    leftover = _engine_threads()
    deadline = time.monotonic() + 0.5
    while leftover and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        leftover = _engine_threads()
    with httpx.Client(base_url=sim.url, headers={"x-api-key": KEY}) as http:
        counters = http.get("/_sim/counters").json()
    sim.stop()
    journal = Journal(folder / "journal.sqlite3")
    journal_states = Counter(j.state.value for j in journal.history("chaos", jobs * 2))
    journal.close()
    accepted = counters["undeployAccepted"].values()
    return {
        "jobs": jobs,
        "seconds": round(elapsed, 1),
        "all_final": all_final,
        "states": states,
        "journal_states": journal_states,
        "final_without_reason": without_reason,
        "models_with_duplicate_post": sum(1 for n in accepted if n > 1),
        "unexpected_engine_errors": engine.unexpected_errors if engine else None,
        "engine_threads_left": leftover,
        "lag_p50_ms": round(statistics.median(samples), 2),
        "lag_p99_ms": round(sorted(samples)[int(len(samples) * 0.99)], 2),
    }


def _engine_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("engine-")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    args = parser.parse_args()
    result = asyncio.run(run(args.jobs))
    print(json.dumps({"benchmark": "chaos_console", **result}, indent=1))


if __name__ == "__main__":
    main()
