"""Engine overhead: 2,000 undeploy+verify cycles, our engine vs a bare asyncio+httpx loop.

Both talk to the same kind of simulator process (0-second jobs) at the same
concurrency, one after the other in one run. The engine runs as the CLI runs
it: journal on, every transition committed. Prints one JSON document.
Target: the engine adds <= 15% over the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sim_process import KEY, simulator

from kore_tui.core.api_client import KoreClient
from kore_tui.core.config import Environment
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.job import JobState
from kore_tui.core.journal import Journal
from kore_tui.core.secret import Secret


async def bare(url: str, models: list[str], concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(
        max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4
    )
    async with httpx.AsyncClient(base_url=url, headers={"x-api-key": KEY}, limits=limits) as c:

        async def cycle(model: str) -> None:
            async with sem:
                r = await c.post(f"/api/public/models/{model}/undeploy")
                ds = r.json()["dock-statusId"]
            async with sem:
                r = await c.get(f"/api/public/dock-status/{ds}")
                assert r.json()["status"] in {"SUCCESS", "FAILED"}

        started = time.perf_counter()
        await asyncio.gather(*(cycle(m) for m in models))
        return time.perf_counter() - started


async def engine_run(url: str, models: list[str], concurrency: int, journal_on: bool) -> float:
    settings = EngineSettings(concurrency=concurrency, requests_per_second=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "j.sqlite3") if journal_on else None
        client = KoreClient(url, Secret(KEY), max_connections=concurrency + 4)
        engine = Engine(Environment("bench", url), client, journal=journal, settings=settings)
        started = time.perf_counter()
        engine.start()
        engine.undeploy(models)
        await engine.wait_settled()
        elapsed = time.perf_counter() - started
        await engine.aclose()
        await client.aclose()
        if journal:
            journal.close()
        states = {j.state for j in engine.store.snapshot()}
        assert states <= {JobState.SUCCESS, JobState.FAILED}, states
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.cycles
    runs: dict[str, list[float]] = {"bare": [], "engine_journal": [], "engine_no_journal": []}
    # Interleaved rounds and medians: single runs on a 2-core machine vary by ~10%.
    for _ in range(args.rounds):
        for name in runs:
            with simulator("--models", str(n), "--job-seconds", "0:0", "--fail-rate", "0.1") as (
                url,
                models,
            ):
                if name == "bare":
                    seconds = asyncio.run(bare(url, models, args.concurrency))
                else:
                    seconds = asyncio.run(
                        engine_run(url, models, args.concurrency, name == "engine_journal")
                    )
            runs[name].append(seconds)
    results = {}
    for name, values in runs.items():
        med = statistics.median(values)
        results[name] = {
            "median_s": round(med, 3),
            "cycles_per_s": round(n / med, 1),
            "runs_s": [round(v, 3) for v in values],
        }
    overhead = results["engine_journal"]["median_s"] / results["bare"]["median_s"] - 1
    print(
        json.dumps(
            {
                "benchmark": "throughput",
                "cycles": n,
                "concurrency": args.concurrency,
                **results,
                "engine_overhead_pct": round(overhead * 100, 1),
                "target_overhead_pct": 15,
            }
        )
    )


if __name__ == "__main__":
    main()
