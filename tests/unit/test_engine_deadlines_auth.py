"""Deadlines nothing can stretch, stop on any non-final job, and a refused key mid-run."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import httpx

from kore_tui.core.engine import Engine
from kore_tui.core.job import JobState
from kore_tui.core.secret import Secret
from tests.helpers import FAST, make_engine, until
from tests.unit.test_engine_rules import ACCEPTED, DS, MODEL, URL, Platform, only, status

RATE_LIMITED = httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "slow down"})
SHORT = replace(FAST, job_timeout=1.5, default_rate_pause=0.05)
OTHER_MODELS = [f"cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4{i}" for i in range(3)]


async def settle(engine: Engine, timeout: float) -> float:
    started = time.monotonic()
    await asyncio.wait_for(engine.wait_settled(), timeout)
    await engine.aclose()
    await engine.client.aclose()
    return time.monotonic() - started


async def test_endless_429_on_dock_status_times_out_at_the_deadline() -> None:
    platform = Platform([httpx.Response(200, json=ACCEPTED)], [RATE_LIMITED])
    engine = make_engine(URL, transport=httpx.MockTransport(platform), settings=SHORT)
    engine.start()
    engine.undeploy([MODEL])
    took = await settle(engine, 10)
    job = only(engine)
    assert job.state is JobState.TIMED_OUT and "deadline" in (job.error or "")
    assert took < SHORT.job_timeout + 2.5  # one Retry-After (1 s, +10 % jitter) at most past it


async def test_endless_429_on_the_post_ends_timed_out_and_not_sent() -> None:
    platform = Platform([RATE_LIMITED])
    engine = make_engine(URL, transport=httpx.MockTransport(platform), settings=SHORT)
    engine.start()
    engine.undeploy([MODEL])
    took = await settle(engine, 10)
    job = only(engine)
    assert job.state is JobState.TIMED_OUT and job.error_kind == "deadline_not_sent"
    assert (job.error or "").startswith("not sent") and took < SHORT.job_timeout + 1
    # Never sent, so the operator may send it again (retry), not just re-check.
    assert platform.get_count == 0


async def test_a_dripping_dock_status_cannot_outlive_the_deadline() -> None:
    async def drip(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=ACCEPTED)
        await asyncio.sleep(30)  # a server that never finishes its answer
        return status("SUCCESS")

    engine = make_engine(URL, transport=httpx.MockTransport(drip), settings=SHORT)
    engine.start()
    engine.undeploy([MODEL])
    took = await settle(engine, 10)
    assert only(engine).state is JobState.TIMED_OUT
    assert took < SHORT.job_timeout + 1.5


async def test_a_post_cut_by_the_deadline_is_unknown_not_resent() -> None:
    posts = 0

    async def slow_post(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        posts += 1
        await asyncio.sleep(30)
        return httpx.Response(200, json=ACCEPTED)

    engine = make_engine(URL, transport=httpx.MockTransport(slow_post), settings=SHORT)
    engine.start()
    engine.undeploy([MODEL])
    await settle(engine, 10)
    job = only(engine)
    assert job.state is JobState.UNKNOWN and "the request was sent" in (job.error or "")
    assert posts == 1


async def test_stop_on_a_submitting_job_is_unknown_and_on_a_queued_one_not_sent() -> None:
    async def slow_post(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json=ACCEPTED)

    engine = make_engine(
        URL, transport=httpx.MockTransport(slow_post), settings=replace(FAST, concurrency=1)
    )
    engine.start()
    first, second = engine.undeploy([MODEL, OTHER_MODELS[0]])

    def state(key: str) -> JobState | None:
        job = engine.store.get(key)
        return job.state if job else None

    await until(lambda: state(first.key) is JobState.SUBMITTING, 5)
    assert state(second.key) is JobState.QUEUED
    assert engine.stop_tracking([first.key, second.key]) == 2
    await settle(engine, 5)
    stopped_in_flight = engine.store.get(first.key)
    stopped_queued = engine.store.get(second.key)
    assert stopped_in_flight is not None and stopped_queued is not None
    assert stopped_in_flight.state is JobState.UNKNOWN
    assert "may have reached the server" in (stopped_in_flight.error or "")
    assert stopped_queued.state is JobState.ERROR and stopped_queued.error_kind == "not_sent"


async def test_a_refused_key_holds_every_post_until_a_new_key_comes() -> None:
    keys_seen: list[str] = []

    def platform(request: httpx.Request) -> httpx.Response:
        key = request.headers["x-api-key"]
        keys_seen.append(key)
        if key != "kg-new":
            return httpx.Response(401, json={"error": "bad key"})
        if request.method == "POST":  # the answer names the model the URL names
            model = request.url.path.split("/")[-2]
            return httpx.Response(200, json={**ACCEPTED, "modelId": model})
        return httpx.Response(200, json={"_id": DS, "action": "UNDEPLOY", "status": "SUCCESS"})

    engine = make_engine(
        URL, transport=httpx.MockTransport(platform), settings=replace(FAST, concurrency=1)
    )
    engine.start()
    jobs = engine.undeploy(OTHER_MODELS)
    await until(lambda: engine.auth_blocked and len(engine.held_keys) == len(jobs), 5)
    await asyncio.sleep(0.2)  # deliberate: time for requests that must not go out
    assert len(keys_seen) == 1, "after a 401 nothing else is sent with the refused key"
    assert all(j.state is JobState.QUEUED for j in engine.store.snapshot())
    assert "refused the API key" in (engine.store.health.auth_error or "")
    assert engine.replace_key(Secret("kg-new")) == 3
    await settle(engine, 5)
    assert all(j.state is JobState.SUCCESS for j in engine.store.snapshot())
    assert engine.store.health.auth_error is None


async def test_without_a_new_key_held_jobs_end_as_auth_errors() -> None:
    platform = Platform([httpx.Response(403, json={"error": "key lacks the undeploy scope"})])
    engine = make_engine(URL, transport=httpx.MockTransport(platform))
    engine.start()
    engine.undeploy(OTHER_MODELS)
    await until(lambda: len(engine.held_keys) == 3, 5)
    engine.abandon_held()
    await settle(engine, 5)
    jobs = engine.store.snapshot()
    assert all(j.state is JobState.ERROR and j.error_kind == "auth" for j in jobs)
    assert all("undeploy scope" in (j.error or "") for j in jobs)
    assert platform.post_count == 1


async def test_a_dock_status_still_not_found_cannot_outlive_the_deadline() -> None:
    # The 404 grace (15 s here) is longer than the deadline: the deadline wins.
    platform = Platform(
        [httpx.Response(200, json=ACCEPTED)], [httpx.Response(404, json={"error": "not found"})]
    )
    engine = make_engine(
        URL, transport=httpx.MockTransport(platform), settings=replace(SHORT, not_found_grace=15.0)
    )
    engine.start()
    engine.undeploy([MODEL])
    took = await settle(engine, 20)
    job = only(engine)
    assert job.state is JobState.TIMED_OUT and job.error_kind == "deadline", job.error
    assert "not found" in (job.error or "") and took < SHORT.job_timeout + 1.5
