"""Peak RSS of a client taking 32 concurrent gzip-bomb answers, against its idle RSS.

The simulator runs as `kore-tui simulator` in a child process and answers every
dock-status GET with ~200 KB of gzip that inflates to 200 MB. Each measured
client runs in a fresh process of its own (ru_maxrss is a high-water mark):

- ``kore_tui``: KoreClient as shipped (asks for identity, inflates in bounded steps);
- ``httpx_default``: plain httpx reading with a 1 MiB cap after decoding, as
  KoreClient did before (httpx inflates each network read in one go).

Prints one JSON document. Target: kore_tui peak within +50 MB of idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sim_process import KEY, simulator

DS = "ds-00000000-0000-4000-8000-000000000000"
CAP = 1024 * 1024


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run_kore(url: str, count: int) -> list[str]:
    from kore_tui.core.api_client import KoreClient
    from kore_tui.core.secret import Secret

    async with KoreClient(url, Secret(KEY), max_connections=count) as client:
        results = await asyncio.gather(
            *(client.dock_status(DS) for _ in range(count)), return_exceptions=True
        )
    return [type(r).__name__ for r in results]


async def run_httpx_default(url: str, count: int) -> list[str]:
    async with httpx.AsyncClient(
        base_url=url, headers={"x-api-key": KEY}, limits=httpx.Limits(max_connections=count)
    ) as http:

        async def one() -> str:
            size = 0
            async with http.stream("GET", f"/api/public/dock-status/{DS}") as response:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > CAP:
                        return "refused at cap"
            return "read"

        return list(await asyncio.gather(*(one() for _ in range(count))))


def child(kind: str, url: str, count: int) -> None:
    import kore_tui.core.api_client  # noqa: F401  (imports count as idle)

    idle = rss_mb()
    started = time.monotonic()
    runner = run_kore if kind == "kore_tui" else run_httpx_default
    outcomes = asyncio.run(runner(url, count))
    print(
        json.dumps(
            {
                "idle_rss_mb": round(idle, 1),
                "peak_rss_mb": round(rss_mb(), 1),
                "seconds": round(time.monotonic() - started, 2),
                "outcomes": sorted(set(outcomes)),
            }
        )
    )


def measure(kind: str, url: str, count: int, inflated: int) -> dict[str, object]:
    with httpx.Client(base_url=url, headers={"x-api-key": KEY}) as http:
        http.post("/_sim/reset").raise_for_status()
        http.post(
            "/_sim/force", json={"responses": [{"mode": "gzip_bomb", "inflated": inflated}] * count}
        ).raise_for_status()
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--url", url, "--count", str(count)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    result["peak_over_idle_mb"] = round(
        float(result["peak_rss_mb"]) - float(result["idle_rss_mb"]), 1
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=32)
    parser.add_argument("--inflated-mb", type=int, default=200)
    parser.add_argument("--child", choices=["kore_tui", "httpx_default"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.count)
        return
    inflated = args.inflated_mb * 1024 * 1024
    with simulator("--models", "1") as (url, _models):
        with httpx.Client(base_url=url, headers={"x-api-key": KEY}) as http:
            # One warm-up bomb so the simulator builds (and caches) it outside the timings.
            http.post(
                "/_sim/force", json={"responses": [{"mode": "gzip_bomb", "inflated": inflated}]}
            ).raise_for_status()
            with http.stream("GET", f"/api/public/dock-status/{DS}") as r:
                wire = sum(len(c) for c in r.iter_raw())
        report = {
            "concurrent": args.count,
            "inflated_mb": args.inflated_mb,
            "wire_bytes_per_answer": wire,
            "kore_tui": measure("kore_tui", url, args.count, inflated),
            "httpx_default": measure("httpx_default", url, args.count, inflated),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
