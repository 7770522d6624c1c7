"""``kore-tui status``: watch dock status IDs, or resume the journal's unfinished jobs."""

from __future__ import annotations

import argparse
from dataclasses import replace

from kore_tui.cli import failure
from kore_tui.cli.common import (
    err,
    exit_code_for,
    get_key,
    handle_errors,
    load_target,
    print_jobs,
    run_async,
)
from kore_tui.cli.failure import CliError
from kore_tui.cli.session import interrupted_hint, run_engine
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.ids import for_status, parse_ids
from kore_tui.core.job import Job


def _run(args: argparse.Namespace) -> int:
    parsed = for_status(parse_ids("\n".join(args.ids)))
    if parsed.invalid:
        for bad in parsed.invalid:
            err(f"invalid: {bad.token!r}: {bad.reason}")
        raise CliError(f"{len(parsed.invalid)} invalid dock status ID(s)", failure.INVALID_IDS)
    target = load_target(args.env)
    # status never undeploys; with --read-only the engine is told so too.
    env = replace(target.env, read_only=True) if args.read_only else target.env
    key = get_key(env)
    settings = EngineSettings.from_settings(target.config.settings)
    if args.timeout:
        settings = replace(settings, job_timeout=args.timeout)
    ids = parsed.dock_status_ids

    def start(engine: Engine) -> list[Job]:
        resumed = engine.resume_unfinished()
        if not ids:
            if not resumed:
                raise CliError(f"no dock status IDs given and no unfinished jobs to resume "
                                 f"in {env.name!r}")
            err(f"resuming {len(resumed)} unfinished job(s) from the journal "
                "(nothing is re-sent)")
            return resumed
        by_ds = {j.dock_status_id: j for j in resumed}
        wanted = [by_ds[d] for d in ids if d in by_ds]
        wanted += engine.watch([d for d in ids if d not in by_ds])
        return wanted

    async def main() -> int:
        jobs = await run_engine(env, key, settings, start, wait=args.wait,
                                on_interrupt=interrupted_hint(env))
        print_jobs(jobs, args.json)
        return exit_code_for(jobs, waited=args.wait)

    return run_async(main)


def run_status(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args), as_json=args.json)
