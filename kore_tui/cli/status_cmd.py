"""``kore-tui status``: watch dock status IDs, or resume the journal's unfinished jobs."""

from __future__ import annotations

import argparse
from dataclasses import replace

from kore_tui.cli import failure
from kore_tui.cli.common import (
    err,
    get_key,
    handle_errors,
    load_target,
)
from kore_tui.cli.failure import CliError
from kore_tui.cli.session import run_and_report
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.ids import for_status, parse_ids, stray_words
from kore_tui.core.job import TIMED_OUT_HORIZON, Job, JobState, utc_now
from kore_tui.core.text import inert

# Timed-out jobs older than this are left alone by `status --wait` (pass their IDs instead).


def _run(args: argparse.Namespace) -> int:
    parsed = for_status(parse_ids("\n".join(args.ids)))
    parsed.invalid.extend(stray_words(args.ids))
    if parsed.invalid:
        for bad in parsed.invalid:
            err(f"invalid: {bad.token!r}: {bad.reason}")
        raise CliError(f"{len(parsed.invalid)} invalid dock status ID(s)", failure.INVALID_IDS)
    target = load_target(args.env)
    # status changes nothing; with --read-only the engine is told so too.
    env = replace(target.env, read_only=True) if args.read_only else target.env
    key = get_key(env)
    settings = EngineSettings.from_settings(target.config.settings)
    if args.timeout:
        settings = replace(settings, job_timeout=args.timeout)
    ids = parsed.dock_status_ids

    def start(engine: Engine) -> list[Job]:
        # With --wait and no IDs, jobs that timed out lately are re-checked too: a deadline
        # ends the tracking, not the job on the platform.
        since = utc_now(TIMED_OUT_HORIZON) if args.wait and not ids else None
        resumed = engine.resume_unfinished(timed_out_since=since)
        resumed += engine.track_again(ids)  # a stopped job asked for by its ID
        if not ids:
            stopped = engine.stopped_unfinished()
            if not resumed:
                # Nothing to resume is a successful no-op, not a usage error: the console and
                # Ctrl-C print this very command, and a runbook re-runs it once all is done.
                # Exit 0 holds vacuously (0 = every job SUCCESS, and there are none); --json
                # prints the usual document with an empty list.
                tracked = " tracked" if stopped else ""
                err(f"nothing to resume in {env.name!r}: no{tracked} unfinished jobs")
                _name_the_stopped(env.name, stopped)
                return []
            rechecked = sum(
                1
                for j in resumed
                if len(j.timeline) > 1 and j.timeline[-2].state is JobState.TIMED_OUT
            )
            extra = (
                (f", {rechecked} of them timed out in the last {TIMED_OUT_HORIZON // 3600:.0f} h")
                if rechecked
                else ""
            )
            err(
                f"resuming {len(resumed)} unfinished job(s) from the journal{extra} "
                "(nothing is re-sent)"
            )
            _name_the_stopped(env.name, stopped)
            return resumed
        by_ds = {j.dock_status_id: j for j in resumed}
        # A bounce that left its resource down is answered from the journal: watching its
        # ID again made a second row that read a plain SUCCESS (exit 0), the model down.
        if engine.journal is not None and (asked := [d for d in ids if d not in by_ds]):
            for job in engine.journal.left_down(env.name, env.host, asked):
                engine.store.put(job)  # shown as it is: final, nothing to poll
                by_ds[job.dock_status_id] = job
        # The ID of an attempt a retry replaced (an alert names the ID it saw): its job is
        # reported, the retry's outcome; a row of its own read FAILED (exit 1) for a
        # resource the retry had undeployed.
        for asked_id, job in engine.earlier_attempts(d for d in ids if d not in by_ds):
            now = job.dock_status_id or "not sent yet"
            # Named when it is another environment's on this platform (the report's
            # "environment" said prod for a run asked about stage, and nothing said why).
            of = "" if job.environment == env.name else f" in {inert(job.environment, 40)}"
            err(
                f"{asked_id}: an earlier attempt of {job.model_id}'s {job.action}{of}, "
                f"replaced by a retry ({now}, {job.state.value}); reporting that job"
            )
            # Another environment's (same platform) is not in this run's store yet.
            by_ds[asked_id] = engine.store.get(job.key) or engine.show_found(job)
        wanted = list({by_ds[d].key: by_ds[d] for d in ids if d in by_ds}.values())
        wanted += engine.watch([d for d in ids if d not in by_ds])
        return wanted

    return run_and_report(env, key, settings, start, wait=args.wait, as_json=args.json)


def run_status(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args), as_json=args.json)


def _name_the_stopped(env_name: str, stopped: list[Job]) -> None:
    """Jobs whose tracking the operator stopped (x in the console) are not resumed, but
    "nothing to resume" alone read as "nothing is unfinished": name them, with the command
    that checks them."""
    if not stopped:
        return
    ids = [j.dock_status_id for j in stopped if j.dock_status_id]
    shown = " ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
    check = f"; to check them: kore-tui status --env {env_name} {shown}" if ids else ""
    unsent = len(stopped) - len(ids)
    never = f" ({unsent} never sent)" if unsent else ""
    err(
        f"{len(stopped)} unfinished job(s) not resumed: their tracking was stopped (x in "
        f"the console){never}{check}"
    )
