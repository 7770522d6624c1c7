"""One live job per model across engines that share the journal (each its own connection and
owner lease, as two processes have), over real HTTP to the simulator."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from kore_tui.core.engine import Engine
from kore_tui.core.following import OWNER_GONE
from kore_tui.core.job import Job, JobState, utc_now
from kore_tui.core.journal import Journal
from kore_tui.simulator import Simulator
from tests.conftest import sim_config
from tests.helpers import FAST, admin, make_engine, until


async def close(engine: Engine) -> None:
    await engine.aclose()
    await engine.client.aclose()


async def accepted(url: str) -> Counter[str]:
    counters = await admin(url, "/_sim/counters")
    return Counter(counters["undeployReceived"])


async def test_two_engines_on_the_same_models_post_each_once() -> None:
    sim = Simulator(sim_config(models=200, job_seconds=(0.3, 0.8)))
    await sim.start()
    first_journal, second_journal = Journal(), Journal()
    try:
        first = make_engine(sim.url, journal=first_journal)
        second = make_engine(sim.url, journal=second_journal)
        first.start()
        second.start()
        mine = first.undeploy(sim.model_ids)
        theirs = second.undeploy(sim.model_ids)
        assert {j.key for j in theirs} == {j.key for j in mine}, "the second joined the first's"
        assert all("tracking it" in second.notes[j.key] for j in theirs)
        await asyncio.wait_for(asyncio.gather(first.wait_settled(), second.wait_settled()), 30)
        followed = {j.key: j.state for j in second.store.snapshot()}
        owned = {j.key: j.state for j in first.store.snapshot()}
        assert followed == owned and set(owned.values()) == {JobState.SUCCESS}
        await close(first)
        await close(second)
        received = await accepted(sim.url)
        assert len(received) == 200 and max(received.values()) == 1
    finally:
        first_journal.close()
        second_journal.close()
        await sim.stop()


async def test_a_run_after_an_ended_run_takes_over_and_never_reposts() -> None:
    # `undeploy --yes` (no --wait) leaves IN_PROGRESS jobs; the same command again joins them.
    # Jobs long enough that none can end before the hand-over, even on a loaded machine (a
    # job that ended first would be undeployed again: a different scenario).
    sim = Simulator(sim_config(models=20, job_seconds=(2.0, 2.5)))
    await sim.start()
    journal = Journal()
    try:
        first = make_engine(sim.url, journal=journal)
        first.start()
        first.undeploy(sim.model_ids)
        await until(lambda: all(j.dock_status_id for j in first.store.snapshot()))
        await close(first)
        assert not [j for j in first.store.snapshot() if j.is_final], "ended before hand-over"
        second = make_engine(sim.url, journal=Journal())
        second.start()
        jobs = second.undeploy(sim.model_ids)
        assert all("its process is gone" in second.notes[j.key] for j in jobs)
        await asyncio.wait_for(second.wait_settled(), 20)
        assert {j.state for j in second.store.snapshot()} == {JobState.SUCCESS}
        await close(second)
        assert second.journal is not None
        second.journal.close()
        received = await accepted(sim.url)
        assert len(received) == 20 and max(received.values()) == 1
    finally:
        journal.close()
        await sim.stop()


async def test_opening_while_another_process_sends_follows_its_queued_jobs() -> None:
    # The console's resume used to mark a live CLI's QUEUED jobs "never sent (retry to send)".
    sim = Simulator(sim_config(models=60, job_seconds=(0.1, 0.3)))
    await sim.start()
    sender_journal, console_journal = Journal(), Journal()
    try:
        sender = make_engine(
            sim.url,
            journal=sender_journal,
            settings=replace(FAST, requests_per_second=40.0, concurrency=2),
        )
        sender.start()
        sender.undeploy(sim.model_ids)
        await until(lambda: any(j.dock_status_id for j in sender.store.snapshot()))
        console = make_engine(sim.url, journal=console_journal)
        resumed = console.resume_unfinished()
        assert any(j.state is JobState.QUEUED for j in resumed)
        assert not [j for j in resumed if j.is_final], "nothing of a live process is ended"
        console.start()
        assert console.retry([j.key for j in resumed]) == 0
        await asyncio.wait_for(asyncio.gather(sender.wait_settled(), console.wait_settled()), 30)
        assert {j.state for j in console.store.snapshot()} == {JobState.SUCCESS}
        await close(sender)
        await close(console)
        received = await accepted(sim.url)
        assert len(received) == 60 and max(received.values()) == 1
    finally:
        sender_journal.close()
        console_journal.close()
        await sim.stop()


async def _unknown_job(sim: Simulator, journal: Journal) -> tuple[Engine, Job]:
    await admin(
        sim.url, "/_sim/force", "POST", json={"responses": [{"status": 502, "route": "undeploy"}]}
    )
    engine = make_engine(sim.url, journal=journal)
    engine.start()
    (job,) = engine.undeploy(sim.model_ids[:1])
    await asyncio.wait_for(engine.wait_settled(), 10)
    unknown = engine.store.get(job.key)
    assert unknown is not None and unknown.state is JobState.UNKNOWN
    return engine, unknown


async def test_unknown_blocks_a_new_undeploy_and_retry_is_refused_while_one_is_live() -> None:
    sim = Simulator(sim_config(models=1, job_seconds=(1.0, 1.0)))
    await sim.start()
    journal, other_journal = Journal(), Journal()
    try:
        engine, unknown = await _unknown_job(sim, journal)
        other = make_engine(sim.url, journal=other_journal)
        other.start()
        (shown,) = other.undeploy(sim.model_ids)
        assert shown.key == unknown.key and shown.state is JobState.UNKNOWN
        assert "retry that job in the console (R on its row)" in other.notes[shown.key]
        # The explicit retry in one process makes a live job; the same retry elsewhere,
        # at the same time, is refused: one POST.
        assert engine.retry([unknown.key]) == 1
        assert other.retry([unknown.key]) == 0
        assert "not re-sent" in other.notes[unknown.key]
        await asyncio.wait_for(engine.wait_settled(), 10)
        await close(engine)
        await close(other)
        received = await accepted(sim.url)
        assert received[sim.model_ids[0]] == 2  # the 502'd first try, then one retry
    finally:
        journal.close()
        other_journal.close()
        await sim.stop()


async def test_undeploy_without_wait_waits_for_the_send_not_the_checks_of_joined_jobs() -> None:
    """Joined jobs of another live run, without --wait. Waiting for that run's first check
    of each held a run 24 s behind its rate limit; not waiting at all (exit 0, the jobs
    still QUEUED there) promised a send that a kill -9 of that run then lost. This run
    ends once each joined job is sent (its dock status ID known), and sends nothing."""
    from kore_tui.cli.session import run_engine
    from kore_tui.core.config import Environment
    from kore_tui.core.secret import Secret
    from tests.conftest import SENTINEL_KEY

    sim = Simulator(sim_config(models=10, job_seconds=(5.0, 5.0)))
    await sim.start()
    journal = Journal()
    try:
        holder = make_engine(
            sim.url, journal=journal, settings=replace(FAST, requests_per_second=5)
        )
        holder.start()
        held = holder.undeploy(sim.model_ids)
        await until(lambda: any(j.dock_status_id for j in holder.store.snapshot()))
        assert not all(j.dock_status_id for j in holder.store.snapshot()), "all sent already"
        jobs = await asyncio.wait_for(
            run_engine(
                Environment("sim", sim.url),
                Secret(SENTINEL_KEY),
                FAST,
                lambda engine: engine.undeploy(sim.model_ids),
                wait=False,
                progress=False,
            ),
            20,
        )
        assert {j.key for j in jobs} == {j.key for j in held}, "joined, not sent again"
        assert all(j.dock_status_id for j in jobs), [j.state for j in jobs]
        assert not [j for j in jobs if j.is_final], "waited for the 5 s jobs to end"
        await close(holder)
        received = await accepted(sim.url)
        assert len(received) == 10 and max(received.values()) == 1
    finally:
        journal.close()
        await sim.stop()


@asynccontextmanager
async def owner_and_follower(job_seconds: float) -> AsyncIterator[tuple[Engine, Engine, Job]]:
    """One model undeployed by an engine (the owner) and followed by a second one on the
    same journal (a second console), once the owner has its dock status ID."""
    sim = Simulator(sim_config(models=1, job_seconds=(job_seconds, job_seconds)))
    await sim.start()
    owner_journal, follower_journal = Journal(), Journal()
    owner = make_engine(sim.url, journal=owner_journal)
    follower = make_engine(sim.url, journal=follower_journal)
    try:
        owner.start()
        (job,) = owner.undeploy(sim.model_ids)
        await until(lambda: bool((owner.store.get(job.key) or job).dock_status_id))
        follower.resume_unfinished()
        follower.start()
        assert follower.follows(job.key)
        yield owner, follower, job
        await asyncio.wait_for(owner.wait_settled(), 10)
    finally:
        await close(owner)
        await close(follower)
        owner_journal.close()
        follower_journal.close()
        await sim.stop()


async def test_a_followed_job_stopped_here_still_shows_the_end_its_owner_writes() -> None:
    """An operator's run: x in a second console on a job the first one tracked, then the
    first ended it: the second still read 'IN_PROGRESS ⏸ … its own process still tracks
    it' (and counted it stopped) while the journal had SUCCESS."""
    async with owner_and_follower(1.0) as (owner, follower, job):
        asked = utc_now()
        assert follower.stop_tracking([job.key]) == 1
        stopped = follower.store.get(job.key)
        assert stopped is not None and not stopped.tracking and not stopped.is_final
        # Its clock stops now, not at the row's last write (Elapsed went from 36s to 14s).
        assert stopped.updated_at >= asked, (stopped.updated_at, asked)
        await asyncio.wait_for(owner.wait_settled(), 10)
        await until(lambda: (follower.store.get(job.key) or job).state is JobState.SUCCESS, 10)


