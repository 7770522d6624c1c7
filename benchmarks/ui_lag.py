"""Event-loop lag of the console while 10,000 jobs change at 2,000 changes/s.

Headless (``App.run_test``). Two runs, one JSON document:

* ``ours``: the real MainScreen and JobsTable. A feeder thread writes job
  snapshots into the JobStore exactly as the engine thread does; the screen
  drains the store on its 0.1 s timer.
* ``ours_two_environments``: the same with a second environment tracked
  behind the one on screen (its own 10,000 jobs and feeder at the same rate).
* ``stock_datatable``: the anchor. Textual's DataTable with the same 10,000
  rows, fed naively: one ``update_cell`` per change, scheduled on the UI loop.

A probe coroutine on the UI loop sleeps 10 ms at a time and records how late
it wakes up. Target: p99 <= 16 ms for ours. Also reports peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from kore_tui.core.config import Environment
from kore_tui.core.job import Job, JobState
from kore_tui.core.store import JobStore
from kore_tui.tools.scenes import StaticHost
from kore_tui.tui.app import KoreApp

STATES = [
    JobState.IN_PROGRESS,
    JobState.SUCCESS,
    JobState.FAILED,
    JobState.IN_PROGRESS,
    JobState.UNKNOWN,
]


def make_jobs(n: int) -> list[Job]:
    rng = random.Random(1)
    jobs = []
    for _ in range(n):
        model = f"cm-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        ds = f"ds-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        jobs.append(
            Job(
                key=uuid.UUID(int=rng.getrandbits(128)).hex,
                environment="bench",
                host="http://127.0.0.1:1",
                origin="sent",
                model_id=model,
                dock_status_id=ds,
                state=JobState.IN_PROGRESS,
                submitted_at="2026-11-29T10:00:00.000Z",
            )
        )
    return jobs


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def probe(samples: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append((time.perf_counter() - started - 0.01) * 1000)


def feed(
    rate: int,
    seconds: float,
    apply: Callable[[int, Job], object],
    jobs: list[Job],
    stop: threading.Event,
) -> int:
    """Call ``apply(i, job)`` ``rate`` times a second, in 10 ms batches, from this thread."""
    rng = random.Random(2)
    sent = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        # Catch up to the schedule every 10 ms, so the rate holds whatever a batch costs.
        for _ in range(int(elapsed * rate) - sent):
            i = rng.randrange(len(jobs))
            jobs[i] = replace(jobs[i], state=rng.choice(STATES), polls=jobs[i].polls + 1)
            apply(i, jobs[i])
            sent += 1
        time.sleep(0.01)
    stop.set()
    return sent


def putter(store: JobStore) -> Callable[[int, Job], object]:
    """``feed``'s ``apply`` for one store (the index does not matter to a store)."""
    return lambda i, job: store.put(job)


async def run_ours(n: int, rate: int, seconds: float, envs: int = 1) -> dict[str, float]:
    """``envs`` environments tracked at once, each with ``n`` jobs changing at ``rate``/s;
    the panel shows the last one, the others are drained behind it."""
    jobs = [make_jobs(n) for _ in range(envs)]
    stores = [JobStore() for _ in range(envs)]
    for store, env_jobs in zip(stores, jobs, strict=True):
        store.put_many(env_jobs)
    app = KoreApp(config=None, env=None)
    samples: list[float] = []
    stop = threading.Event()
    async with app.run_test(size=(120, 36)) as pilot:
        for i, store in enumerate(stores):
            env = Environment(f"bench{i}", "http://127.0.0.1:1", ephemeral=True)
            app.adopt(env, StaticHost(env, store))
        await pilot.pause(0.5)
        app.main.query_one("JobsTable").focus()
        probe_task = asyncio.create_task(probe(samples, stop))
        feeders = [
            asyncio.to_thread(feed, rate, seconds, putter(store), env_jobs, stop)
            for store, env_jobs in zip(stores, jobs, strict=True)
        ]
        sent = sum(await asyncio.gather(*feeders))
        await probe_task
        shown = len(app.main.model.jobs)
        behind = sum(len(s.model.jobs) for s in app.sessions) - shown
    return summarize(samples, sent, seconds) | {
        "jobs_in_panel": shown,
        "jobs_in_other_envs": behind,
    }


class StockApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def run_stock(n: int, rate: int, seconds: float) -> dict[str, float]:
    jobs = make_jobs(n)
    app = StockApp()
    samples: list[float] = []
    stop = threading.Event()
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.query_one(DataTable)
        columns = table.add_columns("Model", "Dock status", "Status", "Polls")
        for i, job in enumerate(jobs):
            table.add_row(job.model_id, job.dock_status_id, job.state.value, "0", key=str(i))
        await pilot.pause(0.5)
        loop = asyncio.get_running_loop()

        def apply(i: int, job: Job) -> None:
            loop.call_soon_threadsafe(table.update_cell, str(i), columns[2], job.state.value)

        probe_task = asyncio.create_task(probe(samples, stop))
        sent = await asyncio.to_thread(feed, rate, seconds, apply, jobs, stop)
        await probe_task
    return summarize(samples, sent, seconds)


def summarize(samples: list[float], sent: int, seconds: float) -> dict[str, float]:
    return {
        "changes_per_s": round(sent / seconds),
        "probe_samples": len(samples),
        "lag_p50_ms": round(statistics.median(samples), 2),
        "lag_p99_ms": round(percentile(samples, 0.99), 2),
        "lag_max_ms": round(max(samples), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip-stock", action="store_true")
    args = parser.parse_args()
    ours = asyncio.run(run_ours(args.jobs, args.rate, args.seconds))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    two_envs = asyncio.run(run_ours(args.jobs, args.rate, args.seconds, envs=2))
    stock = None if args.skip_stock else asyncio.run(run_stock(args.jobs, args.rate, args.seconds))
    print(
        json.dumps(
            {
                "benchmark": "ui_lag",
                "jobs": args.jobs,
                "ours": ours,
                "ours_two_environments": two_envs,
                "peak_rss_mb_after_ours": round(rss_mb, 1),
                "stock_datatable": stock,
                "target_p99_ms": 16,
                "target_rss_mb": 150,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
