"""Run the engine for one headless command: journal + client + engine, closed cleanly."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from kore_tui.cli.common import (
    Progress,
    err,
    exit_code_for,
    print_jobs,
    run_async,
    track,
    with_second_halves,
)
from kore_tui.cli.exit_codes import EXIT_FAILED
from kore_tui.core.clients import client_for
from kore_tui.core.config import Environment
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.job import Job, JobState, utc_now
from kore_tui.core.journal import Journal
from kore_tui.core.secret import Secret


def _first_check_done(engine: Engine, jobs: list[Job], since: str) -> bool:
    """Without --wait: every POST answered and every dock status verified once. A bounce's
    first half is waited for until its redeploy is decided (sent or stopped): the redeploy
    is only ever sent by the process that ran the undeploy. A job another live run owns
    (joined) is that run's to check: waiting for its first check too held a run 24 s on
    models the other run had queued behind its rate limit. Its POST is waited for: exit 0
    with it still QUEUED there promised a send that a kill -9 of that run then lost (if
    the owner dies meanwhile, this run takes the job over and sends it). A check is this
    run's when it is newer than ``since`` (the run's start): a job taken over from a run
    that had quit carried that run's polls (journaled), and was reported IN_PROGRESS from
    the journal, the platform never asked."""
    return all(
        (engine.follows(j.key) and (j.is_final or j.dock_status_id is not None))
        or (
            j.then is None
            and (
                j.is_final
                or not j.tracking
                or (j.state is JobState.IN_PROGRESS and (j.last_checked_at or "") > since)
            )
        )
        for j in jobs
    )


def _settled(engine: Engine, jobs: list[Job]) -> bool:
    return all(j.then is None and (j.is_final or not j.tracking) for j in jobs)


async def run_engine(
    env: Environment,
    key: Secret,
    settings: EngineSettings,
    start: Callable[[Engine], list[Job]],
    *,
    wait: bool,
    progress: bool = True,
    on_interrupt: Callable[[list[Job]], None] | None = None,
) -> list[Job]:
    journal = Journal()
    client = client_for(env, key, settings)
    engine = Engine(env, client, journal=journal, settings=settings)
    jobs: list[Job] = []
    since = utc_now()  # a check made after this is this run's (see _first_check_done)
    try:
        engine.start()
        started = start(engine)
        for job in started:
            note = engine.notes.get(job.key)
            if note:
                err(f"{job.model_id or job.dock_status_id}: {note}")
        keys = {j.key for j in started}
        # No jobs (status with nothing to resume): a "0/0 final" meter would say nothing.
        meter = Progress() if progress and keys else None

        def done(jobs: list[Job]) -> bool:
            return _settled(engine, jobs) if wait else _first_check_done(engine, jobs, since)

        def finished(jobs: list[Job]) -> bool:
            # A refused key stops the run: nothing more can be sent or checked with it.
            return done(jobs) or (
                engine.auth_blocked
                and all(j.is_final or not j.tracking or j.key in engine.held_keys for j in jobs)
            )

        try:
            jobs = await track(engine.store, keys, finished, meter)
            if engine.auth_blocked:
                err(f"{engine.store.health.auth_error}; not sending anything more")
                engine.abandon_held()
                jobs = _ours(engine, keys)
        except asyncio.CancelledError:
            if meter:
                meter.done()
            err("interrupted: letting requests in flight finish (up to 5 s)...")
            await engine.aclose(grace=5.0)
            jobs = _ours(engine, keys)
            if on_interrupt:
                on_interrupt(jobs)
            raise
        return jobs
    finally:
        await engine.aclose(grace=5.0)
        await client.aclose()
        journal.close()


def _ours(engine: Engine, keys: set[str]) -> list[Job]:
    current = with_second_halves(engine.store, keys)
    return [j for j in engine.store.snapshot() if j.key in current]


def interrupted_hint(env: Environment, as_json: bool = False) -> Callable[[list[Job]], None]:
    """What a run stopped by Ctrl-C (or SIGTERM) leaves: the jobs as ``--json`` prints them
    (the contract is one document, interrupted or not: it printed nothing), and how to go
    on. The jobs sent are followed by ``status --wait``; the ones never sent are not (it
    ends them ERROR "never sent"): an operator's run was told to resume 6,848 jobs, 6,670
    of which had never left."""

    def hint(jobs: list[Job]) -> None:
        if as_json:
            print_jobs(jobs, True)
        open_jobs = [j for j in jobs if not j.is_final]
        never_sent = [j for j in open_jobs if j.state is JobState.QUEUED and not j.dock_status_id]
        sent = len(open_jobs) - len(never_sent)
        if sent:
            print(
                f"kore-tui: {sent} job(s) sent and not final are kept in the journal; follow "
                f"them with: kore-tui status --env {env.name} --wait",
                file=sys.stderr,
            )
        if never_sent:
            print(
                f"kore-tui: {len(never_sent)} job(s) never sent; run the same command again "
                "to send them (what was sent is followed, not sent twice)",
                file=sys.stderr,
            )
        # A bounce's redeploy is sent only by the run that undeployed: this one is ending.
        for job in jobs:
            if job.then and job.model_id:
                print(
                    f"kore-tui: then, if its undeploy ends SUCCESS: kore-tui deploy --env "
                    f"{env.name} {job.model_id}   (the bounce's redeploy, not sent)",
                    file=sys.stderr,
                )

    return hint


def run_and_report(
    env: Environment,
    key: Secret,
    settings: EngineSettings,
    start: Callable[[Engine], list[Job]],
    *,
    wait: bool,
    as_json: bool,
) -> int:
    """One headless command's run: the engine to the end (Ctrl-C leaves the resume hint),
    the jobs printed, the exit code they call for. Shared by undeploy, deploy/bounce, status."""

    not_started: set[str] = set()

    def started(engine: Engine) -> list[Job]:
        jobs = start(engine)
        not_started.update(engine.not_started)
        return jobs

    async def main() -> int:
        jobs = await run_engine(
            env, key, settings, started, wait=wait, on_interrupt=interrupted_hint(env, as_json)
        )
        print_jobs(jobs, as_json)
        code = exit_code_for(jobs, waited=wait)
        # An action that did not start (a live job of the other action was joined) leaves
        # the resource as that job leaves it: not a success, whatever its state (each said
        # why on stderr).
        return code or (EXIT_FAILED if not_started else code)

    return run_async(main)