async def test_a_follower_shows_the_checks_its_owner_makes() -> None:
    """An operator's run: a second console (and `status --json`) showed 'Checked -, Polls 0'
    for jobs the first polled every second: it looked as if nobody watched them."""
    async with owner_and_follower(6.0) as (_, follower, job):

        def seen() -> Job:
            return follower.store.get(job.key) or job

        await until(lambda: seen().polls >= 2 and seen().last_checked_at is not None, 10)
        assert not seen().is_final, "checks, not the end: shown while it runs"


@asynccontextmanager
async def two_consoles_one_failing_sim() -> AsyncIterator[
    tuple[Simulator, Journal, Engine, Engine]
]:
    """Two engines on one journal (two consoles) and a simulator that fails every job until
    told otherwise: (simulator, the first's journal, first, second)."""
    sim = Simulator(sim_config(models=1, job_seconds=(0.3, 0.3), fail_rate=1.0))
    await sim.start()
    first_journal, second_journal = Journal(), Journal()
    first = make_engine(sim.url, journal=first_journal)
    second = make_engine(sim.url, journal=second_journal)
    try:
        yield sim, first_journal, first, second
    finally:
        await close(first)
        await close(second)
        first_journal.close()
        second_journal.close()
        await sim.stop()


async def test_a_retry_of_a_job_another_process_retried_meanwhile_is_refused() -> None:
    """An operator's run with two consoles: the second still showed a job FAILED after the
    first had retried it to SUCCESS; R there sent the undeploy again (409, 'Model is not
    deployed') and wrote ERROR over the SUCCESS in the journal. A retry is of the attempt
    this process saw, or none; and the second console shows the retry once it happens."""
    async with two_consoles_one_failing_sim() as (sim, first_journal, first, second):
        first.start()
        (job,) = first.undeploy(sim.model_ids)
        await asyncio.wait_for(first.wait_settled(), 10)
        failed = first.store.get(job.key)
        assert failed is not None and failed.state is JobState.FAILED
        second.store.put(failed)  # shown as it ended (the next test: it follows the retry)
        second.start()
        sim.state.fail_rate = 0.0
        assert first.retry([job.key]) == 1
        await asyncio.wait_for(first.wait_settled(), 10)
        done = first.store.get(job.key)
        assert done is not None and done.state is JobState.SUCCESS
        # A final state reaches the journal within 50 ms (FINAL_FLUSH_DELAY).
        await until(lambda: first_journal.history()[0].state is JobState.SUCCESS, 5)

        assert second.retry([job.key]) == 0, "the attempt it saw was retried elsewhere"
        assert "retried in another process" in second.notes[job.key], second.notes
        await until(lambda: (second.store.get(job.key) or job).state is JobState.SUCCESS, 5)
        received = await accepted(sim.url)
        assert received[sim.model_ids[0]] == 2, "one POST per attempt, none from the second"
        rows = first_journal.history(with_timelines=True)
        assert [(r.state, r.attempts) for r in rows] == [(JobState.SUCCESS, 2)]


