"""Dock-status GETs per second against the simulator, and its start-up time.

Load comes from a separate process (this one) over loopback; the simulator
runs as `kore-tui simulator` in a child process, as an operator would run it.
Prints one JSON document. Target: >= 2,000 req/s, start-up < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

import aiohttp

KEY = "kg-bench"


async def load(url: str, ds_ids: list[str], seconds: float, concurrency: int) -> dict[str, float]:
    done = 0
    errors = 0
    stop = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector, headers={"x-api-key": KEY}) as s:

        async def worker(i: int) -> None:
            nonlocal done, errors
            while time.monotonic() < stop:
                async with s.get(f"/api/public/dock-status/{ds_ids[i % len(ds_ids)]}") as r:
                    await r.read()
                    if r.status == 200:
                        done += 1
                    else:
                        errors += 1
                i += concurrency

        started = time.monotonic()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.monotonic() - started
    return {
        "requests": done,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "req_per_s": round(done / elapsed, 1),
    }


async def prepare(url: str, models: list[str]) -> list[str]:
    async with aiohttp.ClientSession(url, headers={"x-api-key": KEY}) as s:
        out = []
        for m in models:
            async with s.post(f"/api/public/models/{m}/undeploy") as r:
                out.append((await r.json())["dock-statusId"])
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kore_tui",
            "simulator",
            "--port",
            "0",
            "--models",
            "200",
            "--api-key",
            KEY,
            "--job-seconds",
            "3600:3600",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        models = []
        while True:
            line = proc.stdout.readline().strip()
            if line.startswith("listening on "):
                url = line.removeprefix("listening on ")
                break
            models.append(line)
        startup = time.monotonic() - started
        ds_ids = asyncio.run(prepare(url, models))
        result = asyncio.run(load(url, ds_ids, args.seconds, args.concurrency))
    finally:
        proc.terminate()
        proc.wait(10)
    print(
        json.dumps(
            {
                "benchmark": "sim_throughput",
                "startup_s": round(startup, 3),
                "concurrency": args.concurrency,
                **result,
                "target_req_per_s": 2000,
                "target_startup_s": 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
