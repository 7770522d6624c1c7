"""The engine against the simulator over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

import pytest

from kore_tui.core.engine import Engine, ReadOnlyError
from kore_tui.core.job import Job, JobState
from kore_tui.core.journal import Journal
from kore_tui.simulator import Simulator, profile_named
from tests.conftest import sim_config
from tests.helpers import FAST, admin, make_engine, until


async def run_to_end(engine: Engine, model_ids: Iterable[str], timeout: float = 60.0) -> list[Job]:
    engine.start()
    jobs = engine.undeploy(model_ids)
    try:
        await asyncio.wait_for(engine.wait_settled(), timeout)
    finally:
        await engine.aclose()
        await engine.client.aclose()
    return jobs


async def test_undeploys_are_verified_and_end_success_or_failed() -> None:
    sim = Simulator(sim_config(models=50, fail_rate=0.2, job_seconds=(0.0, 0.4)))
    await sim.start()
    journal = Journal()
    try:
        engine = make_engine(sim.url, journal=journal)
        await run_to_end(engine, sim.model_ids)
        jobs = engine.store.snapshot()
        states = Counter(j.state for j in jobs)
        assert set(states) <= {JobState.SUCCESS, JobState.FAILED}
        assert states[JobState.FAILED] > 0 and states[JobState.SUCCESS] > 0
        assert all(j.polls >= 1 for j in jobs), "every job verified with Get Dock Status"
        counters = await admin(sim.url, "/_sim/counters")
        assert max(counters["undeployAccepted"].values()) == 1
        history = journal.history("sim", 100)
        assert {j.key for j in history} == {j.key for j in jobs}
        timeline = journal.timeline(jobs[0].key)
        assert [t.state for t in timeline][:3] == [
            JobState.QUEUED,
            JobState.SUBMITTING,
            JobState.IN_PROGRESS,
        ]
    finally:
        journal.close()
        await sim.stop()


async def test_chaos_1000_undeploys_all_explicit_no_duplicate_post(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Rate-limit pauses are host-wide, so they dominate the run time; keep them short.
    faults = replace(
        profile_named("chaos"),
        slow_seconds=(0.05, 0.2),
        retry_after_seconds=0.05,
        rate_limited=0.02,
    )
    sim = Simulator(sim_config(models=1000, faults=faults, job_seconds=(0.0, 1.0), fail_rate=0.1))
    await sim.start()
    journal = Journal()
    try:
        settings = replace(FAST, concurrency=16, job_timeout=8.0)
        engine = make_engine(sim.url, journal=journal, settings=settings)
        await run_to_end(engine, sim.model_ids, timeout=120)
        jobs = engine.store.snapshot()
        assert len(jobs) == 1000
        assert all(j.is_final for j in jobs), Counter(j.state for j in jobs)
        assert all(
            j.error
            for j in jobs
            if j.state in {JobState.UNKNOWN, JobState.ERROR, JobState.TIMED_OUT}
        )
        states = Counter(j.state for j in jobs)
        assert states[JobState.UNKNOWN] > 0, "chaos damages some answers after processing"
        counters = await admin(sim.url, "/_sim/counters")
        assert max(counters["undeployAccepted"].values()) == 1
        assert engine.unexpected_errors == 0
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not engine._tasks, "no task left running"
    finally:
        journal.close()
        await sim.stop()


async def test_read_only_sends_no_post(sim: Simulator) -> None:
    engine = make_engine(sim.url, read_only=True)
    engine.start()
    with pytest.raises(ReadOnlyError):
        engine.undeploy(sim.model_ids[:3])
    watched = engine.watch(["ds-00000000-0000-4000-8000-000000000000"])
    await asyncio.wait_for(engine.wait_settled(), 10)
    await engine.aclose()
    await engine.client.aclose()
    unknown = engine.store.get(watched[0].key)
    assert unknown is not None and unknown.state is JobState.ERROR
    counters = await admin(sim.url, "/_sim/counters")
    assert counters["undeployReceived"] == {}
    assert not any(k.startswith("POST") for k in counters["requests"])


async def test_429_pauses_the_whole_host_for_retry_after() -> None:
    sim = Simulator(sim_config(models=40, job_seconds=(0.0, 0.0)))
    await sim.start()
    try:
        await admin(
            sim.url, "/_sim/force", "POST", json={"responses": [{"status": 429, "retry_after": 2}]}
        )
        engine = make_engine(sim.url, settings=replace(FAST, concurrency=8))
        await run_to_end(engine, sim.model_ids)
        log = (await admin(sim.url, "/_sim/requests"))["requests"]
        limited = next(r for r in log if r["status"] == 429)
        # Requests already on the wire when the 429 left arrive within a few ms; after that,
        # nothing may reach the host for the Retry-After period.
        window = [r for r in log if limited["t"] + 0.1 < r["t"] < limited["t"] + 2.0]
        assert window == []
        after = [r for r in log if r["t"] >= limited["t"] + 2.0]
        assert after, "work resumed after the pause"
        assert all(j.state is JobState.SUCCESS for j in engine.store.snapshot())
    finally:
        await sim.stop()


async def test_watch_existing_dock_status_ids(sim: Simulator) -> None:
    first = make_engine(sim.url)
    jobs = await run_to_end(first, sim.model_ids[:3])
    ds_ids = [ds for j in jobs if (done := first.store.get(j.key)) and (ds := done.dock_status_id)]
    assert len(ds_ids) == 3
    watcher = make_engine(sim.url)
    watcher.start()
    watcher.watch(ds_ids)
    await asyncio.wait_for(watcher.wait_settled(), 10)
    await watcher.aclose()
    await watcher.client.aclose()
    watched = watcher.store.snapshot()
    assert {j.model_id for j in watched} == set(sim.model_ids[:3])
    assert all(j.state is JobState.SUCCESS and j.action == "UNDEPLOY" for j in watched)


async def test_resume_from_journal_never_re_posts(sim: Simulator) -> None:
    journal = Journal()
    slow = Simulator(sim_config(models=5, job_seconds=(1.0, 1.0)))
    await slow.start()
    try:
        engine = make_engine(slow.url, journal=journal)
        engine.start()
        engine.undeploy(slow.model_ids)
        await until(lambda: all(j.dock_status_id for j in engine.store.snapshot()), 5)
        # Simulate a crash: drop the engine without letting it finish.
        await engine.aclose(grace=0)
        await engine.client.aclose()
        resumed_engine = make_engine(slow.url, journal=journal)
        resumed = resumed_engine.resume_unfinished()
        assert len(resumed) == 5
        resumed_engine.start()
        await asyncio.wait_for(resumed_engine.wait_settled(), 10)
        await resumed_engine.aclose()
        await resumed_engine.client.aclose()
        assert all(j.state is JobState.SUCCESS for j in resumed_engine.store.snapshot())
        counters = await admin(slow.url, "/_sim/counters")
        assert set(counters["undeployAccepted"].values()) == {1}
    finally:
        journal.close()
        await slow.stop()


async def test_checks_take_turns_with_a_backlog_of_posts() -> None:
    """A break-it run: 3,020 undeploys under the 20 requests/s cap, and no job was checked
    for 2.5 minutes (every POST was due first, the first checks only later), a FAILED
    undeploy seen that late, and "r re-check now" waiting behind the queue too."""
    sim = Simulator(sim_config(models=40, job_seconds=(30.0, 30.0)))
    await sim.start()
    engine = make_engine(sim.url, settings=replace(FAST, requests_per_second=20.0))
    try:
        engine.start()
        engine.undeploy(sim.model_ids)
        await until(lambda: any(j.polls for j in engine.store.snapshot()), 10)
        queued = [j for j in engine.store.snapshot() if j.state is JobState.QUEUED]
        # At 20/s the 40 POSTs take 2 s; a check came long before the last of them.
        assert len(queued) > 20, f"first check only after {40 - len(queued)} POSTs"
        await until(lambda: not any(j.state is JobState.QUEUED for j in engine.store.snapshot()))
        checked = sum(1 for j in engine.store.snapshot() if j.polls)
        assert checked > 10, "checks went on while the POSTs were sent"
    finally:
        await engine.aclose()
        await engine.client.aclose()
        await sim.stop()