async def test_a_console_shows_a_retry_another_process_makes_of_a_job_it_shows() -> None:
    """The same run: the second console kept FAILED (9 FAILED against the first one's 1)
    for minutes; it found other processes' new jobs, not their retries of jobs it shows."""
    async with two_consoles_one_failing_sim() as (sim, _, first, second):
        first.start()
        second.show_other_runs()
        second.start()
        (job,) = first.undeploy(sim.model_ids)
        await asyncio.wait_for(first.wait_settled(), 10)
        await until(lambda: (second.store.get(job.key) or job).state is JobState.FAILED, 5)
        sim.state.fail_rate = 0.0
        assert first.retry([job.key]) == 1
        await until(lambda: (second.store.get(job.key) or job).state is JobState.SUCCESS, 10)
        shown = second.store.get(job.key)
        assert shown is not None and shown.attempts == 2 and shown.earlier_dock_status_ids


async def test_a_job_its_owner_stopped_is_not_taken_over_by_a_follower() -> None:
    """An operator's run: x on two jobs in one console, then quit; the other console on
    the same environment took them over and polled them (Checked 0s, Polls 11), though a
    stopped job is never resumed by itself (the operator's word)."""
    async with owner_and_follower(3.0) as (owner, follower, job):
        assert owner.stop_tracking([job.key]) == 1
        await until(lambda: not (follower.store.get(job.key) or job).tracking, 5)
        await asyncio.sleep(1.5)  # deliberate: three follow rounds that must not take it over
        shown = follower.store.get(job.key)
        assert shown is not None and not shown.tracking and shown.polls == 0, shown
        assert not follower.follows(job.key)


