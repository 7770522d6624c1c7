"""``kore-tui simulator``: serve the fake platform until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from kore_tui.simulator.faults import profile_named
from kore_tui.simulator.server import SimConfig, Simulator, parse_job_seconds


def config_from_args(args: argparse.Namespace) -> SimConfig:
    if not 0 <= args.fail_rate <= 1:
        raise ValueError("--fail-rate must be between 0 and 1")
    if not 0 <= args.models <= 100_000:
        raise ValueError("--models must be between 0 and 100000")
    if not 0 <= args.tools <= 100_000 - args.models:
        raise ValueError("--tools must be between 0 and 100000 minus --models")
    return SimConfig(
        api_key=args.api_key or os.environ.get("KORE_SIM_API_KEY") or "kg-demo",
        models=args.models,
        seed=args.seed,
        faults=profile_named(args.faults, args.fault_rate),
        job_seconds=parse_job_seconds(args.job_seconds),
        fail_rate=args.fail_rate,
        spelling=args.dock_status_spelling,
        tools=args.tools,
    )


async def _serve(sim: Simulator, args: argparse.Namespace) -> None:
    port = await sim.start(args.host, args.port, allow_non_loopback=args.allow_non_loopback)
    for resource_id in sim.model_ids + sim.tool_ids:
        print(resource_id)
    shown_host = args.host if ":" not in args.host else f"[{args.host}]"
    print(f"listening on http://{shown_host}:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def run_simulator(args: argparse.Namespace) -> int:
    try:
        sim = Simulator(config_from_args(args))
        asyncio.run(_serve(sim, args))
    except ValueError as exc:
        print(f"kore-tui simulator: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"kore-tui simulator: cannot listen: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