async def test_a_followed_job_stopped_here_says_so_when_its_owner_ends_first() -> None:
    """An operator's run: x on a followed job, then its console quit: the row still said
    'its own process still tracks it' 41 s later, while nobody did."""
    async with owner_and_follower(30.0) as (owner, follower, job):
        assert follower.stop_tracking([job.key]) == 1
        await owner.aclose()  # its process ends, the job still IN_PROGRESS
        await until(lambda: (follower.store.get(job.key) or job).error == OWNER_GONE, 5)
        shown = follower.store.get(job.key)
        assert shown is not None and not shown.tracking and not shown.is_final
        owner._writer._open.clear()  # nothing left for the context's wait: it was closed


async def test_a_bounce_that_joins_another_process_s_bounce_does_not_start() -> None:
    """A break-it run: a CLI bounce at the same moment as a console's bounce of the same
    model joined the console's undeploy ('already IN_PROGRESS … tracking it'), printed no
    'bounce not started' and exited 0: the joined job was a bounce's first half too, so it
    passed for this run's own."""
    from kore_tui.core.deploy_params import DeployParams
    from tests.e2e.test_engine_lifecycle import PARAMS

    sim = Simulator(sim_config(models=2, job_seconds=(1.5, 1.5)))
    await sim.start()
    first_journal, second_journal = Journal(), Journal()
    try:
        first = make_engine(sim.url, journal=first_journal)
        second = make_engine(sim.url, journal=second_journal)
        first.start()
        second.start()
        (mine,) = first.bounce(sim.model_ids[:1], DeployParams(model=PARAMS))
        (theirs,) = second.bounce(sim.model_ids[:1], DeployParams(model=PARAMS))
        assert theirs.key == mine.key, "the second joined the first's undeploy"
        assert second.not_started == {mine.key}
        assert "bounce not started" in second.notes[mine.key], second.notes[mine.key]
        (again,) = first.bounce(sim.model_ids[:1], DeployParams(model=PARAMS))
        assert again.key == mine.key and not first.not_started, "its own bounce goes on"
        await asyncio.wait_for(asyncio.gather(first.wait_settled(), second.wait_settled()), 20)
        await close(first)
        await close(second)
        counters = await admin(sim.url, "/_sim/counters")
        assert counters["received"]["DEPLOY"] == {sim.model_ids[0]: 1}, "one redeploy: the first's"
    finally:
        first_journal.close()
        second_journal.close()
        await sim.stop()


async def test_the_console_that_sent_a_job_shows_a_retry_another_console_makes() -> None:
    """A break-it run: console B sent an undeploy that FAILED; console A retried it to
    SUCCESS, and B (the job's first owner) still showed FAILED a minute later: 'r' there
    said 'Nothing to re-check: 1 FAILED'."""
    async with two_consoles_one_failing_sim() as (sim, _, first, second):
        first.show_other_runs()
        first.start()
        second.show_other_runs()
        second.start()
        (job,) = first.undeploy(sim.model_ids)
        await asyncio.wait_for(first.wait_settled(), 10)
        await until(lambda: (second.store.get(job.key) or job).state is JobState.FAILED, 5)
        sim.state.fail_rate = 0.0
        assert second.retry([job.key]) == 1
        await until(lambda: (second.store.get(job.key) or job).state is JobState.SUCCESS, 10)
        await until(lambda: (first.store.get(job.key) or job).state is JobState.SUCCESS, 10)
        shown = first.store.get(job.key)
        assert shown is not None and shown.attempts == 2 and shown.earlier_dock_status_ids


async def test_an_engine_whose_key_is_refused_does_not_take_over_a_gone_owner_s_job() -> None:
    """A break-it run: a console whose key the platform refused took over the job of a CLI
    killed mid-run; its check got 401 and the job sat IN_PROGRESS until someone answered
    that console's key prompt, while a process with a good key could not have it."""
    from kore_tui.core.api_client import KoreClient
    from kore_tui.core.config import Environment
    from kore_tui.core.secret import Secret

    sim = Simulator(sim_config(models=1, job_seconds=(2.0, 2.0)))
    await sim.start()
    first_journal, second_journal = Journal(), Journal()
    refused = Engine(
        Environment("sim", sim.url),
        KoreClient(sim.url, Secret("kg-not-the-key")),
        journal=second_journal,
        settings=FAST,
    )
    try:
        first = make_engine(sim.url, journal=first_journal)
        first.start()
        refused.show_other_runs()
        refused.start()
        refused.start_key_check()
        await until(lambda: refused.auth_blocked, 5)
        (job,) = first.undeploy(sim.model_ids)
        await until(lambda: refused.follows(job.key), 5)
        await close(first)  # its owner is gone: the job is free to take
        await asyncio.sleep(1.5)  # deliberate: time for a take-over that must not happen
        row = first_journal.jobs([job.key])[job.key]
        assert row.owner != refused.writes_as, "taken by an engine that cannot check it"
        good = make_engine(sim.url, journal=Journal())
        good.start()
        resumed = good.resume_unfinished()
        assert [j.key for j in resumed] == [job.key]
        await until(lambda: (good.store.get(job.key) or job).state is JobState.SUCCESS, 10)
        await close(good)
        assert good.journal is not None
        good.journal.close()
    finally:
        await close(refused)
        first_journal.close()
        second_journal.close()
        await sim.stop()
